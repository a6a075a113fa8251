//! Fuzzing identity hashing (spec/identity.md): every canonicaliser, both hash layers, contact-finder
//! look-ups, the salt / secret / rounds bounds and verification codes, from one byte string.
//!
//! # Input format
//! The first byte is a control byte, the rest is the identifier under test:
//! - every canonicaliser sees the identifier, whatever the control byte says (canonicalising is cheap);
//! - when bit [`HASH_CHECKS`] is set, the hash checks run for the kind `IdentifierKind::ALL[control & 3]`
//!   (thousands of HMAC calls even at [`Rounds::MIN`], so they are opt-in per input: the fuzzer keeps
//!   both fast inputs and hashing ones);
//! - the identifier's first 64 bytes double as two verification-code keys, its length and first four
//!   bytes as salt / secret lengths and a round count.
//!
//! `fuzz/seeds.py` writes the seed corpus in this format from `vectors/identity.json`.
//!
//! # What is checked
//! Nothing panics; an accepted identifier re-canonicalises to itself and has the shape its kind
//! demands; a rejection carries its kind's error code; hashing is deterministic and gives the same
//! hash for an input and its canonical form; the server layer differs from the client layer; kinds
//! are domain-separated; a look-up of two spellings of one identifier returns one hash; verification
//! codes are symmetric and refuse keys that are equal or not 32 bytes.

use cinder::identity::{
    self, BatchProblem, Canonical, ClientSalt, IdentifierKind, IdentityError, IdentityHash, LookupEntry, Rounds,
    ServerSecret,
};

/// Control-byte bit that turns on the hash checks.
pub const HASH_CHECKS: u8 = 0b100;
/// Control-byte bits that pick the kind hashed, as an index into [`IdentifierKind::ALL`].
pub const KIND_MASK: u8 = 0b011;

const CLIENT_SALT: &[u8] = b"cinder fuzz client salt, fixed";
const SERVER_SECRET: [u8; 32] = [0x42; 32];

/// Runs every identity-hashing check on `data` (format in the module documentation).
///
/// # Panics
/// When the reference implementation breaks one of the properties above: that is a finding.
pub fn fuzz_identity(data: &[u8]) {
    let Some((&control, input)) = data.split_first() else {
        return;
    };
    for kind in IdentifierKind::ALL {
        check_canonical(kind, input);
    }
    check_bounds(input);
    check_verification_code(input);
    if control & HASH_CHECKS != 0 {
        check_hashes(IdentifierKind::ALL[usize::from(control & KIND_MASK)], input);
    }
}

/// The spec error code for an identifier of `kind` that has no canonical form.
fn invalid_code(kind: IdentifierKind) -> String {
    format!("identity.invalid_{}", kind.label())
}

/// Leading and trailing SP, HT, LF and CR removed (IDH-003), written independently of the crate.
fn trim(input: &[u8]) -> &[u8] {
    let ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let start = input.iter().position(|b| !ws(b)).unwrap_or(input.len());
    let end = input.iter().rposition(|b| !ws(b)).map_or(start, |i| i + 1);
    &input[start..end]
}

fn check_canonical(kind: IdentifierKind, input: &[u8]) {
    match identity::canonicalize(kind, input) {
        Ok(canonical) => {
            assert_eq!(canonical.kind(), kind);
            let again = identity::canonicalize(kind, canonical.as_bytes());
            assert_eq!(again.as_ref(), Ok(&canonical), "{kind:?}: canonical form does not re-canonicalise to itself");
            check_shape(&canonical, input);
        }
        Err(error) => {
            assert_eq!(error.code(), invalid_code(kind), "{kind:?}: rejection {error:?} has another kind's code")
        }
    }
}

