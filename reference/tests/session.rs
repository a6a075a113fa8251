//! Sessions (spec/session.md): strictness of every encoding, the handshake's promises, the
//! ratchet's bookkeeping, and the checkpoint's encoding worked out by hand.

use cinder::codec::DecodeError;
use cinder::primitives;
use cinder::session::{
    self, AccountSetup, Certificate, DeviceSetup, Event, Id, InitMessage, LocalIdentity, Network, Output, PeerBundle,
    PrekeyStore, Session, SessionError, SessionHeader, SetupError, SignedPrekey, SigningSecret, X25519Secret,
};
use cinder::testing::ReplayRng;

const T0: u64 = 1_767_225_600;

fn id(bytes: &[u8]) -> Id {
    Id::new(bytes).expect("1 to 64 bytes")
}

fn seed(label: &str, n: u8) -> [u8; 32] {
    primitives::sha256(&[label.as_bytes(), &[n]])
}

/// A device with all its secrets, certified by its account's root.
struct Dev {
    root: SigningSecret,
    identity: X25519Secret,
    identity_seed: [u8; 32],
    spk_secret: [u8; 32],
    cert: Certificate,
    spk: SignedPrekey,
}

fn dev(account: &str, device: &str) -> Dev {
    let root = SigningSecret::from_bytes(seed(account, 0));
    let signing = SigningSecret::from_bytes(seed(device, 1));
    let identity = X25519Secret::from_bytes(seed(device, 2));
    let spk_secret = seed(device, 3);
    let (a, d) = (id(account.as_bytes()), id(device.as_bytes()));
    let cert =
        Certificate::issue(&root, &a, &d, identity.public_key(), signing.public_key(), T0 - 10, T0 + 86_400 * 365);
    let spk = SignedPrekey::sign(&signing, &a, &d, 1, X25519Secret::from_bytes(spk_secret).public_key(), T0 + 86_400);
    Dev { root, identity, identity_seed: seed(device, 2), spk_secret, cert, spk }
}

impl Dev {
    fn me(&self) -> LocalIdentity<'_> {
        LocalIdentity { root_key: self.root.public_key(), certificate: &self.cert, identity_secret: &self.identity }
    }

    fn store(&self, one_time: &[u8]) -> PrekeyStore {
        let mut store = PrekeyStore::new();
        assert!(store.add_signed_prekey(1, X25519Secret::from_bytes(self.spk_secret), T0 + 86_400));
        for n in one_time {
            assert!(store.add_one_time_prekey(u32::from(*n), X25519Secret::from_bytes(seed("opk", *n))));
        }
        store
    }
}

/// What a device publishes for initiators, encoded and owned; [`Published::bundle`] lends it out
/// as the bundle an initiator fetched.
struct Published<'d> {
    dev: &'d Dev,
    root: [u8; 32],
    cert: Vec<u8>,
    spk: Vec<u8>,
}

impl Dev {
    fn published(&self) -> Published<'_> {
        Published { dev: self, root: self.root.public_key(), cert: self.cert.to_vec(), spk: self.spk.to_vec() }
    }
}

impl Published<'_> {
    fn bundle(&self, one_time_prekey: Option<(u32, [u8; 32])>) -> PeerBundle<'_> {
        PeerBundle {
            account: self.dev.cert.account(),
            device: self.dev.cert.device(),
            root_key: &self.root,
            certificate: &self.cert,
            signed_prekey: &self.spk,
            one_time_prekey,
        }
    }
}

struct Pair {
    message: InitMessage,
    initiator: Session,
    responder: Session,
}

fn handshake(a: &Dev, b: &Dev, opk: Option<u8>, ephemeral: [u8; 32]) -> Pair {
    let published = b.published();
    let bundle = published.bundle(opk.map(|n| (u32::from(n), X25519Secret::from_bytes(seed("opk", n)).public_key())));
    let mut rng = ReplayRng::new(&ephemeral);
    let initiated = session::initiate(&a.me(), &bundle, &mut rng, T0).expect("valid bundle");
    let mut store = b.store(&[1, 2]);
    let responder =
        session::respond(&b.me(), &mut store, &initiated.message, &a.root.public_key(), T0 + 5).expect("valid init");
    Pair { message: initiated.message, initiator: initiated.session, responder }
}

