//! The built-in target: the reference implementation, called in-process through
//! [`dispatch`](crate::dispatch::dispatch()). It checks the vectors against the reference without
//! any process or pipe in the way.

use serde_json::Value;

use super::{Fault, Limits, Target};
use crate::dispatch::{capabilities, dispatch};
use crate::protocol::{Hello, Response};

/// Name the built-in target gives itself in reports.
pub const NAME: &str = concat!("built-in reference (cinder ", env!("CARGO_PKG_VERSION"), ")");

/// The reference implementation as a [`Target`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Builtin;

impl Target for Builtin {
    fn describe(&self) -> String {
        NAME.into()
    }

    fn start(&mut self, _limits: &Limits) -> Result<Hello, Fault> {
        Ok(Hello { adapter: NAME.into(), capabilities: capabilities() })
    }

    fn call(&mut self, op: &str, args: &Value, _limits: &Limits) -> Result<Response, Fault> {
        Ok(dispatch(op, args))
    }

    fn take_log(&mut self) -> Option<String> {
        None
    }

    fn finish(&mut self) -> Vec<String> {
        Vec::new()
    }
}
