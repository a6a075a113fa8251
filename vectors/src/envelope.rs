//! Known-answer vectors for message envelopes (spec/envelope.md): `vectors/envelope.json`.
//!
//! Parameters: none; every input is written below or derived from a label with
//! [`filler`], and the only randomness of sealing, the content key, is
//! given in each test's arguments.
//!
//! Format: `envelope.seal` (valid and invalid inputs), `envelope.open` (valid, and every
//! authentication and addressing failure), `envelope.decode` (valid, and every structural
//! mutation: what a server that routes envelopes must reject).
//!
//! Verification: each invalid case states its expected error code here, by hand, and the generator
//! stops if the reference disagrees. Envelopes, opened contents and decoded fields come from the
//! reference and are recomputed independently by `vectors/crosscheck/envelope.py` (Python and the
//! `cryptography` package).

use cinder::envelope::{
    self, Content, ContentType, Envelope, EnvelopeError, Header, MAX_CONTENT_LEN, MAX_RECIPIENTS, MAX_TTL, Recipient,
    SEALED_MAX_LEN,
};
use cinder::testing::ReplayRng;
use serde_json::{Value, json};

use crate::builder::{Case, GenerateError, Group, file, filler};
use crate::format::VectorFile;

/// The `Version:` of spec/envelope.md these vectors test.
pub const SPEC_VERSION: &str = "1.1.0";

const NOTES: &[(&str, &str)] = &[
    ("Boundary", "A length, count or field value exactly at a bound the spec allows: it must be accepted."),
    ("PastBoundary", "A length, count or field value one step past a bound: it must be rejected."),
    ("Large", "A 1 MiB body or 1,000 recipients: the largest envelopes the spec allows."),
    ("Padded", "The padded flag is set: the sealed part is padded to its Padmé length (ENV-031)."),
    ("Truncated", "The envelope is cut short inside the field named in the test ID (ENV-013)."),
    ("LengthShift", "A length prefix changed so that it stays in bounds but no longer matches the bytes after it."),
    ("Flipped", "One bit of one byte of a valid envelope is flipped (ENV-021)."),
    ("Spliced", "Bytes of another valid envelope are put in place of this one's (ENV-022)."),
    ("Unsorted", "The recipients are given to seal in an order that is not the envelope's order (ENV-014, ENV-040)."),
    ("SenderFault", "An authenticated sealed part that breaks ENV-031 or ENV-032: only a faulty sender makes one."),
];

const HEADER: &[&str] = &[
    "Message envelopes (spec/envelope.md): sealing with the content key given, opening as one recipient, and \
     decoding the routing structure.",
    "Bytes are lowercase hex; sentAt can reach 2^64 - 1, so read JSON integers as unsigned 64-bit.",
    "Expected error codes were written by hand from the spec and checked against the reference; envelopes and \
     opened contents were recomputed independently by vectors/crosscheck/envelope.py.",
];

/// Everything `envelope.seal` takes, owned.
#[derive(Clone, Debug)]
struct Seal {
    message_id: [u8; 16],
    conversation_id: Vec<u8>,
    sender_device: Vec<u8>,
    sent_at: u64,
    ttl: u32,
    padded: bool,
    bor: u32,
    content_type: u8,
    body: Vec<u8>,
    recipients: Vec<(Vec<u8>, [u8; 32])>,
    content_key: [u8; 32],
}

fn key32(label: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&filler(label, 32));
    out
}

fn wrap_key_for(device: &[u8]) -> [u8; 32] {
    key32(&format!("wrap key {}", hex::encode(device)))
}

fn recipients(names: &[&str]) -> Vec<(Vec<u8>, [u8; 32])> {
    names.iter().map(|n| (n.as_bytes().to_vec(), wrap_key_for(n.as_bytes()))).collect()
}

fn numbered(n: usize) -> Vec<(Vec<u8>, [u8; 32])> {
    (0..n).map(|i| format!("device-{i:04}").into_bytes()).map(|d| (d.clone(), wrap_key_for(&d))).collect()
}

/// The envelope most invalid cases mutate: three recipients, padded, a 100-byte body.
fn base() -> Seal {
    let mut message_id = [0u8; 16];
    message_id.copy_from_slice(&filler("message id base", 16));
    Seal {
        message_id,
        conversation_id: b"room-42".to_vec(),
        sender_device: b"alice-phone".to_vec(),
        sent_at: 1_767_225_600,
        ttl: 86_400,
        padded: true,
        bor: 60,
        content_type: 0x01,
        body: filler("body base", 100),
        recipients: recipients(&["bob-laptop", "bob-phone", "carol-tablet"]),
        content_key: key32("content key base"),
    }
}

impl Seal {
    fn header(&self) -> Header<'_> {
        Header {
            message_id: self.message_id,
            conversation_id: &self.conversation_id,
            sender_device: &self.sender_device,
            sent_at: self.sent_at,
            ttl: self.ttl,
            padded: self.padded,
        }
    }

    fn args(&self) -> Value {
        json!({
            "messageId": hex::encode(self.message_id),
            "conversationId": hex::encode(&self.conversation_id),
            "senderDevice": hex::encode(&self.sender_device),
            "sentAt": self.sent_at,
            "ttl": self.ttl,
            "padded": self.padded,
            "bor": self.bor,
            "contentType": self.content_type,
            "content": hex::encode(&self.body),
            "recipients": self.recipients.iter()
                .map(|(d, k)| json!({ "device": hex::encode(d), "wrapKey": hex::encode(k) }))
                .collect::<Vec<_>>(),
            "contentKey": hex::encode(self.content_key),
        })
    }

    /// Seals with the reference, as an adapter would.
    fn run(&self) -> Result<Vec<u8>, EnvelopeError> {
        let content_type = ContentType::try_from(self.content_type)?;
        let header = self.header();
        let mut list: Vec<Recipient<'_>> =
            self.recipients.iter().map(|(device, wrap_key)| Recipient { device, wrap_key }).collect();
        let content = Content { bor: self.bor, content_type, body: &self.body };
        let mut out = vec![0u8; envelope::sealed_len(&header, &list, self.body.len())?];
        let mut rng = ReplayRng::new(&self.content_key);
        let len = envelope::seal(&header, &content, &mut list, &mut rng, &mut out)?;
        out.truncate(len);
        Ok(out)
    }

    /// Seals arbitrary sealed-part bytes, and optionally a foreign commitment (`SenderFault` cases).
    fn run_raw(&self, sealed_part: &[u8], commitment: Option<&[u8; 32]>) -> Result<Vec<u8>, GenerateError> {
        let header = self.header();
        let mut list: Vec<Recipient<'_>> =
            self.recipients.iter().map(|(device, wrap_key)| Recipient { device, wrap_key }).collect();
        let mut out = vec![0u8; 4096 + sealed_part.len()];
        let mut rng = ReplayRng::new(&self.content_key);
        let len = envelope::seal_raw_sealed_part_for_testing_only(
            &header,
            sealed_part,
            commitment,
            &mut list,
            &mut rng,
            &mut out,
        )
        .map_err(|e| GenerateError(format!("raw seal: {e}")))?;
        out.truncate(len);
        Ok(out)
    }
}

