//! The raw primitives every protocol part is built from, behind one small interface.
//!
//! Cinder's algorithms are fixed (spec/README.md, "Algorithms"): HMAC-SHA256, HKDF-SHA256,
//! PBKDF2-HMAC-SHA256 (one 32-byte block), X25519, ChaCha20-Poly1305 and Ed25519. Protocol modules call
//! these functions and nothing below them, so that the Wycheproof suite run over this module
//! (`reference/tests/wycheproof.rs`) covers every primitive the protocol uses.
//!
//! Errors here are below the level of the specification: protocol modules map them onto spec error
//! codes (an AEAD failure becomes the uniform authentication error of the part that called it).

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce, Tag};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

type HmacSha256 = Hmac<Sha256>;

/// Output length of SHA-256, HMAC-SHA256 and an HKDF-SHA256 pseudorandom key, in bytes.
pub const HASH_LEN: usize = 32;
/// Longest output HKDF-SHA256 can expand to (255 blocks, RFC 5869 section 2.3).
pub const HKDF_MAX_OUTPUT: usize = 255 * HASH_LEN;
/// ChaCha20-Poly1305 key length in bytes.
pub const AEAD_KEY_LEN: usize = 32;
/// ChaCha20-Poly1305 nonce length in bytes (RFC 8439).
pub const AEAD_NONCE_LEN: usize = 12;
/// ChaCha20-Poly1305 tag length in bytes.
pub const AEAD_TAG_LEN: usize = 16;
/// X25519 scalar, point and shared-secret length in bytes.
pub const X25519_LEN: usize = 32;
/// Ed25519 secret seed and public key length in bytes (RFC 8032).
pub const ED25519_KEY_LEN: usize = 32;
/// Ed25519 signature length in bytes.
pub const ED25519_SIGNATURE_LEN: usize = 64;

/// A primitive refused its inputs. Not a spec error code: callers map it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PrimitiveError {
    /// HKDF was asked for more than [`HKDF_MAX_OUTPUT`] bytes.
    OutputTooLong,
    /// The X25519 result was all zero (the peer's point has small order).
    ZeroSharedSecret,
    /// The AEAD tag did not verify.
    AuthenticationFailed,
    /// The Ed25519 signature did not verify (strictly, see [`ed25519_verify`]).
    InvalidSignature,
}

impl core::fmt::Display for PrimitiveError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::OutputTooLong => "HKDF output longer than 255 blocks",
            Self::ZeroSharedSecret => "X25519 produced the all-zero shared secret",
            Self::AuthenticationFailed => "AEAD authentication failed",
            Self::InvalidSignature => "Ed25519 signature did not verify",
        })
    }
}

/// SHA-256 (FIPS 180-4) of the concatenation of `parts`.
#[must_use]
pub fn sha256(parts: &[&[u8]]) -> [u8; HASH_LEN] {
    use sha2::Digest;
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// HMAC-SHA256 (RFC 2104) of `msg` under `key`.
#[must_use]
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; HASH_LEN] {
    keyed_hmac(key).chain_update(msg).finalize().into_bytes().into()
}

/// Compares a computed MAC (or a prefix of it) with a received one in constant time.
///
/// `received` may be a truncation of `computed` (as HMAC allows); an empty `received` never matches.
#[must_use]
pub fn mac_matches(computed: &[u8], received: &[u8]) -> bool {
    !received.is_empty() && received.len() <= computed.len() && bool::from(computed[..received.len()].ct_eq(received))
}

fn keyed_hmac(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of every length (long keys are hashed first), so this cannot fail.
    match <HmacSha256 as KeyInit>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    }
}

/// HKDF-Extract (RFC 5869 section 2.2). An empty `salt` means 32 zero bytes, as the RFC says.
#[must_use]
pub fn hkdf_extract(salt: &[u8], ikm: &[u8]) -> [u8; HASH_LEN] {
    hmac_sha256(salt, ikm)
}

