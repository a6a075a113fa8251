//! Proptest strategies that generate valid identity-hashing inputs (feature `proptest`).
//!
//! These are for anyone property-testing an implementation of spec/identity.md, this crate's own
//! tests included. Every strategy here generates only inputs the spec accepts, so a property may
//! assert success; for the error paths, generate arbitrary bytes and check the error code instead.
//!
//! The text kinds come as a [`Spelling`]: the generator builds the canonical form first, from the
//! grammar of its requirement, and only then spells it the way a person or an address book might
//! (random letter case, separators, surrounding whitespace). So `canonical` is known without asking
//! any implementation, and a property can use it as the oracle for `raw`.
//!
//! ```
//! use cinder::identity;
//! use cinder::strategies;
//! use proptest::prelude::*;
//!
//! proptest!(|(phone in strategies::phone())| {
//!     let canonical = identity::canonicalize(phone.kind, &phone.raw).unwrap();
//!     prop_assert_eq!(canonical.as_bytes(), &phone.canonical[..]);
//! });
//! ```

use alloc::vec::Vec;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use crate::identity::{
    CLIENT_SALT_MIN_LEN, DEVICE_ID_MAX_LEN, IDENTITY_KEY_LEN, IdentifierKind, PHONE_MAX_DIGITS, PHONE_MIN_DIGITS,
    Rounds, SALT_MAX_LEN, SERVER_SECRET_MIN_LEN, USER_ID_MAX_LEN,
};

