//! Fuzzing message envelopes (spec/envelope.md): the decoder on arbitrary bytes, and sealing then
//! opening envelopes built from the fuzz input, with and without tampering.
//!
//! Three entry points, one per target in `fuzz_targets/`:
//!
//! - [`fuzz_envelope_decode`]: the input is an envelope. Decoding never panics; whatever decodes
//!   re-encodes to exactly the input (ENV-014: one encoding per envelope), and opening fails with
//!   the decoder's own error when decoding fails (ENV-030 step 1).
//! - [`fuzz_envelope_roundtrip`]: the input is a [`Scenario`]. Sealing it and opening it as each
//!   recipient gives back the header, `bor`, content type and body; the envelope re-encodes to itself
//!   and is as long as [`envelope::sealed_len`] said.
//! - [`fuzz_envelope_open`]: the input is a [`Mutation`] followed by a [`Scenario`]. The sealed
//!   envelope opens for every recipient; then one tampering is applied and one device opens the result.
//!   Any change to the bytes must make it fail (ENV-021) — with a specific code where the spec fixes
//!   one — unless a splice rebuilt the whole second envelope, which then opens to its own content;
//!   no failure leaves plaintext in the output buffer (ENV-033).
//!
//! # Scenario format
//! The structure-aware targets read their input with [`Input`], which never fails: bytes past the
//! end read as zeros, and every field is mapped into its bounds, so every input seals (except for
//! duplicate recipients, which are checked and then dropped). Integers are big-endian.
//!
//! | bytes | field |
//! |---|---|
//! | 1 | shape: bits 0–2 the recipient count minus 1 (1 to 8), bit 3 `padded`, bits 4–7 the content type (`0x01 + (bits % 3)`) |
//! | 16 | `message_id` |
//! | 8 | `sent_at` |
//! | 4 | `ttl`, as `1 + value % 31,536,000` |
//! | 4 | `bor`, as `value % 31,536,001` |
//! | 32 | the content key, replayed to `seal` through `ReplayRng` |
//! | 1 + n | `conversation_id`: a length byte `l`, then `1 + l % 64` bytes |
//! | 1 + n | `sender_device`, the same way |
//! | per recipient | a key byte `k` (wrap key = 32 bytes of `k`), then the device ID as above |
//! | the rest | the body, at most [`MAX_FUZZ_BODY`] bytes (`open`) or [`MAX_ROUNDTRIP_BODY`] (`roundtrip`) |
//!
//! [`SCENARIO_LAYOUT`] names this layout; `fuzz/seeds.py` writes seeds from the vectors' `seal`
//! arguments in it and must carry the same string (a unit test checks). The layout is hand-written
//! rather than derived with `arbitrary` so that seeds can be written from the JSON vectors by a
//! short script.
//!
//! # Mutation format (`envelope_open` only, before the scenario)
//! | byte | meaning |
//! |---|---|
//! | 0 | what to do, `% 6`: nothing, flip a byte, truncate, append, splice from a second envelope, swap two slots |
//! | 1 | who opens, `% (n + 1)`: recipient `i` in envelope order, or `n` for a stranger |
//! | 2 | with which key, `% 4`: its own, the next recipient's, its own with one bit flipped, all zeros |
//! | 3–4, 5–6, 7–8 | `a`, `b`, `d`: positions and lengths (see [`Mutation`]) |
//! | 9 | `c`: a byte value and option bits |

use cinder::envelope::{
    self, Content, ContentType, Envelope, EnvelopeError, Header, MAX_TTL, Opened, Recipient, WRAPPED_LEN,
};
use cinder::testing::ReplayRng;

/// Most recipients a fuzz scenario has.
pub const MAX_FUZZ_RECIPIENTS: usize = 8;
/// Longest body `envelope_open` seals.
pub const MAX_FUZZ_BODY: usize = 512;
/// Longest body `envelope_roundtrip` seals.
pub const MAX_ROUNDTRIP_BODY: usize = 4096;
/// The scenario layout, as `fuzz/seeds.py` must spell it.
pub const SCENARIO_LAYOUT: &str = "shape:1 message_id:16 sent_at:8 ttl:4 bor:4 content_key:32 \
                                   conversation_id:len8 sender_device:len8 recipients:(key:1 device:len8)* body:rest";
/// Bytes of the mutation prefix of `envelope_open`.
pub const MUTATION_LEN: usize = 10;

