//! What every reconcile gets: the client, the configuration, the shared caches, metrics and
//! an event recorder. No globals.

use std::sync::Arc;

use kube::Client;
use kube::runtime::events::{Recorder, Reporter};

use super::reflectors::Reflectors;
use crate::config::Config;
use crate::metrics::Metrics;

/// The `reportingController` of the operator's events.
pub const REPORTING_CONTROLLER: &str = "weka-operator";

pub struct Context {
    pub client: Client,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    pub reflectors: Reflectors,
    /// This process's leader-election identity (also the events' reporting instance).
    pub identity: String,
}

impl Context {
    pub fn new(
        client: Client,
        config: Arc<Config>,
        metrics: Arc<Metrics>,
        identity: String,
    ) -> Self {
        let reflectors = Reflectors::new(
            client.clone(),
            config.scope.namespace().map(str::to_string),
            metrics.controllers.clone(),
        );
        Context { client, config, metrics, reflectors, identity }
    }

    /// An event recorder reporting as this operator instance.
    pub fn recorder(&self) -> Recorder {
        let reporter = Reporter {
            controller: REPORTING_CONTROLLER.to_string(),
            instance: Some(self.identity.clone()),
        };
        Recorder::new(self.client.clone(), reporter)
    }
}
