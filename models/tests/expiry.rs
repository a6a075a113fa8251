//! The expiry model, exhaustively, on the reference: SYS-001, SYS-002, SYS-003, SYS-004, SYS-005
//! and SYS-006 hold in every state within the bound, and the model reaches what its examples name.

use cinder_models::{check, expiry};
use stateright::Model;

mod support;

#[test]
fn expiry_model_holds_on_the_reference() {
    let model = expiry::ExpiryModel::new(support::EXPIRY_DEPTH);
    let names: Vec<&str> = model.properties().iter().map(|p| p.name).collect();
    support::assert_promises(&names, &["SYS-001", "SYS-002", "SYS-003", "SYS-004", "SYS-005", "SYS-006"]);
    let run = check::run(model, support::EXPIRY_DEPTH, 1, false);
    support::assert_holds("expiry", &run);
}
