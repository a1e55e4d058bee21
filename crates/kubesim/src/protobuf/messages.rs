//! The protobuf messages of the kinds kubectl's generated clients send (`kubectl create
//! configmap|secret|namespace|serviceaccount|service|deployment|job|cronjob|role|rolebinding|
//! clusterrole|clusterrolebinding|priorityclass|poddisruptionbudget`, the evictions of
//! `kubectl drain`): field numbers as in Kubernetes' `generated.proto`, with their JSON names.
//!
//! One line per message: `tag name kind` separated by `;`. Kinds: `s` string, `i` integer
//! (varint), `b` bool, `y` bytes (base64 in JSON), `m:T` message, `ms`/`my`/`mq` maps of
//! strings/bytes/quantities. A leading `+` repeats the field, a trailing `!` keeps zero values
//! (pointer fields and fields JSON never omits; other zero scalars are what Go leaves out), and
//! the name `-` inlines a message's fields into its parent (Go's embedded structs).

use std::collections::HashMap;
use std::sync::LazyLock;

const MESSAGES: &[(&str, &str)] = &[
    (
        "ObjectMeta",
        "1 name s; 2 generateName s; 3 namespace s; 4 selfLink s; 5 uid s; 6 resourceVersion s; 7 generation i; 8 creationTimestamp m:Time; 9 deletionTimestamp m:Time; 10 deletionGracePeriodSeconds i!; 11 labels ms; 12 annotations ms; 13 ownerReferences +m:OwnerReference; 14 finalizers +s; 17 managedFields +m:ManagedFieldsEntry",
    ),
    (
        "OwnerReference",
        "1 kind s; 3 name s; 4 uid s; 5 apiVersion s; 6 controller b!; 7 blockOwnerDeletion b!",
    ),
    (
        "ManagedFieldsEntry",
        "1 manager s; 2 operation s; 3 apiVersion s; 4 time m:Time; 6 fieldsType s; 7 fieldsV1 m:FieldsV1; 8 subresource s",
    ),
    ("LabelSelector", "1 matchLabels ms; 2 matchExpressions +m:LabelSelectorRequirement"),
    ("LabelSelectorRequirement", "1 key s; 2 operator s; 3 values +s"),
    (
        "DeleteOptions",
        "1 gracePeriodSeconds i!; 2 preconditions m:Preconditions; 3 orphanDependents b!; 4 propagationPolicy s; 5 dryRun +s",
    ),
    ("Preconditions", "1 uid s; 2 resourceVersion s"),
    // core/v1
    ("ConfigMap", "1 metadata m:ObjectMeta; 2 data ms; 3 binaryData my; 4 immutable b!"),
    ("Secret", "1 metadata m:ObjectMeta; 2 data my; 3 type s; 4 stringData ms; 5 immutable b!"),
    ("Namespace", "1 metadata m:ObjectMeta; 2 spec m:NamespaceSpec; 3 status m:NamespaceStatus"),
    ("NamespaceSpec", "1 finalizers +s"),
    ("NamespaceStatus", "1 phase s"),
    (
        "ServiceAccount",
        "1 metadata m:ObjectMeta; 2 secrets +m:ObjectReference; 3 imagePullSecrets +m:LocalObjectReference; 4 automountServiceAccountToken b!",
    ),
    (
        "ObjectReference",
        "1 kind s; 2 namespace s; 3 name s; 4 uid s; 5 apiVersion s; 6 resourceVersion s; 7 fieldPath s",
    ),
    ("LocalObjectReference", "1 name s"),
    ("Service", "1 metadata m:ObjectMeta; 2 spec m:ServiceSpec; 3 status m:ServiceStatus"),
    (
        "ServiceSpec",
        "1 ports +m:ServicePort; 2 selector ms; 3 clusterIP s; 4 type s; 5 externalIPs +s; 7 sessionAffinity s; 8 loadBalancerIP s; 9 loadBalancerSourceRanges +s; 10 externalName s; 11 externalTrafficPolicy s; 12 healthCheckNodePort i; 13 publishNotReadyAddresses b; 17 ipFamilyPolicy s; 18 clusterIPs +s; 19 ipFamilies +s; 20 allocateLoadBalancerNodePorts b!; 21 loadBalancerClass s; 22 internalTrafficPolicy s; 23 trafficDistribution s",
    ),
    (
        "ServicePort",
        "1 name s; 2 protocol s; 3 port i!; 4 targetPort m:IntOrString; 5 nodePort i; 6 appProtocol s",
    ),
    ("ServiceStatus", "1 loadBalancer m:LoadBalancerStatus"),
    ("LoadBalancerStatus", ""),
    ("Pod", "1 metadata m:ObjectMeta; 2 spec m:PodSpec; 3 status m:PodStatus"),
    ("PodStatus", "1 phase s"),
    ("PodTemplateSpec", "1 metadata m:ObjectMeta; 2 spec m:PodSpec"),
    (
        "PodSpec",
        "1 volumes +m:Volume; 2 containers +m:Container; 3 restartPolicy s; 4 terminationGracePeriodSeconds i!; 5 activeDeadlineSeconds i!; 6 dnsPolicy s; 7 nodeSelector ms; 8 serviceAccountName s; 9 serviceAccount s; 10 nodeName s; 11 hostNetwork b; 12 hostPID b; 13 hostIPC b; 14 securityContext m:PodSecurityContext; 15 imagePullSecrets +m:LocalObjectReference; 16 hostname s; 17 subdomain s; 19 schedulerName s; 20 initContainers +m:Container; 21 automountServiceAccountToken b!; 22 tolerations +m:Toleration; 23 hostAliases +m:HostAlias; 24 priorityClassName s; 25 priority i!; 27 shareProcessNamespace b!; 29 runtimeClassName s; 30 enableServiceLinks b!; 31 preemptionPolicy s; 35 setHostnameAsFQDN b!; 37 hostUsers b!",
    ),
    (
        "Container",
        "1 name s; 2 image s; 3 command +s; 4 args +s; 5 workingDir s; 6 ports +m:ContainerPort; 7 env +m:EnvVar; 8 resources m:ResourceRequirements; 9 volumeMounts +m:VolumeMount; 10 livenessProbe m:Probe; 11 readinessProbe m:Probe; 12 lifecycle m:Lifecycle; 13 terminationMessagePath s; 14 imagePullPolicy s; 15 securityContext m:SecurityContext; 16 stdin b; 17 stdinOnce b; 18 tty b; 19 envFrom +m:EnvFromSource; 20 terminationMessagePolicy s; 22 startupProbe m:Probe; 24 restartPolicy s",
    ),
    ("ContainerPort", "1 name s; 2 hostPort i; 3 containerPort i!; 4 protocol s; 5 hostIP s"),
    ("EnvVar", "1 name s; 2 value s; 3 valueFrom m:EnvVarSource"),
    (
        "EnvVarSource",
        "1 fieldRef m:ObjectFieldSelector; 2 resourceFieldRef m:ResourceFieldSelector; 3 configMapKeyRef m:KeySelector; 4 secretKeyRef m:KeySelector",
    ),
    ("ObjectFieldSelector", "1 apiVersion s; 2 fieldPath s"),
    ("ResourceFieldSelector", "1 containerName s; 2 resource s; 3 divisor m:Quantity"),
    ("KeySelector", "1 - m:LocalObjectReference; 2 key s; 3 optional b!"),
    ("EnvFromSource", "1 prefix s; 2 configMapRef m:EnvSource; 3 secretRef m:EnvSource"),
    ("EnvSource", "1 - m:LocalObjectReference; 2 optional b!"),
    ("ResourceRequirements", "1 limits mq; 2 requests mq"),
    (
        "VolumeMount",
        "1 name s; 2 readOnly b; 3 mountPath s; 4 subPath s; 5 mountPropagation s; 6 subPathExpr s; 7 recursiveReadOnly s",
    ),
    ("Volume", "1 name s; 2 - m:VolumeSource"),
    (
        "VolumeSource",
        "1 hostPath m:HostPathVolumeSource; 2 emptyDir m:EmptyDirVolumeSource; 6 secret m:SecretVolumeSource; 10 persistentVolumeClaim m:PersistentVolumeClaimVolumeSource; 19 configMap m:ConfigMapVolumeSource",
    ),
    ("HostPathVolumeSource", "1 path s; 2 type s!"),
    ("EmptyDirVolumeSource", "1 medium s; 2 sizeLimit m:Quantity"),
    ("SecretVolumeSource", "1 secretName s; 2 items +m:KeyToPath; 3 defaultMode i!; 4 optional b!"),
    (
        "ConfigMapVolumeSource",
        "1 - m:LocalObjectReference; 2 items +m:KeyToPath; 3 defaultMode i!; 4 optional b!",
    ),
    ("PersistentVolumeClaimVolumeSource", "1 claimName s; 2 readOnly b"),
    ("KeyToPath", "1 key s; 2 path s; 3 mode i!"),
    ("Toleration", "1 key s; 2 operator s; 3 value s; 4 effect s; 5 tolerationSeconds i!"),
    ("HostAlias", "1 ip s; 2 hostnames +s"),
    (
        "Probe",
        "1 - m:ProbeHandler; 2 initialDelaySeconds i; 3 timeoutSeconds i; 4 periodSeconds i; 5 successThreshold i; 6 failureThreshold i; 7 terminationGracePeriodSeconds i!",
    ),
    (
        "ProbeHandler",
        "1 exec m:ExecAction; 2 httpGet m:HTTPGetAction; 3 tcpSocket m:TCPSocketAction",
    ),
    ("Lifecycle", "1 postStart m:LifecycleHandler; 2 preStop m:LifecycleHandler"),
    (
        "LifecycleHandler",
        "1 exec m:ExecAction; 2 httpGet m:HTTPGetAction; 3 tcpSocket m:TCPSocketAction",
    ),
    ("ExecAction", "1 command +s"),
    ("HTTPGetAction", "1 path s; 2 port m:IntOrString; 3 host s; 4 scheme s"),
    ("TCPSocketAction", "1 port m:IntOrString; 2 host s"),
    (
        "SecurityContext",
        "1 capabilities m:Capabilities; 2 privileged b!; 4 runAsUser i!; 5 runAsNonRoot b!; 6 readOnlyRootFilesystem b!; 7 allowPrivilegeEscalation b!; 8 runAsGroup i!; 9 procMount s",
    ),
    (
        "PodSecurityContext",
        "2 runAsUser i!; 3 runAsNonRoot b!; 4 supplementalGroups +i; 5 fsGroup i!; 6 runAsGroup i!; 9 fsGroupChangePolicy s",
    ),
    ("Capabilities", "1 add +s; 2 drop +s"),
    // apps/v1, batch/v1
    ("Deployment", "1 metadata m:ObjectMeta; 2 spec m:DeploymentSpec; 3 status m:Empty"),
    (
        "DeploymentSpec",
        "1 replicas i!; 2 selector m:LabelSelector; 3 template m:PodTemplateSpec; 4 strategy m:DeploymentStrategy; 5 minReadySeconds i; 6 revisionHistoryLimit i!; 7 paused b; 9 progressDeadlineSeconds i!",
    ),
    ("DeploymentStrategy", "1 type s; 2 rollingUpdate m:RollingUpdateDeployment"),
    ("RollingUpdateDeployment", "1 maxUnavailable m:IntOrString; 2 maxSurge m:IntOrString"),
    ("Job", "1 metadata m:ObjectMeta; 2 spec m:JobSpec; 3 status m:Empty"),
    (
        "JobSpec",
        "1 parallelism i!; 2 completions i!; 3 activeDeadlineSeconds i!; 4 selector m:LabelSelector; 5 manualSelector b!; 6 template m:PodTemplateSpec; 7 backoffLimit i!; 8 ttlSecondsAfterFinished i!; 9 completionMode s; 10 suspend b!; 12 backoffLimitPerIndex i!; 13 maxFailedIndexes i!; 14 podReplacementPolicy s; 15 managedBy s",
    ),
    ("JobTemplateSpec", "1 metadata m:ObjectMeta; 2 spec m:JobSpec"),
    ("CronJob", "1 metadata m:ObjectMeta; 2 spec m:CronJobSpec; 3 status m:Empty"),
    (
        "CronJobSpec",
        "1 schedule s; 2 startingDeadlineSeconds i!; 3 concurrencyPolicy s; 4 suspend b!; 5 jobTemplate m:JobTemplateSpec; 6 successfulJobsHistoryLimit i!; 7 failedJobsHistoryLimit i!; 8 timeZone s",
    ),
    // rbac, scheduling, policy
    (
        "PolicyRule",
        "1 verbs +s; 2 apiGroups +s; 3 resources +s; 4 resourceNames +s; 5 nonResourceURLs +s",
    ),
    ("Role", "1 metadata m:ObjectMeta; 2 rules +m:PolicyRule"),
    (
        "ClusterRole",
        "1 metadata m:ObjectMeta; 2 rules +m:PolicyRule; 3 aggregationRule m:AggregationRule",
    ),
    ("AggregationRule", "1 clusterRoleSelectors +m:LabelSelector"),
    ("RoleBinding", "1 metadata m:ObjectMeta; 2 subjects +m:Subject; 3 roleRef m:RoleRef"),
    ("ClusterRoleBinding", "1 metadata m:ObjectMeta; 2 subjects +m:Subject; 3 roleRef m:RoleRef"),
    ("Subject", "1 kind s; 2 apiGroup s; 3 name s; 4 namespace s"),
    ("RoleRef", "1 apiGroup s; 2 kind s; 3 name s"),
    (
        "PriorityClass",
        "1 metadata m:ObjectMeta; 2 value i!; 3 globalDefault b; 4 description s; 5 preemptionPolicy s",
    ),
    (
        "PodDisruptionBudget",
        "1 metadata m:ObjectMeta; 2 spec m:PodDisruptionBudgetSpec; 3 status m:Empty",
    ),
    (
        "PodDisruptionBudgetSpec",
        "1 minAvailable m:IntOrString; 2 selector m:LabelSelector; 3 maxUnavailable m:IntOrString; 4 unhealthyPodEvictionPolicy s",
    ),
    ("Eviction", "1 metadata m:ObjectMeta; 2 deleteOptions m:DeleteOptions"),
    // A status the server resets anyway: only its presence matters.
    ("Empty", ""),
];

