//! Cloud NICs (AWS, and OCI when enabled): the node lists its WEKA NICs in
//! `weka.io/weka-nics`; each backend or client container gets one per core, recorded in the
//! node's `weka.io/allocations` (`{"<namespace>/<name>": {"nics": [mac...]}}`), and passes
//! them to WEKA as `netDevices` in `resources.json` (`aws_<mac>/<ip>/<mask>/<gateway>`).
//!
//! The node annotation is written with a patch guarded by the node's resourceVersion; a
//! conflict is a short wait and the step runs again on fresh data.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use k8s_openapi::api::core::v1::Node;
use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt};
use serde::{Deserialize, Serialize};
use serde_json::json;
use weka_api::constants::annotations::WEKA_NICS;
use weka_api::wekacontainer::ContainerMode;

use crate::controllers::container::state::{ContainerState, api_error};
use crate::engine::{StepError, StepFuture};
use crate::pod::ModeTraits;

/// The node annotation holding which container has which NICs.
pub const ALLOCATIONS: &str = "weka.io/allocations";

/// One entry of `weka.io/weka-nics`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Nic {
    pub mac_address: String,
    pub primary_ip: String,
    pub subnet_cidr_block: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct NicAllocation {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    nics: Vec<String>,
}

type Allocations = BTreeMap<String, NicAllocation>;

/// `aws_` or `oci_` when the node is a cloud instance whose NICs the operator hands out.
fn nic_prefix(s: &ContainerState, node: &Node) -> Option<&'static str> {
    let provider = node.spec.as_ref().and_then(|sp| sp.provider_id.as_deref()).unwrap_or_default();
    if provider.starts_with("aws://") {
        Some("aws_")
    } else if provider.starts_with("ocid1.") && s.ctx.config.pods.oke_enable_nics_allocation {
        Some("oci_")
    } else {
        None
    }
}

fn uses_explicit_devices(s: &ContainerState) -> bool {
    let network = s.spec().network.clone().unwrap_or_default();
    network.eth_device.as_deref().is_some_and(|d| !d.is_empty())
        || network.eth_devices.as_ref().is_some_and(|d| !d.is_empty())
        || network.device_subnets.as_ref().is_some_and(|d| !d.is_empty())
}

fn udp_mode(s: &ContainerState) -> bool {
    s.spec().network.as_ref().and_then(|n| n.udp_mode) == Some(true)
}

fn identifier(s: &ContainerState) -> String {
    format!("{}/{}", s.namespace(), s.name())
}

fn allocations_of(node: &Node) -> Result<Allocations, String> {
    match node.annotations().get(ALLOCATIONS) {
        None => Ok(Allocations::new()),
        Some(text) => {
            serde_json::from_str(text).map_err(|e| format!("{ALLOCATIONS} is not valid: {e}"))
        }
    }
}

/// Upstream's `ShouldAllocateNICs`: a backend or client on a cloud node, without explicit
/// devices or UDP mode, not being deleted, with fewer NICs than cores recorded.
pub fn should_allocate_nics(s: &ContainerState) -> bool {
    let Some(node) = s.node.as_deref() else { return false };
    if !(s.mode().is_backend() || s.mode() == ContainerMode::Client)
        || uses_explicit_devices(s)
        || udp_mode(s)
        || s.is_marked_for_deletion()
        || nic_prefix(s, node).is_none()
    {
        return false;
    }
    match allocations_of(node) {
        Err(_) => true,
        Ok(allocations) => {
            let held = allocations.get(&identifier(s)).map_or(0, |a| a.nics.len());
            (held as weka_api::common::GoInt) < s.spec().num_cores
        }
    }
}

