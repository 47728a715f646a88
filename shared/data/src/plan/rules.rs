//! The planner's rules: each reads one finding of the profile (an alert, or a fact such as a
//! column's null share) and proposes one step with a rationale quoting the figures it rests on.
//!
//! Rules only read the profile and the schema; they never look at cell values, so a rule's
//! numbers are always the ones a reviewer sees in `profile.json`. Which rules run depends on the
//! preset; the order of the steps is fixed (drops, text fixes, row removals, imputation, shape
//! changes, scaling, encoding) so the same profile always gives the same recipe.

use std::collections::{BTreeMap, BTreeSet};

use crate::profile::{Alert, ColumnProfile, ProfileReport};
use crate::recipe::{ClipMethod, ImputeStrategy, KeepOccurrence, Operation, Step, TextCase};
use crate::schema::{LogicalType, SemanticType};

use super::Preset;
use super::confidence;
use super::wording::{number, percent};

/// Conservative imputation stops at this null share: above it a fill is no longer "obvious".
pub const CONSERVATIVE_IMPUTE_MAX_NULL_RATIO: f64 = 0.2;
/// A column with at least this null share is proposed for removal by `ml` (never imputed).
pub const SPARSE_COLUMN_NULL_RATIO: f64 = 0.5;
/// Numeric imputation uses the median from this |skewness| on, the mean below it.
pub const MEDIAN_FROM_SKEWNESS: f64 = 1.0;
/// A text column with at most this many distinct values is a category column: its nulls may be
/// imputed with the mode, and `ml` one-hot encodes it.
pub const CATEGORY_MAX_DISTINCT: u64 = 20;

/// What the rules read: the profile, its row count and the rows with no value at all.
pub struct Evidence<'a> {
    /// The profile of the dataset.
    pub profile: &'a ProfileReport,
    /// Rows in which every column is null (counted on the frame by the caller).
    pub empty_rows: u64,
    /// Skewness of `ln(1 + x)` for the columns a `log1p` may be proposed for (computed on the
    /// frame by the caller, as the profile computes skewness), so scaling after the log is
    /// judged on the values it will see.
    pub log_skewness: BTreeMap<String, f64>,
}

/// Whether `ml` would take the log of the column: a `skewed` alert and no negative value.
pub fn log_candidate(report: &ProfileReport, column: &ColumnProfile) -> bool {
    column
        .numeric
        .as_ref()
        .is_some_and(|n| n.negatives == 0 && n.min >= 0.0)
        && alert(report, "skewed", &column.name).is_some()
        && !is_identifier(report, column)
}

/// Proposes the steps for `preset`, in the fixed order described in the module docs.
pub fn propose(evidence: &Evidence<'_>, preset: Preset) -> Vec<Step> {
    let report = evidence.profile;
    let mut steps = Vec::new();
    let mut dropped: BTreeSet<&str> = BTreeSet::new();
    if preset == Preset::Ml {
        for column in &report.columns {
            if let Some(step) = drop_sparse(report, column) {
                dropped.insert(column.name.as_str());
                steps.push(step);
            } else if let Some(step) = drop_constant(report, column) {
                dropped.insert(column.name.as_str());
                steps.push(step);
            }
        }
    }
    let kept = || {
        report
            .columns
            .iter()
            .filter(|c| !dropped.contains(c.name.as_str()))
    };
    for column in kept() {
        if let Some(step) = trim(report, column) {
            steps.push(step);
        }
    }
    if preset == Preset::Ml {
        for column in kept() {
            if let Some(step) = lower_case(report, column) {
                steps.push(step);
            }
        }
    }
    if let Some(step) = drop_empty_rows(report, evidence.empty_rows) {
        steps.push(step);
    }
    if let Some(step) = deduplicate(report) {
        steps.push(step);
    }
    let impute_limit = match preset {
        Preset::Conservative => CONSERVATIVE_IMPUTE_MAX_NULL_RATIO,
        Preset::Ml => SPARSE_COLUMN_NULL_RATIO,
    };
    for column in kept() {
        if let Some(step) = impute(report, column, impute_limit) {
            steps.push(step);
        }
    }
    if preset == Preset::Ml {
        let mut logged = BTreeSet::new();
        for column in kept() {
            if let Some(step) = reshape(report, column) {
                if matches!(step.operation, Operation::Log1p { .. }) {
                    logged.insert(column.name.as_str());
                }
                steps.push(step);
            }
        }
        for column in kept() {
            let log_skewness = logged
                .contains(column.name.as_str())
                .then(|| evidence.log_skewness.get(&column.name).copied())
                .flatten();
            if let Some(step) = standardize(report, column, log_skewness) {
                steps.push(step);
            }
        }
        for column in kept() {
            if let Some(step) = one_hot(report, column) {
                steps.push(step);
            }
        }
    }
    steps
}