/// SES-021: an init message has one encoding; every proper prefix, and any extra byte, is refused.
#[test]
fn init_message_decodes_only_from_its_one_encoding() {
    let (a, b) = (dev("alice", "alice-phone"), dev("bob", "bob-phone"));
    for opk in [None, Some(1)] {
        let bytes = handshake(&a, &b, opk, [9; 32]).message.to_vec();
        let decoded = InitMessage::decode(&bytes).expect("decodes");
        assert_eq!(decoded.to_vec(), bytes, "SES-021: decode then encode gives the same bytes");
        assert_eq!(decoded.encoded_len(), bytes.len());
        for len in 0..bytes.len() {
            let err = InitMessage::decode(&bytes[..len]).expect_err("a prefix must not decode");
            assert!(
                matches!(err, SessionError::Decode(DecodeError::Truncated(_))),
                "SES-021: prefix of {len} bytes gives {err:?}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(InitMessage::decode(&longer), Err(SessionError::Decode(DecodeError::TrailingData(_)))));
    }
}

/// SES-010, SES-011: the same strictness for certificates and signed prekeys, and their lengths.
#[test]
fn certificates_and_signed_prekeys_decode_strictly() {
    let b = dev("bob", "bob-phone");
    let cert = b.cert.to_vec();
    assert_eq!(cert.len(), 2 + 3 + 9 + 32 + 32 + 16 + 64);
    assert_eq!(Certificate::decode(&cert), Ok(b.cert));
    let spk = b.spk.to_vec();
    assert_eq!(spk.len(), SignedPrekey::LEN);
    assert_eq!(SignedPrekey::decode(&spk), Ok(b.spk));
    for len in 0..cert.len() {
        assert!(matches!(Certificate::decode(&cert[..len]), Err(SessionError::Decode(DecodeError::Truncated(_)))));
    }
    for len in 0..spk.len() {
        assert!(matches!(SignedPrekey::decode(&spk[..len]), Err(SessionError::Decode(DecodeError::Truncated(_)))));
    }
    assert!(matches!(
        Certificate::decode(&[cert.as_slice(), &[0]].concat()),
        Err(SessionError::Decode(DecodeError::TrailingData(_)))
    ));
    let max = dev_ids(&[b'a'; 64], &[b'd'; 64]);
    assert_eq!(max.to_vec().len(), Certificate::MAX_LEN);
    let min = dev_ids(b"a", b"d");
    assert_eq!(min.to_vec().len(), Certificate::MIN_LEN);
}

fn dev_ids(account: &[u8], device: &[u8]) -> Certificate {
    let root = SigningSecret::from_bytes([1; 32]);
    Certificate::issue(&root, &id(account), &id(device), [2; 32], [3; 32], 0, 1)
}

/// SES-012, SES-014: every single-bit change of a certificate fails verification, with
/// `wrong_account` / `wrong_device` when it lands in an ID, else `authentication_failed`.
#[test]
fn every_bit_of_a_certificate_is_bound_by_its_signature() {
    let b = dev("bob", "bob-phone");
    let cert = b.cert.to_vec();
    let (account, device) = (id(b"bob"), id(b"bob-phone"));
    let root = b.root.public_key();
    assert_eq!(b.cert.verify(&root, &account, &device, T0), Ok(()));
    for bit in 0..cert.len() * 8 {
        let mut bad = cert.clone();
        bad[bit / 8] ^= 1 << (bit % 8);
        let Ok(decoded) = Certificate::decode(&bad) else { continue };
        let err = decoded.verify(&root, &account, &device, T0).expect_err("a changed certificate must fail");
        assert!(
            matches!(err, SessionError::WrongAccount | SessionError::WrongDevice | SessionError::AuthenticationFailed),
            "bit {bit}: {err:?}"
        );
    }
}

/// SES-024, SES-026, SES-027: the responder refuses every single-byte change of an init message,
/// and a refusal consumes no one-time prekey.
#[test]
fn responder_refuses_every_changed_byte_and_keeps_its_prekeys() {
    let (a, b) = (dev("alice", "alice-phone"), dev("bob", "bob-phone"));
    let bytes = handshake(&a, &b, Some(1), [4; 32]).message.to_vec();
    let mut store = b.store(&[1, 2]);
    for at in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[at] ^= 0x40;
        if let Ok(message) = InitMessage::decode(&bad) {
            let result = session::respond(&b.me(), &mut store, &message, &a.root.public_key(), T0 + 5);
            assert!(result.is_err(), "SES-026: byte {at} changed and the responder accepted it");
        }
    }
    assert!(store.has_one_time_prekey(1), "SES-027: a refused handshake used a one-time prekey");
    let message = InitMessage::decode(&bytes).expect("decodes");
    session::respond(&b.me(), &mut store, &message, &a.root.public_key(), T0 + 5).expect("the genuine message");
    assert!(!store.has_one_time_prekey(1));
    assert_eq!(store.used_one_time_prekeys().collect::<Vec<_>>(), [1]);
    let again = session::respond(&b.me(), &mut store, &message, &a.root.public_key(), T0 + 6);
    assert_eq!(again.map(|_| ()), Err(SessionError::PrekeyReused), "SES-016");
}

/// SES-003: the initiator draws exactly 32 bytes, and with the same bytes writes the same message.
#[test]
fn the_ephemeral_secret_is_the_only_randomness() {
    let (a, b) = (dev("alice", "alice-phone"), dev("bob", "bob-phone"));
    let published = b.published();
    let bundle = published.bundle(None);
    let mut messages = Vec::new();
    for _ in 0..2 {
        let bytes = [0x5a; 33];
        let mut rng = ReplayRng::new(&bytes);
        messages.push(session::initiate(&a.me(), &bundle, &mut rng, T0).expect("valid").message.to_vec());
        assert!(!rng.exhausted() && !rng.all_used(), "SES-003: exactly 32 bytes are drawn");
    }
    assert_eq!(messages[0], messages[1]);
    let other = session::initiate(&a.me(), &bundle, &mut ReplayRng::new(&[0x5b; 32]), T0).expect("valid");
    assert_ne!(other.message.to_vec(), messages[0]);
}

/// SES-002, SES-016: a prekey store never takes one ID for two keys, nor a used ID again.
#[test]
fn prekey_ids_are_never_reused() {
    let mut store = PrekeyStore::new();
    assert!(store.add_signed_prekey(1, X25519Secret::from_bytes([1; 32]), T0));
    assert!(!store.add_signed_prekey(1, X25519Secret::from_bytes([2; 32]), T0));
    assert!(store.add_one_time_prekey(5, X25519Secret::from_bytes([3; 32])));
    assert!(!store.add_one_time_prekey(5, X25519Secret::from_bytes([4; 32])));
    store.record_used_one_time_prekey(5);
    assert!(!store.has_one_time_prekey(5));
    assert!(!store.add_one_time_prekey(5, X25519Secret::from_bytes([5; 32])), "SES-016: a used ID comes back");
    assert!(!store.record_accepted_session(9, [0; 16]));
}

/// SES-029: nothing of the handshake but the chain keys stays in a session, and the chain keys go
/// with the first step (SES-042).
#[test]
fn handshake_secrets_do_not_stay_in_the_session() {
    let (a, b) = (dev("alice", "alice-phone"), dev("bob", "bob-phone"));
    let published = b.published();
    let bundle = published.bundle(None);
    let (initiated, trace) =
        session::initiate_traced_for_testing_only(&a.me(), &bundle, &mut ReplayRng::new(&[1; 32]), T0).expect("ok");
    let mut initiator = initiated.session;
    for dh in &trace.dh {
        assert!(!initiator.holds_secret_for_testing_only(dh), "SES-029: a DH value is kept");
    }
    assert!(!initiator.holds_secret_for_testing_only(&trace.confirm_key), "SES-029: the confirmation key is kept");
    assert!(initiator.holds_secret_for_testing_only(&trace.initiator_to_responder), "ck_0 of its sending chain");
    assert!(initiator.holds_secret_for_testing_only(&trace.responder_to_initiator), "ck_0 of its receiving chain");
    let (_, key) = initiator.send(T0).expect("send");
    assert!(!initiator.holds_secret_for_testing_only(&trace.initiator_to_responder), "SES-042: ck_0 is kept");
    assert!(!initiator.holds_secret_for_testing_only(key.as_bytes()), "SES-042: a sent key is kept");
    let mut okm = [0u8; 64];
    primitives::hkdf_expand(&trace.initiator_to_responder, b"cinder-ses-v1 step", &mut okm).expect("64 bytes");
    assert_eq!(key.as_bytes()[..], okm[..32], "SES-040: mk_0 is the first block of HKDF-Expand(ck_0)");
}

/// SES-040, SES-043, SES-044: both ends agree, a receipt dropped without commit changes nothing,
/// and a committed key is gone.
#[test]
fn receipts_commit_only_when_told() {
    let (a, b) = (dev("alice", "alice-phone"), dev("bob", "bob-phone"));
    let mut pair = handshake(&a, &b, Some(2), [7; 32]);
    assert_eq!(pair.initiator.id(), pair.responder.id());
    let sent: Vec<_> = (0..5).map(|_| pair.initiator.send(T0).expect("send")).collect();
    let before = pair.responder.state();
    {
        let receipt = pair.responder.receive(&sent[3].0).expect("in the window");
        assert_eq!(receipt.message_key().as_bytes(), sent[3].1.as_bytes(), "SES-040: both ends agree");
    }
    assert_eq!(pair.responder.state(), before, "SES-044: a dropped receipt changed the session");
    let key = pair.responder.receive(&sent[3].0).expect("again").commit();
    assert_eq!(key.as_bytes(), sent[3].1.as_bytes());
    assert!(!pair.responder.holds_secret_for_testing_only(key.as_bytes()), "SES-044: the used key is kept");
    let mut skipped: Vec<u32> = pair.responder.skipped_indices().collect();
    skipped.sort_unstable();
    assert_eq!(skipped, [0, 1, 2], "SES-045");
    let state = pair.responder.state();
    assert_eq!((state.next, state.received), (4, 1));
    assert_eq!(pair.responder.receive(&sent[3].0).map(|r| r.index()), Err(SessionError::Replay));
    let wrong = SessionHeader { session_id: [0; 16], index: 0 };
    assert_eq!(pair.responder.receive(&wrong).map(|r| r.index()), Err(SessionError::Closed));
    assert_eq!(SessionHeader::decode(&sent[0].0.to_bytes()), Ok(sent[0].0));
}

/// A network of account `a` with member device `p` and account `b` with device `q` (a member or
/// pending), each with the given one-time prekeys.
fn network_ab(q_member: bool, one_time: &[u8]) -> Network {
    let (a, b) = (dev("a", "p"), dev("b", "q"));
    let setup = |d: &Dev, member: bool| DeviceSetup {
        certificate: d.cert,
        identity_secret: X25519Secret::from_bytes(d.identity_seed),
        signed_prekey: d.spk,
        signed_prekey_secret: X25519Secret::from_bytes(d.spk_secret),
        one_time_prekeys: one_time.iter().map(|n| (u32::from(*n), X25519Secret::from_bytes(seed("opk", *n)))).collect(),
        member,
    };
    let accounts = [
        AccountSetup { account: id(b"a"), root_key: a.root.public_key() },
        AccountSetup { account: id(b"b"), root_key: b.root.public_key() },
    ];
    Network::new(&accounts, vec![setup(&a, true), setup(&b, q_member)]).expect("valid setup")
}

/// SES-080: the public state of a small network, written out byte by byte from the chapter.
#[test]
fn checkpoint_encoding_matches_the_chapter() {
    let mut net = network_ab(true, &[7]);
    let mut expected = b"cinder-ses-v1 checkpoint".to_vec();
    expected.extend_from_slice(&[0, 2, 1, b'a', 0, 1, b'b', 0, 0, 2]);
    expected.extend_from_slice(&[1, b'a', 1, b'p', 1, 0, 0, 0, 0]);
    expected.extend_from_slice(&[1, b'b', 1, b'q', 1, 0, 0, 0, 0]);
    assert_eq!(net.public_state(), expected);
    assert_eq!(net.checkpoint(), primitives::sha256(&[&expected]));

    let out = net
        .handle(
            Event::Handshake { initiator: b"p", responder: b"q", one_time_prekey: Some(7) },
            T0,
            &mut ReplayRng::new(&[3; 32]),
        )
        .expect("handshake");
    let Output::Handshake { session_id: sid, .. } = out else { panic!("a handshake output") };
    let header = match net.handle(Event::Send { from: b"p", to: b"q" }, T0 + 1, &mut ReplayRng::new(&[])) {
        Ok(Output::Sent { header, .. }) => header.to_bytes(),
        other => panic!("a send output, not {other:?}"),
    };
    net.handle(Event::Receive { to: b"q", header: &header }, T0 + 2, &mut ReplayRng::new(&[])).expect("receive");
    let mut expected = b"cinder-ses-v1 checkpoint".to_vec();
    expected.extend_from_slice(&[0, 2, 1, b'a', 0, 1, b'b', 0, 0, 2]);
    // Device p: member, no used prekeys, one session with (b, q), initiator, sent 1, next 0.
    expected.extend_from_slice(&[1, b'a', 1, b'p', 1, 0, 0, 0, 1, 1, b'b', 1, b'q']);
    expected.extend_from_slice(&sid);
    expected.push(0);
    expected.extend_from_slice(&T0.to_be_bytes());
    expected.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0]);
    expected.extend_from_slice(&0u64.to_be_bytes());
    // Device q: member, used one-time prekey 7, one session with (a, p), responder, sent 0, next 1,
    // received bit 0.
    expected.extend_from_slice(&[1, b'b', 1, b'q', 1, 0, 1, 0, 0, 0, 7, 0, 1, 1, b'a', 1, b'p']);
    expected.extend_from_slice(&sid);
    expected.push(1);
    expected.extend_from_slice(&T0.to_be_bytes());
    expected.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]);
    expected.extend_from_slice(&1u64.to_be_bytes());
    assert_eq!(net.public_state(), expected);
}

