//! The server's retention policy as an executable state machine (spec/retention.md, requirements
//! `RET-nnn`).
//!
//! [`Server`] is a pure model of what an operator's relay keeps, for how long, and what it could
//! disclose: no I/O, no clock of its own (every event comes with `now`), no randomness. One call of
//! [`Server::handle`] is one *step* (RET-003): first time passes and everything whose deadline it
//! reaches is purged, then the event is applied. The step gives the [`Reply`] the requester sees
//! (or the error code of a refusal) and the [`Output`]s an operator's log would show.
//!
//! ```
//! use cinder::retention::{AccountId, Config, Event, Output, Platform, Profile, PurgeReason, Reply, Server, Store};
//!
//! let mut server = Server::new(Config::new(Profile::Consumer, None).unwrap());
//! let (alice, bob) = (AccountId([0xa1; 32]), AccountId([0xb0; 32]));
//! let t0 = 1_767_225_600;
//! for (account, device) in [(alice, &b"alice-phone"[..]), (bob, &b"bob-phone"[..])] {
//!     server.handle(&Event::Register { account }, t0).result.unwrap();
//!     server.handle(&Event::AddDevice { account, device, platform: Platform::Ios }, t0).result.unwrap();
//!     server.handle(&Event::Join { account, conversation: b"dm-1" }, t0).result.unwrap();
//! }
//! let store = Store {
//!     device: b"alice-phone",
//!     message_id: [7; 16],
//!     conversation: b"dm-1",
//!     sent_at: t0,
//!     ttl: 86_400,
//!     ciphertext: b"an envelope, opaque to the server",
//! };
//! let step = server.handle(&Event::Store(store), t0 + 1);
//! assert_eq!(step.result, Ok(Reply::Accepted { message_id: [7; 16] }));
//!
//! // Bob's phone fetches and acknowledges: the server purges the message at once.
//! let fetched = server.handle(&Event::Fetch { device: b"bob-phone" }, t0 + 2);
//! assert!(matches!(fetched.result, Ok(Reply::Messages(ref m)) if m.len() == 1));
//! let acked = server.handle(&Event::Ack { device: b"bob-phone", message_id: [7; 16] }, t0 + 3);
//! assert_eq!(acked.outputs, vec![Output::Purged { message_id: [7; 16], reason: PurgeReason::Delivered }]);
//! assert_eq!(server.held_count(), 0);
//! ```

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;

use crate::envelope::{COMMITMENT_LEN, ID_MAX_LEN, MAX_HEADER_LEN, MAX_RECIPIENTS, SEALED_MAX_LEN, WRAPPED_LEN};
use crate::primitives::AEAD_TAG_LEN;

mod disclosure;
mod server;

pub use disclosure::{Disclosure, Facts, MessageView, RecipientView, RecordView};
pub use server::{AuditError, Census, Server};

/// One day in seconds. Account facts keep dates as day numbers, `time / DAY` (RET-050).
pub const DAY: u64 = 86_400;
/// The consumer profile's cap on how long the server holds a message: 6 days (RET-001).
pub const CONSUMER_CAP: u32 = 518_400;
/// The enterprise profile's cap: 30 days (RET-001).
pub const ENTERPRISE_CAP: u32 = 2_592_000;
/// How long an activity record is kept: 6 days, in both profiles (RET-051).
pub const RECORD_LIFETIME: u64 = 518_400;
/// How long a preservation hold keeps an account's records: 90 days (RET-053).
pub const HOLD_LIFETIME: u64 = 7_776_000;
/// Longest `ttl` a message may carry, as the envelope bounds it (ENV-015).
pub const MAX_TTL: u32 = crate::envelope::MAX_TTL;
/// Shortest device or conversation ID (ENV-012).
pub const ID_MIN_LEN: usize = crate::envelope::ID_MIN_LEN;
/// Longest ciphertext a store may carry: the largest envelope the envelope chapter allows (a
/// 1 MiB body, padded, and 1,000 recipients with 64-byte IDs): 1,194,559 bytes (RET-004).
pub const MAX_CIPHERTEXT_LEN: usize = MAX_HEADER_LEN
    + COMMITMENT_LEN
    + 2
    + MAX_RECIPIENTS * (1 + ID_MAX_LEN + WRAPPED_LEN)
    + 4
    + SEALED_MAX_LEN
    + AEAD_TAG_LEN;
