//! Envelope properties: strict decoding, canonical encoding, authentication of every byte, and
//! seal→open round trips (spec/envelope.md).

use cinder::envelope::{self, Content, ContentType, Envelope, EnvelopeError, Header, Recipient};
use cinder::testing::ReplayRng;
use proptest::prelude::*;

const CONTENT_KEY: [u8; 32] = [0x42; 32];

fn header(padded: bool) -> Header<'static> {
    Header {
        message_id: *b"0123456789abcdef",
        conversation_id: b"room",
        sender_device: b"alice-1",
        sent_at: 1_700_000_000,
        ttl: 3600,
        padded,
    }
}

fn wrap_key(i: u8) -> [u8; 32] {
    [i.wrapping_mul(37).wrapping_add(1); 32]
}

/// Seals `body` for devices `dev-0` .. `dev-{n-1}`; returns the envelope.
fn seal_for(n: u8, body: &[u8], padded: bool, content_key: &[u8; 32]) -> Vec<u8> {
    let names: Vec<Vec<u8>> = (0..n).map(|i| format!("dev-{i}").into_bytes()).collect();
    let keys: Vec<[u8; 32]> = (0..n).map(wrap_key).collect();
    let mut recipients: Vec<Recipient<'_>> =
        names.iter().zip(&keys).map(|(device, wrap_key)| Recipient { device, wrap_key }).collect();
    let header = header(padded);
    let content = Content { bor: 30, content_type: ContentType::Text, body };
    let mut out = vec![0u8; envelope::sealed_len(&header, &recipients, body.len()).expect("valid inputs")];
    let mut rng = ReplayRng::new(content_key);
    let len = envelope::seal(&header, &content, &mut recipients, &mut rng, &mut out).expect("seals");
    assert!(rng.all_used() && !rng.exhausted(), "ENV-020: the content key is the only randomness");
    out.truncate(len);
    out
}

fn open_as(env: &[u8], i: u8) -> Result<(u32, Vec<u8>), EnvelopeError> {
    let mut out = vec![0u8; env.len()];
    let device = format!("dev-{i}");
    envelope::open(env, device.as_bytes(), &wrap_key(i), &mut out).map(|o| (o.bor, o.body.to_vec()))
}

#[test]
fn every_recipient_opens_the_same_content() {
    let env = seal_for(5, b"hello, world", true, &CONTENT_KEY);
    for i in 0..5 {
        assert_eq!(open_as(&env, i), Ok((30, b"hello, world".to_vec())), "recipient {i}");
    }
}

/// ENV-013: no prefix of a valid envelope decodes.
#[test]
fn rejects_every_truncated_envelope() {
    for padded in [false, true] {
        let env = seal_for(3, b"truncate me", padded, &CONTENT_KEY);
        for len in 0..env.len() {
            let err = Envelope::decode(&env[..len]).expect_err("a prefix must not decode");
            assert!(
                matches!(err, EnvelopeError::Decode(_)),
                "prefix of {len} bytes gave {err:?}, a structural error was expected"
            );
        }
    }
}

/// ENV-013: one more byte is trailing data.
#[test]
fn rejects_trailing_bytes() {
    let mut env = seal_for(2, b"x", false, &CONTENT_KEY);
    env.push(0);
    assert_eq!(
        Envelope::decode(&env).map(|_| ()),
        Err(EnvelopeError::Decode(cinder::codec::DecodeError::TrailingData("envelope")))
    );
}

/// ENV-014: decoding then encoding gives back the same bytes.
#[test]
fn decode_then_encode_is_the_identity() {
    for n in [1, 2, 7] {
        for body in [&b""[..], b"a", &[9u8; 300]] {
            let env = seal_for(n, body, n % 2 == 0, &CONTENT_KEY);
            let decoded = Envelope::decode(&env).expect("decodes");
            assert_eq!(decoded.encoded_len(), env.len());
            let mut again = vec![0u8; env.len()];
            assert_eq!(decoded.encode(&mut again), Ok(env.len()));
            assert_eq!(again, env);
        }
    }
}

/// ENV-021, ENV-033: flipping any bit of any byte makes the envelope fail for every recipient.
#[test]
fn any_single_byte_flip_fails_to_open() {
    let env = seal_for(3, b"every byte counts", true, &CONTENT_KEY);
    for pos in 0..env.len() {
        for mask in [0x01, 0x80] {
            let mut bad = env.clone();
            bad[pos] ^= mask;
            for i in 0..3 {
                assert!(open_as(&bad, i).is_err(), "flip 0x{mask:02x} at byte {pos} still opens for dev-{i}");
            }
        }
    }
}

/// ENV-022: a slot copied from another envelope does not open.
#[test]
fn rejects_a_slot_moved_from_another_envelope() {
    let a = seal_for(1, b"first", false, &CONTENT_KEY);
    let b = seal_for(1, b"other", false, &[0x43; 32]);
    let (da, db) = (Envelope::decode(&a).expect("a"), Envelope::decode(&b).expect("b"));
    let slot_a = da.slots().next().expect("slot");
    let slot_b = db.slots().next().expect("slot");
    let start = a.windows(48).position(|w| w == slot_a.wrapped).expect("slot bytes present");
    let mut spliced = a.clone();
    spliced[start..start + 48].copy_from_slice(&slot_b.wrapped);
    assert_eq!(open_as(&spliced, 0), Err(EnvelopeError::AuthenticationFailed));
}

