//! Golden pods of the helper modes: drivers distribution, building and loading, node
//! discovery and one-off operations. Each fixture is a WekaContainer as the operations create it.

use insta::assert_yaml_snapshot;

use super::test_fixtures::{build, from_yaml, settings};
use super::{GkeSettings, NodeInfo, NodeOs, PodSettings};

fn node(os: NodeOs) -> NodeInfo {
    NodeInfo {
        os,
        boot_id: "0d9c8b7a-6f5e-4d3c-2b1a-0f9e8d7c6b5a".to_string(),
        ..NodeInfo::default()
    }
}

#[test]
fn legacy_dist_pod_serves_drivers_with_host_kernel_sources() {
    let dist = from_yaml(
        "
metadata:
  name: weka-drivers-dist
  namespace: weka-operator-system
  uid: 2e3f4a5b-0001-4c6d-8e7f-9a0b1c2d3e4f
  labels:
    app: weka-drivers-dist
spec:
  name: dist
  mode: dist
  image: quay.io/weka.io/weka-in-container:4.4.5.118-k8s.4
  imagePullSecret: quay-io-robot-secret
  numCores: 1
  port: 60002
  agentPort: 60001
",
    );
    assert_yaml_snapshot!(build(&dist, node(NodeOs::Standard), &settings()));
}

#[test]
fn drivers_dist_pod_of_a_policy_is_placed_by_node_selector() {
    let dist = from_yaml(
        "
metadata:
  name: drivers-policy-dist-x7k2p
  namespace: weka-operator-system
  uid: 2e3f4a5b-0002-4c6d-8e7f-9a0b1c2d3e4f
  labels:
    app: drivers-policy-dist
    weka.io/mode: drivers-dist
  ownerReferences:
  - apiVersion: weka.weka.io/v1alpha1
    kind: WekaPolicy
    name: drivers-policy
    uid: 3f4a5b6c-0003-4d7e-8f9a-0b1c2d3e4f5a
    controller: true
spec:
  name: dist
  mode: drivers-dist
  image: quay.io/weka.io/weka-in-container:4.4.5.118-k8s.4
  numCores: 1
  port: 60002
  agentPort: 60001
  nodeSelector:
    node-role.kubernetes.io/infra: \"\"
",
    );
    assert_yaml_snapshot!(build(&dist, node(NodeOs::Standard), &settings()));
}

#[test]
fn drivers_loader_pod_on_cos_loads_uio_first_and_copies_the_cluster_dist_files() {
    let loader = from_yaml(
        "
metadata:
  name: weka-drivers-loader-4a5b6c7d-0004-4e8f-9a0b-1c2d3e4f5a6b
  namespace: weka-operator-system
  uid: 2e3f4a5b-0004-4c6d-8e7f-9a0b1c2d3e4f
  labels:
    weka.io/cluster-name: cluster-a
    weka.io/mode: drivers-loader
spec:
  name: driversxloader
  mode: drivers-loader
  image: quay.io/weka.io/weka-drivers-loader:1.2.0
  imagePullSecret: quay-io-robot-secret
  nodeAffinity: gke-pool-1-abcd
  numCores: 1
  hugepages: 0
  driversDistService: https://weka-drivers-dist.weka-operator-system.svc.cluster.local:60002
  driversLoaderImage: quay.io/weka.io/weka-drivers-loader:1.2.0
  serviceAccountName: weka-operator-maintenance
  instructions:
    type: copy-weka-files-to-driver-loader
    payload: quay.io/weka.io/weka-in-container:4.4.5.118-k8s.4
  tracesConfiguration:
    maxCapacityPerIoNode: 10
    ensureFreeSpace: 20
    dumperConfigMode: auto
",
    );
    let settings = PodSettings {
        proxy: Some("http://proxy.corp.example:3128".to_string()),
        gke: GkeSettings { disable_driver_signing: true, ..GkeSettings::default() },
        ..settings()
    };
    assert_yaml_snapshot!(build(&loader, node(NodeOs::Cos), &settings));
}

