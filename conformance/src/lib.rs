#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod check;
pub mod crosscheck;
pub mod dispatch;
pub mod expect;
pub mod filter;
pub mod fuzz;
mod lines;
pub mod load;
mod lowerhex;
pub mod protocol;
pub mod report;
pub mod run;
pub mod serve;
pub mod target;
mod text;

/// The runner's exit statuses (`ADAPTER.md`, "Exit codes").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Every selected case passed (unsupported ones too, with `--allow-unsupported`).
    Passed,
    /// Some case failed, or was unsupported without `--allow-unsupported`.
    Failed,
    /// The adapter could not be started or restarted, answered `hello` badly, or the run timeout
    /// passed: some cases were not run.
    AdapterBroken,
    /// A vector file could not be read or is not a valid vector file, or the files hold no test.
    BadVectors,
    /// The command line is wrong (an unknown flag, a bad value, a `--filter` matching nothing, a
    /// report file that cannot be written).
    Usage,
}

impl Exit {
    /// The process exit code.
    #[must_use]
    pub const fn code(self) -> u8 {
        match self {
            Self::Passed => 0,
            Self::Failed => 1,
            Self::AdapterBroken => 2,
            Self::BadVectors => 3,
            Self::Usage => 64,
        }
    }

    /// A one-word verdict for the JSON report.
    #[must_use]
    pub const fn verdict(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::AdapterBroken => "adapter_broken",
            Self::BadVectors => "bad_vectors",
            Self::Usage => "usage",
        }
    }
}
