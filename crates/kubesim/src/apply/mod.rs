//! Field management and server-side apply, with structured-merge-diff's semantics as the
//! apiserver wires them:
//! - every write records who set which fields in `metadata.managedFields` ([`track_update`]
//!   for create, update and the other patches: operation `Update`, the writer takes the fields
//!   it changed from their previous owners);
//! - an apply ([`apply`]) merges the configuration into the live object, owns exactly the
//!   fields the configuration sets (operation `Apply`), removes fields it applied before and no
//!   longer applies unless someone else owns them, and fails with 409 when it would change
//!   fields other managers own, unless forced (then it takes them over).
//!
//! Fields only the server writes (name, uid, resourceVersion...) are never owned, and neither
//! are the fields an endpoint resets (status on the main resource of kinds with a status
//! subresource; everything but status on `/status`).

pub mod conflicts;
pub mod fieldset;
mod last_applied;
pub mod managed_fields;
pub mod typed;

use serde_json::Value;

use crate::errors::{Error, Result};
use crate::openapi::shape::Shape;
use crate::store::object;
use fieldset::{Element, FieldSet};
use managed_fields::{Entry, Managed, Operation};

/// Which part of the object an endpoint leaves alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reset {
    Nothing,
    /// The main resource of a kind with a status subresource.
    Status,
    /// The `/status` subresource.
    AllButStatus,
}

/// Where a write happens: the kind's schema, the served version and the endpoint.
#[derive(Clone, Copy, Debug)]
pub struct Scope<'a> {
    pub shape: Shape<'a>,
    pub api_version: &'a str,
    /// `""` or `"status"`.
    pub subresource: &'a str,
    pub reset: Reset,
}

impl Scope<'_> {
    fn reset_fields(&self, objects: &[&Value]) -> FieldSet {
        let mut set = FieldSet::new();
        match self.reset {
            Reset::Nothing => {}
            Reset::Status => set.insert(&[Element::field("status")]),
            Reset::AllButStatus => {
                for obj in objects {
                    for key in obj.as_object().into_iter().flat_map(|m| m.keys()) {
                        if key != "status" {
                            set.insert(&[Element::field(key)]);
                        }
                    }
                }
            }
        }
        set
    }
}

/// The fields no manager owns (structured-merge-diff's strip set in the apiserver).
fn server_fields() -> FieldSet {
    let mut set = FieldSet::new();
    set.insert(&[Element::field("apiVersion")]);
    set.insert(&[Element::field("kind")]);
    set.insert(&[Element::field("metadata")]);
    for field in [
        "name",
        "namespace",
        "creationTimestamp",
        "selfLink",
        "uid",
        "clusterName",
        "generation",
        "managedFields",
        "resourceVersion",
    ] {
        set.insert(&[Element::field("metadata"), Element::field(field)]);
    }
    set
}

fn take_managed_fields(obj: &mut Value) -> Option<Value> {
    obj.get_mut("metadata").and_then(Value::as_object_mut).and_then(|m| m.remove("managedFields"))
}

fn without_managed_fields(obj: &Value) -> Value {
    let mut copy = obj.clone();
    take_managed_fields(&mut copy);
    copy
}

fn set_managed_fields(obj: &mut Value, managed: &Managed) {
    let meta = object::metadata_mut(obj);
    match managed.encode() {
        Some(list) => meta.insert("managedFields".into(), list),
        None => meta.remove("managedFields"),
    };
}

/// Keeps the live managedFields (times included) when the write changed neither the object
/// nor who owns what, as the apiserver does.
fn settle(obj: &mut Value, managed: &Managed, live: Option<(&Value, &Managed)>, changed: bool) {
    if let Some((live_obj, live_managed)) = live
        && !changed
        && managed.same_ownership(live_managed)
    {
        match live_obj.pointer("/metadata/managedFields") {
            Some(list) => {
                object::metadata_mut(obj).insert("managedFields".into(), list.clone());
            }
            None => {
                object::metadata_mut(obj).remove("managedFields");
            }
        }
        return;
    }
    set_managed_fields(obj, managed);
}

