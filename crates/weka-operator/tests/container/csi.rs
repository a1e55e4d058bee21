//! CSI topology labels: with `CSI_INSTALLATION_ENABLED`, a client container owned by a
//! WekaClient labels its node for the CSI driver of the WekaClient's target cluster while its
//! processes are all active, unlabels it when they are not, and takes the labels away when it
//! is deleted. With CSI off (the default) the node is never labelled.
//!
//! No WekaClient controller runs here: the WekaClient is created as an object only, and the
//! container's process counts are written to its status as the metrics step would (metrics
//! collection is off, so nothing else writes them).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use k8s_openapi::api::core::v1::Node;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::ResourceExt;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;
use weka_api::{WekaClient, WekaContainer};

use crate::support::*;

const NODE: &str = "node-1";
const CONTAINER: &str = "client-a";
/// The driver of target cluster `cluster-a` in namespace `test`: its default group
/// `cluster-a.test`, then `.weka.io`.
const ACCESSIBLE: &str = "topology.cluster-a.test.weka.io/accessible";
const NODE_LABEL: &str = "topology.cluster-a.test.weka.io/node";
const TRANSPORT: &str = "topology.cluster-a.test.weka.io/transport";

/// Operator flags of these tests: no metrics polling (the test reports the process counts);
/// a client need not be `Running` to be accessible (these clients join no WEKA cluster); and
/// every namespace watched, as by default, so that the node agents of the operator's own
/// namespace are in the pod cache (the Deleting flow asks a client's agent for its mounts).
fn base_args() -> Vec<String> {
    [
        "--metrics-containers-enabled=false",
        "--csi-prevent-new-workload-on-client-container-not-running=false",
        "--namespace=",
    ]
    .map(String::from)
    .to_vec()
}

/// WekaCluster `cluster-a`, WekaClient `clients` targeting it, and client container
/// `client-a` on node-1 owned by the WekaClient.
async fn client_container(env: &Env) -> WekaContainer {
    env.create_cluster("cluster-a").await;
    let client: WekaClient = serde_json::from_value(json!({
        "apiVersion": "weka.weka.io/v1alpha1",
        "kind": "WekaClient",
        "metadata": {"name": "clients", "namespace": NS},
        "spec": {"image": IMAGE, "targetCluster": {"name": "cluster-a", "namespace": NS}},
    }))
    .expect("a WekaClient");
    let clients = Api::<WekaClient>::namespaced(env.client.clone(), NS);
    let client = clients.create(&PostParams::default(), &client).await.expect("WekaClient created");
    let extra = json!({"nodeAffinity": NODE, "portRange": {"basePort": 45000}});
    let object: WekaContainer = serde_json::from_value(json!({
        "apiVersion": "weka.weka.io/v1alpha1",
        "kind": "WekaContainer",
        "metadata": {"name": CONTAINER, "namespace": NS, "ownerReferences": [{
            "apiVersion": "weka.weka.io/v1alpha1", "kind": "WekaClient",
            "name": client.name_any(), "uid": client.uid().unwrap(),
            "controller": true, "blockOwnerDeletion": true,
        }]},
        "spec": spec("client", extra),
    }))
    .expect("a WekaContainer");
    env.containers().create(&PostParams::default(), &object).await.expect("WekaContainer created")
}

/// Writes the container's process counts as the metrics step would, dated now.
async fn report_processes(env: &Env, active: i64, desired: i64) {
    let counts = json!({"active": active, "created": desired, "desired": desired});
    let stats = json!({"processes": counts, "lastUpdate": Time(Timestamp::now())});
    let body = json!({"status": {"stats": stats}});
    env.containers()
        .patch_status(CONTAINER, &PatchParams::default(), &Patch::Merge(&body))
        .await
        .expect("stats written");
}

/// Whether a label key is a WEKA CSI topology label (`topology.<driver>.weka.io/...`; the
/// nodes carry Kubernetes' own `topology.kubernetes.io/...` labels too).
fn is_csi_topology(key: &str) -> bool {
    key.starts_with("topology.") && key.contains(".weka.io/")
}

