//! `cinder-vectors`: the generator and checker of Cinder's JSON test vectors.
//!
//! [`format`](mod@format) defines the file format every part uses; one module per part builds that part's
//! file from cases written by hand and the reference implementation, and [`all`] lists them.
//! With feature `builtin`, `builtin::FILES` holds the committed files' texts, compiled in.
#![cfg_attr(docsrs, feature(doc_cfg))]
// Case tables are written as tuples, one row per test, so that a reader sees every input of a
// case on one line; naming each tuple type would add a type per table and hide nothing.
#![allow(clippy::type_complexity)]

pub mod builder;
#[cfg(feature = "builtin")]
pub mod builtin;
pub mod envelope;
pub mod expiry;
pub mod format;
pub mod generators;
pub mod identity;
pub mod retention;
pub mod session;

use builder::GenerateError;
use format::VectorFile;

/// A vector file's name under `vectors/` and the function that builds it.
pub type Generator = (&'static str, fn() -> Result<VectorFile, GenerateError>);

/// Every vector file the kit ships, in the order the runner checks them.
pub const ALL: &[Generator] = &[
    ("identity.json", identity::generate),
    ("envelope.json", envelope::generate),
    ("expiry.json", expiry::generate),
    ("session.json", session::generate),
    ("retention.json", retention::generate),
];

/// Builds every file and renders it as the committed bytes.
///
/// # Errors
/// When a generator finds the reference disagreeing with a written case, or a built file breaks
/// the format's rules.
pub fn all() -> Result<Vec<(&'static str, String)>, GenerateError> {
    ALL.iter()
        .map(|(name, generate)| {
            let file = generate()?;
            file.validate().map_err(|e| GenerateError(format!("{name}: {e}")))?;
            let text = file.to_pretty_json().map_err(|e| GenerateError(format!("{name}: {e}")))?;
            Ok((*name, text))
        })
        .collect()
}

/// The directory that holds the committed vector files (this crate's own directory).
#[must_use]
pub fn default_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
