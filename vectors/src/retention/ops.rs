//! The `retention.scenario` operation as an adapter answers it, over the reference (spec/retention.md):
//! [`scenario`] reads a test's `args` strictly, runs the events on a new server and renders each step
//! as the vectors record it. The generator calls it on the arguments it writes, so the expected
//! results are exactly what an adapter over the reference returns; the conformance runner's
//! reference adapter calls it too, and the reference's own tests compile this file to replay the
//! vectors in-process. It uses only `cinder`, `serde_json` and `hex`.

use cinder::retention::{
    AccountId, Config, Disclosure, Event, MessageId, Output, Platform, Profile, Reply, RetentionError, Server,
    SettingChange, Step, Store,
};
use serde_json::{Map, Value, json};

/// An event of a scenario, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Ev {
    Register(AccountId),
    AddDevice(AccountId, Vec<u8>, Platform),
    RemoveDevice(AccountId, Vec<u8>),
    Join(AccountId, Vec<u8>),
    Leave(AccountId, Vec<u8>),
    Block(AccountId, AccountId),
    Unblock(AccountId, AccountId),
    Setting(AccountId, SettingChange),
    Store { device: Vec<u8>, message_id: MessageId, conversation: Vec<u8>, sent_at: u64, ttl: u32, ciphertext: Vec<u8> },
    Fetch(Vec<u8>),
    Ack(Vec<u8>, MessageId),
    Recall(Vec<u8>, MessageId),
    Terminate(AccountId),
    Hold(AccountId),
    Disclose(AccountId),
    Tick,
}

pub(crate) fn hex_id(id: &AccountId) -> String {
    hex::encode(id.0)
}

impl Ev {
    pub(crate) fn json(&self, at: u64) -> Value {
        let mut m = Map::new();
        m.insert("at".into(), at.into());
        let (name, fields): (&str, Vec<(&str, Value)>) = match self {
            Self::Register(a) => ("register", vec![("account", hex_id(a).into())]),
            Self::AddDevice(a, d, p) => (
                "add_device",
                vec![("account", hex_id(a).into()), ("device", hex::encode(d).into()), ("platform", p.label().into())],
            ),
            Self::RemoveDevice(a, d) => {
                ("remove_device", vec![("account", hex_id(a).into()), ("device", hex::encode(d).into())])
            }
            Self::Join(a, c) => ("join", vec![("account", hex_id(a).into()), ("conversation", hex::encode(c).into())]),
            Self::Leave(a, c) => {
                ("leave", vec![("account", hex_id(a).into()), ("conversation", hex::encode(c).into())])
            }
            Self::Block(a, b) => ("block", vec![("account", hex_id(a).into()), ("blocked", hex_id(b).into())]),
            Self::Unblock(a, b) => ("unblock", vec![("account", hex_id(a).into()), ("blocked", hex_id(b).into())]),
            Self::Setting(a, c) => {
                ("change_setting", vec![("account", hex_id(a).into()), ("change", c.label().into())])
            }
            Self::Store { device, message_id, conversation, sent_at, ttl, ciphertext } => (
                "store",
                vec![
                    ("device", hex::encode(device).into()),
                    ("messageId", hex::encode(message_id).into()),
                    ("conversation", hex::encode(conversation).into()),
                    ("sentAt", (*sent_at).into()),
                    ("ttl", (*ttl).into()),
                    ("ciphertext", hex::encode(ciphertext).into()),
                ],
            ),
            Self::Fetch(d) => ("fetch", vec![("device", hex::encode(d).into())]),
            Self::Ack(d, id) => ("ack", vec![("device", hex::encode(d).into()), ("messageId", hex::encode(id).into())]),
            Self::Recall(d, id) => {
                ("recall", vec![("device", hex::encode(d).into()), ("messageId", hex::encode(id).into())])
            }
            Self::Terminate(a) => ("terminate", vec![("account", hex_id(a).into())]),
            Self::Hold(a) => ("hold", vec![("account", hex_id(a).into())]),
            Self::Disclose(a) => ("disclose", vec![("account", hex_id(a).into())]),
            Self::Tick => ("tick", vec![]),
        };
        m.insert("event".into(), name.into());
        for (k, v) in fields {
            m.insert(k.into(), v);
        }
        Value::Object(m)
    }

