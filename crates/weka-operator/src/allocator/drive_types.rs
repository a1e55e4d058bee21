//! Drive types of shared drives and the TLC/QLC split of a capacity.

use std::fmt;

use weka_api::common::{DriveTypesRatio, GoInt};

/// The flash type of a shared physical drive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DriveType {
    Tlc,
    Qlc,
}

impl DriveType {
    pub const fn as_str(self) -> &'static str {
        match self {
            DriveType::Tlc => "TLC",
            DriveType::Qlc => "QLC",
        }
    }

    /// The type as the node annotation and `VirtualDrive.type` write it. An absent or empty
    /// type is TLC (the API's convention); an unknown one is `None`.
    pub fn parse(text: Option<&str>) -> Option<DriveType> {
        match text.map(str::trim).unwrap_or("") {
            "" | "TLC" | "tlc" => Some(DriveType::Tlc),
            "QLC" | "qlc" => Some(DriveType::Qlc),
            _ => None,
        }
    }
}

impl fmt::Display for DriveType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Splits `total` GiB into (TLC, QLC) by `ratio`; the rounding remainder goes to QLC. No
/// ratio, or a 0:0 one, is all TLC (upstream `GetTlcQlcCapacity`).
pub fn split_capacity(total: GoInt, ratio: Option<DriveTypesRatio>) -> (GoInt, GoInt) {
    match ratio {
        Some(r) if r.tlc + r.qlc > 0 => {
            let tlc = total * r.tlc / (r.tlc + r.qlc);
            (tlc, total - tlc)
        }
        _ => (total, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ratio_splits_capacity_with_the_remainder_going_to_qlc() {
        let ratio = DriveTypesRatio { tlc: 1, qlc: 10 };
        assert_eq!(split_capacity(60000, Some(ratio)), (5454, 54546));
        assert_eq!(split_capacity(100, None), (100, 0));
        assert_eq!(split_capacity(100, Some(DriveTypesRatio { tlc: 0, qlc: 0 })), (100, 0));
    }

    #[test]
    fn an_absent_drive_type_is_tlc() {
        assert_eq!(DriveType::parse(None), Some(DriveType::Tlc));
        assert_eq!(DriveType::parse(Some("QLC")), Some(DriveType::Qlc));
        assert_eq!(DriveType::parse(Some("SLC")), None);
    }
}
