//! Device sessions: the identity chain, the asynchronous handshake, the per-message ratchet and the
//! lifecycle that follows the account (spec/session.md, requirements `SES-nnn`).
//!
//! Four layers, one file each:
//!
//! - [`chain`](self::Certificate): device certificates signed by an account's root key and signed
//!   prekeys signed by a device (section 3);
//! - [`handshake`](self::initiate): the init message, the transcript, the key schedule, the
//!   initiator ([`initiate`]) and the responder ([`respond`]) with its [`PrekeyStore`] (section 4);
//! - [`ratchet`](self::Session): one symmetric chain per direction, the receive window, rekey limits
//!   (section 5);
//! - [`network`](self::Network): accounts, devices and their sessions as the lifecycle state machine
//!   of section 6, with the public-state checkpoint of section 7.
//!
//! There is no clock and no random generator inside: time is the `now` argument, and the only
//! randomness, the initiator's ephemeral secret (SES-003), comes from the caller's generator. Secret
//! keys live in types that are zeroized when dropped and have neither `Clone` nor a `Debug` that
//! shows them; a session's keys go when the session is dropped or closed.
//!
//! ```
//! use cinder::session::{
//!     self, Certificate, Id, LocalIdentity, PeerBundle, PrekeyStore, SignedPrekey, SigningSecret,
//!     X25519Secret,
//! };
//! use cinder::testing::ReplayRng;
//!
//! let now = 1_767_225_600;
//! // Bob's account certifies Bob's phone; the phone signs a prekey.
//! let (bob, phone) = (Id::new(b"bob").unwrap(), Id::new(b"bob-phone").unwrap());
//! let bob_root = SigningSecret::from_bytes([1; 32]);
//! let phone_signing = SigningSecret::from_bytes([2; 32]);
//! let phone_identity = X25519Secret::from_bytes([3; 32]);
//! let phone_cert = Certificate::issue(&bob_root, &bob, &phone, phone_identity.public_key(),
//!     phone_signing.public_key(), now - 10, now + 86_400);
//! let spk_secret = X25519Secret::from_bytes([4; 32]);
//! let spk = SignedPrekey::sign(&phone_signing, &bob, &phone, 7, spk_secret.public_key(), now + 86_400);
//! let mut store = PrekeyStore::new();
//! store.add_signed_prekey(7, spk_secret, now + 86_400);
//!
//! // Alice's laptop, likewise.
//! let (alice, laptop) = (Id::new(b"alice").unwrap(), Id::new(b"alice-laptop").unwrap());
//! let alice_root = SigningSecret::from_bytes([5; 32]);
//! let laptop_identity = X25519Secret::from_bytes([6; 32]);
//! let laptop_cert = Certificate::issue(&alice_root, &alice, &laptop, laptop_identity.public_key(),
//!     SigningSecret::from_bytes([7; 32]).public_key(), now - 10, now + 86_400);
//!
//! // Alice initiates from Bob's bundle while Bob is offline...
//! let me = LocalIdentity { root_key: alice_root.public_key(), certificate: &laptop_cert,
//!     identity_secret: &laptop_identity };
//! let bundle = PeerBundle { account: &bob, device: &phone, root_key: &bob_root.public_key(),
//!     certificate: &phone_cert.to_vec(), signed_prekey: &spk.to_vec(), one_time_prekey: None };
//! let mut rng = ReplayRng::new(&[8; 32]); // a real initiator passes a secure generator
//! let mut initiated = session::initiate(&me, &bundle, &mut rng, now).unwrap();
//! let (header, key) = initiated.session.send(now).unwrap();
//!
//! // ...and Bob, later, derives the same keys from the init message alone.
//! let bob_me = LocalIdentity { root_key: bob_root.public_key(), certificate: &phone_cert,
//!     identity_secret: &phone_identity };
//! let mut bob_session =
//!     session::respond(&bob_me, &mut store, &initiated.message, &alice_root.public_key(), now + 60).unwrap();
//! let receipt = bob_session.receive(&header).unwrap();
//! assert_eq!(receipt.message_key().as_bytes(), key.as_bytes());
//! receipt.commit(); // only once the envelope opened with this key (SES-044)
//! ```

use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::codec::{DecodeError, Reader};
use crate::primitives::{self, ED25519_KEY_LEN, ED25519_SIGNATURE_LEN, X25519_LEN};

mod chain;
mod handshake;
mod network;
mod ratchet;

