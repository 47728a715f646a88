//! The engine stages `ida bench` times, one registry entry each. A later stage (profile, plan,
//! apply, run) is one more line in [`STAGES`] and one function.
//!
//! A stage function runs inside the `ida bench-stage` child process and times only its own
//! work: the inputs it needs are prepared before the clock starts.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use ida_data::dataset::{read_path, write_parquet_file};
use ida_data::profile::{ProfileConfig, profile};
use ida_data::read::{ReadOptions, ReadOutput, read_bytes};
use ida_data::recipe::Recipe;
use ida_data::transform::apply_parquet_bytes;
use ida_data::{InferOptions, infer};
use polars::prelude::DataFrame;

/// Where the typed Parquet version of `csv` lives in `out_dir`; the `profile` and `apply`
/// stages and their peers read it. Named after the CSV, so a run with other `--rows` or
/// `--seed` in the same folder never reads a stale file.
pub fn typed_parquet_path(csv: &Path, out_dir: &Path) -> PathBuf {
    let stem = csv
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    out_dir.join(format!("typed-{stem}.parquet"))
}

/// The committed ten-step recipe the `apply` stage runs (see docs/benchmarks.md).
const BENCH_RECIPE: &str = include_str!("recipe.json");

/// What a stage works on.
#[derive(Debug, Clone)]
pub struct StageInput {
    /// The generated CSV file.
    pub csv: PathBuf,
    /// A folder the stage may write into.
    pub out_dir: PathBuf,
}

/// One benchmarked stage.
#[derive(Debug, Clone, Copy)]
pub struct Stage {
    /// Name used on the command line and in reports.
    pub name: &'static str,
    /// What the stage's clock covers.
    pub covers: &'static str,
    /// Runs the stage and returns the time its own work took.
    pub run: fn(&StageInput) -> Result<Duration>,
}

/// Every stage, in the order they are run and reported.
pub const STAGES: &[Stage] = &[
    Stage {
        name: "read",
        covers: "CSV file -> all-text frame (ida reader)",
        run: read_stage,
    },
    Stage {
        name: "infer",
        covers: "all-text frame -> typed frame + schema (every value)",
        run: infer_stage,
    },
    Stage {
        name: "parse",
        covers: "CSV file -> typed Parquet, zstd (read + infer + write)",
        run: parse_stage,
    },
    Stage {
        name: "profile",
        covers: "typed Parquet -> full profile (statistics, 3 correlation families, alerts)",
        run: profile_stage,
    },
    Stage {
        name: "apply",
        covers: "typed Parquet -> 10-step recipe applied -> Parquet with diff",
        run: apply_stage,
    },
];

/// The stage named `name`.
pub fn find(name: &str) -> Option<&'static Stage> {
    STAGES.iter().find(|stage| stage.name == name)
}

/// Reads the CSV with the engine's reader into its all-text frame, as inference receives it.
fn read_text(csv: &Path) -> Result<DataFrame> {
    let bytes = std::fs::read(csv).with_context(|| format!("reading {}", csv.display()))?;
    match read_bytes(&bytes, &csv.display().to_string(), &ReadOptions::default())? {
        ReadOutput::Raw(raw) => Ok(raw.frame),
        ReadOutput::Typed { .. } => bail!("{} was not read as text", csv.display()),
    }
}

fn read_stage(input: &StageInput) -> Result<Duration> {
    let start = Instant::now();
    let frame = read_text(&input.csv)?;
    let elapsed = start.elapsed();
    drop(frame);
    Ok(elapsed)
}

fn infer_stage(input: &StageInput) -> Result<Duration> {
    let frame = read_text(&input.csv)?;
    let start = Instant::now();
    let typed = infer(frame, &InferOptions::default())?;
    let elapsed = start.elapsed();
    drop(typed);
    Ok(elapsed)
}

fn parse_stage(input: &StageInput) -> Result<Duration> {
    let start = Instant::now();
    let dataset = read_path(&input.csv, &ReadOptions::default())?;
    write_parquet_file(&dataset.frame, &input.out_dir.join("ida.parquet"))?;
    Ok(start.elapsed())
}

