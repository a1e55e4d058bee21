//! Port blocks and the first-fit search every port decision uses.

use std::fmt;

use weka_api::common::GoInt;

/// The highest port number.
pub const MAX_PORT: GoInt = 65535;

/// `size` consecutive ports from `base` (`[base, base + size)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortBlock {
    pub base: GoInt,
    pub size: GoInt,
}

impl PortBlock {
    pub const fn new(base: GoInt, size: GoInt) -> Self {
        PortBlock { base, size }
    }

    /// One port.
    pub const fn single(port: GoInt) -> Self {
        PortBlock { base: port, size: 1 }
    }

    /// The first port after the block.
    pub const fn end(self) -> GoInt {
        self.base + self.size
    }

    /// The last port of the block (what users read in "35000-35499").
    pub const fn last(self) -> GoInt {
        self.base + self.size - 1
    }

    pub const fn overlaps(self, other: PortBlock) -> bool {
        self.base < other.end() && other.base < self.end()
    }

    pub const fn contains(self, other: PortBlock) -> bool {
        other.base >= self.base && other.end() <= self.end()
    }
}

impl fmt::Display for PortBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.base, self.last())
    }
}

/// How a cluster's port range is cut up; depends on the image (feature flag
/// `agent_validate_60_ports_per_container`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortLayout {
    /// Ports of one WEKA container (its weka port block).
    pub ports_per_container: GoInt,
    /// Size of a cluster's range when `spec.ports.portRange` is unset.
    pub default_cluster_range: GoInt,
    /// Where single ports (agent ports, LB, S3, management proxy) start inside the range.
    pub single_ports_offset: GoInt,
}

impl PortLayout {
    /// 100 ports per container, 500 per cluster, single ports from +300.
    pub const DEFAULT: PortLayout = PortLayout {
        ports_per_container: 100,
        default_cluster_range: 500,
        single_ports_offset: 300,
    };
    /// Images that validate 60 ports per container: 60, 260, +240.
    pub const REDUCED: PortLayout = PortLayout {
        ports_per_container: 60,
        default_cluster_range: 260,
        single_ports_offset: 240,
    };

    /// The layout for an image, from its `agent_validate_60_ports_per_container` flag.
    pub const fn for_image(validates_60_ports_per_container: bool) -> Self {
        if validates_60_ports_per_container { Self::REDUCED } else { Self::DEFAULT }
    }
}

/// The lowest base of `size` free ports inside `bounds`, at or after `bounds.base + offset`,
/// that overlaps none of `taken` (which may overlap each other and lie anywhere).
pub fn first_free(
    bounds: PortBlock,
    taken: &[PortBlock],
    size: GoInt,
    offset: GoInt,
) -> Option<GoInt> {
    let mut sorted: Vec<PortBlock> = taken.iter().copied().filter(|b| b.size > 0).collect();
    sorted.sort();
    let mut cursor = bounds.base + offset;
    for block in sorted {
        if block.end() <= cursor {
            continue;
        }
        if block.base - cursor >= size {
            break;
        }
        cursor = cursor.max(block.end());
    }
    (size > 0 && cursor + size <= bounds.end()).then_some(cursor)
}

/// Whether `target` lies inside `bounds` and overlaps none of `taken`.
pub fn is_free(bounds: PortBlock, taken: &[PortBlock], target: PortBlock) -> bool {
    bounds.contains(target) && !taken.iter().any(|t| t.size > 0 && t.overlaps(target))
}
