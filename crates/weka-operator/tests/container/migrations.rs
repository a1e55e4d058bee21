//! Migrations of containers created by older operators: a container whose state lived in a
//! PVC moves it to its node (`overrides.migrateOutFromPvc`) before its pod starts, and its pod
//! then runs without the PVC.

use crate::support::*;
use k8s_openapi::api::core::v1::PersistentVolumeClaim;
use kube::ResourceExt;
use kube::api::Api;
use serde_json::json;
use weka_api::constants::conditions as cond;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_migrating_out_of_its_pvc_copies_its_data_first_and_runs_without_it() {
    let env = Env::started(1).await;
    let claim: PersistentVolumeClaim = serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "weka-data", "namespace": NS},
        "spec": {"accessModes": ["ReadWriteMany"],
                 "resources": {"requests": {"storage": "10Gi"}}},
    }))
    .unwrap();
    Api::<PersistentVolumeClaim>::namespaced(env.client.clone(), NS)
        .create(&Default::default(), &claim)
        .await
        .expect("claim created");
    let extra = json!({
        "nodeAffinity": "node-1",
        "pvc": {"name": "weka-data"},
        "overrides": {"migrateOutFromPvc": true},
    });
    let created = env.create("compute-a", spec("compute", extra)).await;
    let uid = created.uid().unwrap();

    let migrated = env.wait_condition("compute-a", cond::MIGRATED_OUT_FROM_PVC, "True", None).await;
    assert!(migrated.spec.pvc.is_none(), "spec.pvc is dropped once the data moved");
    let pod = env.wait_pod_running("compute-a").await;
    let volumes = pod.spec.unwrap().volumes.unwrap_or_default();
    assert!(volumes.iter().all(|v| v.persistent_volume_claim.is_none()), "{volumes:?}");
    // A maintenance pod on the node copied the data, and was deleted once done.
    let migrate = format!("weka-pvc-migrate-{uid}");
    let deletes = env
        .operator_writes()
        .into_iter()
        .filter(|r| r.resource == "pods" && r.name.as_deref() == Some(migrate.as_str()))
        .filter(|r| r.verb == "delete" && r.code < 300)
        .count();
    assert_eq!(deletes, 1);
    env.wait_no_pod(&migrate).await;
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pvc_without_the_override_stays() {
    let env = Env::started(1).await;
    let extra = json!({"nodeAffinity": "node-1", "pvc": {"name": "weka-data"}});
    env.create("compute-a", spec("compute", extra)).await;
    let pod = env.wait_pod_running("compute-a").await;
    let volumes = pod.spec.unwrap().volumes.unwrap_or_default();
    assert!(volumes.iter().any(|v| v.persistent_volume_claim.is_some()), "{volumes:?}");
    let c = env.get("compute-a").await.unwrap();
    assert!(c.spec.pvc.is_some());
    assert!(condition(&c, cond::MIGRATED_OUT_FROM_PVC).is_none());
    env.finish();
}
