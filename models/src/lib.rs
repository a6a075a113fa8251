//! Exhaustive models of Cinder's system promises (spec/system.md, requirements `SYS-nnn`).
//!
//! Each model is a [`stateright::Model`] whose next-state function is the reference's own
//! transition function (crate `cinder`): [`expiry`] drives `cinder::expiry::Message::handle`,
//! [`retention`] `cinder::retention::Server::handle`, [`session`] `cinder::session::Network::handle`
//! and [`system`] the server and the devices' expiry copies together.
//! Nothing here re-implements a transition; the models choose events, keep a *ghost* record of
//! what was asked and observed, and state the promises over it.
//!
//! # States that hold secrets
//! The reference's machines hold content and keys in zeroizing storage and are deliberately not
//! `Clone` (`cinder::expiry::Message`, `cinder::session::Network`; the retention server holds no
//! secret and is held as it is). A model state therefore stores the *log* of
//! the model's actions and rebuilds the reference machine by replaying that log whenever it needs
//! one: the machine is a deterministic function of the log. Its `Hash` and `Eq` are those of a
//! projection — the machine's public view and the ghost — that determines its future: the
//! secrets are modelled by their identity (the one content every copy of a model message has).
//!
//! # Faults
//! [`expiry::Bug`], [`retention::Bug`] and [`session::Bug`] reproduce, as wrappers around the
//! reference, the state-machine bugs of `cinder-broken-adapter` (conformance/broken/); the `teeth`
//! test checks that a property finds each one, and writes the table of models/README.md.

pub mod check;
pub mod cli;
pub mod expiry;
pub mod retention;
pub mod session;
pub mod system;