/// SES-043 step 5, SES-045: skipped keys leave with the window, and at most 63 are ever kept.
#[test]
fn skipped_keys_leave_with_the_window() {
    let (a, b) = (dev("alice", "alice-phone"), dev("bob", "bob-phone"));
    let mut pair = handshake(&a, &b, None, [8; 32]);
    let sent: Vec<_> = (0..200).map(|_| pair.initiator.send(T0).expect("send")).collect();
    let receive = |session: &mut Session, n: usize| {
        let key = session.receive(&sent[n].0).expect("in the window").commit();
        assert_eq!(key.as_bytes(), sent[n].1.as_bytes());
    };
    receive(&mut pair.responder, 63);
    assert_eq!(pair.responder.skipped_indices().count(), 63);
    receive(&mut pair.responder, 127);
    let mut kept: Vec<u32> = pair.responder.skipped_indices().collect();
    kept.sort_unstable();
    assert_eq!(kept, (64..127).collect::<Vec<u32>>(), "SES-045: keys below next - 64 are erased");
    for (n, sent_key) in sent.iter().enumerate().take(64) {
        assert!(!pair.responder.holds_secret_for_testing_only(sent_key.1.as_bytes()), "SES-043: key {n} kept");
    }
    receive(&mut pair.responder, 190);
    let mut kept: Vec<u32> = pair.responder.skipped_indices().collect();
    kept.sort_unstable();
    assert_eq!(kept, (128..190).collect::<Vec<u32>>(), "SES-045: 127 was received, 64..126 left the window");
    assert_eq!(pair.responder.receive(&sent[126].0).map(|r| r.index()), Err(SessionError::TooOld));
}

