//! Device sessions (spec/session.md), measured against the raw primitives they are built from, in
//! the same run.
//!
//! Criterion group `session`: the handshake (`initiate`, `respond`, and both, with and without a
//! one-time prekey), one ratchet step as a sender (`send`) and as a receiver (`receive[in-order]`,
//! and `receive[skip=63]`, the longest step the window allows), and the primitives one by one
//! through `cinder::primitives`: X25519, Ed25519 verification, HKDF of the key schedule, and
//! HKDF-Expand of one chain step. Then a "ratio check" divides each operation by the primitives it
//! performs: a handshake side by its X25519 calls, signature checks and HKDF (the rest is
//! transcript hashing and bookkeeping), a ratchet step by one HKDF-Expand of 64 bytes (goal: at most
//! 1.1). How to run and read it: `benches/README.md`.

use core::hint::black_box;
use core::time::Duration;

use cinder::primitives;
use cinder::session::{PrekeyStore, SessionHeader, X25519Secret};
use cinder_benches::pair::{Fixture, T0, seed};
use cinder_benches::{RunMode, cpu_model, fastest, time_per_call};
use criterion::{BatchSize, Criterion};

/// The chain step's label (spec/session.md, SES-040), repeated here so that the baseline is built
/// from the spec, not from the code under test.
const STEP_LABEL: &[u8] = b"cinder-ses-v1 step";
const KEYS_LABEL: &[u8] = b"cinder-ses-v1 keys";
/// Goal from the issue: a ratchet step costs at most this much more than one HKDF-Expand.
const STEP_GOAL: f64 = 1.1;

fn name(op: &str, opk: bool) -> String {
    format!("{op}[opk={}]", if opk { "yes" } else { "no" })
}

fn bench_session(c: &mut Criterion, fixture: &Fixture) {
    let mut group = c.benchmark_group("session");
    for opk in [true, false] {
        group.bench_function(name("initiate", opk), |b| b.iter(|| black_box(fixture.initiate(opk))));
        let message = fixture.initiate(opk).message;
        group.bench_function(name("respond", opk), |b| {
            b.iter_batched(
                || fixture.store(),
                |mut store| black_box(fixture.respond(&mut store, &message)),
                BatchSize::SmallInput,
            );
        });
        group.bench_function(name("handshake", opk), |b| {
            b.iter_batched(
                || fixture.store(),
                |mut store| {
                    let initiated = fixture.initiate(opk);
                    black_box(fixture.respond(&mut store, &initiated.message))
                },
                BatchSize::SmallInput,
            );
        });
    }
    group.bench_function("send", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            let mut left = iterations;
            while left > 0 {
                let (mut sender, _) = fixture.pair();
                let n = left.min(60_000);
                let start = std::time::Instant::now();
                for _ in 0..n {
                    black_box(sender.send(T0).expect("within the limits"));
                }
                total += start.elapsed();
                left -= n;
            }
            total
        });
    });
    for skip in [0u32, 63] {
        let label = if skip == 0 { "receive[in-order]".to_owned() } else { format!("receive[skip={skip}]") };
        group.bench_function(label, |b| {
            b.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                let mut left = iterations;
                while left > 0 {
                    let (_, mut receiver) = fixture.pair();
                    let id = receiver.id();
                    let n = left.min(60_000 / u64::from(skip + 1));
                    let start = std::time::Instant::now();
                    for i in 0..n {
                        let index = u32::try_from(i).expect("below 60,000") * (skip + 1) + skip;
                        let receipt =
                            receiver.receive(&SessionHeader { session_id: id, index }).expect("in the window");
                        black_box(receipt.commit());
                    }
                    total += start.elapsed();
                    left -= n;
                }
                total
            });
        });
    }
    let (secret, public) = (seed("x25519", 0), X25519Secret::from_bytes(seed("x25519", 1)).public_key());
    group.bench_function("x25519", |b| b.iter(|| black_box(primitives::x25519(black_box(&secret), &public))));
    let (cert_message, cert_sig) = signed_statement();
    group.bench_function("ed25519_verify", |b| {
        b.iter(|| black_box(primitives::ed25519_verify(&cert_sig.0, black_box(&cert_message), &cert_sig.1)));
    });
    group.bench_function("hkdf[len=112]", |b| b.iter(|| black_box(raw_key_schedule(black_box(&[7; 32])))));
    group.bench_function("hkdf_expand[len=64]", |b| {
        let mut ck = [9u8; 32];
        b.iter(|| ck = raw_step(black_box(&ck)).1);
    });
    group.finish();
}

