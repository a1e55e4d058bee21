//! Why a pod could not be built. The controller turns these into a condition and an event.

use weka_api::wekacontainer::ContainerMode;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PodBuildError {
    /// The CRD accepts the mode, but this operator has no pod for it.
    #[error(
        "mode {mode} is accepted by the WekaContainer CRD but this operator does not run it yet"
    )]
    UnsupportedMode { mode: ContainerMode },

    /// Neither `spec.image` nor an image chosen by the controller.
    #[error("image is required: spec.image is empty and no image was chosen for the pod")]
    MissingImage,

    /// The WekaContainer lacks a metadata field the pod needs (it was not read from the API).
    #[error("WekaContainer has no metadata.{field}")]
    MissingMetadata { field: &'static str },

    /// A spec field holds a value the pod cannot be built from.
    #[error("invalid {field}: {reason}")]
    InvalidSpec { field: &'static str, reason: String },

    /// An operator setting the pod needs for this mode and node is not configured.
    #[error("operator setting {setting} is required: {why}")]
    MissingSetting { setting: &'static str, why: &'static str },

    /// Discovery did not report something this mode needs on this node.
    #[error("node info lacks {what}: {why}")]
    MissingNodeInfo { what: &'static str, why: &'static str },
}

impl PodBuildError {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        PodBuildError::InvalidSpec { field, reason: reason.into() }
    }
}
