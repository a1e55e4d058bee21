//! Golden pods of the data-path modes: backends, clients, protocol gateways and their helpers
//! that run a WEKA process (ssdproxy, envoy, telemetry). Each fixture is a WekaContainer as the
//! cluster or client controller creates it.

use insta::assert_yaml_snapshot;

use super::test_fixtures::{build, from_yaml, settings};
use super::{CloudProvider, NodeInfo, NodeOs};

fn aws_ht_node() -> NodeInfo {
    NodeInfo {
        os: NodeOs::Standard,
        is_ht: true,
        boot_id: "3f7b1c9e-5d2a-4e8f-9b61-7c0d2e4a1b3c".to_string(),
        init_container_image: None,
        provider: CloudProvider::Aws,
    }
}

fn plain_node() -> NodeInfo {
    NodeInfo { boot_id: "8d1e0c52-77aa-4b1f-a3c4-5e6f70819202".to_string(), ..NodeInfo::default() }
}

/// Metadata and spec fields every cluster container carries.
const CLUSTER_OWNED: &str = "
  namespace: weka
  labels:
    app.kubernetes.io/component: weka-cluster
    weka.io/cluster-name: cluster-a
  annotations:
    weka.io/cluster-spec-hash: 9f2c41
  ownerReferences:
  - apiVersion: weka.weka.io/v1alpha1
    kind: WekaCluster
    name: cluster-a
    uid: 6a1e8f2c-1111-4c8e-9d61-0a1b2c3d4e5f
    controller: true
    blockOwnerDeletion: true";

const CLUSTER_SPEC: &str = "
  image: quay.io/weka.io/weka-in-container:4.4.5.118-k8s.4
  imagePullSecret: quay-io-robot-secret
  driversDistService: https://weka-drivers-dist.weka-operator-system.svc.cluster.local:60002
  wekaSecretRef:
    secretKeyRef:
      key: weka-operator-cluster-a
  nodeSelector:
    weka.io/supports-backends: \"true\"
  tolerations:
  - key: weka.io/dedicated
    operator: Exists
    effect: NoSchedule
  - key: weka.io/dedicated
    operator: Exists
    effect: NoExecute";

fn cluster_container(name: &str, spec: &str) -> weka_api::WekaContainer {
    from_yaml(&format!(
        "metadata:\n  name: {name}\n  uid: 5d7a0c3e-{:0>4}-4b2a-9c1d-3e4f5a6b7c8d{CLUSTER_OWNED}\nspec:{CLUSTER_SPEC}{spec}",
        name.len()
    ))
}

#[test]
fn drive_pod_requests_its_drives_and_dedicated_hyperthreaded_cores() {
    let drive = cluster_container(
        "cluster-a-drive-3",
        "
  name: drivex3
  mode: drive
  numCores: 2
  numDrives: 4
  hugepages: 3600
  network:
    deviceSubnets: [10.200.0.0/16]
status:
  status: Running
  nodeAffinity: ip-10-0-1-17.ec2.internal
  allocations:
    wekaPort: 15000
    agentPort: 15099
    drives: [S1, S2, S3, S4]
",
    );
    assert_yaml_snapshot!(build(&drive, aws_ht_node(), &settings()));
}

#[test]
fn drive_pod_with_drive_sharing_requests_shared_capacity_by_type() {
    let drive = cluster_container(
        "cluster-a-drive-0",
        "
  name: drivex0
  mode: drive
  numCores: 2
  hugepages: 3400
  containerCapacity: 8000
  driveTypesRatio:
    tlc: 1
    qlc: 3
",
    );
    assert_yaml_snapshot!(build(&drive, plain_node(), &settings()));
}

#[test]
fn compute_pod_counts_extra_cores_without_doubling_them() {
    let compute = cluster_container(
        "cluster-a-compute-1",
        "
  name: computex1
  mode: compute
  numCores: 3
  extraCores: 1
  hugepages: 8400
  additionalMemory: 1024
  network:
    ethDevice: ens5
",
    );
    assert_yaml_snapshot!(build(&compute, aws_ht_node(), &settings()));
}

