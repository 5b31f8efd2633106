//! The `mailport` binary: everything lives in the library; see `cli`.
use std::process::ExitCode;

fn main() -> ExitCode {
    match mailport::cli::run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mailport: {e:#}");
            ExitCode::from(mailport::cli::EXIT_SETUP)
        }
    }
}
