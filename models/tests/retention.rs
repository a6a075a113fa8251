//! The retention model, exhaustively, on the reference: SYS-007 to SYS-013 hold in every state
//! within the bound, and the model reaches what its examples name.

use cinder_models::{check, retention};
use stateright::Model;

mod support;

#[test]
fn retention_model_holds_on_the_reference() {
    let model = retention::RetentionModel::new(support::RETENTION_DEPTH);
    let names: Vec<&str> = model.properties().iter().map(|p| p.name).collect();
    support::assert_promises(&names, &["SYS-007", "SYS-008", "SYS-009", "SYS-010", "SYS-011", "SYS-012", "SYS-013"]);
    let run = check::run(model, support::RETENTION_DEPTH, 1, false);
    support::assert_holds("retention", &run);
}
