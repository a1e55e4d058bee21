//! Claims on a node's ports and drives, persisted as node annotations (the format of
//! upstream's hybrid allocator, `node_claims.go`):
//!
//! - `weka.io/port-claims`: `{"<base>,<count>": "<cluster>:<namespace>:<container>"}`
//! - `weka.io/drive-claims`: `{"<serial>": "<cluster>:<namespace>:<container>"}`
//! - `weka.io/virtual-drive-claims`: `{"<virtualUUID>": ["<owner>", "<physicalUUID>", <capacityGiB>]}`
//!   (upstream's code writes this compact array; its comments describe an object
//!   `{"container", "physicalUUID", "capacityGiB"}`, which is read too).
//!
//! The caller writes them with an update carrying the Node's `resourceVersion`, so two
//! operators allocating on one node serialise through the API server (409: re-read, retry).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::Deserialize;
use weka_api::WekaContainer;
use weka_api::common::GoInt;
use weka_api::constants::annotations::{DRIVE_CLAIMS, PORT_CLAIMS, VIRTUAL_DRIVE_CLAIMS};

use super::container::Allocation;
use super::error::AllocationError;
use super::ports::{PortBlock, PortLayout};

/// Who holds a claim: `<cluster>:<namespace>:<container>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClaimOwner {
    pub cluster: String,
    pub namespace: String,
    pub container: String,
}

impl ClaimOwner {
    /// The owner key of a container: its owning WekaCluster (controller reference, else the
    /// first owner as upstream), its namespace and name.
    pub fn of(container: &WekaContainer) -> Self {
        let owners = container.metadata.owner_references.as_deref().unwrap_or_default();
        let cluster = owners
            .iter()
            .find(|o| o.kind == "WekaCluster" && o.controller == Some(true))
            .or_else(|| owners.first())
            .map(|o| o.name.clone())
            .unwrap_or_default();
        ClaimOwner {
            cluster,
            namespace: container.metadata.namespace.clone().unwrap_or_default(),
            container: container.metadata.name.clone().unwrap_or_default(),
        }
    }
}

impl fmt::Display for ClaimOwner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.cluster, self.namespace, self.container)
    }
}

impl FromStr for ClaimOwner {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split(':').collect();
        match parts.as_slice() {
            [cluster, namespace, container] => Ok(ClaimOwner {
                cluster: cluster.to_string(),
                namespace: namespace.to_string(),
                container: container.to_string(),
            }),
            _ => Err(format!("owner {s:?} is not <cluster>:<namespace>:<container>")),
        }
    }
}

/// A virtual drive's claim on part of a shared physical drive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VirtualDriveClaim {
    pub owner: ClaimOwner,
    pub physical_uuid: String,
    pub capacity_gib: GoInt,
}

/// Every claim recorded on one node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeClaims {
    /// Drive serial → owner.
    pub drives: BTreeMap<String, ClaimOwner>,
    /// Port block → owner.
    pub ports: BTreeMap<PortBlock, ClaimOwner>,
    /// Virtual drive UUID → claim.
    pub virtual_drives: BTreeMap<String, VirtualDriveClaim>,
}

/// What one owner holds on the node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeldClaims {
    pub drives: Vec<String>,
    pub ports: Vec<PortBlock>,
    pub virtual_drives: Vec<(String, VirtualDriveClaim)>,
}

impl NodeClaims {
    /// Reads the three claim annotations; an absent or empty one holds no claims.
    pub fn decode(annotations: &BTreeMap<String, String>) -> Result<Self, AllocationError> {
        let drives: BTreeMap<String, String> = json_map(annotations, DRIVE_CLAIMS)?;
        let ports: BTreeMap<String, String> = json_map(annotations, PORT_CLAIMS)?;
        let virtual_drives: BTreeMap<String, RawVirtualDriveClaim> =
            json_map(annotations, VIRTUAL_DRIVE_CLAIMS)?;
        let bad =
            |annotation, reason: String| AllocationError::BadNodeAnnotation { annotation, reason };

        let mut claims = NodeClaims::default();
        for (serial, owner) in drives {
            claims.drives.insert(serial, owner.parse().map_err(|e| bad(DRIVE_CLAIMS, e))?);
        }
        for (key, owner) in ports {
            let block = parse_port_key(&key)
                .ok_or_else(|| bad(PORT_CLAIMS, format!("key {key:?} is not <base>,<count>")))?;
            claims.ports.insert(block, owner.parse().map_err(|e| bad(PORT_CLAIMS, e))?);
        }
        for (uuid, raw) in virtual_drives {
            let (owner, physical_uuid, capacity_gib) = match raw {
                RawVirtualDriveClaim::Compact(owner, physical, capacity) => {
                    (owner, physical, capacity)
                }
                RawVirtualDriveClaim::Object { container, physical_uuid, capacity_gib } => {
                    (container, physical_uuid, capacity_gib)
                }
            };
            let owner = owner.parse().map_err(|e| bad(VIRTUAL_DRIVE_CLAIMS, e))?;
            claims
                .virtual_drives
                .insert(uuid, VirtualDriveClaim { owner, physical_uuid, capacity_gib });
        }
        Ok(claims)
    }

