//! The expiry and burn-on-read machine written a second time from spec/expiry.md, with one
//! switchable fault per bug, behind the `expiry.scenario` operation of `vectors/expiry.json`.
//! Without a bug it gives the reference's answers on every expiry vector (a test in
//! `tests/teeth.rs` proves it), so a variant's failures come from its one bug.
//!
//! Every fault point is an `if self.has(Bug::…)` next to the rule it breaks.

use cinder::expiry::{MAX_PENDING_RECALLERS, MAX_TTL, RECALL_MEMORY, SENDER_MAX_LEN, SKEW_TOLERANCE};
use serde_json::{Value, json};

use crate::args::{Args, Failure, Fields, encode_hex};
use crate::bugs::Info;

/// The operations this part answers.
pub(crate) const OPS: &[&str] = &["expiry.scenario"];

/// One realistic expiry bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bug {
    ReadableAtDeadline,
    BurnExtendsExpiry,
    BurnRestartsOnEveryRead,
    BurnZeroBurnsAtOnce,
    TtlCountedFromReceipt,
    SenderClockTrusted,
    DeadlineAdditionWraps,
    CapIgnoredAtReceive,
    CapRaisesDeadline,
    ClockFollowsBackwardJump,
    StrangerRecallHonoured,
    EarlyRecallFromAnyone,
    EarlyRecallDropped,
    RedeliveryRevivesDestroyed,
    DeleteNotIdempotent,
}

/// The expiry bugs, as `--list-bugs` shows them.
pub(crate) const BUGS: &[Info<Bug>] = &[
    Info {
        bug: Bug::ReadableAtDeadline,
        name: "expiry-readable-at-deadline",
        breaks: "EXP-012",
        summary: "deadlines are inclusive (`clock > deadline` destroys), so a message is readable exactly at its deadline",
    },
    Info {
        bug: Bug::BurnExtendsExpiry,
        name: "expiry-burn-extends-expiry",
        breaks: "EXP-011",
        summary: "the burn deadline is read_at + bor without the min with expires_at, so a late read extends the message's life",
    },
    Info {
        bug: Bug::BurnRestartsOnEveryRead,
        name: "expiry-burn-restarts-on-every-read",
        breaks: "EXP-011, EXP-022",
        summary: "every read restarts the burn clock instead of only the first",
    },
    Info {
        bug: Bug::BurnZeroBurnsAtOnce,
        name: "expiry-burn-zero-burns-at-once",
        breaks: "EXP-011",
        summary: "bor = 0 is taken as \"burn 0 seconds after reading\" instead of \"burn-on-read off\"",
    },
    Info {
        bug: Bug::TtlCountedFromReceipt,
        name: "expiry-ttl-counted-from-receipt",
        breaks: "EXP-010",
        summary: "the lifetime is counted from when the message arrived, not from when it was sent",
    },
    Info {
        bug: Bug::SenderClockTrusted,
        name: "expiry-sender-clock-trusted",
        breaks: "EXP-021",
        summary: "start = sent_at even when the sender's clock is ahead, so a lying sender lengthens the message's life",
    },
    Info {
        bug: Bug::DeadlineAdditionWraps,
        name: "expiry-deadline-addition-wraps",
        breaks: "EXP-013",
        summary: "start + ttl and read_at + bor wrap around at 2^64 instead of saturating",
    },
    Info {
        bug: Bug::CapIgnoredAtReceive,
        name: "expiry-cap-ignored-at-receive",
        breaks: "EXP-014, EXP-010",
        summary: "the administrator's cap is applied when it is set, but not to messages received later",
    },
    Info {
        bug: Bug::CapRaisesDeadline,
        name: "expiry-cap-raises-deadline",
        breaks: "EXP-014, EXP-022",
        summary: "setting a cap recomputes deadlines as start + cap, moving them later when the cap is raised",
    },
    Info {
        bug: Bug::ClockFollowsBackwardJump,
        name: "expiry-clock-follows-backward-jump",
        breaks: "EXP-020",
        summary: "the machine's clock is the latest now, not the highest, so a clock set back buys time",
    },
    Info {
        bug: Bug::StrangerRecallHonoured,
        name: "expiry-stranger-recall-honoured",
        breaks: "EXP-030",
        summary: "a recall destroys the message whoever sent the recall",
    },
    Info {
        bug: Bug::EarlyRecallFromAnyone,
        name: "expiry-early-recall-from-anyone",
        breaks: "EXP-032",
        summary: "a recall that overtook its message destroys it on arrival even when it came from another device",
    },
    Info {
        bug: Bug::EarlyRecallDropped,
        name: "expiry-early-recall-dropped",
        breaks: "EXP-032",
        summary: "a recall for a message not yet received is ignored, so the recalled message is shown when it arrives",
    },
    Info {
        bug: Bug::RedeliveryRevivesDestroyed,
        name: "expiry-redelivery-revives-destroyed",
        breaks: "EXP-041",
        summary: "a replayed copy of a destroyed message is stored again instead of refused",
    },
    Info {
        bug: Bug::DeleteNotIdempotent,
        name: "expiry-delete-not-idempotent",
        breaks: "EXP-040",
        summary: "deleting a message that is already destroyed is refused instead of accepted",
    },
];

