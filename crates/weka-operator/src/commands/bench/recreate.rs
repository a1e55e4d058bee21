//! How fast a deleted WEKA pod comes back: pods are deleted one after the other (as a user
//! would, default grace period), and the time from the delete request to a new pod of the
//! same name (another UID) is taken from the watch cache; before the next deletion the new
//! pod must run again.

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
    #[serde(serialize_with = "super::report::seconds_opt")]
    pub p50: Option<Duration>,
    #[serde(serialize_with = "super::report::seconds_opt")]
    pub p99: Option<Duration>,
    #[serde(serialize_with = "super::report::seconds_opt")]
    pub max: Option<Duration>,
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
    let mut times = Vec::new();
    for (namespace, name) in pods {
        let Some(old) = current(observer, namespace, name) else { continue };
        let old_uid = old.uid();
        let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
        let deleted = Instant::now();
        match api.delete(name, &DeleteParams::default()).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 404 => continue,
            Err(e) => return Err(api_error("delete a pod")(e).into()),
        }
        let back = wait(
            observer,
            deleted,
            |p| p.and_then(|p| p.uid()).is_some_and(|uid| Some(uid) != old_uid),
            namespace,
            name,
        )
        .await;
        if let Some(took) = back {
            times.push(took);
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
    }
}
