//! Identity hashing: canonical identifiers, the two-layer salted hash, contact-finder look-ups and
//! key-verification codes (spec/identity.md, requirements `IDH-nnn`).
//!
//! Nothing here allocates. Every rejection is an [`IdentityError`] variant whose
//! [`code`](IdentityError::code) is one of the spec's `identity.*` error codes.
//!
//! ```
//! use cinder::identity::{self, ClientSalt, IdentifierKind, Rounds, ServerSecret};
//!
//! // On the device (IDH-025): canonicalise and disguise before anything is sent.
//! let salt = ClientSalt::new(b"deployment salt, 16..64 bytes").unwrap();
//! let sent = identity::client_hash(IdentifierKind::Phone, b" +1 (555) 010-9999 ", &salt, Rounds::MIN).unwrap();
//! let same = identity::client_hash(IdentifierKind::Phone, b"+15550109999", &salt, Rounds::MIN).unwrap();
//! assert_eq!(sent, same);
//!
//! // On the server (IDH-026): disguise again under the server's secret before storing.
//! let secret = ServerSecret::new(&[7u8; 32]).unwrap();
//! let stored = identity::server_hash(IdentifierKind::Phone, &sent, &secret, Rounds::MIN);
//! assert_ne!(stored, sent);
//! ```

use core::fmt;
use core::num::NonZeroU32;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::primitives;

/// The kinds of identifier this part disguises (IDH-001).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum IdentifierKind {
    /// The account's user ID (the name others use to reach the account).
    UserId,
    /// A phone number, canonicalised to E.164 (`+` and 7 to 15 digits).
    Phone,
    /// An e-mail address (ASCII, lower-cased).
    Email,
    /// A device hardware ID: opaque bytes from the platform.
    DeviceId,
}

impl IdentifierKind {
    /// Every kind, in kind-byte order.
    pub const ALL: [Self; 4] = [Self::UserId, Self::Phone, Self::Email, Self::DeviceId];

    /// The kind byte that domain-separates hashes of different kinds (IDH-023).
    #[must_use]
    pub const fn byte(self) -> u8 {
        match self {
            Self::UserId => 0x01,
            Self::Phone => 0x02,
            Self::Email => 0x03,
            Self::DeviceId => 0x04,
        }
    }

    /// The kind's name in vectors and the adapter protocol.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::UserId => "user_id",
            Self::Phone => "phone",
            Self::Email => "email",
            Self::DeviceId => "device_id",
        }
    }

    /// The kind named `label`, if any.
    #[must_use]
    pub fn from_label(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.label() == label)
    }

    /// The error for an input of this kind that has no canonical form.
    const fn invalid(self, reason: InvalidReason) -> IdentityError {
        match self {
            Self::UserId => IdentityError::InvalidUserId(reason),
            Self::Phone => IdentityError::InvalidPhone(reason),
            Self::Email => IdentityError::InvalidEmail(reason),
            Self::DeviceId => IdentityError::InvalidDeviceId(reason),
        }
    }
}

/// Longest raw input accepted for any kind, before trimming (IDH-002).
pub const MAX_INPUT_LEN: usize = 512;
/// Shortest canonical user ID (IDH-006).
pub const USER_ID_MIN_LEN: usize = 3;
/// Longest canonical user ID (IDH-006).
pub const USER_ID_MAX_LEN: usize = 64;
/// Fewest digits in a canonical phone number (IDH-009).
pub const PHONE_MIN_DIGITS: usize = 7;
/// Most digits in a canonical phone number, as E.164 allows (IDH-009).
pub const PHONE_MAX_DIGITS: usize = 15;
/// Longest canonical e-mail address (IDH-010).
pub const EMAIL_MAX_LEN: usize = 254;
/// Longest e-mail local part (IDH-011).
pub const EMAIL_LOCAL_MAX_LEN: usize = 64;
/// Longest e-mail domain label (IDH-012).
pub const EMAIL_LABEL_MAX_LEN: usize = 63;
/// Longest device hardware ID (IDH-013).
pub const DEVICE_ID_MAX_LEN: usize = 128;
/// Size of the buffer that holds any canonical identifier.
pub const MAX_CANONICAL_LEN: usize = EMAIL_MAX_LEN;

