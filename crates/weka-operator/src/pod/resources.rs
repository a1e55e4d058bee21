//! CPU, memory, ephemeral storage and extended resources of the main container (upstream
//! `setResources`).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ResourceRequirements;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use weka_api::common::{CpuPolicy, DriveTypesRatio, PodResourcesSpec};
use weka_api::constants::resources as extended;
use weka_api::wekacontainer::{ContainerMode, WekaContainerSpec};

use super::context::NodeInfo;
use super::error::PodBuildError;
use super::input::Input;
use super::mode_traits::{ModeTraits, uses_drive_sharing};
use super::profile::{CpuRule, MemoryRule};
use super::quantity;

/// A CPU policy after `auto` is resolved for the node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResolvedCpuPolicy {
    DedicatedHt,
    Dedicated,
    Manual,
    Shared,
}

/// The resolved CPU policy and what the runtime is told about cores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpuPlan {
    pub policy: ResolvedCpuPolicy,
    /// `CORE_IDS`: `auto` for dedicated policies, the listed IDs for manual, none for shared.
    pub core_ids: Option<String>,
}

/// Resolves `spec.cpuPolicy` (default `auto`). `auto` with `spec.coreIds` becomes manual:
/// upstream computes that and then overwrites it with the hyper-threading choice, silently
/// ignoring the IDs; the spec asks to honour them.
pub fn resolve_cpu_policy(spec: &WekaContainerSpec, node: &NodeInfo) -> ResolvedCpuPolicy {
    let has_core_ids = spec.core_ids.as_ref().is_some_and(|ids| !ids.is_empty());
    match spec.cpu_policy.unwrap_or_default() {
        CpuPolicy::Auto if has_core_ids => ResolvedCpuPolicy::Manual,
        CpuPolicy::Auto if node.is_ht => ResolvedCpuPolicy::DedicatedHt,
        CpuPolicy::Auto => ResolvedCpuPolicy::Dedicated,
        CpuPolicy::DedicatedHt => ResolvedCpuPolicy::DedicatedHt,
        CpuPolicy::Dedicated => ResolvedCpuPolicy::Dedicated,
        CpuPolicy::Manual => ResolvedCpuPolicy::Manual,
        CpuPolicy::Shared => ResolvedCpuPolicy::Shared,
    }
}

pub fn cpu_plan(spec: &WekaContainerSpec, node: &NodeInfo) -> Result<CpuPlan, PodBuildError> {
    let policy = resolve_cpu_policy(spec, node);
    let core_ids = match policy {
        ResolvedCpuPolicy::DedicatedHt | ResolvedCpuPolicy::Dedicated => Some("auto".to_string()),
        ResolvedCpuPolicy::Shared => None,
        ResolvedCpuPolicy::Manual => {
            let ids = spec.core_ids.as_deref().unwrap_or_default();
            if ids.is_empty() {
                return Err(PodBuildError::invalid(
                    "spec.coreIds",
                    "CPU policy manual is not supported without coreIds",
                ));
            }
            let ids: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
            Some(ids.join(","))
        }
    };
    Ok(CpuPlan { policy, core_ids })
}

/// The container's cores, with `extraCores` for the modes that count them.
pub fn total_cores(input: &Input) -> i64 {
    let extra = if input.profile.counts_extra_cores {
        input.spec.extra_cores.unwrap_or(0) as i64
    } else {
        0
    };
    input.spec.num_cores as i64 + extra
}

