//! Envelope cross checks (spec/envelope.md), in two directions, for a few recipient sets and
//! body sizes ([`SHAPES`]):
//!
//! - **The reference seals, the adapter opens** (`reference-seals-adapter-opens-*`): the runner
//!   seals under a content key fresh from the operating system, then asks the adapter to
//!   `envelope.open` as every recipient (each must give the header and content sealed), as the
//!   first recipient with a wrong wrap key (`envelope.authentication_failed`), and as a device
//!   that is not a recipient (`envelope.not_a_recipient`).
//! - **The adapter seals, the reference opens** (`adapter-seals-reference-opens-*`): the runner
//!   asks the adapter to `envelope.seal` *without* `contentKey`, so the adapter draws its own;
//!   the reference must decode the envelope to the header and sorted recipients given, and open it
//!   as every recipient to the content given. The same inputs are sealed a second time: the two
//!   envelopes must differ — same header, so a different commitment, so a different content key
//!   (ENV-020) — and the second must open too.
//!
//! Every input but the device IDs is drawn from the operating system: message ID, `sentAt`,
//! `ttl`, `bor`, body, wrap keys, content key.

use cinder::envelope::{KEY_LEN, MAX_TTL, MESSAGE_ID_LEN};
use serde_json::{Map, Value, json};

use super::{
    Body, Caller, CheckVerdict, Checked, CrossCheck, Stop, expect_error, expect_ok, random_array, random_bytes, verdict,
};
use crate::check::differences;
use crate::dispatch::dispatch;
use crate::lowerhex;
use crate::protocol::Response;

const SEAL: &str = "envelope.seal";
const OPEN: &str = "envelope.open";
const DECODE: &str = "envelope.decode";

/// A device that is never among the recipients.
const STRANGER: &[u8] = b"not-a-recipient";

/// Who an envelope is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Devices {
    /// These IDs, in this order (not the envelope's: seal must sort them, ENV-014).
    Listed(&'static [&'static [u8]]),
    /// `device-NNNN` for NNNN from the count down to 1 (descending, so seal must sort them).
    Numbered(usize),
}

impl Devices {
    fn ids(self) -> Vec<Vec<u8>> {
        match self {
            Self::Listed(ids) => ids.iter().map(|id| id.to_vec()).collect(),
            Self::Numbered(count) => (1..=count).rev().map(|n| format!("device-{n:04}").into_bytes()).collect(),
        }
    }
}

/// One recipient set and body: what an envelope looks like, apart from its drawn inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Shape {
    name: &'static str,
    about: &'static str,
    devices: Devices,
    body_len: usize,
    padded: bool,
    content_type: u8,
}

/// The envelopes each direction is checked with.
const SHAPES: &[Shape] = &[
    Shape {
        name: "1-recipient-empty-body",
        about: "one recipient, an empty body, unpadded, text",
        devices: Devices::Listed(&[b"bob-phone"]),
        body_len: 0,
        padded: false,
        content_type: 0x01,
    },
    Shape {
        name: "3-recipients-1000-bytes-padded",
        about: "three recipients given in descending order, a 1000-byte body, padded, an attachment",
        devices: Devices::Listed(&[b"carol-tablet", b"bob-phone", b"bob-laptop"]),
        body_len: 1000,
        padded: true,
        content_type: 0x02,
    },
    Shape {
        name: "5-binary-ids-65536-bytes-padded",
        about: "five recipients with binary IDs (0x00, 0x0001, 0xff, a prefix, 64 bytes), a 64 KiB body, padded, \
                a control message",
        devices: Devices::Listed(&[b"\xff", b"\x00\x01", b"\x00", &[0x80; 64], b"\x80"]),
        body_len: 65_536,
        padded: true,
        content_type: 0x03,
    },
    Shape {
        name: "100-recipients-100-bytes",
        about: "100 recipients given in descending order, a 100-byte body, unpadded, text",
        devices: Devices::Numbered(100),
        body_len: 100,
        padded: false,
        content_type: 0x01,
    },
    Shape {
        name: "2-recipients-1-mib-padded",
        about: "two recipients, the largest body (1 MiB), padded, text",
        devices: Devices::Listed(&[b"bob-phone", b"alice-laptop"]),
        body_len: 1 << 20,
        padded: true,
        content_type: 0x01,
    },
];

