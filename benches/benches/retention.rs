//! The retention server (spec/retention.md): events per second, the cost of advancing the clock
//! over 10,000, 100,000 and 1,000,000 held messages, and the bytes of state per held message.
//!
//! Criterion group `retention`, then a "scaling report": for each size, the time of a tick that
//! purges exactly 100 messages and of a tick that purges none, per purged message, and the ratio to
//! the smallest size — flat if advancing the clock costs what it purges, a hundredfold if it cost
//! what is stored — and the resident memory a held message costs, measured from the process's
//! resident set before and after building the largest server.

use core::hint::black_box;
use core::time::Duration;
use std::time::Instant;

use cinder::retention::{AccountId, Config, Event, Output, Platform, Profile, Reply, Server, Store};
use cinder_benches::{RunMode, cpu_model, fastest};
use criterion::{BenchmarkId, Criterion, Throughput};

const T0: u64 = 1_767_225_600;
const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];
/// Messages due at each second of a populated server, so each one-second tick purges this many.
const PER_TICK: usize = 100;
const CIPHERTEXT: [u8; 64] = [0xa5; 64];
const ALICE: AccountId = AccountId([0xa1; 32]);
const BOB: AccountId = AccountId([0xb0; 32]);
const CAROL: AccountId = AccountId([0xc0; 32]);

fn must(step: &cinder::retention::Step) {
    assert!(step.result.is_ok(), "benchmark setup refused: {step:?}");
}

/// alice-phone sends to `room-bg` (carol-phone receives) and to `room-fg` (bob-phone receives).
fn empty_server() -> Server {
    let mut server = Server::new(Config::new(Profile::Enterprise, None).expect("the default cap"));
    for (account, device) in [(ALICE, &b"alice-phone"[..]), (BOB, b"bob-phone"), (CAROL, b"carol-phone")] {
        must(&server.handle(&Event::Register { account }, T0));
        must(&server.handle(&Event::AddDevice { account, device, platform: Platform::Android }, T0));
    }
    for (account, room) in [(ALICE, &b"room-bg"[..]), (CAROL, b"room-bg"), (ALICE, b"room-fg"), (BOB, b"room-fg")] {
        must(&server.handle(&Event::Join { account, conversation: room }, T0));
    }
    server
}

fn message_id(n: u64) -> [u8; 16] {
    u128::from(n).to_be_bytes()
}

/// A server holding `held` messages for carol-phone, [`PER_TICK`] of them due at each second from
/// `T0 + 1`: message `i` has `ttl = 1 + i / PER_TICK`.
fn populated(held: usize) -> Server {
    let mut server = empty_server();
    for i in 0..held {
        let ttl = u32::try_from(1 + i / PER_TICK).expect("fits");
        let store = Store {
            device: b"alice-phone",
            message_id: message_id(i as u64),
            conversation: b"room-bg",
            sent_at: T0,
            ttl,
            ciphertext: &CIPHERTEXT,
        };
        server.handle(&Event::Store(store), T0);
    }
    assert_eq!(server.held_count(), held);
    server
}

/// Ticks one second at a time through a populated server. After each timed tick it stores (untimed)
/// [`PER_TICK`] new messages due at the far end, so the server holds the same number of messages
/// at every tick and the run can go on for as long as criterion wants.
struct Advancer {
    held: usize,
    /// Built on first use, so that listing the benchmarks builds nothing.
    server: Option<Server>,
    next: u64,
    fresh: u64,
}

impl Advancer {
    const fn new(held: usize) -> Self {
        Self { held, server: None, next: T0 + 1, fresh: 1 << 40 }
    }

    fn server(&mut self) -> &mut Server {
        let held = self.held;
        self.server.get_or_insert_with(|| populated(held))
    }

    fn tick(&mut self) -> Duration {
        let at = self.next;
        let horizon = u32::try_from(self.held / PER_TICK).unwrap_or(u32::MAX);
        let mut fresh = self.fresh;
        let server = self.server();
        let start = Instant::now();
        let step = server.handle(black_box(&Event::Tick), at);
        let took = start.elapsed();
        let purged = step.outputs.iter().filter(|o| matches!(o, Output::Purged { .. })).count();
        assert_eq!(purged, PER_TICK, "a tick purged the wrong number of messages");
        for _ in 0..PER_TICK {
            fresh += 1;
            let store = Store {
                device: b"alice-phone",
                message_id: message_id(fresh),
                conversation: b"room-bg",
                sent_at: at,
                ttl: horizon,
                ciphertext: &CIPHERTEXT,
            };
            server.handle(&Event::Store(store), at);
        }
        self.fresh = fresh;
        self.next += 1;
        took
    }

    /// A tick at the clock's own time: nothing is due.
    fn idle_tick(&mut self) -> Duration {
        let server = self.server();
        let at = server.clock();
        let start = Instant::now();
        let step = server.handle(black_box(&Event::Tick), at);
        let took = start.elapsed();
        assert!(step.outputs.is_empty());
        took
    }
}

