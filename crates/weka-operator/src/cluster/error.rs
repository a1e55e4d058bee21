//! What in a WekaCluster's spec keeps the operator from building its containers. The
//! messages go to the cluster's conditions and events as they are.

use weka_api::wekacontainer::ContainerMode;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClusterSpecError {
    #[error("template {name:?} not found; use one of: dynamic, small, small_s3, small_nfs, large")]
    UnknownTemplate { name: String },

    #[error("spec.template is \"dynamic\" but spec.dynamicTemplate is missing")]
    MissingDynamicTemplate,

    #[error(
        "driveTypesRatio.tlc must be greater than 0; TLC-only and mixed TLC/QLC configurations \
         are supported, but QLC-only is not allowed"
    )]
    QlcOnlyDriveTypesRatio,

    #[error("{field} is not valid: {reason}")]
    InvalidPodConfig { field: String, reason: String },

    #[error("a WekaCluster has no {0} containers")]
    UnsupportedRole(ContainerMode),
}

impl ClusterSpecError {
    /// The condition/event reason for the error.
    pub fn reason(&self) -> &'static str {
        match self {
            ClusterSpecError::UnknownTemplate { .. } | ClusterSpecError::MissingDynamicTemplate => {
                "InvalidTemplate"
            }
            ClusterSpecError::QlcOnlyDriveTypesRatio => "InvalidDriveTypesRatio",
            ClusterSpecError::InvalidPodConfig { .. } => "InvalidPodConfig",
            ClusterSpecError::UnsupportedRole(_) => "UnsupportedRole",
        }
    }
}
