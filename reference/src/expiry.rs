//! Expiry and burn-on-read: one message copy on one device as an explicit state machine
//! (spec/expiry.md, requirements `EXP-nnn`).
//!
//! [`Message::handle`] takes the machine by value, an [`Event`] and the device clock's `now`, and
//! returns a [`Transition`]: the next machine, what happened ([`Outputs`]) and whether the event
//! itself was refused. Time is applied first (EXP-003), so an event can be refused *after* the
//! clock destroyed the message — which is why a refusal still carries the next state instead of
//! giving back the old one. Content lives in [`Zeroizing`] storage and is dropped, hence shredded,
//! the moment the message is destroyed (EXP-042).
//!
//! ```
//! use cinder::expiry::{Event, Incoming, Message, Output, Phase, Reason};
//!
//! let m = Message::new([1; 16], None).unwrap();
//! let incoming = Incoming { sender: b"alice", sent_at: 1000, ttl: 3600, bor: 60, content: b"hi" };
//! let t = m.handle(Event::Receive(incoming), 1000);
//! let t = t.state.handle(Event::Read, 1010); // burn-on-read: gone at 1010 + 60
//! assert_eq!(t.state.deadline(), Some(1070));
//! let t = t.state.handle(Event::Tick, 1070); // at the deadline, not after it (EXP-012)
//! assert_eq!(t.outputs.to_vec(), [Output::Destroyed(Reason::Burned)]);
//! assert!(matches!(t.state.phase(), Phase::Destroyed { .. }));
//! ```

use alloc::vec::Vec;
use core::fmt;

use zeroize::Zeroizing;

/// Longest `ttl`, `bor` and administrator cap, in seconds: 365 days (EXP-050, as ENV-015).
pub const MAX_TTL: u32 = 31_536_000;
/// How far a sender's clock may run ahead of this device's before `skewed` is reported (EXP-021).
pub const SKEW_TOLERANCE: u64 = 300;
/// How many different devices' recalls are remembered for a message not yet received (EXP-032).
pub const MAX_PENDING_RECALLERS: usize = 4;
/// How long a recall for a message not yet received is remembered (EXP-032): the longest any
/// message can live, plus the skew tolerance.
pub const RECALL_MEMORY: u64 = MAX_TTL as u64 + SKEW_TOLERANCE;
/// Longest sender device ID (as ENV-012).
pub const SENDER_MAX_LEN: usize = 64;

/// Why content was destroyed (EXP-001).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Reason {
    /// Its expiry deadline passed.
    Expired,
    /// Its burn-on-read deadline passed before its expiry.
    Burned,
    /// Its sender recalled it.
    Recalled,
    /// The user deleted it.
    Deleted,
    /// The account's password was reset.
    PasswordReset,
    /// This device was removed from the account.
    DeviceRemoved,
}

impl Reason {
    /// The reason's name in vectors and the adapter protocol.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Expired => "expired",
            Self::Burned => "burned",
            Self::Recalled => "recalled",
            Self::Deleted => "deleted",
            Self::PasswordReset => "password_reset",
            Self::DeviceRemoved => "device_removed",
        }
    }
}

/// A message as it arrives, already opened (spec/envelope.md): who sent it, when, its lifetime
/// settings, and its content.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Incoming<'a> {
    /// The sending device, 1 to 64 bytes.
    pub sender: &'a [u8],
    /// The sender's clock when it sent the message.
    pub sent_at: u64,
    /// Maximum lifetime from `sent_at`, 1 to 31,536,000 seconds.
    pub ttl: u32,
    /// Burn-on-read seconds after the first read; 0 means off.
    pub bor: u32,
    /// The content (the opened envelope's body).
    pub content: &'a [u8],
}

impl fmt::Debug for Incoming<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Incoming")
            .field("sender", &self.sender)
            .field("sent_at", &self.sent_at)
            .field("ttl", &self.ttl)
            .field("bor", &self.bor)
            .finish_non_exhaustive()
    }
}

/// What can happen to a message copy (EXP-002).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// The message arrives.
    Receive(Incoming<'a>),
    /// The user opens it.
    Read,
    /// Only time passes.
    Tick,
    /// A device asks to recall it.
    Recall {
        /// The device that sent the recall (authenticated by its session).
        by: &'a [u8],
    },
    /// The user deletes it.
    Delete,
    /// The account's password is reset.
    PasswordReset,
    /// This device is removed from the account.
    DeviceRemoved,
    /// The administrator sets (`Some`) or clears (`None`) the lifespan cap.
    SetCap(Option<u32>),
}

