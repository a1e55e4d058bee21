//! Where the runtime and the operator meet in the pod's filesystem (spec §3).

pub const RUNTIME_DIR: &str = "/opt/weka/k8s-runtime";
pub const PERSISTENCY_MARKER: &str = "/opt/weka/k8s-runtime/persistency-configured";
pub const RESOURCES_JSON: &str = "/opt/weka/k8s-runtime/resources.json";
pub const VARS_PORT: &str = "/opt/weka/k8s-runtime/vars/port";
pub const VARS_AGENT_PORT: &str = "/opt/weka/k8s-runtime/vars/agent_port";
pub const MANAGEMENT_IPS: &str = "/opt/weka/k8s-runtime/management_ips";
pub const DRIVES_JSON: &str = "/opt/weka/k8s-runtime/drives.json";
pub const FEATURE_FLAGS_JSON: &str = "/opt/weka/k8s-runtime/feature_flags.json";
pub const GENERATION: &str = "/opt/weka/k8s-runtime/runtime-generation";
pub const DRIVERS_LOG: &str = "/tmp/weka-drivers.log";
pub const RESULTS_JSON: &str = "/weka-runtime/results.json";

pub const ALLOW_STOP: &str = "/tmp/.allow-stop";
pub const ALLOW_FORCE_STOP: &str = "/tmp/.allow-force-stop";
pub const CANCEL_DEBUG_SLEEP: &str = "/tmp/.cancel-debug-sleep";

/// The operator's credentials (a Secret volume): `username`, `password`, `org`, `join-secret`.
pub const OPERATOR_USER_DIR: &str = "/var/run/secrets/weka-operator/operator-user";
/// The container's persistent directory on the node (a hostPath volume); `/opt/weka` lives
/// there once persistency is configured.
pub const PERSISTENCE_DIR: &str = "/host-binds/opt-weka";
/// The node agent's shared directory: `instructions/<POD_ID>/<boot id>/shutdown_instructions.json`.
pub const INSTRUCTIONS_DIR: &str = "/host-binds/shared/instructions";
pub const BOOT_ID: &str = "/proc/sys/kernel/random/boot_id";
/// The host's os-release, read by discovery.
pub const HOST_OS_RELEASE: &str = "/hostside/etc/os-release";
/// The WEKA driver's interface file (clients report active mounts there).
pub const DRIVER_INTERFACE: &str = "/proc/wekafs/interface";