/// Shortest client salt (IDH-020).
pub const CLIENT_SALT_MIN_LEN: usize = 16;
/// Longest client salt and server secret (IDH-020, IDH-021).
pub const SALT_MAX_LEN: usize = 64;
/// Shortest server secret (IDH-021).
pub const SERVER_SECRET_MIN_LEN: usize = 32;

/// Most entries in one contact-finder look-up (IDH-030).
pub const MAX_LOOKUP_ENTRIES: usize = 1000;

/// Length of an Ed25519 identity public key compared by a verification code (IDH-040).
pub const IDENTITY_KEY_LEN: usize = 32;
/// Number of five-digit groups in a verification code (IDH-042).
pub const VERIFICATION_GROUPS: usize = 8;
/// Length of a formatted verification code: 8 groups of 5 digits and 7 spaces (IDH-042).
pub const VERIFICATION_CODE_LEN: usize = VERIFICATION_GROUPS * 6 - 1;

/// The label that starts every identity-hash message (IDH-023).
pub const HASH_LABEL: &[u8] = b"cinder-idh-v1";
/// HKDF salt of the verification-code derivation (IDH-041).
pub const VERIFICATION_SALT: &[u8] = b"cinder-vc-v1";
/// HKDF info of the verification-code derivation (IDH-041).
pub const VERIFICATION_INFO: &[u8] = b"key verification code";

/// Why an input of some kind has no canonical form. The spec code depends only on the kind; the
/// reason is diagnostic detail that implementations need not reproduce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidReason {
    /// Longer than [`MAX_INPUT_LEN`] bytes before trimming (IDH-002).
    InputTooLong,
    /// Empty, or only whitespace.
    Empty,
    /// A byte at or above 0x80: text kinds are ASCII only (IDH-004).
    NonAscii,
    /// A byte the kind's grammar does not allow.
    ForbiddenCharacter,
    /// Shorter than the kind's minimum.
    TooShort,
    /// Longer than the kind's maximum.
    TooLong,
    /// A user ID that starts or ends with `.`, `_` or `-` (IDH-006).
    BadEdge,
    /// A phone number without the leading `+` (IDH-007).
    MissingPlus,
    /// A phone number containing the national trunk marker `(0)` (IDH-008).
    TrunkPrefix,
    /// A phone number whose country code starts with 0 (IDH-009).
    LeadingZero,
    /// An e-mail address without exactly one `@` (IDH-010).
    AtSign,
    /// An e-mail local part that breaks IDH-011.
    LocalPart,
    /// An e-mail domain that breaks IDH-012.
    Domain,
}

/// Every way identity hashing rejects its input. Each variant maps to exactly one spec code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdentityError {
    /// `identity.invalid_user_id`: the user ID has no canonical form.
    InvalidUserId(InvalidReason),
    /// `identity.invalid_phone`: the phone number has no canonical form.
    InvalidPhone(InvalidReason),
    /// `identity.invalid_email`: the e-mail address has no canonical form.
    InvalidEmail(InvalidReason),
    /// `identity.invalid_device_id`: the device hardware ID is empty or too long.
    InvalidDeviceId(InvalidReason),
    /// `identity.invalid_salt`: a client salt or server secret outside its length bounds.
    InvalidSalt {
        /// The length that was given.
        len: usize,
    },
    /// `identity.invalid_rounds`: a round count outside [`Rounds::MIN`]..=[`Rounds::MAX`].
    InvalidRounds {
        /// The count that was given.
        rounds: u32,
    },
    /// `identity.invalid_batch`: an empty or oversized look-up, an entry of a kind contact finder
    /// does not use, or an output buffer shorter than the batch.
    InvalidBatch(BatchProblem),
    /// `identity.invalid_key`: a verification-code key of the wrong length, or both keys equal.
    InvalidKey,
}

