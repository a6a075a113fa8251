//! Scenario vectors for expiry and burn-on-read (spec/expiry.md): `vectors/expiry.json`.
//!
//! Parameters: none; every scenario is written below, except the `walk-*` group, whose event lists
//! come from a fixed-seed walk ([`filler`] bytes) over all event kinds.
//!
//! Format: one adapter operation, `expiry.scenario`: a message ID, an initial cap and a list of
//! timed events; the expected result lists, for every step, the outputs, the refusal (if any) and
//! the state after it, so a divergence is located to the step.
//!
//! - `args`: `messageId` (16 bytes, hex), `cap` (seconds, or `null` for none) and `events`, each
//!   `{"at": now, "event": name, ...fields}`: `receive {sender, sentAt, ttl, bor, content}`,
//!   `read`, `tick`, `recall {by}`, `delete`, `password_reset`, `device_removed`, `set_cap {cap}`
//!   (`cap` an integer or `null`). Byte strings are lowercase hex; `at` and `sentAt` are integers
//!   up to 2^64 - 1, `ttl`, `bor` and `cap` integers up to 2^32 - 1.
//! - `expected`: `{"steps": [...]}`, one object per event: `phase`, `readable`, `deadline` (or
//!   `null`), `reason` (or `null`), `outputs` and `error` (the refusal's code, or `null`).
//! - A scenario whose machine cannot be created is an invalid test with error
//!   `expiry.invalid_cap`.
//!
//! [`scenario`] reads one test's `args`, runs them on the reference and gives its `expected`; the
//! generator makes every expectation through it, and the conformance runner's reference adapter
//! calls it as it is, so the two cannot read or write the JSON differently.
//!
//! Verification: boundary and rule scenarios carry hand-written expectations for the steps that
//! matter (checked as a subset of the reference's step); the generator stops if the reference
//! disagrees. Every step of every scenario is recomputed by `vectors/crosscheck/expiry.py`, an
//! independent Python model.

use cinder::expiry::{Event, ExpiryError, Incoming, MAX_TTL, Message, Output, Phase, RECALL_MEMORY};
use serde_json::{Map, Value, json};

use crate::builder::{Case, GenerateError, Group, file, filler, push_scenario};
use crate::format::VectorFile;

/// The `Version:` of spec/expiry.md these vectors test.
pub const SPEC_VERSION: &str = "1.1.0";

const NOTES: &[(&str, &str)] = &[
    ("Before", "An event one second before a deadline: the message is still readable."),
    ("At", "An event exactly at a deadline: the message is destroyed first (deadlines are exclusive, EXP-012)."),
    ("After", "An event one second after a deadline."),
    ("Overflow", "Times near 2^64 - 1, where sums saturate (EXP-013)."),
    ("ClockJump", "The device clock jumps forwards or backwards between steps (EXP-020)."),
    ("Skew", "The sender's sent_at is ahead of the device clock (EXP-021)."),
    ("RefusedStep", "At least one step is refused with an error code; the scenario continues after it."),
    (
        "Walk",
        "Events chosen by a fixed-seed walk over every event kind; expectations from the reference, recomputed by the Python model.",
    ),
];

const HEADER: &[&str] = &[
    "Expiry and burn-on-read (spec/expiry.md): scenarios of timed events on one message copy, with the outputs \
     and the state after every step.",
    "Times are seconds; sentAt and at can reach 2^64 - 1, so read JSON integers as unsigned 64-bit.",
    "A step's `error` is the code of a refused event (null when accepted); its outputs include what time did \
     before the event (EXP-003).",
];

const SENDER: &[u8] = b"alice-phone";
const STRANGER: &[u8] = b"mallory-phone";
const T0: u64 = 1_767_225_600;

/// An event of a scenario, owned.
#[derive(Clone, Debug)]
enum Ev {
    Receive { sender: Vec<u8>, sent_at: u64, ttl: u32, bor: u32, content: Vec<u8> },
    Read,
    Tick,
    Recall(Vec<u8>),
    Delete,
    Reset,
    Removed,
    Cap(Option<u32>),
}

fn recv(sent_at: u64, ttl: u32, bor: u32) -> Ev {
    Ev::Receive { sender: SENDER.to_vec(), sent_at, ttl, bor, content: b"burn after reading".to_vec() }
}

fn recv_from(sender: &[u8], sent_at: u64, ttl: u32, bor: u32) -> Ev {
    Ev::Receive { sender: sender.to_vec(), sent_at, ttl, bor, content: b"from someone".to_vec() }
}

impl Ev {
    fn json(&self, at: u64) -> Value {
        match self {
            Self::Receive { sender, sent_at, ttl, bor, content } => json!({
                "at": at, "event": "receive", "sender": hex::encode(sender), "sentAt": sent_at,
                "ttl": ttl, "bor": bor, "content": hex::encode(content),
            }),
            Self::Read => json!({ "at": at, "event": "read" }),
            Self::Tick => json!({ "at": at, "event": "tick" }),
            Self::Recall(by) => json!({ "at": at, "event": "recall", "by": hex::encode(by) }),
            Self::Delete => json!({ "at": at, "event": "delete" }),
            Self::Reset => json!({ "at": at, "event": "password_reset" }),
            Self::Removed => json!({ "at": at, "event": "device_removed" }),
            Self::Cap(cap) => json!({ "at": at, "event": "set_cap", "cap": cap }),
        }
    }

    fn event(&self) -> Event<'_> {
        match self {
            Self::Receive { sender, sent_at, ttl, bor, content } => {
                Event::Receive(Incoming { sender, sent_at: *sent_at, ttl: *ttl, bor: *bor, content })
            }
            Self::Read => Event::Read,
            Self::Tick => Event::Tick,
            Self::Recall(by) => Event::Recall { by },
            Self::Delete => Event::Delete,
            Self::Reset => Event::PasswordReset,
            Self::Removed => Event::DeviceRemoved,
            Self::Cap(cap) => Event::SetCap(*cap),
        }
    }
}

fn output_json(output: &Output) -> Value {
    match output {
        Output::Stored { deadline, skewed } => json!({ "output": "stored", "deadline": deadline, "skewed": skewed }),
        Output::Shown { content, deadline } => {
            json!({ "output": "shown", "content": hex::encode(content.as_slice()), "deadline": deadline })
        }
        Output::Destroyed(reason) => json!({ "output": "destroyed", "reason": reason.label() }),
        Output::RecallNoted => json!({ "output": "recall_noted" }),
        Output::RecallForgotten => json!({ "output": "recall_forgotten" }),
        Output::DeadlineMoved { deadline } => json!({ "output": "deadline_moved", "deadline": deadline }),
    }
}

fn state_json(m: &Message) -> Map<String, Value> {
    let (phase, reason) = match m.phase() {
        Phase::Absent => ("absent", None),
        Phase::RecallNoted { .. } => ("recall_noted", None),
        Phase::Unread { .. } => ("unread", None),
        Phase::Read { .. } => ("read", None),
        Phase::Destroyed { reason } => ("destroyed", Some(reason.label())),
    };
    let mut s = Map::new();
    s.insert("phase".into(), phase.into());
    s.insert("readable".into(), m.readable().into());
    s.insert("deadline".into(), m.deadline().map_or(Value::Null, Value::from));
    s.insert("reason".into(), reason.map_or(Value::Null, Value::from));
    s
}

/// Reads the fields of one JSON object, with messages that name the field (`args.events[2].ttl`).
struct Fields<'a> {
    map: &'a Map<String, Value>,
    at: String,
}

impl<'a> Fields<'a> {
    fn new(value: &'a Value, at: String) -> Result<Self, String> {
        match value {
            Value::Object(map) => Ok(Self { map, at }),
            _ => Err(format!("{at} must be an object")),
        }
    }

    /// Refuses fields other than `names`, so a misspelt field is reported rather than ignored.
    fn only(&self, names: &[&str]) -> Result<(), String> {
        match self.map.keys().find(|key| !names.contains(&key.as_str())) {
            Some(key) => Err(format!("{} has an unknown field `{key}` (expected {})", self.at, names.join(", "))),
            None => Ok(()),
        }
    }

