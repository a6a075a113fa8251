//! Properties of identity hashing (spec/identity.md), checked over generated inputs.
//!
//! Valid inputs come from `cinder::strategies` (proptest) and `cinder::quickcheck_gen`
//! (quickcheck); each carries a canonical form the generator built from the grammar, which serves
//! as the oracle. The grammar checkers below are written from the spec's rules, separately from
//! `identity.rs`. Hashing properties use `Rounds::MIN` and 64 cases to stay fast.

use std::collections::BTreeSet;

use arbitrary::{Arbitrary, Unstructured};
use cinder::fuzz_input::{FuzzEntry, FuzzRounds, IdentityFuzzInput, LookupFuzzInput, VerificationFuzzInput};
use cinder::identity::{
    self, ClientSalt, IdentifierKind, IdentityError, IdentityHash, LookupEntry, Rounds, ServerSecret,
};
use cinder::primitives;
use cinder::quickcheck_gen::{
    DistinctKeys, ValidClientSalt, ValidDeviceId, ValidEmail, ValidPhone, ValidRounds, ValidServerSecret, ValidUserId,
};
use cinder::strategies::{self, Spelling};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use quickcheck::QuickCheck;

/// Case count for properties that run PBKDF2.
const HASH_CASES: u32 = 64;

fn kind_code(kind: IdentifierKind) -> &'static str {
    match kind {
        IdentifierKind::UserId => "identity.invalid_user_id",
        IdentifierKind::Phone => "identity.invalid_phone",
        IdentifierKind::Email => "identity.invalid_email",
        IdentifierKind::DeviceId => "identity.invalid_device_id",
    }
}

fn salt(bytes: &[u8]) -> ClientSalt<'_> {
    ClientSalt::new(bytes).expect("the strategy generates valid client salts")
}

fn hash(kind: IdentifierKind, input: &[u8], salt_bytes: &[u8]) -> IdentityHash {
    identity::client_hash(kind, input, &salt(salt_bytes), Rounds::MIN).expect("the strategy generates valid input")
}

// ---------------------------------------------------------------------------------------------
// Grammar checkers, written from IDH-006, IDH-009, IDH-011, IDH-012 and IDH-013.
// ---------------------------------------------------------------------------------------------

fn is_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// IDH-006.
fn obeys_user_id_grammar(c: &[u8]) -> bool {
    (3..=64).contains(&c.len())
        && c.iter().all(|&b| is_alnum(b) || b".-_".contains(&b))
        && c.first().is_some_and(|&b| is_alnum(b))
        && c.last().is_some_and(|&b| is_alnum(b))
}

/// IDH-009.
fn obeys_phone_grammar(c: &[u8]) -> bool {
    match c.split_first() {
        Some((b'+', digits)) => {
            (7..=15).contains(&digits.len())
                && digits.iter().all(u8::is_ascii_digit)
                && digits.first().is_some_and(|&d| d != b'0')
        }
        _ => false,
    }
}

/// IDH-010 to IDH-012.
fn obeys_email_grammar(c: &[u8]) -> bool {
    let atext = |b: u8| is_alnum(b) || b"!#$%&'*+-/=?^_`{|}~".contains(&b);
    let Some(at) = c.iter().position(|&b| b == b'@') else { return false };
    let (local, domain) = (&c[..at], &c[at + 1..]);
    let local_ok = (1..=64).contains(&local.len())
        && local.split(|&b| b == b'.').all(|atom| !atom.is_empty() && atom.iter().all(|&b| atext(b)));
    let labels: Vec<&[u8]> = domain.split(|&b| b == b'.').collect();
    let labels_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            (1..=63).contains(&l.len())
                && l.iter().all(|&b| is_alnum(b) || b == b'-')
                && l.first() != Some(&b'-')
                && l.last() != Some(&b'-')
        })
        && labels.last().is_some_and(|l| !l.iter().all(u8::is_ascii_digit));
    c.len() <= 254 && local_ok && labels_ok
}

/// IDH-013.
fn obeys_device_id_grammar(c: &[u8]) -> bool {
    (1..=128).contains(&c.len())
}

fn obeys_grammar(kind: IdentifierKind, c: &[u8]) -> bool {
    match kind {
        IdentifierKind::UserId => obeys_user_id_grammar(c),
        IdentifierKind::Phone => obeys_phone_grammar(c),
        IdentifierKind::Email => obeys_email_grammar(c),
        IdentifierKind::DeviceId => obeys_device_id_grammar(c),
    }
}

/// Bytes that sit on the edges of the grammars: case, separators, `@`, dots, whitespace that is and
/// is not trimmed, a non-ASCII byte, and `atext` punctuation.
const EDGE_BYTES: &[u8] = b"aZ09.-_@+() \t\r\n\x0b\x0c\x00\x80\xff!~\"[]:,/";