/// Something the machine did, reported to the application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// The message was stored and is readable until `deadline`. `skewed` when its `sent_at` was
    /// more than [`SKEW_TOLERANCE`] ahead of this device's clock (EXP-021).
    Stored {
        /// The deadline (exclusive: gone at this second).
        deadline: u64,
        /// The sender's clock was ahead beyond the tolerance.
        skewed: bool,
    },
    /// The content, shown to the user, and until when.
    Shown {
        /// The content.
        content: Zeroizing<Vec<u8>>,
        /// The deadline now in force.
        deadline: u64,
    },
    /// The content was destroyed and shredded.
    Destroyed(Reason),
    /// A recall for a message not yet here was remembered (EXP-032).
    RecallNoted,
    /// A remembered recall was forgotten: its message can no longer be valid (EXP-032).
    RecallForgotten,
    /// The deadline moved earlier (an administrator cap, EXP-014).
    DeadlineMoved {
        /// The new deadline.
        deadline: u64,
    },
}

/// At most two outputs per step: what time did, then what the event did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outputs {
    items: [Option<Output>; 2],
}

impl Outputs {
    fn push(&mut self, output: Output) {
        if let Some(slot) = self.items.iter_mut().find(|slot| slot.is_none()) {
            *slot = Some(output);
        }
    }

    /// The outputs, in the order they happened.
    #[must_use]
    pub fn to_vec(&self) -> Vec<Output> {
        self.items.iter().flatten().cloned().collect()
    }

    /// Iterates over the outputs in order.
    pub fn iter(&self) -> impl Iterator<Item = &Output> {
        self.items.iter().flatten()
    }
}

/// Why an event was refused. Each variant maps to exactly one spec code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExpiryError {
    /// `expiry.invalid_message`: `ttl`, `bor` or the sender ID out of bounds (EXP-050).
    InvalidMessage,
    /// `expiry.invalid_cap`: a cap outside 1..=31,536,000 (EXP-014).
    InvalidCap,
    /// `expiry.duplicate`: the message is already here (EXP-041).
    Duplicate,
    /// `expiry.destroyed`: the message was destroyed; nothing brings it back (EXP-041).
    Destroyed,
    /// `expiry.unknown_message`: read or delete of a message that never arrived.
    UnknownMessage,
    /// `expiry.not_sender`: a recall from a device that did not send the message (EXP-030).
    NotSender,
    /// `expiry.recall_limit`: too many different devices recalled a message not yet here (EXP-032).
    RecallLimit,
}

impl ExpiryError {
    /// The spec error code (spec/expiry.md section 7).
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::InvalidMessage => "expiry.invalid_message",
            Self::InvalidCap => "expiry.invalid_cap",
            Self::Duplicate => "expiry.duplicate",
            Self::Destroyed => "expiry.destroyed",
            Self::UnknownMessage => "expiry.unknown_message",
            Self::NotSender => "expiry.not_sender",
            Self::RecallLimit => "expiry.recall_limit",
        }
    }

    /// Every code this part defines, in the order of the spec's table.
    pub const CODES: [&'static str; 7] = [
        "expiry.invalid_message",
        "expiry.invalid_cap",
        "expiry.duplicate",
        "expiry.destroyed",
        "expiry.unknown_message",
        "expiry.not_sender",
        "expiry.recall_limit",
    ];
}

impl fmt::Display for ExpiryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl core::error::Error for ExpiryError {}

/// A device ID held by the machine (a sender or a recaller).
#[derive(Clone, Copy, PartialEq, Eq)]
struct DeviceId {
    len: usize,
    bytes: [u8; SENDER_MAX_LEN],
}

impl DeviceId {
    fn new(id: &[u8]) -> Option<Self> {
        if id.is_empty() || id.len() > SENDER_MAX_LEN {
            return None;
        }
        let mut bytes = [0u8; SENDER_MAX_LEN];
        bytes[..id.len()].copy_from_slice(id);
        Some(Self { len: id.len(), bytes })
    }
}

/// The lifetime facts of a live message (EXP-010, EXP-011).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Lifetime {
    sender: DeviceId,
    /// `min(sent_at, clock at receipt)`: the start of the expiry clock.
    start: u64,
    bor: u32,
    expires_at: u64,
}