/// Most external identifiers (phone numbers, e-mail addresses) an account may link (RET-050).
pub const MAX_EXTERNAL_IDS: u8 = 8;

/// A message ID, as in the envelope's routing header.
pub type MessageId = [u8; crate::envelope::MESSAGE_ID_LEN];

/// An account's identifier as the server knows it: the 32-byte server hash of its user ID
/// (IDH-026), never the user ID itself.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId(pub [u8; 32]);

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountId(")?;
        for b in &self.0[..4] {
            write!(f, "{b:02x}")?;
        }
        write!(f, "..)")
    }
}

/// A device or conversation ID held by the server: 1 to 64 bytes (ENV-012), stored inline.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RouteId {
    len: u8,
    bytes: [u8; ID_MAX_LEN],
}

impl RouteId {
    /// The ID of `bytes`, if it is 1 to 64 bytes long.
    #[must_use]
    pub fn new(bytes: &[u8]) -> Option<Self> {
        if bytes.len() < ID_MIN_LEN || bytes.len() > ID_MAX_LEN {
            return None;
        }
        let mut out = [0u8; ID_MAX_LEN];
        out[..bytes.len()].copy_from_slice(bytes);
        let len = u8::try_from(bytes.len()).ok()?;
        Some(Self { len, bytes: out })
    }

    /// The ID's bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl PartialOrd for RouteId {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for RouteId {
    /// Byte order, shorter first when one is a prefix of the other (as ENV-014 orders recipients).
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl fmt::Debug for RouteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match core::str::from_utf8(self.as_bytes()) {
            Ok(text) => write!(f, "{text:?}"),
            Err(_) => write!(f, "{:?}", self.as_bytes()),
        }
    }
}

/// The two service profiles and their caps (RET-001).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Profile {
    /// The consumer service: messages held at most 6 days.
    Consumer,
    /// The enterprise service: messages held at most 30 days.
    Enterprise,
}

impl Profile {
    /// Both profiles.
    pub const ALL: [Self; 2] = [Self::Consumer, Self::Enterprise];

    /// The profile's cap in seconds: the longest any deployment of it may hold a message.
    #[must_use]
    pub const fn max_cap(self) -> u32 {
        match self {
            Self::Consumer => CONSUMER_CAP,
            Self::Enterprise => ENTERPRISE_CAP,
        }
    }

    /// The label used in vectors and the adapter protocol.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Consumer => "consumer",
            Self::Enterprise => "enterprise",
        }
    }

    /// The profile of a label.
    #[must_use]
    pub fn from_label(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.label() == label)
    }
}

/// A deployment's configuration: its profile and the cap it applies (RET-001).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    profile: Profile,
    cap: u32,
}

impl Config {
    /// A configuration with `cap` seconds (1 up to the profile's cap), or the profile's cap when
    /// `cap` is `None`.
    ///
    /// # Errors
    /// `retention.invalid_cap` when `cap` is 0 or above the profile's cap (RET-001).
    pub const fn new(profile: Profile, cap: Option<u32>) -> Result<Self, RetentionError> {
        let cap = match cap {
            None => profile.max_cap(),
            Some(c) => c,
        };
        if cap == 0 || cap > profile.max_cap() {
            return Err(RetentionError::InvalidCap { cap });
        }
        Ok(Self { profile, cap })
    }

    /// The profile.
    #[must_use]
    pub const fn profile(&self) -> Profile {
        self.profile
    }

    /// The cap in seconds.
    #[must_use]
    pub const fn cap(&self) -> u32 {
        self.cap
    }
}

/// The kind of device an account uses: the "type of device" the source documents list (RET-050).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Platform {
    /// A phone or tablet running iOS.
    Ios,
    /// A phone or tablet running Android.
    Android,
    /// A desktop application.
    Desktop,
    /// A web client.
    Web,
}

impl Platform {
    /// Every platform, in label order.
    pub const ALL: [Self; 4] = [Self::Ios, Self::Android, Self::Desktop, Self::Web];

    /// The label used in vectors and the adapter protocol.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Ios => "ios",
            Self::Android => "android",
            Self::Desktop => "desktop",
            Self::Web => "web",
        }
    }

    /// The platform of a label.
    #[must_use]
    pub fn from_label(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.label() == label)
    }
}

