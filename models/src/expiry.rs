//! One message copy on one device (spec/expiry.md), checked against the promises of
//! spec/system.md: SYS-001, SYS-002, SYS-003, SYS-004, SYS-005, SYS-006.
//!
//! The next-state function is `cinder::expiry::Message::handle`. A [`CopyState`] is the log of
//! actions taken so far plus the projection that decides its future: the machine's public view
//! (`Debug`, which shows clock, cap and phase with its deadlines; `expires_at`; `readable`) and
//! the ghost below. The machine itself is rebuilt by replaying the log (it holds the content in
//! zeroizing storage and is not `Clone`); the content is modelled by its identity, the one body
//! every copy of the model's message has.
//!
//! Time is abstracted to the points that matter for a configuration: the send time, every
//! deadline the chapter can compute from the message's `ttl`, `bor` and the administrator's caps,
//! and one second either side. Any event may happen at any of these points, in any order, so the
//! device clock may also jump back.

use core::fmt;
use core::hash::{Hash, Hasher};
use std::collections::BTreeSet;

use cinder::expiry::{Event, ExpiryError, Incoming, Message, Output, Phase, Reason};
use serde_json::{Value, json};
use stateright::{Model, Property};

use crate::check::Scenario;

/// The message ID of every model copy.
pub const MESSAGE_ID: [u8; 16] = *b"cinder-model-msg";
/// The sending device.
pub const SENDER: &[u8] = b"alice-phone";
/// A device that did not send the message (a fellow room member).
pub const STRANGER: &[u8] = b"mallory-phone";
/// The content (its identity: every copy has this one body).
pub const CONTENT: &[u8] = b"burn after reading";

/// Who sends a recall.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Recaller {
    /// The message's sender.
    Sender,
    /// Another device.
    Stranger,
}

impl Recaller {
    const fn id(self) -> &'static [u8] {
        match self {
            Self::Sender => SENDER,
            Self::Stranger => STRANGER,
        }
    }
}

/// A model event (EXP-002); `Receive` is always the configuration's message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ev {
    /// The message arrives (again, if it is redelivered or replayed).
    Receive,
    /// The user opens it.
    Read,
    /// Time passes.
    Tick,
    /// A recall arrives.
    Recall(Recaller),
    /// The user deletes it.
    Delete,
    /// The password is reset.
    PasswordReset,
    /// The device is removed.
    DeviceRemoved,
    /// The administrator sets or clears the cap.
    SetCap(Option<u32>),
}

/// One action: an event at a device time.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Act {
    /// The device clock's `now`.
    pub now: u64,
    /// The event.
    pub ev: Ev,
}

impl fmt::Debug for Act {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}@{}", self.ev, self.now)
    }
}

/// One configuration: the message and the time points that matter for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// A name for reports.
    pub name: &'static str,
    /// The message's `sent_at`.
    pub sent_at: u64,
    /// Its `ttl`.
    pub ttl: u32,
    /// Its `bor` (0: off).
    pub bor: u32,
    /// The device times events happen at.
    pub times: Vec<u64>,
    /// The caps the administrator may set (`None` clears).
    pub caps: Vec<Option<u32>>,
}

/// The configurations of the exhaustive check. With `sent_at = 100`, `ttl = 10`, `bor = 4` and a
/// cap of 6: expiry at 110, a cap deadline at 106, a burn deadline at 104 for a read at 100 and
/// beyond expiry (111) for a read at 107; every one of them, and one second either side, is a
/// time point.
#[must_use]
pub fn configs() -> Vec<Config> {
    let times = vec![100, 103, 104, 105, 106, 107, 109, 110, 111];
    let caps = vec![Some(6), Some(20), None];
    let top = u64::MAX;
    vec![
        Config { name: "burn-on-read", sent_at: 100, ttl: 10, bor: 4, times: times.clone(), caps: caps.clone() },
        Config { name: "burn-off", sent_at: 100, ttl: 10, bor: 0, times: times.clone(), caps: caps.clone() },
        // The sender's clock is 400 s ahead of the device's (beyond the 300 s tolerance).
        Config { name: "sender-ahead", sent_at: 500, ttl: 10, bor: 4, times, caps },
        // Deadlines that saturate at 2^64 - 1 (EXP-013).
        Config {
            name: "saturating",
            sent_at: top - 5,
            ttl: 10,
            bor: 4,
            times: vec![top - 5, top - 2, top - 1, top],
            caps: vec![Some(6), None],
        },
    ]
}

