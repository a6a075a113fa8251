//! `quickcheck::Arbitrary` wrappers that generate valid identity-hashing inputs (feature
//! `quickcheck`).
//!
//! The same inputs as `cinder::strategies` offers to proptest users, for those who test with
//! quickcheck. Each wrapper generates only inputs spec/identity.md accepts, so a property may assert
//! success. The text kinds carry both the raw spelling and the canonical form; the generator builds
//! the canonical form first from its grammar and then spells it, so `canonical` is an oracle that
//! does not come from any implementation.
//!
//! Lengths are drawn from the spec's whole range, not bounded by `Gen::size`: the interesting
//! cases (a 64-byte user ID, a 15-digit phone number) sit at the top of those ranges. Only
//! [`ValidDeviceId`] and the salts shrink, and only to values that stay valid.
//!
//! ```
//! use cinder::identity;
//! use cinder::quickcheck_gen::ValidEmail;
//!
//! fn canonicalises_to_its_oracle(email: ValidEmail) -> bool {
//!     identity::canonicalize(identity::IdentifierKind::Email, &email.raw)
//!         .is_ok_and(|c| c.as_bytes() == email.canonical.as_slice())
//! }
//! quickcheck::QuickCheck::new().tests(32).quickcheck(canonicalises_to_its_oracle as fn(ValidEmail) -> bool);
//! ```

use alloc::boxed::Box;
use alloc::vec::Vec;

use quickcheck::{Arbitrary, Gen};

use crate::identity::{
    CLIENT_SALT_MIN_LEN, DEVICE_ID_MAX_LEN, EMAIL_LOCAL_MAX_LEN, IDENTITY_KEY_LEN, PHONE_MAX_DIGITS, PHONE_MIN_DIGITS,
    Rounds, SALT_MAX_LEN, SERVER_SECRET_MIN_LEN, USER_ID_MAX_LEN, USER_ID_MIN_LEN,
};

