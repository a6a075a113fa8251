//! `vectors/envelope.json` replayed through the reference, in-process, for `cargo mutants`: a
//! mutant of `src/envelope.rs` or `src/codec.rs` that changes any vector's answer is caught here
//! without building the generator or the conformance runner (which check the same vectors more
//! slowly). Then the tests that close the gaps `cargo mutants` found in the vectors.

use cinder::envelope::{self, Content, ContentType, Envelope, EnvelopeError, Header, Recipient};
use cinder::testing::ReplayRng;
use serde_json::{Map, Value};

fn vector_file(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{} cannot be read: {e}", path.display()));
    serde_json::from_str(&text).expect("the vector file is JSON")
}

fn bytes(args: &Value, name: &str) -> Vec<u8> {
    hex::decode(args[name].as_str().unwrap_or_else(|| panic!("{name} is a string"))).expect("vector hex")
}

fn key(args: &Value, name: &str) -> [u8; 32] {
    bytes(args, name).try_into().expect("a 32-byte key")
}

fn number<T: TryFrom<u64>>(args: &Value, name: &str) -> T {
    args[name].as_u64().and_then(|n| T::try_from(n).ok()).unwrap_or_else(|| panic!("{name} fits its type"))
}

fn header_fields(header: &Header<'_>) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("messageId".into(), hex::encode(header.message_id).into());
    fields.insert("conversationId".into(), hex::encode(header.conversation_id).into());
    fields.insert("senderDevice".into(), hex::encode(header.sender_device).into());
    fields.insert("sentAt".into(), header.sent_at.into());
    fields.insert("ttl".into(), header.ttl.into());
    fields.insert("padded".into(), header.padded.into());
    fields
}

fn seal(args: &Value) -> Result<Map<String, Value>, EnvelopeError> {
    let conversation_id = bytes(args, "conversationId");
    let sender_device = bytes(args, "senderDevice");
    let body = bytes(args, "content");
    let header = Header {
        message_id: bytes(args, "messageId").try_into().expect("a 16-byte message ID"),
        conversation_id: &conversation_id,
        sender_device: &sender_device,
        sent_at: number(args, "sentAt"),
        ttl: number(args, "ttl"),
        padded: args["padded"].as_bool().expect("padded is a boolean"),
    };
    let content_type = ContentType::try_from(number::<u8>(args, "contentType"))?;
    let content = Content { bor: number(args, "bor"), content_type, body: &body };
    let list: Vec<(Vec<u8>, [u8; 32])> = args["recipients"]
        .as_array()
        .expect("recipients is an array")
        .iter()
        .map(|entry| (bytes(entry, "device"), key(entry, "wrapKey")))
        .collect();
    let mut recipients: Vec<Recipient<'_>> =
        list.iter().map(|(device, wrap_key)| Recipient { device, wrap_key }).collect();
    let mut out = vec![0u8; envelope::sealed_len(&header, &recipients, body.len())?];
    let content_key = key(args, "contentKey");
    let mut rng = ReplayRng::new(&content_key);
    let len = envelope::seal(&header, &content, &mut recipients, &mut rng, &mut out)?;
    assert!(rng.all_used() && !rng.exhausted(), "ENV-020: sealing draws exactly the 32-byte content key");
    let mut fields = Map::new();
    fields.insert("envelope".into(), hex::encode(&out[..len]).into());
    Ok(fields)
}

fn open(args: &Value) -> Result<Map<String, Value>, EnvelopeError> {
    let env = bytes(args, "envelope");
    let mut out = vec![0u8; env.len()];
    let opened = envelope::open(&env, &bytes(args, "device"), &key(args, "wrapKey"), &mut out)?;
    let mut fields = header_fields(&opened.header);
    fields.insert("bor".into(), opened.bor.into());
    fields.insert("contentType".into(), opened.content_type.byte().into());
    fields.insert("content".into(), hex::encode(opened.body).into());
    Ok(fields)
}

fn decode(args: &Value) -> Result<Map<String, Value>, EnvelopeError> {
    let env = bytes(args, "envelope");
    let decoded = Envelope::decode(&env)?;
    let mut fields = header_fields(&decoded.header);
    fields.insert("recipients".into(), decoded.slots().map(|slot| Value::from(hex::encode(slot.recipient))).collect());
    fields.insert("payloadLength".into(), decoded.ciphertext.len().into());
    // The canonical encoding gives the input back (ENV-014): decode→encode is the identity.
    let mut again = vec![0u8; decoded.encoded_len()];
    assert_eq!(decoded.encode(&mut again).ok(), Some(env.len()));
    assert_eq!(again, env, "decode→encode changed the envelope");
    assert_eq!(decoded.recipient_count(), decoded.slots().count());
    Ok(fields)
}

#[test]
fn the_reference_gives_every_envelope_vector_its_expected_answer() {
    let file = vector_file("envelope.json");
    let mut checked = 0;
    let mut wrong = Vec::new();
    for group in file["testGroups"].as_array().expect("testGroups") {
        let op = group["op"].as_str().expect("op");
        for test in group["tests"].as_array().expect("tests") {
            let args = &test["args"];
            let got = match op {
                "envelope.seal" => seal(args),
                "envelope.open" => open(args),
                "envelope.decode" => decode(args),
                other => panic!("envelope.json has an operation this test does not know: {other}"),
            };
            let ok = match test["result"].as_str() {
                Some("valid") => got.as_ref().ok().map(|f| Value::Object(f.clone())) == Some(test["expected"].clone()),
                _ => got.as_ref().err().map(EnvelopeError::code) == test["error"].as_str(),
            };
            if !ok {
                wrong.push(format!("{}: got {:?}", test["id"], got.map(|_| "ok").map_err(|e| e.code())));
            }
            checked += 1;
        }
    }
    assert!(checked >= 300, "only {checked} envelope vectors");
    assert!(wrong.is_empty(), "{} of {checked} vectors differ:\n{}", wrong.len(), wrong.join("\n"));
}
