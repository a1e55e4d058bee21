//! Which behaviour runs a container: the first registered rule that matches (latest
//! registration first), else the default.

use std::sync::{Arc, RwLock};

use k8s_openapi::api::core::v1::{Container, Pod};

use super::ContainerBehaviour;
use super::default::DefaultBehaviour;

pub type Matcher = Arc<dyn Fn(&Pod, &Container) -> bool + Send + Sync>;

#[derive(Clone)]
pub enum Selector {
    /// The container's image starts with this (e.g. `quay.io/weka.io/weka-in-container`).
    ImagePrefix(String),
    /// The pod has this label with this value.
    PodLabel(String, String),
    /// Anything else.
    Custom(Matcher),
}

impl Selector {
    pub fn matches(&self, pod: &Pod, container: &Container) -> bool {
        match self {
            Selector::ImagePrefix(prefix) => {
                container.image.as_deref().is_some_and(|i| i.starts_with(prefix.as_str()))
            }
            Selector::PodLabel(key, value) => {
                pod.metadata.labels.as_ref().and_then(|l| l.get(key)).is_some_and(|v| v == value)
            }
            Selector::Custom(f) => f(pod, container),
        }
    }
}

pub struct BehaviourRegistry {
    rules: RwLock<Vec<(Selector, Arc<dyn ContainerBehaviour>)>>,
    fallback: Arc<dyn ContainerBehaviour>,
}

impl Default for BehaviourRegistry {
    fn default() -> Self {
        BehaviourRegistry { rules: RwLock::new(Vec::new()), fallback: Arc::new(DefaultBehaviour) }
    }
}

impl BehaviourRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a rule; it takes precedence over the rules registered before it.
    pub fn register(&self, selector: Selector, behaviour: Arc<dyn ContainerBehaviour>) {
        self.rules.write().unwrap_or_else(|p| p.into_inner()).push((selector, behaviour));
    }

    pub fn pick(&self, pod: &Pod, container: &Container) -> Arc<dyn ContainerBehaviour> {
        let rules = self.rules.read().unwrap_or_else(|p| p.into_inner());
        rules
            .iter()
            .rev()
            .find(|(selector, _)| selector.matches(pod, container))
            .map(|(_, b)| b.clone())
            .unwrap_or_else(|| self.fallback.clone())
    }
}
