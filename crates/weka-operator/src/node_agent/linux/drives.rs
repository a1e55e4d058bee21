//! Drive discovery (upstream `discoverWekaDrives`): every block device linked from
//! `/dev/disk/by-path` or `/dev/disk/by-id` whose partition type is WEKA's, with its
//! signature, whole-disk device and serial.
//!
//! Upstream shells out to `readlink`, `blkid` and `hexdump`; this reads the same facts from
//! files, so that it needs no tools in the image and runs against a directory tree in tests:
//! - the partition type from the host's udev database (`E:ID_PART_ENTRY_TYPE=`, what `blkid`
//!   reports too), else from the disk's GPT entry (sysfs gives the partition number);
//! - the signature: 16 bytes at offset 8 of the partition, as hex;
//! - NVMe serials from sysfs (`<controller>/serial`), other disks' from udev `ID_SERIAL=`.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::LinuxPaths;
use crate::node_agent::host::HostError;
use crate::node_agent::protocol::DriveInfo;

/// The GPT partition type GUID of a WEKA partition.
pub const WEKA_PARTITION_TYPE: &str = "993ec906-b4e2-11e7-a205-a0a8cd3ea1de";
/// The signature of a partition signed for WEKA but not claimed by any cluster.
pub const UNSIGNED_SIGNATURE: &str = "90f0090f90f0090f90f0090f90f0090f";

/// Discovers the WEKA drives; a device that cannot be read is logged and skipped, as
/// upstream skips it.
pub fn discover(paths: &LinuxPaths) -> Result<Vec<DriveInfo>, HostError> {
    let mut drives = Vec::new();
    for name in linked_devices(&paths.dev) {
        if partition_type(paths, &name).as_deref() != Some(WEKA_PARTITION_TYPE) {
            continue;
        }
        let partition = format!("/dev/{name}");
        let signature = match read_signature(&paths.dev.join(&name)) {
            Ok(signature) => signature,
            Err(e) => {
                tracing::error!(device = %partition, error = %e, "cannot read the signature");
                continue;
            }
        };
        let (serial_id, device_path) = match device_info(paths, &name) {
            Ok(info) => info,
            Err(e) => {
                tracing::error!(partition = %name, error = %e, "cannot read the device info");
                continue;
            }
        };
        let is_signed = !signature.is_empty() && signature != UNSIGNED_SIGNATURE;
        let weka_guid =
            if is_signed { guid_of(&signature).unwrap_or_default() } else { String::new() };
        drives.push(DriveInfo { serial_id, device_path, partition, is_signed, weka_guid });
    }
    Ok(drives)
}

/// Names (`nvme0n1p1`) of the devices the `by-path` and `by-id` links resolve to.
fn linked_devices(dev: &Path) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for dir in ["disk/by-path", "disk/by-id"] {
        let Ok(entries) = fs::read_dir(dev.join(dir)) else { continue };
        for entry in entries.flatten() {
            let Ok(target) = fs::canonicalize(entry.path()) else { continue };
            if let Some(name) = target.file_name().and_then(|n| n.to_str()) {
                names.insert(name.to_string());
            }
        }
    }
    names
}

/// A value of the host's udev record of device `major:minor` (`E:<key>=<value>`).
fn udev_property(paths: &LinuxPaths, dev_numbers: &str, key: &str) -> Option<String> {
    let text = fs::read_to_string(paths.udev_data.join(format!("b{dev_numbers}"))).ok()?;
    let prefix = format!("E:{key}=");
    text.lines().find_map(|l| l.strip_prefix(prefix.as_str())).map(|v| v.trim().to_string())
}

fn read_trimmed(path: &Path) -> Option<String> {
    fs::read_to_string(path).ok().map(|s| s.trim().to_string())
}

