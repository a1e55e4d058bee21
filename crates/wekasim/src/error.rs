//! What the simulated WEKA refuses, worded as the operator expects to read it on stderr (the CLI
//! prefixes `error: `). Messages the operator matches on are quoted from upstream's Go source:
//! `Host HostId<N> not found`, `The given drive "<uuid>" does not exist`,
//! `Device is already in use`, `already exists`, `already part of the S3 cluster`,
//! `is not part of the S3 cluster`, `Unrecognized host ID HostId<N>`,
//! `S3 cluster is not configured`, `host can't be added more than once to the same interface
//! group`, `port <p> is already part of group`, `is not part of group`,
//! `already used by export`, `already enabled`, `not enabled`.

use crate::ids::{HostId, TelemetrySinkId};

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WekaError {
    // --- reaching WEKA from a pod ---
    #[error("Failed connecting to the weka agent: the agent is not running in this container")]
    AgentNotRunning,
    #[error("Container {0} not found")]
    LocalContainerNotFound(String),
    #[error("No weka container is set up in this pod")]
    NoLocalContainer,
    #[error("Container {0} is not running")]
    LocalNotRunning(String),
    #[error("This container is not part of a cluster (it is in STEM mode)")]
    NotInCluster,
    #[error("Failed connecting to the cluster: container {0} has not joined yet (CLUSTERIZING)")]
    NotConnected(String),
    #[error("Login failed: invalid username or password")]
    AuthFailed,

    // --- cluster formation ---
    #[error("The number of host IPs ({ips}) does not match the number of hostnames ({hostnames})")]
    HostCountMismatch { hostnames: usize, ips: usize },
    #[error("Failed connecting to host {0}: no weka container in STEM mode answers there")]
    CreateHostUnreachable(String),
    #[error("Host {ip} is already a member of cluster {guid}")]
    AlreadyInCluster { ip: String, guid: String },
    #[error("Cluster {0} not found")]
    ClusterNotFound(String),
    #[error("Invalid cluster setting: {0}")]
    InvalidSetting(String),
    #[error("Cannot start IO: the cluster has no active drives")]
    StartIoNoDrives,

    // --- containers and drives ---
    #[error("Host {0} not found")]
    HostNotFound(HostId),
    #[error("Unrecognized host ID {0}")]
    UnrecognizedHost(HostId),
    #[error("Host {0} is DOWN")]
    HostDown(HostId),
    #[error("Cannot remove {0}: the container is active, deactivate it first")]
    ContainerActive(HostId),
    #[error("Container {0} has no drive processes; drives can only be added to drive containers")]
    NoDriveProcesses(HostId),
    #[error("The given drive \"{0}\" does not exist")]
    DriveNotFound(String),
    #[error("Failed adding drive {path} to {host}: Device is already in use")]
    DeviceInUse { host: HostId, path: String },
    #[error("Device {path} was not found on {host}")]
    DeviceNotFound { host: HostId, path: String },
    #[error(
        "Cannot remove drive {uuid}: its status is {status}, only an INACTIVE drive can be removed"
    )]
    DriveNotInactive { uuid: String, status: String },

    // --- drivers distribution ---
    #[error("Version missing: {0} is not in this distribution")]
    DistVersionMissing(String),
    #[error("Failed to download the drivers {0}: they are not built for this kernel")]
    DistDriversMissing(String),

    // --- users ---
    #[error("User {0} already exists")]
    UserExists(String),
    #[error("User {0} does not exist")]
    UserNotFound(String),
    #[error("Password must be at least 8 characters long")]
    WeakPassword,
    #[error("The current password is incorrect")]
    WrongCurrentPassword,

    // --- filesystems ---
    #[error("Filesystem group {0} already exists")]
    FsGroupExists(String),
    #[error("Filesystem group {0} does not exist")]
    FsGroupNotFound(String),
    #[error("Filesystem {0} already exists")]
    FsExists(String),
    #[error("Filesystem {0} does not exist")]
    FsNotFound(String),
    #[error(
        "Not enough SSD capacity: {requested} bytes requested, {available} bytes unprovisioned"
    )]
    NotEnoughCapacity { requested: u64, available: u64 },
    #[error("An encrypted filesystem needs a KMS; configure one or pass --allow-no-kms")]
    EncryptionNeedsKms,

    // --- S3 ---
    #[error("S3 cluster already exists")]
    S3Exists,
    #[error("S3 cluster is not configured")]
    S3NotConfigured,
    #[error(
        "Trying to set an invalid S3 configuration: Specified host {0} is already part of the S3 cluster"
    )]
    S3AlreadyMember(HostId),
    #[error(
        "Trying to set an invalid S3 configuration: Specified host {0} is not part of the S3 cluster"
    )]
    S3NotMember(HostId),

    // --- NFS ---
    #[error("Interface group {0} already exists")]
    InterfaceGroupExists(String),
    #[error("Interface group {0} does not exist")]
    InterfaceGroupNotFound(String),
    #[error(
        "A host can't be added more than once to the same interface group. The host {host} is already part of group {group}, but with port {port}."
    )]
    InterfaceGroupHostTwice { host: u32, group: String, port: String },
    #[error("The host {host} with port {port} is already part of group {group}.")]
    InterfaceGroupPortExists { host: u32, port: String, group: String },
    #[error("The host {host} with port {port} is not part of group {group}.")]
    InterfaceGroupPortMissing { host: u32, port: String, group: String },
    #[error("IP {ip} is already part of interface group {group}")]
    IpInGroup { ip: String, group: String },
    #[error("IP {ip} is not part of interface group {group}")]
    IpNotInGroup { ip: String, group: String },
    #[error("Client group {0} already exists")]
    ClientGroupExists(String),
    #[error("Client group {0} does not exist")]
    ClientGroupNotFound(String),

    // --- debug, audit, telemetry, upgrade ---
    #[error("Override {0} already exists; use --force to replace it")]
    OverrideExists(String),
    #[error("Cluster audit is already enabled")]
    AuditAlreadyEnabled,
    #[error("Cluster audit is not enabled")]
    AuditNotEnabled,
    #[error("Audit of filesystem {0} is already enabled")]
    FsAuditAlreadyEnabled(String),
    #[error("The name {name} is already used by export {id}")]
    ExportNameUsed { name: String, id: TelemetrySinkId },
    #[error("Telemetry export {0} not found")]
    ExportNotFound(TelemetrySinkId),
    #[error("Upgrade phase {0} is already in progress")]
    UpgradePhaseActive(String),
    #[error("The leader is not prepared for upgrade; run prepare_leader_for_upgrade first")]
    LeaderNotPrepared,
    #[error("Unknown JSON-RPC method {0}")]
    UnknownJrpcMethod(String),
}
