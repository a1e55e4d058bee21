//! Watches of the objects the display shows (WekaClusters, WekaContainers, Pods) into
//! kube-runtime caches: one watch each, however often the display looks.

use std::fmt::Debug;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;
use tokio::task::JoinHandle;
use weka_api::{WekaCluster, WekaContainer};

use super::snapshot::Snapshot;
use crate::commands::simulate::manifests::Targets;

pub struct Observer {
    clusters: Store<WekaCluster>,
    containers: Store<WekaContainer>,
    pods: Store<Pod>,
    tasks: Vec<JoinHandle<()>>,
}

fn reflect<K>(api: Api<K>) -> (Store<K>, JoinHandle<()>)
where
    K: Resource<DynamicType = ()> + Clone + Debug + DeserializeOwned + Send + Sync + 'static,
{
    let (store, writer) = reflector::store();
    let stream = watcher(api, watcher::Config::default()).default_backoff().reflect(writer);
    let task = tokio::spawn(async move {
        let mut stream = std::pin::pin!(stream);
        while let Some(event) = stream.next().await {
            if let Err(error) = event {
                tracing::debug!(%error, "progress watch");
            }
        }
    });
    (store, task)
}

impl Observer {
    pub fn start(client: &Client) -> Observer {
        let (clusters, a) = reflect(Api::all(client.clone()));
        let (containers, b) = reflect(Api::all(client.clone()));
        let (pods, c) = reflect(Api::all(client.clone()));
        Observer { clusters, containers, pods, tasks: vec![a, b, c] }
    }

    pub fn snapshot(&self, targets: &Targets) -> Snapshot {
        let clusters = self.clusters.state();
        let containers = self.containers.state();
        let pods = self.pods.state();
        Snapshot::observe(
            targets,
            clusters.iter().map(AsRef::as_ref),
            containers.iter().map(AsRef::as_ref),
            pods.iter().map(AsRef::as_ref),
        )
    }

    pub fn pods(&self) -> Vec<std::sync::Arc<Pod>> {
        self.pods.state()
    }

    pub fn containers(&self) -> Vec<std::sync::Arc<WekaContainer>> {
        self.containers.state()
    }
}

impl Drop for Observer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}
