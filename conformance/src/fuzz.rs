//! Differential fuzzing (`cinder-conformance fuzz`): generated requests answered by the reference
//! in-process and by an adapter, compared as `run` compares a vector case.
//!
//! Cases come from [`cinder_vectors::generators`], seeded from the vector files built into the
//! runner; case `i` of seed `s` is always the same request, whichever job makes it. The
//! reference's answer is turned into a test case (`result`/`expected`/`error`), and the adapter's
//! response is judged by [`crate::check::check`]; a case whose request the reference cannot read
//! (`adapter.bad_request`) says nothing about conformance and is skipped.
//!
//! A disagreement is named by its operation and its first differing field (or, for errors, the two
//! codes); the first of each name is minimised — delta debugging of every array (event lists,
//! recipients, lookups) and every byte string, keeping a change only while the same disagreement
//! persists — and, with an output directory, written there as a one-case vector file that
//! `cinder-conformance run --vectors FILE` replays. Later disagreements of the same name are only
//! counted.
//!
//! `jobs` adapter processes run side by side, each on its own thread. An adapter that breaks the
//! conversation (crashes, hangs, floods) is restarted and the case counted as lost; one that
//! cannot be started (again) ends the run as adapter broken.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use core::time::Duration;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use cinder_vectors::format::{FORMAT_VERSION, Outcome, TestCase, TestGroup, VectorFile};
use cinder_vectors::generators::{Case, Corpus, Generator, Oracle, Step, at_path_mut, decode_hex, shrinkable};
use serde_json::{Map, Value};

use crate::Exit;
use crate::check::{Verdict, check};
use crate::dispatch::dispatch;
use crate::filter::Pattern;
use crate::load::LoadedFile;
use crate::lowerhex;
use crate::protocol::Response;
use crate::target::{FaultKind, Limits, Target};

/// Default number of cases.
pub const DEFAULT_CASES: u64 = 10_000;
/// Default number of requests a minimisation may spend.
pub const DEFAULT_MINIMISE_TRIES: usize = 600;

/// How long a fuzz run goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Budget {
    /// This many cases.
    Cases(u64),
    /// Until this much time has passed.
    Time(Duration),
}

/// How a fuzz run is done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Only operations matching one of these globs (all, when empty).
    pub ops: Vec<Pattern>,
    /// The run's seed: with the same adapter, the same seed gives the same cases.
    pub seed: u64,
    /// How long the run goes on.
    pub budget: Budget,
    /// Adapter processes side by side.
    pub jobs: usize,
    /// Where minimised reproducers are written, one vector file each.
    pub out: Option<PathBuf>,
    /// Longest wait for one response.
    pub request_timeout: Duration,
    /// Requests one minimisation may spend.
    pub minimise_tries: usize,
    /// End the run at the first disagreement (after minimising it).
    pub stop_at_first: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            ops: Vec::new(),
            seed: 0,
            budget: Budget::Cases(DEFAULT_CASES),
            jobs: 1,
            out: None,
            request_timeout: crate::run::DEFAULT_REQUEST_TIMEOUT,
            minimise_tries: DEFAULT_MINIMISE_TRIES,
            stop_at_first: false,
        }
    }
}

/// One distinct disagreement, minimised.
#[derive(Clone, Debug, PartialEq)]
pub struct Disagreement {
    /// Operation and first differing field, e.g. `identity.canonicalize: canonical`.
    pub name: String,
    /// The operation.
    pub op: String,
    /// The protocol part.
    pub part: String,
    /// The case number that first showed it.
    pub case: u64,
    /// The vector case it was generated from (`file/group/id`).
    pub origin: String,
    /// Requirement IDs of that case.
    pub requirements: Vec<String>,
    /// The minimised arguments.
    pub args: Value,
    /// Size of the generated arguments, as compact JSON, in bytes.
    pub original_size: usize,
    /// Size of the minimised arguments, in bytes.
    pub size: usize,
    /// The reference's answer to the minimised arguments.
    pub reference: Response,
    /// The adapter's.
    pub adapter: Response,
    /// How they differ, as `run` says it.
    pub message: String,
    /// How many cases showed it.
    pub count: u64,
    /// The reproducer written to the output directory.
    pub file: Option<PathBuf>,
}

