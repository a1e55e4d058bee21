//! Post-cluster steps (spec §1.4 and `wekacluster-services.md`): KMS, the default
//! filesystems, the S3 cluster, NFS, data services, WEKA Home, and `Ready`.

use std::time::Duration;

use kube::runtime::events::EventType;
use weka_api::WekaClusterStatus;
use weka_api::conditions::{Desired, Status};
use weka_api::constants::conditions as cond;
use weka_api::wekacluster::VaultAuthMethod;
use weka_api::wekacontainer::ContainerMode;

use crate::controllers::cluster::state::{ClusterState, weka_failed};
use crate::engine::{StepError, StepFuture};
use crate::weka::AlreadyDone;
use crate::weka::cloud::{VaultKms, WekaHome};
use crate::weka::fs::FsParams;
use crate::weka::nfs::{NFS_INTERFACE_GROUP, NfsParams};
use crate::weka::s3::S3ClusterParams;

/// `weka status` gets 30 s.
const STATUS_TIMEOUT: Duration = Duration::from_secs(30);
/// At most this many S3 containers create the S3 cluster; the others join it one by one.
const FORM_S3_CLUSTER_MAX_CONTAINERS: usize = 3;
const GIB: i64 = 1 << 30;

/// `spec.encryption.vault` with Kubernetes authentication.
pub fn kms_in_spec(s: &ClusterState) -> bool {
    vault(s).is_some_and(|v| v.method.is_none_or(|m| m == VaultAuthMethod::Kubernetes))
}

fn vault(s: &ClusterState) -> Option<&weka_api::wekacluster::VaultConfig> {
    s.cluster.spec.encryption.as_ref()?.vault.as_ref()
}

fn internal_encryption(s: &ClusterState) -> bool {
    let encryption = s.cluster.spec.encryption.as_ref();
    encryption.and_then(|e| e.internal.as_ref()).is_some_and(|i| i.enabled)
}

/// `ConfigureKms`: `weka security kms set vault ...` in an active drive container.
pub fn configure_kms(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let vault = vault(s).cloned().unwrap_or_default();
        let kms = VaultKms {
            address: vault.address,
            key_name: vault.key_name.unwrap_or_default(),
            role: vault.role,
            auth_path: vault.auth_path.unwrap_or_default(),
            transit_path: vault.transit_path.unwrap_or_default(),
        };
        let cli = s.active_cli_with_role(ContainerMode::Drive)?;
        cli.configure_kms(&kms).await.map_err(|e| weka_failed("ConfigureKmsFailed", e))
    })
}

/// `EnsureDefaultFS`: filesystem group `default`, `.config_fs` (100 GiB, 10 GiB thick) and
/// `default` (a tenth of the capacity, at least 1 GiB; a hundredth thick), thin provisioned,
/// encrypted when a KMS or internal encryption is configured. Existing ones are kept.
pub fn ensure_default_fs(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let cli = s.active_cli()?.with_timeout(STATUS_TIMEOUT);
        let status = cli.status().await.map_err(|e| weka_failed("WekaStatusFailed", e))?;
        cli.create_filesystem_group("default")
            .await
            .or_already_done()
            .map_err(|e| weka_failed("CreateFilesystemGroupFailed", e))?;
        let total = status.capacity.total_bytes;
        let encrypted = s.condition_true(cond::KMS_CONFIGURED) || internal_encryption(s);
        let no_kms = internal_encryption(s);
        let params = |total: i64, thick: i64| FsParams {
            total_capacity: total.to_string(),
            thin_provisioning: true,
            thick_capacity: thick.to_string(),
            encrypted,
            no_kms,
        };
        for (name, fs) in [
            (".config_fs", params(100 * GIB, 10 * GIB)),
            ("default", params((total / 10).max(GIB), total / 100)),
        ] {
            cli.create_filesystem(name, "default", &fs)
                .await
                .or_already_done()
                .map_err(|e| weka_failed("CreateFilesystemFailed", e))?;
        }
        Ok(())
    })
}

fn s3_template_count(s: &ClusterState) -> isize {
    s.template.as_ref().map_or(0, |t| t.s3_containers)
}

