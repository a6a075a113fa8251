//! The committed vector files, for the tests that replay them through the reference.

use serde_json::Value;

/// `vectors/<name>`, parsed.
pub(crate) fn vector_file(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{} cannot be read: {e}", path.display()));
    serde_json::from_str(&text).expect("the vector file is JSON")
}
