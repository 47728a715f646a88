//! The `ida` command: the data engine on local files. `main` only turns the result of `run()`
//! into an exit code: 0 on success, 2 when the input is at fault (one `error[code]: message`
//! line on stderr), 1 when the machine or the engine is. Each subcommand is its own module.

mod apply;
mod diff;
mod parse;

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
    /// Apply a cleaning recipe to a dataset and write the next version as Parquet.
    Apply(apply::ApplyArgs),
    /// Show the differences between two datasets.
    Diff(diff::DiffArgs),
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Parse(args) => parse::run(&args),
        Command::Apply(args) => apply::run(&args),
        Command::Diff(args) => diff::run(&args),
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
