//! Focused tests of what [`super::build_pod`] does with single spec knobs, settings and node
//! facts (the golden tests show whole pods).

use weka_api::wekacontainer::ContainerMode;

use super::test_fixtures::*;
use super::{DnsPolicy, NodeInfo, NodeOs, PodBuildError, PodContext, PodSettings, build_pod};

fn build_err(
    container: &weka_api::WekaContainer,
    node: NodeInfo,
    settings: &PodSettings,
) -> PodBuildError {
    let ctx = PodContext::new(container, node, settings);
    build_pod(container, &ctx).expect_err("build fails")
}

#[test]
fn unsupported_modes_are_refused_with_a_clear_error() {
    for mode in [ContainerMode::Smbw, ContainerMode::DataServicesFe] {
        let err = build_err(&container(mode), NodeInfo::default(), &settings());
        assert_eq!(err, PodBuildError::UnsupportedMode { mode });
        assert_eq!(
            err.to_string(),
            format!(
                "mode {mode} is accepted by the WekaContainer CRD but this operator does not run it yet"
            )
        );
    }
}

#[test]
fn a_missing_image_is_refused() {
    let mut compute = container(ContainerMode::Compute);
    compute.spec.image = String::new();
    let err = build_err(&compute, NodeInfo::default(), &settings());
    assert_eq!(err, PodBuildError::MissingImage);
    assert!(err.to_string().starts_with("image is required"));
}

#[test]
fn the_image_chosen_by_the_controller_wins_over_the_spec() {
    let compute = container(ContainerMode::Compute);
    let settings = settings();
    let ctx = PodContext::new(&compute, NodeInfo::default(), &settings).with_image("weka:held");
    let pod = build_pod(&compute, &ctx).unwrap();
    assert_eq!(main_container(&pod).image.as_deref(), Some("weka:held"));
    assert_eq!(env_value(&pod, "IMAGE_NAME").as_deref(), Some("weka:held"));
}

#[test]
fn persistence_volumes_follow_the_node_os_and_the_parent_cluster() {
    let mut drive = container(ContainerMode::Drive);
    drive.metadata.owner_references =
        Some(vec![k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference {
            api_version: "weka.weka.io/v1alpha1".into(),
            kind: "WekaCluster".into(),
            name: "cluster-a".into(),
            uid: CLUSTER_UID.into(),
            ..Default::default()
        }]);
    let cos = NodeInfo { os: NodeOs::Cos, ..NodeInfo::default() };
    let pod = build(&drive, cos, &settings());
    let path = |name: &str| volume(&pod, name).unwrap().host_path.as_ref().unwrap().path.clone();
    let uid = drive.metadata.uid.clone().unwrap();
    let base = "/mnt/stateful_partition/k8s-weka";
    assert_eq!(path("weka-container-persistence-dir"), format!("{base}/containers/{uid}"));
    assert_eq!(path("weka-container-shared-dir"), format!("{base}/shared/containers/{uid}"));
    assert_eq!(path("weka-cluster-persistence-dir"), format!("{base}/clusters/{CLUSTER_UID}"));

    let orphan = build(&container(ContainerMode::Compute), NodeInfo::default(), &settings());
    let cluster_dir = volume(&orphan, "weka-cluster-persistence-dir").unwrap();
    assert_eq!(cluster_dir.host_path.as_ref().unwrap().path, "/opt/k8s-weka/clusters/cluster-less");
}

#[test]
fn modes_without_persistent_storage_get_no_host_directories() {
    for mode in [ContainerMode::Discovery, ContainerMode::DriversBuilder, ContainerMode::AdhocOp] {
        let pod = build_default(&container(mode));
        assert!(volume(&pod, "weka-container-persistence-dir").is_none(), "{mode}");
        assert!(!mount_paths(&pod).contains(&"/host-binds/opt-weka"), "{mode}");
    }
}

#[test]
fn a_pvc_adds_global_persistence() {
    let mut compute = container(ContainerMode::Compute);
    compute.spec.pvc = Some(weka_api::common::PvcConfig { name: "weka-global".into(), path: None });
    let pod = build_default(&compute);
    let claim = volume(&pod, "weka-container-global-persistence-dir").unwrap();
    assert_eq!(claim.persistent_volume_claim.as_ref().unwrap().claim_name, "weka-global");
    assert!(mount_paths(&pod).contains(&"/opt/weka-global-persistence"));
    assert_eq!(env_value(&pod, "WEKA_PERSISTENCE_MODE").as_deref(), Some("global"));
}