    pub(crate) fn event(&self) -> Event<'_> {
        match self {
            Self::Register(account) => Event::Register { account: *account },
            Self::AddDevice(account, device, platform) => {
                Event::AddDevice { account: *account, device, platform: *platform }
            }
            Self::RemoveDevice(account, device) => Event::RemoveDevice { account: *account, device },
            Self::Join(account, conversation) => Event::Join { account: *account, conversation },
            Self::Leave(account, conversation) => Event::Leave { account: *account, conversation },
            Self::Block(account, blocked) => Event::Block { account: *account, blocked: *blocked },
            Self::Unblock(account, blocked) => Event::Unblock { account: *account, blocked: *blocked },
            Self::Setting(account, change) => Event::ChangeSetting { account: *account, change: *change },
            Self::Store { device, message_id, conversation, sent_at, ttl, ciphertext } => Event::Store(Store {
                device,
                message_id: *message_id,
                conversation,
                sent_at: *sent_at,
                ttl: *ttl,
                ciphertext,
            }),
            Self::Fetch(device) => Event::Fetch { device },
            Self::Ack(device, message_id) => Event::Ack { device, message_id: *message_id },
            Self::Recall(device, message_id) => Event::Recall { device, message_id: *message_id },
            Self::Terminate(account) => Event::Terminate { account: *account },
            Self::Hold(account) => Event::Hold { account: *account },
            Self::Disclose(account) => Event::Disclose { account: *account },
            Self::Tick => Event::Tick,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading args (what an adapter does) and rendering steps.

/// Reads the fields of one JSON object, with messages that name the field.
struct Fields<'a> {
    map: &'a Map<String, Value>,
    at: String,
}

impl Fields<'_> {
    fn get(&self, name: &str) -> Result<&Value, String> {
        self.map.get(name).ok_or_else(|| format!("{}.{name} is missing", self.at))
    }

    fn only(&self, names: &[&str]) -> Result<(), String> {
        match self.map.keys().find(|k| !names.contains(&k.as_str())) {
            Some(k) => Err(format!("{}.{k} is not a field of this event", self.at)),
            None => Ok(()),
        }
    }

    fn str(&self, name: &str) -> Result<&str, String> {
        self.get(name)?.as_str().ok_or_else(|| format!("{}.{name} must be a string", self.at))
    }

    fn hex(&self, name: &str) -> Result<Vec<u8>, String> {
        let text = self.str(name)?;
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(format!("{}.{name} must be lowercase hex", self.at));
        }
        hex::decode(text).map_err(|e| format!("{}.{name} is not hex: {e}", self.at))
    }

    fn array<const N: usize>(&self, name: &str) -> Result<[u8; N], String> {
        let bytes = self.hex(name)?;
        bytes.as_slice().try_into().map_err(|_| format!("{}.{name} must be {N} bytes, not {}", self.at, bytes.len()))
    }

    fn account(&self, name: &str) -> Result<AccountId, String> {
        self.array::<32>(name).map(AccountId)
    }

    fn u64(&self, name: &str) -> Result<u64, String> {
        self.get(name)?.as_u64().ok_or_else(|| format!("{}.{name} must be an integer from 0 to 2^64 - 1", self.at))
    }

    fn u32(&self, name: &str) -> Result<u32, String> {
        u32::try_from(self.u64(name)?).map_err(|_| format!("{}.{name} must be an integer from 0 to 2^32 - 1", self.at))
    }
}

fn object<'a>(value: &'a Value, at: &str) -> Result<Fields<'a>, String> {
    value.as_object().map(|map| Fields { map, at: at.to_owned() }).ok_or_else(|| format!("{at} must be an object"))
}