/// HKDF-Expand (RFC 5869 section 2.3) of `prk` with `info` into `out`.
///
/// # Errors
/// [`PrimitiveError::OutputTooLong`] when `out` is longer than [`HKDF_MAX_OUTPUT`].
pub fn hkdf_expand(prk: &[u8; HASH_LEN], info: &[u8], out: &mut [u8]) -> Result<(), PrimitiveError> {
    if out.len() > HKDF_MAX_OUTPUT {
        return Err(PrimitiveError::OutputTooLong);
    }
    let mac = keyed_hmac(prk);
    let mut t = [0u8; HASH_LEN];
    let mut t_len = 0;
    for (i, chunk) in out.chunks_mut(HASH_LEN).enumerate() {
        // i < 255 because out.len() <= 255 * 32, so the counter byte i + 1 fits.
        let counter = u8::try_from(i + 1).map_err(|_| PrimitiveError::OutputTooLong)?;
        let block: [u8; HASH_LEN] = mac
            .clone()
            .chain_update(&t[..t_len])
            .chain_update(info)
            .chain_update([counter])
            .finalize()
            .into_bytes()
            .into();
        t = block;
        t_len = HASH_LEN;
        chunk.copy_from_slice(&t[..chunk.len()]);
    }
    t.zeroize();
    Ok(())
}

/// HKDF (extract then expand) into `out`.
///
/// # Errors
/// [`PrimitiveError::OutputTooLong`] when `out` is longer than [`HKDF_MAX_OUTPUT`].
pub fn hkdf(salt: &[u8], ikm: &[u8], info: &[u8], out: &mut [u8]) -> Result<(), PrimitiveError> {
    let mut prk = hkdf_extract(salt, ikm);
    let result = hkdf_expand(&prk, info, out);
    prk.zeroize();
    result
}

/// HMAC-SHA256 with the key schedule done once, for iterated use (PBKDF2 rounds).
///
/// Cloning the keyed state costs a copy, not the two compression-function calls of keying.
#[derive(Clone)]
pub struct KeyedHmac(HmacSha256);

impl core::fmt::Debug for KeyedHmac {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeyedHmac").finish_non_exhaustive()
    }
}

impl KeyedHmac {
    /// Runs the HMAC key schedule for `key`.
    #[must_use]
    pub fn new(key: &[u8]) -> Self {
        Self(keyed_hmac(key))
    }

