//! Turning a CustomResourceDefinition object into the resources it serves.

use std::sync::Arc;

use serde_json::Value;

use super::{
    Codec, CustomInfo, Resource, ScalePaths, Schema, StatusOnCreate, builtin::STANDARD_VERBS,
};
use crate::crd_validation::CrdValidator;
use crate::errors::Cause;
use crate::store::Generation;

/// Why a CRD cannot be served: its Invalid causes.
#[derive(Debug)]
pub struct CrdError(pub Vec<Cause>);

fn str_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut v = value;
    for p in path {
        v = v.get(p)?;
    }
    v.as_str().filter(|s| !s.is_empty())
}

fn strings_at(value: &Value, path: &[&str]) -> Vec<String> {
    let mut v = value;
    for p in path {
        match v.get(p) {
            Some(next) => v = next,
            None => return Vec::new(),
        }
    }
    v.as_array()
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// The served versions of a CRD as resources, or the causes that make the CRD invalid.
pub fn crd_resources(crd: &Value) -> Result<Vec<Resource>, CrdError> {
    let mut causes = Vec::new();
    let name = str_at(crd, &["metadata", "name"]).unwrap_or("");
    let group = str_at(crd, &["spec", "group"]).unwrap_or("");
    let plural = str_at(crd, &["spec", "names", "plural"]).unwrap_or("");
    let kind = str_at(crd, &["spec", "names", "kind"]).unwrap_or("");
    if group.is_empty() {
        causes.push(Cause::required("spec.group"));
    }
    if plural.is_empty() {
        causes.push(Cause::required("spec.names.plural"));
    }
    if kind.is_empty() {
        causes.push(Cause::required("spec.names.kind"));
    }
    if !group.is_empty() && !plural.is_empty() && name != format!("{plural}.{group}") {
        causes.push(Cause::invalid(
            "metadata.name",
            &Value::String(name.into()),
            "must be spec.names.plural+\".\"+spec.group",
        ));
    }
    let scope = str_at(crd, &["spec", "scope"]).unwrap_or("");
    if scope != "Namespaced" && scope != "Cluster" {
        causes.push(Cause {
            reason: "FieldValueNotSupported".into(),
            field: "spec.scope".into(),
            message: format!(
                "Unsupported value: {scope:?}: supported values: \"Cluster\", \"Namespaced\""
            ),
        });
    }
    let versions =
        crd.pointer("/spec/versions").and_then(Value::as_array).cloned().unwrap_or_default();
    if versions.is_empty() {
        causes.push(Cause::invalid(
            "spec.versions",
            &Value::Array(vec![]),
            "must have exactly one version marked as storage version",
        ));
    }
    let storage_versions: Vec<&str> = versions
        .iter()
        .filter(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
        .filter_map(|v| v.get("name").and_then(Value::as_str))
        .collect();
    if !versions.is_empty() && storage_versions.len() != 1 {
        causes.push(Cause::invalid(
            "spec.versions",
            &Value::Array(versions.clone()),
            "must have exactly one version marked as storage version",
        ));
    }
    if !causes.is_empty() {
        return Err(CrdError(causes));
    }
    let storage_version = storage_versions[0];
    let singular = str_at(crd, &["spec", "names", "singular"])
        .map(str::to_string)
        .unwrap_or_else(|| kind.to_lowercase());
    let list_kind = str_at(crd, &["spec", "names", "listKind"])
        .map(str::to_string)
        .unwrap_or_else(|| format!("{kind}List"));
    let mut resources = Vec::new();
    for (i, version) in versions.iter().enumerate() {
        let Some(version_name) = version.get("name").and_then(Value::as_str) else {
            causes.push(Cause::required(&format!("spec.versions[{i}].name")));
            continue;
        };
        if version.get("served").and_then(Value::as_bool) != Some(true) {
            continue;
        }
        let validator = match CrdValidator::compile(
            version.pointer("/schema/openAPIV3Schema"),
            &format!("spec.versions[{i}].schema.openAPIV3Schema"),
        ) {
            Ok(v) => v,
            Err(mut schema_causes) => {
                causes.append(&mut schema_causes);
                continue;
            }
        };
        let status = version.pointer("/subresources/status").is_some();
        let scale = version.pointer("/subresources/scale").map(|s| ScalePaths {
            spec_replicas: str_at(s, &["specReplicasPath"]).unwrap_or(".spec.replicas").into(),
            status_replicas: str_at(s, &["statusReplicasPath"])
                .unwrap_or(".status.replicas")
                .into(),
            label_selector: str_at(s, &["labelSelectorPath"]).map(str::to_string),
        });
        resources.push(Resource {
            group: group.into(),
            version: version_name.into(),
            kind: kind.into(),
            list_kind: list_kind.clone(),
            plural: plural.into(),
            singular: singular.clone(),
            short_names: strings_at(crd, &["spec", "names", "shortNames"]),
            namespaced: scope == "Namespaced",
            verbs: STANDARD_VERBS.iter().map(|v| v.to_string()).collect(),
            categories: strings_at(crd, &["spec", "names", "categories"]),
            status_subresource: status,
            scale,
            extra_subresources: Vec::new(),
            storage: format!("{group}/{plural}"),
            storage_api_version: format!("{group}/{storage_version}"),
            codec: Codec::Plain,
            schema: Schema::Custom(Arc::new(validator)),
            generation: if status { Generation::SpecOnly } else { Generation::AnyChange },
            status_on_create: if status { StatusOnCreate::Remove } else { StatusOnCreate::Keep },
            field_labels: Vec::new(),
            returns_deleted_object: true,
            custom: Some(CustomInfo {
                crd_name: name.into(),
                schema: version.pointer("/schema/openAPIV3Schema").cloned().map(Arc::new),
                printer_columns: version
                    .get("additionalPrinterColumns")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
                deprecation_warning: version
                    .get("deprecated")
                    .and_then(Value::as_bool)
                    .filter(|d| *d)
                    .map(|_| {
                        version
                            .get("deprecationWarning")
                            .and_then(Value::as_str)
                            .map(str::to_string)
                            .unwrap_or_else(|| {
                                format!("{group}/{version_name} {kind} is deprecated")
                            })
                    }),
            }),
        });
    }
    if !causes.is_empty() {
        return Err(CrdError(causes));
    }
    Ok(resources)
}