/// Whether a column holds identifiers: a name such as `id`, `customer_id` or `orderId`, a UUID
/// or e-mail column, a text column whose values are all distinct (the `unique` alert), or an
/// integer column whose distinct values form one consecutive run (a row number or serial key).
/// Distinct integers alone are not enough: twenty ages can all differ.
pub fn is_identifier(report: &ProfileReport, column: &ColumnProfile) -> bool {
    let name = column.name.as_str();
    let lower = name.to_lowercase();
    let by_name = lower == "id"
        || lower == "uuid"
        || lower.ends_with("_id")
        || lower.ends_with("-id")
        || lower.ends_with(" id")
        || name.ends_with("Id")
        || name.ends_with("ID");
    let by_meaning = matches!(
        column.semantic_type,
        Some(SemanticType::Uuid | SemanticType::Email)
    );
    let unique = alert(report, "unique", name).is_some();
    let serial = column.logical_type == LogicalType::Integer
        && column
            .numeric
            .as_ref()
            .is_some_and(|n| n.max - n.min + 1.0 == column.distinct_count as f64);
    let by_values = unique && (column.logical_type == LogicalType::String || serial);
    by_name || by_meaning || by_values
}

fn alert<'a>(report: &'a ProfileReport, code: &str, column: &str) -> Option<&'a Alert> {
    report
        .alerts
        .iter()
        .find(|a| a.code == code && a.column.as_deref() == Some(column))
}

fn alert_id(code: &str, column: &str) -> String {
    format!("{code}:{column}")
}

fn non_null(report: &ProfileReport, column: &ColumnProfile) -> u64 {
    report.row_count.saturating_sub(column.null_count)
}

fn step(operation: Operation, rationale: String, confidence: f64) -> Step {
    Step {
        operation,
        rationale,
        confidence: Some(confidence),
        answers_alert: None,
        needs_review: false,
        impact: None,
    }
}

fn answering(mut step: Step, alert: Option<String>) -> Step {
    step.answers_alert = alert;
    step
}

/// An identifier column is never removed without a person's look.
fn review_identifier(mut step: Step, report: &ProfileReport, column: &ColumnProfile) -> Step {
    if is_identifier(report, column) {
        step.needs_review = true;
        step.rationale.push_str(
            " Marked for review: the column looks like an identifier, which is kept unless a person decides otherwise.",
        );
    }
    step
}

fn drop_sparse(report: &ProfileReport, column: &ColumnProfile) -> Option<Step> {
    let name = &column.name;
    if let Some(found) = alert(report, "all_null", name) {
        let proposed = step(
            Operation::DropColumns {
                columns: vec![name.clone()],
            },
            format!(
                "`{name}` has no value at all (100.0% nulls in {} rows): drop the column.",
                report.row_count
            ),
            confidence::drop_sparse_column(1.0),
        );
        let proposed = answering(proposed, Some(alert_id(&found.code, name)));
        return Some(review_identifier(proposed, report, column));
    }
    if column.null_ratio < SPARSE_COLUMN_NULL_RATIO {
        return None;
    }
    let mut proposed = step(
        Operation::DropColumns {
            columns: vec![name.clone()],
        },
        format!(
            "`{name}` is null in {} of {} rows, too sparse to impute: drop the column. Marked for review: its {} values may still matter.",
            percent(column.null_ratio),
            report.row_count,
            non_null(report, column)
        ),
        confidence::drop_sparse_column(column.null_ratio),
    );
    proposed.needs_review = true;
    proposed.answers_alert =
        alert(report, "high_null_ratio", name).map(|a| alert_id(&a.code, name));
    Some(review_identifier(proposed, report, column))
}

fn drop_constant(report: &ProfileReport, column: &ColumnProfile) -> Option<Step> {
    let name = &column.name;
    let found = alert(report, "constant", name)?;
    // drop_constant_columns counts null as a value: a column with nulls is not constant to it.
    if column.null_count > 0 || report.row_count < 2 {
        return None;
    }
    let value = constant_value(column);
    let proposed = step(
        Operation::DropConstantColumns {
            columns: Some(vec![name.clone()]),
        },
        format!(
            "`{name}` holds the single value {value} in all {} rows: it carries no information; drop it.",
            report.row_count
        ),
        confidence::drop_constant(report.row_count),
    );
    let proposed = answering(proposed, Some(alert_id(&found.code, name)));
    Some(review_identifier(proposed, report, column))
}

fn constant_value(column: &ColumnProfile) -> String {
    if let Some(numeric) = &column.numeric {
        return number(numeric.min);
    }
    if let Some(top) = column.categorical.as_ref().and_then(|c| c.top.first()) {
        return format!("{:?}", top.value);
    }
    if let Some(temporal) = &column.temporal {
        return temporal.min.clone();
    }
    "(one value)".to_owned()
}

