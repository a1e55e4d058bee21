//! The feature flags of a WEKA image (upstream `GetFeatureFlags`): what the image supports,
//! here needed for how a cluster's port range is cut up (60 or 100 ports per container).
//!
//! Read, in order, from `feature_flags.json` in this container's own pod, in the pod of a
//! running container that already applied the image, or else from a `feature-flags-update`
//! ad-hoc container (one per image, named by a hash of it, shared by every container that
//! asks; deleted by the first container that reads its result, else 30 s after its result
//! is processed by `cleanupFinishedOneOff`).
//!
//! Flags are remembered per image for the life of the process (upstream caches them the same
//! way): an image's flags never change, and losing the memory only means asking again.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use kube::ResourceExt;
use serde::Deserialize;
use serde_json::{Value, json};
use weka_api::constants::labels;
use weka_api::wekacontainer::{ContainerMode, WekaContainerStatus};

use super::helper_containers as helpers;
use super::{pod_is_running, weka_image_of};
use crate::allocator::PortLayout;
use crate::controllers::container::object::ContainerObject;
use crate::controllers::container::state::ContainerState;
use crate::engine::StepError;
use crate::pod::ModeTraits;
use crate::weka::ExecTarget;

/// The instruction an ad-hoc container answers with the image's feature flags.
pub const FEATURE_FLAGS_UPDATE: &str = "feature-flags-update";
/// Ports of ad-hoc operation containers: fixed, they do not use the host network.
const ADHOC_PORT: i64 = 60040;
const ADHOC_AGENT_PORT: i64 = 60039;

/// Flag name to value, as the runtime reports them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FeatureFlags(pub BTreeMap<String, Value>);

impl FeatureFlags {
    pub fn enabled(&self, flag: &str) -> bool {
        self.0.get(flag).and_then(Value::as_bool).unwrap_or(false)
    }

    /// How ports are cut up for this image.
    pub fn port_layout(&self) -> PortLayout {
        PortLayout::for_image(self.enabled("agent_validate_60_ports_per_container"))
    }
}

#[derive(Deserialize)]
struct AdhocResult {
    feature_flags: BTreeMap<String, Value>,
}

/// The name of the ad-hoc container that reads `image`'s flags: the same for every caller
/// and every operator version (a stable FNV-1a hash of the image, 12 hex digits).
pub fn adhoc_name(image: &str) -> String {
    let hash = image
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("weka-feature-flags-{:012x}", hash & 0xffff_ffff_ffff)
}

/// The feature flags of `image`; waits while the ad-hoc container works on them.
pub async fn image_feature_flags(
    s: &ContainerState,
    image: &str,
) -> Result<FeatureFlags, StepError> {
    let remembered = known().lock().unwrap_or_else(|p| p.into_inner()).get(image).cloned();
    if let Some(flags) = remembered {
        return Ok(flags);
    }
    let flags = match from_own_pod(s, image).await {
        Some(flags) => flags,
        None => match from_running_container(s, image).await {
            Some(flags) => flags,
            None => from_adhoc_container(s, image).await?,
        },
    };
    known().lock().unwrap_or_else(|p| p.into_inner()).insert(image.to_string(), flags.clone());
    Ok(flags)
}

/// Flags by image, as learned so far by this process.
fn known() -> &'static Mutex<BTreeMap<String, FeatureFlags>> {
    static KNOWN: OnceLock<Mutex<BTreeMap<String, FeatureFlags>>> = OnceLock::new();
    KNOWN.get_or_init(Mutex::default)
}

async fn from_own_pod(s: &ContainerState, image: &str) -> Option<FeatureFlags> {
    let pod = s.pod.as_deref()?;
    if !pod_is_running(pod) || weka_image_of(pod) != Some(image) {
        return None;
    }
    s.cli().feature_flags().await.ok().map(FeatureFlags)
}