/// A certificate-sized statement and its signature, for the raw Ed25519 baseline.
fn signed_statement() -> (Vec<u8>, ([u8; 32], [u8; 64])) {
    let key = seed("ed25519", 0);
    let message = vec![0x61; 230];
    let signature = primitives::ed25519_sign(&key, &message);
    (message, (primitives::ed25519_public(&key), signature))
}

/// `HKDF(salt = th, IKM = 4 DH values, info = "cinder-ses-v1 keys", 112)`, as SES-024 lays it out.
fn raw_key_schedule(th: &[u8; 32]) -> [u8; 112] {
    let mut okm = [0u8; 112];
    primitives::hkdf(th, &[0x33; 128], KEYS_LABEL, &mut okm).expect("112 bytes");
    okm
}

/// One chain step as SES-040 lays it out: `HKDF-Expand(ck, "cinder-ses-v1 step", 64)`.
fn raw_step(ck: &[u8; 32]) -> ([u8; 32], [u8; 32]) {
    let mut okm = [0u8; 64];
    primitives::hkdf_expand(ck, STEP_LABEL, &mut okm).expect("64 bytes");
    let (mk, next) = okm.split_at(32);
    (mk.try_into().expect("32 bytes"), next.try_into().expect("32 bytes"))
}

struct Measured {
    x25519: Duration,
    verify: Duration,
    hkdf: Duration,
    expand: Duration,
    initiate: [Duration; 2],
    respond: [Duration; 2],
    send: Duration,
    receive: Duration,
    receive_skip: Duration,
    hmac: Duration,
}

fn measure(mode: RunMode, fixture: &Fixture) -> Measured {
    // Measure: 7 alternating trials; test: one tiny batch each, only to exercise the code.
    let (trials, steps, handshakes, rounds): (usize, u32, u32, u32) =
        if mode == RunMode::Measure { (7, 50_000, 40, 25) } else { (1, 64, 1, 1) };
    let mut t: [Vec<Duration>; 12] = Default::default();
    let (secret, public) = (seed("x25519", 0), X25519Secret::from_bytes(seed("x25519", 1)).public_key());
    let (message, (key, signature)) = signed_statement();
    for _ in 0..trials {
        t[0].push(time_per_call(handshakes * 5, || {
            black_box(primitives::x25519(black_box(&secret), &public).expect("not small order"));
        }));
        t[1].push(time_per_call(handshakes * 3, || {
            primitives::ed25519_verify(&key, black_box(&message), &signature).expect("valid");
        }));
        t[2].push(time_per_call(steps / 10, || {
            black_box(raw_key_schedule(black_box(&[7; 32])));
        }));
        for (n, opk) in [true, false].into_iter().enumerate() {
            t[4 + n].push(time_per_call(handshakes, || drop(black_box(fixture.initiate(opk)))));
            let init = fixture.initiate(opk).message;
            let mut stores = (0..handshakes).map(|_| fixture.store()).collect::<Vec<PrekeyStore>>().into_iter();
            t[6 + n].push(time_per_call(handshakes, || {
                let mut store = stores.next().unwrap_or_else(|| fixture.store());
                drop(black_box(fixture.respond(&mut store, &init)));
            }));
        }
        // The ratchet steps and their baseline in small alternating batches, so that the noise of a
        // shared machine hits all three alike; each session end stays below 65,536 steps.
        let (mut sender, mut receiver) = fixture.pair();
        let sid = receiver.id();
        let (mut ck, mut index) = ([9u8; 32], 0);
        for _ in 0..rounds {
            t[3].push(time_per_call(steps / rounds, || ck = raw_step(black_box(&ck)).1));
            t[11].push(time_per_call(steps / rounds, || ck = primitives::hmac_sha256(black_box(&ck), STEP_LABEL)));
            t[8].push(time_per_call(steps / rounds, || drop(black_box(sender.send(T0).expect("within the limits")))));
            t[9].push(time_per_call(steps / rounds, || {
                let receipt = receiver.receive(&SessionHeader { session_id: sid, index }).expect("in order");
                drop(black_box(receipt.commit()));
                index += 1;
            }));
        }
        let (_, mut receiver) = fixture.pair();
        let sid = receiver.id();
        let mut index = 63;
        t[10].push(time_per_call(steps / 64, || {
            let receipt = receiver.receive(&SessionHeader { session_id: sid, index }).expect("63 ahead");
            drop(black_box(receipt.commit()));
            index += 64;
        }));
    }
    let f = |n: usize| fastest(&t[n]);
    Measured {
        x25519: f(0),
        verify: f(1),
        hkdf: f(2),
        expand: f(3),
        initiate: [f(4), f(5)],
        respond: [f(6), f(7)],
        send: f(8),
        receive: f(9),
        receive_skip: f(10),
        hmac: f(11),
    }
}