/// What a fuzz run found.
#[derive(Clone, Debug, PartialEq)]
pub struct FuzzReport {
    /// The seed.
    pub seed: u64,
    /// The adapter's name from `hello`.
    pub adapter: Option<String>,
    /// The target, described.
    pub target: String,
    /// The operations fuzzed.
    pub ops: Vec<String>,
    /// Cases made.
    pub cases: u64,
    /// Cases both sides answered and that were compared.
    pub compared: u64,
    /// Cases skipped because the reference could not read the request.
    pub skipped: u64,
    /// Cases the adapter answered `unsupported`.
    pub unsupported: u64,
    /// Cases lost to an adapter fault (crash, hang, garbage).
    pub lost: u64,
    /// Adapter restarts.
    pub restarts: u64,
    /// Cases that disagreed (each distinct one is in `distinct`).
    pub disagreeing: u64,
    /// Each distinct disagreement, by name.
    pub distinct: Vec<Disagreement>,
    /// Why the run stopped early, when the adapter broke.
    pub broken: Option<String>,
    /// Problems writing reproducers, and the first few adapter faults.
    pub warnings: Vec<String>,
    /// How long the run took.
    pub elapsed: Duration,
    /// Time spent on adapter round trips (writing the request, waiting, reading the response),
    /// over all jobs.
    pub adapter_time: Duration,
    /// Time the in-process reference spent answering, over all jobs.
    pub reference_time: Duration,
    /// Time spent making cases, over all jobs.
    pub generate_time: Duration,
}

impl FuzzReport {
    /// The exit status: as `run`'s (0 no disagreement, 1 some, 2 adapter broken).
    #[must_use]
    pub const fn exit(&self) -> Exit {
        if self.broken.is_some() {
            Exit::AdapterBroken
        } else if self.disagreeing > 0 {
            Exit::Failed
        } else {
            Exit::Passed
        }
    }

    /// Cases per second.
    #[must_use]
    pub fn rate(&self) -> f64 {
        rate(self.cases, self.elapsed)
    }

    /// The human summary: the seed, counts, each disagreement, and the last line
    /// `fuzz: N cases, D disagreements (U distinct), ... seed S`.
    #[must_use]
    pub fn render(&self) -> String {
        use core::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(out, "fuzzing {} (seed {}) on {}", self.target, self.seed, self.ops.join(", "));
        for d in &self.distinct {
            let _ = writeln!(out, "\nDISAGREEMENT {} (case {}, {} cases in all)", d.name, d.case, d.count);
            let _ = writeln!(out, "  from:      {}", d.origin);
            let _ = writeln!(
                out,
                "  args:      {} (minimised from {} to {} bytes)",
                excerpt(&d.args.to_string(), 400),
                d.original_size,
                d.size
            );
            let _ = writeln!(out, "  reference: {}", d.reference.describe());
            let _ = writeln!(out, "  adapter:   {}", d.adapter.describe());
            let _ = writeln!(out, "  {}", d.message);
            if let Some(file) = &d.file {
                let _ = writeln!(out, "  replay:    cinder-conformance run --vectors {} --adapter ...", file.display());
            }
        }
        for warning in &self.warnings {
            let _ = writeln!(out, "warning: {warning}");
        }
        if let Some(why) = &self.broken {
            let _ = writeln!(out, "\nADAPTER BROKEN: {why}");
        }
        let _ = writeln!(out, "\n{}", self.summary_line());
        out
    }

    /// The last line of [`FuzzReport::render`].
    #[must_use]
    pub fn summary_line(&self) -> String {
        format!(
            "fuzz: {} cases, {} disagreements ({} distinct), {} compared, {} skipped (bad request), {} unsupported, \
             {} lost to adapter faults, {} restarts; {:.1} s, {:.0} cases/s; seed {}",
            self.cases,
            self.disagreeing,
            self.distinct.len(),
            self.compared,
            self.skipped,
            self.unsupported,
            self.lost,
            self.restarts,
            self.elapsed.as_secs_f64(),
            self.rate(),
            self.seed
        )
    }
}

