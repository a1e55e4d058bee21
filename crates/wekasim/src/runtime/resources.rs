//! `resources.json`, as the operator writes it: the WekaContainer's `status.allocations`.
//! Only what the runtime uses is read; unknown keys are ignored, as upstream does.

use serde::Deserialize;

use super::disks::NodeDisk;
use crate::world::local::BlockDevice;

const GIB: u64 = 1 << 30;

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Resources {
    /// Serials of the drives given to a drive container.
    pub drives: Vec<String>,
    pub weka_port: Option<u16>,
    pub agent_port: Option<u16>,
    pub failure_domain: Option<String>,
    pub machine_identifier: Option<String>,
    pub net_devices: Vec<String>,
    pub virtual_drives: Vec<VirtualDrive>,
}

/// A slice of a shared drive (drive sharing through the SSD proxy).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct VirtualDrive {
    #[serde(rename = "virtualUUID")]
    pub virtual_uuid: String,
    #[serde(rename = "physicalUUID")]
    pub physical_uuid: String,
    #[serde(rename = "capacityGiB")]
    pub capacity_gib: u64,
    pub serial: String,
}

impl Resources {
    /// What `weka cluster drive add` finds in the pod: the requested drives present on the
    /// node, and the virtual drives (named by their UUID).
    pub fn block_devices(&self, disks: &[NodeDisk]) -> Vec<BlockDevice> {
        let physical = self.requested_disks(disks).into_iter().map(|d| BlockDevice {
            path: d.device.clone(),
            serial: d.serial.clone(),
            size_bytes: d.size_bytes,
        });
        let virtual_drives = self.virtual_drives.iter().map(|v| BlockDevice {
            path: v.virtual_uuid.clone(),
            serial: v.serial.clone(),
            size_bytes: v.capacity_gib.saturating_mul(GIB),
        });
        physical.chain(virtual_drives).collect()
    }

    /// The node's disks whose serials were requested, in the order requested.
    pub fn requested_disks<'d>(&self, disks: &'d [NodeDisk]) -> Vec<&'d NodeDisk> {
        self.drives.iter().filter_map(|serial| disks.iter().find(|d| d.serial == *serial)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::disks::node_disks;

    #[test]
    fn allocations_parse_and_name_block_devices() {
        let disks = node_disks("node-1", 3, 4 * GIB);
        let json = format!(
            r#"{{"drives":["{}","missing","{}"],"wekaPort":15000,"agentPort":15099,
                "failureDomain":"fd-1","netDevices":["eth1"],"machineIdentifier":"m-1",
                "virtualDrives":[{{"virtualUUID":"v-1","physicalUUID":"p-1","capacityGiB":2,"serial":"PHY1"}}],
                "somethingNew":true}}"#,
            disks[2].serial, disks[0].serial
        );
        let resources: Resources = serde_json::from_str(&json).unwrap();
        assert_eq!((resources.weka_port, resources.agent_port), (Some(15000), Some(15099)));
        let devices = resources.block_devices(&disks);
        let paths: Vec<&str> = devices.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, ["/dev/nvme2n1", "/dev/nvme0n1", "v-1"]);
        assert_eq!(devices[2].size_bytes, 2 * GIB);
        assert!(serde_json::from_str::<Resources>(r#"{"wekaPort": 99999}"#).is_err());
    }
}
