//! `ida run FILE --out DIR`: the embedded main job. Parse, profile, plan (or take the given
//! recipe), apply, profile the result and diff, writing `DIR/v1/` and `DIR/v2/` in the layout
//! of the artifact store and a self-contained `DIR/index.html` that links them.
//!
//! Every file written depends only on the input bytes and the recipe: no clock, no path of
//! this machine, no thread count. Times appear only in the terminal summary. Version 2 is
//! applied to version 1's `data.parquet` exactly as `ida apply` and the pipeline do.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use ida_data::DataError;
use ida_data::dataset::{read_path, schema_json, write_parquet};
use ida_data::describe_typed;
use ida_data::diff::DiffReport;
use ida_data::plan::{Preset, plan};
use ida_data::profile::{ProfileConfig, ProfileReport, profile};
use ida_data::read::ReadOptions;
use ida_data::recipe::Recipe;
use ida_data::report::{escape_html, render_html};
use ida_data::schema::DatasetSchema;
use ida_data::transform::version::{read_parquet_bytes, sha256_hex};
use ida_data::transform::{ENGINE_VERSION, Provenance, apply, write_version};
use indicatif::{ProgressBar, ProgressStyle};
use polars::prelude::DataFrame;

use crate::plan::{PresetArg, recipe_json};

/// Arguments of `ida run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The file to clean (any format `ida parse` reads).
    file: PathBuf,
    /// The folder to write `v1/`, `v2/` and `index.html` into (created when missing).
    #[arg(long)]
    out: PathBuf,
    /// Which kind of cleaning the planner proposes (ignored with --recipe).
    #[arg(long, value_enum, default_value = "conservative")]
    preset: PresetArg,
    /// Apply this recipe instead of planning one.
    #[arg(long)]
    recipe: Option<PathBuf>,
}

/// One version's descriptions, as written; the frame itself is not kept, so that at most two
/// copies of the data are in memory at any time.
struct Version {
    rows: usize,
    columns: usize,
    schema: DatasetSchema,
    profile: ProfileReport,
}

impl Version {
    fn describe(frame: &DataFrame, schema: DatasetSchema, profile: ProfileReport) -> Self {
        Version {
            rows: frame.height(),
            columns: frame.width(),
            schema,
            profile,
        }
    }
}

/// The stage timer and progress display: a spinner per stage on a terminal, nothing otherwise.
struct Stages {
    terminal: bool,
    times: Vec<(&'static str, Duration)>,
}

impl Stages {
    fn new() -> Self {
        Stages {
            terminal: std::io::stderr().is_terminal(),
            times: Vec::new(),
        }
    }

