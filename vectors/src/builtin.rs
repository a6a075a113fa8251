//! The committed vector files, built into the crate (feature `builtin`), so that a program that
//! depends on `cinder-vectors` — `cinder-conformance` above all — carries the vectors with it and
//! needs no checkout, no download and no path at run time.
//!
//! The texts are the files of this crate's directory at build time, byte for byte
//! (`include_str!`); `cargo run -p cinder-vectors -- --check` keeps those equal to what the
//! generator produces, so the built-in copy is the published one.

/// Every vector file as `(name without .json, its text)`, in file-name order (the order the
/// runner loads a directory in).
pub const FILES: [(&str, &str); 5] = [
    ("envelope", include_str!("../envelope.json")),
    ("expiry", include_str!("../expiry.json")),
    ("identity", include_str!("../identity.json")),
    ("retention", include_str!("../retention.json")),
    ("session", include_str!("../session.json")),
];

#[cfg(test)]
mod tests {
    use super::FILES;

    #[test]
    fn builds_in_every_file_the_generator_writes() {
        let mut built_in: Vec<String> = FILES.iter().map(|(name, _)| format!("{name}.json")).collect();
        let mut generated: Vec<String> = crate::ALL.iter().map(|(name, _)| (*name).to_owned()).collect();
        built_in.sort_unstable();
        generated.sort_unstable();
        assert_eq!(built_in, generated);
        assert!(FILES.windows(2).all(|pair| pair[0].0 < pair[1].0), "FILES is in file-name order");
    }

    #[test]
    fn every_built_in_file_parses() {
        for (name, text) in FILES {
            let file = crate::format::VectorFile::parse(text).unwrap_or_else(|e| panic!("{name}.json: {e}"));
            assert!(file.number_of_tests > 0, "{name}.json holds no test");
        }
    }
}