/// A device ID that a scenario's recipients only rarely take.
const STRANGER: &[u8] = b"fuzz-stranger";
const NOT_A_RECIPIENT: &str = "envelope.not_a_recipient";
const AUTHENTICATION_FAILED: &str = "envelope.authentication_failed";
/// What `open`'s output buffer holds before the call, to see what a failing call wrote (ENV-033).
const FILL: u8 = 0xa5;

/// Reads a fuzz input front to back; never fails: past the end every byte is zero.
#[derive(Clone, Debug)]
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// Starts at the beginning of `data`.
    #[must_use]
    pub const fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    /// The next byte, or zero.
    pub fn u8(&mut self) -> u8 {
        self.array::<1>()[0]
    }

    /// The next two bytes, big-endian.
    pub fn u16(&mut self) -> u16 {
        u16::from_be_bytes(self.array())
    }

    /// The next four bytes, big-endian.
    pub fn u32(&mut self) -> u32 {
        u32::from_be_bytes(self.array())
    }

    /// The next eight bytes, big-endian.
    pub fn u64(&mut self) -> u64 {
        u64::from_be_bytes(self.array())
    }

    /// The next `N` bytes, zero-filled past the end.
    pub fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let n = N.min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        out
    }

    /// A length byte `l`, then an ID of `1 + l % 64` bytes (zero-filled past the end).
    pub fn id(&mut self) -> Vec<u8> {
        let len = 1 + usize::from(self.u8()) % envelope::ID_MAX_LEN;
        let mut out = vec![0u8; len];
        let n = len.min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        out
    }

    /// Everything left, at most `max` bytes.
    pub fn rest(&mut self, max: usize) -> &'a [u8] {
        let out = &self.data[..self.data.len().min(max)];
        self.data = &[];
        out
    }
}

/// One envelope to seal: every input of `envelope::seal`, owned (format in the module documentation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// Header: message ID.
    pub message_id: [u8; 16],
    /// Header: conversation ID, 1 to 64 bytes.
    pub conversation_id: Vec<u8>,
    /// Header: sending device, 1 to 64 bytes.
    pub sender_device: Vec<u8>,
    /// Header: send time.
    pub sent_at: u64,
    /// Header: time to live, 1 to `MAX_TTL`.
    pub ttl: u32,
    /// Header: the padded flag.
    pub padded: bool,
    /// Sealed: burn-on-read, 0 to `MAX_TTL`.
    pub bor: u32,
    /// Sealed: content type.
    pub content_type: ContentType,
    /// Sealed: the body.
    pub body: Vec<u8>,
    /// Recipients and their wrap keys, 1 to 8, in input order; may hold duplicate IDs.
    pub recipients: Vec<(Vec<u8>, [u8; 32])>,
    /// The content key `seal` draws.
    pub content_key: [u8; 32],
}

impl Scenario {
    /// Reads a scenario from the front of `input`, with a body of at most `max_body` bytes.
    pub fn read(input: &mut Input<'_>, max_body: usize) -> Self {
        let shape = input.u8();
        let count = 1 + usize::from(shape & 0b111);
        let padded = shape & 0b1000 != 0;
        let content_type = match (shape >> 4) % 3 {
            0 => ContentType::Text,
            1 => ContentType::Attachment,
            _ => ContentType::Control,
        };
        let message_id = input.array();
        let sent_at = input.u64();
        let ttl = 1 + input.u32() % MAX_TTL;
        let bor = input.u32() % (MAX_TTL + 1);
        let content_key = input.array();
        let conversation_id = input.id();
        let sender_device = input.id();
        let recipients = (0..count)
            .map(|_| {
                let key = [input.u8(); 32];
                (input.id(), key)
            })
            .collect();
        let body = input.rest(max_body).to_vec();
        Self {
            message_id,
            conversation_id,
            sender_device,
            sent_at,
            ttl,
            padded,
            bor,
            content_type,
            body,
            recipients,
            content_key,
        }
    }

