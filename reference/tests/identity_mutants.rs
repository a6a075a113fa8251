//! `vectors/identity.json` replayed through the reference, in-process, for `cargo mutants`: a
//! mutant of `src/identity.rs` that changes any vector's answer is caught here without building
//! the generator or the conformance runner. (The runner checks the same vectors through the
//! adapter protocol; the generator's byte-identity test checks them too, but regenerates every
//! vector file, which is too slow to run for each of hundreds of mutants.)
//!
//! Then the tests that close the gaps `cargo mutants` found in the vectors (see the report in
//! `conformance/BUGS.md`'s sibling notes): each names the mutant it kills.

use cinder::identity::{
    self, ClientSalt, IdentifierKind, IdentityError, IdentityHash, LookupEntry, Rounds, ServerSecret,
};
use serde_json::{Map, Value, json};

#[path = "support/vectors.rs"]
mod vectors;

use vectors::vector_file;

fn hex_arg(args: &Value, name: &str) -> Vec<u8> {
    hex::decode(args[name].as_str().unwrap_or_else(|| panic!("{name} is a string"))).expect("vector hex")
}

fn kind(args: &Value) -> IdentifierKind {
    IdentifierKind::from_label(args["kind"].as_str().unwrap_or_default()).expect("a known kind")
}

/// The round count as the adapter protocol reads it: an integer outside `u32` is invalid rounds.
fn rounds(args: &Value) -> Result<Rounds, IdentityError> {
    let raw = args["rounds"].as_u64().and_then(|n| u32::try_from(n).ok()).unwrap_or(u32::MAX);
    Rounds::new(raw)
}

fn hash_field(name: &str, hash: &IdentityHash) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert(name.into(), hex::encode(hash.0).into());
    fields
}

/// The reference's answer to one identity vector: result fields, or the error code.
fn answer(op: &str, args: &Value) -> Result<Map<String, Value>, &'static str> {
    let code = |e: IdentityError| e.code();
    match op {
        "identity.canonicalize" => {
            let canonical = identity::canonicalize(kind(args), &hex_arg(args, "input")).map_err(code)?;
            let mut fields = Map::new();
            fields.insert("canonical".into(), hex::encode(canonical.as_bytes()).into());
            Ok(fields)
        }
        "identity.client_hash" => {
            let salt = hex_arg(args, "salt");
            let salt = ClientSalt::new(&salt).map_err(code)?;
            let rounds = rounds(args).map_err(code)?;
            let hash = identity::client_hash(kind(args), &hex_arg(args, "input"), &salt, rounds).map_err(code)?;
            Ok(hash_field("hash", &hash))
        }
        "identity.server_hash" => {
            let secret = ServerSecret::new(&hex_arg(args, "secret")).map_err(code)?;
            let rounds = rounds(args).map_err(code)?;
            let client: [u8; 32] = hex_arg(args, "clientHash").try_into().expect("32-byte client hash");
            Ok(hash_field("hash", &identity::server_hash(kind(args), &IdentityHash(client), &secret, rounds)))
        }
        "identity.contact_lookup" => {
            let salt = hex_arg(args, "salt");
            let salt = ClientSalt::new(&salt).map_err(code)?;
            let rounds = rounds(args).map_err(code)?;
            let entries: Vec<(IdentifierKind, Vec<u8>)> = args["entries"]
                .as_array()
                .expect("entries is an array")
                .iter()
                .map(|entry| (kind(entry), hex_arg(entry, "input")))
                .collect();
            let lookup: Vec<LookupEntry<'_>> =
                entries.iter().map(|(kind, input)| LookupEntry { kind: *kind, input }).collect();
            let mut out = vec![IdentityHash([0; 32]); lookup.len()];
            let hashes = identity::contact_lookup(&lookup, &salt, rounds, &mut out).map_err(code)?;
            let mut fields = Map::new();
            fields.insert("hashes".into(), hashes.iter().map(|h| Value::from(hex::encode(h.0))).collect());
            Ok(fields)
        }
        "identity.verification_code" => {
            let code = identity::verification_code(&hex_arg(args, "keyA"), &hex_arg(args, "keyB")).map_err(code)?;
            Ok(json!({ "code": code.as_str() }).as_object().cloned().unwrap_or_default())
        }
        other => panic!("identity.json has an operation this test does not know: {other}"),
    }
}