fn rate(cases: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let cases = cases as f64;
    if secs > 0.0 { cases / secs } else { 0.0 }
}

fn excerpt(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        text.to_owned()
    } else {
        format!("{}...", text.chars().take(chars).collect::<String>())
    }
}

/// The counts while a run goes on, for a progress line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Cases done.
    pub cases: u64,
    /// Cases that disagreed.
    pub disagreeing: u64,
    /// Distinct disagreements.
    pub distinct: u64,
    /// Cases lost to adapter faults.
    pub lost: u64,
}

/// Told about a running fuzz run about ten times a second.
pub trait Progress {
    /// The counts so far, after `elapsed`.
    fn update(&mut self, tally: Tally, elapsed: Duration);
    /// The run is over.
    fn done(&mut self) {}
}

/// No progress shown.
#[derive(Clone, Copy, Debug, Default)]
pub struct Quiet;

impl Progress for Quiet {
    fn update(&mut self, _tally: Tally, _elapsed: Duration) {}
}

/// The reference, in-process, as the generator's oracle (it seals fresh envelopes).
#[derive(Clone, Copy, Debug, Default)]
pub struct Reference;

impl Oracle for Reference {
    fn answer(&mut self, op: &str, args: &Value) -> Option<Map<String, Value>> {
        match dispatch(op, args) {
            Response::Ok(fields) => Some(fields),
            _ => None,
        }
    }
}

/// The corpus of the loaded vector files.
#[must_use]
pub fn corpus(files: &[LoadedFile]) -> Corpus {
    let named: Vec<(&str, &VectorFile)> = files.iter().map(|f| (f.name.as_str(), &f.vectors)).collect();
    Corpus::from_files(&named)
}

/// The operations of `corpus` that `patterns` select (all, when there are none).
#[must_use]
pub fn selected_ops(corpus: &Corpus, patterns: &[Pattern]) -> Vec<String> {
    corpus.ops().into_iter().filter(|op| patterns.is_empty() || patterns.iter().any(|p| p.matches(op))).collect()
}

/// The test case a reference answer makes: `None` when the reference could not read the request
/// (an `adapter.*` code), which no vector may expect.
#[must_use]
pub fn expected_case(reference: &Response, args: &Value) -> Option<TestCase> {
    let (result, expected, error) = match reference {
        Response::Ok(fields) => (Outcome::Valid, Some(Value::Object(fields.clone())), None),
        Response::Error { code, .. } if !code.starts_with("adapter.") => (Outcome::Invalid, None, Some(code.clone())),
        _ => return None,
    };
    Some(TestCase {
        id: String::new(),
        comment: String::new(),
        requirements: Vec::new(),
        flags: Vec::new(),
        args: args.clone(),
        result,
        expected,
        error,
    })
}

/// The name of a disagreement: the operation and the first differing field (its path without
/// array positions), or the two error codes.
#[must_use]
pub fn disagreement_name(op: &str, reference: &Response, adapter: &Response) -> String {
    let code = |r: &Response| match r {
        Response::Ok(_) => "ok".to_owned(),
        Response::Error { code, .. } => format!("error {code}"),
        Response::Unsupported => "unsupported".to_owned(),
    };
    match (reference, adapter) {
        (Response::Ok(want), Response::Ok(got)) => {
            for (key, value) in want {
                match got.get(key) {
                    None => return format!("{op}: {key} (missing)"),
                    Some(have) if have != value => return format!("{op}: {key}{}", field_below(value, have)),
                    Some(_) => {}
                }
            }
            format!("{op}: ok")
        }
        _ => format!("{op}: {} vs {}", code(reference), code(adapter)),
    }
}

fn field_below(want: &Value, have: &Value) -> String {
    match (want, have) {
        (Value::Object(want), Value::Object(have)) => {
            for (key, value) in want {
                match have.get(key) {
                    None => return format!(".{key} (missing)"),
                    Some(other) if other != value => return format!(".{key}{}", field_below(value, other)),
                    Some(_) => {}
                }
            }
            " (extra field)".into()
        }
        (Value::Array(want), Value::Array(have)) => match want.iter().zip(have).find(|(w, h)| w != h) {
            Some((w, h)) => format!("[]{}", field_below(w, h)),
            None => " (length)".into(),
        },
        _ => String::new(),
    }
}