/// A change to an account's settings that the server records (RET-051), other than devices and
/// the block list, which have their own events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum SettingChange {
    /// An external ID (phone number or e-mail address) was linked; the server learns its server
    /// hash (identity chapter), this model only the count.
    LinkExternalId,
    /// An external ID was unlinked.
    UnlinkExternalId,
    /// An avatar was set or replaced.
    SetAvatar,
    /// The avatar was removed.
    RemoveAvatar,
}

impl SettingChange {
    /// Every change, in label order.
    pub const ALL: [Self; 4] = [Self::LinkExternalId, Self::UnlinkExternalId, Self::SetAvatar, Self::RemoveAvatar];

    /// The label used in vectors and the adapter protocol.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::LinkExternalId => "link_external_id",
            Self::UnlinkExternalId => "unlink_external_id",
            Self::SetAvatar => "set_avatar",
            Self::RemoveAvatar => "remove_avatar",
        }
    }

    /// The change of a label.
    #[must_use]
    pub fn from_label(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.label() == label)
    }
}

/// What a store asks the server to hold: the routing header of an envelope (ENV-001) and the
/// envelope itself as opaque bytes (RET-010).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Store<'a> {
    /// The sending device.
    pub device: &'a [u8],
    /// The message ID.
    pub message_id: MessageId,
    /// The conversation (room) it is sent to.
    pub conversation: &'a [u8],
    /// When the sender says it was sent.
    pub sent_at: u64,
    /// Its time to live in seconds.
    pub ttl: u32,
    /// The whole envelope: the server never reads it.
    pub ciphertext: &'a [u8],
}

impl fmt::Debug for Store<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("device", &self.device)
            .field("message_id", &self.message_id)
            .field("conversation", &self.conversation)
            .field("sent_at", &self.sent_at)
            .field("ttl", &self.ttl)
            .field("ciphertext_len", &self.ciphertext.len())
            .finish()
    }
}

/// The events of RET-002. Byte-string fields are checked inside [`Server::handle`], so an
/// out-of-bounds field is a refusal of its step (`retention.invalid_event`), not a construction
/// error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// An account is created with this identifier.
    Register {
        /// The new account.
        account: AccountId,
    },
    /// An account adds a device.
    AddDevice {
        /// The account.
        account: AccountId,
        /// The new device's ID, unique on the server.
        device: &'a [u8],
        /// Its platform.
        platform: Platform,
    },
    /// An account removes one of its devices.
    RemoveDevice {
        /// The account.
        account: AccountId,
        /// The device.
        device: &'a [u8],
    },
    /// An account joins a conversation (creating it if nobody is in it).
    Join {
        /// The account.
        account: AccountId,
        /// The conversation.
        conversation: &'a [u8],
    },
    /// An account leaves a conversation.
    Leave {
        /// The account.
        account: AccountId,
        /// The conversation.
        conversation: &'a [u8],
    },
    /// An account adds another account to its block list.
    Block {
        /// The account that blocks.
        account: AccountId,
        /// The account blocked (any identifier, registered or not).
        blocked: AccountId,
    },
    /// An account removes another account from its block list.
    Unblock {
        /// The account that unblocks.
        account: AccountId,
        /// The account unblocked.
        blocked: AccountId,
    },
    /// An account changes a setting.
    ChangeSetting {
        /// The account.
        account: AccountId,
        /// The change.
        change: SettingChange,
    },
    /// A device sends a message.
    Store(Store<'a>),
    /// A device asks for the messages waiting for it.
    Fetch {
        /// The device.
        device: &'a [u8],
    },
    /// A device acknowledges that it has a message.
    Ack {
        /// The device.
        device: &'a [u8],
        /// The message.
        message_id: MessageId,
    },
    /// A device recalls a message it sent.
    Recall {
        /// The device.
        device: &'a [u8],
        /// The message.
        message_id: MessageId,
    },
    /// An account terminates itself.
    Terminate {
        /// The account.
        account: AccountId,
    },
    /// The operator receives a preservation request for an account.
    Hold {
        /// The account.
        account: AccountId,
    },
    /// The operator lists everything it holds about an account.
    Disclose {
        /// The account.
        account: AccountId,
    },
    /// Time passes; nothing else happens.
    Tick,
}

/// A message as a fetch hands it to a device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The message ID.
    pub message_id: MessageId,
    /// The ciphertext exactly as it was stored.
    pub ciphertext: Vec<u8>,
}

