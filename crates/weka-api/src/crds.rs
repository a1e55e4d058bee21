//! The CustomResourceDefinitions of every WEKA kind, generated from the Rust types.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, JSONSchemaProps,
};
use kube::CustomResourceExt;

use crate::schema::to_controller_gen_form;

/// Every CRD this operator serves, in a stable order.
pub fn all() -> Vec<CustomResourceDefinition> {
    vec![
        shaped(crate::WekaCluster::crd()),
        shaped(crate::WekaContainer::crd()),
        shaped(crate::WekaClient::crd()),
        shaped(crate::WekaPolicy::crd()),
        shaped(crate::WekaManualOperation::crd()),
    ]
}

/// All CRDs as one multi-document YAML stream, as `weka-operator crds` prints it.
pub fn to_yaml() -> String {
    let mut out = String::new();
    for crd in all() {
        out.push_str("---\n");
        out.push_str(&serde_yaml::to_string(&crd).expect("a CRD always serialises"));
    }
    out
}

fn shaped(mut crd: CustomResourceDefinition) -> CustomResourceDefinition {
    let names = &mut crd.spec.names;
    names.list_kind.get_or_insert_with(|| format!("{}List", names.kind));
    for version in &mut crd.spec.versions {
        let Some(validation) = version.schema.as_mut() else { continue };
        let Some(props) = validation.open_api_v3_schema.take() else { continue };
        let mut value = serde_json::to_value(props).expect("schema serialises");
        to_controller_gen_form(&mut value);
        let shaped: JSONSchemaProps =
            serde_json::from_value(value).expect("a shaped schema is still a schema");
        validation.open_api_v3_schema = Some(shaped);
    }
    crd
}