/// One delivery: alice-phone stores to room-fg, bob-phone fetches and acks; the message is purged.
/// Three events; the server's size does not change.
fn delivery(server: &mut Server, n: u64, at: u64) {
    let id = message_id(n);
    let store = Store {
        device: b"alice-phone",
        message_id: id,
        conversation: b"room-fg",
        sent_at: at,
        ttl: 3600,
        ciphertext: &CIPHERTEXT,
    };
    server.handle(&Event::Store(store), at);
    let fetched = server.handle(&Event::Fetch { device: b"bob-phone" }, at);
    assert!(matches!(fetched.result, Ok(Reply::Messages(ref m)) if m.len() == 1));
    let acked = server.handle(&Event::Ack { device: b"bob-phone", message_id: id }, at);
    assert_eq!(acked.outputs.len(), 1);
}

fn bench_retention(c: &mut Criterion) {
    let mut group = c.benchmark_group("retention");
    // Each timed tick is followed by 100 untimed stores: keep the wall time of a run reasonable.
    group.measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    for held in [10_000usize, 1_000_000] {
        // Built on first use; the deliveries happen at T0, before any background message is due.
        let mut server: Option<Server> = None;
        let mut n = 1u64 << 40;
        group.throughput(Throughput::Elements(3));
        group.bench_function(BenchmarkId::new("delivery[events=3]", format!("held={held}")), |b| {
            let server = server.get_or_insert_with(|| populated(held));
            b.iter(|| {
                n += 1;
                delivery(server, n, T0);
            });
        });
    }
    for held in SIZES {
        let mut advancer = Advancer::new(held);
        group.throughput(Throughput::Elements(PER_TICK as u64));
        group.bench_function(BenchmarkId::new(format!("advance[purged={PER_TICK}]"), format!("held={held}")), |b| {
            b.iter_custom(|iters| (0..iters).map(|_| advancer.tick()).sum());
        });
        group.throughput(Throughput::Elements(1));
        group.bench_function(BenchmarkId::new("advance[purged=0]", format!("held={held}")), |b| {
            b.iter_custom(|iters| (0..iters).map(|_| advancer.idle_tick()).sum());
        });
    }
    group.finish();
}

/// Resident memory of this process in bytes, from `/proc/self/statm` (Linux); `None` elsewhere.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Bytes of resident memory per held message: built in a fresh server, before anything else in
/// this process has allocated much (so that freed memory is not reused and hidden).
fn bytes_per_message(held: usize) -> Option<f64> {
    let before = resident_bytes()?;
    let server = populated(held);
    let after = resident_bytes()?;
    let per = (after.saturating_sub(before)) as f64 / held as f64;
    drop(black_box(server));
    Some(per)
}

fn report(mode: RunMode, per_message: Option<f64>) {
    let (trials, ticks) = if mode == RunMode::Measure { (5, 200) } else { (1, 3) };
    println!();
    println!("==================== retention: scaling report ====================");
    if mode == RunMode::Test {
        println!("(test mode: a few ticks each, so the times below mean little)");
    }
    println!("cpu: {} (one core)", cpu_model());
    println!(
        "{:>10}  {:>22}  {:>18}  {:>16}  {:>14}",
        "held", "tick, 100 purged", "per purged msg", "vs 10,000 held", "tick, idle"
    );
    let mut base = None;
    for held in SIZES {
        let mut advancer = Advancer::new(held);
        // Untimed: builds the server and faults in its pages.
        advancer.tick();
        let busy: Vec<Duration> =
            (0..trials).map(|_| (0..ticks).map(|_| advancer.tick()).sum::<Duration>() / ticks).collect();
        let idle: Vec<Duration> =
            (0..trials).map(|_| (0..ticks).map(|_| advancer.idle_tick()).sum::<Duration>() / ticks).collect();
        let (busy, idle) = (fastest(&busy), fastest(&idle));
        let base_time = *base.get_or_insert(busy);
        println!(
            "{:>10}  {:>19.1} µs  {:>15.0} ns  {:>15.2}x  {:>11.0} ns",
            held,
            busy.as_secs_f64() * 1e6,
            busy.as_secs_f64() * 1e9 / PER_TICK as f64,
            busy.as_secs_f64() / base_time.as_secs_f64(),
            idle.as_secs_f64() * 1e9,
        );
    }
    println!("(storing 100x more multiplies a scan by 100; the deadline index reads only what it purges)");
    match per_message {
        Some(bytes) => println!(
            "state per held message, 1,000,000 held, 64-byte ciphertexts, one recipient: {bytes:.0} bytes resident"
        ),
        None => println!("state per held message: not measured (no /proc/self/statm)"),
    }
    println!("===================================================================");
}

fn main() {
    let mode = RunMode::from_args(std::env::args().skip(1));
    // First, before criterion allocates and frees anything.
    let per_message = if mode.reports() { bytes_per_message(1_000_000) } else { None };
    let mut criterion = Criterion::default().configure_from_args();
    bench_retention(&mut criterion);
    criterion.final_summary();
    if mode.reports() {
        report(mode, per_message);
    }
}
