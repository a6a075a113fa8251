//! `cinder-reference-adapter`: the reference implementation served over the adapter protocol on
//! stdin and stdout (`conformance/ADAPTER.md`). It exits when its stdin ends.

use std::io::{self, BufWriter};
use std::process::ExitCode;

use cinder_conformance::serve::serve;
use clap::Parser;

/// Serves Cinder's reference implementation over the adapter protocol (JSON lines on stdin and
/// stdout). Run it under `cinder-conformance run --adapter cinder-reference-adapter`.
#[derive(Debug, Parser)]
#[command(name = "cinder-reference-adapter", version)]
struct Cli {}

fn main() -> ExitCode {
    if let Err(error) = Cli::try_parse() {
        let _ = error.print();
        return if error.use_stderr() { ExitCode::from(64) } else { ExitCode::SUCCESS };
    }
    match serve(io::stdin().lock(), BufWriter::new(io::stdout().lock())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("cinder-reference-adapter: {error}");
            ExitCode::from(2)
        }
    }
}
