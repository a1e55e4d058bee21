//! Tests of [`super::compare`]: live pods as the API server stores them against freshly built
//! ones.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Pod, PodStatus, ProjectedVolumeSource, Toleration, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use weka_api::WekaContainer;
use weka_api::wekacontainer::ContainerMode;

use super::test_fixtures::*;
use super::{
    CloudProvider, DnsPolicy, MetadataPatch, NodeInfo, NodeOs, PodContext, PodDrift, PodSettings,
    ReplaceReason, build_pod, compare,
};

/// The canonical form the API server writes quantities back in.
fn canonical(quantity: &Quantity) -> Quantity {
    let text = match quantity.0.as_str() {
        "3000M" => "3G",
        "2000m" => "2",
        "0Mi" => "0",
        "3.5Gi" => "3584Mi",
        "1000m" => "1",
        other => other,
    };
    Quantity(text.to_string())
}

fn defaulted_container(container: &mut k8s_openapi::api::core::v1::Container) {
    container.termination_message_path = Some("/dev/termination-log".into());
    container.termination_message_policy = Some("File".into());
    container.image_pull_policy.get_or_insert_with(|| "IfNotPresent".into());
    for env in container.env.iter_mut().flatten() {
        env.value = env.value.take().filter(|v| !v.is_empty());
        if let Some(field) = env.value_from.as_mut().and_then(|f| f.field_ref.as_mut()) {
            field.api_version = Some("v1".into());
        }
    }
    if let Some(resources) = container.resources.as_mut() {
        for list in [resources.requests.as_mut(), resources.limits.as_mut()].into_iter().flatten() {
            for quantity in list.values_mut() {
                *quantity = canonical(quantity);
            }
        }
    }
    container.volume_mounts.get_or_insert_with(Vec::new).push(VolumeMount {
        name: "kube-api-access-x2k9q".into(),
        mount_path: "/var/run/secrets/kubernetes.io/serviceaccount".into(),
        read_only: Some(true),
        ..VolumeMount::default()
    });
}

/// `pod` as the API server, the admission plugins, the scheduler and kubelet leave it.
fn as_stored(pod: &Pod) -> Pod {
    let mut pod = pod.clone();
    pod.metadata.uid = Some("f00dcafe-0000-4000-8000-000000000001".into());
    pod.metadata.resource_version = Some("48213".into());
    let spec = pod.spec.as_mut().unwrap();
    spec.restart_policy = Some("Always".into());
    spec.scheduler_name = Some("default-scheduler".into());
    spec.security_context = Some(Default::default());
    spec.dns_policy.get_or_insert_with(|| "ClusterFirst".into());
    spec.service_account_name.get_or_insert_with(|| "default".into());
    spec.service_account = spec.service_account_name.clone();
    spec.enable_service_links = Some(true);
    spec.priority = Some(1_000_000_000);
    spec.preemption_policy = Some("PreemptLowerPriority".into());
    spec.node_name = Some("ip-10-0-1-17.ec2.internal".into());
    for volume in spec.volumes.iter_mut().flatten() {
        if let Some(host_path) = volume.host_path.as_mut() {
            host_path.type_.get_or_insert_with(String::new);
        }
        if let Some(secret) = volume.secret.as_mut() {
            secret.default_mode.get_or_insert(420);
        }
        if let Some(config_map) = volume.config_map.as_mut() {
            config_map.default_mode.get_or_insert(420);
        }
    }
    spec.volumes.get_or_insert_with(Vec::new).push(Volume {
        name: "kube-api-access-x2k9q".into(),
        projected: Some(ProjectedVolumeSource {
            default_mode: Some(420),
            sources: Some(Vec::new()),
        }),
        ..Volume::default()
    });
    spec.containers.iter_mut().for_each(defaulted_container);
    spec.init_containers.iter_mut().flatten().for_each(defaulted_container);
    pod.status = Some(PodStatus {
        phase: Some("Running".into()),
        pod_ip: Some("10.0.1.17".into()),
        ..PodStatus::default()
    });
    pod
}

fn aws_node() -> NodeInfo {
    NodeInfo { provider: CloudProvider::Aws, is_ht: true, ..NodeInfo::default() }
}

fn pinned(mode: ContainerMode) -> WekaContainer {
    let mut container = container(mode);
    container.spec.node_affinity = Some("ip-10-0-1-17.ec2.internal".into());
    container.metadata.annotations = Some(BTreeMap::from([("team".into(), "storage".into())]));
    container
}

