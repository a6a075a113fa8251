//! A small composed system (spec/system.md section 5): the retention server and the expiry copies
//! on the recipients' devices together, with a network that may reorder, duplicate and drop, device
//! clocks that lag or jump back, and an administrator's cap. Checked against SYS-018 and SYS-019.
//!
//! The next-state functions are the reference's: `cinder::retention::Server::handle` for the
//! server (held directly: it is `Clone`) and `cinder::expiry::Message::handle` for each device's
//! copy (not `Clone`: each copy is the log of its events, replayed; its projection is its `Debug`
//! view, which shows clock, cap, phase and deadlines but never the content). The session layer is
//! abstracted: a copy the server hands a device is opened there, and a copy nobody fetched never
//! arrives.
//!
//! The world: alice's phone sends one message (`ttl` 10 s, burn-on-read 4 s) to a room of alice
//! and bob; bob's phone, bob's tablet (added later, if at all) and carol's desktop (carol joins the
//! room later, if at all) may fetch it. A fetched copy is in flight: the network delivers it any
//! number of times, or never, in any order with the sender's recall; when time passes, it passes on
//! every device (a `tick` of each copy at the device's clock). Carol's clock lags the
//! server's by 3 s, and bob's phone's clock may jump back 5 s once; the administrator may cap every
//! device at 6 s.

use core::fmt::{self, Write as _};
use core::hash::{Hash, Hasher};
use std::collections::{BTreeMap, BTreeSet};

use cinder::expiry::{Event as ExEvent, Incoming, Message, Output as ExOutput};
use cinder::retention::{Config, Event, Platform, Profile, Reply, Server, Store};
use serde_json::{Value, json};
use stateright::{Model, Property};

use crate::check::{HashWriter, Scenario};
use crate::retention::{Acct, Dev};

/// The time alice sends at (the server's clock and alice's agree).
pub const T0: u64 = crate::retention::T0;
/// The message's `ttl`.
pub const TTL: u32 = 10;
/// Its burn-on-read seconds.
pub const BOR: u32 = 4;
/// The administrator's cap.
pub const CAP: u32 = 6;
/// The server's configured cap.
pub const SERVER_CAP: u32 = 30;
/// The message ID.
pub const MESSAGE_ID: [u8; 16] = *b"cinder-system-m0";
/// The content (its identity).
pub const CONTENT: &[u8] = b"burn after reading";
/// The envelope the server holds (opaque to it).
pub const ENVELOPE: &[u8] = b"an envelope of the system model";
/// The room.
pub const ROOM: &[u8] = crate::retention::ROOM;
/// The devices that may receive.
pub const RECEIVERS: [Dev; 3] = [Dev::B1, Dev::B2, Dev::C1];

/// One model action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Act {
    /// Alice's phone sends the message: the server stores it.
    Store,
    /// A device fetches from the server.
    Fetch(Dev),
    /// The network delivers a fetched copy to its device (again, if it did before).
    Deliver(Dev),
    /// A device acknowledges the message to the server.
    Ack(Dev),
    /// The user of a device opens the message.
    Read(Dev),
    /// Alice's phone recalls the message (at the server; the recall is then in flight).
    Recall,
    /// The network delivers the recall to a device.
    RecallArrives(Dev),
    /// Bob adds his tablet.
    AddTablet,
    /// Carol joins the room.
    JoinCarol,
    /// The administrator caps every device at 6 s.
    SetCap,
    /// Bob's phone's clock jumps back 5 s.
    ClockBack,
    /// Time passes to this server time.
    Tick(u64),
}

/// An event of a device's copy: what, at which device time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CopyEvent {
    /// The copy arrives.
    Receive,
    /// It is opened.
    Read,
    /// The sender's recall arrives.
    Recall,
    /// The administrator's cap.
    SetCap,
    /// Time passes on the device.
    Tick,
}

/// What the model knows of one device's copy.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct CopyGhost {
    /// The device's highest clock.
    pub high: u64,
    /// The device time of the first arrival.
    pub arrived: Option<u64>,
    /// The device time of the first read that showed the content.
    pub first_read: Option<u64>,
    /// The smallest cap in force while the copy lived.
    pub cap: Option<u32>,
    /// The recall arrived.
    pub recalled: bool,
    /// The recall arrived before the copy.
    pub recall_first: bool,
    /// The content was shown.
    pub shown: bool,
    /// Readable after the last event.
    pub readable: bool,
}