#[test]
fn client_pod_tolerates_no_schedule_taints_and_picks_ports_from_its_range() {
    let client = from_yaml(
        "
metadata:
  name: clients-ip-10-0-2-31.ec2.internal
  namespace: weka-clients
  uid: 1b2c3d4e-aaaa-4bbb-8ccc-0d1e2f3a4b5c
  labels:
    weka.io/client-name: clients
  ownerReferences:
  - apiVersion: weka.weka.io/v1alpha1
    kind: WekaClient
    name: clients
    uid: 77e0f1a2-2222-4d3e-8f40-5a6b7c8d9e0f
    controller: true
spec:
  name: client
  mode: client
  image: quay.io/weka.io/weka-in-container:4.4.5.118-k8s.4
  imagePullSecret: quay-io-robot-secret
  nodeAffinity: ip-10-0-2-31.ec2.internal
  numCores: 2
  coreIds: [2, 3]
  hugepages: 3000
  portRange:
    basePort: 46000
  joinIpPorts: [10.0.1.17:15000, 10.0.1.18:15000]
  autoRemoveTimeout: 24h
  driversDistService: https://weka-drivers-dist.weka-operator-system.svc.cluster.local:60002
  network:
    udpMode: true
  wekaSecretRef:
    secretKeyRef:
      key: weka-client-clients
",
    );
    assert_yaml_snapshot!(build(&client, aws_ht_node(), &settings()));
}

#[test]
fn s3_pod_keeps_one_frontend_per_node() {
    let s3 = cluster_container(
        "cluster-a-s3-0",
        "
  name: s3x0
  mode: s3
  group: s3
  numCores: 1
  extraCores: 1
  hugepages: 1600
  cpuPolicy: dedicated
  network:
    selectors:
    - subnet: 10.200.0.0/16
      min: 1
",
    );
    assert_yaml_snapshot!(build(&s3, plain_node(), &settings()));
}

#[test]
fn nfs_pod_uses_the_protocol_memory_formula() {
    let nfs = cluster_container(
        "cluster-a-nfs-1",
        "
  name: nfsx1
  mode: nfs
  numCores: 2
  hugepages: 3000
  additionalMemory: 512
",
    );
    assert_yaml_snapshot!(build(&nfs, plain_node(), &settings()));
}

#[test]
fn data_services_pod_with_frontend_cores_follows_the_frontend_rule() {
    let data_services = cluster_container(
        "cluster-a-data-services-0",
        "
  name: dataxservicesx0
  mode: data-services
  numCores: 1
  hugepages: 1800
  dataServicesConfig:
    dataServicesFeCores: 1
",
    );
    assert_yaml_snapshot!(build(&data_services, plain_node(), &settings()));
}

#[test]
fn envoy_pod_runs_next_to_its_clusters_s3_container() {
    let envoy = cluster_container(
        "cluster-a-envoy-0",
        "
  name: envoyx0
  mode: envoy
  group: s3
  numCores: 1
  additionalMemory: 256
",
    );
    assert_yaml_snapshot!(build(&envoy, plain_node(), &settings()));
}

#[test]
fn telemetry_pod_runs_next_to_a_compute_container_on_the_pod_network() {
    let telemetry = cluster_container(
        "cluster-a-telemetry-0",
        "
  name: telemetryx0
  mode: telemetry
  group: compute
  numCores: 1
",
    );
    assert_yaml_snapshot!(build(&telemetry, plain_node(), &settings()));
}

#[test]
fn ssdproxy_pod_shares_the_nodes_proxy_directory() {
    let proxy = cluster_container(
        "ssdproxy-ip-10-0-1-17",
        "
  name: ssdproxy
  mode: ssdproxy
  nodeAffinity: ip-10-0-1-17.ec2.internal
  numCores: 1
  hugepages: 2618
",
    );
    assert_yaml_snapshot!(build(&proxy, plain_node(), &settings()));
}
