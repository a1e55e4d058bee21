//! A WekaCluster from creation to Ready: finalizer and status, the Secrets with upstream's
//! names and keys and the WEKA users behind them, a committed port range (distinct per
//! cluster, also when two operators allocate at once), the WekaContainers with their names,
//! labels and owner references, `cluster create` in the first drive container, the conditions
//! in upstream's order; a bad template reported instead of a crash loop; scaling up (new
//! containers join with join IPs) and down (through the containers' stop protocol).

use std::collections::BTreeSet;
use std::time::Duration;

use crate::support::*;
use kube::ResourceExt;
use serde_json::json;
use weka_api::constants::{conditions as cond, finalizers, labels};
use weka_api::wekacontainer::ContainerState;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_cluster_is_formed_with_its_secrets_users_and_ports_and_becomes_ready() {
    let env = Env::with_backends(5).await;
    env.create_cluster(small_cluster("alpha", 5, 5, json!({"hotSpare": 1}))).await;
    env.kubectl_wait_ready("alpha", Duration::from_secs(120)).await;
    // The counters follow the containers' statuses.
    let counted = |c: &weka_api::WekaCluster| {
        let printer = c.status.as_ref().and_then(|s| s.printer.clone()).unwrap_or_default();
        printer.drive_containers.as_deref() == Some("5/5/5")
            && printer.compute_containers.as_deref() == Some("5/5/5")
            && printer.drives.as_deref() == Some("5/5/5")
    };
    env.wait_cluster("alpha", "printer columns 5/5/5", TIMEOUT, counted).await;

    let cluster = env.cluster("alpha").await.unwrap();
    assert!(cluster.finalizers().iter().any(|f| f == finalizers::WEKA));
    let status = cluster.status.clone().unwrap();
    assert_eq!(status.status, "Ready");
    assert_eq!(status.last_applied_image.as_deref(), Some(IMAGE));
    let ports = status.ports.unwrap();
    assert_eq!((ports.base_port, ports.port_range), (Some(35000), Some(500)));
    assert_eq!(ports.lb_port, Some(35300), "singletons from base + 300");
    assert_eq!(ports.lb_admin_port, Some(35301));
    assert_eq!(ports.s3_port, Some(35302));

    // The upstream conditions, in the order the steps set them, then ours.
    let types: Vec<String> = status.conditions.iter().flatten().map(|c| c.type_.clone()).collect();
    let upstream = [
        cond::CLUSTER_SECRETS_CREATED,
        cond::PODS_CREATED,
        cond::PODS_READY,
        cond::CLUSTER_CREATED,
        cond::JOINED_CLUSTER,
        cond::DRIVES_ADDED,
        cond::IO_STARTED,
        cond::CLUSTER_SECRETS_APPLIED,
        cond::CLUSTER_CLIENT_SECRETS_CREATED,
        cond::CLUSTER_CLIENT_SECRETS_APPLIED,
        cond::CLUSTER_CSI_SECRETS_CREATED,
        cond::CLUSTER_CSI_SECRETS_APPLIED,
        cond::DEFAULT_FS_CREATED,
        cond::WEKA_HOME_CONFIGURED,
        cond::CLUSTER_READY,
    ];
    let seen: Vec<&str> =
        types.iter().map(String::as_str).filter(|t| upstream.contains(t)).collect();
    assert_eq!(seen, upstream, "{types:?}");
    for type_ in upstream {
        assert!(is_true(&cluster, type_), "{type_}");
    }

    // WEKA: one cluster named after the WekaCluster, its GUID in status, settings applied.
    let guid = status.cluster_id.clone().unwrap();
    let uid = cluster.uid().unwrap();
    let last = uid.rsplit('-').next().unwrap().to_string();
    let (name, hot_spare, members, users) = env.runtime.with_world(|w| {
        let c = w.cluster(&guid).expect("the WEKA cluster");
        (
            c.name.clone(),
            c.settings.hot_spare,
            c.members().count(),
            c.users.keys().cloned().collect::<Vec<_>>(),
        )
    });
    assert_eq!((name.as_str(), hot_spare, members), ("alpha", 1, 10));
    for user in [
        format!("weka-operator-{last}"),
        format!("weka{last}"),
        format!("wekaclient{last}"),
        format!("wekacsi{last}"),
    ] {
        assert!(users.contains(&user), "{user} in {users:?}");
    }

    // Secrets: names and keys as upstream's; the operator's now names its own user.
    let operator = env.secrets().get(&format!("weka-operator-{uid}")).await.unwrap();
    assert_eq!(keys(&operator), ["join-secret", "org", "password", "username"]);
    assert_eq!(value(&operator, "username"), format!("weka-operator-{last}"));
    assert_eq!(value(&operator, "org"), "Root");
    assert_eq!(value(&operator, "password").len(), 32);
    assert_eq!(value(&operator, "join-secret").len(), 64);
    assert_eq!(operator.owner_references()[0].uid, uid);
    let user = env.secrets().get("weka-cluster-alpha").await.unwrap();
    assert_eq!(keys(&user), ["org", "password", "username"]);
    assert_eq!(value(&user, "username"), format!("weka{last}"));
    assert_ne!(value(&user, "password"), value(&operator, "password"));
    let client = env.secrets().get("weka-client-alpha").await.unwrap();
    assert_eq!(keys(&client), ["join-secret", "org", "password", "username"]);
    let csi = env.secrets().get("weka-csi-alpha").await.unwrap();
    assert_eq!(keys(&csi), ["endpoints", "organization", "password", "scheme", "username"]);
    // The endpoints list every operational container: written when the secret is created,
    // then refreshed as soon as more containers become operational (not after 5 minutes).
    let secrets = env.secrets();
    env.wait_for("the CSI endpoints listing all 10 containers", || async {
        let csi = secrets.get("weka-csi-alpha").await.ok()?;
        (value(&csi, "endpoints").split(',').count() == 10).then_some(())
    })
    .await;
    assert_eq!(value(&csi, "scheme"), "https");

    // The default admin user stays for the grace period (5 minutes), while pods pick up
    // the operator Secret's new username.
    assert!(condition(&cluster, cond::ADMIN_USER_DELETED).is_none());

    // Containers: 5 + 5 with deterministic names, owned, labelled, selecting the backends.
    let containers = env.owned_containers(&cluster).await;
    let names: Vec<String> = containers.iter().map(|c| c.name_any()).collect();
    let expected: Vec<String> = (0..5)
        .map(|i| format!("alpha-compute-{i}"))
        .chain((0..5).map(|i| format!("alpha-drive-{i}")))
        .collect();
    assert_eq!(names, expected);
    for c in &containers {
        let owner = &c.owner_references()[0];
        assert_eq!((owner.kind.as_str(), owner.controller), ("WekaCluster", Some(true)));
        assert_eq!(c.labels().get(labels::CLUSTER_ID), Some(&uid));
        assert_eq!(c.labels().get(labels::CLUSTER_NAME).map(String::as_str), Some("alpha"));
        assert_eq!(c.labels().get(labels::MODE).map(String::as_str), Some(c.spec.mode.as_str()));
        assert!(c.spec.join_ip_ports.is_none(), "formed by cluster create, not joined");
        let selector = c.spec.node_selector.clone().unwrap_or_default();
        assert_eq!(selector.get(BACKEND_LABEL.0).map(String::as_str), Some(BACKEND_LABEL.1));
    }
    assert_eq!(containers[5].spec.name, "drivex0");

    // `cluster create` ran once, in the first drive container, with every member's IPs.
    let creates: Vec<String> = env
        .operator_execs()
        .into_iter()
        .filter(|(_, argv)| argv.last().is_some_and(|s| s.contains("weka cluster create")))
        .map(|(pod, argv)| format!("{pod}: {}", argv.join(" ")))
        .collect();
    assert!(
        creates
            .iter()
            .all(|c| c.starts_with("alpha-drive-0: bash -ce weka status || weka cluster create ")),
        "{creates:#?}"
    );
    assert!(
        creates[0].contains(
            "--join-secret=`cat /var/run/secrets/weka-operator/operator-user/join-secret`"
        )
    );
    assert_eq!(
        creates[0]
            .split("--host-ips ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .split(',')
            .count(),
        10
    );
    for event in
        ["InitialContainersReady", "ClusterCreated", "DrivesAdded", "IoStarted", "ClusterReady"]
    {
        env.wait_event("alpha", event).await;
    }
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn io_starts_once_a_drive_is_active_without_a_failed_attempt_before() {
    let env = Env::with_backends(5).await;
    // Added drives phase in for 3 s before they are active; WEKA refuses start-io until one is.
    env.runtime.with_world(|w| {
        let latencies = wekasim::latency::Latencies {
            drive_activate: Duration::from_secs(3),
            ..wekasim::latency::Latencies::zero()
        };
        w.set_latencies(latencies)
    });
    env.create_cluster(small_cluster("phasing", 5, 5, json!({}))).await;
    env.kubectl_wait_ready("phasing", Duration::from_secs(120)).await;
    env.wait_event("phasing", "IoStarted").await;
    assert_eq!(env.events("phasing", "StartIoFailed").await, Vec::<String>::new());
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_naming_no_usable_template_says_so_and_recovers_when_fixed() {
    let env = Env::with_backends(0).await;
    env.create_cluster(small_cluster("beta", 5, 5, json!({"template": "huge"}))).await;

    let cluster =
        env.wait_condition("beta", cond::PODS_CREATED, "False", Some("InvalidTemplate")).await;
    assert!(condition(&cluster, cond::PODS_CREATED).unwrap().message.contains("\"huge\""));
    let ready = condition(&cluster, cond::READY).unwrap();
    assert_eq!((ready.status.as_str(), ready.reason.as_str()), ("False", "InvalidTemplate"));
    let event = env.wait_event("beta", "InvalidTemplate").await;
    assert!(event.contains("template \"huge\" not found"), "{event}");
    assert!(env.container_names().await.is_empty());

    env.patch_cluster("beta", json!({"spec": {"template": "dynamic"}})).await;
    env.wait_condition("beta", cond::PODS_CREATED, "True", None).await;
    assert_eq!(env.container_names().await.len(), 10);
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clusters_created_at_once_by_two_operators_get_distinct_port_ranges() {
    let mut env = Env::with_backends(0).await;
    // A second operator instance (no leader election): both reconcile every cluster.
    env.start_second_operator().await;
    let names = ["p1", "p2", "p3", "p4"];
    let creates = names.map(|n| env.create_cluster(small_cluster(n, 5, 5, json!({}))));
    futures::future::join_all(creates).await;

    let mut ranges = Vec::new();
    for name in names {
        let cluster = env.wait_condition(name, cond::PODS_CREATED, "True", None).await;
        let ports = cluster.status.unwrap().ports.unwrap();
        ranges.push((ports.base_port.unwrap(), ports.port_range.unwrap(), name));
    }
    ranges.sort();
    for pair in ranges.windows(2) {
        let ((a, size, first), (b, _, second)) = (pair[0], pair[1]);
        assert!(a + size <= b, "{first} {a}+{size} overlaps {second} {b}: {ranges:?}");
    }
    let names = env.container_names().await;
    assert_eq!(names.len(), 40, "no duplicate containers: {names:?}");
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scaling_the_template_adds_and_removes_containers() {
    let env = Env::with_backends(7).await;
    env.create_cluster(small_cluster("gamma", 5, 5, json!({}))).await;
    env.kubectl_wait_ready("gamma", Duration::from_secs(120)).await;
    assert_eq!(env.container_names().await.len(), 10);

    let template =
        json!({"spec": {"dynamicTemplate": {"driveContainers": 7, "computeContainers": 6}}});
    env.patch_cluster("gamma", template).await;
    let grown = env
        .wait_for("13 containers", || async {
            let names = env.container_names().await;
            (names.len() == 13).then_some(names)
        })
        .await;
    for name in ["gamma-drive-5", "gamma-drive-6", "gamma-compute-5"] {
        assert!(grown.contains(&name.to_string()), "{grown:?}");
        let joining = env.containers().get(name).await.unwrap();
        let ips = joining.spec.join_ip_ports.unwrap_or_default();
        assert!(!ips.is_empty(), "{name} joins the formed cluster");
    }
    // They join the cluster; it stays Ready meanwhile.
    let guid = env.cluster("gamma").await.unwrap().status.unwrap().cluster_id.unwrap();
    env.wait_within("13 members in WEKA", Duration::from_secs(90), || async {
        let members = env.runtime.with_world(|w| w.cluster(&guid).map(|c| c.members().count()));
        (members == Some(13)).then_some(())
    })
    .await;
    assert!(is_true(&env.cluster("gamma").await.unwrap(), cond::READY));

    // Down again: the newest compute container leaves through the stop protocol (state
    // deleting: deactivated and removed in WEKA, pod stopped, object gone).
    let template = json!({"spec": {"dynamicTemplate": {"computeContainers": 5}}});
    env.patch_cluster("gamma", template).await;
    env.wait_for("the excess compute container leaving", || async {
        let c = env.containers().get_opt("gamma-compute-5").await.ok()?;
        (c.is_none() || c.unwrap().spec.state == Some(ContainerState::Deleting)).then_some(())
    })
    .await;
    env.wait_within("the excess removed", Duration::from_secs(90), || async {
        (env.container_names().await.len() == 12).then_some(())
    })
    .await;
    env.wait_within("12 members in WEKA", Duration::from_secs(90), || async {
        let members = env.runtime.with_world(|w| w.cluster(&guid).map(|c| c.members().count()));
        (members == Some(12)).then_some(())
    })
    .await;
    assert!(is_true(&env.cluster("gamma").await.unwrap(), cond::READY));
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scaling_drive_containers_down_removes_the_newest() {
    let env = Env::with_backends(6).await;
    env.create_cluster(small_cluster("delta", 6, 5, json!({}))).await;
    env.kubectl_wait_ready("delta", Duration::from_secs(120)).await;
    let guid = env.cluster("delta").await.unwrap().status.unwrap().cluster_id.unwrap();

    env.patch_cluster("delta", json!({"spec": {"dynamicTemplate": {"driveContainers": 5}}})).await;
    env.wait_within("the newest drive container removed", Duration::from_secs(90), || async {
        let names = env.container_names().await;
        (names.len() == 10 && !names.contains(&"delta-drive-5".to_string())).then_some(())
    })
    .await;
    env.wait_within("10 members in WEKA", Duration::from_secs(90), || async {
        let members = env.runtime.with_world(|w| w.cluster(&guid).map(|c| c.members().count()));
        (members == Some(10)).then_some(())
    })
    .await;
    assert!(is_true(&env.cluster("delta").await.unwrap(), cond::READY));
    env.finish();
}

fn keys(secret: &k8s_openapi::api::core::v1::Secret) -> Vec<String> {
    let data = secret.data.iter().flatten().map(|(k, _)| k.clone());
    let string_data = secret.string_data.iter().flatten().map(|(k, _)| k.clone());
    let set: BTreeSet<String> = data.chain(string_data).collect();
    set.into_iter().collect()
}

fn value(secret: &k8s_openapi::api::core::v1::Secret, key: &str) -> String {
    if let Some(v) = secret.data.as_ref().and_then(|d| d.get(key)) {
        return String::from_utf8(v.0.clone()).unwrap();
    }
    secret.string_data.as_ref().and_then(|d| d.get(key)).cloned().unwrap_or_default()
}