pub use chain::{Certificate, SignedPrekey};
pub use handshake::{
    InitMessage, Initiated, LocalIdentity, PeerBundle, PrekeyStore, Trace, initiate, initiate_traced_for_testing_only,
    respond,
};
#[cfg(feature = "fault-injection")]
pub use handshake::{
    initiate_traced_with_lenient_signatures_for_testing_only,
    initiate_traced_without_prekey_signature_check_for_testing_only, respond_with_lenient_signatures_for_testing_only,
};
pub use network::{
    AccountSetup, AccountStatus, DeviceSetup, DeviceStatus, Event, MAX_NETWORK_ITEMS, Network, Output, SealRequest,
    SetupError, StepError,
};
pub use ratchet::{Receipt, Role, Session, SessionHeader, SessionState};

/// The init message's only version (SES-020).
pub const VERSION: u8 = 0x01;
/// The only suite: X25519 / Ed25519 / HKDF-SHA256 / ChaCha20-Poly1305 (SES-020).
pub const SUITE: u8 = 0x01;
/// Init-message flag bit 0: a one-time prekey was used (SES-020).
pub const FLAG_ONE_TIME_PREKEY: u8 = 0x01;
/// Shortest account or device ID (SES-001).
pub const ID_MIN_LEN: usize = 1;
/// Longest account or device ID (SES-001).
pub const ID_MAX_LEN: usize = 64;
/// Length of every X25519 and Ed25519 public key, and of chain and message keys.
pub const KEY_LEN: usize = 32;
/// Length of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = ED25519_SIGNATURE_LEN;
/// Length of a session ID (SES-024).
pub const SESSION_ID_LEN: usize = 16;
/// Length of the init message's key confirmation (SES-024).
pub const CONFIRM_LEN: usize = 32;
/// Length of a session header (SES-041).
pub const HEADER_LEN: usize = SESSION_ID_LEN + 4;
/// The receive window: the 64 indices below `next` (SES-043).
pub const WINDOW: u32 = 64;
/// Most skipped keys a session stores (SES-045).
pub const MAX_SKIPPED: usize = 63;
/// Messages per direction and session: indices are 0 to 65,535 (SES-046).
pub const MAX_MESSAGES: u32 = 65_536;
/// Seconds a session may be used for sending: 7 days (SES-047).
pub const REKEY_AFTER: u64 = 604_800;

const DEVICE_LABEL: &[u8] = b"cinder-ses-v1 device";
const PREKEY_LABEL: &[u8] = b"cinder-ses-v1 prekey";
const TRANSCRIPT_LABEL: &[u8] = b"cinder-ses-v1 transcript";
const KEYS_LABEL: &[u8] = b"cinder-ses-v1 keys";
const CONFIRM_LABEL: &[u8] = b"cinder-ses-v1 confirm";
const STEP_LABEL: &[u8] = b"cinder-ses-v1 step";
const CHECKPOINT_LABEL: &[u8] = b"cinder-ses-v1 checkpoint";

/// An account or device ID: 1 to 64 bytes (SES-001). Ordered bytewise, a prefix first.
#[derive(Clone, Copy)]
pub struct Id {
    len: u8,
    bytes: [u8; ID_MAX_LEN],
}

impl Id {
    /// The ID with these bytes.
    ///
    /// # Errors
    /// `session.length_out_of_range` when `bytes` is empty or longer than 64 (SES-001).
    pub fn new(bytes: &[u8]) -> Result<Self, SessionError> {
        let len = Reader::bounded(bytes.len(), ID_MIN_LEN, ID_MAX_LEN, "id")?;
        let mut out = [0u8; ID_MAX_LEN];
        out[..len].copy_from_slice(bytes);
        Ok(Self { len: u8::try_from(len).map_err(|_| DecodeError::LengthOutOfRange("id"))?, bytes: out })
    }

    /// Reads `vec8(id)` with the bounds of SES-001.
    fn read(r: &mut Reader<'_>, field: &'static str) -> Result<Self, SessionError> {
        Self::new(r.vec8(ID_MIN_LEN, ID_MAX_LEN, field)?)
    }

