//! Scenario vectors for the server's retention policy (spec/retention.md): `vectors/retention.json`.
//!
//! Parameters: none. Account identifiers are the server hashes (IDH-026) of the user IDs `alice`,
//! `bob`, `carol`, `dave`, `erin` and `mallory` under a fixed client salt and server secret (both
//! [`filler`] bytes, 1,000 rounds each), so they look like what a server holds; the model treats
//! them as opaque 32-byte values. Every scenario is written below, except the `walks` group, whose
//! event lists come from a fixed-seed walk ([`filler`] bytes) over every event kind.
//!
//! Format: one adapter operation, `retention.scenario`.
//!
//! - `args`: `profile` (`"consumer"` or `"enterprise"`), `cap` (seconds, or `null` for the
//!   profile's cap) and `events`, each `{"at": now, "event": name, ...fields}`:
//!   `register {account}`, `add_device {account, device, platform}`, `remove_device {account,
//!   device}`, `join {account, conversation}`, `leave {account, conversation}`, `block {account,
//!   blocked}`, `unblock {account, blocked}`, `change_setting {account, change}`, `store {device,
//!   messageId, conversation, sentAt, ttl, ciphertext}`, `fetch {device}`, `ack {device,
//!   messageId}`, `recall {device, messageId}`, `terminate {account}`, `hold {account}`,
//!   `disclose {account}`, `tick {}`. Byte strings are lowercase hex; `account` and `blocked` are
//!   exactly 32 bytes, `messageId` exactly 16; `platform` is `ios`, `android`, `desktop` or `web`;
//!   `change` is `link_external_id`, `unlink_external_id`, `set_avatar` or `remove_avatar`.
//! - `expected`: `{"steps": [...]}`, one object per event with exactly four fields: `reply` (an
//!   object, or `null` when the event is refused), `error` (the refusal's code, or `null`),
//!   `outputs` (a list, stage 1 first) and `held` (the hex IDs of the messages held after the step,
//!   in byte order).
//! - Replies, `{"reply": name, ...}`: `registered`, `device_added`, `device_removed`, `joined`,
//!   `left`, `blocked`, `unblocked`, `setting_changed`, `acked`, `terminated`, `ticked` (no
//!   fields); `accepted {messageId}`; `recalled {messageId}`; `held {until}`; `messages {messages:
//!   [{messageId, ciphertext}]}`; `disclosure {account, terminated, facts, devices, rooms,
//!   blockList, records, holdUntil, messages}` where `facts` is `null` or `{createdDay, lastUseDay,
//!   platforms, sent, received, externalIds, avatar}`, `devices` is `[{device, platform}]`,
//!   `records` is `[{record, at, until, held, direct, room}]` and `messages` is `[{messageId,
//!   conversation, sender, senderDevice, sentAt, ttl, storedAt, purgeBy, ciphertextLength,
//!   recipients: [{device, acked}]}]`.
//! - Outputs, `{"output": name, ...}`: `stored {messageId, recipients, purgeBy}`, `not_stored
//!   {messageId, reason}`, `purged {messageId, reason}`, `dropped {messageId, device}`,
//!   `record_deleted {account, record, at, reason}`, `hold_lapsed {account}`, `tombstoned
//!   {account}`.
//! - A scenario whose configuration is refused is an invalid test with error
//!   `retention.invalid_cap`.
//!
//! [`scenario`] runs one test's `args` on the reference and gives its `expected`: the conformance
//! runner's reference adapter can call it as it is.
//!
//! Verification: boundary and rule scenarios carry hand-written expectations for the steps that
//! matter (checked as a subset of the reference's step); the generator stops if the reference
//! disagrees. Every step of every scenario is recomputed by an independent model in
//! `vectors/tests/retention.rs`.

use std::sync::OnceLock;

use cinder::identity::{self, ClientSalt, IdentifierKind, Rounds, ServerSecret};
use cinder::retention::{
    AccountId, Config, MAX_EXTERNAL_IDS, MAX_TTL, MessageId, Output, Platform, Profile, Server, SettingChange,
};
use serde_json::{Map, Value, json};

use crate::builder::{Case, GenerateError, Group, file, filler, push_scenario};
use crate::format::VectorFile;

mod ops;
mod witnesses;

pub use ops::scenario;
use ops::{Ev, hex_id, run};

/// The `Version:` of spec/retention.md these vectors test.
pub const SPEC_VERSION: &str = "1.1.0";

const NOTES: &[(&str, &str)] = &[
    ("Before", "An event one second before a deadline: what it bounds is still held."),
    ("At", "An event exactly at a deadline: what it bounds is gone first (deadlines are exclusive, RET-021)."),
    ("After", "An event one second after a deadline."),
    ("Enterprise", "The enterprise profile (cap 30 days); scenarios without it use the consumer profile (6 days)."),
    ("ConfiguredCap", "The deployment configures a cap shorter than its profile's (RET-001)."),
    ("RefusedStep", "At least one step is refused with an error code; the scenario continues after it."),
    ("BlockPair", "One of a pair of scenarios that differ only in a block: the sender's replies must be identical."),
    ("Boundary", "A field exactly at a bound the spec allows: it must be accepted."),
    ("Overflow", "Times near 2^64 - 1, where deadline sums saturate (RET-020)."),
    (
        "Walk",
        "Events chosen by a fixed-seed walk over every event kind; expectations from the reference, recomputed by the independent model.",
    ),
];

const HEADER: &[&str] = &[
    "Server retention policy (spec/retention.md): scenarios of timed events on one server, with the reply or \
     refusal, the outputs and the held message IDs after every step.",
    "Times are seconds; `at` and `sentAt` can reach 2^64 - 1, so read JSON integers as unsigned 64-bit.",
    "Account identifiers are IDH-026 server hashes of the user IDs alice, bob, carol, dave, erin and mallory \
     (client salt and server secret: cinder-vectors filler bytes, 1,000 rounds); the model treats them as opaque.",
    "The format of args, replies and outputs is documented in conformance/ADAPTER.md and spec/retention.md \
     sections 12 to 14.",
];

/// 2026-01-01T00:00:00Z, the start of a day.
const T0: u64 = 1_767_225_600;
const DAY: u64 = cinder::retention::DAY;
const CONSUMER: u64 = cinder::retention::CONSUMER_CAP as u64;
const ENTERPRISE: u64 = cinder::retention::ENTERPRISE_CAP as u64;
const SIX_DAYS: u64 = cinder::retention::RECORD_LIFETIME;
const NINETY_DAYS: u64 = cinder::retention::HOLD_LIFETIME;
/// When the shared setup happens: long enough before T0 that its records are gone by T0 - 1.
const SETUP: u64 = T0 - 8 * DAY;

const USERS: [&str; 6] = ["alice", "bob", "carol", "dave", "erin", "mallory"];

/// The account identifier of a user name of [`USERS`].
fn acct(name: &str) -> AccountId {
    static IDS: OnceLock<Vec<(&'static str, AccountId)>> = OnceLock::new();
    let ids = IDS.get_or_init(|| {
        let salt_bytes = filler("retention client salt", 32);
        let secret_bytes = filler("retention server secret", 32);
        USERS
            .iter()
            .map(|user| {
                let salt = ClientSalt::new(&salt_bytes).expect("32-byte salt is in bounds");
                let secret = ServerSecret::new(&secret_bytes).expect("32-byte secret is in bounds");
                let client = identity::client_hash(IdentifierKind::UserId, user.as_bytes(), &salt, Rounds::MIN)
                    .expect("the user names are canonical user IDs");
                let server = identity::server_hash(IdentifierKind::UserId, &client, &secret, Rounds::MIN);
                (*user, AccountId(server.0))
            })
            .collect()
    });
    ids.iter().find(|(n, _)| *n == name).map(|(_, id)| *id).unwrap_or(AccountId([0; 32]))
}

/// Message number `n`'s ID.
fn mid(n: u8) -> MessageId {
    let mut id = [0u8; 16];
    id.copy_from_slice(&filler(&format!("retention message {n}"), 16));
    id
}

fn ciphertext(n: u8) -> Vec<u8> {
    filler(&format!("retention ciphertext {n}"), 24)
}

// ---------------------------------------------------------------------------------------------
// Scenarios.

/// A hand-written scenario: a configuration, steps, and what must hold at some of them.
struct Scenario {
    id: String,
    comment: String,
    requirements: Vec<&'static str>,
    flags: Vec<&'static str>,
    profile: Profile,
    cap: Option<u32>,
    steps: Vec<(u64, Ev)>,
    /// (step index, fields the step must contain with these values).
    checks: Vec<(usize, Value)>,
    /// For a scenario whose configuration is refused: the error code.
    config_error: Option<&'static str>,
}

fn sc(id: impl Into<String>, comment: impl Into<String>, reqs: &[&'static str], flags: &[&'static str]) -> Scenario {
    Scenario {
        id: id.into(),
        comment: comment.into(),
        requirements: reqs.to_vec(),
        flags: flags.to_vec(),
        profile: Profile::Consumer,
        cap: None,
        steps: Vec::new(),
        checks: Vec::new(),
        config_error: None,
    }
}

impl Scenario {
    fn profile(mut self, profile: Profile) -> Self {
        self.profile = profile;
        if profile == Profile::Enterprise && !self.flags.contains(&"Enterprise") {
            self.flags.push("Enterprise");
        }
        self
    }

    fn cap(mut self, cap: Option<u32>) -> Self {
        self.cap = cap;
        self
    }

    fn step(mut self, at: u64, ev: Ev) -> Self {
        self.steps.push((at, ev));
        self
    }

    /// The shared setup (see [`base_events`]).
    fn base(mut self) -> Self {
        self.steps.extend(base_events());
        self
    }

    /// The last step added must contain every field of `fields`.
    fn expect(mut self, fields: Value) -> Self {
        self.checks.push((self.steps.len() - 1, fields));
        self
    }
}

fn dev(name: &str) -> Vec<u8> {
    name.as_bytes().to_vec()
}

/// alice (alice-phone), bob (bob-phone, bob-laptop) and carol (carol-phone), registered eight days
/// before T0; alice and bob in `dm-ab`, all three in `room-1`; a tick at T0 - 1 clears the setup's
/// activity records, so that the scenario proper starts with no records.
fn base_events() -> Vec<(u64, Ev)> {
    let (a, b, c) = (acct("alice"), acct("bob"), acct("carol"));
    vec![
        (SETUP, Ev::Register(a)),
        (SETUP, Ev::Register(b)),
        (SETUP, Ev::Register(c)),
        (SETUP, Ev::AddDevice(a, dev("alice-phone"), Platform::Ios)),
        (SETUP, Ev::AddDevice(b, dev("bob-phone"), Platform::Android)),
        (SETUP, Ev::AddDevice(b, dev("bob-laptop"), Platform::Desktop)),
        (SETUP, Ev::AddDevice(c, dev("carol-phone"), Platform::Web)),
        (SETUP, Ev::Join(a, dev("dm-ab"))),
        (SETUP, Ev::Join(b, dev("dm-ab"))),
        (SETUP, Ev::Join(a, dev("room-1"))),
        (SETUP, Ev::Join(b, dev("room-1"))),
        (SETUP, Ev::Join(c, dev("room-1"))),
        (T0 - 1, Ev::Tick),
    ]
}

fn store(device: &str, n: u8, conversation: &str, sent_at: u64, ttl: u32) -> Ev {
    Ev::Store {
        device: dev(device),
        message_id: mid(n),
        conversation: dev(conversation),
        sent_at,
        ttl,
        ciphertext: ciphertext(n),
    }
}

fn ack(device: &str, n: u8) -> Ev {
    Ev::Ack(dev(device), mid(n))
}

fn fetch(device: &str) -> Ev {
    Ev::Fetch(dev(device))
}

fn recall(device: &str, n: u8) -> Ev {
    Ev::Recall(dev(device), mid(n))
}

fn hx(name: &str) -> String {
    hex::encode(name)
}

fn ha(name: &str) -> String {
    hex_id(&acct(name))
}

/// Merges the fields of several expectation objects.
fn all(parts: &[Value]) -> Value {
    let mut out = Map::new();
    for part in parts {
        if let Value::Object(m) = part {
            out.extend(m.clone());
        }
    }
    Value::Object(out)
}

fn reply(name: &str) -> Value {
    json!({ "reply": { "reply": name }, "error": null })
}

fn accepted(n: u8) -> Value {
    json!({ "reply": { "reply": "accepted", "messageId": hex::encode(mid(n)) }, "error": null })
}

fn recalled(n: u8) -> Value {
    json!({ "reply": { "reply": "recalled", "messageId": hex::encode(mid(n)) }, "error": null })
}

fn messages(ns: &[u8]) -> Value {
    let list: Vec<Value> = ns
        .iter()
        .map(|n| json!({ "messageId": hex::encode(mid(*n)), "ciphertext": hex::encode(ciphertext(*n)) }))
        .collect();
    json!({ "reply": { "reply": "messages", "messages": list }, "error": null })
}

fn refused(code: &str) -> Value {
    json!({ "reply": null, "error": code })
}

fn held(ns: &[u8]) -> Value {
    let mut ids: Vec<String> = ns.iter().map(|n| hex::encode(mid(*n))).collect();
    ids.sort();
    json!({ "held": ids })
}

fn outs(list: &[Value]) -> Value {
    json!({ "outputs": list })
}

/// `list` as the step's outputs when `cond` holds, no outputs otherwise.
fn outs_if(cond: bool, list: &[Value]) -> Value {
    outs(if cond { list } else { &[] })
}

fn o_stored(n: u8, recipients: &[&str], purge_by: u64) -> Value {
    json!({
        "output": "stored", "messageId": hex::encode(mid(n)),
        "recipients": recipients.iter().map(|r| hx(r)).collect::<Vec<_>>(), "purgeBy": purge_by,
    })
}

fn o_not_stored(n: u8, reason: &str) -> Value {
    json!({ "output": "not_stored", "messageId": hex::encode(mid(n)), "reason": reason })
}

fn o_purged(n: u8, reason: &str) -> Value {
    json!({ "output": "purged", "messageId": hex::encode(mid(n)), "reason": reason })
}

fn o_dropped(n: u8, device: &str) -> Value {
    json!({ "output": "dropped", "messageId": hex::encode(mid(n)), "device": hx(device) })
}

fn o_record(user: &str, record: &str, at: u64, reason: &str) -> Value {
    json!({ "output": "record_deleted", "account": ha(user), "record": record, "at": at, "reason": reason })
}

fn o_lapsed(user: &str) -> Value {
    json!({ "output": "hold_lapsed", "account": ha(user) })
}

fn o_tombstoned(user: &str) -> Value {
    json!({ "output": "tombstoned", "account": ha(user) })
}

/// The recipients of a message alice-phone sends to `dm-ab` in the base setup.
const DM: &[&str] = &["bob-laptop", "bob-phone"];
/// The same for `room-1`.
const ROOM: &[&str] = &["bob-laptop", "bob-phone", "carol-phone"];

fn boundaries(deadline: u64) -> [(&'static str, u64, &'static str); 3] {
    [("before", deadline - 1, "Before"), ("at", deadline, "At"), ("after", deadline + 1, "After")]
}

fn config_scenarios() -> Vec<Scenario> {
    let mut v = Vec::new();
    for (id, profile, cap) in [
        ("cap-zero-consumer", Profile::Consumer, 0u32),
        ("cap-above-consumer", Profile::Consumer, cinder::retention::CONSUMER_CAP + 1),
        ("cap-enterprise-on-consumer", Profile::Consumer, cinder::retention::ENTERPRISE_CAP),
        ("cap-zero-enterprise", Profile::Enterprise, 0),
        ("cap-above-enterprise", Profile::Enterprise, cinder::retention::ENTERPRISE_CAP + 1),
    ] {
        let mut s =
            sc(id, format!("A {} server configured with cap {cap} s is refused.", profile.label()), &["RET-001"], &[])
                .profile(profile)
                .cap(Some(cap))
                .step(T0, Ev::Register(acct("alice")));
        s.config_error = Some("retention.invalid_cap");
        v.push(s);
    }
    for (profile, cap) in [(Profile::Consumer, CONSUMER), (Profile::Enterprise, ENTERPRISE)] {
        v.push(
            sc(
                format!("cap-explicit-{}", profile.label()),
                "The profile's own cap, configured explicitly, is accepted and bounds a 365-day ttl.",
                &["RET-001", "RET-020"],
                &[],
            )
            .profile(profile)
            .cap(u32::try_from(cap).ok())
            .base()
            .step(T0, store("alice-phone", 1, "dm-ab", T0, MAX_TTL))
            .expect(all(&[accepted(1), outs(&[o_stored(1, DM, T0 + cap)]), held(&[1])])),
        );
    }
    for (label, at, flag) in boundaries(T0 + 3600) {
        let gone = label != "before";
        v.push(
            sc(
                format!("configured-cap-{label}"),
                format!("A deployment cap of 3600 s shortens a one-day ttl; a tick {label} T0 + 3600."),
                &["RET-001", "RET-020", "RET-021"],
                &[flag, "ConfiguredCap"],
            )
            .cap(Some(3600))
            .base()
            .step(T0, store("alice-phone", 1, "dm-ab", T0, 86_400))
            .expect(outs(&[o_stored(1, DM, T0 + 3600)]))
            .step(at, Ev::Tick)
            .expect(if gone {
                all(&[outs(&[o_purged(1, "cap")]), held(&[])])
            } else {
                all(&[outs(&[]), held(&[1])])
            }),
        );
    }
    v.push(
        sc(
            "configured-cap-one-second",
            "The smallest cap, 1 s: held at T0, gone at T0 + 1.",
            &["RET-001", "RET-021"],
            &["ConfiguredCap", "At"],
        )
        .cap(Some(1))
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 60))
        .expect(all(&[outs(&[o_stored(1, DM, T0 + 1)]), held(&[1])]))
        .step(T0 + 1, fetch("bob-phone"))
        .expect(all(&[messages(&[]), outs(&[o_purged(1, "cap")]), held(&[])])),
    );
    v.push(
        sc(
            "configured-cap-enterprise",
            "An enterprise deployment with a 7-day cap.",
            &["RET-001", "RET-020"],
            &["ConfiguredCap"],
        )
        .profile(Profile::Enterprise)
        .cap(Some(604_800))
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, MAX_TTL))
        .expect(outs(&[o_stored(1, DM, T0 + 604_800)]))
        .step(T0 + 604_799, fetch("bob-phone"))
        .expect(all(&[messages(&[1]), outs(&[o_record("alice", "message_counts", T0, "expired")])]))
        .step(T0 + 604_800, fetch("bob-phone"))
        .expect(all(&[messages(&[]), outs(&[o_purged(1, "cap")]), held(&[])])),
    );
    v
}

