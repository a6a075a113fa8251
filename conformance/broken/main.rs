//! `cinder-broken-adapter`: an adapter with exactly one deliberate, realistic bug, to prove that
//! `cinder-conformance` catches it (`conformance/BUGS.md` lists which cases catch each).
//!
//! The part the bug belongs to is answered by a second implementation of that part, written from
//! its spec chapter, with the one fault switched on (`broken/<part>.rs`) — or, for retention, by
//! the reference wrapped so that its answer changes where the bug first shows (`retention.rs`,
//! `session.rs`);
//! every other part is answered by the reference ([`dispatch`]). `--no-bug` serves the second implementations with no
//! fault at all: that adapter must pass every case, which shows each variant fails only through
//! its bug.

mod args;
mod bugs;
mod envelope;
mod expiry;
mod identity;
mod pbkdf2;
mod retention;
mod session;

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use cinder_conformance::dispatch::{capabilities, dispatch};
use cinder_conformance::protocol::{HELLO_OP, Response};
use cinder_conformance::serve::{answer_hello, serve_with};
use clap::Parser;
use serde_json::{Value, json};

use crate::args::{Args, respond};
use crate::bugs::{Listed, Variant};

/// Serves Cinder over the adapter protocol with one deliberate bug (see --list-bugs), to check
/// that cinder-conformance catches it.
#[derive(Debug, Parser)]
#[command(name = "cinder-broken-adapter", version)]
struct Cli {
    /// The bug to inject (a name from --list-bugs).
    #[arg(long, value_name = "NAME", required_unless_present_any = ["list_bugs", "no_bug"])]
    bug: Option<String>,

    /// Serve the second implementations of every part that has bugs, with no bug: it must pass.
    #[arg(long, conflicts_with = "bug")]
    no_bug: bool,

    /// Print the bugs and exit.
    #[arg(long, conflicts_with_all = ["bug", "no_bug"])]
    list_bugs: bool,

    /// With --list-bugs: print them as a JSON array.
    #[arg(long, requires = "list_bugs")]
    json: bool,
}

/// What this adapter answers with.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// One bug in its part; other parts from the reference.
    Bug(Variant),
    /// Every part with a second implementation, no bug.
    NoBug,
}

/// The parts with a second implementation, and their operations.
const PARTS: &[(&str, &[&str])] = &[
    ("identity", identity::OPS),
    ("envelope", envelope::OPS),
    ("expiry", expiry::OPS),
    ("retention", retention::OPS),
    ("session", session::OPS),
];

fn part_of(op: &str) -> &str {
    op.split('.').next().unwrap_or_default()
}

fn variant_part(variant: Variant) -> &'static str {
    match variant {
        Variant::Identity(_) => "identity",
        Variant::Envelope(_) => "envelope",
        Variant::Expiry(_) => "expiry",
        Variant::Retention(_) => "retention",
        Variant::Session(_) => "session",
    }
}

impl Mode {
    /// Whether the second implementation answers `op`.
    fn twin_answers(self, op: &str) -> bool {
        let part = part_of(op);
        let implemented = PARTS.iter().any(|(name, ops)| *name == part && ops.contains(&op));
        implemented
            && match self {
                Self::NoBug => true,
                Self::Bug(variant) => variant_part(variant) == part,
            }
    }

    fn capabilities(self) -> Vec<String> {
        let mut ops = capabilities();
        for op in PARTS.iter().flat_map(|(_, ops)| ops.iter()) {
            if self.twin_answers(op) && !ops.iter().any(|known| known == op) {
                ops.push((*op).to_owned());
            }
        }
        ops
    }

    fn answer(self, op: &str, args: &Value) -> Response {
        if !self.twin_answers(op) {
            return dispatch(op, args);
        }
        if part_of(op) == "retention" {
            // A wrapper around the reference, not a second implementation (`retention.rs`).
            let bug = match self {
                Self::Bug(Variant::Retention(bug)) => Some(bug),
                _ => None,
            };
            return retention::Retention { bug }.answer(op, args);
        }
        if part_of(op) == "session" {
            // A wrapper around the reference too (`session.rs`).
            let bug = match self {
                Self::Bug(Variant::Session(bug)) => Some(bug),
                _ => None,
            };
            return session::Session { bug }.answer(op, args);
        }
        let args = match Args::of(args, "args") {
            Ok(args) => args,
            Err(failure) => return failure.response(),
        };
        let (identity, envelope, expiry) = match self {
            Self::NoBug | Self::Bug(Variant::Retention(_) | Variant::Session(_)) => (None, None, None),
            Self::Bug(Variant::Identity(bug)) => (Some(bug), None, None),
            Self::Bug(Variant::Envelope(bug)) => (None, Some(bug), None),
            Self::Bug(Variant::Expiry(bug)) => (None, None, Some(bug)),
        };
        respond(match part_of(op) {
            "identity" => identity::Identity { bug: identity }.answer(op, &args),
            "envelope" => envelope::Envelopes { bug: envelope }.answer(op, &args),
            _ => expiry::Expiry { bug: expiry }.answer(op, &args),
        })
    }
}

fn list(json: bool) -> String {
    let all = bugs::all();
    if json {
        let items: Vec<Value> = all
            .iter()
            .map(|bug| {
                json!({
                    "name": bug.name,
                    "part": bug.part,
                    "breaks": bug.breaks,
                    "summary": bug.summary,
                })
            })
            .collect();
        return format!("{}\n", Value::from(items));
    }
    let width = all.iter().map(|bug| bug.name.len()).max().unwrap_or(0);
    let line = |bug: &Listed| format!("{:width$}  {:17}  {}\n", bug.name, bug.breaks, bug.summary);
    all.iter().map(line).collect()
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() { ExitCode::from(64) } else { ExitCode::SUCCESS };
        }
    };
    if cli.list_bugs {
        let _ = io::stdout().lock().write_all(list(cli.json).as_bytes());
        return ExitCode::SUCCESS;
    }
    let (mode, name) = match &cli.bug {
        None => (Mode::NoBug, "no bug".to_owned()),
        Some(name) => match bugs::all().iter().find(|bug| bug.name == name) {
            Some(Listed { variant, .. }) => (Mode::Bug(*variant), name.clone()),
            None => {
                eprintln!("cinder-broken-adapter: no bug is named {name:?}; --list-bugs lists them");
                return ExitCode::from(64);
            }
        },
    };
    let adapter = format!("cinder-broken-adapter {} ({name})", env!("CARGO_PKG_VERSION"));
    let capabilities = mode.capabilities();
    let answer = |op: &str, args: &Value| {
        if op == HELLO_OP { answer_hello(args, &adapter, capabilities.clone()) } else { mode.answer(op, args) }
    };
    match serve_with(io::stdin().lock(), BufWriter::new(io::stdout().lock()), answer) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("cinder-broken-adapter: {error}");
            ExitCode::from(2)
        }
    }
}
