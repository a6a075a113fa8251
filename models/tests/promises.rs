//! Every model, exhaustively, on the reference, each at its bound of spec/system.md: every promise
//! holds in every state within the bound, and each model reaches what its examples name. One test
//! binary, so that `cargo test` checks the models side by side (one test thread each).

use cinder_models::{check, expiry, retention, session, system};
use stateright::Model;

mod support;

/// The expiry model: SYS-001 to SYS-006.
#[test]
fn expiry_model_holds_on_the_reference() {
    let model = expiry::ExpiryModel::new(support::EXPIRY_DEPTH);
    let names: Vec<&str> = model.properties().iter().map(|p| p.name).collect();
    support::assert_promises(&names, &["SYS-001", "SYS-002", "SYS-003", "SYS-004", "SYS-005", "SYS-006"]);
    let run = check::run(model, support::EXPIRY_DEPTH, 1, false);
    support::assert_holds("expiry", &run);
}

/// The retention model: SYS-007 to SYS-013.
#[test]
fn retention_model_holds_on_the_reference() {
    let model = retention::RetentionModel::new(support::RETENTION_DEPTH);
    let names: Vec<&str> = model.properties().iter().map(|p| p.name).collect();
    support::assert_promises(&names, &["SYS-007", "SYS-008", "SYS-009", "SYS-010", "SYS-011", "SYS-012", "SYS-013"]);
    let run = check::run(model, support::RETENTION_DEPTH, 1, false);
    support::assert_holds("retention", &run);
}

/// The session lifecycle network model: SYS-010 and SYS-014 to SYS-017.
#[test]
fn session_model_holds_on_the_reference() {
    let model = session::SessionModel::new(support::SESSION_DEPTH);
    let names: Vec<&str> = model.properties().iter().map(|p| p.name).collect();
    support::assert_promises(&names, &["SYS-010", "SYS-014", "SYS-015", "SYS-016", "SYS-017"]);
    let run = check::run(model, support::SESSION_DEPTH, 1, false);
    support::assert_holds("session", &run);
}

/// The composed system (the server and the devices' copies together): SYS-018 and SYS-019.
#[test]
fn composed_system_holds_on_the_reference() {
    let model = system::SystemModel::new(support::SYSTEM_DEPTH);
    let names: Vec<&str> = model.properties().iter().map(|p| p.name).collect();
    support::assert_promises(&names, &["SYS-018", "SYS-019"]);
    let run = check::run(model, support::SYSTEM_DEPTH, 1, false);
    support::assert_holds("system", &run);
}