fn header_json(h: &Header<'_>) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("messageId".into(), hex::encode(h.message_id).into());
    m.insert("conversationId".into(), hex::encode(h.conversation_id).into());
    m.insert("senderDevice".into(), hex::encode(h.sender_device).into());
    m.insert("sentAt".into(), h.sent_at.into());
    m.insert("ttl".into(), h.ttl.into());
    m.insert("padded".into(), h.padded.into());
    m
}

fn open_answer(env: &[u8], device: &[u8], wrap_key: &[u8; 32]) -> Result<Value, EnvelopeError> {
    let mut out = vec![0u8; env.len()];
    let opened = envelope::open(env, device, wrap_key, &mut out)?;
    let mut m = header_json(&opened.header);
    m.insert("bor".into(), opened.bor.into());
    m.insert("contentType".into(), opened.content_type.byte().into());
    m.insert("content".into(), hex::encode(opened.body).into());
    Ok(Value::Object(m))
}

fn decode_answer(env: &[u8]) -> Result<Value, EnvelopeError> {
    let decoded = Envelope::decode(env)?;
    let mut m = header_json(&decoded.header);
    m.insert("recipients".into(), decoded.slots().map(|s| hex::encode(s.recipient)).collect::<Vec<_>>().into());
    m.insert("payloadLength".into(), decoded.ciphertext.len().into());
    Ok(Value::Object(m))
}

fn check(
    id: &str,
    want: Option<&str>,
    got: Result<Value, EnvelopeError>,
) -> Result<Result<Value, String>, GenerateError> {
    match (want, got) {
        (None, Ok(v)) => Ok(Ok(v)),
        (Some(code), Err(e)) if e.code() == code => Ok(Err(code.to_owned())),
        (want, got) => Err(GenerateError(format!("{id}: the case expects {want:?} but the reference gives {got:?}"))),
    }
}

fn push(g: &mut Group, case: &Case<'_>, args: Value, outcome: Result<Value, String>) {
    match outcome {
        Ok(expected) => g.valid(case, args, expected),
        Err(code) => g.invalid(case, args, &code),
    }
}

/// A valid sealing case, with the reasons it exists.
struct Valid {
    id: String,
    comment: String,
    requirements: &'static [&'static str],
    flags: &'static [&'static str],
    seal: Seal,
}

fn valid(
    id: &str,
    comment: &str,
    requirements: &'static [&'static str],
    flags: &'static [&'static str],
    seal: Seal,
) -> Valid {
    Valid { id: id.into(), comment: comment.into(), requirements, flags, seal }
}

fn valid_cases() -> Vec<Valid> {
    let b = base();
    let mut v = vec![valid(
        "base",
        "Three recipients, padded, a 100-byte body: the envelope the mutations start from.",
        &["ENV-001", "ENV-020", "ENV-031"],
        &["Padded"],
        b.clone(),
    )];
    for n in [1usize, 2, 3, 10, 100, MAX_RECIPIENTS] {
        let flags: &'static [&'static str] = if n == MAX_RECIPIENTS {
            &["Boundary", "Large"]
        } else if n == 1 {
            &["Boundary"]
        } else {
            &[]
        };
        v.push(valid(
            &format!("recipients-{n}"),
            &format!("{n} recipient device(s), one content key wrapped for each."),
            &["ENV-012", "ENV-022"],
            flags,
            Seal { recipients: numbered(n), content_key: key32(&format!("content key n={n}")), ..b.clone() },
        ));
    }
    for len in [0usize, 1, 63, 64, 65, 1024] {
        for padded in [false, true] {
            v.push(valid(
                &format!("body-{len}-{}", if padded { "padded" } else { "unpadded" }),
                &format!("A {len}-byte body, {}.", if padded { "padded to its Padmé length" } else { "unpadded" }),
                if padded { &["ENV-031", "ENV-032"] } else { &["ENV-031"] },
                if padded { &["Padded"] } else { &[] },
                Seal {
                    body: filler(&format!("body {len}"), len),
                    padded,
                    content_key: key32(&format!("content key len={len} padded={padded}")),
                    ..b.clone()
                },
            ));
        }
    }
    v.push(valid(
        "body-max-padded",
        "A 1 MiB body, the largest allowed, padded: the largest sealed part (1,081,344 bytes).",
        &["ENV-012", "ENV-031", "ENV-032"],
        &["Boundary", "Large", "Padded"],
        Seal {
            body: filler("body max", MAX_CONTENT_LEN),
            recipients: recipients(&["bob-phone"]),
            content_key: key32("content key max"),
            ..b.clone()
        },
    ));
    let id64 = vec![b'x'; 64];
    let bounds: Vec<(&str, &str, &'static [&'static str], Seal)> = vec![
        (
            "conversation-id-1",
            "A one-byte conversation ID.",
            &["ENV-012"],
            Seal { conversation_id: b"r".to_vec(), ..b.clone() },
        ),
        (
            "conversation-id-64",
            "A 64-byte conversation ID.",
            &["ENV-012"],
            Seal { conversation_id: id64.clone(), ..b.clone() },
        ),
        (
            "sender-device-1",
            "A one-byte sender device ID.",
            &["ENV-012"],
            Seal { sender_device: b"s".to_vec(), ..b.clone() },
        ),
        (
            "sender-device-64",
            "A 64-byte sender device ID.",
            &["ENV-012"],
            Seal { sender_device: id64.clone(), ..b.clone() },
        ),
        (
            "recipient-id-1",
            "A one-byte recipient ID.",
            &["ENV-012"],
            Seal { recipients: recipients(&["r"]), ..b.clone() },
        ),
        (
            "recipient-id-64",
            "A 64-byte recipient ID.",
            &["ENV-012"],
            Seal { recipients: vec![(id64.clone(), wrap_key_for(&id64))], ..b.clone() },
        ),
        ("sent-at-zero", "sent_at = 0.", &["ENV-001"], Seal { sent_at: 0, ..b.clone() }),
        (
            "sent-at-max",
            "sent_at = 2^64 - 1: the envelope bounds nothing about time (the expiry chapter does).",
            &["ENV-001", "ENV-015"],
            Seal { sent_at: u64::MAX, ..b.clone() },
        ),
        ("ttl-1", "ttl = 1 second, the shortest allowed.", &["ENV-015"], Seal { ttl: 1, ..b.clone() }),
        (
            "ttl-max",
            "ttl = 31,536,000 seconds (365 days), the longest allowed.",
            &["ENV-015"],
            Seal { ttl: MAX_TTL, ..b.clone() },
        ),
        ("bor-off", "bor = 0: burn-on-read off.", &["ENV-032"], Seal { bor: 0, ..b.clone() }),
        ("bor-max", "bor = 31,536,000, the largest allowed.", &["ENV-032"], Seal { bor: MAX_TTL, ..b.clone() }),
        (
            "bor-above-ttl",
            "bor larger than ttl is allowed: expiry still wins (expiry chapter).",
            &["ENV-032"],
            Seal { bor: 7200, ttl: 3600, ..b.clone() },
        ),
        ("content-type-attachment", "Content type 0x02.", &["ENV-032"], Seal { content_type: 0x02, ..b.clone() }),
        ("content-type-control", "Content type 0x03.", &["ENV-032"], Seal { content_type: 0x03, ..b.clone() }),
        ("message-id-zero", "An all-zero message ID.", &["ENV-001"], Seal { message_id: [0; 16], ..b.clone() }),
        ("message-id-ff", "An all-0xFF message ID.", &["ENV-001"], Seal { message_id: [0xff; 16], ..b.clone() }),
        (
            "content-key-zero",
            "An all-zero content key (valid input; a real generator would not produce it).",
            &["ENV-020"],
            Seal { content_key: [0; 32], ..b.clone() },
        ),
    ];
    for (id, comment, reqs, seal) in bounds {
        v.push(valid(id, comment, reqs, &["Boundary"], seal));
    }
    v.push(valid(
        "recipients-prefix-order",
        "Recipients 'a', 'ab', 'b': a prefix sorts first.",
        &["ENV-014"],
        &["Unsorted"],
        Seal { recipients: recipients(&["b", "ab", "a"]), ..b.clone() },
    ));
    v.push(valid(
        "recipients-reversed",
        "Recipients given in descending order: seal sorts them.",
        &["ENV-014", "ENV-040"],
        &["Unsorted"],
        Seal { recipients: recipients(&["carol-tablet", "bob-phone", "bob-laptop"]), ..b.clone() },
    ));
    v.push(valid(
        "recipients-binary-ids",
        "Recipient IDs with bytes 0x00 and 0xFF: IDs are bytes, ordered bytewise.",
        &["ENV-014"],
        &["Unsorted"],
        Seal {
            recipients: vec![
                (vec![0xff], wrap_key_for(&[0xff])),
                (vec![0x00, 0x01], wrap_key_for(&[0, 1])),
                (vec![0x00], wrap_key_for(&[0])),
            ],
            ..b.clone()
        },
    ));
    v
}