/// The expiry part, with at most one bug.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Expiry {
    pub(crate) bug: Option<Bug>,
}

const INVALID_MESSAGE: &str = "expiry.invalid_message";
const INVALID_CAP: &str = "expiry.invalid_cap";
const DUPLICATE: &str = "expiry.duplicate";
const DESTROYED: &str = "expiry.destroyed";
const UNKNOWN_MESSAGE: &str = "expiry.unknown_message";
const NOT_SENDER: &str = "expiry.not_sender";
const RECALL_LIMIT: &str = "expiry.recall_limit";

/// One timed event of a scenario.
#[derive(Clone, Debug)]
enum Event {
    Receive { sender: Vec<u8>, sent_at: u64, ttl: u32, bor: u32, content: Vec<u8> },
    Read,
    Tick,
    Recall { by: Vec<u8> },
    Delete,
    PasswordReset,
    DeviceRemoved,
    SetCap(Option<u32>),
}

fn event(args: &Args<'_>) -> Result<Event, Failure> {
    let name = args.str("event")?;
    let only = |fields: &[&str]| args.only(&[&["at", "event"], fields].concat());
    Ok(match name {
        "receive" => {
            only(&["sender", "sentAt", "ttl", "bor", "content"])?;
            Event::Receive {
                sender: args.hex("sender")?,
                sent_at: args.uint("sentAt")?,
                ttl: args.uint("ttl")?,
                bor: args.uint("bor")?,
                content: args.hex("content")?,
            }
        }
        "recall" => {
            only(&["by"])?;
            Event::Recall { by: args.hex("by")? }
        }
        "set_cap" => {
            only(&["cap"])?;
            Event::SetCap(args.optional_uint("cap")?)
        }
        simple => {
            only(&[])?;
            match simple {
                "read" => Event::Read,
                "tick" => Event::Tick,
                "delete" => Event::Delete,
                "password_reset" => Event::PasswordReset,
                "device_removed" => Event::DeviceRemoved,
                other => return Err(Failure::BadRequest(format!("event {other:?} is not an event"))),
            }
        }
    })
}

/// The lifetime facts of a live message.
#[derive(Clone, Debug)]
struct Life {
    sender: Vec<u8>,
    start: u64,
    bor: u32,
    expires_at: u64,
}

#[derive(Clone, Debug)]
enum Phase {
    Absent,
    RecallNoted { forget_at: u64, recallers: Vec<Vec<u8>> },
    Unread { life: Life, content: Vec<u8> },
    Read { life: Life, deadline: u64, content: Vec<u8> },
    Destroyed { reason: &'static str, sender: Option<Vec<u8>> },
}

struct Machine {
    expiry: Expiry,
    clock: u64,
    cap: Option<u32>,
    phase: Phase,
    outputs: Vec<Value>,
}

impl Expiry {
    fn has(&self, bug: Bug) -> bool {
        self.bug == Some(bug)
    }

