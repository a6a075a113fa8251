//! Envelopes written a second time from spec/envelope.md, with one switchable fault per bug.
//! Without a bug it gives the reference's answers on every envelope vector and passes the cross
//! checks (a test in `tests/teeth.rs` proves it), so a variant's failures come from its one bug.
//!
//! It reuses the reference's byte [`Reader`] and primitives (HKDF, SHA-256, ChaCha20-Poly1305),
//! and writes everything envelope-specific — decoding rules, key schedule, sealing, opening —
//! again. Every fault point is an `if self.has(Bug::…)` next to the rule it breaks.

use cinder::codec::{DecodeError, Reader};
use cinder::envelope::{
    COMMITMENT_LEN, EnvelopeError, FLAG_PADDED, ID_MAX_LEN, ID_MIN_LEN, KEY_LEN, MAX_CONTENT_LEN, MAX_RECIPIENTS,
    MAX_TTL, MESSAGE_ID_LEN, SEALED_MAX_LEN, SEALED_MIN_LEN, SEALED_OVERHEAD, SUITE, VERSION, WRAPPED_LEN, padme,
};
use cinder::primitives::{self, AEAD_NONCE_LEN, AEAD_TAG_LEN};
use serde_json::Value;

use crate::args::{Args, Failure, Fields, encode_hex};
use crate::bugs::Info;

/// The operations this part answers.
pub(crate) const OPS: &[&str] = &["envelope.seal", "envelope.open", "envelope.decode"];

/// One realistic envelope bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bug {
    TrailingBytesAccepted,
    ReservedBitsIgnored,
    UnsortedRecipientsAccepted,
    DuplicateRecipientAccepted,
    TtlUncheckedOnDecode,
    TagNotChecked,
    CommitmentNotChecked,
    SlotNotBoundToHeader,
    HeaderNotAuthenticated,
    PayloadNonceZero,
    ContentKeyFromMessageId,
    WrongKeyIsNotARecipient,
    PaddingNotVerified,
    BurnLimitUnchecked,
}

/// The envelope bugs, as `--list-bugs` shows them.
pub(crate) const BUGS: &[Info<Bug>] = &[
    Info {
        bug: Bug::TrailingBytesAccepted,
        name: "envelope-trailing-bytes-accepted",
        breaks: "ENV-013",
        summary: "bytes after the payload tag are ignored instead of refused",
    },
    Info {
        bug: Bug::ReservedBitsIgnored,
        name: "envelope-reserved-bits-ignored",
        breaks: "ENV-011",
        summary: "reserved flag bits are masked off instead of refused",
    },
    Info {
        bug: Bug::UnsortedRecipientsAccepted,
        name: "envelope-unsorted-recipients-accepted",
        breaks: "ENV-014",
        summary: "the decoder only checks that neighbouring recipients differ, not that they ascend",
    },
    Info {
        bug: Bug::DuplicateRecipientAccepted,
        name: "envelope-duplicate-recipient-accepted",
        breaks: "ENV-014, ENV-040",
        summary: "the same recipient twice is accepted when decoding and sealing (`<` checked where `<=` is meant)",
    },
    Info {
        bug: Bug::TtlUncheckedOnDecode,
        name: "envelope-ttl-unchecked-on-decode",
        breaks: "ENV-015",
        summary: "the decoder takes any ttl; only the sender checks its bounds",
    },
    Info {
        bug: Bug::TagNotChecked,
        name: "envelope-tag-not-checked",
        breaks: "ENV-030, ENV-021",
        summary: "the payload is decrypted without verifying its tag",
    },
    Info {
        bug: Bug::CommitmentNotChecked,
        name: "envelope-commitment-not-checked",
        breaks: "ENV-023",
        summary: "the recipient never recomputes the key commitment from the unwrapped content key",
    },
    Info {
        bug: Bug::SlotNotBoundToHeader,
        name: "envelope-slot-not-bound-to-header",
        breaks: "ENV-022",
        summary: "slot keys are derived from the wrap key and recipient only, without t, so a slot from another envelope opens",
    },
    Info {
        bug: Bug::HeaderNotAuthenticated,
        name: "envelope-header-not-authenticated",
        breaks: "ENV-021",
        summary: "the payload is sealed and opened with empty associated data instead of everything before it",
    },
    Info {
        bug: Bug::PayloadNonceZero,
        name: "envelope-payload-nonce-zero",
        breaks: "ENV-020, ENV-024",
        summary: "the payload nonce is all zeros instead of the 12 bytes derived with the payload key",
    },
    Info {
        bug: Bug::ContentKeyFromMessageId,
        name: "envelope-content-key-from-message-id",
        breaks: "ENV-020",
        summary: "without a given content key, the key is SHA-256 of the message ID, not fresh randomness",
    },
    Info {
        bug: Bug::WrongKeyIsNotARecipient,
        name: "envelope-wrong-key-is-not-a-recipient",
        breaks: "ENV-033",
        summary: "a slot that does not open is reported as not_a_recipient, telling failures apart",
    },
    Info {
        bug: Bug::PaddingNotVerified,
        name: "envelope-padding-not-verified",
        breaks: "ENV-031",
        summary: "the padding after the content is skipped without checking its length or that it is zeros",
    },
    Info {
        bug: Bug::BurnLimitUnchecked,
        name: "envelope-burn-limit-unchecked",
        breaks: "ENV-032, ENV-040",
        summary: "bor above 31,536,000 is neither refused when sealing nor when opening",
    },
];

