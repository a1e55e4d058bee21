//! The built-in kinds, with the names, scope, subresources and field selectors a real
//! kube-apiserver (1.32) serves them with.

use k8s_openapi::api::{
    apps::v1 as apps, batch::v1 as batch, coordination::v1 as coordination, core::v1 as core,
    events::v1 as events, policy::v1 as policy, rbac::v1 as rbac, scheduling::v1 as scheduling,
    storage::v1 as storage,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiextensions;

use super::{
    Codec, ExtraSubresource, Resource, ScalePaths, Schema, StatusOnCreate, TypedRoundTrip,
    round_trip,
};
use crate::store::Generation;

pub const STANDARD_VERBS: &[&str] =
    &["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

const POD_FIELDS: &[&str] = &[
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "spec.hostNetwork",
    "status.phase",
    "status.podIP",
    "status.nominatedNodeName",
];

const EVENT_FIELDS: &[&str] = &[
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
];

fn def(
    group: &str,
    version: &str,
    kind: &str,
    plural: &str,
    namespaced: bool,
    typed: TypedRoundTrip,
) -> Resource {
    let api_version =
        if group.is_empty() { version.to_string() } else { format!("{group}/{version}") };
    Resource {
        group: group.into(),
        version: version.into(),
        kind: kind.into(),
        list_kind: format!("{kind}List"),
        plural: plural.into(),
        singular: kind.to_lowercase(),
        short_names: Vec::new(),
        namespaced,
        verbs: STANDARD_VERBS.iter().map(|v| v.to_string()).collect(),
        categories: Vec::new(),
        status_subresource: false,
        scale: None,
        extra_subresources: Vec::new(),
        storage: if group.is_empty() { plural.to_string() } else { format!("{group}/{plural}") },
        storage_api_version: api_version,
        codec: Codec::Plain,
        schema: Schema::Typed(typed),
        generation: Generation::Untracked,
        status_on_create: StatusOnCreate::Keep,
        field_labels: Vec::new(),
        returns_deleted_object: false,
        custom: None,
    }
}

impl Resource {
    fn short(mut self, names: &[&str]) -> Self {
        self.short_names = names.iter().map(|s| s.to_string()).collect();
        self
    }

    fn in_all(mut self) -> Self {
        self.categories = vec!["all".into()];
        self
    }

    fn status(mut self, on_create: StatusOnCreate) -> Self {
        self.status_subresource = true;
        self.status_on_create = on_create;
        self
    }

    fn scale(mut self) -> Self {
        self.scale = Some(ScalePaths {
            spec_replicas: ".spec.replicas".into(),
            status_replicas: ".status.replicas".into(),
            label_selector: Some(".status.selector".into()),
        });
        self
    }

    fn generation(mut self) -> Self {
        self.generation =
            if self.status_subresource { Generation::SpecOnly } else { Generation::AnyChange };
        self
    }

    fn fields(mut self, labels: &[&str]) -> Self {
        self.field_labels = labels.iter().map(|s| s.to_string()).collect();
        self
    }

    fn returns_object(mut self) -> Self {
        self.returns_deleted_object = true;
        self
    }
}

pub fn resources() -> Vec<Resource> {
    use StatusOnCreate::*;
    let mut pod = def("", "v1", "Pod", "pods", true, round_trip::<core::Pod>)
        .short(&["po"])
        .in_all()
        .status(Pod)
        .fields(POD_FIELDS)
        .returns_object();
    pod.extra_subresources = vec![
        ExtraSubresource {
            name: "binding",
            group: "",
            version: "v1",
            kind: "Binding",
            verbs: &["create"],
        },
        ExtraSubresource {
            name: "eviction",
            group: "policy",
            version: "v1",
            kind: "Eviction",
            verbs: &["create"],
        },
    ];
    let mut events_v1 =
        def("events.k8s.io", "v1", "Event", "events", true, round_trip::<events::Event>)
            .short(&["ev"]);
    events_v1.storage = "events".into();
    events_v1.storage_api_version = "v1".into();
    events_v1.codec = Codec::EventsV1;
    events_v1.field_labels = EVENT_FIELDS.iter().map(|s| s.to_string()).collect();

    vec![
        def("", "v1", "ConfigMap", "configmaps", true, round_trip::<core::ConfigMap>)
            .short(&["cm"]),
        def("", "v1", "Endpoints", "endpoints", true, round_trip::<core::Endpoints>).short(&["ep"]),
        def("", "v1", "Event", "events", true, round_trip::<core::Event>)
            .short(&["ev"])
            .fields(EVENT_FIELDS),
        def("", "v1", "Namespace", "namespaces", false, round_trip::<core::Namespace>)
            .short(&["ns"])
            .status(Phase("Active"))
            .fields(&["status.phase"])
            .returns_object(),
        def("", "v1", "Node", "nodes", false, round_trip::<core::Node>)
            .short(&["no"])
            .status(Keep)
            .fields(&["spec.unschedulable"])
            .returns_object(),
        def(
            "",
            "v1",
            "PersistentVolumeClaim",
            "persistentvolumeclaims",
            true,
            round_trip::<core::PersistentVolumeClaim>,
        )
        .short(&["pvc"])
        .status(Phase("Pending")),
        def(
            "",
            "v1",
            "PersistentVolume",
            "persistentvolumes",
            false,
            round_trip::<core::PersistentVolume>,
        )
        .short(&["pv"])
        .status(Phase("Pending")),
        pod,
        def("", "v1", "Secret", "secrets", true, round_trip::<core::Secret>).fields(&["type"]),
        def(
            "",
            "v1",
            "ServiceAccount",
            "serviceaccounts",
            true,
            round_trip::<core::ServiceAccount>,
        )
        .short(&["sa"]),
        def("", "v1", "Service", "services", true, round_trip::<core::Service>)
            .short(&["svc"])
            .in_all()
            .status(Empty)
            .returns_object(),
        def(
            "apiextensions.k8s.io",
            "v1",
            "CustomResourceDefinition",
            "customresourcedefinitions",
            false,
            round_trip::<apiextensions::CustomResourceDefinition>,
        )
        .short(&["crd", "crds"])
        .status(Remove)
        .generation()
        .returns_object(),
        def("apps", "v1", "DaemonSet", "daemonsets", true, round_trip::<apps::DaemonSet>)
            .short(&["ds"])
            .in_all()
            .status(Empty)
            .generation(),
        def("apps", "v1", "Deployment", "deployments", true, round_trip::<apps::Deployment>)
            .short(&["deploy"])
            .in_all()
            .status(Empty)
            .scale()
            .generation(),
        def("apps", "v1", "ReplicaSet", "replicasets", true, round_trip::<apps::ReplicaSet>)
            .short(&["rs"])
            .in_all()
            .status(Empty)
            .scale()
            .generation()
            .fields(&["status.replicas"]),
        def("apps", "v1", "StatefulSet", "statefulsets", true, round_trip::<apps::StatefulSet>)
            .short(&["sts"])
            .in_all()
            .status(Empty)
            .scale()
            .generation(),
        def("batch", "v1", "CronJob", "cronjobs", true, round_trip::<batch::CronJob>)
            .short(&["cj"])
            .in_all()
            .status(Empty)
            .generation(),
        def("batch", "v1", "Job", "jobs", true, round_trip::<batch::Job>)
            .in_all()
            .status(Empty)
            .generation()
            .fields(&["status.successful"]),
        def(
            "coordination.k8s.io",
            "v1",
            "Lease",
            "leases",
            true,
            round_trip::<coordination::Lease>,
        ),
        events_v1,
        def(
            "policy",
            "v1",
            "PodDisruptionBudget",
            "poddisruptionbudgets",
            true,
            round_trip::<policy::PodDisruptionBudget>,
        )
        .short(&["pdb"])
        .status(Empty)
        .generation(),
        def(
            "rbac.authorization.k8s.io",
            "v1",
            "ClusterRoleBinding",
            "clusterrolebindings",
            false,
            round_trip::<rbac::ClusterRoleBinding>,
        ),
        def(
            "rbac.authorization.k8s.io",
            "v1",
            "ClusterRole",
            "clusterroles",
            false,
            round_trip::<rbac::ClusterRole>,
        ),
        def(
            "rbac.authorization.k8s.io",
            "v1",
            "RoleBinding",
            "rolebindings",
            true,
            round_trip::<rbac::RoleBinding>,
        ),
        def("rbac.authorization.k8s.io", "v1", "Role", "roles", true, round_trip::<rbac::Role>),
        def(
            "scheduling.k8s.io",
            "v1",
            "PriorityClass",
            "priorityclasses",
            false,
            round_trip::<scheduling::PriorityClass>,
        )
        .short(&["pc"]),
        def(
            "storage.k8s.io",
            "v1",
            "CSIDriver",
            "csidrivers",
            false,
            round_trip::<storage::CSIDriver>,
        ),
        def(
            "storage.k8s.io",
            "v1",
            "StorageClass",
            "storageclasses",
            false,
            round_trip::<storage::StorageClass>,
        )
        .short(&["sc"]),
    ]
}
