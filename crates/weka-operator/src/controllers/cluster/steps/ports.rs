//! `AllocateClusterRanges` (spec §3.2): the cluster's port range and singleton ports, in
//! `status.ports`, never shared with another cluster — also when two operators (or a
//! restarted one) allocate at the same moment.
//!
//! The protocol, serialised by the API server alone (no lock):
//! 1. *tentative*: pick the first free range against the ranges every WekaCluster's status
//!    shows, and write only `basePort`/`portRange`;
//! 2. *check*: list every WekaCluster again (from the API server, not the cache) and look
//!    for ranges overlapping ours. None: write the singleton ports (LB, LB admin, S3), which
//!    *commits* the range. An overlap with a committed range, or with a tentative one of a
//!    cluster that sorts first by namespace/name ([`must_yield`]): clear ours and start over.
//!    An overlap with a tentative range that must yield to us: wait for it to go.
//!
//! Two overlapping ranges can never both commit: each commits only after a list, taken
//! after its own tentative write, that shows no overlap; of two such writes and lists, the
//! later list sees the earlier write. Nothing uses the range before it is committed (the
//! containers are created after this step).

use std::time::Duration;

use kube::api::{Api, ListParams};
use kube::runtime::events::EventType;
use weka_api::WekaCluster;
use weka_api::WekaClusterStatus;
use weka_api::wekacluster::ClusterPorts;

use crate::allocator::{
    ClusterKey, ClusterRange, ClusterRangeRequest, ClusterRangeSnapshot, PortBlock, PortLayout,
    allocate_cluster_ports, must_yield,
};
use crate::controllers::cluster::state::{ClusterState, api_error};
use crate::controllers::container::ContainerObject;
use crate::engine::{StepError, StepFuture};

/// The range is the cluster's for good: the singleton ports were allocated in it.
pub fn committed(status: &WekaClusterStatus) -> bool {
    status.ports.is_some_and(|p| nonzero(p.base_port) && nonzero(p.lb_port))
}

fn nonzero(value: Option<isize>) -> bool {
    value.unwrap_or(0) != 0
}

/// Another cluster's range, and whether it is committed.
struct Other {
    range: ClusterRange,
    committed: bool,
}

pub fn allocate_cluster_ranges(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let me = ClusterKey { namespace: s.namespace().to_string(), name: s.name().to_string() };
        let layout = PortLayout::DEFAULT;
        // At most two rounds: a tentative write, then the check (or a yield and a new pick).
        for _ in 0..2 {
            let others = other_ranges(s, &me).await?;
            let status_ports = s.status().ports.unwrap_or_default();
            if !nonzero(status_ports.base_port) {
                let ports = allocate(s, &me, layout, &others, ClusterPorts::default()).await?;
                let tentative = ClusterPorts {
                    base_port: ports.base_port,
                    port_range: ports.port_range,
                    ..ClusterPorts::default()
                };
                tracing::info!(base = ?tentative.base_port, size = ?tentative.port_range, "tentative port range");
                s.status_mut().ports = Some(tentative);
                s.persist_status().await?;
                continue;
            }
            let mine = PortBlock::new(
                status_ports.base_port.unwrap_or(0),
                status_ports.port_range.unwrap_or(0),
            );
            let overlapping: Vec<&Other> =
                others.iter().filter(|o| o.range.block.overlaps(mine)).collect();
            let keys: Vec<&ClusterKey> = overlapping.iter().map(|o| &o.range.cluster).collect();
            if overlapping.iter().any(|o| o.committed) || must_yield(&me, &keys) {
                let message = format!(
                    "port range {mine} overlaps the range of {}: picking another",
                    names(&keys)
                );
                s.event(EventType::Normal, "PortRangeYielded", &message).await;
                s.status_mut().ports = None;
                s.persist_status().await?;
                continue;
            }
            if !overlapping.is_empty() {
                return Err(StepError::poll(
                    "PortRangeContended",
                    format!(
                        "port range {mine} is also picked by {}, which gives way",
                        names(&keys)
                    ),
                    s.shared.timing.port_recheck,
                ));
            }
            let ports = allocate(s, &me, layout, &others, status_ports).await?;
            tracing::info!(?ports, "port range committed");
            s.status_mut().ports = Some(ports);
            return s.persist_status().await;
        }
        Err(StepError::poll(
            "PortRangeContended",
            "the port range is being allocated",
            s.shared.timing.port_recheck,
        ))
    })
}

/// `allocate_cluster_ports` with the cluster's request, reporting failures upstream's way
/// (event `AllocateClusterRangeError`, retried after 15 s).
async fn allocate(
    s: &ClusterState,
    me: &ClusterKey,
    layout: PortLayout,
    others: &[Other],
    status: ClusterPorts,
) -> Result<ClusterPorts, StepError> {
    let request = ClusterRangeRequest {
        cluster: me.clone(),
        spec: s.cluster.spec.ports.unwrap_or_default(),
        status,
        layout,
        starting_port: s.ctx.config.pods.port_allocation_starting_port as isize,
    };
    let snapshot = ClusterRangeSnapshot {
        clusters: others.iter().map(|o| o.range.clone()).collect(),
        container_ports: container_port_claims(s, layout),
    };
    match allocate_cluster_ports(&request, &snapshot) {
        Ok(ports) => Ok(ports),
        Err(err) => {
            let message = err.to_string();
            s.warn(RANGE_ERROR, &message).await;
            Err(StepError::poll(RANGE_ERROR, message, Duration::from_secs(15)))
        }
    }
}

const RANGE_ERROR: &str = "AllocateClusterRangeError";

/// Every other WekaCluster's range, read from the API server (all namespaces).
async fn other_ranges(s: &ClusterState, me: &ClusterKey) -> Result<Vec<Other>, StepError> {
    let api: Api<WekaCluster> = Api::all(s.ctx.client.clone());
    let list = api
        .list(&ListParams::default())
        .await
        .map_err(|e| api_error("ListClustersFailed", "list the WekaClusters", e))?;
    Ok(list
        .items
        .into_iter()
        .filter_map(|c| {
            let key = ClusterKey {
                namespace: c.metadata.namespace.clone().unwrap_or_default(),
                name: c.metadata.name.clone().unwrap_or_default(),
            };
            let status = c.status.as_ref()?;
            let ports = status.ports?;
            let base = ports.base_port.filter(|b| *b > 0)?;
            let block = PortBlock::new(base, ports.port_range.unwrap_or(0));
            (key != *me).then(|| Other {
                range: ClusterRange { cluster: key, block },
                committed: committed(status),
            })
        })
        .collect())
}

/// The weka port blocks and agent ports of every WekaContainer the operator sees.
pub(crate) fn container_port_claims(s: &ClusterState, layout: PortLayout) -> Vec<PortBlock> {
    let store = s.ctx.reflectors.get::<ContainerObject>().store();
    store
        .state()
        .iter()
        .filter_map(|o| o.decode().ok())
        .filter_map(|c| c.status?.allocations)
        .flat_map(|a| {
            let weka = a
                .weka_port
                .filter(|p| *p > 0)
                .map(|p| PortBlock::new(p, layout.ports_per_container));
            let agent = a.agent_port.filter(|p| *p > 0).map(PortBlock::single);
            weka.into_iter().chain(agent)
        })
        .collect()
}

fn names(keys: &[&ClusterKey]) -> String {
    let names: Vec<String> = keys.iter().map(|k| format!("{}/{}", k.namespace, k.name)).collect();
    names.join(", ")
}
