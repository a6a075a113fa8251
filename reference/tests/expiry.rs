//! The expiry machine against a separately written model (proptest-state-machine), with one
//! property per invariant of spec/expiry.md section 8.
//!
//! The model below is written from the spec's tables, not from `reference/src/expiry.rs`: it keeps
//! one flat record per message instead of phases, and recomputes every deadline from its inputs.

use cinder::expiry::{Event, Incoming, MAX_TTL, Message, Output, Phase, RECALL_MEMORY, Reason, SKEW_TOLERANCE};
use proptest::prelude::*;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};

const SENDERS: [&[u8]; 3] = [b"alice", b"bob", b"mallory"];
const T0: u64 = 1_000_000;

#[derive(Clone, Debug)]
enum Ev {
    Receive { sender: usize, sent_offset: i64, ttl: u32, bor: u32 },
    Read,
    Tick,
    Recall(usize),
    Delete,
    Reset,
    Removed,
    Cap(Option<u32>),
}

/// A step: move the device clock by `delta` seconds (possibly backwards), then the event.
#[derive(Clone, Debug)]
struct Step {
    delta: i64,
    ev: Ev,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum ModelPhase {
    Absent,
    Noted { recallers: Vec<usize>, forget_at: u64 },
    Live { sender: usize, start: u64, bor: u32, expires_at: u64, read_at: Option<u64>, deadline: u64 },
    Destroyed { reason: Reason, sender: Option<usize> },
}

#[derive(Clone, Debug)]
struct Model {
    now: u64,
    clock: u64,
    cap: Option<u32>,
    phase: ModelPhase,
    outputs: Vec<Output>,
    error: Option<&'static str>,
}

impl Model {
    fn destroy(&mut self, reason: Reason) {
        let sender = match self.phase {
            ModelPhase::Live { sender, .. } => Some(sender),
            _ => None,
        };
        self.phase = ModelPhase::Destroyed { reason, sender };
        self.outputs.push(Output::Destroyed(reason));
    }

    /// EXP-003 stage 1.
    fn time(&mut self) {
        self.clock = self.clock.max(self.now);
        match self.phase.clone() {
            ModelPhase::Live { deadline, expires_at, read_at, .. } if self.clock >= deadline => {
                let burned = read_at.is_some() && deadline < expires_at;
                self.destroy(if burned { Reason::Burned } else { Reason::Expired });
            }
            ModelPhase::Noted { forget_at, .. } if self.clock >= forget_at => {
                self.phase = ModelPhase::Absent;
                self.outputs.push(Output::RecallForgotten);
            }
            _ => {}
        }
    }

