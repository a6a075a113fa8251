//! Identity hashing (spec/identity.md), measured against raw HMAC-SHA256 in the same run.
//!
//! Criterion group `identity`, then a "ratio check": the per-round cost of `client_hash` over one
//! raw keyed HMAC call (goal: at most 1.05), and what the measured per-identifier cost at the
//! default rounds means for an attacker who enumerates phone numbers or e-mail addresses.
//! How to run and read it: `benches/README.md`.

use core::hint::black_box;
use core::time::Duration;

use cinder::identity::{self, ClientSalt, IdentifierKind, IdentityHash, LookupEntry, Rounds, ServerSecret};
use cinder_benches::{
    BRUTE_FORCE_SCENARIOS, RunMode, cpu_model, exhaustive_search_seconds, fastest, human_duration, per_round_ratio,
    time_per_call,
};
use criterion::{Criterion, SamplingMode};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const SALT: &[u8] = b"cinder benchmark client salt, 32";
const SECRET: [u8; 32] = [0x5a; 32];
/// A PBKDF2 password of the size identity hashing uses (label, 4 header bytes, a phone number).
const HMAC_KEY: &[u8] = b"cinder-idh-v1\x01\x02\x00\x0c+15550109999";
/// One PBKDF2 round hashes the previous 32-byte output.
const HMAC_MSG: [u8; 32] = [0xa5; 32];
const LOOKUP_ENTRIES: usize = 100;

/// A realistic, non-canonical spelling of each kind.
fn sample_input(kind: IdentifierKind) -> &'static [u8] {
    match kind {
        IdentifierKind::UserId => b" Alice.Smith_01 ",
        IdentifierKind::Phone => b"+1 (555) 010-9999",
        IdentifierKind::Email => b" Alice.Smith@Example.COM\n",
        IdentifierKind::DeviceId => b"\x8f\x13\x00\x42device-serial-0001",
    }
}

fn salt() -> ClientSalt<'static> {
    ClientSalt::new(SALT).expect("benchmark salt is within bounds")
}

fn rounds(count: u32) -> Rounds {
    Rounds::new(count).expect("benchmark round count is within bounds")
}

fn keyed_hmac() -> HmacSha256 {
    <HmacSha256 as KeyInit>::new_from_slice(HMAC_KEY).expect("HMAC takes keys of any length")
}

/// One PBKDF2 round's worth of work, done with hmac/sha2 directly: clone the keyed state, hash 32 bytes.
fn raw_round(keyed: &HmacSha256, msg: &[u8; 32]) -> [u8; 32] {
    let mut mac = keyed.clone();
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// The same, with the key schedule (two compression-function calls) redone every time.
fn raw_with_key_setup(msg: &[u8; 32]) -> [u8; 32] {
    let mut mac = keyed_hmac();
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

fn client_hash(count: u32) -> IdentityHash {
    identity::client_hash(IdentifierKind::Phone, black_box(sample_input(IdentifierKind::Phone)), &salt(), rounds(count))
        .expect("sample phone number is valid")
}

/// `LOOKUP_ENTRIES` address-book entries, half phone numbers and half e-mail addresses, all distinct.
fn address_book() -> Vec<(IdentifierKind, Vec<u8>)> {
    (0..LOOKUP_ENTRIES)
        .map(|i| {
            if i % 2 == 0 {
                (IdentifierKind::Phone, format!("+1 (555) 01{i:02}-{:04}", 7 * i).into_bytes())
            } else {
                (IdentifierKind::Email, format!("Contact.{i}@Example.org").into_bytes())
            }
        })
        .collect()
}

fn bench_identity(c: &mut Criterion) {
    let mut group = c.benchmark_group("identity");
    group.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));

    let keyed = keyed_hmac();
    group.bench_function("hmac_sha256_keyed[len=32]", |b| b.iter(|| raw_round(&keyed, black_box(&HMAC_MSG))));
    group.bench_function("hmac_sha256_with_key_setup[len=32]", |b| b.iter(|| raw_with_key_setup(black_box(&HMAC_MSG))));

    for kind in IdentifierKind::ALL {
        let input = sample_input(kind);
        group.bench_function(format!("canonicalize[kind={}]", kind.label()), |b| {
            b.iter(|| identity::canonicalize(kind, black_box(input)).map(|c| c.as_bytes().len()))
        });
    }

    let (key_a, key_b) = ([0x11u8; identity::IDENTITY_KEY_LEN], [0x22u8; identity::IDENTITY_KEY_LEN]);
    group.bench_function("verification_code", |b| {
        b.iter(|| identity::verification_code(black_box(&key_a), black_box(&key_b)))
    });

    // Milliseconds per call from here on: fewer, equal-sized samples.
    group.sample_size(10).sampling_mode(SamplingMode::Flat).measurement_time(Duration::from_secs(4));
    for count in [Rounds::MIN.get(), Rounds::DEFAULT_CLIENT.get()] {
        group.bench_function(format!("client_hash[rounds={count}]"), |b| b.iter(|| client_hash(count)));
    }
    let secret = ServerSecret::new(&SECRET).expect("benchmark secret is within bounds");
    let client = client_hash(Rounds::MIN.get());
    let server_rounds = Rounds::DEFAULT_SERVER;
    group.bench_function(format!("server_hash[rounds={}]", server_rounds.get()), |b| {
        b.iter(|| identity::server_hash(IdentifierKind::Phone, black_box(&client), &secret, server_rounds))
    });

    let book = address_book();
    let entries: Vec<LookupEntry<'_>> = book.iter().map(|(kind, input)| LookupEntry { kind: *kind, input }).collect();
    let mut out = vec![IdentityHash([0; 32]); LOOKUP_ENTRIES];
    group.measurement_time(Duration::from_secs(8));
    group.bench_function(format!("contact_lookup[entries={LOOKUP_ENTRIES},rounds={}]", Rounds::MIN.get()), |b| {
        b.iter(|| {
            identity::contact_lookup(black_box(&entries), &salt(), Rounds::MIN, &mut out).map(<[IdentityHash]>::len)
        })
    });
    group.finish();
}