impl CopyGhost {
    /// Whether the content may no longer be readable: recalled, or its deadline
    /// `min(min(sent_at, arrival) + min(ttl, cap), first read + bor)` reached on the device's
    /// highest clock.
    fn must_be_gone(&self, sent_at: u64) -> bool {
        let Some(arrived) = self.arrived else { return self.recalled };
        let ttl = self.cap.map_or(TTL, |c| TTL.min(c));
        let mut deadline = sent_at.min(arrived).saturating_add(u64::from(ttl));
        if let Some(read) = self.first_read {
            deadline = deadline.min(read.saturating_add(u64::from(BOR)));
        }
        self.recalled || self.high >= deadline
    }
}

/// The model's record of what it asked and saw.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Ghost {
    /// The server's time.
    pub now: u64,
    /// When the message was stored.
    pub stored: Option<u64>,
    /// Devices the server handed the message to.
    pub fetched: BTreeSet<Dev>,
    /// Devices registered, or of accounts that joined, after the store.
    pub late: BTreeSet<Dev>,
    /// The tablet was added.
    pub tablet: bool,
    /// Carol joined.
    pub carol: bool,
    /// The recall was sent.
    pub recalled: bool,
    /// The administrator's cap is set.
    pub capped: bool,
    /// Bob's phone's clock jumped back.
    pub jumped: bool,
    /// Each device's copy.
    pub copies: BTreeMap<Dev, CopyGhost>,
}

impl Ghost {
    /// How far a device's clock is behind the server's.
    #[must_use]
    pub fn lag(&self, d: Dev) -> u64 {
        match d {
            Dev::C1 => 3,
            Dev::B1 if self.jumped => 5,
            _ => 0,
        }
    }
}

/// A model state.
#[derive(Clone)]
pub struct SysState {
    /// The actions so far, after the setup.
    pub log: Vec<Act>,
    /// The server.
    pub server: Server,
    /// Each device's copy: its events at device times.
    pub copies: BTreeMap<Dev, Vec<(CopyEvent, u64)>>,
    /// Each copy's public view (`Debug`, no content), derived from `copies`.
    pub views: BTreeMap<Dev, String>,
    /// The ghost.
    pub ghost: Ghost,
}

impl fmt::Debug for SysState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} {:?} {:?}", self.log, self.views, self.ghost)
    }
}

impl PartialEq for SysState {
    fn eq(&self, other: &Self) -> bool {
        (&self.server, &self.views, &self.ghost) == (&other.server, &other.views, &other.ghost)
    }
}

impl Eq for SysState {}

impl Hash for SysState {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let _ = write!(HashWriter(state), "{:?}", self.server);
        self.views.hash(state);
        self.ghost.hash(state);
    }
}

/// The composed model.
#[derive(Clone, Debug)]
pub struct SystemModel {
    /// The bound: at most this many actions after the setup.
    pub depth: usize,
}

fn server_event(act: Act, now: u64) -> Option<Event<'static>> {
    Some(match act {
        Act::Store => Event::Store(Store {
            device: Dev::A1.id(),
            message_id: MESSAGE_ID,
            conversation: ROOM,
            sent_at: now,
            ttl: TTL,
            ciphertext: ENVELOPE,
        }),
        Act::Fetch(d) => Event::Fetch { device: d.id() },
        Act::Ack(d) => Event::Ack { device: d.id(), message_id: MESSAGE_ID },
        Act::Recall => Event::Recall { device: Dev::A1.id(), message_id: MESSAGE_ID },
        Act::AddTablet => Event::AddDevice { account: Acct::Bob.id(), device: Dev::B2.id(), platform: Platform::Ios },
        Act::JoinCarol => Event::Join { account: Acct::Carol.id(), conversation: ROOM },
        Act::Tick(_) => Event::Tick,
        _ => return None,
    })
}

/// The server events that set the world up: alice, bob and carol with one device each, alice and
/// bob in the room.
fn setup() -> Vec<Event<'static>> {
    let mut out: Vec<Event<'static>> =
        [Acct::Alice, Acct::Bob, Acct::Carol].iter().map(|a| Event::Register { account: a.id() }).collect();
    for d in [Dev::A1, Dev::B1, Dev::C1] {
        out.push(Event::AddDevice { account: d.owner().id(), device: d.id(), platform: Platform::Ios });
    }
    for a in [Acct::Alice, Acct::Bob] {
        out.push(Event::Join { account: a.id(), conversation: ROOM });
    }
    out
}