/// A state-machine bug of `cinder-broken-adapter --list-bugs` (conformance/broken/expiry.rs),
/// reproduced by a wrapper around the reference: each changes what the reference is fed, or
/// rebuilds its machine, so that the copy behaves as the broken implementation's does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Bug {
    /// `expiry-readable-at-deadline`.
    ReadableAtDeadline,
    /// `expiry-burn-extends-expiry`.
    BurnExtendsExpiry,
    /// `expiry-burn-restarts-on-every-read`.
    BurnRestartsOnEveryRead,
    /// `expiry-burn-zero-burns-at-once`.
    BurnZeroBurnsAtOnce,
    /// `expiry-ttl-counted-from-receipt`.
    TtlCountedFromReceipt,
    /// `expiry-sender-clock-trusted`.
    SenderClockTrusted,
    /// `expiry-deadline-addition-wraps`.
    DeadlineAdditionWraps,
    /// `expiry-cap-ignored-at-receive`.
    CapIgnoredAtReceive,
    /// `expiry-cap-raises-deadline`.
    CapRaisesDeadline,
    /// `expiry-clock-follows-backward-jump`.
    ClockFollowsBackwardJump,
    /// `expiry-stranger-recall-honoured`.
    StrangerRecallHonoured,
    /// `expiry-early-recall-from-anyone`.
    EarlyRecallFromAnyone,
    /// `expiry-early-recall-dropped`.
    EarlyRecallDropped,
    /// `expiry-redelivery-revives-destroyed`.
    RedeliveryRevivesDestroyed,
    /// `expiry-delete-not-idempotent`.
    DeleteNotIdempotent,
}

impl Bug {
    /// Every bug, in the broken adapter's order.
    pub const ALL: [Self; 15] = [
        Self::ReadableAtDeadline,
        Self::BurnExtendsExpiry,
        Self::BurnRestartsOnEveryRead,
        Self::BurnZeroBurnsAtOnce,
        Self::TtlCountedFromReceipt,
        Self::SenderClockTrusted,
        Self::DeadlineAdditionWraps,
        Self::CapIgnoredAtReceive,
        Self::CapRaisesDeadline,
        Self::ClockFollowsBackwardJump,
        Self::StrangerRecallHonoured,
        Self::EarlyRecallFromAnyone,
        Self::EarlyRecallDropped,
        Self::RedeliveryRevivesDestroyed,
        Self::DeleteNotIdempotent,
    ];

    /// The broken adapter's name for the bug.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::ReadableAtDeadline => "expiry-readable-at-deadline",
            Self::BurnExtendsExpiry => "expiry-burn-extends-expiry",
            Self::BurnRestartsOnEveryRead => "expiry-burn-restarts-on-every-read",
            Self::BurnZeroBurnsAtOnce => "expiry-burn-zero-burns-at-once",
            Self::TtlCountedFromReceipt => "expiry-ttl-counted-from-receipt",
            Self::SenderClockTrusted => "expiry-sender-clock-trusted",
            Self::DeadlineAdditionWraps => "expiry-deadline-addition-wraps",
            Self::CapIgnoredAtReceive => "expiry-cap-ignored-at-receive",
            Self::CapRaisesDeadline => "expiry-cap-raises-deadline",
            Self::ClockFollowsBackwardJump => "expiry-clock-follows-backward-jump",
            Self::StrangerRecallHonoured => "expiry-stranger-recall-honoured",
            Self::EarlyRecallFromAnyone => "expiry-early-recall-from-anyone",
            Self::EarlyRecallDropped => "expiry-early-recall-dropped",
            Self::RedeliveryRevivesDestroyed => "expiry-redelivery-revives-destroyed",
            Self::DeleteNotIdempotent => "expiry-delete-not-idempotent",
        }
    }
}