/// The partition type GUID of device `name` (lower case), if it is a GPT partition.
fn partition_type(paths: &LinuxPaths, name: &str) -> Option<String> {
    let sys = paths.sys_class_block.join(name);
    if let Some(numbers) = read_trimmed(&sys.join("dev"))
        && let Some(found) = udev_property(paths, &numbers, "ID_PART_ENTRY_TYPE")
    {
        return Some(found.to_ascii_lowercase());
    }
    let number: u64 = read_trimmed(&sys.join("partition"))?.parse().ok()?;
    let disk = fs::canonicalize(&sys).ok()?.parent()?.file_name()?.to_str()?.to_string();
    let sector: u64 = read_trimmed(&paths.sys_block.join(&disk).join("queue/logical_block_size"))
        .and_then(|s| s.parse().ok())
        .unwrap_or(512);
    gpt_partition_type(&paths.dev.join(disk), sector, number)
}

fn read_at(file: &mut File, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(buf)
}

/// The type GUID of GPT entry `number` (1-based) of `disk`.
fn gpt_partition_type(disk: &Path, sector: u64, number: u64) -> Option<String> {
    let mut file = File::open(disk).ok()?;
    let mut header = [0u8; 92];
    read_at(&mut file, sector, &mut header).ok()?;
    if &header[..8] != b"EFI PART" {
        return None;
    }
    let entries_lba = u64::from_le_bytes(header[72..80].try_into().ok()?);
    let count = u64::from(u32::from_le_bytes(header[80..84].try_into().ok()?));
    let size = u64::from(u32::from_le_bytes(header[84..88].try_into().ok()?));
    if number == 0 || number > count || size < 16 {
        return None;
    }
    let mut guid = [0u8; 16];
    read_at(&mut file, entries_lba * sector + (number - 1) * size, &mut guid).ok()?;
    Some(format_mixed_endian_guid(&guid))
}

/// A GUID as GPT stores it (first three fields little-endian) in its text form.
pub(super) fn format_mixed_endian_guid(b: &[u8; 16]) -> String {
    format!(
        "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{}",
        b[3],
        b[2],
        b[1],
        b[0],
        b[5],
        b[4],
        b[7],
        b[6],
        b[8],
        b[9],
        b[10..].iter().map(|x| format!("{x:02x}")).collect::<String>()
    )
}

/// 16 bytes at offset 8 of the partition, as lower-case hex.
fn read_signature(device: &Path) -> std::io::Result<String> {
    let mut file = File::open(device)?;
    let mut bytes = [0u8; 16];
    read_at(&mut file, 8, &mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A 32-hex-digit signature as a GUID (`8-4-4-4-12`).
fn guid_of(signature: &str) -> Option<String> {
    if signature.len() != 32 || !signature.is_ascii() {
        return None;
    }
    let s = signature;
    Some(format!("{}-{}-{}-{}-{}", &s[..8], &s[8..12], &s[12..16], &s[16..20], &s[20..]))
}

/// `(serial, /dev/<whole disk>)` of partition `name`.
fn device_info(paths: &LinuxPaths, name: &str) -> Result<(String, String), HostError> {
    let sys = paths.sys_class_block.join(name);
    let resolved = fs::canonicalize(&sys)
        .map_err(|e| HostError::io(format!("failed to get PCI device path of {name}"), e))?;
    let parent: PathBuf = resolved.parent().map(Path::to_path_buf).unwrap_or_default();
    let disk = parent
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| HostError::Parse(format!("invalid PCI device path {}", resolved.display())))?
        .to_string();
    let serial = if name.contains("nvme") {
        let file = parent.parent().map(|c| c.join("serial")).unwrap_or_default();
        read_trimmed(&file).ok_or_else(|| {
            HostError::NotFound(format!("failed to read serial: {}", file.display()))
        })?
    } else {
        let numbers = read_trimmed(&paths.sys_block.join(&disk).join("dev"))
            .ok_or_else(|| HostError::NotFound(format!("failed to read device index of {disk}")))?;
        udev_property(paths, &numbers, "ID_SERIAL").ok_or_else(|| {
            HostError::NotFound(format!("failed to read serial from udev for {numbers}"))
        })?
    };
    Ok((serial, format!("/dev/{disk}")))
}
