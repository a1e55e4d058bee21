//! What a readiness or liveness probe does in a simulated container: an `exec` probe runs its
//! command in the container's shell; `tcpSocket` succeeds when the container's behaviour
//! serves the port (its `http` hook answers); `httpGet` sends the GET to that hook and wants
//! a status from 200 to 399, as the kubelet does. gRPC probes are not simulated (skipped).

use bytes::Bytes;
use k8s_openapi::api::core::v1::{Container, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::nodes::behaviour::{ContainerBehaviour, ContainerCtx, shell};

/// One probe's check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Check {
    Exec(Vec<String>),
    Tcp(u16),
    Http { port: u16, path: String },
}

/// A probe port: a number, or the name of one of the container's ports.
fn port(port: &IntOrString, container: &Container) -> Option<u16> {
    match port {
        IntOrString::Int(n) => u16::try_from(*n).ok(),
        IntOrString::String(name) => container
            .ports
            .iter()
            .flatten()
            .find(|p| p.name.as_deref() == Some(name.as_str()))
            .and_then(|p| u16::try_from(p.container_port).ok()),
    }
}

impl Check {
    /// The check of `probe`; `None` for kinds that are not simulated.
    pub fn of(probe: &Probe, container: &Container) -> Option<Check> {
        if let Some(command) = probe.exec.as_ref().and_then(|e| e.command.clone()) {
            return Some(Check::Exec(command));
        }
        if let Some(tcp) = &probe.tcp_socket {
            // A named port that does not exist never connects.
            return Some(Check::Tcp(port(&tcp.port, container).unwrap_or(0)));
        }
        if let Some(get) = &probe.http_get {
            let path = get.path.clone().filter(|p| !p.is_empty()).unwrap_or_else(|| "/".into());
            return Some(Check::Http { port: port(&get.port, container).unwrap_or(0), path });
        }
        None
    }

    pub async fn run(&self, behaviour: &dyn ContainerBehaviour, ctx: &ContainerCtx) -> bool {
        match self {
            Check::Exec(command) => {
                shell::exec(behaviour, ctx, command, b"").await.is_ok_and(|o| o.code == 0)
            }
            Check::Tcp(port) => behaviour.http(ctx, *port, request("/")).is_some(),
            Check::Http { port, path } => match behaviour.http(ctx, *port, request(path)) {
                Some(answer) => {
                    let status = answer.await.status().as_u16();
                    (200..400).contains(&status)
                }
                None => false,
            },
        }
    }
}

fn request(path: &str) -> http::Request<Bytes> {
    let mut request = http::Request::new(Bytes::new());
    if let Ok(uri) = path.parse() {
        *request.uri_mut() = uri;
    }
    request
        .headers_mut()
        .insert(http::header::USER_AGENT, http::HeaderValue::from_static("kube-probe/1.32"));
    request
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::{ContainerPort, ExecAction, HTTPGetAction, TCPSocketAction};

    use super::*;

    fn container() -> Container {
        Container {
            name: "c".into(),
            ports: Some(vec![ContainerPort {
                name: Some("http".into()),
                container_port: 8090,
                ..Default::default()
            }]),
            ..Default::default()
        }
    }

    #[test]
    fn probe_kinds_and_named_ports_are_understood() {
        let c = container();
        let exec = Probe {
            exec: Some(ExecAction { command: Some(vec!["true".into()]) }),
            ..Default::default()
        };
        assert_eq!(Check::of(&exec, &c), Some(Check::Exec(vec!["true".into()])));
        let tcp = Probe {
            tcp_socket: Some(TCPSocketAction {
                port: IntOrString::String("http".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(Check::of(&tcp, &c), Some(Check::Tcp(8090)));
        let get = Probe {
            http_get: Some(HTTPGetAction {
                port: IntOrString::Int(8081),
                path: Some("/healthz".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(Check::of(&get, &c), Some(Check::Http { port: 8081, path: "/healthz".into() }));
        assert_eq!(Check::of(&Probe::default(), &c), None);
    }
}