fn parse_event(value: &Value, at: &str) -> Result<(u64, Ev), String> {
    let f = object(value, at)?;
    let when = f.u64("at")?;
    let name = f.str("event")?;
    let (fields, ev): (&[&str], Ev) = match name {
        "register" => (&["account"], Ev::Register(f.account("account")?)),
        "add_device" => {
            let label = f.str("platform")?;
            let platform = Platform::from_label(label)
                .ok_or_else(|| format!("{at}.platform {label:?} is not ios, android, desktop or web"))?;
            (&["account", "device", "platform"], Ev::AddDevice(f.account("account")?, f.hex("device")?, platform))
        }
        "remove_device" => (&["account", "device"], Ev::RemoveDevice(f.account("account")?, f.hex("device")?)),
        "join" => (&["account", "conversation"], Ev::Join(f.account("account")?, f.hex("conversation")?)),
        "leave" => (&["account", "conversation"], Ev::Leave(f.account("account")?, f.hex("conversation")?)),
        "block" => (&["account", "blocked"], Ev::Block(f.account("account")?, f.account("blocked")?)),
        "unblock" => (&["account", "blocked"], Ev::Unblock(f.account("account")?, f.account("blocked")?)),
        "change_setting" => {
            let label = f.str("change")?;
            let change =
                SettingChange::from_label(label).ok_or_else(|| format!("{at}.change {label:?} is not a change"))?;
            (&["account", "change"], Ev::Setting(f.account("account")?, change))
        }
        "store" => (
            &["device", "messageId", "conversation", "sentAt", "ttl", "ciphertext"],
            Ev::Store {
                device: f.hex("device")?,
                message_id: f.array::<16>("messageId")?,
                conversation: f.hex("conversation")?,
                sent_at: f.u64("sentAt")?,
                ttl: f.u32("ttl")?,
                ciphertext: f.hex("ciphertext")?,
            },
        ),
        "fetch" => (&["device"], Ev::Fetch(f.hex("device")?)),
        "ack" => (&["device", "messageId"], Ev::Ack(f.hex("device")?, f.array::<16>("messageId")?)),
        "recall" => (&["device", "messageId"], Ev::Recall(f.hex("device")?, f.array::<16>("messageId")?)),
        "terminate" => (&["account"], Ev::Terminate(f.account("account")?)),
        "hold" => (&["account"], Ev::Hold(f.account("account")?)),
        "disclose" => (&["account"], Ev::Disclose(f.account("account")?)),
        "tick" => (&[], Ev::Tick),
        other => return Err(format!("{at}.event {other:?} is not a retention event")),
    };
    let mut allowed = vec!["at", "event"];
    allowed.extend_from_slice(fields);
    f.only(&allowed)?;
    Ok((when, ev))
}

