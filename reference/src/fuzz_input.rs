//! Structure-aware fuzz inputs for identity hashing (feature `arbitrary`).
//!
//! A byte-level fuzzer rarely produces a salt of the right length next to a round count inside the
//! bounds of IDH-022 next to an identifier; these types let `arbitrary` carve such inputs out of
//! the fuzzer's bytes, with round counts kept small enough to hash thousands of times a second.
//! Each type's `assert_invariants` runs the operation and panics when the reference breaks a rule
//! the spec states, so a fuzz target is one line:
//!
//! ```text
//! fuzz_target!(|input: cinder::fuzz_input::IdentityFuzzInput<'_>| input.assert_invariants());
//! ```
//!
//! Nothing here allocates: the types borrow the fuzzer's bytes, and the crate stays `no_std`.

use arbitrary::{Arbitrary, Unstructured};

use crate::identity::{
    self, CLIENT_SALT_MIN_LEN, ClientSalt, IDENTITY_KEY_LEN, IdentifierKind, IdentityError, IdentityHash, LookupEntry,
    Rounds, SALT_MAX_LEN, VERIFICATION_CODE_LEN,
};

/// The error code each kind's canonicalisation failures carry (spec/identity.md, error taxonomy).
#[must_use]
pub const fn invalid_code(kind: IdentifierKind) -> &'static str {
    match kind {
        IdentifierKind::UserId => "identity.invalid_user_id",
        IdentifierKind::Phone => "identity.invalid_phone",
        IdentifierKind::Email => "identity.invalid_email",
        IdentifierKind::DeviceId => "identity.invalid_device_id",
    }
}

/// A round count drawn around the lower bound of IDH-022, where hashing is cheap, and sometimes
/// just past the upper bound, where nothing is hashed. From one byte `b`:
///
/// | `b`        | count                              | valid |
/// |------------|------------------------------------|-------|
/// | 0..=223    | 1,000 + `b` mod 8                  | yes   |
/// | 224..=239  | 999 − (`b` − 224), down to 984     | no    |
/// | 240..=253  | 1,000,001 + (`b` − 240)            | no    |
/// | 254        | 0                                  | no    |
/// | 255        | `u32::MAX`                         | no    |
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FuzzRounds(pub u32);

impl<'a> Arbitrary<'a> for FuzzRounds {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let b = u8::arbitrary(u)?;
        let min = Rounds::MIN.get();
        Ok(Self(match b {
            0..=223 => min + u32::from(b % 8),
            224..=239 => min - 1 - u32::from(b - 224),
            240..=253 => Rounds::MAX.get() + 1 + u32::from(b - 240),
            254 => 0,
            255 => u32::MAX,
        }))
    }

    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, Some(1))
    }
}

/// One identifier, a client salt and a round count: what `identity::client_hash` takes.
#[derive(Clone, Copy, Debug, Arbitrary)]
pub struct IdentityFuzzInput<'a> {
    /// The identifier kind.
    pub kind: IdentifierKind,
    /// The client salt; valid when 16 to 64 bytes long (IDH-020).
    pub salt: &'a [u8],
    /// The round count.
    pub rounds: FuzzRounds,
    /// The raw identifier: the rest of the fuzzer's bytes.
    pub input: &'a [u8],
}