fn seal_groups(valid: &[Valid]) -> Result<(Group, Group), GenerateError> {
    let mut ok = Group::new(
        "seal",
        "envelope.seal",
        "Sealing with every input given, including the content key: the exact envelope bytes (ENV-010..ENV-024, ENV-040).",
    );
    for c in valid {
        let id = format!("seal-{}", c.id);
        let case = Case { id: &id, comment: &c.comment, requirements: c.requirements, flags: c.flags };
        let outcome = check(&id, None, c.seal.run().map(|e| json!({ "envelope": hex::encode(e) })))?;
        push(&mut ok, &case, c.seal.args(), outcome);
    }
    let b = base();
    let id65 = vec![b'x'; 65];
    let mut too_many = numbered(MAX_RECIPIENTS);
    too_many.push((b"device-9999".to_vec(), wrap_key_for(b"device-9999")));
    let rows: Vec<(&str, &str, &'static [&'static str], &'static [&'static str], Seal, &str)> = vec![
        (
            "no-recipients",
            "No recipients.",
            &["ENV-012", "ENV-040"],
            &[],
            Seal { recipients: vec![], ..b.clone() },
            "envelope.length_out_of_range",
        ),
        (
            "too-many-recipients",
            "1,001 recipients.",
            &["ENV-012", "ENV-040"],
            &["PastBoundary", "Large"],
            Seal { recipients: too_many, ..b.clone() },
            "envelope.length_out_of_range",
        ),
        (
            "duplicate-recipient",
            "The same device twice.",
            &["ENV-014", "ENV-040"],
            &[],
            Seal { recipients: recipients(&["bob-phone", "carol-tablet", "bob-phone"]), ..b.clone() },
            "envelope.duplicate_recipient",
        ),
        (
            "duplicate-recipient-first-and-last",
            "The same device first and last, two others between: a duplicate need not be given next to its twin.",
            &["ENV-014", "ENV-040"],
            &[],
            Seal { recipients: recipients(&["carol-tablet", "bob-laptop", "bob-phone", "carol-tablet"]), ..b.clone() },
            "envelope.duplicate_recipient",
        ),
        (
            "recipient-id-empty",
            "An empty recipient ID.",
            &["ENV-012", "ENV-040"],
            &["PastBoundary"],
            Seal { recipients: vec![(vec![], wrap_key_for(&[]))], ..b.clone() },
            "envelope.length_out_of_range",
        ),
        (
            "recipient-id-65",
            "A 65-byte recipient ID.",
            &["ENV-012", "ENV-040"],
            &["PastBoundary"],
            Seal { recipients: vec![(id65.clone(), wrap_key_for(&id65))], ..b.clone() },
            "envelope.length_out_of_range",
        ),
        (
            "conversation-id-empty",
            "An empty conversation ID.",
            &["ENV-012", "ENV-040"],
            &["PastBoundary"],
            Seal { conversation_id: vec![], ..b.clone() },
            "envelope.length_out_of_range",
        ),
        (
            "conversation-id-65",
            "A 65-byte conversation ID.",
            &["ENV-012", "ENV-040"],
            &["PastBoundary"],
            Seal { conversation_id: id65.clone(), ..b.clone() },
            "envelope.length_out_of_range",
        ),
        (
            "sender-device-empty",
            "An empty sender device ID.",
            &["ENV-012", "ENV-040"],
            &["PastBoundary"],
            Seal { sender_device: vec![], ..b.clone() },
            "envelope.length_out_of_range",
        ),
        (
            "sender-device-65",
            "A 65-byte sender device ID.",
            &["ENV-012", "ENV-040"],
            &["PastBoundary"],
            Seal { sender_device: id65.clone(), ..b.clone() },
            "envelope.length_out_of_range",
        ),
        (
            "ttl-zero",
            "ttl = 0.",
            &["ENV-015", "ENV-040"],
            &["PastBoundary"],
            Seal { ttl: 0, ..b.clone() },
            "envelope.invalid_header",
        ),
        (
            "ttl-above-max",
            "ttl = 31,536,001.",
            &["ENV-015", "ENV-040"],
            &["PastBoundary"],
            Seal { ttl: MAX_TTL + 1, ..b.clone() },
            "envelope.invalid_header",
        ),
        (
            "bor-above-max",
            "bor = 31,536,001.",
            &["ENV-032", "ENV-040"],
            &["PastBoundary"],
            Seal { bor: MAX_TTL + 1, ..b.clone() },
            "envelope.invalid_sealed",
        ),
        (
            "content-type-zero",
            "Content type 0x00.",
            &["ENV-032", "ENV-040"],
            &[],
            Seal { content_type: 0, ..b.clone() },
            "envelope.invalid_sealed",
        ),
        (
            "content-type-4",
            "Content type 0x04.",
            &["ENV-032", "ENV-040"],
            &["PastBoundary"],
            Seal { content_type: 4, ..b.clone() },
            "envelope.invalid_sealed",
        ),
        (
            "body-too-long",
            "A body of 1 MiB + 1 byte.",
            &["ENV-032", "ENV-040"],
            &["PastBoundary", "Large"],
            Seal { body: filler("body max", MAX_CONTENT_LEN + 1), recipients: recipients(&["bob-phone"]), ..b.clone() },
            "envelope.invalid_sealed",
        ),
    ];
    let mut bad = Group::new("seal-invalid", "envelope.seal", "Inputs a sender must refuse to seal (ENV-040).");
    for (id, comment, requirements, flags, seal, code) in rows {
        let id = format!("seal-{id}");
        let case = Case { id: &id, comment, requirements, flags };
        let outcome = check(&id, Some(code), seal.run().map(|e| json!({ "envelope": hex::encode(e) })))?;
        push(&mut bad, &case, seal.args(), outcome);
    }
    Ok((ok, bad))
}

