//! Cinder side by side with what a messenger team would pick instead (issue 16), in the same run.
//!
//! Criterion group `peers`, each benchmark named `<operation>[<side>]`:
//! - `setup[cinder]`: `session::initiate` (with a one-time prekey) and `session::respond`;
//!   `setup[olm]`: vodozemac's `create_outbound_session` from a one-time key, the first (empty)
//!   pre-key message it must send, and `create_inbound_session` from it.
//! - `message_1k[...]`: one 1 KiB message sent and received on an established session. Cinder:
//!   `Session::send`, `envelope::seal` for one recipient, `Session::receive`, `envelope::open`,
//!   commit. Olm: `Session::encrypt` and `Session::decrypt` (after one reply, so normal messages).
//! - `skip_50[...]`: receiving the message 50 ahead of the next expected one (deriving and keeping
//!   the 50 skipped keys), then opening it.
//! - `guess[...]`: one identifier guess against the public-salt layer: Cinder's `client_hash` at its
//!   default rounds (PBKDF2-HMAC-SHA256, 20,000) vs RustCrypto `argon2` at its default parameters
//!   (Argon2id, 19 MiB, 2 passes, 1 lane), memory allocated beforehand as a guessing attacker would.
//!
//! Then a "ratio check" times each pair alternately (fastest of 7) and prints Cinder / peer and the
//! bytes on the wire. How to run and read it: `benches/README.md`.

use core::hint::black_box;
use core::time::Duration;

use argon2::{Argon2, Block};
use cinder::envelope::{self, ContentType};
use cinder::identity::{self, ClientSalt, IdentifierKind, IdentityHash, Rounds};
use cinder::session::{HEADER_LEN, PrekeyStore, Session, SessionHeader};
use cinder::testing::ReplayRng;
use cinder_benches::pair::{Fixture, T0};
use cinder_benches::{RunMode, cpu_model, fastest};
use criterion::{BatchSize, Criterion};
use vodozemac::Curve25519PublicKey;
use vodozemac::olm::{Account, OlmMessage, Session as OlmSession, SessionConfig};

const BODY: [u8; 1024] = [0x61; 1024];
const SKIP: u32 = 50;
const ALICE_DEVICE: &[u8] = b"alice-phone";
const BOB_DEVICE: &[u8] = b"bob-phone";
const SALT: &[u8] = b"cinder benchmark client salt, 32";
const PHONE: &[u8] = b"+1 (555) 010-9999";
/// Goal from issue 16: Cinder's send and receive at one recipient no slower than Olm's.
const MESSAGE_GOAL: f64 = 1.0;

/// What `setup[cinder]` measures: `initiate` with Bob's one-time prekey, and `respond`. Returns the
/// init message's length too.
fn cinder_setup(cinder: &Fixture, store: &mut PrekeyStore) -> (Session, Session, usize) {
    let initiated = cinder.initiate(true);
    let responder = cinder.respond(store, &initiated.message);
    (initiated.session, responder, initiated.message.encoded_len())
}

/// One message as it goes on the wire: the session header and the envelope.
struct Wire {
    header: [u8; HEADER_LEN],
    envelope: Vec<u8>,
}

fn cinder_send(sender: &mut Session, body: &[u8]) -> Wire {
    let (header, key) = sender.send(T0).expect("within the session's limits");
    let envelope_header = envelope::Header {
        message_id: [0x42; 16],
        conversation_id: b"room-42",
        sender_device: ALICE_DEVICE,
        sent_at: T0,
        ttl: 86_400,
        padded: false,
    };
    let content = envelope::Content { bor: 0, content_type: ContentType::Text, body };
    let mut recipients = [envelope::Recipient { device: BOB_DEVICE, wrap_key: key.as_bytes() }];
    let len = envelope::sealed_len(&envelope_header, &recipients, body.len()).expect("within bounds");
    let mut out = vec![0u8; len];
    let written = envelope::seal(&envelope_header, &content, &mut recipients, &mut ReplayRng::new(&[7; 32]), &mut out)
        .expect("a valid envelope");
    out.truncate(written);
    Wire { header: header.to_bytes(), envelope: out }
}

