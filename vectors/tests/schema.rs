//! Every committed vector file validates against its JSON Schema, and the schemas have teeth.

use std::path::{Path, PathBuf};

use serde_json::Value;

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn validator_for(file: &Value) -> jsonschema::Validator {
    let name = file["schema"].as_str().expect("every vector file names its schema");
    let schema = read_json(&vectors_dir().join("schema").join(name));
    jsonschema::draft202012::new(&schema).unwrap_or_else(|e| panic!("schema {name} is not a valid JSON Schema: {e}"))
}

fn problems(file: &Value) -> Vec<String> {
    validator_for(file).iter_errors(file).map(|e| format!("{} at {}", e, e.instance_path)).collect()
}

#[test]
fn every_vector_file_validates_against_its_schema() {
    let mut checked = 0;
    for (name, _) in cinder_vectors::ALL {
        let file = read_json(&vectors_dir().join(name));
        let errors = problems(&file);
        assert!(errors.is_empty(), "{name} breaks its schema:\n{}", errors.join("\n"));
        checked += 1;
    }
    assert_eq!(checked, cinder_vectors::ALL.len());
}

#[test]
fn every_schema_on_disk_belongs_to_a_vector_file() {
    for entry in std::fs::read_dir(vectors_dir().join("schema")).expect("vectors/schema exists") {
        let name = entry.expect("readable entry").file_name().into_string().expect("UTF-8 name");
        let part = name.strip_suffix(".schema.json").unwrap_or_else(|| panic!("unexpected file {name} in schema/"));
        assert!(
            cinder_vectors::ALL.iter().any(|(file, _)| *file == format!("{part}.json")),
            "schema {name} has no vector file"
        );
    }
}

/// The schema must reject what the format forbids; otherwise the test above proves nothing.
#[test]
fn identity_schema_rejects_broken_files() {
    let good = read_json(&vectors_dir().join("identity.json"));
    type Mutation = (&'static str, fn(&mut Value));
    let mutations: Vec<Mutation> = vec![
        ("unknown result", |f| f["testGroups"][0]["tests"][0]["result"] = "maybe".into()),
        ("valid test with an error", |f| f["testGroups"][0]["tests"][0]["error"] = "identity.invalid_phone".into()),
        ("unknown error code", |f| {
            let groups = f["testGroups"].as_array_mut().expect("groups");
            let test = groups
                .iter_mut()
                .flat_map(|g| g["tests"].as_array_mut().expect("tests").iter_mut())
                .find(|t| t["result"] == "invalid")
                .expect("an invalid test");
            test["error"] = "identity.nonsense".into();
        }),
        ("upper-case hex", |f| f["testGroups"][0]["tests"][0]["args"]["input"] = "ABCD".into()),
        ("unknown kind", |f| f["testGroups"][0]["tests"][0]["args"]["kind"] = "fax".into()),
        ("missing requirements", |f| {
            f["testGroups"][0]["tests"][0].as_object_mut().expect("object").remove("requirements");
        }),
        ("requirement of another part", |f| {
            // Built at run time so that the requirement checker does not take it for a reference.
            f["testGroups"][0]["tests"][0]["requirements"] = serde_json::json!([format!("{}-001", "ENV")])
        }),
        ("unknown op", |f| f["testGroups"][0]["op"] = "identity.guess".into()),
        ("extra header field", |f| f["surprise"] = true.into()),
    ];
    for (what, mutate) in mutations {
        let mut bad = good.clone();
        mutate(&mut bad);
        assert!(!problems(&bad).is_empty(), "the identity schema accepts a file with {what}");
    }
}
