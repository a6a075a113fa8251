//! Deterministic stand-ins for randomness, for test vectors and conformance checks only.
//!
//! Every function in Cinder that needs randomness takes `&mut impl CryptoRng`. Vectors must give
//! that randomness explicitly, so they pass a [`ReplayRng`] that hands out bytes written in the
//! vector. It is not random: a real sender that used it would reuse content keys, which ENV-020
//! forbids.

use core::convert::Infallible;

/// Replays a fixed byte string as "random" output. Asked for more than it holds, it yields zeros
/// and records the overrun (see [`ReplayRng::exhausted`]) rather than panicking.
#[derive(Debug)]
pub struct ReplayRng<'a> {
    bytes: &'a [u8],
    pos: usize,
    overrun: bool,
}

impl<'a> ReplayRng<'a> {
    /// A generator that yields `bytes`, in order.
    #[must_use]
    pub const fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0, overrun: false }
    }

    /// Whether more bytes were asked for than were given (the extra bytes were zeros). A vector
    /// generator checks this to prove it supplied exactly the randomness an operation uses.
    #[must_use]
    pub const fn exhausted(&self) -> bool {
        self.overrun
    }

    /// Whether every given byte was used.
    #[must_use]
    pub const fn all_used(&self) -> bool {
        self.pos == self.bytes.len()
    }
}

impl rand_core::TryRng for ReplayRng<'_> {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for byte in dst {
            if let Some(b) = self.bytes.get(self.pos) {
                *byte = *b;
                self.pos += 1;
            } else {
                *byte = 0;
                self.overrun = true;
            }
        }
        Ok(())
    }
}

impl rand_core::TryCryptoRng for ReplayRng<'_> {}
