//! `cinder-models check --depth N [--model expiry|retention|session] [--threads T]`: runs the
//! models exhaustively to `N` actions, with progress, and prints states explored and states/s.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match cinder_models::cli::main(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("cinder-models: {message}");
            ExitCode::from(2)
        }
    }
}