/// The root message of each kind a request body may hold.
pub const KINDS: &[&str] = &[
    "ConfigMap",
    "Secret",
    "Namespace",
    "ServiceAccount",
    "Service",
    "Pod",
    "Deployment",
    "Job",
    "CronJob",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "PriorityClass",
    "PodDisruptionBudget",
    "Eviction",
];

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    String,
    Int,
    Bool,
    Bytes,
    Message(String),
    StringMap,
    BytesMap,
    QuantityMap,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The JSON name, empty for an inlined message.
    pub name: String,
    pub kind: Kind,
    pub repeated: bool,
    pub keep_zero: bool,
}

pub type Message = HashMap<u32, Field>;

fn parse_field(text: &str) -> Result<(u32, Field), String> {
    let mut parts = text.split_whitespace();
    let (Some(tag), Some(name), Some(kind)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!("bad field {text:?}"));
    };
    let tag: u32 = tag.parse().map_err(|_| format!("bad tag in {text:?}"))?;
    let repeated = kind.starts_with('+');
    let kind = kind.trim_start_matches('+');
    let keep_zero = kind.ends_with('!');
    let kind = match kind.trim_end_matches('!') {
        "s" => Kind::String,
        "i" => Kind::Int,
        "b" => Kind::Bool,
        "y" => Kind::Bytes,
        "ms" => Kind::StringMap,
        "my" => Kind::BytesMap,
        "mq" => Kind::QuantityMap,
        other => match other.strip_prefix("m:") {
            Some(message) => Kind::Message(message.to_string()),
            None => return Err(format!("bad kind in {text:?}")),
        },
    };
    let name = if name == "-" { String::new() } else { name.to_string() };
    Ok((tag, Field { name, kind, repeated, keep_zero }))
}

static TABLE: LazyLock<HashMap<&'static str, Message>> = LazyLock::new(|| {
    MESSAGES
        .iter()
        .map(|(name, fields)| {
            let fields = fields
                .split(';')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .map(|f| parse_field(f).unwrap_or_else(|e| panic!("{name}: {e}")))
                .collect();
            (*name, fields)
        })
        .collect()
});

pub fn message(name: &str) -> Option<&'static Message> {
    TABLE.get(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_referenced_message_is_described() {
        for (name, fields) in TABLE.iter() {
            for field in fields.values() {
                if let Kind::Message(m) = &field.kind {
                    let special = ["Time", "MicroTime", "Quantity", "IntOrString", "FieldsV1"];
                    assert!(
                        special.contains(&m.as_str()) || message(m).is_some(),
                        "{name} refers to {m}"
                    );
                }
            }
        }
        for kind in KINDS {
            assert!(message(kind).is_some(), "{kind}");
        }
        let meta = message("ObjectMeta").unwrap();
        assert_eq!(meta[&11].kind, Kind::StringMap);
        assert!(message("ContainerPort").unwrap()[&3].keep_zero);
        assert!(message("Volume").unwrap()[&2].name.is_empty());
    }
}
