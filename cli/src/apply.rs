//! `ida apply FILE RECIPE`: validate a recipe against a dataset, apply it, and write the next
//! version as deterministic Parquet, with the applied recipe (impacts filled) and the diff.
//!
//! A Parquet FILE is taken as version N's `data.parquet` byte for byte, exactly as the
//! pipeline's Transform stage does; any other format is read and typed first.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use ida_data::dataset::read_path;
use ida_data::read::ReadOptions;
use ida_data::recipe::Recipe;
use ida_data::transform::version::sha256_hex;
use ida_data::transform::{
    Applied, ENGINE_VERSION, Provenance, apply, apply_parquet_bytes, check, write_version,
};
use ida_data::{DataError, transform};

/// Arguments of `ida apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The dataset: version N's data.parquet, or any file `ida parse` reads.
    file: PathBuf,
    /// The recipe JSON (`recipe_version: 1`).
    recipe: PathBuf,
    /// Where to write version N+1 (default: FILE's name with `.applied.parquet`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write the diff against the input (JSON, `diff_version: 1`) to this path.
    #[arg(long)]
    diff_out: Option<PathBuf>,
    /// Write the recipe with every step's measured impact to this path.
    #[arg(long)]
    recipe_out: Option<PathBuf>,
    /// Only validate the recipe against the dataset's columns; write nothing.
    #[arg(long)]
    check: bool,
}

fn default_out(file: &Path) -> PathBuf {
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("data");
    file.with_file_name(format!("{stem}.applied.parquet"))
}

fn is_parquet(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

fn read_file(path: &Path) -> Result<Vec<u8>, DataError> {
    std::fs::read(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Runs `ida apply`.
pub fn run(args: &ApplyArgs) -> anyhow::Result<()> {
    let recipe_text = std::fs::read_to_string(&args.recipe).map_err(|source| DataError::Io {
        path: args.recipe.clone(),
        source,
    })?;
    let recipe = Recipe::from_json(&recipe_text)?;
    let input = read_file(&args.file)?;
    if args.check {
        let frame = if is_parquet(&args.file) {
            transform::version::read_parquet_bytes(&input)?
        } else {
            read_path(&args.file, &ReadOptions::default())?.frame
        };
        check(&frame, &recipe)?;
        println!(
            "recipe is valid for {} ({} steps)",
            args.file.display(),
            recipe.steps.len()
        );
        return Ok(());
    }
    let (bytes, applied) = if is_parquet(&args.file) {
        apply_parquet_bytes(&input, &recipe)?
    } else {
        let frame = read_path(&args.file, &ReadOptions::default())?.frame;
        let mut applied = apply(&frame, &recipe)?;
        let provenance = Provenance {
            input_sha256: sha256_hex(&input),
            recipe_sha256: recipe.hash()?,
            engine_version: ENGINE_VERSION.to_owned(),
        };
        let mut bytes = Vec::new();
        write_version(&mut applied.frame, &provenance, &mut bytes)?;
        (bytes, applied)
    };
    let out = args.out.clone().unwrap_or_else(|| default_out(&args.file));
    std::fs::write(&out, &bytes).map_err(|source| DataError::Io {
        path: out.clone(),
        source,
    })?;
    if let Some(path) = &args.diff_out {
        let json = serde_json::to_string_pretty(&applied.diff).context("serialising the diff")?;
        std::fs::write(path, json + "\n").map_err(|source| DataError::Io {
            path: path.clone(),
            source,
        })?;
    }
    if let Some(path) = &args.recipe_out {
        let json =
            serde_json::to_string_pretty(&applied.recipe).context("serialising the recipe")?;
        std::fs::write(path, json + "\n").map_err(|source| DataError::Io {
            path: path.clone(),
            source,
        })?;
    }
    print_summary(&applied, &out, &sha256_hex(&input), &recipe.hash()?);
    Ok(())
}

fn print_summary(applied: &Applied, out: &Path, input_sha256: &str, recipe_sha256: &str) {
    println!("step  op                      rows before  rows after  cells affected");
    for (index, step) in applied.recipe.steps.iter().enumerate() {
        if let Some(impact) = &step.impact {
            println!(
                "{index:>4}  {:<22}  {:>11}  {:>10}  {:>14}",
                step.op_name(),
                impact.rows_before,
                impact.rows_after,
                impact.cells_affected
            );
        }
    }
    println!(
        "wrote {} ({} rows x {} columns)",
        out.display(),
        applied.frame.height(),
        applied.frame.width()
    );
    println!("input sha256  {input_sha256}");
    println!("recipe sha256 {recipe_sha256}");
}
