//! Accounts, devices and their sessions: the lifecycle machine of spec/session.md section 6, the
//! scenario events of section 7 (SES-081) and the public-state checkpoint (SES-080).
//!
//! A [`Network`] is everything the chapter's lifecycle table speaks about at once: the account
//! statuses, the device statuses, and each device's keys, prekeys and sessions. A real client holds
//! only its own device's part; the whole is what scenario vectors run on, one event at a time, so
//! that every rule that involves two devices (a handshake, removing a device, a reset) is exercised
//! on both ends.
//!
//! Phases hold different things: a pending or member device holds its keys ([`Held`]); a removed or
//! terminated device holds nothing, and moving it there drops (so zeroizes) everything it had.
//!
//! Invariants (spec section 9, checked by `reference/tests/session_model.rs`): removed and
//! terminated are final (SES-062, SES-064); a refused event changes nothing (SES-027, SES-044;
//! except `send_many`, which keeps the sends made before a refusal); sessions exist in pairs, one end
//! on each device (SES-030).

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::fmt;
use core::num::NonZeroU32;

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::chain::{Certificate, SignedPrekey};
use super::handshake::{InitMessage, LocalIdentity, PeerBundle, PrekeyStore, initiate, respond};
use super::ratchet::{Session, SessionHeader, SessionState};
use super::{CHECKPOINT_LABEL, Id, KEY_LEN, MessageKey, SESSION_ID_LEN, SessionError, X25519Secret};
use crate::codec::{BufferTooSmall, DecodeError, Writer};
use crate::envelope::{self, Content, ContentType, EnvelopeError, Recipient, SealedProblem};
use crate::primitives::{self, HASH_LEN};

/// An account's status (SES-060).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccountStatus {
    /// In use.
    Active,
    /// Terminated, for ever (SES-064).
    Terminated,
}

impl AccountStatus {
    /// The byte of the public state (SES-080).
    #[must_use]
    pub const fn byte(self) -> u8 {
        match self {
            Self::Active => 0,
            Self::Terminated => 1,
        }
    }
}

/// A device's status (SES-060).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeviceStatus {
    /// Certified but not yet added.
    Pending,
    /// A member of its account.
    Member,
    /// Removed, for ever (SES-062).
    Removed,
    /// Its account was terminated (SES-064).
    Terminated,
}

impl DeviceStatus {
    /// The byte of the public state (SES-080).
    #[must_use]
    pub const fn byte(self) -> u8 {
        match self {
            Self::Pending => 0,
            Self::Member => 1,
            Self::Removed => 2,
            Self::Terminated => 3,
        }
    }
}

/// An account of a network: its ID and root public key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountSetup {
    /// The account ID.
    pub account: Id,
    /// Its root public key (Ed25519).
    pub root_key: [u8; KEY_LEN],
}

/// A device of a network, with everything it starts with (SES-081's setup).
#[derive(Debug)]
pub struct DeviceSetup {
    /// Its certificate; its account and device IDs come from it.
    pub certificate: Certificate,
    /// The secret of its identity key.
    pub identity_secret: X25519Secret,
    /// Its signed prekey, as published.
    pub signed_prekey: SignedPrekey,
    /// That prekey's secret.
    pub signed_prekey_secret: X25519Secret,
    /// Its one-time prekeys: ID and secret.
    pub one_time_prekeys: Vec<(u32, X25519Secret)>,
    /// Whether it starts as a member (else pending).
    pub member: bool,
}