#[test]
fn overrides_set_the_debug_sleep_and_the_pre_run_script() {
    let mut compute = container(ContainerMode::Compute);
    let pod = build_default(&compute);
    assert_eq!(env_value(&pod, "WEKA_OPERATOR_DEBUG_SLEEP").as_deref(), Some("3"));
    assert!(env(&pod, "PRE_RUN_SCRIPT").is_none());

    compute.spec.overrides = Some(weka_api::wekacontainer::WekaContainerOverrides {
        debug_sleep_on_terminate: Some(600),
        pre_run_script: Some("echo hi\n".into()),
        ..Default::default()
    });
    let pod = build_default(&compute);
    assert_eq!(env_value(&pod, "WEKA_OPERATOR_DEBUG_SLEEP").as_deref(), Some("600"));
    assert_eq!(env_value(&pod, "PRE_RUN_SCRIPT").as_deref(), Some("ZWNobyBoaQo="));
}

#[test]
fn priority_class_is_targeted_once_the_node_is_known() {
    let mut client = container(ContainerMode::Client);
    let pod = build_default(&client);
    let class = |pod: &k8s_openapi::api::core::v1::Pod| {
        pod.spec.as_ref().unwrap().priority_class_name.clone()
    };
    assert_eq!(class(&pod).as_deref(), Some("weka-initial-no-evict"));

    client.status = Some(weka_api::WekaContainerStatus {
        node_affinity: Some("node-7".into()),
        ..Default::default()
    });
    let pod = build_default(&client);
    assert_eq!(class(&pod).as_deref(), Some("weka-targeted-no-evict"));

    let no_classes = PodSettings { priority_class_targeted: None, ..settings() };
    assert_eq!(class(&build(&client, NodeInfo::default(), &no_classes)), None);
}

#[test]
fn dns_policy_follows_the_pod_network() {
    let settings = PodSettings {
        dns_policy_host_network: Some(DnsPolicy::ClusterFirstWithHostNet),
        dns_policy_k8s_network: Some(DnsPolicy::ClusterFirst),
        ..settings()
    };
    let dns = |mode| {
        let pod = build(&container(mode), NodeInfo::default(), &settings);
        pod.spec.unwrap().dns_policy
    };
    assert_eq!(dns(ContainerMode::Compute).as_deref(), Some("ClusterFirstWithHostNet"));
    assert_eq!(dns(ContainerMode::Ssdproxy).as_deref(), Some("ClusterFirst"));
}

#[test]
fn dropping_affinity_constraints_drops_anti_affinity_and_sets_the_machine_identifier() {
    let mut compute = container(ContainerMode::Compute);
    let pod = build_default(&compute);
    let affinity = pod.spec.as_ref().unwrap().affinity.clone().unwrap();
    assert!(affinity.pod_anti_affinity.is_some());
    assert!(env(&pod, "MACHINE_IDENTIFIER").is_none());

    compute.spec.drop_affinity_constraints = Some(true);
    let pod = build_default(&compute);
    let affinity = pod.spec.as_ref().unwrap().affinity.clone().unwrap();
    assert!(affinity.pod_anti_affinity.is_none());
    assert_eq!(env_value(&pod, "MACHINE_IDENTIFIER"), compute.metadata.uid);
}

#[test]
fn a_user_affinity_with_preferred_terms_only_gets_a_required_term() {
    let mut compute = container(ContainerMode::Compute);
    compute.spec.affinity = serde_json::from_value(serde_json::json!({
        "nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 10, "preference": {"matchExpressions": [
                {"key": "zone", "operator": "In", "values": ["a"]}]}}]}
    }))
    .unwrap();
    let pod = build_default(&compute);
    let node_affinity = pod.spec.unwrap().affinity.unwrap().node_affinity.unwrap();
    assert!(node_affinity.preferred_during_scheduling_ignored_during_execution.is_some());
    let required = node_affinity.required_during_scheduling_ignored_during_execution.unwrap();
    let first = required.node_selector_terms[0].match_expressions.clone().unwrap();
    assert_eq!(first[0].key, "kubernetes.io/os");
}

#[test]
fn manual_cpu_policy_without_core_ids_is_refused() {
    let mut compute = container(ContainerMode::Compute);
    compute.spec.cpu_policy = Some(weka_api::common::CpuPolicy::Manual);
    let err = build_err(&compute, NodeInfo::default(), &settings());
    assert!(matches!(err, PodBuildError::InvalidSpec { field: "spec.coreIds", .. }), "{err}");
}