async fn from_running_container(s: &ContainerState, image: &str) -> Option<FeatureFlags> {
    let store = s.ctx.reflectors.get::<ContainerObject>().store();
    let candidates: Vec<(String, String)> = store
        .state()
        .iter()
        .filter_map(|o| o.decode().ok())
        .filter(|c| c.spec.mode.should_join_cluster() || c.spec.mode == ContainerMode::Client)
        .filter(|c| {
            c.status.as_ref().is_some_and(|st| {
                st.status == WekaContainerStatus::RUNNING
                    && st.last_applied_image.as_deref() == Some(image)
            })
        })
        .map(|c| (c.namespace().unwrap_or_default(), c.name_any()))
        .take(3)
        .collect();
    for (namespace, name) in candidates {
        let cli = s.cli().for_target(ExecTarget::weka(namespace, name));
        if let Ok(flags) = cli.feature_flags().await {
            return Some(FeatureFlags(flags));
        }
    }
    None
}

async fn from_adhoc_container(s: &ContainerState, image: &str) -> Result<FeatureFlags, StepError> {
    let namespace = helpers::operator_namespace(s);
    let name = adhoc_name(image);
    let Some(adhoc) = helpers::get(s, &namespace, &name).await? else {
        let pull_secret = s.spec().image_pull_secret.clone();
        let helper = helpers::from_json(json!({
            "apiVersion": "weka.weka.io/v1alpha1",
            "kind": "WekaContainer",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "labels": {labels::MODE: ContainerMode::AdhocOpWithContainer.as_str()},
            },
            "spec": {
                "name": "adhoc",
                "mode": ContainerMode::AdhocOpWithContainer.as_str(),
                "image": image,
                "imagePullSecret": pull_secret,
                "port": ADHOC_PORT,
                "agentPort": ADHOC_AGENT_PORT,
                "numCores": 1,
                "instructions": {"type": FEATURE_FLAGS_UPDATE},
                "tolerations": s.spec().tolerations,
            },
        }))?;
        helpers::create(s, &helper).await?;
        return Err(pending(s, &name, "created"));
    };
    let Some(text) = helpers::result(&adhoc) else {
        return Err(pending(s, &name, "running"));
    };
    match serde_json::from_str::<AdhocResult>(text) {
        Ok(result) => {
            helpers::delete(s, &namespace, &name).await?;
            Ok(FeatureFlags(result.feature_flags))
        }
        Err(err) => {
            // A broken result is not retried by waiting: a new container is asked instead.
            helpers::delete(s, &namespace, &name).await?;
            Err(StepError::failed(
                "FeatureFlagsInvalid",
                format!("{name} reported no feature flags ({err})"),
            ))
        }
    }
}

fn pending(s: &ContainerState, name: &str, what: &str) -> StepError {
    helpers::wake_when_done(s, &helpers::operator_namespace(s), name);
    StepError::poll(
        "FeatureFlagsPending",
        format!("waiting for the image's feature flags from ad-hoc container {name} ({what})"),
        helpers::recheck(s, Duration::from_secs(10)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_adhoc_name_is_stable_per_image_and_a_valid_object_name() {
        let a = adhoc_name("quay.io/weka.io/weka-in-container:4.4.5");
        assert_eq!(a, adhoc_name("quay.io/weka.io/weka-in-container:4.4.5"));
        assert_ne!(a, adhoc_name("quay.io/weka.io/weka-in-container:4.4.6"));
        assert_eq!(a.len(), "weka-feature-flags-".len() + 12);
    }

    #[test]
    fn the_60_ports_flag_picks_the_reduced_layout() {
        let flags = FeatureFlags(BTreeMap::from([(
            "agent_validate_60_ports_per_container".to_string(),
            Value::Bool(true),
        )]));
        assert_eq!(flags.port_layout(), PortLayout::REDUCED);
        assert_eq!(FeatureFlags::default().port_layout(), PortLayout::DEFAULT);
    }
}