fn open_args(env: &[u8], device: &[u8], wrap_key: &[u8; 32]) -> Value {
    json!({ "envelope": hex::encode(env), "device": hex::encode(device), "wrapKey": hex::encode(wrap_key) })
}

fn open_valid_group(valid: &[Valid]) -> Result<Group, GenerateError> {
    let mut g = Group::new(
        "open",
        "envelope.open",
        "Opening as one recipient: the authenticated header and the content (ENV-030..ENV-032).",
    );
    for c in valid {
        let env = c.seal.run().map_err(|e| GenerateError(format!("{}: {e}", c.id)))?;
        // The first and the last recipient in envelope order (one test when they are the same).
        let mut sorted = c.seal.recipients.clone();
        sorted.sort();
        let picks: Vec<&(Vec<u8>, [u8; 32])> =
            if sorted.len() == 1 { vec![&sorted[0]] } else { vec![&sorted[0], &sorted[sorted.len() - 1]] };
        for (n, (device, key)) in picks.into_iter().enumerate() {
            let id = format!("open-{}-as-{}", c.id, if n == 0 { "first" } else { "last" });
            let comment =
                format!("{} Opened by recipient {}.", c.comment, String::from_utf8_lossy(device).escape_default());
            let mut reqs: Vec<&str> = vec!["ENV-030"];
            reqs.extend_from_slice(c.requirements);
            let case = Case { id: &id, comment: &comment, requirements: &reqs, flags: c.flags };
            let outcome = check(&id, None, open_answer(&env, device, key))?;
            push(&mut g, &case, open_args(&env, device, key), outcome);
        }
    }
    Ok(g)
}

fn decode_valid_group(valid: &[Valid]) -> Result<Group, GenerateError> {
    let mut g = Group::new(
        "decode",
        "envelope.decode",
        "Decoding the routing structure without any key: what a server reads (ENV-010..ENV-015).",
    );
    for c in valid.iter().filter(|c| c.seal.body.len() < MAX_CONTENT_LEN) {
        let env = c.seal.run().map_err(|e| GenerateError(format!("{}: {e}", c.id)))?;
        let id = format!("decode-{}", c.id);
        let case = Case { id: &id, comment: &c.comment, requirements: &["ENV-001", "ENV-013"], flags: c.flags };
        let outcome = check(&id, None, decode_answer(&env))?;
        push(&mut g, &case, json!({ "envelope": hex::encode(&env) }), outcome);
    }
    Ok(g)
}

/// Offsets of the fields of an envelope, for mutations.
struct Layout {
    conv_len: usize,
    sender_len: usize,
    sent_at: usize,
    ttl: usize,
    commitment: usize,
    count: usize,
    first_slot: usize,
    second_slot: usize,
    third_slot: usize,
    payload_len: usize,
    ciphertext: usize,
    tag: usize,
    end: usize,
}

fn layout(env: &[u8]) -> Result<Layout, GenerateError> {
    let d = Envelope::decode(env).map_err(|e| GenerateError(format!("layout: {e}")))?;
    let conv_len = 19;
    let sender_len = conv_len + 1 + d.header.conversation_id.len();
    let sent_at = sender_len + 1 + d.header.sender_device.len();
    let ttl = sent_at + 8;
    let commitment = ttl + 4;
    let count = commitment + 32;
    let first_slot = count + 2;
    let slot_sizes: Vec<usize> = d.slots().map(|s| 1 + s.recipient.len() + 48).collect();
    let second_slot = first_slot + slot_sizes.first().copied().unwrap_or(0);
    let third_slot = second_slot + slot_sizes.get(1).copied().unwrap_or(0);
    let payload_len = first_slot + slot_sizes.iter().sum::<usize>();
    let ciphertext = payload_len + 4;
    let tag = ciphertext + d.ciphertext.len();
    Ok(Layout {
        conv_len,
        sender_len,
        sent_at,
        ttl,
        commitment,
        count,
        first_slot,
        second_slot,
        third_slot,
        payload_len,
        ciphertext,
        tag,
        end: tag + 16,
    })
}

fn with(env: &[u8], edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = env.to_vec();
    edit(&mut out);
    out
}

fn set_u32(env: &mut [u8], at: usize, value: u32) {
    env[at..at + 4].copy_from_slice(&value.to_be_bytes());
}

