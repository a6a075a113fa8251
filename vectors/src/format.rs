//! The vector file format shared by every part (spec/README.md, "Vector files").
//!
//! A file is a header, then test groups; a group names the adapter operation its tests call; a
//! test has a stable string ID, the requirement IDs it covers, its arguments, and either the
//! expected output (`result: valid`) or the expected error code (`result: invalid`).
//!
//! The same types serialise (in the generator) and deserialise (in the conformance runner), with
//! unknown fields refused, so a file that drifts from the format fails loudly.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Version of the vector format itself; bumped on any incompatible change.
pub const FORMAT_VERSION: u32 = 1;
/// The kit's version, written into every header.
pub const KIT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// One vector file, e.g. `vectors/identity.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VectorFile {
    /// The JSON Schema file (under `vectors/schema/`) this file conforms to.
    pub schema: String,
    /// Version of the vector format ([`FORMAT_VERSION`]).
    pub format_version: u32,
    /// The protocol part: `identity`, `envelope`, `session`, `expiry` or `retention`.
    pub part: String,
    /// Version of the kit that generated the file.
    pub kit_version: String,
    /// Version of the spec chapter the file tests (the chapter's `Version:` line).
    pub spec_version: String,
    /// The program that generated the file.
    pub generator: String,
    /// Total number of tests over all groups.
    pub number_of_tests: usize,
    /// Free-text lines about the file as a whole.
    pub header: Vec<String>,
    /// Every flag used by a test, with what it means.
    pub notes: Map<String, Value>,
    /// The groups, in order.
    pub test_groups: Vec<TestGroup>,
}

/// Tests that call the same adapter operation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TestGroup {
    /// Stable group name, unique in the file.
    pub group: String,
    /// The adapter operation every test in the group calls, e.g. `identity.canonicalize`.
    pub op: String,
    /// What the group checks.
    pub description: String,
    /// The tests.
    pub tests: Vec<TestCase>,
}

/// Valid or invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The operation must succeed with exactly `expected`.
    Valid,
    /// The operation must fail with exactly `error`.
    Invalid,
}

/// One test.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TestCase {
    /// Stable ID, unique in the file; never a position.
    pub id: String,
    /// What the test is about, for a human.
    pub comment: String,
    /// The spec requirements the test covers, e.g. `["IDH-008"]`.
    pub requirements: Vec<String>,
    /// Flags explained in the file's `notes`.
    pub flags: Vec<String>,
    /// The operation's arguments, sent to the adapter as they are.
    pub args: Value,
    /// Whether the operation must succeed.
    pub result: Outcome,
    /// For valid tests: every field the response must carry, with its value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<Value>,
    /// For invalid tests: the spec error code the response must carry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A file that parses but breaks a rule the format states.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatError(pub String);

impl core::fmt::Display for FormatError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

impl core::error::Error for FormatError {}

impl VectorFile {
    /// Parses a vector file and checks the rules JSON Schema cannot express: the test count,
    /// unique group names and test IDs, `expected` on exactly the valid tests and `error` on
    /// exactly the invalid ones, and every flag explained in `notes`.
    ///
    /// # Errors
    /// A message naming the first problem found.
    pub fn parse(text: &str) -> Result<Self, FormatError> {
        let file: Self =
            serde_json::from_str(text).map_err(|e| FormatError(format!("not a Cinder vector file: {e}")))?;
        file.validate()?;
        Ok(file)
    }

    /// The checks of [`VectorFile::parse`] on an already built file.
    ///
    /// # Errors
    /// A message naming the first problem found.
    pub fn validate(&self) -> Result<(), FormatError> {
        if self.format_version != FORMAT_VERSION {
            return Err(FormatError(format!(
                "formatVersion {} is not supported (this kit reads {FORMAT_VERSION})",
                self.format_version
            )));
        }
        let count: usize = self.test_groups.iter().map(|g| g.tests.len()).sum();
        if count != self.number_of_tests {
            return Err(FormatError(format!(
                "numberOfTests says {} but the groups hold {count}",
                self.number_of_tests
            )));
        }
        let mut groups = std::collections::BTreeSet::new();
        let mut ids = std::collections::BTreeSet::new();
        for group in &self.test_groups {
            if !groups.insert(group.group.as_str()) {
                return Err(FormatError(format!("group name {:?} is used twice", group.group)));
            }
            for test in &group.tests {
                if !ids.insert(test.id.as_str()) {
                    return Err(FormatError(format!("test ID {:?} is used twice", test.id)));
                }
                let place = format!("test {:?} in group {:?}", test.id, group.group);
                match (test.result, &test.expected, &test.error) {
                    (Outcome::Valid, Some(_), None) | (Outcome::Invalid, None, Some(_)) => {}
                    (Outcome::Valid, _, _) => {
                        return Err(FormatError(format!("{place}: a valid test needs `expected` and no `error`")));
                    }
                    (Outcome::Invalid, _, _) => {
                        return Err(FormatError(format!("{place}: an invalid test needs `error` and no `expected`")));
                    }
                }
                if test.requirements.is_empty() {
                    return Err(FormatError(format!("{place}: names no requirement")));
                }
                if let Some(flag) = test.flags.iter().find(|f| !self.notes.contains_key(f.as_str())) {
                    return Err(FormatError(format!("{place}: flag {flag:?} is not explained in `notes`")));
                }
            }
        }
        Ok(())
    }

    /// The file as it is committed: two-space-indented JSON and a final newline.
    ///
    /// # Errors
    /// Only if serialisation fails, which plain data cannot make it do.
    pub fn to_pretty_json(&self) -> Result<String, serde_json::Error> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        Ok(text)
    }
}
