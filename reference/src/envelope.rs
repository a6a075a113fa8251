//! Message envelopes: one encryption of the content, one key wrap per recipient device
//! (spec/envelope.md, requirements `ENV-nnn`).
//!
//! Nothing here allocates: [`seal`] writes into a caller's buffer of [`sealed_len`] bytes and
//! [`open`] decrypts into a caller's buffer. Every error is an [`EnvelopeError`] whose
//! [`code`](EnvelopeError::code) is one of the spec's `envelope.*` codes.
//!
//! ```
//! use cinder::envelope::{self, ContentType, Content, Header, Recipient};
//! use cinder::testing::ReplayRng;
//!
//! let header = Header {
//!     message_id: [7; 16],
//!     conversation_id: b"room-1",
//!     sender_device: b"alice-phone",
//!     sent_at: 1_700_000_000,
//!     ttl: 86_400,
//!     padded: true,
//! };
//! let content = Content { bor: 60, content_type: ContentType::Text, body: b"hello" };
//! let (bob_key, carol_key) = ([1u8; 32], [2u8; 32]);
//! let mut recipients = [
//!     Recipient { device: b"carol-laptop", wrap_key: &carol_key },
//!     Recipient { device: b"bob-phone", wrap_key: &bob_key },
//! ];
//! let mut out = vec![0u8; envelope::sealed_len(&header, &recipients, content.body.len()).unwrap()];
//! // Real senders pass a cryptographically secure generator; ReplayRng is for vectors only.
//! let mut rng = ReplayRng::new(&[9u8; 32]);
//! let len = envelope::seal(&header, &content, &mut recipients, &mut rng, &mut out).unwrap();
//!
//! let mut plain = vec![0u8; len];
//! let opened = envelope::open(&out[..len], b"bob-phone", &bob_key, &mut plain).unwrap();
//! assert_eq!(opened.body, b"hello");
//! assert_eq!(opened.bor, 60);
//! ```

use core::cmp::Ordering;
use core::fmt;

use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::codec::{BufferTooSmall, DecodeError, Reader, Writer};
use crate::primitives::{self, AEAD_NONCE_LEN, AEAD_TAG_LEN, HASH_LEN};

/// The only version (ENV-010).
pub const VERSION: u8 = 0x01;
/// The only suite: X25519 / HKDF-SHA256 / ChaCha20-Poly1305 (ENV-010).
pub const SUITE: u8 = 0x01;
/// Flag bit 0: the sealed part is padded (ENV-031).
pub const FLAG_PADDED: u8 = 0x01;
/// Length of a message ID.
pub const MESSAGE_ID_LEN: usize = 16;
/// Shortest conversation, sender or recipient ID (ENV-012).
pub const ID_MIN_LEN: usize = 1;
/// Longest conversation, sender or recipient ID (ENV-012).
pub const ID_MAX_LEN: usize = 64;
/// Most recipient devices in one envelope (ENV-012).
pub const MAX_RECIPIENTS: usize = 1000;
/// Longest `ttl`, and longest `bor`, in seconds: 365 days (ENV-015, ENV-032).
pub const MAX_TTL: u32 = 31_536_000;
/// Longest content in bytes: 1 MiB (ENV-032).
pub const MAX_CONTENT_LEN: usize = 1 << 20;
/// Bytes of the sealed part before the content: `bor`, `content_type` and the content length.
pub const SEALED_OVERHEAD: usize = 9;
/// Shortest sealed part (an empty, unpadded message).
pub const SEALED_MIN_LEN: usize = SEALED_OVERHEAD;
/// Longest sealed part: the largest content, padded (ENV-012, ENV-031).
pub const SEALED_MAX_LEN: usize = padme(SEALED_OVERHEAD + MAX_CONTENT_LEN);
/// Length of a wrap key and of a content key.
pub const KEY_LEN: usize = 32;
/// Length of the key commitment (ENV-023).
pub const COMMITMENT_LEN: usize = 32;
/// Length of a wrapped content key: 32 encrypted bytes and a 16-byte tag.
pub const WRAPPED_LEN: usize = KEY_LEN + AEAD_TAG_LEN;
/// Longest encoded header.
pub const MAX_HEADER_LEN: usize = 3 + MESSAGE_ID_LEN + 2 * (1 + ID_MAX_LEN) + 8 + 4;

