//! Links `cinder` without `std` or an allocator and runs identity hashing and message envelopes
//! end to end.
//!
//! The C runtime (crt1 and libc's `memcpy`, `memset`, `memcmp`, `abort`) is the only thing linked
//! besides `core`. Exit status 0 means every check passed; otherwise it is the number of the first
//! check that failed (see [`Failure`]). A panic aborts, which also exits nonzero.

#![no_std]
#![no_main]

use cinder::envelope::{self, Content, ContentType, EnvelopeError, Header, Recipient};
use cinder::identity::{self, ClientSalt, IdentifierKind, IdentityHash, LookupEntry, Rounds, ServerSecret};
use cinder::testing::ReplayRng;

#[link(name = "c")]
unsafe extern "C" {
    safe fn abort() -> !;
}

/// The precompiled `core` refers to this symbol even with `panic = "abort"`; it is never called.
#[unsafe(no_mangle)]
pub extern "C" fn rust_eh_personality() {}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    abort()
}

/// Which check failed; the discriminant is the process's exit status.
#[derive(Clone, Copy)]
enum Failure {
    Canonical = 1,
    SpellingsDiffer = 2,
    DistinctNumbersCollide = 3,
    ServerLayer = 4,
    ContactLookup = 5,
    VerificationCode = 6,
    Rejection = 7,
    EnvelopeSeal = 8,
    EnvelopeOpen = 9,
    EnvelopeTampered = 10,
    EnvelopeStranger = 11,
}

fn check(ok: bool, failure: Failure) -> Result<(), Failure> {
    if ok { Ok(()) } else { Err(failure) }
}

fn run() -> Result<(), Failure> {
    identity_end_to_end()?;
    envelope_end_to_end()
}

fn identity_end_to_end() -> Result<(), Failure> {
    let one_spelling: &[u8] = b" +1 (555) 010-9999\r\n";
    let other_spelling: &[u8] = b"+1.555.010.9999";
    let another_number: &[u8] = b"+15550109998";

    let canonical = identity::canonicalize(IdentifierKind::Phone, one_spelling).map_err(|_| Failure::Canonical)?;
    check(canonical.as_bytes() == b"+15550109999", Failure::Canonical)?;

    let salt = ClientSalt::new(b"cinder nostd-check client salt").map_err(|_| Failure::Canonical)?;
    let hash = |input: &[u8]| {
        identity::client_hash(IdentifierKind::Phone, input, &salt, Rounds::MIN).map_err(|_| Failure::SpellingsDiffer)
    };
    let client = hash(one_spelling)?;
    check(client == hash(other_spelling)?, Failure::SpellingsDiffer)?;
    check(client == identity::client_hash_canonical(&canonical, &salt, Rounds::MIN), Failure::SpellingsDiffer)?;
    let other = hash(another_number)?;
    check(client != other, Failure::DistinctNumbersCollide)?;

    let secret = ServerSecret::new(&[0x5a; 32]).map_err(|_| Failure::ServerLayer)?;
    let stored = identity::server_hash(IdentifierKind::Phone, &client, &secret, Rounds::MIN);
    check(stored != client, Failure::ServerLayer)?;
    check(stored == identity::server_hash(IdentifierKind::Phone, &client, &secret, Rounds::MIN), Failure::ServerLayer)?;
    check(stored != identity::server_hash(IdentifierKind::Email, &client, &secret, Rounds::MIN), Failure::ServerLayer)?;

    // Two spellings of one number collapse into one sorted entry; the other number stays.
    let entries = [
        LookupEntry { kind: IdentifierKind::Phone, input: one_spelling },
        LookupEntry { kind: IdentifierKind::Phone, input: another_number },
        LookupEntry { kind: IdentifierKind::Phone, input: other_spelling },
    ];
    let mut out = [IdentityHash([0; 32]); 3];
    let found = identity::contact_lookup(&entries, &salt, Rounds::MIN, &mut out).map_err(|_| Failure::ContactLookup)?;
    let (low, high) = if client < other { (client, other) } else { (other, client) };
    check(found.len() == 2 && found[0] == low && found[1] == high, Failure::ContactLookup)?;

    let key_a = [0x11; identity::IDENTITY_KEY_LEN];
    let key_b = [0x22; identity::IDENTITY_KEY_LEN];
    let key_c = [0x33; identity::IDENTITY_KEY_LEN];
    let code = |a: &[u8], b: &[u8]| identity::verification_code(a, b).map_err(|_| Failure::VerificationCode);
    let ab = code(&key_a, &key_b)?;
    check(ab == code(&key_b, &key_a)?, Failure::VerificationCode)?;
    check(ab != code(&key_a, &key_c)?, Failure::VerificationCode)?;
    check(ab.as_str().len() == identity::VERIFICATION_CODE_LEN, Failure::VerificationCode)?;
    check(identity::verification_code(&key_a, &key_a).is_err(), Failure::VerificationCode)?;

    let rejected = identity::canonicalize(IdentifierKind::Phone, b"+44 (0)20 7946 0000");
    check(matches!(rejected, Err(e) if e.code() == "identity.invalid_phone"), Failure::Rejection)?;
    check(
        identity::client_hash(IdentifierKind::Email, b"no-at-sign", &salt, Rounds::MIN).is_err(),
        Failure::Rejection,
    )?;
    Ok(())
}