/// What the model knows independently of the machine: what it asked for and what it saw. The
/// promises are stated over it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Ghost {
    /// The highest device time so far.
    pub high: u64,
    /// The administrator's cap in force (what the model last set successfully).
    pub cap: Option<u32>,
    /// The device time (`high`) of the first accepted arrival.
    pub received: Option<u64>,
    /// The smallest cap in force at or after the arrival.
    pub cap_min: Option<u32>,
    /// When the content was first shown.
    pub first_read: Option<u64>,
    /// The sender recalled the message (before or after it arrived).
    pub sender_recalled: bool,
    /// Devices whose recall came before the message.
    pub early_recallers: BTreeSet<Recaller>,
    /// A delete, a password reset after arrival, or a device removal happened.
    pub destroying_event: bool,
    /// The machine reported a destruction, or its phase was `destroyed`.
    pub destroyed_seen: bool,
    /// The machine reported `destroyed(recalled)`.
    pub recalled_seen: bool,
    /// A delete of an arrived message was refused.
    pub delete_refused: bool,
    /// The largest `shown` deadline beyond the promised expiry, if any (burn extended expiry).
    pub shown_past_expiry: bool,
    /// Live before and after the last step, with a later deadline after it.
    pub deadline_raised: bool,
    /// The last step's public view: readable, and the deadline.
    pub readable: bool,
    /// The deadline in force after the last step.
    pub deadline: Option<u64>,
}

impl Ghost {
    /// The expiry the product promises: counted from the send time (never later than arrival),
    /// bounded by every cap in force while the copy lived (saturating, EXP-013).
    #[must_use]
    pub fn promised_expiry(&self, cfg: &Config) -> Option<u64> {
        let received = self.received?;
        let start = cfg.sent_at.min(received);
        let ttl = self.cap_min.map_or(cfg.ttl, |c| cfg.ttl.min(c));
        Some(start.saturating_add(u64::from(ttl)))
    }

    /// The deadline the product promises: expiry, or the burn deadline after the first read if
    /// it is earlier.
    #[must_use]
    pub fn promised_deadline(&self, cfg: &Config) -> Option<u64> {
        let expiry = self.promised_expiry(cfg)?;
        match self.first_read {
            Some(read) if cfg.bor > 0 => Some(expiry.min(read.saturating_add(u64::from(cfg.bor)))),
            _ => Some(expiry),
        }
    }

    /// Whether the content may no longer be readable: its promised deadline has been reached on
    /// the device's highest clock, or something that destroys it happened.
    #[must_use]
    pub fn entitled_gone(&self, cfg: &Config) -> bool {
        self.sender_recalled
            || self.destroying_event
            || self.promised_deadline(cfg).is_some_and(|deadline| self.high >= deadline)
    }
}

/// A model state: the log and the projection (see the module documentation).
#[derive(Clone)]
pub struct CopyState {
    /// Which configuration.
    pub config: usize,
    /// The actions so far (the machine is their replay).
    pub log: Vec<Act>,
    /// The machine's public view after the log.
    pub view: View,
    /// The ghost after the log.
    pub ghost: Ghost,
}

impl fmt::Debug for CopyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} {:?}", self.view, self.ghost)
    }
}

impl PartialEq for CopyState {
    fn eq(&self, other: &Self) -> bool {
        (self.config, &self.view, &self.ghost) == (other.config, &other.view, &other.ghost)
    }
}

impl Eq for CopyState {}

impl Hash for CopyState {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self.config, &self.view, &self.ghost).hash(state);
    }
}