const EXTRACT_SALT: &[u8] = b"cinder-env-v1";
const SLOT_SALT: &[u8] = b"cinder-env-v1 slot";
const COMMIT_LABEL: &[u8] = b"commit";
const PAYLOAD_LABEL: &[u8] = b"payload";
const WRAP_LABEL: &[u8] = b"wrap";

/// The Padmé length of ENV-031 for a sealed part of `len` bytes (`len` at least 9).
#[must_use]
pub const fn padme(len: usize) -> usize {
    if len < 2 {
        return len;
    }
    let e = usize::BITS - 1 - len.leading_zeros();
    let s = u32::BITS - e.leading_zeros();
    let mask = (1usize << (e - s)) - 1;
    (len + mask) & !mask
}

/// What the sealed part may carry (ENV-032).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum ContentType {
    /// `0x01`: UTF-8 text.
    Text,
    /// `0x02`: an attachment descriptor.
    Attachment,
    /// `0x03`: a control message (recall, read receipt, ...).
    Control,
}

impl ContentType {
    /// The wire byte.
    #[must_use]
    pub const fn byte(self) -> u8 {
        match self {
            Self::Text => 0x01,
            Self::Attachment => 0x02,
            Self::Control => 0x03,
        }
    }

    /// The content type of a wire byte, if it is one.
    #[must_use]
    pub const fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0x01 => Some(Self::Text),
            0x02 => Some(Self::Attachment),
            0x03 => Some(Self::Control),
            _ => None,
        }
    }
}

impl TryFrom<u8> for ContentType {
    type Error = EnvelopeError;

    /// The content type of a wire byte; any other byte is `envelope.invalid_sealed` (ENV-032).
    fn try_from(byte: u8) -> Result<Self, EnvelopeError> {
        Self::from_byte(byte).ok_or(EnvelopeError::InvalidSealed(SealedProblem::ContentType(byte)))
    }
}

/// The routing header (ENV-001): everything the server may see, authenticated by the payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    /// Unique per message.
    pub message_id: [u8; MESSAGE_ID_LEN],
    /// The conversation or room, 1 to 64 bytes.
    pub conversation_id: &'a [u8],
    /// The sending device, 1 to 64 bytes.
    pub sender_device: &'a [u8],
    /// When the message was sent, seconds since the epoch.
    pub sent_at: u64,
    /// Maximum lifetime in seconds, 1 to 31,536,000.
    pub ttl: u32,
    /// Whether the sealed part is padded (ENV-031).
    pub padded: bool,
}

impl Header<'_> {
    /// Checks the bounds of ENV-012 and ENV-015.
    fn validate(&self) -> Result<(), EnvelopeError> {
        Reader::bounded(self.conversation_id.len(), ID_MIN_LEN, ID_MAX_LEN, "conversation_id")?;
        Reader::bounded(self.sender_device.len(), ID_MIN_LEN, ID_MAX_LEN, "sender_device")?;
        if self.ttl == 0 || self.ttl > MAX_TTL {
            return Err(EnvelopeError::InvalidHeader);
        }
        Ok(())
    }

    fn encoded_len(&self) -> usize {
        3 + MESSAGE_ID_LEN + 2 + self.conversation_id.len() + self.sender_device.len() + 8 + 4
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), BufferTooSmall> {
        w.u8(VERSION)?;
        w.u8(SUITE)?;
        w.u8(if self.padded { FLAG_PADDED } else { 0 })?;
        w.put(&self.message_id)?;
        w.vec8(self.conversation_id)?;
        w.vec8(self.sender_device)?;
        w.u64(self.sent_at)?;
        w.u32(self.ttl)
    }
}

impl<'a> Header<'a> {
    /// ENV-010, ENV-011, ENV-012, ENV-015, in that order.
    fn read(r: &mut Reader<'a>) -> Result<Self, EnvelopeError> {
        let version = r.u8("version")?;
        if version != VERSION {
            return Err(EnvelopeError::UnknownVersion(version));
        }
        let suite = r.u8("suite")?;
        if suite != SUITE {
            return Err(EnvelopeError::UnknownSuite(suite));
        }
        let flags = r.u8("flags")?;
        if flags & !FLAG_PADDED != 0 {
            return Err(EnvelopeError::ReservedBits(flags));
        }
        let header = Self {
            message_id: r.array("message_id")?,
            conversation_id: r.vec8(ID_MIN_LEN, ID_MAX_LEN, "conversation_id")?,
            sender_device: r.vec8(ID_MIN_LEN, ID_MAX_LEN, "sender_device")?,
            sent_at: r.u64("sent_at")?,
            ttl: r.u32("ttl")?,
            padded: flags & FLAG_PADDED != 0,
        };
        if header.ttl == 0 || header.ttl > MAX_TTL {
            return Err(EnvelopeError::InvalidHeader);
        }
        Ok(header)
    }
}

