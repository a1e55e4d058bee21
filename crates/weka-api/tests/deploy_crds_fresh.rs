//! `deploy/crds/` must hold exactly what the types generate.
//! Regenerate with: `cargo run -p weka-operator -- crds --write deploy/crds`.

use std::path::PathBuf;

#[test]
fn deploy_crds_are_up_to_date() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy/crds");
    let mut stale = Vec::new();
    for (name, text) in weka_api::crds::files() {
        let on_disk = std::fs::read_to_string(dir.join(&name)).unwrap_or_default();
        if on_disk != text {
            stale.push(name);
        }
    }
    let expected: Vec<String> = weka_api::crds::files().into_iter().map(|(n, _)| n).collect();
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if !expected.contains(&name) {
            stale.push(format!("{name} (not generated any more)"));
        }
    }
    assert!(
        stale.is_empty(),
        "deploy/crds is stale ({}); regenerate with `cargo run -p weka-operator -- crds --write deploy/crds`",
        stale.join(", ")
    );
}