/// The expiry model.
#[derive(Clone, Debug)]
pub struct ExpiryModel {
    /// The configurations (one initial state each).
    pub configs: Vec<Config>,
    /// The injected bug, if any.
    pub bug: Option<Bug>,
    /// The bound: at most this many actions.
    pub depth: usize,
}

impl ExpiryModel {
    /// The model of the reference, to `depth` actions.
    #[must_use]
    pub fn new(depth: usize) -> Self {
        Self { configs: configs(), bug: None, depth }
    }

    /// The same model with a bug injected.
    #[must_use]
    pub fn with_bug(depth: usize, bug: Bug) -> Self {
        Self { bug: Some(bug), ..Self::new(depth) }
    }

    /// Replays `log` on a fresh machine: the machine and the ghost.
    #[must_use]
    pub fn replay(&self, config: usize, log: &[Act]) -> (Message, Ghost) {
        let cfg = &self.configs[config];
        let Ok(mut m) = Message::new(MESSAGE_ID, None) else { unreachable!("no cap is a valid cap") };
        let mut ghost = Ghost::default();
        for act in log {
            m = self.step(cfg, m, &mut ghost, *act);
        }
        (m, ghost)
    }

    /// One action through the (possibly broken) wrapper, updating the ghost.
    fn step(&self, cfg: &Config, m: Message, ghost: &mut Ghost, act: Act) -> Message {
        let live_before = m.readable();
        let deadline_before = m.deadline();
        let arrived_before = ghost.received.is_some();
        let mut feed = Feed { m: Some(m), outputs: Vec::new(), result: Ok(()) };
        self.drive(cfg, &mut feed, ghost, act);
        let m = feed.machine();
        // The ghost: what was asked...
        ghost.high = ghost.high.max(act.now);
        match act.ev {
            Ev::Receive if feed.result.is_ok() && ghost.received.is_none() => {
                ghost.received = Some(ghost.high);
                ghost.cap_min = ghost.cap;
            }
            Ev::SetCap(cap) if feed.result.is_ok() => {
                ghost.cap = cap;
                if let (true, Some(c)) = (ghost.received.is_some(), cap) {
                    ghost.cap_min = Some(ghost.cap_min.map_or(c, |old| old.min(c)));
                }
            }
            Ev::Recall(Recaller::Sender) => ghost.sender_recalled = true,
            Ev::Delete | Ev::PasswordReset if arrived_before => ghost.destroying_event = true,
            Ev::DeviceRemoved => ghost.destroying_event = true,
            _ => {}
        }
        if let Ev::Recall(who) = act.ev
            && !arrived_before
        {
            ghost.early_recallers.insert(who);
        }
        if act.ev == Ev::Delete && arrived_before && feed.result.is_err() {
            ghost.delete_refused = true;
        }
        // ...and what was seen.
        for output in &feed.outputs {
            match output {
                Output::Shown { deadline, .. } => {
                    if ghost.first_read.is_none() {
                        ghost.first_read = Some(ghost.high);
                    }
                    if ghost.promised_expiry(cfg).is_some_and(|expiry| *deadline > expiry) {
                        ghost.shown_past_expiry = true;
                    }
                }
                Output::Destroyed(reason) => {
                    ghost.destroyed_seen = true;
                    if *reason == Reason::Recalled {
                        ghost.recalled_seen = true;
                    }
                }
                _ => {}
            }
        }
        if matches!(m.phase(), Phase::Destroyed { .. }) {
            ghost.destroyed_seen = true;
        }
        ghost.readable = m.readable();
        ghost.deadline = m.deadline();
        ghost.deadline_raised = live_before
            && ghost.readable
            && matches!((deadline_before, ghost.deadline), (Some(before), Some(after)) if after > before);
        m
    }