fn decode_invalid_group() -> Result<Group, GenerateError> {
    let mut g = Group::new(
        "decode-invalid",
        "envelope.decode",
        "Structural faults: every truncation class, trailing bytes, lengths out of bounds or shifted, unknown version and suite, reserved bits, unsorted and duplicate recipients, bad ttl.",
    );
    let mut cases: Vec<(String, String, &'static [&'static str], &'static [&'static str], Vec<u8>, &'static str)> =
        Vec::new();
    for (label, seal) in [
        ("base", base()),
        ("single", Seal { recipients: recipients(&["bob-phone"]), padded: false, body: b"hi".to_vec(), ..base() }),
    ] {
        let env = seal.run().map_err(|e| GenerateError(e.to_string()))?;
        let l = layout(&env)?;
        let cuts: Vec<(&str, usize)> = vec![
            ("empty", 0),
            ("suite", 1),
            ("flags", 2),
            ("message-id", 10),
            ("conversation-length", l.conv_len),
            ("conversation-id", l.conv_len + 3),
            ("sender-length", l.sender_len),
            ("sender-device", l.sender_len + 2),
            ("sent-at", l.sent_at + 5),
            ("ttl", l.ttl + 2),
            ("commitment", l.commitment + 16),
            ("recipient-count", l.count + 1),
            ("recipient-length", l.first_slot),
            ("recipient-id", l.first_slot + 2),
            ("wrapped-key", l.first_slot + 30),
            ("payload-length", l.payload_len + 2),
            ("ciphertext", l.ciphertext + 5),
            ("tag", l.tag + 8),
            ("last-byte", l.end - 1),
        ];
        for (field, at) in cuts {
            if field == "empty" && label != "base" {
                continue;
            }
            cases.push((
                format!("{label}-truncated-{field}"),
                format!("The {label} envelope cut to {at} bytes, inside {field}."),
                &["ENV-013"],
                &["Truncated"],
                env[..at].to_vec(),
                "envelope.truncated",
            ));
        }
        let trailing: Vec<(&str, Vec<u8>)> = vec![
            ("trailing-zero", with(&env, |e| e.push(0))),
            ("trailing-ff", with(&env, |e| e.push(0xff))),
            ("trailing-16", with(&env, |e| e.extend_from_slice(&[0; 16]))),
            ("twice", with(&env, |e| e.extend_from_slice(&env))),
        ];
        for (what, bytes) in trailing {
            cases.push((
                format!("{label}-{what}"),
                format!("The {label} envelope followed by extra bytes ({what})."),
                &["ENV-013"],
                &[],
                bytes,
                "envelope.trailing_data",
            ));
        }
        let payload_len = u32::try_from(l.tag - l.ciphertext).map_err(|e| GenerateError(e.to_string()))?;
        let lengths: Vec<(&str, Vec<u8>, &'static [&'static str], &str)> = vec![
            (
                "conversation-length-zero",
                with(&env, |e| e[l.conv_len] = 0),
                &["PastBoundary"],
                "envelope.length_out_of_range",
            ),
            (
                "conversation-length-65",
                with(&env, |e| e[l.conv_len] = 65),
                &["PastBoundary"],
                "envelope.length_out_of_range",
            ),
            (
                "sender-length-zero",
                with(&env, |e| e[l.sender_len] = 0),
                &["PastBoundary"],
                "envelope.length_out_of_range",
            ),
            (
                "sender-length-65",
                with(&env, |e| e[l.sender_len] = 65),
                &["PastBoundary"],
                "envelope.length_out_of_range",
            ),
            (
                "sender-length-255",
                with(&env, |e| e[l.sender_len] = 255),
                &["PastBoundary"],
                "envelope.length_out_of_range",
            ),
            (
                "recipient-count-zero",
                with(&env, |e| e[l.count..l.count + 2].copy_from_slice(&[0, 0])),
                &["PastBoundary"],
                "envelope.length_out_of_range",
            ),
            (
                "recipient-count-1001",
                with(&env, |e| e[l.count..l.count + 2].copy_from_slice(&1001u16.to_be_bytes())),
                &["PastBoundary"],
                "envelope.length_out_of_range",
            ),
            (
                "recipient-count-max",
                with(&env, |e| e[l.count..l.count + 2].copy_from_slice(&[0xff, 0xff])),
                &["PastBoundary"],
                "envelope.length_out_of_range",
            ),
            (
                "recipient-length-zero",
                with(&env, |e| e[l.first_slot] = 0),
                &["PastBoundary"],
                "envelope.length_out_of_range",
            ),
            (
                "recipient-length-65",
                with(&env, |e| e[l.first_slot] = 65),
                &["PastBoundary"],
                "envelope.length_out_of_range",
            ),
            (
                "payload-length-8",
                with(&env, |e| set_u32(e, l.payload_len, 8)),
                &["PastBoundary"],
                "envelope.length_out_of_range",
            ),
            (
                "payload-length-zero",
                with(&env, |e| set_u32(e, l.payload_len, 0)),
                &["PastBoundary"],
                "envelope.length_out_of_range",
            ),
            (
                "payload-length-above-max",
                with(&env, |e| set_u32(e, l.payload_len, u32::try_from(SEALED_MAX_LEN + 1).unwrap_or(u32::MAX))),
                &["PastBoundary"],
                "envelope.length_out_of_range",
            ),
            (
                "payload-length-max-u32",
                with(&env, |e| set_u32(e, l.payload_len, u32::MAX)),
                &["PastBoundary"],
                "envelope.length_out_of_range",
            ),
            (
                "payload-length-plus-one",
                with(&env, |e| set_u32(e, l.payload_len, payload_len + 1)),
                &["LengthShift"],
                "envelope.truncated",
            ),
            (
                "payload-length-minus-one",
                with(&env, |e| set_u32(e, l.payload_len, payload_len - 1)),
                &["LengthShift"],
                "envelope.trailing_data",
            ),
            (
                "payload-length-plus-16",
                with(&env, |e| set_u32(e, l.payload_len, payload_len + 16)),
                &["LengthShift"],
                "envelope.truncated",
            ),
            // One slot too many: the extra slot's length is read from the payload length's high byte, 0.
            (
                "recipient-count-plus-one",
                with(&env, |e| e[l.count + 1] += 1),
                &["LengthShift"],
                "envelope.length_out_of_range",
            ),
        ];
        let mut lengths = lengths;
        if payload_len > 16 + 9 {
            lengths.push((
                "payload-length-minus-16",
                with(&env, |e| set_u32(e, l.payload_len, payload_len - 16)),
                &["LengthShift"],
                "envelope.trailing_data",
            ));
        }
        for (what, bytes, flags, code) in lengths {
            cases.push((
                format!("{label}-{what}"),
                format!("The {label} envelope with {what}."),
                &["ENV-012"],
                flags,
                bytes,
                code,
            ));
        }
        let headers: Vec<(&str, Vec<u8>, &'static [&'static str], &str)> = vec![
            ("version-0", with(&env, |e| e[0] = 0), &["ENV-010"], "envelope.unknown_version"),
            ("version-2", with(&env, |e| e[0] = 2), &["ENV-010"], "envelope.unknown_version"),
            ("version-ff", with(&env, |e| e[0] = 0xff), &["ENV-010"], "envelope.unknown_version"),
            ("version-2-truncated", vec![2], &["ENV-010"], "envelope.unknown_version"),
            ("suite-0", with(&env, |e| e[1] = 0), &["ENV-010"], "envelope.unknown_suite"),
            ("suite-2", with(&env, |e| e[1] = 2), &["ENV-010"], "envelope.unknown_suite"),
            ("suite-ff", with(&env, |e| e[1] = 0xff), &["ENV-010"], "envelope.unknown_suite"),
            ("flags-bit-1", with(&env, |e| e[2] |= 0x02), &["ENV-011"], "envelope.reserved_bits"),
            ("flags-bit-7", with(&env, |e| e[2] |= 0x80), &["ENV-011"], "envelope.reserved_bits"),
            ("flags-ff", with(&env, |e| e[2] = 0xff), &["ENV-011"], "envelope.reserved_bits"),
            ("flags-fe", with(&env, |e| e[2] = 0xfe), &["ENV-011"], "envelope.reserved_bits"),
            ("ttl-zero", with(&env, |e| set_u32(e, l.ttl, 0)), &["ENV-015"], "envelope.invalid_header"),
            ("ttl-above-max", with(&env, |e| set_u32(e, l.ttl, MAX_TTL + 1)), &["ENV-015"], "envelope.invalid_header"),
            ("ttl-max-u32", with(&env, |e| set_u32(e, l.ttl, u32::MAX)), &["ENV-015"], "envelope.invalid_header"),
        ];
        for (what, bytes, reqs, code) in headers {
            let comment = if what == "version-2-truncated" {
                "Two faults, and the binding order of ENV-010 decides: the version byte is 2 and the input ends \
                 after it; the version is checked before anything else is read."
                    .to_string()
            } else {
                format!("The {label} envelope with {what}.")
            };
            cases.push((format!("{label}-{what}"), comment, reqs, &[], bytes, code));
        }
        let mut no_slots = env[..l.count].to_vec();
        no_slots.extend_from_slice(&[0, 0]);
        no_slots.extend_from_slice(&env[l.payload_len..]);
        cases.push((
            format!("{label}-recipient-count-zero-no-slots"),
            format!("The {label} envelope with its slots removed and a count of 0: the count is the only fault."),
            &["ENV-012"],
            &["PastBoundary"],
            no_slots,
            "envelope.length_out_of_range",
        ));
        if label == "base" {
            // Recipient order: the base envelope's three slots are equal-length-free, so swap and copy whole slots.
            let s1 = env[l.first_slot..l.second_slot].to_vec();
            let s2 = env[l.second_slot..l.third_slot].to_vec();
            let s3 = env[l.third_slot..l.payload_len].to_vec();
            let reordered = |a: &[u8], b: &[u8], c: &[u8]| -> Vec<u8> {
                let mut e = env[..l.first_slot].to_vec();
                e.extend_from_slice(a);
                e.extend_from_slice(b);
                e.extend_from_slice(c);
                e.extend_from_slice(&env[l.payload_len..]);
                e
            };
            cases.push((
                "base-recipients-reversed".into(),
                "The three slots in descending order.".into(),
                &["ENV-014"],
                &[],
                reordered(&s3, &s2, &s1),
                "envelope.recipients_not_sorted",
            ));
            cases.push((
                "base-recipients-last-two-swapped".into(),
                "The second and third slots swapped.".into(),
                &["ENV-014"],
                &[],
                reordered(&s1, &s3, &s2),
                "envelope.recipients_not_sorted",
            ));
            cases.push((
                "base-recipient-duplicated".into(),
                "The first slot in place of the second: a recipient twice.".into(),
                &["ENV-014"],
                &[],
                reordered(&s1, &s1, &s3),
                "envelope.duplicate_recipient",
            ));
            cases.push((
                "base-recipient-duplicated-last".into(),
                "The third slot twice, after the first.".into(),
                &["ENV-014"],
                &[],
                reordered(&s1, &s3, &s3),
                "envelope.duplicate_recipient",
            ));
            // "bob-phone" before "bob": a prefix must sort first (ENV-014).
            let pair = Seal { recipients: recipients(&["bob", "bob-phone"]), ..base() };
            let pair_env = pair.run().map_err(|e| GenerateError(e.to_string()))?;
            let pl = layout(&pair_env)?;
            let mut swapped = pair_env[..pl.first_slot].to_vec();
            swapped.extend_from_slice(&pair_env[pl.second_slot..pl.payload_len]);
            swapped.extend_from_slice(&pair_env[pl.first_slot..pl.second_slot]);
            swapped.extend_from_slice(&pair_env[pl.payload_len..]);
            cases.push((
                "base-recipient-after-its-extension".into(),
                "Recipient 'bob-phone' before 'bob': a prefix sorts first.".into(),
                &["ENV-014"],
                &[],
                swapped,
                "envelope.recipients_not_sorted",
            ));
            cases.push(("base-conversation-length-plus-one".into(), "Conversation length one too large: the sender length is read from the sender ID's first byte, 'a' = 97 > 64.".into(), &["ENV-012"], &["LengthShift"], with(&env, |e| e[l.conv_len] += 1), "envelope.length_out_of_range"));
        }
    }
    let (over, _) = count_1001_envelope()?;
    cases.push((
        "recipient-count-1001-with-slots".into(),
        "1,001 well-formed slots in ascending order, counted 1,001: the count is the only fault.".into(),
        &["ENV-012"],
        &["PastBoundary"],
        over,
        "envelope.length_out_of_range",
    ));
    for (id, comment, requirements, flags, bytes, code) in &cases {
        let id = format!("decode-{id}");
        let case = Case { id: &id, comment, requirements, flags };
        let outcome = check(&id, Some(code), decode_answer(bytes))?;
        push(&mut g, &case, json!({ "envelope": hex::encode(bytes) }), outcome);
    }
    Ok(g)
}

