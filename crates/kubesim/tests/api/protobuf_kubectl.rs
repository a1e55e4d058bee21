//! kubesim answers as Kubernetes 1.32, so the kubectl dispatcher on the machines runs kubectl
//! 1.32, whose generated clients send built-in kinds as protobuf: the imperative `kubectl
//! create ...` commands must work as against a real apiserver.

use crate::common::{raw, start};
use crate::kubectl_support::{available, kubectl};

#[tokio::test]
async fn the_server_reports_kubernetes_1_32() {
    let sim = start().await;
    let version = raw(&sim, "GET", "/version", None, "").await.json();
    assert_eq!((version["major"].as_str(), version["minor"].as_str()), (Some("1"), Some("32")));
    assert!(version["gitVersion"].as_str().unwrap().starts_with("v1.32."));
    if !available() {
        return;
    }
    let run = kubectl(&sim, &["version", "-o", "json"]).await;
    let out = run.json();
    assert_eq!(out["serverVersion"]["minor"], "32");
    // The dispatcher runs the kubectl release of the server's minor version.
    kubectl(&sim, &["get", "ns", "default"]).await.out();
    let agents = sim.request_log().find(|r| r.path == "/api/v1/namespaces/default");
    let agent = agents.last().unwrap().user_agent.clone().unwrap_or_default();
    assert!(agent.contains("/v1.32."), "{agent}");
}

#[tokio::test]
async fn kubectl_create_commands_send_protobuf_and_work() {
    if !available() {
        return;
    }
    let sim = start().await;
    let run =
        kubectl(&sim, &["create", "configmap", "lit", "--from-literal=a=b", "--from-literal=c=d"])
            .await;
    assert_eq!(run.out().trim(), "configmap/lit created");
    let cm =
        kubectl(&sim, &["get", "cm", "lit", "-o", "json", "--show-managed-fields"]).await.json();
    assert_eq!(cm["data"], serde_json::json!({"a": "b", "c": "d"}));
    assert_eq!(cm["metadata"]["managedFields"][0]["manager"], "kubectl-create");
    let creates = sim.request_log().find(|r| r.verb == "create" && r.resource == "configmaps");
    assert_eq!(creates[0].content_type.as_deref(), Some("application/vnd.kubernetes.protobuf"));
    assert_eq!(creates[0].code, 201);

    assert_eq!(
        kubectl(&sim, &["create", "namespace", "team"]).await.out().trim(),
        "namespace/team created"
    );
    kubectl(&sim, &["create", "serviceaccount", "robot", "-n", "team"]).await.out();
    kubectl(&sim, &["create", "secret", "generic", "creds", "--from-literal=token=s3cret"])
        .await
        .out();
    let secret = kubectl(&sim, &["get", "secret", "creds", "-o", "json"]).await.json();
    assert_eq!(secret["data"]["token"], "czNjcmV0");
    assert_eq!(secret["type"], "Opaque");

    let run = kubectl(
        &sim,
        &["create", "deployment", "web", "--image=nginx:1.27", "--replicas=2", "--port=80"],
    )
    .await;
    assert_eq!(run.out().trim(), "deployment.apps/web created");
    let d = kubectl(&sim, &["get", "deployment", "web", "-o", "json"]).await.json();
    assert_eq!(d["spec"]["replicas"], 2);
    assert_eq!(d["spec"]["selector"]["matchLabels"]["app"], "web");
    let c = &d["spec"]["template"]["spec"]["containers"][0];
    assert_eq!((c["name"].as_str(), c["image"].as_str()), (Some("nginx"), Some("nginx:1.27")));
    assert_eq!(c["ports"][0]["containerPort"], 80);
    assert!(c["ports"][0].get("hostPort").is_none());

    kubectl(&sim, &["create", "service", "clusterip", "web", "--tcp=80:8080"]).await.out();
    let svc = kubectl(&sim, &["get", "svc", "web", "-o", "json"]).await.json();
    assert_eq!(svc["spec"]["ports"][0]["port"], 80);
    assert_eq!(svc["spec"]["ports"][0]["targetPort"], 8080);
    assert_eq!(svc["spec"]["selector"]["app"], "web");

    kubectl(&sim, &["create", "job", "once", "--image=busybox", "--", "echo", "hi"]).await.out();
    let job = kubectl(&sim, &["get", "job", "once", "-o", "json"]).await.json();
    let jc = &job["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(jc["command"], serde_json::json!(["echo", "hi"]));
    assert_eq!(job["spec"]["template"]["spec"]["restartPolicy"], "Never");
    kubectl(&sim, &["create", "cronjob", "tick", "--image=busybox", "--schedule=*/5 * * * *"])
        .await
        .out();

    kubectl(&sim, &["create", "role", "reader", "--verb=get,list", "--resource=pods"]).await.out();
    kubectl(
        &sim,
        &["create", "rolebinding", "read", "--role=reader", "--serviceaccount=team:robot"],
    )
    .await
    .out();
    let rb = kubectl(&sim, &["get", "rolebinding", "read", "-o", "json"]).await.json();
    assert_eq!(rb["roleRef"]["name"], "reader");
    assert_eq!(rb["subjects"][0]["namespace"], "team");
    kubectl(&sim, &["create", "clusterrole", "viewer", "--verb=get", "--resource=nodes"])
        .await
        .out();
    kubectl(&sim, &["create", "priorityclass", "high", "--value=1000", "--description=important"])
        .await
        .out();
    let pc = kubectl(&sim, &["get", "priorityclass", "high", "-o", "json"]).await.json();
    assert_eq!((pc["value"].as_i64(), pc["description"].as_str()), (Some(1000), Some("important")));
    kubectl(&sim, &["create", "pdb", "web", "--selector=app=web", "--min-available=1"]).await.out();

    let protobuf = sim.request_log().find(|r| {
        r.verb == "create"
            && r.content_type.as_deref() == Some("application/vnd.kubernetes.protobuf")
    });
    assert!(protobuf.len() >= 12, "{}", protobuf.len());
    assert!(protobuf.iter().all(|r| r.code == 201), "{protobuf:?}");
    // Dry runs go through the same decoding and store nothing.
    kubectl(&sim, &["create", "configmap", "dry", "--from-literal=a=b", "--dry-run=server"])
        .await
        .out();
    assert!(!kubectl(&sim, &["get", "cm", "dry"]).await.ok);
}
