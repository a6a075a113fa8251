//! `vectors/envelope.json` replayed through the reference, in-process, for `cargo mutants`: a
//! mutant of `src/envelope.rs` or `src/codec.rs` that changes any vector's answer is caught here
//! without building the generator or the conformance runner (which check the same vectors more
//! slowly). Then the tests that close the gaps `cargo mutants` found in the vectors.

use cinder::envelope::{self, Content, ContentType, Envelope, EnvelopeError, Header, Recipient};
use cinder::testing::ReplayRng;
use serde_json::{Map, Value};

#[path = "support/vectors.rs"]
mod vectors;

use vectors::vector_file;

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

// ---------------------------------------------------------------------------------------------
// Gaps `cargo mutants` found: what the vectors cannot see (messages, Debug output, constants the
// reference does not use itself, the caller's buffer, the vectors' own test-only sealer). Each test
// names the mutants it kills.

const ROOM: &[u8] = b"room";

fn small_envelope(body: &[u8]) -> (Vec<u8>, [u8; 32]) {
    let wrap_key = [3u8; 32];
    let header = Header {
        message_id: [1; 16],
        conversation_id: ROOM,
        sender_device: b"alice",
        sent_at: 1,
        ttl: 60,
        padded: false,
    };
    let content = Content { bor: 0, content_type: ContentType::Text, body };
    let mut recipients = [Recipient { device: b"bob", wrap_key: &wrap_key }];
    let mut out = vec![0u8; envelope::sealed_len(&header, &recipients, body.len()).expect("valid")];
    let len =
        envelope::seal(&header, &content, &mut recipients, &mut ReplayRng::new(&[9; 32]), &mut out).expect("seals");
    out.truncate(len);
    (out, wrap_key)
}

/// Kills the nine arithmetic mutants of `MAX_HEADER_LEN`: it is the length of the longest header,
/// 161 bytes (spec/envelope.md: 3 + 16 + 65 + 65 + 8 + 4), which a header with 64-byte IDs has.
#[test]
fn the_longest_header_is_max_header_len_bytes() {
    assert_eq!(envelope::MAX_HEADER_LEN, 161);
    let (id, wrap_key) = ([b'x'; 64], [3u8; 32]);
    let header =
        Header { message_id: [1; 16], conversation_id: &id, sender_device: &id, sent_at: 1, ttl: 60, padded: false };
    let content = Content { bor: 0, content_type: ContentType::Text, body: b"" };
    let mut recipients = [Recipient { device: b"bob", wrap_key: &wrap_key }];
    let mut out = vec![0u8; envelope::sealed_len(&header, &recipients, 0).expect("valid")];
    let len =
        envelope::seal(&header, &content, &mut recipients, &mut ReplayRng::new(&[9; 32]), &mut out).expect("seals");
    let decoded = Envelope::decode(&out[..len]).expect("decodes");
    assert_eq!(decoded.header_bytes().len(), envelope::MAX_HEADER_LEN);
}

/// Kills `padme`: `len < 2` → `len == 2` (which underflows for 0): below 2 the length is its own
/// Padmé length. (`<=` is equivalent: `padme(2)` is 2 either way.)
#[test]
fn padme_of_zero_and_one_is_itself() {
    assert_eq!((envelope::padme(0), envelope::padme(1), envelope::padme(2)), (0, 1, 2));
}

/// Kills `Debug for Recipient` → `Ok(())`: it names the device and never shows the wrap key.
#[test]
fn a_recipient_debug_shows_the_device_but_not_the_wrap_key() {
    let key = [0xab; 32];
    let shown = format!("{:?}", Recipient { device: b"bob", wrap_key: &key });
    assert_eq!(shown, "Recipient { device: [98, 111, 98], .. }");
}

/// Kills `Display for EnvelopeError` → `Ok(())` and the deletion of each of its arms: a message
/// starts with the spec code and adds the detail that code has.
#[test]
fn envelope_errors_display_their_code_and_detail() {
    assert_eq!(
        Envelope::decode(&[1]).map(|_| ()).map_err(|e| e.to_string()),
        Err("envelope.truncated: input ends inside suite".to_owned())
    );
    assert_eq!(EnvelopeError::UnknownVersion(2).to_string(), "envelope.unknown_version: 0x02");
    assert_eq!(EnvelopeError::UnknownSuite(0xff).to_string(), "envelope.unknown_suite: 0xff");
    assert_eq!(EnvelopeError::ReservedBits(0x80).to_string(), "envelope.reserved_bits: 0x80");
    let sealed = ContentType::try_from(9).map(|_| ()).map_err(|e| e.to_string());
    assert_eq!(sealed, Err("envelope.invalid_sealed: ContentType(9)".to_owned()));
    assert_eq!(EnvelopeError::BufferTooSmall { needed: 7 }.to_string(), "envelope.buffer_too_small: 7 bytes needed");
    assert_eq!(EnvelopeError::NotARecipient.to_string(), "envelope.not_a_recipient");
}

/// Kills `open`: `out.len() < payload` → `<=` and `==`: an output buffer exactly as long as the
/// payload is enough; one byte less is `BufferTooSmall` naming the length needed.
#[test]
fn open_needs_exactly_the_payload_length_of_output() {
    let (env, wrap_key) = small_envelope(b"hello");
    let payload = Envelope::decode(&env).expect("decodes").ciphertext.len();
    let mut exact = vec![0u8; payload];
    let opened = envelope::open(&env, b"bob", &wrap_key, &mut exact).map(|o| o.body.to_vec());
    assert_eq!(opened, Ok(b"hello".to_vec()));
    let mut short = vec![0u8; payload - 1];
    let refused = envelope::open(&env, b"bob", &wrap_key, &mut short).map(|_| ());
    assert_eq!(refused, Err(EnvelopeError::BufferTooSmall { needed: payload }));
}

/// Kills `seal_raw_sealed_part_for_testing_only` → `Ok(0)`, `Ok(1)`: the vectors' sealer of
/// arbitrary sealed parts returns the envelope's length, and what it wrote decodes and opens to
/// exactly the sealed part's verdict.
#[test]
fn the_raw_sealer_returns_the_length_of_what_it_wrote() {
    let wrap_key = [3u8; 32];
    let header = Header {
        message_id: [1; 16],
        conversation_id: ROOM,
        sender_device: b"alice",
        sent_at: 1,
        ttl: 60,
        padded: false,
    };
    // bor 0, content type 1, length 2, "hi": a well-formed unpadded sealed part.
    let sealed = [0, 0, 0, 0, 1, 0, 0, 0, 2, b'h', b'i'];
    let mut recipients = [Recipient { device: b"bob", wrap_key: &wrap_key }];
    let mut out = vec![0u8; 1024];
    let len = envelope::seal_raw_sealed_part_for_testing_only(
        &header,
        &sealed,
        None,
        &mut recipients,
        &mut ReplayRng::new(&[9; 32]),
        &mut out,
    )
    .expect("seals");
    let decoded = Envelope::decode(&out[..len]).expect("what was written decodes, and nothing more");
    assert_eq!(decoded.encoded_len(), len);
    let mut plain = vec![0u8; len];
    let opened = envelope::open(&out[..len], b"bob", &wrap_key, &mut plain).map(|o| o.body.to_vec());
    assert_eq!(opened, Ok(b"hi".to_vec()));
}