/// The `fault-injection` hook leaves out exactly one check of SES-025: a signed prekey whose
/// signature is broken (SES-015) is accepted, and gives the same handshake as a sound one (the
/// signature is not part of the transcript); an expired one is still refused, and the real
/// initiator refuses the broken signature.
#[test]
fn the_fault_injection_hook_skips_only_the_signed_prekey_signature() {
    let (a, b) = (dev("alice", "alice-phone"), dev("bob", "bob-phone"));
    let sound = b.published();
    let mut forged = b.published();
    *forged.spk.last_mut().expect("a signature") ^= 0x01;
    let run = |published: &Published<'_>, now: u64, skip: bool| {
        let peer = published.bundle(None);
        let mut rng = ReplayRng::new(&[7; 32]);
        let result = if skip {
            session::initiate_traced_without_prekey_signature_check_for_testing_only(&a.me(), &peer, &mut rng, now)
        } else {
            session::initiate_traced_for_testing_only(&a.me(), &peer, &mut rng, now)
        };
        result.map(|(initiated, trace)| (initiated.message.to_vec(), trace.transcript_hash))
    };
    assert_eq!(run(&forged, T0, false).err(), Some(SessionError::AuthenticationFailed), "SES-015");
    let skipped = run(&forged, T0, true).expect("the hook does not look at the signature");
    assert_eq!(Ok(skipped), run(&sound, T0, false), "the same handshake as with the sound prekey");
    let expiry = T0 + 86_400;
    assert!(run(&forged, expiry - 1, true).is_ok(), "in force until its last second");
    assert_eq!(run(&forged, expiry, true).err(), Some(SessionError::Expired), "the expiry is still checked");
    assert_eq!(run(&sound, expiry, true).err(), Some(SessionError::Expired));
}

