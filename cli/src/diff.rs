//! `ida diff A B`: the differences between two datasets (`diff_version: 1`), rows aligned by
//! key columns when given, else by position. Prints a text summary or the JSON document.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};
use ida_data::DataError;
use ida_data::dataset::read_path;
use ida_data::diff::{Alignment, DiffReport, diff_frames};
use ida_data::read::ReadOptions;
use ida_data::transform::version::read_parquet_bytes;
use polars::prelude::DataFrame;

/// Arguments of `ida diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier dataset.
    before: PathBuf,
    /// The later dataset.
    after: PathBuf,
    /// Key columns that identify a row on both sides, comma-separated.
    #[arg(long, value_delimiter = ',')]
    key: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: DiffFormat,
}

/// How the diff is printed.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DiffFormat {
    /// A readable summary.
    Text,
    /// The diff document as JSON.
    Json,
}

fn load(path: &Path) -> Result<DataFrame, DataError> {
    let is_parquet = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    if is_parquet {
        let bytes = std::fs::read(path).map_err(|source| DataError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        read_parquet_bytes(&bytes)
    } else {
        Ok(read_path(path, &ReadOptions::default())?.frame)
    }
}

/// Runs `ida diff`.
pub fn run(args: &DiffArgs) -> anyhow::Result<()> {
    let before = load(&args.before)?;
    let after = load(&args.after)?;
    let report = diff_frames(&before, &after, &args.key)?;
    match args.format {
        DiffFormat::Json => {
            println!(
                "{}",
                serde_json::to_string_pretty(&report).context("serialising the diff")?
            );
        }
        DiffFormat::Text => print!("{}", render_text(&report)),
    }
    Ok(())
}

fn render_text(report: &DiffReport) -> String {
    let mut out = String::new();
    let alignment = match &report.alignment {
        Alignment::Key { columns } => format!("key ({})", columns.join(", ")),
        Alignment::Position => "row position".to_owned(),
        Alignment::SourceRow => "source row".to_owned(),
    };
    out.push_str(&format!(
        "rows: {} -> {} (removed {}, added {}), aligned by {alignment}\n",
        report.rows_before, report.rows_after, report.rows_removed, report.rows_added
    ));
    for column in &report.schema.added {
        out.push_str(&format!("column added: {}\n", column.name));
    }
    for column in &report.schema.removed {
        out.push_str(&format!("column removed: {}\n", column.name));
    }
    for renamed in &report.schema.renamed {
        out.push_str(&format!(
            "column renamed: {} -> {}\n",
            renamed.from, renamed.to
        ));
    }
    for retyped in &report.schema.retyped {
        let name = |t: Option<ida_data::LogicalType>| {
            t.map_or("unknown".to_owned(), |t| format!("{t:?}").to_lowercase())
        };
        out.push_str(&format!(
            "column retyped: {} {} -> {}\n",
            retyped.column,
            name(retyped.from),
            name(retyped.to)
        ));
    }
    out.push_str("column                    changed     nulled     filled\n");
    for column in &report.columns {
        out.push_str(&format!(
            "{:<24}  {:>7}  {:>9}  {:>9}\n",
            column.column, column.changed, column.nulled, column.filled
        ));
    }
    out
}