    /// `expiry.scenario {messageId, cap, events} -> {steps}`.
    pub(crate) fn answer(&self, op: &str, args: &Args<'_>) -> Result<Fields, Failure> {
        if op != "expiry.scenario" {
            return Err(Failure::BadRequest(format!("{op} is not an expiry operation")));
        }
        args.only(&["messageId", "cap", "events"])?;
        let _: [u8; 16] = args.hex_array("messageId")?;
        let cap: Option<u32> = args.optional_uint("cap")?;
        let mut events = Vec::new();
        for entry in args.array("events")? {
            let entry = Args::of(entry, "args.events[]")?;
            events.push((entry.uint::<u64>("at")?, event(&entry)?));
        }
        if cap.is_some_and(|c| c == 0 || c > MAX_TTL) {
            return Err(Failure::Spec(INVALID_CAP));
        }
        let mut machine = Machine { expiry: *self, clock: 0, cap, phase: Phase::Absent, outputs: Vec::new() };
        let steps: Vec<Value> = events.into_iter().map(|(at, event)| machine.step(event, at)).collect();
        let mut fields = Fields::new();
        fields.insert("steps".into(), steps.into());
        Ok(fields)
    }

    /// EXP-012: whether `clock` has reached `deadline`.
    fn reached(&self, clock: u64, deadline: u64) -> bool {
        if self.has(Bug::ReadableAtDeadline) { clock > deadline } else { clock >= deadline }
    }

    /// EXP-013: additions saturate.
    fn add(&self, a: u64, b: u64) -> u64 {
        if self.has(Bug::DeadlineAdditionWraps) { a.wrapping_add(b) } else { a.saturating_add(b) }
    }
}

impl Machine {
    fn has(&self, bug: Bug) -> bool {
        self.expiry.has(bug)
    }

    /// One step (EXP-003): time first, then the event; the state after it as the vectors write it.
    fn step(&mut self, event: Event, now: u64) -> Value {
        self.outputs.clear();
        // EXP-020: the clock never goes back.
        self.clock = if self.has(Bug::ClockFollowsBackwardJump) { now } else { self.clock.max(now) };
        self.advance_time();
        let error = self.apply(event).err();
        let (phase, readable, deadline, reason) = match &self.phase {
            Phase::Absent => ("absent", false, None, None),
            Phase::RecallNoted { .. } => ("recall_noted", false, None, None),
            Phase::Unread { life, .. } => ("unread", true, Some(life.expires_at), None),
            Phase::Read { deadline, .. } => ("read", true, Some(*deadline), None),
            Phase::Destroyed { reason, .. } => ("destroyed", false, None, Some(*reason)),
        };
        json!({
            "phase": phase,
            "readable": readable,
            "deadline": deadline,
            "reason": reason,
            "outputs": self.outputs.clone(),
            "error": error,
        })
    }

    fn destroy(&mut self, reason: &'static str) {
        let sender = match &self.phase {
            Phase::Unread { life, .. } | Phase::Read { life, .. } => Some(life.sender.clone()),
            _ => None,
        };
        self.phase = Phase::Destroyed { reason, sender };
        self.outputs.push(json!({ "output": "destroyed", "reason": reason }));
    }

    fn advance_time(&mut self) {
        let clock = self.clock;
        match &self.phase {
            Phase::Unread { life, .. } if self.expiry.reached(clock, life.expires_at) => self.destroy("expired"),
            Phase::Read { life, deadline, .. } if self.expiry.reached(clock, *deadline) => {
                let reason = if *deadline < life.expires_at { "burned" } else { "expired" };
                self.destroy(reason);
            }
            Phase::RecallNoted { forget_at, .. } if clock >= *forget_at => {
                self.phase = Phase::Absent;
                self.outputs.push(json!({ "output": "recall_forgotten" }));
            }
            _ => {}
        }
    }

