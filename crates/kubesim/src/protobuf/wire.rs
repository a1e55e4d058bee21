//! Protocol buffers wire format, reading only: varints, fixed-width values and
//! length-delimited fields.

/// A field's payload.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Payload<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32(u32),
}

/// Reads the fields of one message in order.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    /// How far the reader got into its data.
    pub fn position(&self) -> usize {
        self.pos
    }

    pub fn varint(&mut self) -> Result<u64, String> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = *self.data.get(self.pos).ok_or("truncated varint")?;
            self.pos += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("varint too long".into())
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end =
            self.pos.checked_add(n).filter(|e| *e <= self.data.len()).ok_or("truncated field")?;
        let out = &self.data[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    /// The next field number and payload, or `None` at the end.
    pub fn field(&mut self) -> Result<Option<(u32, Payload<'a>)>, String> {
        if self.pos >= self.data.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let number = u32::try_from(key >> 3).map_err(|_| "field number too large")?;
        let payload = match key & 7 {
            0 => Payload::Varint(self.varint()?),
            1 => Payload::Fixed64(u64::from_le_bytes(
                self.take(8)?.try_into().map_err(|_| "bad fixed64")?,
            )),
            2 => {
                let len = usize::try_from(self.varint()?).map_err(|_| "length too large")?;
                Payload::Bytes(self.take(len)?)
            }
            5 => Payload::Fixed32(u32::from_le_bytes(
                self.take(4)?.try_into().map_err(|_| "bad fixed32")?,
            )),
            other => return Err(format!("unsupported wire type {other}")),
        };
        Ok(Some((number, payload)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_varints_and_length_delimited_fields() {
        // field 1 varint 150, field 2 bytes "hi", field 3 fixed32 7
        let data = [0x08, 0x96, 0x01, 0x12, 0x02, b'h', b'i', 0x1d, 7, 0, 0, 0];
        let mut r = Reader::new(&data);
        assert_eq!(r.field().unwrap(), Some((1, Payload::Varint(150))));
        assert_eq!(r.field().unwrap(), Some((2, Payload::Bytes(b"hi"))));
        assert_eq!(r.field().unwrap(), Some((3, Payload::Fixed32(7))));
        assert_eq!(r.field().unwrap(), None);
        assert!(Reader::new(&[0x12, 0x05, b'a']).field().is_err());
    }
}
