//! Cross checks: cases the runner makes up itself, with inputs drawn fresh from the operating
//! system's random generator on every run (`ADAPTER.md`, "Cross checks").
//!
//! Vectors must fix their randomness — an `envelope.seal` vector gives the content key — so they
//! cannot show that an implementation works with keys nobody chose in advance, nor that it draws
//! a fresh key of its own (ENV-020). A cross check does: the reference ([`dispatch`]) plays the
//! other side, sealing what the adapter must open, or opening what the adapter sealed.
//!
//! Cross checks belong to a protocol part ([`for_part`]). They run after the first selected
//! vector file of that part, as one more group of that file named [`GROUP`]: for the repository's
//! files their paths are `envelope/cross-check/ID`. Like a vector case, a cross check is selected
//! by `--filter`, listed by `--list`, unsupported when the adapter does not list an operation it
//! needs, and counted and reported like any other case; its `args` in the reports are the inputs
//! it drew, so a failure can be reproduced.
//!
//! [`dispatch`]: crate::dispatch::dispatch()

use serde_json::{Map, Value};

use crate::protocol::Response;

mod envelope;

/// The group name cross checks are reported under; no vector file may use it.
pub const GROUP: &str = "cross-check";

/// One cross check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrossCheck {
    /// Its ID, unique among the part's cross checks.
    pub id: String,
    /// What it checks, for reports.
    pub comment: String,
    /// The requirement IDs it covers.
    pub requirements: Vec<String>,
    /// The operations it sends; the adapter must list all of them, or the check is unsupported.
    pub ops: Vec<String>,
    /// What it expects of the adapter, in a sentence for reports.
    pub expected: String,
    body: Body,
}

/// What a cross check does, per part.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Body {
    Envelope(envelope::Check),
}

/// The cross checks of a protocol part, in run order (none for a part without any).
#[must_use]
pub fn for_part(part: &str) -> Vec<CrossCheck> {
    match part {
        "envelope" => envelope::checks(),
        _ => Vec::new(),
    }
}

/// How a cross check reaches the target under test.
pub trait Caller {
    /// Sends one request and returns its answer.
    ///
    /// # Errors
    /// [`NoAnswer`] when no usable answer came (a timeout, a crash, garbage); the caller has
    /// recorded why, and the check ends at once.
    fn call(&mut self, op: &str, args: &Value) -> Result<Response, NoAnswer>;
}

/// A request that got no usable answer; the [`Caller`] keeps the details.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoAnswer;

/// How a cross check ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckVerdict {
    /// Every answer was right.
    Passed,
    /// An answer was wrong.
    Failed {
        /// What was wrong, naming the step.
        message: String,
        /// The answer at fault, described; absent when the fault is not in one answer.
        got: Option<String>,
    },
    /// The adapter answered `unsupported`.
    Unsupported,
    /// A request got no usable answer ([`NoAnswer`]).
    NoAnswer,
}

/// A cross check's outcome and the inputs it drew.
#[derive(Clone, Debug, PartialEq)]
pub struct Checked {
    /// The inputs, as the case's `args` in the reports.
    pub args: Value,
    /// The verdict.
    pub verdict: CheckVerdict,
}

impl CrossCheck {
    /// Draws fresh inputs and runs the check through `caller`.
    pub fn run(&self, caller: &mut dyn Caller) -> Checked {
        match &self.body {
            Body::Envelope(check) => check.run(caller),
        }
    }
}

/// Why a check stopped before passing; `?` carries it out of a check's steps.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Stop {
    Failed { message: String, got: Option<String> },
    Unsupported,
    NoAnswer,
}

impl Stop {
    fn failed(message: impl Into<String>, got: Option<&Response>) -> Self {
        Self::Failed { message: message.into(), got: got.map(Response::describe) }
    }
}

impl From<NoAnswer> for Stop {
    fn from(_: NoAnswer) -> Self {
        Self::NoAnswer
    }
}