    /// Feeds one action to the machine: as it is, or as the injected bug would handle it.
    fn drive(&self, cfg: &Config, feed: &mut Feed, ghost: &Ghost, act: Act) {
        let now = act.now;
        let eff = feed.clock().max(now);
        let incoming =
            |sent_at: u64, ttl: u32, bor: u32| Incoming { sender: SENDER, sent_at, ttl, bor, content: CONTENT };
        let genuine = incoming(cfg.sent_at, cfg.ttl, cfg.bor);
        let start = cfg.sent_at.min(ghost.received.unwrap_or(eff));
        let phase = feed.phase();
        let live = matches!(phase, Phase::Unread { .. } | Phase::Read { .. });
        let event = |ev: Ev| -> Event<'static> {
            match ev {
                Ev::Receive => {
                    Event::Receive(Incoming { sender: SENDER, sent_at: 0, ttl: 1, bor: 0, content: CONTENT })
                }
                Ev::Read => Event::Read,
                Ev::Tick => Event::Tick,
                Ev::Recall(who) => Event::Recall { by: who.id() },
                Ev::Delete => Event::Delete,
                Ev::PasswordReset => Event::PasswordReset,
                Ev::DeviceRemoved => Event::DeviceRemoved,
                Ev::SetCap(cap) => Event::SetCap(cap),
            }
        };
        let plain = |feed: &mut Feed, ev: Ev| {
            if ev == Ev::Receive {
                feed.handle(Event::Receive(genuine), now);
            } else {
                feed.handle(event(ev), now);
            }
        };
        let Some(bug) = self.bug else { return plain(feed, act.ev) };
        match (bug, act.ev) {
            (Bug::ReadableAtDeadline, ev) => {
                // Inclusive deadlines: at exactly the deadline the machine is told a second less.
                let shifted = if feed.deadline() == Some(eff) && feed.clock() < eff { eff - 1 } else { now };
                if ev == Ev::Receive {
                    feed.handle(Event::Receive(genuine), shifted);
                } else {
                    feed.handle(event(ev), shifted);
                }
            }
            (Bug::BurnExtendsExpiry, Ev::Read)
                if matches!(phase, Phase::Unread { .. })
                    && cfg.bor > 0
                    && feed.expires_at().is_some_and(|e| eff.saturating_add(u64::from(cfg.bor)) > e)
                    && feed.clock_deadline_ok(eff) =>
            {
                // The burn deadline read_at + bor, without the min with expiry.
                feed.rebuild(None);
                feed.handle(Event::Receive(incoming(eff, cfg.bor, 0)), eff);
                feed.handle(Event::Read, eff);
            }
            (Bug::BurnRestartsOnEveryRead, Ev::Read)
                if matches!(phase, Phase::Read { .. }) && feed.clock_deadline_ok(eff) =>
            {
                let cap = feed.cap();
                feed.rebuild(cap);
                feed.handle(Event::Receive(incoming(start, cfg.ttl, cfg.bor)), eff);
                feed.handle(Event::Read, eff);
            }
            (Bug::BurnZeroBurnsAtOnce, ev) if cfg.bor == 0 && matches!(phase, Phase::Read { .. }) => {
                // deadline = read_at: gone at the next step.
                feed.handle(Event::Delete, now);
                plain(feed, ev);
            }
            (Bug::TtlCountedFromReceipt, Ev::Receive) => {
                feed.handle(Event::Receive(incoming(eff, cfg.ttl, cfg.bor)), now);
            }
            (Bug::SenderClockTrusted, Ev::Receive) if cfg.sent_at > eff => {
                let extra = u32::try_from(cfg.sent_at - eff).unwrap_or(u32::MAX);
                let ttl = cfg.ttl.saturating_add(extra).min(cinder::expiry::MAX_TTL);
                feed.handle(Event::Receive(incoming(cfg.sent_at, ttl, cfg.bor)), now);
            }
            (Bug::DeadlineAdditionWraps, ev) => {
                let wraps = match ev {
                    Ev::Receive => cfg.sent_at.min(eff).checked_add(u64::from(cfg.ttl)).is_none(),
                    Ev::Read => matches!(phase, Phase::Unread { .. }) && eff.checked_add(u64::from(cfg.bor)).is_none(),
                    _ => false,
                };
                plain(feed, ev);
                if wraps && feed.readable() {
                    // The wrapped deadline is in the past: gone at once.
                    feed.handle(Event::Delete, now);
                }
            }
            (Bug::CapIgnoredAtReceive, Ev::Receive) if feed.cap().is_some() && !live => {
                // The message is received as if no cap were set (a cap set later still applies).
                feed.handle(Event::SetCap(None), now);
                plain(feed, Ev::Receive);
            }
            (Bug::CapRaisesDeadline, Ev::SetCap(Some(cap))) if live && feed.clock_deadline_ok(eff) => {
                let was_read = matches!(phase, Phase::Read { .. });
                feed.rebuild(None);
                feed.handle(Event::Receive(incoming(start, cap, cfg.bor)), eff);
                if was_read {
                    feed.handle(Event::Read, eff);
                }
            }
            (Bug::ClockFollowsBackwardJump, ev) if now < feed.clock() && matches!(phase, Phase::Absent) => {
                let cap = feed.cap();
                feed.rebuild(cap);
                plain(feed, ev);
            }
            (Bug::StrangerRecallHonoured, Ev::Recall(Recaller::Stranger)) if live => {
                feed.handle(Event::Recall { by: SENDER }, now);
            }
            (Bug::EarlyRecallFromAnyone, Ev::Receive) if matches!(phase, Phase::RecallNoted { .. }) => {
                plain(feed, Ev::Receive);
                if feed.readable() {
                    feed.handle(Event::Recall { by: SENDER }, now);
                }
            }
            (Bug::EarlyRecallDropped, Ev::Recall(_)) if matches!(phase, Phase::Absent) => {
                feed.handle(Event::Tick, now);
            }
            (Bug::RedeliveryRevivesDestroyed, Ev::Receive) if matches!(phase, Phase::Destroyed { .. }) => {
                let cap = feed.cap();
                feed.rebuild(cap);
                plain(feed, Ev::Receive);
            }
            (Bug::DeleteNotIdempotent, Ev::Delete) if matches!(phase, Phase::Destroyed { .. }) => {
                feed.handle(Event::Tick, now);
                feed.result = Err(ExpiryError::Destroyed);
            }
            (_, ev) => plain(feed, ev),
        }
    }
}