/// What an ID, an error and a secret look like when printed: an ID shows its bytes (as text when
/// they are UTF-8), an error its spec code and what it refused, a secret only its type name.
#[test]
fn ids_errors_and_secrets_print_what_helps_and_nothing_secret() {
    assert_eq!(format!("{:?}", id(b"bob-phone")), "Id(\"bob-phone\")");
    assert_eq!(format!("{:?}", id(&[0xff, 0x00])), "Id([ff, 00])");
    assert_eq!(
        SessionError::Decode(DecodeError::Truncated("init message")).to_string(),
        "session.truncated: input ends inside init message"
    );
    assert_eq!(SessionError::UnknownVersion(2).to_string(), "session.unknown_version: 0x02");
    assert_eq!(SessionError::UnknownSuite(0xab).to_string(), "session.unknown_suite: 0xab");
    assert_eq!(SessionError::ReservedBits(0x80).to_string(), "session.reserved_bits: 0x80");
    assert_eq!(SessionError::Replay.to_string(), "session.replay");
    assert_eq!(format!("{:?}", X25519Secret::from_bytes([0x5a; 32])), "X25519Secret { .. }");
    assert_eq!(format!("{:?}", SigningSecret::from_bytes([0x5a; 32])), "SigningSecret { .. }");
    let (a, b) = (dev("alice", "alice-phone"), dev("bob", "bob-phone"));
    let (_, key) = handshake(&a, &b, None, [3; 32]).initiator.send(T0).expect("a fresh session sends");
    assert_eq!(format!("{key:?}"), "MessageKey { .. }");
}