/// `AllocateNICs`: free NICs of the node (by MAC) up to one per core.
pub fn allocate_nics(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let Some(node) = s.node.clone() else { return Ok(()) };
        let node_name = node.name_any();
        let nodes: Api<Node> = Api::all(s.ctx.client.clone());
        let node = nodes
            .get(&node_name)
            .await
            .map_err(|e| api_error("NodeReadFailed", "read the node", e))?;
        let Some(text) = node.annotations().get(WEKA_NICS) else {
            return Err(StepError::failed(
                "AllocateNICsError",
                format!(
                    "node {node_name} has no {WEKA_NICS} annotation, but the container needs cloud NICs"
                ),
            ));
        };
        let nics: Vec<Nic> = serde_json::from_str(text).map_err(|e| {
            StepError::failed("AllocateNICsError", format!("{WEKA_NICS} is not valid: {e}"))
        })?;
        let mut allocations =
            allocations_of(&node).map_err(|e| StepError::failed("AllocateNICsError", e))?;
        let taken: BTreeSet<String> =
            allocations.values().flat_map(|a| a.nics.iter().cloned()).collect();
        let key = identifier(s);
        let mine = allocations.entry(key).or_default();
        let wanted = usize::try_from(s.spec().num_cores).unwrap_or(0);
        if mine.nics.len() >= wanted {
            return Ok(());
        }
        let free = nics.iter().map(|n| &n.mac_address).filter(|mac| !taken.contains(*mac));
        let missing = wanted - mine.nics.len();
        mine.nics.extend(free.take(missing).cloned());
        tracing::info!(nics = ?mine.nics, "allocating cloud NICs");
        let body = json!({
            "metadata": {
                "resourceVersion": node.resource_version(),
                "annotations": {ALLOCATIONS: serde_json::to_string(&allocations).unwrap_or_default()},
            }
        });
        nodes
            .patch(&node_name, &PatchParams::default(), &Patch::Merge(&body))
            .await
            .map_err(|e| api_error("AllocateNICsError", "record the NICs on the node", e))?;
        Ok(())
    })
}

/// Upstream's `GetNetDevices`: the devices WEKA uses, as `resources.json` lists them.
/// `None` when WEKA finds them itself (selectors, subnets) or uses the spec's devices.
pub fn net_devices(s: &ContainerState) -> Result<Option<Vec<String>>, StepError> {
    let network = s.spec().network.clone().unwrap_or_default();
    if network.selectors.as_ref().is_some_and(|v| !v.is_empty())
        || network.device_subnets.as_ref().is_some_and(|v| !v.is_empty())
    {
        return Ok(None);
    }
    if let Some(device) = network.eth_device.filter(|d| !d.is_empty()) {
        return Ok(Some(vec![device]));
    }
    if let Some(devices) = network.eth_devices.filter(|d| !d.is_empty()) {
        return Ok(Some(devices));
    }
    let Some(node) = s.node.as_deref() else { return Ok(None) };
    let Some(prefix) = nic_prefix(s, node) else { return Ok(None) };
    if udp_mode(s) {
        return Ok(None);
    }
    let bad = |message: String| StepError::failed("NetDevicesError", message);
    let nics: Vec<Nic> = node
        .annotations()
        .get(WEKA_NICS)
        .map(|t| serde_json::from_str(t))
        .transpose()
        .map_err(|e| bad(format!("{WEKA_NICS} is not valid: {e}")))?
        .ok_or_else(|| bad(format!("node has no {WEKA_NICS} annotation")))?;
    let allocations = allocations_of(node).map_err(bad)?;
    let key = identifier(s);
    let mut devices = Vec::new();
    for mac in allocations.get(&key).map(|a| a.nics.as_slice()).unwrap_or_default() {
        let nic = nics
            .iter()
            .find(|n| &n.mac_address == mac)
            .ok_or_else(|| bad(format!("NIC {mac} is not among the node's WEKA NICs")))?;
        devices.push(format!("{prefix}{}", device_of(nic).map_err(bad)?));
    }
    if devices.is_empty() {
        return Err(StepError::wait(
            "NicsNotAllocated",
            format!("no NICs are allocated to {key} yet"),
        ));
    }
    Ok(Some(devices))
}

/// `<mac>/<ip>/<mask bits>/<gateway>`; the gateway is the subnet's first address (AWS).
fn device_of(nic: &Nic) -> Result<String, String> {
    let (network, bits) = nic
        .subnet_cidr_block
        .split_once('/')
        .ok_or_else(|| format!("NIC {} has no CIDR subnet", nic.mac_address))?;
    let network: Ipv4Addr =
        network.parse().map_err(|_| format!("{} is not an IPv4 subnet", nic.subnet_cidr_block))?;
    let bits: u32 =
        bits.parse().map_err(|_| format!("{} is not an IPv4 subnet", nic.subnet_cidr_block))?;
    let gateway = Ipv4Addr::from(u32::from(network).wrapping_add(1));
    Ok(format!("{}/{}/{bits}/{gateway}", nic.mac_address, nic.primary_ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nic_device_names_mac_ip_mask_and_the_subnets_first_address() {
        let nic = Nic {
            mac_address: "0a:1b".into(),
            primary_ip: "10.0.1.17".into(),
            subnet_cidr_block: "10.0.1.0/24".into(),
        };
        assert_eq!(device_of(&nic).unwrap(), "0a:1b/10.0.1.17/24/10.0.1.1");
        let bad = Nic { subnet_cidr_block: "nope".into(), ..nic };
        assert!(device_of(&bad).is_err());
    }
}
