//! `vectors/retention.json` against the independent model of spec/retention.md
//! (`reference/tests/retention_support/model.rs`): every step of every scenario, read from the
//! committed JSON with a reader written here and rendered with a renderer written here — neither
//! the generator's code nor the reference server is involved. Also: the retention schema bites.

use std::path::PathBuf;

use cinder::retention::{
    AccountId, Config, Disclosure, Event, Output, Platform, Profile, Reply, SettingChange, Step, Store,
};
use serde_json::{Value, json};

#[path = "../../reference/tests/retention_support/model.rs"]
mod model;

fn file() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("retention.json");
    let text = std::fs::read_to_string(&path).expect("vectors/retention.json exists");
    serde_json::from_str(&text).expect("retention.json is JSON")
}

fn bytes(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("a hex string")).expect("valid hex")
}

fn account(v: &Value) -> AccountId {
    AccountId(bytes(v).try_into().expect("32-byte account"))
}

fn id16(v: &Value) -> [u8; 16] {
    bytes(v).try_into().expect("16-byte message ID")
}

fn num(v: &Value) -> u64 {
    v.as_u64().expect("an unsigned integer")
}

fn h(b: &[u8]) -> String {
    hex::encode(b)
}

fn a(id: &AccountId) -> String {
    hex::encode(id.0)
}

/// Runs one JSON event on the model, holding its byte strings for the call.
fn step(model: &mut model::Model, e: &Value) -> Step {
    let at = num(&e["at"]);
    let acct = || account(&e["account"]);
    let device = || bytes(&e["device"]);
    let conversation = || bytes(&e["conversation"]);
    match e["event"].as_str().expect("an event name") {
        "register" => model.step(&Event::Register { account: acct() }, at),
        "add_device" => {
            let platform = Platform::from_label(e["platform"].as_str().expect("label")).expect("a platform");
            model.step(&Event::AddDevice { account: acct(), device: &device(), platform }, at)
        }
        "remove_device" => model.step(&Event::RemoveDevice { account: acct(), device: &device() }, at),
        "join" => model.step(&Event::Join { account: acct(), conversation: &conversation() }, at),
        "leave" => model.step(&Event::Leave { account: acct(), conversation: &conversation() }, at),
        "block" => model.step(&Event::Block { account: acct(), blocked: account(&e["blocked"]) }, at),
        "unblock" => model.step(&Event::Unblock { account: acct(), blocked: account(&e["blocked"]) }, at),
        "change_setting" => {
            let change = SettingChange::from_label(e["change"].as_str().expect("label")).expect("a change");
            model.step(&Event::ChangeSetting { account: acct(), change }, at)
        }
        "store" => {
            let (d, c, x) = (device(), conversation(), bytes(&e["ciphertext"]));
            let ttl = u32::try_from(num(&e["ttl"])).expect("32-bit ttl");
            let s = Store {
                device: &d,
                message_id: id16(&e["messageId"]),
                conversation: &c,
                sent_at: num(&e["sentAt"]),
                ttl,
                ciphertext: &x,
            };
            model.step(&Event::Store(s), at)
        }
        "fetch" => model.step(&Event::Fetch { device: &device() }, at),
        "ack" => model.step(&Event::Ack { device: &device(), message_id: id16(&e["messageId"]) }, at),
        "recall" => model.step(&Event::Recall { device: &device(), message_id: id16(&e["messageId"]) }, at),
        "terminate" => model.step(&Event::Terminate { account: acct() }, at),
        "hold" => model.step(&Event::Hold { account: acct() }, at),
        "disclose" => model.step(&Event::Disclose { account: acct() }, at),
        "tick" => model.step(&Event::Tick, at),
        other => panic!("unknown event {other}"),
    }
}