/// Raw keyed HMAC and `client_hash` timed alternately, several times; the fastest of each counts.
struct RatioMeasurement {
    raw_keyed: Duration,
    raw_with_key_setup: Duration,
    /// `(rounds, time of one client_hash)`
    client: Vec<(u32, Duration)>,
    server_default: Duration,
}

fn measure_ratio(mode: RunMode) -> RatioMeasurement {
    // Full: ~0.1 s per batch, 7 alternating trials. Test: one tiny batch, only to exercise the code.
    let (trials, raw_calls, hash_calls) = if mode == RunMode::Measure { (7, 200_000, 10) } else { (1, 1_000, 1) };
    let keyed = keyed_hmac();
    let counts = [Rounds::MIN.get(), Rounds::DEFAULT_CLIENT.get()];
    let secret = ServerSecret::new(&SECRET).expect("benchmark secret is within bounds");
    let client = client_hash(Rounds::MIN.get());
    let (mut raw, mut setup, mut server) = (Vec::new(), Vec::new(), Vec::new());
    let mut hashes: Vec<Vec<Duration>> = vec![Vec::new(); counts.len()];
    for _ in 0..trials {
        let mut msg = HMAC_MSG;
        raw.push(time_per_call(raw_calls, || msg = raw_round(&keyed, black_box(&msg))));
        setup.push(time_per_call(raw_calls / 2, || msg = raw_with_key_setup(black_box(&msg))));
        for (times, &count) in hashes.iter_mut().zip(&counts) {
            // Fewer calls at more rounds: about the same wall time per batch.
            let calls = (hash_calls * Rounds::DEFAULT_CLIENT.get() / count).max(1);
            times.push(time_per_call(calls, || {
                black_box(client_hash(count));
            }));
        }
        server.push(time_per_call(hash_calls, || {
            black_box(identity::server_hash(IdentifierKind::Phone, &client, &secret, Rounds::DEFAULT_SERVER));
        }));
    }
    RatioMeasurement {
        raw_keyed: fastest(&raw),
        raw_with_key_setup: fastest(&setup),
        client: counts.iter().zip(&hashes).map(|(&count, times)| (count, fastest(times))).collect(),
        server_default: fastest(&server),
    }
}

fn report_ratio(mode: RunMode) {
    let m = measure_ratio(mode);
    println!();
    println!("==================== identity: ratio check ====================");
    if mode == RunMode::Test {
        println!("(test mode: one tiny batch each, so the numbers below mean nothing)");
    }
    println!("cpu: {} (one core)", cpu_model());
    println!("raw HMAC-SHA256, precomputed key, 32-byte message: {:>10.1} ns", nanos(m.raw_keyed));
    println!(
        "raw HMAC-SHA256 including key setup:              {:>10.1} ns  ({:.2}x the keyed call)",
        nanos(m.raw_with_key_setup),
        m.raw_with_key_setup.as_secs_f64() / m.raw_keyed.as_secs_f64()
    );
    for &(count, time) in &m.client {
        let ratio = per_round_ratio(time, count, m.raw_keyed);
        let verdict = match mode {
            RunMode::Measure if ratio <= 1.05 => "ok",
            RunMode::Measure => "ABOVE GOAL",
            RunMode::Test | RunMode::List | RunMode::Profile => "not judged in test mode",
        };
        let name = format!("client_hash[rounds={count}]");
        println!(
            "{name:<50}{:>10.3} ms  ({:.1} ns/round) per-round ratio {ratio:.3} (goal <= 1.05: {verdict})",
            millis(time),
            nanos(time) / f64::from(count)
        );
    }

    let Some(&(default_rounds, per_identifier)) =
        m.client.iter().find(|(count, _)| *count == Rounds::DEFAULT_CLIENT.get())
    else {
        return;
    };
    let with_server = per_identifier + m.server_default;
    println!();
    println!("--------------- brute force, one core of this CPU ---------------");
    println!(
        "client layer at the default rounds={default_rounds}: {:.3} ms per identifier \
         (the client salt is public, so anyone can run this)",
        millis(per_identifier)
    );
    println!(
        "client + server layer (rounds={}, needs the server secret): {:.3} ms per identifier",
        Rounds::DEFAULT_SERVER.get(),
        millis(with_server)
    );
    for (label, count) in BRUTE_FORCE_SCENARIOS {
        println!(
            "  {label:<55} client only: {:>14}   with server layer: {:>14}",
            human_duration(exhaustive_search_seconds(per_identifier, count)),
            human_duration(exhaustive_search_seconds(with_server, count))
        );
    }
    println!("  (divide by the attacker's core count; GPUs and SHA-256 hardware are far faster per dollar)");
    println!("=================================================================");
}

fn nanos(d: Duration) -> f64 {
    d.as_secs_f64() * 1e9
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let mode = RunMode::from_args(std::env::args().skip(1));
    let mut criterion = Criterion::default().configure_from_args();
    bench_identity(&mut criterion);
    criterion.final_summary();
    if mode.reports() {
        report_ratio(mode);
    }
}