    /// The ID's bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl PartialEq for Id {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Id {}

impl PartialOrd for Id {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Id {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl core::hash::Hash for Id {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match core::str::from_utf8(self.as_bytes()) {
            Ok(text) => write!(f, "Id({text:?})"),
            Err(_) => write!(f, "Id({:02x?})", self.as_bytes()),
        }
    }
}

/// Why a session operation was refused. Each variant maps to exactly one spec code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionError {
    /// `session.truncated`, `session.trailing_data` or `session.length_out_of_range`.
    Decode(DecodeError),
    /// `session.unknown_version`.
    UnknownVersion(u8),
    /// `session.unknown_suite`.
    UnknownSuite(u8),
    /// `session.reserved_bits`: the flags byte that was read.
    ReservedBits(u8),
    /// `session.authentication_failed`: a signature or the key confirmation; deliberately without
    /// detail (SES-012).
    AuthenticationFailed,
    /// `session.wrong_account`.
    WrongAccount,
    /// `session.wrong_device`.
    WrongDevice,
    /// `session.expired`: a certificate or signed prekey not in force.
    Expired,
    /// `session.unknown_prekey`.
    UnknownPrekey,
    /// `session.prekey_reused`.
    PrekeyReused,
    /// `session.invalid_key`: an all-zero Diffie-Hellman output.
    InvalidKey,
    /// `session.replay`.
    Replay,
    /// `session.too_old`.
    TooOld,
    /// `session.too_far_ahead`.
    TooFarAhead,
    /// `session.closed`.
    Closed,
    /// `session.rekey_required`.
    RekeyRequired,
    /// `session.revoked`: a device that is not a member.
    Revoked,
    /// `session.terminated`.
    Terminated,
}

impl SessionError {
    /// The spec error code (spec/session.md section 8).
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Decode(DecodeError::Truncated(_)) => "session.truncated",
            Self::Decode(DecodeError::TrailingData(_)) => "session.trailing_data",
            Self::Decode(DecodeError::LengthOutOfRange(_)) => "session.length_out_of_range",
            Self::UnknownVersion(_) => "session.unknown_version",
            Self::UnknownSuite(_) => "session.unknown_suite",
            Self::ReservedBits(_) => "session.reserved_bits",
            Self::AuthenticationFailed => "session.authentication_failed",
            Self::WrongAccount => "session.wrong_account",
            Self::WrongDevice => "session.wrong_device",
            Self::Expired => "session.expired",
            Self::UnknownPrekey => "session.unknown_prekey",
            Self::PrekeyReused => "session.prekey_reused",
            Self::InvalidKey => "session.invalid_key",
            Self::Replay => "session.replay",
            Self::TooOld => "session.too_old",
            Self::TooFarAhead => "session.too_far_ahead",
            Self::Closed => "session.closed",
            Self::RekeyRequired => "session.rekey_required",
            Self::Revoked => "session.revoked",
            Self::Terminated => "session.terminated",
        }
    }

    /// Every code this part defines, in the order of the spec's table.
    pub const CODES: [&'static str; 20] = [
        "session.unknown_version",
        "session.unknown_suite",
        "session.reserved_bits",
        "session.length_out_of_range",
        "session.truncated",
        "session.trailing_data",
        "session.authentication_failed",
        "session.wrong_account",
        "session.wrong_device",
        "session.expired",
        "session.unknown_prekey",
        "session.prekey_reused",
        "session.invalid_key",
        "session.replay",
        "session.too_old",
        "session.too_far_ahead",
        "session.closed",
        "session.rekey_required",
        "session.revoked",
        "session.terminated",
    ];
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Decode(e) => write!(f, "{}: {e}", self.code()),
            Self::UnknownVersion(v) | Self::UnknownSuite(v) | Self::ReservedBits(v) => {
                write!(f, "{}: 0x{v:02x}", self.code())
            }
            _ => f.write_str(self.code()),
        }
    }
}

impl core::error::Error for SessionError {}

impl From<DecodeError> for SessionError {
    fn from(e: DecodeError) -> Self {
        Self::Decode(e)
    }
}

/// An X25519 secret key: an identity key, a prekey, or an ephemeral key (SES-002).
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct X25519Secret([u8; X25519_LEN]);

impl X25519Secret {
    /// The secret with these 32 bytes (from a cryptographically secure generator).
    #[must_use]
    pub const fn from_bytes(bytes: [u8; X25519_LEN]) -> Self {
        Self(bytes)
    }

    /// Its public key.
    #[must_use]
    pub fn public_key(&self) -> [u8; KEY_LEN] {
        primitives::x25519_public(&self.0)
    }