fn trim(report: &ProfileReport, column: &ColumnProfile) -> Option<Step> {
    let name = &column.name;
    let found = alert(report, "whitespace", name)?;
    if column.logical_type != LogicalType::String {
        return None;
    }
    let padded = found.value as u64;
    let non_null = non_null(report, column);
    let share = if non_null == 0 {
        0.0
    } else {
        padded as f64 / non_null as f64
    };
    let proposed = step(
        Operation::TrimWhitespace {
            columns: vec![name.clone()],
        },
        format!(
            "`{name}` has {padded} values ({} of its non-null values) with leading or trailing spaces: trim them.",
            percent(share)
        ),
        confidence::trim(padded, non_null),
    );
    Some(answering(proposed, Some(alert_id(&found.code, name))))
}

fn lower_case(report: &ProfileReport, column: &ColumnProfile) -> Option<Step> {
    let name = &column.name;
    let found = alert(report, "inconsistent_case", name)?;
    // Lower-casing free text rewrites nearly every value to merge a few spellings: only
    // category columns are worth it.
    if column.logical_type != LogicalType::String || column.distinct_count > CATEGORY_MAX_DISTINCT {
        return None;
    }
    let groups = found.value as u64;
    let proposed = step(
        Operation::NormalizeCase {
            columns: vec![name.clone()],
            case: TextCase::Lower,
        },
        format!(
            "`{name}` spells {groups} of its {} categories in several letter cases: write it in lower case so each category is counted once.",
            column.distinct_count
        ),
        confidence::normalize_case(groups, column.distinct_count),
    );
    Some(answering(proposed, Some(alert_id(&found.code, name))))
}

fn drop_empty_rows(report: &ProfileReport, empty_rows: u64) -> Option<Step> {
    if empty_rows == 0 || report.row_count == 0 {
        return None;
    }
    Some(step(
        Operation::DropNulls {
            subset: None,
            threshold: Some(1),
        },
        format!(
            "{empty_rows} of {} rows ({}) have no value in any column: drop them.",
            report.row_count,
            percent(empty_rows as f64 / report.row_count as f64)
        ),
        confidence::remove_rows(empty_rows, report.row_count),
    ))
}

fn deduplicate(report: &ProfileReport) -> Option<Step> {
    let duplicates = report.duplicate_row_count;
    if duplicates == 0 || report.row_count == 0 {
        return None;
    }
    let proposed = step(
        Operation::Deduplicate {
            subset: None,
            keep: KeepOccurrence::First,
        },
        format!(
            "{duplicates} of {} rows ({}) repeat an earlier row exactly: keep the first occurrence.",
            report.row_count,
            percent(duplicates as f64 / report.row_count as f64)
        ),
        confidence::remove_rows(duplicates, report.row_count),
    );
    let answered = report
        .alerts
        .iter()
        .find(|a| a.code == "duplicate_rows")
        .map(|a| a.code.clone());
    Some(answering(proposed, answered))
}

fn impute(report: &ProfileReport, column: &ColumnProfile, max_null_ratio: f64) -> Option<Step> {
    let name = &column.name;
    if column.null_count == 0
        || column.null_ratio >= max_null_ratio
        || is_identifier(report, column)
    {
        return None;
    }
    let non_null = non_null(report, column);
    if non_null == 0 {
        return None;
    }
    let answered = alert(report, "high_null_ratio", name).map(|a| alert_id(&a.code, name));
    let nulls = percent(column.null_ratio);
    let proposed = match column.logical_type {
        LogicalType::Integer | LogicalType::Float => {
            let numeric = column.numeric.as_ref()?;
            let skewness = numeric.skewness;
            let uses_mean = skewness.is_some_and(|s| s.abs() < MEDIAN_FROM_SKEWNESS);
            let skew_text = skewness.map_or_else(|| "unknown".to_owned(), number);
            let (strategy, centre) = if uses_mean {
                (
                    ImputeStrategy::Mean,
                    format!("the mean {}", number(numeric.mean)),
                )
            } else {
                (
                    ImputeStrategy::Median,
                    format!("the median {}", number(numeric.p50)),
                )
            };
            step(
                Operation::Impute {
                    columns: vec![name.clone()],
                    strategy,
                    value: None,
                },
                format!(
                    "`{name}` has {nulls} nulls and skewness {skew_text}: impute with {centre}."
                ),
                confidence::impute_numeric(column.null_ratio, skewness, uses_mean),
            )
        }
        // Only categories have a meaningful mode; a gap in free text is left for a person.
        LogicalType::String | LogicalType::Boolean
            if column.distinct_count <= CATEGORY_MAX_DISTINCT =>
        {
            let top = column.categorical.as_ref()?.top.first()?;
            step(
                Operation::Impute {
                    columns: vec![name.clone()],
                    strategy: ImputeStrategy::Mode,
                    value: None,
                },
                format!(
                    "`{name}` has {nulls} nulls; its most frequent value {:?} makes up {} of the values: impute with the mode.",
                    top.value,
                    percent(top.count as f64 / non_null as f64)
                ),
                confidence::impute_mode(column.null_ratio, top.count, non_null),
            )
        }
        // A date fill invents an event; the planner leaves temporal gaps to a person.
        _ => return None,
    };
    Some(answering(proposed, answered))
}

