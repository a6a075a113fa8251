//! Identity-hashing operations (`ADAPTER.md`, "Identity operations"; spec/identity.md).
//!
//! Every handler reads all of its arguments first, so a request that cannot be read is always
//! `adapter.bad_request`, whatever else is wrong with it; then it builds the reference's checked
//! types in argument order (salt or secret, then rounds) and calls the reference.

use cinder::identity::{self, ClientSalt, IdentifierKind, IdentityHash, LookupEntry, Rounds, ServerSecret};
use serde_json::Value;

use super::{Args, Fields, OpError};
use crate::lowerhex;

/// Length of a client hash in bytes.
const HASH_LEN: usize = 32;

fn kind(args: &Args<'_>) -> Result<IdentifierKind, OpError> {
    let label = args.str("kind")?;
    IdentifierKind::from_label(label).ok_or_else(|| {
        let known: Vec<&str> = IdentifierKind::ALL.iter().map(|k| k.label()).collect();
        OpError::BadRequest(format!(
            "{}.kind {label:?} is not a kind (expected one of {})",
            args.within,
            known.join(", ")
        ))
    })
}

fn hash_fields(name: &str, hash: &IdentityHash) -> Fields {
    let mut fields = Fields::new();
    fields.insert(name.into(), lowerhex::encode(&hash.0).into());
    fields
}

/// `identity.canonicalize {kind, input} -> {canonical}`.
pub(super) fn canonicalize(args: &Args<'_>) -> Result<Fields, OpError> {
    args.only(&["kind", "input"])?;
    let kind = kind(args)?;
    let input = args.hex("input")?;
    let canonical = identity::canonicalize(kind, &input)?;
    let mut fields = Fields::new();
    fields.insert("canonical".into(), lowerhex::encode(canonical.as_bytes()).into());
    Ok(fields)
}

/// `identity.client_hash {kind, input, salt, rounds} -> {hash}`.
pub(super) fn client_hash(args: &Args<'_>) -> Result<Fields, OpError> {
    args.only(&["kind", "input", "salt", "rounds"])?;
    let kind = kind(args)?;
    let input = args.hex("input")?;
    let salt = args.hex("salt")?;
    let raw_rounds = args.uint::<u32>("rounds")?;
    let salt = ClientSalt::new(&salt)?;
    let rounds = Rounds::new(raw_rounds)?;
    Ok(hash_fields("hash", &identity::client_hash(kind, &input, &salt, rounds)?))
}

/// `identity.server_hash {kind, clientHash, secret, rounds} -> {hash}`.
pub(super) fn server_hash(args: &Args<'_>) -> Result<Fields, OpError> {
    args.only(&["kind", "clientHash", "secret", "rounds"])?;
    let kind = kind(args)?;
    let client = args.hex("clientHash")?;
    let client: [u8; HASH_LEN] = client.as_slice().try_into().map_err(|_| {
        OpError::BadRequest(format!("{}.clientHash must be {HASH_LEN} bytes, not {}", args.within, client.len()))
    })?;
    let secret = args.hex("secret")?;
    let raw_rounds = args.uint::<u32>("rounds")?;
    let secret = ServerSecret::new(&secret)?;
    let rounds = Rounds::new(raw_rounds)?;
    Ok(hash_fields("hash", &identity::server_hash(kind, &IdentityHash(client), &secret, rounds)))
}

/// `identity.contact_lookup {entries: [{kind, input}], salt, rounds} -> {hashes}`.
pub(super) fn contact_lookup(args: &Args<'_>) -> Result<Fields, OpError> {
    args.only(&["entries", "salt", "rounds"])?;
    let mut entries: Vec<(IdentifierKind, Vec<u8>)> = Vec::new();
    for (index, entry) in args.array("entries")?.iter().enumerate() {
        let within = format!("{}.entries[{index}]", args.within);
        let Value::Object(map) = entry else {
            return Err(OpError::BadRequest(format!("{within} must be an object")));
        };
        let entry = Args { map, within: &within };
        entry.only(&["kind", "input"])?;
        entries.push((kind(&entry)?, entry.hex("input")?));
    }
    let salt = args.hex("salt")?;
    let raw_rounds = args.uint::<u32>("rounds")?;
    let salt = ClientSalt::new(&salt)?;
    let rounds = Rounds::new(raw_rounds)?;
    let lookup: Vec<LookupEntry<'_>> =
        entries.iter().map(|(kind, input)| LookupEntry { kind: *kind, input: input.as_slice() }).collect();
    let mut out = vec![IdentityHash([0; HASH_LEN]); lookup.len()];
    let hashes = identity::contact_lookup(&lookup, &salt, rounds, &mut out)?;
    let mut fields = Fields::new();
    fields.insert("hashes".into(), hashes.iter().map(|h| Value::from(lowerhex::encode(&h.0))).collect());
    Ok(fields)
}