#[test]
fn shared_cpu_policy_takes_cpu_from_the_spec_or_sets_none() {
    let mut client = container(ContainerMode::Client);
    client.spec.cpu_policy = Some(weka_api::common::CpuPolicy::Shared);
    let pod = build_default(&client);
    assert_eq!(request(&pod, "cpu"), None);
    assert!(env(&pod, "CORE_IDS").is_none());

    client.spec.resources = serde_json::from_value(serde_json::json!({
        "requests": {"cpu": "1500m", "memory": "8Gi"},
        "limits": {"cpu": "2", "memory": "10Gi"}
    }))
    .unwrap();
    let pod = build_default(&client);
    assert_eq!(request(&pod, "cpu").as_deref(), Some("1500m"));
    assert_eq!(limit(&pod, "cpu").as_deref(), Some("2"));
    assert_eq!(request(&pod, "memory").as_deref(), Some("8Gi"));
    assert_eq!(limit(&pod, "memory").as_deref(), Some("10Gi"));
}

#[test]
fn client_memory_limit_defaults_to_the_requested_memory() {
    let mut client = container(ContainerMode::Client);
    client.spec.resources =
        serde_json::from_value(serde_json::json!({"requests": {"memory": "8Gi"}})).unwrap();
    let pod = build_default(&client);
    assert_eq!(limit(&pod, "memory").as_deref(), Some("8Gi"));
}

#[test]
fn a_request_above_its_limit_is_refused_before_the_api_server_sees_it() {
    let mut client = container(ContainerMode::Client);
    client.spec.resources = serde_json::from_value(serde_json::json!({
        "requests": {"memory": "12Gi"}, "limits": {"memory": "10Gi"}
    }))
    .unwrap();
    let err = build_err(&client, NodeInfo::default(), &settings());
    assert!(matches!(err, PodBuildError::InvalidSpec { field: "spec.resources", .. }), "{err}");
}

#[test]
fn adhoc_pods_request_little_set_no_limits_and_skip_hugepages_and_nics() {
    let aws = NodeInfo { provider: super::CloudProvider::Aws, ..NodeInfo::default() };
    for mode in
        [ContainerMode::AdhocOp, ContainerMode::AdhocOpWithContainer, ContainerMode::DriversLoader]
    {
        let pod = build(&container(mode), aws.clone(), &settings());
        let resources = main_container(&pod).resources.clone().unwrap();
        assert_eq!(resources.limits, None, "{mode}");
        assert_eq!(request(&pod, "cpu").as_deref(), Some("100m"), "{mode}");
        assert_eq!(request(&pod, "memory").as_deref(), Some("128Mi"), "{mode}");
        assert_eq!(request(&pod, "weka.io/nics"), None, "{mode}");
        assert!(volume(&pod, "hugepages").is_none(), "{mode}");
    }
}

#[test]
fn drivers_pods_never_request_nics() {
    let aws = NodeInfo { provider: super::CloudProvider::Aws, ..NodeInfo::default() };
    let pod = build(&container(ContainerMode::DriversDist), aws.clone(), &settings());
    assert_eq!(request(&pod, "weka.io/nics"), None);
    let pod = build(&container(ContainerMode::Compute), aws, &settings());
    assert_eq!(request(&pod, "weka.io/nics").as_deref(), Some("1"));
}

#[test]
fn one_gi_hugepages_name_the_resource_and_the_volume_medium() {
    let mut compute = container(ContainerMode::Compute);
    compute.spec.hugepages = Some(6000);
    compute.spec.hugepages_size = Some("1Gi".into());
    let pod = build_default(&compute);
    assert_eq!(request(&pod, "hugepages-1Gi").as_deref(), Some("6Gi"));
    assert_eq!(limit(&pod, "hugepages-1Gi").as_deref(), Some("6Gi"));
    let medium = volume(&pod, "hugepages").unwrap().empty_dir.clone().unwrap().medium;
    assert_eq!(medium.as_deref(), Some("HugePages-1Gi"));
    assert_eq!(env_value(&pod, "MEMORY").as_deref(), Some("6GiB"));
}

#[test]
fn drivers_builders_on_cos_need_the_google_service_account() {
    let builder = container(ContainerMode::DriversBuilder);
    let cos = NodeInfo { os: NodeOs::Cos, ..NodeInfo::default() };
    let err = build_err(&builder, cos.clone(), &settings());
    assert!(matches!(err, PodBuildError::MissingSetting { .. }), "{err}");

    let mut settings = settings();
    settings.gke.service_account_secret = Some("gcloud-sa".into());
    let pod = build(&builder, cos, &settings);
    assert!(volume(&pod, "gcloud-credentials").is_some());
    assert_eq!(
        env_value(&pod, "GOOGLE_APPLICATION_CREDENTIALS").as_deref(),
        Some("/var/secrets/google/service-account.json")
    );
    let spec = pod.spec.unwrap();
    assert_eq!((spec.host_pid, spec.host_network), (Some(true), Some(true)));
}