    /// EXP-003 stage 2, straight from the transition table.
    fn event(&mut self, ev: &Ev) {
        let clock = self.clock;
        match (ev, self.phase.clone()) {
            (Ev::Receive { .. }, ModelPhase::Live { .. }) => self.error = Some("expiry.duplicate"),
            (Ev::Receive { .. }, ModelPhase::Destroyed { .. }) => self.error = Some("expiry.destroyed"),
            (Ev::Receive { sender, sent_offset, ttl, bor }, phase) => {
                if *ttl == 0 || *ttl > MAX_TTL || *bor > MAX_TTL {
                    self.error = Some("expiry.invalid_message");
                    return;
                }
                let sent_at = T0.saturating_add_signed(*sent_offset);
                let start = sent_at.min(clock);
                let ttl = self.cap.map_or(*ttl, |c| (*ttl).min(c));
                let expires_at = start.saturating_add(u64::from(ttl));
                let recalled = matches!(&phase, ModelPhase::Noted { recallers, .. } if recallers.contains(sender));
                if recalled {
                    self.phase = ModelPhase::Destroyed { reason: Reason::Recalled, sender: Some(*sender) };
                    self.outputs.push(Output::Destroyed(Reason::Recalled));
                } else if clock >= expires_at {
                    self.phase = ModelPhase::Destroyed { reason: Reason::Expired, sender: Some(*sender) };
                    self.outputs.push(Output::Destroyed(Reason::Expired));
                } else {
                    self.phase = ModelPhase::Live {
                        sender: *sender,
                        start,
                        bor: *bor,
                        expires_at,
                        read_at: None,
                        deadline: expires_at,
                    };
                    self.outputs
                        .push(Output::Stored { deadline: expires_at, skewed: sent_at > clock + SKEW_TOLERANCE });
                }
            }
            (Ev::Read, ModelPhase::Live { sender, start, bor, expires_at, read_at, deadline }) => {
                let (read_at, deadline) = match read_at {
                    Some(r) => (r, deadline),
                    None if bor == 0 => (clock, expires_at),
                    None => (clock, expires_at.min(clock.saturating_add(u64::from(bor)))),
                };
                self.phase = ModelPhase::Live { sender, start, bor, expires_at, read_at: Some(read_at), deadline };
                self.outputs.push(Output::Shown { content: zeroize::Zeroizing::new(b"content".to_vec()), deadline });
            }
            (Ev::Read, ModelPhase::Destroyed { .. }) => self.error = Some("expiry.destroyed"),
            (Ev::Read | Ev::Delete, ModelPhase::Absent | ModelPhase::Noted { .. }) => {
                self.error = Some("expiry.unknown_message");
            }
            (Ev::Tick, _) => {}
            (Ev::Recall(by), ModelPhase::Live { sender, .. }) => {
                if *by == sender {
                    self.destroy(Reason::Recalled);
                } else {
                    self.error = Some("expiry.not_sender");
                }
            }
            (Ev::Recall(by), ModelPhase::Destroyed { sender, .. }) => {
                if sender.is_some_and(|s| s != *by) {
                    self.error = Some("expiry.not_sender");
                }
            }
            (Ev::Recall(by), ModelPhase::Absent) => {
                self.phase = ModelPhase::Noted { recallers: vec![*by], forget_at: clock.saturating_add(RECALL_MEMORY) };
                self.outputs.push(Output::RecallNoted);
            }
            (Ev::Recall(by), ModelPhase::Noted { mut recallers, forget_at }) => {
                if !recallers.contains(by) {
                    // Three senders never reach the limit of four; the limit has its own vectors.
                    recallers.push(*by);
                    self.outputs.push(Output::RecallNoted);
                }
                self.phase = ModelPhase::Noted { recallers, forget_at };
            }
            (Ev::Delete, ModelPhase::Live { .. }) => self.destroy(Reason::Deleted),
            (Ev::Reset, ModelPhase::Live { .. }) => self.destroy(Reason::PasswordReset),
            (Ev::Reset, ModelPhase::Noted { .. }) => {
                self.phase = ModelPhase::Absent;
                self.outputs.push(Output::RecallForgotten);
            }
            (Ev::Removed, ModelPhase::Destroyed { .. }) | (Ev::Delete | Ev::Reset, _) => {}
            (Ev::Removed, _) => self.destroy(Reason::DeviceRemoved),
            (Ev::Cap(cap), phase) => {
                if cap.is_some_and(|c| c == 0 || c > MAX_TTL) {
                    self.error = Some("expiry.invalid_cap");
                    return;
                }
                self.cap = *cap;
                if let (Some(c), ModelPhase::Live { sender, start, bor, expires_at, read_at, deadline }) = (cap, phase)
                {
                    let capped = start.saturating_add(u64::from(*c));
                    let new_deadline = deadline.min(capped);
                    self.phase = ModelPhase::Live {
                        sender,
                        start,
                        bor,
                        expires_at: expires_at.min(capped),
                        read_at,
                        deadline: new_deadline,
                    };
                    if new_deadline < deadline {
                        if clock >= new_deadline {
                            self.destroy(Reason::Expired);
                        } else {
                            self.outputs.push(Output::DeadlineMoved { deadline: new_deadline });
                        }
                    }
                }
            }
        }
    }
}

struct ExpiryModel;

impl ReferenceStateMachine for ExpiryModel {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Model> {
        prop_oneof![Just(None), (1u32..=4000).prop_map(Some)]
            .prop_map(|cap| Model {
                now: T0,
                clock: 0,
                cap,
                phase: ModelPhase::Absent,
                outputs: Vec::new(),
                error: None,
            })
            .boxed()
    }

