//! One function per recipe operation: a typed frame in, the next frame out, plus the
//! statistics the step computed (recorded in its impact so the output is explainable).
//!
//! Column work goes through polars expressions; statistics come from `statistics`, whose
//! results do not depend on chunking or thread count. Nothing here loops over rows in Rust
//! except those reductions.

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;
use serde_json::{Value, json};

use super::SOURCE_ROW;
use super::statistics;
use crate::error::{DataError, Result};
use crate::recipe::predicate;
use crate::recipe::{ClipMethod, ImputeStrategy, KeepOccurrence, Operation, TextCase};
use crate::schema::LogicalType;

/// What one step produced besides the frame.
#[derive(Debug, Default)]
pub struct StepOutput {
    /// The columns whose values the step may have changed (names after the step).
    pub touched: Vec<String>,
    /// Statistics the step used, per column.
    pub statistics: BTreeMap<String, BTreeMap<String, Value>>,
}

/// Context for errors raised while applying one step.
pub struct StepContext {
    /// Zero-based step index.
    pub index: usize,
    /// The operation's name.
    pub op: &'static str,
}

impl StepContext {
    fn fail(&self, column: Option<&str>, reason: String) -> DataError {
        DataError::StepFailed {
            step: self.index,
            op: self.op,
            column: column.map(str::to_owned),
            reason,
        }
    }
}

fn user_columns(frame: &DataFrame) -> Vec<String> {
    frame
        .get_column_names()
        .into_iter()
        .filter(|n| n.as_str() != SOURCE_ROW)
        .map(|n| n.to_string())
        .collect()
}

