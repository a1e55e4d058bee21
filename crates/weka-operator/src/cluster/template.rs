//! Cluster templates (spec §2.1): how many containers of each role, with how many cores,
//! drives and hugepages. `dynamic` is built from `spec.dynamicTemplate`; the others are
//! upstream's fixed layouts.

use weka_api::WekaClusterSpec;
use weka_api::common::{DriveTypesRatio, GoInt};

use super::dynamic::from_dynamic_template;
use super::error::ClusterSpecError;
use super::settings::ClusterSettings;

/// The resolved layout of a cluster (upstream `ClusterTemplate`). Sizes in MiB, capacities
/// in GiB.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterTemplate {
    pub drive_cores: GoInt,
    pub drive_extra_cores: GoInt,
    pub compute_cores: GoInt,
    pub compute_extra_cores: GoInt,
    pub envoy_cores: GoInt,
    pub s3_cores: GoInt,
    pub s3_extra_cores: GoInt,
    pub nfs_cores: GoInt,
    pub nfs_extra_cores: GoInt,
    pub compute_containers: GoInt,
    pub drive_containers: GoInt,
    pub s3_containers: GoInt,
    pub nfs_containers: GoInt,
    pub num_drives: GoInt,
    pub drive_capacity: GoInt,
    pub container_capacity: GoInt,
    pub drive_types_ratio: Option<DriveTypesRatio>,
    pub drive_hugepages: GoInt,
    pub drive_hugepages_offset: GoInt,
    pub compute_hugepages: GoInt,
    pub compute_hugepages_offset: GoInt,
    pub hugepages_size: &'static str,
    pub s3_frontend_hugepages: GoInt,
    pub s3_frontend_hugepages_offset: GoInt,
    pub nfs_frontend_hugepages: GoInt,
    pub nfs_frontend_hugepages_offset: GoInt,
    pub data_services_cores: GoInt,
    pub data_services_extra_cores: GoInt,
    pub data_services_containers: GoInt,
    pub data_services_hugepages: GoInt,
    pub data_services_hugepages_offset: GoInt,
}

/// The names of the fixed templates.
pub const STATIC_TEMPLATES: [&str; 4] = ["small_s3", "small", "large", "small_nfs"];

/// The template the cluster's spec names, computed from a copy of the spec (the spec itself
/// is never changed).
pub fn resolve_template(
    spec: &WekaClusterSpec,
    settings: &ClusterSettings,
) -> Result<ClusterTemplate, ClusterSpecError> {
    let ratio = spec.dynamic_template.as_ref().and_then(|d| d.drive_types_ratio);
    if ratio.is_some_and(|r| r.tlc == 0) {
        return Err(ClusterSpecError::QlcOnlyDriveTypesRatio);
    }
    match spec.template_name() {
        "dynamic" => spec
            .dynamic_template
            .as_ref()
            .map(|dynamic| from_dynamic_template(dynamic, &settings.drive_sharing))
            .ok_or(ClusterSpecError::MissingDynamicTemplate),
        name => static_template(name)
            .ok_or_else(|| ClusterSpecError::UnknownTemplate { name: name.to_string() }),
    }
}

/// One of upstream's fixed templates. All use 2 MiB hugepages and no offsets.
pub fn static_template(name: &str) -> Option<ClusterTemplate> {
    let base = ClusterTemplate {
        drive_cores: 1,
        compute_cores: 1,
        compute_containers: 6,
        drive_containers: 6,
        num_drives: 1,
        drive_hugepages: 1500,
        compute_hugepages: 3000,
        hugepages_size: "2Mi",
        envoy_cores: 1,
        ..ClusterTemplate::default()
    };
    let template = match name {
        "small_s3" => ClusterTemplate {
            s3_containers: 6,
            s3_cores: 1,
            s3_extra_cores: 1,
            s3_frontend_hugepages: 1400,
            ..base
        },
        "small" => base,
        "large" => ClusterTemplate {
            compute_containers: 20,
            drive_containers: 20,
            envoy_cores: 2,
            s3_containers: 5,
            s3_cores: 1,
            s3_extra_cores: 2,
            ..base
        },
        // Upstream gives NFS containers no cores in this template; kept as is.
        "small_nfs" => ClusterTemplate { nfs_containers: 2, nfs_frontend_hugepages: 1200, ..base },
        _ => return None,
    };
    Some(template)
}
