use weka_api::WekaContainer;
use weka_api::wekacontainer::ContainerMode::{self, *};

use super::test_support::*;
use super::*;

const SPEC: &str = "  dynamicTemplate:
    s3Containers: 2
    nfsContainers: 1
    dataServicesContainers: 1
    driveExtraCores: 2
  nodeSelector: {weka.io/role: backend}
  roleNodeSelector:
    s3: {weka.io/s3: 'true'}
  tolerations: [dedicated]
  rawTolerations:
  - {key: gpu, operator: Equal, value: 'yes', effect: NoSchedule}
  network: {deviceSubnets: [10.0.0.0/16]}
  roleNetworkSelector:
    drive: {ethDevice: eth1}
  additionalMemory: {drive: 512, envoy: 64}
  roleAnnotations:
    compute: {note: compute-only}
  cpuPolicy: dedicated_ht
  roleCoreIds: {drive: [4, 5]}
  serviceAccountName: weka-sa
  driversDistService: https://drivers.weka.io
  overrides: {disregardRedundancy: true, driversLoaderImage: loader:1}
";

fn labelled_cluster() -> weka_api::WekaCluster {
    let mut c = cluster(SPEC);
    c.metadata.labels = Some(
        [("team", "storage"), ("weka.io/mode", "bogus")].map(|(k, v)| (k.into(), v.into())).into(),
    );
    c.metadata.annotations = Some(
        [("owner", "ops"), ("kubectl.kubernetes.io/last-applied-configuration", "{...}")]
            .map(|(k, v)| (k.into(), v.into()))
            .into(),
    );
    c
}

fn build(cluster: &weka_api::WekaCluster, role: ContainerMode, index: usize) -> WekaContainer {
    let settings = ClusterSettings::default();
    ClusterPlan::new(cluster, &settings).unwrap().build_container(role, index).unwrap()
}

#[test]
fn a_drive_container_carries_names_labels_and_the_controller_reference() {
    let c = build(&labelled_cluster(), Drive, 3);
    assert_eq!(c.metadata.name.as_deref(), Some("prod-drive-3"));
    assert_eq!(c.metadata.namespace.as_deref(), Some("weka"));
    assert_eq!(c.spec.name, "drivex3");
    let labels = c.metadata.labels.unwrap();
    assert_eq!(labels["weka.io/mode"], "drive", "required labels win");
    assert_eq!(labels["team"], "storage");
    assert_eq!(labels["app"], "weka");
    assert_eq!(labels["weka.io/cluster-id"], UID);
    assert_eq!(labels["weka.io/cluster-name"], "prod");
    let owner = &c.metadata.owner_references.unwrap()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str(), owner.uid.as_str()),
        ("WekaCluster", "prod", UID)
    );
    assert_eq!((owner.controller, owner.block_owner_deletion), (Some(true), Some(true)));
    let annotations = c.metadata.annotations.unwrap();
    assert_eq!(
        annotations.keys().collect::<Vec<_>>(),
        ["owner"],
        "the cluster's, without kubectl's"
    );
}

#[test]
fn a_drive_container_gets_drive_resources_and_the_drive_network() {
    let c = build(&labelled_cluster(), Drive, 0).spec;
    assert_eq!((c.mode, c.num_cores, c.extra_cores), (Drive, 1, Some(2)));
    assert_eq!(
        (c.hugepages, c.hugepages_offset, c.hugepages_size.as_deref()),
        (Some(1600), Some(200), Some("2Mi"))
    );
    assert_eq!((c.num_drives, c.drive_capacity, c.container_capacity), (Some(1), None, None));
    assert_eq!(c.network.unwrap().eth_device.as_deref(), Some("eth1"));
    assert_eq!(c.additional_memory, Some(512));
    assert_eq!(c.core_ids, Some(vec![4, 5]));
    assert_eq!(c.group, None);
    assert_eq!(c.node_selector.unwrap()["weka.io/role"], "backend");
    assert_eq!(c.drop_affinity_constraints, Some(true));
    assert_eq!(c.drivers_loader_image.as_deref(), Some("loader:1"));
    assert_eq!(c.service_account_name.as_deref(), Some("weka-sa"));
    assert_eq!(c.drivers_dist_service.as_deref(), Some("https://drivers.weka.io"));
    assert_eq!(c.image, "quay.io/weka.io/weka-in-container:4.4.5.118-k8s.4");
}

