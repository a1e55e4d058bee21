//! What reconciles get from the context: the shared caches and an event recorder.

use std::time::Duration;

use crate::common::*;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::api::events::v1::Event as K8sEvent;
use kube::runtime::events::{Event, EventType};
use kube::{Api, Resource};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_reported_by_this_operator_instance() {
    let sim = kubesim().await;
    let client = sim.client();
    install_crds(&client, None).await;
    create_namespace(&client, TEST_NAMESPACE).await;
    create_config_map(&client, "evented").await;
    let operator = start_operator(&sim, test_config(&[]), &Reconciled::default()).await;
    let cm = Api::<ConfigMap>::namespaced(client.clone(), TEST_NAMESPACE)
        .get("evented")
        .await
        .expect("cm");
    let event = Event {
        type_: EventType::Normal,
        reason: "Tested".into(),
        note: Some("recorded by the test".into()),
        action: "Test".into(),
        secondary: None,
    };
    operator.context().recorder().publish(&event, &cm.object_ref(&())).await.expect("published");
    let events = Api::<K8sEvent>::namespaced(client, TEST_NAMESPACE);
    let found = eventually("the event is stored", Duration::from_secs(5), || async {
        events
            .list(&Default::default())
            .await
            .ok()?
            .items
            .into_iter()
            .find(|e| e.reason.as_deref() == Some("Tested"))
    })
    .await;
    assert_eq!(found.reporting_controller.as_deref(), Some("weka-operator"));
    assert_eq!(found.reporting_instance.as_deref(), Some(operator.identity()));
    assert_eq!(found.regarding.and_then(|r| r.name).as_deref(), Some("evented"));
    operator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controllers_share_one_watch_per_resource_type() {
    let sim = kubesim().await;
    let client = sim.client();
    install_crds(&client, None).await;
    create_namespace(&client, TEST_NAMESPACE).await;
    create_config_map(&client, "shared").await;
    let (first, second) = (Reconciled::default(), Reconciled::default());
    let (f, s) = (first.clone(), second.clone());
    let operator = start_operator_with(&sim, test_config(&[]), move |op| {
        op.register(RecordConfigMaps { seen: f });
        op.register(SecondRecorder { seen: s });
    })
    .await;
    let identity = operator.identity().to_string();
    eventually("both controllers reconcile", Duration::from_secs(10), || async {
        (reconciled_by(&first, &identity, "shared") && reconciled_by(&second, &identity, "shared"))
            .then_some(())
    })
    .await;
    create_config_map(&client, "later").await;
    eventually("both controllers see new objects", Duration::from_secs(10), || async {
        (reconciled_by(&first, &identity, "later") && reconciled_by(&second, &identity, "later"))
            .then_some(())
    })
    .await;
    let watches = sim.request_log().find(|r| r.verb == "watch" && r.resource == "configmaps").len();
    assert_eq!(watches, 1, "one watch on config maps for two controllers");
    operator.shutdown().await;
}

/// A second controller on the same kind.
struct SecondRecorder {
    seen: Reconciled,
}

impl weka_operator::runtime::Reconciler<ConfigMap> for SecondRecorder {
    type Error = std::convert::Infallible;

    fn name(&self) -> &'static str {
        "configmaps-second"
    }

    fn max_workers(&self, _config: &weka_operator::config::Config) -> u16 {
        1
    }

    async fn reconcile(
        &self,
        object: std::sync::Arc<ConfigMap>,
        ctx: std::sync::Arc<weka_operator::runtime::Context>,
    ) -> Result<kube::runtime::controller::Action, Self::Error> {
        use kube::ResourceExt;
        self.seen.lock().unwrap().push((ctx.identity.clone(), object.name_any()));
        Ok(kube::runtime::controller::Action::await_change())
    }
}