fn disclosure(d: &Disclosure) -> Value {
    let facts = d.facts.as_ref().map_or(Value::Null, |f| {
        json!({
            "createdDay": f.created_day, "lastUseDay": f.last_use_day,
            "platforms": f.platforms.iter().map(|p| p.label()).collect::<Vec<_>>(),
            "sent": f.sent, "received": f.received, "externalIds": f.external_ids, "avatar": f.avatar,
        })
    });
    let messages: Vec<Value> = d
        .messages
        .iter()
        .map(|m| {
            let recipients: Vec<Value> =
                m.recipients.iter().map(|r| json!({ "device": h(r.device.as_bytes()), "acked": r.acked })).collect();
            json!({
                "messageId": h(&m.message_id), "conversation": h(m.conversation.as_bytes()), "sender": a(&m.sender),
                "senderDevice": h(m.sender_device.as_bytes()), "sentAt": m.sent_at, "ttl": m.ttl,
                "storedAt": m.stored_at, "purgeBy": m.purge_by, "ciphertextLength": m.ciphertext_len,
                "recipients": recipients,
            })
        })
        .collect();
    json!({
        "reply": "disclosure",
        "account": a(&d.account),
        "terminated": d.terminated,
        "facts": facts,
        "devices": d.devices.iter().map(|(id, p)| json!({ "device": h(id.as_bytes()), "platform": p.label() })).collect::<Vec<_>>(),
        "rooms": d.rooms.iter().map(|r| h(r.as_bytes())).collect::<Vec<_>>(),
        "blockList": d.block_list.iter().map(a).collect::<Vec<_>>(),
        "records": d.records.iter().map(|r| json!({
            "record": r.kind.label(), "at": r.at, "until": r.until, "held": r.held, "direct": r.direct, "room": r.room,
        })).collect::<Vec<_>>(),
        "holdUntil": d.hold_until,
        "messages": messages,
    })
}

fn reply(r: &Reply) -> Value {
    let name = match r {
        Reply::Registered => "registered",
        Reply::DeviceAdded => "device_added",
        Reply::DeviceRemoved => "device_removed",
        Reply::Joined => "joined",
        Reply::Left => "left",
        Reply::Blocked => "blocked",
        Reply::Unblocked => "unblocked",
        Reply::SettingChanged => "setting_changed",
        Reply::Acked => "acked",
        Reply::Terminated => "terminated",
        Reply::Ticked => "ticked",
        Reply::Accepted { message_id } => return json!({ "reply": "accepted", "messageId": h(message_id) }),
        Reply::Recalled { message_id } => return json!({ "reply": "recalled", "messageId": h(message_id) }),
        Reply::Held { until } => return json!({ "reply": "held", "until": until }),
        Reply::Messages(list) => {
            let list: Vec<Value> =
                list.iter().map(|m| json!({ "messageId": h(&m.message_id), "ciphertext": h(&m.ciphertext) })).collect();
            return json!({ "reply": "messages", "messages": list });
        }
        Reply::Disclosure(d) => return disclosure(d),
    };
    json!({ "reply": name })
}

fn output(o: &Output) -> Value {
    match o {
        Output::Stored { message_id, recipients, purge_by } => json!({
            "output": "stored", "messageId": h(message_id),
            "recipients": recipients.iter().map(|r| h(r.as_bytes())).collect::<Vec<_>>(), "purgeBy": purge_by,
        }),
        Output::NotStored { message_id, reason } => {
            json!({ "output": "not_stored", "messageId": h(message_id), "reason": reason.label() })
        }
        Output::Purged { message_id, reason } => {
            json!({ "output": "purged", "messageId": h(message_id), "reason": reason.label() })
        }
        Output::Dropped { message_id, device } => {
            json!({ "output": "dropped", "messageId": h(message_id), "device": h(device.as_bytes()) })
        }
        Output::RecordDeleted { account, record, at, reason } => json!({
            "output": "record_deleted", "account": a(account), "record": record.label(), "at": at, "reason": reason.label(),
        }),
        Output::HoldLapsed { account } => json!({ "output": "hold_lapsed", "account": a(account) }),
        Output::Tombstoned { account } => json!({ "output": "tombstoned", "account": a(account) }),
    }
}