    /// The routing header.
    #[must_use]
    pub fn header(&self) -> Header<'_> {
        Header {
            message_id: self.message_id,
            conversation_id: &self.conversation_id,
            sender_device: &self.sender_device,
            sent_at: self.sent_at,
            ttl: self.ttl,
            padded: self.padded,
        }
    }

    /// The sealed content.
    #[must_use]
    pub fn content(&self) -> Content<'_> {
        Content { bor: self.bor, content_type: self.content_type, body: &self.body }
    }

    /// Whether two recipients share an ID.
    #[must_use]
    pub fn has_duplicates(&self) -> bool {
        self.recipients.iter().enumerate().any(|(i, (a, _))| self.recipients[..i].iter().any(|(b, _)| a == b))
    }

    /// Drops every recipient whose ID already appeared (keeping the first).
    pub fn dedup(&mut self) {
        let mut seen: Vec<Vec<u8>> = Vec::new();
        self.recipients.retain(|(id, _)| {
            let new = !seen.contains(id);
            seen.push(id.clone());
            new
        });
    }

    /// The recipients in envelope order (ascending bytes, ENV-014).
    #[must_use]
    pub fn sorted_recipients(&self) -> Vec<(Vec<u8>, [u8; 32])> {
        let mut sorted = self.recipients.clone();
        sorted.sort();
        sorted
    }

    /// The wrap key of `device`, if it is a recipient.
    #[must_use]
    pub fn key_of(&self, device: &[u8]) -> Option<&[u8; 32]> {
        self.recipients.iter().find(|(id, _)| id == device).map(|(_, key)| key)
    }

    /// Seals with `content_key`, recipients given to `seal` in `order`'s order; checks that
    /// `sealed_len` was exact and that `seal` drew exactly the 32-byte content key.
    ///
    /// # Errors
    /// Whatever `seal` returns.
    ///
    /// # Panics
    /// When `sealed_len` and `seal` disagree, or `seal` draws other than 32 random bytes.
    pub fn seal_in_order(&self, content_key: &[u8; 32], order: &[usize]) -> Result<Vec<u8>, EnvelopeError> {
        let header = self.header();
        let mut list: Vec<Recipient<'_>> = order
            .iter()
            .map(|&i| Recipient { device: &self.recipients[i].0, wrap_key: &self.recipients[i].1 })
            .collect();
        let len = envelope::sealed_len(&header, &list, self.body.len())?;
        let mut out = vec![0u8; len];
        let mut rng = ReplayRng::new(content_key);
        let written = envelope::seal(&header, &self.content(), &mut list, &mut rng, &mut out)?;
        assert_eq!(written, len, "seal wrote another length than sealed_len announced");
        assert!(rng.all_used() && !rng.exhausted(), "seal must draw exactly the 32-byte content key (ENV-020)");
        let sorted: Vec<&[u8]> = list.iter().map(|r| r.device).collect();
        assert!(sorted.windows(2).all(|w| w[0] < w[1]), "seal left its recipient list unsorted (ENV-040)");
        Ok(out)
    }

    /// Seals with `content_key`, recipients in input order.
    ///
    /// # Errors
    /// Whatever `seal` returns.
    pub fn seal_with_key(&self, content_key: &[u8; 32]) -> Result<Vec<u8>, EnvelopeError> {
        let order: Vec<usize> = (0..self.recipients.len()).collect();
        self.seal_in_order(content_key, &order)
    }

    /// Seals the scenario, first checking that duplicate recipients are refused with
    /// `envelope.duplicate_recipient` and dropping them (ENV-040). Every other input is valid by
    /// construction, so sealing succeeds.
    ///
    /// # Panics
    /// When `seal` refuses a valid scenario or accepts duplicates.
    pub fn seal_deduplicated(&mut self) -> Vec<u8> {
        if self.has_duplicates() {
            let refused = self.seal_with_key(&self.content_key);
            assert_eq!(refused, Err(EnvelopeError::DuplicateRecipient), "duplicate recipients (ENV-040)");
            self.dedup();
        }
        match self.seal_with_key(&self.content_key) {
            Ok(sealed) => sealed,
            Err(error) => panic!("seal refused a valid scenario: {error}"),
        }
    }

    /// Checks that `opened` is this scenario's header and content.
    ///
    /// # Panics
    /// When any field differs.
    pub fn assert_opened_is_original(&self, opened: &Opened<'_, '_>, who: &[u8]) {
        assert_eq!(opened.header, self.header(), "{who:?} opened another header");
        assert_eq!(opened.bor, self.bor, "{who:?} opened another bor");
        assert_eq!(opened.content_type, self.content_type, "{who:?} opened another content type");
        assert_eq!(opened.body, self.body.as_slice(), "{who:?} opened another body");
    }
}