/// Receives and opens `wire`, commits the receive, and returns the body's length.
fn cinder_receive(receiver: &mut Session, wire: &Wire, plain: &mut [u8]) -> usize {
    let header = SessionHeader::decode(&wire.header).expect("a valid header");
    let receipt = receiver.receive(&header).expect("in the window");
    let opened =
        envelope::open(&wire.envelope, BOB_DEVICE, receipt.message_key().as_bytes(), plain).expect("authentic");
    let len = opened.body.len();
    drop(receipt.commit());
    len
}

/// Bob's Olm account with one published one-time key, as a fresh inbound setup needs it.
struct OlmBob {
    account: Account,
    identity_key: Curve25519PublicKey,
    one_time_key: Curve25519PublicKey,
}

fn olm_bob() -> OlmBob {
    let mut account = Account::new();
    account.generate_one_time_keys(1);
    let one_time_key = *account.one_time_keys().values().next().expect("one key was generated");
    account.mark_keys_as_published();
    OlmBob { identity_key: account.curve25519_key(), account, one_time_key }
}

/// What `setup[olm]` measures: the outbound session, its first message (empty: Olm has no other way
/// to deliver the base key), and the inbound session, which decrypts it. Returns the first
/// message's length too.
fn olm_setup(alice: &Account, mut bob: OlmBob) -> (OlmSession, OlmSession, usize) {
    let mut outbound = alice
        .create_outbound_session(SessionConfig::version_1(), bob.identity_key, bob.one_time_key)
        .expect("a contributory key");
    let first = outbound.encrypt(b"").expect("a fresh session encrypts");
    let OlmMessage::PreKey(pre_key) = &first else {
        unreachable!("a session that has not received yet sends pre-key messages")
    };
    let inbound = bob
        .account
        .create_inbound_session(SessionConfig::version_1(), alice.curve25519_key(), pre_key)
        .expect("a valid pre-key message");
    (outbound, inbound.session, first.to_parts().1.len())
}

/// An established Olm pair: set up, then one reply, so that the initiator sends normal messages.
fn olm_pair(alice: &Account) -> (OlmSession, OlmSession) {
    let (mut a, mut b, _) = olm_setup(alice, olm_bob());
    let reply = b.encrypt(b"").expect("an inbound session encrypts");
    a.decrypt(&reply).expect("the reply decrypts");
    (a, b)
}

fn olm_message(sender: &mut OlmSession, receiver: &mut OlmSession) -> Vec<u8> {
    let message = sender.encrypt(BODY).expect("an established session encrypts");
    receiver.decrypt(&message).expect("in order")
}

fn salt() -> ClientSalt<'static> {
    ClientSalt::new(SALT).expect("benchmark salt is within bounds")
}

fn pbkdf2_guess() -> IdentityHash {
    identity::client_hash(IdentifierKind::Phone, black_box(PHONE), &salt(), Rounds::DEFAULT_CLIENT)
        .expect("a valid phone number")
}

/// RustCrypto's `Argon2::default()` (Argon2id, version 0x13, its recommended parameters) with the
/// block memory allocated once, as a guessing attacker reuses it.
struct Argon {
    hasher: Argon2<'static>,
    memory: Vec<Block>,
}

impl Argon {
    fn new() -> Self {
        let hasher = Argon2::default();
        let memory = vec![Block::default(); hasher.params().block_count()];
        Self { hasher, memory }
    }

    fn guess(&mut self) -> [u8; 32] {
        let mut out = [0u8; 32];
        self.hasher
            .hash_password_into_with_memory(black_box(b"+15550109999"), SALT, &mut out, &mut self.memory)
            .expect("valid parameters");
        out
    }
}