/// The machine being fed, with the outputs and result of the current action.
struct Feed {
    m: Option<Message>,
    outputs: Vec<Output>,
    result: Result<(), ExpiryError>,
}

impl Feed {
    fn machine(&mut self) -> Message {
        match self.m.take() {
            Some(m) => m,
            None => unreachable!("the feed always holds a machine between steps"),
        }
    }

    fn get(&self) -> &Message {
        match &self.m {
            Some(m) => m,
            None => unreachable!("the feed always holds a machine between steps"),
        }
    }

    fn handle(&mut self, event: Event<'_>, now: u64) {
        let t = self.machine().handle(event, now);
        self.outputs.extend(t.outputs.iter().cloned());
        self.result = t.result;
        self.m = Some(t.state);
    }

    fn rebuild(&mut self, cap: Option<u32>) {
        let Ok(fresh) = Message::new(MESSAGE_ID, cap) else { unreachable!("caps in the model are valid") };
        self.m = Some(fresh);
    }

    fn clock(&self) -> u64 {
        self.get().clock()
    }
    fn cap(&self) -> Option<u32> {
        self.get().cap()
    }
    fn phase(&self) -> Phase {
        self.get().phase()
    }
    fn deadline(&self) -> Option<u64> {
        self.get().deadline()
    }
    fn expires_at(&self) -> Option<u64> {
        self.get().expires_at()
    }
    fn readable(&self) -> bool {
        self.get().readable()
    }
    /// The message is still live once time reaches `eff` (a broken implementation destroys a
    /// message whose deadline passed before it handles the event, as the reference does).
    fn clock_deadline_ok(&self, eff: u64) -> bool {
        self.deadline().is_some_and(|d| eff < d)
    }
}

