//! The per-message ratchet (spec/session.md section 5): one chain per direction, the receive window,
//! and the limits that force a rekey.
//!
//! Invariants, as section 9 of the chapter states them (checked by `reference/tests/session_model.rs`):
//!
//! - SES-042, SES-044 (forward secrecy): a key handed out by [`Session::send`] or committed by
//!   [`Receipt::commit`] is no longer in the session, and both chain keys are past its index.
//! - SES-043 (no replay): an index is committed at most once.
//! - SES-045 (bounded window): at most [`MAX_SKIPPED`] skipped keys, each within the 64 indices below
//!   `next` and not received.
//! - SES-044 (refusals change nothing): a refused receive, or a [`Receipt`] dropped without
//!   commit, leaves the session as it was.

use alloc::vec::Vec;
use core::fmt;

use super::{
    ChainKey, HEADER_LEN, Id, KEY_LEN, MAX_MESSAGES, MAX_SKIPPED, MessageKey, REKEY_AFTER, SESSION_ID_LEN,
    SessionError, WINDOW,
};
use crate::codec::{Reader, Writer};

/// Which side of the handshake a session end was (SES-025, SES-026).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// It sent the init message; it sends on `ck_AB`.
    Initiator,
    /// It received the init message; it sends on `ck_BA`.
    Responder,
}

impl Role {
    /// The byte of the public state (SES-080).
    #[must_use]
    pub const fn byte(self) -> u8 {
        match self {
            Self::Initiator => 0,
            Self::Responder => 1,
        }
    }
}

/// The header sent beside each message (SES-041): which session, which index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionHeader {
    /// The session ID (SES-024).
    pub session_id: [u8; SESSION_ID_LEN],
    /// The message's index in its direction.
    pub index: u32,
}

impl SessionHeader {
    /// Decodes a session header.
    ///
    /// # Errors
    /// `session.truncated` or `session.trailing_data` (SES-041).
    pub fn decode(bytes: &[u8]) -> Result<Self, SessionError> {
        let mut r = Reader::new(bytes);
        let header = Self { session_id: r.array("session id")?, index: r.u32("index")? };
        r.finish("session header")?;
        Ok(header)
    }

    /// The encoding: `sid || u32(index)`.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        let mut w = Writer::new(&mut out);
        if w.put(&self.session_id).and_then(|()| w.u32(self.index)).is_err() {
            unreachable!("a header is exactly HEADER_LEN bytes");
        }
        out
    }
}

/// A skipped message's key, kept until its message arrives or it leaves the window (SES-045).
struct Skipped {
    index: u32,
    key: MessageKey,
}

/// The sending side: a chain key and the count of messages sent, or nothing once 65,536 were sent.
enum SendChain {
    /// `key` is `ck_sent`.
    Open { key: ChainKey, sent: u32 },
    /// 65,536 messages were sent; the chain key is gone (SES-046).
    Exhausted,
}

/// The receiving side (SES-043): `key` is `ck_next`; bit `k` of `received` is index `next - 1 - k`;
/// `stored` counts the occupied `skipped` slots, so that an in-order message, with none stored,
/// does not scan them.
struct RecvChain {
    key: ChainKey,
    next: u32,
    received: u64,
    skipped: [Option<Skipped>; MAX_SKIPPED],
    stored: usize,
}

impl RecvChain {
    fn was_received(&self, index: u32) -> bool {
        let bit = self.next - 1 - index;
        self.received & (1u64 << bit) != 0
    }
}

/// One end of a pairwise session: its ID, its peer, and both chains (section 5).
pub struct Session {
    id: [u8; SESSION_ID_LEN],
    role: Role,
    peer_account: Id,
    peer_device: Id,
    established_at: u64,
    send: SendChain,
    recv: RecvChain,
}

/// Everything public about a session end: what the checkpoint encodes (SES-080).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionState {
    /// The session ID.
    pub session_id: [u8; SESSION_ID_LEN],
    /// Which side of the handshake this end was.
    pub role: Role,
    /// The peer's account.
    pub peer_account: Id,
    /// The peer's device.
    pub peer_device: Id,
    /// When this end was created.
    pub established_at: u64,
    /// Messages sent (65,536 once the chain is exhausted).
    pub sent: u32,
    /// One more than the highest index received, or 0.
    pub next: u32,
    /// Bit `k`: index `next - 1 - k` was received.
    pub received: u64,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session").field("state", &self.state()).finish_non_exhaustive()
    }
}

