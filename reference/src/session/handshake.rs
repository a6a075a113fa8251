//! The asynchronous handshake (spec/session.md section 4): the init message, the transcript, the key
//! schedule, the initiator and the responder with its prekey store.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;
use core::fmt;

use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::chain::{Certificate, SignatureCheck, SignedPrekey};
use super::ratchet::{Role, Session};
use super::{
    CONFIRM_LABEL, CONFIRM_LEN, ChainKey, FLAG_ONE_TIME_PREKEY, ID_MAX_LEN, Id, KEY_LEN, KEYS_LABEL, SESSION_ID_LEN,
    SUITE, SessionError, TRANSCRIPT_LABEL, VERSION, X25519Secret,
};
use crate::codec::{BufferTooSmall, Reader, Writer};
use crate::primitives::{self, HASH_LEN};

/// The init message (SES-020): everything the responder needs to derive the session's keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InitMessage {
    initiator: Certificate,
    responder_account: Id,
    responder_device: Id,
    signed_prekey_id: u32,
    one_time_prekey_id: Option<u32>,
    ephemeral: [u8; KEY_LEN],
    confirm: [u8; CONFIRM_LEN],
}

impl InitMessage {
    /// Shortest encoding.
    pub const MIN_LEN: usize = 3 + Certificate::MIN_LEN + 2 + 2 + 4 + KEY_LEN + CONFIRM_LEN;
    /// Longest encoding.
    pub const MAX_LEN: usize = 3 + Certificate::MAX_LEN + 2 * (1 + ID_MAX_LEN) + 8 + KEY_LEN + CONFIRM_LEN;

    /// Decodes an init message (SES-020, SES-021): version, suite and flags first, then every field
    /// in order, then nothing may follow.
    ///
    /// # Errors
    /// `session.unknown_version`, `session.unknown_suite`, `session.reserved_bits`,
    /// `session.length_out_of_range`, `session.truncated` or `session.trailing_data`.
    pub fn decode(bytes: &[u8]) -> Result<Self, SessionError> {
        let mut r = Reader::new(bytes);
        let version = r.u8("version")?;
        if version != VERSION {
            return Err(SessionError::UnknownVersion(version));
        }
        let suite = r.u8("suite")?;
        if suite != SUITE {
            return Err(SessionError::UnknownSuite(suite));
        }
        let flags = r.u8("flags")?;
        if flags & !FLAG_ONE_TIME_PREKEY != 0 {
            return Err(SessionError::ReservedBits(flags));
        }
        let message = Self {
            initiator: Certificate::read(&mut r)?,
            responder_account: Id::read(&mut r, "responder account_id")?,
            responder_device: Id::read(&mut r, "responder device_id")?,
            signed_prekey_id: r.u32("signed prekey id")?,
            one_time_prekey_id: if flags & FLAG_ONE_TIME_PREKEY != 0 {
                Some(r.u32("one-time prekey id")?)
            } else {
                None
            },
            ephemeral: r.array("ephemeral key")?,
            confirm: r.array("confirm")?,
        };
        r.finish("init message")?;
        Ok(message)
    }

    const fn flags(&self) -> u8 {
        if self.one_time_prekey_id.is_some() { FLAG_ONE_TIME_PREKEY } else { 0 }
    }

