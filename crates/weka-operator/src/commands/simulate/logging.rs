//! The simulator's own log (kubesim, its kubelets, wekasim, and simulate itself): a file,
//! or stderr with `--verbose`. The operator runs in its own process with its own log.

use std::fs::File;
use std::path::Path;
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

use super::SimulateError;

/// `RUST_LOG` when set, else info for everything.
pub fn init(file: Option<&Path>) -> Result<(), SimulateError> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _already_set = match file {
        Some(path) => {
            let file = File::create(path)
                .map_err(|source| SimulateError::Io { path: path.into(), source })?;
            builder.with_ansi(false).with_writer(Mutex::new(file)).try_init()
        }
        None => builder.with_writer(std::io::stderr).try_init(),
    };
    Ok(())
}
