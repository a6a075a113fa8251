//! Envelope operations (`ADAPTER.md`, "Envelope operations"; spec/envelope.md).
//!
//! The argument and result shapes are the vector generator's (`vectors/src/envelope.rs`:
//! `Seal::args`, `open_answer`, `decode_answer`). As for identity, every handler reads all of its
//! arguments first, so a request that cannot be read is always `adapter.bad_request`, whatever
//! else is wrong with it. `envelope.seal` then checks the content type (as the generator does,
//! with `ContentType::try_from`), and the reference does the rest.
//!
//! The content key is the only randomness of sealing (ENV-020). When the request gives it
//! (`contentKey`), it reaches the reference through [`ReplayRng`], which hands out exactly those
//! 32 bytes; when it does not, the key is drawn from the operating system's generator for this
//! one envelope.

use cinder::envelope::{
    self, Content, ContentType, Envelope, Header, KEY_LEN, MAX_RECIPIENTS, MESSAGE_ID_LEN, Recipient,
};
use cinder::testing::ReplayRng;
use serde_json::Value;

use super::{Args, Fields, OpError};
use crate::lowerhex;

/// The fields of a header, as `envelope.open` and `envelope.decode` answer them.
fn header_fields(header: &Header<'_>) -> Fields {
    let mut fields = Fields::new();
    fields.insert("messageId".into(), lowerhex::encode(&header.message_id).into());
    fields.insert("conversationId".into(), lowerhex::encode(header.conversation_id).into());
    fields.insert("senderDevice".into(), lowerhex::encode(header.sender_device).into());
    fields.insert("sentAt".into(), header.sent_at.into());
    fields.insert("ttl".into(), header.ttl.into());
    fields.insert("padded".into(), header.padded.into());
    fields
}

/// A fresh content key from the operating system's generator (ENV-020), for a `seal` request
/// without `contentKey`.
fn fresh_content_key() -> Result<[u8; KEY_LEN], OpError> {
    let mut key = [0u8; KEY_LEN];
    getrandom::fill(&mut key).map_err(|e| {
        OpError::Internal(format!("the operating system's random generator failed to give a content key: {e}"))
    })?;
    Ok(key)
}

/// One entry of `recipients`: `{device, wrapKey}`.
fn recipient(entry: &Value, within: &str) -> Result<(Vec<u8>, [u8; KEY_LEN]), OpError> {
    let Value::Object(map) = entry else {
        return Err(OpError::BadRequest(format!("{within} must be an object")));
    };
    let entry = Args { map, within };
    entry.only(&["device", "wrapKey"])?;
    Ok((entry.hex("device")?, entry.hex_array("wrapKey")?))
}

/// `envelope.seal {messageId, conversationId, senderDevice, sentAt, ttl, padded, bor,
/// contentType, content, recipients: [{device, wrapKey}], contentKey?} -> {envelope}`.
pub(super) fn seal(args: &Args<'_>) -> Result<Fields, OpError> {
    args.only(&[
        "messageId",
        "conversationId",
        "senderDevice",
        "sentAt",
        "ttl",
        "padded",
        "bor",
        "contentType",
        "content",
        "recipients",
        "contentKey",
    ])?;
    let message_id: [u8; MESSAGE_ID_LEN] = args.hex_array("messageId")?;
    let conversation_id = args.hex("conversationId")?;
    let sender_device = args.hex("senderDevice")?;
    let sent_at: u64 = args.uint("sentAt")?;
    let ttl: u32 = args.uint("ttl")?;
    let padded = args.boolean("padded")?;
    let bor: u32 = args.uint("bor")?;
    let type_byte: u8 = args.uint("contentType")?;
    let body = args.hex("content")?;
    let list = args.array("recipients")?;
    // More than the spec allows is refused by the reference below (ENV-012); this bound only
    // keeps a hostile request from making the adapter parse without limit first.
    if list.len() > 10 * MAX_RECIPIENTS {
        return Err(OpError::BadRequest(format!("{}.recipients has {} entries", args.within, list.len())));
    }
    let mut entries = Vec::with_capacity(list.len());
    for (index, entry) in list.iter().enumerate() {
        entries.push(recipient(entry, &format!("{}.recipients[{index}]", args.within))?);
    }
    let given_key: Option<[u8; KEY_LEN]> =
        if args.map.contains_key("contentKey") { Some(args.hex_array("contentKey")?) } else { None };

    let content_type = ContentType::try_from(type_byte)?;
    let header =
        Header { message_id, conversation_id: &conversation_id, sender_device: &sender_device, sent_at, ttl, padded };
    let content = Content { bor, content_type, body: &body };
    let mut recipients: Vec<Recipient<'_>> =
        entries.iter().map(|(device, wrap_key)| Recipient { device, wrap_key }).collect();
    let mut out = vec![0u8; envelope::sealed_len(&header, &recipients, body.len())?];
    let content_key = match given_key {
        Some(key) => key,
        None => fresh_content_key()?,
    };
    let mut rng = ReplayRng::new(&content_key);
    let len = envelope::seal(&header, &content, &mut recipients, &mut rng, &mut out)?;
    out.truncate(len);
    let mut fields = Fields::new();
    fields.insert("envelope".into(), lowerhex::encode(&out).into());
    Ok(fields)
}

