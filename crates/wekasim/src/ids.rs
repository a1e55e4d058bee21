//! WEKA's typed ids. The CLI prints them as `HostId<3>`, `NodeId<301>`, `DiskId<7>`,
//! `TelemetrySinkId<0>`, `FSId<1>`, `FSGroupId<0>`, and accepts either that form or the bare
//! number as arguments.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

macro_rules! weka_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);

        impl $name {
            pub const PREFIX: &'static str = $prefix;
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}<{}>", $prefix, self.0)
            }
        }

        impl FromStr for $name {
            type Err = ();

            fn from_str(s: &str) -> Result<Self, ()> {
                parse_weka_id($prefix, s).map($name)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }
    };
}

weka_id!(
    /// A cluster container (historically a "host").
    HostId,
    "HostId"
);
weka_id!(
    /// A process (historically a "node") of a container.
    NodeId,
    "NodeId"
);
weka_id!(
    /// A drive, cluster-wide.
    DiskId,
    "DiskId"
);
weka_id!(
    /// A telemetry export.
    TelemetrySinkId,
    "TelemetrySinkId"
);
weka_id!(
    /// A filesystem.
    FsId,
    "FSId"
);
weka_id!(
    /// A filesystem group.
    FsGroupId,
    "FSGroupId"
);

/// Accepts `Prefix<N>` or `N`.
fn parse_weka_id(prefix: &str, s: &str) -> Result<u32, ()> {
    let inner = match s.strip_prefix(prefix) {
        Some(rest) => rest.strip_prefix('<').and_then(|r| r.strip_suffix('>')).ok_or(())?,
        None => s,
    };
    if inner.is_empty() || !inner.bytes().all(|b| b.is_ascii_digit()) {
        return Err(());
    }
    inner.parse().map_err(|_| ())
}

/// Processes of container `host` are numbered `host * 100 + slot`; slot 0 is management.
pub fn node_id(host: HostId, slot: u32) -> NodeId {
    NodeId(host.0 * 100 + slot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_print_and_parse_both_forms() {
        assert_eq!(HostId(3).to_string(), "HostId<3>");
        assert_eq!("HostId<3>".parse::<HostId>(), Ok(HostId(3)));
        assert_eq!("3".parse::<HostId>(), Ok(HostId(3)));
        assert_eq!("NodeId<3>".parse::<HostId>(), Err(()));
        assert_eq!("HostId<x>".parse::<HostId>(), Err(()));
        assert_eq!("-1".parse::<HostId>(), Err(()));
        assert_eq!(TelemetrySinkId(0).to_string(), "TelemetrySinkId<0>");
        assert_eq!(node_id(HostId(2), 1), NodeId(201));
    }
}
