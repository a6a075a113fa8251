//! The two session operations as an adapter answers them, over the reference: `session.handshake`
//! and `session.scenario` (spec/session.md, SES-081). The generator calls these on the arguments it
//! writes, so the expected results are exactly what an adapter over the reference returns; the
//! conformance runner's reference adapter can call them too.
//!
//! Arguments are read strictly: an unknown field, a missing one, a wrong JSON type, bad or
//! upper-case hex, a key of the wrong length or a setup that does not make a network is
//! [`OpError::BadRequest`], never a protocol error.

use cinder::envelope::{Content, ContentType};
use cinder::session::{
    self, AccountSetup, Certificate, DeviceSetup, Event, Id, InitMessage, Initiated, LocalIdentity, Network, Output,
    PeerBundle, PrekeyStore, SealRequest, Session, SessionError, SessionHeader, SignedPrekey, Trace, X25519Secret,
};
use cinder::testing::ReplayRng;
use serde_json::{Map, Value, json};

/// How many message keys of each direction `session.handshake` reports.
pub const HANDSHAKE_KEYS: u32 = 3;

/// Why an operation gave no result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpError {
    /// The arguments cannot be read (`adapter.bad_request`); the message says which.
    BadRequest(String),
    /// The protocol refused: the spec error code.
    Code(&'static str),
    /// The reference broke one of its own promises (for example, it did not use exactly the
    /// randomness it was given).
    Internal(String),
}

impl core::fmt::Display for OpError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::BadRequest(m) => write!(f, "adapter.bad_request: {m}"),
            Self::Code(c) => f.write_str(c),
            Self::Internal(m) => write!(f, "internal: {m}"),
        }
    }
}

impl core::error::Error for OpError {}

fn bad(message: impl Into<String>) -> OpError {
    OpError::BadRequest(message.into())
}

/// A JSON object being read, with its place for messages.
#[derive(Clone, Copy)]
struct Obj<'a> {
    map: &'a Map<String, Value>,
    at: &'a str,
}

impl<'a> Obj<'a> {
    fn new(value: &'a Value, at: &'a str) -> Result<Self, OpError> {
        value.as_object().map(|map| Self { map, at }).ok_or_else(|| bad(format!("{at} must be an object")))
    }

    fn only(&self, fields: &[&str]) -> Result<(), OpError> {
        match self.map.keys().find(|k| !fields.contains(&k.as_str())) {
            Some(k) => Err(bad(format!("{}.{k} is not an argument of this operation", self.at))),
            None => Ok(()),
        }
    }

    fn get(&self, name: &str) -> Result<&'a Value, OpError> {
        self.map.get(name).ok_or_else(|| bad(format!("{}.{name} is missing", self.at)))
    }

    fn hex(&self, name: &str) -> Result<Vec<u8>, OpError> {
        hex_value(self.get(name)?, &format!("{}.{name}", self.at))
    }

    fn key(&self, name: &str) -> Result<[u8; 32], OpError> {
        let bytes = self.hex(name)?;
        bytes.try_into().map_err(|b: Vec<u8>| bad(format!("{}.{name} must be 32 bytes, not {}", self.at, b.len())))
    }

    fn uint(&self, name: &str) -> Result<u64, OpError> {
        self.get(name)?.as_u64().ok_or_else(|| bad(format!("{}.{name} must be an unsigned 64-bit integer", self.at)))
    }

    fn u32(&self, name: &str) -> Result<u32, OpError> {
        u32::try_from(self.uint(name)?).map_err(|_| bad(format!("{}.{name} must fit in 32 bits", self.at)))
    }

    fn boolean(&self, name: &str) -> Result<bool, OpError> {
        self.get(name)?.as_bool().ok_or_else(|| bad(format!("{}.{name} must be true or false", self.at)))
    }

    fn array(&self, name: &str) -> Result<&'a Vec<Value>, OpError> {
        self.get(name)?.as_array().ok_or_else(|| bad(format!("{}.{name} must be an array", self.at)))
    }

    fn object(&self, name: &str, at: &'a str) -> Result<Self, OpError> {
        Self::new(self.get(name)?, at)
    }

    fn id(&self, name: &str) -> Result<Id, OpError> {
        Id::new(&self.hex(name)?).map_err(|_| bad(format!("{}.{name} must be 1 to 64 bytes", self.at)))
    }
}