    /// HMAC of the concatenation of `parts` under the prepared key.
    #[must_use]
    pub fn mac(&self, parts: &[&[u8]]) -> [u8; HASH_LEN] {
        let mut mac = self.0.clone();
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}

/// PBKDF2 (RFC 8018 section 5.2) with PRF HMAC-SHA256 and a 32-byte output (one block).
///
/// `rounds` is PBKDF2's iteration count `c`; each round is one HMAC-SHA256 call under the
/// prepared key `password`.
#[must_use]
pub fn pbkdf2_sha256(password: &[u8], salt: &[u8], rounds: core::num::NonZeroU32) -> [u8; HASH_LEN] {
    let prf = KeyedHmac::new(password);
    let mut u = prf.mac(&[salt, &1u32.to_be_bytes()]);
    let mut t = u;
    for _ in 1..rounds.get() {
        u = prf.mac(&[&u]);
        for (t_byte, u_byte) in t.iter_mut().zip(u.iter()) {
            *t_byte ^= u_byte;
        }
    }
    u.zeroize();
    t
}

/// X25519 (RFC 7748) of `scalar` and the peer's `point`.
///
/// # Errors
/// [`PrimitiveError::ZeroSharedSecret`] when the result is all zero, which happens exactly when
/// the peer's point has small order; accepting it would let the peer fix the shared secret.
pub fn x25519(scalar: &[u8; X25519_LEN], point: &[u8; X25519_LEN]) -> Result<[u8; X25519_LEN], PrimitiveError> {
    let secret = x25519_dalek::StaticSecret::from(*scalar);
    let shared = secret.diffie_hellman(&x25519_dalek::PublicKey::from(*point));
    let out = *shared.as_bytes();
    if bool::from(out.ct_eq(&[0u8; X25519_LEN])) {
        return Err(PrimitiveError::ZeroSharedSecret);
    }
    Ok(out)
}

/// The X25519 public key of `scalar` (scalar times the base point 9).
#[must_use]
pub fn x25519_public(scalar: &[u8; X25519_LEN]) -> [u8; X25519_LEN] {
    let secret = x25519_dalek::StaticSecret::from(*scalar);
    x25519_dalek::PublicKey::from(&secret).to_bytes()
}

/// ChaCha20-Poly1305 (RFC 8439) encryption of `buffer` in place; returns the detached tag.
#[must_use]
pub fn aead_seal(
    key: &[u8; AEAD_KEY_LEN],
    nonce: &[u8; AEAD_NONCE_LEN],
    aad: &[u8],
    buffer: &mut [u8],
) -> [u8; AEAD_TAG_LEN] {
    let cipher = ChaCha20Poly1305::new(key.into());
    match cipher.encrypt_inout_detached(&Nonce::from(*nonce), aad, buffer.into()) {
        Ok(tag) => tag.into(),
        // Only messages longer than 2^38 - 64 bytes are refused; no Cinder message comes close.
        Err(_) => unreachable!("ChaCha20-Poly1305 input beyond 256 GiB"),
    }
}

/// ChaCha20-Poly1305 decryption of `buffer` in place, releasing plaintext only if `tag` verifies.
///
/// # Errors
/// [`PrimitiveError::AuthenticationFailed`] when the tag does not verify; `buffer` is then zeroed,
/// so no unauthenticated plaintext (or ciphertext mistaken for it) remains.
pub fn aead_open(
    key: &[u8; AEAD_KEY_LEN],
    nonce: &[u8; AEAD_NONCE_LEN],
    aad: &[u8],
    buffer: &mut [u8],
    tag: &[u8; AEAD_TAG_LEN],
) -> Result<(), PrimitiveError> {
    let cipher = ChaCha20Poly1305::new(key.into());
    cipher.decrypt_inout_detached(&Nonce::from(*nonce), aad, buffer.into(), &Tag::from(*tag)).map_err(|_| {
        buffer.zeroize();
        PrimitiveError::AuthenticationFailed
    })
}

/// The Ed25519 public key (RFC 8032 section 5.1.5) of the 32-byte secret `seed`.
#[must_use]
pub fn ed25519_public(seed: &[u8; ED25519_KEY_LEN]) -> [u8; ED25519_KEY_LEN] {
    ed25519_dalek::SigningKey::from_bytes(seed).verifying_key().to_bytes()
}

/// The Ed25519 signature (RFC 8032 section 5.1.6) of `msg` under the secret `seed`. Deterministic:
/// no randomness is involved.
#[must_use]
pub fn ed25519_sign(seed: &[u8; ED25519_KEY_LEN], msg: &[u8]) -> [u8; ED25519_SIGNATURE_LEN] {
    use ed25519_dalek::Signer;
    ed25519_dalek::SigningKey::from_bytes(seed).sign(msg).to_bytes()
}

/// Verifies an Ed25519 signature strictly, by the five rules of SES-012: `S` below the group order
/// `L` as received (never reduced); `A` and `R` canonical encodings; `R` not of small order; `A` in
/// the prime-order subgroup (`[8]A` not the identity and `[L]A` the identity); and the cofactorless
/// equation `[S]B = R + [k]A` with `k` hashed over the bytes as received.
///
/// ed25519-dalek's `verify_strict` makes every check but two: it decodes a non-canonical `A` (a `y`
/// of `p` or more, or the sign bit set on `x = 0`) and accepts an `A` with a torsion component that
/// is not itself of small order. Both are checked here first.
///
/// # Errors
/// [`PrimitiveError::InvalidSignature`] for a public key that is not a curve point, or any failed
/// check; one error for every cause.
pub fn ed25519_verify(
    public: &[u8; ED25519_KEY_LEN],
    msg: &[u8],
    signature: &[u8; ED25519_SIGNATURE_LEN],
) -> Result<(), PrimitiveError> {
    let key = ed25519_dalek::VerifyingKey::from_bytes(public).map_err(|_| PrimitiveError::InvalidSignature)?;
    let point = key.to_edwards();
    // Canonical A: the decoded point re-encodes to the bytes received.
    if point.compress().to_bytes() != *public || !point.is_torsion_free() {
        return Err(PrimitiveError::InvalidSignature);
    }
    key.verify_strict(msg, &ed25519_dalek::Signature::from_bytes(signature))
        .map_err(|_| PrimitiveError::InvalidSignature)
}

/// A deliberately lenient Ed25519 verifier: ed25519-dalek's plain `verify` (cofactorless, `S`
/// below `L`, but no small-order or torsion checks), which accepts the identity-point forgery that
/// SES-012 refuses. Only for the conformance kit's broken adapter, to show that the vectors catch
/// such a verifier. Never use it.
///
/// # Errors
/// [`PrimitiveError::InvalidSignature`] when even the lenient checks fail.
#[cfg(feature = "fault-injection")]
pub fn ed25519_verify_lenient_for_testing_only(
    public: &[u8; ED25519_KEY_LEN],
    msg: &[u8],
    signature: &[u8; ED25519_SIGNATURE_LEN],
) -> Result<(), PrimitiveError> {
    use ed25519_dalek::Verifier;
    let key = ed25519_dalek::VerifyingKey::from_bytes(public).map_err(|_| PrimitiveError::InvalidSignature)?;
    key.verify(msg, &ed25519_dalek::Signature::from_bytes(signature)).map_err(|_| PrimitiveError::InvalidSignature)
}