    fn get(&self, name: &str) -> Result<&'a Value, String> {
        self.map.get(name).ok_or_else(|| format!("{} has no `{name}`", self.at))
    }

    fn str(&self, name: &str) -> Result<&'a str, String> {
        self.get(name)?.as_str().ok_or_else(|| format!("{}.{name} must be a string", self.at))
    }

    /// A byte string: lowercase hex, two digits a byte.
    fn hex(&self, name: &str) -> Result<Vec<u8>, String> {
        let text = self.str(name)?;
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(format!("{}.{name} must be lowercase hex", self.at));
        }
        hex::decode(text).map_err(|e| format!("{}.{name} must be lowercase hex, but {e}", self.at))
    }

    /// A JSON integer from 0 to 2^64 - 1, read exactly (never through a float).
    fn u64(&self, name: &str) -> Result<u64, String> {
        self.get(name)?.as_u64().ok_or_else(|| format!("{}.{name} must be an integer from 0 to 2^64 - 1", self.at))
    }

    /// A JSON integer from 0 to 2^32 - 1.
    fn u32(&self, name: &str) -> Result<u32, String> {
        let value = self.get(name)?.as_u64().and_then(|n| u32::try_from(n).ok());
        value.ok_or_else(|| format!("{}.{name} must be an integer from 0 to 2^32 - 1", self.at))
    }

    /// A cap: `null` for none, else an integer from 0 to 2^32 - 1 (the reference judges its bounds).
    fn cap(&self, name: &str) -> Result<Option<u32>, String> {
        match self.get(name)? {
            Value::Null => Ok(None),
            _ => self.u32(name).map(Some),
        }
    }
}

/// Reads one event, `{"at", "event", ...fields}`: the time and the event, or what cannot be read.
fn parse_event(value: &Value, at: String) -> Result<(u64, Ev), String> {
    let f = Fields::new(value, at)?;
    let now = f.u64("at")?;
    let name = f.str("event")?;
    let (fields, ev): (&[&str], Ev) = match name {
        "receive" => (
            &["sender", "sentAt", "ttl", "bor", "content"],
            Ev::Receive {
                sender: f.hex("sender")?,
                sent_at: f.u64("sentAt")?,
                ttl: f.u32("ttl")?,
                bor: f.u32("bor")?,
                content: f.hex("content")?,
            },
        ),
        "read" => (&[], Ev::Read),
        "tick" => (&[], Ev::Tick),
        "recall" => (&["by"], Ev::Recall(f.hex("by")?)),
        "delete" => (&[], Ev::Delete),
        "password_reset" => (&[], Ev::Reset),
        "device_removed" => (&[], Ev::Removed),
        "set_cap" => (&["cap"], Ev::Cap(f.cap("cap")?)),
        other => {
            return Err(format!(
                "{}.event {other:?} is not an expiry event (expected receive, read, tick, recall, delete, \
                 password_reset, device_removed or set_cap)",
                f.at
            ));
        }
    };
    let mut allowed = vec!["at", "event"];
    allowed.extend_from_slice(fields);
    f.only(&allowed)?;
    Ok((now, ev))
}

