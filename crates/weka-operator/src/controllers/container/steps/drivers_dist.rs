//! Drivers built by a drivers-builder container, moved into the dist container that serves
//! them to the drivers loaders (`spec.uploadResultsTo`), and checked periodically to still be
//! downloadable from there (upstream `UploadBuiltDrivers`, `uploadedDriversPeriodicCheck`,
//! `updateDriversBuilderStatus`). The commands run in the dist container's pod.

use std::time::Duration;

use kube::Api;
use kube::runtime::events::EventType;
use weka_api::WekaContainer;
use weka_api::wekacontainer::WekaContainerStatus;

use crate::controllers::container::state::{ContainerState, api_error};
use crate::engine::{StepError, StepFuture};
use crate::weka::dist::DriversBuildResult;
use crate::weka::{ExecTarget, WekaCli, WekaError};

/// The dist container named by `spec.uploadResultsTo` (same namespace), and its CLI. Without
/// one the builder's spec is incomplete (a Warning and a wait for the spec to change); a
/// target that does not exist yet is waited for.
async fn target_cli(s: &mut ContainerState) -> Result<WekaCli, StepError> {
    let Some(target) = s.spec().upload_results_to.clone().filter(|t| !t.is_empty()) else {
        let message = "spec.uploadResultsTo is not set: the built drivers have nowhere to go";
        s.warn("UploadResultsToNotSet", message).await;
        s.needs_spec_change = true;
        return Err(StepError::wait("UploadResultsToNotSet", message));
    };
    let api: Api<WekaContainer> = Api::namespaced(s.ctx.client.clone(), s.namespace());
    let found = api
        .get_opt(&target)
        .await
        .map_err(|e| api_error("DistContainerReadFailed", "read the target dist container", e))?;
    if found.is_none() {
        return Err(StepError::poll(
            "DistContainerNotFound",
            format!("the target dist container {target} does not exist"),
            Duration::from_secs(30),
        ));
    }
    Ok(s.cli().for_target(ExecTarget::weka(s.namespace(), target)))
}

fn parse(result: &str) -> Result<DriversBuildResult, StepError> {
    serde_json::from_str(result).map_err(|e| {
        StepError::failed("BuildResultInvalid", format!("builder result does not parse: {e}"))
    })
}

/// The builder's port: its allocated weka port, else `spec.port`.
fn builder_port(s: &ContainerState) -> Option<u16> {
    let allocated = s.status().allocations.as_ref().and_then(|a| a.weka_port).filter(|p| *p > 0);
    allocated.or(s.spec().port).and_then(|p| u16::try_from(p).ok())
}

/// `UploadBuiltDrivers`: the dist container downloads what the builder built from the
/// builder's pod.
pub async fn upload_built_drivers(s: &mut ContainerState, result: &str) -> Result<(), StepError> {
    let cli = target_cli(s).await?;
    let ip =
        s.pod.as_ref().and_then(|p| p.status.as_ref()?.pod_ip.clone()).filter(|ip| !ip.is_empty());
    let ip = ip.ok_or_else(|| StepError::failed("BuilderIpNotSet", "Builder IP is not set"))?;
    let port = builder_port(s)
        .ok_or_else(|| StepError::failed("BuilderPortNotSet", "the builder has no port"))?;
    let built = parse(result)?;
    let failed = |e: WekaError| StepError::failed("UploadBuiltDriversError", e);
    if built.no_weka_drivers_handling {
        return cli.copy_legacy_drivers(&ip, port).await.map_err(failed);
    }
    let endpoint = format!("https://{ip}:{port}");
    if !built.weka_pack_not_supported {
        cli.download_weka_version(&built.weka_version, &endpoint).await.map_err(failed)?;
    }
    let signature = (!built.weka_pack_not_supported).then_some(built.kernel_signature.as_str());
    cli.download_drivers(&built.weka_version, Some(&endpoint), signature).await.map_err(failed)?;
    if built.weka_pack_not_supported {
        cli.fetch_drivers_checksum(&endpoint, &built.weka_version, &built.kernel_signature)
            .await
            .map_err(failed)?;
    }
    tracing::info!(version = %built.weka_version, signature = %built.kernel_signature, "built drivers uploaded");
    Ok(())
}

/// `uploadedDriversPeriodicCheck`: the dist container can still hand out the built drivers;
/// if it cannot, event `DriversRebuild` and the builder's status is cleared (it builds and
/// uploads again).
pub fn uploaded_drivers_periodic_check(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let Some(result) = s.status().result.clone() else { return Ok(()) };
        let built = parse(&result)?;
        let cli = target_cli(s).await?;
        match cli.download_drivers(&built.weka_version, None, Some(&built.kernel_signature)).await {
            Ok(()) => Ok(()),
            Err(err) if err.is_not_found() => {
                let message = "Cannot load drivers, trigger re-build and re-upload";
                tracing::info!(%message);
                s.event(EventType::Normal, "DriversRebuild", message).await;
                s.clear_status().await?;
                Err(StepError::failed("DriversRebuild", err))
            }
            Err(err) => Err(StepError::failed("UploadedDriversCheckFailed", err)),
        }
    })
}

/// `updateDriversBuilderStatus`: status `Building` until the results are processed.
pub fn update_drivers_builder_status(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(s.update_status(WekaContainerStatus::BUILDING))
}