/// An envelope sealed to 1,000 recipients with a 1,001st slot ("device-1000", after "device-0999",
/// with a zero wrapped key) spliced in before the payload and the count set to 1,001; and the device
/// ID and wrap key of its first recipient.
fn count_1001_envelope() -> Result<(Vec<u8>, (Vec<u8>, [u8; 32])), GenerateError> {
    let many = numbered(MAX_RECIPIENTS);
    let first = many[0].clone();
    let seal = Seal { recipients: many, padded: false, body: b"hi".to_vec(), ..base() };
    let env = seal.run().map_err(|e| GenerateError(e.to_string()))?;
    let l = layout(&env)?;
    let mut out = env[..l.count].to_vec();
    out.extend_from_slice(&1001u16.to_be_bytes());
    out.extend_from_slice(&env[l.first_slot..l.payload_len]);
    out.push(11);
    out.extend_from_slice(b"device-1000");
    out.extend_from_slice(&[0; 48]);
    out.extend_from_slice(&env[l.payload_len..]);
    Ok((out, first))
}

fn open_invalid_group() -> Result<Group, GenerateError> {
    let mut g = Group::new(
        "open-invalid",
        "envelope.open",
        "Authentication and addressing failures: flipped bytes anywhere, spliced slots, headers and payloads, wrong keys, strangers, and faulty senders.",
    );
    let b = base();
    let env = b.run().map_err(|e| GenerateError(e.to_string()))?;
    let l = layout(&env)?;
    let me = b"bob-phone".to_vec();
    let my_key = wrap_key_for(&me);
    let other = Seal { message_id: [0x11; 16], content_key: key32("content key other"), ..b.clone() };
    let other_env = other.run().map_err(|e| GenerateError(e.to_string()))?;
    let same_header_other_key = Seal { content_key: key32("content key same header"), ..b.clone() };
    let same_header_env = same_header_other_key.run().map_err(|e| GenerateError(e.to_string()))?;
    let auth = "envelope.authentication_failed";
    let mut rows: Vec<(
        String,
        String,
        &'static [&'static str],
        &'static [&'static str],
        Vec<u8>,
        Vec<u8>,
        [u8; 32],
        &'static str,
    )> = Vec::new();
    let flips: Vec<(&str, usize, u8, &'static [&'static str], &'static str)> = vec![
        ("flags-padded-bit", 2, 0x01, &["ENV-021"], auth),
        ("message-id-first", 3, 0x01, &["ENV-021"], auth),
        ("message-id-last", 18, 0x80, &["ENV-021"], auth),
        ("conversation-id", l.conv_len + 1, 0x01, &["ENV-021"], auth),
        ("sender-device", l.sender_len + 1, 0x01, &["ENV-021"], auth),
        ("sent-at-high", l.sent_at, 0x80, &["ENV-021"], auth),
        ("sent-at-low", l.sent_at + 7, 0x01, &["ENV-021"], auth),
        ("ttl-low", l.ttl + 3, 0x01, &["ENV-021"], auth),
        ("commitment-first", l.commitment, 0x01, &["ENV-023"], auth),
        ("commitment-last", l.commitment + 31, 0x80, &["ENV-023"], auth),
        ("other-slot-wrapped-key", l.first_slot + 1 + 10 + 5, 0x01, &["ENV-021"], auth),
        ("other-slot-tag", l.first_slot + 1 + 10 + 40, 0x01, &["ENV-021"], auth),
        ("own-slot-wrapped-first", l.second_slot + 1 + 9, 0x01, &["ENV-022"], auth),
        ("own-slot-wrapped-last", l.second_slot + 1 + 9 + 31, 0x01, &["ENV-022"], auth),
        ("own-slot-tag-first", l.second_slot + 1 + 9 + 32, 0x01, &["ENV-022"], auth),
        ("own-slot-tag-last", l.second_slot + 1 + 9 + 47, 0x80, &["ENV-022"], auth),
        // "bob-phone" becomes "bob-phond": still sorted, no longer this device.
        ("own-recipient-id", l.second_slot + 1 + 8, 0x01, &["ENV-030"], "envelope.not_a_recipient"),
        // "carol-tablet" becomes "carol-tableu": still sorted; the payload's associated data changed.
        ("other-recipient-id-last-byte", l.third_slot + 1 + 11, 0x01, &["ENV-021"], auth),
        ("ciphertext-first", l.ciphertext, 0x01, &["ENV-021"], auth),
        ("ciphertext-middle", l.ciphertext + 50, 0x10, &["ENV-021"], auth),
        ("ciphertext-last", l.tag - 1, 0x80, &["ENV-021"], auth),
        ("tag-first", l.tag, 0x01, &["ENV-021"], auth),
        ("tag-last", l.tag + 15, 0x80, &["ENV-021"], auth),
    ];
    for (what, at, mask, reqs, code) in flips {
        rows.push((
            format!("flip-{what}"),
            format!("Bit 0x{mask:02x} of byte {at} ({what}) flipped."),
            reqs,
            &["Flipped"],
            with(&env, |e| e[at] ^= mask),
            me.clone(),
            my_key,
            code,
        ));
    }
    let my_slot = env[l.second_slot..l.third_slot].to_vec();
    let their_slot = other_env[l.second_slot..l.third_slot].to_vec();
    let same_header_slot = same_header_env[l.second_slot..l.third_slot].to_vec();
    let splice = |from: &[u8], range: core::ops::Range<usize>| with(&env, |e| e[range].copy_from_slice(from));
    rows.push((
        "slot-from-another-envelope".into(),
        "My slot replaced by my slot of an envelope with another message ID.".into(),
        &["ENV-022"],
        &["Spliced"],
        splice(&their_slot, l.second_slot..l.third_slot),
        me.clone(),
        my_key,
        auth,
    ));
    rows.push((
        "slot-from-same-header-other-key".into(),
        "My slot replaced by my slot of an envelope with the same header and another content key.".into(),
        &["ENV-022", "ENV-023"],
        &["Spliced"],
        splice(&same_header_slot, l.second_slot..l.third_slot),
        me.clone(),
        my_key,
        auth,
    ));
    rows.push((
        "slot-and-commitment-from-same-header".into(),
        "Commitment and all slots from the same-header envelope, payload from this one.".into(),
        &["ENV-021", "ENV-023"],
        &["Spliced"],
        with(&env, |e| e[l.commitment..l.payload_len].copy_from_slice(&same_header_env[l.commitment..l.payload_len])),
        me.clone(),
        my_key,
        auth,
    ));
    rows.push((
        "header-of-another-envelope".into(),
        "The header of the envelope with another message ID.".into(),
        &["ENV-021"],
        &["Spliced"],
        with(&env, |e| e[..l.commitment].copy_from_slice(&other_env[..l.commitment])),
        me.clone(),
        my_key,
        auth,
    ));
    rows.push((
        "payload-of-another-envelope".into(),
        "The payload of the envelope with another message ID.".into(),
        &["ENV-021"],
        &["Spliced"],
        with(&env, |e| e[l.payload_len..].copy_from_slice(&other_env[l.payload_len..])),
        me.clone(),
        my_key,
        auth,
    ));
    rows.push((
        "payload-of-same-header-envelope".into(),
        "The payload of the same-header envelope (another content key).".into(),
        &["ENV-021", "ENV-023"],
        &["Spliced"],
        with(&env, |e| e[l.payload_len..].copy_from_slice(&same_header_env[l.payload_len..])),
        me.clone(),
        my_key,
        auth,
    ));
    rows.push((
        "own-slot-in-other-position".into(),
        "My slot moved to carry the next recipient's ID.".into(),
        &["ENV-022"],
        &["Spliced"],
        with(&env, |e| {
            let w = my_slot[1 + 9..].to_vec();
            e[l.third_slot + 1 + 12..l.payload_len].copy_from_slice(&w);
        }),
        b"carol-tablet".to_vec(),
        wrap_key_for(b"carol-tablet"),
        auth,
    ));
    rows.push((
        "wrong-wrap-key".into(),
        "Opened as bob-phone with bob-laptop's wrap key.".into(),
        &["ENV-030", "ENV-033"],
        &[],
        env.clone(),
        me.clone(),
        wrap_key_for(b"bob-laptop"),
        auth,
    ));
    rows.push((
        "zero-wrap-key".into(),
        "Opened with an all-zero wrap key.".into(),
        &["ENV-030", "ENV-033"],
        &[],
        env.clone(),
        me.clone(),
        [0; 32],
        auth,
    ));
    rows.push((
        "wrap-key-one-bit-off".into(),
        "Opened with the right wrap key, one bit flipped.".into(),
        &["ENV-030", "ENV-033"],
        &[],
        env.clone(),
        me.clone(),
        {
            let mut k = my_key;
            k[0] ^= 1;
            k
        },
        auth,
    ));
    for (what, device) in [
        ("stranger", b"dave-phone".to_vec()),
        ("prefix-of-recipient", b"bob".to_vec()),
        ("extension-of-recipient", b"bob-phone2".to_vec()),
        ("case-changed", b"Bob-phone".to_vec()),
        ("upper-case", b"BOB-PHONE".to_vec()),
    ] {
        rows.push((
            format!("not-addressed-{what}"),
            format!("Opened as {}, which has no slot.", String::from_utf8_lossy(&device)),
            &["ENV-030"],
            &[],
            env.clone(),
            device.clone(),
            wrap_key_for(&device),
            "envelope.not_a_recipient",
        ));
    }
    // The opening device's own ID outside 1-64 bytes (spec/envelope.md 1.1.0, ENV-030): no slot can
    // hold it, so after decoding it is envelope.not_a_recipient; decoding comes first.
    let long_me = vec![b'b'; 65];
    let cut = env[..env.len() - 1].to_vec();
    let trailing = with(&env, |e| e.push(0));
    let device_rows: Vec<(&str, &str, Vec<u8>, Vec<u8>, &str)> = vec![
        (
            "device-id-empty",
            "Opened with an empty device ID: no recipient is empty, so there is no slot for it (step 2).",
            env.clone(),
            Vec::new(),
            "envelope.not_a_recipient",
        ),
        (
            "device-id-65",
            "Opened with a 65-byte device ID: no recipient is that long, so there is no slot for it (step 2).",
            env.clone(),
            long_me.clone(),
            "envelope.not_a_recipient",
        ),
        (
            "device-id-empty-truncated",
            "An empty device ID and an envelope missing its last byte: ENV-030's binding order decides, \
             decoding (step 1) comes before the slot.",
            cut,
            Vec::new(),
            "envelope.truncated",
        ),
        (
            "device-id-65-trailing",
            "A 65-byte device ID and a byte after the tag: ENV-030's binding order decides, decoding (step 1) \
             comes before the slot.",
            trailing.clone(),
            long_me,
            "envelope.trailing_data",
        ),
        (
            "trailing-zero-as-recipient",
            "Opened as bob-phone with a zero byte after the tag: opening decodes the whole envelope.",
            trailing,
            me.clone(),
            "envelope.trailing_data",
        ),
        (
            "trailing-16-as-recipient",
            "Opened as bob-phone with sixteen zero bytes after the tag.",
            with(&env, |e| e.extend_from_slice(&[0; 16])),
            me.clone(),
            "envelope.trailing_data",
        ),
    ];
    for (what, comment, bytes, device, code) in device_rows {
        rows.push((what.into(), comment.into(), &["ENV-013", "ENV-030"], &[], bytes, device, my_key, code));
    }
    let (over, (first, first_key)) = count_1001_envelope()?;
    rows.push((
        "recipient-count-1001-as-first".into(),
        "1,001 well-formed slots counted 1,001, opened by the first recipient: decoding fails first.".into(),
        &["ENV-012", "ENV-030"],
        &["PastBoundary"],
        over,
        first,
        first_key,
        "envelope.length_out_of_range",
    ));
    // Faulty senders: authenticated sealed parts that break ENV-031 / ENV-032.
    let sealed = |bor: u32, ty: u8, len: u32, body: &[u8], pad: &[u8]| -> Vec<u8> {
        let mut s = Vec::new();
        s.extend_from_slice(&bor.to_be_bytes());
        s.push(ty);
        s.extend_from_slice(&len.to_be_bytes());
        s.extend_from_slice(body);
        s.extend_from_slice(pad);
        s
    };
    let unpadded = Seal { padded: false, ..b.clone() };
    let body = b"sender fault".to_vec();
    let long_body = filler("sender fault long", 100);
    // 9 + 12 = 21 bytes; padme(21) = 22 (E = 4, S = 3, mask = 1).
    let faults: Vec<(&str, &str, &Seal, Vec<u8>)> = vec![
        ("padding-nonzero", "Padded flag set; the single padding byte is 0x01.", &b, sealed(0, 1, 12, &body, &[1])),
        (
            "padding-missing",
            "Padded flag set; no padding (21 bytes where 22 are due).",
            &b,
            sealed(0, 1, 12, &body, &[]),
        ),
        ("padding-too-long", "Padded flag set; two zero bytes where one is due.", &b, sealed(0, 1, 12, &body, &[0, 0])),
        (
            "padding-nonzero-last",
            "Padded flag set, a 100-byte body: 109 bytes, padme 112; the last of three padding bytes is 0x01.",
            &b,
            sealed(0, 1, 100, &long_body, &[0, 0, 1]),
        ),
        (
            "padding-on-unpadded-long",
            "Padded flag clear, yet seven zero bytes follow the content.",
            &unpadded,
            sealed(0, 1, 12, &body, &[0; 7]),
        ),
        (
            "content-length-far-beyond",
            "The content length says 20 where 12 bytes follow.",
            &unpadded,
            sealed(0, 1, 20, &body, &[]),
        ),
        (
            "padding-on-unpadded",
            "Padded flag clear, yet a zero byte follows the content.",
            &unpadded,
            sealed(0, 1, 12, &body, &[0]),
        ),
        ("content-type-zero", "Content type 0x00.", &unpadded, sealed(0, 0, 12, &body, &[])),
        ("content-type-4", "Content type 0x04.", &unpadded, sealed(0, 4, 12, &body, &[])),
        ("content-type-ff", "Content type 0xFF.", &unpadded, sealed(0, 0xff, 12, &body, &[])),
        ("bor-above-max", "bor = 31,536,001.", &unpadded, sealed(MAX_TTL + 1, 1, 12, &body, &[])),
        (
            "content-length-beyond-plaintext",
            "The content length says 13 where 12 bytes follow.",
            &unpadded,
            sealed(0, 1, 13, &body, &[]),
        ),
        ("content-length-max-u32", "The content length is 2^32 - 1.", &unpadded, sealed(0, 1, u32::MAX, &body, &[])),
    ];
    for (what, comment, seal, part) in faults {
        let bytes = seal.run_raw(&part, None)?;
        rows.push((
            format!("sender-fault-{what}"),
            comment.into(),
            &["ENV-031", "ENV-032"],
            &["SenderFault"],
            bytes,
            me.clone(),
            my_key,
            "envelope.invalid_sealed",
        ));
    }
    // A sender that writes a commitment other than its content key's, with slots and payload
    // derived consistently from that commitment: only the check of ENV-023 (step 4) catches it.
    let good_part = sealed(0, 1, 12, &body, &[]);
    rows.push((
        "sender-fault-commitment-not-of-content-key".into(),
        "The commitment is 32 zero bytes; slots and payload are consistent with it. Only the commitment check fails."
            .into(),
        &["ENV-023", "ENV-030", "ENV-033"],
        &["SenderFault"],
        unpadded.run_raw(&good_part, Some(&[0; 32]))?,
        me.clone(),
        my_key,
        auth,
    ));
    // The same with a genuine commitment, of another content key: what a sender that commits to
    // one key and wraps another writes.
    let other = Seal { content_key: key32("content key other"), ..unpadded.clone() }
        .run()
        .map_err(|e| GenerateError(format!("seal with another content key: {e}")))?;
    let other_commitment =
        Envelope::decode(&other).map_err(|e| GenerateError(format!("decode the other envelope: {e}")))?.commitment;
    rows.push((
        "sender-fault-commitment-of-another-key".into(),
        "The commitment is that of another content key; slots and payload are consistent with it. Only the \
         commitment check fails."
            .into(),
        &["ENV-023", "ENV-033"],
        &["SenderFault"],
        unpadded.run_raw(&good_part, Some(&other_commitment))?,
        me.clone(),
        my_key,
        auth,
    ));
    // A correctly padded body of 1 MiB + 1 byte: its sealed part is exactly the largest allowed
    // (1,081,344 bytes), so only the content limit of ENV-032 rejects it.
    let big_body = filler("body max", MAX_CONTENT_LEN + 1);
    let big_len = u32::try_from(big_body.len()).map_err(|e| GenerateError(e.to_string()))?;
    let big_part = sealed(0, 1, big_len, &big_body, &vec![0; SEALED_MAX_LEN - 9 - big_body.len()]);
    let single = Seal { recipients: recipients(&["bob-phone"]), ..b.clone() };
    rows.push((
        "sender-fault-content-over-1mib".into(),
        "A correctly padded 1,048,577-byte body: the sealed part fits ENV-012, the content limit of ENV-032 does not."
            .into(),
        &["ENV-032"],
        &["SenderFault", "Large", "PastBoundary"],
        single.run_raw(&big_part, None)?,
        me.clone(),
        my_key,
        "envelope.invalid_sealed",
    ));
    for (id, comment, requirements, flags, bytes, device, key, code) in &rows {
        let id = format!("open-{id}");
        let case = Case { id: &id, comment, requirements, flags };
        let outcome = check(&id, Some(code), open_answer(bytes, device, key))?;
        push(&mut g, &case, open_args(bytes, device, key), outcome);
    }
    Ok(g)
}

/// Builds `vectors/envelope.json`.
///
/// # Errors
/// When the reference disagrees with a hand-written case.
pub fn generate() -> Result<VectorFile, GenerateError> {
    let valid = valid_cases();
    let (seal_ok, seal_bad) = seal_groups(&valid)?;
    let groups = vec![
        seal_ok.finish(),
        seal_bad.finish(),
        open_valid_group(&valid)?.finish(),
        open_invalid_group()?.finish(),
        decode_valid_group(&valid)?.finish(),
        decode_invalid_group()?.finish(),
    ];
    Ok(file("envelope", SPEC_VERSION, HEADER, NOTES, groups))
}