/// Which side seals and which opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    ReferenceSeals,
    AdapterSeals,
}

/// One envelope cross check: a direction and a shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Check {
    direction: Direction,
    shape: &'static Shape,
}

/// Every envelope cross check: each direction with each shape.
pub(super) fn checks() -> Vec<CrossCheck> {
    let mut out = Vec::new();
    for direction in [Direction::ReferenceSeals, Direction::AdapterSeals] {
        for shape in SHAPES {
            let check = Check { direction, shape };
            let (id, comment, requirements, ops, expected): (String, String, &[&str], &[&str], &str) = match direction {
                Direction::ReferenceSeals => (
                    format!("reference-seals-adapter-opens-{}", shape.name),
                    format!(
                        "The runner seals with the reference under a fresh content key from the operating system ({}); \
                         the adapter opens it as every recipient, with a wrong wrap key, and as a stranger.",
                        shape.about
                    ),
                    &["ENV-020", "ENV-022", "ENV-023", "ENV-030", "ENV-033"],
                    &[OPEN],
                    "ok from envelope.open as every recipient, with the header and content sealed; \
                     error envelope.authentication_failed with a wrong wrap key; error envelope.not_a_recipient \
                     for another device",
                ),
                Direction::AdapterSeals => (
                    format!("adapter-seals-reference-opens-{}", shape.name),
                    format!(
                        "The adapter seals without a given content key, drawing its own ({}), twice; the reference \
                         decodes both and opens them as every recipient.",
                        shape.about
                    ),
                    &["ENV-014", "ENV-020", "ENV-030", "ENV-040"],
                    &[SEAL],
                    "ok {envelope} from envelope.seal without contentKey, twice: two different envelopes that the \
                     reference decodes to the header and recipients given and opens, as every recipient, to the \
                     content given",
                ),
            };
            out.push(CrossCheck {
                id,
                comment,
                requirements: requirements.iter().map(|r| (*r).to_owned()).collect(),
                ops: ops.iter().map(|op| (*op).to_owned()).collect(),
                expected: expected.into(),
                body: Body::Envelope(check),
            });
        }
    }
    out
}

/// The inputs of one envelope, drawn fresh.
struct Drawn {
    message_id: [u8; MESSAGE_ID_LEN],
    sent_at: u64,
    ttl: u32,
    bor: u32,
    body: Vec<u8>,
    padded: bool,
    content_type: u8,
    recipients: Vec<(Vec<u8>, [u8; KEY_LEN])>,
    content_key: [u8; KEY_LEN],
    /// A wrap key that is no recipient's.
    wrong_key: [u8; KEY_LEN],
}

const CONVERSATION: &[u8] = b"room-cross-check";
const SENDER: &[u8] = b"alice-phone";

fn draw(shape: &Shape) -> Result<Drawn, Stop> {
    let mut recipients = Vec::new();
    for device in shape.devices.ids() {
        recipients.push((device, random_array()?));
    }
    let mut wrong_key = random_array()?;
    while recipients.iter().any(|(_, key)| *key == wrong_key) {
        wrong_key = random_array()?;
    }
    // ttl in 1..=MAX_TTL and bor in 0..=MAX_TTL (ENV-015, ENV-032); the modulo bias is harmless.
    let ttl = u32::from_be_bytes(random_array()?) % MAX_TTL + 1;
    let bor = u32::from_be_bytes(random_array()?) % (MAX_TTL + 1);
    Ok(Drawn {
        message_id: random_array()?,
        sent_at: u64::from_be_bytes(random_array()?),
        ttl,
        bor,
        body: random_bytes(shape.body_len)?,
        padded: shape.padded,
        content_type: shape.content_type,
        recipients,
        content_key: random_array()?,
        wrong_key,
    })
}