    fn apply(&mut self, event: Event) -> Result<(), &'static str> {
        match event {
            Event::Receive { sender, sent_at, ttl, bor, content } => self.receive(sender, sent_at, ttl, bor, content),
            Event::Read => self.read(),
            Event::Tick => Ok(()),
            Event::Recall { by } => self.recall(by),
            Event::Delete => match self.phase {
                Phase::Unread { .. } | Phase::Read { .. } => {
                    self.destroy("deleted");
                    Ok(())
                }
                // EXP-040: idempotent.
                Phase::Destroyed { .. } if self.has(Bug::DeleteNotIdempotent) => Err(DESTROYED),
                Phase::Destroyed { .. } => Ok(()),
                Phase::Absent | Phase::RecallNoted { .. } => Err(UNKNOWN_MESSAGE),
            },
            Event::PasswordReset => {
                match self.phase {
                    Phase::Unread { .. } | Phase::Read { .. } => self.destroy("password_reset"),
                    Phase::RecallNoted { .. } => {
                        self.phase = Phase::Absent;
                        self.outputs.push(json!({ "output": "recall_forgotten" }));
                    }
                    Phase::Absent | Phase::Destroyed { .. } => {}
                }
                Ok(())
            }
            Event::DeviceRemoved => {
                if !matches!(self.phase, Phase::Destroyed { .. }) {
                    self.destroy("device_removed");
                }
                Ok(())
            }
            Event::SetCap(cap) => self.set_cap(cap),
        }
    }

