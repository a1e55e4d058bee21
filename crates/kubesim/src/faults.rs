//! Fault injection: rules that match requests (verb, resource, subresource, namespace, name)
//! and make them fail, slow down, or break watch streams; plus cutting every open watch.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::watch;

#[derive(Clone, Debug, PartialEq)]
pub enum FaultAction {
    /// Answer with this status instead of serving the request.
    Error { code: u16, reason: String, message: String, retry_after_seconds: Option<u64> },
    /// Serve the request after this delay.
    Latency(Duration),
    /// A watch stream breaks (connection dropped, no clean end) after this many events.
    DropWatch { after_events: usize },
    /// A watch gets a 410 Expired ERROR event instead of events, as when its
    /// resourceVersion has been compacted.
    ExpireWatch,
}

impl FaultAction {
    /// 500 InternalError.
    pub fn internal_error() -> Self {
        FaultAction::Error {
            code: 500,
            reason: "InternalError".into(),
            message: "Internal error occurred: injected fault".into(),
            retry_after_seconds: None,
        }
    }

    /// 429 TooManyRequests with Retry-After.
    pub fn too_many_requests(retry_after_seconds: u64) -> Self {
        FaultAction::Error {
            code: 429,
            reason: "TooManyRequests".into(),
            message: "Too many requests, please try again later.".into(),
            retry_after_seconds: Some(retry_after_seconds),
        }
    }

    /// 409 Conflict as an optimistic-concurrency failure.
    pub fn conflict() -> Self {
        FaultAction::Error {
            code: 409,
            reason: "Conflict".into(),
            message: "Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again".into(),
            retry_after_seconds: None,
        }
    }
}

/// Which requests a rule applies to (unset parts match everything) and how often.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultRule {
    pub verb: Option<String>,
    pub resource: Option<String>,
    pub subresource: Option<String>,
    pub namespace: Option<String>,
    /// Exact, or a prefix followed by `*`.
    pub name: Option<String>,
    /// How many matching requests it applies to; `None` for all.
    pub times: Option<u32>,
    /// Chance that it applies to a matching request.
    pub probability: f64,
    pub action: FaultAction,
}

impl FaultRule {
    pub fn new(action: FaultAction) -> Self {
        FaultRule {
            verb: None,
            resource: None,
            subresource: None,
            namespace: None,
            name: None,
            times: None,
            probability: 1.0,
            action,
        }
    }

    pub fn verb(mut self, verb: &str) -> Self {
        self.verb = Some(verb.into());
        self
    }

    pub fn resource(mut self, resource: &str) -> Self {
        self.resource = Some(resource.into());
        self
    }

    pub fn subresource(mut self, subresource: &str) -> Self {
        self.subresource = Some(subresource.into());
        self
    }

    pub fn namespace(mut self, namespace: &str) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.into());
        self
    }

    pub fn times(mut self, times: u32) -> Self {
        self.times = Some(times);
        self
    }

    pub fn probability(mut self, probability: f64) -> Self {
        self.probability = probability;
        self
    }
}

/// What a request is, for matching.
#[derive(Clone, Debug, Default)]
pub(crate) struct RequestFacts<'a> {
    pub verb: &'a str,
    pub resource: &'a str,
    pub subresource: Option<&'a str>,
    pub namespace: Option<&'a str>,
    pub name: Option<&'a str>,
}

fn matches(rule: &FaultRule, facts: &RequestFacts) -> bool {
    let eq =
        |want: &Option<String>, have: Option<&str>| want.as_deref().is_none_or(|w| Some(w) == have);
    let name_ok = match rule.name.as_deref() {
        None => true,
        Some(pattern) => match (pattern.strip_suffix('*'), facts.name) {
            (Some(prefix), Some(name)) => name.starts_with(prefix),
            (None, Some(name)) => name == pattern,
            (_, None) => false,
        },
    };
    eq(&rule.verb, Some(facts.verb))
        && eq(&rule.resource, Some(facts.resource))
        && eq(&rule.subresource, facts.subresource)
        && eq(&rule.namespace, facts.namespace)
        && name_ok
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FaultId(u64);

pub struct Faults {
    rules: Mutex<(u64, Vec<(FaultId, FaultRule)>)>,
    cut: watch::Sender<u64>,
}

impl Default for Faults {
    fn default() -> Self {
        Faults { rules: Mutex::new((0, Vec::new())), cut: watch::Sender::new(0) }
    }
}

impl Faults {
    pub fn add(&self, rule: FaultRule) -> FaultId {
        let mut guard = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        guard.0 += 1;
        let id = FaultId(guard.0);
        guard.1.push((id, rule));
        id
    }

    pub fn remove(&self, id: FaultId) {
        let mut guard = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        guard.1.retain(|(rule_id, _)| *rule_id != id);
    }

    pub fn clear(&self) {
        self.rules.lock().unwrap_or_else(|e| e.into_inner()).1.clear();
    }

    /// Breaks every watch stream open now (clients see a dropped connection).
    pub fn cut_watches(&self) {
        self.cut.send_modify(|generation| *generation += 1);
    }

    pub(crate) fn cut_signal(&self) -> watch::Receiver<u64> {
        self.cut.subscribe()
    }

    /// The actions that apply to a request, using up counted rules.
    pub(crate) fn take(&self, facts: &RequestFacts) -> Vec<FaultAction> {
        let mut guard = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        let mut actions = Vec::new();
        for (_, rule) in guard.1.iter_mut() {
            if !matches(rule, facts) || rule.times == Some(0) {
                continue;
            }
            if rule.probability < 1.0 && random_unit() >= rule.probability {
                continue;
            }
            if let Some(times) = rule.times.as_mut() {
                *times -= 1;
            }
            actions.push(rule.action.clone());
        }
        guard.1.retain(|(_, rule)| rule.times != Some(0));
        actions
    }
}

/// A uniform number in [0, 1).
fn random_unit() -> f64 {
    (uuid::Uuid::new_v4().as_u128() >> 75) as f64 / (1u64 << 53) as f64
}
