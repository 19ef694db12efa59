//! The `passforge` command. All behaviour lives in `passforge::cli`'s twin
//! module here; `main` only maps the outcome to an exit code.

mod cli;

use std::process::ExitCode;

use clap::Parser as _;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    cli::run(cli::Cli::parse())
}
