//! Alerts: the findings of a profile a person should look at, each with the measured value, the
//! threshold it crossed and a sentence that explains it.
//!
//! Rules only read the finished statistics (plus a few counts gathered during the same pass);
//! they must never recompute over the data, and every threshold comes from [`ProfileConfig`].

use serde::{Deserialize, Serialize};

use super::config::ProfileConfig;
use super::{AnalysedColumn, ColumnProfile, ProfileReport};
use crate::schema::{DatasetSchema, LogicalType, SemanticType};

/// How urgent an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The data is unusable as it is.
    Error,
    /// Probably a quality problem.
    Warning,
    /// Worth knowing when reading the data.
    Info,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Stable machine-readable code, such as `high_null_ratio`.
    pub code: String,
    /// How urgent it is.
    pub severity: Severity,
    /// The column concerned, or null for the whole dataset.
    pub column: Option<String>,
    /// What was measured.
    pub value: f64,
    /// The threshold the measure crossed.
    pub threshold: f64,
    /// A sentence a person understands.
    pub message: String,
}

/// Per-column facts gathered while profiling that alerts need but the contract does not publish.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Findings {
    /// Count of the most frequent non-null value.
    pub(crate) top_count: u64,
    /// Non-null string values with leading or trailing whitespace.
    pub(crate) whitespace_values: u64,
    /// Groups of distinct strings equal up to letter case.
    pub(crate) case_variants: Vec<Vec<String>>,
    /// Dates before the earliest plausible year.
    pub(crate) before_earliest: u64,
    /// Dates after the configured "now".
    pub(crate) after_now: u64,
}

/// Name parts that mark a column whose values cannot be negative.
const NON_NEGATIVE_NAMES: &[&str] = &[
    "age",
    "amount",
    "count",
    "qty",
    "quantity",
    "price",
    "cost",
    "total",
    "salary",
    "income",
    "revenue",
    "population",
    "weight",
    "height",
    "duration",
    "size",
    "length",
];

/// Name parts that mark a percentage.
const PERCENT_NAMES: &[&str] = &["percent", "percentage", "pct"];

/// Every alert of a finished profile, errors first, then warnings, then info, in column order.
pub(crate) fn alerts(
    report: &ProfileReport,
    analysed: &[AnalysedColumn],
    schema: &DatasetSchema,
    previous: Option<&ProfileReport>,
    config: &ProfileConfig,
) -> Vec<Alert> {
    let mut alerts = Vec::new();
    if report.duplicate_row_count > 0 {
        alerts.push(Alert {
            code: "duplicate_rows".into(),
            severity: Severity::Warning,
            column: None,
            value: report.duplicate_row_count as f64,
            threshold: 0.0,
            message: format!(
                "{} of {} rows repeat an earlier row exactly.",
                report.duplicate_row_count, report.row_count
            ),
        });
    }
    for column in analysed {
        let invalid = schema
            .columns
            .iter()
            .find(|c| c.name == column.profile.name)
            .map_or(0, |c| c.invalid_count);
        column_alerts(
            &mut alerts,
            column,
            report.row_count,
            invalid,
            previous,
            config,
        );
    }
    correlation_alerts(&mut alerts, report, config);
    alerts.sort_by_key(|alert| alert.severity);
    alerts
}