/// What the sealed part carries besides the routing header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Content<'a> {
    /// Burn-on-read in seconds after reading; 0 means off.
    pub bor: u32,
    /// What the body is.
    pub content_type: ContentType,
    /// The message, at most 1 MiB.
    pub body: &'a [u8],
}

/// A recipient device and the wrap key the sender shares with it.
#[derive(Clone, Copy)]
pub struct Recipient<'a> {
    /// The device ID, 1 to 64 bytes.
    pub device: &'a [u8],
    /// The 32-byte wrap key (a session message key, see the sessions chapter).
    pub wrap_key: &'a [u8; KEY_LEN],
}

impl fmt::Debug for Recipient<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recipient").field("device", &self.device).finish_non_exhaustive()
    }
}

/// What went wrong with an envelope. Each variant maps to exactly one spec code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// `envelope.truncated`, `envelope.trailing_data` or `envelope.length_out_of_range`.
    Decode(DecodeError),
    /// `envelope.unknown_version`.
    UnknownVersion(u8),
    /// `envelope.unknown_suite`.
    UnknownSuite(u8),
    /// `envelope.reserved_bits`: the flags byte that was read.
    ReservedBits(u8),
    /// `envelope.recipients_not_sorted`.
    RecipientsNotSorted,
    /// `envelope.duplicate_recipient`.
    DuplicateRecipient,
    /// `envelope.invalid_header`: `ttl` out of bounds.
    InvalidHeader,
    /// `envelope.not_a_recipient`.
    NotARecipient,
    /// `envelope.authentication_failed`: deliberately without detail (ENV-033).
    AuthenticationFailed,
    /// `envelope.invalid_sealed`.
    InvalidSealed(SealedProblem),
    /// `envelope.buffer_too_small`: the caller's buffer cannot hold the output (an API error,
    /// never in a vector).
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
    },
}

/// What is wrong with an authenticated sealed part, or with content given to [`seal`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SealedProblem {
    /// `bor` above [`MAX_TTL`].
    Bor,
    /// An unknown content-type byte.
    ContentType(u8),
    /// A content length above 1 MiB or beyond the plaintext.
    ContentLength,
    /// Padding that is not zeros of the Padmé length, or padding on an unpadded envelope.
    Padding,
}

impl EnvelopeError {
    /// The spec error code (spec/envelope.md section 6).
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Decode(DecodeError::Truncated(_)) => "envelope.truncated",
            Self::Decode(DecodeError::TrailingData(_)) => "envelope.trailing_data",
            Self::Decode(DecodeError::LengthOutOfRange(_)) => "envelope.length_out_of_range",
            Self::UnknownVersion(_) => "envelope.unknown_version",
            Self::UnknownSuite(_) => "envelope.unknown_suite",
            Self::ReservedBits(_) => "envelope.reserved_bits",
            Self::RecipientsNotSorted => "envelope.recipients_not_sorted",
            Self::DuplicateRecipient => "envelope.duplicate_recipient",
            Self::InvalidHeader => "envelope.invalid_header",
            Self::NotARecipient => "envelope.not_a_recipient",
            Self::AuthenticationFailed => "envelope.authentication_failed",
            Self::InvalidSealed(_) => "envelope.invalid_sealed",
            Self::BufferTooSmall { .. } => "envelope.buffer_too_small",
        }
    }

    /// Every code this part defines, in the order of the spec's table.
    pub const CODES: [&'static str; 13] = [
        "envelope.unknown_version",
        "envelope.unknown_suite",
        "envelope.reserved_bits",
        "envelope.length_out_of_range",
        "envelope.truncated",
        "envelope.trailing_data",
        "envelope.recipients_not_sorted",
        "envelope.duplicate_recipient",
        "envelope.invalid_header",
        "envelope.not_a_recipient",
        "envelope.authentication_failed",
        "envelope.invalid_sealed",
        "envelope.buffer_too_small",
    ];
}