/// Replays a copy's events; its outputs are passed to `seen`.
fn replay_copy(
    events: &[(CopyEvent, u64)],
    cap: Option<u32>,
    sent_at: u64,
    mut seen: impl FnMut(&ExOutput),
) -> Message {
    let Ok(mut m) = Message::new(MESSAGE_ID, cap) else { unreachable!("the model's caps are valid") };
    for (event, at) in events {
        let ev = match event {
            CopyEvent::Receive => {
                ExEvent::Receive(Incoming { sender: Dev::A1.id(), sent_at, ttl: TTL, bor: BOR, content: CONTENT })
            }
            CopyEvent::Read => ExEvent::Read,
            CopyEvent::Recall => ExEvent::Recall { by: Dev::A1.id() },
            CopyEvent::SetCap => ExEvent::SetCap(Some(CAP)),
            CopyEvent::Tick => ExEvent::Tick,
        };
        let t = m.handle(ev, *at);
        for output in t.outputs.iter() {
            seen(output);
        }
        m = t.state;
    }
    m
}

impl SystemModel {
    /// The model to `depth` actions.
    #[must_use]
    pub const fn new(depth: usize) -> Self {
        Self { depth }
    }

    fn step(state: &mut SysState, act: Act) {
        let g = &mut state.ghost;
        if let Act::Tick(t) = act {
            g.now = g.now.max(t);
        }
        let now = g.now;
        if let Some(event) = server_event(act, now) {
            let step = state.server.handle(&event, now);
            let ok = step.result.is_ok();
            match act {
                Act::Store if ok => g.stored = Some(now),
                Act::Fetch(d) => {
                    if let Ok(Reply::Messages(list)) = &step.result
                        && list.iter().any(|m| m.message_id == MESSAGE_ID)
                    {
                        g.fetched.insert(d);
                    }
                }
                Act::Recall if ok => g.recalled = true,
                Act::AddTablet if ok => {
                    g.tablet = true;
                    if g.stored.is_some() {
                        g.late.insert(Dev::B2);
                    }
                }
                Act::JoinCarol if ok => {
                    g.carol = true;
                    if g.stored.is_some() {
                        g.late.insert(Dev::C1);
                    }
                }
                _ => {}
            }
        }
        let copy_event = match act {
            Act::Deliver(d) => Some((d, CopyEvent::Receive)),
            Act::Read(d) => Some((d, CopyEvent::Read)),
            Act::RecallArrives(d) => Some((d, CopyEvent::Recall)),
            _ => None,
        };
        match act {
            Act::SetCap => {
                g.capped = true;
                for (d, events) in &mut state.copies {
                    events.push((CopyEvent::SetCap, now.saturating_sub(g.lag(*d))));
                }
            }
            Act::ClockBack => g.jumped = true,
            // Time passes on every device too.
            Act::Tick(_) => {
                for (d, events) in &mut state.copies {
                    events.push((CopyEvent::Tick, now.saturating_sub(g.lag(*d))));
                }
            }
            _ => {}
        }
        if let Some((d, event)) = copy_event {
            let at = now.saturating_sub(g.lag(d));
            state.copies.entry(d).or_default().push((event, at));
        }
        // Every copy's view and ghost, from its events.
        let sent_at = g.stored.unwrap_or(T0);
        let cap = g.capped.then_some(CAP);
        for (d, events) in &state.copies {
            let mut c = CopyGhost::default();
            let mut high = 0;
            for (event, at) in events {
                high = high.max(*at);
                match event {
                    CopyEvent::Receive if c.arrived.is_none() => c.arrived = Some(high),
                    CopyEvent::Read if c.first_read.is_none() && c.arrived.is_some() => c.first_read = Some(high),
                    CopyEvent::Recall => {
                        c.recalled = true;
                        c.recall_first |= c.arrived.is_none();
                    }
                    _ => {}
                }
            }
            // The cap is in force from the copy's creation (set before it) or from its set_cap
            // event; it is never cleared, so it bounds the copy if it arrived at all.
            let created_capped = g.capped && !events.iter().any(|(e, _)| *e == CopyEvent::SetCap);
            let cap_min = (g.capped && c.arrived.is_some()).then_some(CAP);
            c.cap = cap_min;
            c.high = high;
            let mut shown = false;
            let m = replay_copy(events, if created_capped { cap } else { None }, sent_at, |o| {
                if matches!(o, ExOutput::Shown { .. }) {
                    shown = true;
                }
            });
            c.shown = shown;
            c.readable = m.readable();
            if !shown {
                c.first_read = None;
            }
            state.views.insert(*d, format!("{m:?}"));
            g.copies.insert(*d, c);
        }
        state.log.push(act);
    }