fn number(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

fn with(frame: DataFrame, exprs: Vec<Expr>) -> Result<DataFrame> {
    Ok(frame.lazy().with_columns(exprs).collect()?)
}

/// Applies one operation.
pub fn apply_operation(
    frame: DataFrame,
    operation: &Operation,
    context: &StepContext,
) -> Result<(DataFrame, StepOutput)> {
    let mut out = StepOutput::default();
    let frame = match operation {
        Operation::DropColumns { columns } => frame.drop_many(columns.iter().map(String::as_str)),
        Operation::Rename { mapping } => {
            let (old, new): (Vec<&String>, Vec<&String>) = mapping.iter().unzip();
            frame.lazy().rename(old, new, true).collect()?
        }
        Operation::Cast { column, to } => {
            out.touched.push(column.clone());
            cast(frame, column, *to, &mut out)?
        }
        Operation::ParseDates { column, format, to } => {
            out.touched.push(column.clone());
            parse_dates(frame, column, format, *to, &mut out)?
        }
        Operation::TrimWhitespace { columns } => {
            out.touched.clone_from(columns);
            let exprs = columns
                .iter()
                .map(|c| col(c.as_str()).str().strip_chars(lit(Null {})))
                .collect();
            with(frame, exprs)?
        }
        Operation::NormalizeCase { columns, case } => {
            out.touched.clone_from(columns);
            let exprs = columns
                .iter()
                .map(|c| match case {
                    TextCase::Lower => col(c.as_str()).str().to_lowercase(),
                    TextCase::Upper => col(c.as_str()).str().to_uppercase(),
                })
                .collect();
            with(frame, exprs)?
        }
        Operation::ReplaceValues { column, mapping } => {
            out.touched.push(column.clone());
            let source = col(column.as_str());
            let mut expr = source.clone();
            for (old, new) in mapping {
                let target = match new {
                    Some(text) => lit(text.clone()),
                    None => lit(Null {}).cast(DataType::String),
                };
                expr = when(source.clone().eq(lit(old.clone())))
                    .then(target)
                    .otherwise(expr);
            }
            with(frame, vec![expr.alias(column.as_str())])?
        }
        Operation::Impute {
            columns,
            strategy,
            value,
        } => {
            out.touched.clone_from(columns);
            impute(frame, columns, *strategy, value.as_ref(), &mut out, context)?
        }
        Operation::DropNulls { subset, threshold } => {
            let subset = subset.clone().unwrap_or_else(|| user_columns(&frame));
            let keep = match threshold {
                Some(t) if *t < subset.len() => {
                    let count = subset
                        .iter()
                        .map(|c| col(c.as_str()).is_not_null().cast(DataType::UInt32))
                        .reduce(|a, b| a + b)
                        .unwrap_or_else(|| lit(0u32));
                    count.gt_eq(lit(*t as u32))
                }
                _ => subset
                    .iter()
                    .map(|c| col(c.as_str()).is_not_null())
                    .reduce(|a, b| a.and(b))
                    .unwrap_or_else(|| lit(true)),
            };
            frame.lazy().filter(keep).collect()?
        }
        Operation::Deduplicate { subset, keep } => {
            let subset = subset.clone().unwrap_or_else(|| user_columns(&frame));
            let strategy = match keep {
                KeepOccurrence::First => UniqueKeepStrategy::First,
                KeepOccurrence::Last => UniqueKeepStrategy::Last,
            };
            frame
                .lazy()
                .unique_stable(Some(cols(subset)), strategy)
                .collect()?
        }
        Operation::ClipOutliers {
            columns,
            method,
            k,
            lower,
            upper,
        } => {
            out.touched.clone_from(columns);
            let mut exprs = Vec::new();
            for column in columns {
                let values = statistics::sorted(statistics::finite_values(
                    frame.column(column)?.as_materialized_series(),
                )?);
                let Some((lo, hi, mut stats)) = fences(&values, *method, *k, *lower, *upper) else {
                    exprs.push(col(column.as_str()).cast(DataType::Float64));
                    continue;
                };
                let below = values.partition_point(|v| *v < lo);
                let above = values.len() - values.partition_point(|v| *v <= hi);
                stats.insert("lower_fence".to_owned(), number(lo));
                stats.insert("upper_fence".to_owned(), number(hi));
                stats.insert("clipped_low".to_owned(), json!(below));
                stats.insert("clipped_high".to_owned(), json!(above));
                out.statistics.insert(column.clone(), stats);
                let c = col(column.as_str()).cast(DataType::Float64);
                exprs.push(
                    when(c.clone().lt(lit(lo)))
                        .then(lit(lo))
                        .when(c.clone().gt(lit(hi)))
                        .then(lit(hi))
                        .otherwise(c)
                        .alias(column.as_str()),
                );
            }
            with(frame, exprs)?
        }
        Operation::Standardize { columns } => {
            out.touched.clone_from(columns);
            let mut exprs = Vec::new();
            for column in columns {
                let values =
                    statistics::finite_values(frame.column(column)?.as_materialized_series())?;
                let (mean, std) = (statistics::mean(&values), statistics::sample_std(&values));
                let (Some(mean), Some(std)) = (mean, std) else {
                    return Err(context.fail(
                        Some(column),
                        "needs at least two values to compute a standard deviation".to_owned(),
                    ));
                };
                if std == 0.0 {
                    return Err(context.fail(
                        Some(column),
                        "all values are equal (standard deviation 0); drop the column instead"
                            .to_owned(),
                    ));
                }
                out.statistics.insert(
                    column.clone(),
                    BTreeMap::from([
                        ("mean".to_owned(), number(mean)),
                        ("std".to_owned(), number(std)),
                    ]),
                );
                exprs.push(
                    ((col(column.as_str()).cast(DataType::Float64) - lit(mean)) / lit(std))
                        .alias(column.as_str()),
                );
            }
            with(frame, exprs)?
        }
        Operation::MinMaxScale { columns } => {
            out.touched.clone_from(columns);
            let mut exprs = Vec::new();
            for column in columns {
                let values =
                    statistics::finite_values(frame.column(column)?.as_materialized_series())?;
                let min = values.iter().copied().reduce(f64::min);
                let max = values.iter().copied().reduce(f64::max);
                let (Some(min), Some(max)) = (min, max) else {
                    return Err(context.fail(Some(column), "has no values to scale".to_owned()));
                };
                if min == max {
                    return Err(context.fail(
                        Some(column),
                        format!("all values equal {min}; min-max scaling would divide by zero"),
                    ));
                }
                out.statistics.insert(
                    column.clone(),
                    BTreeMap::from([
                        ("min".to_owned(), number(min)),
                        ("max".to_owned(), number(max)),
                    ]),
                );
                exprs.push(
                    ((col(column.as_str()).cast(DataType::Float64) - lit(min)) / lit(max - min))
                        .alias(column.as_str()),
                );
            }
            with(frame, exprs)?
        }
        Operation::Log1p { columns } => {
            out.touched.clone_from(columns);
            let mut frame = frame;
            for column in columns {
                let series = frame
                    .column(column)?
                    .as_materialized_series()
                    .cast(&DataType::Float64)?;
                let floats = series.f64()?;
                if let Some(position) = floats.iter().position(|v| v.is_some_and(|v| v < 0.0)) {
                    let source = source_row(&frame, position);
                    return Err(context.fail(
                        Some(column),
                        format!("negative value at source row {source}; log1p needs values >= 0"),
                    ));
                }
                let logged = floats.apply_values(f64::ln_1p).into_series();
                frame.with_column(logged.with_name(column.as_str().into()).into_column())?;
            }
            frame
        }
        Operation::OneHot {
            column,
            max_categories,
        } => one_hot(frame, column, *max_categories, &mut out, context)?,
        Operation::FilterRows { predicate: text } => {
            let parsed = predicate::parse(text)
                .map_err(|e| context.fail(None, format!("predicate does not parse {e}")))?;
            let temporal: Vec<(String, DataType)> = frame
                .schema()
                .iter()
                .filter(|(_, t)| matches!(t, DataType::Date | DataType::Datetime(_, _)))
                .map(|(n, t)| (n.to_string(), t.clone()))
                .collect();
            frame.lazy().filter(parsed.to_expr(&temporal)).collect()?
        }
        Operation::DropConstantColumns { columns } => {
            let candidates = columns.clone().unwrap_or_else(|| user_columns(&frame));
            let mut constant = Vec::new();
            if frame.height() > 0 {
                for name in candidates {
                    if frame.column(&name)?.as_materialized_series().n_unique()? <= 1 {
                        constant.push(name);
                    }
                }
            }
            frame.drop_many(constant.iter().map(String::as_str))
        }
    };
    Ok((frame, out))
}

fn source_row(frame: &DataFrame, position: usize) -> String {
    frame
        .column(SOURCE_ROW)
        .ok()
        .and_then(|c| c.get(position).ok())
        .map_or_else(|| position.to_string(), |v| v.to_string())
}

fn polars_type(t: LogicalType) -> DataType {
    match t {
        LogicalType::Boolean => DataType::Boolean,
        LogicalType::Integer => DataType::Int64,
        LogicalType::Float => DataType::Float64,
        LogicalType::Date => DataType::Date,
        LogicalType::Datetime => DataType::Datetime(TimeUnit::Microseconds, None),
        LogicalType::DatetimeTz => DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC)),
        LogicalType::String => DataType::String,
    }
}

