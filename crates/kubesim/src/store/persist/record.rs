//! The framing of the state file: a sequence of records, each
//! `length (u32 LE) | CRC-32 of the payload (u32 LE) | payload`, where the payload starts with
//! a one-byte tag:
//!
//! - `H` + `{"format":…,"rv":N}`: the file starts with a snapshot of the store at rv N;
//! - `O` + storage key + `\n` + object JSON: one object of that snapshot;
//! - `C` + storage key + `\n` + watch-event line: one change (the same bytes watchers get);
//! - `R` + decimal rv: versions up to this one may have been handed out (see `journal`);
//! - `E` + decimal rv: a clean shutdown at this rv.
//!
//! A crash can leave the last record short or with a wrong checksum; the reader reports where
//! the good records end so that the tail is dropped.

pub const HEADER: u8 = b'H';
pub const OBJECT: u8 = b'O';
pub const CHANGE: u8 = b'C';
pub const RESERVE: u8 = b'R';
pub const END: u8 = b'E';

/// The `format` of the header this code writes and reads.
pub const FORMAT: &str = "kubesim-state/v1";

/// Larger records are not written (objects are at most a few MiB), so a larger length is a
/// damaged header.
const MAX_PAYLOAD: usize = 256 * 1024 * 1024;

const FRAME: usize = 8;

/// Appends one record whose payload is `tag`, `head` and `body`.
pub fn append(out: &mut Vec<u8>, tag: u8, head: &[u8], body: &[u8]) {
    let len = 1 + head.len() + body.len();
    out.reserve(FRAME + len);
    let start = out.len();
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.push(tag);
    out.extend_from_slice(head);
    out.extend_from_slice(body);
    let crc = crc32(&out[start + FRAME..]);
    out[start + 4..start + FRAME].copy_from_slice(&crc.to_le_bytes());
}

/// A record with a resource name: `O` and `C`.
pub fn append_named(out: &mut Vec<u8>, tag: u8, resource: &str, body: &[u8]) {
    let mut head = Vec::with_capacity(resource.len() + 1);
    head.extend_from_slice(resource.as_bytes());
    head.push(b'\n');
    append(out, tag, &head, body);
}

/// What is found at an offset of the file.
#[derive(Debug, PartialEq, Eq)]
pub enum Next<'a> {
    Record {
        tag: u8,
        body: &'a [u8],
        end: usize,
    },
    /// Nothing more.
    End,
    /// A record that is cut short or damaged: the good records end here.
    Bad(&'static str),
}

pub fn next(bytes: &[u8], offset: usize) -> Next<'_> {
    let rest = &bytes[offset..];
    if rest.is_empty() {
        return Next::End;
    }
    if rest.len() < FRAME {
        return Next::Bad("a record header is cut short");
    }
    let len = u32::from_le_bytes(rest[0..4].try_into().expect("four bytes")) as usize;
    let crc = u32::from_le_bytes(rest[4..8].try_into().expect("four bytes"));
    if len == 0 || len > MAX_PAYLOAD {
        return Next::Bad("a record has an impossible length");
    }
    if rest.len() < FRAME + len {
        return Next::Bad("a record is cut short");
    }
    let payload = &rest[FRAME..FRAME + len];
    if crc32(payload) != crc {
        return Next::Bad("a record fails its checksum");
    }
    Next::Record { tag: payload[0], body: &payload[1..], end: offset + FRAME + len }
}

/// Splits the body of an `O` or `C` record into the storage key and the JSON.
pub fn split_named(body: &[u8]) -> Option<(&str, &[u8])> {
    let at = body.iter().position(|b| *b == b'\n')?;
    let name = std::str::from_utf8(&body[..at]).ok()?;
    Some((name, &body[at + 1..]))
}

/// CRC-32 (IEEE 802.3, reflected, as zlib computes it), table-driven.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in bytes {
        crc = CRC_TABLE[((crc ^ u32::from(*byte)) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

const CRC_TABLE: [u32; 256] = crc_table();

const fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn records_round_trip_and_a_cut_or_damaged_tail_is_bad() {
        let mut out = Vec::new();
        append_named(&mut out, CHANGE, "configmaps", b"{\"a\":1}");
        append(&mut out, RESERVE, b"42", b"");
        let Next::Record { tag, body, end } = next(&out, 0) else { panic!("a record") };
        assert_eq!(tag, CHANGE);
        assert_eq!(split_named(body), Some(("configmaps", &b"{\"a\":1}"[..])));
        let Next::Record { tag, body, end: last } = next(&out, end) else { panic!("a record") };
        assert_eq!((tag, body), (RESERVE, &b"42"[..]));
        assert_eq!(next(&out, last), Next::End);

        assert_eq!(next(&out[..last - 1], end), Next::Bad("a record is cut short"));
        assert_eq!(next(&out[..end + 3], end), Next::Bad("a record header is cut short"));
        let mut damaged = out.clone();
        damaged[last - 1] ^= 0xff;
        assert_eq!(next(&damaged, end), Next::Bad("a record fails its checksum"));
        let zeros = vec![0u8; 16];
        assert_eq!(next(&zeros, 0), Next::Bad("a record has an impossible length"));
    }
}
