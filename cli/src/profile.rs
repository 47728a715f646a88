//! `ida profile FILE`: read and type a file, profile it, and print the profile as a terminal
//! summary, as the `profile.json` contract, or as the self-contained HTML report.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::{Args, ValueEnum};
use ida_data::dataset::read_path;
use ida_data::profile::{ColumnProfile, ProfileConfig, ProfileReport, Severity, profile};
use ida_data::read::ReadOptions;
use ida_data::report::render_html;
use ida_data::schema::LogicalType;

/// Arguments of `ida profile`.
#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// The file to profile (any format `ida parse` reads).
    file: PathBuf,
    /// What to print: a terminal summary, the profile JSON, or the HTML report.
    #[arg(long, value_enum, default_value = "text")]
    format: OutputFormat,
    /// Write the output to this file instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
    /// A profile.json of the previous version, to report null spikes against it.
    #[arg(long)]
    previous: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
    Html,
}

/// Runs `ida profile`.
pub fn run(args: &ProfileArgs) -> anyhow::Result<()> {
    let previous = args.previous.as_deref().map(read_previous).transpose()?;
    let dataset = read_path(&args.file, &ReadOptions::default())?;
    let config = ProfileConfig {
        now_epoch_ms: now_epoch_ms(),
        ..ProfileConfig::default()
    };
    let report = profile(&dataset.frame, &dataset.schema, previous.as_ref(), &config)?;

    let rendered = match args.format {
        OutputFormat::Json => {
            let mut json = serde_json::to_string_pretty(&report)?;
            json.push('\n');
            json
        }
        OutputFormat::Html => render_html(&report, &dataset.schema),
        OutputFormat::Text => summary(&args.file, &report),
    };
    match &args.out {
        Some(path) => std::fs::write(path, rendered)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            let mut out = BufWriter::new(io::stdout().lock());
            out.write_all(rendered.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(())
}

fn read_previous(path: &Path) -> anyhow::Result<ProfileReport> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the previous profile {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a profile.json", path.display()))
}

fn now_epoch_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A readable terminal summary: the dataset, its alerts, then one line per column.
fn summary(file: &Path, report: &ProfileReport) -> String {
    let mut text = format!(
        "{}: {} rows x {} columns, {} duplicate rows\n",
        file.display(),
        report.row_count,
        report.column_count,
        report.duplicate_row_count
    );
    text.push_str(&format!("\nAlerts ({})\n", report.alerts.len()));
    for alert in &report.alerts {
        let severity = match alert.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        };
        text.push_str(&format!(
            "  {severity:<7} {:<18} {}\n",
            alert.code, alert.message
        ));
    }
    text.push_str("\nColumns\n");
    let width = report
        .columns
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(32);
    for column in &report.columns {
        text.push_str(&format!(
            "  {:<width$}  {:<11} nulls {:>6}  distinct {:>8}  {}\n",
            column.name,
            type_name(column.logical_type),
            format!("{:.1}%", column.null_ratio * 100.0),
            column.distinct_count,
            highlights(column)
        ));
    }
    text
}

fn type_name(logical: LogicalType) -> &'static str {
    match logical {
        LogicalType::Boolean => "boolean",
        LogicalType::Integer => "integer",
        LogicalType::Float => "float",
        LogicalType::Date => "date",
        LogicalType::Datetime => "datetime",
        LogicalType::DatetimeTz => "datetime_tz",
        LogicalType::String => "string",
    }
}

/// The few statistics that describe a column at a glance.
fn highlights(column: &ColumnProfile) -> String {
    if let Some(n) = &column.numeric {
        let std = n.std.map_or_else(|| "-".to_owned(), |s| format!("{s:.4}"));
        return format!(
            "mean {:.4}  std {std}  min {}  median {}  max {}",
            n.mean, n.min, n.p50, n.max
        );
    }
    if let Some(c) = &column.categorical {
        let top: Vec<String> = c
            .top
            .iter()
            .take(3)
            .map(|v| format!("{:?} {}", v.value, v.count))
            .collect();
        return format!("top {}", top.join(", "));
    }
    if let Some(t) = &column.temporal {
        return format!("{} .. {}", t.min, t.max);
    }
    "no values".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../examples")
            .join(name)
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ida-profile-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    fn run_to_file(format: OutputFormat, out: &Path, previous: Option<PathBuf>) {
        run(&ProfileArgs {
            file: example("seattle-weather.csv"),
            format,
            out: Some(out.to_path_buf()),
            previous,
        })
        .unwrap();
    }

    #[test]
    fn json_output_is_the_profile_contract() {
        let out = scratch("weather.json");
        run_to_file(OutputFormat::Json, &out, None);
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        assert_eq!(json["profile_version"], 1);
        assert_eq!(json["row_count"], 1461);
        assert_eq!(json["column_count"], 6);
        let names: Vec<&str> = json["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "date",
                "precipitation",
                "temp_max",
                "temp_min",
                "wind",
                "weather"
            ]
        );
        assert_eq!(json["columns"][0]["logical_type"], "date");
        assert_eq!(json["columns"][0]["temporal"]["min"], "2012-01-01");
    }

    #[test]
    fn a_previous_profile_is_read_back_and_html_has_a_card_per_column() {
        let previous = scratch("previous.json");
        run_to_file(OutputFormat::Json, &previous, None);
        let html = scratch("weather.html");
        run_to_file(OutputFormat::Html, &html, Some(previous));
        let page = std::fs::read_to_string(&html).unwrap();
        assert_eq!(
            page.matches("<article class=\"card\" data-column=").count(),
            6
        );
    }

    #[test]
    fn the_text_summary_names_every_column() {
        let out = scratch("weather.txt");
        run_to_file(OutputFormat::Text, &out, None);
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.contains("1461 rows x 6 columns"));
        for name in ["precipitation", "temp_max", "temp_min", "wind", "weather"] {
            assert!(text.contains(name), "{name} missing from:\n{text}");
        }
    }

    #[test]
    fn a_previous_file_that_is_not_a_profile_is_refused() {
        let bad = scratch("not-a-profile.json");
        std::fs::write(&bad, "{\"rows\": 3}").unwrap();
        let error = run(&ProfileArgs {
            file: example("seattle-weather.csv"),
            format: OutputFormat::Text,
            out: Some(scratch("unused.txt")),
            previous: Some(bad),
        })
        .unwrap_err();
        assert!(error.to_string().contains("is not a profile.json"));
    }
}