/// An ID hashes as its bytes do, so equal IDs hash alike and different ones apart.
#[test]
fn an_id_hashes_its_bytes() {
    use core::hash::{Hash, Hasher};
    use std::hash::DefaultHasher;
    fn hash_of(value: &(impl Hash + ?Sized)) -> u64 {
        let mut hasher = DefaultHasher::new();
        value.hash(&mut hasher);
        hasher.finish()
    }
    assert_eq!(hash_of(&id(b"bob-phone")), hash_of(b"bob-phone".as_slice()));
    assert_ne!(hash_of(&id(b"bob-phone")), hash_of(&id(b"bob-laptop")));
}

/// Every accessor gives back what was issued, signed or written, and the init message's bounds are
/// the lengths of its shortest and longest encodings (SES-020).
#[test]
fn accessors_give_back_what_was_written() {
    let root = SigningSecret::from_bytes(seed("root", 9));
    let (account, device) = (id(b"acct"), id(b"dev-1"));
    let cert = Certificate::issue(&root, &account, &device, [2; 32], [3; 32], T0 - 10, T0 + 99);
    assert_eq!((cert.account(), cert.device()), (&account, &device));
    assert_eq!((cert.identity_key(), cert.signing_key()), (&[2; 32], &[3; 32]));
    assert_eq!((cert.not_before(), cert.not_after()), (T0 - 10, T0 + 99));
    let spk = SignedPrekey::sign(&root, &account, &device, 7, [4; 32], T0 + 50);
    assert_eq!((spk.id(), spk.public_key(), spk.not_after()), (7, &[4; 32], T0 + 50));

    let (a, b) = (dev("alice", "alice-phone"), dev("bob", "bob-phone"));
    let pair = handshake(&a, &b, Some(2), [5; 32]);
    let m = &pair.message;
    assert_eq!(m.initiator(), &a.cert);
    assert_eq!((m.responder_account(), m.responder_device()), (b.cert.account(), b.cert.device()));
    assert_eq!((m.signed_prekey_id(), m.one_time_prekey_id()), (1, Some(2)));
    assert_eq!(m.ephemeral_key(), &X25519Secret::from_bytes([5; 32]).public_key());
    assert_eq!(&m.to_vec()[m.encoded_len() - 32..], m.confirm());
    // The same message naming signed prekey 5 and one-time prekey 6 (IDs before the two 32-byte keys).
    let mut renamed = m.to_vec();
    let at = renamed.len() - 72;
    renamed[at..at + 8].copy_from_slice(&[0, 0, 0, 5, 0, 0, 0, 6]);
    let renamed = InitMessage::decode(&renamed).expect("IDs are not checked by decoding");
    assert_eq!((renamed.signed_prekey_id(), renamed.one_time_prekey_id()), (5, Some(6)));

    let (short_a, short_b) = (dev("a", "b"), dev("c", "d"));
    assert_eq!(handshake(&short_a, &short_b, None, [6; 32]).message.to_vec().len(), InitMessage::MIN_LEN);
    let (x, y) = ("x".repeat(64), "y".repeat(64));
    let (long_a, long_b) = (dev(&x, &y), dev(&y, &x));
    assert_eq!(handshake(&long_a, &long_b, Some(1), [7; 32]).message.to_vec().len(), InitMessage::MAX_LEN);
}

