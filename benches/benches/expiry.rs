//! The expiry machine (spec/expiry.md): events handled per second.
//!
//! Criterion group `expiry`: one step of each kind on a machine in the phase where it does real
//! work, and a whole message lifetime (receive, read, two ticks, the burn). After the group, a
//! "throughput report" prints events per second for each, and the ratio of `receive` to its raw
//! floor measured in the same run: copying the content into fresh heap storage and dropping it,
//! which any implementation that keeps and then shreds the content must do.

use core::hint::black_box;
use core::time::Duration;
use std::time::Instant;

use cinder::expiry::{Event, Incoming, Message};
use cinder_benches::{RunMode, cpu_model, fastest};
use criterion::Criterion;

const T0: u64 = 1_767_225_600;
const CONTENT: [u8; 256] = [0x5a; 256];

fn incoming() -> Incoming<'static> {
    Incoming { sender: b"alice-phone", sent_at: T0, ttl: 3600, bor: 60, content: &CONTENT }
}

fn fresh() -> Message {
    Message::new([7; 16], None).expect("no cap is valid")
}

fn received() -> Message {
    fresh().handle(Event::Receive(incoming()), T0).state
}

fn read() -> Message {
    received().handle(Event::Read, T0 + 1).state
}

/// A whole lifetime: receive, read, a tick before the burn, the tick that burns: four events.
fn lifetime() -> Message {
    let m = fresh().handle(Event::Receive(incoming()), T0).state;
    let m = m.handle(Event::Read, T0 + 1).state;
    let m = m.handle(Event::Tick, T0 + 30).state;
    m.handle(Event::Tick, T0 + 61).state
}

/// The raw floor of `receive`: keep a copy of the content, then shred and free it.
fn copy_and_shred() {
    let kept = zeroize::Zeroizing::new(black_box(&CONTENT[..]).to_vec());
    drop(black_box(kept));
}

fn bench_expiry(c: &mut Criterion) {
    let mut g = c.benchmark_group("expiry");
    g.bench_function("handle[event=receive,content=256]", |b| {
        b.iter_batched(fresh, |m| m.handle(Event::Receive(incoming()), T0), criterion::BatchSize::SmallInput);
    });
    g.bench_function("handle[event=read]", |b| {
        b.iter_batched(received, |m| m.handle(Event::Read, T0 + 1), criterion::BatchSize::SmallInput);
    });
    g.bench_function("handle[event=tick,outcome=none]", |b| {
        b.iter_batched(read, |m| m.handle(Event::Tick, T0 + 2), criterion::BatchSize::SmallInput);
    });
    g.bench_function("handle[event=tick,outcome=burned]", |b| {
        b.iter_batched(read, |m| m.handle(Event::Tick, T0 + 61), criterion::BatchSize::SmallInput);
    });
    g.bench_function("lifetime[events=4]", |b| b.iter(lifetime));
    g.bench_function("raw[copy_and_shred,content=256]", |b| b.iter(copy_and_shred));
    g.finish();
}

/// Mean time per call of `f` on inputs made by `setup` (setup untimed), fastest of `trials`.
fn measure<S, R>(trials: usize, calls: usize, setup: impl Fn() -> S, f: impl Fn(S) -> R) -> Duration {
    let times: Vec<Duration> = (0..trials)
        .map(|_| {
            let inputs: Vec<S> = (0..calls).map(|_| setup()).collect();
            let start = Instant::now();
            for input in inputs {
                black_box(f(input));
            }
            start.elapsed() / u32::try_from(calls).unwrap_or(u32::MAX)
        })
        .collect();
    fastest(&times)
}

fn report(mode: RunMode) {
    let (trials, calls) = if mode == RunMode::Measure { (7, 20_000) } else { (1, 10) };
    println!();
    println!("==================== expiry: throughput report ====================");
    if mode == RunMode::Test {
        println!("(test mode: a few calls each, so the numbers below mean little)");
    }
    println!("cpu: {} (one core)", cpu_model());
    let receive = measure(trials, calls, fresh, |m| m.handle(Event::Receive(incoming()), T0));
    let floor = measure(trials, calls, || (), |()| copy_and_shred());
    let rows = [
        ("receive (256-byte content)", receive, 1),
        ("read", measure(trials, calls, received, |m| m.handle(Event::Read, T0 + 1)), 1),
        ("tick, nothing due", measure(trials, calls, read, |m| m.handle(Event::Tick, T0 + 2)), 1),
        ("tick that burns", measure(trials, calls, read, |m| m.handle(Event::Tick, T0 + 61)), 1),
        ("whole lifetime", measure(trials, calls, || (), |()| lifetime()), 4),
    ];
    println!("{:>28}  {:>12}  {:>16}", "event", "time", "events / second");
    for (name, time, events) in rows {
        let per_event = time.as_secs_f64() / f64::from(events);
        println!("{name:>28}  {:>9.0} ns  {:>16.0}", time.as_secs_f64() * 1e9, 1.0 / per_event);
    }
    println!("(single-event rows start from machines built beforehand, so they include fetching one from memory;");
    println!(" the lifetime row keeps its machine in cache: read it as the steady-state cost of an event)");
    println!(
        "receive / raw floor (copy the content to the heap, shred, free): {:.2}x ({:.0} ns floor)",
        receive.as_secs_f64() / floor.as_secs_f64(),
        floor.as_secs_f64() * 1e9
    );
    println!("===================================================================");
}

fn main() {
    let mode = RunMode::from_args(std::env::args().skip(1));
    let mut criterion = Criterion::default().configure_from_args();
    bench_expiry(&mut criterion);
    criterion.final_summary();
    if mode.reports() {
        report(mode);
    }
}