/// What is wrong with a contact-finder batch as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BatchProblem {
    /// No entries.
    Empty,
    /// More than [`MAX_LOOKUP_ENTRIES`] entries.
    TooLarge,
    /// An entry of a kind other than phone or e-mail (IDH-030).
    KindNotAllowed,
    /// The caller's output buffer is shorter than the batch.
    OutputTooSmall,
}

impl IdentityError {
    /// The spec error code (spec/README.md, "Error taxonomy").
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::InvalidUserId(_) => "identity.invalid_user_id",
            Self::InvalidPhone(_) => "identity.invalid_phone",
            Self::InvalidEmail(_) => "identity.invalid_email",
            Self::InvalidDeviceId(_) => "identity.invalid_device_id",
            Self::InvalidSalt { .. } => "identity.invalid_salt",
            Self::InvalidRounds { .. } => "identity.invalid_rounds",
            Self::InvalidBatch(_) => "identity.invalid_batch",
            Self::InvalidKey => "identity.invalid_key",
        }
    }

    /// Every code this part defines, in the order of the spec's taxonomy table.
    pub const CODES: [&'static str; 8] = [
        "identity.invalid_user_id",
        "identity.invalid_phone",
        "identity.invalid_email",
        "identity.invalid_device_id",
        "identity.invalid_salt",
        "identity.invalid_rounds",
        "identity.invalid_batch",
        "identity.invalid_key",
    ];
}

impl fmt::Display for IdentityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidUserId(r) | Self::InvalidPhone(r) | Self::InvalidEmail(r) | Self::InvalidDeviceId(r) => {
                write!(f, "{}: {r:?}", self.code())
            }
            Self::InvalidSalt { len } => write!(f, "{}: {len} bytes", self.code()),
            Self::InvalidRounds { rounds } => write!(f, "{}: {rounds}", self.code()),
            Self::InvalidBatch(problem) => write!(f, "{}: {problem:?}", self.code()),
            Self::InvalidKey => f.write_str(self.code()),
        }
    }
}

impl core::error::Error for IdentityError {}

/// A canonical identifier (IDH-003 to IDH-013): the only form that is ever hashed.
///
/// It holds personal data, so it is zeroized when dropped.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Canonical {
    #[zeroize(skip)]
    kind: IdentifierKind,
    len: usize,
    buf: [u8; MAX_CANONICAL_LEN],
}

impl fmt::Debug for Canonical {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Canonical").field("kind", &self.kind).field("len", &self.len).finish_non_exhaustive()
    }
}

impl Canonical {
    /// The kind of identifier.
    #[must_use]
    pub const fn kind(&self) -> IdentifierKind {
        self.kind
    }

    /// The canonical bytes (ASCII text for every kind but [`IdentifierKind::DeviceId`]).
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    fn empty(kind: IdentifierKind) -> Self {
        Self { kind, len: 0, buf: [0; MAX_CANONICAL_LEN] }
    }

    /// Appends one byte; the callers bound lengths first, so overflow is an input error.
    fn push(&mut self, byte: u8) -> Result<(), IdentityError> {
        let slot = self.buf.get_mut(self.len).ok_or(self.kind.invalid(InvalidReason::TooLong))?;
        *slot = byte;
        self.len += 1;
        Ok(())
    }
}

/// Removes leading and trailing ASCII whitespace: SP, HT, LF, CR and nothing else (IDH-003).
fn trim_ascii_whitespace(input: &[u8]) -> &[u8] {
    let is_ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let start = input.iter().position(|b| !is_ws(b)).unwrap_or(input.len());
    let end = input.iter().rposition(|b| !is_ws(b)).map_or(start, |i| i + 1);
    &input[start..end]
}

