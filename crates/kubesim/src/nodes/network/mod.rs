//! The pod network as the host sees it: a process outside the simulation reaches the servers of
//! simulated pods (what their containers' behaviours answer through
//! [`ContainerBehaviour::http`](super::behaviour::ContainerBehaviour::http)) the way an
//! operator in a real cluster reaches its node agents: plain HTTP to `http://POD_IP:PORT/PATH`.
//! Simulated pod IPs exist nowhere on the host, so there are two doors:
//!
//! - [`forward_proxy`]: an HTTP/1.1 forward proxy on a listener of its own (the handle's
//!   `pod_network_url`). A client configured with it (`curl -x`, reqwest's `Proxy::http`,
//!   `HTTP_PROXY`) sends absolute-form requests and needs no other change.
//! - [`pod_proxy`]: the API server's `pods/NAME[:PORT]/proxy/PATH` subresource, as on a real
//!   cluster (`kubectl get --raw`).
//!
//! Both route through [`dial`]: the pods holding an IP (or the named pod), then the first running
//! container whose behaviour answers on the port. Nothing answering is "connection refused",
//! no pod holding the IP "no route to host", worded as Go's dialer words them.

mod dial;
pub mod forward_proxy;
mod headers;
pub mod pod_proxy;

pub use dial::{DialError, PodRequest, PodTarget, address, pods_with_ip, send_to_pod};