/// Records an `Update` by `manager` (create, update, merge/JSON/strategic patch): `new` is the
/// object about to be stored and gets its `metadata.managedFields`.
pub fn track_update(scope: Scope, live: Option<&Value>, new: &mut Value, manager: &str) {
    let sent = take_managed_fields(new);
    let live_managed =
        live.map(|l| Managed::decode(l.pointer("/metadata/managedFields")).unwrap_or_default());
    let mut managed = match (&sent, scope.subresource.is_empty()) {
        // An empty list (or a single empty entry) resets ownership.
        (Some(Value::Array(list)), true)
            if list.is_empty()
                || (list.len() == 1 && list[0] == Value::Object(Default::default())) =>
        {
            Managed::default()
        }
        (Some(list), true) => match Managed::decode(Some(list)) {
            Ok(m) if !m.entries.is_empty() => m,
            _ => live_managed.clone().unwrap_or_default(),
        },
        _ => live_managed.clone().unwrap_or_default(),
    };
    let empty = Value::Object(Default::default());
    let live_plain = live.map(without_managed_fields).unwrap_or_else(|| empty.clone());
    let mut comparison = typed::compare(&live_plain, new, scope.shape);
    let reset = scope.reset_fields(&[&live_plain, new]);
    comparison.exclude(&reset);
    let changed = comparison.added.union(&comparison.modified);
    for entry in &mut managed.entries {
        entry.fields = entry.fields.difference(&changed).difference(&comparison.removed);
    }
    let mine = changed.recursive_difference(&reset).difference(&server_fields());
    if !mine.is_empty() {
        let now = object::now_timestamp();
        match managed.find(manager, Operation::Update, scope.subresource, scope.api_version) {
            Some(i) => {
                let entry = &mut managed.entries[i];
                entry.fields = entry.fields.union(&mine);
                entry.time = Some(now);
            }
            None => managed.entries.push(Entry {
                manager: manager.to_string(),
                operation: Operation::Update,
                api_version: scope.api_version.to_string(),
                time: Some(now),
                subresource: scope.subresource.to_string(),
                fields: mine,
            }),
        }
    }
    managed.entries.retain(|e| !e.fields.is_empty());
    let live_pair = live.zip(live_managed.as_ref());
    settle(new, &managed, live_pair, !comparison.is_same());
}

/// A server-side apply by `manager` of `config` onto `live` (`None` creates): the object to
/// admit and store, with its managedFields, or the conflicts.
pub fn apply(
    scope: Scope,
    live: Option<&Value>,
    config: &Value,
    manager: &str,
    force: bool,
) -> Result<Value> {
    check_config(scope, config)?;
    let live_managed = match live {
        Some(l) => Managed::decode(l.pointer("/metadata/managedFields"))
            .map_err(|e| Error::Internal(format!("failed to decode managed fields: {e}")))?,
        None => Managed::default(),
    };
    let live_plain =
        live.map(without_managed_fields).unwrap_or_else(|| Value::Object(Default::default()));
    let outcome = apply_once(scope, &live_plain, &live_managed, config, manager, force);
    let (mut merged, managed, changed) = match outcome {
        Err(ApplyFailure::Conflicts(found)) if manager == "kubectl" && !force => {
            // Upgrading from client-side apply: conflicts on fields the last-applied
            // configuration set to their live values are the applier's own.
            let allowed = last_applied::allowed_conflicts(scope, &live_plain);
            let remaining: Vec<_> = found
                .into_iter()
                .filter(|c| !allowed.as_ref().is_some_and(|a| a.has(&c.path)))
                .collect();
            if !remaining.is_empty() || allowed.is_none() {
                return Err(conflicts::error(&remaining));
            }
            apply_once(scope, &live_plain, &live_managed, config, manager, true)
                .map_err(ApplyFailure::into_error)?
        }
        other => other.map_err(ApplyFailure::into_error)?,
    };
    if manager == "kubectl" {
        last_applied::update_annotation(&mut merged, config);
    }
    let live_pair = live.map(|l| (l, &live_managed));
    settle(&mut merged, &managed, live_pair, changed);
    Ok(merged)
}

