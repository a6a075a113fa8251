//! `cinder-conformance`: checks an implementation against Cinder's test vectors, through the
//! adapter protocol (`conformance/ADAPTER.md`) or against the built-in reference.

use core::time::Duration;
use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use cinder_conformance::Exit;
use cinder_conformance::expect::Expectations;
use cinder_conformance::filter::Pattern;
use cinder_conformance::fuzz;
use cinder_conformance::load::{load_builtin, load_paths};
use cinder_conformance::report::{human, junit};
use cinder_conformance::run::{self, Options, Progress, Quiet, selected_paths};
use cinder_conformance::target::Target;
use cinder_conformance::target::builtin::Builtin;
use cinder_conformance::target::command::AdapterCommand;
use cinder_conformance::target::process::ProcessTarget;
use clap::{Args, Parser, Subcommand};

const EXIT_CODES: &str = "\
Exit codes:
  0   every selected case passed
  1   some case failed, or was unsupported without --allow-unsupported,
      or passed though the --expect file says it fails
  2   adapter broken: it could not be started or restarted, answered hello badly,
      or the run timeout passed; the cases left were not run
  3   bad vector file: one could not be read or is not a valid vector file,
      or the files hold no test case
  64  usage error: a bad flag or value, a --filter that matches no case,
      a report file that cannot be written, an expectations file that cannot be read";

/// Checks an implementation of Cinder against the test vectors.
#[derive(Debug, Parser)]
#[command(name = "cinder-conformance", version, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the vectors against the built-in reference, or against an adapter (--adapter).
    #[command(after_help = EXIT_CODES)]
    Run(RunArgs),
    /// Differential fuzzing: generated requests answered by the adapter and by the built-in
    /// reference; every disagreement is minimised and can be written as a replayable vector file.
    #[command(after_help = FUZZ_EXIT_CODES)]
    Fuzz(FuzzArgs),
}

const FUZZ_EXIT_CODES: &str = "\
Exit codes:
  0   no disagreement
  1   some disagreement between the adapter and the reference
  2   adapter broken: it could not be started or restarted, answered hello badly,
      or every case sent was lost to a fault
  64  usage error: a bad flag or value, --ops matching no operation the adapter lists,
      an --out directory that cannot be written";

#[derive(Debug, Args)]
struct FuzzArgs {
    /// Adapter command to fuzz, split into words like `run --adapter`.
    #[arg(long, value_name = "CMD")]
    adapter: String,

    /// Fuzz only operations matching GLOB (e.g. 'identity.*'). Repeatable. Default: all the
    /// adapter lists.
    #[arg(long = "ops", value_name = "GLOB")]
    ops: Vec<String>,

    /// The run's seed; the same seed and adapter give the same cases. Default: from the clock
    /// (the summary prints it).
    #[arg(long, value_name = "N")]
    seed: Option<u64>,

    /// How many cases to make.
    #[arg(long, value_name = "N", conflicts_with = "time")]
    cases: Option<u64>,

    /// Make cases for this long, in seconds, instead of a number of cases.
    #[arg(long, value_name = "SECS", value_parser = seconds)]
    time: Option<Duration>,

    /// Adapter processes side by side.
    #[arg(long, value_name = "N", default_value = "1", value_parser = clap::value_parser!(u16).range(1..=256))]
    jobs: u16,

    /// Write each minimised disagreement to DIR as a vector file (`run --vectors FILE` replays it).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,

    /// Longest wait for one adapter response, in seconds (fractions allowed).
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = seconds)]
    timeout: Duration,

    /// Requests one minimisation may spend.
    #[arg(long, value_name = "N", default_value_t = fuzz::DEFAULT_MINIMISE_TRIES)]
    minimise_tries: usize,

    /// Progress on stderr: `auto` shows it when stderr is a terminal.
    #[arg(long, value_name = "WHEN", default_value = "auto", value_parser = ["auto", "always", "never"])]
    progress: String,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Adapter command to check, e.g. "python3 my_adapter.py". Split into words like a shell
    /// does (quotes and backslashes work; no variables, globs or pipes). Without it, the
    /// built-in reference implementation is checked.
    #[arg(long, value_name = "CMD")]
    adapter: Option<String>,

    /// A vector file, or a directory whose *.json files are all run. Repeatable. Default: the
    /// vector files built into this runner (reported as built-in/<name>.json), the ones it was
    /// released with; no checkout is needed.
    #[arg(long, value_name = "PATH")]
    vectors: Vec<PathBuf>,

    /// Also write the report as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,

    /// Also write the report as JUnit XML to FILE.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,

    /// Do not fail the run because of unsupported cases.
    #[arg(long)]
    allow_unsupported: bool,

    /// Longest wait for one adapter response, in seconds (fractions allowed).
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = seconds)]
    timeout: Duration,

    /// Longest the whole run may take, in seconds (fractions allowed).
    #[arg(long, value_name = "SECS", default_value = "1800", value_parser = seconds)]
    run_timeout: Duration,

    /// Run only cases whose path file/group/id matches GLOB, where * matches any characters.
    /// Repeatable: a case runs when any pattern matches.
    #[arg(long = "filter", value_name = "GLOB")]
    filters: Vec<String>,

    /// Print the selected case paths and run nothing.
    #[arg(long)]
    list: bool,

    /// Expectations file: lines `fail GLOB REASON` (known failures: they run, and failing does not
    /// fail the run; passing does) and `skip GLOB REASON` (not sent). See the README.
    #[arg(long, value_name = "FILE")]
    expect: Option<PathBuf>,

    /// Progress on stderr: `auto` draws a bar when stderr is a terminal.
    #[arg(long, value_name = "WHEN", default_value = "auto", value_parser = ["auto", "always", "never"])]
    progress: String,
}