impl fmt::Display for EnvelopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Decode(e) => write!(f, "{}: {e}", self.code()),
            Self::UnknownVersion(v) | Self::UnknownSuite(v) | Self::ReservedBits(v) => {
                write!(f, "{}: 0x{v:02x}", self.code())
            }
            Self::InvalidSealed(p) => write!(f, "{}: {p:?}", self.code()),
            Self::BufferTooSmall { needed } => write!(f, "{}: {needed} bytes needed", self.code()),
            _ => f.write_str(self.code()),
        }
    }
}

impl core::error::Error for EnvelopeError {}

impl From<DecodeError> for EnvelopeError {
    fn from(e: DecodeError) -> Self {
        Self::Decode(e)
    }
}

impl From<BufferTooSmall> for EnvelopeError {
    fn from(e: BufferTooSmall) -> Self {
        Self::BufferTooSmall { needed: e.needed }
    }
}

/// One recipient's slot as it appears in an envelope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot<'a> {
    /// The recipient device ID.
    pub recipient: &'a [u8],
    /// The wrapped content key and its tag.
    pub wrapped: [u8; WRAPPED_LEN],
}

/// A decoded envelope: a view into the bytes it was decoded from (ENV-010..ENV-015).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// The routing header.
    pub header: Header<'a>,
    header_bytes: &'a [u8],
    /// The key commitment (ENV-023).
    pub commitment: [u8; COMMITMENT_LEN],
    slot_count: usize,
    slot_bytes: &'a [u8],
    /// The payload ciphertext (the sealed part, encrypted).
    pub ciphertext: &'a [u8],
    /// The payload tag.
    pub tag: [u8; AEAD_TAG_LEN],
}

/// Iterates over an envelope's slots, in their (ascending) order.
#[derive(Clone, Debug)]
pub struct Slots<'a> {
    reader: Reader<'a>,
    left: usize,
}

impl<'a> Iterator for Slots<'a> {
    type Item = Slot<'a>;

    fn next(&mut self) -> Option<Slot<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        // The bytes were checked by Envelope::decode, so these reads succeed.
        let recipient = self.reader.vec8(ID_MIN_LEN, ID_MAX_LEN, "recipient").ok()?;
        let wrapped = self.reader.array("wrapped key").ok()?;
        Some(Slot { recipient, wrapped })
    }
}

impl<'a> Envelope<'a> {
    /// Decodes and checks an envelope's structure; no key is involved (ENV-030 step 1).
    ///
    /// # Errors
    /// The first structural error, in the order of spec/envelope.md section 2.
    pub fn decode(bytes: &'a [u8]) -> Result<Self, EnvelopeError> {
        let mut r = Reader::new(bytes);
        let header = Header::read(&mut r)?;
        let header_bytes = r.consumed();
        let commitment = r.array("commitment")?;
        let slot_count = Reader::bounded(usize::from(r.u16("recipient count")?), 1, MAX_RECIPIENTS, "recipient count")?;
        let slots_start = r.consumed().len();
        let mut previous: Option<&[u8]> = None;
        for _ in 0..slot_count {
            let recipient = r.vec8(ID_MIN_LEN, ID_MAX_LEN, "recipient")?;
            r.take(WRAPPED_LEN, "wrapped key")?;
            match previous.map(|p| p.cmp(recipient)) {
                Some(Ordering::Equal) => return Err(EnvelopeError::DuplicateRecipient),
                Some(Ordering::Greater) => return Err(EnvelopeError::RecipientsNotSorted),
                _ => {}
            }
            previous = Some(recipient);
        }
        let slot_bytes = &bytes[slots_start..r.consumed().len()];
        let len = r.u32("payload length")?;
        let len = usize::try_from(len).map_err(|_| DecodeError::LengthOutOfRange("payload length"))?;
        let len = Reader::bounded(len, SEALED_MIN_LEN, SEALED_MAX_LEN, "payload length")?;
        let ciphertext = r.take(len, "payload")?;
        let tag = r.array("payload tag")?;
        r.finish("envelope")?;
        Ok(Self { header, header_bytes, commitment, slot_count, slot_bytes, ciphertext, tag })
    }

