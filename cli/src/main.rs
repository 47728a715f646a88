//! The `ida` command: the data engine on local files, and `ida serve`, the local host of the
//! whole stack. `main` only turns the result of `run()` into an exit code: 0 on success, 2 when
//! the input is at fault (one `error[code]: message` line on stderr), 1 when the machine or the
//! engine is. Each subcommand is its own module.

mod apply;
mod bench;
mod diff;
mod keys;
mod parse;
mod plan;
mod profile;
mod run;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ida_data::DataError;

/// IDA's data engine on local files.
#[derive(Debug, Parser)]
#[command(name = "ida", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Read a file (CSV, TSV, XLSX, XLS, ODS, JSON, NDJSON, Parquet), infer its schema, print it.
    Parse(parse::ParseArgs),
    /// Profile a file: exact statistics, correlations and alerts as text, JSON or an HTML report.
    Profile(profile::ProfileArgs),
    /// Time each engine stage and the peer engines on a generated CSV.
    Bench(bench::BenchArgs),
    /// Run one bench stage and print its time and peak memory (used by `ida bench`).
    #[command(hide = true)]
    BenchStage(bench::StageArgs),
    /// Apply a cleaning recipe to a dataset and write the next version as Parquet.
    Apply(apply::ApplyArgs),
    /// Show the differences between two datasets.
    Diff(diff::DiffArgs),
    /// Plan a cleaning recipe for a file from its profile, with rationales and a preview.
    Plan(plan::PlanArgs),
    /// Parse, profile, plan, apply and diff a file, writing versions 1 and 2 and an index page.
    Run(run::RunArgs),
    /// Serve the REST API on 127.0.0.1 over a stack provisioned on the local emulators.
    Serve(serve::ServeArgs),
    /// Make (or find) the token signing key ring file and print its path.
    SigningKeys(keys::SigningKeysArgs),
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Parse(args) => parse::run(&args),
        Command::Profile(args) => profile::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::BenchStage(args) => bench::run_stage(&args),
        Command::Apply(args) => apply::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Plan(args) => plan::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::SigningKeys(args) => keys::run(&args),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => match error.downcast_ref::<DataError>() {
            Some(data) if data.is_invalid_input() || matches!(data, DataError::Io { .. }) => {
                eprintln!("error[{}]: {data}", data.code());
                ExitCode::from(2)
            }
            Some(data) => {
                eprintln!("error[{}]: {data}", data.code());
                ExitCode::FAILURE
            }
            None => {
                eprintln!("error: {error:#}");
                ExitCode::FAILURE
            }
        },
    }
}