fn cap_scenarios() -> Vec<Scenario> {
    let mut v = Vec::new();
    for profile in Profile::ALL {
        let cap = u64::from(profile.max_cap());
        let consumer = profile == Profile::Consumer;
        for (label, at, flag) in boundaries(T0 + cap) {
            let gone = label != "before";
            // In the consumer profile the day's message counts expire exactly at T0 + 6 days too;
            // in the enterprise profile a tick at T0 + 7 days clears them first.
            let mut purge = Vec::new();
            if gone {
                purge.push(o_purged(1, "cap"));
            }
            if consumer && gone {
                purge.push(o_record("alice", "message_counts", T0, "expired"));
            }
            let start = |s: Scenario| {
                let s = s
                    .profile(profile)
                    .base()
                    .step(T0, store("alice-phone", 1, "dm-ab", T0, MAX_TTL))
                    .expect(all(&[accepted(1), outs(&[o_stored(1, DM, T0 + cap)]), held(&[1])]));
                if consumer {
                    s
                } else {
                    s.step(T0 + 7 * DAY, Ev::Tick)
                        .expect(all(&[outs(&[o_record("alice", "message_counts", T0, "expired")]), held(&[1])]))
                }
            };
            let p = profile.label();
            v.push(
                start(sc(
                    format!("{p}-cap-{label}-tick"),
                    format!("A 365-day ttl is cut to the {p} cap; a tick {label} T0 + cap."),
                    &["RET-020", "RET-021"],
                    &[flag],
                ))
                .step(at, Ev::Tick)
                .expect(all(&[reply("ticked"), outs(&purge), held(if gone { &[] } else { &[1] })])),
            );
            v.push(
                start(sc(
                    format!("{p}-cap-{label}-fetch"),
                    format!("A fetch {label} the {p} cap: the message is handed out only before it."),
                    &["RET-021", "RET-026"],
                    &[flag],
                ))
                .step(at, fetch("bob-phone"))
                .expect(all(&[messages(if gone { &[] } else { &[1] }), outs(&purge)])),
            );
            v.push(
                start(sc(
                    format!("{p}-cap-{label}-ack"),
                    format!("An ack {label} the {p} cap: at and after it the message is unknown."),
                    &["RET-021", "RET-023"],
                    &[flag],
                ))
                .step(at, ack("bob-phone", 1))
                .expect(if gone {
                    all(&[refused("retention.unknown_message"), outs(&purge), held(&[])])
                } else {
                    all(&[reply("acked"), outs(&[]), held(&[1])])
                }),
            );
        }
    }
    v
}

fn expiry_scenarios() -> Vec<Scenario> {
    let mut v = Vec::new();
    let ttl = 3600u32;
    let exp = T0 + u64::from(ttl);
    for profile in Profile::ALL {
        let p = profile.label();
        for (label, at, flag) in boundaries(exp) {
            let gone = label != "before";
            let purge: &[Value] = if gone { &[o_purged(1, "expiry")] } else { &[] };
            let purge = purge.to_vec();
            v.push(
                sc(
                    format!("{p}-expiry-{label}-tick"),
                    format!("A one-hour ttl; a tick {label} sent_at + ttl."),
                    &["RET-020", "RET-021"],
                    &[flag],
                )
                .profile(profile)
                .base()
                .step(T0, store("alice-phone", 1, "dm-ab", T0, ttl))
                .expect(outs(&[o_stored(1, DM, exp)]))
                .step(at, Ev::Tick)
                .expect(all(&[outs(&purge), held(if gone { &[] } else { &[1] })])),
            );
            v.push(
                sc(
                    format!("{p}-expiry-{label}-fetch"),
                    format!("A one-hour ttl; a fetch {label} sent_at + ttl."),
                    &["RET-021", "RET-026"],
                    &[flag],
                )
                .profile(profile)
                .base()
                .step(T0, store("alice-phone", 1, "dm-ab", T0, ttl))
                .step(at, fetch("bob-laptop"))
                .expect(all(&[messages(if gone { &[] } else { &[1] }), outs(&purge)])),
            );
        }
        let cap = u64::from(profile.max_cap());
        let cap32 = profile.max_cap();
        let clear = |s: Scenario| {
            if profile == Profile::Consumer { s } else { s.step(T0 + 7 * DAY, Ev::Tick) }
        };
        let counts = if profile == Profile::Consumer {
            vec![o_record("alice", "message_counts", T0, "expired")]
        } else {
            Vec::new()
        };
        let mut tie = vec![o_purged(1, "expiry")];
        tie.extend(counts.iter().cloned());
        v.push(
            clear(
                sc(
                    format!("{p}-ttl-equals-cap"),
                    "ttl equal to the cap: the deadlines tie and the reason is expiry.",
                    &["RET-020", "RET-021"],
                    &["At"],
                )
                .profile(profile)
                .base()
                .step(T0, store("alice-phone", 1, "dm-ab", T0, cap32))
                .expect(outs(&[o_stored(1, DM, T0 + cap)])),
            )
            .step(T0 + cap, Ev::Tick)
            .expect(all(&[outs(&tie), held(&[])])),
        );
        v.push(
            clear(
                sc(
                    format!("{p}-ttl-one-below-cap"),
                    "ttl one second shorter than the cap: expiry decides.",
                    &["RET-020"],
                    &[],
                )
                .profile(profile)
                .base()
                .step(T0, store("alice-phone", 1, "dm-ab", T0, cap32 - 1))
                .expect(outs(&[o_stored(1, DM, T0 + cap - 1)])),
            )
            .step(T0 + cap - 1, ack("bob-phone", 1))
            .expect(all(&[refused("retention.unknown_message"), outs(&[o_purged(1, "expiry")])])),
        );
        let mut over = vec![o_purged(1, "cap")];
        over.extend(counts.iter().cloned());
        v.push(
            clear(
                sc(
                    format!("{p}-ttl-one-above-cap"),
                    "ttl one second longer than the cap: the cap decides.",
                    &["RET-020", "RET-021"],
                    &[],
                )
                .profile(profile)
                .base()
                .step(T0, store("alice-phone", 1, "dm-ab", T0, cap32 + 1))
                .expect(outs(&[o_stored(1, DM, T0 + cap)])),
            )
            .step(T0 + cap, Ev::Tick)
            .expect(outs(&over)),
        );
    }
    // Time in transit counts: sent 3000 s before it arrives, a one-hour message has 600 s left.
    for (label, at, flag) in boundaries(T0 + 600) {
        let gone = label != "before";
        v.push(
            sc(
                format!("late-arrival-{label}"),
                format!("Sent at T0 - 3000 with ttl 3600, stored at T0; a tick {label} T0 + 600."),
                &["RET-020", "RET-021"],
                &[flag],
            )
            .base()
            .step(T0, store("alice-phone", 1, "dm-ab", T0 - 3000, 3600))
            .expect(outs(&[o_stored(1, DM, T0 + 600)]))
            .step(at, Ev::Tick)
            .expect(outs_if(gone, &[o_purged(1, "expiry")])),
        );
    }
    // A message that arrives at or after its expiry is never held.
    for (label, at, flag) in boundaries(exp) {
        let arrives = label == "before";
        v.push(
            sc(
                format!("arrival-{label}-expiry"),
                format!("Sent at T0 with ttl 3600, it arrives {label} T0 + 3600."),
                &["RET-011", "RET-021"],
                &[flag],
            )
            .base()
            .step(at, store("alice-phone", 1, "dm-ab", T0, ttl))
            .expect(if arrives {
                all(&[accepted(1), outs(&[o_stored(1, DM, exp)]), held(&[1])])
            } else {
                all(&[accepted(1), outs(&[o_not_stored(1, "expired")]), held(&[])])
            }),
        );
    }
    // A sent_at in the future is treated as now.
    for (label, at, flag) in boundaries(exp) {
        let gone = label != "before";
        v.push(
            sc(
                format!("future-sent-at-{label}"),
                format!("sent_at 100,000 s ahead of the server; a tick {label} T0 + ttl."),
                &["RET-020", "RET-021"],
                &[flag],
            )
            .base()
            .step(T0, store("alice-phone", 1, "dm-ab", T0 + 100_000, ttl))
            .expect(outs(&[o_stored(1, DM, exp)]))
            .step(at, Ev::Tick)
            .expect(outs_if(gone, &[o_purged(1, "expiry")])),
        );
    }
    v.push(
        sc("sent-at-max", "sent_at 2^64 - 1: counted from the server's clock.", &["RET-020"], &["Overflow"])
            .base()
            .step(T0, store("alice-phone", 1, "dm-ab", u64::MAX, ttl))
            .expect(outs(&[o_stored(1, DM, exp)])),
    );
    let near = u64::MAX - 10;
    let day = near / DAY * DAY;
    v.push(
        sc(
            "clock-near-max-saturates",
            "At a clock 10 s below 2^64 - 1, expiry and cap saturate; the message goes at 2^64 - 1.",
            &["RET-020", "RET-021"],
            &["Overflow"],
        )
        .base()
        .step(near, store("alice-phone", 1, "dm-ab", near, ttl))
        .expect(outs(&[o_stored(1, DM, u64::MAX)]))
        .step(u64::MAX - 1, Ev::Tick)
        .expect(all(&[outs(&[]), held(&[1])]))
        .step(u64::MAX, Ev::Tick)
        .expect(outs(&[o_purged(1, "expiry"), o_record("alice", "message_counts", day, "expired")])),
    );
    v.push(
        sc("clock-never-goes-back", "A step with an earlier time does not move the clock back: what was purged stays purged, and a later store counts from the clock.", &["RET-003", "RET-020"], &[])
            .base()
            .step(T0, store("alice-phone", 1, "dm-ab", T0, ttl))
            .step(T0 + 5000, Ev::Tick)
            .expect(outs(&[o_purged(1, "expiry")]))
            .step(T0 + 100, store("alice-phone", 1, "dm-ab", T0 + 100, ttl))
            .expect(all(&[accepted(1), outs(&[o_not_stored(1, "expired")]), held(&[])]))
            .step(T0 + 200, store("alice-phone", 2, "dm-ab", T0 + 5000, ttl))
            .expect(outs(&[o_stored(2, DM, T0 + 5000 + u64::from(ttl))])),
    );
    v
}

