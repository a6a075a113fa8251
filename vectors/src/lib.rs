//! `cinder-vectors`: the generator and checker of Cinder's JSON test vectors.
//!
//! [`format`] defines the file format every part uses; one module per part builds that part's
//! file from the reference implementation (and from nothing else that could hide a bug: inputs and
//! randomness are spelled out in the module).

pub mod format;
