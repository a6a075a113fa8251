//! `vectors/expiry.json` replayed through the reference, in-process, for `cargo mutants`: a
//! mutant of `src/expiry.rs` that changes any step of any scenario is caught here without building
//! the generator or the conformance runner (which check the same vectors more slowly). Then the
//! tests that close the gaps `cargo mutants` found in the vectors.

use cinder::expiry::{Event, Incoming, Message, Output, Phase};
use serde_json::{Value, json};

fn vector_file(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{} cannot be read: {e}", path.display()));
    serde_json::from_str(&text).expect("the vector file is JSON")
}

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
