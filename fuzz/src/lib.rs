//! Fuzzing logic for Cinder, one module per protocol part; each target in `fuzz_targets/` is a
//! one-line call into a module here, so the checks can also be run and read without libFuzzer.

pub mod envelope;
pub mod expiry;
pub mod identity;
pub mod retention;
pub mod session;