/// Shared state of the jobs of one run.
struct Shared<'a> {
    generator: Generator<'a>,
    corpus: &'a Corpus,
    options: &'a Options,
    started: Instant,
    next: AtomicU64,
    stop: AtomicBool,
    cases: AtomicU64,
    compared: AtomicU64,
    skipped: AtomicU64,
    unsupported: AtomicU64,
    lost: AtomicU64,
    restarts: AtomicU64,
    disagreeing: AtomicU64,
    adapter_nanos: AtomicU64,
    reference_nanos: AtomicU64,
    generate_nanos: AtomicU64,
    found: Mutex<BTreeMap<String, Disagreement>>,
    faults: Mutex<Vec<String>>,
    broken: Mutex<Option<String>>,
    adapter: Mutex<Option<String>>,
}

/// Runs a fuzz campaign: `make_target` makes one target per job.
///
/// # Errors
/// When `options.ops` selects no operation the corpus or the adapter has (a usage error).
pub fn fuzz(
    files: &[LoadedFile],
    make_target: &(dyn Fn() -> Box<dyn Target + Send> + Sync),
    options: &Options,
    progress: &mut dyn Progress,
) -> Result<FuzzReport, String> {
    let corpus = corpus(files);
    let wanted = selected_ops(&corpus, &options.ops);
    if wanted.is_empty() {
        let globs: Vec<&str> = options.ops.iter().map(Pattern::as_str).collect();
        return Err(format!(
            "--ops {} matches no operation (there are: {})",
            globs.join(", "),
            corpus.ops().join(", ")
        ));
    }
    let started = Instant::now();
    let limits = limits(options, started);
    let mut first = make_target();
    let target_name = first.describe();
    let hello = match first.start(&limits) {
        Ok(hello) => hello,
        Err(fault) => {
            let _ = first.finish();
            return Ok(FuzzReport {
                seed: options.seed,
                adapter: None,
                target: target_name,
                ops: wanted,
                cases: 0,
                compared: 0,
                skipped: 0,
                unsupported: 0,
                lost: 0,
                restarts: 0,
                disagreeing: 0,
                distinct: Vec::new(),
                broken: Some(format!("the adapter could not be started: {}", fault.message)),
                warnings: Vec::new(),
                elapsed: started.elapsed(),
                adapter_time: Duration::ZERO,
                reference_time: Duration::ZERO,
                generate_time: Duration::ZERO,
            });
        }
    };
    let ops: Vec<String> = wanted.iter().filter(|op| hello.supports(op)).cloned().collect();
    if ops.is_empty() {
        let _ = first.finish();
        return Err(format!("the adapter lists none of the selected operations ({})", wanted.join(", ")));
    }
    let shared = Shared {
        generator: Generator::new(&corpus, &ops),
        corpus: &corpus,
        options,
        started,
        next: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        cases: AtomicU64::new(0),
        compared: AtomicU64::new(0),
        skipped: AtomicU64::new(0),
        unsupported: AtomicU64::new(0),
        lost: AtomicU64::new(0),
        restarts: AtomicU64::new(0),
        disagreeing: AtomicU64::new(0),
        adapter_nanos: AtomicU64::new(0),
        reference_nanos: AtomicU64::new(0),
        generate_nanos: AtomicU64::new(0),
        found: Mutex::new(BTreeMap::new()),
        faults: Mutex::new(Vec::new()),
        broken: Mutex::new(None),
        adapter: Mutex::new(Some(hello.adapter.clone())),
    };
    let running = AtomicU64::new(0);
    let finished: Mutex<Option<Instant>> = Mutex::new(None);
    std::thread::scope(|scope| {
        let jobs = options.jobs.max(1);
        let mut first = Some(first);
        for _ in 0..jobs {
            let (target, ready) = match first.take() {
                Some(target) => (target, true),
                None => (make_target(), false),
            };
            running.fetch_add(1, Ordering::SeqCst);
            let shared = &shared;
            let running = &running;
            let finished = &finished;
            scope.spawn(move || {
                let mut job = Job { shared, target, ready };
                job.run();
                let _ = job.target.finish();
                if let Ok(mut last) = finished.lock() {
                    *last = Some(Instant::now());
                }
                running.fetch_sub(1, Ordering::SeqCst);
            });
        }
        let mut shown = Instant::now();
        while running.load(Ordering::SeqCst) > 0 {
            std::thread::sleep(Duration::from_millis(5));
            if shown.elapsed() >= Duration::from_millis(100) {
                shown = Instant::now();
                progress.update(shared.tally(), started.elapsed());
            }
        }
    });
    progress.done();
    let found = shared.found.into_inner().unwrap_or_default();
    let mut distinct: Vec<Disagreement> = found.into_values().collect();
    distinct.sort_by_key(|d| d.case);
    let mut warnings = shared.faults.lock().map(|f| f.clone()).unwrap_or_default();
    if let Some(dir) = &options.out {
        for d in &mut distinct {
            match write_reproducer(dir, d, files, options.seed) {
                Ok(path) => d.file = Some(path),
                Err(e) => warnings.push(e),
            }
        }
    }
    let get = |a: &AtomicU64| a.load(Ordering::SeqCst);
    let lost = get(&shared.lost);
    let compared = get(&shared.compared);
    let mut broken = shared.broken.into_inner().unwrap_or_default();
    if broken.is_none() && compared == 0 && lost > 0 {
        broken = Some(format!("every one of the {lost} cases sent was lost to an adapter fault"));
    }
    Ok(FuzzReport {
        seed: options.seed,
        adapter: shared.adapter.into_inner().unwrap_or_default(),
        target: target_name,
        ops,
        cases: get(&shared.cases),
        compared,
        skipped: get(&shared.skipped),
        unsupported: get(&shared.unsupported),
        lost,
        restarts: get(&shared.restarts),
        disagreeing: get(&shared.disagreeing),
        distinct,
        broken,
        warnings,
        elapsed: finished.into_inner().ok().flatten().unwrap_or_else(Instant::now).duration_since(started),
        adapter_time: Duration::from_nanos(get(&shared.adapter_nanos)),
        reference_time: Duration::from_nanos(get(&shared.reference_nanos)),
        generate_time: Duration::from_nanos(get(&shared.generate_nanos)),
    })
}