/// The envelope part, with at most one bug.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Envelopes {
    pub(crate) bug: Option<Bug>,
}

const EXTRACT_SALT: &[u8] = b"cinder-env-v1";
const SLOT_SALT: &[u8] = b"cinder-env-v1 slot";

fn code(error: EnvelopeError) -> Failure {
    Failure::Spec(error.code())
}

fn decode_error(error: DecodeError) -> Failure {
    code(EnvelopeError::Decode(error))
}

const INVALID_SEALED: Failure = Failure::Spec("envelope.invalid_sealed");
const AUTHENTICATION_FAILED: Failure = Failure::Spec("envelope.authentication_failed");

/// The header fields, owned.
#[derive(Clone, Debug)]
struct Header {
    message_id: [u8; MESSAGE_ID_LEN],
    conversation_id: Vec<u8>,
    sender_device: Vec<u8>,
    sent_at: u64,
    ttl: u32,
    padded: bool,
}

impl Header {
    fn bytes(&self) -> Vec<u8> {
        let mut out = vec![VERSION, SUITE, if self.padded { FLAG_PADDED } else { 0 }];
        out.extend_from_slice(&self.message_id);
        push_vec8(&mut out, &self.conversation_id);
        push_vec8(&mut out, &self.sender_device);
        out.extend_from_slice(&self.sent_at.to_be_bytes());
        out.extend_from_slice(&self.ttl.to_be_bytes());
        out
    }

    fn fields(&self) -> Fields {
        let mut fields = Fields::new();
        fields.insert("messageId".into(), encode_hex(&self.message_id).into());
        fields.insert("conversationId".into(), encode_hex(&self.conversation_id).into());
        fields.insert("senderDevice".into(), encode_hex(&self.sender_device).into());
        fields.insert("sentAt".into(), self.sent_at.into());
        fields.insert("ttl".into(), self.ttl.into());
        fields.insert("padded".into(), self.padded.into());
        fields
    }
}

