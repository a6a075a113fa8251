//! Session bugs, as a wrapper around the reference (like `retention.rs`, and for the same reason:
//! the session machinery — certificates, the handshake, the ratchet — is a part of its own to write
//! twice).
//!
//! `session.scenario` is answered by the reference ([`dispatch`]); the bug changes the answer at
//! the first step where a receiver with that bug would answer differently, the way it would, and
//! leaves later steps alone (see `retention.rs` for why the catch table is then exact). Both bugs
//! here are in the receiving side of the ratchet and show the moment they act: a refusal that the
//! buggy receiver would not make. What it would answer instead is known from the scenario itself:
//! the message's index and key from the sender's step that produced it, or the output of the first
//! time the same message was received.
//!
//! `session.handshake` is answered as the reference dispatch answers it (`session_handshake_with`,
//! over the generator's glue), with one side swapped for a broken one: an initiator that skips the
//! signed prekey's signature, or both sides with a lenient Ed25519 verifier (the reference's
//! `fault-injection` hooks, the only way to reach inside its handshake), or a responder that takes
//! the one-time prekey named by an init message out of its store before checking anything else, so
//! that a refused message still uses it up.

use cinder::session::{
    self, InitMessage, Initiated, LocalIdentity, PeerBundle, PrekeyStore, Session as Ratchet, SessionError, Trace,
};
use cinder::testing::ReplayRng;
use cinder_conformance::dispatch::{dispatch, session_handshake_with};
use cinder_conformance::protocol::Response;
use cinder_vectors::session::{REFERENCE, Sides};
use serde_json::Value;

use crate::bugs::Info;

/// The operations this part answers.
pub(crate) const OPS: &[&str] = &["session.handshake", "session.scenario"];

/// One realistic session bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bug {
    ReplayedMessageAccepted,
    SkipWindowOffByOne,
    FailedHandshakeConsumesPrekey,
    UnsignedPrekeyAccepted,
    LenientSignatureVerify,
}

/// The session bugs, as `--list-bugs` shows them.
pub(crate) const BUGS: &[Info<Bug>] = &[
    Info {
        bug: Bug::ReplayedMessageAccepted,
        name: "session-replayed-message-accepted",
        breaks: "SES-043, SES-044",
        summary: "a message received before is accepted again: its key is kept after use instead of erased",
    },
    Info {
        bug: Bug::SkipWindowOffByOne,
        name: "session-skip-window-off-by-one",
        breaks: "SES-045",
        summary: "a message 64 indices ahead is accepted (the window is checked with `<=` where `<` is meant)",
    },
    Info {
        bug: Bug::FailedHandshakeConsumesPrekey,
        name: "session-failed-handshake-consumes-prekey",
        breaks: "SES-027",
        summary: "the responder takes the one-time prekey out of its store before checking the init message, so a \
                  refused handshake still uses it up",
    },
    Info {
        bug: Bug::UnsignedPrekeyAccepted,
        name: "session-unsigned-prekey-accepted",
        breaks: "SES-015",
        summary: "the initiator uses a signed prekey without verifying its signature (its expiry is still checked)",
    },
    Info {
        bug: Bug::LenientSignatureVerify,
        name: "session-lenient-signature-verify",
        breaks: "SES-012",
        summary: "both sides verify certificates and signed prekeys with a plain library verify (ed25519-dalek's \
                  `verify`): S < L and the cofactorless equation, but no small-order or subgroup checks",
    },
];

/// The reference's initiator with the signed prekey's signature left unchecked.
fn initiate_unsigned(
    me: &LocalIdentity<'_>,
    peer: &PeerBundle<'_>,
    rng: &mut ReplayRng<'_>,
    now: u64,
) -> Result<(Initiated, Trace), SessionError> {
    session::initiate_traced_without_prekey_signature_check_for_testing_only(me, peer, rng, now)
}

/// The reference's initiator with ed25519-dalek's plain `verify` in place of SES-012's.
fn initiate_lenient(
    me: &LocalIdentity<'_>,
    peer: &PeerBundle<'_>,
    rng: &mut ReplayRng<'_>,
    now: u64,
) -> Result<(Initiated, Trace), SessionError> {
    session::initiate_traced_with_lenient_signatures_for_testing_only(me, peer, rng, now)
}

/// A responder that takes the named one-time prekey before any check: the reference's responder,
/// and on a refusal the prekey it would have taken is marked used all the same. (A message that
/// names a prekey already used, or one never issued, had nothing to take.)
fn respond_taking_prekey_first(
    me: &LocalIdentity<'_>,
    store: &mut PrekeyStore,
    message: &InitMessage,
    initiator_root_key: &[u8; 32],
    now: u64,
) -> Result<Ratchet, SessionError> {
    let result = session::respond(me, store, message, initiator_root_key, now);
    if result.is_err()
        && let Some(id) = message.one_time_prekey_id()
        && store.has_one_time_prekey(id)
    {
        store.record_used_one_time_prekey(id);
    }
    result
}