/// Canonicalises `input` as an identifier of `kind` (spec/identity.md section 3).
///
/// # Errors
/// The kind's `identity.invalid_*` error when the input has no canonical form.
pub fn canonicalize(kind: IdentifierKind, input: &[u8]) -> Result<Canonical, IdentityError> {
    // IDH-002: one bound on raw input for every kind, checked before any other rule.
    if input.len() > MAX_INPUT_LEN {
        return Err(kind.invalid(InvalidReason::InputTooLong));
    }
    match kind {
        IdentifierKind::DeviceId => canonical_device_id(input),
        IdentifierKind::UserId | IdentifierKind::Phone | IdentifierKind::Email => {
            // IDH-003, then IDH-004 before any kind-specific rule.
            let text = trim_ascii_whitespace(input);
            if text.is_empty() {
                return Err(kind.invalid(InvalidReason::Empty));
            }
            if !text.is_ascii() {
                return Err(kind.invalid(InvalidReason::NonAscii));
            }
            match kind {
                IdentifierKind::UserId => canonical_user_id(text),
                IdentifierKind::Phone => canonical_phone(text),
                _ => canonical_email(text),
            }
        }
    }
}

/// IDH-005, IDH-006.
fn canonical_user_id(text: &[u8]) -> Result<Canonical, IdentityError> {
    let kind = IdentifierKind::UserId;
    if text.len() > USER_ID_MAX_LEN {
        return Err(kind.invalid(InvalidReason::TooLong));
    }
    if text.len() < USER_ID_MIN_LEN {
        return Err(kind.invalid(InvalidReason::TooShort));
    }
    let mut out = Canonical::empty(kind);
    for &byte in text {
        let lower = byte.to_ascii_lowercase();
        if !(lower.is_ascii_lowercase() || lower.is_ascii_digit() || matches!(lower, b'.' | b'_' | b'-')) {
            return Err(kind.invalid(InvalidReason::ForbiddenCharacter));
        }
        out.push(lower)?;
    }
    let bytes = out.as_bytes();
    let alnum = |b: Option<&u8>| b.is_some_and(u8::is_ascii_alphanumeric);
    if !alnum(bytes.first()) || !alnum(bytes.last()) {
        return Err(kind.invalid(InvalidReason::BadEdge));
    }
    Ok(out)
}

/// IDH-007, IDH-008, IDH-009.
fn canonical_phone(text: &[u8]) -> Result<Canonical, IdentityError> {
    let kind = IdentifierKind::Phone;
    let Some(rest) = text.strip_prefix(b"+") else {
        return Err(kind.invalid(InvalidReason::MissingPlus));
    };
    if rest.windows(3).any(|w| w == b"(0)") {
        return Err(kind.invalid(InvalidReason::TrunkPrefix));
    }
    let mut out = Canonical::empty(kind);
    out.push(b'+')?;
    let mut digits = 0usize;
    for &byte in rest {
        match byte {
            b'0'..=b'9' => {
                if digits == 0 && byte == b'0' {
                    return Err(kind.invalid(InvalidReason::LeadingZero));
                }
                digits += 1;
                if digits > PHONE_MAX_DIGITS {
                    return Err(kind.invalid(InvalidReason::TooLong));
                }
                out.push(byte)?;
            }
            b' ' | b'-' | b'.' | b'(' | b')' => {}
            _ => return Err(kind.invalid(InvalidReason::ForbiddenCharacter)),
        }
    }
    if digits < PHONE_MIN_DIGITS {
        return Err(kind.invalid(InvalidReason::TooShort));
    }
    Ok(out)
}

/// The `atext` characters of RFC 5322 section 3.2.3, after lower-casing (IDH-011).
fn is_atext(byte: u8) -> bool {
    byte.is_ascii_lowercase() || byte.is_ascii_digit() || b"!#$%&'*+-/=?^_`{|}~".contains(&byte)
}