/// CPU request and limit; None leaves the value out.
pub fn cpu(input: &Input) -> (Option<String>, Option<String>) {
    let rule = input.profile.cpu;
    if let CpuRule::Fixed { request, limit } = rule {
        return (Some(request.to_string()), limit.map(str::to_string));
    }
    let total = total_cores(input);
    let extra = total - input.spec.num_cores as i64;
    let cores_only = rule == CpuRule::CoresOnly;
    let dedicated = |cores: i64| (Some(cores.to_string()), Some(cores.to_string()));
    let from_spec = || {
        (
            spec_quantity(input, |r| r.requests.as_ref()?.cpu.as_ref()),
            spec_quantity(input, |r| r.limits.as_ref()?.cpu.as_ref()),
        )
    };
    match input.cpu.policy {
        ResolvedCpuPolicy::DedicatedHt if cores_only => dedicated(total),
        // Extra cores are not doubled: they run no hyper-threaded WEKA process.
        ResolvedCpuPolicy::DedicatedHt => dedicated(2 * total + 1 - extra),
        ResolvedCpuPolicy::Dedicated if cores_only => dedicated(total),
        ResolvedCpuPolicy::Dedicated => dedicated(total + 1),
        ResolvedCpuPolicy::Manual if from_spec().1.is_none() => {
            (Some(format!("{}m", 1000 * total + 100)), Some(format!("{}m", 1000 * (total + 1))))
        }
        ResolvedCpuPolicy::Manual | ResolvedCpuPolicy::Shared => from_spec(),
    }
}

/// Memory request and limit (the limit equals the request unless the mode says otherwise).
pub fn memory(input: &Input) -> (String, String) {
    let spec = input.spec;
    let additional = spec.additional_memory.unwrap_or(0) as i64;
    let cores = total_cores(input);
    let num_cores = spec.num_cores as i64;
    let mib = |value: i64| format!("{value}Mi");
    let (request, limit) = match input.profile.memory {
        MemoryRule::Fixed { request, limit } => (request.to_string(), limit.map(str::to_string)),
        MemoryRule::Client => {
            match spec_quantity(input, |r| r.requests.as_ref()?.memory.as_ref()) {
                // Upstream takes the limit as written, "0" when unset, which the API server
                // rejects (limit below request); an unset limit follows the request instead.
                Some(request) => {
                    (request, spec_quantity(input, |r| r.limits.as_ref()?.memory.as_ref()))
                }
                None => (mib(2000 + 1965 + 3050 * cores + additional), None),
            }
        }
        MemoryRule::Drive => {
            let drives = spec.num_drives.unwrap_or(0) as i64;
            (mib(4000 + 4000 + 3000 * cores + 700 * drives + additional), None)
        }
        MemoryRule::Compute => (mib(4000 + 2700 + 5200 * cores + additional), None),
        MemoryRule::Protocol => (mib(450 + 2450 + 16000 + 3050 * num_cores + additional), None),
        MemoryRule::DataServices => (mib(450 + 1965 + 3584 + 512 * num_cores + additional), None),
        MemoryRule::Envoy => (mib(1024 + additional), Some(mib(1024 + additional + 8192))),
    };
    let limit = limit.unwrap_or_else(|| request.clone());
    (request, limit)
}

/// Ephemeral storage: the agent's logs loop needs 2Gi when nothing persists on the host, a
/// WEKA process 3.5Gi.
pub fn ephemeral_storage(mode: ContainerMode) -> &'static str {
    if mode.has_agent() && !mode.has_persistent_storage() {
        if mode.is_weka_container() { "3.5Gi" } else { "2Gi" }
    } else {
        "100Mi"
    }
}

/// Drives as device-plugin resources: whole drives, or shared capacity (GiB) split by type.
pub fn drive_resources(input: &Input) -> Vec<(&'static str, i64)> {
    let spec = input.spec;
    if input.mode != ContainerMode::Drive {
        return Vec::new();
    }
    let num_drives = spec.num_drives.unwrap_or(0) as i64;
    if !uses_drive_sharing(input.container) {
        return vec![(extended::DRIVES, num_drives)];
    }
    let container_capacity = spec.container_capacity.unwrap_or(0) as i64;
    if container_capacity <= 0 {
        let capacity = num_drives * spec.drive_capacity.unwrap_or(0) as i64;
        return vec![(extended::SHARED_DRIVES_CAPACITY, capacity)];
    }
    let (tlc, qlc) = split_capacity(container_capacity, spec.drive_types_ratio.as_ref());
    [(extended::SHARED_DRIVES_CAPACITY, tlc), (extended::SHARED_DRIVES_CAPACITY_QLC, qlc)]
        .into_iter()
        .filter(|(_, gib)| *gib > 0)
        .collect()
}

