//! Server-side apply conflicts: fields an apply would change that other managers own, reported
//! as the apiserver reports them (409 Conflict, `details.causes` of type
//! `FieldManagerConflict`).

use super::fieldset::{FieldSet, Path, display_path};
use super::managed_fields::{Entry, Managed};
use crate::errors::{Cause, Error};

/// One field another manager owns.
#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    /// The manager as messages name it (see [`Entry::describe`]).
    pub manager: String,
    /// Sort key: the manager identifier (name, operation, apiVersion, subresource).
    key: (String, String, String, String),
    pub path: Path,
}

/// The conflicts of changing `changed` for every entry but the one at `except`.
pub fn find(managed: &Managed, except: Option<usize>, changed: &FieldSet) -> Vec<Conflict> {
    let mut out = Vec::new();
    for (i, entry) in managed.entries.iter().enumerate() {
        if Some(i) == except {
            continue;
        }
        for path in entry.fields.intersection(changed).paths() {
            out.push(conflict(entry, path));
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key).then_with(|| a.path.cmp(&b.path)));
    out
}

fn conflict(entry: &Entry, path: Path) -> Conflict {
    let api_version = match entry.operation {
        super::managed_fields::Operation::Apply => String::new(),
        super::managed_fields::Operation::Update => entry.api_version.clone(),
    };
    Conflict {
        manager: entry.describe(),
        key: (
            entry.manager.clone(),
            entry.operation.as_str().to_string(),
            api_version,
            entry.subresource.clone(),
        ),
        path,
    }
}

/// The 409 for `conflicts` (not empty).
pub fn error(conflicts: &[Conflict]) -> Error {
    let causes = conflicts
        .iter()
        .map(|c| Cause {
            reason: "FieldManagerConflict".into(),
            field: display_path(&c.path),
            message: format!("conflict with {}", c.manager),
        })
        .collect();
    Error::ApplyConflict { message: message(conflicts), causes }
}

fn message(conflicts: &[Conflict]) -> String {
    if let [only] = conflicts {
        return format!(
            "Apply failed with 1 conflict: conflict with {}: {}",
            only.manager,
            display_path(&only.path)
        );
    }
    let mut lines = Vec::new();
    let mut current: Option<&(String, String, String, String)> = None;
    for c in conflicts {
        if current != Some(&c.key) {
            lines.push(format!("conflicts with {}:", c.manager));
            current = Some(&c.key);
        }
        lines.push(format!("- {}", display_path(&c.path)));
    }
    format!("Apply failed with {} conflicts: {}", conflicts.len(), lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::fieldset::Element;
    use crate::apply::managed_fields::Operation;

    fn entry(manager: &str, operation: Operation, paths: &[&[&str]]) -> Entry {
        let mut fields = FieldSet::new();
        for p in paths {
            let path: Vec<Element> = p.iter().map(|f| Element::field(f)).collect();
            fields.insert(&path);
        }
        Entry {
            manager: manager.into(),
            operation,
            api_version: "apps/v1".into(),
            time: Some("2024-01-01T00:00:00Z".into()),
            subresource: String::new(),
            fields,
        }
    }

    #[test]
    fn one_conflict_reads_like_the_apiserver() {
        let managed = Managed {
            entries: vec![
                entry("kubectl-client-side-apply", Operation::Update, &[&["spec", "replicas"]]),
                entry("me", Operation::Apply, &[&["spec", "replicas"]]),
            ],
        };
        let mut changed = FieldSet::new();
        changed.insert(&[Element::field("spec"), Element::field("replicas")]);
        let found = find(&managed, Some(1), &changed);
        let status = error(&found).status();
        assert_eq!(status["code"], 409);
        assert_eq!(status["reason"], "Conflict");
        assert_eq!(
            status["message"],
            "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas"
        );
        assert_eq!(
            status["details"]["causes"][0],
            serde_json::json!({"reason": "FieldManagerConflict",
                               "message": "conflict with \"kubectl-client-side-apply\" using apps/v1",
                               "field": ".spec.replicas"})
        );
    }

    #[test]
    fn several_conflicts_are_grouped_by_manager() {
        let managed = Managed {
            entries: vec![
                entry("b", Operation::Apply, &[&["spec", "paused"]]),
                entry(
                    "a",
                    Operation::Update,
                    &[&["spec", "replicas"], &["spec", "minReadySeconds"]],
                ),
            ],
        };
        let mut changed = FieldSet::new();
        for f in ["replicas", "minReadySeconds", "paused"] {
            changed.insert(&[Element::field("spec"), Element::field(f)]);
        }
        let found = find(&managed, None, &changed);
        assert_eq!(
            message(&found),
            "Apply failed with 3 conflicts: conflicts with \"a\" using apps/v1:\n- .spec.minReadySeconds\n- .spec.replicas\nconflicts with \"b\":\n- .spec.paused"
        );
    }
}