fn verdict(result: Result<(), Stop>) -> CheckVerdict {
    match result {
        Ok(()) => CheckVerdict::Passed,
        Err(Stop::Failed { message, got }) => CheckVerdict::Failed { message, got },
        Err(Stop::Unsupported) => CheckVerdict::Unsupported,
        Err(Stop::NoAnswer) => CheckVerdict::NoAnswer,
    }
}

/// Sends a request the adapter must answer `ok`; `step` names the request in messages.
fn expect_ok(caller: &mut dyn Caller, step: &str, op: &str, args: &Value) -> Result<Map<String, Value>, Stop> {
    match caller.call(op, args)? {
        Response::Ok(fields) => Ok(fields),
        Response::Unsupported => Err(Stop::Unsupported),
        error @ Response::Error { .. } => {
            Err(Stop::failed(format!("{step}: expected success, got an error"), Some(&error)))
        }
    }
}

/// Sends a request the adapter must refuse with `code`.
fn expect_error(caller: &mut dyn Caller, step: &str, op: &str, args: &Value, code: &str) -> Result<(), Stop> {
    match caller.call(op, args)? {
        Response::Error { code: got, .. } if got == code => Ok(()),
        Response::Unsupported => Err(Stop::Unsupported),
        other => Err(Stop::failed(format!("{step}: expected error {code}"), Some(&other))),
    }
}

/// `len` bytes from the operating system's random generator.
fn random_bytes(len: usize) -> Result<Vec<u8>, Stop> {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).map_err(|e| Stop::Failed {
        message: format!("the runner could not draw random inputs from the operating system: {e}"),
        got: None,
    })?;
    Ok(bytes)
}

fn random_array<const N: usize>() -> Result<[u8; N], Stop> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| Stop::Failed {
        message: format!("the runner could not draw random inputs from the operating system: {e}"),
        got: None,
    })?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::dispatch;

    /// The reference as a [`Caller`], counting requests.
    struct Reference(usize);

    impl Caller for Reference {
        fn call(&mut self, op: &str, args: &Value) -> Result<Response, NoAnswer> {
            self.0 += 1;
            Ok(dispatch(op, args))
        }
    }

    #[test]
    fn every_part_without_cross_checks_has_none() {
        assert!(for_part("identity").is_empty());
        assert!(for_part("no-such-part").is_empty());
    }

    #[test]
    fn the_reference_passes_every_envelope_cross_check() {
        for check in for_part("envelope") {
            let mut reference = Reference(0);
            let checked = check.run(&mut reference);
            assert_eq!(checked.verdict, CheckVerdict::Passed, "{}", check.id);
            assert!(reference.0 >= 2, "{} sent {} requests", check.id, reference.0);
            assert!(checked.args.is_object(), "{}", check.id);
        }
    }

    #[test]
    fn cross_check_ids_are_unique_and_need_listed_operations() {
        let checks = for_part("envelope");
        let mut ids: Vec<&str> = checks.iter().map(|c| c.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), checks.len());
        let known = crate::dispatch::capabilities();
        for check in &checks {
            assert!(!check.ops.is_empty() && check.ops.iter().all(|op| known.contains(op)), "{}", check.id);
        }
    }

    #[test]
    fn no_answer_ends_a_check_at_once() {
        struct Silent;
        impl Caller for Silent {
            fn call(&mut self, _: &str, _: &Value) -> Result<Response, NoAnswer> {
                Err(NoAnswer)
            }
        }
        for check in for_part("envelope") {
            assert_eq!(check.run(&mut Silent).verdict, CheckVerdict::NoAnswer, "{}", check.id);
        }
    }

    #[test]
    fn an_unsupported_answer_makes_the_check_unsupported() {
        struct Unsupported;
        impl Caller for Unsupported {
            fn call(&mut self, _: &str, _: &Value) -> Result<Response, NoAnswer> {
                Ok(Response::Unsupported)
            }
        }
        for check in for_part("envelope") {
            assert_eq!(check.run(&mut Unsupported).verdict, CheckVerdict::Unsupported, "{}", check.id);
        }
    }
}