/// The properties, by name (spec/system.md).
pub mod props {
    /// SYS-001: never readable once its deadline is reached or it was destroyed.
    pub const GONE_BY_DEADLINE: &str = "SYS-001 content is gone by its deadline and never readable again";
    /// SYS-002: a copy that nothing destroyed stays readable until its deadline.
    pub const NOT_LOST_EARLY: &str = "SYS-002 content stays readable until its deadline";
    /// SYS-003: burn-on-read never shows a deadline past expiry.
    pub const BURN_WITHIN_EXPIRY: &str = "SYS-003 burn-on-read never extends expiry";
    /// SYS-004: the deadline of a live copy never moves later.
    pub const DEADLINE_NEVER_LATER: &str = "SYS-004 a cap or a read only ever shortens";
    /// SYS-005: only the sender's recall destroys a copy as recalled.
    pub const ONLY_SENDER_RECALLS: &str = "SYS-005 only the sender can recall";
    /// SYS-006: deleting an arrived message always succeeds.
    pub const DELETE_ALWAYS_WORKS: &str = "SYS-006 a manual delete always succeeds";
}

impl Model for ExpiryModel {
    type State = CopyState;
    type Action = Act;

    fn init_states(&self) -> Vec<CopyState> {
        (0..self.configs.len())
            .map(|config| {
                let (m, ghost) = self.replay(config, &[]);
                CopyState { config, log: Vec::new(), view: view(&m), ghost }
            })
            .collect()
    }

    fn actions(&self, state: &CopyState, actions: &mut Vec<Act>) {
        let cfg = &self.configs[state.config];
        // After a password reset the message cannot arrive: the reset closed every session
        // (SES-063), so the envelope can no longer be opened and never reaches this machine.
        // SYS-001 rests on that: the expiry chapter alone forgets a recall note at a reset
        // (EXP-040), and a recalled message arriving after it would be shown.
        let reset = state.log.iter().any(|a| a.ev == Ev::PasswordReset);
        let mut events = if reset { vec![] } else { vec![Ev::Receive] };
        events.extend([
            Ev::Read,
            Ev::Tick,
            Ev::Recall(Recaller::Sender),
            Ev::Recall(Recaller::Stranger),
            Ev::Delete,
            Ev::PasswordReset,
            Ev::DeviceRemoved,
        ]);
        events.extend(cfg.caps.iter().map(|c| Ev::SetCap(*c)));
        for now in &cfg.times {
            for ev in &events {
                actions.push(Act { now: *now, ev: *ev });
            }
        }
    }

    fn next_state(&self, state: &CopyState, action: Act) -> Option<CopyState> {
        let mut log = state.log.clone();
        log.push(action);
        let (m, ghost) = self.replay(state.config, &log);
        Some(CopyState { config: state.config, log, view: view(&m), ghost })
    }

    fn within_boundary(&self, state: &CopyState) -> bool {
        state.log.len() <= self.depth
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always(props::GONE_BY_DEADLINE, |model: &Self, s: &CopyState| {
                let cfg = &model.configs[s.config];
                !s.ghost.readable || !(s.ghost.entitled_gone(cfg) || s.ghost.destroyed_seen)
            }),
            Property::always(props::NOT_LOST_EARLY, |model: &Self, s: &CopyState| {
                let cfg = &model.configs[s.config];
                s.ghost.received.is_none() || s.ghost.entitled_gone(cfg) || s.ghost.readable
            }),
            Property::always(props::BURN_WITHIN_EXPIRY, |_: &Self, s: &CopyState| !s.ghost.shown_past_expiry),
            Property::always(props::DEADLINE_NEVER_LATER, |_: &Self, s: &CopyState| !s.ghost.deadline_raised),
            Property::always(props::ONLY_SENDER_RECALLS, |_: &Self, s: &CopyState| {
                !s.ghost.recalled_seen || s.ghost.sender_recalled
            }),
            Property::always(props::DELETE_ALWAYS_WORKS, |_: &Self, s: &CopyState| !s.ghost.delete_refused),
            Property::sometimes("example: shown, then burned", |_: &Self, s: &CopyState| {
                s.ghost.first_read.is_some()
                    && s.ghost.destroyed_seen
                    && s.view.phase == PhaseView::Destroyed(Reason::Burned)
            }),
            Property::sometimes("example: recalled before it arrived", |_: &Self, s: &CopyState| {
                s.ghost.recalled_seen && s.ghost.early_recallers.contains(&Recaller::Sender)
            }),
            Property::sometimes("example: a cap moved a read copy's deadline", |_: &Self, s: &CopyState| {
                s.ghost.first_read.is_some() && s.ghost.readable && s.ghost.cap_min.is_some_and(|c| c < 10)
            }),
        ]
    }
}

