//! Strategic merge patch as a real apiserver applies it, through kube-rs, raw HTTP and the real
//! kubectl (`patch`, `label`, `annotate`, `cordon`, client-side `apply`).

use crate::common::{raw, start, status};
use crate::kubectl_support::{available, kubectl, kubectl_with_input};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Node, Pod};
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

fn deployment(containers: Value) -> Deployment {
    serde_json::from_value(json!({
        "metadata": {"name": "web"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": containers}}}
    }))
    .unwrap()
}

fn names(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn strategic_merge_patch_merges_containers_and_env_by_name() {
    let sim = start().await;
    let deployments: Api<Deployment> = Api::default_namespaced(sim.client());
    deployments
        .create(
            &PostParams::default(),
            &deployment(json!([
                {"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"}]},
                {"name": "b", "image": "b:1"}
            ])),
        )
        .await
        .unwrap();
    let patch = json!({"spec": {"template": {"spec": {"containers": [
        {"name": "a", "env": [{"name": "Y", "value": "2"}]},
        {"name": "c", "image": "c:1"}
    ]}}}});
    let patched =
        deployments.patch("web", &PatchParams::default(), &Patch::Strategic(patch)).await.unwrap();
    let patched = serde_json::to_value(patched).unwrap();
    let containers = &patched["spec"]["template"]["spec"]["containers"];
    // Patch items in patch order; the server-only item keeps its place relative to them.
    assert_eq!(names(containers), ["a", "c", "b"]);
    assert_eq!(containers[0]["image"], "a:1");
    assert_eq!(
        containers[0]["env"],
        json!([{"name": "Y", "value": "2"}, {"name": "X", "value": "1"}])
    );
    // The same body as a merge patch replaces the list.
    let merge =
        json!({"spec": {"template": {"spec": {"containers": [{"name": "z", "image": "z"}]}}}});
    let replaced =
        deployments.patch("web", &PatchParams::default(), &Patch::Merge(merge)).await.unwrap();
    let replaced = serde_json::to_value(replaced).unwrap();
    assert_eq!(names(&replaced["spec"]["template"]["spec"]["containers"]), ["z"]);
}

#[tokio::test]
async fn strategic_directives_delete_replace_order_and_primitive_lists() {
    let sim = start().await;
    let pods: Api<Pod> = Api::default_namespaced(sim.client());
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": "p", "finalizers": ["example.com/a", "example.com/b"]},
        "spec": {"containers": [{"name": "a", "image": "a"}, {"name": "b", "image": "b"},
                                {"name": "c", "image": "c"}],
                 "tolerations": [{"key": "k1", "operator": "Exists"}],
                 "volumes": [{"name": "v", "emptyDir": {}}]}
    }))
    .unwrap();
    pods.create(&PostParams::default(), &pod).await.unwrap();
    let path = "/api/v1/namespaces/default/pods/p";
    let smp = Some("application/strategic-merge-patch+json");
    let body = json!({
        "metadata": {"$deleteFromPrimitiveList/finalizers": ["example.com/a"]},
        "spec": {
            "$setElementOrder/containers": [{"name": "c"}, {"name": "a"}],
            "containers": [{"name": "b", "$patch": "delete"}, {"name": "a", "image": "a2"}],
            "tolerations": [{"key": "k2", "operator": "Exists"}],
            "volumes": [{"name": "v", "$retainKeys": ["name", "configMap"],
                         "configMap": {"name": "cm"}}]
        }
    });
    let r = raw(&sim, "PATCH", path, smp, &body.to_string()).await;
    assert_eq!(r.code, 200, "{}", r.body);
    let obj = r.json();
    assert_eq!(obj["metadata"]["finalizers"], json!(["example.com/b"]));
    assert_eq!(names(&obj["spec"]["containers"]), ["c", "a"]);
    assert_eq!(obj["spec"]["containers"][1]["image"], "a2");
    // Tolerations have no merge strategy: replaced.
    // (admission adds the default not-ready/unreachable tolerations again).
    let tolerations = obj["spec"]["tolerations"].as_array().unwrap();
    assert_eq!(tolerations[0], json!({"key": "k2", "operator": "Exists"}));
    assert!(!tolerations.iter().any(|t| t["key"] == "k1"));
    assert_eq!(obj["spec"]["volumes"], json!([{"name": "v", "configMap": {"name": "cm"}}]));

    let replace =
        json!({"spec": {"containers": [{"name": "n", "image": "n"}, {"$patch": "replace"}]}});
    let r = raw(&sim, "PATCH", path, smp, &replace.to_string()).await;
    assert_eq!(r.code, 200, "{}", r.body);
    assert_eq!(names(&r.json()["spec"]["containers"]), ["n"]);

    // Malformed directives are the client's fault; nothing is stored.
    let before = pods.get("p").await.unwrap().metadata.resource_version;
    let bad =
        json!({"spec": {"volumes": [{"name": "v", "$retainKeys": ["name"], "emptyDir": {}}]}});
    let r = raw(&sim, "PATCH", path, smp, &bad.to_string()).await;
    assert_eq!((r.code, r.json()["reason"].as_str()), (400, Some("BadRequest")));
    assert_eq!(r.json()["message"], "invalid patch format of retainKeys");
    let r = raw(&sim, "PATCH", path, smp, "[1, 2]").await;
    assert_eq!(r.code, 400, "{}", r.body);
    assert_eq!(r.json()["kind"], "Status");
    assert_eq!(pods.get("p").await.unwrap().metadata.resource_version, before);
}