fn limits(options: &Options, started: Instant) -> Limits {
    let run = match options.budget {
        Budget::Time(time) => time + Duration::from_secs(3600),
        Budget::Cases(_) => Duration::from_secs(30 * 24 * 3600),
    };
    Limits { request_timeout: options.request_timeout, run_deadline: started + run }
}

impl Shared<'_> {
    fn tally(&self) -> Tally {
        let found = self.found.lock().map_or(0, |f| f.len());
        Tally {
            cases: self.cases.load(Ordering::SeqCst),
            disagreeing: self.disagreeing.load(Ordering::SeqCst),
            distinct: u64::try_from(found).unwrap_or(u64::MAX),
            lost: self.lost.load(Ordering::SeqCst),
        }
    }

    fn break_run(&self, why: String) {
        if let Ok(mut broken) = self.broken.lock()
            && broken.is_none()
        {
            *broken = Some(why);
        }
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// What one request to the adapter gave.
enum Answer {
    /// A response.
    Response(Response),
    /// A fault; the adapter has been restarted or will be.
    Lost,
    /// The adapter cannot be started again: the run is over.
    Broken,
}

/// One job: one adapter process and the cases it runs.
struct Job<'s, 'a> {
    shared: &'s Shared<'a>,
    target: Box<dyn Target + Send>,
    /// Whether the target has been started and answered `hello`.
    ready: bool,
}

impl Job<'_, '_> {
    fn run(&mut self) {
        let shared = self.shared;
        let options = shared.options;
        while !shared.stop.load(Ordering::SeqCst) {
            let index = shared.next.fetch_add(1, Ordering::SeqCst);
            let over = match options.budget {
                Budget::Cases(n) => index >= n,
                Budget::Time(time) => shared.started.elapsed() >= time,
            };
            if over {
                break;
            }
            let before = Instant::now();
            let case = shared.generator.case(options.seed, index, &mut Reference);
            add_time(&shared.generate_nanos, before);
            let Some(case) = case else { break };
            shared.cases.fetch_add(1, Ordering::SeqCst);
            self.one(index, &case);
        }
    }

    fn ask(&mut self, op: &str, args: &Value) -> Answer {
        let limits = limits(self.shared.options, self.shared.started);
        if !self.ready {
            match self.target.start(&limits) {
                Ok(hello) => {
                    if let Ok(mut adapter) = self.shared.adapter.lock() {
                        *adapter = Some(hello.adapter);
                    }
                    self.ready = true;
                }
                Err(fault) => {
                    self.shared.break_run(format!("the adapter could not be restarted: {}", fault.message));
                    return Answer::Broken;
                }
            }
        }
        let before = Instant::now();
        let answer = self.target.call(op, args, &limits);
        add_time(&self.shared.adapter_nanos, before);
        let _ = self.target.take_log();
        match answer {
            Ok(response) => Answer::Response(response),
            Err(fault) => {
                self.shared.lost.fetch_add(1, Ordering::SeqCst);
                if let Ok(mut faults) = self.shared.faults.lock()
                    && faults.len() < 5
                {
                    faults.push(format!("case lost ({op}): {}", fault.message));
                }
                match fault.kind {
                    FaultKind::Restarted => {
                        self.ready = false;
                        self.shared.restarts.fetch_add(1, Ordering::SeqCst);
                        Answer::Lost
                    }
                    FaultKind::Malformed => Answer::Lost,
                    FaultKind::RunTimeout => {
                        self.shared.break_run(format!("the run's time was over: {}", fault.message));
                        Answer::Broken
                    }
                }
            }
        }
    }

    fn one(&mut self, index: u64, case: &Case) {
        let shared = self.shared;
        let before = Instant::now();
        let reference = dispatch(&case.op, &case.args);
        add_time(&shared.reference_nanos, before);
        let Some(test) = expected_case(&reference, &case.args) else {
            shared.skipped.fetch_add(1, Ordering::SeqCst);
            return;
        };
        let response = match self.ask(&case.op, &case.args) {
            Answer::Response(response) => response,
            Answer::Lost | Answer::Broken => return,
        };
        match check(&test, &response) {
            Verdict::Passed => {
                shared.compared.fetch_add(1, Ordering::SeqCst);
            }
            Verdict::Unsupported => {
                shared.unsupported.fetch_add(1, Ordering::SeqCst);
            }
            Verdict::Failed(message) => {
                shared.compared.fetch_add(1, Ordering::SeqCst);
                shared.disagreeing.fetch_add(1, Ordering::SeqCst);
                let name = disagreement_name(&case.op, &reference, &response);
                {
                    let Ok(mut found) = shared.found.lock() else { return };
                    if let Some(known) = found.get_mut(&name) {
                        known.count += 1;
                        return;
                    }
                    // Claim the name now; the minimised case replaces the placeholder.
                    found.insert(name.clone(), self.placeholder(index, case, &name, &reference, &response, &message));
                }
                let minimised = self.minimise(case, &name);
                let (reference, adapter, message) =
                    self.answers(&case.op, &minimised).unwrap_or((reference, response, message));
                if let Ok(mut found) = shared.found.lock()
                    && let Some(known) = found.get_mut(&name)
                {
                    known.size = minimised.to_string().len();
                    known.args = minimised;
                    known.reference = reference;
                    known.adapter = adapter;
                    known.message = message;
                }
                if shared.options.stop_at_first {
                    shared.stop.store(true, Ordering::SeqCst);
                }
            }
        }
    }

    fn placeholder(
        &self,
        index: u64,
        case: &Case,
        name: &str,
        reference: &Response,
        adapter: &Response,
        message: &str,
    ) -> Disagreement {
        let seed = self.shared.corpus.seed(case.seed);
        let size = case.args.to_string().len();
        Disagreement {
            name: name.to_owned(),
            op: case.op.clone(),
            part: seed.map(|s| s.part.clone()).unwrap_or_default(),
            case: index,
            origin: seed.map(|s| s.origin.clone()).unwrap_or_default(),
            requirements: seed.map(|s| s.requirements.clone()).unwrap_or_default(),
            args: case.args.clone(),
            original_size: size,
            size,
            reference: reference.clone(),
            adapter: adapter.clone(),
            message: message.to_owned(),
            count: 1,
            file: None,
        }
    }

    /// Both answers to `args` and how they differ, if they still disagree.
    fn answers(&mut self, op: &str, args: &Value) -> Option<(Response, Response, String)> {
        let reference = dispatch(op, args);
        let test = expected_case(&reference, args)?;
        let Answer::Response(response) = self.ask(op, args) else { return None };
        match check(&test, &response) {
            Verdict::Failed(message) => Some((reference, response, message)),
            _ => None,
        }
    }

    /// Whether `args` still shows the disagreement `name`.
    fn still(&mut self, op: &str, args: &Value, name: &str, tries: &mut usize) -> bool {
        if *tries == 0 {
            return false;
        }
        *tries -= 1;
        self.answers(op, args)
            .is_some_and(|(reference, adapter, _)| disagreement_name(op, &reference, &adapter) == name)
    }

    /// Delta debugging: every array and byte string of the arguments, outermost first, loses as
    /// much as it can while the disagreement stays the same; repeated while anything shrinks.
    fn minimise(&mut self, case: &Case, name: &str) -> Value {
        let mut tries = self.shared.options.minimise_tries;
        let mut best = case.args.clone();
        for _ in 0..4 {
            let before = best.to_string().len();
            for path in shrinkable(&best) {
                let Some(current) = at_path_mut(&mut best.clone(), &path).map(|v| v.clone()) else { continue };
                match current {
                    Value::Array(items) => {
                        let kept = ddmin(items, &mut |candidate: &[Value]| {
                            let mut args = best.clone();
                            if let Some(slot) = at_path_mut(&mut args, &path) {
                                *slot = Value::Array(candidate.to_vec());
                            }
                            self.still(&case.op, &args, name, &mut tries)
                        });
                        set(&mut best, &path, Value::Array(kept));
                    }
                    Value::String(text) => {
                        let Some(bytes) = decode_hex(&text) else { continue };
                        let kept = ddmin(bytes, &mut |candidate: &[u8]| {
                            let mut args = best.clone();
                            set(&mut args, &path, Value::String(lowerhex::encode(candidate)));
                            self.still(&case.op, &args, name, &mut tries)
                        });
                        set(&mut best, &path, Value::String(lowerhex::encode(&kept)));
                    }
                    _ => {}
                }
                if tries == 0 {
                    return best;
                }
            }
            if best.to_string().len() >= before {
                break;
            }
        }
        best
    }
}

fn add_time(total: &AtomicU64, since: Instant) {
    let nanos = u64::try_from(since.elapsed().as_nanos()).unwrap_or(u64::MAX);
    total.fetch_add(nanos, Ordering::Relaxed);
}

fn set(value: &mut Value, path: &[Step], new: Value) {
    if let Some(slot) = at_path_mut(value, path) {
        *slot = new;
    }
}

/// The smallest list `test` still accepts that ddmin finds by removing chunks of halving size
/// (Zeller's delta debugging, complements only). `items` itself is assumed to pass.
fn ddmin<T: Clone>(mut items: Vec<T>, test: &mut dyn FnMut(&[T]) -> bool) -> Vec<T> {
    let mut parts = 2usize;
    while !items.is_empty() {
        let len = items.len();
        let chunk = len.div_ceil(parts.min(len));
        let mut reduced = false;
        let mut start = 0;
        while start < len {
            let end = (start + chunk).min(len);
            let mut candidate = items[..start].to_vec();
            candidate.extend_from_slice(&items[end..]);
            if test(&candidate) {
                items = candidate;
                parts = (parts - 1).max(2);
                reduced = true;
                break;
            }
            start = end;
        }
        if !reduced {
            if chunk == 1 {
                break;
            }
            parts = (parts * 2).min(len);
        }
    }
    items
}

/// Short stable hex name of a disagreement (FNV-1a over its name).
fn name_hash(name: &str) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in name.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    format!("{hash:08x}")
}