/// Runs one `expiry.scenario` test's `args` on the reference: `Ok(Ok(expected))` with
/// `expected = {"steps": [...]}`, `Ok(Err(error))` when the machine cannot be created (its cap is
/// refused, EXP-014), or `Err(message)` when the arguments cannot be read (an adapter's
/// `adapter.bad_request`).
///
/// Every argument is read before the reference is called, so unreadable arguments are reported
/// as such whatever else is wrong with the scenario.
///
/// # Errors
/// A message naming the first argument that cannot be read: a missing, unknown or mistyped field,
/// bad or upper-case hex, a `messageId` that is not 16 bytes, an unknown event name, an integer
/// out of its range (`at` and `sentAt` 64 bits; `ttl`, `bor` and `cap` 32 bits).
pub fn scenario(args: &Value) -> Result<Result<Value, ExpiryError>, String> {
    let f = Fields::new(args, "args".to_owned())?;
    f.only(&["messageId", "cap", "events"])?;
    let id = f.hex("messageId")?;
    let id: [u8; 16] =
        id.as_slice().try_into().map_err(|_| format!("args.messageId must be 16 bytes, not {}", id.len()))?;
    let cap = f.cap("cap")?;
    let list = f.get("events")?.as_array().ok_or("args.events must be an array")?;
    let events = list
        .iter()
        .enumerate()
        .map(|(i, event)| parse_event(event, format!("args.events[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(run(id, cap, &events).map(|steps| json!({ "steps": steps })))
}

/// Runs a scenario on the reference: the per-step JSON, or the creation error.
fn run(id: [u8; 16], cap: Option<u32>, steps: &[(u64, Ev)]) -> Result<Vec<Value>, ExpiryError> {
    let mut m = Message::new(id, cap)?;
    let mut out = Vec::new();
    for (at, ev) in steps {
        let t = m.handle(ev.event(), *at);
        let mut step = state_json(&t.state);
        step.insert("outputs".into(), t.outputs.iter().map(output_json).collect::<Vec<_>>().into());
        step.insert("error".into(), t.result.err().map_or(Value::Null, |e| e.code().into()));
        out.push(Value::Object(step));
        m = t.state;
    }
    Ok(out)
}

/// A hand-written scenario: steps, and what must hold at some of them.
struct Scenario {
    id: String,
    comment: String,
    requirements: Vec<&'static str>,
    flags: Vec<&'static str>,
    cap: Option<u32>,
    steps: Vec<(u64, Ev)>,
    /// (step index, fields the step must contain with these values).
    checks: Vec<(usize, Value)>,
    /// For a scenario whose machine cannot be created: the error code.
    creation_error: Option<&'static str>,
}

fn sc(id: impl Into<String>, comment: impl Into<String>, reqs: &[&'static str], flags: &[&'static str]) -> Scenario {
    Scenario {
        id: id.into(),
        comment: comment.into(),
        requirements: reqs.to_vec(),
        flags: flags.to_vec(),
        cap: None,
        steps: Vec::new(),
        checks: Vec::new(),
        creation_error: None,
    }
}

impl Scenario {
    fn cap(mut self, cap: Option<u32>) -> Self {
        self.cap = cap;
        self
    }

    fn step(mut self, at: u64, ev: Ev) -> Self {
        self.steps.push((at, ev));
        self
    }

    /// The last step added must contain `fields`.
    fn expect(mut self, fields: Value) -> Self {
        self.checks.push((self.steps.len() - 1, fields));
        self
    }
}

fn destroyed_now(reason: &str) -> Value {
    json!({ "phase": "destroyed", "readable": false, "outputs": [{ "output": "destroyed", "reason": reason }] })
}

fn live(phase: &str, deadline: u64) -> Value {
    json!({ "phase": phase, "readable": true, "deadline": deadline, "error": null })
}

fn refused(code: &str) -> Value {
    json!({ "error": code })
}

fn boundary_scenarios() -> Vec<Scenario> {
    let mut v = Vec::new();
    let ttl = 3600u32;
    let exp = T0 + u64::from(ttl);
    for (label, at, flag) in [("before", exp - 1, "Before"), ("at", exp, "At"), ("after", exp + 1, "After")] {
        let alive = label == "before";
        v.push(
            sc(
                format!("expiry-{label}-tick"),
                format!("A tick {label} expires_at = sent_at + ttl."),
                &["EXP-010", "EXP-012"],
                &[flag],
            )
            .step(T0, recv(T0, ttl, 0))
            .expect(json!({ "outputs": [{ "output": "stored", "deadline": exp, "skewed": false }] }))
            .step(at, Ev::Tick)
            .expect(if alive { live("unread", exp) } else { destroyed_now("expired") }),
        );
        v.push(
            sc(format!("expiry-{label}-read"), format!("A read {label} expires_at."), &["EXP-011", "EXP-012"], &[flag])
                .step(T0, recv(T0, ttl, 0))
                .step(at, Ev::Read)
                .expect(if alive {
                    json!({ "phase": "read", "deadline": exp, "error": null })
                } else {
                    json!({ "phase": "destroyed", "error": "expiry.destroyed", "outputs": [{ "output": "destroyed", "reason": "expired" }] })
                }),
        );
        v.push(
            sc(
                format!("expiry-{label}-delayed-receive"),
                format!("Received late, the next step {label} expiry: the clock counts from sent_at."),
                &["EXP-010", "EXP-012"],
                &[flag],
            )
            .step(T0 + 3000, recv(T0, ttl, 0))
            .expect(json!({ "outputs": [{ "output": "stored", "deadline": exp, "skewed": false }] }))
            .step(at, Ev::Tick)
            .expect(if alive { live("unread", exp) } else { destroyed_now("expired") }),
        );
    }
    // Arrival at or after expiry: never readable.
    for (label, at, flag) in [("before", exp - 1, "Before"), ("at", exp, "At"), ("after", exp + 1, "After")] {
        v.push(
            sc(
                format!("arrival-{label}-expiry"),
                format!("The message arrives {label} its expiry."),
                &["EXP-010", "EXP-012"],
                &[flag],
            )
            .step(at, recv(T0, ttl, 0))
            .expect(if label == "before" {
                json!({ "outputs": [{ "output": "stored", "deadline": exp, "skewed": false }], "readable": true })
            } else {
                destroyed_now("expired")
            }),
        );
    }
    // Burn-on-read: read at R, burn at R + bor, well before expiry.
    let bor = 60u32;
    let read_at = T0 + 100;
    let burn = read_at + u64::from(bor);
    for (label, at, flag) in [("before", burn - 1, "Before"), ("at", burn, "At"), ("after", burn + 1, "After")] {
        let alive = label == "before";
        for (verb, ev) in [("tick", Ev::Tick), ("read", Ev::Read)] {
            v.push(
                sc(format!("burn-{label}-{verb}"), format!("A {verb} {label} the burn deadline read_at + bor."), &["EXP-011", "EXP-012"], &[flag])
                    .step(T0, recv(T0, ttl, bor))
                    .step(read_at, Ev::Read)
                    .expect(json!({ "outputs": [{ "output": "shown", "content": hex::encode(b"burn after reading"), "deadline": burn }] }))
                    .step(at, ev)
                    .expect(if alive {
                        json!({ "phase": "read", "readable": true, "deadline": burn, "error": null })
                    } else {
                        json!({ "phase": "destroyed", "reason": "burned", "outputs": [{ "output": "destroyed", "reason": "burned" }] })
                    }),
            );
        }
    }
    // bor longer than what is left: expiry wins, reason "expired".
    for (label, at, flag) in [("before", exp - 1, "Before"), ("at", exp, "At"), ("after", exp + 1, "After")] {
        v.push(
            sc(
                format!("bor-beyond-expiry-{label}"),
                format!("bor reaches past expires_at; a tick {label} expiry."),
                &["EXP-011"],
                &[flag],
            )
            .step(T0, recv(T0, ttl, 7200))
            .step(T0 + 3000, Ev::Read)
            .expect(json!({ "phase": "read", "deadline": exp }))
            .step(at, Ev::Tick)
            .expect(if label == "before" { live("read", exp) } else { destroyed_now("expired") }),
        );
    }
    // bor ending exactly at expiry: the deadlines tie, the reason is "expired".
    v.push(
        sc(
            "bor-ties-expiry",
            "read_at + bor == expires_at: reported as expired, not burned.",
            &["EXP-003", "EXP-011"],
            &["At"],
        )
        .step(T0, recv(T0, ttl, 600))
        .step(exp - 600, Ev::Read)
        .expect(json!({ "phase": "read", "deadline": exp }))
        .step(exp, Ev::Tick)
        .expect(destroyed_now("expired")),
    );
    for (label, at) in [("before", exp - 1), ("at", exp)] {
        v.push(
            sc(
                format!("bor-off-{label}"),
                format!("bor = 0: reading does not start a burn clock; a tick {label} expiry."),
                &["EXP-011"],
                &[if label == "before" { "Before" } else { "At" }],
            )
            .step(T0, recv(T0, ttl, 0))
            .step(T0 + 1, Ev::Read)
            .expect(json!({ "phase": "read", "deadline": exp }))
            .step(at, Ev::Tick)
            .expect(if label == "before" { live("read", exp) } else { destroyed_now("expired") }),
        );
    }
    v.push(
        sc("second-read-keeps-burn", "A second read shows the content again and does not restart the burn clock.", &["EXP-011"], &[])
            .step(T0, recv(T0, ttl, bor))
            .step(read_at, Ev::Read)
            .step(read_at + 30, Ev::Read)
            .expect(json!({ "phase": "read", "deadline": burn, "outputs": [{ "output": "shown", "content": hex::encode(b"burn after reading"), "deadline": burn }] }))
            .step(burn, Ev::Tick)
            .expect(destroyed_now("burned")),
    );
    v
}

fn cap_scenarios() -> Vec<Scenario> {
    let mut v = Vec::new();
    let cap = 600u32;
    let capped = T0 + u64::from(cap);
    for (label, at, flag) in [("before", capped - 1, "Before"), ("at", capped, "At"), ("after", capped + 1, "After")] {
        v.push(
            sc(
                format!("cap-at-receive-{label}"),
                format!("A 600 s cap shortens a 3600 s ttl; a tick {label} the capped deadline."),
                &["EXP-010", "EXP-014"],
                &[flag],
            )
            .cap(Some(cap))
            .step(T0, recv(T0, 3600, 0))
            .expect(json!({ "outputs": [{ "output": "stored", "deadline": capped, "skewed": false }] }))
            .step(at, Ev::Tick)
            .expect(if label == "before" { live("unread", capped) } else { destroyed_now("expired") }),
        );
    }
    v.push(
        sc("cap-longer-than-ttl", "A cap longer than the ttl changes nothing.", &["EXP-014"], &[])
            .cap(Some(86_400))
            .step(T0, recv(T0, 3600, 0))
            .expect(json!({ "outputs": [{ "output": "stored", "deadline": T0 + 3600, "skewed": false }] })),
    );
    v.push(
        sc(
            "set-cap-lowers-unread",
            "An administrator lowers the cap while the message waits unread.",
            &["EXP-014", "EXP-022"],
            &[],
        )
        .step(T0, recv(T0, 3600, 0))
        .step(T0 + 10, Ev::Cap(Some(600)))
        .expect(json!({ "outputs": [{ "output": "deadline_moved", "deadline": capped }], "deadline": capped }))
        .step(capped, Ev::Tick)
        .expect(destroyed_now("expired")),
    );
    v.push(
        sc(
            "set-cap-below-burn",
            "A cap earlier than the burn deadline moves the deadline; the message then expires.",
            &["EXP-011", "EXP-014"],
            &[],
        )
        .step(T0, recv(T0, 3600, 1200))
        .step(T0 + 10, Ev::Read)
        .expect(json!({ "deadline": T0 + 1210 }))
        .step(T0 + 20, Ev::Cap(Some(600)))
        .expect(json!({ "outputs": [{ "output": "deadline_moved", "deadline": capped }] }))
        .step(capped, Ev::Tick)
        .expect(destroyed_now("expired")),
    );
    v.push(
        sc(
            "set-cap-above-burn",
            "A cap later than the burn deadline but earlier than expiry: the burn deadline stays.",
            &["EXP-011", "EXP-014"],
            &[],
        )
        .step(T0, recv(T0, 3600, 60))
        .step(T0 + 10, Ev::Read)
        .step(T0 + 20, Ev::Cap(Some(1800)))
        .expect(json!({ "outputs": [], "deadline": T0 + 70 }))
        .step(T0 + 70, Ev::Tick)
        .expect(destroyed_now("burned")),
    );
    v.push(
        sc(
            "set-cap-largest-on-live",
            "The largest cap (31,536,000 s) set on a message that expires sooner moves nothing.",
            &["EXP-014", "EXP-022"],
            &[],
        )
        .step(T0, recv(T0, 3600, 0))
        .step(T0 + 10, Ev::Cap(Some(MAX_TTL)))
        .expect(json!({ "outputs": [], "deadline": T0 + 3600 })),
    );
    v.push(
        sc(
            "set-cap-equal-to-unread-deadline",
            "A cap that lands exactly on the unread deadline does not move it: no deadline_moved.",
            &["EXP-014", "EXP-022"],
            &["At"],
        )
        .step(T0, recv(T0, 600, 0))
        .step(T0 + 10, Ev::Cap(Some(600)))
        .expect(json!({ "outputs": [], "deadline": capped }))
        .step(capped, Ev::Tick)
        .expect(destroyed_now("expired")),
    );
    v.push(
        sc(
            "set-cap-equal-to-burn-deadline",
            "Read at +20 with a 100 s burn (deadline +120): a cap of 120 s lands on the burn deadline and \
             moves nothing; a cap of 119 s then moves it one second earlier.",
            &["EXP-011", "EXP-014", "EXP-022"],
            &["At"],
        )
        .step(T0, recv(T0, 600, 100))
        .step(T0 + 20, Ev::Read)
        .expect(json!({ "deadline": T0 + 120 }))
        .step(T0 + 30, Ev::Cap(Some(120)))
        .expect(json!({ "outputs": [], "deadline": T0 + 120 }))
        .step(T0 + 40, Ev::Cap(Some(119)))
        .expect(json!({ "outputs": [{ "output": "deadline_moved", "deadline": T0 + 119 }], "deadline": T0 + 119 }))
        .step(T0 + 119, Ev::Tick)
        .expect(destroyed_now("expired")),
    );
    v.push(
        sc(
            "set-cap-already-passed",
            "A cap whose deadline the clock has already reached destroys at once.",
            &["EXP-014"],
            &[],
        )
        .step(T0, recv(T0, 3600, 0))
        .step(T0 + 700, Ev::Cap(Some(600)))
        .expect(destroyed_now("expired")),
    );
    v.push(
        sc(
            "raise-cap-does-not-extend",
            "Raising the cap after it shortened a message does not give the time back.",
            &["EXP-014", "EXP-022"],
            &[],
        )
        .cap(Some(600))
        .step(T0, recv(T0, 3600, 0))
        .step(T0 + 10, Ev::Cap(Some(86_400)))
        .expect(json!({ "outputs": [], "deadline": capped }))
        .step(capped, Ev::Tick)
        .expect(destroyed_now("expired")),
    );
    v.push(
        sc("clear-cap-does-not-extend", "Clearing the cap does not give the time back.", &["EXP-014", "EXP-022"], &[])
            .cap(Some(600))
            .step(T0, recv(T0, 3600, 0))
            .step(T0 + 10, Ev::Cap(None))
            .expect(json!({ "outputs": [], "deadline": capped })),
    );
    v.push(
        sc("cap-set-before-arrival", "A cap set while nothing has arrived applies at receive.", &["EXP-014"], &[])
            .step(T0 - 5, Ev::Cap(Some(60)))
            .step(T0, recv(T0, 3600, 0))
            .expect(json!({ "deadline": T0 + 60 })),
    );
    v.push(
        sc("cap-max", "A cap of 31,536,000 s, the largest allowed.", &["EXP-014"], &[])
            .cap(Some(MAX_TTL))
            .step(T0, recv(T0, MAX_TTL, 0))
            .expect(json!({ "deadline": T0 + u64::from(MAX_TTL) })),
    );
    for (id, cap) in [("create-cap-zero", 0u32), ("create-cap-above-max", MAX_TTL + 1)] {
        let mut s = sc(id, format!("A machine created with cap {cap} is refused."), &["EXP-014"], &[]).cap(Some(cap));
        s.creation_error = Some("expiry.invalid_cap");
        s = s.step(T0, recv(T0, 60, 0));
        v.push(s);
    }
    for (id, cap) in [("set-cap-zero", 0u32), ("set-cap-above-max", MAX_TTL + 1)] {
        v.push(
            sc(id, format!("set_cap({cap}) is refused and changes nothing."), &["EXP-014"], &["RefusedStep"])
                .step(T0, recv(T0, 3600, 0))
                .step(T0 + 1, Ev::Cap(Some(cap)))
                .expect(json!({ "error": "expiry.invalid_cap", "deadline": T0 + 3600, "outputs": [] })),
        );
    }
    v
}

fn clock_scenarios() -> Vec<Scenario> {
    let big = u64::MAX;
    vec![
        sc(
            "clock-back-after-deadline",
            "After destruction the clock goes back an hour: the message stays destroyed.",
            &["EXP-020", "EXP-041"],
            &["ClockJump"],
        )
        .step(T0, recv(T0, 60, 0))
        .step(T0 + 60, Ev::Tick)
        .expect(destroyed_now("expired"))
        .step(T0 - 3600, Ev::Read)
        .expect(json!({ "error": "expiry.destroyed", "phase": "destroyed" })),
        sc(
            "clock-back-before-deadline",
            "The clock goes back; a later step at the old deadline still destroys.",
            &["EXP-020"],
            &["ClockJump"],
        )
        .step(T0, recv(T0, 60, 0))
        .step(T0 + 59, Ev::Tick)
        .step(T0 - 1000, Ev::Read)
        .expect(json!({ "phase": "read", "deadline": T0 + 60, "error": null }))
        .step(T0 + 10, Ev::Tick)
        .expect(live("read", T0 + 60))
        .step(T0 + 60, Ev::Tick)
        .expect(destroyed_now("expired")),
        sc(
            "clock-back-read-uses-high-water",
            "A read after the clock went back starts the burn clock at the highest time seen.",
            &["EXP-011", "EXP-020"],
            &["ClockJump"],
        )
        .step(T0, recv(T0, 3600, 100))
        .step(T0 + 500, Ev::Tick)
        .step(T0 + 10, Ev::Read)
        .expect(json!({ "deadline": T0 + 600 })),
        sc(
            "clock-jump-forward",
            "The clock jumps a day forward: the message is destroyed at the next step.",
            &["EXP-020", "EXP-012"],
            &["ClockJump"],
        )
        .step(T0, recv(T0, 3600, 0))
        .step(T0 + 86_400, Ev::Read)
        .expect(json!({ "error": "expiry.destroyed", "outputs": [{ "output": "destroyed", "reason": "expired" }] })),
        sc(
            "future-within-tolerance",
            "sent_at 300 s ahead of the device: not skewed, and the clock starts now.",
            &["EXP-021"],
            &["Skew"],
        )
        .step(T0, recv(T0 + 300, 3600, 0))
        .expect(json!({ "outputs": [{ "output": "stored", "deadline": T0 + 3600, "skewed": false }] })),
        sc(
            "future-beyond-tolerance",
            "sent_at 301 s ahead: skewed, stored, clock starts now.",
            &["EXP-021"],
            &["Skew"],
        )
        .step(T0, recv(T0 + 301, 3600, 0))
        .expect(json!({ "outputs": [{ "output": "stored", "deadline": T0 + 3600, "skewed": true }] })),
        sc(
            "future-far",
            "sent_at a year ahead cannot lengthen the message's life.",
            &["EXP-021", "EXP-022"],
            &["Skew"],
        )
        .step(T0, recv(T0 + 31_536_000, 60, 0))
        .expect(json!({ "outputs": [{ "output": "stored", "deadline": T0 + 60, "skewed": true }] }))
        .step(T0 + 60, Ev::Tick)
        .expect(destroyed_now("expired")),
        sc("sent-in-past", "sent_at an hour in the past: 10 minutes of a 70-minute ttl remain.", &["EXP-010"], &[])
            .step(T0 + 3600, recv(T0, 4200, 0))
            .expect(json!({ "deadline": T0 + 4200 })),
        sc(
            "overflow-sent-at-max",
            "sent_at = 2^64 - 1 arrives at a device whose clock is too: the sum saturates.",
            &["EXP-013"],
            &["Overflow"],
        )
        .step(big, recv(big, 60, 0))
        .expect(destroyed_now("expired")),
        sc(
            "overflow-near-max",
            "The clock 30 s below 2^64 - 1 and ttl 60: expires_at saturates at 2^64 - 1.",
            &["EXP-013"],
            &["Overflow"],
        )
        .step(big - 30, recv(big, 60, 0))
        .expect(json!({ "outputs": [{ "output": "stored", "deadline": big, "skewed": false }] }))
        .step(big - 1, Ev::Tick)
        .expect(live("unread", big))
        .step(big, Ev::Tick)
        .expect(destroyed_now("expired")),
        sc(
            "overflow-burn",
            "A read near 2^64 - 1 with a long bor: read_at + bor saturates.",
            &["EXP-013", "EXP-011"],
            &["Overflow"],
        )
        .step(big - 100, recv(big - 100, MAX_TTL, MAX_TTL))
        .step(big - 50, Ev::Read)
        .expect(json!({ "deadline": big })),
        sc("sent-at-zero", "sent_at = 0, received at T0: long expired, never shown.", &["EXP-010", "EXP-012"], &[])
            .step(T0, recv(0, MAX_TTL, 0))
            .expect(destroyed_now("expired")),
    ]
}

fn recall_scenarios() -> Vec<Scenario> {
    let memory = RECALL_MEMORY;
    vec![
        sc("recall-unread", "The sender recalls an unread message.", &["EXP-030"], &[])
            .step(T0, recv(T0, 3600, 0))
            .step(T0 + 5, Ev::Recall(SENDER.to_vec()))
            .expect(destroyed_now("recalled")),
        sc("recall-read", "The sender recalls a message that was read.", &["EXP-030"], &[])
            .step(T0, recv(T0, 3600, 30))
            .step(T0 + 1, Ev::Read)
            .step(T0 + 5, Ev::Recall(SENDER.to_vec()))
            .expect(destroyed_now("recalled")),
        sc("recall-by-stranger", "A recall from another device is refused; the message stays readable.", &["EXP-030"], &["RefusedStep"])
            .step(T0, recv(T0, 3600, 0))
            .step(T0 + 5, Ev::Recall(STRANGER.to_vec()))
            .expect(json!({ "error": "expiry.not_sender", "phase": "unread", "readable": true }))
            .step(T0 + 6, Ev::Read)
            .expect(json!({ "phase": "read", "error": null })),
        sc(
            "recall-by-stranger-after-read",
            "A read message: a recall from another device is refused; the message stays readable until its burn \
             deadline.",
            &["EXP-030"],
            &["RefusedStep"],
        )
        .step(T0, recv(T0, 3600, 120))
        .step(T0 + 1, Ev::Read)
        .step(T0 + 5, Ev::Recall(STRANGER.to_vec()))
        .expect(json!({ "error": "expiry.not_sender", "phase": "read", "readable": true, "deadline": T0 + 121 }))
        .step(T0 + 121, Ev::Tick)
        .expect(destroyed_now("burned")),
        sc(
            "recall-by-sender-prefix",
            "A recall from a device whose ID is the sender's without its last byte is refused: IDs compare whole.",
            &["EXP-030"],
            &["RefusedStep"],
        )
        .step(T0, recv(T0, 3600, 0))
        .step(T0 + 5, Ev::Recall(SENDER[..SENDER.len() - 1].to_vec()))
        .expect(json!({ "error": "expiry.not_sender", "phase": "unread", "readable": true })),
        sc("recall-twice", "A second recall by the sender changes nothing (idempotent).", &["EXP-031"], &[])
            .step(T0, recv(T0, 3600, 0))
            .step(T0 + 5, Ev::Recall(SENDER.to_vec()))
            .step(T0 + 6, Ev::Recall(SENDER.to_vec()))
            .expect(json!({ "error": null, "outputs": [], "reason": "recalled" })),
        sc("recall-after-expiry", "The sender recalls a message that already expired: idempotent, the reason stays expired.", &["EXP-031"], &[])
            .step(T0, recv(T0, 60, 0))
            .step(T0 + 60, Ev::Tick)
            .step(T0 + 61, Ev::Recall(SENDER.to_vec()))
            .expect(json!({ "error": null, "outputs": [], "reason": "expired" })),
        sc("stranger-recall-after-destruction", "After destruction a stranger's recall is still refused.", &["EXP-030"], &["RefusedStep"])
            .step(T0, recv(T0, 60, 0))
            .step(T0 + 1, Ev::Delete)
            .step(T0 + 2, Ev::Recall(STRANGER.to_vec()))
            .expect(json!({ "error": "expiry.not_sender", "reason": "deleted" })),
        sc("recall-empty-by", "A recall naming no device is refused.", &["EXP-030"], &["RefusedStep"])
            .step(T0, recv(T0, 3600, 0))
            .step(T0 + 1, Ev::Recall(Vec::new()))
            .expect(refused("expiry.not_sender")),
        sc("recall-before-arrival", "The recall overtakes its message: the message is destroyed on arrival, never readable.", &["EXP-032"], &[])
            .step(T0, Ev::Recall(SENDER.to_vec()))
            .expect(json!({ "phase": "recall_noted", "outputs": [{ "output": "recall_noted" }] }))
            .step(T0 + 2, recv(T0 - 10, 3600, 0))
            .expect(json!({ "phase": "destroyed", "reason": "recalled", "readable": false, "outputs": [{ "output": "destroyed", "reason": "recalled" }] })),
        sc("stranger-recall-before-arrival", "A stranger's early recall does not stop the real sender's message.", &["EXP-032"], &[])
            .step(T0, Ev::Recall(STRANGER.to_vec()))
            .step(T0 + 2, recv(T0, 3600, 0))
            .expect(json!({ "phase": "unread", "readable": true })),
        sc("stranger-then-sender-recall-before-arrival", "A stranger recalls first, then the sender: the sender's recall still wins.", &["EXP-032"], &[])
            .step(T0, Ev::Recall(STRANGER.to_vec()))
            .step(T0 + 1, Ev::Recall(SENDER.to_vec()))
            .expect(json!({ "outputs": [{ "output": "recall_noted" }] }))
            .step(T0 + 2, recv(T0, 3600, 0))
            .expect(destroyed_now("recalled")),
        sc("recall-limit", "Four different early recallers are remembered; a fifth is refused.", &["EXP-032"], &["RefusedStep"])
            .step(T0, Ev::Recall(b"d1".to_vec()))
            .step(T0, Ev::Recall(b"d2".to_vec()))
            .step(T0, Ev::Recall(b"d3".to_vec()))
            .step(T0, Ev::Recall(b"d4".to_vec()))
            .step(T0, Ev::Recall(b"d5".to_vec()))
            .expect(refused("expiry.recall_limit"))
            .step(T0, Ev::Recall(b"d2".to_vec()))
            .expect(json!({ "error": null, "outputs": [] })),
        sc("recall-note-forgotten-before", "One second before the recall memory runs out the note is still there.", &["EXP-032"], &["Before"])
            .step(T0, Ev::Recall(SENDER.to_vec()))
            .step(T0 + memory - 1, Ev::Tick)
            .expect(json!({ "phase": "recall_noted" })),
        sc("recall-note-forgotten-at", "At T0 + 31,536,300 the note is forgotten; a message arriving then is stored.", &["EXP-032"], &["At"])
            .step(T0, Ev::Recall(SENDER.to_vec()))
            .step(T0 + memory, recv(T0 + memory, 60, 0))
            .expect(json!({ "phase": "unread", "outputs": [{ "output": "recall_forgotten" }, { "output": "stored", "deadline": T0 + memory + 60, "skewed": false }] })),
        sc("recall-bad-by-before-arrival", "Recalls naming no device, or a 65-byte one, are refused even with nothing here.", &["EXP-030"], &["RefusedStep"])
            .step(T0, Ev::Recall(Vec::new()))
            .expect(json!({ "error": "expiry.not_sender", "phase": "absent", "outputs": [] }))
            .step(T0, Ev::Recall(vec![b'x'; 65]))
            .expect(json!({ "error": "expiry.not_sender", "phase": "absent", "outputs": [] })),
        sc("recall-bad-by-after-device-removed", "After device removal (sender unknown) a recall naming no device is still refused.", &["EXP-030", "EXP-031"], &["RefusedStep"])
            .step(T0, Ev::Removed)
            .step(T0 + 1, Ev::Recall(Vec::new()))
            .expect(json!({ "error": "expiry.not_sender", "reason": "device_removed" }))
            .step(T0 + 2, Ev::Recall(SENDER.to_vec()))
            .expect(json!({ "error": null, "outputs": [] })),
        sc("recall-note-not-moved-by-later-recall", "A second device's recall 1000 s later does not move forget_at.", &["EXP-032"], &["At"])
            .step(T0, Ev::Recall(STRANGER.to_vec()))
            .step(T0 + 1000, Ev::Recall(SENDER.to_vec()))
            .expect(json!({ "outputs": [{ "output": "recall_noted" }] }))
            .step(T0 + memory, Ev::Tick)
            .expect(json!({ "phase": "absent", "outputs": [{ "output": "recall_forgotten" }] })),
        sc("reset-forgets-recall-note", "A password reset forgets a recall note.", &["EXP-040"], &[])
            .step(T0, Ev::Recall(SENDER.to_vec()))
            .step(T0 + 1, Ev::Reset)
            .expect(json!({ "phase": "absent", "outputs": [{ "output": "recall_forgotten" }] })),
    ]
}

fn destruction_scenarios() -> Vec<Scenario> {
    let mut v = Vec::new();
    for (label, ev, reason) in [
        ("delete", Ev::Delete, "deleted"),
        ("password-reset", Ev::Reset, "password_reset"),
        ("device-removed", Ev::Removed, "device_removed"),
    ] {
        v.push(
            sc(format!("{label}-unread"), format!("{label} of an unread message."), &["EXP-040", "EXP-042"], &[])
                .step(T0, recv(T0, 3600, 0))
                .step(T0 + 1, ev.clone())
                .expect(destroyed_now(reason)),
        );
        v.push(
            sc(format!("{label}-read"), format!("{label} of a read message."), &["EXP-040", "EXP-042"], &[])
                .step(T0, recv(T0, 3600, 30))
                .step(T0 + 1, Ev::Read)
                .step(T0 + 2, ev.clone())
                .expect(destroyed_now(reason)),
        );
        v.push(
            sc(
                format!("{label}-destroyed"),
                format!("{label} of an already destroyed message changes nothing."),
                &["EXP-040", "EXP-041"],
                &[],
            )
            .step(T0, recv(T0, 60, 0))
            .step(T0 + 60, Ev::Tick)
            .step(T0 + 61, ev.clone())
            .expect(json!({ "outputs": [], "error": null, "reason": "expired" })),
        );
        v.push(
            sc(
                format!("{label}-then-replay"),
                format!("After {label}, the same message arriving again is refused."),
                &["EXP-041"],
                &["RefusedStep"],
            )
            .step(T0, recv(T0, 3600, 0))
            .step(T0 + 1, ev.clone())
            .step(T0 + 2, recv(T0, 3600, 0))
            .expect(json!({ "error": "expiry.destroyed", "phase": "destroyed", "readable": false })),
        );
    }
    v.push(
        sc(
            "delete-before-arrival",
            "Deleting a message that never arrived is refused.",
            &["EXP-040"],
            &["RefusedStep"],
        )
        .step(T0, Ev::Delete)
        .expect(json!({ "error": "expiry.unknown_message", "phase": "absent" })),
    );
    v.push(
        sc("read-before-arrival", "Reading a message that never arrived is refused.", &["EXP-040"], &["RefusedStep"])
            .step(T0, Ev::Read)
            .expect(refused("expiry.unknown_message")),
    );
    v.push(
        sc(
            "reset-before-arrival",
            "A password reset with nothing here changes nothing; the message can still arrive.",
            &["EXP-040"],
            &[],
        )
        .step(T0, Ev::Reset)
        .expect(json!({ "phase": "absent", "outputs": [] }))
        .step(T0 + 1, recv(T0, 3600, 0))
        .expect(json!({ "phase": "unread" })),
    );
    v.push(
        sc(
            "device-removed-before-arrival",
            "A removed device refuses the message when it arrives.",
            &["EXP-040", "EXP-041"],
            &["RefusedStep"],
        )
        .step(T0, Ev::Removed)
        .expect(destroyed_now("device_removed"))
        .step(T0 + 1, recv(T0, 3600, 0))
        .expect(json!({ "error": "expiry.destroyed", "readable": false })),
    );
    v.push(
        sc(
            "duplicate-while-live",
            "The same message arriving twice while live is refused; the first copy is untouched.",
            &["EXP-041"],
            &["RefusedStep"],
        )
        .step(T0, recv(T0, 3600, 0))
        .step(T0 + 1, recv(T0, 7200, 0))
        .expect(json!({ "error": "expiry.duplicate", "deadline": T0 + 3600 })),
    );
    v.push(
        sc("read-after-delete", "Reading a deleted message is refused.", &["EXP-041"], &["RefusedStep"])
            .step(T0, recv(T0, 3600, 0))
            .step(T0 + 1, Ev::Delete)
            .step(T0 + 2, Ev::Read)
            .expect(refused("expiry.destroyed")),
    );
    v
}

fn bounds_scenarios() -> Vec<Scenario> {
    let long = vec![b's'; 65];
    let max_sender = vec![b's'; 64];
    vec![
        sc("ttl-zero", "ttl = 0 is refused.", &["EXP-050"], &["RefusedStep"])
            .step(T0, recv(T0, 0, 0))
            .expect(json!({ "error": "expiry.invalid_message", "phase": "absent" })),
        sc("ttl-above-max", "ttl = 31,536,001 is refused.", &["EXP-050"], &["RefusedStep"])
            .step(T0, recv(T0, MAX_TTL + 1, 0))
            .expect(refused("expiry.invalid_message")),
        sc("bor-above-max", "bor = 31,536,001 is refused.", &["EXP-050"], &["RefusedStep"])
            .step(T0, recv(T0, 60, MAX_TTL + 1))
            .expect(refused("expiry.invalid_message")),
        sc("sender-empty", "An empty sender ID is refused.", &["EXP-050"], &["RefusedStep"])
            .step(T0, recv_from(b"", T0, 60, 0))
            .expect(refused("expiry.invalid_message")),
        sc("sender-65", "A 65-byte sender ID is refused.", &["EXP-050"], &["RefusedStep"])
            .step(T0, recv_from(&long, T0, 60, 0))
            .expect(refused("expiry.invalid_message")),
        sc("ttl-one", "ttl = 1: readable for exactly one second.", &["EXP-050", "EXP-012"], &["Before"])
            .step(T0, recv(T0, 1, 0))
            .expect(json!({ "deadline": T0 + 1 }))
            .step(T0 + 1, Ev::Tick)
            .expect(destroyed_now("expired")),
        sc("ttl-max", "ttl = 31,536,000, the longest allowed.", &["EXP-050"], &[])
            .step(T0, recv(T0, MAX_TTL, MAX_TTL))
            .expect(json!({ "deadline": T0 + u64::from(MAX_TTL) })),
        sc("sender-64", "A 64-byte sender ID.", &["EXP-050"], &[])
            .step(T0, recv_from(&max_sender, T0, 60, 0))
            .expect(json!({ "phase": "unread" })),
        sc(
            "refused-receive-then-valid",
            "A refused receive stores nothing; a valid one afterwards is accepted.",
            &["EXP-050", "EXP-003"],
            &["RefusedStep"],
        )
        .step(T0, recv(T0, 0, 0))
        .step(T0 + 1, recv(T0, 60, 0))
        .expect(json!({ "phase": "unread", "deadline": T0 + 60 })),
    ]
}

/// Second witnesses for clock and skew rules (spec/misreadings/expiry.md): each pins a reading
/// that one case alone pinned before, or that only the walks did.
fn clock_second_witnesses() -> Vec<Scenario> {
    vec![
        sc(
            "skew-tolerance-from-high-water",
            "The device clock went back after a tick: sent_at exactly 300 s ahead of the machine's clock (not of \
             the event's now) is not skewed, and the life starts at sent_at.",
            &["EXP-021", "EXP-020"],
            &["Skew", "ClockJump"],
        )
        .step(T0 + 1000, Ev::Tick)
        .step(T0, recv(T0 + 1300, 3600, 0))
        .expect(json!({ "outputs": [{ "output": "stored", "deadline": T0 + 1000 + 3600, "skewed": false }] })),
        sc(
            "skew-tolerance-exact-later",
            "Later in the day, sent_at exactly clock + 300 is still within the tolerance; clock + 301 would not be.",
            &["EXP-021"],
            &["Skew"],
        )
        .step(T0 + 50_000, Ev::Tick)
        .step(T0 + 50_000, recv(T0 + 50_300, 60, 0))
        .expect(json!({ "outputs": [{ "output": "stored", "deadline": T0 + 50_060, "skewed": false }] })),
        sc(
            "start-from-high-water-clock",
            "A message sent 50 s before the machine's clock, received at a device time 100 s behind it: the life \
             starts at sent_at, min(sent_at, clock) with the machine's clock.",
            &["EXP-010", "EXP-020"],
            &["ClockJump"],
        )
        .step(T0 + 100, Ev::Tick)
        .step(T0, recv(T0 + 50, 600, 0))
        .expect(json!({ "outputs": [{ "output": "stored", "deadline": T0 + 650, "skewed": false }] })),
    ]
}

/// Second witnesses for recall notes (EXP-032): the limit of four, `forget_at` and its fixing.
fn recall_second_witnesses() -> Vec<Scenario> {
    let memory = RECALL_MEMORY;
    vec![
        sc(
            "recall-limit-fourth-is-noted",
            "Four different early recallers are all noted; the message then arrives from the fourth and is recalled.",
            &["EXP-032"],
            &[],
        )
        .step(T0, Ev::Recall(b"d1".to_vec()))
        .step(T0, Ev::Recall(b"d2".to_vec()))
        .step(T0, Ev::Recall(b"d3".to_vec()))
        .step(T0, Ev::Recall(SENDER.to_vec()))
        .expect(json!({ "error": null, "outputs": [{ "output": "recall_noted" }] }))
        .step(T0 + 1, recv(T0, 3600, 0))
        .expect(destroyed_now("recalled")),
        sc(
            "recall-limit-fifth-not-noted",
            "A fifth early recaller is refused and not noted: when the message arrives from it, it is stored.",
            &["EXP-032"],
            &["RefusedStep"],
        )
        .step(T0, Ev::Recall(b"d1".to_vec()))
        .step(T0, Ev::Recall(b"d2".to_vec()))
        .step(T0, Ev::Recall(b"d3".to_vec()))
        .step(T0, Ev::Recall(b"d4".to_vec()))
        .step(T0, Ev::Recall(SENDER.to_vec()))
        .expect(refused("expiry.recall_limit"))
        .step(T0 + 1, recv(T0, 3600, 0))
        .expect(json!({ "phase": "unread", "deadline": T0 + 3600 })),
        sc(
            "recall-note-kept-past-a-year",
            "A recall note outlives the longest lifetime: at T0 + 31,536,000 (a year, without the skew tolerance) the \
             message arriving from the noted sender is still recalled.",
            &["EXP-032"],
            &["Before"],
        )
        .step(T0, Ev::Recall(SENDER.to_vec()))
        .step(T0 + u64::from(MAX_TTL), recv(T0 + u64::from(MAX_TTL), 60, 0))
        .expect(destroyed_now("recalled")),
        sc(
            "recall-note-forgotten-at-first-fix",
            "Two further recalls from other devices do not move forget_at: at the first recall's T + 31,536,300 a \
             message from the last recaller is stored.",
            &["EXP-032"],
            &["At"],
        )
        .step(T0, Ev::Recall(STRANGER.to_vec()))
        .step(T0 + 500, Ev::Recall(b"d2".to_vec()))
        .step(T0 + 5000, Ev::Recall(SENDER.to_vec()))
        .step(T0 + memory, recv(T0 + memory, 60, 0))
        .expect(json!({ "phase": "unread", "outputs": [{ "output": "recall_forgotten" }, { "output": "stored", "deadline": T0 + memory + 60, "skewed": false }] })),
    ]
}

/// Second witnesses for the bounds of EXP-050, and `receive`'s check order: the phase is looked at
/// before the bounds (EXP-050), so a copy of a live or destroyed message is refused for its phase
/// even when its fields are out of range (each such case pins that order; it has two faults).
fn bounds_second_witnesses() -> Vec<Scenario> {
    let long = vec![b's'; 65];
    vec![
        sc(
            "ttl-above-max-under-cap",
            "ttl = 31,536,001 is refused even under a cap of 60 that would bound it (EXP-050 before the cap).",
            &["EXP-050", "EXP-014"],
            &["RefusedStep"],
        )
        .cap(Some(60))
        .step(T0, recv(T0, MAX_TTL + 1, 0))
        .expect(json!({ "error": "expiry.invalid_message", "phase": "absent", "outputs": [] })),
        sc(
            "bor-above-max-after-recall-note",
            "bor = 31,536,001 from a stranger, with a recall note from another device: refused, the note kept.",
            &["EXP-050", "EXP-032"],
            &["RefusedStep"],
        )
        .step(T0, Ev::Recall(STRANGER.to_vec()))
        .step(T0 + 1, recv(T0, 60, MAX_TTL + 1))
        .expect(json!({ "error": "expiry.invalid_message", "phase": "recall_noted" })),
        sc(
            "sender-65-then-64",
            "A 65-byte sender is refused and nothing is stored; the same message from a 64-byte sender then is.",
            &["EXP-050"],
            &["RefusedStep"],
        )
        .step(T0, recv_from(&long, T0, 60, 0))
        .expect(json!({ "error": "expiry.invalid_message", "phase": "absent" }))
        .step(T0 + 1, recv_from(&long[..64], T0, 60, 0))
        .expect(json!({ "phase": "unread", "deadline": T0 + 60 })),
        sc(
            "sender-empty-after-recall-note",
            "An empty sender ID is refused in recall_noted as in absent.",
            &["EXP-050"],
            &["RefusedStep"],
        )
        .step(T0, Ev::Recall(SENDER.to_vec()))
        .step(T0 + 1, recv_from(b"", T0, 60, 0))
        .expect(json!({ "error": "expiry.invalid_message", "phase": "recall_noted" })),
        sc(
            "receive-out-of-range-while-live",
            "Pins receive's order: the phase first. A second copy with ttl = 0 while the message is unread is a \
             duplicate, not invalid.",
            &["EXP-050", "EXP-041"],
            &["RefusedStep"],
        )
        .step(T0, recv(T0, 3600, 0))
        .step(T0 + 1, recv(T0, 0, 0))
        .expect(json!({ "error": "expiry.duplicate", "phase": "unread" })),
        sc(
            "receive-out-of-range-while-read",
            "Pins receive's order: a copy with a 65-byte sender while the message is read is a duplicate.",
            &["EXP-050", "EXP-041"],
            &["RefusedStep"],
        )
        .step(T0, recv(T0, 3600, 0))
        .step(T0 + 1, Ev::Read)
        .step(T0 + 2, recv_from(&long, T0, 60, 0))
        .expect(json!({ "error": "expiry.duplicate", "phase": "read" })),
        sc(
            "receive-out-of-range-after-destroyed",
            "Pins receive's order: a copy with bor = 31,536,001 after the message was deleted is refused as \
             destroyed.",
            &["EXP-050", "EXP-041"],
            &["RefusedStep"],
        )
        .step(T0, recv(T0, 3600, 0))
        .step(T0 + 1, Ev::Delete)
        .step(T0 + 2, recv(T0, 60, MAX_TTL + 1))
        .expect(json!({ "error": "expiry.destroyed", "reason": "deleted" })),
        sc(
            "receive-out-of-range-after-device-removed",
            "Pins receive's order: after device removal, a copy with ttl = 0 is refused as destroyed.",
            &["EXP-050", "EXP-040"],
            &["RefusedStep"],
        )
        .step(T0, Ev::Removed)
        .step(T0 + 1, recv(T0, 0, 0))
        .expect(json!({ "error": "expiry.destroyed", "reason": "device_removed" })),
    ]
}

/// Second witnesses for the cap (EXP-014): stored before arrival, cleared, and a read message
/// destroyed by a lower cap (reason `expired`, never `burned`).
fn cap_second_witnesses() -> Vec<Scenario> {
    vec![
        sc(
            "cap-set-while-recall-noted",
            "A cap set while only a recall note is here is stored: a message from another sender is then capped.",
            &["EXP-014"],
            &[],
        )
        .step(T0, Ev::Recall(STRANGER.to_vec()))
        .step(T0 + 1, Ev::Cap(Some(120)))
        .step(T0 + 2, recv(T0 + 2, 3600, 0))
        .expect(json!({ "phase": "unread", "deadline": T0 + 122 })),
        sc(
            "cap-cleared-before-arrival",
            "A machine created with a cap of 60 whose cap is cleared before the message arrives: ttl applies whole.",
            &["EXP-014", "EXP-002"],
            &[],
        )
        .cap(Some(60))
        .step(T0, Ev::Cap(None))
        .step(T0 + 1, recv(T0, 3600, 0))
        .expect(json!({ "phase": "unread", "deadline": T0 + 3600 })),
        sc(
            "cap-set-then-cleared-before-arrival",
            "A cap set and then cleared while nothing is here bounds nothing.",
            &["EXP-014", "EXP-002"],
            &[],
        )
        .step(T0, Ev::Cap(Some(100)))
        .step(T0 + 1, Ev::Cap(None))
        .step(T0 + 2, recv(T0, 600, 0))
        .expect(json!({ "phase": "unread", "deadline": T0 + 600 })),
        sc(
            "cap-destroys-read-message-expired",
            "A read message with a burn deadline ahead: a cap already reached destroys it with reason expired, not \
             burned.",
            &["EXP-014", "EXP-003"],
            &[],
        )
        .step(T0, recv(T0, 3600, 600))
        .step(T0 + 100, Ev::Read)
        .step(T0 + 200, Ev::Cap(Some(50)))
        .expect(destroyed_now("expired")),
        sc(
            "cap-destroys-read-message-in-transit",
            "A message that spent 100 s in transit, read at once: a cap of 100 is already reached (start + 100 = \
             now), so it is destroyed, reason expired.",
            &["EXP-014", "EXP-003", "EXP-012"],
            &["At"],
        )
        .step(T0, recv(T0 - 100, 3600, 30))
        .step(T0, Ev::Read)
        .step(T0, Ev::Cap(Some(100)))
        .expect(destroyed_now("expired")),
    ]
}

/// Fixed-seed walks over every event kind, to cover combinations no one wrote by hand.
fn walk_scenarios(count: usize) -> Vec<Scenario> {
    let bytes = filler("expiry walks", count * 64);
    let mut v = Vec::new();
    for (n, chunk) in bytes.chunks(64).enumerate().take(count) {
        let mut at = T0;
        let cap = match chunk[0] % 4 {
            0 => Some(300 + u32::from(chunk[1]) * 10),
            _ => None,
        };
        let mut s =
            sc(format!("walk-{n:03}"), "A fixed-seed walk over every event kind.", &["EXP-003", "EXP-022"], &["Walk"])
                .cap(cap);
        let steps = 4 + usize::from(chunk[2] % 7);
        for i in 0..steps {
            let r = chunk[3 + i * 5..3 + i * 5 + 5].to_vec();
            // Time moves forward mostly, sometimes back (EXP-020).
            let delta = u64::from(r[0]) * u64::from(r[1] % 8 + 1);
            at = if r[1] % 11 == 0 { at.saturating_sub(delta) } else { at + delta };
            let ev = match r[2] % 12 {
                0..=2 => recv(T0 + u64::from(r[3]), 60 + u32::from(r[4]) * 7, u32::from(r[3] % 4) * 40),
                3 | 4 => Ev::Read,
                5 | 6 => Ev::Tick,
                7 => Ev::Recall(if r[3] % 3 == 0 { STRANGER.to_vec() } else { SENDER.to_vec() }),
                8 => Ev::Delete,
                9 => Ev::Cap(if r[3] % 2 == 0 { Some(100 + u32::from(r[4]) * 5) } else { None }),
                10 => Ev::Reset,
                _ => Ev::Removed,
            };
            s = s.step(at, ev);
        }
        v.push(s);
    }
    v
}

fn chain(mut first: Vec<Scenario>, second: Vec<Scenario>) -> Vec<Scenario> {
    first.extend(second);
    first
}

fn group(name: &str, description: &str, scenarios: Vec<Scenario>) -> Result<Group, GenerateError> {
    let mut g = Group::new(name, "expiry.scenario", description);
    let id = {
        let mut id = [0u8; 16];
        id.copy_from_slice(&filler("expiry message id", 16));
        id
    };
    for s in scenarios {
        let args = json!({
            "messageId": hex::encode(id),
            "cap": s.cap,
            "events": s.steps.iter().map(|(at, ev)| ev.json(*at)).collect::<Vec<_>>(),
        });
        let case = Case { id: &s.id, comment: &s.comment, requirements: &s.requirements, flags: &s.flags };
        // The expectation comes from the args as written, read back the way an adapter reads them.
        let result = scenario(&args)
            .map_err(|e| GenerateError(format!("{}: the generator wrote args it cannot read: {e}", s.id)))?;
        push_scenario(&mut g, &case, args, result.map_err(|e| e.code()), s.creation_error, &s.checks)?;
    }
    Ok(g)
}

/// Builds `vectors/expiry.json`.
///
/// # Errors
/// When the reference disagrees with a hand-written expectation.
pub fn generate() -> Result<VectorFile, GenerateError> {
    let groups = vec![
        group(
            "deadlines",
            "Expiry and burn deadlines one second before, at and after (EXP-010..EXP-012).",
            boundary_scenarios(),
        )?
        .finish(),
        group(
            "cap",
            "The administrator's cap at receive and changed later (EXP-014).",
            chain(cap_scenarios(), cap_second_witnesses()),
        )?
        .finish(),
        group(
            "clock",
            "Clock jumps, skewed senders and saturation (EXP-013, EXP-020, EXP-021).",
            chain(clock_scenarios(), clock_second_witnesses()),
        )?
        .finish(),
        group(
            "recall",
            "Recall by the sender, by strangers, twice, and before arrival (EXP-030..EXP-032).",
            chain(recall_scenarios(), recall_second_witnesses()),
        )?
        .finish(),
        group(
            "destruction",
            "Delete, password reset, device removal; destroyed is final (EXP-040, EXP-041).",
            destruction_scenarios(),
        )?
        .finish(),
        group("bounds", "Message bounds (EXP-050).", chain(bounds_scenarios(), bounds_second_witnesses()))?.finish(),
        group("walks", "Fixed-seed walks over every event kind (EXP-003, EXP-022).", walk_scenarios(110))?.finish(),
    ];
    Ok(file("expiry", SPEC_VERSION, HEADER, NOTES, groups))
}
