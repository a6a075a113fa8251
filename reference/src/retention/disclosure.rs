//! What the operator could disclose about an account (spec/retention.md section 7).
//!
//! A [`Disclosure`] is built by [`Server::disclose`](super::Server::disclose) from every item of
//! the state that is keyed by the account or names it; section 7 argues, and
//! `reference/tests/retention.rs` checks on random states (RET-061), that the disclosures of all
//! known identifiers together cover the whole state.

use alloc::vec::Vec;

use super::{AccountId, MessageId, Platform, RecordKind, RouteId};

/// The account facts of the source documents' list "What Information Does Wickr Store?"
/// (RET-050, RET-062). Dates are day numbers (`time / 86,400`), never times of day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    /// The day the account was registered.
    pub created_day: u64,
    /// The day of its latest accepted event.
    pub last_use_day: u64,
    /// The platforms of every device it has added, in label order.
    pub platforms: Vec<Platform>,
    /// How many messages it has sent (accepted stores, RET-011).
    pub sent: u64,
    /// How many messages were stored for at least one of its devices, sent by another account.
    pub received: u64,
    /// How many external IDs are linked (their hashes live in the identity directory).
    pub external_ids: u8,
    /// Whether it has an avatar.
    pub avatar: bool,
}

/// An activity record (RET-051): a kind and a time, and for message counts the two counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordView {
    /// The kind.
    pub kind: RecordKind,
    /// When (for message counts: the start of their day).
    pub at: u64,
    /// When it will be deleted.
    pub until: u64,
    /// Whether a preservation hold keeps it.
    pub held: bool,
    /// Direct messages counted (message counts only; 0 otherwise).
    pub direct: u64,
    /// Room messages counted (message counts only; 0 otherwise).
    pub room: u64,
}

/// A recipient of a held message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecipientView {
    /// The device.
    pub device: RouteId,
    /// Whether it has acknowledged.
    pub acked: bool,
}

/// A held message: its routing metadata and the length of its ciphertext (RET-010). The
/// ciphertext itself the operator could hand over, but not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageView {
    /// The message ID.
    pub message_id: MessageId,
    /// The conversation.
    pub conversation: RouteId,
    /// The sending account.
    pub sender: AccountId,
    /// The sending device.
    pub sender_device: RouteId,
    /// The sender's `sent_at`.
    pub sent_at: u64,
    /// The message's `ttl`.
    pub ttl: u32,
    /// When the server stored it.
    pub stored_at: u64,
    /// Its deadline.
    pub purge_by: u64,
    /// The length of its ciphertext.
    pub ciphertext_len: usize,
    /// Its recipients, in device order.
    pub recipients: Vec<RecipientView>,
}

/// Everything the server holds about one identifier (RET-060).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disclosure {
    /// The identifier.
    pub account: AccountId,
    /// Whether it is tombstoned.
    pub terminated: bool,
    /// Its facts: a live account's, or a terminated account's while a hold preserves them.
    pub facts: Option<Facts>,
    /// Its devices and their platforms, in device order.
    pub devices: Vec<(RouteId, Platform)>,
    /// The conversations it is a member of, in order.
    pub rooms: Vec<RouteId>,
    /// The identifiers it blocks, in order.
    pub block_list: Vec<AccountId>,
    /// Its activity records, oldest first.
    pub records: Vec<RecordView>,
    /// When its preservation hold lapses, if one is active.
    pub hold_until: Option<u64>,
    /// Held messages it sent or that one of its devices is to receive, in store order.
    pub messages: Vec<MessageView>,
}