/// The one-case vector file of a disagreement: header fields from the part's vector file, the
/// reference's answer as the expected result.
#[must_use]
pub fn reproducer(d: &Disagreement, files: &[LoadedFile], seed: u64) -> Option<VectorFile> {
    let file = files.iter().find(|f| f.vectors.part == d.part)?;
    let (result, expected, error) = match &d.reference {
        Response::Ok(fields) => (Outcome::Valid, Some(Value::Object(fields.clone())), None),
        Response::Error { code, .. } => (Outcome::Invalid, None, Some(code.clone())),
        Response::Unsupported => return None,
    };
    let id = format!("fuzz-{}", name_hash(&d.name));
    let test = TestCase {
        id,
        comment: format!(
            "found by cinder-conformance fuzz --seed {seed}, case {}, from {}; the adapter answered {}",
            d.case,
            d.origin,
            excerpt(&d.adapter.describe(), 200)
        ),
        requirements: d.requirements.clone(),
        flags: Vec::new(),
        args: d.args.clone(),
        result,
        expected,
        error,
    };
    Some(VectorFile {
        schema: file.vectors.schema.clone(),
        format_version: FORMAT_VERSION,
        part: d.part.clone(),
        kit_version: file.vectors.kit_version.clone(),
        spec_version: file.vectors.spec_version.clone(),
        generator: "cinder-conformance fuzz".into(),
        number_of_tests: 1,
        header: vec![
            format!("A disagreement between an adapter and the reference: {}.", d.name),
            format!("Found by `cinder-conformance fuzz --seed {seed}` (case {}) and minimised.", d.case),
            "The expected answer is the reference's; replay with `cinder-conformance run --vectors FILE`.".into(),
        ],
        notes: Map::new(),
        test_groups: vec![TestGroup {
            group: "fuzz".into(),
            op: d.op.clone(),
            description: format!("minimised disagreement: {}", d.name),
            tests: vec![test],
        }],
    })
}