#[test]
fn string_taint_keys_expand_to_two_tolerations_before_the_raw_ones() {
    let tolerations = build(&labelled_cluster(), Compute, 0).spec.tolerations.unwrap();
    let summary: Vec<_> = tolerations
        .iter()
        .map(|t| {
            (
                t.key.as_deref().unwrap(),
                t.operator.as_deref().unwrap(),
                t.effect.as_deref().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("dedicated", "Exists", "NoSchedule"),
            ("dedicated", "Exists", "NoExecute"),
            ("gpu", "Equal", "NoSchedule")
        ]
    );
}

#[test]
fn the_weka_secret_ref_names_the_operator_secret_in_its_key() {
    let secret = build(&labelled_cluster(), Compute, 0)
        .spec
        .weka_secret_ref
        .unwrap()
        .secret_key_ref
        .unwrap();
    assert_eq!(secret.key, format!("weka-operator-{UID}"));
    assert_eq!(secret.name, "", "upstream's quirk: only the key is set");

    let migrated = cluster("  dynamicTemplate: {}\n  operatorSecretRef: legacy-creds\n");
    let secret = build(&migrated, Drive, 0).spec.weka_secret_ref.unwrap().secret_key_ref.unwrap();
    assert_eq!(secret.key, "legacy-creds");
}

#[test]
fn compute_s3_nfs_and_data_services_get_their_roles_resources() {
    let cluster = labelled_cluster();
    let compute = build(&cluster, Compute, 0).spec;
    assert_eq!(
        (compute.num_cores, compute.hugepages, compute.hugepages_offset),
        (1, Some(3000), Some(200))
    );
    assert_eq!((compute.group.as_deref(), compute.num_drives), (Some("compute"), None));
    assert_eq!(compute.network.unwrap().device_subnets, Some(vec!["10.0.0.0/16".to_string()]));

    let s3 = build(&cluster, S3, 1).spec;
    assert_eq!((s3.num_cores, s3.extra_cores, s3.hugepages), (1, Some(1), Some(1400)));
    assert_eq!(s3.group.as_deref(), Some("s3"));
    assert_eq!(
        s3.node_selector.unwrap()["weka.io/s3"],
        "true",
        "the role's selector replaces the cluster's"
    );

    let nfs = build(&cluster, Nfs, 0).spec;
    assert_eq!(
        (nfs.num_cores, nfs.extra_cores, nfs.hugepages, nfs.group),
        (1, Some(1), Some(1400), None)
    );

    let data = build(&cluster, DataServices, 0).spec;
    assert_eq!(
        (data.name.as_str(), data.num_cores, data.hugepages),
        ("dataxservicesx0", 1, Some(1536))
    );
}

#[test]
fn role_annotations_replace_the_clusters() {
    let c = build(&labelled_cluster(), Compute, 0);
    assert_eq!(c.metadata.annotations.unwrap()["note"], "compute-only");
}

#[test]
fn envoy_exposes_the_load_balancer_ports_and_follows_s3() {
    let mut cluster = labelled_cluster();
    cluster.status = Some(serde_json::from_value(serde_json::json!({
        "status": "Init", "ports": {"basePort": 35000, "portRange": 500, "lbPort": 35300, "lbAdminPort": 35301}
    })).unwrap());
    let envoy = build(&cluster, Envoy, 0).spec;
    assert_eq!(envoy.expose_ports, Some(vec![35300, 35301]));
    assert_eq!((envoy.num_cores, envoy.hugepages, envoy.extra_cores), (1, None, None));
    assert_eq!((envoy.node_selector, envoy.group.as_deref()), (None, Some("s3")));
    assert_eq!(envoy.additional_memory, Some(64));
}

#[test]
fn telemetry_has_no_cores_and_follows_compute() {
    let telemetry = build(&labelled_cluster(), Telemetry, 2).spec;
    assert_eq!(
        (telemetry.num_cores, telemetry.hugepages, telemetry.node_selector),
        (0, None, None)
    );
    assert_eq!(telemetry.group.as_deref(), Some("compute"));
}

#[test]
fn a_failure_domain_label_spreads_backends_strictly() {
    let cluster = cluster(
        "  dynamicTemplate: {}\n  failureDomain: {label: topology.kubernetes.io/zone, skew: 2}\n",
    );
    let tsc = build(&cluster, Drive, 0).spec.topology_spread_constraints.unwrap();
    assert_eq!(tsc.len(), 1);
    assert_eq!((tsc[0].topology_key.as_str(), tsc[0].max_skew), ("topology.kubernetes.io/zone", 2));
    assert_eq!(tsc[0].when_unsatisfiable, "DoNotSchedule");
    let selector = tsc[0].label_selector.as_ref().unwrap().match_labels.as_ref().unwrap();
    assert_eq!(
        (selector["weka.io/cluster-id"].as_str(), selector["weka.io/mode"].as_str()),
        (UID, "drive")
    );
    assert_eq!(
        build(&cluster, Nfs, 0).spec.topology_spread_constraints,
        None,
        "only compute, drive and s3"
    );
}

#[test]
fn composite_failure_domains_spread_best_effort_and_user_constraints_follow() {
    let cluster = cluster(
        "  dynamicTemplate: {}
  failureDomain: {compositeLabels: [rack, row]}
  podConfig:
    topologySpreadConstraints: [{maxSkew: 3, topologyKey: host, whenUnsatisfiable: ScheduleAnyway}]
    roleTopologySpreadConstraints:
      compute: [{maxSkew: 4, topologyKey: pdu, whenUnsatisfiable: DoNotSchedule}]
",
    );
    let keys = |role| -> Vec<(String, i32, String)> {
        build(&cluster, role, 0)
            .spec
            .topology_spread_constraints
            .unwrap()
            .into_iter()
            .map(|t| (t.topology_key, t.max_skew, t.when_unsatisfiable))
            .collect()
    };
    let any = "ScheduleAnyway".to_string();
    assert_eq!(
        keys(Drive),
        [
            ("rack".into(), 1, any.clone()),
            ("row".into(), 1, any.clone()),
            ("host".into(), 3, any.clone())
        ]
    );
    assert_eq!(
        keys(Compute)[2],
        ("pdu".into(), 4, "DoNotSchedule".into()),
        "the role's replace the cluster's"
    );
}

#[test]
fn affinity_comes_from_the_role_or_the_pod_config() {
    let cluster = cluster(
        "  dynamicTemplate: {}
  podConfig:
    affinity: {podAntiAffinity: {}}
    roleAffinity:
      drive: {nodeAffinity: {}}
",
    );
    let drive = build(&cluster, Drive, 0).spec.affinity.unwrap();
    assert!(drive.node_affinity.is_some() && drive.pod_anti_affinity.is_none());
    let compute = build(&cluster, Compute, 0).spec.affinity.unwrap();
    assert!(compute.pod_anti_affinity.is_some());
}

#[test]
fn an_invalid_affinity_is_a_typed_error_with_the_field() {
    let cluster = cluster("  dynamicTemplate: {}\n  podConfig:\n    affinity: {nodeAffinity: 7}\n");
    let settings = ClusterSettings::default();
    let err = ClusterPlan::new(&cluster, &settings).unwrap().build_container(Drive, 0).unwrap_err();
    assert!(
        matches!(&err, ClusterSpecError::InvalidPodConfig { field, .. } if field == "spec.podConfig.affinity")
    );
}

#[test]
fn weka_home_ca_and_data_pvc_come_from_the_cluster_or_the_operator() {
    let settings = ClusterSettings {
        weka_home_cacert_secret: Some("operator-ca".into()),
        local_data_pvc: Some("operator-pvc".into()),
        ..ClusterSettings::default()
    };
    let plain = cluster("  dynamicTemplate: {}\n");
    let c = ClusterPlan::new(&plain, &settings).unwrap().build_container(Drive, 0).unwrap().spec;
    assert_eq!(c.additional_secrets.unwrap()["wekahome-cacert"], "operator-ca");
    assert_eq!(c.pvc.unwrap().name, "operator-pvc");

    let own = cluster(
        "  dynamicTemplate: {}\n  wekaHome: {cacertSecret: my-ca}\n  globalPVC: {name: my-pvc}\n",
    );
    let c = ClusterPlan::new(&own, &settings).unwrap().build_container(Drive, 0).unwrap().spec;
    assert_eq!(c.additional_secrets.unwrap()["wekahome-cacert"], "my-ca");
    assert_eq!(c.pvc.unwrap().name, "my-pvc");

    let none = ClusterPlan::new(&plain, &ClusterSettings::default())
        .unwrap()
        .build_container(Drive, 0)
        .unwrap();
    assert_eq!((none.spec.additional_secrets, none.spec.pvc), (None, None));
}

#[test]
fn client_containers_are_not_built_for_a_cluster() {
    let cluster = dynamic_cluster();
    let settings = ClusterSettings::default();
    let err =
        ClusterPlan::new(&cluster, &settings).unwrap().build_container(Client, 0).unwrap_err();
    assert_eq!(err, ClusterSpecError::UnsupportedRole(Client));
}

#[test]
fn building_twice_gives_the_same_container() {
    let cluster = labelled_cluster();
    assert_eq!(json(&build(&cluster, S3, 4)), json(&build(&cluster, S3, 4)));
}