/// The machine's public phase, hashable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PhaseView {
    /// `absent`.
    Absent,
    /// `recall_noted`, with `forget_at` and the number of recallers.
    RecallNoted(u64, usize),
    /// `unread`, with its deadline.
    Unread(u64),
    /// `read`, with `read_at` and its deadline.
    Read(u64, u64),
    /// `destroyed`, with the reason.
    Destroyed(Reason),
}

/// The machine's public view: clock, cap, phase with its deadlines, recallers and reason, and
/// `expires_at` (`readable` follows from the phase).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct View {
    /// The machine's clock.
    pub clock: u64,
    /// The cap in force.
    pub cap: Option<u32>,
    /// The phase.
    pub phase: PhaseView,
    /// `expires_at` of a live copy.
    pub expires_at: Option<u64>,
}

fn view(m: &Message) -> View {
    let phase = match m.phase() {
        Phase::Absent => PhaseView::Absent,
        Phase::RecallNoted { forget_at, recallers } => PhaseView::RecallNoted(forget_at, recallers),
        Phase::Unread { deadline } => PhaseView::Unread(deadline),
        Phase::Read { read_at, deadline } => PhaseView::Read(read_at, deadline),
        Phase::Destroyed { reason } => PhaseView::Destroyed(reason),
    };
    View { clock: m.clock(), cap: m.cap(), phase, expires_at: m.expires_at() }
}

impl Scenario for ExpiryModel {
    const PART: &'static str = "expiry";

    fn scenario_args(&self, init: &CopyState, actions: &[Act]) -> Value {
        let cfg = &self.configs[init.config];
        let events: Vec<Value> = actions
            .iter()
            .map(|a| {
                let at = a.now;
                match a.ev {
                    Ev::Receive => json!({
                        "at": at, "event": "receive", "sender": hex::encode(SENDER), "sentAt": cfg.sent_at,
                        "ttl": cfg.ttl, "bor": cfg.bor, "content": hex::encode(CONTENT),
                    }),
                    Ev::Read => json!({ "at": at, "event": "read" }),
                    Ev::Tick => json!({ "at": at, "event": "tick" }),
                    Ev::Recall(who) => json!({ "at": at, "event": "recall", "by": hex::encode(who.id()) }),
                    Ev::Delete => json!({ "at": at, "event": "delete" }),
                    Ev::PasswordReset => json!({ "at": at, "event": "password_reset" }),
                    Ev::DeviceRemoved => json!({ "at": at, "event": "device_removed" }),
                    Ev::SetCap(cap) => json!({ "at": at, "event": "set_cap", "cap": cap }),
                }
            })
            .collect();
        json!({ "messageId": hex::encode(MESSAGE_ID), "cap": null, "events": events })
    }

    fn expected(&self, args: &Value) -> Value {
        match cinder_vectors::expiry::scenario(args) {
            Ok(Ok(expected)) => expected,
            Ok(Err(e)) => json!({ "error": e.code() }),
            Err(message) => json!({ "unreadable": message }),
        }
    }
}