fn cast(
    frame: DataFrame,
    column: &str,
    to: LogicalType,
    out: &mut StepOutput,
) -> Result<DataFrame> {
    let before_nulls = frame.column(column)?.null_count();
    let source = col(column);
    let is_text = frame.column(column)?.dtype() == &DataType::String;
    let expr = if is_text && to == LogicalType::Boolean {
        let lowered = source
            .clone()
            .str()
            .strip_chars(lit(Null {}))
            .str()
            .to_lowercase();
        let truthy = ["true", "t", "yes", "y", "1"]
            .iter()
            .map(|w| lowered.clone().eq(lit(*w)))
            .reduce(|a, b| a.or(b))
            .unwrap_or_else(|| lit(false));
        let falsy = ["false", "f", "no", "n", "0"]
            .iter()
            .map(|w| lowered.clone().eq(lit(*w)))
            .reduce(|a, b| a.or(b))
            .unwrap_or_else(|| lit(false));
        when(truthy)
            .then(lit(true))
            .when(falsy)
            .then(lit(false))
            .otherwise(lit(Null {}).cast(DataType::Boolean))
    } else if is_text && matches!(to, LogicalType::Integer | LogicalType::Float) {
        source.str().strip_chars(lit(Null {})).cast(polars_type(to))
    } else {
        source.cast(polars_type(to))
    };
    let frame = with(frame, vec![expr.alias(column)])?;
    let after_nulls = frame.column(column)?.null_count();
    out.statistics.insert(
        column.to_owned(),
        BTreeMap::from([(
            "invalid_to_null".to_owned(),
            json!(after_nulls.saturating_sub(before_nulls)),
        )]),
    );
    Ok(frame)
}

