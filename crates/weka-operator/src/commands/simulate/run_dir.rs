//! Where a simulation keeps its files: the kubeconfig (unless `--kubeconfig` names one) and
//! the logs of the operator and of the simulator, in a fresh temporary directory that stays
//! after exit so the logs can be read.

use std::path::{Path, PathBuf};

use super::SimulateError;

pub struct RunDir {
    pub dir: PathBuf,
    pub kubeconfig: PathBuf,
    pub operator_log: PathBuf,
    pub simulator_log: PathBuf,
}

impl RunDir {
    /// A new directory `weka-<what>-<id>` under the system's temporary directory.
    pub fn create(what: &str, kubeconfig: Option<&Path>) -> Result<RunDir, SimulateError> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let dir = std::env::temp_dir().join(format!("weka-{what}-{}", &id[..8]));
        std::fs::create_dir_all(&dir)
            .map_err(|source| SimulateError::Io { path: dir.clone(), source })?;
        let kubeconfig = match kubeconfig {
            Some(path) => absolute(path)?,
            None => dir.join("kubeconfig"),
        };
        Ok(RunDir {
            kubeconfig,
            operator_log: dir.join("operator.log"),
            simulator_log: dir.join("simulator.log"),
            dir,
        })
    }
}

/// The path as the operator process (another working directory is possible) and the hints
/// printed for the user need it.
fn absolute(path: &Path) -> Result<PathBuf, SimulateError> {
    std::path::absolute(path).map_err(|source| SimulateError::Io { path: path.into(), source })
}
