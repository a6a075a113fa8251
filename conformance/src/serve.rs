//! The adapter side of the protocol, over the reference: what `cinder-reference-adapter` runs.
//!
//! It reads requests line by line until end of input, answers `hello` itself and every other
//! operation through [`dispatch`], and flushes after each response.

use core::fmt;
use std::io::{self, BufRead, Write};

use serde_json::Value;

use crate::dispatch::{capabilities, dispatch};
use crate::lines::{LineRead, read_line_bounded};
use crate::protocol::{
    HELLO_OP, Hello, MAX_REQUEST_LINE, PROTOCOL_VERSION, RequestError, Response, UNSUPPORTED_PROTOCOL, parse_request,
};

/// The name the reference adapter gives in its `hello` answer.
pub const ADAPTER_NAME: &str = concat!("cinder-reference-adapter ", env!("CARGO_PKG_VERSION"));

/// Why serving stopped before end of input.
#[derive(Debug)]
pub enum ServeError {
    /// Reading requests or writing responses failed.
    Io(io::Error),
    /// A request line could not be answered at all (no usable `id`, or too long).
    Protocol(String),
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "I/O error: {e}"),
            Self::Protocol(message) => f.write_str(message),
        }
    }
}

impl core::error::Error for ServeError {}

impl From<io::Error> for ServeError {
    fn from(error: io::Error) -> Self {
        Self::Io(error)
    }
}

/// Answers requests from `input` on `output` until end of input. Blank lines are skipped.
///
/// # Errors
/// [`ServeError::Io`] when reading or writing fails; [`ServeError::Protocol`] for a request line
/// longer than [`MAX_REQUEST_LINE`] or without a usable `id` (there is nothing to answer it with).
pub fn serve(input: impl BufRead, output: impl Write) -> Result<(), ServeError> {
    serve_with(input, output, answer)
}

/// [`serve`] with another answerer: `answer(op, args)` gives the response to every request,
/// `hello` included (see [`answer_hello`]). `cinder-broken-adapter` serves its faulty variants
/// this way.
///
/// # Errors
/// As [`serve`].
pub fn serve_with(
    mut input: impl BufRead,
    mut output: impl Write,
    mut answer: impl FnMut(&str, &Value) -> Response,
) -> Result<(), ServeError> {
    loop {
        let line = match read_line_bounded(&mut input, MAX_REQUEST_LINE)? {
            LineRead::Eof => return Ok(()),
            LineRead::TooLong => {
                return Err(ServeError::Protocol(format!("a request line is longer than {MAX_REQUEST_LINE} bytes")));
            }
            LineRead::Line(line) => line,
        };
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let (id, response) = match parse_request(&line) {
            Ok(request) => (request.id, answer(&request.op, &request.args)),
            Err(RequestError::BadRequest { id, message }) => (id, Response::bad_request(message)),
            Err(RequestError::Unanswerable(message)) => return Err(ServeError::Protocol(message)),
        };
        output.write_all(response.to_line(id).as_bytes())?;
        output.flush()?;
    }
}

/// The response to one request.
#[must_use]
pub fn answer(op: &str, args: &Value) -> Response {
    if op != HELLO_OP {
        return dispatch(op, args);
    }
    answer_hello(args, ADAPTER_NAME, capabilities())
}

/// The answer to `hello` with `args`, for an adapter named `name` that implements
/// `capabilities`: `ok` for protocol version [`PROTOCOL_VERSION`], an error otherwise.
#[must_use]
pub fn answer_hello(args: &Value, name: &str, capabilities: Vec<String>) -> Response {
    match args.get("protocol").and_then(Value::as_u64) {
        Some(PROTOCOL_VERSION) => Response::Ok(Hello { adapter: name.into(), capabilities }.to_fields()),
        Some(other) => Response::error(
            UNSUPPORTED_PROTOCOL,
            format!("this adapter speaks protocol {PROTOCOL_VERSION}, not {other}"),
        ),
        None => Response::bad_request("hello needs an integer `protocol` argument"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::protocol::{parse_response, request_line};

    fn serve_text(input: &str) -> (Result<(), ServeError>, String) {
        let mut output = Vec::new();
        let result = serve(input.as_bytes(), &mut output);
        (result, String::from_utf8_lossy(&output).into_owned())
    }

    #[test]
    fn answers_hello_then_operations_in_order() {
        let mut input = request_line(0, HELLO_OP, &json!({"protocol": 1}));
        input.push('\n');
        input.push_str(&request_line(1, "identity.canonicalize", &json!({"kind": "user_id", "input": "416c696365"})));
        input.push_str(&request_line(2, "session.initiate", &json!({})));
        let (result, output) = serve_text(&input);
        assert!(result.is_ok());
        let lines: Vec<&str> = output.lines().collect();
        assert_eq!(lines.len(), 3);
        let hello = parse_response(lines[0].as_bytes(), 0).map(|r| Hello::from_response(&r));
        assert!(
            matches!(hello, Ok(Ok(Hello { ref capabilities, .. })) if *capabilities == crate::dispatch::capabilities()),
            "{hello:?}"
        );
        let canonical = parse_response(lines[1].as_bytes(), 1);
        assert_eq!(
            canonical,
            Ok(Response::Ok(json!({"canonical": "616c696365"}).as_object().cloned().unwrap_or_default()))
        );
        assert_eq!(parse_response(lines[2].as_bytes(), 2), Ok(Response::Unsupported));
    }

    #[test]
    fn refuses_another_protocol_version() {
        let (_, output) = serve_text(&request_line(0, HELLO_OP, &json!({"protocol": 2})));
        let response = parse_response(output.trim_end().as_bytes(), 0);
        assert!(
            matches!(response, Ok(Response::Error { ref code, .. }) if code == UNSUPPORTED_PROTOCOL),
            "{response:?}"
        );
    }

    #[test]
    fn answers_a_request_without_op_with_bad_request() {
        let (result, output) = serve_text("{\"id\":4}\n");
        assert!(result.is_ok());
        assert!(output.starts_with("{\"id\":4,\"error\":{\"code\":\"adapter.bad_request\""), "{output}");
    }

    #[test]
    fn stops_on_a_line_it_cannot_answer() {
        let (result, output) = serve_text("not json\n");
        assert!(matches!(result, Err(ServeError::Protocol(_))));
        assert!(output.is_empty());
    }
}
