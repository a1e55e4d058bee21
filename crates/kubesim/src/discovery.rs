//! Discovery, built from the registry: `/version`, `/api`, `/apis`, `/apis/GROUP`,
//! `/api/v1`, `/apis/GROUP/VERSION`, and the aggregated form (`apidiscovery.k8s.io` v2 and
//! v2beta1) that kubectl 1.32 asks for. OpenAPI documents (v2 and v3) are in `openapi`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::response::Response;
use http::{HeaderValue, StatusCode, header};
use serde_json::{Value, json};

use crate::errors::{Error, Result};
use crate::handlers::body;
use crate::openapi;
use crate::registry::{Resource, version_priority};
use crate::routes::Route;
use crate::server::ApiServer;

/// The Kubernetes release kubesim answers as. kubectl 1.32 is the client the project targets,
/// and the `kubectl` on the development machines is a dispatcher that runs the kubectl release
/// matching the server's minor version, so this also chooses which kubectl runs.
pub const GIT_VERSION: &str = "v1.32.5+kubesim";

/// `/version` as a 1.32 kube-apiserver writes it (emulation fields arrived with 1.33).
pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "32",
        "gitVersion": GIT_VERSION,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-05-15T00:00:00Z",
        "goVersion": "go1.23.8",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

/// The aggregated discovery version the client accepts first, if any.
fn aggregated_version(accept: &str) -> Option<&'static str> {
    for media in accept.split(',') {
        let mut parts = media.split(';').map(str::trim);
        if parts.next() != Some("application/json") {
            continue;
        }
        let params: Vec<(&str, &str)> = parts.filter_map(|p| p.split_once('=')).collect();
        let has = |k: &str, v: &str| params.iter().any(|(pk, pv)| *pk == k && *pv == v);
        if !(has("g", "apidiscovery.k8s.io") && has("as", "APIGroupDiscoveryList")) {
            continue;
        }
        if has("v", "v2") {
            return Some("v2");
        }
        if has("v", "v2beta1") {
            return Some("v2beta1");
        }
    }
    None
}

/// Served groups in discovery order, each with its versions (preferred first).
fn groups(resources: &[Arc<Resource>]) -> Vec<(String, Vec<String>)> {
    let mut order: Vec<String> = Vec::new();
    let mut versions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in resources {
        if !versions.contains_key(&r.group) {
            order.push(r.group.clone());
        }
        let list = versions.entry(r.group.clone()).or_default();
        if !list.contains(&r.version) {
            list.push(r.version.clone());
        }
    }
    order
        .into_iter()
        .map(|g| {
            let mut list = versions.remove(&g).unwrap_or_default();
            list.sort_by_key(|v| version_priority(v));
            (g, list)
        })
        .collect()
}

fn group_version(group: &str, version: &str) -> String {
    if group.is_empty() { version.to_string() } else { format!("{group}/{version}") }
}

fn api_group(name: &str, versions: &[String]) -> Value {
    let list: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": group_version(name, v), "version": v}))
        .collect();
    json!({"name": name, "versions": list, "preferredVersion": list.first().cloned().unwrap_or(Value::Null)})
}

const SUB_VERBS: &[&str] = &["get", "patch", "update"];

/// (name, group, version, kind, verbs) of each subresource of a resource.
fn subresources(r: &Resource) -> Vec<(String, String, String, String, Vec<String>)> {
    let verbs = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut subs = Vec::new();
    if r.status_subresource {
        subs.push((
            "status".into(),
            r.group.clone(),
            r.version.clone(),
            r.kind.clone(),
            verbs(SUB_VERBS),
        ));
    }
    if r.scale.is_some() {
        subs.push((
            "scale".into(),
            "autoscaling".into(),
            "v1".into(),
            "Scale".into(),
            verbs(SUB_VERBS),
        ));
    }
    for extra in &r.extra_subresources {
        subs.push((
            extra.name.into(),
            extra.group.into(),
            extra.version.into(),
            extra.kind.into(),
            verbs(extra.verbs),
        ));
    }
    if r.group.is_empty() && r.plural == "namespaces" {
        subs.push((
            "finalize".into(),
            String::new(),
            "v1".into(),
            "Namespace".into(),
            verbs(&["update"]),
        ));
    }
    subs
}

fn resource_list(group: &str, version: &str, resources: &[Arc<Resource>]) -> Value {
    let mut list = Vec::new();
    for r in resources.iter().filter(|r| r.group == group && r.version == version) {
        let mut entry = json!({"name": r.plural, "singularName": r.singular,
                               "namespaced": r.namespaced, "kind": r.kind, "verbs": r.verbs});
        if !r.short_names.is_empty() {
            entry["shortNames"] = json!(r.short_names);
        }
        if !r.categories.is_empty() {
            entry["categories"] = json!(r.categories);
        }
        list.push(entry);
        for (name, sub_group, sub_version, kind, verbs) in subresources(r) {
            let mut sub = json!({"name": format!("{}/{name}", r.plural), "singularName": "",
                                 "namespaced": r.namespaced, "kind": kind, "verbs": verbs});
            if sub_group != r.group || sub_version != r.version {
                sub["group"] = json!(sub_group);
                sub["version"] = json!(sub_version);
            }
            list.push(sub);
        }
    }
    json!({"kind": "APIResourceList", "apiVersion": "v1",
           "groupVersion": group_version(group, version), "resources": list})
}