/// IDH-010, IDH-011, IDH-012.
fn canonical_email(text: &[u8]) -> Result<Canonical, IdentityError> {
    let kind = IdentifierKind::Email;
    if text.len() > EMAIL_MAX_LEN {
        return Err(kind.invalid(InvalidReason::TooLong));
    }
    let mut out = Canonical::empty(kind);
    for &byte in text {
        out.push(byte.to_ascii_lowercase())?;
    }
    let lower = out.as_bytes();
    let mut parts = lower.split(|&b| b == b'@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(kind.invalid(InvalidReason::AtSign));
    };
    let local_ok = !local.is_empty()
        && local.len() <= EMAIL_LOCAL_MAX_LEN
        && local.split(|&b| b == b'.').all(|atom| !atom.is_empty() && atom.iter().all(|&b| is_atext(b)));
    if !local_ok {
        return Err(kind.invalid(InvalidReason::LocalPart));
    }
    let label_ok = |label: &[u8]| {
        !label.is_empty()
            && label.len() <= EMAIL_LABEL_MAX_LEN
            && label.iter().all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && label.first() != Some(&b'-')
            && label.last() != Some(&b'-')
    };
    let labels = domain.split(|&b| b == b'.');
    let tld = domain.rsplit(|&b| b == b'.').next().unwrap_or_default();
    let domain_ok = domain.contains(&b'.') && labels.clone().all(label_ok) && !tld.iter().all(u8::is_ascii_digit);
    if !domain_ok {
        return Err(kind.invalid(InvalidReason::Domain));
    }
    Ok(out)
}

/// IDH-013: device hardware IDs are opaque; only their length is checked.
fn canonical_device_id(input: &[u8]) -> Result<Canonical, IdentityError> {
    let kind = IdentifierKind::DeviceId;
    if input.is_empty() {
        return Err(kind.invalid(InvalidReason::Empty));
    }
    if input.len() > DEVICE_ID_MAX_LEN {
        return Err(kind.invalid(InvalidReason::TooLong));
    }
    let mut out = Canonical::empty(kind);
    for &byte in input {
        out.push(byte)?;
    }
    Ok(out)
}

/// A deployment's public client salt, 16 to 64 bytes (IDH-020).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientSalt<'a>(&'a [u8]);

impl<'a> ClientSalt<'a> {
    /// Checks the length bounds of IDH-020.
    ///
    /// # Errors
    /// [`IdentityError::InvalidSalt`] when `salt` is shorter than 16 or longer than 64 bytes.
    pub const fn new(salt: &'a [u8]) -> Result<Self, IdentityError> {
        if salt.len() < CLIENT_SALT_MIN_LEN || salt.len() > SALT_MAX_LEN {
            return Err(IdentityError::InvalidSalt { len: salt.len() });
        }
        Ok(Self(salt))
    }

    /// The salt bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0
    }
}

/// The server's secret salt ("pepper"), 32 to 64 bytes (IDH-021). Zeroized on drop; not `Clone`.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct ServerSecret {
    len: usize,
    buf: [u8; SALT_MAX_LEN],
}

impl fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerSecret").finish_non_exhaustive()
    }
}

