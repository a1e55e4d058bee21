//! The Kubernetes URL layout, parsed by hand in one place: discovery paths, health checks,
//! OpenAPI, and resource paths
//! `/api/v1[/watch][/namespaces/NS]/RESOURCE[/NAME[/SUBRESOURCE]]` (and `/apis/GROUP/VERSION/...`)
//! with the verb a request means, as the apiserver's RequestInfo derives it; and the pod proxy
//! subresource `/api/v1/namespaces/NS/pods/NAME[:PORT]/proxy[/PATH]`, whose tail is a path in
//! the pod rather than part of the API's layout.

use http::Method;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Get,
    List,
    Watch,
    Create,
    Update,
    Patch,
    Delete,
    DeleteCollection,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::List => "list",
            Verb::Watch => "watch",
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
            Verb::DeleteCollection => "deletecollection",
        }
    }

    pub fn is_write(self) -> bool {
        !matches!(self, Verb::Get | Verb::List | Verb::Watch)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourcePath {
    pub group: String,
    pub version: String,
    pub resource: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
    pub verb: Verb,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Version,
    Health,
    /// `/api`
    CoreVersions,
    /// `/apis`
    Groups,
    /// `/apis/GROUP`
    Group(String),
    /// `/api/v1`, `/apis/GROUP/VERSION`
    Resources {
        group: String,
        version: String,
    },
    /// `/openapi/v3`
    OpenApiV3Index,
    /// `/openapi/v3/api/v1`, `/openapi/v3/apis/GROUP/VERSION`
    OpenApiV3 {
        group: String,
        version: String,
    },
    /// `/openapi/v2`
    OpenApiV2,
    Resource(ResourcePath),
    /// `pods/NAME[:PORT]/proxy[/PATH]`
    PodProxy(PodProxyPath),
    Unknown,
}

/// A request for the pod proxy subresource: `/api/v1/namespaces/NS/pods/ID/proxy[/PATH]`
/// where ID is `[SCHEME:]NAME[:PORT]` as upstream's `SplitSchemeNamePort` reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodProxyPath {
    pub namespace: String,
    pub name: String,
    /// The port as written after the name; `None` when not given.
    pub port: Option<String>,
    /// What follows `/proxy`, exactly as sent (percent-encoding and trailing slash kept);
    /// empty for the root.
    pub path: String,
    /// The verb as the apiserver's RequestInfo derives it from the method (`get`, `create`,
    /// ..., or the lowercased method).
    pub verb: String,
}

impl PodProxyPath {
    /// The path to ask the pod for: `/` for the root.
    pub fn target_path(&self) -> &str {
        if self.path.is_empty() { "/" } else { &self.path }
    }
}

/// The verb of a proxied request, as RequestInfo names it.
pub fn proxy_verb(method: &Method) -> String {
    match *method {
        Method::GET | Method::HEAD => "get".into(),
        Method::POST => "create".into(),
        Method::PUT => "update".into(),
        Method::PATCH => "patch".into(),
        Method::DELETE => "delete".into(),
        ref other => other.as_str().to_ascii_lowercase(),
    }
}

/// `/api/v1/namespaces/NS/pods/ID/proxy[/PATH]`, or `None` for any other path.
fn pod_proxy(method: &Method, path: &str) -> Option<PodProxyPath> {
    let rest = path.strip_prefix("/api/v1/namespaces/")?;
    let (namespace, rest) = rest.split_once('/')?;
    let rest = rest.strip_prefix("pods/")?;
    let (id, rest) = rest.split_once('/')?;
    let tail = match rest.strip_prefix("proxy")? {
        "" => "",
        tail if tail.starts_with('/') => tail,
        _ => return None,
    };
    let (name, port) = match id.split(':').collect::<Vec<_>>().as_slice() {
        [name] => (*name, None),
        [name, port] => (*name, Some(*port)),
        [scheme, name, port] if matches!(*scheme, "" | "http" | "https") => (*name, Some(*port)),
        _ => return None,
    };
    if namespace.is_empty() || name.is_empty() {
        return None;
    }
    Some(PodProxyPath {
        namespace: namespace.to_string(),
        name: name.to_string(),
        port: port.filter(|p| !p.is_empty()).map(str::to_string),
        path: tail.to_string(),
        verb: proxy_verb(method),
    })
}

/// Subresources of a namespace itself (`/api/v1/namespaces/NAME/status`).
const NAMESPACE_SUBRESOURCES: &[&str] = &["status", "finalize"];

pub fn parse(method: &Method, path: &str, watch_param: bool) -> Route {
    if let Some(proxy) = pod_proxy(method, path) {
        return Route::PodProxy(proxy);
    }
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        ["version"] => Route::Version,
        ["healthz" | "readyz" | "livez", ..] => Route::Health,
        ["api"] => Route::CoreVersions,
        ["apis"] => Route::Groups,
        ["apis", group] => Route::Group(group.to_string()),
        ["api", version] => Route::Resources { group: String::new(), version: version.to_string() },
        ["apis", group, version] => {
            Route::Resources { group: group.to_string(), version: version.to_string() }
        }
        ["openapi", "v3"] => Route::OpenApiV3Index,
        ["openapi", "v3", "api", version] => {
            Route::OpenApiV3 { group: String::new(), version: version.to_string() }
        }
        ["openapi", "v3", "apis", group, version] => {
            Route::OpenApiV3 { group: group.to_string(), version: version.to_string() }
        }
        ["openapi", "v2"] => Route::OpenApiV2,
        ["api", version, rest @ ..] => resource_route(method, "", version, rest, watch_param),
        ["apis", group, version, rest @ ..] => {
            resource_route(method, group, version, rest, watch_param)
        }
        _ => Route::Unknown,
    }
}

