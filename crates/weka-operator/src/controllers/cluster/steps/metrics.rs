//! The WEKA-level metrics of a cluster (upstream `UpdateWekaStatusMetrics`, spec
//! `wekacluster.md` §1.5, §5.3): once the WEKA cluster is formed and Ready, every
//! `METRICS_CLUSTERS_POLLING_RATE` the controller reads `weka status --json` and the filesystems
//! and writes them into `status.stats` and the printer columns, and hands the same reading to
//! the operator's `/metrics` ([`crate::metrics::weka_clusters`], in place of upstream's
//! per-cluster monitoring Deployment, §6.8). A deleted cluster's series are dropped.
//!
//! `stats.lastUpdate`: upstream stamps it on every poll, which makes every poll a status
//! write (and a watch event, and another reconcile) even when WEKA reports exactly the same.
//! Here it is stamped when the reading changed anything, and otherwise once it is older than
//! [`LAST_UPDATE_REFRESH_POLLS`] polls, so it still tells a live reading from a stale one. The
//! Prometheus series, which upstream timestamped with it, are served from memory and need no
//! write.

use std::time::Duration;

use weka_api::WekaClusterStatus;
use weka_api::constants::conditions as cond;

use crate::controllers::cluster::state::{ClusterState, now};
use crate::controllers::cluster::weka_stats::{self, Cores};
use crate::engine::{StepError, StepFuture};

/// `weka status` and `weka fs` get this long (upstream's timeout for this step).
const WEKA_TIMEOUT: Duration = Duration::from_secs(30);

/// The cluster is polled once `ClusterCreated` has been True this long.
pub const CREATED_SETTLE: Duration = Duration::from_secs(5);

/// An unchanged reading still refreshes `stats.lastUpdate` after this many polling periods.
pub const LAST_UPDATE_REFRESH_POLLS: u32 = 10;

/// `METRICS_CLUSTERS_ENABLED`.
pub fn enabled(s: &ClusterState) -> bool {
    s.ctx.config.metrics_collection.clusters_enabled
}

/// `METRICS_CLUSTERS_POLLING_RATE`: the step's throttling interval.
pub fn polling_rate(s: &ClusterState) -> Duration {
    s.ctx.config.metrics_collection.clusters_polling_rate
}

/// `ClusterCreated` has been True for more than [`CREATED_SETTLE`].
pub fn created_a_while_ago(s: &ClusterState) -> bool {
    let Some(condition) = s.condition(cond::CLUSTER_CREATED) else { return false };
    let since = now().0.as_second() - condition.last_transition_time.0.as_second();
    condition.status == "True" && since > CREATED_SETTLE.as_secs() as i64
}

/// WEKA serves the cluster (`status.status == Ready`). Upstream checks this inside the step
/// and counts a skipped poll as a run, delaying the first reading by a whole polling period
/// after the cluster turns Ready; as a predicate it is read as soon as the cluster is Ready.
pub fn serving(s: &ClusterState) -> bool {
    s.status().status == WekaClusterStatus::READY
}

/// Whether the counts `weka status` owns come from it: the cluster is polled and has been
/// read at least once.
pub fn weka_owns_counts(s: &ClusterState) -> bool {
    enabled(s)
        && !s.is_marked_for_deletion()
        && serving(s)
        && s.status().stats.as_ref().is_some_and(|st| st.last_update.is_some())
}

/// When a cluster whose flow completed is looked at again: after `refresh`, or after the
/// polling rate when that is shorter and the cluster is polled.
pub fn next_look(s: &ClusterState, refresh: Duration) -> Duration {
    if enabled(s) && !s.is_marked_for_deletion() && serving(s) {
        refresh.min(polling_rate(s))
    } else {
        refresh
    }
}

/// `UpdateWekaStatusMetrics`.
pub fn update_weka_status_metrics(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let template = s.template.clone().map_err(|err| {
            StepError::failed("TemplateInvalid", format!("no template to count processes: {err}"))
        })?;
        let cli = match s.active_cli() {
            Ok(cli) => cli.with_timeout(WEKA_TIMEOUT),
            // A continue-on-error step must not stop the flow: no container is a failure.
            Err(StepError::Wait(wait)) => {
                return Err(StepError::failed("NoActiveContainer", wait.message));
            }
            Err(err) => return Err(err),
        };
        let weka = cli.status().await.map_err(|err| {
            StepError::failed("WekaStatusFailed", format!("cannot read weka status: {err}"))
        })?;
        let capacity = match cli.capacity().await {
            Ok(capacity) => Some(capacity),
            Err(err) => {
                let cluster = s.name();
                tracing::warn!(cluster, error = %err, "cannot read the filesystems' capacity");
                None
            }
        };
        let cores = Cores {
            compute: (template.compute_cores as i64).max(1),
            drive: (template.drive_cores as i64).max(1),
        };
        let before = s.status().into_owned();
        let mut after = before.clone();
        weka_stats::apply(&mut after, &weka, capacity.as_ref(), cores);
        let stamp = now();
        let last = before.stats.as_ref().and_then(|st| st.last_update.as_ref());
        let refresh = polling_rate(s).saturating_mul(LAST_UPDATE_REFRESH_POLLS).as_secs() as i64;
        let stale = last.is_none_or(|t| stamp.0.as_second() - t.0.as_second() >= refresh);
        let changed = after != before;
        if changed || stale {
            after.stats.get_or_insert_with(Default::default).last_update = Some(stamp);
        }
        let (cluster, weka_status) = (s.name(), weka.status.as_str());
        tracing::debug!(cluster, weka_status, changed, "WEKA status read");
        let series = weka_stats::series(s.name(), s.namespace(), &after, &weka);
        s.ctx.metrics.weka_clusters.set(series);
        *s.status_mut() = after;
        s.persist_status().await
    })
}

/// Drops the cluster's series from `/metrics` once it is being deleted (nothing updates them
/// any more).
pub fn forget_weka_status_metrics(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        if s.ctx.metrics.weka_clusters.remove(s.namespace(), s.name()) {
            tracing::info!(cluster = s.name(), "WEKA metrics of the deleted cluster removed");
        }
        Ok(())
    })
}