/// The machine's phase: what it holds and what it waits for (EXP-001).
#[derive(Debug)]
pub enum Phase {
    /// Nothing has arrived and no recall is remembered.
    Absent,
    /// A recall arrived before its message (EXP-032).
    RecallNoted {
        /// When the note is forgotten.
        forget_at: u64,
        /// How many different devices have recalled.
        recallers: usize,
    },
    /// Stored, never read; readable until `deadline`.
    Unread {
        /// `expires_at`.
        deadline: u64,
    },
    /// Read at least once; readable until `deadline`.
    Read {
        /// When it was first read.
        read_at: u64,
        /// `min(expires_at, read_at + bor)`, or `expires_at` when `bor` is 0.
        deadline: u64,
    },
    /// Gone for good (EXP-041).
    Destroyed {
        /// Why.
        reason: Reason,
    },
}

/// The private part of each phase: content and bookkeeping the application never sees directly.
enum Inner {
    Absent,
    RecallNoted { forget_at: u64, recallers: [Option<DeviceId>; MAX_PENDING_RECALLERS] },
    Unread { life: Lifetime, content: Zeroizing<Vec<u8>> },
    Read { life: Lifetime, read_at: u64, deadline: u64, content: Zeroizing<Vec<u8>> },
    Destroyed { reason: Reason, sender: Option<DeviceId> },
}

/// One message copy on one device.
pub struct Message {
    id: [u8; 16],
    /// The highest `now` seen: the machine's clock never goes back (EXP-020).
    clock: u64,
    /// The administrator's cap, if any (EXP-014).
    cap: Option<u32>,
    inner: Inner,
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("id", &self.id)
            .field("clock", &self.clock)
            .field("cap", &self.cap)
            .field("phase", &self.phase())
            .finish_non_exhaustive()
    }
}

/// The result of one step: the next machine, what happened, and whether the event was refused.
#[derive(Debug)]
pub struct Transition {
    /// The machine after the step.
    pub state: Message,
    /// What happened, in order.
    pub outputs: Outputs,
    /// `Err` when the event itself was refused; time was applied either way (EXP-003).
    pub result: Result<(), ExpiryError>,
}

impl Message {
    /// A machine for message `id`, with the administrator's cap in force (`None`: no cap).
    ///
    /// # Errors
    /// [`ExpiryError::InvalidCap`] for a cap outside 1..=31,536,000 (EXP-014).
    pub fn new(id: [u8; 16], cap: Option<u32>) -> Result<Self, ExpiryError> {
        if cap.is_some_and(|c| c == 0 || c > MAX_TTL) {
            return Err(ExpiryError::InvalidCap);
        }
        Ok(Self { id, clock: 0, cap, inner: Inner::Absent })
    }

    /// The message ID.
    #[must_use]
    pub const fn id(&self) -> [u8; 16] {
        self.id
    }

    /// The machine's clock: the highest `now` it has seen.
    #[must_use]
    pub const fn clock(&self) -> u64 {
        self.clock
    }

    /// The cap in force.
    #[must_use]
    pub const fn cap(&self) -> Option<u32> {
        self.cap
    }

    /// The public view of the phase.
    #[must_use]
    pub fn phase(&self) -> Phase {
        match &self.inner {
            Inner::Absent => Phase::Absent,
            Inner::RecallNoted { forget_at, recallers } => {
                Phase::RecallNoted { forget_at: *forget_at, recallers: recallers.iter().flatten().count() }
            }
            Inner::Unread { life, .. } => Phase::Unread { deadline: life.expires_at },
            Inner::Read { read_at, deadline, .. } => Phase::Read { read_at: *read_at, deadline: *deadline },
            Inner::Destroyed { reason, .. } => Phase::Destroyed { reason: *reason },
        }
    }

    /// The deadline in force, for a live message.
    #[must_use]
    pub const fn deadline(&self) -> Option<u64> {
        match &self.inner {
            Inner::Unread { life, .. } => Some(life.expires_at),
            Inner::Read { deadline, .. } => Some(*deadline),
            _ => None,
        }
    }

    /// The expiry deadline (`start + ttl`, capped), for a live message; the burn deadline is never
    /// later (EXP-011).
    #[must_use]
    pub const fn expires_at(&self) -> Option<u64> {
        match &self.inner {
            Inner::Unread { life, .. } | Inner::Read { life, .. } => Some(life.expires_at),
            _ => None,
        }
    }

    /// Whether the content can be shown: only a live message, which by EXP-012 is before its
    /// deadline.
    #[must_use]
    pub const fn readable(&self) -> bool {
        matches!(self.inner, Inner::Unread { .. } | Inner::Read { .. })
    }