    /// The slots, in ascending recipient order.
    #[must_use]
    pub fn slots(&self) -> Slots<'a> {
        Slots { reader: Reader::new(self.slot_bytes), left: self.slot_count }
    }

    /// The number of recipient devices.
    #[must_use]
    pub const fn recipient_count(&self) -> usize {
        self.slot_count
    }

    /// The encoded header, exactly as it appeared (the payload's associated data).
    #[must_use]
    pub const fn header_bytes(&self) -> &'a [u8] {
        self.header_bytes
    }

    /// Length of the canonical encoding.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        self.header.encoded_len()
            + COMMITMENT_LEN
            + 2
            + self.slot_bytes.len()
            + 4
            + self.ciphertext.len()
            + AEAD_TAG_LEN
    }

    /// Writes the canonical encoding from the decoded fields (not by copying the input), so that
    /// decode→encode giving the input back is a real check of ENV-014.
    ///
    /// # Errors
    /// [`EnvelopeError::BufferTooSmall`].
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, EnvelopeError> {
        let mut w = Writer::new(out);
        self.header.write(&mut w)?;
        w.put(&self.commitment)?;
        w.u16(u16::try_from(self.slot_count).map_err(|_| DecodeError::LengthOutOfRange("recipient count"))?)?;
        for slot in self.slots() {
            w.vec8(slot.recipient)?;
            w.put(&slot.wrapped)?;
        }
        w.u32(u32::try_from(self.ciphertext.len()).map_err(|_| DecodeError::LengthOutOfRange("payload length"))?)?;
        w.put(self.ciphertext)?;
        w.put(&self.tag)?;
        Ok(w.len())
    }
}

/// The keys ENV-020 derives from the content key and the header.
struct PayloadKeys {
    commitment: [u8; COMMITMENT_LEN],
    key: Zeroizing<[u8; KEY_LEN]>,
    nonce: [u8; AEAD_NONCE_LEN],
}

fn payload_keys(content_key: &[u8; KEY_LEN], header_bytes: &[u8]) -> PayloadKeys {
    let prk = Zeroizing::new(primitives::hkdf_extract(EXTRACT_SALT, content_key));
    let hh = primitives::sha256(&[header_bytes]);
    let mut info = [0u8; PAYLOAD_LABEL.len() + HASH_LEN];
    let mut commitment = [0u8; COMMITMENT_LEN];
    info[..COMMIT_LABEL.len()].copy_from_slice(COMMIT_LABEL);
    info[COMMIT_LABEL.len()..COMMIT_LABEL.len() + HASH_LEN].copy_from_slice(&hh);
    expand(&prk, &info[..COMMIT_LABEL.len() + HASH_LEN], &mut commitment);
    info[..PAYLOAD_LABEL.len()].copy_from_slice(PAYLOAD_LABEL);
    info[PAYLOAD_LABEL.len()..].copy_from_slice(&hh);
    let mut okm = Zeroizing::new([0u8; KEY_LEN + AEAD_NONCE_LEN]);
    expand(&prk, &info, &mut okm[..]);
    let (key, nonce) = split_key_nonce(&okm);
    PayloadKeys { commitment, key, nonce }
}

/// HKDF-Expand to at most 44 bytes, which cannot exceed HKDF's limit.
fn expand(prk: &[u8; HASH_LEN], info: &[u8], out: &mut [u8]) {
    if primitives::hkdf_expand(prk, info, out).is_err() {
        unreachable!("HKDF output of at most 44 bytes");
    }
}

/// The slot key and nonce of ENV-022 for recipient `device`.
fn slot_keys(
    wrap_key: &[u8; KEY_LEN],
    transcript: &[u8; HASH_LEN],
    device: &[u8],
) -> Zeroizing<[u8; KEY_LEN + AEAD_NONCE_LEN]> {
    let sprk = Zeroizing::new(primitives::hkdf_extract(SLOT_SALT, wrap_key));
    let mut info = [0u8; WRAP_LABEL.len() + HASH_LEN + 1 + ID_MAX_LEN];
    let mut w = Writer::new(&mut info);
    let written = w.put(WRAP_LABEL).and_then(|()| w.put(transcript)).and_then(|()| w.vec8(device));
    let info_len = if written.is_ok() { w.len() } else { 0 };
    let mut okm = Zeroizing::new([0u8; KEY_LEN + AEAD_NONCE_LEN]);
    expand(&sprk, &info[..info_len], &mut okm[..]);
    okm
}

