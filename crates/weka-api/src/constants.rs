//! Every well-known name the operator writes or reads: finalizers, labels, annotations,
//! extended resources, condition types, files of the in-pod protocol. Controllers use these
//! constants instead of string literals. (Container modes are the enum
//! [`crate::wekacontainer::ContainerMode`].)

/// Finalizers.
pub mod finalizers {
    /// Held by WekaCluster, WekaContainer and WekaClient until their teardown is complete.
    pub const WEKA: &str = "weka.weka.io/finalizer";
}

/// Labels on WekaContainers and pods.
pub mod labels {
    /// The container mode (`compute`, `drive`, ...), used by anti-affinity selectors.
    pub const MODE: &str = "weka.io/mode";
    /// The owning WekaCluster's name.
    pub const CLUSTER_NAME: &str = "weka.io/cluster-name";
    /// The owning WekaCluster's UID.
    pub const CLUSTER_ID: &str = "weka.io/cluster-id";
    /// The owning WekaClient's name.
    pub const CLIENT_NAME: &str = "weka.io/client-name";
    /// The owning WekaPolicy's name.
    pub const POLICY_NAME: &str = "weka.io/policy-name";
    /// The component an object belongs to (e.g. `weka-container`, `csi`).
    pub const COMPONENT: &str = "weka.io/component";
    /// Kubernetes' recommended labels.
    pub const APP_NAME: &str = "app.kubernetes.io/name";
    pub const APP_PART_OF: &str = "app.kubernetes.io/part-of";
    pub const APP_CREATED_BY: &str = "app.kubernetes.io/created-by";
    pub const APP_MANAGED_BY: &str = "app.kubernetes.io/managed-by";
    /// The node label that marks nodes a cluster's containers may use.
    pub const SUPPORTS_BACKENDS: &str = "weka.io/supports-backends";
    /// Standard node labels.
    pub const HOSTNAME: &str = "kubernetes.io/hostname";
    pub const ARCH: &str = "kubernetes.io/arch";
    pub const OS: &str = "kubernetes.io/os";
    pub const ZONE: &str = "topology.kubernetes.io/zone";
    pub const REGION: &str = "topology.kubernetes.io/region";
    /// Values of `app.kubernetes.io/part-of` / `managed-by`.
    pub const OPERATOR_NAME: &str = "weka-operator";
}

/// Annotations on pods, containers and nodes.
pub mod annotations {
    /// On pods: comma-separated keys of the annotations the operator copied from the container.
    pub const APPLIED_ANNOTATIONS: &str = "weka.io/applied-annotations";
    /// On nodes: `<image>:<bootID>` of the drivers loaded on the node.
    pub const DRIVERS_LOADED: &str = "weka.io/drivers-loaded";
    /// On nodes: the discovery container's JSON result (includes the boot ID).
    pub const DISCOVERY_JSON: &str = "weka.io/discovery.json";
    /// On nodes: JSON list of the serials of drives signed for WEKA (exclusive mode).
    pub const WEKA_DRIVES: &str = "weka.io/weka-drives";
    /// On nodes: JSON list of blocked drive serials.
    pub const BLOCKED_DRIVES: &str = "weka.io/blocked-drives";
    /// On nodes: shared drives (`[[uuid, serial, capacityGiB, devicePath], ...]`).
    pub const SHARED_DRIVES: &str = "weka.io/weka-shared-drives";
    /// On nodes: JSON list of blocked physical UUIDs (drive sharing).
    pub const BLOCKED_DRIVES_PHYSICAL_UUIDS: &str = "weka.io/blocked-drives-physical-uuids";
    /// On nodes: hash of the last signed drive set.
    pub const SIGN_DRIVES_HASH: &str = "weka.io/sign-drives-hash";
    /// On nodes: drive claims per container (`{"serial": "cluster:ns:container"}`).
    pub const DRIVE_CLAIMS: &str = "weka.io/drive-claims";
    /// On nodes: port claims per container (`{"base,count": "cluster:ns:container"}`).
    pub const PORT_CLAIMS: &str = "weka.io/port-claims";
    /// On nodes: virtual drive claims (drive sharing).
    pub const VIRTUAL_DRIVE_CLAIMS: &str = "weka.io/virtual-drive-claims";
    /// On nodes: the NICs the node offers (JSON).
    pub const NICS: &str = "weka.io/nics";
    /// On nodes: the NICs WEKA uses (JSON).
    pub const WEKA_NICS: &str = "weka.io/weka-nics";
    /// On nodes: a request to shut the node's WEKA containers down.
    pub const SHUTDOWN_NODE: &str = "weka.io/shutdown-node";
    /// On containers: the node whose machine identifier the container reuses.
    pub const MACHINE_IDENTIFIER_REF: &str = "weka.io/machine-identifier-ref";
    /// On nodes: kernel and architecture reported by discovery.
    pub const KERNEL: &str = "weka.io/kernel";
    pub const ARCHITECTURE: &str = "weka.io/architecture";
    /// On services: hash of the monitoring service's desired state.
    pub const MONITORING_SERVICE_HASH: &str = "weka.io/monitoring-service-hash";
    /// On CSI objects: hashes of their desired state.
    pub const CSI_NODE_HASH: &str = "weka.io/csi-node-hash";
    pub const CSI_CONTROLLER_HASH: &str = "weka.io/csi-controller-hash";
}

/// Extended resources that nodes advertise.
pub mod resources {
    /// Whole drives signed for WEKA (exclusive mode).
    pub const DRIVES: &str = "weka.io/drives";
    /// Shared TLC drive capacity in GiB (drive sharing).
    pub const SHARED_DRIVES_CAPACITY: &str = "weka.io/shared-drives-capacity";
    /// Shared QLC drive capacity in GiB (drive sharing).
    pub const SHARED_DRIVES_CAPACITY_QLC: &str = "weka.io/shared-drives-capacity-qlc";
    pub const HUGEPAGES_2MI: &str = "hugepages-2Mi";
    pub const HUGEPAGES_1GI: &str = "hugepages-1Gi";
}