/// How far ahead of the next expected index a message may be (SES-045): 63 skipped keys.
const WINDOW: u64 = 64;

/// The session part, with at most one bug.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Session {
    pub(crate) bug: Option<Bug>,
}

fn text<'a>(value: &'a Value, name: &str) -> &'a str {
    value.get(name).and_then(Value::as_str).unwrap_or_default()
}

/// A session header's session ID (the first 16 bytes, as hex) and message index (a big-endian
/// `u32` after it), if it has that shape.
fn split_header(header: &str) -> Option<(&str, u64)> {
    if header.len() != 40 || !header.is_ascii() {
        return None;
    }
    let (session, index) = header.split_at(32);
    u64::from_str_radix(index, 16).ok().map(|index| (session, index))
}

impl Session {
    /// `session.handshake` with the bug's side, or the reference's answer to `session.scenario`
    /// changed where the bug first shows.
    pub(crate) fn answer(&self, op: &str, args: &Value) -> Response {
        if op == "session.handshake" {
            let sides = match self.bug {
                Some(Bug::UnsignedPrekeyAccepted) => Sides { initiate: initiate_unsigned, ..REFERENCE },
                Some(Bug::FailedHandshakeConsumesPrekey) => Sides { respond: respond_taking_prekey_first, ..REFERENCE },
                Some(Bug::LenientSignatureVerify) => Sides {
                    initiate: initiate_lenient,
                    respond: session::respond_with_lenient_signatures_for_testing_only,
                },
                _ => REFERENCE,
            };
            return session_handshake_with(args, sides);
        }
        let response = dispatch(op, args);
        let Some(bug) = self.bug else { return response };
        let Response::Ok(mut fields) = response else { return response };
        let events = args.get("events").and_then(Value::as_array).cloned().unwrap_or_default();
        let Some(Value::Array(steps)) = fields.get_mut("steps") else { return Response::Ok(fields) };
        // What each receiving device accepted, per (device, event kind, header): the output.
        let mut received: Vec<(String, String, String, Value)> = Vec::new();
        // Messages sent, by header: the sender's output (header, index, message key).
        let mut sent: Vec<(String, Value)> = Vec::new();
        // Next expected index, per (receiving device, session ID).
        let mut next: Vec<(String, String, u64)> = Vec::new();
        for (event, step) in events.iter().zip(steps.iter_mut()) {
            let kind = text(event, "event");
            let (to, header) = (text(event, "to"), text(event, "header"));
            let output = step.get("output").cloned().unwrap_or(Value::Null);
            let error = text(step, "error").to_owned();
            if matches!(kind, "receive" | "open") && !header.is_empty() {
                let shown = match bug {
                    // SES-043, SES-044: a used key is erased, so a second delivery is a replay.
                    Bug::ReplayedMessageAccepted if error == "session.replay" => received
                        .iter()
                        .find(|(d, k, h, _)| d == to && k == kind && h == header)
                        .map(|(_, _, _, first)| first.clone()),
                    // SES-045: at most 63 skipped keys, so 64 ahead is too far.
                    Bug::SkipWindowOffByOne if error == "session.too_far_ahead" && kind == "receive" => {
                        split_header(header).and_then(|(session, index)| {
                            let expected =
                                next.iter().find(|(d, s, _)| d == to && s == session).map_or(0, |(_, _, n)| *n);
                            let sender = sent.iter().find(|(h, _)| h == header).map(|(_, o)| o);
                            sender.filter(|_| index == expected + WINDOW).map(|o| {
                                let mut output = serde_json::Map::new();
                                output.insert("index".into(), o["index"].clone());
                                output.insert("messageKey".into(), o["messageKey"].clone());
                                Value::Object(output)
                            })
                        })
                    }
                    _ => None,
                };
                if let Some(output) = shown {
                    step["output"] = output;
                    step["error"] = Value::Null;
                    return Response::Ok(fields);
                }
                if error.is_empty() && !output.is_null() {
                    received.push((to.to_owned(), kind.to_owned(), header.to_owned(), output.clone()));
                    if let Some((session, index)) = split_header(header) {
                        match next.iter_mut().find(|(d, s, _)| d == to && s == session) {
                            Some((_, _, n)) => *n = (*n).max(index + 1),
                            None => next.push((to.to_owned(), session.to_owned(), index + 1)),
                        }
                    }
                }
            }
            if matches!(kind, "send" | "send_many") && error.is_empty() {
                let header = text(&output, "header");
                if !header.is_empty() {
                    sent.push((header.to_owned(), output.clone()));
                }
            }
        }
        Response::Ok(fields)
    }
}