/// Opens `env` as `me` into a fresh buffer of the envelope's length, filled with a marker byte;
/// returns the opened fields or the error. On an error, checks that the buffer holds no plaintext
/// (it is untouched, or zeroed, ENV-033).
fn open_checked<'e>(
    env: &'e [u8],
    me: &[u8],
    key: &[u8; 32],
    check: impl FnOnce(&Opened<'e, '_>),
) -> Result<(), EnvelopeError> {
    let mut out = vec![FILL; env.len()];
    let result = envelope::open(env, me, key, &mut out).map(|opened| check(&opened));
    if result.is_err() {
        assert!(
            out.iter().all(|&b| b == 0 || b == FILL),
            "a failed open left other bytes than zeros in the output buffer (ENV-033)"
        );
    }
    result
}

/// The Padmé length of ENV-031, written from the spec's formula independently of the crate.
#[must_use]
pub fn padme(len: usize) -> usize {
    let e = len.ilog2();
    let s = e.ilog2() + 1;
    let mask = (1usize << (e - s)) - 1;
    (len + mask) & !mask
}

/// Decodes `data` as an envelope (format: the envelope itself).
///
/// # Panics
/// When a decoded envelope does not re-encode to exactly `data`, or decoding and opening disagree.
pub fn fuzz_envelope_decode(data: &[u8]) {
    let decoded = Envelope::decode(data);
    let me: &[u8] = match &decoded {
        Ok(env) => {
            assert_eq!(env.encoded_len(), data.len(), "encoded_len of a decoded envelope");
            let mut out = vec![0u8; data.len()];
            assert_eq!(env.encode(&mut out), Ok(data.len()));
            assert!(out == data, "decode→encode changed the bytes (ENV-014)");
            if let Some(short) = data.len().checked_sub(1) {
                assert_eq!(
                    env.encode(&mut out[..short]),
                    Err(EnvelopeError::BufferTooSmall { needed: data.len() }),
                    "encode into a short buffer"
                );
            }
            assert!(data.starts_with(env.header_bytes()), "header_bytes is not the envelope's prefix");
            let slots: Vec<_> = env.slots().collect();
            assert_eq!(slots.len(), env.recipient_count());
            assert!((1..=envelope::MAX_RECIPIENTS).contains(&slots.len()), "recipient count out of bounds");
            assert!(slots.windows(2).all(|w| w[0].recipient < w[1].recipient), "slots not strictly ascending");
            assert!(
                env.ciphertext.len() >= envelope::SEALED_MIN_LEN && env.ciphertext.len() <= envelope::SEALED_MAX_LEN
            );
            assert!(env.header.ttl >= 1 && env.header.ttl <= MAX_TTL, "ttl out of bounds (ENV-015)");
            slots[0].recipient
        }
        Err(error) => {
            assert!(EnvelopeError::CODES.contains(&error.code()), "unknown error code {}", error.code());
            assert_ne!(error.code(), "envelope.buffer_too_small");
            STRANGER
        }
    };
    // Opening decodes first (ENV-030 step 1): the same error, or — for a decodable envelope and a
    // key nobody used — an authentication failure (the all-zero key opens no slot but by a 2^-128 chance).
    let opened = open_checked(data, me, &[0u8; 32], |_| {});
    match decoded {
        Err(error) => assert_eq!(opened, Err(error), "open and decode disagree on undecodable bytes"),
        Ok(_) => assert_eq!(opened, Err(EnvelopeError::AuthenticationFailed), "a slot opened under the zero key"),
    }
}