#[test]
fn drivers_builders_on_openshift_need_the_toolkit_image() {
    let rhcos = NodeInfo { os: NodeOs::Rhcos, ..NodeInfo::default() };
    let err = build_err(&container(ContainerMode::DriversBuilder), rhcos, &settings());
    assert!(matches!(err, PodBuildError::MissingNodeInfo { .. }), "{err}");
}

#[test]
fn the_otel_installer_adds_an_init_container_and_the_python_path() {
    let settings =
        PodSettings { otel_installer_image: Some("python:3.12-slim".into()), ..settings() };
    let pod = build(&container(ContainerMode::Compute), NodeInfo::default(), &settings);
    let init = pod.spec.as_ref().unwrap().init_containers.clone().unwrap();
    assert_eq!(init[0].name, "otel-packages-installer");
    assert!(volume(&pod, "otel-packages").is_some());
    assert_eq!(
        env_value(&pod, "PYTHONPATH").as_deref(),
        Some("/shared-python-packages:$PYTHONPATH")
    );
}

#[test]
fn secrets_and_node_info_config_maps_are_mounted() {
    let mut compute = container(ContainerMode::Compute);
    compute.spec.node_info_config_map = Some("node-info-7".into());
    compute.spec.additional_secrets =
        Some([("wekahome-cacert".to_string(), "wh-ca".to_string())].into());
    let pod = build_default(&compute);
    assert!(volume(&pod, "node-info").is_some());
    let secret = volume(&pod, "wekahome-cacert-secret").unwrap();
    assert_eq!(secret.secret.as_ref().unwrap().secret_name.as_deref(), Some("wh-ca"));
    assert!(mount_paths(&pod).contains(&"/var/run/secrets/weka-operator/wekahome-cacert"));

    compute.spec.additional_secrets = Some([("Bad_Name".to_string(), "x".to_string())].into());
    let err = build_err(&compute, NodeInfo::default(), &settings());
    assert!(matches!(err, PodBuildError::InvalidSpec { field: "spec.additionalSecrets", .. }));
}

#[test]
fn exposed_ports_become_tcp_container_ports_and_must_be_ports() {
    let mut envoy = container(ContainerMode::Envoy);
    envoy.spec.expose_ports = Some(vec![5000, 5001]);
    let pod = build_default(&envoy);
    let ports = main_container(&pod).ports.clone().unwrap();
    assert_eq!(ports.iter().map(|p| p.container_port).collect::<Vec<_>>(), [5000, 5001]);
    assert!(ports.iter().all(|p| p.protocol.as_deref() == Some("TCP") && p.host_port.is_none()));

    envoy.spec.expose_ports = Some(vec![70000]);
    let err = build_err(&envoy, NodeInfo::default(), &settings());
    assert!(matches!(err, PodBuildError::InvalidSpec { field: "spec.exposePorts", .. }));
}

#[test]
fn drivers_loaders_get_the_proxy_and_other_modes_do_not() {
    let settings = PodSettings { proxy: Some("http://proxy:3128".into()), ..settings() };
    let loader = build(&container(ContainerMode::DriversLoader), NodeInfo::default(), &settings);
    assert_eq!(env_value(&loader, "HTTPS_PROXY").as_deref(), Some("http://proxy:3128"));
    let dist = build(&container(ContainerMode::DriversDist), NodeInfo::default(), &settings);
    assert!(env(&dist, "HTTPS_PROXY").is_none());
}

#[test]
fn auto_remove_timeout_is_passed_in_seconds_and_must_be_a_duration() {
    let mut client = container(ContainerMode::Client);
    client.spec.auto_remove_timeout = Some("1h30m".into());
    assert_eq!(env_value(&build_default(&client), "AUTO_REMOVE_TIMEOUT").as_deref(), Some("5400"));
    client.spec.auto_remove_timeout = Some("soon".into());
    let err = build_err(&client, NodeInfo::default(), &settings());
    assert!(matches!(err, PodBuildError::InvalidSpec { field: "spec.autoRemoveTimeout", .. }));
}

#[test]
fn every_supported_mode_builds_with_defaults_only() {
    for mode in ContainerMode::ALL {
        if matches!(mode, ContainerMode::Smbw | ContainerMode::DataServicesFe) {
            continue;
        }
        let pod = build_default(&container(mode));
        assert_eq!(main_container(&pod).name, "weka-container", "{mode}");
        assert_eq!(pod.metadata.name, container(mode).metadata.name, "{mode}");
    }
}
