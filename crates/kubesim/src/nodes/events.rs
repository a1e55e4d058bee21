//! core/v1 Events as the scheduler, kubelets, node controller and DaemonSet controller record
//! them.

use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::api::{Api, PostParams};

use super::clock::Clock;

#[derive(Clone)]
pub struct Recorder {
    client: kube::Client,
    clock: Clock,
    component: String,
    host: Option<String>,
    enabled: bool,
}

impl Recorder {
    pub fn new(
        client: kube::Client,
        clock: Clock,
        component: &str,
        host: Option<&str>,
        enabled: bool,
    ) -> Self {
        Recorder {
            client,
            clock,
            component: component.into(),
            host: host.map(str::to_string),
            enabled,
        }
    }

    /// Records an event about a pod in the background (failures to record are only logged,
    /// as a real component's event broadcaster does).
    pub fn pod_event(&self, pod: &Pod, type_: &str, reason: &str, message: String) {
        self.pod_event_in(pod, None, type_, reason, message);
    }

    /// The same, naming a container (`spec.containers{name}`) as kubelets do.
    pub fn pod_event_in(
        &self,
        pod: &Pod,
        field: Option<String>,
        type_: &str,
        reason: &str,
        message: String,
    ) {
        let involved = ObjectReference {
            api_version: Some("v1".into()),
            kind: Some("Pod".into()),
            name: pod.metadata.name.clone(),
            namespace: Some(pod.metadata.namespace.clone().unwrap_or_else(|| "default".into())),
            uid: pod.metadata.uid.clone(),
            resource_version: pod.metadata.resource_version.clone(),
            field_path: field,
        };
        self.event(involved, type_, reason, message);
    }

    /// Records an event about any object (its namespace is the event's; `default` for
    /// cluster-scoped ones), in the background like [`Recorder::pod_event`].
    pub fn event(&self, involved: ObjectReference, type_: &str, reason: &str, message: String) {
        if !self.enabled {
            return;
        }
        let namespace = involved.namespace.clone().unwrap_or_else(|| "default".into());
        let name = involved.name.clone().unwrap_or_default();
        let now = self.clock.now();
        let event = Event {
            metadata: ObjectMeta {
                name: Some(format!("{name}.{:016x}", now.as_nanosecond() as u64 ^ rand_u64())),
                namespace: Some(namespace.clone()),
                ..Default::default()
            },
            involved_object: involved,
            reason: Some(reason.into()),
            message: Some(message),
            type_: Some(type_.into()),
            source: Some(EventSource {
                component: Some(self.component.clone()),
                host: self.host.clone(),
            }),
            first_timestamp: Some(Time(now)),
            last_timestamp: Some(Time(now)),
            count: Some(1),
            reporting_component: Some(self.component.clone()),
            reporting_instance: Some(self.host.clone().unwrap_or_else(|| self.component.clone())),
            ..Default::default()
        };
        let api: Api<Event> = Api::namespaced(self.client.clone(), &namespace);
        tokio::spawn(async move {
            if let Err(error) = api.create(&PostParams::default(), &event).await {
                tracing::debug!(%error, "recording an event failed");
            }
        });
    }
}

fn rand_u64() -> u64 {
    uuid::Uuid::new_v4().as_u64_pair().0
}