    fn transitions(state: &Model) -> BoxedStrategy<Step> {
        let ev = prop_oneof![
            3 => (0usize..3, -400i64..400, prop_oneof![Just(0u32), 1u32..5000, Just(MAX_TTL + 1)], prop_oneof![Just(0u32), 1u32..3000])
                .prop_map(|(sender, sent_offset, ttl, bor)| Ev::Receive { sender, sent_offset, ttl, bor }),
            3 => Just(Ev::Read),
            2 => Just(Ev::Tick),
            2 => (0usize..3).prop_map(Ev::Recall),
            1 => Just(Ev::Delete),
            1 => Just(Ev::Reset),
            1 => Just(Ev::Removed),
            1 => prop_oneof![Just(None), Just(Some(0)), (1u32..5000).prop_map(Some)].prop_map(Ev::Cap),
        ];
        // Deadlines are where the rules bite (EXP-012): often land one second before, at, or after
        // the deadline in force.
        let to_deadline = match state.phase {
            ModelPhase::Live { deadline, .. } => i64::try_from(deadline.saturating_sub(state.now)).unwrap_or(i64::MAX),
            _ => 0,
        };
        let delta = prop_oneof![
            4 => 0i64..600,
            1 => -600i64..0,
            1 => Just(40_000_000i64),
            3 => (-1i64..=1).prop_map(move |d| to_deadline.saturating_add(d)),
        ];
        (delta, ev).prop_map(|(delta, ev)| Step { delta, ev }).boxed()
    }

    fn apply(mut state: Model, step: &Step) -> Model {
        state.now = state.now.saturating_add_signed(step.delta);
        state.outputs.clear();
        state.error = None;
        state.time();
        state.event(&step.ev);
        state
    }
}

/// The machine under test, with what the invariants need to remember between steps.
struct Sut {
    message: Option<Message>,
    destroyed: Option<Reason>,
}

struct ExpiryTest;

fn event_of(ev: &Ev) -> Event<'static> {
    match ev {
        Ev::Receive { sender, sent_offset, ttl, bor } => Event::Receive(Incoming {
            sender: SENDERS[*sender],
            sent_at: T0.saturating_add_signed(*sent_offset),
            ttl: *ttl,
            bor: *bor,
            content: b"content",
        }),
        Ev::Read => Event::Read,
        Ev::Tick => Event::Tick,
        Ev::Recall(by) => Event::Recall { by: SENDERS[*by] },
        Ev::Delete => Event::Delete,
        Ev::Reset => Event::PasswordReset,
        Ev::Removed => Event::DeviceRemoved,
        Ev::Cap(cap) => Event::SetCap(*cap),
    }
}

impl StateMachineTest for ExpiryTest {
    type SystemUnderTest = Sut;
    type Reference = ExpiryModel;

    fn init_test(model: &Model) -> Sut {
        Sut { message: Some(Message::new([7; 16], model.cap).expect("valid cap")), destroyed: None }
    }