    /// `X25519(self, public)`, refusing the all-zero output (SES-023).
    fn diffie_hellman(&self, public: &[u8; KEY_LEN]) -> Result<Zeroizing<[u8; KEY_LEN]>, SessionError> {
        primitives::x25519(&self.0, public).map(Zeroizing::new).map_err(|_| SessionError::InvalidKey)
    }
}

impl fmt::Debug for X25519Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("X25519Secret").finish_non_exhaustive()
    }
}

/// An Ed25519 secret seed: an account's root key or a device signing key (SES-002).
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SigningSecret([u8; ED25519_KEY_LEN]);

impl SigningSecret {
    /// The secret with this 32-byte seed (from a cryptographically secure generator).
    #[must_use]
    pub const fn from_bytes(seed: [u8; ED25519_KEY_LEN]) -> Self {
        Self(seed)
    }

    /// Its public key.
    #[must_use]
    pub fn public_key(&self) -> [u8; KEY_LEN] {
        primitives::ed25519_public(&self.0)
    }

    fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        primitives::ed25519_sign(&self.0, message)
    }
}

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningSecret").finish_non_exhaustive()
    }
}

/// A chain key (SES-040): steps to one message key and the next chain key.
#[derive(Zeroize, ZeroizeOnDrop)]
struct ChainKey([u8; KEY_LEN]);

impl ChainKey {
    /// `mk || ck' = HKDF-Expand(ck, "cinder-ses-v1 step", 64)` (SES-040), written out as RFC 5869
    /// section 2.3 defines it — `T(1) = HMAC(ck, info || 0x01)`, `T(2) = HMAC(ck, T(1) || info ||
    /// 0x02)` — with the HMAC key schedule done once, so that each half lands in its own zeroizing
    /// type without an intermediate buffer.
    fn step(&self) -> (MessageKey, Self) {
        let mac = primitives::KeyedHmac::new(&self.0);
        let message = MessageKey(mac.mac(&[STEP_LABEL, &[1]]));
        let next = Self(mac.mac(&[&message.0, STEP_LABEL, &[2]]));
        (message, next)
    }

    fn matches(&self, candidate: &[u8; KEY_LEN]) -> bool {
        &self.0 == candidate
    }
}

/// One message's key: the wrap key of the recipient's envelope slot (SES-049). Erased when dropped.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct MessageKey([u8; KEY_LEN]);

impl MessageKey {
    /// The key's bytes, to use as an envelope wrap key.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for MessageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageKey").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_match_the_variants() {
        let mut codes = SessionError::CODES.to_vec();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), SessionError::CODES.len());
        let variants = [
            SessionError::Decode(DecodeError::Truncated("x")),
            SessionError::Decode(DecodeError::TrailingData("x")),
            SessionError::Decode(DecodeError::LengthOutOfRange("x")),
            SessionError::UnknownVersion(2),
            SessionError::UnknownSuite(2),
            SessionError::ReservedBits(2),
            SessionError::AuthenticationFailed,
            SessionError::WrongAccount,
            SessionError::WrongDevice,
            SessionError::Expired,
            SessionError::UnknownPrekey,
            SessionError::PrekeyReused,
            SessionError::InvalidKey,
            SessionError::Replay,
            SessionError::TooOld,
            SessionError::TooFarAhead,
            SessionError::Closed,
            SessionError::RekeyRequired,
            SessionError::Revoked,
            SessionError::Terminated,
        ];
        for v in variants {
            assert!(SessionError::CODES.contains(&v.code()), "{v:?}");
        }
    }

    #[test]
    fn ids_are_bounded_and_ordered_bytewise() {
        assert_eq!(Id::new(b"").map(|_| ()), Err(SessionError::Decode(DecodeError::LengthOutOfRange("id"))));
        assert!(Id::new(&[7; 64]).is_ok());
        assert!(Id::new(&[7; 65]).is_err());
        let id = |b: &[u8]| Id::new(b).expect("1 to 64 bytes");
        let (a, ab, b) = (id(b"a"), id(b"ab"), id(b"b"));
        assert!(a < ab && ab < b);
    }

    #[test]
    fn chain_step_is_hkdf_expand_split_in_two() {
        let ck = ChainKey([0x11; KEY_LEN]);
        let (mk, next) = ck.step();
        let mut okm = [0u8; 64];
        primitives::hkdf_expand(&[0x11; 32], b"cinder-ses-v1 step", &mut okm).expect("64 bytes");
        assert_eq!(mk.as_bytes()[..], okm[..32]);
        assert!(next.matches(okm[32..].try_into().expect("32 bytes")));
    }
}
