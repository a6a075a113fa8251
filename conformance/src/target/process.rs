//! An adapter run as a child process (`ADAPTER.md`, "Transport" and "Failures").
//!
//! Three threads per adapter process keep the runner from ever blocking on it: one writes requests
//! to its stdin, one reads its stdout line by line (at most [`MAX_RESPONSE_LINE`] bytes a line,
//! handed over one at a time), one keeps the last [`STDERR_KEEP`] bytes of its stderr. The runner
//! waits for each response on a channel with a timeout; an adapter that misses it, exits, or
//! breaks the protocol is killed. The threads are never joined, so a stuck pipe cannot stall the
//! runner.

use core::time::Duration;
use std::collections::VecDeque;
use std::io::{BufReader, Read, Write};
use std::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Instant;

use serde_json::Value;

use super::command::AdapterCommand;
use super::{Fault, FaultKind, Limits, Target};
use crate::lines::{LineRead, read_line_bounded};
use crate::protocol::{HELLO_OP, Hello, MAX_RESPONSE_LINE, Response, hello_args, parse_response, request_line};

/// How much of an adapter's stderr is kept between two looks at it (the most recent bytes).
pub const STDERR_KEEP: usize = 64 << 10;
/// How long an adapter may take to exit once its stdin is closed, before it is killed.
pub const EXIT_GRACE: Duration = Duration::from_secs(2);
/// How long to wait for an adapter that closed its stdout to report its exit status.
const EXIT_STATUS_WAIT: Duration = Duration::from_secs(2);
/// How long to wait for the rest of a stopped adapter's stderr.
const STDERR_DRAIN_WAIT: Duration = Duration::from_secs(1);
/// How many stdout lines may wait unread; past that the reader (and so the adapter) blocks.
/// None: the reader hands each line straight to the runner, which is already waiting for it, so
/// an adapter that prints unasked holds the runner to one line of at most [`MAX_RESPONSE_LINE`]
/// bytes in memory.
const QUEUED_LINES: usize = 0;

/// An adapter process, started on demand and restarted after a fault.
#[derive(Debug)]
pub struct ProcessTarget {
    command: AdapterCommand,
    running: Option<Running>,
}

/// One live adapter process.
#[derive(Debug)]
struct Running {
    child: Child,
    /// Requests for the writer thread; dropping it closes the adapter's stdin.
    requests: Option<Sender<String>>,
    output: Receiver<Output>,
    stderr: Arc<Mutex<Capture>>,
    stderr_closed: Receiver<()>,
    next_id: u64,
}

/// What the stdout reader saw.
#[derive(Debug)]
enum Output {
    Line(Vec<u8>),
    TooLong,
    Eof,
    Failed(String),
}

/// The tail of the adapter's stderr.
#[derive(Debug, Default)]
struct Capture {
    tail: VecDeque<u8>,
    dropped: u64,
}

impl Capture {
    fn push(&mut self, bytes: &[u8]) {
        self.tail.extend(bytes);
        let excess = self.tail.len().saturating_sub(STDERR_KEEP);
        if excess > 0 {
            self.tail.drain(..excess);
            self.dropped = self.dropped.saturating_add(u64::try_from(excess).unwrap_or(u64::MAX));
        }
    }

    fn take(&mut self) -> Option<String> {
        if self.tail.is_empty() && self.dropped == 0 {
            return None;
        }
        let bytes: Vec<u8> = self.tail.drain(..).collect();
        let mut text = String::new();
        if self.dropped > 0 {
            text.push_str(&format!("[{} earlier bytes of stderr not kept]\n", self.dropped));
            self.dropped = 0;
        }
        text.push_str(&String::from_utf8_lossy(&bytes));
        Some(text)
    }
}

