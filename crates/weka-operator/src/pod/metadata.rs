//! Labels and annotations of the pod, and how a live pod's annotations are updated without
//! losing annotations that others put there.

use std::collections::BTreeMap;

use weka_api::constants::annotations::APPLIED_ANNOTATIONS;
use weka_api::constants::labels;
use weka_api::wekacontainer::ContainerMode;

/// The container's labels, then the operator's (last, so that a user label cannot break the
/// anti-affinity selectors by overwriting `weka.io/mode`; upstream applies them first), then
/// the parent cluster's UID.
pub fn pod_labels(
    container_labels: Option<&BTreeMap<String, String>>,
    mode: ContainerMode,
    cluster_uid: Option<&str>,
) -> BTreeMap<String, String> {
    let mut result = container_labels.cloned().unwrap_or_default();
    for (key, value) in [
        (labels::APP_NAME, "WekaContainer"),
        (labels::APP_PART_OF, labels::OPERATOR_NAME),
        (labels::APP_CREATED_BY, labels::OPERATOR_NAME),
        (labels::MODE, mode.as_str()),
    ] {
        result.insert(key.to_string(), value.to_string());
    }
    if let Some(uid) = cluster_uid.filter(|uid| !uid.is_empty()) {
        result.insert(labels::CLUSTER_ID.to_string(), uid.to_string());
    }
    result
}

/// The container's annotations, plus `weka.io/applied-annotations` listing their keys, sorted
/// (upstream lists them in map order, so the pod looks changed on every reconcile).
pub fn pod_annotations(
    container_annotations: Option<&BTreeMap<String, String>>,
) -> BTreeMap<String, String> {
    let mut result: BTreeMap<String, String> = container_annotations
        .into_iter()
        .flatten()
        .filter(|(key, _)| key.as_str() != APPLIED_ANNOTATIONS)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !result.is_empty() {
        let keys: Vec<&str> = result.keys().map(String::as_str).collect();
        let applied = keys.join(",");
        result.insert(APPLIED_ANNOTATIONS.to_string(), applied);
    }
    result
}

/// Keys listed in a pod's `weka.io/applied-annotations`.
pub fn applied_keys(annotations: &BTreeMap<String, String>) -> Vec<&str> {
    annotations
        .get(APPLIED_ANNOTATIONS)
        .map(|list| list.split(',').filter(|k| !k.is_empty()).collect())
        .unwrap_or_default()
}

/// A live pod's annotations brought up to date: annotations the operator applied before are
/// replaced by the desired ones (keys the container dropped disappear), foreign ones stay.
pub fn updated_annotations(
    live: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let previously_applied = applied_keys(live);
    let mut result: BTreeMap<String, String> = live
        .iter()
        .filter(|(key, _)| {
            key.as_str() != APPLIED_ANNOTATIONS && !previously_applied.contains(&key.as_str())
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    result.extend(desired.iter().map(|(k, v)| (k.clone(), v.clone())));
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn operator_labels_win_over_container_labels() {
        let container = map(&[("weka.io/mode", "compute"), ("team", "storage")]);
        let result = pod_labels(Some(&container), ContainerMode::Drive, Some("c-uid"));
        assert_eq!(result["weka.io/mode"], "drive");
        assert_eq!(result["team"], "storage");
        assert_eq!(result["weka.io/cluster-id"], "c-uid");
        assert_eq!(result["app.kubernetes.io/part-of"], "weka-operator");
    }

    #[test]
    fn applied_annotations_list_the_container_keys_sorted() {
        let container = map(&[("zeta", "1"), ("alpha", "2")]);
        let result = pod_annotations(Some(&container));
        assert_eq!(result["weka.io/applied-annotations"], "alpha,zeta");
        assert!(pod_annotations(None).is_empty());
    }

    #[test]
    fn update_keeps_foreign_annotations_and_drops_keys_the_container_no_longer_has() {
        let live = map(&[
            ("old", "x"),
            ("kept", "1"),
            ("foreign", "f"),
            ("weka.io/applied-annotations", "kept,old"),
        ]);
        let desired = pod_annotations(Some(&map(&[("kept", "2"), ("new", "n")])));
        let result = updated_annotations(&live, &desired);
        assert_eq!(
            result,
            map(&[
                ("foreign", "f"),
                ("kept", "2"),
                ("new", "n"),
                ("weka.io/applied-annotations", "kept,new"),
            ])
        );
    }
}