fn bench_peers(c: &mut Criterion, cinder: &Fixture, olm_alice: &Account) {
    let mut group = c.benchmark_group("peers");
    group.bench_function("setup[cinder]", |b| {
        b.iter_batched(
            || cinder.store(),
            |mut store| black_box(cinder_setup(cinder, &mut store)),
            BatchSize::SmallInput,
        );
    });
    group.bench_function("setup[olm]", |b| {
        b.iter_batched(olm_bob, |bob| black_box(olm_setup(olm_alice, bob)), BatchSize::SmallInput);
    });
    group.bench_function("message_1k[cinder]", |b| {
        let mut plain = vec![0u8; 2048];
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            let mut left = iterations;
            while left > 0 {
                let (mut sender, mut receiver) = cinder.pair();
                let n = left.min(60_000);
                let start = std::time::Instant::now();
                for _ in 0..n {
                    let wire = cinder_send(&mut sender, black_box(&BODY));
                    black_box(cinder_receive(&mut receiver, &wire, &mut plain));
                }
                total += start.elapsed();
                left -= n;
            }
            total
        });
    });
    group.bench_function("message_1k[olm]", |b| {
        let (mut sender, mut receiver) = olm_pair(olm_alice);
        b.iter(|| black_box(olm_message(&mut sender, &mut receiver)));
    });
    group.bench_function(format!("skip_{SKIP}[cinder]"), |b| {
        let mut plain = vec![0u8; 2048];
        b.iter_batched(
            || cinder_skip_state(cinder),
            |(mut receiver, wire)| {
                let len = cinder_receive(&mut receiver, &wire, &mut plain);
                (receiver, len)
            },
            BatchSize::SmallInput,
        );
    });
    group.bench_function(format!("skip_{SKIP}[olm]"), |b| {
        b.iter_batched(
            || olm_skip_state(olm_alice),
            |(mut receiver, message)| {
                let plain = receiver.decrypt(&message).expect("within the gap");
                (receiver, plain)
            },
            BatchSize::SmallInput,
        );
    });
    group.sample_size(10);
    group.bench_function("guess[cinder-pbkdf2,rounds=20000]", |b| b.iter(|| black_box(pbkdf2_guess())));
    let mut argon = Argon::new();
    group.bench_function("guess[argon2id,m=19MiB,t=2,p=1]", |b| b.iter(|| black_box(argon.guess())));
    group.finish();
}

/// A receiver and the message `SKIP` ahead of the one it expects next.
fn cinder_skip_state(cinder: &Fixture) -> (Session, Wire) {
    let (mut sender, receiver) = cinder.pair();
    for _ in 0..SKIP {
        drop(sender.send(T0).expect("within the limits"));
    }
    (receiver, cinder_send(&mut sender, &BODY))
}

fn olm_skip_state(alice: &Account) -> (OlmSession, OlmMessage) {
    let (mut sender, receiver) = olm_pair(alice);
    for _ in 0..SKIP {
        drop(sender.encrypt(BODY).expect("encrypts"));
    }
    (receiver, sender.encrypt(BODY).expect("encrypts"))
}

/// Mean time of `routine` over `n` states built beforehand by `setup`. Neither building the states
/// nor dropping what `routine` returns (sessions, whose drop erases their keys) is timed.
fn time_with_states<S, O>(n: u32, mut setup: impl FnMut() -> S, mut routine: impl FnMut(S) -> O) -> Duration {
    let n = n.max(1);
    let states: Vec<S> = (0..n).map(|_| setup()).collect();
    let mut outputs = Vec::with_capacity(states.len());
    let start = std::time::Instant::now();
    for state in states {
        outputs.push(black_box(routine(state)));
    }
    let elapsed = start.elapsed();
    drop(outputs);
    elapsed / n
}

/// Fastest-of-trials times of one comparison: Cinder's and the peer's.
#[derive(Default)]
struct Pair {
    cinder: Vec<Duration>,
    peer: Vec<Duration>,
}

impl Pair {
    fn ratio(&self) -> (Duration, Duration, f64) {
        let (c, p) = (fastest(&self.cinder), fastest(&self.peer));
        (c, p, c.as_secs_f64() / p.as_secs_f64())
    }
}