/// Seals a [`Scenario`] read from `data` and opens it as every recipient.
///
/// # Panics
/// When sealing or opening breaks one of the properties in the module documentation.
pub fn fuzz_envelope_roundtrip(data: &[u8]) {
    let mut scenario = Scenario::read(&mut Input::new(data), MAX_ROUNDTRIP_BODY);
    let sealed = scenario.seal_deduplicated();

    // Sealing is deterministic given the content key, and blind to the order of its recipients (ENV-040).
    let reversed: Vec<usize> = (0..scenario.recipients.len()).rev().collect();
    assert_eq!(scenario.seal_in_order(&scenario.content_key, &reversed).as_ref(), Ok(&sealed), "order-dependent seal");
    let header = scenario.header();
    let mut list: Vec<Recipient<'_>> =
        scenario.recipients.iter().map(|(device, wrap_key)| Recipient { device, wrap_key }).collect();
    let mut short = vec![0u8; sealed.len() - 1];
    let refused = envelope::seal(&header, &scenario.content(), &mut list, &mut ReplayRng::new(&[0; 32]), &mut short);
    assert_eq!(refused, Err(EnvelopeError::BufferTooSmall { needed: sealed.len() }), "seal into a short buffer");

    // The structure: what went in, in envelope order, with the sealed part's exact length.
    let env = match Envelope::decode(&sealed) {
        Ok(env) => env,
        Err(error) => panic!("a sealed envelope does not decode: {error}"),
    };
    assert_eq!(env.header, header, "decoded header");
    assert_eq!(env.header_bytes().len(), 3 + 16 + 2 + header.conversation_id.len() + header.sender_device.len() + 12);
    let sorted = scenario.sorted_recipients();
    let ids: Vec<&[u8]> = env.slots().map(|slot| slot.recipient).collect();
    let expected: Vec<&[u8]> = sorted.iter().map(|(id, _)| id.as_slice()).collect();
    assert_eq!(ids, expected, "slots are not the recipients in ascending order (ENV-014)");
    let unpadded = envelope::SEALED_OVERHEAD + scenario.body.len();
    let sealed_part = if scenario.padded { padme(unpadded) } else { unpadded };
    assert_eq!(env.ciphertext.len(), sealed_part, "sealed part length (ENV-031)");
    assert_eq!(env.encoded_len(), sealed.len());
    let mut encoded = vec![0u8; sealed.len()];
    assert_eq!(env.encode(&mut encoded), Ok(sealed.len()));
    assert!(encoded == sealed, "decode→encode changed a sealed envelope (ENV-014)");

    for (device, key) in &scenario.recipients {
        let opened = open_checked(&sealed, device, key, |opened| scenario.assert_opened_is_original(opened, device));
        assert_eq!(opened, Ok(()), "recipient {device:?} cannot open (ENV-030)");
    }
}

/// What [`fuzz_envelope_open`] does to the sealed envelope, and who then opens it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mutation {
    /// 0 nothing, 1 flip, 2 truncate, 3 append, 4 splice, 5 swap slots.
    pub kind: u8,
    /// Recipient index in envelope order; `n` or more is a stranger.
    pub opener: u8,
    /// 0 own key, 1 the next recipient's, 2 own with one bit flipped, 3 all zeros.
    pub key: u8,
    /// Flip: position. Truncate: new length. Splice: source offset. Swap: first slot. Key bit.
    pub a: u16,
    /// Append: count. Splice: destination offset. Swap: second slot.
    pub b: u16,
    /// Splice: length.
    pub d: u16,
    /// Flip: XOR mask. Append: byte value. Splice: bit 0 same offset, bit 1 other message ID, bit 2 longer body.
    pub c: u8,
}

impl Mutation {
    /// Reads the mutation prefix.
    pub fn read(input: &mut Input<'_>) -> Self {
        Self {
            kind: input.u8() % 6,
            opener: input.u8(),
            key: input.u8() % 4,
            a: input.u16(),
            b: input.u16(),
            d: input.u16(),
            c: input.u8(),
        }
    }
}

/// Byte ranges of a decoded envelope that hold opaque bytes — the commitment, every wrapped key,
/// the ciphertext and the tag — where a flipped bit keeps the structure and must fail authentication.
fn opaque_ranges(env: &Envelope<'_>, total: usize) -> Vec<core::ops::Range<usize>> {
    let header = env.header_bytes().len();
    let mut ranges = Vec::with_capacity(env.recipient_count() + 2);
    ranges.push(header..header + envelope::COMMITMENT_LEN);
    let mut pos = header + envelope::COMMITMENT_LEN + 2;
    for slot in env.slots() {
        pos += 1 + slot.recipient.len();
        ranges.push(pos..pos + WRAPPED_LEN);
        pos += WRAPPED_LEN;
    }
    ranges.push(pos + 4..total);
    ranges
}

/// Byte range of each slot in a decoded envelope.
fn slot_ranges(env: &Envelope<'_>) -> Vec<core::ops::Range<usize>> {
    let mut pos = env.header_bytes().len() + envelope::COMMITMENT_LEN + 2;
    env.slots()
        .map(|slot| {
            let start = pos;
            pos += 1 + slot.recipient.len() + WRAPPED_LEN;
            start..pos
        })
        .collect()
}

/// What opening the tampered envelope must give.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// The original content (only possible when the bytes did not change).
    Original,
    /// An error with exactly this spec code.
    Code(&'static str),
    /// Some error; the spec does not fix which.
    AnyError,
}