    /// Handles `event` at device time `now` (spec/expiry.md section 3).
    #[must_use]
    pub fn handle(mut self, event: Event<'_>, now: u64) -> Transition {
        let mut outputs = Outputs::default();
        // EXP-003: time first. EXP-020: the clock never goes back.
        self.clock = self.clock.max(now);
        self.advance_time(&mut outputs);
        let result = self.apply(event, &mut outputs);
        Transition { state: self, outputs, result }
    }

    /// Destroys a live message at or after its deadline (EXP-012); forgets an old recall (EXP-032).
    fn advance_time(&mut self, outputs: &mut Outputs) {
        let clock = self.clock;
        match &self.inner {
            Inner::Unread { life, .. } if clock >= life.expires_at => {
                self.destroy(Reason::Expired, outputs);
            }
            Inner::Read { life, deadline, .. } if clock >= *deadline => {
                // Burned only when the burn deadline came strictly before expiry (EXP-011).
                let reason = if *deadline < life.expires_at { Reason::Burned } else { Reason::Expired };
                self.destroy(reason, outputs);
            }
            Inner::RecallNoted { forget_at, .. } if clock >= *forget_at => {
                self.inner = Inner::Absent;
                outputs.push(Output::RecallForgotten);
            }
            _ => {}
        }
    }

    /// Replaces a live phase by `Destroyed`, dropping (and so zeroizing) its content (EXP-042).
    fn destroy(&mut self, reason: Reason, outputs: &mut Outputs) {
        let sender = match &self.inner {
            Inner::Unread { life, .. } | Inner::Read { life, .. } => Some(life.sender),
            _ => None,
        };
        self.inner = Inner::Destroyed { reason, sender };
        outputs.push(Output::Destroyed(reason));
    }

    fn apply(&mut self, event: Event<'_>, outputs: &mut Outputs) -> Result<(), ExpiryError> {
        match event {
            Event::Receive(incoming) => self.receive(&incoming, outputs),
            Event::Read => self.read(outputs),
            Event::Tick => Ok(()),
            Event::Recall { by } => self.recall(by, outputs),
            Event::Delete => match self.inner {
                Inner::Unread { .. } | Inner::Read { .. } => {
                    self.destroy(Reason::Deleted, outputs);
                    Ok(())
                }
                // Idempotent (EXP-040).
                Inner::Destroyed { .. } => Ok(()),
                Inner::Absent | Inner::RecallNoted { .. } => Err(ExpiryError::UnknownMessage),
            },
            Event::PasswordReset => {
                match self.inner {
                    Inner::Unread { .. } | Inner::Read { .. } => self.destroy(Reason::PasswordReset, outputs),
                    Inner::RecallNoted { .. } => {
                        self.inner = Inner::Absent;
                        outputs.push(Output::RecallForgotten);
                    }
                    Inner::Absent | Inner::Destroyed { .. } => {}
                }
                Ok(())
            }
            Event::DeviceRemoved => {
                // EXP-040: a removed device keeps nothing and accepts nothing more.
                if !matches!(self.inner, Inner::Destroyed { .. }) {
                    self.destroy(Reason::DeviceRemoved, outputs);
                }
                Ok(())
            }
            Event::SetCap(cap) => self.set_cap(cap, outputs),
        }
    }

    /// EXP-010, EXP-013, EXP-014, EXP-021, EXP-032, EXP-050.
    fn receive(&mut self, incoming: &Incoming<'_>, outputs: &mut Outputs) -> Result<(), ExpiryError> {
        match &self.inner {
            Inner::Unread { .. } | Inner::Read { .. } => return Err(ExpiryError::Duplicate),
            Inner::Destroyed { .. } => return Err(ExpiryError::Destroyed),
            Inner::Absent | Inner::RecallNoted { .. } => {}
        }
        let sender = DeviceId::new(incoming.sender).ok_or(ExpiryError::InvalidMessage)?;
        if incoming.ttl == 0 || incoming.ttl > MAX_TTL || incoming.bor > MAX_TTL {
            return Err(ExpiryError::InvalidMessage);
        }
        let pre_recalled = match &self.inner {
            Inner::RecallNoted { recallers, .. } => recallers.iter().flatten().any(|r| *r == sender),
            _ => false,
        };
        let start = incoming.sent_at.min(self.clock);
        let ttl = self.cap.map_or(incoming.ttl, |cap| incoming.ttl.min(cap));
        let life = Lifetime { sender, start, bor: incoming.bor, expires_at: start.saturating_add(u64::from(ttl)) };
        if pre_recalled {
            // EXP-032: never stored, never readable.
            self.inner = Inner::Destroyed { reason: Reason::Recalled, sender: Some(sender) };
            outputs.push(Output::Destroyed(Reason::Recalled));
        } else if self.clock >= life.expires_at {
            // Arrived already expired (EXP-012): never readable.
            self.inner = Inner::Destroyed { reason: Reason::Expired, sender: Some(sender) };
            outputs.push(Output::Destroyed(Reason::Expired));
        } else {
            let skewed = incoming.sent_at > self.clock.saturating_add(SKEW_TOLERANCE);
            self.inner = Inner::Unread { life, content: Zeroizing::new(incoming.content.to_vec()) };
            outputs.push(Output::Stored { deadline: life.expires_at, skewed });
        }
        Ok(())
    }