fn parse_dates(
    frame: DataFrame,
    column: &str,
    format: &str,
    to: LogicalType,
    out: &mut StepOutput,
) -> Result<DataFrame> {
    let before_nulls = frame.column(column)?.null_count();
    let options = StrptimeOptions {
        format: Some(format.into()),
        strict: false,
        exact: true,
        cache: true,
    };
    let expr = match to {
        LogicalType::Datetime => {
            col(column)
                .str()
                .to_datetime(Some(TimeUnit::Microseconds), None, options, lit("raise"))
        }
        _ => col(column).str().to_date(options),
    };
    let frame = with(frame, vec![expr.alias(column)])?;
    let after_nulls = frame.column(column)?.null_count();
    out.statistics.insert(
        column.to_owned(),
        BTreeMap::from([(
            "unparsed_to_null".to_owned(),
            json!(after_nulls.saturating_sub(before_nulls)),
        )]),
    );
    Ok(frame)
}

fn impute(
    frame: DataFrame,
    columns: &[String],
    strategy: ImputeStrategy,
    value: Option<&Value>,
    out: &mut StepOutput,
    context: &StepContext,
) -> Result<DataFrame> {
    let mut exprs = Vec::new();
    for column in columns {
        let series = frame.column(column)?.as_materialized_series();
        let dtype = series.dtype().clone();
        let c = col(column.as_str());
        let expr = match strategy {
            ImputeStrategy::Mean | ImputeStrategy::Median => {
                let values = statistics::finite_values(series)?;
                let (name, fill) = if strategy == ImputeStrategy::Mean {
                    ("mean", statistics::mean(&values))
                } else {
                    (
                        "median",
                        statistics::quantile(&statistics::sorted(values), 0.5),
                    )
                };
                // A column without values has nothing to take a statistic from: it stays
                // null, and the impact records the statistic as null.
                out.statistics.insert(
                    column.clone(),
                    BTreeMap::from([(name.to_owned(), fill.map_or(Value::Null, number))]),
                );
                match fill {
                    Some(fill) => c.cast(DataType::Float64).fill_null(lit(fill)),
                    None => c.cast(DataType::Float64),
                }
            }
            ImputeStrategy::Mode => match statistics::mode(series)? {
                Some(mode) => {
                    let fill = mode.get(0)?.into_static();
                    out.statistics.insert(
                        column.clone(),
                        BTreeMap::from([("mode".to_owned(), super::json_value(&fill))]),
                    );
                    c.fill_null(lit(Scalar::new(dtype, fill)))
                }
                None => {
                    out.statistics.insert(
                        column.clone(),
                        BTreeMap::from([("mode".to_owned(), Value::Null)]),
                    );
                    c
                }
            },
            ImputeStrategy::Constant => {
                let fill = match value {
                    Some(Value::Bool(b)) => lit(*b),
                    Some(Value::String(s)) => lit(s.clone()),
                    Some(Value::Number(n)) => match n.as_i64() {
                        Some(i) => lit(i),
                        None => lit(n.as_f64().unwrap_or(f64::NAN)),
                    },
                    _ => {
                        return Err(context.fail(
                            Some(column),
                            "the constant strategy needs a value".to_owned(),
                        ));
                    }
                };
                c.fill_null(fill.strict_cast(dtype))
            }
            ImputeStrategy::ForwardFill => {
                c.fill_null_with_strategy(FillNullStrategy::Forward(None))
            }
        };
        exprs.push(expr.alias(column.as_str()));
    }
    with(frame, exprs)
}