fn disclosure_json(d: &Disclosure) -> Value {
    json!({
        "reply": "disclosure",
        "account": hex_id(&d.account),
        "terminated": d.terminated,
        "facts": d.facts.as_ref().map_or(Value::Null, |f| json!({
            "createdDay": f.created_day,
            "lastUseDay": f.last_use_day,
            "platforms": f.platforms.iter().map(|p| p.label()).collect::<Vec<_>>(),
            "sent": f.sent,
            "received": f.received,
            "externalIds": f.external_ids,
            "avatar": f.avatar,
        })),
        "devices": d.devices.iter()
            .map(|(id, p)| json!({ "device": hex::encode(id.as_bytes()), "platform": p.label() }))
            .collect::<Vec<_>>(),
        "rooms": d.rooms.iter().map(|r| hex::encode(r.as_bytes())).collect::<Vec<_>>(),
        "blockList": d.block_list.iter().map(hex_id).collect::<Vec<_>>(),
        "records": d.records.iter().map(|r| json!({
            "record": r.kind.label(), "at": r.at, "until": r.until, "held": r.held, "direct": r.direct, "room": r.room,
        })).collect::<Vec<_>>(),
        "holdUntil": d.hold_until,
        "messages": d.messages.iter().map(|m| json!({
            "messageId": hex::encode(m.message_id),
            "conversation": hex::encode(m.conversation.as_bytes()),
            "sender": hex_id(&m.sender),
            "senderDevice": hex::encode(m.sender_device.as_bytes()),
            "sentAt": m.sent_at,
            "ttl": m.ttl,
            "storedAt": m.stored_at,
            "purgeBy": m.purge_by,
            "ciphertextLength": m.ciphertext_len,
            "recipients": m.recipients.iter()
                .map(|r| json!({ "device": hex::encode(r.device.as_bytes()), "acked": r.acked }))
                .collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

fn reply_json(reply: &Reply) -> Value {
    let plain = |name: &str| json!({ "reply": name });
    match reply {
        Reply::Registered => plain("registered"),
        Reply::DeviceAdded => plain("device_added"),
        Reply::DeviceRemoved => plain("device_removed"),
        Reply::Joined => plain("joined"),
        Reply::Left => plain("left"),
        Reply::Blocked => plain("blocked"),
        Reply::Unblocked => plain("unblocked"),
        Reply::SettingChanged => plain("setting_changed"),
        Reply::Accepted { message_id } => json!({ "reply": "accepted", "messageId": hex::encode(message_id) }),
        Reply::Messages(list) => json!({
            "reply": "messages",
            "messages": list.iter()
                .map(|d| json!({ "messageId": hex::encode(d.message_id), "ciphertext": hex::encode(&d.ciphertext) }))
                .collect::<Vec<_>>(),
        }),
        Reply::Acked => plain("acked"),
        Reply::Recalled { message_id } => json!({ "reply": "recalled", "messageId": hex::encode(message_id) }),
        Reply::Terminated => plain("terminated"),
        Reply::Held { until } => json!({ "reply": "held", "until": until }),
        Reply::Disclosure(d) => disclosure_json(d),
        Reply::Ticked => plain("ticked"),
    }
}

fn output_json(output: &Output) -> Value {
    match output {
        Output::Stored { message_id, recipients, purge_by } => json!({
            "output": "stored",
            "messageId": hex::encode(message_id),
            "recipients": recipients.iter().map(|r| hex::encode(r.as_bytes())).collect::<Vec<_>>(),
            "purgeBy": purge_by,
        }),
        Output::NotStored { message_id, reason } => {
            json!({ "output": "not_stored", "messageId": hex::encode(message_id), "reason": reason.label() })
        }
        Output::Purged { message_id, reason } => {
            json!({ "output": "purged", "messageId": hex::encode(message_id), "reason": reason.label() })
        }
        Output::Dropped { message_id, device } => {
            json!({ "output": "dropped", "messageId": hex::encode(message_id), "device": hex::encode(device.as_bytes()) })
        }
        Output::RecordDeleted { account, record, at, reason } => json!({
            "output": "record_deleted", "account": hex_id(account), "record": record.label(), "at": at,
            "reason": reason.label(),
        }),
        Output::HoldLapsed { account } => json!({ "output": "hold_lapsed", "account": hex_id(account) }),
        Output::Tombstoned { account } => json!({ "output": "tombstoned", "account": hex_id(account) }),
    }
}

fn step_json(step: &Step, server: &Server) -> Value {
    json!({
        "reply": step.result.as_ref().map_or(Value::Null, reply_json),
        "error": step.result.as_ref().err().map_or(Value::Null, |e| e.code().into()),
        "outputs": step.outputs.iter().map(output_json).collect::<Vec<_>>(),
        "held": server.held_ids().map(hex::encode).collect::<Vec<_>>(),
    })
}

/// Runs events on a new server: the per-step JSON, or the configuration's refusal.
pub(crate) fn run(profile: Profile, cap: Option<u32>, events: &[(u64, Ev)]) -> Result<Vec<Value>, RetentionError> {
    let mut server = Server::new(Config::new(profile, cap)?);
    Ok(events
        .iter()
        .map(|(at, ev)| {
            let step = server.handle(&ev.event(), *at);
            step_json(&step, &server)
        })
        .collect())
}

/// Runs one `retention.scenario` test's `args` on the reference: `Ok(Ok(expected))` with
/// `expected = {"steps": [...]}`, `Ok(Err(error))` when the configuration is refused (RET-001), or
/// `Err(message)` when the arguments cannot be read (the adapter's `adapter.bad_request`).
///
/// # Errors
/// A message naming the first argument that cannot be read.
pub fn scenario(args: &Value) -> Result<Result<Value, RetentionError>, String> {
    let f = object(args, "args")?;
    f.only(&["profile", "cap", "events"])?;
    let label = f.str("profile")?;
    let profile = Profile::from_label(label).ok_or_else(|| format!("args.profile {label:?} is not a profile"))?;
    let cap = match f.get("cap")? {
        Value::Null => None,
        _ => Some(f.u32("cap")?),
    };
    let list = f.get("events")?.as_array().ok_or("args.events must be an array")?;
    let events = list
        .iter()
        .enumerate()
        .map(|(i, e)| parse_event(e, &format!("args.events[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(run(profile, cap, &events).map(|steps| json!({ "steps": steps })))
}