/// The node's WEKA CSI topology labels.
async fn topology_labels(env: &Env) -> BTreeMap<String, String> {
    let node = env.nodes().get(NODE).await.expect("node read");
    node.labels()
        .iter()
        .filter(|(k, _)| is_csi_topology(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn expected_labels() -> BTreeMap<String, String> {
    [(ACCESSIBLE, "true"), (NODE_LABEL, NODE), (TRANSPORT, "wekafs")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn wait_labels(env: &Env, what: &str, want: BTreeMap<String, String>) {
    env.wait_for(what, || {
        let want = want.clone();
        async move { (topology_labels(env).await == want).then_some(()) }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csi_client_labels_its_node_while_accessible_and_unlabels_it_on_deletion() {
    let mut env = Env::new(2).await;
    env.args = base_args();
    env.args.push("--csi-installation-enabled=true".into());
    env.start_operator().await;
    client_container(&env).await;
    env.wait_container(CONTAINER, "finalizer added", has_finalizer).await;
    assert!(topology_labels(&env).await.is_empty(), "no counts yet, no labels");

    report_processes(&env, 2, 2).await;
    wait_labels(&env, "the node labelled for the driver", expected_labels()).await;

    // One process down: the node stops taking new CSI workloads.
    report_processes(&env, 1, 2).await;
    wait_labels(&env, "the labels removed", BTreeMap::new()).await;
    report_processes(&env, 2, 2).await;
    wait_labels(&env, "the node labelled again", expected_labels()).await;

    env.containers().delete(CONTAINER, &Default::default()).await.expect("container deleted");
    env.wait_gone(CONTAINER).await;
    assert!(topology_labels(&env).await.is_empty(), "the labels went with the container");
    let node = env.nodes().get(NODE).await.expect("node read");
    assert!(node.labels().contains_key("kubernetes.io/hostname"), "other labels stay");
    env.finish();
}

/// Whether the node ever carried a WEKA CSI topology label, seen from a watch started now, and the
/// last value of the test's own checkpoint label (to know the watch has caught up).
struct NodeLabelHistory {
    seen: Arc<Mutex<(bool, Option<String>)>>,
    task: tokio::task::JoinHandle<()>,
}

const CHECKPOINT: &str = "csi-test.example.com/checkpoint";

impl NodeLabelHistory {
    fn start(env: &Env) -> Self {
        let seen: Arc<Mutex<(bool, Option<String>)>> = Arc::default();
        let record = seen.clone();
        let stream = kube::runtime::watcher(env.nodes(), Default::default());
        let task = tokio::spawn(async move {
            let mut stream = std::pin::pin!(stream);
            while let Some(event) = stream.next().await {
                let node: Node = match event {
                    Ok(
                        kube::runtime::watcher::Event::Apply(node)
                        | kube::runtime::watcher::Event::InitApply(node),
                    ) if node.name_any() == NODE => node,
                    _ => continue,
                };
                let mut seen = record.lock().unwrap();
                seen.0 |= node.labels().keys().any(|k| is_csi_topology(k));
                seen.1 = node.labels().get(CHECKPOINT).cloned();
            }
        });
        NodeLabelHistory { seen, task }
    }

    /// Sets the checkpoint label and waits for the watch to see it: every earlier change of
    /// the node has been seen then. Returns whether a topology label was ever seen.
    async fn ever_labelled(&self, env: &Env) -> bool {
        let mark = Timestamp::now().as_nanosecond().to_string();
        let body = json!({"metadata": {"labels": {CHECKPOINT: mark}}});
        let api: Api<Node> = env.nodes();
        api.patch(NODE, &PatchParams::default(), &Patch::Merge(&body)).await.expect("checkpoint");
        env.wait_for("the node watch caught up", || async {
            let seen = self.seen.lock().unwrap();
            (seen.1.as_deref() == Some(mark.as_str())).then_some(seen.0)
        })
        .await
    }
}

impl Drop for NodeLabelHistory {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_csi_installation_no_csi_label_ever_appears() {
    let mut env = Env::new(2).await;
    env.args = base_args();
    env.start_operator().await;
    let history = NodeLabelHistory::start(&env);
    client_container(&env).await;
    env.wait_container(CONTAINER, "finalizer added", has_finalizer).await;
    report_processes(&env, 2, 2).await;
    // Every flow runs after the counts are in: the rest of the Active flow, then the whole
    // Deleting flow, where the CSI group would have labelled the node before finalization.
    env.containers().delete(CONTAINER, &Default::default()).await.expect("container deleted");
    env.wait_gone(CONTAINER).await;
    assert!(!history.ever_labelled(&env).await, "the node was labelled for CSI");
    let read_clients = env.operator_requests().into_iter().filter(|r| r.resource == "wekaclients");
    assert_eq!(read_clients.count(), 0, "the WekaClient is not read without CSI");
    env.finish();
}
