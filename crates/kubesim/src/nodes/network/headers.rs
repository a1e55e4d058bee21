//! Headers on the way into a pod and back: what a proxy must not pass on (hop-by-hop headers,
//! RFC 9110 7.6.1, and the proxy's own credentials) and the `Host` the pod sees.

use http::{HeaderMap, HeaderName, HeaderValue, header};

/// Connection-scoped headers that end at the proxy.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "proxy-connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "upgrade",
];

/// Removes the hop-by-hop headers (those listed by `Connection` too) and any framing header:
/// the body is passed on whole, so its length is set anew.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let listed: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in listed {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
    headers.remove(header::TRANSFER_ENCODING);
    headers.remove(header::CONTENT_LENGTH);
}

/// The request headers a pod gets: the client's minus hop-by-hop ones, `Host` naming the pod's
/// address; `drop_authorization` for the API server's proxy, which never hands the caller's
/// API credentials to a pod.
pub fn to_pod(incoming: &HeaderMap, host: &str, drop_authorization: bool) -> HeaderMap {
    let mut headers = incoming.clone();
    strip_hop_by_hop(&mut headers);
    if drop_authorization {
        headers.remove(header::AUTHORIZATION);
    }
    if let Ok(value) = HeaderValue::from_str(host) {
        headers.insert(header::HOST, value);
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_stop_at_the_proxy() {
        let mut incoming = HeaderMap::new();
        incoming.insert("proxy-connection", HeaderValue::from_static("keep-alive"));
        incoming.insert(header::CONNECTION, HeaderValue::from_static("close, x-private"));
        incoming.insert("x-private", HeaderValue::from_static("1"));
        incoming.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer t"));
        incoming.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        incoming.insert(header::HOST, HeaderValue::from_static("proxy:1"));
        let out = to_pod(&incoming, "10.244.1.5:8090", true);
        assert_eq!(out.get(header::HOST).unwrap(), "10.244.1.5:8090");
        assert_eq!(out.get(header::CONTENT_TYPE).unwrap(), "application/json");
        for gone in ["proxy-connection", "connection", "x-private", "authorization"] {
            assert!(out.get(gone).is_none(), "{gone} was passed on");
        }
        assert!(to_pod(&incoming, "h:1", false).get(header::AUTHORIZATION).is_some());
    }
}