/// Files of the in-pod termination protocol and runtime.
pub mod files {
    /// Written by the operator: the runtime may stop gracefully.
    pub const ALLOW_STOP: &str = "/tmp/.allow-stop";
    /// Written by the operator: the runtime may stop without deactivating.
    pub const ALLOW_FORCE_STOP: &str = "/tmp/.allow-force-stop";
}

/// Condition types. The upstream names are kept byte for byte (users and scripts wait on
/// them), including the inconsistent `Cond` prefixes of some.
pub mod conditions {
    // --- WekaCluster -----------------------------------------------------------------
    pub const PODS_CREATED: &str = "PodsCreated";
    pub const CLUSTER_SECRETS_CREATED: &str = "ClusterSecretsCreated";
    pub const CLUSTER_SECRETS_APPLIED: &str = "ClusterSecretsApplied";
    pub const ADMIN_USER_DELETED: &str = "CondAdminUserDeleted";
    pub const CLUSTER_CLIENT_SECRETS_CREATED: &str = "ClusterClientsSecretsCreated";
    pub const CLUSTER_CLIENT_SECRETS_APPLIED: &str = "ClusterClientsSecretsApplied";
    pub const CLUSTER_CSI_SECRETS_CREATED: &str = "ClusterCsiSecretsCreated";
    pub const CLUSTER_CSI_SECRETS_APPLIED: &str = "ClusterCsiSecretsApplied";
    pub const WEKA_HOME_CONFIGURED: &str = "WekaHomeConfigured";
    pub const DEFAULT_FS_CREATED: &str = "CondDefaultFsCreated";
    pub const S3_CLUSTER_CREATED: &str = "CondS3ClusterCreated";
    pub const NFS_CONFIGURED: &str = "NfsConfigured";
    pub const DATA_SERVICES_CONFIGURED: &str = "DataServicesGlobalConfigured";
    pub const NFS_INTERFACE_GROUPS_CONFIGURED: &str = "NfsInterfaceGroupsConfigured";
    pub const NFS_IP_RANGES_CONFIGURED: &str = "NfsIpRangesConfigured";
    pub const PODS_READY: &str = "PodsReady";
    pub const CLUSTER_CREATED: &str = "ClusterCreated";
    pub const POST_CLUSTER_FORMED_SCRIPT: &str = "CondPostClusterFormedScript";
    pub const JOIN_IPS_SET: &str = "JoinIpsSet";
    pub const DRIVES_ADDED: &str = "DrivesAdded";
    pub const IO_STARTED: &str = "IoStarted";
    pub const CLUSTER_READY: &str = "ClusterIsReady";
    pub const CSI_DEPLOYED: &str = "CsiDeployed";
    pub const KMS_CONFIGURED: &str = "KMSConfigured";
    pub const MANAGEMENT_SERVICE_CONFIGURED: &str = "ManagementServiceConfigured";
    /// Self-managed by `EnsureTelemetry`: its message is the hash of the applied exports.
    pub const TELEMETRY_CONFIGURED: &str = "TelemetryConfigured";
    pub const S3_CLUSTER_DESTROYED: &str = "S3ClusterDestroyed";

    // --- WekaContainer ---------------------------------------------------------------
    pub const JOINED_CLUSTER: &str = "JoinedCluster";
    pub const JOINED_S3_CLUSTER: &str = "JoinedS3Cluster";
    pub const VIRTUAL_DRIVES_ADDED: &str = "VirtualDrivesAdded";
    pub const CONTAINER_RESOURCES_WRITTEN: &str = "ContainerResourcesWritten";
    pub const RESULTS_RECEIVED: &str = "CondResultsReceived";
    pub const RESULTS_PROCESSED: &str = "CondResultsProcessed";
    pub const ENSURED_DRIVERS: &str = "EnsuredDrivers";
    pub const CONTAINER_RESOURCES_ALLOCATED: &str = "ContainerResourcesAllocated";
    pub const CONTAINER_DEACTIVATED: &str = "ContainerDeactivated";
    pub const CONTAINER_DRIVES_DEACTIVATED: &str = "ContainerDrivesDeactivated";
    pub const CONTAINER_REMOVED: &str = "ContainerRemoved";
    pub const CONTAINER_DRIVES_RESIGNED: &str = "ContainerDrivesResigned";
    pub const CONTAINER_DRIVES_REMOVED: &str = "ContainerDriveRemoved";
    pub const REMOVED_FROM_S3_CLUSTER: &str = "RemovedFromS3Cluster";
    pub const REMOVED_FROM_NFS: &str = "RemovedFromNFS";
    pub const CONTAINER_AFFINITY_SET: &str = "ContainerAffinitySet";
    pub const CONTAINER_IMAGE_UPDATED: &str = "ContainerImageUpdated";
    pub const MIGRATED_OUT_FROM_PVC: &str = "MigratedOutFromPVC";

    // --- Ours, on every kind (standard Kubernetes conventions) -----------------------
    /// The object does what its spec asks (`kubectl wait --for=condition=Ready`).
    pub const READY: &str = "Ready";
    /// Work towards the spec is under way; the reason names the stage.
    pub const PROGRESSING: &str = "Progressing";
    /// The spec asks for something the operator cannot do (e.g. an unsupported mode).
    pub const DEGRADED: &str = "Degraded";
    /// The WekaContainer's mode is accepted by the CRD but not implemented by this operator.
    pub const UNSUPPORTED_MODE: &str = "UnsupportedMode";
}