/// The typed Parquet version of the generated CSV, made once per folder before any clock starts.
fn typed_parquet(input: &StageInput) -> Result<PathBuf> {
    let path = typed_parquet_path(&input.csv, &input.out_dir);
    if !path.exists() {
        let dataset = read_path(&input.csv, &ReadOptions::default())?;
        write_parquet_file(&dataset.frame, &path)?;
    }
    Ok(path)
}

fn profile_stage(input: &StageInput) -> Result<Duration> {
    let parquet = typed_parquet(input)?;
    let start = Instant::now();
    let dataset = read_path(&parquet, &ReadOptions::default())?;
    let report = profile(
        &dataset.frame,
        &dataset.schema,
        None,
        &ProfileConfig::default(),
    )?;
    let elapsed = start.elapsed();
    drop(report);
    Ok(elapsed)
}

fn apply_stage(input: &StageInput) -> Result<Duration> {
    let parquet = typed_parquet(input)?;
    let recipe = Recipe::from_json(BENCH_RECIPE)?;
    let start = Instant::now();
    let bytes =
        std::fs::read(&parquet).with_context(|| format!("reading {}", parquet.display()))?;
    let (output, applied) = apply_parquet_bytes(&bytes, &recipe)?;
    let target = input.out_dir.join("applied.parquet");
    std::fs::write(&target, &output).with_context(|| format!("writing {}", target.display()))?;
    let elapsed = start.elapsed();
    drop(applied);
    Ok(elapsed)
}

#[cfg(test)]
mod tests {
    use ida_data::schema::{LogicalType, SemanticType};

    use super::*;
    use crate::bench::generate::write_csv;

    #[test]
    fn generated_columns_infer_to_their_intended_types() {
        let dir = std::env::temp_dir().join(format!("ida-bench-types-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let csv = dir.join("data.csv");
        write_csv(&csv, 3000, 1).unwrap();
        let (typed, schema) = infer(read_text(&csv).unwrap(), &InferOptions::default()).unwrap();
        let types: Vec<(&str, LogicalType)> = schema
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.logical_type))
            .collect();
        use LogicalType::*;
        let expected = [
            ("id", Integer),
            ("amount", Float),
            ("score", Float),
            ("quantity", Integer),
            ("age", Integer),
            ("country", String),
            ("city", String),
            ("customer", String),
            ("email", String),
            ("signup_date", Date),
            ("event_time", Datetime),
            ("updated_at", DatetimeTz),
            ("active", Boolean),
            ("verified", Boolean),
            ("comment", String),
            ("category", String),
            ("price", Float),
            ("rating", Integer),
            ("latitude", Float),
            ("birth_date", Date),
        ];
        assert_eq!(types, expected);
        assert_eq!(schema.columns[8].semantic_type, Some(SemanticType::Email));
        assert_eq!(
            schema.columns[19]
                .source_format
                .as_ref()
                .unwrap()
                .date_pattern
                .as_deref(),
            Some("%d/%m/%Y")
        );
        assert_eq!(typed.height(), 3000);
        assert!(schema.columns.iter().all(|c| c.invalid_count == 0));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_bench_recipe_fits_the_generated_columns_and_applies() {
        let dir = std::env::temp_dir().join(format!("ida-bench-recipe-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let csv = dir.join("data.csv");
        write_csv(&csv, 2000, 7).unwrap();
        let input = StageInput {
            csv,
            out_dir: dir.clone(),
        };
        apply_stage(&input).unwrap();
        let output = std::fs::read(dir.join("applied.parquet")).unwrap();
        let frame = ida_data::transform::version::read_parquet_bytes(&output).unwrap();
        let names: Vec<&str> = frame
            .get_column_names()
            .iter()
            .map(|n| n.as_str())
            .collect();
        assert!(names.contains(&"category_retail"));
        assert!(!names.contains(&"category"));
        assert!(frame.height() < 2000);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
