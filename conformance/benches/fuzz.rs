//! Throughput of `cinder-conformance fuzz` against the reference adapter, per operation: cases
//! per second with one job, and where a case's time goes — the adapter round trip (request
//! written, answer waited for and read), the in-process reference answering the same request
//! (the oracle), and the runner's own cost (making the case, comparing, bookkeeping), whose goal
//! is under 50 µs per case.
//!
//! A bench binary, not a timed test: `cargo bench -p cinder-conformance --bench fuzz`
//! (`-- CASES` to change the 2,000 cases per operation; `-- --test`, as CI's "benches run once"
//! passes, runs 20 cases each). It prints a Markdown table.

use core::time::Duration;

use cinder_conformance::filter::Pattern;
use cinder_conformance::fuzz::{self, Budget, Options, Quiet};
use cinder_conformance::load::load_builtin;
use cinder_conformance::target::Target;
use cinder_conformance::target::command::AdapterCommand;
use cinder_conformance::target::process::ProcessTarget;

const REFERENCE_ADAPTER: &str = env!("CARGO_BIN_EXE_cinder-reference-adapter");

fn micros(time: Duration, cases: u64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let cases = cases.max(1) as f64;
    time.as_secs_f64() * 1e6 / cases
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--test");
    let cases: u64 = args.iter().find_map(|a| a.parse().ok()).unwrap_or(if quick { 20 } else { 2_000 });
    let files = load_builtin().expect("the built-in vectors load");
    let command = AdapterCommand::parse(&format!("'{REFERENCE_ADAPTER}'")).expect("the adapter command splits");
    let make = move || -> Box<dyn Target + Send> { Box::new(ProcessTarget::new(command.clone())) };
    let ops = fuzz::selected_ops(&fuzz::corpus(&files), &[]);
    println!("{cases} cases per operation, one job, against cinder-reference-adapter\n");
    println!(
        "| operation | cases/s | adapter round trip (µs/case) | reference oracle (µs/case) | runner's own (µs/case) | of which making cases (µs/case) |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let mut own_total = Duration::ZERO;
    let mut cases_total = 0;
    for op in ops.iter().map(String::as_str).chain(["*"]) {
        let options = Options {
            ops: vec![Pattern::new(op)],
            seed: 1,
            budget: Budget::Cases(cases),
            request_timeout: Duration::from_secs(60),
            ..Options::default()
        };
        let report = fuzz::fuzz(&files, &make, &options, &mut Quiet).expect("usable options");
        assert_eq!(report.disagreeing, 0, "the reference adapter disagrees: {}", report.render());
        // The run's time less the adapter's round trips and the oracle; the corpus is built once
        // per run and counted here too.
        let own = report.elapsed.saturating_sub(report.adapter_time + report.reference_time);
        if op != "*" {
            own_total += own;
            cases_total += report.cases;
        }
        let name = if op == "*" { "all, mixed" } else { op };
        println!(
            "| {name} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} |",
            report.rate(),
            micros(report.adapter_time, report.cases),
            micros(report.reference_time, report.cases),
            micros(own, report.cases),
            micros(report.generate_time, report.cases)
        );
    }
    println!(
        "\nrunner's own cost over every operation: {:.1} µs per case (goal: under 50)",
        micros(own_total, cases_total)
    );
}