/// `ml`: a skewed non-negative column gets `log1p`; otherwise a column with outliers is clipped.
fn reshape(report: &ProfileReport, column: &ColumnProfile) -> Option<Step> {
    let name = &column.name;
    let numeric = column.numeric.as_ref()?;
    if is_identifier(report, column) {
        return None;
    }
    if log_candidate(report, column)
        && let Some(found) = alert(report, "skewed", name)
    {
        let skewness = found.value;
        let proposed = step(
            Operation::Log1p {
                columns: vec![name.clone()],
            },
            format!(
                "`{name}` is skewed (skewness {}) and has no negative value (min {}): take log1p to make it more symmetric.",
                number(skewness),
                number(numeric.min)
            ),
            confidence::log_transform(skewness),
        );
        return Some(answering(proposed, Some(alert_id(&found.code, name))));
    }
    let found = alert(report, "outliers", name)?;
    let outliers = numeric.outliers_iqr.count;
    let non_null = non_null(report, column);
    let proposed = step(
        Operation::ClipOutliers {
            columns: vec![name.clone()],
            method: ClipMethod::Iqr,
            k: Some(1.5),
            lower: None,
            upper: None,
        },
        format!(
            "`{name}` has {outliers} values ({}) outside the IQR fences [{}, {}]: clip them to the fences.",
            percent(outliers as f64 / non_null.max(1) as f64),
            number(numeric.outliers_iqr.lower_fence),
            number(numeric.outliers_iqr.upper_fence)
        ),
        confidence::clip(outliers, non_null),
    );
    Some(answering(proposed, Some(alert_id(&found.code, name))))
}

/// `log_skewness` is set when an earlier step takes the log of the column: the z-scores are
/// then judged on the log scale.
fn standardize(
    report: &ProfileReport,
    column: &ColumnProfile,
    log_skewness: Option<f64>,
) -> Option<Step> {
    let name = &column.name;
    let numeric = column.numeric.as_ref()?;
    let std = numeric.std.filter(|s| *s > 0.0)?;
    if column.distinct_count < 2 || is_identifier(report, column) {
        return None;
    }
    if let Some(skewness) = log_skewness {
        return Some(step(
            Operation::Standardize {
                columns: vec![name.clone()],
            },
            format!(
                "`{name}` after log1p (skewness {} on the log scale, {} before) is rescaled to z-scores so that numeric features share one scale.",
                number(skewness),
                numeric
                    .skewness
                    .map_or_else(|| "unknown".to_owned(), number)
            ),
            confidence::standardize(Some(skewness)),
        ));
    }
    Some(step(
        Operation::Standardize {
            columns: vec![name.clone()],
        },
        format!(
            "`{name}` (mean {}, std {}, skewness {}) is rescaled to z-scores so that numeric features share one scale.",
            number(numeric.mean),
            number(std),
            numeric
                .skewness
                .map_or_else(|| "unknown".to_owned(), number)
        ),
        confidence::standardize(numeric.skewness),
    ))
}

fn one_hot(report: &ProfileReport, column: &ColumnProfile) -> Option<Step> {
    let name = &column.name;
    if column.logical_type != LogicalType::String
        || column.distinct_count < 2
        || column.distinct_count > CATEGORY_MAX_DISTINCT
        || is_identifier(report, column)
    {
        return None;
    }
    let top = &column.categorical.as_ref()?.top;
    let kept = top.len().min(usize::try_from(column.distinct_count).ok()?);
    if kept == 0 {
        return None;
    }
    let covered: u64 = top.iter().take(kept).map(|v| v.count).sum();
    let non_null = non_null(report, column);
    Some(step(
        Operation::OneHot {
            column: name.clone(),
            max_categories: kept,
        },
        format!(
            "`{name}` has {} categories; the {kept} most frequent cover {} of its values: encode them as indicator columns.",
            column.distinct_count,
            percent(covered as f64 / non_null.max(1) as f64)
        ),
        confidence::one_hot(covered, non_null, column.null_ratio),
    ))
}