enum ApplyFailure {
    Conflicts(Vec<conflicts::Conflict>),
    Invalid(Error),
}

impl ApplyFailure {
    fn into_error(self) -> Error {
        match self {
            ApplyFailure::Conflicts(found) => conflicts::error(&found),
            ApplyFailure::Invalid(e) => e,
        }
    }
}

fn invalid_typed(e: typed::TypedError) -> ApplyFailure {
    ApplyFailure::Invalid(Error::BadRequest(format!("failed to create typed patch object: {e}")))
}

/// One apply: merge, ownership, pruning of what the applier dropped, conflicts.
fn apply_once(
    scope: Scope,
    live: &Value,
    live_managed: &Managed,
    config: &Value,
    manager: &str,
    force: bool,
) -> Result<(Value, Managed, bool), ApplyFailure> {
    let reset = scope.reset_fields(&[live, config]);
    let mut managed = live_managed.clone();
    let mut merged = typed::merge(live, config, scope.shape).map_err(invalid_typed)?;
    let applied =
        typed::field_set(config, scope.shape).map_err(invalid_typed)?.recursive_difference(&reset);
    let mine = managed.find(manager, Operation::Apply, scope.subresource, scope.api_version);
    let last = mine.map(|i| managed.entries[i].fields.clone());
    let now = object::now_timestamp();
    let index = match mine {
        Some(i) => {
            let entry = &mut managed.entries[i];
            entry.fields = applied;
            entry.api_version = scope.api_version.to_string();
            i
        }
        None => {
            managed.entries.push(Entry {
                manager: manager.to_string(),
                operation: Operation::Apply,
                api_version: scope.api_version.to_string(),
                time: Some(now.clone()),
                subresource: scope.subresource.to_string(),
                fields: applied,
            });
            managed.entries.len() - 1
        }
    };
    if let Some(last) = last.filter(|l| !l.is_empty()) {
        // Fields the applier owned and dropped go, unless another manager (or this apply)
        // owns them.
        let owned = managed.owned().with_field_parents();
        let dropped = last.with_field_parents().difference(&owned);
        if !dropped.is_empty() {
            merged = typed::remove(&merged, &dropped, scope.shape);
        }
    }
    let mut comparison = typed::compare(live, &merged, scope.shape);
    comparison.exclude(&reset);
    let changed = comparison.added.union(&comparison.modified);
    let found = conflicts::find(&managed, Some(index), &changed);
    if !found.is_empty() && !force {
        return Err(ApplyFailure::Conflicts(found));
    }
    for (i, entry) in managed.entries.iter_mut().enumerate() {
        if i != index {
            entry.fields = entry.fields.difference(&changed).difference(&comparison.removed);
        }
    }
    let object_changed = !comparison.is_same();
    let entry = &mut managed.entries[index];
    entry.fields = entry.fields.difference(&server_fields());
    if object_changed || entry.time.is_none() {
        entry.time = Some(now);
    }
    managed.entries.retain(|e| !e.fields.is_empty());
    Ok((merged, managed, object_changed))
}

/// What an apply configuration must be: an object of the endpoint's kind and version,
/// without managedFields.
fn check_config(scope: Scope, config: &Value) -> Result<()> {
    if !config.is_object() {
        return Err(Error::BadRequest(
            "error decoding patch: the apply configuration must be an object".into(),
        ));
    }
    let api_version = config.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let kind = config.get("kind").and_then(Value::as_str).unwrap_or("");
    if api_version.is_empty() || kind.is_empty() {
        return Err(Error::BadRequest(format!(
            "invalid object type: {}, Kind={kind}",
            if api_version.is_empty() { "/" } else { api_version }
        )));
    }
    if api_version != scope.api_version {
        return Err(Error::BadRequest(format!(
            "Incorrect version specified in apply patch. Specified patch version: {api_version}, expected: {}",
            scope.api_version
        )));
    }
    if config.pointer("/metadata/managedFields").is_some_and(|m| !m.is_null()) {
        return Err(Error::BadRequest("metadata.managedFields must be nil".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