    /// Length of the encoding.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        3 + self.initiator.encoded_len()
            + 2
            + self.responder_account.as_bytes().len()
            + self.responder_device.as_bytes().len()
            + 4
            + if self.one_time_prekey_id.is_some() { 4 } else { 0 }
            + KEY_LEN
            + CONFIRM_LEN
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), BufferTooSmall> {
        w.u8(VERSION)?;
        w.u8(SUITE)?;
        w.u8(self.flags())?;
        self.initiator.write(w)?;
        w.vec8(self.responder_account.as_bytes())?;
        w.vec8(self.responder_device.as_bytes())?;
        w.u32(self.signed_prekey_id)?;
        if let Some(id) = self.one_time_prekey_id {
            w.u32(id)?;
        }
        w.put(&self.ephemeral)?;
        w.put(&self.confirm)
    }

    /// The encoding (SES-020), written from the fields: decoding then encoding gives the input back
    /// (SES-021).
    #[must_use]
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = alloc::vec![0u8; self.encoded_len()];
        if self.write(&mut Writer::new(&mut out)).is_err() {
            unreachable!("the buffer has the encoded length");
        }
        out
    }

    /// The initiator's certificate.
    #[must_use]
    pub const fn initiator(&self) -> &Certificate {
        &self.initiator
    }

    /// The account the message is for.
    #[must_use]
    pub const fn responder_account(&self) -> &Id {
        &self.responder_account
    }

    /// The device the message is for.
    #[must_use]
    pub const fn responder_device(&self) -> &Id {
        &self.responder_device
    }

    /// The responder's signed prekey the initiator used.
    #[must_use]
    pub const fn signed_prekey_id(&self) -> u32 {
        self.signed_prekey_id
    }

    /// The responder's one-time prekey the initiator used, if any.
    #[must_use]
    pub const fn one_time_prekey_id(&self) -> Option<u32> {
        self.one_time_prekey_id
    }

    /// The initiator's ephemeral public key `EK_A`.
    #[must_use]
    pub const fn ephemeral_key(&self) -> &[u8; KEY_LEN] {
        &self.ephemeral
    }

    /// The key confirmation (SES-024).
    #[must_use]
    pub const fn confirm(&self) -> &[u8; CONFIRM_LEN] {
        &self.confirm
    }
}

/// One side's public identity as it enters the transcript (SES-022).
struct Party<'a> {
    account: &'a Id,
    device: &'a Id,
    root_key: &'a [u8; KEY_LEN],
    signing_key: &'a [u8; KEY_LEN],
    identity_key: &'a [u8; KEY_LEN],
}

impl<'a> Party<'a> {
    const fn of(certificate: &'a Certificate, root_key: &'a [u8; KEY_LEN]) -> Self {
        Self {
            account: certificate.account(),
            device: certificate.device(),
            root_key,
            signing_key: certificate.signing_key(),
            identity_key: certificate.identity_key(),
        }
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), BufferTooSmall> {
        w.vec8(self.account.as_bytes())?;
        w.vec8(self.device.as_bytes())?;
        w.put(self.root_key)?;
        w.put(self.signing_key)?;
        w.put(self.identity_key)
    }
}

/// The public keys and IDs of one handshake besides the two parties.
struct Prekeys<'a> {
    signed_id: u32,
    signed: &'a [u8; KEY_LEN],
    one_time: Option<(u32, &'a [u8; KEY_LEN])>,
    ephemeral: &'a [u8; KEY_LEN],
}

const TRANSCRIPT_MAX_LEN: usize =
    TRANSCRIPT_LABEL.len() + 1 + 2 * (2 * (1 + ID_MAX_LEN) + 3 * KEY_LEN) + 1 + 2 * (4 + KEY_LEN) + KEY_LEN;

/// `th` of SES-022.
fn transcript_hash(a: &Party<'_>, b: &Party<'_>, keys: &Prekeys<'_>) -> [u8; HASH_LEN] {
    let mut buf = [0u8; TRANSCRIPT_MAX_LEN];
    let mut w = Writer::new(&mut buf);
    let written = (|| {
        w.put(TRANSCRIPT_LABEL)?;
        w.u8(SUITE)?;
        a.write(&mut w)?;
        b.write(&mut w)?;
        w.u32(keys.signed_id)?;
        w.put(keys.signed)?;
        match keys.one_time {
            Some((id, key)) => {
                w.u8(FLAG_ONE_TIME_PREKEY)?;
                w.u32(id)?;
                w.put(key)?;
            }
            None => w.u8(0)?,
        }
        w.put(keys.ephemeral)
    })();
    if written.is_err() {
        unreachable!("a transcript fits TRANSCRIPT_MAX_LEN");
    }
    primitives::sha256(&[w.written()])
}

