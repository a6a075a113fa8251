//! Runs every case of the Wycheproof files for Cinder's primitives through `cinder::primitives`.
//!
//! The files are not copied into the project: they are read at run time from the `shared/`
//! directory beside the repository (`../shared/external/wycheproof/` from the repository root).
//! A missing directory fails the test rather than skipping it.
//!
//! How each file's `result` is judged:
//! - `valid`: the primitive must produce exactly the expected output.
//! - `acceptable` (X25519 only): the RFC allows either outcome. Cinder's `x25519` rejects an all-zero
//!   shared secret (flag `ZeroSharedSecret`, RFC 7748 section 6.1), so such a case must be rejected with
//!   [`PrimitiveError::ZeroSharedSecret`]; every other acceptable case must give the expected output.
//! - `invalid`: the primitive must refuse. ChaCha20-Poly1305 cases whose nonce is not 12 bytes cannot
//!   even be expressed (the API takes `[u8; 12]`), so they count as rejected by construction. HMAC tags
//!   that are truncated are compared with [`primitives::mac_matches`]; HKDF outputs longer than 255
//!   blocks must fail with [`PrimitiveError::OutputTooLong`].

use std::fs;
use std::path::{Path, PathBuf};

use cinder::primitives::{self, PrimitiveError};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Where the Wycheproof files live, relative to this crate.
const WYCHEPROOF_DIR: &str = "../../shared/external/wycheproof";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Expected {
    Valid,
    Acceptable,
    Invalid,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct File<G> {
    algorithm: String,
    number_of_tests: usize,
    test_groups: Vec<G>,
}

#[derive(Debug, Deserialize)]
struct XdhGroup {
    curve: String,
    tests: Vec<XdhCase>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct XdhCase {
    tc_id: u32,
    flags: Vec<String>,
    public: String,
    private: String,
    shared: String,
    result: Expected,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AeadGroup {
    iv_size: usize,
    key_size: usize,
    tag_size: usize,
    tests: Vec<AeadCase>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AeadCase {
    tc_id: u32,
    flags: Vec<String>,
    key: String,
    iv: String,
    aad: String,
    msg: String,
    ct: String,
    tag: String,
    result: Expected,
}

#[derive(Debug, Deserialize)]
struct HkdfGroup {
    tests: Vec<HkdfCase>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HkdfCase {
    tc_id: u32,
    flags: Vec<String>,
    ikm: String,
    salt: String,
    info: String,
    size: usize,
    okm: String,
    result: Expected,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MacGroup {
    tag_size: usize,
    tests: Vec<MacCase>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MacCase {
    tc_id: u32,
    flags: Vec<String>,
    key: String,
    msg: String,
    tag: String,
    result: Expected,
}

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
    fn record(&mut self, tc_id: u32, expected: Expected, flags: &[String], outcome: Result<(), String>) {
        match outcome {
            Ok(()) => match expected {
                Expected::Valid => self.valid += 1,
                Expected::Acceptable => self.acceptable += 1,
                Expected::Invalid => self.invalid += 1,
            },
            Err(why) => self.failures.push(format!("tcId {tc_id} ({expected:?}, flags {flags:?}): {why}")),
        }
    }

    /// Prints the counts and fails unless every one of the file's cases passed.
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

fn wycheproof_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(WYCHEPROOF_DIR);
    assert!(
        dir.is_dir(),
        "Wycheproof vectors not found: looked in {} (the shared/ directory must sit beside the repository, \
         holding external/wycheproof/)",
        dir.display()
    );
    dir
}

fn load<G: DeserializeOwned>(name: &str) -> File<G> {
    let path = wycheproof_dir().join(name);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("cannot parse {}: {e}", path.display()))
}

fn bytes(hex_text: &str) -> Vec<u8> {
    hex::decode(hex_text).unwrap_or_else(|e| panic!("bad hex {hex_text:?}: {e}"))
}

fn array<const N: usize>(what: &str, hex_text: &str) -> Result<[u8; N], String> {
    let raw = bytes(hex_text);
    <[u8; N]>::try_from(raw.as_slice()).map_err(|_| format!("{what} is {} bytes, not {N}", raw.len()))
}

fn has_flag(flags: &[String], flag: &str) -> bool {
    flags.iter().any(|f| f == flag)
}

fn x25519_case(case: &XdhCase) -> Result<(), String> {
    let scalar = array::<{ primitives::X25519_LEN }>("private key", &case.private)?;
    let point = array::<{ primitives::X25519_LEN }>("public key", &case.public)?;
    let expected = array::<{ primitives::X25519_LEN }>("shared secret", &case.shared)?;

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
        if case.result != Expected::Acceptable || !has_flag(&case.flags, "ZeroSharedSecret") {
            return Err("all-zero shared secret in a case not marked acceptable ZeroSharedSecret".into());
        }
        return match got {
            Err(PrimitiveError::ZeroSharedSecret) => Ok(()),
            other => Err(format!("expected ZeroSharedSecret, got {other:?}")),
        };
    }
    match (case.result, got) {
        (Expected::Valid | Expected::Acceptable, Ok(shared)) if shared == expected => Ok(()),
        (Expected::Invalid, Err(_)) => Ok(()),
        (_, other) => Err(format!("expected {}, got {other:?}", case.shared)),
    }
}

fn aead_case(group: &AeadGroup, case: &AeadCase) -> Result<(), String> {
    if group.key_size != 8 * primitives::AEAD_KEY_LEN || group.tag_size != 8 * primitives::AEAD_TAG_LEN {
        return Err(format!("unexpected key size {} / tag size {}", group.key_size, group.tag_size));
    }
    let Ok(nonce) = array::<{ primitives::AEAD_NONCE_LEN }>("nonce", &case.iv) else {
        // The API takes a [u8; 12]: any other nonce is refused by the type system.
        return match (case.result, group.iv_size == 8 * primitives::AEAD_NONCE_LEN) {
            (Expected::Invalid, false) if has_flag(&case.flags, "InvalidNonceSize") => Ok(()),
            _ => Err(format!("nonce of {} bits cannot be passed, but the case is {:?}", group.iv_size, case.result)),
        };
    };
    let key = array::<{ primitives::AEAD_KEY_LEN }>("key", &case.key)?;
    let tag = array::<{ primitives::AEAD_TAG_LEN }>("tag", &case.tag)?;
    let aad = bytes(&case.aad);
    let msg = bytes(&case.msg);
    let ct = bytes(&case.ct);

    let mut sealed = msg.clone();
    let sealed_tag = primitives::aead_seal(&key, &nonce, &aad, &mut sealed);
    let mut opened = ct.clone();
    let open_result = primitives::aead_open(&key, &nonce, &aad, &mut opened, &tag);

    match case.result {
        Expected::Valid => {
            if sealed != ct || sealed_tag != tag {
                return Err("aead_seal produced a different ciphertext or tag".into());
            }
            match open_result {
                Ok(()) if opened == msg => Ok(()),
                Ok(()) => Err("aead_open released the wrong plaintext".into()),
                Err(e) => Err(format!("aead_open refused a valid ciphertext: {e:?}")),
            }
        }
        Expected::Invalid | Expected::Acceptable => {
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

fn hkdf_case(case: &HkdfCase) -> Result<(), String> {
    let ikm = bytes(&case.ikm);
    let salt = bytes(&case.salt);
    let info = bytes(&case.info);
    let mut okm = vec![0u8; case.size];
    let got = primitives::hkdf(&salt, &ikm, &info, &mut okm);
    match case.result {
        Expected::Valid => {
            if let Err(e) = got {
                return Err(format!("hkdf refused: {e:?}"));
            }
            if okm != bytes(&case.okm) {
                return Err("hkdf output differs".into());
            }
            // Extract then expand, called separately, must give the same bytes.
            let prk = primitives::hkdf_extract(&salt, &ikm);
            let mut split = vec![0u8; case.size];
            match primitives::hkdf_expand(&prk, &info, &mut split) {
                Ok(()) if split == okm => Ok(()),
                other => Err(format!("hkdf_extract + hkdf_expand differ from hkdf: {other:?}")),
            }
        }
        Expected::Invalid | Expected::Acceptable => {
            match (case.size > primitives::HKDF_MAX_OUTPUT, has_flag(&case.flags, "SizeTooLarge"), got) {
                (true, true, Err(PrimitiveError::OutputTooLong)) => Ok(()),
                (_, _, other) => Err(format!("expected OutputTooLong for size {}, got {other:?}", case.size)),
            }
        }
    }
}

fn hmac_case(group: &MacGroup, case: &MacCase) -> Result<(), String> {
    let key = bytes(&case.key);
    let msg = bytes(&case.msg);
    let tag = bytes(&case.tag);
    let computed = primitives::hmac_sha256(&key, &msg);
    // The prepared-key form used by PBKDF2 must agree with the one-shot form.
    if primitives::KeyedHmac::new(&key).mac(&[&msg]) != computed {
        return Err("KeyedHmac disagrees with hmac_sha256".into());
    }
    let matches = primitives::mac_matches(&computed, &tag);
    match case.result {
        Expected::Valid if tag.len() * 8 != group.tag_size => {
            Err(format!("tag of {} bytes in a group of {}-bit tags", tag.len(), group.tag_size))
        }
        Expected::Valid if matches => Ok(()),
        Expected::Valid => Err("a valid tag did not match".into()),
        Expected::Invalid | Expected::Acceptable if matches => Err("a modified tag matched".into()),
        Expected::Invalid | Expected::Acceptable => Ok(()),
    }
}

#[test]
fn x25519_passes_every_wycheproof_case() {
    let name = "x25519_test.json";
    let file: File<XdhGroup> = load(name);
    assert_eq!(file.algorithm, "XDH");
    let mut tally = Tally::default();
    for group in &file.test_groups {
        assert_eq!(group.curve, "curve25519", "{name}: unexpected curve");
        for case in &group.tests {
            tally.record(case.tc_id, case.result, &case.flags, x25519_case(case));
        }
    }
    tally.finish(name, file.number_of_tests);
}

#[test]
fn chacha20_poly1305_passes_every_wycheproof_case() {
    let name = "chacha20_poly1305_test.json";
    let file: File<AeadGroup> = load(name);
    assert_eq!(file.algorithm, "CHACHA20-POLY1305");
    let mut tally = Tally::default();
    for group in &file.test_groups {
        for case in &group.tests {
            tally.record(case.tc_id, case.result, &case.flags, aead_case(group, case));
        }
    }
    tally.finish(name, file.number_of_tests);
}

#[test]
fn hkdf_sha256_passes_every_wycheproof_case() {
    let name = "hkdf_sha256_test.json";
    let file: File<HkdfGroup> = load(name);
    assert_eq!(file.algorithm, "HKDF-SHA-256");
    let mut tally = Tally::default();
    for group in &file.test_groups {
        for case in &group.tests {
            tally.record(case.tc_id, case.result, &case.flags, hkdf_case(case));
        }
    }
    tally.finish(name, file.number_of_tests);
}

#[test]
fn hmac_sha256_passes_every_wycheproof_case() {
    let name = "hmac_sha256_test.json";
    let file: File<MacGroup> = load(name);
    assert_eq!(file.algorithm, "HMACSHA256");
    let mut tally = Tally::default();
    for group in &file.test_groups {
        for case in &group.tests {
            tally.record(case.tc_id, case.result, &case.flags, hmac_case(group, case));
        }
    }
    tally.finish(name, file.number_of_tests);
}