/// Upstream's `HasS3Containers`: the template wants S3 containers and one exists.
pub fn has_s3(s: &ClusterState) -> bool {
    s3_template_count(s) > 0 && s.has_containers_of(ContainerMode::S3)
}

pub fn has_nfs(s: &ClusterState) -> bool {
    s.has_containers_of(ContainerMode::Nfs)
}

pub fn has_data_services(s: &ClusterState) -> bool {
    s.has_containers_of(ContainerMode::DataServices)
}

/// Upstream's `ShouldDestroyS3Cluster`: allowed by `overrides.allowS3ClusterDestroy`, the
/// template wants no S3 containers, at most one is left, and the S3 cluster exists.
pub fn should_destroy_s3_cluster(s: &ClusterState) -> bool {
    let allowed =
        s.cluster.spec.overrides.as_ref().and_then(|o| o.allow_s3_cluster_destroy) == Some(true);
    allowed
        && s.template.is_ok()
        && s3_template_count(s) == 0
        && s.containers_of(ContainerMode::S3).count() <= 1
        && s.condition_true(cond::S3_CLUSTER_CREATED)
}

/// `DestroyS3Cluster`: once at most one member is left, `s3 cluster destroy -f`; the
/// condition `CondS3ClusterCreated` turns False.
pub fn destroy_s3_cluster(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let cli = s.active_cli()?;
        let members = cli.list_s3_containers().await.map_err(|e| weka_failed("S3ListFailed", e))?;
        if members.len() > 1 {
            return Err(StepError::poll(
                "WaitingForS3Containers",
                format!("{} containers are still in the S3 cluster", members.len()),
                s.shared.timing.weka_poll,
            ));
        }
        cli.destroy_s3_cluster().await.map_err(|e| weka_failed("S3DestroyFailed", e))?;
        let destroyed = Desired::new(
            cond::S3_CLUSTER_CREATED,
            Status::False,
            "DestroyS3Cluster",
            "S3 cluster is destroyed",
        );
        if s.set_condition_now(destroyed) {
            s.persist_status().await?;
        }
        s.event(EventType::Normal, "S3ClusterDestroyed", "the S3 cluster is destroyed").await;
        Ok(())
    })
}

/// `EnsureS3Cluster`: unless it exists, `s3 cluster create` with up to 3 S3 containers that
/// have a WEKA container ID, on the cluster's LB, LB admin and S3 ports.
pub fn ensure_s3_cluster(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let cli = s.active_cli()?;
        let existing = cli.get_s3_cluster().await.map_err(|e| weka_failed("S3ReadFailed", e))?;
        if existing.active || !existing.s3_hosts.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = s
            .containers_of(ContainerMode::S3)
            .filter_map(|c| c.status.as_ref()?.container_id)
            .map(|id| id as i64)
            .take(FORM_S3_CLUSTER_MAX_CONTAINERS)
            .collect();
        if ids.is_empty() {
            return Err(StepError::wait("S3ContainersNotReady", "Ready S3 containers not found"));
        }
        let ports = s.status().ports.unwrap_or_default();
        let port = |p: Option<isize>| p.unwrap_or(0).clamp(0, u16::MAX as isize) as u16;
        let params = S3ClusterParams {
            envoy_port: port(ports.lb_port),
            envoy_admin_port: port(ports.lb_admin_port),
            s3_port: port(ports.s3_port),
            container_ids: ids,
            extra_args: s
                .cluster
                .spec
                .s3
                .as_ref()
                .and_then(|c| c.cluster_create_args.clone())
                .unwrap_or_default(),
        };
        cli.create_s3_cluster(&params)
            .await
            .or_already_done()
            .map_err(|e| weka_failed("S3CreateFailed", e))?;
        s.event(EventType::Normal, "S3ClusterCreated", "the S3 cluster is created").await;
        Ok(())
    })
}