    /// Every time point that matters after `now`: the message's expiry, burn and cap deadlines
    /// on every device clock, the server's deadline, and one second before each.
    fn times(g: &Ghost) -> Vec<u64> {
        let base = g.stored.unwrap_or(T0);
        let mut points = BTreeSet::new();
        for offset in [u64::from(BOR), u64::from(CAP), u64::from(TTL)] {
            for lag in [0, 3, 5] {
                let t = base + offset + lag;
                points.insert(t - 1);
                points.insert(t);
            }
        }
        for c in g.copies.values() {
            if let Some(read) = c.first_read {
                points.insert(read + u64::from(BOR));
            }
        }
        points.insert(base + u64::from(SERVER_CAP));
        points.into_iter().filter(|t| *t > g.now).collect()
    }
}

/// The properties, by name (spec/system.md).
pub mod props {
    /// SYS-018.
    pub const GONE_EVERYWHERE: &str =
        "SYS-018 end to end, content is gone from every device by its deadline and never readable again";
    /// SYS-019.
    pub const LATE_SEE_NOTHING: &str =
        "SYS-019 no device added and no member who joined after a message was sent ever sees it";
}

impl Model for SystemModel {
    type State = SysState;
    type Action = Act;

    fn init_states(&self) -> Vec<SysState> {
        let Ok(config) = Config::new(Profile::Consumer, Some(SERVER_CAP)) else { unreachable!("a consumer cap") };
        let mut server = Server::new(config);
        for event in setup() {
            let _ = server.handle(&event, T0);
        }
        let ghost = Ghost { now: T0, ..Ghost::default() };
        vec![SysState { log: Vec::new(), server, copies: BTreeMap::new(), views: BTreeMap::new(), ghost }]
    }

    fn actions(&self, state: &SysState, actions: &mut Vec<Act>) {
        let g = &state.ghost;
        if g.stored.is_none() {
            actions.push(Act::Store);
        }
        for d in RECEIVERS {
            actions.push(Act::Fetch(d));
            if g.fetched.contains(&d) {
                actions.extend([Act::Deliver(d), Act::Ack(d)]);
            }
            if state.copies.contains_key(&d) {
                actions.push(Act::Read(d));
            }
            if g.recalled {
                actions.push(Act::RecallArrives(d));
            }
        }
        if g.stored.is_some() && !g.recalled {
            actions.push(Act::Recall);
        }
        if !g.tablet {
            actions.push(Act::AddTablet);
        }
        if !g.carol {
            actions.push(Act::JoinCarol);
        }
        if !g.capped {
            actions.push(Act::SetCap);
        }
        if !g.jumped {
            actions.push(Act::ClockBack);
        }
        actions.extend(Self::times(g).into_iter().map(Act::Tick));
    }

    fn next_state(&self, state: &SysState, action: Act) -> Option<SysState> {
        let mut next = state.clone();
        Self::step(&mut next, action);
        Some(next)
    }

    fn within_boundary(&self, state: &SysState) -> bool {
        state.log.len() <= self.depth
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always(props::GONE_EVERYWHERE, |_: &Self, s: &SysState| {
                let sent_at = s.ghost.stored.unwrap_or(T0);
                s.ghost.copies.values().all(|c| !c.readable || !c.must_be_gone(sent_at))
            }),
            Property::always(props::LATE_SEE_NOTHING, |_: &Self, s: &SysState| {
                s.ghost.late.iter().all(|d| s.ghost.copies.get(d).is_none_or(|c| !c.shown && !c.readable))
            }),
            Property::sometimes(
                "example: shown, then gone while the server still holds it",
                |_: &Self, s: &SysState| {
                    s.server.held_count() > 0 && s.ghost.copies.values().any(|c| c.shown && !c.readable)
                },
            ),
            Property::sometimes("example: the recall arrives before the copy", |_: &Self, s: &SysState| {
                s.ghost.copies.values().any(|c| c.recall_first && c.arrived.is_some())
            }),
        ]
    }
}

impl Scenario for SystemModel {
    const PART: &'static str = "system";