fn fences(
    sorted: &[f64],
    method: ClipMethod,
    k: Option<f64>,
    lower: Option<f64>,
    upper: Option<f64>,
) -> Option<(f64, f64, BTreeMap<String, Value>)> {
    let mut stats = BTreeMap::new();
    let (lo, hi) = match method {
        ClipMethod::Iqr => {
            let k = k.unwrap_or(1.5);
            let q1 = statistics::quantile(sorted, 0.25)?;
            let q3 = statistics::quantile(sorted, 0.75)?;
            stats.insert("q1".to_owned(), number(q1));
            stats.insert("q3".to_owned(), number(q3));
            stats.insert("k".to_owned(), number(k));
            (q1 - k * (q3 - q1), q3 + k * (q3 - q1))
        }
        ClipMethod::Mad => {
            let k = k.unwrap_or(3.5);
            let median = statistics::quantile(sorted, 0.5)?;
            let mad = statistics::median_absolute_deviation(sorted, median)?;
            stats.insert("median".to_owned(), number(median));
            stats.insert("mad".to_owned(), number(mad));
            stats.insert("k".to_owned(), number(k));
            let width = k * MAD_TO_SIGMA * mad;
            (median - width, median + width)
        }
        ClipMethod::Quantile => {
            let (ql, qh) = (lower.unwrap_or(0.01), upper.unwrap_or(0.99));
            stats.insert("lower_quantile".to_owned(), number(ql));
            stats.insert("upper_quantile".to_owned(), number(qh));
            (
                statistics::quantile(sorted, ql)?,
                statistics::quantile(sorted, qh)?,
            )
        }
    };
    Some((lo, hi, stats))
}

/// Scales the MAD to the standard deviation of a normal distribution (1 / 0.6745).
pub const MAD_TO_SIGMA: f64 = 1.4826;

fn one_hot(
    frame: DataFrame,
    column: &str,
    max_categories: usize,
    out: &mut StepOutput,
    context: &StepContext,
) -> Result<DataFrame> {
    let text = frame
        .column(column)?
        .as_materialized_series()
        .cast(&DataType::String)?;
    let mut counts: HashMap<&str, u64> = HashMap::new();
    for value in text.str()?.iter().flatten() {
        *counts.entry(value).or_insert(0) += 1;
    }
    let mut ranked: Vec<(&str, u64)> = counts.into_iter().collect();
    // Most frequent first; equal counts by value so the order never depends on hashing.
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let kept: Vec<&str> = ranked
        .iter()
        .take(max_categories)
        .map(|(v, _)| *v)
        .collect();
    let others: u64 = ranked.iter().skip(max_categories).map(|(_, n)| n).sum();
    let mut names: Vec<String> = kept.iter().map(|v| format!("{column}_{v}")).collect();
    if others > 0 {
        names.push(format!("{column}_other"));
    }
    let existing = frame.schema();
    for name in &names {
        if existing.contains(name) && name != column {
            return Err(context.fail(
                Some(column),
                format!(
                    "one-hot column '{name}' would replace an existing column; rename it first"
                ),
            ));
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for name in &names {
        if !seen.insert(name) {
            return Err(context.fail(
                Some(column),
                format!("two categories map to the column name '{name}'"),
            ));
        }
    }
    let as_text = col(column).cast(DataType::String);
    let mut exprs: Vec<Expr> = kept
        .iter()
        .zip(&names)
        .map(|(v, name)| {
            as_text
                .clone()
                .eq(lit(*v))
                .fill_null(lit(false))
                .alias(name.as_str())
        })
        .collect();
    if others > 0 {
        let in_kept = kept
            .iter()
            .map(|v| as_text.clone().eq(lit(*v)))
            .reduce(|a, b| a.or(b))
            .unwrap_or_else(|| lit(false));
        exprs.push(
            as_text
                .clone()
                .is_not_null()
                .and(in_kept.not())
                .fill_null(lit(false))
                .alias(format!("{column}_other")),
        );
    }
    let mut stats: BTreeMap<String, Value> = ranked
        .iter()
        .take(max_categories)
        .map(|(v, n)| ((*v).to_owned(), json!(n)))
        .collect();
    stats.insert("_other".to_owned(), json!(others));
    out.statistics.insert(column.to_owned(), stats);
    out.touched.clone_from(&names);
    // Put the indicator columns where the encoded column was.
    let order = frame.get_column_names_owned();
    let position = order
        .iter()
        .position(|n| n.as_str() == column)
        .unwrap_or(order.len());
    let added = frame.lazy().with_columns(exprs).collect()?;
    let mut final_order: Vec<PlSmallStr> = order.iter().take(position).cloned().collect();
    final_order.extend(names.iter().map(|n| PlSmallStr::from(n.as_str())));
    final_order.extend(order.iter().skip(position + 1).cloned());
    Ok(added.select(final_order)?)
}