fn aggregated_group(name: &str, versions: &[String], resources: &[Arc<Resource>]) -> Value {
    let versions: Vec<Value> = versions
        .iter()
        .map(|v| {
            let list: Vec<Value> = resources
                .iter()
                .filter(|r| r.group == name && &r.version == v)
                .map(|r| {
                    let subs: Vec<Value> = subresources(r)
                        .into_iter()
                        .map(|(sub, g, ver, kind, verbs)| {
                            json!({"subresource": sub,
                                   "responseKind": {"group": g, "version": ver, "kind": kind},
                                   "verbs": verbs})
                        })
                        .collect();
                    let mut entry = json!({
                        "resource": r.plural,
                        "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
                        "scope": if r.namespaced { "Namespaced" } else { "Cluster" },
                        "singularResource": r.singular,
                        "verbs": r.verbs,
                    });
                    if !r.short_names.is_empty() {
                        entry["shortNames"] = json!(r.short_names);
                    }
                    if !r.categories.is_empty() {
                        entry["categories"] = json!(r.categories);
                    }
                    if !subs.is_empty() {
                        entry["subresources"] = json!(subs);
                    }
                    entry
                })
                .collect();
            json!({"version": v, "resources": list, "freshness": "Current"})
        })
        .collect();
    let mut metadata = json!({"creationTimestamp": null});
    if !name.is_empty() {
        metadata["name"] = json!(name);
    }
    json!({"metadata": metadata, "versions": versions})
}

fn aggregated_response(version: &str, items: Vec<Value>) -> Response {
    let list = json!({"kind": "APIGroupDiscoveryList",
                      "apiVersion": format!("apidiscovery.k8s.io/{version}"),
                      "metadata": {}, "items": items});
    let mut response = body::json(StatusCode::OK, &list);
    let media =
        format!("application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList");
    if let Ok(value) = HeaderValue::from_str(&media) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response.headers_mut().insert(header::VARY, HeaderValue::from_static("Accept"));
    response
}

pub fn serve(api: &ApiServer, route: &Route, accept: &str) -> Result<Response> {
    let resources = api.registry.all();
    let all_groups = groups(&resources);
    let aggregated = aggregated_version(accept);
    match route {
        Route::CoreVersions => match aggregated {
            Some(v) => {
                let core: Vec<Value> = all_groups
                    .iter()
                    .filter(|(g, _)| g.is_empty())
                    .map(|(g, vs)| aggregated_group(g, vs, &resources))
                    .collect();
                Ok(aggregated_response(v, core))
            }
            None => Ok(body::json(
                StatusCode::OK,
                &json!({"kind": "APIVersions", "versions": ["v1"],
                        "serverAddressByClientCIDRs": [
                            {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}),
            )),
        },
        Route::Groups => {
            let named = all_groups.iter().filter(|(g, _)| !g.is_empty());
            match aggregated {
                Some(v) => Ok(aggregated_response(
                    v,
                    named.map(|(g, vs)| aggregated_group(g, vs, &resources)).collect(),
                )),
                None => {
                    let list: Vec<Value> = named.map(|(g, vs)| api_group(g, vs)).collect();
                    Ok(body::json(
                        StatusCode::OK,
                        &json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": list}),
                    ))
                }
            }
        }
        Route::Group(name) => {
            let (_, versions) = all_groups
                .iter()
                .find(|(g, _)| g == name && !g.is_empty())
                .ok_or(Error::UnknownPath)?;
            let mut group = api_group(name, versions);
            group["kind"] = json!("APIGroup");
            group["apiVersion"] = json!("v1");
            Ok(body::json(StatusCode::OK, &group))
        }
        Route::Resources { group, version } => {
            if !api.registry.serves_group_version(group, version) {
                return Err(Error::UnknownPath);
            }
            Ok(body::json(StatusCode::OK, &resource_list(group, version, &resources)))
        }
        Route::OpenApiV3Index => {
            Ok(body::json(StatusCode::OK, &openapi::v3_index(&all_groups, &resources)))
        }
        Route::OpenApiV3 { group, version } => {
            if !api.registry.serves_group_version(group, version) {
                return Err(Error::UnknownPath);
            }
            let doc = openapi::v3_document(group, version, &resources);
            Ok(body::json_bytes(StatusCode::OK, doc.bytes.to_vec()))
        }
        Route::OpenApiV2 => {
            Ok(body::json_bytes(StatusCode::OK, openapi::v2_document(&resources, accept)?))
        }
        _ => Err(Error::UnknownPath),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregated_discovery_is_chosen_from_the_accept_header() {
        let kubectl = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        assert_eq!(aggregated_version(kubectl), Some("v2"));
        assert_eq!(
            aggregated_version(
                "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
            ),
            Some("v2beta1")
        );
        assert_eq!(aggregated_version("application/json, */*"), None);
    }
}