#[tokio::test]
async fn custom_resources_answer_415_to_strategic_merge_patch() {
    let sim = start().await;
    let crds: Api<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition> =
        Api::all(sim.client());
    let crd = serde_json::from_value(json!({
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
                 "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                 "versions": [{"name": "v1", "served": true, "storage": true,
                               "schema": {"openAPIV3Schema": {"type": "object",
                                   "x-kubernetes-preserve-unknown-fields": true}}}]}
    }))
    .unwrap();
    crds.create(&PostParams::default(), &crd).await.unwrap();
    crate::common::eventually("the CRD is served", || async {
        raw(&sim, "GET", "/apis/example.com/v1", None, "").await.code == 200
    })
    .await;
    let path = "/apis/example.com/v1/namespaces/default/widgets";
    let r = raw(
        &sim,
        "POST",
        path,
        Some("application/json"),
        &json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}})
            .to_string(),
    )
    .await;
    assert_eq!(r.code, 201, "{}", r.body);
    let r = raw(
        &sim,
        "PATCH",
        &format!("{path}/w"),
        Some("application/strategic-merge-patch+json"),
        r#"{"spec":{"a":1}}"#,
    )
    .await;
    assert_eq!(r.code, 415);
    let s = r.json();
    assert_eq!(
        (s["kind"].as_str(), s["reason"].as_str()),
        (Some("Status"), Some("UnsupportedMediaType"))
    );
    assert_eq!(
        s["message"],
        "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
    );
    // A merge patch works.
    let r = raw(
        &sim,
        "PATCH",
        &format!("{path}/w"),
        Some("application/merge-patch+json"),
        r#"{"spec":{"a":1}}"#,
    )
    .await;
    assert_eq!(r.code, 200, "{}", r.body);
    // kube-rs sees the same Status.
    let cms: Api<ConfigMap> = Api::default_namespaced(sim.client());
    let err = cms.patch("missing", &PatchParams::default(), &Patch::Strategic(json!({}))).await;
    assert_eq!(status(err.unwrap_err()).code, 404);
}

