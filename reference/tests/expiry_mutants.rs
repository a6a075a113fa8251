//! `vectors/expiry.json` replayed through the reference, in-process, for `cargo mutants`: a
//! mutant of `src/expiry.rs` that changes any step of any scenario is caught here without building
//! the generator or the conformance runner (which check the same vectors more slowly). Then the
//! tests that close the gaps `cargo mutants` found in the vectors.

use cinder::expiry::{Event, Incoming, Message, Output, Phase};
use serde_json::{Value, json};

#[path = "support/vectors.rs"]
mod vectors;

use vectors::vector_file;

fn bytes(args: &Value, name: &str) -> Vec<u8> {
    hex::decode(args[name].as_str().unwrap_or_else(|| panic!("{name} is a string"))).expect("vector hex")
}

fn number<T: TryFrom<u64>>(args: &Value, name: &str) -> T {
    args[name].as_u64().and_then(|n| T::try_from(n).ok()).unwrap_or_else(|| panic!("{name} fits its type"))
}

fn cap(value: &Value) -> Option<u32> {
    value.as_u64().map(|n| u32::try_from(n).expect("a cap fits 32 bits"))
}

fn output_json(output: &Output) -> Value {
    match output {
        Output::Stored { deadline, skewed } => json!({ "output": "stored", "deadline": deadline, "skewed": skewed }),
        Output::Shown { content, deadline } => {
            json!({ "output": "shown", "content": hex::encode(content.as_slice()), "deadline": deadline })
        }
        Output::Destroyed(reason) => json!({ "output": "destroyed", "reason": reason.label() }),
        Output::RecallNoted => json!({ "output": "recall_noted" }),
        Output::RecallForgotten => json!({ "output": "recall_forgotten" }),
        Output::DeadlineMoved { deadline } => json!({ "output": "deadline_moved", "deadline": deadline }),
    }
}

/// One step as the vectors write it: the state after it, its outputs, and its refusal.
fn step_json(m: &Message, outputs: Vec<Value>, error: Option<&str>) -> Value {
    let (phase, reason) = match m.phase() {
        Phase::Absent => ("absent", None),
        Phase::RecallNoted { .. } => ("recall_noted", None),
        Phase::Unread { .. } => ("unread", None),
        Phase::Read { .. } => ("read", None),
        Phase::Destroyed { reason } => ("destroyed", Some(reason.label())),
    };
    json!({
        "phase": phase,
        "readable": m.readable(),
        "deadline": m.deadline(),
        "reason": reason,
        "outputs": outputs,
        "error": error,
    })
}

/// The reference's answer to one scenario: `{steps}`, or the error that refused the machine.
fn scenario(args: &Value) -> Result<Value, &'static str> {
    let id: [u8; 16] = bytes(args, "messageId").try_into().expect("a 16-byte message ID");
    let mut m = Message::new(id, cap(&args["cap"])).map_err(|e| e.code())?;
    let mut steps = Vec::new();
    for ev in args["events"].as_array().expect("events is an array") {
        let (sender, content, by) = (ev.get("sender"), ev.get("content"), ev.get("by"));
        let sender = sender.map(|_| bytes(ev, "sender")).unwrap_or_default();
        let content = content.map(|_| bytes(ev, "content")).unwrap_or_default();
        let by = by.map(|_| bytes(ev, "by")).unwrap_or_default();
        let event = match ev["event"].as_str().expect("event is a string") {
            "receive" => Event::Receive(Incoming {
                sender: &sender,
                sent_at: number(ev, "sentAt"),
                ttl: number(ev, "ttl"),
                bor: number(ev, "bor"),
                content: &content,
            }),
            "read" => Event::Read,
            "tick" => Event::Tick,
            "recall" => Event::Recall { by: &by },
            "delete" => Event::Delete,
            "password_reset" => Event::PasswordReset,
            "device_removed" => Event::DeviceRemoved,
            "set_cap" => Event::SetCap(cap(&ev["cap"])),
            other => panic!("expiry.json has an event this test does not know: {other}"),
        };
        let t = m.handle(event, number(ev, "at"));
        let error = t.result.err().map(|e| e.code());
        steps.push(step_json(&t.state, t.outputs.iter().map(output_json).collect(), error));
        m = t.state;
    }
    Ok(json!({ "steps": steps }))
}

