//! How fast a deleted WEKA pod comes back: pods are deleted one after the other (as a user
//! would, default grace period), and the time from the delete request to a new pod of the
//! same name (another UID) is taken from the watch cache; before the next deletion the new
//! pod must run again.
//!
//! The time splits in two: the old pod terminating (until it is gone from the API: the WEKA
//! runtime's stop, including the `WEKA_OPERATOR_DEBUG_SLEEP` seconds it sleeps on
//! terminate, upstream's default 3, the operator's `--debug-sleep`), and the operator's own
//! part, from the old pod gone to the new one created (a pod's name is free only once the old
//! pod is gone). Both are read by polling the cache every 10 ms.

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;
use kube::api::DeleteParams;
use kube::{Api, Client, ResourceExt};
use serde::Serialize;

use super::BenchError;
use crate::commands::simulate::environment::api_error;
use crate::commands::simulate::progress::Observer;

const POLL: Duration = Duration::from_millis(10);
/// Per pod: to reappear, then to run again.
const PER_POD: Duration = Duration::from_secs(120);

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Recreation {
    pub sampled: usize,
    /// Recreated within the per-pod limit.
    pub recreated: usize,
    /// From the delete request to the new pod.
    #[serde(serialize_with = "super::report::seconds_opt")]
    pub p50: Option<Duration>,
    #[serde(serialize_with = "super::report::seconds_opt")]
    pub p99: Option<Duration>,
    #[serde(serialize_with = "super::report::seconds_opt")]
    pub max: Option<Duration>,
    /// From the delete request to the old pod gone (its termination).
    pub terminating: Quantiles,
    /// From the old pod gone to the new pod created (the operator's part).
    pub operator: Quantiles,
    /// `WEKA_OPERATOR_DEBUG_SLEEP` of the sampled pods: seconds the WEKA runtime sleeps when
    /// it terminates (the operator's `--debug-sleep`, or the container's override).
    pub debug_sleep_seconds: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Quantiles {
    #[serde(serialize_with = "super::report::seconds_opt")]
    pub p50: Option<Duration>,
    #[serde(serialize_with = "super::report::seconds_opt")]
    pub p99: Option<Duration>,
    #[serde(serialize_with = "super::report::seconds_opt")]
    pub max: Option<Duration>,
}

impl Quantiles {
    fn of(mut samples: Vec<Duration>) -> Quantiles {
        samples.sort();
        Quantiles {
            p50: quantile(&samples, 0.50),
            p99: quantile(&samples, 0.99),
            max: samples.last().copied(),
        }
    }
}

/// The `q` quantile (nearest rank) of sorted samples.
pub fn quantile(sorted: &[Duration], q: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

/// Running WEKA pods (`weka.io/mode` label) to delete: every `len/sample`-th, so that they
/// spread over roles and nodes.
pub fn sample(observer: &Observer, size: usize) -> Vec<(String, String)> {
    let mut pods: Vec<(String, String)> = observer
        .pods()
        .iter()
        .filter(|p| p.labels().contains_key(weka_api::constants::labels::MODE))
        .filter(|p| running(p))
        .map(|p| (p.namespace().unwrap_or_default(), p.name_any()))
        .collect();
    pods.sort();
    let step = (pods.len() / size.max(1)).max(1);
    pods.into_iter().step_by(step).take(size).collect()
}

fn running(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_none()
        && pod.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")
}

/// The `WEKA_OPERATOR_DEBUG_SLEEP` values of the pods, e.g. `3`, or `0, 3` when they differ.
fn debug_sleep(pods: &[std::sync::Arc<Pod>]) -> Option<String> {
    let mut values: Vec<String> = pods
        .iter()
        .flat_map(|p| p.spec.iter().flat_map(|s| s.containers.iter()))
        .flat_map(|c| c.env.iter().flatten())
        .filter(|e| e.name == "WEKA_OPERATOR_DEBUG_SLEEP")
        .filter_map(|e| e.value.clone())
        .collect();
    values.sort();
    values.dedup();
    (!values.is_empty()).then(|| values.join(", "))
}

fn current(observer: &Observer, namespace: &str, name: &str) -> Option<std::sync::Arc<Pod>> {
    observer
        .pods()
        .into_iter()
        .find(|p| p.name_any() == name && p.namespace().as_deref() == Some(namespace))
}

pub async fn measure(
    client: &Client,
    observer: &Observer,
    pods: &[(String, String)],
) -> Result<Recreation, BenchError> {
    let (mut times, mut terminating, mut operator, mut sampled) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (namespace, name) in pods {
        let Some(old) = current(observer, namespace, name) else { continue };
        let old_uid = old.uid();
        sampled.push(old.clone());
        let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
        let deleted = Instant::now();
        match api.delete(name, &DeleteParams::default()).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 404 => continue,
            Err(e) => return Err(api_error("delete a pod")(e).into()),
        }
        let gone =
            wait(observer, deleted, |p| p.is_none_or(|p| p.uid() != old_uid), namespace, name)
                .await;
        let back = wait(
            observer,
            deleted,
            |p| p.and_then(|p| p.uid()).is_some_and(|uid| Some(uid) != old_uid),
            namespace,
            name,
        )
        .await;
        if let (Some(gone), Some(took)) = (gone, back) {
            times.push(took);
            terminating.push(gone);
            operator.push(took.saturating_sub(gone));
            let again = Instant::now();
            wait(observer, again, |p| p.is_some_and(running), namespace, name).await;
        }
    }
    times.sort();
    Ok(Recreation {
        sampled: pods.len(),
        recreated: times.len(),
        p50: quantile(&times, 0.50),
        p99: quantile(&times, 0.99),
        max: times.last().copied(),
        terminating: Quantiles::of(terminating),
        operator: Quantiles::of(operator),
        debug_sleep_seconds: debug_sleep(&sampled),
    })
}

/// Polls the watch cache until the pod satisfies `check`; the time since `since`.
async fn wait(
    observer: &Observer,
    since: Instant,
    check: impl Fn(Option<&Pod>) -> bool,
    namespace: &str,
    name: &str,
) -> Option<Duration> {
    while since.elapsed() < PER_POD {
        if check(current(observer, namespace, name).as_deref()) {
            return Some(since.elapsed());
        }
        tokio::time::sleep(POLL).await;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_use_the_nearest_rank() {
        let ms = |v: &[u64]| v.iter().map(|m| Duration::from_millis(*m)).collect::<Vec<_>>();
        let samples = ms(&[10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
        assert_eq!(quantile(&samples, 0.5), Some(Duration::from_millis(50)));
        assert_eq!(quantile(&samples, 0.99), Some(Duration::from_millis(100)));
        assert_eq!(quantile(&[], 0.99), None);
        let q = Quantiles::of(ms(&[30, 10, 20]));
        assert_eq!(
            (q.p50, q.max),
            (Some(Duration::from_millis(20)), Some(Duration::from_millis(30)))
        );
    }

    #[test]
    fn the_debug_sleep_is_read_from_the_pods() {
        let pod = |sleep: &str| {
            let pod: Pod = serde_json::from_value(serde_json::json!({
                "spec": {"containers": [{"name": "weka-container",
                    "env": [{"name": "WEKA_OPERATOR_DEBUG_SLEEP", "value": sleep}]}]}
            }))
            .unwrap();
            std::sync::Arc::new(pod)
        };
        assert_eq!(debug_sleep(&[pod("3"), pod("3")]).as_deref(), Some("3"));
        assert_eq!(debug_sleep(&[pod("3"), pod("0")]).as_deref(), Some("0, 3"));
        assert_eq!(debug_sleep(&[]), None);
    }
}