/// `EnsureNfs`: the NFS global configuration and the interface group `MgmtInterfaceGroup`.
pub fn ensure_nfs(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let interfaces =
            s.cluster.spec.nfs.as_ref().and_then(|n| n.interfaces.clone()).unwrap_or_default();
        if interfaces.len() > 1 {
            return Err(StepError::failed(
                "InvalidNfsConfig",
                "spec.nfs.interfaces may name at most one interface",
            ));
        }
        let pods = &s.ctx.config.pods;
        let params = NfsParams {
            config_filesystem: ".config_fs".to_string(),
            supported_versions: Vec::new(),
            mountd_port: pods.nfs_mountd_port,
            lockmgr_port: pods.nfs_lockmanager_port,
            notify_port: pods.nfs_notify_port,
        };
        let cli = s.active_cli()?;
        cli.configure_nfs(&params).await.map_err(|e| weka_failed("ConfigureNfsFailed", e))
    })
}

/// `EnsureNfsIpRanges`: the interface group's IPs are exactly `spec.nfs.ipRanges`; condition
/// `NfsIpRangesConfigured` carries the applied ranges so that unchanged ones are skipped.
pub fn ensure_nfs_ip_ranges(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let mut ranges =
            s.cluster.spec.nfs.as_ref().and_then(|n| n.ip_ranges.clone()).unwrap_or_default();
        ranges.sort();
        let applied = if ranges.is_empty() { "empty".to_string() } else { ranges.join(",") };
        if s.condition(cond::NFS_IP_RANGES_CONFIGURED)
            .is_some_and(|c| c.status == "True" && c.message == applied)
        {
            return Ok(());
        }
        let cli = s.active_cli()?;
        let result = cli.ensure_nfs_ip_ranges(NFS_INTERFACE_GROUP, &ranges).await;
        let desired = match &result {
            Ok(()) => {
                Desired::new(cond::NFS_IP_RANGES_CONFIGURED, Status::True, "Configured", applied)
            }
            Err(err) => Desired::new(
                cond::NFS_IP_RANGES_CONFIGURED,
                Status::False,
                "ConfigurationFailed",
                err.to_string(),
            ),
        };
        if s.set_condition_now(desired) {
            s.persist_status().await?;
        }
        result.map_err(|e| weka_failed("NfsIpRangesFailed", e))
    })
}

/// `EnsureDataServicesGlobalConfig`: `weka dataservice global-config set --config-fs .config_fs`.
pub fn ensure_data_services(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let cli = s.active_cli()?;
        cli.configure_data_services().await.map_err(|e| weka_failed("DataServicesConfigFailed", e))
    })
}

/// `configureWekaHome`: with an endpoint (the spec's, else the operator's), WEKA Home is
/// enabled in an active drive container and WEKA gets the "provisioned" custom event.
pub fn configure_weka_home(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let config = &s.ctx.config.weka_home;
        let spec = s.cluster.spec.weka_home.clone().unwrap_or_default();
        let endpoint = spec
            .endpoint
            .clone()
            .filter(|e| !e.is_empty())
            .unwrap_or_else(|| config.endpoint.clone());
        if endpoint.is_empty() {
            return Ok(());
        }
        let home = WekaHome {
            endpoint,
            enable_stats: spec.enable_stats.unwrap_or(config.enable_stats),
            allow_insecure: spec.allow_insecure.unwrap_or(config.insecure),
            custom_ca_cert: spec.cacert_secret.as_deref().is_some_and(|c| !c.is_empty())
                || !config.cacert_secret.is_empty(),
            proxy: Some(s.ctx.config.pods.proxy.clone()).filter(|p| !p.is_empty()),
        };
        let cli = s.active_cli_with_role(ContainerMode::Drive)?;
        cli.set_weka_home(&home).await.map_err(|e| weka_failed("WekaHomeFailed", e))?;
        let k8s = s.ctx.client.apiserver_version().await.map(|v| v.git_version).unwrap_or_default();
        let version = s.ctx.config.identity.version.clone();
        if let Err(err) =
            cli.emit_custom_event("Weka cluster provisioned successfully", &version, &k8s).await
        {
            tracing::warn!(error = %err, "cannot emit the WEKA custom event");
        }
        Ok(())
    })
}

/// `MarkAsReady`: status `Ready`, trace IDs cleared.
pub fn mark_as_ready(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let status = s.status_mut();
        status.trace_id = None;
        status.span_id = None;
        s.update_status(WekaClusterStatus::READY).await?;
        s.persist_status().await?;
        s.event(EventType::Normal, "ClusterReady", "the WEKA cluster is ready").await;
        Ok(())
    })
}