/// Seals a [`Scenario`], checks every recipient opens it, tampers with it as the [`Mutation`]
/// says, and opens the result as the chosen device with the chosen key.
///
/// # Panics
/// When a property in the module documentation breaks.
pub fn fuzz_envelope_open(data: &[u8]) {
    let mut input = Input::new(data);
    let mutation = Mutation::read(&mut input);
    let mut scenario = Scenario::read(&mut input, MAX_FUZZ_BODY);
    let original = scenario.seal_deduplicated();
    for (device, key) in &scenario.recipients {
        let opened = open_checked(&original, device, key, |opened| scenario.assert_opened_is_original(opened, device));
        assert_eq!(opened, Ok(()), "recipient {device:?} cannot open an untouched envelope (ENV-030)");
    }
    let env = match Envelope::decode(&original) {
        Ok(env) => env,
        Err(error) => panic!("a sealed envelope does not decode: {error}"),
    };

    // Who opens, with which key; what they get from the untouched envelope.
    let sorted = scenario.sorted_recipients();
    let n = sorted.len();
    let opener = usize::from(mutation.opener) % (n + 1);
    let me: &[u8] = if opener < n { &sorted[opener].0 } else { STRANGER };
    let own = sorted.get(opener).map_or([0x5a; 32], |(_, key)| *key);
    let key = match mutation.key {
        0 => own,
        1 => sorted[(opener + 1) % n].1,
        2 => {
            let mut key = own;
            let bit = usize::from(mutation.a) % 256;
            key[bit / 8] ^= 1 << (bit % 8);
            key
        }
        _ => [0u8; 32],
    };
    let untouched = match scenario.key_of(me) {
        None => Expect::Code(NOT_A_RECIPIENT),
        Some(right) if *right == key => Expect::Original,
        Some(_) => Expect::Code(AUTHENTICATION_FAILED),
    };

    let tampered = tamper(&scenario, &original, &env, mutation, untouched);
    // Unchanged bytes open as before. A splice that rebuilt the whole second envelope is a valid
    // envelope in its own right, with the same recipients: it opens as before, to its own content.
    // Any other change must fail (ENV-021).
    let (expect, reference) = match &tampered.second {
        _ if tampered.bytes == original => (untouched, &scenario),
        Some((second, other)) if *second == tampered.bytes => (untouched, other),
        _ => (tampered.expect, &scenario),
    };
    let result = open_checked(&tampered.bytes, me, &key, |opened| reference.assert_opened_is_original(opened, me));
    match (expect, result) {
        (Expect::Original, Ok(())) => {}
        (Expect::Code(want), Err(got)) => assert_eq!(got.code(), want, "{mutation:?}: wrong error {got}"),
        (Expect::AnyError, Err(got)) => {
            assert!(EnvelopeError::CODES.contains(&got.code()) && got.code() != "envelope.buffer_too_small");
        }
        (Expect::Code(_) | Expect::AnyError, Ok(())) => {
            panic!("{mutation:?}: a changed envelope opened (ENV-021)")
        }
        (Expect::Original, Err(got)) => panic!("{mutation:?}: {me:?} cannot open an untouched envelope: {got}"),
    }
}

/// A tampered envelope.
struct Tampered {
    /// The bytes to open.
    bytes: Vec<u8>,
    /// What opening them must give if they differ from the original (and from `second`).
    expect: Expect,
    /// For a splice: the second envelope and the scenario it seals.
    second: Option<(Vec<u8>, Scenario)>,
}

/// Applies `mutation` to `original` (`untouched` is what the opener gets from the original).
fn tamper(scenario: &Scenario, original: &[u8], env: &Envelope<'_>, mutation: Mutation, untouched: Expect) -> Tampered {
    if mutation.kind == 4 {
        let (bytes, second, other) = splice(scenario, original, mutation);
        return Tampered { bytes, expect: Expect::AnyError, second: Some((second, other)) };
    }
    let (bytes, expect) = tamper_bytes(original, env, mutation, untouched);
    Tampered { bytes, expect, second: None }
}