#[test]
fn the_reference_gives_every_identity_vector_its_expected_answer() {
    let file = vector_file("identity.json");
    let mut checked = 0;
    let mut wrong = Vec::new();
    for group in file["testGroups"].as_array().expect("testGroups") {
        let op = group["op"].as_str().expect("op");
        for test in group["tests"].as_array().expect("tests") {
            let got = answer(op, &test["args"]);
            let ok = match test["result"].as_str() {
                Some("valid") => {
                    got.as_ref().ok().map(|fields| Value::Object(fields.clone())) == Some(test["expected"].clone())
                }
                _ => got.as_ref().err().copied() == test["error"].as_str(),
            };
            if !ok {
                wrong.push(format!("{}: got {got:?}", test["id"]));
            }
            checked += 1;
        }
    }
    assert!(checked >= 200, "only {checked} identity vectors");
    assert!(wrong.is_empty(), "{} of {checked} vectors differ:\n{}", wrong.len(), wrong.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Gaps `cargo mutants` found: behaviour no vector can see (vectors carry codes and bytes, not
// messages), pinned here. Each test names the mutants it kills.

/// Kills `Display for IdentityError` → `Ok(())`: an error message starts with its spec code and
/// names what was wrong, so a log line is useful without the source.
#[test]
fn error_messages_start_with_the_spec_code_and_say_what_was_wrong() {
    let phone = identity::canonicalize(IdentifierKind::Phone, b"5550100").expect_err("no plus");
    assert_eq!(phone.to_string(), "identity.invalid_phone: MissingPlus");
    let salt = ClientSalt::new(&[0; 15]).expect_err("short salt");
    assert_eq!(salt.to_string(), "identity.invalid_salt: 15 bytes");
    assert_eq!(Rounds::new(999).expect_err("too few").to_string(), "identity.invalid_rounds: 999");
    let key = identity::verification_code(&[1; 32], &[1; 32]).expect_err("equal keys");
    assert_eq!(key.to_string(), "identity.invalid_key");
    let mut out = [IdentityHash([0; 32]); 1];
    let batch = identity::contact_lookup(&[], &ClientSalt::new(&[0; 16]).expect("salt"), Rounds::MIN, &mut out)
        .expect_err("empty batch");
    assert_eq!(batch.to_string(), "identity.invalid_batch: Empty");
}

/// Kills `Debug for Canonical`, `Debug for ServerSecret` → `Ok(())`: debug output names the type
/// and, for the canonical form (personal data) and the server secret, never the bytes themselves.
#[test]
fn debug_output_names_the_type_but_never_shows_personal_data_or_secrets() {
    let canonical = identity::canonicalize(IdentifierKind::Phone, b"+1 555 0100 999").expect("valid");
    let shown = format!("{canonical:?}");
    // "+15550100999": a plus and eleven digits.
    assert_eq!(shown, "Canonical { kind: Phone, len: 12, .. }");
    assert!(!shown.contains("5550100"));
    let secret = ServerSecret::new(b"0123456789abcdef0123456789abcdef").expect("valid");
    assert_eq!(format!("{secret:?}"), "ServerSecret { .. }");
}

/// Kills `Debug for IdentityHash`, `Debug for VerificationCode` → `Ok(())`: hashes and codes are
/// public values, shown in full so a failing comparison can be read.
#[test]
fn debug_output_of_public_values_shows_them_in_full() {
    let mut bytes = [0u8; 32];
    bytes[0] = 0xab;
    bytes[31] = 0x01;
    let expected = format!("IdentityHash(ab{}01)", "00".repeat(30));
    assert_eq!(format!("{:?}", IdentityHash(bytes)), expected);
    let code = identity::verification_code(&[1; 32], &[2; 32]).expect("valid keys");
    assert_eq!(format!("{code:?}"), format!("VerificationCode({code})"));
    assert_eq!(code.to_string(), "04097 02857 33207 94689 03544 23723 39378 35432");
}