impl IdentityFuzzInput<'_> {
    /// Canonicalises and hashes the input and checks what the spec says of the result:
    ///
    /// - a rejection carries the kind's own error code (IDH-001 with the error taxonomy);
    /// - a canonical form is its own canonical form (IDH-014);
    /// - the salt and round count are accepted exactly within their bounds (IDH-020, IDH-022);
    /// - `client_hash` succeeds exactly when canonicalisation does, with the same error, and then
    ///   equals the client layer applied to the canonical form (IDH-024, IDH-025).
    ///
    /// # Panics
    /// When any of those fails: that is the finding.
    pub fn assert_invariants(&self) {
        let canonical = identity::canonicalize(self.kind, self.input);
        match &canonical {
            Ok(c) => {
                assert_eq!(c.kind(), self.kind, "canonical form changed kind");
                let again = identity::canonicalize(self.kind, c.as_bytes());
                assert_eq!(again.as_ref().ok(), Some(c), "IDH-014: canonicalisation is not idempotent");
            }
            Err(e) => assert_eq!(e.code(), invalid_code(self.kind), "rejection with another kind's code"),
        }

        let salt = ClientSalt::new(self.salt);
        let salt_ok = (CLIENT_SALT_MIN_LEN..=SALT_MAX_LEN).contains(&self.salt.len());
        assert_eq!(salt.is_ok(), salt_ok, "IDH-020: salt of {} bytes", self.salt.len());
        let rounds = Rounds::new(self.rounds.0);
        let rounds_ok = (Rounds::MIN.get()..=Rounds::MAX.get()).contains(&self.rounds.0);
        assert_eq!(rounds.is_ok(), rounds_ok, "IDH-022: {} rounds", self.rounds.0);

        if let (Ok(salt), Ok(rounds)) = (salt, rounds) {
            let hashed = identity::client_hash(self.kind, self.input, &salt, rounds);
            match (&canonical, hashed) {
                (Ok(c), Ok(h)) => assert_eq!(h, identity::client_hash_canonical(c, &salt, rounds)),
                (Err(e), Err(f)) => assert_eq!(*e, f, "client_hash rejected differently from canonicalize"),
                (Ok(_), Err(f)) => panic!("client_hash rejected a canonicalisable input: {f}"),
                (Err(e), Ok(_)) => panic!("client_hash accepted an input canonicalize rejects: {e}"),
            }
        }
    }
}

/// Most entries a [`LookupFuzzInput`] carries; enough to exercise sorting and de-duplication while
/// keeping each run cheap.
pub const MAX_FUZZ_ENTRIES: usize = 8;

/// One contact-finder entry of any kind (only phone and e-mail are allowed, IDH-030).
#[derive(Clone, Copy, Debug, Arbitrary)]
pub struct FuzzEntry<'a> {
    /// The entry's kind.
    pub kind: IdentifierKind,
    /// The entry as an address book holds it.
    pub input: &'a [u8],
}

/// A contact-finder batch of 0 to [`MAX_FUZZ_ENTRIES`] entries, a client salt and a round count.
#[derive(Clone, Copy, Debug, Arbitrary)]
pub struct LookupFuzzInput<'a> {
    /// The client salt.
    pub salt: &'a [u8],
    /// The round count.
    pub rounds: FuzzRounds,
    /// The batch holds the first `count % (MAX_FUZZ_ENTRIES + 1)` of `entries`.
    pub count: u8,
    /// The candidate entries.
    pub entries: [FuzzEntry<'a>; MAX_FUZZ_ENTRIES],
}