/// Seals a small envelope for two devices into a stack buffer (content key replayed through
/// `ReplayRng`), opens it as each, and checks that a flipped byte and a stranger are refused.
fn envelope_end_to_end() -> Result<(), Failure> {
    const BODY: &[u8] = b"see you at noon";
    let header = Header {
        message_id: [0x4d; 16],
        conversation_id: b"room-42",
        sender_device: b"alice-phone",
        sent_at: 1_767_225_600,
        ttl: 86_400,
        padded: true,
    };
    let content = Content { bor: 30, content_type: ContentType::Text, body: BODY };
    let (bob_key, carol_key) = ([0xb0; 32], [0xc0; 32]);
    let mut recipients = [
        Recipient { device: b"carol-tablet", wrap_key: &carol_key },
        Recipient { device: b"bob-phone", wrap_key: &bob_key },
    ];
    let len = envelope::sealed_len(&header, &recipients, BODY.len()).map_err(|_| Failure::EnvelopeSeal)?;
    let mut sealed = [0u8; 512];
    check(len <= sealed.len(), Failure::EnvelopeSeal)?;
    let mut rng = ReplayRng::new(&[0x6b; 32]);
    let written =
        envelope::seal(&header, &content, &mut recipients, &mut rng, &mut sealed).map_err(|_| Failure::EnvelopeSeal)?;
    check(written == len && rng.all_used() && !rng.exhausted(), Failure::EnvelopeSeal)?;
    let sealed = &mut sealed[..written];

    let mut plain = [0u8; 512];
    for (me, key) in [(&b"bob-phone"[..], &bob_key), (b"carol-tablet", &carol_key)] {
        let opened = envelope::open(sealed, me, key, &mut plain).map_err(|_| Failure::EnvelopeOpen)?;
        check(opened.body == BODY && opened.bor == 30, Failure::EnvelopeOpen)?;
        check(opened.content_type == ContentType::Text && opened.header == header, Failure::EnvelopeOpen)?;
    }
    // Bob's key does not open Carol's slot.
    let wrong_key = envelope::open(sealed, b"carol-tablet", &bob_key, &mut plain);
    check(wrong_key == Err(EnvelopeError::AuthenticationFailed), Failure::EnvelopeTampered)?;

    // A flipped byte of the ciphertext: the one uniform authentication error (ENV-021, ENV-033).
    let last = sealed.len() - 20;
    sealed[last] ^= 0x01;
    let tampered = envelope::open(sealed, b"bob-phone", &bob_key, &mut plain);
    check(tampered == Err(EnvelopeError::AuthenticationFailed), Failure::EnvelopeTampered)?;
    sealed[last] ^= 0x01;

    let stranger = envelope::open(sealed, b"mallory-laptop", &[0x3a; 32], &mut plain);
    check(stranger == Err(EnvelopeError::NotARecipient), Failure::EnvelopeStranger)?;
    let bob_again = envelope::open(sealed, b"bob-phone", &bob_key, &mut plain).map_err(|_| Failure::EnvelopeOpen)?;
    check(bob_again.body == BODY, Failure::EnvelopeOpen)
}

/// The C entry point: 0 when every check passed, else the failed check's number.
#[unsafe(no_mangle)]
pub extern "C" fn main(_argc: i32, _argv: *const *const u8) -> i32 {
    match run() {
        Ok(()) => 0,
        Err(failure) => failure as i32,
    }
}
