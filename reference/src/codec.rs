//! The one reader and writer every binary encoding in Cinder goes through.
//!
//! Strictness lives here: a field that runs past the input is [`DecodeError::Truncated`], a length
//! outside its declared bounds is [`DecodeError::LengthOutOfRange`] (checked before the announced
//! bytes are touched), and [`Reader::finish`] is the single place where leftover bytes become
//! [`DecodeError::TrailingData`]. Every error names the field it was reading.

use core::fmt;

/// Why bytes failed to decode. Each variant names the field being read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended inside this field.
    Truncated(&'static str),
    /// Bytes remained after this structure was complete.
    TrailingData(&'static str),
    /// This length or count is outside its declared bounds.
    LengthOutOfRange(&'static str),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated(field) => write!(f, "input ends inside {field}"),
            Self::TrailingData(what) => write!(f, "bytes remain after {what}"),
            Self::LengthOutOfRange(field) => write!(f, "{field} is outside its bounds"),
        }
    }
}

impl core::error::Error for DecodeError {}

/// Reads fields from the front of a byte string.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Starts reading `bytes` from the beginning.
    #[must_use]
    pub const fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    /// Bytes not read yet.
    #[must_use]
    pub const fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// Bytes read so far (a prefix of the input).
    #[must_use]
    pub fn consumed(&self) -> &'a [u8] {
        &self.bytes[..self.pos]
    }

    /// The next `n` bytes.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] naming `field` when fewer than `n` bytes remain.
    pub fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], DecodeError> {
        if n > self.remaining() {
            return Err(DecodeError::Truncated(field));
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// The next `N` bytes as an array.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] naming `field`.
    pub fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, field)?);
        Ok(out)
    }

    /// A `u8`.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] naming `field`.
    pub fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        Ok(self.array::<1>(field)?[0])
    }

    /// A big-endian `u16`.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] naming `field`.
    pub fn u16(&mut self, field: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    /// A big-endian `u32`.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] naming `field`.
    pub fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    /// A big-endian `u64`.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] naming `field`.
    pub fn u64(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array(field)?))
    }

    /// A length already read, checked against `min..=max` before anything it announces is read.
    ///
    /// # Errors
    /// [`DecodeError::LengthOutOfRange`] naming `field`.
    pub fn bounded(len: usize, min: usize, max: usize, field: &'static str) -> Result<usize, DecodeError> {
        if len < min || len > max {
            return Err(DecodeError::LengthOutOfRange(field));
        }
        Ok(len)
    }

    /// `vec8`: a `u8` length in `min..=max`, then exactly that many bytes.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] or [`DecodeError::LengthOutOfRange`], naming `field`.
    pub fn vec8(&mut self, min: usize, max: usize, field: &'static str) -> Result<&'a [u8], DecodeError> {
        let len = Self::bounded(usize::from(self.u8(field)?), min, max, field)?;
        self.take(len, field)
    }

    /// Ends the structure `what`: fails if any byte is left.
    ///
    /// # Errors
    /// [`DecodeError::TrailingData`] naming `what`.
    pub const fn finish(self, what: &'static str) -> Result<(), DecodeError> {
        if self.pos != self.bytes.len() {
            return Err(DecodeError::TrailingData(what));
        }
        Ok(())
    }
}

/// The caller's output buffer is too small for what is being written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BufferTooSmall {
    /// Bytes the whole output needs.
    pub needed: usize,
}

impl fmt::Display for BufferTooSmall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "output buffer too small: {} bytes needed", self.needed)
    }
}

impl core::error::Error for BufferTooSmall {}