fn push_vec8(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(u8::try_from(bytes.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(bytes);
}

/// A decoded envelope, as slices of its bytes.
struct Decoded<'a> {
    header: Header,
    header_len: usize,
    commitment: [u8; COMMITMENT_LEN],
    slots: Vec<(&'a [u8], [u8; WRAPPED_LEN])>,
    /// Everything before the payload: the payload's associated data (ENV-021).
    before_payload: &'a [u8],
    ciphertext: &'a [u8],
    tag: [u8; AEAD_TAG_LEN],
}

/// The payload keys of ENV-020.
struct PayloadKeys {
    commitment: [u8; COMMITMENT_LEN],
    key: [u8; KEY_LEN],
    nonce: [u8; AEAD_NONCE_LEN],
}

fn expand(prk: &[u8; 32], label: &[u8], context: &[u8], out: &mut [u8]) {
    let info = [label, context].concat();
    // At most 44 bytes: within HKDF's limit, so this cannot fail.
    let _ = primitives::hkdf_expand(prk, &info, out);
}

impl Envelopes {
    fn has(&self, bug: Bug) -> bool {
        self.bug == Some(bug)
    }

    /// Answers one envelope operation.
    pub(crate) fn answer(&self, op: &str, args: &Args<'_>) -> Result<Fields, Failure> {
        match op {
            "envelope.seal" => self.seal(args),
            "envelope.open" => {
                args.only(&["envelope", "device", "wrapKey"])?;
                let bytes = args.hex("envelope")?;
                let device = args.hex("device")?;
                let wrap_key: [u8; KEY_LEN] = args.hex_array("wrapKey")?;
                self.open(&bytes, &device, &wrap_key)
            }
            "envelope.decode" => {
                args.only(&["envelope"])?;
                let bytes = args.hex("envelope")?;
                let decoded = self.decode(&bytes)?;
                let mut fields = decoded.header.fields();
                let recipients = decoded.slots.iter().map(|(device, _)| Value::from(encode_hex(device))).collect();
                fields.insert("recipients".into(), recipients);
                fields.insert("payloadLength".into(), decoded.ciphertext.len().into());
                Ok(fields)
            }
            _ => Err(Failure::BadRequest(format!("{op} is not an envelope operation"))),
        }
    }

    fn payload_keys(&self, content_key: &[u8; KEY_LEN], header: &[u8]) -> PayloadKeys {
        let prk = primitives::hkdf_extract(EXTRACT_SALT, content_key);
        let hh = primitives::sha256(&[header]);
        let mut commitment = [0u8; COMMITMENT_LEN];
        expand(&prk, b"commit", &hh, &mut commitment);
        let mut okm = [0u8; KEY_LEN + AEAD_NONCE_LEN];
        expand(&prk, b"payload", &hh, &mut okm);
        let mut key = [0u8; KEY_LEN];
        key.copy_from_slice(&okm[..KEY_LEN]);
        let mut nonce = [0u8; AEAD_NONCE_LEN];
        // ENV-020: the nonce is derived with the key.
        if !self.has(Bug::PayloadNonceZero) {
            nonce.copy_from_slice(&okm[KEY_LEN..]);
        }
        PayloadKeys { commitment, key, nonce }
    }

    /// ENV-022: `sk || sn = HKDF-Expand(HKDF-Extract(slot salt, wk), "wrap" || t || vec8(r), 44)`.
    fn slot_keys(&self, wrap_key: &[u8; KEY_LEN], transcript: &[u8; 32], device: &[u8]) -> ([u8; 32], [u8; 12]) {
        let prk = primitives::hkdf_extract(SLOT_SALT, wrap_key);
        let mut context = Vec::new();
        if !self.has(Bug::SlotNotBoundToHeader) {
            context.extend_from_slice(transcript);
        }
        push_vec8(&mut context, device);
        let mut okm = [0u8; KEY_LEN + AEAD_NONCE_LEN];
        expand(&prk, b"wrap", &context, &mut okm);
        let mut key = [0u8; KEY_LEN];
        key.copy_from_slice(&okm[..KEY_LEN]);
        let mut nonce = [0u8; AEAD_NONCE_LEN];
        nonce.copy_from_slice(&okm[KEY_LEN..]);
        (key, nonce)
    }

    /// The payload's associated data (ENV-021).
    fn aad<'a>(&self, before_payload: &'a [u8]) -> &'a [u8] {
        if self.has(Bug::HeaderNotAuthenticated) { &[] } else { before_payload }
    }

    /// Spec/envelope.md section 2, in its order.
    fn decode<'a>(&self, bytes: &'a [u8]) -> Result<Decoded<'a>, Failure> {
        let mut r = Reader::new(bytes);
        let version = r.u8("version").map_err(decode_error)?;
        if version != VERSION {
            return Err(code(EnvelopeError::UnknownVersion(version)));
        }
        let suite = r.u8("suite").map_err(decode_error)?;
        if suite != SUITE {
            return Err(code(EnvelopeError::UnknownSuite(suite)));
        }
        let flags = r.u8("flags").map_err(decode_error)?;
        // ENV-011: reserved bits must be zero.
        if flags & !FLAG_PADDED != 0 && !self.has(Bug::ReservedBitsIgnored) {
            return Err(code(EnvelopeError::ReservedBits(flags)));
        }
        let header = Header {
            message_id: r.array("message_id").map_err(decode_error)?,
            conversation_id: r.vec8(ID_MIN_LEN, ID_MAX_LEN, "conversation_id").map_err(decode_error)?.to_vec(),
            sender_device: r.vec8(ID_MIN_LEN, ID_MAX_LEN, "sender_device").map_err(decode_error)?.to_vec(),
            sent_at: r.u64("sent_at").map_err(decode_error)?,
            ttl: r.u32("ttl").map_err(decode_error)?,
            padded: flags & FLAG_PADDED != 0,
        };
        // ENV-015.
        if (header.ttl == 0 || header.ttl > MAX_TTL) && !self.has(Bug::TtlUncheckedOnDecode) {
            return Err(code(EnvelopeError::InvalidHeader));
        }
        let header_len = r.consumed().len();
        let commitment = r.array("commitment").map_err(decode_error)?;
        let count = usize::from(r.u16("recipient count").map_err(decode_error)?);
        Reader::bounded(count, 1, MAX_RECIPIENTS, "recipient count").map_err(decode_error)?;
        let mut slots: Vec<(&[u8], [u8; WRAPPED_LEN])> = Vec::with_capacity(count);
        for _ in 0..count {
            let recipient = r.vec8(ID_MIN_LEN, ID_MAX_LEN, "recipient").map_err(decode_error)?;
            let wrapped = r.array("wrapped key").map_err(decode_error)?;
            // ENV-014: strictly ascending.
            if let Some((previous, _)) = slots.last() {
                if *previous == recipient && !self.has(Bug::DuplicateRecipientAccepted) {
                    return Err(code(EnvelopeError::DuplicateRecipient));
                }
                if *previous > recipient && !self.has(Bug::UnsortedRecipientsAccepted) {
                    return Err(code(EnvelopeError::RecipientsNotSorted));
                }
            }
            slots.push((recipient, wrapped));
        }
        let before_payload = r.consumed();
        let len = usize::try_from(r.u32("payload length").map_err(decode_error)?).unwrap_or(usize::MAX);
        Reader::bounded(len, SEALED_MIN_LEN, SEALED_MAX_LEN, "payload length").map_err(decode_error)?;
        let ciphertext = r.take(len, "payload").map_err(decode_error)?;
        let tag = r.array("payload tag").map_err(decode_error)?;
        // ENV-013: nothing after the tag.
        if !self.has(Bug::TrailingBytesAccepted) {
            r.finish("envelope").map_err(decode_error)?;
        }
        Ok(Decoded { header, header_len, commitment, slots, before_payload, ciphertext, tag })
    }

    /// ENV-030.
    fn open(&self, bytes: &[u8], me: &[u8], wrap_key: &[u8; KEY_LEN]) -> Result<Fields, Failure> {
        let env = self.decode(bytes)?;
        let (_, wrapped) =
            env.slots.iter().find(|(device, _)| *device == me).ok_or(code(EnvelopeError::NotARecipient))?;
        let transcript = primitives::sha256(&[&env.before_payload[..env.header_len + COMMITMENT_LEN]]);
        let (slot_key, slot_nonce) = self.slot_keys(wrap_key, &transcript, me);
        let mut content_key = [0u8; KEY_LEN];
        content_key.copy_from_slice(&wrapped[..KEY_LEN]);
        let mut slot_tag = [0u8; AEAD_TAG_LEN];
        slot_tag.copy_from_slice(&wrapped[KEY_LEN..]);
        if primitives::aead_open(&slot_key, &slot_nonce, &[], &mut content_key, &slot_tag).is_err() {
            // ENV-033: one error for every authentication failure.
            if self.has(Bug::WrongKeyIsNotARecipient) {
                return Err(code(EnvelopeError::NotARecipient));
            }
            return Err(AUTHENTICATION_FAILED);
        }
        let keys = self.payload_keys(&content_key, &env.before_payload[..env.header_len]);
        // ENV-023: the commitment must be the content key's.
        if keys.commitment != env.commitment && !self.has(Bug::CommitmentNotChecked) {
            return Err(AUTHENTICATION_FAILED);
        }
        let mut plain = env.ciphertext.to_vec();
        let aad = self.aad(env.before_payload);
        if self.has(Bug::TagNotChecked) {
            // ChaCha20 is its own inverse: "sealing" the ciphertext yields the plaintext; the tag
            // that comes out is thrown away instead of compared.
            let _ = primitives::aead_seal(&keys.key, &keys.nonce, aad, &mut plain);
        } else if primitives::aead_open(&keys.key, &keys.nonce, aad, &mut plain, &env.tag).is_err() {
            return Err(AUTHENTICATION_FAILED);
        }
        let (bor, content_type, body) = self.parse_sealed(env.header.padded, &plain)?;
        let mut fields = env.header.fields();
        fields.insert("bor".into(), bor.into());
        fields.insert("contentType".into(), content_type.into());
        fields.insert("content".into(), encode_hex(body).into());
        Ok(fields)
    }

    /// ENV-031, ENV-032.
    fn parse_sealed<'p>(&self, padded: bool, sealed: &'p [u8]) -> Result<(u32, u8, &'p [u8]), Failure> {
        let mut r = Reader::new(sealed);
        let bor = r.u32("bor").map_err(|_| INVALID_SEALED)?;
        let content_type = r.u8("content_type").map_err(|_| INVALID_SEALED)?;
        let len = usize::try_from(r.u32("content length").map_err(|_| INVALID_SEALED)?).unwrap_or(usize::MAX);
        if bor > MAX_TTL && !self.has(Bug::BurnLimitUnchecked) {
            return Err(INVALID_SEALED);
        }
        if !(1..=3).contains(&content_type) || len > MAX_CONTENT_LEN || len > r.remaining() {
            return Err(INVALID_SEALED);
        }
        let body = r.take(len, "content").map_err(|_| INVALID_SEALED)?;
        let padding = &sealed[SEALED_OVERHEAD + len..];
        let expected_len = if padded { padme(SEALED_OVERHEAD + len) } else { SEALED_OVERHEAD + len };
        if (sealed.len() != expected_len || padding.iter().any(|&b| b != 0)) && !self.has(Bug::PaddingNotVerified) {
            return Err(INVALID_SEALED);
        }
        Ok((bor, content_type, body))
    }

    /// Spec/envelope.md section 5 (ENV-040).
    fn seal(&self, args: &Args<'_>) -> Result<Fields, Failure> {
        args.only(&[
            "messageId",
            "conversationId",
            "senderDevice",
            "sentAt",
            "ttl",
            "padded",
            "bor",
            "contentType",
            "content",
            "recipients",
            "contentKey",
        ])?;
        let header = Header {
            message_id: args.hex_array("messageId")?,
            conversation_id: args.hex("conversationId")?,
            sender_device: args.hex("senderDevice")?,
            sent_at: args.uint("sentAt")?,
            ttl: args.uint("ttl")?,
            padded: args.boolean("padded")?,
        };
        let bor: u32 = args.uint("bor")?;
        let content_type: u8 = args.uint("contentType")?;
        let body = args.hex("content")?;
        let list = args.array("recipients")?;
        if list.len() > 10 * MAX_RECIPIENTS {
            return Err(Failure::BadRequest(format!("args.recipients has {} entries", list.len())));
        }
        let mut recipients: Vec<(Vec<u8>, [u8; KEY_LEN])> = Vec::with_capacity(list.len());
        for entry in list {
            let entry = Args::of(entry, "args.recipients[]")?;
            entry.only(&["device", "wrapKey"])?;
            recipients.push((entry.hex("device")?, entry.hex_array("wrapKey")?));
        }
        let given_key: Option<[u8; KEY_LEN]> =
            if args.has("contentKey") { Some(args.hex_array("contentKey")?) } else { None };

        // ENV-040's refusals, in the order opening would meet them.
        if !(1..=3).contains(&content_type) || body.len() > MAX_CONTENT_LEN {
            return Err(INVALID_SEALED);
        }
        let in_bounds = |id: &[u8]| (ID_MIN_LEN..=ID_MAX_LEN).contains(&id.len());
        if !in_bounds(&header.conversation_id) || !in_bounds(&header.sender_device) {
            return Err(decode_error(DecodeError::LengthOutOfRange("id")));
        }
        if header.ttl == 0 || header.ttl > MAX_TTL {
            return Err(code(EnvelopeError::InvalidHeader));
        }
        if recipients.is_empty() || recipients.len() > MAX_RECIPIENTS || !recipients.iter().all(|(d, _)| in_bounds(d)) {
            return Err(decode_error(DecodeError::LengthOutOfRange("recipients")));
        }
        if bor > MAX_TTL && !self.has(Bug::BurnLimitUnchecked) {
            return Err(INVALID_SEALED);
        }
        recipients.sort_by(|a, b| a.0.cmp(&b.0));
        if recipients.windows(2).any(|pair| pair[0].0 == pair[1].0) && !self.has(Bug::DuplicateRecipientAccepted) {
            return Err(code(EnvelopeError::DuplicateRecipient));
        }
        let content_key = match given_key {
            Some(key) => key,
            // ENV-020: fresh randomness for every envelope.
            None if self.has(Bug::ContentKeyFromMessageId) => primitives::sha256(&[&header.message_id]),
            None => {
                let mut key = [0u8; KEY_LEN];
                getrandom::fill(&mut key).map_err(|e| Failure::Internal(format!("no randomness: {e}")))?;
                key
            }
        };

        let mut out = header.bytes();
        let keys = self.payload_keys(&content_key, &out);
        out.extend_from_slice(&keys.commitment);
        let transcript = primitives::sha256(&[&out]);
        out.extend_from_slice(&u16::try_from(recipients.len()).unwrap_or(u16::MAX).to_be_bytes());
        for (device, wrap_key) in &recipients {
            push_vec8(&mut out, device);
            let (key, nonce) = self.slot_keys(wrap_key, &transcript, device);
            let mut wrapped = content_key;
            let tag = primitives::aead_seal(&key, &nonce, &[], &mut wrapped);
            out.extend_from_slice(&wrapped);
            out.extend_from_slice(&tag);
        }
        let body_len = u32::try_from(body.len()).unwrap_or(u32::MAX);
        let unpadded = SEALED_OVERHEAD + body.len();
        let mut sealed = Vec::with_capacity(unpadded);
        sealed.extend_from_slice(&bor.to_be_bytes());
        sealed.push(content_type);
        sealed.extend_from_slice(&body_len.to_be_bytes());
        sealed.extend_from_slice(&body);
        sealed.resize(if header.padded { padme(unpadded) } else { unpadded }, 0);
        let tag = primitives::aead_seal(&keys.key, &keys.nonce, self.aad(&out), &mut sealed);
        out.extend_from_slice(&u32::try_from(sealed.len()).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(&sealed);
        out.extend_from_slice(&tag);
        let mut fields = Fields::new();
        fields.insert("envelope".into(), encode_hex(&out).into());
        Ok(fields)
    }
}