fn lock(capture: &Mutex<Capture>) -> MutexGuard<'_, Capture> {
    // The capture is plain bytes: a panic elsewhere cannot leave it inconsistent.
    capture.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ProcessTarget {
    /// A target that runs `command`; nothing starts until [`Target::start`].
    #[must_use]
    pub fn new(command: AdapterCommand) -> Self {
        Self { command, running: None }
    }

    /// Kills the adapter if it runs, and returns what it last wrote to stderr.
    fn kill(&mut self) -> Option<String> {
        let mut running = self.running.take()?;
        // The process may have exited already; either way, reap it.
        let _ = running.child.kill();
        let _ = running.child.wait();
        drop(running.requests.take());
        let _ = running.stderr_closed.recv_timeout(STDERR_DRAIN_WAIT);
        lock(&running.stderr).take()
    }

    fn restart_fault(&mut self, message: String) -> Fault {
        let stderr = self.kill();
        Fault { message, stderr, kind: FaultKind::Restarted }
    }

    /// Sends one request on the running adapter and waits for its response.
    fn exchange(&mut self, op: &str, args: &Value, limits: &Limits) -> Result<Response, Fault> {
        let Some(running) = self.running.as_mut() else {
            return Err(Fault {
                message: "the adapter is not running".into(),
                stderr: None,
                kind: FaultKind::Restarted,
            });
        };
        let id = running.next_id;
        running.next_id = running.next_id.saturating_add(1);
        let what = format!("request {id} ({op})");
        if let Some(requests) = &running.requests {
            // A send fails only when the writer stopped because the adapter closed its stdin;
            // what the adapter does next (answer or exit) tells the rest.
            let _ = requests.send(request_line(id, op, args));
        }
        let request_deadline = Instant::now() + limits.request_timeout;
        let run_ends_first = limits.run_deadline < request_deadline;
        let deadline = if run_ends_first { limits.run_deadline } else { request_deadline };
        let event = running.output.recv_timeout(deadline.saturating_duration_since(Instant::now()));
        match event {
            Ok(Output::Line(line)) => match parse_response(&line, id) {
                Ok(response) => Ok(response),
                Err(violation) if violation.in_sync => {
                    let stderr = self.take_log();
                    Err(Fault { message: violation.message, stderr, kind: FaultKind::Malformed })
                }
                Err(violation) => Err(self.restart_fault(format!("{} (in answer to {what})", violation.message))),
            },
            Ok(Output::TooLong) => Err(self.restart_fault(format!(
                "adapter printed a line longer than {MAX_RESPONSE_LINE} bytes in answer to {what}"
            ))),
            Ok(Output::Failed(error)) => {
                Err(self.restart_fault(format!("reading the adapter's stdout failed after {what}: {error}")))
            }
            Ok(Output::Eof) | Err(RecvTimeoutError::Disconnected) => {
                let ended = describe_exit(wait_for_exit(&mut running.child, EXIT_STATUS_WAIT));
                Err(self.restart_fault(format!("adapter closed its stdout without answering {what}; it {ended}")))
            }
            Err(RecvTimeoutError::Timeout) if run_ends_first => {
                let stderr = self.kill();
                Err(Fault {
                    message: format!("the run timeout was reached while waiting for the answer to {what}"),
                    stderr,
                    kind: FaultKind::RunTimeout,
                })
            }
            Err(RecvTimeoutError::Timeout) => Err(self.restart_fault(format!(
                "adapter did not answer {what} within {} s; it was killed",
                limits.request_timeout.as_secs_f64()
            ))),
        }
    }
}

impl Drop for ProcessTarget {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Target for ProcessTarget {
    fn describe(&self) -> String {
        format!("adapter `{}`", self.command)
    }

    fn start(&mut self, limits: &Limits) -> Result<Hello, Fault> {
        self.kill();
        let running = spawn(&self.command).map_err(|message| Fault {
            message: format!("could not start the adapter `{}`: {message}", self.command),
            stderr: None,
            kind: FaultKind::Restarted,
        })?;
        self.running = Some(running);
        let response = match self.exchange(HELLO_OP, &hello_args(), limits) {
            Ok(response) => response,
            Err(mut fault) => {
                if fault.kind == FaultKind::Malformed {
                    fault.stderr = self.kill();
                    fault.kind = FaultKind::Restarted;
                }
                return Err(fault);
            }
        };
        Hello::from_response(&response).map_err(|message| self.restart_fault(message))
    }

    fn call(&mut self, op: &str, args: &Value, limits: &Limits) -> Result<Response, Fault> {
        self.exchange(op, args, limits)
    }

    fn take_log(&mut self) -> Option<String> {
        self.running.as_ref().and_then(|running| lock(&running.stderr).take())
    }

