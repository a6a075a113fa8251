//! Every normative requirement has an ID and at least one vector or test that names it; nothing
//! names a requirement that does not exist; the error taxonomy matches the reference.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use cinder_spec::{chapter_version, chapters, defined_ids, mentioned_ids, repo_root, table_codes};

/// Requirement IDs named by vectors (their `requirements` fields) and by test code: files under a
/// `tests/` directory, fuzz targets, and `#[cfg(test)]` modules are all test code; plain source
/// comments are not.
fn named_by_vectors_and_tests() -> BTreeMap<String, BTreeSet<String>> {
    let root = repo_root();
    let mut named: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, _) in cinder_vectors::ALL {
        let text = std::fs::read_to_string(root.join("vectors").join(file)).expect("vector file readable");
        let parsed = cinder_vectors::format::VectorFile::parse(&text).expect("vector file parses");
        for test in parsed.test_groups.iter().flat_map(|g| &g.tests) {
            for id in &test.requirements {
                named.entry(id.clone()).or_default().insert(format!("vectors/{file}"));
            }
        }
    }
    let mut stack = vec![
        root.join("reference/tests"),
        root.join("fuzz"),
        root.join("conformance/tests"),
        root.join("vectors/tests"),
        root.join("models/tests"),
    ];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if !path.ends_with("target") && !path.ends_with("corpus") {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs" || e == "py") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                for id in mentioned_ids(&text) {
                    named.entry(id).or_default().insert(relative(&root, &path));
                }
            }
        }
    }
    named
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).display().to_string()
}

fn all_defined() -> BTreeSet<String> {
    chapters().expect("spec readable").iter().flat_map(|(_, text)| defined_ids(text)).collect()
}

#[test]
fn every_requirement_is_named_by_a_vector_or_test() {
    let defined = all_defined();
    assert!(defined.len() >= 20, "only {} requirements found: is the definition syntax intact?", defined.len());
    let named = named_by_vectors_and_tests();
    let missing: Vec<&String> = defined.iter().filter(|id| !named.contains_key(*id)).collect();
    assert!(missing.is_empty(), "requirements no vector or test names: {missing:?}");
}

#[test]
fn every_system_promise_is_named_by_a_model_test() {
    let defined: BTreeSet<String> =
        all_defined().into_iter().filter(|id| id.starts_with(cinder_spec::SYSTEM_PREFIX)).collect();
    assert!(!defined.is_empty(), "spec/system.md defines no SYS requirement");
    let named = named_by_vectors_and_tests();
    let missing: Vec<&String> = defined
        .iter()
        .filter(|id| !named.get(*id).is_some_and(|files| files.iter().any(|f| f.starts_with("models/tests"))))
        .collect();
    assert!(missing.is_empty(), "system promises no model test (models/tests) names: {missing:?}");
}

#[test]
fn nothing_names_a_requirement_the_spec_does_not_define() {
    let defined = all_defined();
    let dangling: Vec<String> = named_by_vectors_and_tests()
        .into_iter()
        .filter(|(id, _)| !defined.contains(id))
        .map(|(id, files)| format!("{id} (in {files:?})"))
        .collect();
    assert!(dangling.is_empty(), "names of requirements that do not exist: {dangling:?}");
}

#[test]
fn every_requirement_is_defined_once() {
    let mut seen = BTreeSet::new();
    for (chapter, text) in chapters().expect("spec readable") {
        let count = text.lines().filter(|l| l.starts_with("**") && l.contains(".**")).count();
        let ids = defined_ids(&text);
        for id in &ids {
            assert!(seen.insert(id.clone()), "{id} is defined twice ({chapter})");
        }
        let openers = text
            .lines()
            .filter(|l| l.starts_with("**") && mentioned_ids(l.split(".**").next().unwrap_or("")).len() == 1)
            .count();
        assert_eq!(openers, ids.len(), "{chapter}: a requirement ID is defined twice in the chapter");
        assert!(count >= ids.len());
    }
}

#[test]
fn error_taxonomy_matches_the_reference() {
    let readme = std::fs::read_to_string(repo_root().join("spec/README.md")).expect("spec/README.md");
    let taxonomy = table_codes(&readme);
    let reference: BTreeSet<String> = cinder::identity::IdentityError::CODES
        .iter()
        .chain(cinder::envelope::EnvelopeError::CODES.iter())
        .chain(cinder::expiry::ExpiryError::CODES.iter())
        .chain(cinder::retention::RetentionError::CODES.iter())
        .chain(cinder::session::SessionError::CODES.iter())
        .map(|c| (*c).to_owned())
        .collect();
    assert_eq!(taxonomy, reference, "spec/README.md's error table and the reference's codes differ");
    for (chapter, text) in chapters().expect("spec readable") {
        let part = chapter.trim_end_matches(".md");
        let own: BTreeSet<String> = taxonomy.iter().filter(|c| c.starts_with(&format!("{part}."))).cloned().collect();
        assert_eq!(table_codes(&text), own, "{chapter}'s error table differs from spec/README.md's");
    }
}

#[test]
fn vector_files_test_the_current_chapter_versions() {
    for (file, generate) in cinder_vectors::ALL {
        let vectors = generate().expect("generation succeeds");
        let chapter = std::fs::read_to_string(repo_root().join("spec").join(format!("{}.md", vectors.part)))
            .unwrap_or_else(|_| panic!("{file}: no spec chapter for part {}", vectors.part));
        assert_eq!(chapter_version(&chapter).as_deref(), Some(vectors.spec_version.as_str()), "{file}");
    }
}