/// What the key schedule of SES-024 derives.
struct Schedule {
    initiator_to_responder: ChainKey,
    responder_to_initiator: ChainKey,
    confirm_key: Zeroizing<[u8; KEY_LEN]>,
    session_id: [u8; SESSION_ID_LEN],
}

const OKM_LEN: usize = 3 * KEY_LEN + SESSION_ID_LEN;

/// `okm = HKDF(salt = th, IKM = DH1 || ... , info = "cinder-ses-v1 keys", 112)`, split (SES-024).
fn schedule(th: &[u8; HASH_LEN], dh: &[Zeroizing<[u8; KEY_LEN]>]) -> Schedule {
    let mut ikm = Zeroizing::new([0u8; 4 * KEY_LEN]);
    for (chunk, value) in ikm.chunks_mut(KEY_LEN).zip(dh) {
        chunk.copy_from_slice(&value[..]);
    }
    let mut okm = Zeroizing::new([0u8; OKM_LEN]);
    if primitives::hkdf(th, &ikm[..dh.len() * KEY_LEN], KEYS_LABEL, &mut okm[..]).is_err() {
        unreachable!("112 bytes is far below HKDF's limit");
    }
    let mut out = Schedule {
        initiator_to_responder: ChainKey([0u8; KEY_LEN]),
        responder_to_initiator: ChainKey([0u8; KEY_LEN]),
        confirm_key: Zeroizing::new([0u8; KEY_LEN]),
        session_id: [0u8; SESSION_ID_LEN],
    };
    out.initiator_to_responder.0.copy_from_slice(&okm[..KEY_LEN]);
    out.responder_to_initiator.0.copy_from_slice(&okm[KEY_LEN..2 * KEY_LEN]);
    out.confirm_key.copy_from_slice(&okm[2 * KEY_LEN..3 * KEY_LEN]);
    out.session_id.copy_from_slice(&okm[3 * KEY_LEN..]);
    out
}

/// `confirm = HMAC-SHA256(kc, "cinder-ses-v1 confirm" || th)` (SES-024).
fn confirmation(confirm_key: &[u8; KEY_LEN], th: &[u8; HASH_LEN]) -> [u8; CONFIRM_LEN] {
    primitives::KeyedHmac::new(confirm_key).mac(&[CONFIRM_LABEL, th])
}

/// A device's own identity, as either side of a handshake uses it.
#[derive(Clone, Copy, Debug)]
pub struct LocalIdentity<'a> {
    /// Its account's root public key (it enters the transcript).
    pub root_key: [u8; KEY_LEN],
    /// Its certificate (its account and device IDs come from it).
    pub certificate: &'a Certificate,
    /// The secret of its identity key `IK`.
    pub identity_secret: &'a X25519Secret,
}

/// What the initiator knows of the responder: who it wants to reach, that account's root key from
/// the directory, and the bundle the directory handed out (SES-025).
#[derive(Clone, Copy, Debug)]
pub struct PeerBundle<'a> {
    /// The responder's account.
    pub account: &'a Id,
    /// The responder's device.
    pub device: &'a Id,
    /// The responder account's root public key.
    pub root_key: &'a [u8; KEY_LEN],
    /// The responder's certificate, encoded (SES-010).
    pub certificate: &'a [u8],
    /// One signed prekey, encoded (SES-011).
    pub signed_prekey: &'a [u8],
    /// One one-time prekey (ID and public key), if the directory had one.
    pub one_time_prekey: Option<(u32, [u8; KEY_LEN])>,
}

/// The initiator's result: the init message to send and its side of the session.
#[derive(Debug)]
pub struct Initiated {
    /// The init message (SES-020).
    pub message: InitMessage,
    /// The initiator's session (role initiator).
    pub session: Session,
}

