//! PBKDF2-HMAC-SHA256 (RFC 8018 section 5.2, RFC 2104) written on the SHA-256 compression
//! function alone, for the identity variants.
//!
//! Two reasons: it is a second implementation of the reference's `pbkdf2_sha256`, and it is fast
//! in debug builds — each round is two calls of `compress256`, which is compiled (optimised) in
//! `sha2` itself, where the generic HMAC code would be compiled unoptimised here. The identity
//! vectors ask for over a million rounds; `tests/teeth.rs` runs them once per identity bug.

use sha2::block_api::compress256;

/// SHA-256's initial hash value (FIPS 180-4 section 5.3.3).
const IV: [u32; 8] =
    [0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19];

fn to_bytes(state: &[u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// SHA-256 of a message whose first `done` bytes (a multiple of 64) are already compressed into
/// `state` and whose rest is `data`.
fn finish(mut state: [u32; 8], done: usize, data: &[u8]) -> [u8; 32] {
    let bits = u64::try_from(done + data.len()).unwrap_or(u64::MAX).saturating_mul(8);
    let mut tail = data.to_vec();
    tail.push(0x80);
    while tail.len() % 64 != 56 {
        tail.push(0);
    }
    tail.extend_from_slice(&bits.to_be_bytes());
    let blocks: Vec<[u8; 64]> = tail.chunks_exact(64).filter_map(|block| block.try_into().ok()).collect();
    compress256(&mut state, &blocks);
    to_bytes(&state)
}

/// The state after one key block (`state`) and one more block holding a 32-byte message given as
/// eight big-endian words, padding included. Plain index loops over words: this runs twice per
/// round, unoptimised in debug builds.
fn finish_words(mut state: [u32; 8], words: &[u32; 8]) -> [u32; 8] {
    let mut block = [0u8; 64];
    for i in 0..8 {
        block[4 * i..4 * i + 4].copy_from_slice(&words[i].to_be_bytes());
    }
    block[32] = 0x80;
    block[56..].copy_from_slice(&((64u64 + 32) * 8).to_be_bytes());
    compress256(&mut state, &[block]);
    state
}

/// PBKDF2-HMAC-SHA256 with `rounds` iterations, one 32-byte block of output.
pub(crate) fn pbkdf2_sha256(password: &[u8], salt: &[u8], rounds: u32) -> [u8; 32] {
    let mut key = [0u8; 64];
    if password.len() > 64 {
        key[..32].copy_from_slice(&finish(IV, 0, password));
    } else {
        key[..password.len()].copy_from_slice(password);
    }
    let (mut inner, mut outer) = (IV, IV);
    compress256(&mut inner, &[key.map(|b| b ^ 0x36)]);
    compress256(&mut outer, &[key.map(|b| b ^ 0x5c)]);
    let first = [salt, &1u32.to_be_bytes()].concat();
    let inner_first = finish(inner, 64, &first);
    let mut u = [0u32; 8];
    for i in 0..8 {
        u[i] = u32::from_be_bytes([
            inner_first[4 * i],
            inner_first[4 * i + 1],
            inner_first[4 * i + 2],
            inner_first[4 * i + 3],
        ]);
    }
    u = finish_words(outer, &u);
    let mut t = u;
    for _ in 1..rounds {
        u = finish_words(outer, &finish_words(inner, &u));
        for i in 0..8 {
            t[i] ^= u[i];
        }
    }
    to_bytes(&t)
}

#[cfg(test)]
mod tests {
    use core::num::NonZeroU32;

    use super::pbkdf2_sha256;

    #[test]
    fn matches_rfc_7914_section_11() {
        // PBKDF2-HMAC-SHA256 (P="passwd", S="salt", c=1): the first 32 of its 64 bytes.
        let expected = "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc";
        let got: String = pbkdf2_sha256(b"passwd", b"salt", 1).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn matches_the_reference_for_short_and_long_passwords_and_salts() {
        for (password_len, salt_len, rounds) in [(0, 16, 1), (13, 16, 2), (64, 64, 3), (65, 17, 1000), (271, 55, 7)] {
            let password: Vec<u8> =
                (0..password_len).map(|i: u32| u8::try_from(i * 7 % 251).unwrap_or_default()).collect();
            let salt: Vec<u8> = (0..salt_len).map(|i: u32| u8::try_from(i * 13 % 256).unwrap_or_default()).collect();
            let rounds_nz = NonZeroU32::new(rounds).unwrap_or(NonZeroU32::MIN);
            assert_eq!(
                pbkdf2_sha256(&password, &salt, rounds),
                cinder::primitives::pbkdf2_sha256(&password, &salt, rounds_nz),
                "password {password_len} bytes, salt {salt_len} bytes, {rounds} rounds"
            );
        }
    }
}