/// Why a network cannot be built from a setup (not a protocol error).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SetupError {
    /// Two accounts have this ID.
    DuplicateAccount(Id),
    /// Two devices have this ID (device IDs are unique across a network).
    DuplicateDevice(Id),
    /// A device's certificate names an account that is not in the setup.
    UnknownAccount(Id),
    /// A device lists this one-time prekey ID twice.
    DuplicatePrekey(u32),
    /// More than [`MAX_NETWORK_ITEMS`] accounts, devices, or one-time prekeys of one device.
    TooLarge,
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DuplicateAccount(id) => write!(f, "account {id:?} is listed twice"),
            Self::DuplicateDevice(id) => write!(f, "device {id:?} is listed twice"),
            Self::UnknownAccount(id) => write!(f, "a device belongs to account {id:?}, which is not listed"),
            Self::DuplicatePrekey(id) => write!(f, "one-time prekey {id} is listed twice"),
            Self::TooLarge => write!(f, "more than {MAX_NETWORK_ITEMS} accounts, devices or one-time prekeys"),
        }
    }
}

impl core::error::Error for SetupError {}

/// What one envelope to several devices needs (SES-049, SES-081's `seal`).
#[derive(Clone, Copy, Debug)]
pub struct SealRequest<'a> {
    /// The sending device; it is also the envelope's `sender_device`.
    pub from: &'a [u8],
    /// The recipient devices, in the order the output lists them.
    pub to: &'a [&'a [u8]],
    /// The envelope's message ID.
    pub message_id: [u8; envelope::MESSAGE_ID_LEN],
    /// The envelope's conversation ID.
    pub conversation_id: &'a [u8],
    /// The envelope's `sent_at`.
    pub sent_at: u64,
    /// The envelope's `ttl`.
    pub ttl: u32,
    /// Whether the sealed part is padded.
    pub padded: bool,
    /// Burn-on-read, content type and body.
    pub content: Content<'a>,
}

/// An event of SES-081. Devices and accounts are named by their IDs; one that the network does not
/// know is not a member of anything, so it is refused with `session.revoked`.
#[derive(Clone, Copy, Debug)]
pub enum Event<'a> {
    /// A handshake (SES-025, SES-026), with the given one-time prekey of the responder.
    Handshake {
        /// The initiating device.
        initiator: &'a [u8],
        /// The responding device.
        responder: &'a [u8],
        /// The responder's one-time prekey the directory hands out, if any.
        one_time_prekey: Option<u32>,
    },
    /// One message (SES-042).
    Send {
        /// The sending device.
        from: &'a [u8],
        /// The receiving device.
        to: &'a [u8],
    },
    /// `count` messages as one step; the output is the last one's.
    SendMany {
        /// The sending device.
        from: &'a [u8],
        /// The receiving device.
        to: &'a [u8],
        /// How many.
        count: NonZeroU32,
    },
    /// A message that authenticated arrives (SES-043), committed at once.
    Receive {
        /// The receiving device.
        to: &'a [u8],
        /// The session header, encoded.
        header: &'a [u8],
    },
    /// One envelope to several devices (SES-049).
    Seal(SealRequest<'a>),
    /// An envelope arrives (SES-043, SES-044, SES-049).
    Open {
        /// The receiving device.
        to: &'a [u8],
        /// The session header, encoded.
        header: &'a [u8],
        /// The envelope.
        envelope: &'a [u8],
    },
    /// A pending device is added to its account (SES-061).
    AddDevice(&'a [u8]),
    /// A device is removed from its account (SES-062).
    RemoveDevice(&'a [u8]),
    /// An account's password is reset (SES-063).
    PasswordReset(&'a [u8]),
    /// An account is terminated (SES-064).
    Terminate(&'a [u8]),
}

/// What a step produced (SES-081).
#[derive(Debug)]
pub enum Output {
    /// A session was set up.
    Handshake {
        /// Its ID.
        session_id: [u8; SESSION_ID_LEN],
        /// The init message, encoded.
        init_message: Vec<u8>,
        /// Whether it replaced a session between the two devices.
        replaced: bool,
    },
    /// A message was sent.
    Sent {
        /// Its header.
        header: SessionHeader,
        /// Its key.
        message_key: MessageKey,
    },
    /// A message was received.
    Received {
        /// Its index.
        index: u32,
        /// Its key.
        message_key: MessageKey,
    },
    /// An envelope was sealed.
    Sealed {
        /// The envelope.
        envelope: Vec<u8>,
        /// Per recipient, in the request's order: device, header, wrap key.
        recipients: Vec<(Id, SessionHeader, MessageKey)>,
    },
    /// An envelope was opened.
    Opened {
        /// The message's index.
        index: u32,
        /// Burn-on-read seconds.
        bor: u32,
        /// The content type.
        content_type: ContentType,
        /// The body.
        content: Zeroizing<Vec<u8>>,
    },
    /// A lifecycle event: how many session ends it closed.
    Closed {
        /// Session ends closed (a session closed on both devices counts twice).
        count: usize,
    },
}

/// Why a step was refused: a session code, or an envelope code for what the envelope refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepError {
    /// A `session.*` code.
    Session(SessionError),
    /// An `envelope.*` code (`seal` and `open` only).
    Envelope(EnvelopeError),
}

impl StepError {
    /// The spec error code.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Session(e) => e.code(),
            Self::Envelope(e) => e.code(),
        }
    }
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Session(e) => e.fmt(f),
            Self::Envelope(e) => e.fmt(f),
        }
    }
}

