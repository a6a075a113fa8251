//! What the model tests share: the bounds `cargo test` checks, and the checks of a run.

#![allow(dead_code, unreachable_pub)]

use cinder_models::check::Run;

/// The expiry model's bound in `cargo test` (spec/system.md section 2).
pub const EXPIRY_DEPTH: usize = 4;

/// The retention model's bound in `cargo test` (spec/system.md section 3).
pub const RETENTION_DEPTH: usize = 4;

/// The retention model's bound in the teeth test: every retention bug is found within 3 actions
/// (the table's last column), so the teeth need not go deeper.
pub const RETENTION_TEETH_DEPTH: usize = 3;

/// The session model's bound in `cargo test` (spec/system.md section 4).
pub const SESSION_DEPTH: usize = 4;

/// The composed system model's bound in `cargo test` (spec/system.md section 5).
pub const SYSTEM_DEPTH: usize = 5;

/// The session model's bound for a bug in the teeth test: the smallest at which it is found (the
/// table's last column), since each state costs a replay of its handshakes.
pub const fn session_teeth_depth(bug: cinder_models::session::Bug) -> usize {
    match bug {
        cinder_models::session::Bug::ReplayedMessageAccepted => 4,
        cinder_models::session::Bug::SkipWindowOffByOne => 3,
    }
}

/// The model's properties are exactly the promises `ids` (each property name starts with its ID),
/// plus examples.
pub fn assert_promises(names: &[&str], ids: &[&str]) {
    let promised: Vec<&str> =
        names.iter().filter_map(|n| n.split(' ').next()).filter(|n| n.starts_with("SYS-")).collect();
    assert_eq!(promised, ids, "the model's properties and the promises it checks differ");
}

/// Every invariant held, every example was reached, and the run's counts are printed.
pub fn assert_holds(model: &str, run: &Run) {
    eprintln!(
        "{model}: depth {}, {} states, {} distinct, {:.1} s",
        run.depth,
        run.states,
        run.unique,
        run.elapsed.as_secs_f64()
    );
    assert!(run.failures().is_empty(), "{model}: counterexamples: {:#?}", run.discoveries);
    assert!(
        run.discoveries.iter().filter(|d| !d.failure).count() == run.examples,
        "{model}: an example property was never reached: {:#?}",
        run.discoveries
    );
}