fn resource_route(
    method: &Method,
    group: &str,
    version: &str,
    mut rest: &[&str],
    watch_param: bool,
) -> Route {
    let mut watch = watch_param;
    if rest.first() == Some(&"watch") {
        watch = true;
        rest = &rest[1..];
    }
    let mut namespace = None;
    if rest.first() == Some(&"namespaces") && rest.len() > 1 {
        namespace = Some(rest[1].to_string());
        if rest.len() > 2 && !NAMESPACE_SUBRESOURCES.contains(&rest[2]) {
            rest = &rest[2..];
        }
    }
    let (resource, name, subresource) = match rest {
        [resource] => (*resource, None, None),
        [resource, name] => (*resource, Some(*name), None),
        [resource, name, sub] => (*resource, Some(*name), Some(*sub)),
        _ => return Route::Unknown,
    };
    // `/namespaces/NAME` names the namespace itself, not a namespace scope.
    if resource == "namespaces" {
        namespace = None;
    }
    let verb = match (method, name.is_some()) {
        (&Method::GET | &Method::HEAD, _) if watch => Verb::Watch,
        (&Method::GET | &Method::HEAD, true) => Verb::Get,
        (&Method::GET | &Method::HEAD, false) => Verb::List,
        (&Method::POST, _) => Verb::Create,
        (&Method::PUT, _) => Verb::Update,
        (&Method::PATCH, _) => Verb::Patch,
        (&Method::DELETE, true) => Verb::Delete,
        (&Method::DELETE, false) => Verb::DeleteCollection,
        _ => return Route::Unknown,
    };
    Route::Resource(ResourcePath {
        group: group.to_string(),
        version: version.to_string(),
        resource: resource.to_string(),
        namespace,
        name: name.map(str::to_string),
        subresource: subresource.map(str::to_string),
        verb,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(method: Method, path: &str) -> ResourcePath {
        match parse(&method, path, false) {
            Route::Resource(r) => r,
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn resource_paths_name_scope_name_and_verb() {
        let r = res(Method::GET, "/api/v1/namespaces/default/pods/web");
        assert_eq!(
            (r.namespace.as_deref(), r.resource.as_str(), r.name.as_deref(), r.verb),
            (Some("default"), "pods", Some("web"), Verb::Get)
        );
        let r = res(Method::GET, "/apis/apps/v1/deployments");
        assert_eq!((r.group.as_str(), r.namespace, r.verb), ("apps", None, Verb::List));
        let r = res(Method::GET, "/api/v1/watch/namespaces/default/pods");
        assert_eq!(r.verb, Verb::Watch);
        let r = res(Method::PUT, "/api/v1/namespaces/default/pods/web/status");
        assert_eq!((r.subresource.as_deref(), r.verb), (Some("status"), Verb::Update));
        let r = res(Method::DELETE, "/api/v1/namespaces/default/configmaps");
        assert_eq!(r.verb, Verb::DeleteCollection);
    }

    #[test]
    fn namespace_paths_name_the_namespace_itself() {
        let r = res(Method::GET, "/api/v1/namespaces/team");
        assert_eq!(
            (r.resource.as_str(), r.name.as_deref(), r.namespace),
            ("namespaces", Some("team"), None)
        );
        let r = res(Method::PUT, "/api/v1/namespaces/team/finalize");
        assert_eq!((r.name.as_deref(), r.subresource.as_deref()), (Some("team"), Some("finalize")));
        let r = res(Method::GET, "/api/v1/namespaces");
        assert_eq!(r.verb, Verb::List);
    }

    #[test]
    fn pod_proxy_paths_keep_the_port_and_the_tail() {
        let proxy = |method: Method, path: &str| match parse(&method, path, false) {
            Route::PodProxy(p) => p,
            other => panic!("{path}: {other:?}"),
        };
        let p = proxy(Method::GET, "/api/v1/namespaces/weka/pods/agent-x:8090/proxy/findDrives/");
        assert_eq!(
            (p.namespace.as_str(), p.name.as_str(), p.port.as_deref(), p.path.as_str()),
            ("weka", "agent-x", Some("8090"), "/findDrives/")
        );
        assert_eq!(p.verb, "get");
        let root = proxy(Method::POST, "/api/v1/namespaces/weka/pods/http:agent:80/proxy");
        assert_eq!(
            (root.port.as_deref(), root.target_path(), root.verb.as_str()),
            (Some("80"), "/", "create")
        );
        let bare = proxy(Method::OPTIONS, "/api/v1/namespaces/weka/pods/agent/proxy/a%2Fb");
        assert_eq!(
            (bare.port, bare.path.as_str(), bare.verb.as_str()),
            (None, "/a%2Fb", "options")
        );
        assert!(!matches!(
            parse(&Method::GET, "/api/v1/namespaces/weka/pods/agent/proxyx", false),
            Route::PodProxy(_)
        ));
    }

    #[test]
    fn discovery_paths() {
        assert_eq!(parse(&Method::GET, "/apis/apps", false), Route::Group("apps".into()));
        assert_eq!(
            parse(&Method::GET, "/api/v1", false),
            Route::Resources { group: String::new(), version: "v1".into() }
        );
        assert_eq!(parse(&Method::GET, "/nope", false), Route::Unknown);
    }
}