/// The whitespace IDH-003 trims from text identifiers: SP, HT, LF, CR.
const TRIMMED: &[u8] = b" \t\n\r";
/// Lower-case letters and digits.
const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
/// Bytes a canonical user ID may hold (IDH-006).
const USER_ID_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789._-";
/// Digits that may start a country code (IDH-009).
const NONZERO_DIGITS: &[u8] = b"123456789";
/// All decimal digits.
const DIGITS: &[u8] = b"0123456789";
/// The separators IDH-008 removes from a phone number.
const PHONE_SEPARATORS: &[u8] = b" -.()";
/// RFC 5322 `atext`, lower case (IDH-011).
const ATEXT: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-/=?^_`{|}~";
/// Bytes a domain label may hold (IDH-012).
const LABEL_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-";
/// Lower-case letters.
const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyz";

/// A raw spelling of an identifier together with the canonical form spec/identity.md assigns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spelling {
    /// The kind of identifier.
    pub kind: IdentifierKind,
    /// The identifier as a user typed it or an address book stored it.
    pub raw: Vec<u8>,
    /// Its canonical form, built by the generator from the grammar (not computed by this crate).
    pub canonical: Vec<u8>,
}

/// Zero to three bytes of the whitespace that IDH-003 trims (SP, HT, LF, CR), to surround a text
/// identifier.
pub fn trimmed_whitespace() -> impl Strategy<Value = Vec<u8>> {
    vec(select(TRIMMED), 0..=3)
}

/// Upper-cases each ASCII letter of `canonical` where `upper` says so.
fn recase(canonical: &[u8], upper: &[bool]) -> Vec<u8> {
    canonical.iter().zip(upper).map(|(&b, &up)| if up { b.to_ascii_uppercase() } else { b }).collect()
}

/// Surrounds `body` with `lead` and `trail`.
fn surround(lead: Vec<u8>, body: &[u8], trail: &[u8]) -> Vec<u8> {
    let mut raw = lead;
    raw.extend_from_slice(body);
    raw.extend_from_slice(trail);
    raw
}

/// Spells a canonical text identifier with random letter case and surrounding whitespace: the
/// variations IDH-003, IDH-005 and IDH-010 say do not matter.
fn recased_and_padded(kind: IdentifierKind, canonical: Vec<u8>) -> impl Strategy<Value = Spelling> {
    let n = canonical.len();
    (Just(canonical), vec(any::<bool>(), n), trimmed_whitespace(), trimmed_whitespace()).prop_map(
        move |(canonical, upper, lead, trail)| Spelling {
            kind,
            raw: surround(lead, &recase(&canonical, &upper), &trail),
            canonical,
        },
    )
}

/// Canonical user IDs (IDH-006): 3 to 64 bytes of `[a-z0-9._-]`, first and last alphanumeric.
pub fn canonical_user_id() -> impl Strategy<Value = Vec<u8>> {
    (select(ALNUM), vec(select(USER_ID_CHARS), 1..=USER_ID_MAX_LEN - 2), select(ALNUM)).prop_map(
        |(first, middle, last)| {
            let mut id = Vec::with_capacity(middle.len() + 2);
            id.push(first);
            id.extend_from_slice(&middle);
            id.push(last);
            id
        },
    )
}

/// Valid user IDs as typed: a [`canonical_user_id`] with random letter case and surrounding
/// whitespace, which IDH-003 and IDH-005 remove.
pub fn user_id() -> impl Strategy<Value = Spelling> {
    canonical_user_id().prop_flat_map(|canonical| recased_and_padded(IdentifierKind::UserId, canonical))
}

/// Canonical phone numbers (IDH-009): `+` and 7 to 15 digits, the first not `0`.
pub fn canonical_phone() -> impl Strategy<Value = Vec<u8>> {
    (select(NONZERO_DIGITS), vec(select(DIGITS), PHONE_MIN_DIGITS - 1..=PHONE_MAX_DIGITS - 1)).prop_map(
        |(first, rest)| {
            let mut number = Vec::with_capacity(rest.len() + 2);
            number.push(b'+');
            number.push(first);
            number.extend_from_slice(&rest);
            number
        },
    )
}

/// Valid spellings of the phone number `canonical` (which must be canonical): after the `+`,
/// every gap between digits and the end get zero to two of the separators IDH-008 removes
/// (` `, `-`, `.`, `(`, `)`), and the whole is surrounded by whitespace (IDH-003).
///
/// A separator run never completes the trunk marker `(0)`, which IDH-008 rejects rather than
/// removes: a `)` that would follow `(0` is written as `-` instead.
pub fn phone_spelling(canonical: Vec<u8>) -> impl Strategy<Value = Spelling> {
    let digits = canonical.len().saturating_sub(1);
    let gap = prop_oneof![3 => Just(Vec::new()), 2 => vec(select(PHONE_SEPARATORS), 1..=2)];
    (Just(canonical), vec(gap, digits + 1), trimmed_whitespace(), trimmed_whitespace()).prop_map(
        |(canonical, gaps, lead, trail)| {
            let mut body = Vec::with_capacity(canonical.len() + 2 * gaps.len());
            body.push(b'+');
            for (i, gap) in gaps.iter().enumerate() {
                for &sep in gap {
                    body.push(if sep == b')' && body.ends_with(b"(0") { b'-' } else { sep });
                }
                if let Some(&digit) = canonical.get(i + 1) {
                    body.push(digit);
                }
            }
            Spelling { kind: IdentifierKind::Phone, raw: surround(lead, &body, &trail), canonical }
        },
    )
}

/// Valid phone numbers as typed: a [`canonical_phone`] spelled by [`phone_spelling`] (IDH-007,
/// IDH-008, IDH-009).
pub fn phone() -> impl Strategy<Value = Spelling> {
    canonical_phone().prop_flat_map(phone_spelling)
}

/// A domain label (IDH-012): 1 to 20 bytes of `[a-z0-9-]`, not starting or ending with `-`.
fn domain_label() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        select(ALNUM).prop_map(|c| alloc::vec![c]),
        (select(ALNUM), vec(select(LABEL_CHARS), 0..=18), select(ALNUM)).prop_map(|(first, middle, last)| {
            let mut label = alloc::vec![first];
            label.extend_from_slice(&middle);
            label.push(last);
            label
        }),
    ]
}

/// Canonical e-mail addresses (IDH-010 to IDH-012): a local part of one to four dot-separated
/// atoms of 1 to 15 `atext` bytes (so at most 63 bytes), `@`, and a domain of two to four labels
/// whose last label is not all digits (a digit-only last label gets a letter in its last place).
/// The longest is 63 + 1 + 83 bytes, well inside the 254-byte limit.
pub fn canonical_email() -> impl Strategy<Value = Vec<u8>> {
    let local = vec(vec(select(ATEXT), 1..=15), 1..=4);
    let domain = vec(domain_label(), 1..=3);
    (local, domain, domain_label(), select(LETTERS)).prop_map(|(atoms, labels, mut tld, letter)| {
        if tld.iter().all(u8::is_ascii_digit)
            && let Some(last) = tld.last_mut()
        {
            *last = letter;
        }
        let mut address = atoms.join(&b'.');
        address.push(b'@');
        for label in labels {
            address.extend_from_slice(&label);
            address.push(b'.');
        }
        address.extend_from_slice(&tld);
        address
    })
}

/// Valid e-mail addresses as typed: a [`canonical_email`] with random letter case and surrounding
/// whitespace, which IDH-003 and IDH-010 remove.
pub fn email() -> impl Strategy<Value = Spelling> {
    canonical_email().prop_flat_map(|canonical| recased_and_padded(IdentifierKind::Email, canonical))
}

/// Valid device hardware IDs (IDH-013): 1 to 128 arbitrary bytes, which are their own canonical
/// form.
pub fn device_id() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 1..=DEVICE_ID_MAX_LEN)
}

/// A valid identifier of `kind`, as a [`Spelling`] (a device ID is spelled as itself).
pub fn identifier_of(kind: IdentifierKind) -> BoxedStrategy<Spelling> {
    match kind {
        IdentifierKind::UserId => user_id().boxed(),
        IdentifierKind::Phone => phone().boxed(),
        IdentifierKind::Email => email().boxed(),
        IdentifierKind::DeviceId => device_id()
            .prop_map(|id| Spelling { kind: IdentifierKind::DeviceId, raw: id.clone(), canonical: id })
            .boxed(),
    }
}

/// Every identifier kind (IDH-001), uniformly.
pub fn identifier_kind() -> impl Strategy<Value = IdentifierKind> {
    select(&IdentifierKind::ALL[..])
}

/// A valid identifier of any kind, the kind chosen uniformly.
pub fn identifier() -> impl Strategy<Value = Spelling> {
    identifier_kind().prop_flat_map(identifier_of)
}

/// A valid contact-finder entry (IDH-030): a phone number or an e-mail address, as typed.
pub fn lookup_entry() -> impl Strategy<Value = Spelling> {
    prop_oneof![phone(), email()]
}

/// Valid client salts (IDH-020): 16 to 64 arbitrary bytes.
pub fn client_salt() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), CLIENT_SALT_MIN_LEN..=SALT_MAX_LEN)
}

/// Valid server secrets (IDH-021): 32 to 64 arbitrary bytes.
pub fn server_secret() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), SERVER_SECRET_MIN_LEN..=SALT_MAX_LEN)
}

/// Valid round counts (IDH-022), biased towards the cheap end: [`Rounds::MIN`] half the time,
/// 1,000 to 1,100 most of the rest, and anything up to [`Rounds::MAX`] one time in ten (each of
/// those costs up to a million HMAC calls per hash, so keep case counts low when using this).
pub fn rounds() -> impl Strategy<Value = Rounds> {
    let min = Rounds::MIN.get();
    prop_oneof![
        5 => Just(min),
        4 => min..=min + 100,
        1 => min..=Rounds::MAX.get(),
    ]
    .prop_filter_map("a count within IDH-022", |n| Rounds::new(n).ok())
}

/// Pairs of distinct 32-byte identity keys, as a verification code compares (IDH-040). When the
/// two draws collide, the second key's first bit is flipped.
pub fn identity_key_pair() -> impl Strategy<Value = ([u8; IDENTITY_KEY_LEN], [u8; IDENTITY_KEY_LEN])> {
    (any::<[u8; IDENTITY_KEY_LEN]>(), any::<[u8; IDENTITY_KEY_LEN]>()).prop_map(|(a, mut b)| {
        if a == b {
            b[0] ^= 1;
        }
        (a, b)
    })
}
