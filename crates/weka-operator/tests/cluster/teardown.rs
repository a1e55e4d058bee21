//! Deleting a WekaCluster: its containers are destroyed through the container controller's
//! stop protocol (no pod force-deleted), their drives re-signed, their node claims released,
//! its Secrets removed, nothing left behind; WekaClients
//! that use the cluster hold the deletion back (condition and event) until they go; the
//! graceful destroy period pauses the containers first.

use std::time::Duration;

use crate::support::*;
use kube::ResourceExt;
use kube::api::PostParams;
use serde_json::json;
use weka_api::WekaClient;
use weka_api::constants::conditions as cond;
use weka_api::wekacontainer::ContainerState;

/// The cluster's containers match no node (so no pods run and no drives are allocated):
/// containers and Secrets go.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_cluster_removes_its_containers_pods_and_secrets() {
    let env = Env::with_backends(5).await;
    env.create_cluster(small_cluster("doomed", 5, 5, json!({"nodeSelector": {"pool": "none"}})))
        .await;
    env.wait_condition("doomed", cond::PODS_CREATED, "True", None).await;
    // Like upstream's `pickMatchingNode`, a container whose selector matches no node gets
    // no pod (it says so in its conditions) rather than a pod that can never be scheduled.
    env.wait_for("every container reports that no node matches", || async {
        let containers = env.containers().list(&Default::default()).await.ok()?;
        let waiting = containers
            .items
            .iter()
            .filter(|c| {
                condition_of_container(c, cond::READY).is_some_and(|r| r.reason == "NoMatchingNode")
            })
            .count();
        (waiting == 10).then_some(())
    })
    .await;

    env.delete_cluster("doomed").await;
    env.wait_cluster_gone("doomed", Duration::from_secs(120)).await;
    env.assert_nothing_left().await;
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_ready_cluster_destroys_it_and_leaves_nothing() {
    let env = Env::with_backends(5).await;
    env.create_cluster(small_cluster("formed", 5, 5, json!({}))).await;
    env.kubectl_wait_ready("formed", Duration::from_secs(120)).await;
    let guid = env.cluster("formed").await.unwrap().status.unwrap().cluster_id.unwrap();
    assert_eq!(env.drives_signed_by(&guid).await.len(), 5, "one drive per drive container");

    env.delete_cluster("formed").await;
    env.wait_cluster_gone("formed", Duration::from_secs(120)).await;
    env.assert_nothing_left().await;
    // Each drive container's teardown re-signed its drive (force-resign-drives), so that a
    // new cluster may take it.
    assert_eq!(env.drives_signed_by(&guid).await, Vec::<String>::new(), "drives not re-signed");
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wekaclient_using_the_cluster_holds_its_deletion_back() {
    let env = Env::with_backends(5).await;
    env.create_cluster(small_cluster("used", 5, 5, json!({"nodeSelector": {"pool": "none"}})))
        .await;
    env.wait_condition("used", cond::PODS_CREATED, "True", None).await;
    let client: WekaClient = serde_json::from_value(json!({
        "apiVersion": weka_api::API_VERSION, "kind": "WekaClient",
        "metadata": {"name": "consumer", "namespace": NS},
        "spec": {"image": IMAGE, "targetCluster": {"name": "used", "namespace": NS},
                 "nodeSelector": {"role": "nowhere"}},
    }))
    .expect("a WekaClient");
    let clients: kube::Api<WekaClient> = kube::Api::namespaced(env.client.clone(), NS);
    clients.create(&PostParams::default(), &client).await.expect("WekaClient created");

    env.delete_cluster("used").await;
    let blocked =
        env.wait_condition("used", cond::PROGRESSING, "True", Some("DependentWekaClients")).await;
    assert!(condition(&blocked, cond::PROGRESSING).unwrap().message.contains("test/consumer"));
    assert_eq!(status_of(&blocked), "Destroying");
    let event = env.wait_event("used", "DependentWekaClients").await;
    assert!(event.contains("please delete them first"), "{event}");
    assert_eq!(env.container_names().await.len(), 10, "nothing is destroyed meanwhile");

    clients.delete("consumer", &Default::default()).await.expect("WekaClient deleted");
    env.wait_cluster_gone("used", Duration::from_secs(120)).await;
    env.assert_nothing_left().await;
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_cluster_pauses_its_containers_during_the_graceful_period() {
    let env = Env::with_backends(5).await;
    let spec = json!({"gracefulDestroyDuration": "1h"});
    env.create_cluster(small_cluster("careful", 5, 5, spec)).await;
    env.wait_condition("careful", cond::PODS_CREATED, "True", None).await;

    env.delete_cluster("careful").await;
    let cluster = env.wait_condition("careful", cond::READY, "False", Some("Deleting")).await;
    assert_eq!(status_of(&cluster), "GracePeriod");
    env.wait_for("every container paused", || async {
        let list = env.owned_containers(&cluster).await;
        let all =
            list.len() == 10 && list.iter().all(|c| c.spec.state == Some(ContainerState::Paused));
        all.then_some(())
    })
    .await;
    env.wait_within("every pod of the cluster stopped", Duration::from_secs(120), || async {
        let pods = env.pods().list(&Default::default()).await.ok()?;
        let names = env.container_names().await;
        pods.items.iter().all(|p| !names.contains(&p.name_any())).then_some(())
    })
    .await;
    assert_eq!(env.container_names().await.len(), 10, "nothing destroyed during the period");

    // Cancelling the deletion brings them back.
    env.patch_cluster("careful", json!({"spec": {"overrides": {"cancelDeletion": true}}})).await;
    env.wait_for("every container active again", || async {
        let list = env.owned_containers(&cluster).await;
        list.iter().all(|c| c.spec.state == Some(ContainerState::Active)).then_some(())
    })
    .await;
    env.finish();
}