fn nanos(d: Duration) -> f64 {
    d.as_secs_f64() * 1e9
}

fn report(mode: RunMode, fixture: &Fixture) {
    let m = measure(mode, fixture);
    let judge = |ratio: f64, goal: f64| match mode {
        RunMode::Measure if ratio <= goal => "ok",
        RunMode::Measure => "ABOVE GOAL",
        RunMode::Test | RunMode::List | RunMode::Profile => "not judged in test mode",
    };
    println!();
    println!("==================== session: ratio check ====================");
    if mode == RunMode::Test {
        println!("(test mode: one tiny batch each, so the numbers below mean nothing)");
    }
    println!("cpu: {} (one core; fastest of 7 alternating batches)", cpu_model());
    println!("primitives, through cinder::primitives:");
    println!("  X25519                                          {:>10.1} ns", nanos(m.x25519));
    println!("  Ed25519 verification (strict), 230-byte statement {:>8.1} ns", nanos(m.verify));
    println!("  HKDF of the key schedule (extract + 112 bytes)  {:>10.1} ns", nanos(m.hkdf));
    println!("  HKDF-Expand of one chain step (64 bytes)        {:>10.1} ns", nanos(m.expand));
    println!("  HMAC-SHA256 with its key schedule (one block)   {:>10.1} ns", nanos(m.hmac));
    println!("handshake, each side over its primitives (SES-025, SES-026):");
    for (n, opk) in [true, false].into_iter().enumerate() {
        let dh = if opk { 4.0 } else { 3.0 };
        // The initiator also computes EK's public key (one more scalar multiplication) and checks two
        // signatures; the responder checks one.
        let initiator_base = m.x25519.as_secs_f64() * (dh + 1.0) + m.verify.as_secs_f64() * 2.0 + m.hkdf.as_secs_f64();
        let responder_base = m.x25519.as_secs_f64() * dh + m.verify.as_secs_f64() + m.hkdf.as_secs_f64();
        println!(
            "  {:<20} {:>10.1} ns = {:.3} x ({} X25519 + 2 Ed25519 verify + HKDF)",
            name("initiate", opk),
            nanos(m.initiate[n]),
            m.initiate[n].as_secs_f64() / initiator_base,
            dh + 1.0
        );
        println!(
            "  {:<20} {:>10.1} ns = {:.3} x ({} X25519 + 1 Ed25519 verify + HKDF)",
            name("respond", opk),
            nanos(m.respond[n]),
            m.respond[n].as_secs_f64() / responder_base,
            dh
        );
    }
    println!("ratchet step over one HKDF-Expand of 64 bytes (SES-040; goal <= {STEP_GOAL}):");
    for (label, time) in [("send", m.send), ("receive[in-order]", m.receive)] {
        let ratio = time.as_secs_f64() / m.expand.as_secs_f64();
        println!(
            "  {label:<20} {:>10.1} ns = {ratio:.3} x  ({}); {:.3} x one HMAC-SHA256 (a step is two)",
            nanos(time),
            judge(ratio, STEP_GOAL),
            time.as_secs_f64() / m.hmac.as_secs_f64()
        );
    }
    let skip = m.receive_skip.as_secs_f64() / (64.0 * m.expand.as_secs_f64());
    println!(
        "  receive[skip=63]     {:>10.1} ns = {skip:.3} x 64 HKDF-Expands (63 skipped keys kept, then the message's)",
        nanos(m.receive_skip)
    );
    println!("=================================================================");
}

fn main() {
    let mode = RunMode::from_args(std::env::args().skip(1));
    let fixture = Fixture::new();
    let mut criterion = Criterion::default().configure_from_args();
    bench_session(&mut criterion, &fixture);
    criterion.final_summary();
    if mode.reports() {
        report(mode, &fixture);
    }
}
