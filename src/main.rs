//! The `apiparity` command. Exit codes: 0 all match, 1 differences or failed expectations,
//! 2 usage/config/scenario/target errors.

mod cli;

use std::process::ExitCode;

use clap::Parser;

// Parsing and normalizing JSON allocates and frees millions of small values per run; glibc's
// allocator spent more instructions on that than the parsing did.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

// On Linux mimalloc commits its arenas eagerly: a default run's peak RSS was 102 MB against
// glibc's 31 MB (39 MB committed on demand, at the same speed). The option must be set before
// the first allocation, which comes before `main`: hence a function in the ELF init array.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static MIMALLOC_OPTIONS: extern "C" fn() = {
    extern "C" fn commit_on_demand() {
        // `mi_option_arena_eager_commit` is 4 in mimalloc v3's `mi_option_e` (the crate's named
        // constants follow v2's numbering).
        const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
        // SAFETY: sets one static option value; runs before any thread or allocation exists.
        unsafe { libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0) };
    }
    commit_on_demand
};

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