/// `identity.verification_code {keyA, keyB} -> {code}`.
pub(super) fn verification_code(args: &Args<'_>) -> Result<Fields, OpError> {
    args.only(&["keyA", "keyB"])?;
    let key_a = args.hex("keyA")?;
    let key_b = args.hex("keyB")?;
    let code = identity::verification_code(&key_a, &key_b)?;
    let mut fields = Fields::new();
    fields.insert("code".into(), code.as_str().into());
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::dispatch::dispatch;
    use crate::protocol::{BAD_REQUEST, Response};

    fn code_of(response: &Response) -> Option<&str> {
        match response {
            Response::Error { code, .. } => Some(code),
            _ => None,
        }
    }

    fn ok_field(response: &Response, name: &str) -> Option<serde_json::Value> {
        match response {
            Response::Ok(fields) => fields.get(name).cloned(),
            _ => None,
        }
    }

    const SALT: &str = "000102030405060708090a0b0c0d0e0f";
    const SECRET: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn canonicalizes_a_phone_number() {
        let response =
            dispatch("identity.canonicalize", &json!({"kind": "phone", "input": hex::encode(" +1 555 0100 ")}));
        assert_eq!(ok_field(&response, "canonical"), Some(json!(hex::encode("+15550100"))));
    }

    #[test]
    fn reports_the_references_error_code() {
        let response = dispatch("identity.canonicalize", &json!({"kind": "phone", "input": hex::encode("5550100")}));
        assert_eq!(code_of(&response), Some("identity.invalid_phone"));
    }

    #[test]
    fn unreadable_arguments_are_a_bad_request() {
        for args in [
            json!({"kind": "phone"}),
            json!({"kind": "fax", "input": "00"}),
            json!({"kind": "phone", "input": "0g"}),
            json!({"kind": "phone", "input": "ABCD"}),
            json!({"kind": "phone", "input": "abc"}),
            json!({"kind": "phone", "input": "00", "extra": 1}),
            json!({"kind": 1, "input": "00"}),
        ] {
            assert_eq!(code_of(&dispatch("identity.canonicalize", &args)), Some(BAD_REQUEST), "{args}");
        }
    }

    #[test]
    fn rounds_out_of_bounds_are_invalid_rounds_and_past_u32_a_bad_request() {
        for rounds in [json!(999), json!(1_000_001), json!(0), json!(4_294_967_295_u64)] {
            let args = json!({"kind": "user_id", "input": hex::encode("alice"), "salt": SALT, "rounds": rounds});
            assert_eq!(code_of(&dispatch("identity.client_hash", &args)), Some("identity.invalid_rounds"), "{rounds}");
        }
        // ADAPTER.md section 3: a number that does not fit its type cannot be read.
        for rounds in [json!(1000.5), json!("1000"), json!(null), json!(-5), json!(4_294_967_296_u64), json!(1e30)] {
            let args = json!({"kind": "user_id", "input": hex::encode("alice"), "salt": SALT, "rounds": rounds});
            assert_eq!(code_of(&dispatch("identity.client_hash", &args)), Some(BAD_REQUEST), "{rounds}");
        }
    }

    #[test]
    fn a_short_salt_or_secret_is_invalid_salt() {
        let args = json!({"kind": "user_id", "input": hex::encode("alice"), "salt": "00", "rounds": 1000});
        assert_eq!(code_of(&dispatch("identity.client_hash", &args)), Some("identity.invalid_salt"));
        let args = json!({"kind": "user_id", "clientHash": "00".repeat(32), "secret": SALT, "rounds": 1000});
        assert_eq!(code_of(&dispatch("identity.server_hash", &args)), Some("identity.invalid_salt"));
    }

    #[test]
    fn server_hash_needs_a_32_byte_client_hash() {
        let args = json!({"kind": "user_id", "clientHash": "00".repeat(31), "secret": SECRET, "rounds": 1000});
        assert_eq!(code_of(&dispatch("identity.server_hash", &args)), Some(BAD_REQUEST));
        let args = json!({"kind": "user_id", "clientHash": "00".repeat(32), "secret": SECRET, "rounds": 1000});
        assert!(ok_field(&dispatch("identity.server_hash", &args), "hash").is_some());
    }

    #[test]
    fn contact_lookup_sorts_and_deduplicates() {
        let phone = json!({"kind": "phone", "input": hex::encode("+15550100")});
        let same = json!({"kind": "phone", "input": hex::encode("+1 555 0100")});
        let email = json!({"kind": "email", "input": hex::encode("a@example.org")});
        let args = json!({"entries": [phone, email, same], "salt": SALT, "rounds": 1000});
        let hashes = ok_field(&dispatch("identity.contact_lookup", &args), "hashes");
        let hashes: Vec<String> = hashes
            .and_then(|h| h.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|h| h.as_str().map(str::to_owned))
            .collect();
        assert_eq!(hashes.len(), 2);
        assert!(hashes[0] < hashes[1]);
    }

    #[test]
    fn contact_lookup_tells_an_unknown_kind_from_a_kind_it_does_not_use() {
        let entry = |kind: &str| json!({"entries": [{"kind": kind, "input": "00"}], "salt": SALT, "rounds": 1000});
        assert_eq!(code_of(&dispatch("identity.contact_lookup", &entry("fax"))), Some(BAD_REQUEST));
        assert_eq!(code_of(&dispatch("identity.contact_lookup", &entry("user_id"))), Some("identity.invalid_batch"));
        let empty = json!({"entries": [], "salt": SALT, "rounds": 1000});
        assert_eq!(code_of(&dispatch("identity.contact_lookup", &empty)), Some("identity.invalid_batch"));
    }

    #[test]
    fn verification_code_is_symmetric_and_rejects_equal_keys() {
        let a = "01".repeat(32);
        let b = "02".repeat(32);
        let ab = dispatch("identity.verification_code", &json!({"keyA": a, "keyB": b}));
        let ba = dispatch("identity.verification_code", &json!({"keyA": b, "keyB": a}));
        assert!(ok_field(&ab, "code").is_some());
        assert_eq!(ab, ba);
        let same = dispatch("identity.verification_code", &json!({"keyA": a, "keyB": a}));
        assert_eq!(code_of(&same), Some("identity.invalid_key"));
    }
}