fn replace_reasons(drift: PodDrift) -> Vec<ReplaceReason> {
    match drift {
        PodDrift::Replace { reasons } => reasons,
        other => panic!("expected a replacement, got {other:?}"),
    }
}

#[test]
fn an_unchanged_pod_has_no_drift_after_api_server_defaulting() {
    let cos = NodeInfo { os: NodeOs::Cos, ..NodeInfo::default() };
    let mut settings = settings();
    settings.gke.service_account_secret = Some("gcloud-sa".into());
    for mode in ContainerMode::ALL {
        if matches!(mode, ContainerMode::Smbw | ContainerMode::DataServicesFe) {
            continue;
        }
        for node in [aws_node(), cos.clone()] {
            let desired = build(&pinned(mode), node, &settings);
            assert_eq!(compare(&desired, &as_stored(&desired)), PodDrift::None, "{mode}");
        }
    }
}

#[test]
fn a_changed_annotation_is_patched_in_place_keeping_foreign_annotations() {
    let mut container = pinned(ContainerMode::Compute);
    let mut live = as_stored(&build_default(&container));
    live.metadata
        .annotations
        .as_mut()
        .unwrap()
        .insert("kubectl.kubernetes.io/restartedAt".into(), "x".into());

    container.metadata.annotations = Some(BTreeMap::from([("owner".into(), "ops".into())]));
    let drift = compare(&build_default(&container), &live);
    let expected = MetadataPatch {
        labels: BTreeMap::new(),
        annotations: BTreeMap::from([
            ("owner".into(), Some("ops".into())),
            ("team".into(), None),
            ("weka.io/applied-annotations".into(), Some("owner".into())),
        ]),
    };
    assert_eq!(drift, PodDrift::Patch { metadata: Some(expected.clone()), tolerations: None });
    assert_eq!(
        expected.to_merge_patch(),
        serde_json::json!({"metadata": {"annotations": {
            "owner": "ops", "team": null, "weka.io/applied-annotations": "owner"}}})
    );
}

#[test]
fn a_changed_label_is_patched_in_place() {
    let mut container = pinned(ContainerMode::Drive);
    let live = as_stored(&build_default(&container));
    container.metadata.labels = Some(BTreeMap::from([("rack".into(), "r7".into())]));
    let PodDrift::Patch { metadata: Some(patch), tolerations: None } =
        compare(&build_default(&container), &live)
    else {
        panic!("expected a metadata patch");
    };
    assert_eq!(patch.labels, BTreeMap::from([("rack".into(), Some("r7".into()))]));
    assert!(patch.annotations.is_empty());
}

#[test]
fn an_image_change_replaces_the_pod() {
    let container = pinned(ContainerMode::Drive);
    let live = as_stored(&build_default(&container));
    let settings = settings();
    let ctx = PodContext::new(&container, NodeInfo::default(), &settings).with_image("weka:4.4.6");
    let desired = build_pod(&container, &ctx).unwrap();
    let reasons = replace_reasons(compare(&desired, &live));
    assert_eq!(
        reasons[0],
        ReplaceReason::ImageChanged { from: IMAGE.to_string(), to: "weka:4.4.6".to_string() }
    );
    assert_eq!(reasons[0].to_string(), format!("image changed from {IMAGE} to weka:4.4.6"));
}

#[test]
fn a_resource_change_replaces_the_pod_and_names_the_field() {
    let mut container = pinned(ContainerMode::Compute);
    let live = as_stored(&build_default(&container));
    container.spec.additional_memory = Some(2048);
    let reasons = replace_reasons(compare(&build_default(&container), &live));
    assert_eq!(
        reasons,
        vec![ReplaceReason::SpecChanged {
            field: "spec.containers[weka-container].resources".into()
        }]
    );
}

#[test]
fn a_new_spec_toleration_is_added_in_place_and_a_removed_one_stays() {
    let mut container = pinned(ContainerMode::Compute);
    let live = as_stored(&build_default(&container));
    let gpu = Toleration {
        key: Some("nvidia.com/gpu".into()),
        operator: Some("Exists".into()),
        effect: Some("NoSchedule".into()),
        ..Toleration::default()
    };
    container.spec.tolerations = Some(vec![gpu.clone()]);
    let drift = compare(&build_default(&container), &live);
    let PodDrift::Patch { metadata: None, tolerations: Some(tolerations) } = drift else {
        panic!("expected a tolerations patch, got {drift:?}");
    };
    assert_eq!(tolerations.last(), Some(&gpu));
    assert_eq!(
        tolerations.len(),
        live.spec.as_ref().unwrap().tolerations.as_ref().unwrap().len() + 1
    );

    let mut with_gpu = live.clone();
    with_gpu.spec.as_mut().unwrap().tolerations = Some(tolerations);
    container.spec.tolerations = None;
    assert_eq!(compare(&build_default(&container), &with_gpu), PodDrift::None);
}