/// Appends fields to a caller-provided buffer.
#[derive(Debug)]
pub struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Writer<'a> {
    /// Starts writing at the beginning of `buf`.
    pub const fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Bytes written so far.
    #[must_use]
    pub const fn len(&self) -> usize {
        self.pos
    }

    /// Whether nothing has been written.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.pos == 0
    }

    /// Reserves the next `n` bytes and returns them for the caller to fill.
    ///
    /// # Errors
    /// [`BufferTooSmall`] when fewer than `n` bytes are left.
    pub fn reserve(&mut self, n: usize) -> Result<&mut [u8], BufferTooSmall> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.buf.len())
            .ok_or(BufferTooSmall { needed: self.pos.saturating_add(n) })?;
        let out = &mut self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    /// Appends `bytes`.
    ///
    /// # Errors
    /// [`BufferTooSmall`].
    pub fn put(&mut self, bytes: &[u8]) -> Result<(), BufferTooSmall> {
        self.reserve(bytes.len())?.copy_from_slice(bytes);
        Ok(())
    }

    /// Appends a `u8`.
    ///
    /// # Errors
    /// [`BufferTooSmall`].
    pub fn u8(&mut self, value: u8) -> Result<(), BufferTooSmall> {
        self.put(&[value])
    }

    /// Appends a big-endian `u16`.
    ///
    /// # Errors
    /// [`BufferTooSmall`].
    pub fn u16(&mut self, value: u16) -> Result<(), BufferTooSmall> {
        self.put(&value.to_be_bytes())
    }

    /// Appends a big-endian `u32`.
    ///
    /// # Errors
    /// [`BufferTooSmall`].
    pub fn u32(&mut self, value: u32) -> Result<(), BufferTooSmall> {
        self.put(&value.to_be_bytes())
    }

    /// Appends a big-endian `u64`.
    ///
    /// # Errors
    /// [`BufferTooSmall`].
    pub fn u64(&mut self, value: u64) -> Result<(), BufferTooSmall> {
        self.put(&value.to_be_bytes())
    }

    /// Appends `vec8(bytes)`; the caller has checked that `bytes` is at most 255 long.
    ///
    /// # Errors
    /// [`BufferTooSmall`]; a longer `bytes` is reported the same way, as it cannot be written.
    pub fn vec8(&mut self, bytes: &[u8]) -> Result<(), BufferTooSmall> {
        let len = u8::try_from(bytes.len()).map_err(|_| BufferTooSmall { needed: usize::MAX })?;
        self.u8(len)?;
        self.put(bytes)
    }

    /// The written prefix of the buffer.
    #[must_use]
    pub fn written(&self) -> &[u8] {
        &self.buf[..self.pos]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_truncated_fields_by_name() {
        let mut r = Reader::new(&[0, 1, 2]);
        assert_eq!(r.u32("count"), Err(DecodeError::Truncated("count")));
        assert_eq!(r.u16("count"), Ok(1));
        assert_eq!(r.clone().finish("thing"), Err(DecodeError::TrailingData("thing")));
        assert_eq!(r.u8("last"), Ok(2));
        assert_eq!(r.finish("thing"), Ok(()));
    }

    #[test]
    fn checks_vec8_bounds_before_reading() {
        assert_eq!(Reader::new(&[0]).vec8(1, 4, "id"), Err(DecodeError::LengthOutOfRange("id")));
        assert_eq!(Reader::new(&[5, 1, 2, 3, 4, 5]).vec8(1, 4, "id"), Err(DecodeError::LengthOutOfRange("id")));
        assert_eq!(Reader::new(&[3, 1, 2]).vec8(1, 4, "id"), Err(DecodeError::Truncated("id")));
        assert_eq!(Reader::new(&[2, 1, 2]).vec8(1, 4, "id"), Ok(&[1u8, 2][..]));
    }

    #[test]
    fn writer_refuses_to_overflow() {
        let mut buf = [0u8; 3];
        let mut w = Writer::new(&mut buf);
        assert_eq!(w.u16(0x0102), Ok(()));
        assert_eq!(w.u16(7), Err(BufferTooSmall { needed: 4 }));
        assert_eq!(w.u8(3), Ok(()));
        assert_eq!(w.written(), &[1, 2, 3]);
        assert_eq!(w.vec8(&[0; 256]), Err(BufferTooSmall { needed: usize::MAX }));
    }
}