    /// EXP-011: the first read starts the burn clock; later reads do not restart it.
    fn read(&mut self, outputs: &mut Outputs) -> Result<(), ExpiryError> {
        let clock = self.clock;
        match core::mem::replace(&mut self.inner, Inner::Absent) {
            Inner::Unread { life, content } => {
                let deadline = if life.bor == 0 {
                    life.expires_at
                } else {
                    life.expires_at.min(clock.saturating_add(u64::from(life.bor)))
                };
                outputs.push(Output::Shown { content: content.clone(), deadline });
                self.inner = Inner::Read { life, read_at: clock, deadline, content };
                Ok(())
            }
            inner @ Inner::Read { .. } => {
                if let Inner::Read { deadline, content, .. } = &inner {
                    outputs.push(Output::Shown { content: content.clone(), deadline: *deadline });
                }
                self.inner = inner;
                Ok(())
            }
            inner @ Inner::Destroyed { .. } => {
                self.inner = inner;
                Err(ExpiryError::Destroyed)
            }
            inner @ (Inner::Absent | Inner::RecallNoted { .. }) => {
                self.inner = inner;
                Err(ExpiryError::UnknownMessage)
            }
        }
    }

    /// EXP-030, EXP-031, EXP-032.
    fn recall(&mut self, by: &[u8], outputs: &mut Outputs) -> Result<(), ExpiryError> {
        let by = DeviceId::new(by).ok_or(ExpiryError::NotSender)?;
        match &mut self.inner {
            Inner::Unread { life, .. } | Inner::Read { life, .. } => {
                if life.sender != by {
                    return Err(ExpiryError::NotSender);
                }
                self.destroy(Reason::Recalled, outputs);
                Ok(())
            }
            Inner::Destroyed { sender, .. } => match sender {
                Some(sender) if *sender != by => Err(ExpiryError::NotSender),
                _ => Ok(()),
            },
            Inner::Absent => {
                let mut recallers = [None; MAX_PENDING_RECALLERS];
                recallers[0] = Some(by);
                self.inner = Inner::RecallNoted { forget_at: self.clock.saturating_add(RECALL_MEMORY), recallers };
                outputs.push(Output::RecallNoted);
                Ok(())
            }
            Inner::RecallNoted { recallers, .. } => {
                if recallers.iter().flatten().any(|r| *r == by) {
                    return Ok(());
                }
                let slot = recallers.iter_mut().find(|r| r.is_none()).ok_or(ExpiryError::RecallLimit)?;
                *slot = Some(by);
                outputs.push(Output::RecallNoted);
                Ok(())
            }
        }
    }

    /// EXP-014: a cap can only move a live message's deadlines earlier.
    fn set_cap(&mut self, cap: Option<u32>, outputs: &mut Outputs) -> Result<(), ExpiryError> {
        if cap.is_some_and(|c| c == 0 || c > MAX_TTL) {
            return Err(ExpiryError::InvalidCap);
        }
        self.cap = cap;
        let Some(cap) = cap else { return Ok(()) };
        let clock = self.clock;
        let moved = match &mut self.inner {
            Inner::Unread { life, .. } => {
                let capped = life.start.saturating_add(u64::from(cap));
                (capped < life.expires_at).then(|| {
                    life.expires_at = capped;
                    capped
                })
            }
            Inner::Read { life, deadline, .. } => {
                let capped = life.start.saturating_add(u64::from(cap));
                life.expires_at = life.expires_at.min(capped);
                (capped < *deadline).then(|| {
                    *deadline = capped;
                    capped
                })
            }
            _ => None,
        };
        if let Some(deadline) = moved {
            if clock >= deadline {
                self.destroy(Reason::Expired, outputs);
            } else {
                outputs.push(Output::DeadlineMoved { deadline });
            }
        }
        Ok(())
    }
}
