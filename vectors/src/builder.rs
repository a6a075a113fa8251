//! Small helpers every part's generator uses to assemble groups and tests.

use serde_json::{Map, Value};

use crate::format::{FORMAT_VERSION, KIT_VERSION, Outcome, TestCase, TestGroup, VectorFile};

/// A generator found that the reference disagrees with a case written into it: either the case or
/// the reference is wrong, and nothing is written until a person decides which.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenerateError(pub String);

impl core::fmt::Display for GenerateError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

impl core::error::Error for GenerateError {}

/// The fields shared by every test, before its outcome is known.
#[derive(Clone, Debug)]
pub struct Case<'a> {
    /// Stable ID.
    pub id: &'a str,
    /// Comment for humans.
    pub comment: &'a str,
    /// Requirement IDs.
    pub requirements: &'a [&'a str],
    /// Flags (each explained in the file's notes).
    pub flags: &'a [&'a str],
}

/// A group under construction.
#[derive(Debug)]
pub struct Group {
    group: TestGroup,
}

impl Group {
    /// Starts a group whose tests call `op`.
    #[must_use]
    pub fn new(name: &str, op: &str, description: &str) -> Self {
        Self {
            group: TestGroup { group: name.into(), op: op.into(), description: description.into(), tests: Vec::new() },
        }
    }

    fn push(&mut self, case: &Case<'_>, args: Value, result: Outcome, expected: Option<Value>, error: Option<String>) {
        self.group.tests.push(TestCase {
            id: case.id.into(),
            comment: case.comment.into(),
            requirements: case.requirements.iter().map(|r| (*r).into()).collect(),
            flags: case.flags.iter().map(|f| (*f).into()).collect(),
            args,
            result,
            expected,
            error,
        });
    }

    /// Adds a test the operation must pass with `expected`.
    pub fn valid(&mut self, case: &Case<'_>, args: Value, expected: Value) {
        self.push(case, args, Outcome::Valid, Some(expected), None);
    }

    /// Adds a test the operation must fail with the spec error `code`.
    pub fn invalid(&mut self, case: &Case<'_>, args: Value, code: &str) {
        self.push(case, args, Outcome::Invalid, None, Some(code.into()));
    }

    /// The finished group.
    #[must_use]
    pub fn finish(self) -> TestGroup {
        self.group
    }
}

/// Assembles a file from its groups and the notes that explain its flags.
#[must_use]
pub fn file(
    part: &str,
    spec_version: &str,
    header: &[&str],
    notes: &[(&str, &str)],
    groups: Vec<TestGroup>,
) -> VectorFile {
    let mut note_map = Map::new();
    for (flag, text) in notes {
        note_map.insert((*flag).into(), Value::String((*text).into()));
    }
    VectorFile {
        schema: format!("{part}.schema.json"),
        format_version: FORMAT_VERSION,
        part: part.into(),
        kit_version: KIT_VERSION.into(),
        spec_version: spec_version.into(),
        generator: format!("cinder-vectors {KIT_VERSION}"),
        number_of_tests: groups.iter().map(|g| g.tests.len()).sum(),
        header: header.iter().map(|h| (*h).into()).collect(),
        notes: note_map,
        test_groups: groups,
    }
}

/// Deterministic filler bytes for inputs (keys, salts): HMAC-SHA256 in counter mode under a label.
/// These are arbitrary inputs, not secrets; the label makes every value reproducible by anyone.
#[must_use]
pub fn filler(label: &str, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut counter = 0u32;
    while out.len() < len {
        let block = cinder::primitives::hmac_sha256(
            b"cinder-vectors filler",
            &[label.as_bytes(), &counter.to_be_bytes()].concat(),
        );
        out.extend_from_slice(&block);
        counter += 1;
    }
    out.truncate(len);
    out
}

/// Whether `got` has every field of `want` with an equal value, looking into nested objects (other
/// values, arrays included, must be equal as a whole).
#[must_use]
pub fn contains(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => w.iter().all(|(k, v)| g.get(k).is_some_and(|gv| contains(v, gv))),
        _ => want == got,
    }
}

/// Checks a scenario's hand-written expectations — (step index, fields the step must contain) —
/// against the steps the reference produced.
///
/// # Errors
/// The first expectation the reference does not meet, naming the scenario and the step.
pub fn check_steps(id: &str, steps: &Value, checks: &[(usize, Value)]) -> Result<(), GenerateError> {
    for (index, want) in checks {
        let got = steps.get(*index).unwrap_or(&Value::Null);
        if !contains(want, got) {
            return Err(GenerateError(format!(
                "{id}: step {index} should contain {want} but the reference gives {got}"
            )));
        }
    }
    Ok(())
}

/// Adds one scenario test to `group`: valid with the reference's `result` as `expected`, once the
/// scenario's hand-written step `checks` hold; or invalid, when the scenario's setup had to be
/// refused with `want_error` and the reference refused it with that code.
///
/// # Errors
/// When the reference's result is not what the scenario says, or a step check fails.
pub fn push_scenario(
    group: &mut Group,
    case: &Case<'_>,
    args: Value,
    result: Result<Value, &'static str>,
    want_error: Option<&str>,
    checks: &[(usize, Value)],
) -> Result<(), GenerateError> {
    match (result, want_error) {
        (Err(code), Some(want)) if code == want => group.invalid(case, args, code),
        (Ok(expected), None) => {
            check_steps(case.id, &expected["steps"], checks)?;
            group.valid(case, args, expected);
        }
        (got, want) => {
            return Err(GenerateError(format!(
                "{}: expected setup error {want:?}, the reference gives {got:?}",
                case.id
            )));
        }
    }
    Ok(())
}