fn column_alerts(
    alerts: &mut Vec<Alert>,
    column: &AnalysedColumn,
    row_count: u64,
    invalid_count: u64,
    previous: Option<&ProfileReport>,
    config: &ProfileConfig,
) {
    let profile = &column.profile;
    let findings = &column.findings;
    let name = profile.name.as_str();
    let non_null = row_count - profile.null_count.min(row_count);
    let mut push = |code: &str, severity: Severity, value: f64, threshold: f64, message: String| {
        alerts.push(Alert {
            code: code.to_owned(),
            severity,
            column: Some(name.to_owned()),
            value,
            threshold,
            message,
        });
    };

    if row_count > 0 && non_null == 0 {
        push(
            "all_null",
            Severity::Error,
            1.0,
            1.0,
            format!("Column \"{name}\" has no value at all: every row is null."),
        );
    } else if profile.null_ratio >= config.high_null_ratio {
        push(
            "high_null_ratio",
            Severity::Warning,
            profile.null_ratio,
            config.high_null_ratio,
            format!(
                "Column \"{name}\" is null in {} of its rows.",
                percent(profile.null_ratio)
            ),
        );
    }
    if let Some(before) = previous.and_then(|p| p.columns.iter().find(|c| c.name == profile.name)) {
        let increase = profile.null_ratio - before.null_ratio;
        if increase >= config.null_spike_increase {
            push(
                "null_spike",
                Severity::Warning,
                increase,
                config.null_spike_increase,
                format!(
                    "Column \"{name}\" went from {} to {} nulls since the previous version.",
                    percent(before.null_ratio),
                    percent(profile.null_ratio)
                ),
            );
        }
    }

    if profile.distinct_count == 1 {
        push(
            "constant",
            Severity::Warning,
            1.0,
            1.0,
            format!("Column \"{name}\" holds a single value in every non-null row."),
        );
    } else if non_null > 0 && profile.distinct_count > 1 {
        let share = findings.top_count as f64 / non_null as f64;
        if share >= config.near_constant_ratio {
            push(
                "near_constant",
                Severity::Info,
                share,
                config.near_constant_ratio,
                format!(
                    "One value makes up {} of column \"{name}\".",
                    percent(share)
                ),
            );
        }
    }

    identifier_alerts(&mut push, profile, non_null, config);
    if let Some(numeric) = &profile.numeric {
        let n = non_null as f64;
        if let Some(skewness) = numeric.skewness.filter(|s| s.abs() >= config.skewness) {
            push(
                "skewed",
                Severity::Info,
                skewness,
                config.skewness,
                format!(
                    "Column \"{name}\" is strongly skewed (skewness {skewness:.2}); a median describes it better than a mean."
                ),
            );
        }
        let zeros = numeric.zeros as f64 / n;
        if numeric.zeros > 0 && zeros >= config.zeros_ratio {
            push(
                "many_zeros",
                Severity::Info,
                zeros,
                config.zeros_ratio,
                format!("{} of column \"{name}\" are zeros.", percent(zeros)),
            );
        }
        let outliers = numeric.outliers_iqr.count as f64 / n;
        if numeric.outliers_iqr.count > 0 && outliers >= config.outlier_ratio {
            push(
                "outliers",
                Severity::Info,
                outliers,
                config.outlier_ratio,
                format!(
                    "{} values of column \"{name}\" lie outside the fences [{}, {}].",
                    numeric.outliers_iqr.count,
                    short(numeric.outliers_iqr.lower_fence),
                    short(numeric.outliers_iqr.upper_fence)
                ),
            );
        }
        range_alerts(
            &mut push,
            profile,
            numeric.negatives,
            numeric.max,
            non_null,
            config,
        );
    }
    if findings.before_earliest > 0 {
        push(
            "invalid_range",
            Severity::Warning,
            findings.before_earliest as f64,
            f64::from(config.earliest_plausible_year),
            format!(
                "{} dates of column \"{name}\" are before {}.",
                findings.before_earliest, config.earliest_plausible_year
            ),
        );
    }
    if findings.after_now > 0 {
        push(
            "invalid_range",
            Severity::Warning,
            findings.after_now as f64,
            config.now_epoch_ms as f64,
            format!(
                "{} dates of column \"{name}\" are in the future.",
                findings.after_now
            ),
        );
    }
    if invalid_count > 0 {
        let temporal = matches!(
            profile.logical_type,
            LogicalType::Date | LogicalType::Datetime | LogicalType::DatetimeTz
        );
        let (code, message) = if temporal {
            (
                "date_parse_failures",
                format!(
                    "{invalid_count} values of column \"{name}\" could not be read as dates and became null."
                ),
            )
        } else {
            (
                "mixed_types",
                format!(
                    "{invalid_count} values of column \"{name}\" do not fit its type and became null."
                ),
            )
        };
        push(code, Severity::Warning, invalid_count as f64, 0.0, message);
    }
    if findings.whitespace_values > 0 {
        push(
            "whitespace",
            Severity::Info,
            findings.whitespace_values as f64,
            0.0,
            format!(
                "{} values of column \"{name}\" start or end with spaces.",
                findings.whitespace_values
            ),
        );
    }
    if let Some(example) = findings.case_variants.first() {
        push(
            "inconsistent_case",
            Severity::Warning,
            findings.case_variants.len() as f64,
            0.0,
            format!(
                "Column \"{name}\" spells {} categories in several letter cases, such as {}.",
                findings.case_variants.len(),
                example
                    .iter()
                    .map(|v| format!("\"{v}\""))
                    .collect::<Vec<_>>()
                    .join(" / ")
            ),
        );
    }
}