#[test]
fn every_step_of_every_scenario_matches_the_independent_model() {
    let file = file();
    let mut checked = 0;
    for group in file["testGroups"].as_array().expect("groups") {
        for test in group["tests"].as_array().expect("tests") {
            let id = test["id"].as_str().expect("id");
            let args = &test["args"];
            let profile = Profile::from_label(args["profile"].as_str().expect("profile")).expect("a profile");
            let cap = args["cap"].as_u64().map(|c| u32::try_from(c).expect("32-bit cap"));
            let config = match Config::new(profile, cap) {
                Ok(config) => config,
                Err(e) => {
                    assert_eq!(test["result"], "invalid", "{id}: the model refuses the configuration");
                    assert_eq!(test["error"], e.code(), "{id}");
                    checked += 1;
                    continue;
                }
            };
            assert_eq!(test["result"], "valid", "{id}: the model accepts the configuration");
            let mut model = model::Model::new(config);
            let want = test["expected"]["steps"].as_array().expect("steps");
            let events = args["events"].as_array().expect("events");
            assert_eq!(want.len(), events.len(), "{id}: one step per event");
            for (i, (e, want)) in events.iter().zip(want).enumerate() {
                let s = step(&mut model, e);
                let got = json!({
                    "reply": s.result.as_ref().map_or(Value::Null, reply),
                    "error": s.result.as_ref().err().map_or(Value::Null, |e| Value::from(e.code())),
                    "outputs": s.outputs.iter().map(output).collect::<Vec<_>>(),
                    "held": model.held().iter().map(|m| h(m)).collect::<Vec<_>>(),
                });
                assert_eq!(&got, want, "{id}: step {i} ({e}) differs from the model");
            }
            checked += 1;
        }
    }
    assert_eq!(u64::try_from(checked).ok(), file["numberOfTests"].as_u64());
}

#[test]
fn retention_file_meets_the_issue_counts() {
    let file = file();
    let tests: Vec<&Value> = file["testGroups"]
        .as_array()
        .expect("groups")
        .iter()
        .flat_map(|g| g["tests"].as_array().expect("tests"))
        .collect();
    assert!(tests.len() >= 200, "only {} retention scenarios", tests.len());
    let refused = tests
        .iter()
        .filter_map(|t| t["expected"]["steps"].as_array())
        .flatten()
        .filter(|s| !s["error"].is_null())
        .count();
    assert!(refused >= 100, "only {refused} refused steps");
    for profile in ["consumer", "enterprise"] {
        assert!(tests.iter().filter(|t| t["args"]["profile"] == profile).count() >= 40, "few {profile} scenarios");
    }
}

fn validator() -> jsonschema::Validator {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schema/retention.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("schema exists")).expect("JSON");
    jsonschema::draft202012::new(&schema).expect("a valid JSON Schema")
}

/// The schema must reject what the format forbids; otherwise validating the file proves nothing.
#[test]
fn retention_schema_rejects_broken_files() {
    let good = file();
    let v = validator();
    assert!(v.is_valid(&good), "the committed file must validate");
    type Mutation = (&'static str, fn(&mut Value));
    let mutations: Vec<Mutation> = vec![
        ("unknown event", |f| f["testGroups"][0]["tests"][0]["args"]["events"][0]["event"] = "reboot".into()),
        ("an account of 31 bytes", |f| {
            f["testGroups"][1]["tests"][0]["args"]["events"][0]["account"] = "ab".repeat(31).into();
        }),
        ("a field the event does not have", |f| {
            f["testGroups"][1]["tests"][0]["args"]["events"][0]["device"] = "00".into();
        }),
        ("upper-case hex", |f| f["testGroups"][1]["tests"][0]["args"]["events"][0]["account"] = "AB".repeat(32).into()),
        ("an error code of another part", |f| {
            f["testGroups"][1]["tests"][0]["expected"]["steps"][0]["error"] = "expiry.destroyed".into();
        }),
        ("a step without held", |f| {
            f["testGroups"][1]["tests"][0]["expected"]["steps"][0].as_object_mut().expect("step").remove("held");
        }),
        ("an unknown purge reason", |f| {
            f["testGroups"][1]["tests"][0]["expected"]["steps"][0]["outputs"] =
                json!([{ "output": "purged", "messageId": "00".repeat(16), "reason": "tired" }]);
        }),
        ("a reply and an error at once", |f| {
            f["testGroups"][1]["tests"][0]["expected"]["steps"][0]["error"] = "retention.no_change".into();
        }),
        ("an unknown profile", |f| f["testGroups"][1]["tests"][0]["args"]["profile"] = "gold".into()),
        ("requirement of another part", |f| {
            // Built at run time so that the requirement checker does not take it for a reference.
            f["testGroups"][1]["tests"][0]["requirements"] = json!([format!("{}-001", "EXP")]);
        }),
        ("unknown op", |f| f["testGroups"][0]["op"] = "retention.guess".into()),
    ];
    for (what, mutate) in mutations {
        let mut bad = good.clone();
        mutate(&mut bad);
        assert!(!v.is_valid(&bad), "the retention schema accepts a file with {what}");
    }
}
