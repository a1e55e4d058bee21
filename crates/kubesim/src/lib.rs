//! kubesim: a Kubernetes API server, scheduler and kubelets simulated in one process, for
//! hermetic tests and demos of the WEKA operator. Real clients (kubectl, kube-rs, the Python
//! client) talk to it over HTTP/JSON as they would to a real cluster.

pub mod schema;