/// A prekey store and a handshake trace print IDs and the transcript hash, never a secret; a
/// network setup error says what is wrong.
#[test]
fn stores_traces_and_setup_errors_print_without_secrets() {
    let b = dev("bob", "bob-phone");
    let mut store = b.store(&[1, 2]);
    store.record_used_one_time_prekey(1);
    assert_eq!(format!("{store:?}"), "PrekeyStore { signed: [1], one_time: [2], used: {1}, .. }");

    let a = dev("alice", "alice-phone");
    let published = b.published();
    let (_, trace) =
        session::initiate_traced_for_testing_only(&a.me(), &published.bundle(None), &mut ReplayRng::new(&[8; 32]), T0)
            .expect("a sound bundle");
    let printed = format!("{trace:?}");
    assert_eq!(printed, format!("Trace {{ transcript_hash: {:?}, .. }}", trace.transcript_hash));
    assert!(!printed.contains(&format!("{:?}", &trace.confirm_key[..])));

    let (acct, dev_id) = (id(b"acct"), id(b"dev"));
    let cases = [
        (SetupError::DuplicateAccount(acct), "account Id(\"acct\") is listed twice"),
        (SetupError::DuplicateDevice(dev_id), "device Id(\"dev\") is listed twice"),
        (SetupError::UnknownAccount(acct), "a device belongs to account Id(\"acct\"), which is not listed"),
        (SetupError::DuplicatePrekey(3), "one-time prekey 3 is listed twice"),
        (SetupError::TooLarge, "more than 65535 accounts, devices or one-time prekeys"),
    ];
    for (error, message) in cases {
        assert_eq!(error.to_string(), message);
    }
}