/// The intermediate values of one handshake, as the initiator computed them. For test vectors only:
/// they are secrets, handed out so that another implementation can locate a disagreement.
pub struct Trace {
    /// `DH1` .. `DH3`, and `DH4` when a one-time prekey was used (SES-023).
    pub dh: Vec<Zeroizing<[u8; KEY_LEN]>>,
    /// `th` (SES-022).
    pub transcript_hash: [u8; HASH_LEN],
    /// `ck_AB` (SES-024).
    pub initiator_to_responder: Zeroizing<[u8; KEY_LEN]>,
    /// `ck_BA` (SES-024).
    pub responder_to_initiator: Zeroizing<[u8; KEY_LEN]>,
    /// `kc` (SES-024).
    pub confirm_key: Zeroizing<[u8; KEY_LEN]>,
}

impl fmt::Debug for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trace").field("transcript_hash", &self.transcript_hash).finish_non_exhaustive()
    }
}

/// The initiator (SES-025): verifies the bundle, draws the ephemeral secret from `rng`, and returns
/// the init message and its session.
///
/// # Errors
/// The first failing step of SES-025: a decoding error of the certificate or signed prekey,
/// `session.wrong_account`, `session.wrong_device`, `session.authentication_failed`,
/// `session.expired` or `session.invalid_key`.
pub fn initiate<R: CryptoRng + ?Sized>(
    me: &LocalIdentity<'_>,
    peer: &PeerBundle<'_>,
    rng: &mut R,
    now: u64,
) -> Result<Initiated, SessionError> {
    run_initiator(me, peer, rng, now, Checks::All).map(|(initiated, _)| initiated)
}

/// [`initiate`], also returning the handshake's intermediate values. Vectors use it to publish every
/// derived key; never use it to set up real sessions.
///
/// # Errors
/// As [`initiate`].
pub fn initiate_traced_for_testing_only<R: CryptoRng + ?Sized>(
    me: &LocalIdentity<'_>,
    peer: &PeerBundle<'_>,
    rng: &mut R,
    now: u64,
) -> Result<(Initiated, Trace), SessionError> {
    run_initiator(me, peer, rng, now, Checks::All)
}

/// [`initiate_traced_for_testing_only`] with one check of SES-025 left out on purpose: the signed
/// prekey's signature (SES-015) is not verified; its expiry still is. This is the bug the
/// conformance kit's broken adapter injects as `session-unsigned-prekey-accepted`, to show that the
/// vectors catch it. An initiator that calls this accepts a prekey from anyone who can serve the
/// bundle.
///
/// # Errors
/// As [`initiate`], except `session.authentication_failed` for the signed prekey's signature.
#[cfg(feature = "fault-injection")]
pub fn initiate_traced_without_prekey_signature_check_for_testing_only<R: CryptoRng + ?Sized>(
    me: &LocalIdentity<'_>,
    peer: &PeerBundle<'_>,
    rng: &mut R,
    now: u64,
) -> Result<(Initiated, Trace), SessionError> {
    run_initiator(me, peer, rng, now, Checks::SkipPrekeySignature)
}

/// [`initiate_traced_for_testing_only`] with a lenient Ed25519 verifier (ed25519-dalek's plain
/// `verify`: no small-order or torsion checks) for the certificate and the signed prekey, in place of
/// SES-012's strict one. The conformance kit's broken adapter injects it as
/// `session-lenient-signature-verify`, with [`respond_with_lenient_signatures_for_testing_only`]
/// on the other side, to show that the vectors catch a verifier that accepts the identity-point
/// forgery.
///
/// # Errors
/// As [`initiate`], but signatures SES-012 refuses may pass.
#[cfg(feature = "fault-injection")]
pub fn initiate_traced_with_lenient_signatures_for_testing_only<R: CryptoRng + ?Sized>(
    me: &LocalIdentity<'_>,
    peer: &PeerBundle<'_>,
    rng: &mut R,
    now: u64,
) -> Result<(Initiated, Trace), SessionError> {
    run_initiator(me, peer, rng, now, Checks::LenientSignatures)
}