#[tokio::test]
async fn kubectl_patch_set_taint_and_cordon_send_strategic_merge_patches() {
    if !available() {
        return;
    }
    let sim = start().await;
    let deployments: Api<Deployment> = Api::default_namespaced(sim.client());
    deployments
        .create(
            &PostParams::default(),
            &deployment(json!([{"name": "c", "image": "nginx:1"},
                                                         {"name": "side", "image": "s:1"}])),
        )
        .await
        .unwrap();
    let nodes: Api<Node> = Api::all(sim.client());
    nodes
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": "n1"}})).unwrap(),
        )
        .await
        .unwrap();
    let patch = r#"{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"nginx:2"}]}}}}"#;
    kubectl(&sim, &["patch", "deployment", "web", "-p", patch]).await.out();
    kubectl(&sim, &["set", "image", "deployment/web", "side=s:2"]).await.out();
    kubectl(&sim, &["taint", "node", "n1", "dedicated=weka:NoSchedule"]).await.out();
    let run = kubectl(&sim, &["cordon", "n1"]).await;
    assert_eq!(run.out().trim(), "node/n1 cordoned");
    // label and annotate send JSON merge patches, as kubectl does.
    kubectl(&sim, &["label", "deployment", "web", "tier=frontend"]).await.out();
    kubectl(&sim, &["annotate", "deployment", "web", "note=hello"]).await.out();

    let obj = kubectl(&sim, &["get", "deployment", "web", "-o", "json"]).await.json();
    let containers = &obj["spec"]["template"]["spec"]["containers"];
    assert_eq!(names(containers), ["c", "side"]);
    assert_eq!(containers[0]["image"], "nginx:2");
    assert_eq!(containers[1]["image"], "s:2");
    assert_eq!(obj["metadata"]["labels"]["tier"], "frontend");
    assert_eq!(obj["metadata"]["annotations"]["note"], "hello");
    let node = kubectl(&sim, &["get", "node", "n1", "-o", "json"]).await.json();
    assert_eq!(node["spec"]["unschedulable"], true);
    assert_eq!(
        node["spec"]["taints"],
        json!([{"key": "dedicated", "value": "weka", "effect": "NoSchedule"}])
    );

    let patches = sim.request_log().find(|r| r.verb == "patch");
    let seen: Vec<(&str, &str, u16)> = patches
        .iter()
        .map(|p| {
            (
                p.field_manager.as_deref().unwrap_or(""),
                p.content_type.as_deref().unwrap_or(""),
                p.code,
            )
        })
        .collect();
    let smp = "application/strategic-merge-patch+json";
    let merge = "application/merge-patch+json";
    assert_eq!(
        seen,
        [
            ("kubectl-patch", smp, 200),
            ("kubectl-set", smp, 200),
            ("kubectl-taint", smp, 200),
            ("", smp, 200),
            ("kubectl-label", merge, 200),
            ("kubectl-annotate", merge, 200),
        ]
    );
}

const DEPLOYMENT_YAML: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: app
        image: app:IMAGE
        env:
        - {name: A, value: '1'}
        - {name: B, value: '2'}
";

#[tokio::test]
async fn kubectl_client_side_apply_merges_built_in_lists() {
    if !available() {
        return;
    }
    let sim = start().await;
    let first = DEPLOYMENT_YAML.replace("IMAGE", "1");
    let run = kubectl_with_input(&sim, &["apply", "-f", "-"], Some(&first)).await;
    assert_eq!(run.out().trim(), "deployment.apps/web created");
    // Someone else adds a sidecar and an env var; apply must keep them.
    let sidecar = json!({"spec": {"template": {"spec": {"containers": [
        {"name": "sidecar", "image": "s:1"},
        {"name": "app", "env": [{"name": "EXTRA", "value": "x"}]}]}}}});
    let deployments: Api<Deployment> = Api::default_namespaced(sim.client());
    deployments.patch("web", &PatchParams::default(), &Patch::Strategic(sidecar)).await.unwrap();

    // The new configuration drops env B and changes the image.
    let second =
        DEPLOYMENT_YAML.replace("IMAGE", "2").replace("        - {name: B, value: '2'}\n", "");
    let run = kubectl_with_input(&sim, &["apply", "-f", "-"], Some(&second)).await;
    assert_eq!(run.out().trim(), "deployment.apps/web configured");
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);

    let obj = kubectl(&sim, &["get", "deployment", "web", "-o", "json"]).await.json();
    let containers = &obj["spec"]["template"]["spec"]["containers"];
    // The sidecar was patched in before "app"; apply keeps that order.
    assert_eq!(names(containers), ["sidecar", "app"]);
    let app = &containers[1];
    assert_eq!(app["image"], "app:2");
    let env: Vec<&str> =
        app["env"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    // A new item of a patch goes before server-only items it has no order against.
    assert_eq!(env, ["EXTRA", "A"]);
    let applied = sim.request_log().find(|r| {
        r.verb == "patch" && r.field_manager.as_deref() == Some("kubectl-client-side-apply")
    });
    assert_eq!(applied.len(), 1);
    assert_eq!(applied[0].content_type.as_deref(), Some("application/strategic-merge-patch+json"));
}