fn report(mode: RunMode, cinder: &Fixture, olm_alice: &Account) {
    // Measure: 7 alternating trials; test: one call each, only to exercise the code.
    let (trials, setups, messages, guesses): (usize, u32, u32, u32) =
        if mode == RunMode::Measure { (7, 40, 2_000, 3) } else { (1, 1, 1, 1) };
    let (mut setup, mut message, mut skip, mut guess) =
        (Pair::default(), Pair::default(), Pair::default(), Pair::default());
    let mut plain = vec![0u8; 2048];
    let mut argon = Argon::new();
    for _ in 0..trials {
        setup.cinder.push(time_with_states(setups, || cinder.store(), |mut s| cinder_setup(cinder, &mut s)));
        setup.peer.push(time_with_states(setups, olm_bob, |bob| olm_setup(olm_alice, bob)));
        let (mut sender, mut receiver) = cinder.pair();
        message.cinder.push(time_with_states(
            messages,
            || (),
            |()| {
                let wire = cinder_send(&mut sender, black_box(&BODY));
                cinder_receive(&mut receiver, &wire, &mut plain)
            },
        ));
        let (mut sender, mut receiver) = olm_pair(olm_alice);
        message.peer.push(time_with_states(messages, || (), |()| olm_message(&mut sender, &mut receiver).len()));
        skip.cinder.push(time_with_states(
            setups,
            || cinder_skip_state(cinder),
            |(mut r, wire)| {
                let len = cinder_receive(&mut r, &wire, &mut plain);
                (r, len)
            },
        ));
        skip.peer.push(time_with_states(
            setups,
            || olm_skip_state(olm_alice),
            |(mut r, m)| {
                let plain = r.decrypt(&m).expect("within the gap");
                (r, plain)
            },
        ));
        guess.cinder.push(time_with_states(
            guesses,
            || (),
            |()| {
                black_box(pbkdf2_guess());
            },
        ));
        guess.peer.push(time_with_states(
            guesses,
            || (),
            |()| {
                black_box(argon.guess());
            },
        ));
    }

    // Bytes on the wire.
    let (_, _, init_len) = cinder_setup(cinder, &mut cinder.store());
    let (_, _, pre_key_len) = olm_setup(olm_alice, olm_bob());
    let (mut sender, _) = cinder.pair();
    let wire = cinder_send(&mut sender, &BODY);
    let (mut olm_sender, _) = olm_pair(olm_alice);
    let olm_len = olm_sender.encrypt(BODY).expect("encrypts").to_parts().1.len();

    println!();
    println!("peers: ratio check (Cinder / peer), fastest of {trials}, on {}", cpu_model());
    if mode == RunMode::Test {
        println!("  (test mode: one call each; these numbers mean nothing)");
    }
    let line = |name: &str, pair: &Pair, goal: Option<f64>| {
        let (c, p, r) = pair.ratio();
        let verdict =
            goal.map_or(String::new(), |g| format!("  goal <= {g:.1}: {}", if r <= g { "met" } else { "missed" }));
        println!("  {name:<38} cinder {c:>12.2?}  peer {p:>12.2?}  ratio {r:>7.3}{verdict}");
    };
    line("setup (vs Olm)", &setup, None);
    line("message 1 KiB send+receive (vs Olm)", &message, Some(MESSAGE_GOAL));
    line(&format!("receive {SKIP} ahead (vs Olm)"), &skip, None);
    line("guess (PBKDF2 20,000 vs Argon2id)", &guess, None);
    println!(
        "  bytes: setup message cinder {init_len} (init) vs olm {pre_key_len} (pre-key, empty body); \
         1 KiB message cinder {} ({} header + {} envelope) vs olm {olm_len}",
        wire.header.len() + wire.envelope.len(),
        wire.header.len(),
        wire.envelope.len(),
    );
}

fn main() {
    let mode = RunMode::from_args(std::env::args().skip(1));
    let cinder = Fixture::new();
    let olm_alice = Account::new();
    let mut criterion = Criterion::default().configure_from_args();
    bench_peers(&mut criterion, &cinder, &olm_alice);
    criterion.final_summary();
    if mode.reports() {
        report(mode, &cinder, &olm_alice);
    }
}