/// A network answers for the status of its accounts and devices (and for nothing else), prints
/// them without a key, and a step's error prints as its code.
#[test]
fn a_network_reports_statuses_and_prints_without_keys() {
    use cinder::envelope::{EnvelopeError, SealedProblem};
    use cinder::session::{AccountStatus, DeviceStatus, StepError};
    let mut net = network_ab(false, &[]);
    assert_eq!(net.account_status(b"a"), Some(AccountStatus::Active));
    assert_eq!(
        (net.device_status(b"p"), net.device_status(b"q")),
        (Some(DeviceStatus::Member), Some(DeviceStatus::Pending))
    );
    assert_eq!((net.account_status(b"z"), net.device_status(b"z")), (None, None));
    net.handle(Event::Terminate(b"b"), T0, &mut ReplayRng::new(&[])).expect("b is terminated");
    assert_eq!(net.account_status(b"b"), Some(AccountStatus::Terminated));
    assert_eq!(net.device_status(b"q"), Some(DeviceStatus::Terminated));
    assert_eq!(
        format!("{net:?}"),
        "Network { accounts: [(Id(\"a\"), Active), (Id(\"b\"), Terminated)], \
         devices: [(Id(\"p\"), Member), (Id(\"q\"), Terminated)], .. }"
    );
    assert_eq!(StepError::Session(SessionError::Terminated).to_string(), "session.terminated");
    let refused = StepError::Envelope(EnvelopeError::InvalidSealed(SealedProblem::Bor));
    assert!(refused.to_string().starts_with("envelope.invalid_sealed"), "{refused}");
}

/// A skipped message's key is held by the network until that message arrives (SES-045, SES-044):
/// the control for the tests that assert a secret is no longer held.
#[test]
fn a_network_holds_a_skipped_key_until_its_message_arrives() {
    let mut net = network_ab(true, &[]);
    let mut no_rng = ReplayRng::new(&[]);
    net.handle(
        Event::Handshake { initiator: b"p", responder: b"q", one_time_prekey: None },
        T0,
        &mut ReplayRng::new(&[4; 32]),
    )
    .expect("handshake");
    let mut sent = Vec::new();
    for _ in 0..2 {
        match net.handle(Event::Send { from: b"p", to: b"q" }, T0 + 1, &mut no_rng) {
            Ok(Output::Sent { header, message_key }) => sent.push((header.to_bytes(), *message_key.as_bytes())),
            other => panic!("a send output, not {other:?}"),
        }
    }
    assert!(!net.holds_secret_for_testing_only(&sent[0].1), "SES-042: the sender keeps no sent key");
    net.handle(Event::Receive { to: b"q", header: &sent[1].0 }, T0 + 2, &mut no_rng).expect("index 1 arrives");
    assert!(net.holds_secret_for_testing_only(&sent[0].1), "SES-045: index 0's key is kept for it");
    net.handle(Event::Receive { to: b"q", header: &sent[0].0 }, T0 + 3, &mut no_rng).expect("index 0 arrives");
    assert!(!net.holds_secret_for_testing_only(&sent[0].1), "SES-044: a used key is erased");
}

/// A session and a receipt print their public state and index, never a key.
#[test]
fn sessions_and_receipts_print_without_keys() {
    let (a, b) = (dev("alice", "alice-phone"), dev("bob", "bob-phone"));
    let mut pair = handshake(&a, &b, None, [2; 32]);
    let printed = format!("{:?}", pair.initiator);
    assert_eq!(printed, format!("Session {{ state: {:?}, .. }}", pair.initiator.state()));
    let (header, _) = pair.initiator.send(T0 + 6).expect("send");
    let receipt = pair.responder.receive(&header).expect("index 0");
    assert_eq!(format!("{receipt:?}"), "Receipt { index: 0, .. }");
}
