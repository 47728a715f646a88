//! The `ida` command: the data engine on local files and its benchmarks.

mod bench;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// IDA on local files.
#[derive(Debug, Parser)]
#[command(name = "ida", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Time each engine stage and the peer engines on a generated CSV.
    Bench(bench::BenchArgs),
    /// Run one bench stage and print its time and peak memory (used by `ida bench`).
    #[command(hide = true)]
    BenchStage(bench::StageArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Bench(args) => bench::run(args),
        Command::BenchStage(args) => bench::run_stage(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ida: {error:#}");
            ExitCode::FAILURE
        }
    }
}