/// The canonical form has exactly the shape its kind's rules describe.
fn check_shape(canonical: &Canonical, input: &[u8]) {
    let bytes = canonical.as_bytes();
    assert!(!bytes.is_empty() && bytes.len() <= identity::MAX_CANONICAL_LEN);
    match canonical.kind() {
        IdentifierKind::UserId => {
            assert!((identity::USER_ID_MIN_LEN..=identity::USER_ID_MAX_LEN).contains(&bytes.len()));
            assert_eq!(bytes, trim(input).to_ascii_lowercase().as_slice());
            assert!(bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(b)));
            assert!(bytes[0].is_ascii_alphanumeric() && bytes[bytes.len() - 1].is_ascii_alphanumeric());
        }
        IdentifierKind::Phone => {
            let digits: Vec<u8> = trim(input).iter().copied().filter(u8::is_ascii_digit).collect();
            assert_eq!(bytes[0], b'+');
            assert_eq!(&bytes[1..], digits.as_slice(), "phone: canonical form is not '+' and the input's digits");
            assert!((identity::PHONE_MIN_DIGITS..=identity::PHONE_MAX_DIGITS).contains(&digits.len()));
            assert_ne!(digits[0], b'0');
        }
        IdentifierKind::Email => {
            assert!(bytes.len() <= identity::EMAIL_MAX_LEN);
            assert_eq!(bytes, trim(input).to_ascii_lowercase().as_slice());
            assert_eq!(bytes.iter().filter(|&&b| b == b'@').count(), 1);
        }
        IdentifierKind::DeviceId => {
            assert!(bytes.len() <= identity::DEVICE_ID_MAX_LEN);
            assert_eq!(bytes, input, "device IDs are opaque: the canonical form is the input");
        }
    }
}

/// Salt, secret and rounds constructors accept exactly their bounds (IDH-020 to IDH-022).
fn check_bounds(input: &[u8]) {
    let len = input.len();
    let salt_ok = (identity::CLIENT_SALT_MIN_LEN..=identity::SALT_MAX_LEN).contains(&len);
    assert_eq!(ClientSalt::new(input).is_ok(), salt_ok, "client salt of {len} bytes");
    let secret_ok = (identity::SERVER_SECRET_MIN_LEN..=identity::SALT_MAX_LEN).contains(&len);
    assert_eq!(ServerSecret::new(input).is_ok(), secret_ok, "server secret of {len} bytes");
    if let Some(&[a, b, c, d]) = input.first_chunk::<4>() {
        let count = u32::from_be_bytes([a, b, c, d]);
        match Rounds::new(count) {
            Ok(rounds) => {
                assert!((Rounds::MIN..=Rounds::MAX).contains(&rounds));
                assert_eq!(rounds.get(), count);
            }
            Err(error) => {
                assert!(!(Rounds::MIN.get()..=Rounds::MAX.get()).contains(&count));
                assert_eq!(error, IdentityError::InvalidRounds { rounds: count });
            }
        }
    }
}

/// Verification codes: symmetric, well formed, and only for two distinct 32-byte keys (IDH-040 to 042).
fn check_verification_code(input: &[u8]) {
    let (a, b) = input.split_at(input.len().min(identity::IDENTITY_KEY_LEN));
    let usable = a.len() == identity::IDENTITY_KEY_LEN && b.len() == identity::IDENTITY_KEY_LEN && a != b;
    match identity::verification_code(a, b) {
        Ok(code) => {
            assert!(usable, "a code for keys of {} and {} bytes", a.len(), b.len());
            assert_code_symmetric(a, b, code);
        }
        Err(error) => {
            assert!(!usable, "distinct 32-byte keys refused: {error:?}");
            assert_eq!(error, IdentityError::InvalidKey);
        }
    }
    // Longer inputs: the first two 32-byte blocks as a pair of keys.
    if let (Some(a), Some(b)) = (input.get(..32), input.get(32..64)) {
        match identity::verification_code(a, b) {
            Ok(code) => assert_code_symmetric(a, b, code),
            Err(error) => assert!(a == b && error == IdentityError::InvalidKey, "refused: {error:?}"),
        }
    }
}

fn assert_code_symmetric(a: &[u8], b: &[u8], code: identity::VerificationCode) {
    assert_eq!(identity::verification_code(b, a), Ok(code), "verification code is not symmetric");
    let text = code.as_str();
    assert_eq!(text.len(), identity::VERIFICATION_CODE_LEN);
    for (i, group) in text.split(' ').enumerate() {
        assert!(i < identity::VERIFICATION_GROUPS && group.len() == 5, "malformed code {text:?}");
        assert!(group.bytes().all(|b| b.is_ascii_digit()), "malformed code {text:?}");
    }
}