fn write_reproducer(dir: &Path, d: &Disagreement, files: &[LoadedFile], seed: u64) -> Result<PathBuf, String> {
    let file =
        reproducer(d, files, seed).ok_or_else(|| format!("no vector file of part {} to copy a header from", d.part))?;
    let text = file.to_pretty_json().map_err(|e| e.to_string())?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(format!("{}-{}.json", d.op.replace('.', "-"), name_hash(&d.name)));
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_reference_answers_every_generated_case_the_same_way_twice() {
        // The oracle must be a function of the request: the generators always give the randomness
        // an operation draws, so two answers to one generated request are equal.
        let files = crate::load::load_builtin().expect("the built-in vectors load");
        let corpus = corpus(&files);
        let ops = corpus.ops();
        let generator = Generator::new(&corpus, &ops);
        let mut answered = 0;
        for index in 0..600 {
            let case = generator.case(9, index, &mut Reference).expect("a case");
            let first = dispatch(&case.op, &case.args);
            assert_eq!(first, dispatch(&case.op, &case.args), "case {index} ({}) answered twice differently", case.op);
            answered += usize::from(expected_case(&first, &case.args).is_some());
        }
        assert!(answered > 400, "most generated cases are readable requests ({answered} of 600)");
    }

    #[test]
    fn ddmin_finds_the_one_item_that_matters() {
        let items: Vec<u32> = (0..100).collect();
        let kept = ddmin(items, &mut |c: &[u32]| c.contains(&37) && c.contains(&80));
        assert_eq!(kept, vec![37, 80]);
    }

    #[test]
    fn names_stop_at_the_first_differing_field() {
        let want =
            Response::Ok(json!({"steps": [{"phase": "read", "deadline": 5}]}).as_object().cloned().unwrap_or_default());
        let got =
            Response::Ok(json!({"steps": [{"phase": "read", "deadline": 6}]}).as_object().cloned().unwrap_or_default());
        assert_eq!(disagreement_name("expiry.scenario", &want, &got), "expiry.scenario: steps[].deadline");
        let error = Response::error("envelope.truncated", "");
        assert_eq!(
            disagreement_name("envelope.decode", &error, &got),
            "envelope.decode: error envelope.truncated vs ok"
        );
    }
}
