//! Shared measurement and reporting helpers for Cinder's benchmarks (see `benches/README.md`).
//!
//! Every benchmark is read against a raw primitive measured in the same run on the same machine, so
//! its figures carry over between machines as ratios, not as absolute times. The absolute figures
//! printed here (seconds to exhaust an identifier space) are for this machine and one core.

use core::time::Duration;
use std::time::Instant;

pub mod pair;

/// How a bench binary was invoked, decided the way criterion decides it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunMode {
    /// `cargo bench`: measure for real.
    Measure,
    /// `cargo bench -- --test` or `cargo test --benches`: run each benchmark once, quickly.
    Test,
    /// `cargo bench -- --list`: only name the benchmarks.
    List,
    /// `cargo bench -- --profile-time N`: run benchmarks under a profiler, without analysis; the
    /// ratio blocks are skipped so that the profile shows only the named benchmarks.
    Profile,
}

impl RunMode {
    /// The mode for these command-line arguments (`std::env::args()` without the program name).
    ///
    /// Cargo passes `--bench` to bench targets under `cargo bench` only; `--test` forces test mode.
    #[must_use]
    pub fn from_args<I: IntoIterator<Item = S>, S: AsRef<str>>(args: I) -> Self {
        let (mut bench, mut test, mut list, mut profile) = (false, false, false, false);
        for arg in args {
            match arg.as_ref() {
                "--bench" => bench = true,
                "--test" => test = true,
                "--list" => list = true,
                "--profile-time" => profile = true,
                _ => {}
            }
        }
        match (list, profile, bench, test) {
            (true, _, _, _) => Self::List,
            (false, true, _, _) => Self::Profile,
            (false, false, true, false) => Self::Measure,
            _ => Self::Test,
        }
    }

    /// Whether the ratio block after the criterion group runs: when measuring, and once, quickly,
    /// in test mode.
    #[must_use]
    pub const fn reports(self) -> bool {
        matches!(self, Self::Measure | Self::Test)
    }
}

/// Mean time of one call of `f`, over `iterations` calls (at least one).
pub fn time_per_call(iterations: u32, mut f: impl FnMut()) -> Duration {
    let iterations = iterations.max(1);
    let start = Instant::now();
    for _ in 0..iterations {
        f();
    }
    start.elapsed() / iterations
}

/// The least of several measurements: on a shared machine noise only ever adds time.
#[must_use]
pub fn fastest(times: &[Duration]) -> Duration {
    times.iter().copied().min().unwrap_or_default()
}

/// Cost of one round of an iterated hash relative to one raw HMAC call: `(hash / rounds) / raw`.
///
/// 1.0 means the iteration adds nothing beyond the HMAC calls themselves; the goal is at most 1.05.
#[must_use]
pub fn per_round_ratio(hash: Duration, rounds: u32, raw_hmac: Duration) -> f64 {
    hash.as_secs_f64() / f64::from(rounds.max(1)) / raw_hmac.as_secs_f64()
}

/// Seconds for one core to try `count` identifiers at `per_identifier` each.
#[must_use]
pub fn exhaustive_search_seconds(per_identifier: Duration, count: f64) -> f64 {
    per_identifier.as_secs_f64() * count
}

/// A duration in the largest unit that keeps the number at least 1: `"2.54 years"`, `"22.2 hours"`.
#[must_use]
pub fn human_duration(seconds: f64) -> String {
    const UNITS: [(&str, f64); 7] = [
        ("years", 365.25 * 86_400.0),
        ("days", 86_400.0),
        ("hours", 3_600.0),
        ("minutes", 60.0),
        ("s", 1.0),
        ("ms", 1e-3),
        ("µs", 1e-6),
    ];
    for (unit, size) in UNITS {
        if seconds >= size {
            return format!("{:.3} {unit}", seconds / size);
        }
    }
    format!("{:.1} ns", seconds * 1e9)
}

/// The identifier spaces an attacker who holds the public client salt would enumerate
/// (spec/identity.md, brute-force cost): label and number of identifiers.
pub const BRUTE_FORCE_SCENARIOS: [(&str, f64); 3] = [
    ("every phone number of a 10-digit national plan (10^10)", 1e10),
    ("every phone number of one area code (10^7)", 1e7),
    ("an e-mail address list (10^9)", 1e9),
];

/// The CPU model the kernel reports, for labelling results; `"unknown"` where it cannot tell.
#[must_use]
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, name)| name.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_bench_measures_and_test_flag_does_not() {
        assert_eq!(RunMode::from_args(["--bench"]), RunMode::Measure);
        assert_eq!(RunMode::from_args(["--bench", "client_hash"]), RunMode::Measure);
        assert_eq!(RunMode::from_args(["--bench", "--test"]), RunMode::Test);
        assert_eq!(RunMode::from_args(Vec::<String>::new()), RunMode::Test);
        assert_eq!(RunMode::from_args(["--bench", "--list"]), RunMode::List);
        assert_eq!(RunMode::from_args(["--bench", "--profile-time", "5", "slot_wrap"]), RunMode::Profile);
        assert!(RunMode::Measure.reports() && RunMode::Test.reports());
        assert!(!RunMode::List.reports() && !RunMode::Profile.reports());
    }

    #[test]
    fn per_round_ratio_divides_by_rounds_then_by_raw_time() {
        let ratio = per_round_ratio(Duration::from_millis(21), 20_000, Duration::from_nanos(1_000));
        assert!((ratio - 1.05).abs() < 1e-9, "{ratio}");
        let ratio = per_round_ratio(Duration::from_micros(500), 1_000, Duration::from_nanos(500));
        assert!((ratio - 1.0).abs() < 1e-9, "{ratio}");
    }

    #[test]
    fn exhaustive_search_scales_with_the_space() {
        let seconds = exhaustive_search_seconds(Duration::from_millis(8), 1e10);
        assert!((seconds - 8e7).abs() < 1.0, "{seconds}");
    }

    #[test]
    fn human_duration_picks_the_largest_unit_at_least_one() {
        assert_eq!(human_duration(90.0), "1.500 minutes");
        assert_eq!(human_duration(8e7), "2.535 years");
        assert_eq!(human_duration(86_400.0 * 3.0), "3.000 days");
        assert_eq!(human_duration(0.0025), "2.500 ms");
        assert_eq!(human_duration(4e-7), "400.0 ns");
    }

    #[test]
    fn fastest_takes_the_minimum() {
        let times = [Duration::from_micros(7), Duration::from_micros(3), Duration::from_micros(5)];
        assert_eq!(fastest(&times), Duration::from_micros(3));
        assert_eq!(fastest(&[]), Duration::ZERO);
    }

    #[test]
    fn time_per_call_runs_the_closure_the_given_number_of_times() {
        let mut calls = 0u32;
        let _ = time_per_call(17, || calls += 1);
        assert_eq!(calls, 17);
        let _ = time_per_call(0, || calls += 1);
        assert_eq!(calls, 18);
    }
}