/// `envelope.open {envelope, device, wrapKey} -> {messageId, conversationId, senderDevice,
/// sentAt, ttl, padded, bor, contentType, content}`.
pub(super) fn open(args: &Args<'_>) -> Result<Fields, OpError> {
    args.only(&["envelope", "device", "wrapKey"])?;
    let bytes = args.hex("envelope")?;
    let device = args.hex("device")?;
    let wrap_key: [u8; KEY_LEN] = args.hex_array("wrapKey")?;
    // The decrypted sealed part is shorter than the envelope it came from.
    let mut out = vec![0u8; bytes.len()];
    let opened = envelope::open(&bytes, &device, &wrap_key, &mut out)?;
    let mut fields = header_fields(&opened.header);
    fields.insert("bor".into(), opened.bor.into());
    fields.insert("contentType".into(), opened.content_type.byte().into());
    fields.insert("content".into(), lowerhex::encode(opened.body).into());
    Ok(fields)
}

/// `envelope.decode {envelope} -> {messageId, conversationId, senderDevice, sentAt, ttl, padded,
/// recipients, payloadLength}`.
pub(super) fn decode(args: &Args<'_>) -> Result<Fields, OpError> {
    args.only(&["envelope"])?;
    let bytes = args.hex("envelope")?;
    let decoded = Envelope::decode(&bytes)?;
    let mut fields = header_fields(&decoded.header);
    fields.insert(
        "recipients".into(),
        decoded.slots().map(|slot| Value::from(lowerhex::encode(slot.recipient))).collect(),
    );
    fields.insert("payloadLength".into(), decoded.ciphertext.len().into());
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::dispatch::dispatch;
    use crate::protocol::{BAD_REQUEST, Response};

    fn code_of(response: &Response) -> Option<&str> {
        match response {
            Response::Error { code, .. } => Some(code),
            _ => None,
        }
    }

    fn ok_field(response: &Response, name: &str) -> Option<Value> {
        match response {
            Response::Ok(fields) => fields.get(name).cloned(),
            _ => None,
        }
    }

    fn key(byte: u8) -> String {
        hex::encode([byte; 32])
    }

    fn seal_args() -> Value {
        json!({
            "messageId": "00112233445566778899aabbccddeeff",
            "conversationId": hex::encode("room"),
            "senderDevice": hex::encode("alice"),
            "sentAt": 1_700_000_000_u64,
            "ttl": 3600,
            "padded": true,
            "bor": 30,
            "contentType": 1,
            "content": hex::encode("hello"),
            "recipients": [
                {"device": hex::encode("carol"), "wrapKey": key(2)},
                {"device": hex::encode("bob"), "wrapKey": key(1)},
            ],
            "contentKey": key(9),
        })
    }

    fn with(mut args: Value, name: &str, value: Value) -> Value {
        if let Value::Object(map) = &mut args {
            map.insert(name.into(), value);
        }
        args
    }

    fn without(mut args: Value, name: &str) -> Value {
        if let Value::Object(map) = &mut args {
            map.remove(name);
        }
        args
    }

    fn sealed(args: &Value) -> String {
        let response = dispatch("envelope.seal", args);
        match ok_field(&response, "envelope") {
            Some(Value::String(envelope)) => envelope,
            _ => panic!("seal failed: {response:?}"),
        }
    }

    #[test]
    fn seals_opens_and_decodes_a_round_trip() {
        let envelope = sealed(&seal_args());
        let opened =
            dispatch("envelope.open", &json!({"envelope": envelope, "device": hex::encode("bob"), "wrapKey": key(1)}));
        let expected = json!({
            "messageId": "00112233445566778899aabbccddeeff",
            "conversationId": hex::encode("room"),
            "senderDevice": hex::encode("alice"),
            "sentAt": 1_700_000_000_u64,
            "ttl": 3600,
            "padded": true,
            "bor": 30,
            "contentType": 1,
            "content": hex::encode("hello"),
        });
        assert_eq!(opened, Response::Ok(expected.as_object().cloned().unwrap_or_default()));
        let decoded = dispatch("envelope.decode", &json!({"envelope": envelope}));
        assert_eq!(ok_field(&decoded, "recipients"), Some(json!([hex::encode("bob"), hex::encode("carol")])));
        assert_eq!(ok_field(&decoded, "sentAt"), Some(json!(1_700_000_000_u64)));
        assert!(ok_field(&decoded, "payloadLength").is_some_and(|n| n.as_u64().is_some()));
    }

    #[test]
    fn a_given_content_key_makes_sealing_deterministic() {
        assert_eq!(sealed(&seal_args()), sealed(&seal_args()));
        assert_ne!(sealed(&seal_args()), sealed(&with(seal_args(), "contentKey", json!(key(8)))));
    }

    #[test]
    fn without_a_content_key_each_envelope_gets_a_fresh_one() {
        let args = without(seal_args(), "contentKey");
        let (first, second) = (sealed(&args), sealed(&args));
        assert_ne!(first, second);
        for envelope in [first, second] {
            let opened = dispatch(
                "envelope.open",
                &json!({"envelope": envelope, "device": hex::encode("carol"), "wrapKey": key(2)}),
            );
            assert_eq!(ok_field(&opened, "content"), Some(json!(hex::encode("hello"))));
        }
    }

    #[test]
    fn sent_at_reaches_two_to_the_64_minus_one() {
        let envelope = sealed(&with(seal_args(), "sentAt", json!(u64::MAX)));
        let decoded = dispatch("envelope.decode", &json!({"envelope": envelope}));
        assert_eq!(ok_field(&decoded, "sentAt"), Some(json!(u64::MAX)));
    }

    #[test]
    fn content_types_outside_one_to_three_are_invalid_sealed() {
        for byte in [0, 4, 255] {
            let response = dispatch("envelope.seal", &with(seal_args(), "contentType", json!(byte)));
            assert_eq!(code_of(&response), Some("envelope.invalid_sealed"), "{byte}");
        }
    }

    #[test]
    fn the_references_errors_keep_their_codes() {
        let response = dispatch("envelope.seal", &with(seal_args(), "ttl", json!(0)));
        assert_eq!(code_of(&response), Some("envelope.invalid_header"));
        let response = dispatch("envelope.seal", &with(seal_args(), "recipients", json!([])));
        assert_eq!(code_of(&response), Some("envelope.length_out_of_range"));
        let envelope = sealed(&seal_args());
        let response =
            dispatch("envelope.open", &json!({"envelope": envelope, "device": hex::encode("dave"), "wrapKey": key(1)}));
        assert_eq!(code_of(&response), Some("envelope.not_a_recipient"));
        let response =
            dispatch("envelope.open", &json!({"envelope": envelope, "device": hex::encode("bob"), "wrapKey": key(2)}));
        assert_eq!(code_of(&response), Some("envelope.authentication_failed"));
        let response = dispatch("envelope.decode", &json!({"envelope": "0201"}));
        assert_eq!(code_of(&response), Some("envelope.unknown_version"));
    }

    #[test]
    fn numbers_that_do_not_fit_and_wrong_lengths_are_bad_requests() {
        for (name, value) in [
            ("ttl", json!(4_294_967_296_u64)),
            ("ttl", json!(-1)),
            ("ttl", json!(3600.5)),
            ("ttl", json!("3600")),
            ("bor", json!(4_294_967_296_u64)),
            ("contentType", json!(256)),
            ("sentAt", json!(18_446_744_073_709_551_616_f64)),
            ("sentAt", json!(-1)),
            ("padded", json!(1)),
            ("messageId", json!("00")),
            ("contentKey", json!("00")),
            ("contentKey", json!(hex::encode([0u8; 33]))),
            ("recipients", json!([{"device": "00", "wrapKey": "00"}])),
            ("recipients", json!([{"device": "00"}])),
            ("recipients", json!(["00"])),
            ("content", json!("ABCD")),
            ("extra", json!(1)),
        ] {
            let response = dispatch("envelope.seal", &with(seal_args(), name, value.clone()));
            assert_eq!(code_of(&response), Some(BAD_REQUEST), "{name} = {value}: {response:?}");
        }
        let response = dispatch("envelope.open", &json!({"envelope": "00", "device": "00", "wrapKey": "00"}));
        assert_eq!(code_of(&response), Some(BAD_REQUEST));
        let response = dispatch("envelope.decode", &json!({}));
        assert_eq!(code_of(&response), Some(BAD_REQUEST));
    }

    #[test]
    fn a_bad_request_wins_over_a_spec_error() {
        let args = with(with(seal_args(), "contentType", json!(9)), "messageId", json!("00"));
        assert_eq!(code_of(&dispatch("envelope.seal", &args)), Some(BAD_REQUEST));
    }
}
