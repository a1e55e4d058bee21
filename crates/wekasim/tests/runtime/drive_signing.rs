//! The ad-hoc operations the operator runs on a node while drives leave a cluster, with the
//! results it waits for: force-resign-drives (by serials, as a deleted drive container's
//! teardown asks, or by device paths) reports the device paths it re-signed; a payload that
//! names nothing reports an error; umount reports what it unmounted.

use crate::support::*;
use serde_json::{Value, json};

fn instructions(kind: &str, payload: Value) -> String {
    json!({"type": kind, "payload": payload.to_string()}).to_string()
}

async fn results(sim: &Sim, name: &str, kind: &str, payload: Value) -> Value {
    let text = instructions(kind, payload);
    sim.create_pod(weka_pod(name, "adhoc-op", "node-1", &[("INSTRUCTIONS", &text)])).await;
    sim.wait_ready(name).await;
    sim.json(name, &["cat", "/weka-runtime/results.json"]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_resign_drives_reports_the_device_paths_it_resigned() {
    let sim = Sim::start(1).await;
    let disks = sim.runtime.node_disks("node-1");

    // By serials (what the operator sends): an unknown serial is skipped.
    let payload = json!({"nodeName": "node-1",
                         "deviceSerials": [disks[2].serial, "NO-SUCH-SERIAL", disks[0].serial]});
    let by_serials = results(&sim, "resign-serials", "force-resign-drives", payload).await;
    assert_eq!(by_serials, json!({"err": null, "drives": ["/dev/nvme2n1", "/dev/nvme0n1"]}));
    let logs = sim.logs("resign-serials").await;
    assert!(logs.contains("Failed to get block device path by serial NO-SUCH-SERIAL"), "{logs}");

    // By device paths, which win over serials.
    let payload = json!({"devicePaths": ["/dev/nvme1n1"], "deviceSerials": [disks[3].serial]});
    let by_paths = results(&sim, "resign-paths", "force-resign-drives", payload).await;
    assert_eq!(by_paths, json!({"err": null, "drives": ["/dev/nvme1n1"]}));

    // Nothing named: an error the operator sees (it deletes the helper and tries again).
    let nothing = results(&sim, "resign-nothing", "force-resign-drives", json!({})).await;
    assert!(nothing["err"].as_str().is_some_and(|e| e.contains("deviceSerials")), "{nothing}");
    assert_eq!(nothing["drives"], json!([]));

    // The resigned disks are still the node's WEKA drives, signed for no cluster.
    let kernel = sim.runtime.kernel_drives("node-1");
    assert_eq!(kernel.len(), disks.len());
    assert!(kernel.iter().all(|d| d.weka_guid.is_empty() && !d.is_signed), "{kernel:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn umount_reports_what_it_unmounted() {
    let sim = Sim::start(1).await;
    let umount = results(&sim, "umount", "umount", json!({})).await;
    assert_eq!(umount, json!({"error": [], "umounted_paths": []}));
}