    /// The three annotations holding these claims (empty maps as `{}`, as upstream writes).
    pub fn encode(&self) -> BTreeMap<String, String> {
        let drives: BTreeMap<&str, String> = self
            .drives
            .iter()
            .map(|(serial, owner)| (serial.as_str(), owner.to_string()))
            .collect();
        let ports: BTreeMap<String, String> = self
            .ports
            .iter()
            .map(|(block, owner)| (format!("{},{}", block.base, block.size), owner.to_string()))
            .collect();
        let virtual_drives: BTreeMap<&str, (String, &str, GoInt)> = self
            .virtual_drives
            .iter()
            .map(|(uuid, c)| {
                (uuid.as_str(), (c.owner.to_string(), c.physical_uuid.as_str(), c.capacity_gib))
            })
            .collect();
        let json = |value: serde_json::Result<String>| value.expect("string maps serialise");
        BTreeMap::from([
            (DRIVE_CLAIMS.to_string(), json(serde_json::to_string(&drives))),
            (PORT_CLAIMS.to_string(), json(serde_json::to_string(&ports))),
            (VIRTUAL_DRIVE_CLAIMS.to_string(), json(serde_json::to_string(&virtual_drives))),
        ])
    }

    /// What `owner` holds.
    pub fn held_by(&self, owner: &ClaimOwner) -> HeldClaims {
        HeldClaims {
            drives: self
                .drives
                .iter()
                .filter(|(_, o)| *o == owner)
                .map(|(s, _)| s.clone())
                .collect(),
            ports: self.ports.iter().filter(|(_, o)| *o == owner).map(|(b, _)| *b).collect(),
            virtual_drives: self
                .virtual_drives
                .iter()
                .filter(|(_, c)| c.owner == *owner)
                .map(|(u, c)| (u.clone(), c.clone()))
                .collect(),
        }
    }

    /// Records `allocation` for `owner`; refuses (changing nothing) if another owner holds
    /// any of it. Recording what `owner` already holds is a no-op.
    pub fn record(
        &mut self,
        owner: &ClaimOwner,
        allocation: &Allocation,
        layout: PortLayout,
    ) -> Result<(), AllocationError> {
        let ports = allocation.port_blocks(layout);
        let conflict = |resource: String, holder: &ClaimOwner| {
            (holder != owner)
                .then(|| AllocationError::ClaimConflict { resource, holder: holder.to_string() })
        };
        let conflicts = allocation
            .drives
            .iter()
            .filter_map(|s| self.drives.get(s).and_then(|h| conflict(format!("drive {s}"), h)))
            .chain(ports.iter().filter_map(|block| {
                self.ports
                    .iter()
                    .find(|(claimed, _)| claimed.overlaps(*block))
                    .and_then(|(claimed, h)| conflict(format!("ports {claimed}"), h))
            }))
            .chain(allocation.virtual_drives.iter().filter_map(|vd| {
                self.virtual_drives
                    .get(&vd.virtual_uuid)
                    .and_then(|c| conflict(format!("virtual drive {}", vd.virtual_uuid), &c.owner))
            }))
            .next();
        if let Some(error) = conflicts {
            return Err(error);
        }
        for serial in &allocation.drives {
            self.drives.insert(serial.clone(), owner.clone());
        }
        for block in ports {
            self.ports.insert(block, owner.clone());
        }
        for vd in &allocation.virtual_drives {
            self.virtual_drives.insert(
                vd.virtual_uuid.clone(),
                VirtualDriveClaim {
                    owner: owner.clone(),
                    physical_uuid: vd.physical_uuid.clone(),
                    capacity_gib: vd.capacity_gib,
                },
            );
        }
        Ok(())
    }

    /// Drops every claim of `owner` (the container's finalizer, once its resources are free).
    pub fn release(&mut self, owner: &ClaimOwner) {
        self.drives.retain(|_, o| o != owner);
        self.ports.retain(|_, o| o != owner);
        self.virtual_drives.retain(|_, c| c.owner != *owner);
    }
}

/// `"<base>,<count>"`.
fn parse_port_key(key: &str) -> Option<PortBlock> {
    let (base, size) = key.split_once(',')?;
    let block = PortBlock::new(base.trim().parse().ok()?, size.trim().parse().ok()?);
    (block.base > 0 && block.size > 0).then_some(block)
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawVirtualDriveClaim {
    Compact(String, String, GoInt),
    Object {
        container: String,
        #[serde(rename = "physicalUUID")]
        physical_uuid: String,
        #[serde(rename = "capacityGiB")]
        capacity_gib: GoInt,
    },
}

fn json_map<T: serde::de::DeserializeOwned>(
    annotations: &BTreeMap<String, String>,
    annotation: &'static str,
) -> Result<BTreeMap<String, T>, AllocationError> {
    match annotations.get(annotation).map(|v| v.trim()) {
        None | Some("") | Some("null") => Ok(BTreeMap::new()),
        Some(text) => serde_json::from_str(text)
            .map_err(|e| AllocationError::BadNodeAnnotation { annotation, reason: e.to_string() }),
    }
}