impl Drawn {
    /// `envelope.seal` arguments, with `contentKey` or without it.
    fn seal_args(&self, with_content_key: bool) -> Value {
        let mut args = json!({
            "messageId": lowerhex::encode(&self.message_id),
            "conversationId": lowerhex::encode(CONVERSATION),
            "senderDevice": lowerhex::encode(SENDER),
            "sentAt": self.sent_at,
            "ttl": self.ttl,
            "padded": self.padded,
            "bor": self.bor,
            "contentType": self.content_type,
            "content": lowerhex::encode(&self.body),
            "recipients": self.recipients.iter()
                .map(|(device, key)| json!({ "device": lowerhex::encode(device), "wrapKey": lowerhex::encode(key) }))
                .collect::<Vec<_>>(),
        });
        if with_content_key && let Value::Object(map) = &mut args {
            map.insert("contentKey".into(), lowerhex::encode(&self.content_key).into());
        }
        args
    }

    /// The header fields `envelope.open` and `envelope.decode` answer.
    fn header_fields(&self) -> Map<String, Value> {
        let mut fields = Map::new();
        fields.insert("messageId".into(), lowerhex::encode(&self.message_id).into());
        fields.insert("conversationId".into(), lowerhex::encode(CONVERSATION).into());
        fields.insert("senderDevice".into(), lowerhex::encode(SENDER).into());
        fields.insert("sentAt".into(), self.sent_at.into());
        fields.insert("ttl".into(), self.ttl.into());
        fields.insert("padded".into(), self.padded.into());
        fields
    }

    /// What `envelope.open` must answer, as any recipient.
    fn opened_fields(&self) -> Map<String, Value> {
        let mut fields = self.header_fields();
        fields.insert("bor".into(), self.bor.into());
        fields.insert("contentType".into(), self.content_type.into());
        fields.insert("content".into(), lowerhex::encode(&self.body).into());
        fields
    }

    /// What `envelope.decode` must answer: the header, and the recipients in ascending order.
    fn decoded_fields(&self) -> Map<String, Value> {
        let mut devices: Vec<&Vec<u8>> = self.recipients.iter().map(|(device, _)| device).collect();
        devices.sort();
        let mut fields = self.header_fields();
        fields.insert("recipients".into(), devices.iter().map(|d| Value::from(lowerhex::encode(d))).collect());
        fields
    }
}

fn open_args(envelope: &str, device: &[u8], wrap_key: &[u8; KEY_LEN]) -> Value {
    json!({ "envelope": envelope, "device": lowerhex::encode(device), "wrapKey": lowerhex::encode(wrap_key) })
}

/// `recipient 2 of 3 (device 626f62)`, for messages.
fn which(index: usize, count: usize, device: &[u8]) -> String {
    format!("recipient {} of {count} (device {})", index + 1, lowerhex::encode(device))
}

impl Check {
    pub(super) fn run(&self, caller: &mut dyn Caller) -> Checked {
        let drawn = match draw(self.shape) {
            Ok(drawn) => drawn,
            Err(stop) => return Checked { args: Value::Object(Map::new()), verdict: verdict(Err(stop)) },
        };
        let (args, result) = match self.direction {
            Direction::ReferenceSeals => {
                let args = drawn.seal_args(true);
                let result = reference_seals(&drawn, &args, caller);
                (args, result)
            }
            Direction::AdapterSeals => {
                let args = drawn.seal_args(false);
                let result = adapter_seals(&drawn, &args, caller);
                (args, result)
            }
        };
        let verdict: CheckVerdict = verdict(result);
        Checked { args, verdict }
    }
}