    fn apply(mut sut: Sut, model: &Model, step: Step) -> Sut {
        let message = sut.message.take().expect("machine present");
        let t = message.handle(event_of(&step.ev), model.now);
        // EXP-003: the same outputs and the same refusal as the model, in the same order.
        assert_eq!(t.outputs.to_vec(), model.outputs, "outputs of {step:?}");
        assert_eq!(t.result.err().map(|e| e.code()), model.error, "result of {step:?}");
        // EXP-001: the same phase, deadline and expiry.
        let (phase_ok, deadline) = match (&t.state.phase(), &model.phase) {
            (Phase::Absent, ModelPhase::Absent) | (Phase::RecallNoted { .. }, ModelPhase::Noted { .. }) => (true, None),
            (Phase::Unread { deadline }, ModelPhase::Live { read_at: None, deadline: d, .. })
            | (Phase::Read { deadline, .. }, ModelPhase::Live { read_at: Some(_), deadline: d, .. }) => {
                (deadline == d, Some(*d))
            }
            (Phase::Destroyed { reason }, ModelPhase::Destroyed { reason: r, .. }) => (reason == r, None),
            _ => (false, None),
        };
        assert!(phase_ok, "phase {:?} vs model {:?}", t.state.phase(), model.phase);
        assert_eq!(t.state.deadline(), deadline);
        if let Phase::Destroyed { reason } = t.state.phase() {
            // EXP-041: destroyed is final, with its first reason.
            assert!(sut.destroyed.is_none_or(|r| r == reason), "EXP-041: reason changed");
            sut.destroyed = Some(reason);
        } else {
            assert!(sut.destroyed.is_none(), "EXP-041: left the destroyed phase");
        }
        sut.message = Some(t.state);
        sut
    }

    fn check_invariants(sut: &Sut, _: &Model) {
        let m = sut.message.as_ref().expect("machine present");
        if let Some(deadline) = m.deadline() {
            // EXP-012: never readable at or after the deadline.
            assert!(m.readable() && m.clock() < deadline, "EXP-012: live at or after its deadline");
            // EXP-011: burn never extends expiry.
            assert!(deadline <= m.expires_at().expect("live"), "EXP-011: deadline beyond expires_at");
        }
        assert!(!m.readable() || m.deadline().is_some());
    }
}

/// EXP-022 needs the previous deadline; this runs the model's sequences and carries it.
fn check_deadline_never_increases(steps: &[Step], cap: Option<u32>) {
    let mut m = Message::new([7; 16], cap).expect("valid cap");
    let mut now = T0;
    let mut last: Option<u64> = None;
    for step in steps {
        now = now.saturating_add_signed(step.delta);
        m = m.handle(event_of(&step.ev), now).state;
        // A message is live at most once (EXP-041), so `last` only spans one live period.
        if let (Some(after), Some(before)) = (m.deadline(), last) {
            assert!(after <= before, "EXP-022: deadline rose from {before} to {after}");
        }
        last = m.deadline();
    }
}

prop_state_machine! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// EXP-001, EXP-002, EXP-003: the machine matches the model step by step, and the invariants
    /// of section 8 (EXP-011, EXP-012, EXP-041) hold after every step.
    #[test]
    fn machine_matches_the_model(sequential 1..24 => ExpiryTest);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// EXP-022: deadlines never increase, over random sequences.
    #[test]
    fn deadline_never_increases(
        (model, steps) in ExpiryModel::sequential_strategy(1..32).prop_map(|(m, s, _)| (m, s)),
    ) {
        check_deadline_never_increases(&steps, model.cap);
    }
}

/// EXP-042: content lives only in the live phases; destruction drops it (the zeroizing storage is
/// overwritten on drop), so no output after destruction can carry it.
#[test]
fn destroyed_message_never_shows_content_again() {
    let mut m = Message::new([1; 16], None).expect("no cap");
    let t = m.handle(Event::Receive(Incoming { sender: b"a", sent_at: T0, ttl: 60, bor: 0, content: b"secret" }), T0);
    m = t.state;
    let t = m.handle(Event::Delete, T0 + 1);
    assert_eq!(t.outputs.to_vec(), [Output::Destroyed(Reason::Deleted)]);
    m = t.state;
    for (i, ev) in [Event::Read, Event::Tick, Event::Recall { by: b"a" }, Event::SetCap(None)].into_iter().enumerate() {
        let t = m.handle(ev, T0 + 2 + i as u64);
        assert!(t.outputs.iter().all(|o| !matches!(o, Output::Shown { .. })));
        assert!(!t.state.readable());
        m = t.state;
    }
}