/// Which checks of SES-025 the initiator makes: all of them, but for the fault-injection hooks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Checks {
    All,
    #[cfg_attr(not(feature = "fault-injection"), allow(dead_code))]
    SkipPrekeySignature,
    #[cfg(feature = "fault-injection")]
    LenientSignatures,
}

impl Checks {
    const fn signature_check(self) -> SignatureCheck {
        match self {
            Self::All | Self::SkipPrekeySignature => SignatureCheck::Strict,
            #[cfg(feature = "fault-injection")]
            Self::LenientSignatures => SignatureCheck::Lenient,
        }
    }
}

fn run_initiator<R: CryptoRng + ?Sized>(
    me: &LocalIdentity<'_>,
    peer: &PeerBundle<'_>,
    rng: &mut R,
    now: u64,
    checks: Checks,
) -> Result<(Initiated, Trace), SessionError> {
    // Step 1 (SES-014).
    let cert = Certificate::decode(peer.certificate)?;
    cert.verify_with(checks.signature_check(), peer.root_key, peer.account, peer.device, now)?;
    // Step 2 (SES-015).
    let spk = SignedPrekey::decode(peer.signed_prekey)?;
    match checks {
        Checks::SkipPrekeySignature if !spk.in_force(now) => return Err(SessionError::Expired),
        Checks::SkipPrekeySignature => {}
        _ => spk.verify_with(checks.signature_check(), cert.signing_key(), peer.account, peer.device, now)?,
    }
    // Step 3 (SES-003, SES-023): the ephemeral secret is used for DH2..DH4 and dropped (SES-029).
    let ephemeral_public;
    let mut dh = Vec::with_capacity(4);
    {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        rng.fill_bytes(&mut bytes[..]);
        let ephemeral = X25519Secret::from_bytes(*bytes);
        ephemeral_public = ephemeral.public_key();
        dh.push(me.identity_secret.diffie_hellman(spk.public_key())?);
        dh.push(ephemeral.diffie_hellman(cert.identity_key())?);
        dh.push(ephemeral.diffie_hellman(spk.public_key())?);
        if let Some((_, key)) = &peer.one_time_prekey {
            dh.push(ephemeral.diffie_hellman(key)?);
        }
    }
    // Step 4 (SES-022, SES-024).
    let th = transcript_hash(
        &Party::of(me.certificate, &me.root_key),
        &Party::of(&cert, peer.root_key),
        &Prekeys {
            signed_id: spk.id(),
            signed: spk.public_key(),
            one_time: peer.one_time_prekey.as_ref().map(|(id, key)| (*id, key)),
            ephemeral: &ephemeral_public,
        },
    );
    let keys = schedule(&th, &dh);
    let message = InitMessage {
        initiator: *me.certificate,
        responder_account: *peer.account,
        responder_device: *peer.device,
        signed_prekey_id: spk.id(),
        one_time_prekey_id: peer.one_time_prekey.map(|(id, _)| id),
        ephemeral: ephemeral_public,
        confirm: confirmation(&keys.confirm_key, &th),
    };
    let trace = Trace {
        dh,
        transcript_hash: th,
        initiator_to_responder: Zeroizing::new(keys.initiator_to_responder.0),
        responder_to_initiator: Zeroizing::new(keys.responder_to_initiator.0),
        confirm_key: Zeroizing::new(*keys.confirm_key),
    };
    let Schedule { initiator_to_responder, responder_to_initiator, session_id, .. } = keys;
    let session = Session::new(
        session_id,
        Role::Initiator,
        *peer.account,
        *peer.device,
        now,
        initiator_to_responder,
        responder_to_initiator,
    );
    Ok((Initiated { message, session }, trace))
}