/// The whitespace IDH-003 trims from text identifiers: SP, HT, LF, CR.
const TRIMMED: &[u8] = b" \t\n\r";
/// Lower-case letters and digits.
const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
/// Bytes a canonical user ID may hold (IDH-006).
const USER_ID_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789._-";
/// The separators IDH-008 removes from a phone number.
const PHONE_SEPARATORS: &[u8] = b" -.()";
/// RFC 5322 `atext`, lower case (IDH-011).
const ATEXT: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-/=?^_`{|}~";
/// Bytes a domain label may hold (IDH-012).
const LABEL_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-";
/// Lower-case letters.
const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyz";

/// A number in `0..n` (`n` must not be zero).
fn below(g: &mut Gen, n: usize) -> usize {
    usize::arbitrary(g) % n
}

/// A number in `lo..=hi`.
fn between(g: &mut Gen, lo: usize, hi: usize) -> usize {
    lo + below(g, hi - lo + 1)
}

/// One byte of `alphabet` (which must not be empty).
fn pick(g: &mut Gen, alphabet: &[u8]) -> u8 {
    alphabet[below(g, alphabet.len())]
}

/// `len` bytes of `alphabet`.
fn string(g: &mut Gen, alphabet: &[u8], len: usize) -> Vec<u8> {
    (0..len).map(|_| pick(g, alphabet)).collect()
}

/// `len` arbitrary bytes.
fn bytes(g: &mut Gen, len: usize) -> Vec<u8> {
    (0..len).map(|_| u8::arbitrary(g)).collect()
}

/// Zero to three bytes of trimmed whitespace.
fn whitespace(g: &mut Gen) -> Vec<u8> {
    let len = between(g, 0, 3);
    string(g, TRIMMED, len)
}

/// `canonical` with random letter case and surrounding whitespace.
fn spell_text(g: &mut Gen, canonical: &[u8]) -> Vec<u8> {
    let mut raw = whitespace(g);
    for &b in canonical {
        raw.push(if bool::arbitrary(g) { b.to_ascii_uppercase() } else { b });
    }
    raw.extend_from_slice(&whitespace(g));
    raw
}

/// Shorter prefixes of `value`, none shorter than `min`: the shortest first, then half-way, then
/// one byte less.
fn shrink_within(value: &[u8], min: usize) -> impl Iterator<Item = Vec<u8>> + 'static {
    let value = value.to_vec();
    let full = value.len();
    let mut lens = alloc::vec![min, min + (full.saturating_sub(min)) / 2, full.saturating_sub(1)];
    lens.dedup();
    lens.into_iter().filter(move |&len| len >= min && len < full).map(move |len| value[..len].to_vec())
}

/// A valid user ID as typed (IDH-003, IDH-005, IDH-006): `canonical` is 3 to 64 bytes of
/// `[a-z0-9._-]` with an alphanumeric first and last byte; `raw` is it with random letter case and
/// surrounding whitespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidUserId {
    /// The user ID as typed.
    pub raw: Vec<u8>,
    /// Its canonical form.
    pub canonical: Vec<u8>,
}

impl Arbitrary for ValidUserId {
    fn arbitrary(g: &mut Gen) -> Self {
        let len = between(g, USER_ID_MIN_LEN, USER_ID_MAX_LEN);
        let mut canonical = alloc::vec![pick(g, ALNUM)];
        canonical.extend_from_slice(&string(g, USER_ID_CHARS, len - 2));
        canonical.push(pick(g, ALNUM));
        Self { raw: spell_text(g, &canonical), canonical }
    }
}

/// A valid phone number as typed (IDH-007, IDH-008, IDH-009): `canonical` is `+` and 7 to 15
/// digits, the first not `0`; `raw` puts zero to two separators (` `, `-`, `.`, `(`, `)`) in each
/// gap after the `+` and surrounding whitespace around the whole. A `)` that would complete the
/// trunk marker `(0)` is written as `-`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidPhone {
    /// The phone number as typed.
    pub raw: Vec<u8>,
    /// Its canonical E.164 form.
    pub canonical: Vec<u8>,
}

impl Arbitrary for ValidPhone {
    fn arbitrary(g: &mut Gen) -> Self {
        let digits = between(g, PHONE_MIN_DIGITS, PHONE_MAX_DIGITS);
        let mut canonical = alloc::vec![b'+', pick(g, b"123456789")];
        canonical.extend_from_slice(&string(g, b"0123456789", digits - 1));
        let mut raw = whitespace(g);
        raw.push(b'+');
        for i in 1..=canonical.len() {
            let gap = if below(g, 2) == 0 { 0 } else { between(g, 1, 2) };
            for _ in 0..gap {
                let sep = pick(g, PHONE_SEPARATORS);
                raw.push(if sep == b')' && raw.ends_with(b"(0") { b'-' } else { sep });
            }
            if let Some(&digit) = canonical.get(i) {
                raw.push(digit);
            }
        }
        raw.extend_from_slice(&whitespace(g));
        Self { raw, canonical }
    }
}

/// A domain label of 1 to 20 bytes of `[a-z0-9-]`, alphanumeric at both ends (IDH-012).
fn label(g: &mut Gen) -> Vec<u8> {
    let len = between(g, 1, 20);
    let mut label = string(g, LABEL_CHARS, len);
    label[0] = pick(g, ALNUM);
    label[len - 1] = pick(g, ALNUM);
    label
}

/// A valid e-mail address as typed (IDH-003, IDH-010, IDH-011, IDH-012): `canonical` has a local
/// part of dot-separated `atext` atoms (at most 64 bytes) and a domain of two to four labels whose
/// last is not all digits; `raw` is it with random letter case and surrounding whitespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidEmail {
    /// The address as typed.
    pub raw: Vec<u8>,
    /// Its canonical form.
    pub canonical: Vec<u8>,
}

impl Arbitrary for ValidEmail {
    fn arbitrary(g: &mut Gen) -> Self {
        let mut canonical = Vec::new();
        for atom in 0..between(g, 1, 4) {
            if atom > 0 {
                canonical.push(b'.');
            }
            let len = between(g, 1, (EMAIL_LOCAL_MAX_LEN - 3) / 4);
            canonical.extend_from_slice(&string(g, ATEXT, len));
        }
        canonical.push(b'@');
        for _ in 0..between(g, 1, 3) {
            canonical.extend_from_slice(&label(g));
            canonical.push(b'.');
        }
        let mut tld = label(g);
        if tld.iter().all(u8::is_ascii_digit) {
            let last = tld.len() - 1;
            tld[last] = pick(g, LETTERS);
        }
        canonical.extend_from_slice(&tld);
        Self { raw: spell_text(g, &canonical), canonical }
    }
}

/// A valid device hardware ID (IDH-013): 1 to 128 arbitrary bytes, its own canonical form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidDeviceId(pub Vec<u8>);

impl Arbitrary for ValidDeviceId {
    fn arbitrary(g: &mut Gen) -> Self {
        let len = between(g, 1, DEVICE_ID_MAX_LEN);
        Self(bytes(g, len))
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        Box::new(shrink_within(&self.0, 1).map(Self))
    }
}

/// A valid client salt (IDH-020): 16 to 64 arbitrary bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidClientSalt(pub Vec<u8>);

impl Arbitrary for ValidClientSalt {
    fn arbitrary(g: &mut Gen) -> Self {
        let len = between(g, CLIENT_SALT_MIN_LEN, SALT_MAX_LEN);
        Self(bytes(g, len))
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        Box::new(shrink_within(&self.0, CLIENT_SALT_MIN_LEN).map(Self))
    }
}

/// A valid server secret (IDH-021): 32 to 64 arbitrary bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidServerSecret(pub Vec<u8>);

impl Arbitrary for ValidServerSecret {
    fn arbitrary(g: &mut Gen) -> Self {
        let len = between(g, SERVER_SECRET_MIN_LEN, SALT_MAX_LEN);
        Self(bytes(g, len))
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        Box::new(shrink_within(&self.0, SERVER_SECRET_MIN_LEN).map(Self))
    }
}

/// A valid round count (IDH-022), kept cheap: [`Rounds::MIN`] half the time, otherwise 1,000 to
/// 1,100. (Counts up to [`Rounds::MAX`] are valid too, but cost up to a million HMAC calls per
/// hash; build those by hand.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValidRounds(pub Rounds);

impl Arbitrary for ValidRounds {
    fn arbitrary(g: &mut Gen) -> Self {
        let extra = if bool::arbitrary(g) { 0 } else { u32::from(u8::arbitrary(g) % 101) };
        // MIN + 100 is within IDH-022, so the fallback is never taken.
        Self(Rounds::new(Rounds::MIN.get() + extra).unwrap_or(Rounds::MIN))
    }
}

/// Two distinct 32-byte identity keys (IDH-040). When the two draws collide, the second key's
/// first bit is flipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DistinctKeys(pub [u8; IDENTITY_KEY_LEN], pub [u8; IDENTITY_KEY_LEN]);

impl Arbitrary for DistinctKeys {
    fn arbitrary(g: &mut Gen) -> Self {
        let a: [u8; IDENTITY_KEY_LEN] = core::array::from_fn(|_| u8::arbitrary(g));
        let mut b: [u8; IDENTITY_KEY_LEN] = core::array::from_fn(|_| u8::arbitrary(g));
        if a == b {
            b[0] ^= 1;
        }
        Self(a, b)
    }
}