impl core::error::Error for StepError {}

impl From<SessionError> for StepError {
    fn from(e: SessionError) -> Self {
        Self::Session(e)
    }
}

impl From<EnvelopeError> for StepError {
    fn from(e: EnvelopeError) -> Self {
        Self::Envelope(e)
    }
}

impl From<DecodeError> for StepError {
    fn from(e: DecodeError) -> Self {
        Self::Session(SessionError::Decode(e))
    }
}

/// Most accounts, devices, and one-time prekeys per device, in a network: every count of the public
/// state is a `u16` (SES-080).
pub const MAX_NETWORK_ITEMS: usize = u16::MAX as usize;

/// A count of the public state; [`Network::new`] keeps every count within `u16`.
fn count16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

struct Account {
    id: Id,
    root_key: [u8; KEY_LEN],
    status: AccountStatus,
}

/// What the directory hands out for a device.
struct Published {
    certificate: Vec<u8>,
    signed_prekey: Vec<u8>,
    one_time: BTreeMap<u32, [u8; KEY_LEN]>,
}

/// What a pending or member device holds.
struct Held {
    certificate: Certificate,
    identity: X25519Secret,
    store: PrekeyStore,
    sessions: BTreeMap<(Id, Id), Session>,
}

enum Phase {
    Pending(Box<Held>),
    Member(Box<Held>),
    Removed,
    Terminated,
}

struct Device {
    account: usize,
    id: Id,
    published: Published,
    phase: Phase,
}

impl Device {
    const fn status(&self) -> DeviceStatus {
        match self.phase {
            Phase::Pending(_) => DeviceStatus::Pending,
            Phase::Member(_) => DeviceStatus::Member,
            Phase::Removed => DeviceStatus::Removed,
            Phase::Terminated => DeviceStatus::Terminated,
        }
    }

    fn held(&self) -> Option<&Held> {
        match &self.phase {
            Phase::Pending(held) | Phase::Member(held) => Some(held),
            Phase::Removed | Phase::Terminated => None,
        }
    }

    fn held_mut(&mut self) -> Option<&mut Held> {
        match &mut self.phase {
            Phase::Pending(held) | Phase::Member(held) => Some(held),
            Phase::Removed | Phase::Terminated => None,
        }
    }
}

/// Accounts, devices and sessions, as one lifecycle machine (spec/session.md sections 6 and 7).
pub struct Network {
    accounts: Vec<Account>,
    devices: Vec<Device>,
}