/// Every mutation but the splice.
fn tamper_bytes(original: &[u8], env: &Envelope<'_>, mutation: Mutation, untouched: Expect) -> (Vec<u8>, Expect) {
    let len = original.len();
    let mut out = original.to_vec();
    let a = usize::from(mutation.a);
    let b = usize::from(mutation.b);
    match mutation.kind {
        1 => {
            let pos = a % len;
            out[pos] ^= if mutation.c == 0 { 0x01 } else { mutation.c };
            // A flip inside opaque bytes keeps the structure: the opener still finds (or misses) its
            // slot, and every authentication failure is the one uniform error (ENV-021, ENV-033).
            if opaque_ranges(env, len).iter().any(|r| r.contains(&pos)) {
                let expect = match untouched {
                    Expect::Original => Expect::Code(AUTHENTICATION_FAILED),
                    other => other,
                };
                return (out, expect);
            }
            (out, Expect::AnyError)
        }
        2 => {
            out.truncate(a % len);
            // Every strict prefix of a valid envelope ends inside some field (ENV-013).
            (out, Expect::Code("envelope.truncated"))
        }
        3 => {
            out.extend(core::iter::repeat_n(mutation.c, 1 + b % 64));
            (out, Expect::Code("envelope.trailing_data"))
        }
        5 => {
            let slots = slot_ranges(env);
            let (i, j) = (a % slots.len(), b % slots.len());
            if i == j {
                return (out, untouched);
            }
            let (first, second) = (slots[i.min(j)].clone(), slots[i.max(j)].clone());
            let mut swapped = original[..first.start].to_vec();
            swapped.extend_from_slice(&original[second.clone()]);
            swapped.extend_from_slice(&original[first.end..second.start]);
            swapped.extend_from_slice(&original[first.clone()]);
            swapped.extend_from_slice(&original[second.end..]);
            // Distinct slots in strictly ascending order, exchanged: a descent (ENV-014).
            (swapped, Expect::Code("envelope.recipients_not_sorted"))
        }
        _ => (out, untouched),
    }
}