    /// EXP-010, EXP-013, EXP-014, EXP-021, EXP-032, EXP-041, EXP-050.
    fn receive(
        &mut self,
        sender: Vec<u8>,
        sent_at: u64,
        ttl: u32,
        bor: u32,
        content: Vec<u8>,
    ) -> Result<(), &'static str> {
        match self.phase {
            Phase::Unread { .. } | Phase::Read { .. } => return Err(DUPLICATE),
            // EXP-041: destroyed is final.
            Phase::Destroyed { .. } if !self.has(Bug::RedeliveryRevivesDestroyed) => return Err(DESTROYED),
            _ => {}
        }
        if sender.is_empty() || sender.len() > SENDER_MAX_LEN || ttl == 0 || ttl > MAX_TTL || bor > MAX_TTL {
            return Err(INVALID_MESSAGE);
        }
        // EXP-032: only a recall from the message's own sender counts.
        let pre_recalled = match &self.phase {
            Phase::RecallNoted { recallers, .. } => self.has(Bug::EarlyRecallFromAnyone) || recallers.contains(&sender),
            _ => false,
        };
        // EXP-010, EXP-021: start = min(sent_at, clock).
        let start = if self.has(Bug::TtlCountedFromReceipt) {
            self.clock
        } else if self.has(Bug::SenderClockTrusted) {
            sent_at
        } else {
            sent_at.min(self.clock)
        };
        // EXP-014: the cap bounds ttl at receive.
        let ttl = match self.cap {
            Some(cap) if !self.has(Bug::CapIgnoredAtReceive) => ttl.min(cap),
            _ => ttl,
        };
        let expires_at = self.expiry.add(start, u64::from(ttl));
        if pre_recalled {
            self.phase = Phase::Destroyed { reason: "recalled", sender: Some(sender) };
            self.outputs.push(json!({ "output": "destroyed", "reason": "recalled" }));
        } else if self.expiry.reached(self.clock, expires_at) {
            self.phase = Phase::Destroyed { reason: "expired", sender: Some(sender) };
            self.outputs.push(json!({ "output": "destroyed", "reason": "expired" }));
        } else {
            let skewed = sent_at > self.clock.saturating_add(SKEW_TOLERANCE);
            self.outputs.push(json!({ "output": "stored", "deadline": expires_at, "skewed": skewed }));
            self.phase = Phase::Unread { life: Life { sender, start, bor, expires_at }, content };
        }
        Ok(())
    }

    /// EXP-011: the first read starts the burn clock.
    fn burn_deadline(&self, life: &Life) -> u64 {
        if life.bor == 0 && !self.has(Bug::BurnZeroBurnsAtOnce) {
            return life.expires_at;
        }
        let burn = self.expiry.add(self.clock, u64::from(life.bor));
        if self.has(Bug::BurnExtendsExpiry) { burn } else { life.expires_at.min(burn) }
    }

    fn read(&mut self) -> Result<(), &'static str> {
        match core::mem::replace(&mut self.phase, Phase::Absent) {
            Phase::Unread { life, content } => {
                let deadline = self.burn_deadline(&life);
                self.show(&content, deadline);
                self.phase = Phase::Read { life, deadline, content };
                Ok(())
            }
            Phase::Read { life, deadline, content } => {
                let deadline =
                    if self.has(Bug::BurnRestartsOnEveryRead) { self.burn_deadline(&life) } else { deadline };
                self.show(&content, deadline);
                self.phase = Phase::Read { life, deadline, content };
                Ok(())
            }
            phase @ Phase::Destroyed { .. } => {
                self.phase = phase;
                Err(DESTROYED)
            }
            phase => {
                self.phase = phase;
                Err(UNKNOWN_MESSAGE)
            }
        }
    }

    fn show(&mut self, content: &[u8], deadline: u64) {
        self.outputs.push(json!({ "output": "shown", "content": encode_hex(content), "deadline": deadline }));
    }

    /// EXP-030, EXP-031, EXP-032.
    fn recall(&mut self, by: Vec<u8>) -> Result<(), &'static str> {
        if by.is_empty() || by.len() > SENDER_MAX_LEN {
            return Err(NOT_SENDER);
        }
        let forget_at = self.clock.saturating_add(RECALL_MEMORY);
        match &mut self.phase {
            Phase::Unread { life, .. } | Phase::Read { life, .. } => {
                // EXP-030: only the sender may recall.
                if life.sender != by && !self.expiry.has(Bug::StrangerRecallHonoured) {
                    return Err(NOT_SENDER);
                }
                self.destroy("recalled");
                Ok(())
            }
            Phase::Destroyed { sender: Some(sender), .. } if *sender != by => Err(NOT_SENDER),
            Phase::Destroyed { .. } => Ok(()),
            // EXP-032: a recall can overtake its message.
            Phase::Absent if self.expiry.has(Bug::EarlyRecallDropped) => Ok(()),
            Phase::Absent => {
                self.phase = Phase::RecallNoted { forget_at, recallers: vec![by] };
                self.outputs.push(json!({ "output": "recall_noted" }));
                Ok(())
            }
            Phase::RecallNoted { recallers, .. } => {
                if recallers.contains(&by) {
                    return Ok(());
                }
                if recallers.len() == MAX_PENDING_RECALLERS {
                    return Err(RECALL_LIMIT);
                }
                recallers.push(by);
                self.outputs.push(json!({ "output": "recall_noted" }));
                Ok(())
            }
        }
    }

    /// EXP-014: a cap only ever moves a live message's deadlines earlier.
    fn set_cap(&mut self, cap: Option<u32>) -> Result<(), &'static str> {
        if cap.is_some_and(|c| c == 0 || c > MAX_TTL) {
            return Err(INVALID_CAP);
        }
        self.cap = cap;
        let Some(cap) = cap else { return Ok(()) };
        let raises = self.has(Bug::CapRaisesDeadline);
        let expiry = self.expiry;
        let moved = match &mut self.phase {
            Phase::Unread { life, .. } => {
                let capped = expiry.add(life.start, u64::from(cap));
                (capped < life.expires_at || (raises && capped != life.expires_at)).then(|| {
                    life.expires_at = capped;
                    capped
                })
            }
            Phase::Read { life, deadline, .. } => {
                let capped = expiry.add(life.start, u64::from(cap));
                life.expires_at = if raises { capped } else { life.expires_at.min(capped) };
                (capped < *deadline || (raises && capped != *deadline)).then(|| {
                    *deadline = capped;
                    capped
                })
            }
            _ => None,
        };
        if let Some(deadline) = moved {
            if self.expiry.reached(self.clock, deadline) {
                self.destroy("expired");
            } else {
                self.outputs.push(json!({ "output": "deadline_moved", "deadline": deadline }));
            }
        }
        Ok(())
    }
}