impl ServerSecret {
    /// Copies `secret` after checking the length bounds of IDH-021.
    ///
    /// # Errors
    /// [`IdentityError::InvalidSalt`] when `secret` is shorter than 32 or longer than 64 bytes.
    pub fn new(secret: &[u8]) -> Result<Self, IdentityError> {
        if secret.len() < SERVER_SECRET_MIN_LEN || secret.len() > SALT_MAX_LEN {
            return Err(IdentityError::InvalidSalt { len: secret.len() });
        }
        let mut buf = [0u8; SALT_MAX_LEN];
        buf[..secret.len()].copy_from_slice(secret);
        Ok(Self { len: secret.len(), buf })
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// A PBKDF2 round count within the bounds of IDH-022.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rounds(NonZeroU32);

impl Rounds {
    /// Fewest rounds either layer accepts.
    pub const MIN: Self = Self(NonZeroU32::new(1_000).expect("non-zero"));
    /// Most rounds either layer accepts.
    pub const MAX: Self = Self(NonZeroU32::new(1_000_000).expect("non-zero"));
    /// Default for the client layer (IDH-022; cost in spec/identity.md section 8).
    pub const DEFAULT_CLIENT: Self = Self(NonZeroU32::new(20_000).expect("non-zero"));
    /// Default for the server layer (IDH-022).
    pub const DEFAULT_SERVER: Self = Self(NonZeroU32::new(1_000).expect("non-zero"));

    /// Checks `rounds` against the bounds of IDH-022.
    ///
    /// # Errors
    /// [`IdentityError::InvalidRounds`] when `rounds` is below 1,000 or above 1,000,000.
    pub const fn new(rounds: u32) -> Result<Self, IdentityError> {
        if rounds < Self::MIN.get() || rounds > Self::MAX.get() {
            return Err(IdentityError::InvalidRounds { rounds });
        }
        match NonZeroU32::new(rounds) {
            Some(n) => Ok(Self(n)),
            None => Err(IdentityError::InvalidRounds { rounds }),
        }
    }

    /// The count.
    #[must_use]
    pub const fn get(self) -> u32 {
        self.0.get()
    }
}

/// A 32-byte identity hash: what the client sends, or what the server stores.
///
/// Equality is constant-time (IDH-027); ordering (used to sort look-ups, IDH-032) is not, and is
/// only ever applied to hashes that are about to be sent anyway.
#[derive(Clone, Copy, Eq, PartialOrd, Ord)]
pub struct IdentityHash(pub [u8; 32]);

impl PartialEq for IdentityHash {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for IdentityHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdentityHash(")?;
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        f.write_str(")")
    }
}

/// The layer byte of IDH-023.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layer {
    Client = 0x01,
    Server = 0x02,
}

/// The PBKDF2 password of IDH-023: label, layer, kind, 16-bit length, input.
struct HashMessage {
    len: usize,
    buf: [u8; HASH_LABEL.len() + 4 + MAX_CANONICAL_LEN],
}

impl Drop for HashMessage {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

impl HashMessage {
    fn new(layer: Layer, kind: IdentifierKind, input: &[u8]) -> Self {
        let mut buf = [0u8; HASH_LABEL.len() + 4 + MAX_CANONICAL_LEN];
        let header = HASH_LABEL.len() + 4;
        buf[..HASH_LABEL.len()].copy_from_slice(HASH_LABEL);
        buf[HASH_LABEL.len()] = layer as u8;
        buf[HASH_LABEL.len() + 1] = kind.byte();
        // Inputs are at most MAX_CANONICAL_LEN (254) bytes, so the length always fits in 16 bits.
        let len16 = u16::try_from(input.len()).unwrap_or(u16::MAX);
        buf[HASH_LABEL.len() + 2..header].copy_from_slice(&len16.to_be_bytes());
        buf[header..header + input.len()].copy_from_slice(input);
        Self { len: header + input.len(), buf }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// The client layer over an already canonical identifier (IDH-024, IDH-025).
#[must_use]
pub fn client_hash_canonical(canonical: &Canonical, salt: &ClientSalt<'_>, rounds: Rounds) -> IdentityHash {
    let message = HashMessage::new(Layer::Client, canonical.kind(), canonical.as_bytes());
    IdentityHash(primitives::pbkdf2_sha256(message.as_bytes(), salt.as_bytes(), rounds.0))
}

/// Canonicalises `input` and applies the client layer: what a device sends instead of the
/// identifier (IDH-025).
///
/// # Errors
/// The kind's `identity.invalid_*` error when the input has no canonical form.
pub fn client_hash(
    kind: IdentifierKind,
    input: &[u8],
    salt: &ClientSalt<'_>,
    rounds: Rounds,
) -> Result<IdentityHash, IdentityError> {
    Ok(client_hash_canonical(&canonicalize(kind, input)?, salt, rounds))
}

/// The server layer: applied to a client hash before it is stored or associated with device
/// information (IDH-026).
#[must_use]
pub fn server_hash(kind: IdentifierKind, client: &IdentityHash, secret: &ServerSecret, rounds: Rounds) -> IdentityHash {
    let message = HashMessage::new(Layer::Server, kind, &client.0);
    IdentityHash(primitives::pbkdf2_sha256(message.as_bytes(), secret.as_bytes(), rounds.0))
}

/// One identifier in a contact-finder look-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LookupEntry<'a> {
    /// [`IdentifierKind::Phone`] or [`IdentifierKind::Email`].
    pub kind: IdentifierKind,
    /// The identifier as found in the address book.
    pub input: &'a [u8],
}

/// Disguises a batch of address-book entries for contact finder (IDH-030 to IDH-032).
///
/// Writes the client hashes into `out`, sorted ascending with duplicates removed, and returns the
/// filled prefix.
///
/// # Errors
/// `identity.invalid_batch` for an empty or oversized batch, an entry whose kind is not phone or
/// e-mail, or `out` shorter than `entries`; otherwise the first invalid entry's own error.
pub fn contact_lookup<'o>(
    entries: &[LookupEntry<'_>],
    salt: &ClientSalt<'_>,
    rounds: Rounds,
    out: &'o mut [IdentityHash],
) -> Result<&'o [IdentityHash], IdentityError> {
    if entries.is_empty() {
        return Err(IdentityError::InvalidBatch(BatchProblem::Empty));
    }
    if entries.len() > MAX_LOOKUP_ENTRIES {
        return Err(IdentityError::InvalidBatch(BatchProblem::TooLarge));
    }
    if out.len() < entries.len() {
        return Err(IdentityError::InvalidBatch(BatchProblem::OutputTooSmall));
    }
    // Check every entry before hashing any, so a bad entry costs no hashing work.
    if entries.iter().any(|e| !matches!(e.kind, IdentifierKind::Phone | IdentifierKind::Email)) {
        return Err(IdentityError::InvalidBatch(BatchProblem::KindNotAllowed));
    }
    for entry in entries {
        canonicalize(entry.kind, entry.input)?;
    }
    for (slot, entry) in out.iter_mut().zip(entries) {
        *slot = client_hash(entry.kind, entry.input, salt, rounds)?;
    }
    let filled = &mut out[..entries.len()];
    filled.sort_unstable();
    let mut kept = 0;
    for i in 0..filled.len() {
        if kept == 0 || filled[i].0 != filled[kept - 1].0 {
            filled[kept] = filled[i];
            kept += 1;
        }
    }
    Ok(&out[..kept])
}

/// A key-verification code: 8 groups of 5 decimal digits (IDH-041, IDH-042).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VerificationCode([u8; VERIFICATION_CODE_LEN]);

impl VerificationCode {
    /// The code as displayed: `"01234 56789 …"`, groups separated by one space.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Built only from ASCII digits and spaces.
        core::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Debug for VerificationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerificationCode({})", self.as_str())
    }
}

impl fmt::Display for VerificationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The code two people compare to check each other's identity keys (IDH-040 to IDH-042).
///
/// The keys are sorted before use, so both sides compute the same code.
///
/// # Errors
/// `identity.invalid_key` when a key is not 32 bytes or both keys are equal.
pub fn verification_code(key_a: &[u8], key_b: &[u8]) -> Result<VerificationCode, IdentityError> {
    if key_a.len() != IDENTITY_KEY_LEN || key_b.len() != IDENTITY_KEY_LEN || key_a == key_b {
        return Err(IdentityError::InvalidKey);
    }
    let (low, high) = if key_a < key_b { (key_a, key_b) } else { (key_b, key_a) };
    let mut ikm = [0u8; 2 * IDENTITY_KEY_LEN];
    ikm[..IDENTITY_KEY_LEN].copy_from_slice(low);
    ikm[IDENTITY_KEY_LEN..].copy_from_slice(high);
    let mut okm = [0u8; 4 * VERIFICATION_GROUPS];
    primitives::hkdf(VERIFICATION_SALT, &ikm, VERIFICATION_INFO, &mut okm).map_err(|_| IdentityError::InvalidKey)?;
    let mut code = [b' '; VERIFICATION_CODE_LEN];
    for (group, chunk) in okm.chunks_exact(4).enumerate() {
        let mut value = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]) % 100_000;
        for digit in (0..5).rev() {
            code[group * 6 + digit] = b"0123456789"[(value % 10) as usize];
            value /= 10;
        }
    }
    Ok(VerificationCode(code))
}