fn reference_seals(drawn: &Drawn, args: &Value, caller: &mut dyn Caller) -> Result<(), Stop> {
    let sealed = dispatch(SEAL, args);
    let envelope = match &sealed {
        Response::Ok(fields) => match fields.get("envelope") {
            Some(Value::String(envelope)) => envelope.clone(),
            _ => return Err(Stop::failed("the reference's seal answer has no `envelope`", Some(&sealed))),
        },
        other => return Err(Stop::failed("the reference could not seal the drawn inputs", Some(other))),
    };
    let want = drawn.opened_fields();
    let count = drawn.recipients.len();
    for (index, (device, key)) in drawn.recipients.iter().enumerate() {
        let step = format!("envelope.open as {}", which(index, count, device));
        let got = expect_ok(caller, &step, OPEN, &open_args(&envelope, device, key))?;
        if let Some(problems) = differences(&want, &got) {
            return Err(Stop::failed(format!("{step}: {problems}"), Some(&Response::Ok(got))));
        }
    }
    let (first, _) = &drawn.recipients[0];
    expect_error(
        caller,
        &format!("envelope.open as {} with a wrap key that is not theirs", which(0, count, first)),
        OPEN,
        &open_args(&envelope, first, &drawn.wrong_key),
        "envelope.authentication_failed",
    )?;
    expect_error(
        caller,
        &format!("envelope.open as device {}, which is not a recipient", lowerhex::encode(STRANGER)),
        OPEN,
        &open_args(&envelope, STRANGER, &drawn.wrong_key),
        "envelope.not_a_recipient",
    )
}

/// The `envelope` of an adapter's seal answer, which must be lowercase hex.
fn envelope_of(fields: Map<String, Value>, step: &str) -> Result<String, Stop> {
    match fields.get("envelope") {
        Some(Value::String(envelope)) if lowerhex::is_lower_hex(envelope) => Ok(envelope.clone()),
        Some(_) => Err(Stop::failed(format!("{step}: `envelope` is not lowercase hex"), Some(&Response::Ok(fields)))),
        None => Err(Stop::failed(format!("{step}: the answer has no `envelope`"), Some(&Response::Ok(fields)))),
    }
}

/// Asks the reference `op`; a failure is the adapter's envelope's fault.
fn reference_ok(op: &str, args: &Value, step: &str, envelope: &Response) -> Result<Map<String, Value>, Stop> {
    match dispatch(op, args) {
        Response::Ok(fields) => Ok(fields),
        other => Err(Stop::failed(format!("{step}: the reference answered {}", other.describe()), Some(envelope))),
    }
}

