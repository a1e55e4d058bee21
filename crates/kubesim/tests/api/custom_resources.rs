//! CustomResourceDefinitions: registration through the API, discovery, custom resources with
//! their schema (defaults, validation), status subresource, and removal with the CRD.

use crate::common::{eventually, raw, start, status};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::GroupVersionKind;
use serde_json::json;

pub fn widget_crd() -> serde_json::Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget",
                      "shortNames": ["wd"], "categories": ["all"]},
            "versions": [{
                "name": "v1", "served": true, "storage": true,
                "subresources": {"status": {}},
                "additionalPrinterColumns": [{"name": "Size", "type": "integer", "jsonPath": ".spec.size"}],
                "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "properties": {
                        "spec": {"type": "object", "properties": {
                            "size": {"type": "integer", "minimum": 1},
                            "color": {"type": "string", "default": "blue"}}},
                        "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}}
                    }
                }}
            }]
        }
    })
}

fn widgets(sim: &kubesim::KubesimHandle) -> Api<DynamicObject> {
    let ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("example.com", "v1", "Widget"),
        "widgets",
    );
    Api::namespaced_with(sim.client(), "default", &ar)
}

fn widget(name: &str, spec: serde_json::Value) -> DynamicObject {
    serde_json::from_value(json!({"apiVersion": "example.com/v1", "kind": "Widget",
                                  "metadata": {"name": name}, "spec": spec}))
    .unwrap()
}

#[tokio::test]
async fn a_crd_serves_its_kind_until_it_is_deleted() {
    let sim = start().await;
    let crds: Api<CustomResourceDefinition> = Api::all(sim.client());
    let crd: CustomResourceDefinition = serde_json::from_value(widget_crd()).unwrap();
    crds.create(&PostParams::default(), &crd).await.unwrap();
    eventually("the CRD is established", || async {
        let crd = crds.get("widgets.example.com").await.unwrap();
        crd.status
            .and_then(|s| s.conditions)
            .unwrap_or_default()
            .iter()
            .any(|c| c.type_ == "Established" && c.status == "True")
    })
    .await;

    let discovery = raw(&sim, "GET", "/apis/example.com/v1", None, "").await;
    assert_eq!(discovery.code, 200);
    let resources = discovery.json()["resources"].clone();
    assert_eq!(resources[0]["name"], "widgets");
    assert_eq!(resources[0]["shortNames"], json!(["wd"]));
    assert_eq!(resources[1]["name"], "widgets/status");

    let api = widgets(&sim);
    let mut w = widget("w1", json!({"size": 2}));
    w.data["status"] = json!({"ready": true});
    let created = api.create(&PostParams::default(), &w).await.unwrap();
    assert_eq!(created.data["spec"]["color"], "blue", "defaulted");
    assert!(created.data.get("status").is_none(), "status is dropped on create");
    assert_eq!(created.metadata.generation, Some(1));

    let s = status(
        api.create(&PostParams::default(), &widget("bad", json!({"size": 0}))).await.unwrap_err(),
    );
    assert_eq!((s.code, s.reason.as_str()), (422, "Invalid"));
    let causes = s.details.unwrap().causes;
    assert_eq!(causes[0].field, "spec.size");

    let with_status = api
        .patch_status(
            "w1",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"ready": true}})),
        )
        .await
        .unwrap();
    assert_eq!(with_status.data["status"]["ready"], true);
    assert_eq!(with_status.metadata.generation, Some(1));

    crds.delete("widgets.example.com", &DeleteParams::default()).await.unwrap();
    eventually("the CRD and its objects are gone", || async {
        crds.get_opt("widgets.example.com").await.unwrap().is_none()
    })
    .await;
    let gone = raw(&sim, "GET", "/apis/example.com/v1/namespaces/default/widgets", None, "").await;
    assert_eq!(gone.code, 404);
    assert!(
        sim.store().list("example.com/widgets", None).items.is_empty(),
        "custom resources are deleted with their CRD"
    );
}

#[tokio::test]
async fn an_invalid_crd_is_rejected() {
    let sim = start().await;
    let crds: Api<CustomResourceDefinition> = Api::all(sim.client());
    let mut bad = widget_crd();
    bad["metadata"]["name"] = json!("wrong.example.com");
    let crd: CustomResourceDefinition = serde_json::from_value(bad).unwrap();
    let s = status(crds.create(&PostParams::default(), &crd).await.unwrap_err());
    assert_eq!((s.code, s.reason.as_str()), (422, "Invalid"));
    assert!(s.message.contains("metadata.name"), "{}", s.message);
}