impl fmt::Debug for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Network")
            .field("accounts", &self.accounts.iter().map(|a| (a.id, a.status)).collect::<Vec<_>>())
            .field("devices", &self.devices.iter().map(|d| (d.id, d.status())).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Network {
    /// A network in its initial state: every account active, every device pending or member, no
    /// sessions, no prekey used.
    ///
    /// # Errors
    /// A [`SetupError`] when IDs repeat or a device's account is not listed.
    pub fn new(accounts: &[AccountSetup], devices: Vec<DeviceSetup>) -> Result<Self, SetupError> {
        if accounts.len() > MAX_NETWORK_ITEMS
            || devices.len() > MAX_NETWORK_ITEMS
            || devices.iter().any(|d| d.one_time_prekeys.len() > MAX_NETWORK_ITEMS)
        {
            return Err(SetupError::TooLarge);
        }
        let mut list: Vec<Account> = Vec::with_capacity(accounts.len());
        for setup in accounts {
            if list.iter().any(|a| a.id == setup.account) {
                return Err(SetupError::DuplicateAccount(setup.account));
            }
            list.push(Account { id: setup.account, root_key: setup.root_key, status: AccountStatus::Active });
        }
        let mut out = Self { accounts: list, devices: Vec::with_capacity(devices.len()) };
        for setup in devices {
            let id = *setup.certificate.device();
            let account = *setup.certificate.account();
            if out.devices.iter().any(|d| d.id == id) {
                return Err(SetupError::DuplicateDevice(id));
            }
            let account_index =
                out.accounts.iter().position(|a| a.id == account).ok_or(SetupError::UnknownAccount(account))?;
            let mut store = PrekeyStore::new();
            store.add_signed_prekey(
                setup.signed_prekey.id(),
                setup.signed_prekey_secret,
                setup.signed_prekey.not_after(),
            );
            let mut one_time = BTreeMap::new();
            for (prekey_id, secret) in setup.one_time_prekeys {
                one_time.insert(prekey_id, secret.public_key());
                if !store.add_one_time_prekey(prekey_id, secret) {
                    return Err(SetupError::DuplicatePrekey(prekey_id));
                }
            }
            let held = Box::new(Held {
                certificate: setup.certificate,
                identity: setup.identity_secret,
                store,
                sessions: BTreeMap::new(),
            });
            out.devices.push(Device {
                account: account_index,
                id,
                published: Published {
                    certificate: setup.certificate.to_vec(),
                    signed_prekey: setup.signed_prekey.to_vec(),
                    one_time,
                },
                phase: if setup.member { Phase::Member(held) } else { Phase::Pending(held) },
            });
        }
        Ok(out)
    }

    /// Handles one event at time `now` (SES-081); `rng` gives the handshake's ephemeral secret and
    /// the envelope's content key. A refused event changes nothing, except that a `send_many`
    /// keeps the sends it made before the refusal.
    ///
    /// # Errors
    /// The event's spec error (section 8 of the chapter, or the envelope chapter's for `seal` and
    /// `open`).
    pub fn handle<R: CryptoRng + ?Sized>(
        &mut self,
        event: Event<'_>,
        now: u64,
        rng: &mut R,
    ) -> Result<Output, StepError> {
        match event {
            Event::Handshake { initiator, responder, one_time_prekey } => {
                self.handshake(initiator, responder, one_time_prekey, now, rng)
            }
            Event::Send { from, to } => {
                let (header, message_key) = self.send(from, to, now)?;
                Ok(Output::Sent { header, message_key })
            }
            Event::SendMany { from, to, count } => {
                let mut last = self.send(from, to, now)?;
                for _ in 1..count.get() {
                    last = self.send(from, to, now)?;
                }
                Ok(Output::Sent { header: last.0, message_key: last.1 })
            }
            Event::Receive { to, header } => self.receive(to, header),
            Event::Seal(request) => self.seal(&request, now, rng),
            Event::Open { to, header, envelope } => self.open(to, header, envelope),
            Event::AddDevice(device) => self.add_device(device),
            Event::RemoveDevice(device) => self.remove_device(device),
            Event::PasswordReset(account) => self.password_reset(account),
            Event::Terminate(account) => self.terminate(account),
        }
    }

    fn device_index(&self, id: &[u8]) -> Result<usize, SessionError> {
        self.devices.iter().position(|d| d.id.as_bytes() == id).ok_or(SessionError::Revoked)
    }

    fn account_index(&self, id: &[u8]) -> Result<usize, SessionError> {
        self.accounts.iter().position(|a| a.id.as_bytes() == id).ok_or(SessionError::Revoked)
    }

    /// SES-066: a device may take part only while it is a member of an active account.
    fn check_member(&self, index: usize) -> Result<(), SessionError> {
        let device = &self.devices[index];
        if self.accounts[device.account].status == AccountStatus::Terminated {
            return Err(SessionError::Terminated);
        }
        match device.status() {
            DeviceStatus::Member => Ok(()),
            DeviceStatus::Pending | DeviceStatus::Removed => Err(SessionError::Revoked),
            DeviceStatus::Terminated => Err(SessionError::Terminated),
        }
    }

    /// The (account, device) key under which other devices hold their session with device `index`.
    fn peer_key(&self, index: usize) -> (Id, Id) {
        let device = &self.devices[index];
        (self.accounts[device.account].id, device.id)
    }

    fn held_mut(&mut self, index: usize) -> Result<&mut Held, SessionError> {
        self.devices[index].held_mut().ok_or(SessionError::Revoked)
    }

    /// SES-066, SES-025, SES-026, SES-030.
    fn handshake<R: CryptoRng + ?Sized>(
        &mut self,
        initiator: &[u8],
        responder: &[u8],
        one_time_prekey: Option<u32>,
        now: u64,
        rng: &mut R,
    ) -> Result<Output, StepError> {
        let (i, r) = (self.device_index(initiator)?, self.device_index(responder)?);
        self.check_member(i)?;
        self.check_member(r)?;
        if i == r {
            // A device has no session with itself.
            return Err(SessionError::WrongDevice.into());
        }
        let initiator_root = self.accounts[self.devices[i].account].root_key;
        let responder_root = self.accounts[self.devices[r].account].root_key;
        let (responder_key, initiator_key) = (self.peer_key(r), self.peer_key(i));
        let initiated = {
            let held = self.devices[i].held().ok_or(SessionError::Revoked)?;
            let published = &self.devices[r].published;
            let one_time_prekey = match one_time_prekey {
                Some(id) => Some((id, *published.one_time.get(&id).ok_or(SessionError::UnknownPrekey)?)),
                None => None,
            };
            let me = LocalIdentity {
                root_key: initiator_root,
                certificate: &held.certificate,
                identity_secret: &held.identity,
            };
            let bundle = PeerBundle {
                account: &responder_key.0,
                device: &responder_key.1,
                root_key: &responder_root,
                certificate: &published.certificate,
                signed_prekey: &published.signed_prekey,
                one_time_prekey,
            };
            initiate(&me, &bundle, rng, now)?
        };
        let init_message = initiated.message.to_vec();
        // The responder reads the message from the wire, as any responder would.
        let message = InitMessage::decode(&init_message)?;
        let responder_session = {
            let Held { certificate, identity, store, .. } = self.held_mut(r)?;
            let me = LocalIdentity { root_key: responder_root, certificate, identity_secret: identity };
            respond(&me, store, &message, &initiator_root, now)?
        };
        let session_id = initiated.session.id();
        let mut replaced = self.held_mut(r)?.sessions.insert(initiator_key, responder_session).is_some();
        replaced |= self.held_mut(i)?.sessions.insert(responder_key, initiated.session).is_some();
        Ok(Output::Handshake { session_id, init_message, replaced })
    }

    /// SES-066, SES-042.
    fn send(&mut self, from: &[u8], to: &[u8], now: u64) -> Result<(SessionHeader, MessageKey), StepError> {
        let (f, t) = (self.device_index(from)?, self.device_index(to)?);
        self.check_member(f)?;
        self.check_member(t)?;
        let key = self.peer_key(t);
        let session = self.held_mut(f)?.sessions.get_mut(&key).ok_or(SessionError::Closed)?;
        Ok(session.send(now)?)
    }

    /// The session of device `index` that a header names (SES-065).
    fn session_named(&mut self, index: usize, header: &SessionHeader) -> Result<&mut Session, SessionError> {
        self.held_mut(index)?.sessions.values_mut().find(|s| s.id() == header.session_id).ok_or(SessionError::Closed)
    }

    /// SES-066, SES-043, committed at once.
    fn receive(&mut self, to: &[u8], header: &[u8]) -> Result<Output, StepError> {
        let t = self.device_index(to)?;
        self.check_member(t)?;
        let header = SessionHeader::decode(header)?;
        let receipt = self.session_named(t, &header)?.receive(&header)?;
        let index = receipt.index();
        Ok(Output::Received { index, message_key: receipt.commit() })
    }

    /// SES-066, SES-049: every check first, then one key per recipient, then the envelope.
    fn seal<R: CryptoRng + ?Sized>(
        &mut self,
        request: &SealRequest<'_>,
        now: u64,
        rng: &mut R,
    ) -> Result<Output, StepError> {
        let f = self.device_index(request.from)?;
        self.check_member(f)?;
        let mut targets = Vec::with_capacity(request.to.len());
        for device in request.to {
            let t = self.device_index(device)?;
            self.check_member(t)?;
            targets.push(t);
        }
        let keys: Vec<(Id, Id)> = targets.iter().map(|t| self.peer_key(*t)).collect();
        {
            let held = self.devices[f].held().ok_or(SessionError::Revoked)?;
            for key in &keys {
                held.sessions.get(key).ok_or(SessionError::Closed)?.can_send(now)?;
            }
        }
        let sender = self.devices[f].id;
        let header = envelope::Header {
            message_id: request.message_id,
            conversation_id: request.conversation_id,
            sender_device: sender.as_bytes(),
            sent_at: request.sent_at,
            ttl: request.ttl,
            padded: request.padded,
        };
        // The envelope's own checks (ENV-040), in `envelope::seal`'s order, before any key is taken.
        let probe_key = [0u8; KEY_LEN];
        let probe: Vec<Recipient<'_>> =
            keys.iter().map(|(_, device)| Recipient { device: device.as_bytes(), wrap_key: &probe_key }).collect();
        let len = envelope::sealed_len(&header, &probe, request.content.body.len())?;
        if request.content.bor > envelope::MAX_TTL {
            return Err(EnvelopeError::InvalidSealed(SealedProblem::Bor).into());
        }
        let mut sorted: Vec<&[u8]> = keys.iter().map(|(_, device)| device.as_bytes()).collect();
        sorted.sort_unstable();
        if sorted.windows(2).any(|pair| pair[0] == pair[1]) {
            return Err(EnvelopeError::DuplicateRecipient.into());
        }
        // Every check passed: take one key per recipient (SES-042).
        let mut recipients = Vec::with_capacity(keys.len());
        for key in &keys {
            let session = self.held_mut(f)?.sessions.get_mut(key).ok_or(SessionError::Closed)?;
            let (session_header, message_key) = session.send(now)?;
            recipients.push((key.1, session_header, message_key));
        }
        let mut list: Vec<Recipient<'_>> = recipients
            .iter()
            .map(|(device, _, key)| Recipient { device: device.as_bytes(), wrap_key: key.as_bytes() })
            .collect();
        let mut out = alloc::vec![0u8; len];
        let written = envelope::seal(&header, &request.content, &mut list, rng, &mut out)?;
        out.truncate(written);
        Ok(Output::Sealed { envelope: out, recipients })
    }

    /// SES-066, SES-043, ENV-030, the sender check of SES-049, then the commit (SES-044).
    fn open(&mut self, to: &[u8], header: &[u8], sealed: &[u8]) -> Result<Output, StepError> {
        let t = self.device_index(to)?;
        self.check_member(t)?;
        let me = self.devices[t].id;
        let header = SessionHeader::decode(header)?;
        let session = self.session_named(t, &header)?;
        let peer = *session.peer_device();
        let receipt = session.receive(&header)?;
        let mut plain = Zeroizing::new(alloc::vec![0u8; sealed.len()]);
        let opened = envelope::open(sealed, me.as_bytes(), receipt.message_key().as_bytes(), &mut plain)?;
        if opened.header.sender_device != peer.as_bytes() {
            return Err(SessionError::WrongDevice.into());
        }
        let output = Output::Opened {
            index: receipt.index(),
            bor: opened.bor,
            content_type: opened.content_type,
            content: Zeroizing::new(opened.body.to_vec()),
        };
        drop(receipt.commit());
        Ok(output)
    }

    /// Closes, on every device, the sessions whose peer key satisfies `closes`; returns how many.
    fn close_sessions_with(&mut self, closes: impl Fn(&(Id, Id)) -> bool) -> usize {
        let mut count = 0;
        for device in &mut self.devices {
            if let Some(held) = device.held_mut() {
                let before = held.sessions.len();
                // Dropping a session zeroizes its keys (SES-065).
                held.sessions.retain(|key, _| !closes(key));
                count += before - held.sessions.len();
            }
        }
        count
    }

    /// SES-060, SES-061.
    fn add_device(&mut self, device: &[u8]) -> Result<Output, StepError> {
        let d = self.device_index(device)?;
        let entry = &mut self.devices[d];
        match core::mem::replace(&mut entry.phase, Phase::Removed) {
            // A pending device holds no session, so it starts with none (SES-061).
            Phase::Pending(held) | Phase::Member(held) => entry.phase = Phase::Member(held),
            Phase::Removed => return Err(SessionError::Revoked.into()),
            Phase::Terminated => {
                entry.phase = Phase::Terminated;
                return Err(SessionError::Terminated.into());
            }
        }
        Ok(Output::Closed { count: 0 })
    }

    /// SES-060, SES-062.
    fn remove_device(&mut self, device: &[u8]) -> Result<Output, StepError> {
        let d = self.device_index(device)?;
        let own = match &self.devices[d].phase {
            Phase::Pending(held) | Phase::Member(held) => held.sessions.len(),
            Phase::Removed => return Err(SessionError::Revoked.into()),
            Phase::Terminated => return Err(SessionError::Terminated.into()),
        };
        // Dropping the held keys, prekeys and sessions zeroizes them (SES-062).
        self.devices[d].phase = Phase::Removed;
        let key = self.peer_key(d);
        let others = self.close_sessions_with(|peer| *peer == key);
        Ok(Output::Closed { count: own + others })
    }

    /// SES-060, SES-063.
    fn password_reset(&mut self, account: &[u8]) -> Result<Output, StepError> {
        let a = self.account_index(account)?;
        if self.accounts[a].status == AccountStatus::Terminated {
            return Err(SessionError::Terminated.into());
        }
        let mut count = 0;
        for device in self.devices.iter_mut().filter(|d| d.account == a) {
            if let Some(held) = device.held_mut() {
                count += held.sessions.len();
                held.sessions.clear();
            }
        }
        let id = self.accounts[a].id;
        Ok(Output::Closed { count: count + self.close_sessions_with(|peer| peer.0 == id) })
    }

    /// SES-060, SES-064.
    fn terminate(&mut self, account: &[u8]) -> Result<Output, StepError> {
        let a = self.account_index(account)?;
        if self.accounts[a].status == AccountStatus::Terminated {
            return Err(SessionError::Terminated.into());
        }
        let mut count = 0;
        for device in self.devices.iter_mut().filter(|d| d.account == a) {
            count += device.held().map_or(0, |held| held.sessions.len());
            device.phase = Phase::Terminated;
        }
        self.accounts[a].status = AccountStatus::Terminated;
        let id = self.accounts[a].id;
        Ok(Output::Closed { count: count + self.close_sessions_with(|peer| peer.0 == id) })
    }

    /// An account's status, if the network has it.
    #[must_use]
    pub fn account_status(&self, account: &[u8]) -> Option<AccountStatus> {
        self.account_index(account).ok().map(|a| self.accounts[a].status)
    }

    /// A device's status, if the network has it.
    #[must_use]
    pub fn device_status(&self, device: &[u8]) -> Option<DeviceStatus> {
        self.device_index(device).ok().map(|d| self.devices[d].status())
    }

    /// The public state of every session end `device` holds, by peer.
    #[must_use]
    pub fn sessions_of(&self, device: &[u8]) -> Vec<SessionState> {
        self.device_index(device)
            .ok()
            .and_then(|d| self.devices[d].held())
            .map(|held| held.sessions.values().map(Session::state).collect())
            .unwrap_or_default()
    }

    /// The session `device` holds with `peer`, for inspection.
    #[must_use]
    pub fn session(&self, device: &[u8], peer: &[u8]) -> Option<&Session> {
        let peer_key = self.device_index(peer).ok().map(|p| self.peer_key(p))?;
        self.devices[self.device_index(device).ok()?].held()?.sessions.get(&peer_key)
    }

    /// Whether any session of any device holds `candidate` as a chain key or skipped key (tests of
    /// forward secrecy, SES-042 and SES-044).
    #[must_use]
    pub fn holds_secret_for_testing_only(&self, candidate: &[u8; KEY_LEN]) -> bool {
        self.devices
            .iter()
            .filter_map(Device::held)
            .flat_map(|held| held.sessions.values())
            .any(|s| s.holds_secret_for_testing_only(candidate))
    }

    /// The canonical encoding of the public state (SES-080): the checkpoint's preimage.
    #[must_use]
    pub fn public_state(&self) -> Vec<u8> {
        let mut len = CHECKPOINT_LABEL.len() + 2 + 2;
        for account in &self.accounts {
            len += 2 + account.id.as_bytes().len();
        }
        for device in &self.devices {
            len += 3 + self.accounts[device.account].id.as_bytes().len() + device.id.as_bytes().len() + 4;
            if let Some(held) = device.held() {
                len += 4 * held.store.used_one_time_prekeys().count();
                for (peer_account, peer_device) in held.sessions.keys() {
                    len += 2 + peer_account.as_bytes().len() + peer_device.as_bytes().len() + SESSION_ID_LEN + 1 + 8;
                    len += 4 + 4 + 8;
                }
            }
        }
        let mut out = alloc::vec![0u8; len];
        if self.write_public_state(&mut Writer::new(&mut out)).is_err() {
            unreachable!("the buffer has the encoded length");
        }
        out
    }

    fn write_public_state(&self, w: &mut Writer<'_>) -> Result<(), BufferTooSmall> {
        w.put(CHECKPOINT_LABEL)?;
        w.u16(count16(self.accounts.len()))?;
        for account in &self.accounts {
            w.vec8(account.id.as_bytes())?;
            w.u8(account.status.byte())?;
        }
        w.u16(count16(self.devices.len()))?;
        for device in &self.devices {
            w.vec8(self.accounts[device.account].id.as_bytes())?;
            w.vec8(device.id.as_bytes())?;
            w.u8(device.status().byte())?;
            let Some(held) = device.held() else {
                w.u16(0)?;
                w.u16(0)?;
                continue;
            };
            w.u16(count16(held.store.used_one_time_prekeys().count()))?;
            for id in held.store.used_one_time_prekeys() {
                w.u32(id)?;
            }
            w.u16(count16(held.sessions.len()))?;
            // BTreeMap order: by peer account, then peer device, bytewise (SES-080).
            for session in held.sessions.values() {
                let state = session.state();
                w.vec8(state.peer_account.as_bytes())?;
                w.vec8(state.peer_device.as_bytes())?;
                w.put(&state.session_id)?;
                w.u8(state.role.byte())?;
                w.u64(state.established_at)?;
                w.u32(state.sent)?;
                w.u32(state.next)?;
                w.u64(state.received)?;
            }
        }
        Ok(())
    }

    /// The checkpoint: SHA-256 of [`Network::public_state`] (SES-080).
    #[must_use]
    pub fn checkpoint(&self) -> [u8; HASH_LEN] {
        primitives::sha256(&[&self.public_state()])
    }
}
