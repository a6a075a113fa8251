//! Expectations files (`--expect FILE`): what an implementation is known not to do yet.
//!
//! One entry per line, `KIND GLOB REASON`:
//!
//! ```text
//! # my-client 2.3: known gaps
//! fail identity/canonicalize-email/*     e-mail canonicalisation lands in 2.4 (#812)
//! skip envelope/cross-check/*-1-mib-*    1 MiB envelopes time out on the CI runner
//! ```
//!
//! - `fail`: the matching cases still run; one that fails is an *expected failure* and does not
//!   fail the run; one that passes is an *unexpected pass*, which does (remove the entry).
//! - `skip`: the matching cases are not sent at all; they are *skipped* and do not fail the run.
//! - `GLOB` is matched against case paths like `--filter` (`*` is any run of characters, `/`
//!   included). `REASON` is the rest of the line, and may not be empty.
//! - Blank lines and lines starting with `#` are ignored. The first entry that matches a case
//!   decides for it.
//!
//! An entry that matches no case of the vector files loaded is reported as unused (a warning),
//! so an expectations file does not rot unnoticed.

use core::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::filter::Pattern;

/// Largest expectations file read.
pub const MAX_FILE_LEN: u64 = 16 << 20;

/// What an entry expects of the cases it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The cases run and are expected to fail.
    Fail,
    /// The cases are not run.
    Skip,
}

impl Kind {
    /// The word that starts an entry.
    #[must_use]
    pub const fn word(self) -> &'static str {
        match self {
            Self::Fail => "fail",
            Self::Skip => "skip",
        }
    }
}

/// One line of an expectations file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Its line number, from 1.
    pub line: usize,
    /// `fail` or `skip`.
    pub kind: Kind,
    /// The case-path glob.
    pub glob: Pattern,
    /// Why, as written.
    pub reason: String,
}

/// A parsed expectations file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expectations {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its entries, in file order.
    pub entries: Vec<Entry>,
}

/// An expectations file that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectError {
    /// The file.
    pub path: PathBuf,
    /// The line at fault, if one is.
    pub line: Option<usize>,
    /// What is wrong.
    pub problem: String,
}

impl fmt::Display for ExpectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path.display(), self.problem),
            None => write!(f, "{}: {}", self.path.display(), self.problem),
        }
    }
}

impl core::error::Error for ExpectError {}

impl Expectations {
    /// Reads and parses `path`.
    ///
    /// # Errors
    /// The file cannot be read, is too large or not UTF-8, or a line is not an entry.
    pub fn load(path: &Path) -> Result<Self, ExpectError> {
        let problem = |problem: String| ExpectError { path: path.to_path_buf(), line: None, problem };
        let len = std::fs::metadata(path).map_err(|e| problem(format!("cannot read: {e}")))?.len();
        if len > MAX_FILE_LEN {
            return Err(problem(format!("is {len} bytes, more than the {MAX_FILE_LEN} an expectations file may be")));
        }
        let bytes = std::fs::read(path).map_err(|e| problem(format!("cannot read: {e}")))?;
        let text = String::from_utf8(bytes).map_err(|e| problem(format!("is not UTF-8: {e}")))?;
        Self::parse(path, &text)
    }

    /// Parses the text of an expectations file read from `path` (used in messages).
    ///
    /// # Errors
    /// The first line that is not blank, a comment or an entry.
    pub fn parse(path: &Path, text: &str) -> Result<Self, ExpectError> {
        let mut entries = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let problem =
                |problem: &str| ExpectError { path: path.to_path_buf(), line: Some(line), problem: problem.into() };
            let content = raw.trim();
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            let (word, rest) = split_word(content);
            let kind = match word {
                "fail" => Kind::Fail,
                "skip" => Kind::Skip,
                other => {
                    return Err(problem(&format!(
                        "{other:?} is not an entry kind: a line is `fail GLOB REASON` or `skip GLOB REASON`"
                    )));
                }
            };
            let (glob, reason) = split_word(rest);
            if glob.is_empty() {
                return Err(problem("the entry has no glob: a line is `fail GLOB REASON` or `skip GLOB REASON`"));
            }
            if reason.is_empty() {
                return Err(problem("the entry has no reason: say why the cases fail or are skipped"));
            }
            entries.push(Entry { line, kind, glob: Pattern::new(glob), reason: reason.to_owned() });
        }
        Ok(Self { path: path.to_path_buf(), entries })
    }

    /// The first entry that matches `path`, if any.
    #[must_use]
    pub fn matching(&self, path: &str) -> Option<&Entry> {
        self.entries.iter().find(|entry| entry.glob.matches(path))
    }
}

/// The first whitespace-separated word of `text` and the rest, trimmed.
fn split_word(text: &str) -> (&str, &str) {
    match text.find(char::is_whitespace) {
        Some(end) => (&text[..end], text[end..].trim()),
        None => (text, ""),
    }
}

/// How one entry fared in a run, for the reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EntryReport {
    /// Its line number.
    pub line: usize,
    /// `fail` or `skip`.
    pub kind: Kind,
    /// The glob, as written.
    pub glob: String,
    /// The reason, as written.
    pub reason: String,
    /// How many selected cases it decided.
    pub matched: usize,
    /// Whether it matches any case of the vector files loaded at all (selected or not); an
    /// entry that does not is unused, and reported.
    pub used: bool,
}

/// The expectations file of a run, entry by entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpectationsReport {
    /// The file.
    pub path: String,
    /// Every entry, in file order.
    pub entries: Vec<EntryReport>,
}

impl ExpectationsReport {
    /// Entries that match no case of the files loaded.
    pub fn unused(&self) -> impl Iterator<Item = &EntryReport> {
        self.entries.iter().filter(|entry| !entry.used)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Expectations, ExpectError> {
        Expectations::parse(Path::new("x.expect"), text)
    }

    #[test]
    fn parses_entries_comments_and_blank_lines() {
        let text =
            "# known gaps\n\nfail identity/*   not done yet (#1)\n  skip\tenvelope/cross-check/*\t slow  on CI \n";
        let parsed = parse(text).expect("a valid file");
        assert_eq!(
            parsed.entries,
            vec![
                Entry {
                    line: 3,
                    kind: Kind::Fail,
                    glob: Pattern::new("identity/*"),
                    reason: "not done yet (#1)".into()
                },
                Entry {
                    line: 4,
                    kind: Kind::Skip,
                    glob: Pattern::new("envelope/cross-check/*"),
                    reason: "slow  on CI".into()
                },
            ]
        );
    }

    #[test]
    fn refuses_unknown_kinds_and_entries_without_glob_or_reason_naming_the_line() {
        let error = parse("fail a/* ok\nxfail a/* no\n").expect_err("unknown kind");
        assert_eq!(error.line, Some(2));
        assert!(error.to_string().starts_with("x.expect:2: \"xfail\" is not an entry kind"), "{error}");
        assert!(parse("skip\n").expect_err("no glob").problem.contains("no glob"));
        assert!(parse("skip a/*\n").expect_err("no reason").problem.contains("no reason"));
    }

    #[test]
    fn the_first_matching_entry_decides() {
        let parsed = parse("skip a/b/* first\nfail a/* second\n").expect("valid");
        assert_eq!(parsed.matching("a/b/c").map(|e| e.line), Some(1));
        assert_eq!(parsed.matching("a/c/d").map(|e| e.line), Some(2));
        assert_eq!(parsed.matching("b/c/d"), None);
    }
}