    fn finish(&mut self) -> Vec<String> {
        let Some(running) = self.running.as_mut() else {
            return Vec::new();
        };
        drop(running.requests.take());
        let warning = match wait_for_exit(&mut running.child, EXIT_GRACE) {
            Some(status) if status.success() => None,
            Some(status) => Some(format!("the adapter ended with {status} after its stdin was closed")),
            None => Some(format!(
                "the adapter did not exit within {} s of its stdin being closed; it was killed",
                EXIT_GRACE.as_secs()
            )),
        };
        self.kill();
        warning.into_iter().collect()
    }
}

/// Polls until the child exits or `wait` has passed.
fn wait_for_exit(child: &mut Child, wait: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + wait;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
            Ok(None) | Err(_) => return None,
        }
    }
}

fn describe_exit(status: Option<ExitStatus>) -> String {
    match status {
        Some(status) => format!("ended with {status}"),
        None => format!("was still running {} s later", EXIT_STATUS_WAIT.as_secs()),
    }
}

/// Starts the adapter with piped stdin, stdout and stderr, and the threads that serve them.
fn spawn(command: &AdapterCommand) -> Result<Running, String> {
    let mut child = Command::new(&command.program)
        .args(&command.args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    match start_threads(&mut child) {
        Ok((requests, output, stderr, stderr_closed)) => {
            Ok(Running { child, requests: Some(requests), output, stderr, stderr_closed, next_id: 0 })
        }
        Err(message) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(message)
        }
    }
}

type Channels = (Sender<String>, Receiver<Output>, Arc<Mutex<Capture>>, Receiver<()>);

fn start_threads(child: &mut Child) -> Result<Channels, String> {
    let (Some(stdin), Some(stdout), Some(stderr)) = (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err("the adapter's standard streams were not piped".into());
    };
    let (requests, pending) = mpsc::channel();
    spawn_thread("adapter-stdin", move || write_requests(stdin, &pending))?;
    let (output_tx, output) = mpsc::sync_channel(QUEUED_LINES);
    spawn_thread("adapter-stdout", move || read_responses(stdout, &output_tx))?;
    let capture = Arc::new(Mutex::new(Capture::default()));
    let (closed_tx, stderr_closed) = mpsc::channel();
    let shared = Arc::clone(&capture);
    spawn_thread("adapter-stderr", move || {
        read_stderr(stderr, &shared);
        let _ = closed_tx.send(());
    })?;
    Ok((requests, output, capture, stderr_closed))
}

fn spawn_thread(name: &str, body: impl FnOnce() + Send + 'static) -> Result<(), String> {
    thread::Builder::new()
        .name(name.into())
        .spawn(body)
        .map(drop)
        .map_err(|e| format!("could not start the {name} thread: {e}"))
}

fn write_requests(mut stdin: ChildStdin, pending: &Receiver<String>) {
    for line in pending {
        if stdin.write_all(line.as_bytes()).and_then(|()| stdin.flush()).is_err() {
            return;
        }
    }
    // Dropping stdin here is the end of input the adapter waits for.
}

fn read_responses(stdout: ChildStdout, output: &SyncSender<Output>) {
    let mut reader = BufReader::with_capacity(64 << 10, stdout);
    loop {
        let event = match read_line_bounded(&mut reader, MAX_RESPONSE_LINE) {
            Ok(LineRead::Line(line)) => Output::Line(line),
            Ok(LineRead::TooLong) => Output::TooLong,
            Ok(LineRead::Eof) => Output::Eof,
            Err(e) => Output::Failed(e.to_string()),
        };
        let last = !matches!(event, Output::Line(_));
        if output.send(event).is_err() || last {
            return;
        }
    }
}

fn read_stderr(mut stderr: ChildStderr, capture: &Mutex<Capture>) {
    let mut buf = [0u8; 8 << 10];
    loop {
        match stderr.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => lock(capture).push(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_keeps_the_tail_and_counts_the_rest() {
        let mut capture = Capture::default();
        assert_eq!(capture.take(), None);
        capture.push(b"first\n");
        assert_eq!(capture.take().as_deref(), Some("first\n"));
        assert_eq!(capture.take(), None);
        let big = vec![b'x'; STDERR_KEEP + 10];
        capture.push(b"0123456789");
        capture.push(&big);
        let text = capture.take().unwrap_or_default();
        assert!(text.starts_with("[20 earlier bytes of stderr not kept]\n"), "{}", &text[..60]);
        assert_eq!(text.len() - text.find('\n').unwrap_or_default() - 1, STDERR_KEEP);
    }
}