    fn run<T>(
        &mut self,
        name: &'static str,
        work: impl FnOnce() -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let bar = if self.terminal {
            let bar = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
                bar.set_style(style);
            }
            bar.set_message(name);
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        } else {
            ProgressBar::hidden()
        };
        let started = Instant::now();
        let result = work();
        bar.finish_and_clear();
        self.times.push((name, started.elapsed()));
        result
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), DataError> {
    std::fs::write(path, bytes).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn create_dir(path: &Path) -> Result<(), DataError> {
    std::fs::create_dir_all(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn pretty_json<T: serde::Serialize>(value: &T, what: &str) -> anyhow::Result<String> {
    let mut text =
        serde_json::to_string_pretty(value).with_context(|| format!("serialising {what}"))?;
    text.push('\n');
    Ok(text)
}

/// Writes `data.parquet`'s siblings: `schema.json`, `profile.json`, `report.html`.
fn write_descriptions(dir: &Path, version: &Version) -> anyhow::Result<()> {
    write(
        &dir.join("schema.json"),
        schema_json(&version.schema)?.as_bytes(),
    )?;
    write(
        &dir.join("profile.json"),
        pretty_json(&version.profile, "the profile")?.as_bytes(),
    )?;
    write(
        &dir.join("report.html"),
        render_html(&version.profile, &version.schema).as_bytes(),
    )?;
    Ok(())
}

/// The profile configuration of both versions: the default one, which reads no clock, so the
/// files are the same on every run (the future-date check is off; see docs/run.md).
fn profile_config() -> ProfileConfig {
    ProfileConfig::default()
}

/// Runs `ida run`.
pub fn run(args: &RunArgs) -> anyhow::Result<()> {
    let given_recipe = args
        .recipe
        .as_deref()
        .map(|path| {
            let text = std::fs::read_to_string(path).map_err(|source| DataError::Io {
                path: path.to_path_buf(),
                source,
            })?;
            Recipe::from_json(&text)
        })
        .transpose()?;
    let v1_dir = args.out.join("v1");
    let v2_dir = args.out.join("v2");
    create_dir(&v1_dir)?;
    create_dir(&v2_dir)?;
    let mut stages = Stages::new();

    let dataset = stages.run("parse", || {
        Ok(read_path(&args.file, &ReadOptions::default())?)
    })?;
    let v1_bytes = stages.run("write v1", || {
        let mut bytes = Vec::new();
        write_parquet(&dataset.frame, &mut bytes)?;
        write(&v1_dir.join("data.parquet"), &bytes)?;
        Ok(bytes)
    })?;
    let v1 = stages.run("profile v1", || {
        // Moved in, so the parsed frame is freed once profiled (v2 is made from the stored v1).
        let frame = dataset.frame;
        let report = profile(&frame, &dataset.schema, None, &profile_config())?;
        let version = Version::describe(&frame, dataset.schema, report);
        write_descriptions(&v1_dir, &version)?;
        Ok(version)
    })?;

    // Version 2 is made from version 1's data.parquet as stored, as `ida apply` and the
    // pipeline's Transform stage make it, so the three give the same bytes.
    let (recipe, applied, withdrawn) = stages.run("plan and apply", || {
        let stored = read_parquet_bytes(&v1_bytes)?;
        match &given_recipe {
            Some(recipe) => {
                let applied = apply(&stored, recipe)?;
                Ok((applied.recipe.clone(), applied, Vec::new()))
            }
            None => {
                let planned = plan(&stored, &v1.profile, Preset::from(args.preset))?;
                Ok((planned.recipe, planned.applied, planned.withdrawn))
            }
        }
    })?;
    let diff = applied.diff;
    let v2 = stages.run("write v2", || {
        let mut frame = applied.frame;
        let provenance = Provenance {
            input_sha256: sha256_hex(&v1_bytes),
            recipe_sha256: recipe.hash()?,
            engine_version: ENGINE_VERSION.to_owned(),
        };
        let mut bytes = Vec::new();
        write_version(&mut frame, &provenance, &mut bytes)?;
        write(&v2_dir.join("data.parquet"), &bytes)?;
        write(
            &v2_dir.join("recipe.json"),
            recipe_json(&recipe)?.as_bytes(),
        )?;
        write(
            &v2_dir.join("diff.json"),
            pretty_json(&diff, "the diff")?.as_bytes(),
        )?;
        Ok(frame)
    })?;
    let v2 = stages.run("profile v2", || {
        let frame = v2;
        let schema = describe_typed(&frame);
        let report = profile(&frame, &schema, Some(&v1.profile), &profile_config())?;
        let version = Version::describe(&frame, schema, report);
        write_descriptions(&v2_dir, &version)?;
        Ok(version)
    })?;
    let index = args.out.join("index.html");
    stages.run("index", || {
        write(
            &index,
            index_page(&args.file, &v1, &v2, &recipe, &diff).as_bytes(),
        )?;
        Ok(())
    })?;
    print!(
        "{}",
        summary(
            &args.file,
            &args.out,
            &v1,
            &v2,
            &recipe,
            &withdrawn,
            &stages.times
        )
    );
    Ok(())
}

fn summary(
    file: &Path,
    out: &Path,
    v1: &Version,
    v2: &Version,
    recipe: &Recipe,
    withdrawn: &[String],
    times: &[(&'static str, Duration)],
) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "{}", file.display());
    let _ = writeln!(
        text,
        "  v1  {:>9} rows x {:>3} columns  {:>3} alerts",
        v1.rows,
        v1.columns,
        v1.profile.alerts.len()
    );
    let _ = writeln!(
        text,
        "  v2  {:>9} rows x {:>3} columns  {:>3} alerts",
        v2.rows,
        v2.columns,
        v2.profile.alerts.len()
    );
    let review = recipe.steps.iter().filter(|s| s.needs_review).count();
    let _ = writeln!(
        text,
        "  steps applied: {} ({} marked for review)",
        recipe.steps.len(),
        review
    );
    for (index, step) in recipe.steps.iter().enumerate() {
        let flag = if step.needs_review { " [review]" } else { "" };
        let rows = step.impact.as_ref().map_or_else(String::new, |i| {
            format!(
                "  rows {} -> {}, cells {}",
                i.rows_before, i.rows_after, i.cells_affected
            )
        });
        let _ = writeln!(text, "    {index:>2}. {}{rows}{flag}", step.op_name());
    }
    for item in withdrawn {
        let _ = writeln!(text, "  withdrawn: {item}");
    }
    let _ = writeln!(text, "  wrote {}", out.join("v1").display());
    let _ = writeln!(text, "  wrote {}", out.join("v2").display());
    let _ = writeln!(text, "  wrote {}", out.join("index.html").display());
    let total: Duration = times.iter().map(|(_, d)| *d).sum();
    let parts: Vec<String> = times
        .iter()
        .map(|(name, d)| format!("{name} {:.2}s", d.as_secs_f64()))
        .collect();
    let _ = writeln!(
        text,
        "  time {:.2}s: {}",
        total.as_secs_f64(),
        parts.join(", ")
    );
    text
}

fn figure(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{v:.4}"))
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#222}\
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}\
th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}.review{color:#a40;font-weight:600}\
code{background:#f4f4f4;padding:0 .2rem}nav a{margin-right:1rem}";

/// The index page: links to both versions, the recipe with rationales and impacts, the diff.
fn index_page(
    file: &Path,
    v1: &Version,
    v2: &Version,
    recipe: &Recipe,
    diff: &DiffReport,
) -> String {
    // Only the file name: the page must not depend on where the input was on this machine.
    let name = file
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let mut page = String::new();
    let _ = write!(
        page,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ida run: {}</title><style>{STYLE}</style></head><body>\n",
        escape_html(&name)
    );
    let _ = writeln!(page, "<h1>{}</h1>", escape_html(&name));
    let _ = writeln!(
        page,
        "<p>{}</p>",
        escape_html(recipe.description.as_deref().unwrap_or(""))
    );
    page.push_str("<h2>Versions</h2>\n<table><tr><th>version</th><th>rows</th><th>columns</th><th>alerts</th><th>files</th></tr>\n");
    for (label, version, extra) in [
        ("v1", v1, &[][..]),
        ("v2", v2, &["recipe.json", "diff.json"][..]),
    ] {
        let mut links = String::new();
        for file in ["data.parquet", "schema.json", "profile.json", "report.html"]
            .iter()
            .chain(extra)
        {
            let _ = write!(links, "<a href=\"{label}/{file}\">{file}</a> ");
        }
        let _ = writeln!(
            page,
            "<tr><td>{label}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{links}</td></tr>",
            version.rows,
            version.columns,
            version.profile.alerts.len()
        );
    }
    page.push_str("</table>\n<h2>Recipe</h2>\n<table><tr><th>#</th><th>operation</th><th>rationale</th><th>confidence</th><th>answers</th><th>rows before → after</th><th>cells changed</th><th>mean / std change</th></tr>\n");
    for (index, step) in recipe.steps.iter().enumerate() {
        let review = if step.needs_review {
            "<br><span class=\"review\">needs review</span>"
        } else {
            ""
        };
        let confidence = step
            .confidence
            .map_or_else(String::new, |c| format!("{c:.3}"));
        let answers = step
            .answers_alert
            .as_deref()
            .map(escape_html)
            .unwrap_or_default();
        let (rows, cells, shifts) = step.impact.as_ref().map_or_else(
            || (String::new(), String::new(), String::new()),
            |impact| {
                let shifts: Vec<String> = impact
                    .numeric
                    .iter()
                    .map(|(column, shift)| {
                        format!(
                            "<code>{}</code>: mean {} → {}, std {} → {}",
                            escape_html(column),
                            figure(shift.mean_before),
                            figure(shift.mean_after),
                            figure(shift.std_before),
                            figure(shift.std_after)
                        )
                    })
                    .collect();
                (
                    format!("{} → {}", impact.rows_before, impact.rows_after),
                    impact.cells_affected.to_string(),
                    shifts.join("<br>"),
                )
            },
        );
        let _ = writeln!(
            page,
            "<tr><td class=\"n\">{index}</td><td><code>{}</code>{review}</td><td>{}</td><td class=\"n\">{confidence}</td><td>{answers}</td><td class=\"n\">{rows}</td><td class=\"n\">{cells}</td><td>{shifts}</td></tr>",
            step.op_name(),
            escape_html(&step.rationale)
        );
    }
    page.push_str("</table>\n<h2>Diff v1 → v2</h2>\n");
    let _ = writeln!(
        page,
        "<p>Rows {} → {} ({} removed). Columns added: {}. Columns removed: {}. Columns retyped: {}.</p>",
        diff.rows_before,
        diff.rows_after,
        diff.rows_removed,
        list(diff.schema.added.iter().map(|c| c.name.as_str())),
        list(diff.schema.removed.iter().map(|c| c.name.as_str())),
        list(diff.schema.retyped.iter().map(|c| c.column.as_str()))
    );
    page.push_str("<table><tr><th>column</th><th>changed</th><th>nulled</th><th>filled</th><th>nulls before → after</th><th>mean before → after</th><th>std before → after</th></tr>\n");
    for column in &diff.columns {
        let (mean, std) = column.numeric.as_ref().map_or_else(
            || (String::new(), String::new()),
            |n| {
                (
                    format!("{} → {}", figure(n.mean_before), figure(n.mean_after)),
                    format!("{} → {}", figure(n.std_before), figure(n.std_after)),
                )
            },
        );
        let _ = writeln!(
            page,
            "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{} → {}</td><td class=\"n\">{mean}</td><td class=\"n\">{std}</td></tr>",
            escape_html(&column.column),
            column.changed,
            column.nulled,
            column.filled,
            column.null_count_before,
            column.null_count_after
        );
    }
    page.push_str("</table>\n<nav><a href=\"v1/report.html\">v1 report</a><a href=\"v2/report.html\">v2 report</a><a href=\"v2/diff.json\">diff.json</a></nav>\n</body></html>\n");
    page
}

fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<String> = names
        .map(|n| format!("<code>{}</code>", escape_html(n)))
        .collect();
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_escaped() {
        assert_eq!(
            escape_html("<b a=\"1\">&'"),
            "&lt;b a=&quot;1&quot;&gt;&amp;&#39;"
        );
    }
}