/// A signed prekey's secret and what the responder remembers under it (SES-028).
struct SignedRecord {
    id: u32,
    secret: X25519Secret,
    public: [u8; KEY_LEN],
    not_after: u64,
    accepted: BTreeSet<[u8; SESSION_ID_LEN]>,
}

/// A one-time prekey's secret, until a handshake consumes it.
struct OneTimeRecord {
    secret: X25519Secret,
    public: [u8; KEY_LEN],
}

/// A responder's prekeys: signed prekeys with the session IDs accepted under each (SES-028),
/// one-time prekeys not yet used, and the IDs of those used (SES-016).
#[derive(Default)]
pub struct PrekeyStore {
    signed: Vec<SignedRecord>,
    one_time: BTreeMap<u32, OneTimeRecord>,
    used: BTreeSet<u32>,
}

impl fmt::Debug for PrekeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrekeyStore")
            .field("signed", &self.signed.iter().map(|r| r.id).collect::<Vec<_>>())
            .field("one_time", &self.one_time.keys().collect::<Vec<_>>())
            .field("used", &self.used)
            .finish_non_exhaustive()
    }
}

impl PrekeyStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds signed prekey `id` valid until `not_after`. Returns `false`, changing nothing, when the
    /// store already has a signed prekey with this ID (SES-002).
    pub fn add_signed_prekey(&mut self, id: u32, secret: X25519Secret, not_after: u64) -> bool {
        if self.signed.iter().any(|r| r.id == id) {
            return false;
        }
        let public = secret.public_key();
        self.signed.push(SignedRecord { id, secret, public, not_after, accepted: BTreeSet::new() });
        true
    }

    /// Adds one-time prekey `id`. Returns `false`, changing nothing, when the ID is in the store or
    /// was used before (SES-002, SES-016).
    pub fn add_one_time_prekey(&mut self, id: u32, secret: X25519Secret) -> bool {
        if self.used.contains(&id) || self.one_time.contains_key(&id) {
            return false;
        }
        let public = secret.public_key();
        self.one_time.insert(id, OneTimeRecord { secret, public });
        true
    }

    /// Records one-time prekey `id` as used, erasing its secret if the store holds it (SES-016).
    pub fn record_used_one_time_prekey(&mut self, id: u32) {
        self.one_time.remove(&id);
        self.used.insert(id);
    }

    /// Records `session_id` as accepted under signed prekey `signed_prekey_id` (SES-028). Returns
    /// `false` when the store has no such signed prekey.
    pub fn record_accepted_session(&mut self, signed_prekey_id: u32, session_id: [u8; SESSION_ID_LEN]) -> bool {
        match self.signed.iter_mut().find(|r| r.id == signed_prekey_id) {
            Some(record) => {
                record.accepted.insert(session_id);
                true
            }
            None => false,
        }
    }

    /// The IDs of the one-time prekeys used so far, ascending.
    pub fn used_one_time_prekeys(&self) -> impl Iterator<Item = u32> + '_ {
        self.used.iter().copied()
    }

    /// Whether the store holds the secret of one-time prekey `id` (issued and not yet used).
    #[must_use]
    pub fn has_one_time_prekey(&self, id: u32) -> bool {
        self.one_time.contains_key(&id)
    }
}

/// The responder (SES-026): processes a decoded init message (step 1 is [`InitMessage::decode`])
/// with the root key of the account its certificate names, and on success commits (SES-027) and
/// returns its session.
///
/// # Errors
/// The first failing step of SES-026: `session.wrong_device`, the certificate's errors (SES-014),
/// `session.unknown_prekey`, `session.expired`, `session.prekey_reused`, `session.invalid_key`,
/// `session.authentication_failed` or `session.replay`. Nothing changes on error.
pub fn respond(
    me: &LocalIdentity<'_>,
    store: &mut PrekeyStore,
    message: &InitMessage,
    initiator_root_key: &[u8; KEY_LEN],
    now: u64,
) -> Result<Session, SessionError> {
    run_responder(me, store, message, initiator_root_key, now, SignatureCheck::Strict)
}