type Push<'a> = dyn FnMut(&str, Severity, f64, f64, String) + 'a;

fn identifier_alerts(
    push: &mut Push<'_>,
    profile: &ColumnProfile,
    non_null: u64,
    config: &ProfileConfig,
) {
    let name = profile.name.as_str();
    let textual_or_integer = matches!(
        profile.logical_type,
        LogicalType::String | LogicalType::Integer
    );
    if !textual_or_integer || non_null < 2 {
        return;
    }
    let ratio = profile.distinct_count as f64 / non_null as f64;
    if profile.distinct_count == non_null {
        push(
            "unique",
            Severity::Info,
            1.0,
            1.0,
            format!("Every value of column \"{name}\" is distinct: it looks like an identifier."),
        );
    } else if profile.logical_type == LogicalType::String
        && profile.distinct_count >= config.high_cardinality_min_distinct
        && ratio >= config.high_cardinality_ratio
    {
        push(
            "high_cardinality",
            Severity::Warning,
            ratio,
            config.high_cardinality_ratio,
            format!(
                "Column \"{name}\" has {} distinct values in {non_null} rows: too many to treat as categories.",
                profile.distinct_count
            ),
        );
    }
}

fn range_alerts(
    push: &mut Push<'_>,
    profile: &ColumnProfile,
    negatives: u64,
    max: f64,
    non_null: u64,
    config: &ProfileConfig,
) {
    let name = profile.name.as_str();
    let parts = name_parts(name);
    let non_negative_by_name = parts
        .iter()
        .any(|p| NON_NEGATIVE_NAMES.contains(&p.as_str()));
    let stray = negatives as f64 <= config.stray_negative_ratio * non_null as f64;
    if negatives > 0 && (non_negative_by_name || stray) {
        // A name is strong evidence; a few negatives among positives may be legitimate
        // (temperatures), so that case is only worth knowing.
        let (why, severity) = if non_negative_by_name {
            ("its name says it cannot be negative", Severity::Warning)
        } else {
            ("all its other values are zero or more", Severity::Info)
        };
        push(
            "invalid_range",
            severity,
            negatives as f64,
            0.0,
            format!("Column \"{name}\" has {negatives} negative values, but {why}."),
        );
    }
    let percent_column = profile.semantic_type == Some(SemanticType::Percent)
        || parts.iter().any(|p| PERCENT_NAMES.contains(&p.as_str()));
    if percent_column && max > 100.0 {
        push(
            "invalid_range",
            Severity::Warning,
            max,
            100.0,
            format!(
                "Column \"{name}\" holds percentages but reaches {}, above 100.",
                short(max)
            ),
        );
    }
}

fn correlation_alerts(alerts: &mut Vec<Alert>, report: &ProfileReport, config: &ProfileConfig) {
    let pearson = &report.correlations.pearson;
    for (i, first) in pearson.columns.iter().enumerate() {
        for (j, second) in pearson.columns.iter().enumerate().skip(i + 1) {
            let Some(r) = pearson.get(i, j) else { continue };
            if r.abs() >= config.high_correlation {
                alerts.push(Alert {
                    code: "high_correlation".into(),
                    severity: Severity::Warning,
                    column: Some(first.clone()),
                    value: r,
                    threshold: config.high_correlation,
                    message: format!("Columns \"{first}\" and \"{second}\" are highly correlated (Pearson r = {r:.3}); one may be redundant."),
                });
            }
        }
    }
}

/// Lower-case parts of a column name split at non-alphanumerics and camelCase humps.
fn name_parts(name: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for ch in name.chars() {
        if !ch.is_alphanumeric() {
            if !current.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if ch.is_uppercase() && previous_lower && !current.is_empty() {
            parts.push(std::mem::take(&mut current));
        }
        previous_lower = ch.is_lowercase();
        current.extend(ch.to_lowercase());
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

/// A number for a sentence: at most six decimals, no float noise.
fn short(value: f64) -> String {
    let rounded = (value * 1e6).round() / 1e6;
    if rounded.abs() < 1e15 {
        rounded.to_string()
    } else {
        format!("{value:e}")
    }
}

fn percent(ratio: f64) -> String {
    format!("{:.1}%", ratio * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_into_parts() {
        assert_eq!(name_parts("customerAge"), vec!["customer", "age"]);
        assert_eq!(name_parts("discount_pct"), vec!["discount", "pct"]);
        assert_eq!(name_parts("Item Count"), vec!["item", "count"]);
    }
}