fn seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text.trim().parse().map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if secs.is_nan() || secs <= 0.0 {
        return Err(format!("`{text}` is not a positive number of seconds"));
    }
    Duration::try_from_secs_f64(secs).map_err(|_| format!("`{text}` seconds is too long"))
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() { exit(Exit::Usage) } else { ExitCode::SUCCESS };
        }
    };
    match cli.command {
        Command::Run(args) => exit(run_command(&args)),
        Command::Fuzz(args) => exit(fuzz_command(&args)),
    }
}

fn exit(exit: Exit) -> ExitCode {
    ExitCode::from(exit.code())
}

fn fail(exit: Exit, message: &str) -> Exit {
    eprintln!("cinder-conformance: {message}");
    exit
}

fn run_command(args: &RunArgs) -> Exit {
    let loaded = if args.vectors.is_empty() { load_builtin() } else { load_paths(&args.vectors) };
    let files = match loaded {
        Ok(files) => files,
        Err(error) => return fail(Exit::BadVectors, &format!("bad vector file {error}")),
    };
    let expectations = match &args.expect {
        Some(path) => match Expectations::load(path) {
            Ok(expectations) => Some(expectations),
            Err(error) => return fail(Exit::Usage, &format!("bad expectations file {error}")),
        },
        None => None,
    };
    let filters: Vec<Pattern> = args.filters.iter().map(|f| Pattern::new(f)).collect();
    let selected = selected_paths(&files, &filters);
    if selected.is_empty() {
        if filters.is_empty() {
            return fail(Exit::BadVectors, "bad vector files: they hold no test cases");
        }
        return fail(Exit::Usage, &format!("no test case matches --filter {}", args.filters.join(", --filter ")));
    }
    if args.list {
        let mut out = io::stdout().lock();
        for path in selected {
            let _ = writeln!(out, "{path}");
        }
        return Exit::Passed;
    }
    let mut target: Box<dyn Target> = match &args.adapter {
        Some(text) => match AdapterCommand::parse(text) {
            Ok(command) => Box::new(ProcessTarget::new(command)),
            Err(message) => return fail(Exit::Usage, &message),
        },
        None => Box::new(Builtin),
    };
    // Open report files before the run, so a bad path costs no run.
    let mut json_file = match create(args.json.as_deref(), "--json") {
        Ok(file) => file,
        Err(message) => return fail(Exit::Usage, &message),
    };
    let mut junit_file = match create(args.junit.as_deref(), "--junit") {
        Ok(file) => file,
        Err(message) => return fail(Exit::Usage, &message),
    };

    let options = Options {
        filters,
        request_timeout: args.timeout,
        run_timeout: args.run_timeout,
        allow_unsupported: args.allow_unsupported,
        expectations,
    };
    let show_progress = match args.progress.as_str() {
        "always" => true,
        "never" => false,
        _ => io::stderr().is_terminal(),
    };
    let report = if show_progress {
        run::run_with_progress(&files, target.as_mut(), &options, &mut Bar::new())
    } else {
        run::run_with_progress(&files, target.as_mut(), &options, &mut Quiet)
    };
    drop(target);

    let _ = io::stdout().lock().write_all(human::render(&report).as_bytes());
    if let Some((file, path)) = json_file.as_mut()
        && let Err(e) = file.write_all(format!("{}\n", report.to_json()).as_bytes())
    {
        return fail(Exit::Usage, &format!("cannot write the --json report {}: {e}", path.display()));
    }
    if let Some((file, path)) = junit_file.as_mut()
        && let Err(e) = file.write_all(junit::render(&report).as_bytes())
    {
        return fail(Exit::Usage, &format!("cannot write the --junit report {}: {e}", path.display()));
    }
    report.exit()
}