impl Session {
    pub(super) fn new(
        id: [u8; SESSION_ID_LEN],
        role: Role,
        peer_account: Id,
        peer_device: Id,
        established_at: u64,
        send_key: ChainKey,
        recv_key: ChainKey,
    ) -> Self {
        Self {
            id,
            role,
            peer_account,
            peer_device,
            established_at,
            send: SendChain::Open { key: send_key, sent: 0 },
            recv: RecvChain { key: recv_key, next: 0, received: 0, skipped: [const { None }; MAX_SKIPPED], stored: 0 },
        }
    }

    /// The session ID.
    #[must_use]
    pub const fn id(&self) -> [u8; SESSION_ID_LEN] {
        self.id
    }

    /// The peer's account.
    #[must_use]
    pub const fn peer_account(&self) -> &Id {
        &self.peer_account
    }

    /// The peer's device.
    #[must_use]
    pub const fn peer_device(&self) -> &Id {
        &self.peer_device
    }

    /// The public state (SES-080).
    #[must_use]
    pub const fn state(&self) -> SessionState {
        SessionState {
            session_id: self.id,
            role: self.role,
            peer_account: self.peer_account,
            peer_device: self.peer_device,
            established_at: self.established_at,
            sent: match &self.send {
                SendChain::Open { sent, .. } => *sent,
                SendChain::Exhausted => MAX_MESSAGES,
            },
            next: self.recv.next,
            received: self.recv.received,
        }
    }

    /// The indices whose skipped keys are stored, in no particular order (SES-045).
    pub fn skipped_indices(&self) -> impl Iterator<Item = u32> + '_ {
        self.recv.skipped.iter().flatten().map(|s| s.index)
    }

    /// Whether any key the session holds — either chain key or a skipped key — equals `candidate`.
    /// Tests use it to show that a used message key is gone (SES-042, SES-044).
    #[must_use]
    pub fn holds_secret_for_testing_only(&self, candidate: &[u8; KEY_LEN]) -> bool {
        let sending = matches!(&self.send, SendChain::Open { key, .. } if key.matches(candidate));
        sending
            || self.recv.key.matches(candidate)
            || self.recv.skipped.iter().flatten().any(|s| s.key.as_bytes() == candidate)
    }

    /// Whether a send at `now` would be allowed (SES-046, SES-047).
    ///
    /// # Errors
    /// `session.rekey_required` when the session is 7 days old or its sending chain is exhausted.
    pub const fn can_send(&self, now: u64) -> Result<(), SessionError> {
        if now >= self.established_at.saturating_add(REKEY_AFTER) {
            return Err(SessionError::RekeyRequired);
        }
        match self.send {
            SendChain::Open { .. } => Ok(()),
            SendChain::Exhausted => Err(SessionError::RekeyRequired),
        }
    }

    /// Sends one message at `now` (SES-042): the header to send beside it and its key, which the
    /// caller uses as the wrap key of exactly one envelope and then drops.
    ///
    /// # Errors
    /// `session.rekey_required` (SES-046, SES-047).
    pub fn send(&mut self, now: u64) -> Result<(SessionHeader, MessageKey), SessionError> {
        self.can_send(now)?;
        let SendChain::Open { key, sent } = &mut self.send else {
            return Err(SessionError::RekeyRequired);
        };
        let index = *sent;
        let (message_key, next_key) = key.step();
        // The old chain key is dropped, and so zeroized, here.
        *key = next_key;
        match sent.checked_add(1) {
            Some(count) if count < MAX_MESSAGES => *sent = count,
            _ => self.send = SendChain::Exhausted,
        }
        Ok((SessionHeader { session_id: self.id, index }, message_key))
    }

    /// Computes the key of the message with `header` without changing anything (SES-043, SES-044).
    /// The returned [`Receipt`] commits the receive only when told to, after the envelope opened.
    ///
    /// # Errors
    /// `session.closed` when the header names another session; `session.too_far_ahead`,
    /// `session.too_old` or `session.replay`, in the order of SES-043.
    pub fn receive(&mut self, header: &SessionHeader) -> Result<Receipt<'_>, SessionError> {
        if header.session_id != self.id {
            return Err(SessionError::Closed);
        }
        let index = header.index;
        let recv = &self.recv;
        if index >= MAX_MESSAGES || (index >= recv.next && index - recv.next >= WINDOW) {
            return Err(SessionError::TooFarAhead);
        }
        if index < recv.next {
            if recv.next - index > WINDOW {
                return Err(SessionError::TooOld);
            }
            if recv.was_received(index) {
                return Err(SessionError::Replay);
            }
            // Every index in the window that was not received has its key stored (SES-045).
            let slot = recv
                .skipped
                .iter()
                .position(|s| s.as_ref().is_some_and(|s| s.index == index))
                .ok_or(SessionError::Replay)?;
            let mut key = MessageKey([0u8; KEY_LEN]);
            if let Some(stored) = &recv.skipped[slot] {
                key.0.copy_from_slice(stored.key.as_bytes());
            }
            return Ok(Receipt { recv: &mut self.recv, index, key, pending: Pending::Skipped { slot } });
        }
        // index - next < 64: step the chain without touching the stored one, keeping the skipped
        // keys aside (an in-order message skips none, and the empty list does not allocate).
        let (mut key, mut chain) = recv.key.step();
        let mut skipped = Vec::with_capacity((index - recv.next) as usize);
        for skipped_index in recv.next..index {
            skipped.push(Skipped { index: skipped_index, key });
            (key, chain) = chain.step();
        }
        Ok(Receipt { recv: &mut self.recv, index, key, pending: Pending::Ahead { chain, skipped } })
    }
}

