//! What the runner checks: a [`Target`] answers protocol requests.
//!
//! Two targets exist: [`builtin::Builtin`] calls [`crate::dispatch::dispatch`] in-process;
//! [`process::ProcessTarget`] runs an adapter as a child process and speaks the protocol over its
//! stdin and stdout, with timeouts, and kills it when it misbehaves.

use core::time::Duration;
use std::time::Instant;

use serde_json::Value;

use crate::protocol::{Hello, Response};

pub mod builtin;
pub mod command;
pub mod process;

/// How long a target may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest wait for one response (the `hello` answer included).
    pub request_timeout: Duration,
    /// When the whole run must be over.
    pub run_deadline: Instant,
}

/// What the runner must do after a [`Fault`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// The adapter broke the conversation (timed out, exited, printed garbage, answered another
    /// id) and has been stopped; start it again before the next request.
    Restarted,
    /// The response answered the right request but was malformed; the adapter goes on.
    Malformed,
    /// The run's overall deadline passed while waiting; the adapter has been stopped.
    RunTimeout,
}

/// A request that got no usable response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// What went wrong, in plain words.
    pub message: String,
    /// What the adapter wrote to stderr meanwhile (bounded), if anything.
    pub stderr: Option<String>,
    /// What happens next.
    pub kind: FaultKind,
}

/// Something that answers adapter-protocol requests.
pub trait Target {
    /// A short description for reports: the adapter command, or the built-in reference.
    fn describe(&self) -> String;

    /// Starts the target (again, after a [`FaultKind::Restarted`] fault) and exchanges `hello`.
    ///
    /// # Errors
    /// A [`Fault`] when the target cannot be started or its `hello` answer is unusable.
    fn start(&mut self, limits: &Limits) -> Result<Hello, Fault>;

    /// Sends one request and waits for its response.
    ///
    /// # Errors
    /// A [`Fault`] when no usable response arrived.
    fn call(&mut self, op: &str, args: &Value, limits: &Limits) -> Result<Response, Fault>;

    /// What the target logged since the last call of this method, if anything.
    fn take_log(&mut self) -> Option<String>;

    /// Ends the conversation (closes the adapter's stdin and waits for it to exit); returns
    /// warnings about how it ended.
    fn finish(&mut self) -> Vec<String>;
}
