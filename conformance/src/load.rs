//! Loading vector files: every `*.json` file directly inside a directory, or files named one by
//! one. A file that is not a valid vector file stops the run with an error naming the file.

use core::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use cinder_vectors::format::{TestCase, TestGroup, VectorFile};
use serde_json::Value;

/// Largest vector file read; anything bigger is refused rather than read into memory.
pub const MAX_FILE_LEN: u64 = 256 << 20;

/// One loaded vector file.
#[derive(Clone, Debug)]
pub struct LoadedFile {
    /// The file's name without `.json`: the first segment of every case path (`identity`).
    pub name: String,
    /// Where it was read from.
    pub path: PathBuf,
    /// Its contents.
    pub vectors: VectorFile,
}

/// A vector file that could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// The file (or directory) at fault.
    pub path: PathBuf,
    /// What is wrong with it.
    pub problem: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.problem)
    }
}

impl core::error::Error for LoadError {}

/// The repository's `vectors/` directory, as laid out when this crate was built. Only a checkout
/// has it: the runner's default is [`load_builtin`], and this is for the crate's own tests and for
/// tools that run in the repository.
#[must_use]
pub fn default_vectors_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("vectors");
    // Shown in reports: without the `..` when the directory exists.
    fs::canonicalize(&dir).unwrap_or(dir)
}

/// The vector files a list of paths names: a directory stands for the `*.json` files directly
/// inside it (sorted by name), a file for itself.
///
/// # Errors
/// A path that cannot be read, a directory without vector files, or two files with the same name
/// (their case paths would collide).
pub fn expand_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, LoadError> {
    let mut files = Vec::new();
    for path in paths {
        let problem = |problem: String| LoadError { path: path.clone(), problem };
        let metadata = fs::metadata(path).map_err(|e| problem(format!("cannot read: {e}")))?;
        if !metadata.is_dir() {
            files.push(path.clone());
            continue;
        }
        let mut found = Vec::new();
        for entry in fs::read_dir(path).map_err(|e| problem(format!("cannot list directory: {e}")))? {
            let entry = entry.map_err(|e| problem(format!("cannot list directory: {e}")))?;
            let file = entry.path();
            if file.extension().is_some_and(|ext| ext == "json") && file.is_file() {
                found.push(file);
            }
        }
        if found.is_empty() {
            return Err(problem("directory holds no vector files (*.json)".into()));
        }
        found.sort();
        files.extend(found);
    }
    Ok(files)
}

/// Loads every vector file `paths` names (see [`expand_paths`]).
///
/// # Errors
/// The first file that cannot be read or is not a valid vector file, named with its problem.
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<LoadedFile>, LoadError> {
    let mut loaded: Vec<LoadedFile> = Vec::new();
    for path in expand_paths(paths)? {
        let file = load_file(&path)?;
        if let Some(other) = loaded.iter().find(|f| f.name == file.name) {
            return Err(LoadError {
                path,
                problem: format!("has the same name as {}: case paths would collide", other.path.display()),
            });
        }
        loaded.push(file);
    }
    Ok(loaded)
}

/// Loads and checks one vector file.
///
/// # Errors
/// The file cannot be read, is too large, is not UTF-8, is not a valid vector file
/// ([`VectorFile::parse`]), or has a test whose `args` or `expected` is not a JSON object.
pub fn load_file(path: &Path) -> Result<LoadedFile, LoadError> {
    let problem = |problem: String| LoadError { path: path.to_path_buf(), problem };
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| problem("file name is not usable as a case path segment".into()))?
        .to_owned();
    let len = fs::metadata(path).map_err(|e| problem(format!("cannot read: {e}")))?.len();
    if len > MAX_FILE_LEN {
        return Err(problem(format!("is {len} bytes, more than the {MAX_FILE_LEN} a vector file may be")));
    }
    let bytes = fs::read(path).map_err(|e| problem(format!("cannot read: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| problem(format!("is not UTF-8: {e}")))?;
    parse_file(name, path.to_path_buf(), &text)
}

/// Where reports say a built-in file came from: `built-in/identity.json`.
pub const BUILTIN_DIR: &str = "built-in";

/// The vector files built into the runner (`cinder_vectors::builtin`): the ones this version of
/// the kit was released with. This is the default of `cinder-conformance run`, so an installed
/// runner needs no checkout. Their paths in reports are `built-in/<name>.json`.
///
/// # Errors
/// A built-in file that is not a valid vector file (the crate's tests make sure none is).
pub fn load_builtin() -> Result<Vec<LoadedFile>, LoadError> {
    cinder_vectors::builtin::FILES
        .iter()
        .map(|(name, text)| parse_file((*name).to_owned(), Path::new(BUILTIN_DIR).join(format!("{name}.json")), text))
        .collect()
}

fn parse_file(name: String, path: PathBuf, text: &str) -> Result<LoadedFile, LoadError> {
    let problem = |problem: String| LoadError { path: path.clone(), problem };
    let vectors = VectorFile::parse(text).map_err(|e| problem(e.to_string()))?;
    for group in &vectors.test_groups {
        check_group(group).map_err(problem)?;
    }
    Ok(LoadedFile { name, path, vectors })
}

/// What the runner needs beyond [`VectorFile::parse`]: an operation name, a group name that is not
/// the cross checks', and objects where the protocol sends or compares objects.
fn check_group(group: &TestGroup) -> Result<(), String> {
    if group.op.is_empty() || group.op == crate::protocol::HELLO_OP {
        return Err(format!("group {:?} has no usable `op` ({:?})", group.group, group.op));
    }
    if group.group == crate::crosscheck::GROUP {
        return Err(format!("the group name {:?} is reserved for the runner's cross checks", group.group));
    }
    for test in &group.tests {
        let place = || format!("test {:?} in group {:?}", test.id, group.group);
        if !test.args.is_object() {
            return Err(format!("{}: `args` must be a JSON object", place()));
        }
        if test.expected.as_ref().is_some_and(|e| !e.is_object()) {
            return Err(format!("{}: `expected` must be a JSON object", place()));
        }
    }
    Ok(())
}

/// The path that names a case in reports and `--filter`: `file/group/id`.
#[must_use]
pub fn case_path(file: &LoadedFile, group: &TestGroup, test: &TestCase) -> String {
    format!("{}/{}/{}", file.name, group.group, test.id)
}

/// The `expected` object of a valid test (empty for an invalid one).
#[must_use]
pub fn expected_fields(test: &TestCase) -> Option<&serde_json::Map<String, Value>> {
    test.expected.as_ref().and_then(Value::as_object)
}
