//! Label selectors (`metav1.LabelSelector`) and node selector terms (`v1.NodeSelectorTerm`), the
//! two matching languages the scheduler speaks.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{NodeSelectorRequirement, NodeSelectorTerm};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

pub type Labels = BTreeMap<String, String>;

/// Whether `labels` satisfy `selector`; an empty selector matches everything.
pub fn label_selector_matches(selector: &LabelSelector, labels: &Labels) -> bool {
    let by_labels = selector.match_labels.iter().flatten().all(|(k, v)| labels.get(k) == Some(v));
    by_labels
        && selector.match_expressions.iter().flatten().all(|e| {
            let values = e.values.as_deref().unwrap_or_default();
            let value = labels.get(&e.key);
            match e.operator.as_str() {
                "In" => value.is_some_and(|v| values.contains(v)),
                "NotIn" => value.is_none_or(|v| !values.contains(v)),
                "Exists" => value.is_some(),
                "DoesNotExist" => value.is_none(),
                _ => false,
            }
        })
}

/// Whether a node with these labels and this name satisfies one term: all of its expressions
/// and fields hold. A term with neither matches nothing, as upstream.
pub fn node_selector_term_matches(term: &NodeSelectorTerm, labels: &Labels, name: &str) -> bool {
    let expressions = term.match_expressions.as_deref().unwrap_or_default();
    let fields = term.match_fields.as_deref().unwrap_or_default();
    if expressions.is_empty() && fields.is_empty() {
        return false;
    }
    expressions.iter().all(|r| requirement_matches(r, labels.get(&r.key).map(String::as_str)))
        && fields.iter().all(|r| {
            r.key == "metadata.name"
                && matches!(r.operator.as_str(), "In" | "NotIn")
                && requirement_matches(r, Some(name))
        })
}

/// Terms are ORed.
pub fn node_selector_terms_match(terms: &[NodeSelectorTerm], labels: &Labels, name: &str) -> bool {
    terms.iter().any(|t| node_selector_term_matches(t, labels, name))
}

fn requirement_matches(r: &NodeSelectorRequirement, value: Option<&str>) -> bool {
    let values = r.values.as_deref().unwrap_or_default();
    let single_int = || -> Option<i64> {
        match values {
            [one] => one.parse().ok(),
            _ => None,
        }
    };
    match r.operator.as_str() {
        "In" => value.is_some_and(|v| values.iter().any(|x| x == v)),
        "NotIn" => value.is_none_or(|v| !values.iter().any(|x| x == v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        "Gt" | "Lt" => {
            let (Some(bound), Some(actual)) =
                (single_int(), value.and_then(|v| v.parse::<i64>().ok()))
            else {
                return false;
            };
            if r.operator == "Gt" { actual > bound } else { actual < bound }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn req(key: &str, op: &str, values: &[&str]) -> NodeSelectorRequirement {
        NodeSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: Some(values.iter().map(|v| v.to_string()).collect()),
        }
    }

    fn term(exprs: Vec<NodeSelectorRequirement>) -> NodeSelectorTerm {
        NodeSelectorTerm { match_expressions: Some(exprs), match_fields: None }
    }

    #[test]
    fn node_selector_operators_behave_as_upstream() {
        let node = labels(&[("zone", "a"), ("cores", "16")]);
        let cases = [
            (req("zone", "In", &["a", "b"]), true),
            (req("zone", "NotIn", &["a"]), false),
            (req("missing", "NotIn", &["a"]), true),
            (req("zone", "Exists", &[]), true),
            (req("zone", "DoesNotExist", &[]), false),
            (req("cores", "Gt", &["8"]), true),
            (req("cores", "Lt", &["8"]), false),
            (req("zone", "Gt", &["8"]), false),
            (req("cores", "Gt", &["8", "9"]), false),
        ];
        for (r, expected) in cases {
            assert_eq!(
                node_selector_term_matches(&term(vec![r.clone()]), &node, "n1"),
                expected,
                "{r:?}"
            );
        }
    }

    #[test]
    fn terms_are_ored_and_an_empty_term_matches_nothing() {
        let node = labels(&[("zone", "a")]);
        let terms = [term(vec![req("zone", "In", &["b"])]), term(vec![])];
        assert!(!node_selector_terms_match(&terms, &node, "n1"));
        let terms = [term(vec![req("zone", "In", &["b"])]), term(vec![req("zone", "In", &["a"])])];
        assert!(node_selector_terms_match(&terms, &node, "n1"));
    }

    #[test]
    fn match_fields_select_by_node_name() {
        let t = NodeSelectorTerm {
            match_expressions: None,
            match_fields: Some(vec![req("metadata.name", "In", &["n2"])]),
        };
        assert!(node_selector_term_matches(&t, &Labels::new(), "n2"));
        assert!(!node_selector_term_matches(&t, &Labels::new(), "n1"));
    }

    #[test]
    fn label_selectors_match_labels_and_expressions() {
        let pod = labels(&[("app", "weka"), ("mode", "drive")]);
        let selector = LabelSelector {
            match_labels: Some(labels(&[("app", "weka")])),
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "mode".into(),
                operator: "In".into(),
                values: Some(vec!["drive".into(), "compute".into()]),
            }]),
        };
        assert!(label_selector_matches(&selector, &pod));
        assert!(label_selector_matches(&LabelSelector::default(), &pod));
        let other = labels(&[("app", "weka"), ("mode", "client")]);
        assert!(!label_selector_matches(&selector, &other));
    }
}