/// Splits capacity into TLC and QLC by ratio; the rounding remainder goes to QLC; no ratio
/// means all TLC (upstream `GetTlcQlcCapacity`).
pub fn split_capacity(total: i64, ratio: Option<&DriveTypesRatio>) -> (i64, i64) {
    let Some(ratio) = ratio.filter(|r| r.tlc + r.qlc > 0) else {
        return (total, 0);
    };
    let tlc = total * ratio.tlc as i64 / (ratio.tlc + ratio.qlc) as i64;
    (tlc, total - tlc)
}

/// `weka.io/nics` when the node's NICs come from the device plugin, for pods that run a WEKA
/// process over DPDK. Ad-hoc pods are skipped: upstream writes into their absent limits map.
pub fn nic_resources(input: &Input) -> Option<(&'static str, i64)> {
    let wanted = input.ctx.node.should_request_nics(input.settings)
        && !input.udp_mode()
        && !input.mode.is_drivers()
        && !input.mode.is_adhoc();
    wanted.then_some(("weka.io/nics", input.spec.num_cores as i64))
}

/// The main container's requests and limits.
pub fn requirements(input: &Input) -> Result<ResourceRequirements, PodBuildError> {
    let (cpu_request, cpu_limit) = cpu(input);
    let (memory_request, memory_limit) = memory(input);
    let quantity = |value: String| Quantity(value);
    let mut requests = BTreeMap::from([
        ("memory".to_string(), quantity(memory_request)),
        ("ephemeral-storage".to_string(), quantity(ephemeral_storage(input.mode).to_string())),
    ]);
    requests.extend(cpu_request.map(|cpu| ("cpu".to_string(), quantity(cpu))));
    if input.mode.is_adhoc() {
        // Ad-hoc pods run no WEKA process: requests only, no hugepages, drives or NICs.
        return Ok(ResourceRequirements { requests: Some(requests), limits: None, claims: None });
    }
    let mut limits = BTreeMap::from([("memory".to_string(), quantity(memory_limit))]);
    limits.extend(cpu_limit.map(|cpu| ("cpu".to_string(), quantity(cpu))));
    // Hugepages (present even when zero) and device-plugin resources: request = limit.
    let hugepages = (input.hugepages.resource_name(), input.hugepages.quantity.clone());
    let devices = drive_resources(input)
        .into_iter()
        .chain(nic_resources(input))
        .map(|(name, count)| (name.to_string(), count.to_string()));
    for (name, value) in std::iter::once(hugepages).chain(devices) {
        requests.insert(name.clone(), quantity(value.clone()));
        limits.insert(name, quantity(value));
    }
    check_requests_within_limits(&requests, &limits)?;
    Ok(ResourceRequirements { requests: Some(requests), limits: Some(limits), claims: None })
}

/// The API server rejects a request above its limit; say which one instead.
fn check_requests_within_limits(
    requests: &BTreeMap<String, Quantity>,
    limits: &BTreeMap<String, Quantity>,
) -> Result<(), PodBuildError> {
    for (name, request) in requests {
        let Some(limit) = limits.get(name) else { continue };
        if quantity::compare(request, limit) == Some(Ordering::Greater) {
            return Err(PodBuildError::invalid(
                "spec.resources",
                format!("{name} request {} is above its limit {}", request.0, limit.0),
            ));
        }
    }
    Ok(())
}

/// A non-zero quantity of `spec.resources`.
fn spec_quantity(
    input: &Input,
    pick: impl Fn(&PodResourcesSpec) -> Option<&Quantity>,
) -> Option<String> {
    let resources = input.spec.resources.as_ref()?;
    pick(resources).filter(|q| !quantity::is_zero(q)).map(|q| q.0.clone())
}
