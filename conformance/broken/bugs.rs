//! Every bug `cinder-broken-adapter` can inject.
//!
//! Each part that has bugs has its own file beside this one (`identity.rs`, `envelope.rs`,
//! `expiry.rs`): a second implementation of the part written from its spec chapter, a `Bug` enum
//! with one variant per fault, a `BUGS` table naming each, and an `answer(op, args)` method.
//! Adding a part's bugs is adding its file, one [`Variant`] and one line in [`all`].

use crate::{envelope, expiry, identity, retention, session};

/// One bug of a part, as its file lists it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Info<B: 'static> {
    /// Which fault the part's implementation switches on.
    pub(crate) bug: B,
    /// `part-what-goes-wrong`: the name `--bug` takes.
    pub(crate) name: &'static str,
    /// The requirement IDs the bug breaks.
    pub(crate) breaks: &'static str,
    /// The realistic mistake, in one sentence.
    pub(crate) summary: &'static str,
}

/// An injectable bug: which part, which fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Variant {
    Identity(identity::Bug),
    Envelope(envelope::Bug),
    Expiry(expiry::Bug),
    Retention(retention::Bug),
    Session(session::Bug),
}

/// A bug as `--list-bugs` shows it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Listed {
    pub(crate) name: &'static str,
    pub(crate) part: &'static str,
    pub(crate) breaks: &'static str,
    pub(crate) summary: &'static str,
    /// The fault to switch on.
    pub(crate) variant: Variant,
}

fn of<B: Copy>(part: &'static str, infos: &[Info<B>], variant: fn(B) -> Variant) -> impl Iterator<Item = Listed> {
    infos.iter().map(move |info| Listed {
        name: info.name,
        part,
        breaks: info.breaks,
        summary: info.summary,
        variant: variant(info.bug),
    })
}

/// Every bug that can be injected, part by part.
pub(crate) fn all() -> Vec<Listed> {
    of("identity", identity::BUGS, Variant::Identity)
        .chain(of("envelope", envelope::BUGS, Variant::Envelope))
        .chain(of("expiry", expiry::BUGS, Variant::Expiry))
        .chain(of("retention", retention::BUGS, Variant::Retention))
        .chain(of("session", session::BUGS, Variant::Session))
        .collect()
}