/// ENV-030, ENV-033: a wrong wrap key and an absent device get their errors, and nothing is released.
#[test]
fn wrong_key_and_stranger_are_refused() {
    let env = seal_for(2, b"secret", false, &CONTENT_KEY);
    let mut out = vec![0xAAu8; env.len()];
    assert_eq!(
        envelope::open(&env, b"dev-0", &wrap_key(1), &mut out).map(|_| ()),
        Err(EnvelopeError::AuthenticationFailed)
    );
    assert!(out.iter().all(|&b| b == 0xAA || b == 0), "no plaintext may be left behind");
    assert!(!out.windows(6).any(|w| w == b"secret"));
    assert_eq!(envelope::open(&env, b"dev-9", &wrap_key(9), &mut out).map(|_| ()), Err(EnvelopeError::NotARecipient));
}

/// ENV-023: a content key the commitment does not match is refused even when its slot opens.
#[test]
fn commitment_binds_the_content_key() {
    let a = seal_for(1, b"one", false, &CONTENT_KEY);
    let da = Envelope::decode(&a).expect("decodes");
    let commitment_at = da.header_bytes().len();
    let mut forged = a.clone();
    forged[commitment_at] ^= 1;
    assert_eq!(open_as(&forged, 0), Err(EnvelopeError::AuthenticationFailed));
}

/// ENV-040: sealing refuses inputs that could not decode, and sorts recipients itself.
#[test]
fn seal_checks_inputs_and_sorts_recipients() {
    let key = wrap_key(0);
    let h = header(false);
    let content = Content { bor: 0, content_type: ContentType::Control, body: b"" };
    let mut out = vec![0u8; 4096];
    let mut rng = ReplayRng::new(&CONTENT_KEY);
    let mut dup = [Recipient { device: b"b", wrap_key: &key }, Recipient { device: b"b", wrap_key: &key }];
    assert_eq!(envelope::seal(&h, &content, &mut dup, &mut rng, &mut out), Err(EnvelopeError::DuplicateRecipient));
    let mut none: [Recipient<'_>; 0] = [];
    assert_eq!(
        envelope::seal(&h, &content, &mut none, &mut rng, &mut out).map(|_| ()).map_err(|e| e.code()),
        Err("envelope.length_out_of_range")
    );
    let bad_ttl = Header { ttl: 0, ..h };
    let mut one = [Recipient { device: b"a", wrap_key: &key }];
    assert_eq!(envelope::seal(&bad_ttl, &content, &mut one, &mut rng, &mut out), Err(EnvelopeError::InvalidHeader));
    let mut two = [Recipient { device: b"zz", wrap_key: &key }, Recipient { device: b"z", wrap_key: &key }];
    let len = envelope::seal(&h, &content, &mut two, &mut ReplayRng::new(&CONTENT_KEY), &mut out).expect("seals");
    let order: Vec<&[u8]> = Envelope::decode(&out[..len]).expect("decodes").slots().map(|s| s.recipient).collect();
    assert_eq!(order, [&b"z"[..], b"zz"]);
    let mut small = [0u8; 10];
    assert!(matches!(
        envelope::seal(&h, &content, &mut two, &mut ReplayRng::new(&CONTENT_KEY), &mut small),
        Err(EnvelopeError::BufferTooSmall { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Seal→open round trip over random recipient sets, sizes, padding and content keys.
    #[test]
    fn seal_open_round_trip(
        n in 1u8..20,
        body in proptest::collection::vec(any::<u8>(), 0..2000),
        padded in any::<bool>(),
        ck in any::<[u8; 32]>(),
        pick in any::<u8>(),
    ) {
        let env = seal_for(n, &body, padded, &ck);
        let who = pick % n;
        prop_assert_eq!(open_as(&env, who), Ok((30, body.clone())));
        let decoded = Envelope::decode(&env).expect("decodes");
        prop_assert_eq!(decoded.recipient_count(), usize::from(n));
        let unpadded = envelope::SEALED_OVERHEAD + body.len();
        let expected_len = if padded { envelope::padme(unpadded) } else { unpadded };
        prop_assert_eq!(decoded.ciphertext.len(), expected_len);
    }

    /// Decoding arbitrary bytes never panics, and whatever decodes re-encodes to the same bytes.
    #[test]
    fn decoding_arbitrary_bytes_is_total(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(env) = Envelope::decode(&bytes) {
            let mut again = vec![0u8; bytes.len()];
            prop_assert_eq!(env.encode(&mut again), Ok(bytes.len()));
            prop_assert_eq!(again, bytes);
        }
    }
}

/// ENV-024: a repeated wrap key and message ID still give fresh slot keys, because the slot key
/// depends on the commitment, which depends on the fresh content key.
#[test]
fn slot_keys_are_fresh_even_when_wrap_key_and_message_id_repeat() {
    let a = seal_for(2, b"same everything", false, &CONTENT_KEY);
    let b = seal_for(2, b"same everything", false, &[0x99; 32]);
    let (da, db) = (Envelope::decode(&a).expect("a"), Envelope::decode(&b).expect("b"));
    assert_eq!(da.header, db.header);
    assert_ne!(da.commitment, db.commitment);
    for (sa, sb) in da.slots().zip(db.slots()) {
        assert_eq!(sa.recipient, sb.recipient);
        assert_ne!(sa.wrapped, sb.wrapped, "a slot key was reused for {:?}", sa.recipient);
    }
    assert_ne!(da.ciphertext, db.ciphertext, "the payload key was reused");
}