/// [`respond`] with the lenient Ed25519 verifier of
/// [`initiate_traced_with_lenient_signatures_for_testing_only`] for the initiator's certificate.
/// For the conformance kit's broken adapter only.
///
/// # Errors
/// As [`respond`], but signatures SES-012 refuses may pass.
#[cfg(feature = "fault-injection")]
pub fn respond_with_lenient_signatures_for_testing_only(
    me: &LocalIdentity<'_>,
    store: &mut PrekeyStore,
    message: &InitMessage,
    initiator_root_key: &[u8; KEY_LEN],
    now: u64,
) -> Result<Session, SessionError> {
    run_responder(me, store, message, initiator_root_key, now, SignatureCheck::Lenient)
}

fn run_responder(
    me: &LocalIdentity<'_>,
    store: &mut PrekeyStore,
    message: &InitMessage,
    initiator_root_key: &[u8; KEY_LEN],
    now: u64,
    check: SignatureCheck,
) -> Result<Session, SessionError> {
    // Step 2.
    if message.responder_account != *me.certificate.account() || message.responder_device != *me.certificate.device() {
        return Err(SessionError::WrongDevice);
    }
    // Step 3 (SES-014, for the account and device the certificate names).
    let initiator = &message.initiator;
    initiator.verify_with(check, initiator_root_key, initiator.account(), initiator.device(), now)?;
    // Step 4.
    let signed_index =
        store.signed.iter().position(|r| r.id == message.signed_prekey_id).ok_or(SessionError::UnknownPrekey)?;
    let signed = &store.signed[signed_index];
    if now >= signed.not_after {
        return Err(SessionError::Expired);
    }
    // Step 5 (SES-016).
    let one_time = match message.one_time_prekey_id {
        Some(id) if store.used.contains(&id) => return Err(SessionError::PrekeyReused),
        Some(id) => Some((id, store.one_time.get(&id).ok_or(SessionError::UnknownPrekey)?)),
        None => None,
    };
    // Step 6 (SES-023): the same values as the initiator's, from the other halves.
    let mut dh = Vec::with_capacity(4);
    dh.push(signed.secret.diffie_hellman(initiator.identity_key())?);
    dh.push(me.identity_secret.diffie_hellman(&message.ephemeral)?);
    dh.push(signed.secret.diffie_hellman(&message.ephemeral)?);
    if let Some((_, record)) = &one_time {
        dh.push(record.secret.diffie_hellman(&message.ephemeral)?);
    }
    // Step 7 (SES-022, SES-024).
    let th = transcript_hash(
        &Party::of(initiator, initiator_root_key),
        &Party::of(me.certificate, &me.root_key),
        &Prekeys {
            signed_id: signed.id,
            signed: &signed.public,
            one_time: one_time.as_ref().map(|(id, record)| (*id, &record.public)),
            ephemeral: &message.ephemeral,
        },
    );
    let keys = schedule(&th, &dh);
    drop(dh);
    if !bool::from(confirmation(&keys.confirm_key, &th).ct_eq(&message.confirm)) {
        return Err(SessionError::AuthenticationFailed);
    }
    // Step 8 (SES-028).
    if signed.accepted.contains(&keys.session_id) {
        return Err(SessionError::Replay);
    }
    // Step 9: commit (SES-027).
    store.signed[signed_index].accepted.insert(keys.session_id);
    if let Some(id) = message.one_time_prekey_id {
        store.record_used_one_time_prekey(id);
    }
    let Schedule { initiator_to_responder, responder_to_initiator, session_id, .. } = keys;
    Ok(Session::new(
        session_id,
        Role::Responder,
        *initiator.account(),
        *initiator.device(),
        now,
        responder_to_initiator,
        initiator_to_responder,
    ))
}
