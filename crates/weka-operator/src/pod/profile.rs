//! The per-mode table: the constants that differ by mode (grace period, CPU and memory rules),
//! gathered in one place (upstream scatters them over `pod.go`). A mode missing from the table
//! is accepted by the CRD but not run by this operator.

use weka_api::wekacontainer::ContainerMode::{self, *};

use super::error::PodBuildError;

/// One year: the WEKA process, not kubelet, decides when a data-path pod may stop.
pub const ONE_YEAR_SECONDS: i64 = 365 * 24 * 60 * 60;

/// How a mode's CPU request and limit are set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpuRule {
    /// From the resolved CPU policy: dedicated cores (doubled with hyper-threading) plus one
    /// for management; manual and shared policies as written in the spec.
    ByPolicy,
    /// Like [`CpuRule::ByPolicy`], but dedicated policies request exactly the container's
    /// cores, neither doubled nor plus one (envoy).
    CoresOnly,
    /// Fixed values; a missing limit means requests only.
    Fixed { request: &'static str, limit: Option<&'static str> },
}

/// How a mode's memory request and limit are set (MiB formulas from upstream `setResources`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryRule {
    /// Fixed values; a missing limit equals the request (or means requests only for ad-hoc).
    Fixed { request: &'static str, limit: Option<&'static str> },
    /// `2000 + 1965 + 3050 × cores + additionalMemory`, unless `spec.resources` sets memory.
    Client,
    /// `4000 + 4000 + 3000 × cores + 700 × numDrives + additionalMemory`.
    Drive,
    /// `4000 + 2700 + 5200 × cores + additionalMemory`.
    Compute,
    /// S3 and NFS: `450 + 2450 + 16000 + 3050 × numCores + additionalMemory`.
    Protocol,
    /// `450 + 1965 + 3584 + 512 × numCores + additionalMemory`.
    DataServices,
    /// `1024 + additionalMemory`, limit 8192 MiB higher.
    Envoy,
}

/// The per-mode constants of a pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModeProfile {
    pub grace_period_seconds: i64,
    /// `spec.extraCores` adds to the container's cores.
    pub counts_extra_cores: bool,
    pub cpu: CpuRule,
    pub memory: MemoryRule,
}

const fn data_path(cpu: CpuRule, memory: MemoryRule, counts_extra_cores: bool) -> ModeProfile {
    ModeProfile { grace_period_seconds: ONE_YEAR_SECONDS, counts_extra_cores, cpu, memory }
}

const fn fixed(
    grace_period_seconds: i64,
    cpu: (&'static str, Option<&'static str>),
    memory: (&'static str, Option<&'static str>),
) -> ModeProfile {
    ModeProfile {
        grace_period_seconds,
        counts_extra_cores: false,
        cpu: CpuRule::Fixed { request: cpu.0, limit: cpu.1 },
        memory: MemoryRule::Fixed { request: memory.0, limit: memory.1 },
    }
}

const DRIVERS_CPU: (&str, Option<&str>) = ("500m", Some("2000m"));
const DRIVERS_MEMORY: (&str, Option<&str>) = ("3000M", None);
/// Ad-hoc pods (including the drivers loader) request little and set no limits.
const ADHOC_CPU: (&str, Option<&str>) = ("100m", None);
const ADHOC_MEMORY: (&str, Option<&str>) = ("128Mi", None);

/// The profile of a mode, or [`PodBuildError::UnsupportedMode`].
pub fn profile(mode: ContainerMode) -> Result<ModeProfile, PodBuildError> {
    use CpuRule::*;
    Ok(match mode {
        Drive => data_path(ByPolicy, MemoryRule::Drive, true),
        Compute => data_path(ByPolicy, MemoryRule::Compute, true),
        Client => data_path(ByPolicy, MemoryRule::Client, false),
        S3 | Nfs => data_path(ByPolicy, MemoryRule::Protocol, true),
        DataServices => data_path(ByPolicy, MemoryRule::DataServices, true),
        Ssdproxy => fixed(ONE_YEAR_SECONDS, ("500m", Some("2000m")), ("2500M", Some("7500M"))),
        Envoy => ModeProfile {
            grace_period_seconds: 300,
            ..data_path(CoresOnly, MemoryRule::Envoy, false)
        },
        Telemetry => fixed(300, ("1", Some("4")), ("4Gi", Some("32Gi"))),
        Dist | DriversDist => fixed(300, DRIVERS_CPU, DRIVERS_MEMORY),
        DriversBuilder => fixed(120, DRIVERS_CPU, DRIVERS_MEMORY),
        DriversLoader | AdhocOp | AdhocOpWithContainer => fixed(60, ADHOC_CPU, ADHOC_MEMORY),
        Discovery => fixed(30, ("500m", Some("500m")), ("500M", None)),
        // The spec does not describe these pods; a guessed pod could harm a node.
        Smbw | DataServicesFe => return Err(PodBuildError::UnsupportedMode { mode }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn termination_grace_periods_follow_the_mode() {
        let grace = |mode| profile(mode).unwrap().grace_period_seconds;
        assert_eq!(grace(Discovery), 30);
        assert_eq!(grace(Dist), 300);
        assert_eq!(grace(DriversDist), 300);
        assert_eq!(grace(DriversLoader), 60);
        assert_eq!(grace(DriversBuilder), 120);
        assert_eq!(grace(AdhocOpWithContainer), 60);
        assert_eq!(grace(AdhocOp), 60);
        assert_eq!(grace(Envoy), 300);
        assert_eq!(grace(Telemetry), 300);
        for mode in [Compute, Drive, Client, S3, Nfs, Ssdproxy, DataServices] {
            assert_eq!(grace(mode), 31_536_000, "{mode}");
        }
    }

    #[test]
    fn modes_the_spec_does_not_describe_are_unsupported() {
        for mode in [Smbw, DataServicesFe] {
            let err = profile(mode).unwrap_err();
            assert_eq!(err, PodBuildError::UnsupportedMode { mode });
            assert!(err.to_string().contains("does not run it yet"), "{err}");
        }
    }

    #[test]
    fn every_other_mode_has_a_profile() {
        let supported = ContainerMode::ALL.into_iter().filter(|m| profile(*m).is_ok()).count();
        assert_eq!(supported, 16);
    }
}