impl LookupFuzzInput<'_> {
    /// Runs `identity::contact_lookup` (when the salt and round count are valid) and checks:
    ///
    /// - an empty batch, or one holding a kind other than phone or e-mail, is
    ///   `identity.invalid_batch` (IDH-030);
    /// - otherwise a batch with an invalid entry fails with the first such entry's own error;
    /// - a successful output is strictly ascending, so sorted and free of duplicates (IDH-032), and
    ///   is exactly the set of the entries' individual client hashes (IDH-031).
    ///
    /// # Panics
    /// When any of those fails.
    pub fn assert_invariants(&self) {
        let (Ok(salt), Ok(rounds)) = (ClientSalt::new(self.salt), Rounds::new(self.rounds.0)) else {
            return;
        };
        let n = usize::from(self.count) % (MAX_FUZZ_ENTRIES + 1);
        let all = self.entries.map(|e| LookupEntry { kind: e.kind, input: e.input });
        let entries = &all[..n];
        let mut out = [IdentityHash([0; 32]); MAX_FUZZ_ENTRIES];
        let result = identity::contact_lookup(entries, &salt, rounds, &mut out);

        let kinds_ok = entries.iter().all(|e| matches!(e.kind, IdentifierKind::Phone | IdentifierKind::Email));
        let first_bad = entries.iter().find_map(|e| identity::canonicalize(e.kind, e.input).err());
        match result {
            Err(e) if n == 0 || !kinds_ok => assert_eq!(e.code(), "identity.invalid_batch", "IDH-030"),
            Err(e) => assert_eq!(Some(e), first_bad, "a batch error that is not the first bad entry's"),
            Ok(hashes) => {
                assert!(n > 0 && kinds_ok && first_bad.is_none(), "an invalid batch was accepted");
                assert!(hashes.windows(2).all(|w| w[0] < w[1]), "IDH-032: output not strictly ascending");
                for entry in entries {
                    let own = identity::client_hash(entry.kind, entry.input, &salt, rounds);
                    assert!(own.is_ok_and(|h| hashes.contains(&h)), "IDH-031: an entry's hash is missing");
                }
                for hash in hashes {
                    let from_entry = entries
                        .iter()
                        .any(|e| identity::client_hash(e.kind, e.input, &salt, rounds).is_ok_and(|h| h == *hash));
                    assert!(from_entry, "IDH-031: a hash no entry produced");
                }
            }
        }
    }
}

/// An identity key as the fuzzer offers it: usually exactly 32 bytes, sometimes any length.
#[derive(Clone, Copy, Debug, Arbitrary)]
pub enum FuzzKey<'a> {
    /// A key of the right length (IDH-040).
    Key([u8; IDENTITY_KEY_LEN]),
    /// Bytes of any length.
    Raw(&'a [u8]),
}

impl FuzzKey<'_> {
    /// The key bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Key(key) => key,
            Self::Raw(bytes) => bytes,
        }
    }
}

/// Two identity keys for a verification code; with `reuse_a` the second key is the first again,
/// to reach the equal-keys rule of IDH-040.
#[derive(Clone, Copy, Debug, Arbitrary)]
pub struct VerificationFuzzInput<'a> {
    /// Compare `key_a` with itself instead of with `key_b`.
    pub reuse_a: bool,
    /// The first key.
    pub key_a: FuzzKey<'a>,
    /// The second key.
    pub key_b: FuzzKey<'a>,
}

impl VerificationFuzzInput<'_> {
    /// Computes the verification code both ways round and checks:
    ///
    /// - it is refused with `identity.invalid_key` exactly when a key is not 32 bytes or the keys
    ///   are equal (IDH-040);
    /// - it does not depend on the order of the keys (IDH-041);
    /// - it is 8 groups of 5 decimal digits separated by single spaces (IDH-042).
    ///
    /// # Panics
    /// When any of those fails.
    pub fn assert_invariants(&self) {
        let a = self.key_a.as_bytes();
        let b = if self.reuse_a { a } else { self.key_b.as_bytes() };
        let should_accept = a.len() == IDENTITY_KEY_LEN && b.len() == IDENTITY_KEY_LEN && a != b;
        match (identity::verification_code(a, b), identity::verification_code(b, a)) {
            (Ok(ab), Ok(ba)) => {
                assert!(should_accept, "IDH-040: keys of {} and {} bytes accepted", a.len(), b.len());
                assert_eq!(ab, ba, "IDH-041: the code depends on the order of the keys");
                let text = ab.as_str().as_bytes();
                assert_eq!(text.len(), VERIFICATION_CODE_LEN);
                for (i, &c) in text.iter().enumerate() {
                    let is_gap = i % 6 == 5;
                    assert!(if is_gap { c == b' ' } else { c.is_ascii_digit() }, "IDH-042: bad code {ab}");
                }
            }
            (Err(e), Err(f)) => {
                assert!(!should_accept, "IDH-040: valid distinct keys refused");
                assert_eq!((e, f), (IdentityError::InvalidKey, IdentityError::InvalidKey));
            }
            _ => panic!("IDH-041: the code was refused one way round only"),
        }
    }
}