fn fuzz_command(args: &FuzzArgs) -> Exit {
    let command = match AdapterCommand::parse(&args.adapter) {
        Ok(command) => command,
        Err(message) => return fail(Exit::Usage, &message),
    };
    if let Some(dir) = &args.out
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        return fail(Exit::Usage, &format!("cannot create the --out directory {}: {e}", dir.display()));
    }
    let files = match load_builtin() {
        Ok(files) => files,
        Err(error) => return fail(Exit::BadVectors, &format!("bad built-in vector file {error}")),
    };
    let seed = args.seed.unwrap_or_else(|| {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        u64::try_from(now.as_nanos() % u128::from(u64::MAX)).unwrap_or(0)
    });
    let budget = match (args.cases, args.time) {
        (_, Some(time)) => fuzz::Budget::Time(time),
        (Some(cases), None) => fuzz::Budget::Cases(cases),
        (None, None) => fuzz::Budget::Cases(fuzz::DEFAULT_CASES),
    };
    let options = fuzz::Options {
        ops: args.ops.iter().map(|glob| Pattern::new(glob)).collect(),
        seed,
        budget,
        jobs: usize::from(args.jobs),
        out: args.out.clone(),
        request_timeout: args.timeout,
        minimise_tries: args.minimise_tries,
        stop_at_first: false,
    };
    let make = move || -> Box<dyn Target + Send> { Box::new(ProcessTarget::new(command.clone())) };
    let show_progress = match args.progress.as_str() {
        "always" => true,
        "never" => false,
        _ => io::stderr().is_terminal(),
    };
    eprintln!("cinder-conformance fuzz: seed {seed}");
    let result = if show_progress {
        fuzz::fuzz(&files, &make, &options, &mut FuzzLine::default())
    } else {
        fuzz::fuzz(&files, &make, &options, &mut fuzz::Quiet)
    };
    match result {
        Ok(report) => {
            let _ = io::stdout().lock().write_all(report.render().as_bytes());
            report.exit()
        }
        Err(message) => fail(Exit::Usage, &message),
    }
}

/// The fuzz progress line on stderr, redrawn in place, erased at the end.
#[derive(Default)]
struct FuzzLine {
    shown: bool,
}

impl fuzz::Progress for FuzzLine {
    fn update(&mut self, tally: fuzz::Tally, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        #[allow(clippy::cast_precision_loss)]
        let rate = if secs > 0.0 { tally.cases as f64 / secs } else { 0.0 };
        let _ = write!(
            io::stderr().lock(),
            "\rfuzz: {} cases, {} disagreements ({} distinct), {} lost, {rate:.0} cases/s\x1b[K",
            tally.cases,
            tally.disagreeing,
            tally.distinct,
            tally.lost
        );
        self.shown = true;
    }

    fn done(&mut self) {
        if self.shown {
            let _ = write!(io::stderr().lock(), "\r\x1b[K");
        }
    }
}

/// A progress bar on stderr, redrawn in place at most ten times a second, erased at the end.
struct Bar {
    last: Option<Instant>,
    width: usize,
}

impl Bar {
    /// The bar's width in characters: `COLUMNS` when the shell exports it, else 80.
    fn new() -> Self {
        let columns = std::env::var("COLUMNS").ok().and_then(|c| c.parse::<usize>().ok()).unwrap_or(80);
        Self { last: None, width: columns.clamp(40, 200) - 1 }
    }
}

impl Progress for Bar {
    fn case(&mut self, index: usize, total: usize, path: &str) {
        let now = Instant::now();
        if self.last.is_some_and(|last| now.duration_since(last) < Duration::from_millis(100)) {
            return;
        }
        self.last = Some(now);
        let cells = 20;
        let filled = (index * cells).checked_div(total).unwrap_or(0);
        let mut line = format!("[{}{}] {index}/{total} ", "=".repeat(filled), " ".repeat(cells - filled));
        let room = self.width.saturating_sub(line.chars().count());
        // Vector IDs are data: no control character of theirs reaches the terminal.
        let path: String = path.chars().filter(|c| !c.is_control()).collect();
        let shown: String = if path.chars().count() > room {
            let tail: Vec<char> = path.chars().rev().take(room.saturating_sub(3)).collect();
            format!("...{}", tail.into_iter().rev().collect::<String>())
        } else {
            path
        };
        line.push_str(&shown);
        // Carriage return, the line, then erase to the end of the line.
        let _ = write!(io::stderr().lock(), "\r{line}\x1b[K");
    }

    fn done(&mut self) {
        if self.last.is_some() {
            let _ = write!(io::stderr().lock(), "\r\x1b[K");
        }
    }
}

fn create<'p>(path: Option<&'p Path>, flag: &str) -> Result<Option<(File, &'p Path)>, String> {
    let Some(path) = path else {
        return Ok(None);
    };
    File::create(path)
        .map(|file| Some((file, path)))
        .map_err(|e| format!("cannot write the {flag} report {}: {e}", path.display()))
}
