//! Admission checks of built-in kinds beyond what decoding into k8s-openapi types catches:
//! object names, labels and the handful of required fields clients rely on being enforced.
//! One function per kind, with upstream's field paths and wording.

use serde_json::Value;

use crate::errors::Cause;
use crate::registry::Resource;
use crate::store::object;

const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

fn is_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

pub fn is_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_label)
}

fn is_dns1035(s: &str) -> bool {
    is_label(s) && s.as_bytes()[0].is_ascii_lowercase()
}

fn check_name(resource: &Resource, name: &str) -> Option<Cause> {
    let (ok, msg) = match (resource.group.as_str(), resource.plural.as_str()) {
        ("", "namespaces") => (is_label(name), LABEL_MSG),
        ("", "services") => (is_dns1035(name), DNS1035_MSG),
        _ if resource.group.starts_with("rbac.") => (
            !name.is_empty() && !name.contains('/') && name != "." && name != "..",
            "may not contain '/'",
        ),
        _ => (is_subdomain(name), SUBDOMAIN_MSG),
    };
    (!ok).then(|| Cause::invalid("metadata.name", &Value::String(name.into()), msg))
}

fn check_labels(obj: &Value, causes: &mut Vec<Cause>) {
    let Some(labels) = object::labels(obj) else {
        return;
    };
    for (key, value) in labels {
        let (prefix, name) = key.rsplit_once('/').unwrap_or(("", key));
        let name_ok = !name.is_empty()
            && name.len() <= 63
            && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && name.starts_with(|c: char| c.is_ascii_alphanumeric())
            && name.ends_with(|c: char| c.is_ascii_alphanumeric());
        if !name_ok || (key.contains('/') && !is_subdomain(prefix)) {
            causes.push(Cause::invalid(
                "metadata.labels",
                &Value::String(key.clone()),
                "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
            ));
        }
        let text = value.as_str().unwrap_or("");
        let value_ok = text.len() <= 63
            && text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && (text.is_empty()
                || (text.starts_with(|c: char| c.is_ascii_alphanumeric())
                    && text.ends_with(|c: char| c.is_ascii_alphanumeric())));
        if !value_ok {
            causes.push(Cause::invalid(
                "metadata.labels",
                value,
                "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
            ));
        }
    }
}

fn check_pod_spec(spec: Option<&Value>, path: &str, causes: &mut Vec<Cause>) {
    let containers =
        spec.and_then(|s| s.get("containers")).and_then(Value::as_array).filter(|c| !c.is_empty());
    let Some(containers) = containers else {
        causes.push(Cause::required(&format!("{path}.containers")));
        return;
    };
    for (i, c) in containers.iter().enumerate() {
        let field = format!("{path}.containers[{i}]");
        match c.get("name").and_then(Value::as_str) {
            None | Some("") => causes.push(Cause::required(&format!("{field}.name"))),
            Some(name) if !is_label(name) => causes.push(Cause::invalid(
                &format!("{field}.name"),
                &Value::String(name.into()),
                LABEL_MSG,
            )),
            _ => {}
        }
        if c.get("image").and_then(Value::as_str).is_none_or(str::is_empty) {
            causes.push(Cause::required(&format!("{field}.image")));
        }
    }
}

fn check_selector_matches_template(obj: &Value, causes: &mut Vec<Cause>) {
    let Some(selector) = obj.pointer("/spec/selector") else {
        causes.push(Cause::required("spec.selector"));
        return;
    };
    let labels = obj.pointer("/spec/template/metadata/labels");
    let matches = selector
        .get("matchLabels")
        .and_then(Value::as_object)
        .is_none_or(|wanted| wanted.iter().all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v)));
    if !matches {
        causes.push(Cause::invalid(
            "spec.template.metadata.labels",
            labels.unwrap_or(&Value::Null),
            "`selector` does not match template `labels`",
        ));
    }
}

/// The Invalid causes of a built-in object about to be stored.
pub fn validate(resource: &Resource, obj: &Value) -> Vec<Cause> {
    let mut causes = Vec::new();
    if let Some(name) = object::name(obj)
        && let Some(cause) = check_name(resource, name)
    {
        causes.push(cause);
    }
    check_labels(obj, &mut causes);
    if resource.is_custom() {
        return causes;
    }
    match (resource.group.as_str(), resource.plural.as_str()) {
        ("", "pods") => check_pod_spec(obj.get("spec"), "spec", &mut causes),
        ("apps", "deployments" | "replicasets" | "statefulsets" | "daemonsets") => {
            check_selector_matches_template(obj, &mut causes);
            check_pod_spec(obj.pointer("/spec/template/spec"), "spec.template.spec", &mut causes);
        }
        ("batch", "jobs") => {
            check_pod_spec(obj.pointer("/spec/template/spec"), "spec.template.spec", &mut causes)
        }
        _ => {}
    }
    causes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_dns_rules() {
        assert!(is_subdomain("a.b-c.d"));
        assert!(!is_subdomain("A"));
        assert!(!is_subdomain("-a"));
        assert!(is_label("abc-1"));
        assert!(!is_label("a.b"));
        assert!(!is_dns1035("1abc"));
    }
}
