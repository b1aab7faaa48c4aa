//! The `apiparity` command. Exit codes: 0 all match, 1 differences or failed expectations,
//! 2 usage/config/scenario/target errors.

mod cli;

use std::process::ExitCode;

use clap::Parser;

// Parsing and normalizing JSON allocates and frees millions of small values per run; glibc's
// allocator spent more instructions on that than the parsing did.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let parsed = match cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            // clap: 0 for --help/--version, 2 for usage errors.
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match cli::run(parsed) {
        Ok(code) => code,
        Err(e) => {
            e.report(cli::color_stderr());
            ExitCode::from(e.exit_code())
        }
    }
}
