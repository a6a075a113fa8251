//! `cinder-vectors`: writes the vector files, or with `--check` proves the committed ones are
//! exactly what the generator produces.

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: cinder-vectors [--check] [--dir DIR]

Regenerates every vector file (identity.json, ...) into DIR (default: the vectors/ directory of
this checkout) and says which files changed.
  --check    regenerate in memory and fail if any committed file differs by one byte
  --dir DIR  read and write vector files in DIR instead
  --help     print this text

Exit status: 0 success; 1 a committed file differs (--check) or generation failed; 64 usage error.";

fn main() -> ExitCode {
    let mut check = false;
    let mut dir = cinder_vectors::default_dir();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--dir" => match args.next() {
                Some(d) => dir = PathBuf::from(d),
                None => return usage("--dir needs a directory"),
            },
            "--help" | "-h" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => return usage(&format!("unknown argument {other:?}")),
        }
    }
    let files = match cinder_vectors::all() {
        Ok(files) => files,
        Err(e) => {
            eprintln!("cinder-vectors: generation failed: {e}");
            return ExitCode::from(1);
        }
    };
    let mut differing = 0;
    for (name, text) in files {
        let path = dir.join(name);
        let committed = std::fs::read(&path).ok();
        let same = committed.as_deref() == Some(text.as_bytes());
        if check {
            if same {
                println!("{name}: matches the generator ({} bytes)", text.len());
            } else {
                differing += 1;
                match committed {
                    None => eprintln!("{name}: missing at {}", path.display()),
                    Some(old) => eprintln!(
                        "{name}: differs from the generator at byte {}",
                        first_difference(&old, text.as_bytes())
                    ),
                }
            }
        } else if same {
            println!("{name}: unchanged");
        } else {
            if let Err(e) = std::fs::write(&path, &text) {
                eprintln!("cinder-vectors: cannot write {}: {e}", path.display());
                return ExitCode::from(1);
            }
            println!(
                "{name}: written ({} bytes, {})",
                text.len(),
                if committed.is_some() { "replaced" } else { "new" }
            );
        }
    }
    if differing > 0 {
        eprintln!(
            "cinder-vectors --check: {differing} file(s) differ; run `cargo run -p cinder-vectors` and commit the result"
        );
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

fn first_difference(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()))
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("cinder-vectors: {problem}\n\n{USAGE}");
    ExitCode::from(64)
}