    /// A composed path as one scenario per chapter: the server's events as a `retention.scenario`
    /// and each device's copy as an `expiry.scenario`.
    fn scenario_args(&self, init: &SysState, actions: &[Act]) -> Value {
        let mut state = init.clone();
        let hex_account = |a: Acct| hex::encode(a.id().0);
        let room = hex::encode(ROOM);
        let mut server_events: Vec<Value> = Vec::new();
        for a in [Acct::Alice, Acct::Bob, Acct::Carol] {
            server_events.push(json!({ "at": T0, "event": "register", "account": hex_account(a) }));
        }
        for d in [Dev::A1, Dev::B1, Dev::C1] {
            server_events.push(json!({ "at": T0, "event": "add_device", "account": hex_account(d.owner()),
                                       "device": hex::encode(d.id()), "platform": "ios" }));
        }
        for a in [Acct::Alice, Acct::Bob] {
            server_events.push(json!({ "at": T0, "event": "join", "account": hex_account(a), "conversation": room }));
        }
        for act in actions {
            Self::step(&mut state, *act);
            let at = state.ghost.now;
            let device = |d: Dev| hex::encode(d.id());
            let id = hex::encode(MESSAGE_ID);
            let event = match act {
                Act::Store => Some(json!({ "at": at, "event": "store", "device": device(Dev::A1), "messageId": id,
                    "conversation": room, "sentAt": at, "ttl": TTL, "ciphertext": hex::encode(ENVELOPE) })),
                Act::Fetch(d) => Some(json!({ "at": at, "event": "fetch", "device": device(*d) })),
                Act::Ack(d) => Some(json!({ "at": at, "event": "ack", "device": device(*d), "messageId": id })),
                Act::Recall => Some(json!({ "at": at, "event": "recall", "device": device(Dev::A1), "messageId": id })),
                Act::AddTablet => Some(json!({ "at": at, "event": "add_device", "account": hex_account(Acct::Bob),
                    "device": device(Dev::B2), "platform": "ios" })),
                Act::JoinCarol => Some(
                    json!({ "at": at, "event": "join", "account": hex_account(Acct::Carol), "conversation": room }),
                ),
                Act::Tick(_) => Some(json!({ "at": at, "event": "tick" })),
                _ => None,
            };
            server_events.extend(event);
        }
        let sent_at = state.ghost.stored.unwrap_or(T0);
        let mut devices = serde_json::Map::new();
        for (d, events) in &state.copies {
            let created_capped = state.ghost.capped && !events.iter().any(|(e, _)| *e == CopyEvent::SetCap);
            let list: Vec<Value> = events
                .iter()
                .map(|(e, at)| match e {
                    CopyEvent::Receive => json!({ "at": at, "event": "receive", "sender": hex::encode(Dev::A1.id()),
                        "sentAt": sent_at, "ttl": TTL, "bor": BOR, "content": hex::encode(CONTENT) }),
                    CopyEvent::Read => json!({ "at": at, "event": "read" }),
                    CopyEvent::Recall => json!({ "at": at, "event": "recall", "by": hex::encode(Dev::A1.id()) }),
                    CopyEvent::SetCap => json!({ "at": at, "event": "set_cap", "cap": CAP }),
                    CopyEvent::Tick => json!({ "at": at, "event": "tick" }),
                })
                .collect();
            let cap = if created_capped { json!(CAP) } else { Value::Null };
            devices.insert(
                String::from_utf8_lossy(d.id()).into_owned(),
                json!({ "messageId": hex::encode(MESSAGE_ID), "cap": cap, "events": list }),
            );
        }
        json!({
            "retention": { "profile": "consumer", "cap": SERVER_CAP, "events": server_events },
            "expiry": devices,
        })
    }

    fn expected(&self, args: &Value) -> Value {
        let retention = match cinder_vectors::retention::scenario(&args["retention"]) {
            Ok(Ok(expected)) => expected,
            Ok(Err(e)) => json!({ "error": e.code() }),
            Err(message) => json!({ "unreadable": message }),
        };
        let mut expiry = serde_json::Map::new();
        if let Some(devices) = args["expiry"].as_object() {
            for (device, copy) in devices {
                let expected = match cinder_vectors::expiry::scenario(copy) {
                    Ok(Ok(expected)) => expected,
                    Ok(Err(e)) => json!({ "error": e.code() }),
                    Err(message) => json!({ "unreadable": message }),
                };
                expiry.insert(device.clone(), expected);
            }
        }
        json!({ "retention": retention, "expiry": expiry })
    }
}