#[test]
fn allocated_ports_and_refreshed_join_ips_do_not_replace_the_pod() {
    let mut container = pinned(ContainerMode::Drive);
    container.spec.join_ip_ports = Some(vec!["10.0.0.1:14000".into()]);
    let live = as_stored(&build_default(&container));
    container.status = Some(weka_api::WekaContainerStatus {
        allocations: Some(weka_api::wekacontainer::ContainerAllocations {
            weka_port: Some(15000),
            agent_port: Some(15099),
            ..Default::default()
        }),
        ..Default::default()
    });
    let settings = settings();
    let ctx = PodContext::new(&container, NodeInfo::default(), &settings)
        .with_join_ips(vec!["10.0.0.2:14000".into(), "10.0.0.3:14000".into()]);
    let desired = build_pod(&container, &ctx).unwrap();
    assert_eq!(env_value(&desired, "PORT").as_deref(), Some("15000"));
    assert_eq!(compare(&desired, &live), PodDrift::None);
}

#[test]
fn recording_the_node_a_running_pod_landed_on_does_not_replace_it() {
    let mut client = container(ContainerMode::Client);
    let live = as_stored(&build_default(&client));
    client.status = Some(weka_api::WekaContainerStatus {
        node_affinity: live.spec.as_ref().unwrap().node_name.clone(),
        ..Default::default()
    });
    let desired = build_default(&client);
    assert_ne!(
        desired.spec.as_ref().unwrap().priority_class_name,
        live.spec.as_ref().unwrap().priority_class_name
    );
    assert_eq!(compare(&desired, &live), PodDrift::None);

    client.status.as_mut().unwrap().node_affinity = Some("another-node".into());
    let reasons = replace_reasons(compare(&build_default(&client), &live));
    assert!(reasons.contains(&ReplaceReason::SpecChanged { field: "spec.affinity".into() }));
}

#[test]
fn a_spec_change_in_the_environment_replaces_the_pod() {
    let mut container = pinned(ContainerMode::S3);
    let live = as_stored(&build_default(&container));
    container.spec.network =
        Some(weka_api::common::Network { udp_mode: Some(true), ..Default::default() });
    let reasons = replace_reasons(compare(&build_default(&container), &live));
    assert_eq!(
        reasons,
        vec![ReplaceReason::SpecChanged { field: "spec.containers[weka-container].env".into() }]
    );
}

#[test]
fn operator_settings_changes_do_not_replace_running_pods() {
    let container = pinned(ContainerMode::Compute);
    let live = as_stored(&build_default(&container));
    let changed = PodSettings {
        operator_version: "v1.11.0".into(),
        syslog_package: "rsyslog".into(),
        otel_exporter_otlp_endpoint: "http://elsewhere:4317".into(),
        otel_installer_image: Some("python:3.12-slim".into()),
        debug_sleep_seconds: 60,
        dns_policy_host_network: Some(DnsPolicy::ClusterFirstWithHostNet),
        priority_class_targeted: Some("weka-critical".into()),
        ..settings()
    };
    let desired = build(&container, NodeInfo::default(), &changed);
    assert_eq!(compare(&desired, &live), PodDrift::None);
}

/// `pod` through kubesim's admission (typed decoding, defaulting, validation).
fn admitted_by_kubesim(pod: &Pod) -> Pod {
    let registry = kubesim::registry::Registry::new();
    let pods = registry.lookup("", "v1", "pods").expect("kubesim serves pods");
    let object = serde_json::to_value(pod).unwrap();
    let strict = kubesim::handlers::params::FieldValidation::Strict;
    let admitted = kubesim::admission::admit(&pods, object, None, strict, false)
        .unwrap_or_else(|e| panic!("kubesim rejects the pod: {e:?}"));
    serde_json::from_value(admitted.object).unwrap()
}

#[test]
fn pods_of_every_mode_pass_kubesim_admission_without_drift() {
    let mut settings = settings();
    settings.otel_installer_image = Some("python:3.12-slim".into());
    for mode in ContainerMode::ALL {
        if matches!(mode, ContainerMode::Smbw | ContainerMode::DataServicesFe) {
            continue;
        }
        let desired = build(&pinned(mode), aws_node(), &settings);
        assert_eq!(compare(&desired, &admitted_by_kubesim(&desired)), PodDrift::None, "{mode}");
    }
}