fn split_key_nonce(okm: &[u8; KEY_LEN + AEAD_NONCE_LEN]) -> (Zeroizing<[u8; KEY_LEN]>, [u8; AEAD_NONCE_LEN]) {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    key.copy_from_slice(&okm[..KEY_LEN]);
    let mut nonce = [0u8; AEAD_NONCE_LEN];
    nonce.copy_from_slice(&okm[KEY_LEN..]);
    (key, nonce)
}

/// Length of the sealed part for a body of `body_len` bytes.
fn sealed_part_len(padded: bool, body_len: usize) -> usize {
    let unpadded = SEALED_OVERHEAD + body_len;
    if padded { padme(unpadded) } else { unpadded }
}

/// Checks what [`seal`] is given (ENV-040) and returns the envelope's length.
///
/// # Errors
/// The error [`seal`] would return for these inputs, other than a short buffer.
pub fn sealed_len(header: &Header<'_>, recipients: &[Recipient<'_>], body_len: usize) -> Result<usize, EnvelopeError> {
    if body_len > MAX_CONTENT_LEN {
        return Err(EnvelopeError::InvalidSealed(SealedProblem::ContentLength));
    }
    envelope_len(header, recipients, sealed_part_len(header.padded, body_len))
}

/// ENV-040's structural checks (ENV-012, ENV-015) and the length of the envelope they allow.
fn envelope_len(header: &Header<'_>, recipients: &[Recipient<'_>], sealed_len: usize) -> Result<usize, EnvelopeError> {
    header.validate()?;
    Reader::bounded(recipients.len(), 1, MAX_RECIPIENTS, "recipient count")?;
    let mut total = header.encoded_len() + COMMITMENT_LEN + 2 + 4 + sealed_len + AEAD_TAG_LEN;
    for recipient in recipients {
        Reader::bounded(recipient.device.len(), ID_MIN_LEN, ID_MAX_LEN, "recipient")?;
        total += 1 + recipient.device.len() + WRAPPED_LEN;
    }
    Ok(total)
}

