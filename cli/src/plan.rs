//! `ida plan FILE`: read and profile a file, plan a cleaning recipe for it and print the
//! recipe with its rationales and previewed impacts as text, or write it as JSON.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use ida_data::DataError;
use ida_data::dataset::read_path;
use ida_data::plan::{Plan, Preset, plan};
use ida_data::profile::{ProfileConfig, profile};
use ida_data::read::ReadOptions;
use ida_data::recipe::Recipe;

/// Arguments of `ida plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The file to plan for (any format `ida parse` reads).
    file: PathBuf,
    /// Which kind of cleaning to propose.
    #[arg(long, value_enum, default_value = "conservative")]
    preset: PresetArg,
    /// Write the recipe JSON (impacts included) to this path.
    #[arg(long)]
    out: Option<PathBuf>,
    /// What to print on stdout when no --out is given.
    #[arg(long, value_enum, default_value = "text")]
    format: PlanFormat,
}

/// The presets as command-line values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PresetArg {
    /// Fix what is plainly wrong; never drop columns or many rows.
    Conservative,
    /// Also outliers, scaling and encoding, for machine learning.
    Ml,
}

impl From<PresetArg> for Preset {
    fn from(value: PresetArg) -> Self {
        match value {
            PresetArg::Conservative => Preset::Conservative,
            PresetArg::Ml => Preset::Ml,
        }
    }
}

/// How the plan is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PlanFormat {
    /// The recipe with rationales and impacts, readable.
    Text,
    /// The recipe JSON.
    Json,
}

/// The recipe as pretty JSON with a final newline, as `recipe.json` holds it.
pub fn recipe_json(recipe: &Recipe) -> Result<String, DataError> {
    let mut text =
        serde_json::to_string_pretty(recipe).map_err(|error| DataError::RecipeParse {
            reason: error.to_string(),
        })?;
    text.push('\n');
    Ok(text)
}

/// Runs `ida plan`.
pub fn run(args: &PlanArgs) -> anyhow::Result<()> {
    let dataset = read_path(&args.file, &ReadOptions::default())?;
    // The default configuration reads no clock, so the recipe is the same on every run.
    let report = profile(
        &dataset.frame,
        &dataset.schema,
        None,
        &ProfileConfig::default(),
    )?;
    let planned = plan(&dataset.frame, &report, args.preset.into())?;
    let json = recipe_json(&planned.recipe)?;
    if let Some(path) = &args.out {
        std::fs::write(path, &json).map_err(|source| DataError::Io {
            path: path.clone(),
            source,
        })?;
        println!(
            "wrote {} ({} steps)",
            path.display(),
            planned.recipe.steps.len()
        );
        return Ok(());
    }
    let text = match args.format {
        PlanFormat::Json => json,
        PlanFormat::Text => describe(&planned),
    };
    let mut out = BufWriter::new(io::stdout().lock());
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// The plan as readable text: one paragraph per step, then the dataset-wide preview.
pub fn describe(planned: &Plan) -> String {
    let mut text = String::new();
    if let Some(description) = &planned.recipe.description {
        text.push_str(description);
        text.push_str("\n\n");
    }
    if planned.recipe.steps.is_empty() {
        text.push_str("No step proposed: the profile shows nothing this preset fixes.\n");
    }
    for (index, step) in planned.recipe.steps.iter().enumerate() {
        let review = if step.needs_review {
            "  [needs review]"
        } else {
            ""
        };
        let confidence = step
            .confidence
            .map_or_else(String::new, |c| format!("  confidence {c:.3}"));
        text.push_str(&format!(
            "{index:>2}. {}{confidence}{review}\n",
            step.op_name()
        ));
        text.push_str(&format!("    {}\n", step.rationale));
        if let Some(alert) = &step.answers_alert {
            text.push_str(&format!("    answers {alert}\n"));
        }
        if let Some(impact) = &step.impact {
            text.push_str(&format!(
                "    impact: rows {} -> {}, {} cells changed\n",
                impact.rows_before, impact.rows_after, impact.cells_affected
            ));
            for (column, shift) in &impact.numeric {
                text.push_str(&format!(
                    "    {column}: mean {} -> {}, std {} -> {}\n",
                    figure(shift.mean_before),
                    figure(shift.mean_after),
                    figure(shift.std_before),
                    figure(shift.std_after)
                ));
            }
        }
    }
    for withdrawn in &planned.withdrawn {
        text.push_str(&format!("withdrawn (the data refused it): {withdrawn}\n"));
    }
    let preview = &planned.preview;
    let nulls_before: u64 = preview.nulls_before.values().sum();
    let nulls_after: u64 = preview.nulls_after.values().sum();
    text.push_str(&format!(
        "\nrows {} -> {}, columns {} -> {}, null cells {} -> {}\n",
        preview.rows_before,
        preview.rows_after,
        preview.nulls_before.len(),
        preview.nulls_after.len(),
        nulls_before,
        nulls_after
    ));
    text
}

fn figure(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.4}"))
}
