//! The `dynamic` template: `spec.dynamicTemplate` with upstream's defaults (spec §2.2,
//! `BuildDynamicTemplate`). Defaults are applied in upstream's order, since later ones read
//! earlier ones; a 0 counts as unset except for the two container counts.

use weka_api::common::{DriveTypesRatio, GoInt};
use weka_api::wekacluster::DynamicTemplate;

use super::template::ClusterTemplate;
use crate::allocator::{DriveSharingSettings, split_capacity};

/// The template for `dynamic`, computed from the user's values without changing them.
pub fn from_dynamic_template(
    dynamic: &DynamicTemplate,
    settings: &DriveSharingSettings,
) -> ClusterTemplate {
    let or = |value: Option<GoInt>, default: GoInt| value.filter(|v| *v != 0).unwrap_or(default);
    let given = |value: Option<GoInt>| value.unwrap_or(0);

    let drive_cores = or(dynamic.drive_cores, 1);
    let compute_cores = or(dynamic.compute_cores, 1);
    let compute_containers = dynamic.compute_containers.unwrap_or(6);
    let drive_containers = dynamic.drive_containers.unwrap_or(6);
    let s3_cores = or(dynamic.s3_cores, 1);
    let nfs_cores = or(dynamic.nfs_cores, 1);
    let container_capacity = given(dynamic.container_capacity);
    let drive_capacity = given(dynamic.drive_capacity);
    let num_drives = match given(dynamic.num_drives) {
        0 if container_capacity == 0 => 1,
        n => n,
    };
    let drive_hugepages = or(
        dynamic.drive_hugepages,
        if num_drives > 0 { 1400 * drive_cores + 200 * num_drives } else { 1600 * drive_cores },
    );
    let drive_hugepages_offset = or(
        dynamic.drive_hugepages_offset,
        if num_drives > 0 { 200 * num_drives } else { 200 * drive_cores },
    );
    let drive_types_ratio = dynamic.drive_types_ratio.or_else(|| {
        let ratio = settings.drive_types_ratio;
        (container_capacity > 0 && (ratio.tlc > 0 || ratio.qlc > 0)).then_some(ratio)
    });
    let raw_capacity_gib = if container_capacity > 0 {
        drive_containers * container_capacity
    } else if num_drives > 0 && drive_capacity > 0 {
        drive_containers * num_drives * drive_capacity
    } else {
        0
    };
    let compute_hugepages = or(
        dynamic.compute_hugepages,
        compute_hugepages(
            raw_capacity_gib,
            compute_containers,
            compute_cores,
            drive_types_ratio,
            settings,
        ),
    );

    ClusterTemplate {
        drive_cores,
        drive_extra_cores: given(dynamic.drive_extra_cores),
        compute_cores,
        compute_extra_cores: given(dynamic.compute_extra_cores),
        envoy_cores: or(dynamic.envoy_cores, 1),
        s3_cores,
        s3_extra_cores: or(dynamic.s3_extra_cores, 1),
        nfs_cores,
        nfs_extra_cores: or(dynamic.nfs_extra_cores, 1),
        compute_containers,
        drive_containers,
        s3_containers: given(dynamic.s3_containers),
        nfs_containers: given(dynamic.nfs_containers),
        num_drives,
        drive_capacity,
        container_capacity,
        drive_types_ratio,
        drive_hugepages,
        drive_hugepages_offset,
        compute_hugepages,
        compute_hugepages_offset: or(dynamic.compute_hugepages_offset, 200),
        hugepages_size: "2Mi",
        s3_frontend_hugepages: or(dynamic.s3_frontend_hugepages, 1400 * s3_cores),
        s3_frontend_hugepages_offset: or(dynamic.s3_frontend_hugepages_offset, 200),
        nfs_frontend_hugepages: or(dynamic.nfs_frontend_hugepages, 1400 * nfs_cores),
        nfs_frontend_hugepages_offset: or(dynamic.nfs_frontend_hugepages_offset, 200),
        data_services_cores: or(dynamic.data_services_cores, 1),
        data_services_extra_cores: given(dynamic.data_services_extra_cores),
        data_services_containers: given(dynamic.data_services_containers),
        data_services_hugepages: or(dynamic.data_services_hugepages, 1536),
        data_services_hugepages_offset: or(dynamic.data_services_hugepages_offset, 200),
    }
}

/// Hugepages (MiB) of a compute container: the cluster's raw drive capacity turned into
/// hugepages (TLC and QLC at their own ratios) shared by the compute containers, plus 1700
/// per core; at least 3000 per core; rounded up to an even number.
pub fn compute_hugepages(
    raw_capacity_gib: GoInt,
    compute_containers: GoInt,
    compute_cores: GoInt,
    ratio: Option<DriveTypesRatio>,
    settings: &DriveSharingSettings,
) -> GoInt {
    let capacity_based = if compute_containers > 0 && raw_capacity_gib > 0 {
        let (tlc_gib, qlc_gib) = split_capacity(raw_capacity_gib, ratio);
        let tlc_ratio =
            if settings.hugepages_tlc_ratio == 0 { 1000 } else { settings.hugepages_tlc_ratio };
        let qlc_ratio =
            if settings.hugepages_qlc_ratio == 0 { 6000 } else { settings.hugepages_qlc_ratio };
        let mut cluster_mib = 0;
        if tlc_ratio > 0 {
            cluster_mib += tlc_gib * 1024 / tlc_ratio;
        }
        if qlc_ratio > 0 {
            cluster_mib += qlc_gib * 1024 / qlc_ratio;
        }
        cluster_mib / compute_containers
    } else {
        0
    };
    let hugepages = (capacity_based + 1700 * compute_cores).max(3000 * compute_cores);
    hugepages + hugepages % 2
}