/// Seals `content` for `recipients` into `out` (spec/envelope.md sections 3 and 5).
///
/// Draws the 32-byte content key from `rng` — the only randomness (ENV-020). Sorts `recipients`
/// in place into the order the envelope uses (ENV-014). Returns the envelope's length.
///
/// # Errors
/// `envelope.length_out_of_range`, `envelope.invalid_header`, `envelope.invalid_sealed` or
/// `envelope.duplicate_recipient` for inputs that would not decode or open; `BufferTooSmall` when
/// `out` is shorter than [`sealed_len`].
pub fn seal<R: CryptoRng + ?Sized>(
    header: &Header<'_>,
    content: &Content<'_>,
    recipients: &mut [Recipient<'_>],
    rng: &mut R,
    out: &mut [u8],
) -> Result<usize, EnvelopeError> {
    let sealed_len = sealed_len_checked(header, recipients, content)?;
    seal_with(header, None, sealed_len, |sealed| write_sealed_part(content, sealed), recipients, rng, out)
}

/// Seals an arbitrary sealed part — bytes that need not follow ENV-031 or ENV-032 — and, if
/// `commitment` is given, writes it instead of the content key's own (breaking ENV-023) while
/// deriving the slots and the payload consistently from it. Vectors use it to show what a recipient
/// does with a faulty or malicious sender (`envelope.invalid_sealed`,
/// `envelope.authentication_failed`). Only the structural bounds of ENV-012 are checked. Never use
/// it to send messages.
///
/// # Errors
/// As [`seal`], for the header, recipients, and a sealed part outside 9..=1,081,344 bytes.
pub fn seal_raw_sealed_part_for_testing_only<R: CryptoRng + ?Sized>(
    header: &Header<'_>,
    sealed_part: &[u8],
    commitment: Option<&[u8; COMMITMENT_LEN]>,
    recipients: &mut [Recipient<'_>],
    rng: &mut R,
    out: &mut [u8],
) -> Result<usize, EnvelopeError> {
    Reader::bounded(sealed_part.len(), SEALED_MIN_LEN, SEALED_MAX_LEN, "payload length")?;
    seal_with(
        header,
        commitment,
        sealed_part.len(),
        |sealed| {
            sealed.copy_from_slice(sealed_part);
            Ok(())
        },
        recipients,
        rng,
        out,
    )
}

/// ENV-040 checks on the content, and the sealed part's length.
fn sealed_len_checked(
    header: &Header<'_>,
    recipients: &[Recipient<'_>],
    content: &Content<'_>,
) -> Result<usize, EnvelopeError> {
    sealed_len(header, recipients, content.body.len())?;
    if content.bor > MAX_TTL {
        return Err(EnvelopeError::InvalidSealed(SealedProblem::Bor));
    }
    Ok(sealed_part_len(header.padded, content.body.len()))
}

fn seal_with<R: CryptoRng + ?Sized>(
    header: &Header<'_>,
    commitment_override: Option<&[u8; COMMITMENT_LEN]>,
    sealed_len: usize,
    write_sealed: impl FnOnce(&mut [u8]) -> Result<(), EnvelopeError>,
    recipients: &mut [Recipient<'_>],
    rng: &mut R,
    out: &mut [u8],
) -> Result<usize, EnvelopeError> {
    let total = envelope_len(header, recipients, sealed_len)?;
    recipients.sort_unstable_by(|a, b| a.device.cmp(b.device));
    if recipients.windows(2).any(|pair| pair[0].device == pair[1].device) {
        return Err(EnvelopeError::DuplicateRecipient);
    }
    if out.len() < total {
        return Err(EnvelopeError::BufferTooSmall { needed: total });
    }
    let mut content_key = Zeroizing::new([0u8; KEY_LEN]);
    rng.fill_bytes(&mut content_key[..]);

    let mut w = Writer::new(&mut out[..total]);
    header.write(&mut w)?;
    let keys = payload_keys(&content_key, w.written());
    w.put(commitment_override.unwrap_or(&keys.commitment))?;

    // The slots, bound to the header and the commitment through t (ENV-022).
    let transcript = primitives::sha256(&[w.written()]);
    w.u16(u16::try_from(recipients.len()).map_err(|_| DecodeError::LengthOutOfRange("recipient count"))?)?;
    for recipient in recipients.iter() {
        w.vec8(recipient.device)?;
        let (key, nonce) = split_key_nonce(&slot_keys(recipient.wrap_key, &transcript, recipient.device));
        let wrapped = w.reserve(WRAPPED_LEN)?;
        let (ciphertext, tag_out) = wrapped.split_at_mut(KEY_LEN);
        ciphertext.copy_from_slice(&content_key[..]);
        tag_out.copy_from_slice(&primitives::aead_seal(&key, &nonce, &[], ciphertext));
    }

    // The payload: the sealed part written in place, then encrypted in place, with everything
    // before it as associated data (ENV-021).
    let aad_len = w.len();
    w.u32(u32::try_from(sealed_len).map_err(|_| EnvelopeError::InvalidSealed(SealedProblem::ContentLength))?)?;
    // `w` is done: from here on the buffer is split into associated data and payload.
    let (aad, rest) = out[..total].split_at_mut(aad_len);
    let (sealed, tag_out) = rest[4..].split_at_mut(sealed_len);
    write_sealed(sealed)?;
    tag_out.copy_from_slice(&primitives::aead_seal(&keys.key, &keys.nonce, aad, sealed));
    Ok(total)
}

fn write_sealed_part(content: &Content<'_>, sealed: &mut [u8]) -> Result<(), EnvelopeError> {
    let body_len =
        u32::try_from(content.body.len()).map_err(|_| EnvelopeError::InvalidSealed(SealedProblem::ContentLength))?;
    let mut w = Writer::new(sealed);
    w.u32(content.bor)?;
    w.u8(content.content_type.byte())?;
    w.u32(body_len)?;
    w.put(content.body)?;
    sealed[SEALED_OVERHEAD + content.body.len()..].fill(0);
    Ok(())
}

/// An opened envelope: the header (borrowed from the envelope) and the content (borrowed from
/// the caller's output buffer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opened<'e, 'o> {
    /// The routing header, as authenticated.
    pub header: Header<'e>,
    /// Burn-on-read seconds; 0 means off.
    pub bor: u32,
    /// The content type.
    pub content_type: ContentType,
    /// The message.
    pub body: &'o [u8],
}

/// Opens an envelope as device `me` holding `wrap_key` (ENV-030).
///
/// `out` receives the decrypted sealed part and must hold at least the envelope's payload length
/// (the envelope's own length is always enough).
///
/// # Errors
/// The first failing step of ENV-030; every authentication failure is the same
/// [`EnvelopeError::AuthenticationFailed`] (ENV-033).
pub fn open<'e, 'o>(
    envelope: &'e [u8],
    me: &[u8],
    wrap_key: &[u8; KEY_LEN],
    out: &'o mut [u8],
) -> Result<Opened<'e, 'o>, EnvelopeError> {
    let env = Envelope::decode(envelope)?;
    let slot = env.slots().find(|slot| slot.recipient == me).ok_or(EnvelopeError::NotARecipient)?;
    if out.len() < env.ciphertext.len() {
        return Err(EnvelopeError::BufferTooSmall { needed: env.ciphertext.len() });
    }

    // ENV-021: the associated data is every byte before the payload.
    let aad = &envelope[..envelope.len() - 4 - env.ciphertext.len() - AEAD_TAG_LEN];
    let transcript = primitives::sha256(&[&aad[..env.header_bytes.len() + COMMITMENT_LEN]]);
    let (slot_key, slot_nonce) = split_key_nonce(&slot_keys(wrap_key, &transcript, me));
    let mut content_key = Zeroizing::new([0u8; KEY_LEN]);
    content_key.copy_from_slice(&slot.wrapped[..KEY_LEN]);
    let mut slot_tag = [0u8; AEAD_TAG_LEN];
    slot_tag.copy_from_slice(&slot.wrapped[KEY_LEN..]);
    primitives::aead_open(&slot_key, &slot_nonce, &[], &mut content_key[..], &slot_tag)
        .map_err(|_| EnvelopeError::AuthenticationFailed)?;

    let keys = payload_keys(&content_key, env.header_bytes);
    if !bool::from(keys.commitment.ct_eq(&env.commitment)) {
        return Err(EnvelopeError::AuthenticationFailed);
    }
    let plain = &mut out[..env.ciphertext.len()];
    plain.copy_from_slice(env.ciphertext);
    primitives::aead_open(&keys.key, &keys.nonce, aad, plain, &env.tag)
        .map_err(|_| EnvelopeError::AuthenticationFailed)?;
    match parse_sealed_part(env.header.padded, plain) {
        Ok((bor, content_type, body_len)) => {
            let body = &out[SEALED_OVERHEAD..SEALED_OVERHEAD + body_len];
            Ok(Opened { header: env.header, bor, content_type, body })
        }
        Err(problem) => {
            plain.zeroize();
            Err(EnvelopeError::InvalidSealed(problem))
        }
    }
}

/// ENV-031 and ENV-032 over an authenticated sealed part; returns `bor`, the type and the body
/// length.
fn parse_sealed_part(padded: bool, sealed: &[u8]) -> Result<(u32, ContentType, usize), SealedProblem> {
    let mut r = Reader::new(sealed);
    let bor = r.u32("bor").map_err(|_| SealedProblem::ContentLength)?;
    let type_byte = r.u8("content_type").map_err(|_| SealedProblem::ContentLength)?;
    let body_len = r.u32("content length").map_err(|_| SealedProblem::ContentLength)?;
    if bor > MAX_TTL {
        return Err(SealedProblem::Bor);
    }
    let content_type = ContentType::from_byte(type_byte).ok_or(SealedProblem::ContentType(type_byte))?;
    let body_len = usize::try_from(body_len).map_err(|_| SealedProblem::ContentLength)?;
    if body_len > MAX_CONTENT_LEN || body_len > r.remaining() {
        return Err(SealedProblem::ContentLength);
    }
    r.take(body_len, "content").map_err(|_| SealedProblem::ContentLength)?;
    let padding = r.take(r.remaining(), "padding").map_err(|_| SealedProblem::Padding)?;
    let expected_len = sealed_part_len(padded, body_len);
    if sealed.len() != expected_len || padding.iter().any(|&b| b != 0) {
        return Err(SealedProblem::Padding);
    }
    Ok((bor, content_type, body_len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padme_matches_the_worked_values_of_env_031() {
        // Values computed by hand from the formula in spec/envelope.md, ENV-031.
        assert_eq!(padme(9), 10);
        assert_eq!(padme(10), 10);
        assert_eq!(padme(64), 64);
        assert_eq!(padme(100), 104);
        assert_eq!(padme(1000), 1024);
        assert_eq!(padme(1033), 1088);
        assert_eq!(SEALED_MAX_LEN, 1_081_344);
        for len in 9..5000 {
            let padded = padme(len);
            assert!(padded >= len && padded - len <= len / 8 + 1, "ENV-031 overhead at {len}");
            assert_eq!(padme(padded), padded, "ENV-031 is idempotent at {len}");
        }
    }
}
