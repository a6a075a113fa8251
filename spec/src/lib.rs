//! Executable checks over Cinder's specification.
//!
//! The chapters in `spec/*.md` define requirements as bold paragraphs starting `**PREFIX-NNN.**`.
//! This crate extracts them, and its tests check that every requirement is named by a vector or a
//! test, that nothing names a requirement that does not exist, and that the error taxonomy in
//! `spec/README.md` is exactly the set of codes the reference implementation can return.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The chapter prefixes of spec/README.md, "Chapters".
pub const PREFIXES: [&str; 6] = ["IDH", "ENV", "SES", "EXP", "RET", "SYS"];

/// The prefix of spec/system.md, whose requirements only the models (`models/tests`) may name.
pub const SYSTEM_PREFIX: &str = "SYS";

/// The repository root (the parent of this crate's directory).
#[must_use]
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map_or_else(|| PathBuf::from(".."), Path::to_path_buf)
}

/// Every `PREFIX-NNN` token in `text`, for the chapter prefixes.
#[must_use]
pub fn mentioned_ids(text: &str) -> BTreeSet<String> {
    let bytes = text.as_bytes();
    let mut found = BTreeSet::new();
    for prefix in PREFIXES {
        let mut from = 0;
        while let Some(pos) = text[from..].find(prefix) {
            let start = from + pos;
            let end = start + prefix.len() + 4;
            from = start + prefix.len();
            let before_ok = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
            let Some(tail) = text.get(start + prefix.len()..end) else { continue };
            let after_ok = bytes.get(end).is_none_or(|b| !b.is_ascii_alphanumeric());
            let digits = tail.strip_prefix('-').is_some_and(|d| d.len() == 3 && d.bytes().all(|b| b.is_ascii_digit()));
            if before_ok && after_ok && digits {
                found.insert(text[start..end].to_owned());
            }
        }
    }
    found
}

/// The requirements a chapter *defines*: IDs that open a bold paragraph, `**IDH-001.**`.
#[must_use]
pub fn defined_ids(markdown: &str) -> BTreeSet<String> {
    markdown
        .lines()
        .filter_map(|line| line.strip_prefix("**"))
        .filter_map(|rest| rest.split_once(".**"))
        .map(|(id, _)| id)
        .filter(|id| mentioned_ids(id).len() == 1 && mentioned_ids(id).contains(*id))
        .map(str::to_owned)
        .collect()
}

/// The `Version:` of a chapter, from its line `Version: X.Y.Z · …`.
#[must_use]
pub fn chapter_version(markdown: &str) -> Option<String> {
    let line = markdown.lines().find(|l| l.starts_with("Version: "))?;
    let rest = line.strip_prefix("Version: ")?;
    Some(rest.split_whitespace().next()?.to_owned())
}

/// The error codes listed in the first column of every Markdown table row whose first cell is a
/// backquoted `part.reason` code.
#[must_use]
pub fn table_codes(markdown: &str) -> BTreeSet<String> {
    markdown
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`'))
        .map(|(code, _)| code)
        .filter(|code| {
            code.split_once('.').is_some_and(|(part, reason)| {
                !part.is_empty()
                    && !reason.is_empty()
                    && part.bytes().all(|b| b.is_ascii_lowercase())
                    && reason.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            })
        })
        .map(str::to_owned)
        .collect()
}

/// Every spec chapter (`spec/*.md` other than README.md), as (file name, text).
///
/// # Errors
/// When the spec directory cannot be read.
pub fn chapters() -> std::io::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(repo_root().join("spec"))? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        if name.ends_with(".md") && name != "README.md" {
            out.push((name, std::fs::read_to_string(&path)?));
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_ids_only_as_whole_tokens() {
        let ids = mentioned_ids("IDH-001, xIDH-002, IDH-0033, (ENV-120) IDH-00 SES-999.");
        assert_eq!(ids.into_iter().collect::<Vec<_>>(), ["ENV-120", "IDH-001", "SES-999"]);
    }

    #[test]
    fn finds_definitions_only_in_bold_openers() {
        let md = "**IDH-001.** A rule.\nSee IDH-002.\n**Rationale.** text\n**IDH-020.** Another.";
        assert_eq!(defined_ids(md).into_iter().collect::<Vec<_>>(), ["IDH-001", "IDH-020"]);
    }

    #[test]
    fn reads_table_codes_and_versions() {
        let md = "Version: 1.2.3 · Status: x\n| `identity.invalid_phone` | x |\n| `IDH-001` | y |\n| code | z |";
        assert_eq!(chapter_version(md).as_deref(), Some("1.2.3"));
        assert_eq!(table_codes(md).into_iter().collect::<Vec<_>>(), ["identity.invalid_phone"]);
    }
}