#[test]
fn the_reference_gives_every_expiry_vector_its_expected_steps() {
    let file = vector_file("expiry.json");
    let mut checked = 0;
    let mut wrong = Vec::new();
    for group in file["testGroups"].as_array().expect("testGroups") {
        assert_eq!(group["op"], "expiry.scenario");
        for test in group["tests"].as_array().expect("tests") {
            let got = scenario(&test["args"]);
            let ok = match test["result"].as_str() {
                Some("valid") => got.as_ref().ok() == Some(&test["expected"]),
                _ => got.as_ref().err().copied() == test["error"].as_str(),
            };
            if !ok {
                wrong.push(format!("{}: got {got:?}", test["id"]));
            }
            checked += 1;
        }
    }
    assert!(checked >= 200, "only {checked} expiry vectors");
    assert!(wrong.is_empty(), "{} of {checked} vectors differ:\n{}", wrong.len(), wrong.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Gaps `cargo mutants` found: the machine's accessors and messages, which no vector can see
// (vectors carry the steps' outputs and states). Each test names the mutants it kills.

/// Kills `Message::id`, `Message::clock`, `Message::cap` → constants: the accessors report the
/// message ID given, the highest `now` seen (EXP-020), and the cap in force (EXP-014).
#[test]
fn accessors_report_the_id_the_highest_clock_and_the_cap_in_force() {
    let id = *b"0123456789abcdef";
    let m = Message::new(id, Some(3600)).expect("a valid cap");
    assert_eq!((m.id(), m.clock(), m.cap()), (id, 0, Some(3600)));
    let incoming = Incoming { sender: b"alice", sent_at: 1000, ttl: 600, bor: 0, content: b"hi" };
    let m = m.handle(Event::Receive(incoming), 1000).state;
    let m = m.handle(Event::Tick, 1200).state;
    let m = m.handle(Event::Tick, 900).state;
    assert_eq!(m.clock(), 1200, "the clock never goes back");
    let m = m.handle(Event::SetCap(Some(7)), 1201).state;
    assert_eq!(m.cap(), Some(7));
    let m = m.handle(Event::SetCap(None), 1202).state;
    assert_eq!((m.id(), m.cap()), (id, None));
}

/// Kills `Display for ExpiryError` → `Ok(())`: a refusal's message is its spec code.
#[test]
fn refusals_display_as_their_spec_code() {
    let refused = Message::new([0; 16], Some(0)).expect_err("cap 0 is refused");
    assert_eq!(refused.to_string(), "expiry.invalid_cap");
    let t = Message::new([0; 16], None).expect("no cap").handle(Event::Read, 1);
    assert_eq!(t.result.map_err(|e| e.to_string()), Err("expiry.unknown_message".to_owned()));
}

/// Kills `Debug for Incoming`, `Debug for Message` → `Ok(())`: debug output names what it shows,
/// and never the content (EXP-042: content is shredded, and must not leak into logs first).
#[test]
fn debug_output_shows_the_lifetime_facts_but_never_the_content() {
    let incoming = Incoming { sender: b"alice", sent_at: 1000, ttl: 600, bor: 30, content: b"top secret" };
    let shown = format!("{incoming:?}");
    assert_eq!(shown, "Incoming { sender: [97, 108, 105, 99, 101], sent_at: 1000, ttl: 600, bor: 30, .. }");
    let m = Message::new([7; 16], Some(60)).expect("a valid cap").handle(Event::Receive(incoming), 1000).state;
    let shown = format!("{m:?}");
    assert!(shown.starts_with("Message { id: [7, 7,") && shown.contains("clock: 1000, cap: Some(60)"), "{shown}");
    assert!(shown.contains("phase: Unread { deadline: 1060 }") && shown.ends_with(", .. }"), "{shown}");
    assert!(!shown.contains("secret") && !shown.contains("116, 111, 112"), "{shown}");
}

/// The largest cap is allowed on a live machine too, not only at creation (EXP-014). Kills
/// `set_cap`: `c > MAX_TTL` → `c >= MAX_TTL`. (Vector gap: `cap` has no `set_cap(31536000)`.)
#[test]
fn the_largest_cap_can_be_set_on_a_live_message() {
    let incoming = Incoming { sender: b"alice", sent_at: 1000, ttl: 600, bor: 0, content: b"hi" };
    let m = Message::new([0; 16], None).expect("no cap").handle(Event::Receive(incoming), 1000).state;
    let t = m.handle(Event::SetCap(Some(cinder::expiry::MAX_TTL)), 1001);
    assert_eq!(t.result, Ok(()));
    assert_eq!(
        (t.outputs.to_vec(), t.state.cap(), t.state.deadline()),
        (vec![], Some(cinder::expiry::MAX_TTL), Some(1600))
    );
    let t = t.state.handle(Event::SetCap(Some(cinder::expiry::MAX_TTL + 1)), 1002);
    assert_eq!(t.result.map_err(|e| e.code()), Err("expiry.invalid_cap"));
}

/// A cap that lands exactly on the deadline in force changes nothing and says nothing (EXP-014:
/// `deadline_moved` only "if the deadline changed"), unread or read. Kills `set_cap`: `capped <
/// life.expires_at` → `<=` and `capped < *deadline` → `<=`. (Vector gap: every `cap` scenario's
/// cap is strictly earlier or later than the deadline.)
#[test]
fn a_cap_exactly_at_the_deadline_moves_nothing() {
    let incoming = Incoming { sender: b"alice", sent_at: 1000, ttl: 600, bor: 100, content: b"hi" };
    let unread = Message::new([0; 16], None).expect("no cap").handle(Event::Receive(incoming), 1000).state;
    let t = unread.handle(Event::SetCap(Some(600)), 1010);
    assert_eq!((t.result, t.outputs.to_vec(), t.state.deadline()), (Ok(()), vec![], Some(1600)));
    // Read at 1020: the burn deadline is 1120; a cap of 120 from the start (1000) is exactly it.
    let read = t.state.handle(Event::Read, 1020).state;
    assert_eq!(read.deadline(), Some(1120));
    let t = read.handle(Event::SetCap(Some(120)), 1030);
    assert_eq!((t.result, t.outputs.to_vec(), t.state.deadline()), (Ok(()), vec![], Some(1120)));
    // One second less does move it.
    let t = t.state.handle(Event::SetCap(Some(119)), 1031);
    assert_eq!(t.outputs.to_vec(), vec![Output::DeadlineMoved { deadline: 1119 }]);
}