#[test]
fn drivers_builder_pod_on_openshift_copies_the_toolkit_kernel_sources() {
    let builder = from_yaml(
        "
metadata:
  name: drivers-policy-builder-5-14-0-427
  namespace: weka-operator-system
  uid: 2e3f4a5b-0005-4c6d-8e7f-9a0b1c2d3e4f
  ownerReferences:
  - apiVersion: weka.weka.io/v1alpha1
    kind: WekaPolicy
    name: drivers-policy
    uid: 3f4a5b6c-0003-4d7e-8f9a-0b1c2d3e4f5a
    controller: true
spec:
  name: dist
  mode: drivers-builder
  image: quay.io/weka.io/weka-in-container:4.4.5.118-k8s.4
  numCores: 1
  port: 60002
  agentPort: 60001
  uploadResultsTo: drivers-policy-dist-x7k2p
  nodeSelector:
    weka.io/kernel: 5.14.0-427.el9.x86_64
  instructions:
    type: build-drivers
    payload: '{\"kernel\": \"5.14.0-427.el9.x86_64\", \"arch\": \"amd64\"}'
  overrides:
    preRunScript: |
      [ \"$(uname -r)\" = \"5.14.0-427.el9.x86_64\" ] || exit 1
",
    );
    let node = NodeInfo {
        init_container_image: Some(
            "quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:0123abcd".to_string(),
        ),
        ..node(NodeOs::Rhcos)
    };
    let settings = PodSettings {
        ocp_driver_toolkit_secret: Some("ocp-pull-secret".to_string()),
        ..settings()
    };
    assert_yaml_snapshot!(build(&builder, node, &settings));
}

#[test]
fn discovery_pod_may_configure_hugepages_and_reboot_a_gke_node() {
    let discovery = from_yaml(
        "
metadata:
  name: weka-dsc-gke-pool-1-abcd
  namespace: weka
  uid: 2e3f4a5b-0006-4c6d-8e7f-9a0b1c2d3e4f
  labels:
    weka.io/mode: discovery
spec:
  name: discovery
  mode: discovery
  image: quay.io/weka.io/weka-in-container:4.4.5.118-k8s.4
  nodeAffinity: gke-pool-1-abcd
  numCores: 1
",
    );
    let mut settings = settings();
    settings.gke.hugepages.enabled = true;
    // Discovery pods are built before anything is known about the node.
    assert_yaml_snapshot!(build(&discovery, NodeInfo::default(), &settings));
}

#[test]
fn adhoc_sign_drives_pod_reaches_the_ssd_proxy_socket() {
    let sign = from_yaml(
        "
metadata:
  name: weka-sign-and-discover-drives-ip-10-0-1-17
  namespace: weka
  uid: 2e3f4a5b-0007-4c6d-8e7f-9a0b1c2d3e4f
  labels:
    weka.io/mode: adhoc-op
  ownerReferences:
  - apiVersion: weka.weka.io/v1alpha1
    kind: WekaManualOperation
    name: sign-drives
    uid: 4a5b6c7d-0007-4e8f-9a0b-1c2d3e4f5a6b
    controller: true
spec:
  name: adhocxop
  mode: adhoc-op
  image: quay.io/weka.io/weka-in-container:4.4.5.118-k8s.4
  nodeAffinity: ip-10-0-1-17.ec2.internal
  numCores: 1
  hostPID: true
  instructions:
    type: sign-drives
    payload: '{\"type\":\"aws-all\",\"shared\":true,\"ssd_proxy_container_uuid\":\"9e8d7c6b-0008-4a5f-8e7d-6c5b4a3f2e1d\"}'
",
    );
    assert_yaml_snapshot!(build(&sign, node(NodeOs::Standard), &settings()));
}

#[test]
fn adhoc_ensure_nics_pod_runs_on_the_host_network() {
    let ensure_nics = from_yaml(
        "
metadata:
  name: weka-adhoc-nics-policy-4a5b6c7d
  namespace: weka
  uid: 2e3f4a5b-0009-4c6d-8e7f-9a0b1c2d3e4f
  labels:
    weka.io/mode: adhoc-op-with-container
spec:
  name: adhocxopxwc
  mode: adhoc-op-with-container
  image: quay.io/weka.io/weka-in-container:4.4.5.118-k8s.4
  nodeAffinity: ip-10-0-1-17.ec2.internal
  numCores: 1
  port: 60040
  agentPort: 60039
  instructions:
    type: ensure-nics
    payload: '{\"type\":\"aws\",\"dataNICsNumber\":2}'
",
    );
    assert_yaml_snapshot!(build(&ensure_nics, node(NodeOs::Standard), &settings()));
}