fn adapter_seals(drawn: &Drawn, args: &Value, caller: &mut dyn Caller) -> Result<(), Stop> {
    let first_step = "envelope.seal without contentKey";
    let first = envelope_of(expect_ok(caller, first_step, SEAL, args)?, first_step)?;
    let first_answer = Response::Ok(Map::from_iter([("envelope".to_owned(), Value::from(first.as_str()))]));

    let step = "the reference decoding the adapter's envelope";
    let decoded = reference_ok(DECODE, &json!({ "envelope": first }), step, &first_answer)?;
    if let Some(problems) = differences(&drawn.decoded_fields(), &decoded) {
        return Err(Stop::failed(format!("{step}: {problems}"), Some(&first_answer)));
    }
    let want = drawn.opened_fields();
    let count = drawn.recipients.len();
    for (index, (device, key)) in drawn.recipients.iter().enumerate() {
        let step = format!("the reference opening the adapter's envelope as {}", which(index, count, device));
        let opened = reference_ok(OPEN, &open_args(&first, device, key), &step, &first_answer)?;
        if let Some(problems) = differences(&want, &opened) {
            return Err(Stop::failed(format!("{step}: {problems}"), Some(&first_answer)));
        }
    }

    let second_step = "envelope.seal without contentKey, the same inputs again";
    let second = envelope_of(expect_ok(caller, second_step, SEAL, args)?, second_step)?;
    let second_answer = Response::Ok(Map::from_iter([("envelope".to_owned(), Value::from(second.as_str()))]));
    if second == first {
        return Err(Stop::failed(
            format!(
                "{second_step}: the adapter sealed the same inputs twice into the same envelope, so it used the same \
                 content key twice; without contentKey it must draw a fresh one for every envelope (ENV-020)"
            ),
            Some(&second_answer),
        ));
    }
    let (device, key) = &drawn.recipients[count - 1];
    let step = format!("the reference opening the adapter's second envelope as {}", which(count - 1, count, device));
    let opened = reference_ok(OPEN, &open_args(&second, device, key), &step, &second_answer)?;
    match differences(&want, &opened) {
        Some(problems) => Err(Stop::failed(format!("{step}: {problems}"), Some(&second_answer))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crosscheck::NoAnswer;

    /// The reference, with one deliberate fault.
    struct Faulty(fn(&str, &Value) -> Response);

    impl Caller for Faulty {
        fn call(&mut self, op: &str, args: &Value) -> Result<Response, NoAnswer> {
            Ok((self.0)(op, args))
        }
    }

    fn run(direction: Direction, fault: fn(&str, &Value) -> Response) -> CheckVerdict {
        let shape = &SHAPES[1];
        Check { direction, shape }.run(&mut Faulty(fault)).verdict
    }

    fn failure(verdict: &CheckVerdict) -> &str {
        match verdict {
            CheckVerdict::Failed { message, .. } => message,
            _ => "",
        }
    }

    #[test]
    fn an_adapter_that_opens_to_the_wrong_content_fails() {
        let verdict = run(Direction::ReferenceSeals, |op, args| match dispatch(op, args) {
            Response::Ok(mut fields) => {
                fields.insert("content".into(), "00".into());
                Response::Ok(fields)
            }
            other => other,
        });
        assert!(failure(&verdict).starts_with("envelope.open as recipient 1 of 3"), "{verdict:?}");
        assert!(failure(&verdict).contains("field `content` differs"), "{verdict:?}");
    }

    #[test]
    fn an_adapter_that_opens_without_checking_the_wrap_key_fails() {
        // Answers every authentication failure with an empty message instead.
        let verdict = run(Direction::ReferenceSeals, |op, args| match dispatch(op, args) {
            Response::Error { code, .. } if code == "envelope.authentication_failed" => {
                Response::Ok(Map::from_iter([("content".to_owned(), Value::from(""))]))
            }
            other => other,
        });
        assert!(
            failure(&verdict)
                .contains("with a wrap key that is not theirs: expected error envelope.authentication_failed"),
            "{verdict:?}"
        );
    }

    #[test]
    fn an_adapter_that_seals_with_a_fixed_key_when_none_is_given_fails() {
        let verdict = run(Direction::AdapterSeals, |op, args| {
            let mut args = args.clone();
            if let Value::Object(map) = &mut args {
                map.entry("contentKey").or_insert_with(|| Value::from(hex::encode([7u8; 32])));
            }
            dispatch(op, &args)
        });
        assert!(failure(&verdict).contains("used the same content key twice"), "{verdict:?}");
    }

    #[test]
    fn an_adapter_that_needs_a_content_key_fails_with_its_error() {
        let verdict = run(Direction::AdapterSeals, |op, args| {
            if args.get("contentKey").is_none() {
                return Response::bad_request("no contentKey");
            }
            dispatch(op, args)
        });
        assert!(failure(&verdict).starts_with("envelope.seal without contentKey: expected success"), "{verdict:?}");
    }

    #[test]
    fn an_adapter_that_drops_a_recipient_fails() {
        let verdict = run(Direction::AdapterSeals, |op, args| {
            let mut args = args.clone();
            if let Some(Value::Array(list)) = args.get_mut("recipients") {
                list.pop();
            }
            dispatch(op, &args)
        });
        assert!(failure(&verdict).contains("field `recipients` differs"), "{verdict:?}");
    }

    #[test]
    fn an_adapter_whose_envelope_is_not_hex_fails() {
        let verdict = run(Direction::AdapterSeals, |_, _| {
            Response::Ok(Map::from_iter([("envelope".to_owned(), Value::from("XYZ"))]))
        });
        assert!(failure(&verdict).contains("`envelope` is not lowercase hex"), "{verdict:?}");
    }

    #[test]
    fn drawn_inputs_are_fresh_and_within_bounds() {
        let (a, b) = (draw(&SHAPES[3]), draw(&SHAPES[3]));
        let (Ok(a), Ok(b)) = (a, b) else { panic!("the operating system gave no randomness") };
        assert_ne!(a.content_key, b.content_key);
        assert_ne!(a.message_id, b.message_id);
        for drawn in [&a, &b] {
            assert!((1..=MAX_TTL).contains(&drawn.ttl) && drawn.bor <= MAX_TTL);
            assert_eq!(drawn.recipients.len(), 100);
            assert!(drawn.recipients.iter().all(|(_, key)| *key != drawn.wrong_key));
        }
    }
}