/// What the requester of an event is told when the event is accepted (RET-005). Nothing else
/// reaches it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// `register` accepted.
    Registered,
    /// `add_device` accepted.
    DeviceAdded,
    /// `remove_device` accepted.
    DeviceRemoved,
    /// `join` accepted.
    Joined,
    /// `leave` accepted.
    Left,
    /// `block` accepted.
    Blocked,
    /// `unblock` accepted.
    Unblocked,
    /// `change_setting` accepted.
    SettingChanged,
    /// `store` accepted: the same reply whatever the server then does with it (RET-011, RET-042).
    Accepted {
        /// The message ID of the store.
        message_id: MessageId,
    },
    /// `fetch`: the messages waiting for the device, in the order they were stored.
    Messages(Vec<Delivery>),
    /// `ack` accepted.
    Acked,
    /// `recall` accepted: the same reply whether or not anything was purged (RET-024).
    Recalled {
        /// The message ID of the recall.
        message_id: MessageId,
    },
    /// `terminate` accepted.
    Terminated,
    /// `hold` accepted: records are preserved until this time.
    Held {
        /// When the hold lapses.
        until: u64,
    },
    /// `disclose`: everything the server holds about the account (RET-060).
    Disclosure(Box<Disclosure>),
    /// `tick` accepted.
    Ticked,
}

/// Why a store was accepted but nothing was held (RET-011).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NotStoredReason {
    /// The message's expiry had passed when it arrived (RET-021).
    Expired,
    /// No device is to receive it: the conversation has no other device, or every other member
    /// blocks the sender (RET-030, RET-041).
    NoRecipients,
}

impl NotStoredReason {
    /// The label used in vectors.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Expired => "expired",
            Self::NoRecipients => "no_recipients",
        }
    }
}

/// Why a held message was purged (RET-025): the only reasons there are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PurgeReason {
    /// The last pending recipient acknowledged it (RET-022).
    Delivered,
    /// The last pending delivery was dropped: its device was removed (RET-033).
    Dropped,
    /// Its sending device recalled it (RET-024).
    Recalled,
    /// Its expiry, `min(sent_at, stored_at) + ttl`, was reached (RET-021).
    Expiry,
    /// The cap, `stored_at + cap`, was reached before its expiry (RET-021).
    Cap,
    /// Its sender's account was terminated (RET-054).
    SenderTerminated,
}

impl PurgeReason {
    /// The label used in vectors.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Dropped => "dropped",
            Self::Recalled => "recalled",
            Self::Expiry => "expiry",
            Self::Cap => "cap",
            Self::SenderTerminated => "sender_terminated",
        }
    }
}

/// The kinds of activity record the server keeps (RET-051): a closed list, none of which can
/// hold content, a message ID, a conversation, a device or another account (RET-052).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RecordKind {
    /// How many direct and room messages the account sent during one day.
    MessageCounts,
    /// A device was added.
    DeviceAdded,
    /// A device was removed.
    DeviceRemoved,
    /// The block list changed (an account was blocked or unblocked; which one is not recorded).
    BlockListChanged,
    /// An external ID was linked.
    ExternalIdLinked,
    /// An external ID was unlinked.
    ExternalIdUnlinked,
    /// The avatar was set, replaced or removed.
    AvatarChanged,
}

impl RecordKind {
    /// The label used in vectors.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::MessageCounts => "message_counts",
            Self::DeviceAdded => "device_added",
            Self::DeviceRemoved => "device_removed",
            Self::BlockListChanged => "block_list_changed",
            Self::ExternalIdLinked => "external_id_linked",
            Self::ExternalIdUnlinked => "external_id_unlinked",
            Self::AvatarChanged => "avatar_changed",
        }
    }
}

/// Why a record was deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordEnd {
    /// Its lifetime (6 days, or its hold) ended (RET-051, RET-053).
    Expired,
    /// Its account was terminated and no hold kept it (RET-054).
    Terminated,
}

impl RecordEnd {
    /// The label used in vectors.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Expired => "expired",
            Self::Terminated => "terminated",
        }
    }
}