/// What committing a receive changes.
enum Pending {
    /// Use the stored skipped key in this slot.
    Skipped { slot: usize },
    /// Move the chain to `chain` (the key after `index`) and keep these skipped keys.
    Ahead { chain: ChainKey, skipped: Vec<Skipped> },
}

/// A computed, not yet committed receive (SES-044). Dropping it changes nothing.
pub struct Receipt<'s> {
    recv: &'s mut RecvChain,
    index: u32,
    key: MessageKey,
    pending: Pending,
}

impl fmt::Debug for Receipt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receipt").field("index", &self.index).finish_non_exhaustive()
    }
}

impl Receipt<'_> {
    /// The message's index.
    #[must_use]
    pub const fn index(&self) -> u32 {
        self.index
    }

    /// The message key, to open the envelope with.
    #[must_use]
    pub const fn message_key(&self) -> &MessageKey {
        &self.key
    }

    /// Commits the receive once the message authenticated (SES-044): marks the index received,
    /// erases its key from the session, moves the window, and hands the key over.
    #[must_use = "the key is handed over to be used and dropped"]
    pub fn commit(self) -> MessageKey {
        let Self { recv, index, key, pending } = self;
        match pending {
            Pending::Skipped { slot } => {
                recv.skipped[slot] = None;
                recv.stored -= 1;
                recv.received |= 1u64 << (recv.next - 1 - index);
            }
            Pending::Ahead { chain, skipped } => {
                let shift = index + 1 - recv.next;
                recv.received = (if shift >= 64 { 0 } else { recv.received << shift }) | 1;
                recv.next = index + 1;
                recv.key = chain;
                // Keys that left the window go (SES-043 step 5, SES-045).
                let floor = recv.next.saturating_sub(WINDOW);
                if recv.stored > 0 {
                    for slot in &mut recv.skipped {
                        if slot.as_ref().is_some_and(|s| s.index < floor) {
                            *slot = None;
                            recv.stored -= 1;
                        }
                    }
                }
                // The new skipped keys are all within the window, and with the ones kept they are
                // at most 63, so a free slot exists for each (SES-045).
                let mut free = recv.skipped.iter_mut().filter(|slot| slot.is_none());
                for new in skipped {
                    if let Some(slot) = free.next() {
                        *slot = Some(new);
                        recv.stored += 1;
                    }
                }
            }
        }
        key
    }
}
