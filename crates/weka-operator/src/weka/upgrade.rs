//! The cluster-wide rolling upgrade's phases, run in the first container of each phase. Each
//! step is guarded by `grep` on `status --json` so that re-running it within its phase is a
//! no-op.

use super::cli::WekaCli;
use super::command::Command;
use super::error::WekaError;

/// A phase of the rolling upgrade, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpgradePhase {
    Drive,
    Compute,
    /// S3 and other frontends.
    Frontend,
}

impl UpgradePhase {
    /// How the phase shows in `upgrade_phase` (matched case-insensitively).
    fn marker(self) -> &'static str {
        match self {
            UpgradePhase::Drive => "drive",
            UpgradePhase::Compute => "compute",
            UpgradePhase::Frontend => "frontend",
        }
    }

    /// `target_phase_type` of `upgrade_phase_start`.
    fn phase_type(self) -> &'static str {
        match self {
            UpgradePhase::Drive => "DrivePhase",
            UpgradePhase::Compute => "ComputeRollingPhase",
            UpgradePhase::Frontend => "FrontendPhase",
        }
    }

    /// What ends the previous phase: the drive phase prepares the leader instead.
    fn opener(self) -> &'static str {
        match self {
            UpgradePhase::Drive => "prepare_leader_for_upgrade",
            UpgradePhase::Compute | UpgradePhase::Frontend => "upgrade_phase_finish",
        }
    }
}

impl WekaCli {
    /// Starts `phase` towards `target_version` unless it is already the current phase.
    pub async fn start_upgrade_phase(
        &self,
        phase: UpgradePhase,
        target_version: &str,
    ) -> Result<(), WekaError> {
        let cmd = Command::script(
            "debug jrpc upgrade_phase_start",
            upgrade_phase_script(phase, target_version),
        );
        self.run(&cmd).await.map(drop)
    }

    /// Ends the last phase and releases the leader.
    pub async fn finalize_upgrade(&self) -> Result<(), WekaError> {
        let cmd = Command::script("debug jrpc upgrade_phase_finish", FINALIZE_UPGRADE_SCRIPT);
        self.run(&cmd).await.map(drop)
    }
}

/// Upstream's two guarded lines (the drive phase's second line has two spaces after `||`).
pub(super) fn upgrade_phase_script(phase: UpgradePhase, target_version: &str) -> String {
    let guard =
        format!("wekaauthcli status --json | grep upgrade_phase | grep -i {}", phase.marker());
    let gap = if phase == UpgradePhase::Drive { "  " } else { " " };
    format!(
        "\n{guard} || wekaauthcli debug jrpc {}\n{guard} ||{gap}wekaauthcli debug jrpc upgrade_phase_start target_phase_type={} target_version_name={target_version}\n",
        phase.opener(),
        phase.phase_type(),
    )
}

pub(super) const FINALIZE_UPGRADE_SCRIPT: &str = "\nwekaauthcli debug jrpc upgrade_phase_finish\nwekaauthcli debug jrpc unprepare_leader_for_upgrade\n";