/// Overwrites a range of `original` with bytes of a second envelope: the same scenario sealed
/// under another content key, optionally with another message ID and a longer body. Returns the
/// result, the second envelope and the second scenario.
fn splice(scenario: &Scenario, original: &[u8], mutation: Mutation) -> (Vec<u8>, Vec<u8>, Scenario) {
    let mut other = scenario.clone();
    if mutation.c & 0b010 != 0 {
        other.message_id[0] ^= 1;
    }
    if mutation.c & 0b100 != 0 && other.body.len() < MAX_FUZZ_BODY {
        other.body.push(mutation.c);
    }
    let other_key = scenario.content_key.map(|b| b ^ 0xa5);
    let second = match other.seal_with_key(&other_key) {
        Ok(second) => second,
        Err(error) => panic!("seal refused a valid scenario: {error}"),
    };
    let src = usize::from(mutation.a) % second.len();
    let dst = if mutation.c & 1 != 0 { src.min(original.len() - 1) } else { usize::from(mutation.b) % original.len() };
    let count = (1 + usize::from(mutation.d)).min(second.len() - src).min(original.len() - dst);
    let mut out = original.to_vec();
    out[dst..dst + count].copy_from_slice(&second[src..src + count]);
    (out, second, other)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `fuzz/seeds.py` writes scenarios in this layout; it must name the same one.
    #[test]
    fn seed_script_scenario_layout_matches_the_crate() {
        let script = include_str!("../seeds.py");
        let expected = format!("SCENARIO_LAYOUT = {SCENARIO_LAYOUT:?}");
        assert!(script.contains(&expected), "seeds.py must define {expected}");
        assert!(script.contains(&format!("MUTATION_LEN = {MUTATION_LEN}")), "seeds.py must define MUTATION_LEN");
    }

    #[test]
    fn padme_matches_the_crate() {
        for len in envelope::SEALED_MIN_LEN..20_000 {
            assert_eq!(padme(len), envelope::padme(len), "padme({len})");
        }
        assert_eq!(padme(envelope::SEALED_OVERHEAD + envelope::MAX_CONTENT_LEN), envelope::SEALED_MAX_LEN);
    }

    /// A scenario with everything spelled out: shape, IDs, three recipients, a body.
    fn example() -> Vec<u8> {
        let mut data = vec![0b0001_1010]; // 3 recipients, padded, attachment
        data.extend([7u8; 16]);
        data.extend(1_767_225_600u64.to_be_bytes());
        data.extend(86_399u32.to_be_bytes());
        data.extend(60u32.to_be_bytes());
        data.extend([9u8; 32]);
        for id in [&b"room-42"[..], b"alice-phone", b"carol", b"bob-phone", b"bob-laptop"] {
            if id.starts_with(b"bob") || id == b"carol" {
                data.push(id[0]);
            }
            data.push(u8::try_from(id.len() - 1).expect("short ID"));
            data.extend_from_slice(id);
        }
        data.extend_from_slice(b"hello, envelope");
        data
    }

    #[test]
    fn reads_a_scenario_as_documented() {
        let s = Scenario::read(&mut Input::new(&example()), MAX_FUZZ_BODY);
        assert_eq!(s.recipients.len(), 3);
        assert!(s.padded);
        assert_eq!(s.content_type, ContentType::Attachment);
        assert_eq!((s.sent_at, s.ttl, s.bor), (1_767_225_600, 86_400, 60));
        assert_eq!(s.conversation_id, b"room-42");
        assert_eq!(s.sender_device, b"alice-phone");
        assert_eq!(s.recipients[1], (b"bob-phone".to_vec(), [b'b'; 32]));
        assert_eq!(s.body, b"hello, envelope");
    }

    #[test]
    fn empty_input_is_a_valid_scenario() {
        let s = Scenario::read(&mut Input::new(&[]), MAX_FUZZ_BODY);
        assert_eq!(s.recipients, vec![(vec![0], [0; 32])]);
        assert_eq!((s.ttl, s.bor, s.body.len()), (1, 0, 0));
        fuzz_envelope_roundtrip(&[]);
        fuzz_envelope_open(&[]);
        fuzz_envelope_decode(&[]);
    }

    #[test]
    fn round_trips_the_example_and_duplicates() {
        fuzz_envelope_roundtrip(&example());
        // Eight recipients, all with empty-input IDs: duplicates, refused, then dropped.
        fuzz_envelope_roundtrip(&[0b0000_0111]);
    }

    #[test]
    fn every_mutation_kind_and_opener_holds() {
        let scenario = example();
        for kind in 0..6u8 {
            for opener in 0..4u8 {
                for key in 0..4u8 {
                    for (a, b, c) in [(0u16, 0u16, 0u8), (40, 3, 1), (200, 1, 0x80), (0x3ff, 0xfff, 7)] {
                        let mut data = vec![kind, opener, key];
                        data.extend(a.to_be_bytes());
                        data.extend(b.to_be_bytes());
                        data.extend(100u16.to_be_bytes());
                        data.push(c);
                        data.extend_from_slice(&scenario);
                        fuzz_envelope_open(&data);
                    }
                }
            }
        }
    }

    /// Found by the fuzzer: a splice from offset 10 to the end, between envelopes with the same
    /// header, rebuilds the whole second envelope, which is valid and opens to its own content.
    #[test]
    fn a_splice_that_rebuilds_the_second_envelope_opens_to_its_content() {
        let data = [
            0x04, 0x02, 0x00, 0x00, 0x0a, 0x0a, 0x41, 0x20, 0x02, 0xe1, 0x33, 0x80, 0x00, 0x3c, 0xc0, 0x5d, 0x13, 0x96,
            0x90, 0x14, 0xab, 0x00, 0x92, 0x28, 0xde, 0x67, 0x4e, 0xaa, 0x30, 0x56, 0x0b, 0x00, 0xde, 0x67, 0x4e, 0xaa,
            0x30, 0x56, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xfe, 0x03, 0x23,
        ];
        fuzz_envelope_open(&data);
    }

    #[test]
    fn decodes_what_seal_writes_and_survives_garbage() {
        let mut s = Scenario::read(&mut Input::new(&example()), MAX_FUZZ_BODY);
        let sealed = s.seal_deduplicated();
        fuzz_envelope_decode(&sealed);
        for cut in 0..sealed.len() {
            fuzz_envelope_decode(&sealed[..cut]);
        }
        for garbage in [&b"\x01\x01\x00"[..], &[0xff; 300], &[1; 1000]] {
            fuzz_envelope_decode(garbage);
        }
    }

    #[test]
    #[should_panic(expected = "opened another body")]
    fn content_check_catches_another_body() {
        let mut s = Scenario::read(&mut Input::new(&example()), MAX_FUZZ_BODY);
        let sealed = s.seal_deduplicated();
        let (device, key) = s.recipients[0].clone();
        s.body.push(0);
        let _ = open_checked(&sealed, &device, &key, |opened| s.assert_opened_is_original(opened, &device));
    }
}