fn delivery_scenarios() -> Vec<Scenario> {
    let mut v = Vec::new();
    let exp = T0 + 3600;
    let orders: [[usize; 3]; 6] = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
    for order in orders {
        let names: Vec<&str> = order.iter().map(|&i| ROOM[i]).collect();
        let mut s = sc(
            format!("acks-{}-{}-{}", names[0], names[1], names[2]),
            format!(
                "Three recipients acknowledge in the order {}, {}, {}: purged at the last ack, not before.",
                names[0], names[1], names[2]
            ),
            &["RET-022", "RET-025"],
            &[],
        )
        .base()
        .step(T0, store("alice-phone", 1, "room-1", T0, 3600))
        .expect(outs(&[o_stored(1, ROOM, exp)]));
        for (i, name) in names.iter().enumerate() {
            let last = i == 2;
            s = s.step(T0 + 1 + i as u64, ack(name, 1)).expect(if last {
                all(&[reply("acked"), outs(&[o_purged(1, "delivered")]), held(&[])])
            } else {
                all(&[reply("acked"), outs(&[]), held(&[1])])
            });
        }
        v.push(s);
    }
    v.extend([
        sc(
            "fetch-again-until-ack",
            "fetch does not acknowledge: the message comes again until the device acks it.",
            &["RET-022", "RET-026"],
            &[],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, fetch("bob-phone"))
        .expect(all(&[messages(&[1]), outs(&[])]))
        .step(T0 + 2, fetch("bob-phone"))
        .expect(messages(&[1]))
        .step(T0 + 3, ack("bob-phone", 1))
        .expect(all(&[reply("acked"), held(&[1])]))
        .step(T0 + 4, fetch("bob-phone"))
        .expect(messages(&[]))
        .step(T0 + 5, fetch("bob-laptop"))
        .expect(messages(&[1])),
        sc(
            "fetch-in-store-order",
            "A fetch lists messages in the order they were stored, not by ID.",
            &["RET-026"],
            &[],
        )
        .base()
        .step(T0, store("alice-phone", 5, "dm-ab", T0, 3600))
        .step(T0 + 1, store("alice-phone", 1, "dm-ab", T0 + 1, 3600))
        .step(T0 + 2, store("alice-phone", 3, "dm-ab", T0 + 2, 3600))
        .expect(held(&[1, 3, 5]))
        .step(T0 + 3, fetch("bob-laptop"))
        .expect(messages(&[5, 1, 3])),
        sc(
            "ack-twice",
            "A second ack by the same device finds nothing pending for it, and changes nothing.",
            &["RET-023"],
            &["RefusedStep"],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, ack("bob-phone", 1))
        .step(T0 + 2, ack("bob-phone", 1))
        .expect(all(&[refused("retention.unknown_message"), outs(&[]), held(&[1])])),
        sc(
            "ack-by-non-recipient",
            "carol is not in dm-ab: her ack is refused like an ack of an unknown message.",
            &["RET-023"],
            &["RefusedStep"],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, ack("carol-phone", 1))
        .expect(all(&[refused("retention.unknown_message"), held(&[1])])),
        sc(
            "ack-by-sending-device",
            "The sending device is not a recipient of its own message.",
            &["RET-023", "RET-030"],
            &["RefusedStep"],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, ack("alice-phone", 1))
        .expect(refused("retention.unknown_message")),
        sc("ack-unknown-message", "An ack of a message the server never held.", &["RET-023"], &["RefusedStep"])
            .base()
            .step(T0, ack("bob-phone", 9))
            .expect(all(&[refused("retention.unknown_message"), outs(&[])])),
        sc(
            "ack-by-unknown-device",
            "An ack from a device the server does not know.",
            &["RET-004", "RET-023"],
            &["RefusedStep"],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, ack("zed-phone", 1))
        .expect(refused("retention.unknown_device")),
        sc(
            "ack-after-delivery",
            "Once every recipient acked, the message is gone: a repeated ack finds nothing.",
            &["RET-022", "RET-023"],
            &["RefusedStep"],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, ack("bob-phone", 1))
        .step(T0 + 2, ack("bob-laptop", 1))
        .expect(outs(&[o_purged(1, "delivered")]))
        .step(T0 + 3, ack("bob-phone", 1))
        .expect(refused("retention.unknown_message")),
        sc(
            "partial-ack-then-expiry",
            "One of two devices acks; at expiry the message goes with reason expiry.",
            &["RET-021", "RET-025"],
            &["At"],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, ack("bob-phone", 1))
        .expect(held(&[1]))
        .step(exp, Ev::Tick)
        .expect(outs(&[o_purged(1, "expiry")])),
        sc(
            "sender-other-device-receives",
            "The sender's other device is a recipient; all three must ack.",
            &["RET-030", "RET-022"],
            &[],
        )
        .base()
        .step(T0, Ev::AddDevice(acct("alice"), dev("alice-laptop"), Platform::Desktop))
        .step(T0 + 1, store("alice-phone", 1, "dm-ab", T0, 3600))
        .expect(outs(&[o_stored(1, &["alice-laptop", "bob-laptop", "bob-phone"], exp)]))
        .step(T0 + 2, fetch("alice-laptop"))
        .expect(messages(&[1]))
        .step(T0 + 3, ack("bob-phone", 1))
        .step(T0 + 4, ack("bob-laptop", 1))
        .expect(held(&[1]))
        .step(T0 + 5, ack("alice-laptop", 1))
        .expect(outs(&[o_purged(1, "delivered")])),
        sc("messages-are-independent", "Acks of one message do not touch another.", &["RET-022"], &[])
            .base()
            .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
            .step(T0 + 1, store("alice-phone", 2, "dm-ab", T0, 3600))
            .step(T0 + 2, ack("bob-phone", 1))
            .step(T0 + 3, ack("bob-laptop", 1))
            .expect(all(&[outs(&[o_purged(1, "delivered")]), held(&[2])]))
            .step(T0 + 4, fetch("bob-phone"))
            .expect(messages(&[2])),
        sc(
            "restore-while-held-is-a-second-copy",
            "The server does not deduplicate: a re-store of a held ID is a second copy with its own deadline; one ack per device covers both.",
            &["RET-011", "RET-012", "RET-022"],
            &[],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, store("alice-phone", 1, "dm-ab", T0 + 1, 60))
        .expect(all(&[accepted(1), outs(&[o_stored(1, DM, T0 + 61)]), held(&[1, 1])]))
        .step(T0 + 2, fetch("bob-phone"))
        .expect(messages(&[1, 1]))
        .step(T0 + 3, ack("bob-phone", 1))
        .expect(all(&[reply("acked"), outs(&[]), held(&[1, 1])]))
        .step(T0 + 4, fetch("bob-phone"))
        .expect(messages(&[]))
        .step(T0 + 5, ack("bob-laptop", 1))
        .expect(all(&[outs(&[o_purged(1, "delivered"), o_purged(1, "delivered")]), held(&[])])),
        sc(
            "copies-expire-apart",
            "Two copies of one ID, from different senders, each go at their own deadline.",
            &["RET-012", "RET-021"],
            &["At"],
        )
        .base()
        .step(T0, store("alice-phone", 1, "room-1", T0, 3600))
        .step(T0 + 1, store("bob-phone", 1, "room-1", T0 + 1, 60))
        .expect(outs(&[o_stored(1, &["alice-phone", "bob-laptop", "carol-phone"], T0 + 61)]))
        .step(T0 + 61, fetch("carol-phone"))
        .expect(all(&[messages(&[1]), outs(&[o_purged(1, "expiry")]), held(&[1])]))
        .step(T0 + 3600, fetch("carol-phone"))
        .expect(all(&[messages(&[]), outs(&[o_purged(1, "expiry")]), held(&[])])),
        sc(
            "duplicate-after-purge-is-new",
            "Once a message is purged, the server remembers nothing of it: its ID stored again is held again.",
            &["RET-012"],
            &[],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, ack("bob-phone", 1))
        .step(T0 + 2, ack("bob-laptop", 1))
        .expect(outs(&[o_purged(1, "delivered")]))
        .step(T0 + 3, store("alice-phone", 1, "dm-ab", T0, 3600))
        .expect(all(&[accepted(1), outs(&[o_stored(1, DM, exp)]), held(&[1])]))
        .step(T0 + 4, fetch("bob-phone"))
        .expect(messages(&[1])),
        sc(
            "ack-in-the-step-of-expiry",
            "An ack one second before expiry still counts; the other device misses it.",
            &["RET-021", "RET-022"],
            &["Before"],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(exp - 1, ack("bob-phone", 1))
        .expect(all(&[reply("acked"), held(&[1])]))
        .step(exp, ack("bob-laptop", 1))
        .expect(all(&[refused("retention.unknown_message"), outs(&[o_purged(1, "expiry")])])),
    ]);
    v
}

fn device_scenarios() -> Vec<Scenario> {
    let bob = acct("bob");
    let alice = acct("alice");
    let exp = T0 + 3600;
    let mut v = Vec::new();
    for profile in Profile::ALL {
        v.push(
            sc(
                format!("no-backfill-{}", profile.label()),
                "A device added after a message was stored never receives it, but receives the next one.",
                &["RET-030", "RET-031"],
                &["RefusedStep"],
            )
            .profile(profile)
            .base()
            .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
            .step(T0 + 1, Ev::AddDevice(bob, dev("bob-tablet"), Platform::Android))
            .expect(all(&[reply("device_added"), outs(&[])]))
            .step(T0 + 2, fetch("bob-tablet"))
            .expect(messages(&[]))
            .step(T0 + 3, ack("bob-tablet", 1))
            .expect(refused("retention.unknown_message"))
            .step(T0 + 4, store("alice-phone", 2, "dm-ab", T0 + 4, 3600))
            .expect(outs(&[o_stored(2, &["bob-laptop", "bob-phone", "bob-tablet"], T0 + 4 + 3600)]))
            .step(T0 + 5, fetch("bob-tablet"))
            .expect(messages(&[2])),
        );
    }
    v.extend([
        sc(
            "device-removed-mid-flight",
            "Removing one recipient device drops its delivery; the other device still gets the message.",
            &["RET-033"],
            &[],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, Ev::RemoveDevice(bob, dev("bob-phone")))
        .expect(all(&[reply("device_removed"), outs(&[o_dropped(1, "bob-phone")]), held(&[1])]))
        .step(T0 + 2, ack("bob-laptop", 1))
        .expect(outs(&[o_purged(1, "delivered")])),
        sc(
            "last-pending-device-removed",
            "The other device acked; removing the last pending one purges the message as dropped.",
            &["RET-025", "RET-033"],
            &[],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, ack("bob-laptop", 1))
        .step(T0 + 2, Ev::RemoveDevice(bob, dev("bob-phone")))
        .expect(all(&[outs(&[o_dropped(1, "bob-phone"), o_purged(1, "dropped")]), held(&[])])),
        sc("all-recipient-devices-removed", "Both recipient devices removed one after the other.", &["RET-033"], &[])
            .base()
            .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
            .step(T0 + 1, Ev::RemoveDevice(bob, dev("bob-phone")))
            .expect(outs(&[o_dropped(1, "bob-phone")]))
            .step(T0 + 2, Ev::RemoveDevice(bob, dev("bob-laptop")))
            .expect(all(&[outs(&[o_dropped(1, "bob-laptop"), o_purged(1, "dropped")]), held(&[])])),
        sc(
            "device-readded-no-backfill",
            "A device ID removed and added again is a new device: nothing older reaches it.",
            &["RET-031", "RET-033"],
            &["RefusedStep"],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, Ev::RemoveDevice(bob, dev("bob-phone")))
        .step(T0 + 2, Ev::AddDevice(bob, dev("bob-phone"), Platform::Android))
        .expect(reply("device_added"))
        .step(T0 + 3, fetch("bob-phone"))
        .expect(messages(&[]))
        .step(T0 + 4, ack("bob-phone", 1))
        .expect(all(&[refused("retention.unknown_message"), held(&[1])])),
        sc(
            "removed-device-that-acked",
            "A device that acked and is then removed leaves nothing pending behind.",
            &["RET-033"],
            &[],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, ack("bob-phone", 1))
        .step(T0 + 2, Ev::RemoveDevice(bob, dev("bob-phone")))
        .expect(all(&[outs(&[]), held(&[1])]))
        .step(T0 + 3, ack("bob-laptop", 1))
        .expect(outs(&[o_purged(1, "delivered")])),
        sc("removed-device-fetch", "A removed device cannot fetch.", &["RET-033"], &["RefusedStep"])
            .base()
            .step(T0, Ev::RemoveDevice(bob, dev("bob-phone")))
            .step(T0 + 1, fetch("bob-phone"))
            .expect(refused("retention.unknown_device")),
        sc("removed-device-ack", "A removed device cannot ack what it had pending.", &["RET-033"], &["RefusedStep"])
            .base()
            .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
            .step(T0 + 1, Ev::RemoveDevice(bob, dev("bob-phone")))
            .step(T0 + 2, ack("bob-phone", 1))
            .expect(refused("retention.unknown_device")),
        sc("removed-device-store", "A removed device cannot send.", &["RET-033"], &["RefusedStep"])
            .base()
            .step(T0, Ev::RemoveDevice(alice, dev("alice-phone")))
            .step(T0 + 1, store("alice-phone", 1, "dm-ab", T0 + 1, 3600))
            .expect(all(&[refused("retention.unknown_device"), held(&[])])),
        sc("removed-device-recall", "A removed device cannot recall.", &["RET-033"], &["RefusedStep"])
            .base()
            .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
            .step(T0 + 1, Ev::RemoveDevice(alice, dev("alice-phone")))
            .step(T0 + 2, recall("alice-phone", 1))
            .expect(all(&[refused("retention.unknown_device"), held(&[1])])),
        sc(
            "remove-other-accounts-device",
            "An account cannot remove another account's device.",
            &["RET-033"],
            &["RefusedStep"],
        )
        .base()
        .step(T0, Ev::RemoveDevice(alice, dev("bob-phone")))
        .expect(refused("retention.unknown_device")),
        sc("remove-unregistered-device", "Removing a device that was never added.", &["RET-033"], &["RefusedStep"])
            .base()
            .step(T0, Ev::RemoveDevice(bob, dev("bob-watch")))
            .expect(refused("retention.unknown_device")),
        sc(
            "add-existing-device-same-account",
            "Adding a device ID the account already has.",
            &["RET-002"],
            &["RefusedStep"],
        )
        .base()
        .step(T0, Ev::AddDevice(bob, dev("bob-phone"), Platform::Ios))
        .expect(refused("retention.device_exists")),
        sc("add-existing-device-other-account", "Device IDs are unique on the server.", &["RET-002"], &["RefusedStep"])
            .base()
            .step(T0, Ev::AddDevice(acct("carol"), dev("bob-phone"), Platform::Ios))
            .expect(refused("retention.device_exists")),
        sc(
            "add-device-unknown-account",
            "An unregistered account cannot add a device.",
            &["RET-004"],
            &["RefusedStep"],
        )
        .base()
        .step(T0, Ev::AddDevice(acct("dave"), dev("dave-phone"), Platform::Ios))
        .expect(refused("retention.unknown_account")),
        sc(
            "removal-keeps-unrelated-messages",
            "Removing a device that is not a recipient changes no message.",
            &["RET-033"],
            &[],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, Ev::RemoveDevice(acct("carol"), dev("carol-phone")))
        .expect(all(&[reply("device_removed"), outs(&[]), held(&[1])]))
        .step(exp, Ev::Tick)
        .expect(outs(&[o_purged(1, "expiry")])),
        sc(
            "removal-ends-two-deliveries-first-purged",
            "bob-phone is pending for two messages, the first of which bob-laptop has acked: its removal drops the first, purges it at once, then drops the second (per copy in store order, not every drop first).",
            &["RET-025", "RET-033"],
            &[],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, store("alice-phone", 2, "dm-ab", T0 + 1, 3600))
        .step(T0 + 2, ack("bob-laptop", 1))
        .expect(all(&[reply("acked"), outs(&[]), held(&[1, 2])]))
        .step(T0 + 3, Ev::RemoveDevice(bob, dev("bob-phone")))
        .expect(all(&[
            reply("device_removed"),
            outs(&[o_dropped(1, "bob-phone"), o_purged(1, "dropped"), o_dropped(2, "bob-phone")]),
            held(&[2]),
        ]))
        .step(T0 + 4, fetch("bob-laptop"))
        .expect(messages(&[2])),
        sc(
            "removal-forgets-acknowledged-device",
            "bob-phone acks a room message and is then removed: no output, and the sender's disclosure no longer lists it among the recipients.",
            &["RET-030", "RET-033", "RET-060"],
            &[],
        )
        .base()
        .step(T0, store("alice-phone", 1, "room-1", T0, 3600))
        .step(T0 + 1, ack("bob-phone", 1))
        .step(T0 + 2, Ev::RemoveDevice(bob, dev("bob-phone")))
        .expect(all(&[reply("device_removed"), outs(&[]), held(&[1])]))
        .step(T0 + 3, Ev::Disclose(alice))
        .expect(json!({ "reply": { "messages": [message_view(
            1, "alice", "alice-phone", "room-1", T0, 3600, &[("bob-laptop", false), ("carol-phone", false)],
        )] } }))
        .step(T0 + 4, ack("bob-laptop", 1))
        .expect(all(&[reply("acked"), outs(&[]), held(&[1])]))
        .step(T0 + 5, ack("carol-phone", 1))
        .expect(all(&[outs(&[o_purged(1, "delivered")]), held(&[])])),
    ]);
    v
}

fn room_scenarios() -> Vec<Scenario> {
    let (alice, bob, carol, dave) = (acct("alice"), acct("bob"), acct("carol"), acct("dave"));
    vec![
        sc(
            "join-after-store",
            "dave joins room-1 after a message: he gets only the next one.",
            &["RET-030", "RET-032"],
            &[],
        )
        .base()
        .step(T0, store("alice-phone", 1, "room-1", T0, 3600))
        .step(T0 + 1, Ev::Register(dave))
        .expect(reply("registered"))
        .step(T0 + 2, Ev::AddDevice(dave, dev("dave-phone"), Platform::Ios))
        .step(T0 + 3, Ev::Join(dave, dev("room-1")))
        .expect(all(&[reply("joined"), outs(&[])]))
        .step(T0 + 4, fetch("dave-phone"))
        .expect(messages(&[]))
        .step(T0 + 5, store("alice-phone", 2, "room-1", T0 + 5, 3600))
        .expect(outs(&[o_stored(2, &["bob-laptop", "bob-phone", "carol-phone", "dave-phone"], T0 + 3605)]))
        .step(T0 + 6, fetch("dave-phone"))
        .expect(messages(&[2])),
        sc(
            "leave-after-store",
            "carol leaves after a message was stored for her: it stays pending for her.",
            &["RET-030", "RET-032"],
            &[],
        )
        .base()
        .step(T0, store("alice-phone", 1, "room-1", T0, 3600))
        .step(T0 + 1, Ev::Leave(carol, dev("room-1")))
        .expect(all(&[reply("left"), outs(&[])]))
        .step(T0 + 2, fetch("carol-phone"))
        .expect(messages(&[1]))
        .step(T0 + 3, ack("carol-phone", 1))
        .expect(reply("acked")),
        sc("leave-then-store", "After carol leaves, room messages no longer reach her.", &["RET-030", "RET-032"], &[])
            .base()
            .step(T0, Ev::Leave(carol, dev("room-1")))
            .step(T0 + 1, store("alice-phone", 1, "room-1", T0 + 1, 3600))
            .expect(outs(&[o_stored(1, DM, T0 + 3601)]))
            .step(T0 + 2, fetch("carol-phone"))
            .expect(messages(&[])),
        sc(
            "rejoin-after-store",
            "carol leaves room-1, a message is stored while she is out, and she joins again: it is not given to her, \
             and the next one is.",
            &["RET-030", "RET-032"],
            &[],
        )
        .base()
        .step(T0, Ev::Leave(carol, dev("room-1")))
        .step(T0 + 1, store("alice-phone", 1, "room-1", T0 + 1, 3600))
        .expect(outs(&[o_stored(1, DM, T0 + 3601)]))
        .step(T0 + 2, Ev::Join(carol, dev("room-1")))
        .expect(all(&[reply("joined"), outs(&[]), held(&[1])]))
        .step(T0 + 3, fetch("carol-phone"))
        .expect(messages(&[]))
        .step(T0 + 4, store("alice-phone", 2, "room-1", T0 + 4, 3600))
        .expect(outs(&[o_stored(2, &["bob-laptop", "bob-phone", "carol-phone"], T0 + 3604)]))
        .step(T0 + 5, fetch("carol-phone"))
        .expect(messages(&[2])),
        sc("store-not-member", "carol is not in dm-ab and cannot send to it.", &["RET-034"], &["RefusedStep"])
            .base()
            .step(T0, store("carol-phone", 1, "dm-ab", T0, 3600))
            .expect(all(&[refused("retention.not_a_member"), outs(&[]), held(&[])])),
        sc(
            "store-unknown-conversation",
            "A conversation nobody joined has no members.",
            &["RET-034"],
            &["RefusedStep"],
        )
        .base()
        .step(T0, store("alice-phone", 1, "nowhere", T0, 3600))
        .expect(refused("retention.not_a_member")),
        sc("leave-not-member", "carol cannot leave dm-ab.", &["RET-034"], &["RefusedStep"])
            .base()
            .step(T0, Ev::Leave(carol, dev("dm-ab")))
            .expect(refused("retention.not_a_member")),
        sc("join-twice", "Joining a conversation one is in changes nothing.", &["RET-034"], &["RefusedStep"])
            .base()
            .step(T0, Ev::Join(alice, dev("dm-ab")))
            .expect(refused("retention.no_change")),
        sc(
            "room-recreated",
            "Everyone leaves room-1; a new room-1 has only its new members.",
            &["RET-030", "RET-034"],
            &[],
        )
        .base()
        .step(T0, Ev::Leave(alice, dev("room-1")))
        .step(T0, Ev::Leave(bob, dev("room-1")))
        .step(T0, Ev::Leave(carol, dev("room-1")))
        .step(T0 + 1, Ev::Register(dave))
        .step(T0 + 1, Ev::AddDevice(dave, dev("dave-phone"), Platform::Web))
        .step(T0 + 1, Ev::Join(dave, dev("room-1")))
        .step(T0 + 1, Ev::Join(alice, dev("room-1")))
        .step(T0 + 2, store("alice-phone", 1, "room-1", T0 + 2, 3600))
        .expect(outs(&[o_stored(1, &["dave-phone"], T0 + 3602)])),
        sc(
            "alone-in-room",
            "A message to a room with no other device is accepted and not held.",
            &["RET-011", "RET-030"],
            &[],
        )
        .base()
        .step(T0, Ev::Join(alice, dev("solo")))
        .step(T0 + 1, store("alice-phone", 1, "solo", T0 + 1, 3600))
        .expect(all(&[accepted(1), outs(&[o_not_stored(1, "no_recipients")]), held(&[])])),
        sc("alone-with-own-device", "In a room of one, the sender's other device still receives.", &["RET-030"], &[])
            .base()
            .step(T0, Ev::AddDevice(alice, dev("alice-laptop"), Platform::Desktop))
            .step(T0, Ev::Join(alice, dev("solo")))
            .step(T0 + 1, store("alice-phone", 1, "solo", T0 + 1, 3600))
            .expect(outs(&[o_stored(1, &["alice-laptop"], T0 + 3601)])),
        sc(
            "direct-and-room-counts",
            "Two members make a direct message, three a room message; the day's counts say so.",
            &["RET-034", "RET-051"],
            &[],
        )
        .base()
        .step(T0 + 10, store("alice-phone", 1, "dm-ab", T0 + 10, 3600))
        .step(T0 + 20, store("alice-phone", 2, "room-1", T0 + 20, 3600))
        .step(T0 + 30, store("alice-phone", 3, "room-1", T0 + 30, 3600))
        .step(T0 + 40, Ev::Disclose(alice))
        .expect(json!({ "reply": { "records": [
                { "record": "message_counts", "at": T0, "until": T0 + SIX_DAYS, "held": false, "direct": 1, "room": 2 }
            ] } })),
        sc(
            "one-member-conversation-is-a-room",
            "A store to a conversation whose only member is the sender (its other device receives it) counts as a room message: only exactly two members make a direct one.",
            &["RET-011", "RET-034", "RET-051"],
            &[],
        )
        .base()
        .step(T0, Ev::AddDevice(alice, dev("alice-laptop"), Platform::Desktop))
        .step(T0, Ev::Join(alice, dev("solo")))
        .step(T0 + 1, store("alice-phone", 1, "solo", T0 + 1, 3600))
        .expect(all(&[accepted(1), outs(&[o_stored(1, &["alice-laptop"], T0 + 3601)]), held(&[1])]))
        .step(T0 + 2, Ev::Disclose(alice))
        .expect(json!({ "reply": {
            "facts": { "sent": 1, "received": 0, "platforms": ["ios", "desktop"] },
            "rooms": [hx("dm-ab"), hx("room-1"), hx("solo")],
            "records": [
                { "record": "device_added", "at": T0, "until": T0 + SIX_DAYS, "held": false, "direct": 0, "room": 0 },
                { "record": "message_counts", "at": T0, "until": T0 + SIX_DAYS, "held": false, "direct": 0, "room": 1 },
            ],
        } })),
    ]
}

/// A pair of scenarios that differ only in one event at T0: `block` in one, `tick` in the other.
fn block_pair(
    id: &str,
    comment: &str,
    reqs: &[&'static str],
    blocker: &str,
    blocked: &str,
    body: &dyn Fn(Scenario, bool) -> Scenario,
) -> [Scenario; 2] {
    let mut reqs = reqs.to_vec();
    reqs.push("RET-005");
    let make = |is_blocked: bool| {
        let ev = if is_blocked { Ev::Block(acct(blocker), acct(blocked)) } else { Ev::Tick };
        let s = sc(
            format!("{id}-{}", if is_blocked { "blocked" } else { "not-blocked" }),
            format!(
                "{comment} ({}).",
                if is_blocked { format!("{blocker} blocks {blocked}") } else { "no block".to_owned() }
            ),
            &reqs,
            &["BlockPair"],
        )
        .base()
        .step(T0, ev);
        body(s, is_blocked)
    };
    [make(true), make(false)]
}

fn block_scenarios() -> Vec<Scenario> {
    let (alice, bob, mallory) = (acct("alice"), acct("bob"), acct("mallory"));
    let mut v = Vec::new();
    v.extend(block_pair(
        "dm",
        "alice sends to bob, re-sends the same ID and recalls; her replies are the same either way",
        &["RET-041", "RET-042"],
        "bob",
        "alice",
        &|s, blocked| {
            s.step(T0 + 1, store("alice-phone", 1, "dm-ab", T0 + 1, 3600))
                .expect(all(&[
                    accepted(1),
                    outs(&[if blocked { o_not_stored(1, "no_recipients") } else { o_stored(1, DM, T0 + 3601) }]),
                ]))
                .step(T0 + 2, fetch("alice-phone"))
                .expect(messages(&[]))
                .step(T0 + 3, store("alice-phone", 1, "dm-ab", T0 + 1, 3600))
                .expect(all(&[
                    accepted(1),
                    outs(&[if blocked { o_not_stored(1, "no_recipients") } else { o_stored(1, DM, T0 + 3601) }]),
                ]))
                .step(T0 + 4, recall("alice-phone", 1))
                .expect(all(&[recalled(1), outs_if(!blocked, &[o_purged(1, "recalled"), o_purged(1, "recalled")])]))
                .step(T0 + 5, fetch("bob-phone"))
                .expect(all(&[messages(&[]), held(&[])]))
        },
    ));
    v.extend(block_pair(
        "own-device",
        "alice's laptop receives what her phone sends, and acks alike, whether or not bob blocks her",
        &["RET-023", "RET-030", "RET-042"],
        "bob",
        "alice",
        &|s, blocked| {
            s.step(T0 + 1, Ev::AddDevice(alice, dev("alice-laptop"), Platform::Desktop))
                .expect(reply("device_added"))
                .step(T0 + 2, store("alice-phone", 1, "dm-ab", T0 + 2, 3600))
                .expect(all(&[
                    accepted(1),
                    outs(&[if blocked {
                        o_stored(1, &["alice-laptop"], T0 + 3602)
                    } else {
                        o_stored(1, &["alice-laptop", "bob-laptop", "bob-phone"], T0 + 3602)
                    }]),
                ]))
                .step(T0 + 3, fetch("alice-laptop"))
                .expect(messages(&[1]))
                .step(T0 + 4, ack("alice-laptop", 1))
                .expect(all(&[reply("acked"), outs_if(blocked, &[o_purged(1, "delivered")])]))
                // Whether or not the message is still held for bob, alice's devices learn nothing.
                .step(T0 + 5, ack("alice-laptop", 1))
                .expect(refused("retention.unknown_message"))
                .step(T0 + 6, Ev::AddDevice(alice, dev("alice-tablet"), Platform::Ios))
                .step(T0 + 7, ack("alice-tablet", 1))
                .expect(refused("retention.unknown_message"))
        },
    ));
    v.extend(block_pair(
        "room",
        "In room-1 only carol blocks alice: bob's devices still receive",
        &["RET-030", "RET-041", "RET-042"],
        "carol",
        "alice",
        &|s, blocked| {
            s.step(T0 + 1, store("alice-phone", 1, "room-1", T0 + 1, 3600))
                .expect(all(&[accepted(1), outs(&[o_stored(1, if blocked { DM } else { ROOM }, T0 + 3601)])]))
                .step(T0 + 2, fetch("carol-phone"))
                .expect(messages(if blocked { &[] } else { &[1] }))
                .step(T0 + 3, recall("alice-phone", 1))
                .expect(all(&[recalled(1), outs(&[o_purged(1, "recalled")])]))
        },
    ));
    v.extend(block_pair(
        "received-count",
        "A blocked message is not counted as received by the blocker",
        &["RET-041", "RET-050"],
        "bob",
        "alice",
        &|s, blocked| {
            s.step(T0 + 1, store("alice-phone", 1, "dm-ab", T0 + 1, 3600))
                .expect(accepted(1))
                .step(T0 + 2, Ev::Disclose(bob))
                .expect(json!({ "reply": { "facts": { "received": if blocked { 0 } else { 1 } } } }))
                .step(T0 + 3, Ev::Disclose(alice))
                .expect(json!({ "reply": { "facts": { "sent": 1 } } }))
        },
    ));
    v.extend([
        sc("block-then-unblock", "After unblocking, alice's messages reach bob again.", &["RET-040", "RET-041"], &[])
            .base()
            .step(T0, Ev::Block(bob, alice))
            .expect(reply("blocked"))
            .step(T0 + 1, store("alice-phone", 1, "dm-ab", T0 + 1, 3600))
            .expect(outs(&[o_not_stored(1, "no_recipients")]))
            .step(T0 + 2, Ev::Unblock(bob, alice))
            .expect(reply("unblocked"))
            .step(T0 + 3, store("alice-phone", 2, "dm-ab", T0 + 3, 3600))
            .expect(outs(&[o_stored(2, DM, T0 + 3603)])),
        sc(
            "block-after-store",
            "A block does not withdraw what was already stored: recipients are fixed at the store.",
            &["RET-030", "RET-041"],
            &[],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, Ev::Block(bob, alice))
        .expect(all(&[outs(&[]), held(&[1])]))
        .step(T0 + 2, fetch("bob-phone"))
        .expect(messages(&[1])),
        sc("self-block", "An account cannot block itself.", &["RET-040"], &["RefusedStep"])
            .base()
            .step(T0, Ev::Block(alice, alice))
            .expect(refused("retention.invalid_event")),
        sc(
            "block-twice",
            "Blocking an identifier already on the list changes nothing.",
            &["RET-040"],
            &["RefusedStep"],
        )
        .base()
        .step(T0, Ev::Block(bob, alice))
        .step(T0 + 1, Ev::Block(bob, alice))
        .expect(refused("retention.no_change")),
        sc(
            "unblock-not-blocked",
            "Unblocking an identifier not on the list changes nothing.",
            &["RET-040"],
            &["RefusedStep"],
        )
        .base()
        .step(T0, Ev::Unblock(bob, alice))
        .expect(refused("retention.no_change")),
        sc("block-unregistered", "An identifier that is not registered can be blocked.", &["RET-040", "RET-060"], &[])
            .base()
            .step(T0, Ev::Block(bob, mallory))
            .expect(reply("blocked"))
            .step(T0 + 1, Ev::Disclose(bob))
            .expect(json!({ "reply": { "blockList": [ha("mallory")] } })),
        sc("block-by-unknown-account", "An unregistered account has no block list.", &["RET-004"], &["RefusedStep"])
            .base()
            .step(T0, Ev::Block(acct("dave"), alice))
            .expect(refused("retention.unknown_account")),
        sc("block-is-one-way", "bob blocks alice; bob's own messages still reach alice.", &["RET-041"], &[])
            .base()
            .step(T0, Ev::Block(bob, alice))
            .step(T0 + 1, store("bob-phone", 1, "dm-ab", T0 + 1, 3600))
            .expect(outs(&[o_stored(1, &["alice-phone", "bob-laptop"], T0 + 3601)])),
        // carol's identifier (45ed…) is below bob's (e1d9…) in byte order, so here the order of the
        // blocks and byte order agree; `disclose-block-list-in-byte-order` blocks them the other way.
        sc(
            "two-blocks-then-disclose",
            "alice blocks carol, then bob: both are listed, in byte order, each block with its own record.",
            &["RET-040", "RET-051", "RET-060"],
            &[],
        )
        .base()
        .step(T0, Ev::Block(alice, acct("carol")))
        .expect(reply("blocked"))
        .step(T0 + 1, Ev::Block(alice, bob))
        .expect(reply("blocked"))
        .step(T0 + 2, Ev::Disclose(alice))
        .expect(json!({ "reply": {
            "blockList": [ha("carol"), ha("bob")],
            "records": [
                { "record": "block_list_changed", "at": T0, "until": T0 + SIX_DAYS, "held": false, "direct": 0, "room": 0 },
                { "record": "block_list_changed", "at": T0 + 1, "until": T0 + 1 + SIX_DAYS, "held": false, "direct": 0, "room": 0 },
            ],
        } })),
    ]);
    v
}

fn recall_scenarios() -> Vec<Scenario> {
    let (alice, dave) = (acct("alice"), acct("dave"));
    vec![
        sc(
            "recall-by-sending-device",
            "The sending device recalls a held message: purged at once.",
            &["RET-024", "RET-025"],
            &[],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, recall("alice-phone", 1))
        .expect(all(&[recalled(1), outs(&[o_purged(1, "recalled")]), held(&[])]))
        .step(T0 + 2, fetch("bob-phone"))
        .expect(messages(&[])),
        sc(
            "recall-by-other-device-of-sender",
            "Only the sending device recalls: alice's laptop gets the same reply and nothing changes.",
            &["RET-024"],
            &[],
        )
        .base()
        .step(T0, Ev::AddDevice(alice, dev("alice-laptop"), Platform::Desktop))
        .step(T0 + 1, store("alice-phone", 1, "dm-ab", T0 + 1, 3600))
        .step(T0 + 2, recall("alice-laptop", 1))
        .expect(all(&[recalled(1), outs(&[]), held(&[1])])),
        sc(
            "recall-by-recipient",
            "A recipient cannot recall someone else's message, and is not told so.",
            &["RET-024"],
            &[],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, recall("bob-phone", 1))
        .expect(all(&[recalled(1), outs(&[]), held(&[1])])),
        sc("recall-unknown", "A recall of a message the server does not hold gets the same reply.", &["RET-024"], &[])
            .base()
            .step(T0, recall("alice-phone", 9))
            .expect(all(&[recalled(9), outs(&[])])),
        sc(
            "recall-after-delivery",
            "Recalling a delivered (purged) message: same reply, nothing to do.",
            &["RET-024"],
            &[],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, ack("bob-phone", 1))
        .step(T0 + 2, ack("bob-laptop", 1))
        .step(T0 + 3, recall("alice-phone", 1))
        .expect(all(&[recalled(1), outs(&[])])),
        sc(
            "recall-then-ack",
            "After a recall, a recipient's ack finds nothing.",
            &["RET-023", "RET-024"],
            &["RefusedStep"],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, ack("bob-phone", 1))
        .step(T0 + 2, recall("alice-phone", 1))
        .expect(outs(&[o_purged(1, "recalled")]))
        .step(T0 + 3, ack("bob-laptop", 1))
        .expect(refused("retention.unknown_message")),
        sc(
            "recall-unknown-device",
            "A recall from an unknown device is refused.",
            &["RET-004", "RET-024"],
            &["RefusedStep"],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, recall("zed-phone", 1))
        .expect(all(&[refused("retention.unknown_device"), held(&[1])])),
        sc(
            "recall-after-readd-same-account",
            "The sending device ID, removed and added again by the same account, can recall.",
            &["RET-024"],
            &[],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, Ev::RemoveDevice(alice, dev("alice-phone")))
        .expect(outs(&[]))
        .step(T0 + 2, Ev::AddDevice(alice, dev("alice-phone"), Platform::Ios))
        .step(T0 + 3, recall("alice-phone", 1))
        .expect(all(&[recalled(1), outs(&[o_purged(1, "recalled")])])),
        sc(
            "recall-by-same-id-other-account",
            "Another account that registers the sending device's ID cannot recall.",
            &["RET-024"],
            &[],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, Ev::RemoveDevice(alice, dev("alice-phone")))
        .step(T0 + 2, Ev::Register(dave))
        .step(T0 + 3, Ev::AddDevice(dave, dev("alice-phone"), Platform::Android))
        .expect(reply("device_added"))
        .step(T0 + 4, recall("alice-phone", 1))
        .expect(all(&[recalled(1), outs(&[]), held(&[1])])),
    ]
}

/// The records of the `record-kinds` scenario: one per settings change at T0 + 1 .. T0 + 8.
fn kinds_records() -> Vec<Value> {
    [
        ("block_list_changed", 1),
        ("block_list_changed", 2),
        ("external_id_linked", 3),
        ("external_id_unlinked", 4),
        ("avatar_changed", 5),
        ("avatar_changed", 6),
        ("device_added", 7),
        ("device_removed", 8),
    ]
    .iter()
    .map(|(kind, t)| {
        json!({ "record": kind, "at": T0 + t, "until": T0 + t + SIX_DAYS, "held": false, "direct": 0, "room": 0 })
    })
    .collect()
}

fn record_scenarios() -> Vec<Scenario> {
    let alice = acct("alice");
    let mut v = Vec::new();
    for profile in Profile::ALL {
        for (label, at, flag) in boundaries(T0 + SIX_DAYS) {
            let gone = label != "before";
            v.push(
                sc(
                    format!("{}-settings-record-{label}", profile.label()),
                    format!("A device_added record made at T0; a tick {label} T0 + 6 days (both profiles keep records 6 days)."),
                    &["RET-051"],
                    &[flag],
                )
                .profile(profile)
                .base()
                .step(T0, Ev::AddDevice(alice, dev("alice-laptop"), Platform::Desktop))
                .expect(outs(&[]))
                .step(at, Ev::Tick)
                .expect(outs_if(gone, &[o_record("alice", "device_added", T0, "expired")])),
            );
        }
    }
    for (label, at, flag) in boundaries(T0 + SIX_DAYS) {
        let gone = label != "before";
        v.push(
            sc(
                format!("message-counts-{label}"),
                format!("A message at T0 + 3600 is counted in the day that starts at T0; a tick {label} T0 + 6 days."),
                &["RET-051"],
                &[flag],
            )
            .base()
            .step(T0 + 3600, store("alice-phone", 1, "dm-ab", T0 + 3600, 60))
            .step(T0 + 3601, ack("bob-phone", 1))
            .step(T0 + 3602, ack("bob-laptop", 1))
            .expect(outs(&[o_purged(1, "delivered")]))
            .step(at, Ev::Tick)
            .expect(outs_if(gone, &[o_record("alice", "message_counts", T0, "expired")])),
        );
    }
    v.extend([
        sc("message-counts-late-in-day", "A message one second before the day ends is counted in that day: its count goes 5 days + 1 s later.", &["RET-051"], &["At"])
            .base()
            .step(T0 + DAY - 1, store("alice-phone", 1, "dm-ab", T0 + DAY - 1, 60))
            .step(T0 + DAY + 59, Ev::Tick)
            .expect(outs(&[o_purged(1, "expiry")]))
            .step(T0 + SIX_DAYS - 1, Ev::Tick)
            .expect(outs(&[]))
            .step(T0 + SIX_DAYS, Ev::Tick)
            .expect(outs(&[o_record("alice", "message_counts", T0, "expired")])),
        sc("message-counts-per-day", "Messages on two days make two count records, deleted a day apart.", &["RET-051"], &["At"])
            .base()
            .step(T0 + 10, store("alice-phone", 1, "dm-ab", T0 + 10, 60))
            .step(T0 + DAY + 10, store("alice-phone", 2, "room-1", T0 + DAY + 10, 60))
            .expect(outs(&[o_purged(1, "expiry"), o_stored(2, ROOM, T0 + DAY + 70)]))
            .step(T0 + SIX_DAYS, Ev::Tick)
            .expect(outs(&[o_purged(2, "expiry"), o_record("alice", "message_counts", T0, "expired")]))
            .step(T0 + DAY + SIX_DAYS, Ev::Tick)
            .expect(outs(&[o_record("alice", "message_counts", T0 + DAY, "expired")])),
        sc("record-kinds", "Every settings change makes one record of its kind, holding only its kind and time.", &["RET-051", "RET-052"], &[])
            .base()
            .step(T0 + 1, Ev::Block(alice, acct("mallory")))
            .step(T0 + 2, Ev::Unblock(alice, acct("mallory")))
            .step(T0 + 3, Ev::Setting(alice, SettingChange::LinkExternalId))
            .expect(reply("setting_changed"))
            .step(T0 + 4, Ev::Setting(alice, SettingChange::UnlinkExternalId))
            .step(T0 + 5, Ev::Setting(alice, SettingChange::SetAvatar))
            .step(T0 + 6, Ev::Setting(alice, SettingChange::RemoveAvatar))
            .step(T0 + 7, Ev::AddDevice(alice, dev("alice-laptop"), Platform::Desktop))
            .step(T0 + 8, Ev::RemoveDevice(alice, dev("alice-laptop")))
            .step(T0 + 9, Ev::Disclose(alice))
            .expect(json!({ "reply": { "records": kinds_records() } })),
        sc("no-record-for-membership-and-delivery", "join, leave, fetch, ack and recall make no record.", &["RET-051"], &[])
            .base()
            .step(T0, Ev::Join(alice, dev("room-2")))
            .step(T0 + 1, Ev::Leave(alice, dev("room-2")))
            .step(T0 + 2, fetch("alice-phone"))
            .step(T0 + 3, recall("alice-phone", 9))
            .step(T0 + 4, Ev::Disclose(alice))
            .expect(json!({ "reply": { "records": [] } })),
        sc("external-ids-at-most-eight", "Eight external IDs may be linked; a ninth is refused.", &["RET-050"], &["RefusedStep"])
            .base()
            .step(T0, Ev::Setting(alice, SettingChange::LinkExternalId))
            .step(T0, Ev::Setting(alice, SettingChange::LinkExternalId))
            .step(T0, Ev::Setting(alice, SettingChange::LinkExternalId))
            .step(T0, Ev::Setting(alice, SettingChange::LinkExternalId))
            .step(T0, Ev::Setting(alice, SettingChange::LinkExternalId))
            .step(T0, Ev::Setting(alice, SettingChange::LinkExternalId))
            .step(T0, Ev::Setting(alice, SettingChange::LinkExternalId))
            .step(T0, Ev::Setting(alice, SettingChange::LinkExternalId))
            .expect(reply("setting_changed"))
            .step(T0 + 1, Ev::Setting(alice, SettingChange::LinkExternalId))
            .expect(refused("retention.invalid_event"))
            .step(T0 + 2, Ev::Disclose(alice))
            .expect(json!({ "reply": { "facts": { "externalIds": MAX_EXTERNAL_IDS } } })),
        sc("unlink-with-none", "Unlinking with no external ID linked changes nothing.", &["RET-050"], &["RefusedStep"])
            .base()
            .step(T0, Ev::Setting(alice, SettingChange::UnlinkExternalId))
            .expect(refused("retention.no_change")),
        sc("remove-avatar-without-one", "Removing an avatar that is not set changes nothing.", &["RET-050"], &["RefusedStep"])
            .base()
            .step(T0, Ev::Setting(alice, SettingChange::RemoveAvatar))
            .expect(refused("retention.no_change")),
        sc("set-avatar-twice", "Setting an avatar again replaces it: two records.", &["RET-050", "RET-051"], &[])
            .base()
            .step(T0, Ev::Setting(alice, SettingChange::SetAvatar))
            .step(T0 + 1, Ev::Setting(alice, SettingChange::SetAvatar))
            .expect(reply("setting_changed"))
            .step(T0 + 2, Ev::Disclose(alice))
            .expect(json!({ "reply": { "facts": { "avatar": true }, "records": [
                { "record": "avatar_changed", "at": T0, "until": T0 + SIX_DAYS, "held": false, "direct": 0, "room": 0 },
                { "record": "avatar_changed", "at": T0 + 1, "until": T0 + 1 + SIX_DAYS, "held": false, "direct": 0, "room": 0 },
            ] } })),
        sc("settings-by-unknown-account", "An unregistered account has no settings.", &["RET-004"], &["RefusedStep"])
            .base()
            .step(T0, Ev::Setting(acct("dave"), SettingChange::SetAvatar))
            .expect(refused("retention.unknown_account")),
        sc(
            "store-clock-set-back-across-day",
            "The clock is 10 s into a day when a store comes with a `now` 10 s before that day: the message counts in the clock's day, and last use is the clock's day, not the day of `now`.",
            &["RET-003", "RET-020", "RET-050", "RET-051"],
            &[],
        )
        .base()
        .step(T0 + DAY + 10, Ev::Tick)
        .expect(all(&[reply("ticked"), outs(&[])]))
        .step(T0 + DAY - 10, store("alice-phone", 1, "dm-ab", T0 + DAY - 10, 3600))
        .expect(all(&[accepted(1), outs(&[o_stored(1, DM, T0 + DAY + 3590)]), held(&[1])]))
        .step(T0 + DAY - 5, Ev::Disclose(alice))
        .expect(json!({ "reply": {
            "facts": { "lastUseDay": (T0 + DAY) / DAY, "sent": 1 },
            "records": [
                { "record": "message_counts", "at": T0 + DAY, "until": T0 + DAY + SIX_DAYS, "held": false, "direct": 1, "room": 0 },
            ],
        } }))
        .step(T0 + DAY + SIX_DAYS, Ev::Tick)
        .expect(outs(&[o_purged(1, "expiry"), o_record("alice", "message_counts", T0 + DAY, "expired")])),
        sc(
            "register-clock-set-back-across-day",
            "An account registered with a `now` on the day before the clock's has the clock's day as its registration and last-use day.",
            &["RET-003", "RET-050"],
            &[],
        )
        .base()
        .step(T0 + DAY + 10, Ev::Tick)
        .step(T0 + DAY - 10, Ev::Register(acct("dave")))
        .expect(all(&[reply("registered"), outs(&[])]))
        .step(T0 + DAY - 5, Ev::Disclose(acct("dave")))
        .expect(json!({ "reply": {
            "facts": { "createdDay": (T0 + DAY) / DAY, "lastUseDay": (T0 + DAY) / DAY },
            "records": [],
        } })),
    ]);
    v
}

fn hold_scenarios() -> Vec<Scenario> {
    let alice = acct("alice");
    let until = T0 + 10 + NINETY_DAYS;
    let mut v = Vec::new();
    for (label, at, flag) in boundaries(until) {
        let gone = label != "before";
        v.push(
            sc(
                format!("hold-{label}-end"),
                format!("A hold keeps a record past 6 days; a tick {label} the hold's end."),
                &["RET-053"],
                &[flag],
            )
            .base()
            .step(T0, Ev::AddDevice(alice, dev("alice-laptop"), Platform::Desktop))
            .step(T0 + 10, Ev::Hold(alice))
            .expect(all(&[json!({ "reply": { "reply": "held", "until": until }, "error": null }), outs(&[])]))
            .step(T0 + SIX_DAYS, Ev::Tick)
            .expect(outs(&[]))
            .step(at, Ev::Tick)
            .expect(outs_if(gone, &[o_record("alice", "device_added", T0, "expired"), o_lapsed("alice")])),
        );
    }
    for (label, at, flag) in boundaries(until) {
        let gone = label != "before";
        let facts = if gone { Value::Null } else { json!({ "createdDay": SETUP / DAY, "lastUseDay": T0 / DAY }) };
        v.push(
            sc(
                format!("hold-then-terminate-{label}-end"),
                format!("A held account is terminated: its facts and held records stay until the hold's end; a disclosure {label} it."),
                &["RET-053", "RET-054", "RET-060"],
                &[flag],
            )
            .base()
            .step(T0, Ev::AddDevice(alice, dev("alice-laptop"), Platform::Desktop))
            .step(T0 + 10, Ev::Hold(alice))
            .step(T0 + 20, Ev::Terminate(alice))
            .expect(all(&[reply("terminated"), outs(&[o_tombstoned("alice")])]))
            .step(at, Ev::Disclose(alice))
            .expect(if gone {
                all(&[
                    outs(&[o_record("alice", "device_added", T0, "expired"), o_lapsed("alice")]),
                    json!({ "reply": { "terminated": true, "facts": facts, "records": [], "holdUntil": null } }),
                ])
            } else {
                all(&[
                    outs(&[]),
                    json!({ "reply": { "terminated": true, "facts": facts, "holdUntil": until, "devices": [], "messages": [], "records": [
                        { "record": "device_added", "at": T0, "until": until, "held": true, "direct": 0, "room": 0 }
                    ] } }),
                ])
            }),
        );
    }
    v.extend([
        sc("records-after-hold-are-not-held", "A record made after the hold lives its normal 6 days.", &["RET-053"], &["At"])
            .base()
            .step(T0, Ev::Hold(alice))
            .step(T0 + 10, Ev::AddDevice(alice, dev("alice-laptop"), Platform::Desktop))
            .step(T0 + 10 + SIX_DAYS, Ev::Tick)
            .expect(outs(&[o_record("alice", "device_added", T0 + 10, "expired")])),
        sc("held-counts-are-closed", "A held message-count record stops counting; the rest of the day counts in a new record.", &["RET-051", "RET-053"], &[])
            .base()
            .step(T0 + 10, store("alice-phone", 1, "dm-ab", T0 + 10, 60))
            .step(T0 + 20, Ev::Hold(alice))
            .step(T0 + 30, store("alice-phone", 2, "dm-ab", T0 + 30, 60))
            .step(T0 + 40, Ev::Disclose(alice))
            .expect(json!({ "reply": { "holdUntil": T0 + 20 + NINETY_DAYS, "records": [
                { "record": "message_counts", "at": T0, "until": T0 + 20 + NINETY_DAYS, "held": true, "direct": 1, "room": 0 },
                { "record": "message_counts", "at": T0, "until": T0 + SIX_DAYS, "held": false, "direct": 1, "room": 0 },
            ] } })),
        sc("second-hold-extends", "A second hold 30 days later keeps everything 90 days from itself.", &["RET-053"], &["At"])
            .base()
            .step(T0, Ev::AddDevice(alice, dev("alice-laptop"), Platform::Desktop))
            .step(T0 + 10, Ev::Hold(alice))
            .step(T0 + 30 * DAY, Ev::Hold(alice))
            .expect(json!({ "reply": { "reply": "held", "until": T0 + 30 * DAY + NINETY_DAYS } }))
            .step(until, Ev::Tick)
            .expect(outs(&[]))
            .step(T0 + 30 * DAY + NINETY_DAYS, Ev::Tick)
            .expect(outs(&[o_record("alice", "device_added", T0, "expired"), o_lapsed("alice")])),
        sc("hold-unknown-account", "A hold on an identifier that is not registered.", &["RET-053"], &["RefusedStep"])
            .base()
            .step(T0, Ev::Hold(acct("mallory")))
            .expect(refused("retention.unknown_account")),
        sc("hold-terminated-account", "A hold after termination finds only a tombstone.", &["RET-053", "RET-055"], &["RefusedStep"])
            .base()
            .step(T0, Ev::Terminate(alice))
            .step(T0 + 1, Ev::Hold(alice))
            .expect(refused("retention.account_terminated")),
        sc("hold-keeps-no-messages", "A hold never keeps ciphertext: a message is purged at its cap as usual.", &["RET-053", "RET-021"], &["At"])
            .base()
            .step(T0, Ev::Hold(alice))
            .step(T0 + 1, store("alice-phone", 1, "dm-ab", T0 + 1, MAX_TTL))
            .expect(outs(&[o_stored(1, DM, T0 + 1 + CONSUMER)]))
            .step(T0 + 1 + CONSUMER, Ev::Tick)
            .expect(all(&[outs(&[o_purged(1, "cap"), o_record("alice", "message_counts", T0, "expired")]), held(&[])])),
        sc("terminate-without-hold-deletes-records", "Without a hold, termination deletes the records and the facts.", &["RET-054"], &[])
            .base()
            .step(T0, Ev::AddDevice(alice, dev("alice-laptop"), Platform::Desktop))
            .step(T0 + 1, Ev::Terminate(alice))
            .expect(outs(&[o_record("alice", "device_added", T0, "terminated"), o_tombstoned("alice")])),
    ]);
    v
}

fn termination_scenarios() -> Vec<Scenario> {
    let (alice, bob, carol, dave) = (acct("alice"), acct("bob"), acct("carol"), acct("dave"));
    let mut v = vec![
        sc(
            "terminate-purges-sent-messages",
            "A terminated sender's held messages are purged; its records go; its identifier is tombstoned.",
            &["RET-054", "RET-025"],
            &[],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, Ev::Terminate(alice))
        .expect(all(&[
            reply("terminated"),
            outs(&[
                o_purged(1, "sender_terminated"),
                o_record("alice", "message_counts", T0, "terminated"),
                o_tombstoned("alice"),
            ]),
            held(&[]),
        ]))
        .step(T0 + 2, fetch("bob-phone"))
        .expect(messages(&[])),
        sc(
            "terminate-drops-pending-deliveries",
            "A terminated recipient's devices are removed as by remove_device.",
            &["RET-054", "RET-033"],
            &[],
        )
        .base()
        .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
        .step(T0 + 1, Ev::Terminate(bob))
        .expect(outs(&[
            o_dropped(1, "bob-laptop"),
            o_dropped(1, "bob-phone"),
            o_purged(1, "dropped"),
            o_tombstoned("bob"),
        ])),
        sc("terminate-room-recipient", "In a room, the other members' deliveries stay.", &["RET-054", "RET-033"], &[])
            .base()
            .step(T0, store("alice-phone", 1, "room-1", T0, 3600))
            .step(T0 + 1, Ev::Terminate(carol))
            .expect(all(&[outs(&[o_dropped(1, "carol-phone"), o_tombstoned("carol")]), held(&[1])])),
        sc(
            "reregister-immediately",
            "A terminated identifier cannot be registered again.",
            &["RET-055"],
            &["RefusedStep"],
        )
        .base()
        .step(T0, Ev::Terminate(alice))
        .step(T0 + 1, Ev::Register(alice))
        .expect(all(&[refused("retention.identifier_tombstoned"), outs(&[])])),
        sc("register-twice", "A live identifier cannot be registered twice.", &["RET-002"], &["RefusedStep"])
            .base()
            .step(T0, Ev::Register(alice))
            .expect(refused("retention.account_exists")),
        sc(
            "register-new-identifier",
            "An identifier never used registers normally after others were terminated.",
            &["RET-055"],
            &[],
        )
        .base()
        .step(T0, Ev::Terminate(alice))
        .step(T0 + 1, Ev::Register(dave))
        .expect(reply("registered")),
        sc(
            "terminated-device-store",
            "The devices of a terminated account are gone: a store from one is refused.",
            &["RET-054", "RET-055"],
            &["RefusedStep"],
        )
        .base()
        .step(T0, Ev::Terminate(alice))
        .step(T0 + 1, store("alice-phone", 1, "dm-ab", T0 + 1, 3600))
        .expect(all(&[refused("retention.unknown_device"), held(&[])])),
        sc("terminated-device-fetch", "A terminated account's device cannot fetch.", &["RET-054"], &["RefusedStep"])
            .base()
            .step(T0, Ev::Terminate(bob))
            .step(T0 + 1, fetch("bob-phone"))
            .expect(refused("retention.unknown_device")),
        sc(
            "terminated-member-leaves-conversations",
            "After bob's termination dm-ab holds only alice: her message has no recipient.",
            &["RET-054", "RET-011"],
            &[],
        )
        .base()
        .step(T0, Ev::Terminate(bob))
        .step(T0 + 1, store("alice-phone", 1, "dm-ab", T0 + 1, 3600))
        .expect(all(&[accepted(1), outs(&[o_not_stored(1, "no_recipients")])]))
        .step(T0 + 2, store("alice-phone", 2, "room-1", T0 + 2, 3600))
        .expect(outs(&[o_stored(2, &["carol-phone"], T0 + 3602)])),
        sc(
            "others-block-lists-keep-the-identifier",
            "bob's block list still names alice after her termination.",
            &["RET-054"],
            &[],
        )
        .base()
        .step(T0, Ev::Block(bob, alice))
        .step(T0 + 1, Ev::Terminate(alice))
        .step(T0 + 2, Ev::Disclose(bob))
        .expect(json!({ "reply": { "blockList": [ha("alice")] } })),
        sc(
            "disclose-tombstone-only",
            "Without a hold, all that remains of a terminated account is its tombstone.",
            &["RET-055", "RET-060"],
            &[],
        )
        .base()
        .step(T0, Ev::Terminate(alice))
        .step(T0 + 1, Ev::Disclose(alice))
        .expect(all(&[
            json!({ "reply": {
                    "reply": "disclosure", "account": ha("alice"), "terminated": true, "facts": null, "devices": [],
                    "rooms": [], "blockList": [], "records": [], "holdUntil": null, "messages": [],
                } }),
            outs(&[]),
        ])),
    ];
    for profile in Profile::ALL {
        v.push(
            sc(
                format!("reregister-after-ten-years-{}", profile.label()),
                "Ten years later the identifier is still tombstoned.",
                &["RET-055"],
                &["RefusedStep"],
            )
            .profile(profile)
            .base()
            .step(T0, Ev::Terminate(alice))
            .step(T0 + 3650 * DAY, Ev::Tick)
            .step(T0 + 3650 * DAY + 1, Ev::Register(alice))
            .expect(refused("retention.identifier_tombstoned")),
        );
    }
    let actions: [(&str, Ev); 9] = [
        ("join", Ev::Join(alice, dev("room-2"))),
        ("leave", Ev::Leave(alice, dev("dm-ab"))),
        ("block", Ev::Block(alice, bob)),
        ("unblock", Ev::Unblock(alice, bob)),
        ("change-setting", Ev::Setting(alice, SettingChange::SetAvatar)),
        ("add-device", Ev::AddDevice(alice, dev("alice-tablet"), Platform::Ios)),
        ("remove-device", Ev::RemoveDevice(alice, dev("alice-phone"))),
        ("terminate", Ev::Terminate(alice)),
        ("disclose-still-works", Ev::Disclose(alice)),
    ];
    for (name, ev) in actions {
        let refusal = name != "disclose-still-works";
        v.push(
            sc(
                format!("terminated-actor-{name}"),
                if refusal {
                    format!("A terminated account's {name} is refused.")
                } else {
                    "The operator can still disclose a tombstoned identifier.".to_owned()
                },
                &["RET-004", "RET-055"],
                if refusal { &["RefusedStep"] } else { &[] },
            )
            .base()
            .step(T0, Ev::Terminate(alice))
            .step(T0 + 1, ev)
            .expect(if refusal {
                all(&[refused("retention.account_terminated"), outs(&[])])
            } else {
                json!({ "reply": { "reply": "disclosure", "terminated": true }, "error": null })
            }),
        );
    }
    v
}

/// A held message's view in a disclosure.
fn message_view(
    n: u8,
    sender: &str,
    sender_device: &str,
    conversation: &str,
    at: u64,
    ttl: u32,
    recipients: &[(&str, bool)],
) -> Value {
    json!({
        "messageId": hex::encode(mid(n)),
        "conversation": hx(conversation),
        "sender": ha(sender),
        "senderDevice": hx(sender_device),
        "sentAt": at,
        "ttl": ttl,
        "storedAt": at,
        "purgeBy": at + u64::from(ttl),
        "ciphertextLength": ciphertext(n).len(),
        "recipients": recipients.iter().map(|(d, acked)| json!({ "device": hx(d), "acked": acked })).collect::<Vec<_>>(),
    })
}

fn disclosure_scenarios() -> Vec<Scenario> {
    let (alice, bob) = (acct("alice"), acct("bob"));
    let day1 = T0 + DAY;
    let view = message_view(
        1,
        "alice",
        "alice-phone",
        "dm-ab",
        day1,
        3600,
        &[("alice-laptop", false), ("bob-laptop", false), ("bob-phone", true)],
    );
    let setup = || {
        sc("x", "x", &[], &[])
            .base()
            .step(T0, Ev::AddDevice(alice, dev("alice-laptop"), Platform::Desktop))
            .step(T0 + 1, Ev::Block(alice, acct("mallory")))
            .step(T0 + 2, Ev::Setting(alice, SettingChange::LinkExternalId))
            .step(T0 + 3, Ev::Setting(alice, SettingChange::SetAvatar))
            .step(day1, store("alice-phone", 1, "dm-ab", day1, 3600))
            .step(day1 + 1, ack("bob-phone", 1))
    };
    let rename = |s: Scenario, id: &str, comment: &str, reqs: &[&'static str]| Scenario {
        id: id.into(),
        comment: comment.into(),
        requirements: reqs.to_vec(),
        ..s
    };
    let record = |kind: &str, at: u64| json!({ "record": kind, "at": at, "until": at + SIX_DAYS, "held": false, "direct": 0, "room": 0 });
    vec![
        rename(setup(), "disclose-live-account", "Everything held about a live account, part by part.", &["RET-010", "RET-050", "RET-060", "RET-062"])
            .step(day1 + 2, Ev::Disclose(alice))
            .expect(all(&[
                json!({ "reply": {
                    "reply": "disclosure",
                    "account": ha("alice"),
                    "terminated": false,
                    "facts": {
                        "createdDay": SETUP / DAY, "lastUseDay": day1 / DAY, "platforms": ["ios", "desktop"],
                        "sent": 1, "received": 0, "externalIds": 1, "avatar": true,
                    },
                    "devices": [{ "device": hx("alice-laptop"), "platform": "desktop" }, { "device": hx("alice-phone"), "platform": "ios" }],
                    "rooms": [hx("dm-ab"), hx("room-1")],
                    "blockList": [ha("mallory")],
                    "records": [
                        record("device_added", T0), record("block_list_changed", T0 + 1), record("external_id_linked", T0 + 2),
                        record("avatar_changed", T0 + 3),
                        { "record": "message_counts", "at": day1, "until": day1 + SIX_DAYS, "held": false, "direct": 1, "room": 0 },
                    ],
                    "holdUntil": null,
                    "messages": [view.clone()],
                } }),
                outs(&[]),
                held(&[1]),
            ])),
        rename(setup(), "disclose-recipient", "A recipient's disclosure lists the message held for its devices.", &["RET-060", "RET-061"])
            .step(day1 + 2, Ev::Disclose(bob))
            .expect(json!({ "reply": {
                "facts": {
                    "createdDay": SETUP / DAY, "lastUseDay": day1 / DAY, "platforms": ["android", "desktop"],
                    "sent": 0, "received": 1, "externalIds": 0, "avatar": false,
                },
                "records": [],
                "messages": [view.clone()],
            } })),
        rename(setup(), "disclose-bystander", "carol, who is in no conversation with the message, sees none of it.", &["RET-060"])
            .step(day1 + 2, Ev::Disclose(acct("carol")))
            .expect(json!({ "reply": { "rooms": [hx("room-1")], "messages": [], "records": [] } })),
        sc("disclose-unknown", "An identifier the server never saw has nothing to disclose.", &["RET-060"], &["RefusedStep"])
            .base()
            .step(T0, Ev::Disclose(acct("mallory")))
            .expect(refused("retention.unknown_account")),
        sc("disclose-changes-nothing", "A disclosure changes nothing: not even last use.", &["RET-060"], &[])
            .base()
            .step(T0, store("alice-phone", 1, "dm-ab", T0, 3600))
            .step(T0 + 2 * DAY, Ev::Tick)
            .expect(outs(&[o_purged(1, "expiry")]))
            .step(T0 + 2 * DAY, Ev::Disclose(alice))
            .expect(all(&[outs(&[]), held(&[]), json!({ "reply": { "facts": { "lastUseDay": T0 / DAY }, "messages": [] } })])),
        sc(
            "disclose-received-after-every-own-ack",
            "Both of bob's devices acked a room message that carol has not: bob's disclosure still lists it, with both acks, until it is purged.",
            &["RET-060", "RET-061"],
            &[],
        )
        .base()
        .step(T0, store("alice-phone", 1, "room-1", T0, 3600))
        .step(T0 + 1, ack("bob-phone", 1))
        .step(T0 + 2, ack("bob-laptop", 1))
        .expect(all(&[reply("acked"), outs(&[]), held(&[1])]))
        .step(T0 + 3, Ev::Disclose(bob))
        .expect(json!({ "reply": {
            "facts": { "received": 1 },
            "messages": [message_view(
                1, "alice", "alice-phone", "room-1", T0, 3600,
                &[("bob-laptop", true), ("bob-phone", true), ("carol-phone", false)],
            )],
        } }))
        .step(T0 + 4, ack("carol-phone", 1))
        .expect(outs(&[o_purged(1, "delivered")]))
        .step(T0 + 5, Ev::Disclose(bob))
        .expect(json!({ "reply": { "facts": { "received": 1 }, "messages": [] } })),
        sc(
            "disclose-rooms-in-byte-order",
            "alice joins room-3, then room-2: her disclosure lists her rooms by their IDs' bytes, not in the order she joined them.",
            &["RET-034", "RET-060"],
            &[],
        )
        .base()
        .step(T0, Ev::Join(alice, dev("room-3")))
        .step(T0 + 1, Ev::Join(alice, dev("room-2")))
        .step(T0 + 2, Ev::Disclose(alice))
        .expect(json!({ "reply": { "rooms": [hx("dm-ab"), hx("room-1"), hx("room-2"), hx("room-3")] } })),
        // bob's identifier (e1d9…) is above carol's (45ed…): blocking bob first puts the order of
        // the blocks and byte order at odds.
        sc(
            "disclose-block-list-in-byte-order",
            "alice blocks bob, then carol: her disclosure lists the block list in byte order (carol's identifier first), not in the order of the blocks.",
            &["RET-040", "RET-060"],
            &[],
        )
        .base()
        .step(T0, Ev::Block(alice, bob))
        .step(T0 + 1, Ev::Block(alice, acct("carol")))
        .step(T0 + 2, Ev::Disclose(alice))
        .expect(json!({ "reply": { "blockList": [ha("carol"), ha("bob")] } })),
    ]
}

/// A store of message 1 at T0 with these fields (some of them out of bounds).
fn bad_store(device: &str, conversation: &str, ttl: u32, body: Vec<u8>) -> Ev {
    Ev::Store {
        device: dev(device),
        message_id: mid(1),
        conversation: dev(conversation),
        sent_at: T0,
        ttl,
        ciphertext: body,
    }
}

/// The base setup, then `ev` at T0, refused as a field out of bounds with nothing changed (RET-004).
fn field_fault(id: &str, comment: &str, ev: Ev) -> Scenario {
    sc(id, comment, &["RET-004"], &["RefusedStep"]).base().step(T0, ev).expect(all(&[
        refused("retention.invalid_event"),
        outs(&[]),
        held(&[]),
    ]))
}

fn bounds_scenarios() -> Vec<Scenario> {
    let alice = acct("alice");
    let long = "d".repeat(65);
    let max = "d".repeat(64);
    let mut v = Vec::new();
    for (id, comment, ev) in [
        ("store-device-empty", "A store from an empty device ID.", bad_store("", "dm-ab", 60, ciphertext(1))),
        ("store-device-65-bytes", "A store from a 65-byte device ID.", bad_store(&long, "dm-ab", 60, ciphertext(1))),
        (
            "store-conversation-empty",
            "A store to an empty conversation ID.",
            bad_store("alice-phone", "", 60, ciphertext(1)),
        ),
        (
            "store-conversation-65-bytes",
            "A store to a 65-byte conversation ID.",
            bad_store("alice-phone", &long, 60, ciphertext(1)),
        ),
        ("store-ttl-zero", "A store with ttl 0.", bad_store("alice-phone", "dm-ab", 0, ciphertext(1))),
        (
            "store-ttl-above-max",
            "A store with ttl 31,536,001.",
            bad_store("alice-phone", "dm-ab", MAX_TTL + 1, ciphertext(1)),
        ),
        ("store-ciphertext-empty", "A store with no ciphertext.", bad_store("alice-phone", "dm-ab", 60, Vec::new())),
        (
            "store-bad-ttl-unknown-device",
            "Field bounds are checked before the device: ttl 0 from an unknown device.",
            bad_store("zed-phone", "dm-ab", 0, ciphertext(1)),
        ),
        ("fetch-device-65-bytes", "A fetch for a 65-byte device ID.", Ev::Fetch(dev(&long))),
        ("ack-device-empty", "An ack from an empty device ID.", Ev::Ack(Vec::new(), mid(1))),
        ("add-device-65-bytes", "Adding a 65-byte device ID.", Ev::AddDevice(alice, dev(&long), Platform::Web)),
        (
            "add-device-empty-unknown-account",
            "Field bounds come before the account: an empty device for an unknown account.",
            Ev::AddDevice(acct("dave"), Vec::new(), Platform::Web),
        ),
        ("join-conversation-65-bytes", "Joining a 65-byte conversation ID.", Ev::Join(alice, dev(&long))),
        ("leave-conversation-empty", "Leaving an empty conversation ID.", Ev::Leave(alice, Vec::new())),
    ] {
        v.push(field_fault(id, comment, ev));
    }
    v.extend([
        sc("store-ttl-max", "ttl 31,536,000 is accepted; the consumer cap bounds it.", &["RET-004", "RET-020"], &["Boundary"])
            .base()
            .step(T0, bad_store("alice-phone", "dm-ab", MAX_TTL, ciphertext(1)))
            .expect(outs(&[o_stored(1, DM, T0 + CONSUMER)])),
        sc("store-ciphertext-one-byte", "A one-byte ciphertext is stored and delivered as it is.", &["RET-004", "RET-010", "RET-026"], &["Boundary"])
            .base()
            .step(T0, bad_store("alice-phone", "dm-ab", 60, vec![0x42]))
            .expect(outs(&[o_stored(1, DM, T0 + 60)]))
            .step(T0 + 1, fetch("bob-phone"))
            .expect(json!({ "reply": { "reply": "messages", "messages": [{ "messageId": hex::encode(mid(1)), "ciphertext": "42" }] } })),
        sc("ids-64-bytes", "Device and conversation IDs of 64 bytes are accepted.", &["RET-004"], &["Boundary"])
            .base()
            .step(T0, Ev::AddDevice(alice, dev(&max), Platform::Web))
            .expect(reply("device_added"))
            .step(T0, Ev::Join(alice, dev(&max)))
            .expect(reply("joined"))
            .step(T0 + 1, Ev::Join(acct("bob"), dev(&max)))
            .step(T0 + 2, bad_store(&max, &max, 60, ciphertext(1)))
            .expect(outs(&[o_stored(1, &["alice-phone", "bob-laptop", "bob-phone"], T0 + 60)])),
    ]);
    v
}

/// Fixed-seed walks over every event kind, to cover combinations no one wrote by hand. The choices
/// lean towards events that are accepted: devices of the base setup, acks of the latest message,
/// rare terminations.
fn walk_scenarios(count: usize) -> Vec<Scenario> {
    const WHO: [&str; 4] = ["alice", "bob", "carol", "dave"];
    const DEVICES: [&str; 6] = ["alice-phone", "bob-phone", "bob-laptop", "carol-phone", "dave-phone", "alice-laptop"];
    const MORE_DEVICES: [&str; 4] = ["alice-tablet", "bob-watch", "carol-tablet", "dave-web"];
    const ROOMS: [&str; 4] = ["room-1", "dm-ab", "room-1", "room-2"];
    const TTLS: [u32; 5] = [3600, 86_400, 604_800, MAX_TTL, 60];
    const STEP: usize = 8;
    const MAX_STEPS: usize = 24;
    let bytes = filler("retention walks", count * (4 + STEP * MAX_STEPS));
    let mut v = Vec::new();
    for (n, chunk) in bytes.chunks(4 + STEP * MAX_STEPS).enumerate().take(count) {
        let profile = if chunk[0] % 2 == 0 { Profile::Consumer } else { Profile::Enterprise };
        let cap = if chunk[1] % 5 == 0 { Some(3600 + u32::from(chunk[2]) * 600) } else { None };
        let mut flags = vec!["Walk"];
        if cap.is_some() {
            flags.push("ConfiguredCap");
        }
        let mut s = sc(
            format!("walk-{n:03}"),
            "A fixed-seed walk over every event kind.",
            &["RET-003", "RET-025", "RET-030", "RET-042"],
            &flags,
        )
        .profile(profile)
        .cap(cap)
        .base()
        .step(T0, Ev::Register(acct("dave")))
        .step(T0, Ev::AddDevice(acct("dave"), dev("dave-phone"), Platform::Android))
        .step(T0, Ev::Join(acct("dave"), dev("room-1")))
        .step(T0, Ev::AddDevice(acct("alice"), dev("alice-laptop"), Platform::Desktop));
        // A shadow server follows the walk so that acks can name deliveries that are pending.
        let mut shadow =
            Server::new(Config::new(profile, cap).unwrap_or(Config::new(profile, None).expect("default cap")));
        for (t, ev) in &s.steps {
            shadow.handle(&ev.event(), *t);
        }
        let mut pending: Vec<(u8, String)> = Vec::new();
        let mut at = T0;
        let mut latest = 1u8;
        let steps = 12 + usize::from(chunk[3]) % (MAX_STEPS - 11);
        for r in chunk[4..].chunks(STEP).take(steps) {
            // Mostly seconds to hours; sometimes days, so caps, records and holds come due.
            at += match r[0] % 8 {
                0 => u64::from(r[1]) * DAY / 8,
                1 => u64::from(r[1]) * 60,
                _ => u64::from(r[1] % 32),
            };
            let who = acct(WHO[usize::from(r[3] % 4)]);
            let other = acct(WHO[usize::from(r[6] % 4)]);
            let device = if r[4] < 224 { DEVICES[usize::from(r[4] % 6)] } else { MORE_DEVICES[usize::from(r[4] % 4)] };
            let room = ROOMS[usize::from(r[5] % 4)];
            let m = if r[7] % 4 == 0 { 1 + r[7] / 4 % 8 } else { latest };
            let kind = r[2] % 64;
            let ev = match kind {
                // With nothing pending, most acks become stores.
                0..=13 | 20..=35 if kind <= 13 || (pending.is_empty() && r[7] % 4 != 0) => {
                    latest = 1 + r[7] % 8;
                    store(
                        device,
                        latest,
                        room,
                        at.saturating_sub(u64::from(r[6] % 4) * 1000),
                        TTLS[usize::from(r[1] % 5)],
                    )
                }
                14..=19 => fetch(device),
                20..=35 if !pending.is_empty() => {
                    // Mostly the oldest pending delivery, so that messages get fully delivered.
                    let pick = if r[7] % 4 == 0 { usize::from(r[6]) % pending.len() } else { 0 };
                    let (n, to) = pending.remove(pick);
                    ack(&to, n)
                }
                20..=35 => ack(device, m),
                36..=38 => recall(device, m),
                39..=42 => Ev::Tick,
                43..=46 => {
                    Ev::AddDevice(who, dev(MORE_DEVICES[usize::from(r[4] % 4)]), Platform::ALL[usize::from(r[5] % 4)])
                }
                47 => Ev::RemoveDevice(who, dev(device)),
                48..=50 => Ev::Join(who, dev(room)),
                51 | 52 => Ev::Leave(who, dev(room)),
                53 | 54 => Ev::Block(who, other),
                55 => Ev::Unblock(who, other),
                56 | 57 => Ev::Setting(who, SettingChange::ALL[usize::from(r[5] % 4)]),
                58 | 59 => Ev::Hold(who),
                60 if r[6] < 64 => Ev::Terminate(who),
                61 => Ev::Register(who),
                _ => Ev::Disclose(who),
            };
            for output in shadow.handle(&ev.event(), at).outputs {
                match output {
                    Output::Stored { message_id, recipients, .. } => {
                        let n = (1..=8).find(|n| mid(*n) == message_id).unwrap_or(0);
                        pending
                            .extend(recipients.iter().map(|d| (n, String::from_utf8_lossy(d.as_bytes()).into_owned())));
                    }
                    Output::Purged { message_id, .. } => pending.retain(|(n, _)| mid(*n) != message_id),
                    _ => {}
                }
            }
            s = s.step(at, ev);
        }
        v.push(s);
    }
    v
}

/// Whether `got` has every field of `want`, recursively for objects (arrays and scalars must be
/// equal).
fn group(name: &str, description: &str, scenarios: Vec<Scenario>) -> Result<Group, GenerateError> {
    let mut g = Group::new(name, "retention.scenario", description);
    for s in scenarios {
        let args = json!({
            "profile": s.profile.label(),
            "cap": s.cap,
            "events": s.steps.iter().map(|(at, ev)| ev.json(*at)).collect::<Vec<_>>(),
        });
        // Run through the same JSON path an adapter uses, and check it read back every event.
        let reread = scenario(&args).map_err(|e| GenerateError(format!("{}: its own args do not parse: {e}", s.id)))?;
        let direct = run(s.profile, s.cap, &s.steps).map(|steps| json!({ "steps": steps }));
        if reread != direct {
            return Err(GenerateError(format!("{}: the JSON events do not round-trip", s.id)));
        }
        let case = Case { id: &s.id, comment: &s.comment, requirements: &s.requirements, flags: &s.flags };
        push_scenario(&mut g, &case, args, reread.map_err(|e| e.code()), s.config_error, &s.checks)?;
    }
    Ok(g)
}

/// `base` followed by `more` (the group's second witnesses, [`witnesses`]).
fn with(mut base: Vec<Scenario>, more: Vec<Scenario>) -> Vec<Scenario> {
    base.extend(more);
    base
}

/// Builds `vectors/retention.json`.
///
/// # Errors
/// When the reference disagrees with a hand-written expectation.
pub fn generate() -> Result<VectorFile, GenerateError> {
    let groups = vec![
        group("config", "Profiles and configured caps (RET-001).", config_scenarios())?.finish(),
        group(
            "caps",
            "Both profiles' caps one second before, at and after, by tick, fetch and ack (RET-020, RET-021).",
            cap_scenarios(),
        )?
        .finish(),
        group(
            "expiry",
            "Message expiry, late and early senders, saturation and the clock (RET-003, RET-011, RET-020, RET-021).",
            with(expiry_scenarios(), witnesses::expiry_witnesses()),
        )?
        .finish(),
        group(
            "delivery",
            "Fetch and acknowledgement, in every order (RET-022, RET-023, RET-026).",
            with(delivery_scenarios(), witnesses::delivery_witnesses()),
        )?
        .finish(),
        group(
            "devices",
            "Devices added and removed mid-flight; no backfill (RET-030, RET-031, RET-033).",
            with(device_scenarios(), witnesses::devices_witnesses()),
        )?
        .finish(),
        group(
            "rooms",
            "Joins, leaves and membership (RET-030, RET-032, RET-034).",
            with(room_scenarios(), witnesses::rooms_witnesses()),
        )?
        .finish(),
        group(
            "blocks",
            "Block lists, and what a blocked sender sees (RET-040..RET-042).",
            with(block_scenarios(), witnesses::blocks_witnesses()),
        )?
        .finish(),
        group(
            "recall",
            "Recall by the sending device, by others, of what is gone (RET-024).",
            with(recall_scenarios(), witnesses::recall_witnesses()),
        )?
        .finish(),
        group(
            "records",
            "Activity records and their 6 days (RET-050..RET-052).",
            with(record_scenarios(), witnesses::records_witnesses()),
        )?
        .finish(),
        group(
            "holds",
            "Preservation holds and their 90 days (RET-053).",
            with(hold_scenarios(), witnesses::holds_witnesses()),
        )?
        .finish(),
        group(
            "termination",
            "Termination and permanent tombstones (RET-054, RET-055).",
            with(termination_scenarios(), witnesses::termination_witnesses()),
        )?
        .finish(),
        group(
            "disclosure",
            "What the operator could disclose (RET-060..RET-062).",
            with(disclosure_scenarios(), witnesses::disclosure_witnesses()),
        )?
        .finish(),
        group(
            "bounds",
            "Field bounds, checked first (RET-004).",
            with(bounds_scenarios(), witnesses::bounds_witnesses()),
        )?
        .finish(),
        group("walks", "Fixed-seed walks over every event kind (RET-003).", walk_scenarios(64))?.finish(),
    ];
    Ok(file("retention", SPEC_VERSION, HEADER, NOTES, groups))
}
