//! Hugepages: the pod's `hugepages-*` resource, the hugetlbfs volume's medium, and the memory
//! the WEKA process may use (`MEMORY`), from `spec.hugepages*` (upstream `getHugePagesDetails`).

use weka_api::WekaContainer;
use weka_api::wekacontainer::ContainerMode;

use super::mode_traits::uses_drive_sharing;
use super::settings::PodSettings;

/// The hugepage size a container uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageSize {
    TwoMi,
    OneGi,
}

impl PageSize {
    fn suffix(self) -> &'static str {
        match self {
            PageSize::TwoMi => "2Mi",
            PageSize::OneGi => "1Gi",
        }
    }
}

/// What the pod asks for and tells the runtime about hugepages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HugepagesPlan {
    pub page_size: PageSize,
    /// Quantity of the `hugepages-<size>` resource (present even when zero).
    pub quantity: String,
    /// `MEMORY` for the runtime: hugepages minus what the container keeps for itself.
    pub weka_memory: String,
}

impl HugepagesPlan {
    /// Resource name, e.g. `hugepages-2Mi`.
    pub fn resource_name(&self) -> String {
        format!("hugepages-{}", self.page_size.suffix())
    }

    /// Medium of the hugetlbfs emptyDir, e.g. `HugePages-2Mi`.
    pub fn medium(&self) -> String {
        format!("HugePages-{}", self.page_size.suffix())
    }
}

/// Plans the hugepages of a container. `spec.hugepages` is in MiB.
pub fn plan(container: &WekaContainer, settings: &PodSettings) -> HugepagesPlan {
    let spec = &container.spec;
    let mib = spec.hugepages.unwrap_or(0) as i64;
    if spec.hugepages_size.as_deref() == Some("1Gi") {
        // Upstream divides by 1000, not 1024, and truncates; kept so that pods match the
        // sizes the cluster controller plans with (no offset on this branch either).
        let gib = mib / 1000;
        return HugepagesPlan {
            page_size: PageSize::OneGi,
            quantity: format!("{gib}Gi"),
            weka_memory: format!("{gib}GiB"),
        };
    }
    let offset = offset_mib(container, settings);
    HugepagesPlan {
        page_size: PageSize::TwoMi,
        quantity: format!("{mib}Mi"),
        weka_memory: format!("{}MiB", mib - offset),
    }
}

/// Hugepages (MiB) the container keeps outside WEKA's memory: `spec.hugepagesOffset`, else
/// 200 per drive (per core with drive sharing) for drives, the configured amount for SSD
/// proxies, 200 for everything else.
pub fn offset_mib(container: &WekaContainer, settings: &PodSettings) -> i64 {
    let spec = &container.spec;
    match spec.hugepages_offset.unwrap_or(0) as i64 {
        0 => match spec.mode {
            ContainerMode::Drive if uses_drive_sharing(container) => 200 * spec.num_cores as i64,
            ContainerMode::Drive => 200 * spec.num_drives.unwrap_or(0) as i64,
            ContainerMode::Ssdproxy => settings.ssd_proxy_hugepages_offset_mib,
            _ => 200,
        },
        offset => offset,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pod::test_fixtures::container;

    #[test]
    fn two_mi_hugepages_leave_200_mib_per_drive_outside_weka_memory() {
        let mut drive = container(ContainerMode::Drive);
        drive.spec.hugepages = Some(6400);
        drive.spec.num_drives = Some(4);
        let plan = plan(&drive, &PodSettings::default());
        assert_eq!(plan.quantity, "6400Mi");
        assert_eq!(plan.weka_memory, "5600MiB");
        assert_eq!(plan.resource_name(), "hugepages-2Mi");
        assert_eq!(plan.medium(), "HugePages-2Mi");
    }

    #[test]
    fn drive_sharing_offsets_hugepages_per_core() {
        let mut drive = container(ContainerMode::Drive);
        drive.spec.hugepages = Some(3000);
        drive.spec.num_cores = 2;
        drive.spec.num_drives = Some(8);
        drive.spec.drive_capacity = Some(500);
        assert_eq!(plan(&drive, &PodSettings::default()).weka_memory, "2600MiB");
    }

    #[test]
    fn explicit_offset_wins_over_the_mode_default() {
        let mut compute = container(ContainerMode::Compute);
        compute.spec.hugepages = Some(3000);
        compute.spec.hugepages_offset = Some(500);
        assert_eq!(plan(&compute, &PodSettings::default()).weka_memory, "2500MiB");
    }

    #[test]
    fn ssd_proxy_offset_comes_from_the_settings() {
        let mut proxy = container(ContainerMode::Ssdproxy);
        proxy.spec.hugepages = Some(4000);
        let settings =
            PodSettings { ssd_proxy_hugepages_offset_mib: 1000, ..PodSettings::default() };
        assert_eq!(plan(&proxy, &settings).weka_memory, "3000MiB");
    }

    #[test]
    fn one_gi_hugepages_divide_mib_by_1000_and_ignore_the_offset() {
        let mut compute = container(ContainerMode::Compute);
        compute.spec.hugepages = Some(4500);
        compute.spec.hugepages_size = Some("1Gi".to_string());
        compute.spec.hugepages_offset = Some(300);
        let plan = plan(&compute, &PodSettings::default());
        assert_eq!(plan.quantity, "4Gi");
        assert_eq!(plan.weka_memory, "4GiB");
        assert_eq!(plan.resource_name(), "hugepages-1Gi");
        assert_eq!(plan.medium(), "HugePages-1Gi");
    }

    #[test]
    fn zero_hugepages_still_name_a_resource() {
        let discovery = container(ContainerMode::Discovery);
        let plan = plan(&discovery, &PodSettings::default());
        assert_eq!(plan.quantity, "0Mi");
        assert_eq!(plan.weka_memory, "-200MiB");
    }
}