/// What a step did to the server's holdings: the operator's log (RET-005). The requester sees
/// none of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// A message is now held for these recipients (sorted), until `purge_by` at the latest.
    Stored {
        /// The message.
        message_id: MessageId,
        /// Its recipient devices, fixed now (RET-030), in byte order.
        recipients: Vec<RouteId>,
        /// Its deadline (RET-020).
        purge_by: u64,
    },
    /// A store was accepted but nothing was held.
    NotStored {
        /// The message.
        message_id: MessageId,
        /// Why.
        reason: NotStoredReason,
    },
    /// A held message is gone: ciphertext and metadata.
    Purged {
        /// The message.
        message_id: MessageId,
        /// Why.
        reason: PurgeReason,
    },
    /// A pending delivery was dropped because its device is gone (RET-033).
    Dropped {
        /// The message.
        message_id: MessageId,
        /// The device.
        device: RouteId,
    },
    /// An activity record is gone.
    RecordDeleted {
        /// Whose.
        account: AccountId,
        /// Its kind.
        record: RecordKind,
        /// Its time (for message counts: the start of their day).
        at: u64,
        /// Why.
        reason: RecordEnd,
    },
    /// A preservation hold has lapsed (RET-053).
    HoldLapsed {
        /// The account.
        account: AccountId,
    },
    /// An account's identifier is tombstoned, for ever (RET-055).
    Tombstoned {
        /// The identifier.
        account: AccountId,
    },
}

/// The result of one step (RET-003): the outputs of time and event, and the reply or refusal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// What happened to the server's holdings, in order: first what time did, then the event.
    pub outputs: Vec<Output>,
    /// The reply to the requester, or the refusal's error.
    pub result: Result<Reply, RetentionError>,
}

/// Which field of an event is out of bounds (`retention.invalid_event`, RET-004).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventProblem {
    /// A device ID is not 1 to 64 bytes.
    Device,
    /// A conversation ID is not 1 to 64 bytes.
    Conversation,
    /// `ttl` is not 1 to 31,536,000.
    Ttl,
    /// The ciphertext is empty or longer than [`MAX_CIPHERTEXT_LEN`].
    Ciphertext,
    /// An account tried to block itself.
    SelfBlock,
    /// An account already has [`MAX_EXTERNAL_IDS`] external IDs.
    TooManyExternalIds,
}

/// Every refusal, with its spec error code (spec/retention.md section 8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetentionError {
    /// `retention.invalid_cap`: a configured cap of 0 or above the profile's cap.
    InvalidCap {
        /// The cap that was given.
        cap: u32,
    },
    /// `retention.invalid_event`: a field of the event is out of bounds.
    InvalidEvent(EventProblem),
    /// `retention.account_exists`: the identifier is already registered.
    AccountExists,
    /// `retention.identifier_tombstoned`: the identifier belonged to a terminated account.
    IdentifierTombstoned,
    /// `retention.unknown_account`: no account has this identifier.
    UnknownAccount,
    /// `retention.account_terminated`: the account named as actor is terminated.
    AccountTerminated,
    /// `retention.device_exists`: the device ID is already registered.
    DeviceExists,
    /// `retention.unknown_device`: no registered device has this ID (or not for this account).
    UnknownDevice,
    /// `retention.not_a_member`: the account is not a member of the conversation.
    NotAMember,
    /// `retention.unknown_message`: the server holds no message with this ID pending for this
    /// device (RET-023).
    UnknownMessage,
    /// `retention.no_change`: the event would change nothing.
    NoChange,
}

impl RetentionError {
    /// The spec error code (spec/retention.md section 8).
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::InvalidCap { .. } => "retention.invalid_cap",
            Self::InvalidEvent(_) => "retention.invalid_event",
            Self::AccountExists => "retention.account_exists",
            Self::IdentifierTombstoned => "retention.identifier_tombstoned",
            Self::UnknownAccount => "retention.unknown_account",
            Self::AccountTerminated => "retention.account_terminated",
            Self::DeviceExists => "retention.device_exists",
            Self::UnknownDevice => "retention.unknown_device",
            Self::NotAMember => "retention.not_a_member",
            Self::UnknownMessage => "retention.unknown_message",
            Self::NoChange => "retention.no_change",
        }
    }

    /// Every code this part defines, in the order of the spec's table.
    pub const CODES: [&'static str; 11] = [
        "retention.invalid_cap",
        "retention.invalid_event",
        "retention.account_exists",
        "retention.identifier_tombstoned",
        "retention.unknown_account",
        "retention.account_terminated",
        "retention.device_exists",
        "retention.unknown_device",
        "retention.not_a_member",
        "retention.unknown_message",
        "retention.no_change",
    ];
}

impl fmt::Display for RetentionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidCap { cap } => write!(f, "{}: {cap} s", self.code()),
            Self::InvalidEvent(problem) => write!(f, "{}: {problem:?}", self.code()),
            _ => f.write_str(self.code()),
        }
    }
}

impl core::error::Error for RetentionError {}