/// A valid spelling of `kind`, then zero to three random edits (replace, insert or delete a byte
/// from [`EDGE_BYTES`]), so that inputs land on both sides of every rule.
fn near_valid(kind: IdentifierKind) -> impl Strategy<Value = Vec<u8>> {
    (strategies::identifier_of(kind), vec((0u8..3, any::<Index>(), select(EDGE_BYTES)), 0..=3)).prop_map(
        |(spelling, edits)| {
            let mut raw = spelling.raw;
            for (op, at, byte) in edits {
                match op {
                    0 if !raw.is_empty() => {
                        let i = at.index(raw.len());
                        raw[i] = byte;
                    }
                    1 => raw.insert(at.index(raw.len() + 1), byte),
                    _ if !raw.is_empty() => {
                        raw.remove(at.index(raw.len()));
                    }
                    _ => {}
                }
            }
            raw
        },
    )
}

fn kind_and_near_valid() -> impl Strategy<Value = (IdentifierKind, Vec<u8>)> {
    strategies::identifier_kind().prop_flat_map(|kind| (Just(kind), near_valid(kind)))
}

fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Variants of the canonical identifier `c` that each break exactly one rule, named by the rule.
fn broken_variants(kind: IdentifierKind, c: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let mut v: Vec<(&'static str, Vec<u8>)> = vec![("empty (IDH-003, IDH-013)", Vec::new())];
    match kind {
        IdentifierKind::UserId => {
            for edge in [b".", b"_", b"-"] {
                v.push(("leading punctuation (IDH-006)", concat(&[edge, c])));
                v.push(("trailing punctuation (IDH-006)", concat(&[c, edge])));
            }
            for bad in [b" ", b"@", b"+", b"/", b"\x80", b"\x0b"] {
                v.push(("forbidden byte inside (IDH-004, IDH-006)", concat(&[&c[..1], bad, &c[1..]])));
            }
            v.push(("two bytes (IDH-006)", c[..1].repeat(2)));
            v.push(("65 bytes (IDH-006)", concat(&[c, &b"a".repeat(65 - c.len())])));
            v.push(("whitespace only (IDH-003)", b" \t\r\n".to_vec()));
        }
        IdentifierKind::Phone => {
            let digits = &c[1..];
            v.push(("no '+' (IDH-007)", digits.to_vec()));
            v.push(("'00' prefix (IDH-007)", concat(&[b"00", digits])));
            v.push(("first digit 0 (IDH-009)", concat(&[b"+0", &digits[1..]])));
            v.push(("second '+' (IDH-008)", concat(&[c, b"+"])));
            for bad in [b"/", b"x", b"\t", b"#", b"*", b","] {
                v.push(("non-separator inside (IDH-008)", concat(&[&c[..2], bad, &c[2..]])));
            }
            v.push(("6 digits (IDH-009)", c[..7].to_vec()));
            v.push(("16 digits (IDH-009)", concat(&[c, &b"5".repeat(16 - digits.len())])));
        }
        IdentifierKind::Email => {
            let at = c.iter().position(|&b| b == b'@').expect("canonical e-mail has an '@'");
            let (local, domain) = (&c[..at], &c[at + 1..]);
            let first_dot = domain.iter().position(|&b| b == b'.').expect("two labels");
            let before_tld = domain.iter().rposition(|&b| b == b'.').expect("two labels");
            v.push(("no '@' (IDH-010)", concat(&[local, domain])));
            v.push(("two '@' (IDH-010)", concat(&[local, b"@", c])));
            v.push(("leading dot in local part (IDH-011)", concat(&[b".", c])));
            v.push(("trailing dot in local part (IDH-011)", concat(&[local, b".@", domain])));
            v.push(("double dot in local part (IDH-011)", concat(&[&local[..1], b"..", &c[1..]])));
            for bad in [b"(", b"\"", b" ", b",", b"[", b":", b"\\"] {
                v.push(("non-atext in local part (IDH-011)", concat(&[&c[..1], bad, &c[1..]])));
            }
            v.push(("65-byte local part (IDH-011)", concat(&[&b"l".repeat(65), b"@", domain])));
            v.push(("single-label domain (IDH-012)", c[..at + 1 + first_dot].to_vec()));
            v.push(("leading dot in domain (IDH-012)", concat(&[local, b"@.", domain])));
            v.push(("trailing dot in domain (IDH-012)", concat(&[c, b"."])));
            v.push((
                "double dot in domain (IDH-012)",
                concat(&[&c[..at + 1 + first_dot], b".", &c[at + 1 + first_dot..]]),
            ));
            v.push(("label starts with '-' (IDH-012)", concat(&[local, b"@-", domain])));
            v.push((
                "label ends with '-' (IDH-012)",
                concat(&[&c[..at + 1 + first_dot], b"-", &c[at + 1 + first_dot..]]),
            ));
            v.push(("'_' in domain (IDH-012)", concat(&[local, b"@_", domain])));
            v.push(("all-digit last label (IDH-012)", concat(&[&c[..at + 1 + before_tld], b".123"])));
            v.push(("address literal (IDH-012)", concat(&[local, b"@[192.0.2.1]"])));
            let label = |b: u8, n: usize| vec![b; n];
            let long = [local, b"@", &label(b'a', 63), b".", &label(b'b', 63), b".", &label(b'c', 63), b"."].concat();
            let pad = 255usize.saturating_sub(long.len() + 3).max(1);
            v.push(("255-byte address (IDH-010)", concat(&[&long, &label(b'd', pad), b".io"])));
        }
        IdentifierKind::DeviceId => {
            v.push(("129 bytes (IDH-013)", concat(&[c, &vec![0x5a; 129 - c.len()]])));
        }
    }
    v
}

fn kind_and_bytes() -> impl Strategy<Value = (IdentifierKind, Vec<u8>)> {
    (strategies::identifier_kind(), vec(any::<u8>(), 0..600))
}

proptest! {
    // -----------------------------------------------------------------------------------------
    // Canonicalisation.
    // -----------------------------------------------------------------------------------------

    /// IDH-014: the canonical form of a canonical form is itself, for valid spellings of every kind.
    #[test]
    fn canonicalisation_is_idempotent(spelling in strategies::identifier()) {
        let once = identity::canonicalize(spelling.kind, &spelling.raw).expect("valid spelling");
        let twice = identity::canonicalize(spelling.kind, once.as_bytes()).expect("a canonical form is valid");
        prop_assert_eq!(once.as_bytes(), twice.as_bytes());
    }

    /// IDH-014, over inputs near the edges of each grammar: whatever is accepted is idempotent.
    #[test]
    fn canonicalisation_is_idempotent_near_the_edges_of_each_grammar((kind, raw) in kind_and_near_valid()) {
        if let Ok(once) = identity::canonicalize(kind, &raw) {
            let twice = identity::canonicalize(kind, once.as_bytes());
            prop_assert_eq!(twice.as_ref().map(|c| c.as_bytes()), Ok(once.as_bytes()));
        }
    }

    /// IDH-007, IDH-008, IDH-009: two spellings of one phone number, with separators anywhere after
    /// the `+` and whitespace around it, canonicalise to the same `+digits`.
    #[test]
    fn every_valid_spelling_of_a_phone_number_canonicalises_to_the_same_value(
        (canonical, a, b) in strategies::canonical_phone().prop_flat_map(|c| {
            (Just(c.clone()), strategies::phone_spelling(c.clone()), strategies::phone_spelling(c))
        })
    ) {
        let a = identity::canonicalize(IdentifierKind::Phone, &a.raw).expect("valid spelling");
        let b = identity::canonicalize(IdentifierKind::Phone, &b.raw).expect("valid spelling");
        prop_assert_eq!(a.as_bytes(), &canonical[..]);
        prop_assert_eq!(b.as_bytes(), &canonical[..]);
    }

    /// IDH-003 to IDH-013: every variant of a valid identifier that breaks one rule of its kind is
    /// rejected with the kind's own error code.
    #[test]
    fn variants_that_break_one_rule_are_rejected_with_the_kinds_code(spelling in strategies::identifier()) {
        for (rule, raw) in broken_variants(spelling.kind, &spelling.canonical) {
            let got = identity::canonicalize(spelling.kind, &raw).map(|c| c.as_bytes().to_vec());
            let shown = String::from_utf8_lossy(&raw);
            prop_assert_eq!(got.map_err(|e| e.code()), Err(kind_code(spelling.kind)), "{}: {:?}", rule, shown);
        }
    }

    /// IDH-008: the trunk marker `(0)` anywhere after the `+` makes a phone number invalid, even
    /// where removing it would leave a valid number.
    #[test]
    fn a_phone_number_with_the_trunk_marker_is_rejected(phone in strategies::phone(), at in any::<Index>()) {
        let plus = phone.raw.iter().position(|&b| b == b'+').expect("a valid spelling has a '+'");
        let end = phone.raw.iter().rposition(|b| b.is_ascii_digit() || b"-.()".contains(b)).unwrap_or(plus);
        let mut raw = phone.raw.clone();
        let i = plus + 1 + at.index(end - plus + 1);
        raw.splice(i..i, b"(0)".iter().copied());
        let got = identity::canonicalize(IdentifierKind::Phone, &raw).map(|c| c.as_bytes().to_vec());
        prop_assert_eq!(got.map_err(|e| e.code()), Err("identity.invalid_phone"), "{:?}", String::from_utf8_lossy(&raw));
    }

    /// IDH-003, IDH-004: only SP, HT, LF and CR are trimmed; a valid text identifier preceded or
    /// followed by another whitespace-like byte (VT, FF, NUL, NEL, NBSP) is rejected.
    #[test]
    fn only_sp_ht_lf_cr_are_trimmed(
        spelling in prop_oneof![strategies::user_id(), strategies::phone(), strategies::email()],
        other in select(&[0x0bu8, 0x0c, 0x00, 0x85, 0xa0][..]),
        before in any::<bool>(),
    ) {
        let mut raw = spelling.raw.clone();
        if before { raw.insert(0, other) } else { raw.push(other) }
        let got = identity::canonicalize(spelling.kind, &raw).map(|c| c.as_bytes().to_vec());
        prop_assert_eq!(got.map_err(|e| e.code()), Err(kind_code(spelling.kind)));
    }

    /// IDH-003, IDH-005: letter case and surrounding whitespace do not change a user ID.
    #[test]
    fn case_and_surrounding_whitespace_do_not_change_a_user_id(spelling in strategies::user_id()) {
        let c = identity::canonicalize(IdentifierKind::UserId, &spelling.raw).expect("valid spelling");
        prop_assert_eq!(c.as_bytes(), &spelling.canonical[..]);
    }

    /// IDH-003, IDH-010: letter case (local part included) and surrounding whitespace do not change
    /// an e-mail address.
    #[test]
    fn case_and_surrounding_whitespace_do_not_change_an_email_address(spelling in strategies::email()) {
        let c = identity::canonicalize(IdentifierKind::Email, &spelling.raw).expect("valid spelling");
        prop_assert_eq!(c.as_bytes(), &spelling.canonical[..]);
    }

    /// IDH-013: a device ID is its own canonical form, whitespace and all.
    #[test]
    fn a_device_id_is_its_own_canonical_form(id in strategies::device_id()) {
        let c = identity::canonicalize(IdentifierKind::DeviceId, &id).expect("valid device ID");
        prop_assert_eq!(c.as_bytes(), &id[..]);
    }

    /// IDH-006, IDH-009, IDH-011, IDH-012, IDH-013: whatever is accepted, from inputs near the edges
    /// of each grammar, has a canonical form that obeys the kind's grammar.
    #[test]
    fn canonical_forms_obey_their_grammar((kind, raw) in kind_and_near_valid()) {
        if let Ok(c) = identity::canonicalize(kind, &raw) {
            prop_assert!(obeys_grammar(kind, c.as_bytes()), "{:?} {:?} -> {:?}", kind, raw, c.as_bytes());
            prop_assert_eq!(c.kind(), kind);
        }
    }

    /// IDH-001 with the error taxonomy: arbitrary bytes never panic, and are either canonicalised
    /// or rejected with their own kind's error code.
    #[test]
    fn arbitrary_bytes_canonicalise_or_fail_with_their_kinds_own_code((kind, raw) in kind_and_bytes()) {
        match identity::canonicalize(kind, &raw) {
            Ok(c) => prop_assert!(obeys_grammar(kind, c.as_bytes())),
            Err(e) => prop_assert_eq!(e.code(), kind_code(kind)),
        }
    }

    /// IDH-002: a valid identifier padded with trimmable whitespace to 512 bytes is still accepted;
    /// to 513 bytes, it is rejected before trimming.
    #[test]
    fn inputs_longer_than_512_bytes_are_rejected_before_trimming(
        spelling in prop_oneof![strategies::user_id(), strategies::phone(), strategies::email()]
    ) {
        let mut raw = spelling.raw.clone();
        raw.resize(512, b' ');
        let at_bound = identity::canonicalize(spelling.kind, &raw).expect("512 bytes are allowed");
        prop_assert_eq!(at_bound.as_bytes(), &spelling.canonical[..]);
        raw.push(b'\n');
        let past = identity::canonicalize(spelling.kind, &raw).map(|c| c.as_bytes().to_vec());
        prop_assert_eq!(past.map_err(|e| e.code()), Err(kind_code(spelling.kind)));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(HASH_CASES))]

    // -----------------------------------------------------------------------------------------
    // The two hash layers.
    // -----------------------------------------------------------------------------------------

    /// IDH-023, IDH-024, IDH-025: the client hash is PBKDF2-HMAC-SHA256 of the hash message built
    /// here byte by byte, and every spelling hashes as its canonical form.
    #[test]
    fn the_client_hash_is_pbkdf2_of_the_hash_message(spelling in strategies::identifier(), s in strategies::client_salt()) {
        let mut message = b"cinder-idh-v1".to_vec();
        message.push(0x01);
        message.push(spelling.kind.byte());
        message.extend_from_slice(&u16::try_from(spelling.canonical.len()).expect("short").to_be_bytes());
        message.extend_from_slice(&spelling.canonical);
        let want = primitives::pbkdf2_sha256(&message, &s, core::num::NonZeroU32::new(1000).expect("non-zero"));
        prop_assert_eq!(hash(spelling.kind, &spelling.raw, &s).0, want);
    }

    /// IDH-024: the client hash is a function of its inputs.
    #[test]
    fn the_client_hash_is_deterministic(spelling in strategies::identifier(), s in strategies::client_salt()) {
        prop_assert_eq!(hash(spelling.kind, &spelling.raw, &s), hash(spelling.kind, &spelling.raw, &s));
    }

    /// IDH-023: the same bytes hashed as two different kinds give different client hashes (a user
    /// ID, phone number or e-mail address against a device ID with the same bytes).
    #[test]
    fn the_same_bytes_as_different_kinds_give_different_client_hashes(
        spelling in prop_oneof![strategies::user_id(), strategies::phone(), strategies::email()],
        s in strategies::client_salt(),
    ) {
        prop_assume!(spelling.canonical.len() <= 128, "must also be a valid device ID");
        let as_kind = hash(spelling.kind, &spelling.canonical, &s);
        let as_device = hash(IdentifierKind::DeviceId, &spelling.canonical, &s);
        prop_assert_ne!(as_kind, as_device);
    }

    /// IDH-023: the client and server layers differ even when every other input is the same — a
    /// 32-byte device ID hashed by the client layer under salt `s`, and the same 32 bytes taken as a
    /// client hash by the server layer under secret `s`, differ only in the layer byte.
    #[test]
    fn the_client_and_server_layers_give_different_hashes(
        x in any::<[u8; 32]>(),
        s in strategies::server_secret(),
    ) {
        let client = hash(IdentifierKind::DeviceId, &x, &s);
        let secret = ServerSecret::new(&s).expect("the strategy generates valid secrets");
        let server = identity::server_hash(IdentifierKind::DeviceId, &IdentityHash(x), &secret, Rounds::MIN);
        prop_assert_ne!(client, server);
    }

    /// IDH-026 with IDH-023: the server layer keeps the kind byte, so one client hash stored under
    /// two kinds gives two server hashes.
    #[test]
    fn the_server_layer_separates_kinds(
        x in any::<[u8; 32]>(),
        s in strategies::server_secret(),
        (k1, k2) in (strategies::identifier_kind(), strategies::identifier_kind()),
    ) {
        prop_assume!(k1 != k2);
        let secret = ServerSecret::new(&s).expect("valid secret");
        let a = identity::server_hash(k1, &IdentityHash(x), &secret, Rounds::MIN);
        let b = identity::server_hash(k2, &IdentityHash(x), &secret, Rounds::MIN);
        prop_assert_ne!(a, b);
    }

    /// IDH-020: different client salts give different client hashes of the same identifier.
    #[test]
    fn different_salts_give_different_client_hashes(
        spelling in strategies::identifier(),
        (s1, s2) in (strategies::client_salt(), strategies::client_salt()),
    ) {
        prop_assume!(s1 != s2);
        prop_assert_ne!(hash(spelling.kind, &spelling.raw, &s1), hash(spelling.kind, &spelling.raw, &s2));
    }

    /// IDH-022: a different round count gives a different client hash.
    #[test]
    fn different_round_counts_give_different_client_hashes(
        spelling in strategies::identifier(),
        s in strategies::client_salt(),
        extra in 1u32..=16,
    ) {
        let more = Rounds::new(Rounds::MIN.get() + extra).expect("within bounds");
        let other = identity::client_hash(spelling.kind, &spelling.raw, &salt(&s), more).expect("valid");
        prop_assert_ne!(hash(spelling.kind, &spelling.raw, &s), other);
    }

    // -----------------------------------------------------------------------------------------
    // Contact finder.
    // -----------------------------------------------------------------------------------------

    /// IDH-031, IDH-032: a look-up's output is strictly ascending (sorted, no duplicates), equals
    /// the set of the entries' individual client hashes, and does not depend on entry order —
    /// including when the batch repeats entries.
    #[test]
    fn contact_lookup_is_the_sorted_set_of_individual_client_hashes(
        (batch, shuffled) in vec(strategies::lookup_entry(), 1..=6)
            .prop_flat_map(|base| {
                let n = base.len();
                (Just(base), vec(any::<Index>(), 0..=n))
            })
            .prop_map(|(base, repeats)| {
                let mut batch = base.clone();
                batch.extend(repeats.iter().map(|i| base[i.index(base.len())].clone()));
                batch
            })
            .prop_flat_map(|batch| (Just(batch.clone()), Just(batch).prop_shuffle())),
        s in strategies::client_salt(),
    ) {
        let lookup = |spellings: &[Spelling]| {
            let entries: Vec<LookupEntry<'_>> =
                spellings.iter().map(|e| LookupEntry { kind: e.kind, input: &e.raw }).collect();
            let mut out = vec![IdentityHash([0; 32]); entries.len()];
            identity::contact_lookup(&entries, &salt(&s), Rounds::MIN, &mut out).expect("valid batch").to_vec()
        };
        let got = lookup(&batch);
        prop_assert!(got.windows(2).all(|w| w[0].0 < w[1].0), "not strictly ascending");
        let individual: BTreeSet<[u8; 32]> = batch.iter().map(|e| hash(e.kind, &e.raw, &s).0).collect();
        prop_assert_eq!(got.iter().map(|h| h.0).collect::<Vec<_>>(), individual.into_iter().collect::<Vec<_>>());
        prop_assert_eq!(lookup(&shuffled), got);
    }

    /// IDH-030: a batch holding a user ID or device ID entry anywhere is `identity.invalid_batch`.
    #[test]
    fn contact_lookup_rejects_entries_of_other_kinds(
        batch in vec(strategies::lookup_entry(), 0..=5),
        intruder in prop_oneof![strategies::user_id(), strategies::device_id().prop_map(|id| Spelling {
            kind: IdentifierKind::DeviceId, raw: id.clone(), canonical: id,
        })],
        at in any::<Index>(),
        s in strategies::client_salt(),
    ) {
        let mut entries: Vec<LookupEntry<'_>> = batch.iter().map(|e| LookupEntry { kind: e.kind, input: &e.raw }).collect();
        entries.insert(at.index(entries.len() + 1), LookupEntry { kind: intruder.kind, input: &intruder.raw });
        let mut out = vec![IdentityHash([0; 32]); entries.len()];
        let err = identity::contact_lookup(&entries, &salt(&s), Rounds::MIN, &mut out).expect_err("invalid batch");
        prop_assert_eq!(err.code(), "identity.invalid_batch");
    }

    /// IDH-031: a batch with invalid entries fails with the first invalid entry's own error code.
    #[test]
    fn contact_lookup_fails_with_the_first_invalid_entrys_code(
        batch in vec(strategies::lookup_entry(), 0..=4),
        bad in prop_oneof![Just(IdentifierKind::Phone), Just(IdentifierKind::Email)],
        later_bad in prop_oneof![Just(IdentifierKind::Phone), Just(IdentifierKind::Email)],
        at in any::<Index>(),
        s in strategies::client_salt(),
    ) {
        let mut entries: Vec<LookupEntry<'_>> = batch.iter().map(|e| LookupEntry { kind: e.kind, input: &e.raw }).collect();
        let at = at.index(entries.len() + 1);
        // "12" is neither a phone number (no '+') nor an e-mail address (no '@').
        entries.insert(at, LookupEntry { kind: bad, input: b"12" });
        entries.push(LookupEntry { kind: later_bad, input: b"@" });
        let mut out = vec![IdentityHash([0; 32]); entries.len()];
        let err = identity::contact_lookup(&entries, &salt(&s), Rounds::MIN, &mut out).expect_err("invalid entry");
        prop_assert_eq!(err.code(), kind_code(bad));
    }

    // -----------------------------------------------------------------------------------------
    // Fuzz inputs: the invariants `fuzz_input` asserts hold on inputs carved from random bytes.
    // -----------------------------------------------------------------------------------------

    /// IDH-014, IDH-020, IDH-022, IDH-025, IDH-030..IDH-032, IDH-040..IDH-042 via the fuzz inputs'
    /// own assertions, on inputs carved from random bytes.
    #[test]
    fn fuzz_inputs_from_random_bytes_uphold_their_invariants(data in vec(any::<u8>(), 0..400)) {
        if let Ok(input) = IdentityFuzzInput::arbitrary_take_rest(Unstructured::new(&data)) {
            input.assert_invariants();
        }
        if let Ok(input) = LookupFuzzInput::arbitrary_take_rest(Unstructured::new(&data)) {
            input.assert_invariants();
        }
        if let Ok(input) = VerificationFuzzInput::arbitrary_take_rest(Unstructured::new(&data)) {
            input.assert_invariants();
        }
    }

    /// IDH-014, IDH-025 and IDH-031, IDH-032 via the fuzz inputs' assertions, on valid
    /// identifiers and batches (which random bytes rarely produce).
    #[test]
    fn fuzz_input_invariants_hold_for_valid_identifiers_and_batches(
        spellings in vec(strategies::lookup_entry(), 8),
        any_kind in strategies::identifier(),
        s in strategies::client_salt(),
        count in 1u8..=8,
    ) {
        let rounds = FuzzRounds(Rounds::MIN.get());
        IdentityFuzzInput { kind: any_kind.kind, salt: &s, rounds, input: &any_kind.raw }.assert_invariants();
        let entries: [FuzzEntry<'_>; 8] = core::array::from_fn(|i| FuzzEntry { kind: spellings[i].kind, input: &spellings[i].raw });
        LookupFuzzInput { salt: &s, rounds, count, entries }.assert_invariants();
    }
}

proptest! {
    // -----------------------------------------------------------------------------------------
    // Verification codes.
    // -----------------------------------------------------------------------------------------

    /// IDH-041, IDH-042: both people get the same code, whichever of them is "A".
    #[test]
    fn the_verification_code_is_symmetric((a, b) in strategies::identity_key_pair()) {
        let ab = identity::verification_code(&a, &b).expect("distinct 32-byte keys");
        let ba = identity::verification_code(&b, &a).expect("distinct 32-byte keys");
        prop_assert_eq!(ab, ba);
    }

    /// IDH-041, IDH-042: the code is HKDF-SHA256 over the sorted keys with the spec's salt and info,
    /// each 4-byte slice read big-endian, reduced mod 100000 and written as five digits.
    #[test]
    fn the_verification_code_is_hkdf_of_the_sorted_keys((a, b) in strategies::identity_key_pair()) {
        let (lo, hi) = if a < b { (a, b) } else { (b, a) };
        let mut okm = [0u8; 32];
        primitives::hkdf(b"cinder-vc-v1", &[lo, hi].concat(), b"key verification code", &mut okm).expect("32 bytes");
        let groups: Vec<String> = okm
            .chunks_exact(4)
            .map(|w| format!("{:05}", u32::from_be_bytes([w[0], w[1], w[2], w[3]]) % 100_000))
            .collect();
        let code = identity::verification_code(&a, &b).expect("distinct 32-byte keys");
        prop_assert_eq!(code.as_str(), groups.join(" "));
    }

    /// IDH-042: eight groups of five decimal digits separated by single spaces, 47 characters.
    #[test]
    fn the_verification_code_is_eight_groups_of_five_digits((a, b) in strategies::identity_key_pair()) {
        let code = identity::verification_code(&a, &b).expect("distinct 32-byte keys");
        let groups: Vec<&str> = code.as_str().split(' ').collect();
        prop_assert_eq!(code.as_str().len(), 47);
        prop_assert_eq!(groups.len(), 8);
        prop_assert!(groups.iter().all(|g| g.len() == 5 && g.bytes().all(|d| d.is_ascii_digit())), "{}", code);
    }

    /// IDH-041: distinct key pairs give distinct codes (a collision of 8 × 5 digits, about 2^-132,
    /// would fail this).
    #[test]
    fn distinct_key_pairs_give_distinct_codes(
        (a, b) in strategies::identity_key_pair(),
        (c, d) in strategies::identity_key_pair(),
    ) {
        let same_pair = (a == c && b == d) || (a == d && b == c);
        prop_assume!(!same_pair);
        let one = identity::verification_code(&a, &b).expect("valid keys");
        let other = identity::verification_code(&c, &d).expect("valid keys");
        prop_assert_ne!(one, other);
    }

    /// IDH-040: a key compared with itself is refused.
    #[test]
    fn identical_keys_are_rejected(key in any::<[u8; 32]>()) {
        prop_assert_eq!(identity::verification_code(&key, &key), Err(IdentityError::InvalidKey));
    }

    /// IDH-040: a key of any length but 32 is refused, on either side.
    #[test]
    fn keys_that_are_not_32_bytes_are_rejected(
        wrong in vec(any::<u8>(), 0..80).prop_filter("not 32 bytes", |k| k.len() != 32),
        right in any::<[u8; 32]>(),
    ) {
        prop_assert_eq!(identity::verification_code(&wrong, &right), Err(IdentityError::InvalidKey));
        prop_assert_eq!(identity::verification_code(&right, &wrong), Err(IdentityError::InvalidKey));
    }

    // -----------------------------------------------------------------------------------------
    // Parameter bounds.
    // -----------------------------------------------------------------------------------------

    /// IDH-020, IDH-021: client salts are accepted exactly at 16 to 64 bytes and server secrets
    /// exactly at 32 to 64; anything else is `identity.invalid_salt`.
    #[test]
    fn salts_and_secrets_are_accepted_exactly_within_their_bounds(
        bytes in prop_oneof![
            select(&[0usize, 15, 16, 17, 31, 32, 33, 63, 64, 65][..]),
            0usize..=100,
        ].prop_flat_map(|len| vec(any::<u8>(), len))
    ) {
        let client = ClientSalt::new(&bytes).map(|_| ()).map_err(|e| e.code());
        let want_client = if (16..=64).contains(&bytes.len()) { Ok(()) } else { Err("identity.invalid_salt") };
        prop_assert_eq!(client, want_client);
        let server = ServerSecret::new(&bytes).map(|_| ()).map_err(|e| e.code());
        let want_server = if (32..=64).contains(&bytes.len()) { Ok(()) } else { Err("identity.invalid_salt") };
        prop_assert_eq!(server, want_server);
    }

    /// IDH-022: round counts are accepted exactly from 1,000 to 1,000,000; anything else is
    /// `identity.invalid_rounds`.
    #[test]
    fn round_counts_are_accepted_exactly_within_their_bounds(
        n in prop_oneof![
            select(&[0u32, 1, 999, 1000, 1001, 999_999, 1_000_000, 1_000_001, u32::MAX][..]),
            any::<u32>(),
            0u32..=2000,
            999_000u32..=1_001_000,
        ]
    ) {
        let got = Rounds::new(n).map(Rounds::get).map_err(|e| e.code());
        let want = if (1000..=1_000_000).contains(&n) { Ok(n) } else { Err("identity.invalid_rounds") };
        prop_assert_eq!(got, want);
    }

    /// IDH-020, IDH-021, IDH-022, IDH-013, IDH-040: the parameter strategies generate only values
    /// the spec accepts.
    #[test]
    fn the_parameter_strategies_generate_only_valid_values(
        client in strategies::client_salt(),
        secret in strategies::server_secret(),
        rounds in strategies::rounds(),
        device in strategies::device_id(),
        (a, b) in strategies::identity_key_pair(),
    ) {
        prop_assert!(ClientSalt::new(&client).is_ok());
        prop_assert!(ServerSecret::new(&secret).is_ok());
        prop_assert!(Rounds::new(rounds.get()).is_ok());
        prop_assert!(identity::canonicalize(IdentifierKind::DeviceId, &device).is_ok());
        prop_assert_ne!(a, b);
    }
}

/// IDH-030: an empty batch and a batch of 1,001 entries are `identity.invalid_batch` (checked before
/// any hashing, so the oversized batch costs nothing).
#[test]
fn contact_lookup_rejects_empty_and_oversized_batches() {
    let s = [7u8; 16];
    let entry = LookupEntry { kind: IdentifierKind::Phone, input: b"+15550109999" };
    let mut out = vec![IdentityHash([0; 32]); 1001];
    for len in [0, 1001] {
        let entries = vec![entry; len];
        let err = identity::contact_lookup(&entries, &salt(&s), Rounds::MIN, &mut out).expect_err("invalid batch");
        assert_eq!(err.code(), "identity.invalid_batch", "{len} entries");
    }
}

// ---------------------------------------------------------------------------------------------
// quickcheck, through `cinder::quickcheck_gen`.
// ---------------------------------------------------------------------------------------------

fn canonicalises_to(kind: IdentifierKind, raw: &[u8], canonical: &[u8]) -> bool {
    identity::canonicalize(kind, raw).is_ok_and(|c| c.as_bytes() == canonical && obeys_grammar(kind, c.as_bytes()))
}

/// IDH-003..IDH-013: quickcheck's valid spellings canonicalise to their generator's oracle, and the
/// result obeys the grammar.
#[test]
fn quickcheck_spellings_canonicalise_to_their_oracle() {
    fn prop(u: ValidUserId, p: ValidPhone, e: ValidEmail, d: ValidDeviceId) -> bool {
        canonicalises_to(IdentifierKind::UserId, &u.raw, &u.canonical)
            && canonicalises_to(IdentifierKind::Phone, &p.raw, &p.canonical)
            && canonicalises_to(IdentifierKind::Email, &e.raw, &e.canonical)
            && canonicalises_to(IdentifierKind::DeviceId, &d.0, &d.0)
    }
    QuickCheck::new().tests(200).quickcheck(prop as fn(ValidUserId, ValidPhone, ValidEmail, ValidDeviceId) -> bool);
}

/// IDH-020..IDH-026, IDH-041: quickcheck's parameters are accepted, the two layers are deterministic
/// and differ, and verification codes are symmetric.
#[test]
fn quickcheck_parameters_are_accepted_and_hash_consistently() {
    fn prop(
        phone: ValidPhone,
        s: ValidClientSalt,
        secret: ValidServerSecret,
        rounds: ValidRounds,
        keys: DistinctKeys,
    ) -> bool {
        let (Ok(client_salt), Ok(server_secret)) = (ClientSalt::new(&s.0), ServerSecret::new(&secret.0)) else {
            return false;
        };
        let hash = |raw: &[u8]| identity::client_hash(IdentifierKind::Phone, raw, &client_salt, rounds.0);
        let (Ok(from_raw), Ok(from_canonical)) = (hash(&phone.raw), hash(&phone.canonical)) else {
            return false;
        };
        let stored = identity::server_hash(IdentifierKind::Phone, &from_raw, &server_secret, rounds.0);
        let codes = (identity::verification_code(&keys.0, &keys.1), identity::verification_code(&keys.1, &keys.0));
        from_raw == from_canonical && stored != from_raw && matches!(codes, (Ok(x), Ok(y)) if x == y)
    }
    QuickCheck::new()
        .tests(32)
        .quickcheck(prop as fn(ValidPhone, ValidClientSalt, ValidServerSecret, ValidRounds, DistinctKeys) -> bool);
}