fn hex_value(value: &Value, at: &str) -> Result<Vec<u8>, OpError> {
    let text = value.as_str().ok_or_else(|| bad(format!("{at} must be a hex string")))?;
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(bad(format!("{at} must be lowercase hex")));
    }
    hex::decode(text).map_err(|e| bad(format!("{at} is not hex: {e}")))
}

fn code(e: impl Into<session::StepError>) -> OpError {
    OpError::Code(e.into().code())
}

fn u32_list(values: &[Value], at: &str) -> Result<Vec<u32>, OpError> {
    values
        .iter()
        .map(|v| {
            v.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(|| bad(format!("{at} must hold u32 integers")))
        })
        .collect()
}

/// An initiator as `session.handshake` runs it (SES-025), with its trace.
pub type Initiate =
    fn(&LocalIdentity<'_>, &PeerBundle<'_>, &mut ReplayRng<'_>, u64) -> Result<(Initiated, Trace), SessionError>;

/// A responder as `session.handshake` runs it (SES-026).
pub type Respond =
    fn(&LocalIdentity<'_>, &mut PrekeyStore, &InitMessage, &[u8; 32], u64) -> Result<Session, SessionError>;

/// The two sides `session.handshake` runs: [`REFERENCE`], or, in the conformance kit's broken
/// adapter, a side with one deliberate bug.
#[derive(Clone, Copy, Debug)]
pub struct Sides {
    /// The initiator.
    pub initiate: Initiate,
    /// The responder.
    pub respond: Respond,
}

fn reference_initiate(
    me: &LocalIdentity<'_>,
    peer: &PeerBundle<'_>,
    rng: &mut ReplayRng<'_>,
    now: u64,
) -> Result<(Initiated, Trace), SessionError> {
    session::initiate_traced_for_testing_only(me, peer, rng, now)
}

/// The reference's initiator and responder.
pub const REFERENCE: Sides = Sides { initiate: reference_initiate, respond: session::respond };

/// `session.handshake` (SES-025, SES-026): the initiator at `now` on the bundle; then the responder
/// at `receivedAt` on each of `earlierInitMessages` (if given) in order, keeping whatever each does to
/// its state, and then on the init message (or on `initMessage`, when given); then the first message
/// keys of each direction as the receiving side computes them.
///
/// # Errors
/// [`OpError::Code`] with the first refusal of either side (an earlier message's refusal is not
/// one: only its effect on the responder's state counts); [`OpError::BadRequest`] for arguments that
/// cannot be read.
pub fn handshake(args: &Value) -> Result<Value, OpError> {
    handshake_with(args, REFERENCE)
}

/// [`handshake`] with the given sides.
///
/// # Errors
/// As [`handshake`].
pub fn handshake_with(args: &Value, sides: Sides) -> Result<Value, OpError> {
    let a = Obj::new(args, "args")?;
    a.only(&[
        "now",
        "receivedAt",
        "initiator",
        "responder",
        "bundle",
        "ephemeralSecret",
        "earlierInitMessages",
        "initMessage",
    ])?;
    let now = a.uint("now")?;
    let received_at = a.uint("receivedAt")?;

    let init = a.object("initiator", "args.initiator")?;
    init.only(&["rootKey", "certificate", "identitySecret"])?;
    let initiator_root = init.key("rootKey")?;
    let initiator_cert = Certificate::decode(&init.hex("certificate")?)
        .map_err(|e| bad(format!("args.initiator.certificate does not decode: {e}")))?;
    let initiator_secret = X25519Secret::from_bytes(init.key("identitySecret")?);

    let resp = a.object("responder", "args.responder")?;
    resp.only(&[
        "rootKey",
        "certificate",
        "identitySecret",
        "signedPrekeys",
        "oneTimePrekeys",
        "usedOneTimePrekeys",
        "acceptedSessions",
    ])?;
    let responder_root = resp.key("rootKey")?;
    let responder_cert = Certificate::decode(&resp.hex("certificate")?)
        .map_err(|e| bad(format!("args.responder.certificate does not decode: {e}")))?;
    let responder_secret = X25519Secret::from_bytes(resp.key("identitySecret")?);
    let mut store = PrekeyStore::new();
    for entry in resp.array("signedPrekeys")? {
        let e = Obj::new(entry, "args.responder.signedPrekeys[]")?;
        e.only(&["id", "secret", "notAfter"])?;
        if !store.add_signed_prekey(e.u32("id")?, X25519Secret::from_bytes(e.key("secret")?), e.uint("notAfter")?) {
            return Err(bad("args.responder.signedPrekeys lists an ID twice"));
        }
    }
    for entry in resp.array("oneTimePrekeys")? {
        let e = Obj::new(entry, "args.responder.oneTimePrekeys[]")?;
        e.only(&["id", "secret"])?;
        if !store.add_one_time_prekey(e.u32("id")?, X25519Secret::from_bytes(e.key("secret")?)) {
            return Err(bad("args.responder.oneTimePrekeys lists an ID twice"));
        }
    }
    for id in u32_list(resp.array("usedOneTimePrekeys")?, "args.responder.usedOneTimePrekeys")? {
        if store.has_one_time_prekey(id) {
            return Err(bad(format!("one-time prekey {id} is listed both as available and as used")));
        }
        store.record_used_one_time_prekey(id);
    }
    for entry in resp.array("acceptedSessions")? {
        let e = Obj::new(entry, "args.responder.acceptedSessions[]")?;
        e.only(&["signedPrekeyId", "sessionId"])?;
        let sid: [u8; 16] = e
            .hex("sessionId")?
            .try_into()
            .map_err(|_| bad("args.responder.acceptedSessions[].sessionId is 16 bytes"))?;
        if !store.record_accepted_session(e.u32("signedPrekeyId")?, sid) {
            return Err(bad("args.responder.acceptedSessions names a signed prekey the responder does not have"));
        }
    }

    let b = a.object("bundle", "args.bundle")?;
    b.only(&["account", "device", "rootKey", "certificate", "signedPrekey", "oneTimePrekey"])?;
    let (peer_account, peer_device, peer_root) = (b.id("account")?, b.id("device")?, b.key("rootKey")?);
    let (peer_cert, peer_spk) = (b.hex("certificate")?, b.hex("signedPrekey")?);
    let one_time_prekey = match b.get("oneTimePrekey")? {
        Value::Null => None,
        value => {
            let o = Obj::new(value, "args.bundle.oneTimePrekey")?;
            o.only(&["id", "key"])?;
            Some((o.u32("id")?, o.key("key")?))
        }
    };
    let ephemeral = a.key("ephemeralSecret")?;
    let earlier = match a.map.get("earlierInitMessages") {
        None => Vec::new(),
        Some(_) => a
            .array("earlierInitMessages")?
            .iter()
            .map(|value| hex_value(value, "args.earlierInitMessages[]"))
            .collect::<Result<Vec<_>, _>>()?,
    };
    let delivered = match a.map.get("initMessage") {
        None | Some(Value::Null) => None,
        Some(value) => Some(hex_value(value, "args.initMessage")?),
    };

    // The initiator (SES-025).
    let me =
        LocalIdentity { root_key: initiator_root, certificate: &initiator_cert, identity_secret: &initiator_secret };
    let bundle = PeerBundle {
        account: &peer_account,
        device: &peer_device,
        root_key: &peer_root,
        certificate: &peer_cert,
        signed_prekey: &peer_spk,
        one_time_prekey,
    };
    let mut rng = ReplayRng::new(&ephemeral);
    let (initiated, trace) = (sides.initiate)(&me, &bundle, &mut rng, now).map_err(code)?;
    if rng.exhausted() || !rng.all_used() {
        return Err(OpError::Internal("the initiator did not draw exactly the 32-byte ephemeral secret".into()));
    }
    let init_message = initiated.message.to_vec();

    // The responder (SES-026), on what reaches it: first the earlier messages, whose refusals only
    // matter through what they leave behind (SES-027: nothing), then the one that counts.
    let responder_me =
        LocalIdentity { root_key: responder_root, certificate: &responder_cert, identity_secret: &responder_secret };
    for bytes in &earlier {
        if let Ok(message) = InitMessage::decode(bytes) {
            // Accepted or refused, the session is not the one this operation reports.
            let _ = (sides.respond)(&responder_me, &mut store, &message, &initiator_root, received_at);
        }
    }
    let message = InitMessage::decode(delivered.as_deref().unwrap_or(&init_message)).map_err(code)?;
    let mut responder =
        (sides.respond)(&responder_me, &mut store, &message, &initiator_root, received_at).map_err(code)?;
    let mut initiator = initiated.session;

    Ok(json!({
        "initMessage": hex::encode(&init_message),
        "sessionId": hex::encode(initiator.id()),
        "transcriptHash": hex::encode(trace.transcript_hash),
        "dh": trace.dh.iter().map(|d| hex::encode(&d[..])).collect::<Vec<_>>(),
        "chainKeyInitiatorToResponder": hex::encode(&trace.initiator_to_responder[..]),
        "chainKeyResponderToInitiator": hex::encode(&trace.responder_to_initiator[..]),
        "confirmKey": hex::encode(&trace.confirm_key[..]),
        "initiatorToResponder": first_keys(&mut responder)?,
        "responderToInitiator": first_keys(&mut initiator)?,
    }))
}

/// The keys of indices 0, 1, 2 as `receiver` computes them (SES-043).
fn first_keys(receiver: &mut Session) -> Result<Vec<String>, OpError> {
    (0..HANDSHAKE_KEYS)
        .map(|index| {
            let header = SessionHeader { session_id: receiver.id(), index };
            let receipt = receiver.receive(&header).map_err(code)?;
            Ok(hex::encode(receipt.commit().as_bytes()))
        })
        .collect()
}

/// A scenario being run one event at a time (SES-081).
#[derive(Debug)]
pub struct ScenarioRun {
    network: Network,
}

impl ScenarioRun {
    /// The network of a scenario's `accounts` and `devices` (the other fields of `args` are not
    /// looked at).
    ///
    /// # Errors
    /// [`OpError::BadRequest`] for a setup that cannot be read or does not make a network.
    pub fn new(args: &Value) -> Result<Self, OpError> {
        let a = Obj::new(args, "args")?;
        let mut accounts = Vec::new();
        for entry in a.array("accounts")? {
            let e = Obj::new(entry, "args.accounts[]")?;
            e.only(&["account", "rootKey"])?;
            accounts.push(AccountSetup { account: e.id("account")?, root_key: e.key("rootKey")? });
        }
        let mut devices = Vec::new();
        for entry in a.array("devices")? {
            let e = Obj::new(entry, "args.devices[]")?;
            e.only(&[
                "certificate",
                "identitySecret",
                "signedPrekey",
                "signedPrekeySecret",
                "oneTimePrekeys",
                "member",
            ])?;
            let mut one_time_prekeys = Vec::new();
            for prekey in e.array("oneTimePrekeys")? {
                let p = Obj::new(prekey, "args.devices[].oneTimePrekeys[]")?;
                p.only(&["id", "secret"])?;
                one_time_prekeys.push((p.u32("id")?, X25519Secret::from_bytes(p.key("secret")?)));
            }
            devices.push(DeviceSetup {
                certificate: Certificate::decode(&e.hex("certificate")?)
                    .map_err(|err| bad(format!("args.devices[].certificate does not decode: {err}")))?,
                identity_secret: X25519Secret::from_bytes(e.key("identitySecret")?),
                signed_prekey: SignedPrekey::decode(&e.hex("signedPrekey")?)
                    .map_err(|err| bad(format!("args.devices[].signedPrekey does not decode: {err}")))?,
                signed_prekey_secret: X25519Secret::from_bytes(e.key("signedPrekeySecret")?),
                one_time_prekeys,
                member: e.boolean("member")?,
            });
        }
        let network = Network::new(&accounts, devices).map_err(|e| bad(format!("args: {e}")))?;
        Ok(Self { network })
    }

    /// The network as it stands.
    #[must_use]
    pub const fn network(&self) -> &Network {
        &self.network
    }

    /// Runs one event: `{output, error, checkpoint}` (SES-081).
    ///
    /// # Errors
    /// [`OpError::BadRequest`] for an event that cannot be read; a refused event is a step with
    /// an `error`, not an `Err`.
    pub fn step(&mut self, event: &Value) -> Result<Value, OpError> {
        let e = Obj::new(event, "event")?;
        let at = e.uint("at")?;
        let name = e.get("event")?.as_str().ok_or_else(|| bad("event.event must be a string"))?;
        let owned = OwnedEvent::read(name, &e)?;
        let mut rng_bytes = owned.randomness();
        let mut rng = ReplayRng::new(&rng_bytes);
        let network = &mut self.network;
        let result = owned.with_event(|event| network.handle(event, at, &mut rng));
        if result.is_ok() && !rng_bytes.is_empty() && (rng.exhausted() || !rng.all_used()) {
            return Err(OpError::Internal(format!("{name} did not draw exactly the randomness it was given")));
        }
        rng_bytes.fill(0);
        let (output, error) = match result {
            Ok(output) => (output_json(&output), Value::Null),
            Err(err) => (Value::Null, Value::String(err.code().into())),
        };
        Ok(json!({ "output": output, "error": error, "checkpoint": hex::encode(self.network.checkpoint()) }))
    }
}

/// `session.scenario` (SES-081): every event in order on one network.
///
/// # Errors
/// [`OpError::BadRequest`] for a setup or event that cannot be read.
pub fn scenario(args: &Value) -> Result<Value, OpError> {
    let a = Obj::new(args, "args")?;
    a.only(&["accounts", "devices", "events"])?;
    let mut run = ScenarioRun::new(args)?;
    let steps = a.array("events")?.iter().map(|event| run.step(event)).collect::<Result<Vec<_>, _>>()?;
    Ok(json!({ "steps": steps }))
}

/// An event read from JSON, owning its bytes.
enum OwnedEvent {
    Handshake { initiator: Vec<u8>, responder: Vec<u8>, ephemeral: [u8; 32], one_time_prekey: Option<u32> },
    Send { from: Vec<u8>, to: Vec<u8> },
    SendMany { from: Vec<u8>, to: Vec<u8>, count: core::num::NonZeroU32 },
    Receive { to: Vec<u8>, header: Vec<u8> },
    Seal(Box<OwnedSeal>),
    Open { to: Vec<u8>, header: Vec<u8>, envelope: Vec<u8> },
    AddDevice(Vec<u8>),
    RemoveDevice(Vec<u8>),
    PasswordReset(Vec<u8>),
    Terminate(Vec<u8>),
}

struct OwnedSeal {
    from: Vec<u8>,
    to: Vec<Vec<u8>>,
    message_id: [u8; 16],
    conversation_id: Vec<u8>,
    sent_at: u64,
    ttl: u32,
    padded: bool,
    bor: u32,
    content_type: ContentType,
    content: Vec<u8>,
    content_key: [u8; 32],
}

impl OwnedEvent {
    fn read(name: &str, e: &Obj<'_>) -> Result<Self, OpError> {
        Ok(match name {
            "handshake" => {
                e.only(&["at", "event", "initiator", "responder", "ephemeralSecret", "oneTimePrekey"])?;
                Self::Handshake {
                    initiator: e.hex("initiator")?,
                    responder: e.hex("responder")?,
                    ephemeral: e.key("ephemeralSecret")?,
                    one_time_prekey: match e.get("oneTimePrekey")? {
                        Value::Null => None,
                        _ => Some(e.u32("oneTimePrekey")?),
                    },
                }
            }
            "send" => {
                e.only(&["at", "event", "from", "to"])?;
                Self::Send { from: e.hex("from")?, to: e.hex("to")? }
            }
            "send_many" => {
                e.only(&["at", "event", "from", "to", "count"])?;
                let count = e.u32("count")?;
                if count > session::MAX_MESSAGES {
                    return Err(bad("event.count must be 1 to 65,536"));
                }
                Self::SendMany {
                    from: e.hex("from")?,
                    to: e.hex("to")?,
                    count: core::num::NonZeroU32::new(count).ok_or_else(|| bad("event.count must be 1 to 65,536"))?,
                }
            }
            "receive" => {
                e.only(&["at", "event", "to", "header"])?;
                Self::Receive { to: e.hex("to")?, header: e.hex("header")? }
            }
            "seal" => {
                e.only(&[
                    "at",
                    "event",
                    "from",
                    "to",
                    "messageId",
                    "conversationId",
                    "sentAt",
                    "ttl",
                    "padded",
                    "bor",
                    "contentType",
                    "content",
                    "contentKey",
                ])?;
                let to = e.array("to")?.iter().map(|v| hex_value(v, "event.to[]")).collect::<Result<Vec<_>, _>>()?;
                let type_byte = u8::try_from(e.uint("contentType")?).map_err(|_| bad("event.contentType is a byte"))?;
                Self::Seal(Box::new(OwnedSeal {
                    from: e.hex("from")?,
                    to,
                    message_id: e.hex("messageId")?.try_into().map_err(|_| bad("event.messageId must be 16 bytes"))?,
                    conversation_id: e.hex("conversationId")?,
                    sent_at: e.uint("sentAt")?,
                    ttl: e.u32("ttl")?,
                    padded: e.boolean("padded")?,
                    bor: e.u32("bor")?,
                    content_type: ContentType::from_byte(type_byte)
                        .ok_or_else(|| bad("event.contentType must be 1, 2 or 3"))?,
                    content: e.hex("content")?,
                    content_key: e.key("contentKey")?,
                }))
            }
            "open" => {
                e.only(&["at", "event", "to", "header", "envelope"])?;
                Self::Open { to: e.hex("to")?, header: e.hex("header")?, envelope: e.hex("envelope")? }
            }
            "add_device" | "remove_device" => {
                e.only(&["at", "event", "device"])?;
                let device = e.hex("device")?;
                if name == "add_device" { Self::AddDevice(device) } else { Self::RemoveDevice(device) }
            }
            "password_reset" | "terminate" => {
                e.only(&["at", "event", "account"])?;
                let account = e.hex("account")?;
                if name == "terminate" { Self::Terminate(account) } else { Self::PasswordReset(account) }
            }
            other => return Err(bad(format!("event.event {other:?} is not a session event"))),
        })
    }

    /// The bytes the event's randomness comes from (SES-003; the envelope's content key).
    fn randomness(&self) -> Vec<u8> {
        match self {
            Self::Handshake { ephemeral, .. } => ephemeral.to_vec(),
            Self::Seal(seal) => seal.content_key.to_vec(),
            _ => Vec::new(),
        }
    }

    /// Calls `f` with the event, borrowed from `self`.
    fn with_event<T>(&self, f: impl FnOnce(Event<'_>) -> T) -> T {
        let recipients: Vec<&[u8]> = match self {
            Self::Seal(seal) => seal.to.iter().map(Vec::as_slice).collect(),
            _ => Vec::new(),
        };
        let event = match self {
            Self::Handshake { initiator, responder, one_time_prekey, .. } => {
                Event::Handshake { initiator, responder, one_time_prekey: *one_time_prekey }
            }
            Self::Send { from, to } => Event::Send { from, to },
            Self::SendMany { from, to, count } => Event::SendMany { from, to, count: *count },
            Self::Receive { to, header } => Event::Receive { to, header },
            Self::Seal(seal) => Event::Seal(SealRequest {
                from: &seal.from,
                to: &recipients,
                message_id: seal.message_id,
                conversation_id: &seal.conversation_id,
                sent_at: seal.sent_at,
                ttl: seal.ttl,
                padded: seal.padded,
                content: Content { bor: seal.bor, content_type: seal.content_type, body: &seal.content },
            }),
            Self::Open { to, header, envelope } => Event::Open { to, header, envelope },
            Self::AddDevice(device) => Event::AddDevice(device),
            Self::RemoveDevice(device) => Event::RemoveDevice(device),
            Self::PasswordReset(account) => Event::PasswordReset(account),
            Self::Terminate(account) => Event::Terminate(account),
        };
        f(event)
    }
}

fn output_json(output: &Output) -> Value {
    match output {
        Output::Handshake { session_id, init_message, replaced } => json!({
            "sessionId": hex::encode(session_id),
            "initMessage": hex::encode(init_message),
            "replaced": replaced,
        }),
        Output::Sent { header, message_key } => json!({
            "header": hex::encode(header.to_bytes()),
            "index": header.index,
            "messageKey": hex::encode(message_key.as_bytes()),
        }),
        Output::Received { index, message_key } => {
            json!({ "index": index, "messageKey": hex::encode(message_key.as_bytes()) })
        }
        Output::Sealed { envelope, recipients } => json!({
            "envelope": hex::encode(envelope),
            "recipients": recipients.iter().map(|(device, header, key)| json!({
                "device": hex::encode(device.as_bytes()),
                "header": hex::encode(header.to_bytes()),
                "messageKey": hex::encode(key.as_bytes()),
            })).collect::<Vec<_>>(),
        }),
        Output::Opened { index, bor, content_type, content } => json!({
            "index": index,
            "bor": bor,
            "contentType": content_type.byte(),
            "content": hex::encode(content.as_slice()),
        }),
        Output::Closed { count } => json!({ "closed": count }),
    }
}
