//! Active mounts from a wekafs driver interface file (`/proc/wekafs/interface`): the number on
//! its `Active mounts: N` line, as upstream's `getActiveMounts` scans it.

use std::io::ErrorKind;
use std::path::Path;

use crate::node_agent::host::HostError;

/// The count on the last `Active mounts:` line; 0 when there is none.
pub fn parse_active_mounts(text: &str) -> Result<i64, HostError> {
    let mut count = 0;
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("Active mounts:") else { continue };
        let number = rest.split_whitespace().next().unwrap_or_default();
        count = number
            .parse()
            .map_err(|_| HostError::Parse(format!("failed to parse active mounts: {line:?}")))?;
    }
    Ok(count)
}

/// Reads and parses `file`; a missing file is [`HostError::NotFound`] (no driver loaded).
pub async fn read_active_mounts(file: &Path) -> Result<i64, HostError> {
    match tokio::fs::read_to_string(file).await {
        Ok(text) => parse_active_mounts(&text),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            Err(HostError::NotFound(format!("open {}: no such file or directory", file.display())))
        }
        Err(e) => Err(HostError::io(format!("failed to open file {}", file.display()), e)),
    }
}
