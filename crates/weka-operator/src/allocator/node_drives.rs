//! The drives a node offers, from the annotations the drive-signing operations write.

use std::collections::BTreeMap;

use serde::Deserialize;
use weka_api::common::GoInt;
use weka_api::constants::annotations::{
    BLOCKED_DRIVES, BLOCKED_DRIVES_PHYSICAL_UUIDS, SHARED_DRIVES, WEKA_DRIVES,
};

use super::drive_types::DriveType;
use super::error::AllocationError;

/// A physical drive shared through the node's SSD proxy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedDrive {
    pub physical_uuid: String,
    pub serial: String,
    pub capacity_gib: GoInt,
    /// `None` for a type this operator does not know; such drives are never allocated.
    pub drive_type: Option<DriveType>,
}

/// What the node's annotations say about its drives.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeDrives {
    /// `weka.io/weka-drives`: serials signed for exclusive use, in the node's order.
    pub weka_drives: Vec<String>,
    /// `weka.io/blocked-drives`: serials never to allocate.
    pub blocked_serials: Vec<String>,
    /// `weka.io/weka-shared-drives`: drives for drive sharing.
    pub shared: Vec<SharedDrive>,
    /// `weka.io/blocked-drives-physical-uuids`: shared drives never to allocate.
    pub blocked_physical_uuids: Vec<String>,
}

/// One entry of `weka.io/weka-shared-drives` (upstream `domain.SharedDriveInfo`).
#[derive(Deserialize)]
struct SharedDriveEntry {
    physical_uuid: String,
    #[serde(default)]
    serial: String,
    capacity_gib: GoInt,
    #[serde(rename = "type", default)]
    drive_type: Option<String>,
}

impl NodeDrives {
    /// Reads the four annotations; an absent or empty one is an empty list.
    pub fn from_annotations(
        annotations: &BTreeMap<String, String>,
    ) -> Result<Self, AllocationError> {
        let shared: Vec<SharedDriveEntry> = json_list(annotations, SHARED_DRIVES)?;
        Ok(NodeDrives {
            weka_drives: json_list(annotations, WEKA_DRIVES)?,
            blocked_serials: json_list(annotations, BLOCKED_DRIVES)?,
            shared: shared
                .into_iter()
                .map(|e| SharedDrive {
                    physical_uuid: e.physical_uuid,
                    serial: e.serial,
                    capacity_gib: e.capacity_gib,
                    drive_type: DriveType::parse(e.drive_type.as_deref()),
                })
                .collect(),
            blocked_physical_uuids: json_list(annotations, BLOCKED_DRIVES_PHYSICAL_UUIDS)?,
        })
    }

    /// Serials that may be given out exclusively: signed and not blocked.
    pub fn exclusive_candidates(&self) -> impl Iterator<Item = &String> {
        self.weka_drives.iter().filter(|s| !self.blocked_serials.contains(s))
    }

    /// Shared drives that may take virtual drives: neither their physical UUID nor their
    /// serial is blocked. (Upstream checks blocked serials only when the physical-UUID
    /// annotation exists too; a blocked serial is blocked either way here.)
    pub fn shared_candidates(&self) -> impl Iterator<Item = &SharedDrive> {
        self.shared.iter().filter(|d| {
            !self.blocked_physical_uuids.contains(&d.physical_uuid)
                && !self.blocked_serials.contains(&d.serial)
        })
    }

    /// The shared drive with this physical UUID.
    pub fn shared_drive(&self, physical_uuid: &str) -> Option<&SharedDrive> {
        self.shared.iter().find(|d| d.physical_uuid == physical_uuid)
    }
}

fn json_list<T: serde::de::DeserializeOwned>(
    annotations: &BTreeMap<String, String>,
    annotation: &'static str,
) -> Result<Vec<T>, AllocationError> {
    match annotations.get(annotation).map(|v| v.trim()) {
        None | Some("") | Some("null") => Ok(Vec::new()),
        Some(text) => serde_json::from_str(text)
            .map_err(|e| AllocationError::BadNodeAnnotation { annotation, reason: e.to_string() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn annotations(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn blocked_serials_and_uuids_are_never_candidates() {
        let node = NodeDrives::from_annotations(&annotations(&[
            (WEKA_DRIVES, r#"["s1","s2","s3"]"#),
            (BLOCKED_DRIVES, r#"["s2","p2-serial"]"#),
            (
                SHARED_DRIVES,
                r#"[{"physical_uuid":"p1","serial":"p1-serial","capacity_gib":1000,"type":"TLC"},
                    {"physical_uuid":"p2","serial":"p2-serial","capacity_gib":1000},
                    {"physical_uuid":"p3","serial":"p3-serial","capacity_gib":1000,"type":"QLC"}]"#,
            ),
            (BLOCKED_DRIVES_PHYSICAL_UUIDS, r#"["p3"]"#),
        ]))
        .unwrap();
        let exclusive: Vec<_> = node.exclusive_candidates().cloned().collect();
        assert_eq!(exclusive, ["s1", "s3"]);
        let shared: Vec<_> = node.shared_candidates().map(|d| d.physical_uuid.as_str()).collect();
        assert_eq!(shared, ["p1"]);
        assert_eq!(node.shared_drive("p2").unwrap().drive_type, Some(DriveType::Tlc));
    }

    #[test]
    fn a_malformed_annotation_names_itself() {
        let err = NodeDrives::from_annotations(&annotations(&[(WEKA_DRIVES, "[1,")])).unwrap_err();
        assert!(err.to_string().starts_with("node annotation weka.io/weka-drives is not valid"));
    }
}
