//! The Node objects `--nodes N` registers at start: Ready, with capacity and the usual labels.
//! Only objects: the scheduler and kubelets that act on them live in `nodes` (the nodes issue).

use serde_json::{Value, json};

/// The Node object of the `index`-th simulated node (1-based), named `node-INDEX`.
pub fn node(index: usize) -> Value {
    let name = format!("node-{index}");
    let now = crate::store::object::now_timestamp();
    let capacity = json!({"cpu": "16", "memory": "65536Mi", "hugepages-2Mi": "8Gi",
                          "hugepages-1Gi": "0", "ephemeral-storage": "100Gi", "pods": "110"});
    let condition = |kind: &str, status: &str, reason: &str, message: &str| {
        json!({"type": kind, "status": status, "lastHeartbeatTime": now,
               "lastTransitionTime": now, "reason": reason, "message": message})
    };
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "beta.kubernetes.io/os": "linux",
                "beta.kubernetes.io/arch": "amd64",
                "node.kubernetes.io/instance-type": "kubesim",
                "topology.kubernetes.io/zone": format!("zone-{}", (index - 1) % 3 + 1),
            },
        },
        "spec": {"podCIDR": format!("10.244.{index}.0/24"), "podCIDRs": [format!("10.244.{index}.0/24")]},
        "status": {
            "capacity": capacity,
            "allocatable": capacity,
            "conditions": [
                condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
            ],
            "addresses": [
                {"type": "InternalIP", "address": format!("10.0.0.{index}")},
                {"type": "Hostname", "address": name},
            ],
            "nodeInfo": {
                "machineID": format!("{index:032x}"), "systemUUID": format!("{index:032x}"),
                "bootID": format!("{index:032x}"), "kernelVersion": "6.1.0-kubesim",
                "osImage": "kubesim", "containerRuntimeVersion": "kubesim://1.0",
                "kubeletVersion": crate::discovery::GIT_VERSION,
                "kubeProxyVersion": crate::discovery::GIT_VERSION,
                "operatingSystem": "linux", "architecture": "amd64",
            },
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        },
    })
}
