//! What a pod asks of a node: resource requests (as the scheduler sums them: containers added
//! up, init containers as a maximum, sidecars added, overhead on top) and host ports.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, Node, Pod, PodSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use crate::nodes::quantity::parse_milli;

/// Resource name -> amount in milli-units.
pub type Resources = BTreeMap<String, i128>;

/// What scoring assumes for a container that requests no cpu / memory (upstream's
/// `DefaultMilliCPURequest` and `DefaultMemoryRequest`).
pub const DEFAULT_CPU_MILLI: i128 = 100;
pub const DEFAULT_MEMORY_MILLI: i128 = 200 * 1024 * 1024 * 1000;

/// A container's requests; a resource with a limit but no request requests its limit (the API
/// server defaults it so).
pub fn container_requests(container: &Container) -> Resources {
    let mut out = Resources::new();
    let resources = container.resources.as_ref();
    let limits = resources.and_then(|r| r.limits.as_ref());
    let requests = resources.and_then(|r| r.requests.as_ref());
    for (name, quantity) in limits.into_iter().flatten() {
        out.insert(name.clone(), milli(quantity));
    }
    for (name, quantity) in requests.into_iter().flatten() {
        out.insert(name.clone(), milli(quantity));
    }
    out
}

fn milli(q: &Quantity) -> i128 {
    parse_milli(&q.0).unwrap_or(0)
}

fn add(into: &mut Resources, from: &Resources) {
    for (k, v) in from {
        *into.entry(k.clone()).or_default() += v;
    }
}

fn max_into(into: &mut Resources, from: &Resources) {
    for (k, v) in from {
        let entry = into.entry(k.clone()).or_default();
        *entry = (*entry).max(*v);
    }
}

fn is_sidecar(c: &Container) -> bool {
    c.restart_policy.as_deref() == Some("Always")
}

/// The pod's effective requests, with `nonzero` replacing absent cpu / memory requests of each
/// container by the scoring defaults.
pub fn pod_requests(spec: &PodSpec, nonzero: bool) -> Resources {
    let of = |c: &Container| {
        let mut r = container_requests(c);
        if nonzero {
            let cpu = r.entry("cpu".into()).or_default();
            if *cpu == 0 {
                *cpu = DEFAULT_CPU_MILLI;
            }
            let memory = r.entry("memory".into()).or_default();
            if *memory == 0 {
                *memory = DEFAULT_MEMORY_MILLI;
            }
        }
        r
    };
    let mut total = Resources::new();
    for c in &spec.containers {
        add(&mut total, &of(c));
    }
    let mut sidecars = Resources::new();
    let mut init_peak = Resources::new();
    for c in spec.init_containers.iter().flatten() {
        let r = of(c);
        if is_sidecar(c) {
            add(&mut sidecars, &r);
            max_into(&mut init_peak, &sidecars);
        } else {
            let mut during = sidecars.clone();
            add(&mut during, &r);
            max_into(&mut init_peak, &during);
        }
    }
    add(&mut total, &sidecars);
    max_into(&mut total, &init_peak);
    for (name, quantity) in spec.overhead.iter().flatten() {
        *total.entry(name.clone()).or_default() += milli(quantity);
    }
    total.retain(|_, v| *v != 0);
    total
}

/// The node's allocatable resources.
pub fn allocatable(node: &Node) -> Resources {
    node.status
        .as_ref()
        .and_then(|s| s.allocatable.as_ref())
        .into_iter()
        .flatten()
        .map(|(k, q)| (k.clone(), milli(q)))
        .collect()
}

/// A host port a pod occupies: (host IP, protocol, port).
pub type HostPort = (String, String, i32);

/// The host ports of a pod; for a hostNetwork pod every container port is a host port.
pub fn host_ports(spec: &PodSpec) -> Vec<HostPort> {
    let host_network = spec.host_network.unwrap_or(false);
    let mut out = Vec::new();
    for c in spec.containers.iter().chain(spec.init_containers.iter().flatten()) {
        for p in c.ports.iter().flatten() {
            let port = match p.host_port {
                Some(port) if port > 0 => port,
                _ if host_network => p.container_port,
                _ => continue,
            };
            let ip = p.host_ip.clone().filter(|ip| !ip.is_empty());
            let protocol = p.protocol.clone().filter(|p| !p.is_empty());
            out.push((
                ip.unwrap_or_else(|| "0.0.0.0".into()),
                protocol.unwrap_or_else(|| "TCP".into()),
                port,
            ));
        }
    }
    out
}

/// Whether a wanted host port clashes with one in use (0.0.0.0 clashes with every address).
pub fn ports_conflict(wanted: &HostPort, used: &HostPort) -> bool {
    wanted.1 == used.1
        && wanted.2 == used.2
        && (wanted.0 == used.0 || wanted.0 == "0.0.0.0" || used.0 == "0.0.0.0")
}

/// The pod's priority (`spec.priority`, set by admission from its PriorityClass), default 0.
pub fn priority(pod: &Pod) -> i32 {
    pod.spec.as_ref().and_then(|s| s.priority).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{ContainerPort, ResourceRequirements};

    fn container(name: &str, requests: &[(&str, &str)], limits: &[(&str, &str)]) -> Container {
        let list = |pairs: &[(&str, &str)]| {
            (!pairs.is_empty()).then(|| {
                pairs.iter().map(|(k, v)| (k.to_string(), Quantity(v.to_string()))).collect()
            })
        };
        Container {
            name: name.into(),
            resources: Some(ResourceRequirements {
                requests: list(requests),
                limits: list(limits),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn containers_add_up_and_init_containers_count_as_a_maximum() {
        let spec = PodSpec {
            containers: vec![
                container("a", &[("cpu", "500m")], &[]),
                container("b", &[("cpu", "250m")], &[("hugepages-2Mi", "1Gi")]),
            ],
            init_containers: Some(vec![container("init", &[("cpu", "2")], &[])]),
            ..Default::default()
        };
        let r = pod_requests(&spec, false);
        assert_eq!(r["cpu"], 2000);
        assert_eq!(r["hugepages-2Mi"], (1 << 30) * 1000);
        assert!(!r.contains_key("memory"));
        let nonzero = pod_requests(&spec, true);
        assert_eq!(nonzero["memory"], 2 * DEFAULT_MEMORY_MILLI);
    }

    #[test]
    fn sidecars_add_to_the_containers() {
        let mut sidecar = container("proxy", &[("cpu", "1")], &[]);
        sidecar.restart_policy = Some("Always".into());
        let spec = PodSpec {
            containers: vec![container("a", &[("cpu", "1")], &[])],
            init_containers: Some(vec![sidecar]),
            ..Default::default()
        };
        assert_eq!(pod_requests(&spec, false)["cpu"], 2000);
    }

    #[test]
    fn host_network_pods_occupy_their_container_ports() {
        let mut c = container("a", &[], &[]);
        c.ports = Some(vec![ContainerPort { container_port: 14000, ..Default::default() }]);
        let mut spec = PodSpec { containers: vec![c], ..Default::default() };
        assert!(host_ports(&spec).is_empty());
        spec.host_network = Some(true);
        let ports = host_ports(&spec);
        assert_eq!(ports, vec![("0.0.0.0".into(), "TCP".into(), 14000)]);
        assert!(ports_conflict(&ports[0], &("10.0.0.1".into(), "TCP".into(), 14000)));
        assert!(!ports_conflict(&ports[0], &("0.0.0.0".into(), "UDP".into(), 14000)));
    }
}