/// Both hash layers and the look-up for one kind, at [`Rounds::MIN`] to stay fast.
fn check_hashes(kind: IdentifierKind, input: &[u8]) {
    let salt = ClientSalt::new(CLIENT_SALT).expect("the fixed salt is within bounds");
    let secret = ServerSecret::new(&SERVER_SECRET).expect("the fixed secret is within bounds");
    let rounds = Rounds::MIN;
    let hashed = identity::client_hash(kind, input, &salt, rounds);
    let (canonical, client) = match (identity::canonicalize(kind, input), hashed) {
        (Ok(canonical), Ok(client)) => (canonical, client),
        (Err(rejected), Err(refused)) => {
            assert_eq!(rejected, refused, "client_hash refused with another error than canonicalize");
            return;
        }
        (canonical, hashed) => panic!("canonicalize gave {canonical:?} but client_hash gave {hashed:?}"),
    };

    // Deterministic, and blind to spelling: the canonical form hashes to the same value.
    let again = identity::client_hash(kind, canonical.as_bytes(), &salt, rounds).expect("canonical form accepted");
    assert_eq!(client, again, "{kind:?}: input and its canonical form hash differently");

    let stored = identity::server_hash(kind, &client, &secret, rounds);
    assert_ne!(stored, client, "server layer returned the client hash");
    assert_eq!(stored, identity::server_hash(kind, &client, &secret, rounds), "server hash is not deterministic");

    // Domain separation (IDH-023): the same canonical bytes hashed as another kind differ.
    let other = if kind == IdentifierKind::DeviceId { IdentifierKind::UserId } else { IdentifierKind::DeviceId };
    if let Ok(as_other) = identity::client_hash(other, canonical.as_bytes(), &salt, rounds) {
        assert_ne!(as_other, client, "{kind:?} and {other:?} hashes of the same bytes collide");
    }

    let entries = [LookupEntry { kind, input }, LookupEntry { kind, input: canonical.as_bytes() }];
    let mut out = [IdentityHash([0; 32]); 2];
    match identity::contact_lookup(&entries, &salt, rounds, &mut out) {
        Ok(found) => {
            assert!(matches!(kind, IdentifierKind::Phone | IdentifierKind::Email), "look-up accepted {kind:?}");
            assert_eq!(found, [client], "two spellings of one identifier must give one look-up hash");
        }
        Err(error) => {
            assert!(matches!(kind, IdentifierKind::UserId | IdentifierKind::DeviceId), "look-up refused: {error:?}");
            assert_eq!(error, IdentityError::InvalidBatch(BatchProblem::KindNotAllowed));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `fuzz/seeds.py` writes control bytes with this label order; it must match the crate's.
    #[test]
    fn seed_script_kind_order_matches_the_crate() {
        let script = include_str!("../seeds.py");
        let labels = IdentifierKind::ALL.map(IdentifierKind::label);
        let expected = format!("KIND_ORDER = {labels:?}");
        assert!(script.contains(&expected), "seeds.py must define {expected}");
    }

    #[test]
    fn accepts_spellings_of_every_kind_with_hash_checks() {
        let inputs: [(IdentifierKind, &[u8]); 4] = [
            (IdentifierKind::UserId, b"  Alice_01 "),
            (IdentifierKind::Phone, b"+1 (555) 010-9999"),
            (IdentifierKind::Email, b"Alice@Example.COM\n"),
            (IdentifierKind::DeviceId, b"\x00\xffdevice"),
        ];
        for (kind, input) in inputs {
            let index = IdentifierKind::ALL.iter().position(|&k| k == kind).expect("kind in ALL");
            let control = HASH_CHECKS | u8::try_from(index).expect("four kinds");
            fuzz_identity(&[&[control][..], input].concat());
        }
    }

    #[test]
    fn survives_rejected_and_degenerate_inputs() {
        for data in [&b""[..], b"\x04", b"\x05+44 (0)20 7946 0000", b"\x06no-at-sign", &[0x07; 600]] {
            fuzz_identity(data);
        }
        let mut keys = vec![0u8];
        keys.extend([0x11; 32]);
        keys.extend([0x22; 32]);
        fuzz_identity(&keys);
        keys.truncate(33);
        keys.extend([0x11; 32]);
        fuzz_identity(&keys);
    }

    #[test]
    #[should_panic(expected = "device IDs are opaque")]
    fn shape_check_catches_a_wrong_canonical_form() {
        let canonical = identity::canonicalize(IdentifierKind::DeviceId, b"abc").expect("valid device ID");
        check_shape(&canonical, b"abd");
    }
}
