//! Static validation of a recipe against the columns of the dataset it will be applied to.
//!
//! Every step is checked against the columns as they will be when that step runs (renames,
//! drops, casts and one-hot encoding of earlier steps are tracked), and EVERY problem is
//! reported, not only the first. Validation never reads or changes data.

use std::collections::{BTreeSet, HashMap};

use polars::prelude::{DataType, Schema};
use serde::{Deserialize, Serialize};

use super::predicate::{self, Literal};
use super::{ClipMethod, ImputeStrategy, Operation, Recipe, Step};
use crate::schema::{DatasetSchema, LogicalType};

/// Prefix of engine-owned hidden columns; user columns may not start with it.
pub const RESERVED_PREFIX: &str = "__ida_";

/// The columns of a dataset, in order, with their storage types.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ColumnTypes {
    /// Name and type of each column, in position order.
    pub columns: Vec<(String, LogicalType)>,
}

impl ColumnTypes {
    /// The columns described by a `schema.json`.
    pub fn from_schema(schema: &DatasetSchema) -> ColumnTypes {
        ColumnTypes {
            columns: schema
                .columns
                .iter()
                .map(|c| (c.name.clone(), c.logical_type))
                .collect(),
        }
    }

    /// The columns of a polars frame schema; columns of other polars types are skipped
    /// and their names returned so the caller can refuse them.
    pub fn from_polars(schema: &Schema) -> (ColumnTypes, Vec<String>) {
        let mut columns = Vec::new();
        let mut unsupported = Vec::new();
        for (name, dtype) in schema.iter() {
            if name.starts_with(RESERVED_PREFIX) {
                continue;
            }
            match logical_type_of(dtype) {
                Some(t) => columns.push((name.to_string(), t)),
                None => unsupported.push(name.to_string()),
            }
        }
        (ColumnTypes { columns }, unsupported)
    }

    fn get(&self, name: &str) -> Option<LogicalType> {
        self.columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| *t)
    }
}

/// The logical type of a polars storage type, when the engine handles it.
pub fn logical_type_of(dtype: &DataType) -> Option<LogicalType> {
    match dtype {
        DataType::Boolean => Some(LogicalType::Boolean),
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => Some(LogicalType::Integer),
        DataType::Float32 | DataType::Float64 => Some(LogicalType::Float),
        DataType::Date => Some(LogicalType::Date),
        DataType::Datetime(_, Some(_)) => Some(LogicalType::DatetimeTz),
        DataType::Datetime(_, None) => Some(LogicalType::Datetime),
        DataType::String => Some(LogicalType::String),
        _ => None,
    }
}

/// One problem found in a recipe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipeProblem {
    /// Zero-based index of the step.
    pub step: usize,
    /// The step's operation.
    pub op: String,
    /// The column concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for RecipeProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.column {
            Some(column) => {
                write!(
                    f,
                    "step {} ({}), column '{}': {}",
                    self.step, self.op, column, self.message
                )
            }
            None => write!(f, "step {} ({}): {}", self.step, self.op, self.message),
        }
    }
}

/// Checks every step against the columns as they will be when it runs. Returns the columns
/// after the last step (one-hot outputs are unknown until the data is seen and are left out),
/// or every problem found.
pub fn validate(recipe: &Recipe, input: &ColumnTypes) -> Result<ColumnTypes, Vec<RecipeProblem>> {
    let mut state = State {
        columns: input.clone(),
        fates: HashMap::new(),
        one_hot_prefixes: Vec::new(),
        maybe_constant: HashMap::new(),
        problems: Vec::new(),
    };
    for (index, step) in recipe.steps.iter().enumerate() {
        state.step(index, step);
    }
    if state.problems.is_empty() {
        Ok(state.columns)
    } else {
        Err(state.problems)
    }
}

struct State {
    columns: ColumnTypes,
    /// What happened to names that no longer exist, for helpful messages.
    fates: HashMap<String, String>,
    /// Name prefixes of one-hot outputs, whose full names depend on the data.
    one_hot_prefixes: Vec<String>,
    /// Candidates of drop_constant_columns: they may be gone after that step.
    maybe_constant: HashMap<String, usize>,
    problems: Vec<RecipeProblem>,
}

fn is_numeric(t: LogicalType) -> bool {
    matches!(t, LogicalType::Integer | LogicalType::Float)
}

fn type_name(t: LogicalType) -> &'static str {
    match t {
        LogicalType::Boolean => "boolean",
        LogicalType::Integer => "integer",
        LogicalType::Float => "float",
        LogicalType::Date => "date",
        LogicalType::Datetime => "datetime",
        LogicalType::DatetimeTz => "datetime_tz",
        LogicalType::String => "string",
    }
}

/// Whether a text literal compared with a column of type `t` reads as that type (always true
/// for text columns).
fn temporal_literal_parses(t: LogicalType, text: &str) -> bool {
    use chrono::{NaiveDate, NaiveDateTime};
    match t {
        LogicalType::Date => NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok(),
        LogicalType::Datetime | LogicalType::DatetimeTz => {
            NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
                || [
                    "%Y-%m-%d %H:%M:%S",
                    "%Y-%m-%dT%H:%M:%S",
                    "%Y-%m-%d %H:%M:%S%.f",
                ]
                .iter()
                .any(|f| NaiveDateTime::parse_from_str(text, f).is_ok())
        }
        _ => true,
    }
}

/// Whether `cast` supports a conversion.
pub fn cast_allowed(from: LogicalType, to: LogicalType) -> bool {
    use LogicalType as T;
    from == to
        || to == T::String
        || matches!(
            (from, to),
            (
                T::String,
                T::Integer | T::Float | T::Boolean | T::Date | T::Datetime
            ) | (T::Integer, T::Float | T::Boolean)
                | (T::Float, T::Integer)
                | (T::Boolean, T::Integer | T::Float)
                | (T::Date, T::Datetime)
                | (T::Datetime | T::DatetimeTz, T::Date)
        )
}

impl State {
    fn problem(&mut self, index: usize, step: &Step, column: Option<&str>, message: String) {
        self.problems.push(RecipeProblem {
            step: index,
            op: step.op_name().to_owned(),
            column: column.map(str::to_owned),
            message,
        });
    }

    /// The type of a column at this point, or a problem saying why it is not there.
    fn lookup(&mut self, index: usize, step: &Step, name: &str) -> Option<LogicalType> {
        if let Some(t) = self.columns.get(name) {
            if let Some(&at) = self.maybe_constant.get(name) {
                self.problem(
                    index,
                    step,
                    Some(name),
                    format!(
                        "may be dropped as constant by step {at}; list the columns that \
                         drop_constant_columns may drop so later steps do not depend on them"
                    ),
                );
                return None;
            }
            return Some(t);
        }
        if self
            .one_hot_prefixes
            .iter()
            .any(|prefix| name.starts_with(prefix.as_str()))
        {
            // Names made by one-hot encoding depend on the data: accepted here, checked when
            // applied.
            return Some(LogicalType::Boolean);
        }
        let message = match self.fates.get(name) {
            Some(fate) => format!("no such column at this step: it was {fate}"),
            None => {
                let known: Vec<&str> = self
                    .columns
                    .columns
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect();
                format!("no such column; columns at this step: {}", known.join(", "))
            }
        };
        self.problem(index, step, Some(name), message);
        None
    }

    fn require(
        &mut self,
        index: usize,
        step: &Step,
        name: &str,
        accepts: fn(LogicalType) -> bool,
        wanted: &str,
    ) -> Option<LogicalType> {
        let t = self.lookup(index, step, name)?;
        if accepts(t) {
            Some(t)
        } else {
            self.problem(
                index,
                step,
                Some(name),
                format!(
                    "needs a {wanted} column, but the column is {}",
                    type_name(t)
                ),
            );
            None
        }
    }

    fn set_type(&mut self, name: &str, t: LogicalType) {
        if let Some(entry) = self.columns.columns.iter_mut().find(|(n, _)| n == name) {
            entry.1 = t;
        }
    }

    fn remove(&mut self, name: &str, fate: String) {
        self.columns.columns.retain(|(n, _)| n != name);
        self.fates.insert(name.to_owned(), fate);
    }

    fn non_empty(&mut self, index: usize, step: &Step, list: &[String], what: &str) {
        if list.is_empty() {
            self.problem(index, step, None, format!("{what} must not be empty"));
        }
        let mut seen = BTreeSet::new();
        for name in list {
            if !seen.insert(name) {
                self.problem(index, step, Some(name), format!("listed twice in {what}"));
            }
        }
    }

    fn step(&mut self, index: usize, step: &Step) {
        if let Some(confidence) = step.confidence
            && !(0.0..=1.0).contains(&confidence)
        {
            self.problem(
                index,
                step,
                None,
                format!("confidence {confidence} is not in [0, 1]"),
            );
        }
        if step.rationale.trim().is_empty() {
            self.problem(index, step, None, "rationale must not be empty".to_owned());
        }
        match &step.operation {
            Operation::DropColumns { columns } => {
                self.non_empty(index, step, columns, "columns");
                for name in columns {
                    if self.lookup(index, step, name).is_some() {
                        self.remove(name, format!("dropped by step {index}"));
                    }
                }
            }
            Operation::Rename { mapping } => self.rename(index, step, mapping),
            Operation::Cast { column, to } => {
                if let Some(from) = self.lookup(index, step, column) {
                    if cast_allowed(from, *to) {
                        self.set_type(column, *to);
                    } else {
                        self.problem(
                            index,
                            step,
                            Some(column),
                            format!("cannot cast {} to {}", type_name(from), type_name(*to)),
                        );
                    }
                }
            }
            Operation::ParseDates { column, format, to } => {
                if self
                    .require(index, step, column, |t| t == LogicalType::String, "string")
                    .is_some()
                {
                    if !matches!(to, LogicalType::Date | LogicalType::Datetime) {
                        self.problem(
                            index,
                            step,
                            Some(column),
                            format!("to must be date or datetime, not {}", type_name(*to)),
                        );
                    } else {
                        self.set_type(column, *to);
                    }
                }
                if !format.contains('%') {
                    self.problem(
                        index,
                        step,
                        Some(column),
                        format!("format '{format}' has no % directive (such as %Y-%m-%d)"),
                    );
                }
            }
            Operation::TrimWhitespace { columns } | Operation::NormalizeCase { columns, .. } => {
                self.non_empty(index, step, columns, "columns");
                for name in columns {
                    self.require(index, step, name, |t| t == LogicalType::String, "string");
                }
            }
            Operation::ReplaceValues { column, mapping } => {
                self.require(index, step, column, |t| t == LogicalType::String, "string");
                if mapping.is_empty() {
                    self.problem(
                        index,
                        step,
                        Some(column),
                        "mapping must not be empty".to_owned(),
                    );
                }
            }
            Operation::Impute {
                columns,
                strategy,
                value,
            } => {
                self.impute(index, step, columns, *strategy, value.as_ref());
            }
            Operation::DropNulls { subset, threshold } => {
                let width = match subset {
                    Some(list) => {
                        self.non_empty(index, step, list, "subset");
                        for name in list {
                            self.lookup(index, step, name);
                        }
                        list.len()
                    }
                    None => self.columns.columns.len(),
                };
                if let Some(threshold) = threshold
                    && (*threshold == 0 || *threshold > width)
                {
                    self.problem(
                        index,
                        step,
                        None,
                        format!("threshold {threshold} must be between 1 and {width}"),
                    );
                }
            }
            Operation::Deduplicate { subset, .. } => {
                if let Some(list) = subset {
                    self.non_empty(index, step, list, "subset");
                    for name in list {
                        self.lookup(index, step, name);
                    }
                }
            }
            Operation::ClipOutliers {
                columns,
                method,
                k,
                lower,
                upper,
            } => {
                self.non_empty(index, step, columns, "columns");
                self.clip_parameters(index, step, *method, *k, *lower, *upper);
                for name in columns {
                    if self
                        .require(index, step, name, is_numeric, "numeric")
                        .is_some()
                    {
                        self.set_type(name, LogicalType::Float);
                    }
                }
            }
            Operation::Standardize { columns }
            | Operation::MinMaxScale { columns }
            | Operation::Log1p { columns } => {
                self.non_empty(index, step, columns, "columns");
                for name in columns {
                    if self
                        .require(index, step, name, is_numeric, "numeric")
                        .is_some()
                    {
                        self.set_type(name, LogicalType::Float);
                    }
                }
            }
            Operation::OneHot {
                column,
                max_categories,
            } => {
                let accepts = |t| {
                    matches!(
                        t,
                        LogicalType::String | LogicalType::Boolean | LogicalType::Integer
                    )
                };
                if self
                    .require(index, step, column, accepts, "string, boolean or integer")
                    .is_some()
                {
                    self.remove(column, format!("one-hot encoded by step {index}"));
                    self.one_hot_prefixes.push(format!("{column}_"));
                }
                if !(1..=1000).contains(max_categories) {
                    self.problem(
                        index,
                        step,
                        Some(column),
                        format!("max_categories {max_categories} must be between 1 and 1000"),
                    );
                }
            }
            Operation::FilterRows { predicate } => self.filter(index, step, predicate),
            Operation::DropConstantColumns { columns } => {
                let candidates: Vec<String> = match columns {
                    Some(list) => {
                        self.non_empty(index, step, list, "columns");
                        list.iter()
                            .filter(|name| self.lookup(index, step, name).is_some())
                            .cloned()
                            .collect()
                    }
                    None => self
                        .columns
                        .columns
                        .iter()
                        .map(|(n, _)| n.clone())
                        .collect(),
                };
                for name in candidates {
                    self.maybe_constant.insert(name, index);
                }
            }
        }
    }

    fn rename(
        &mut self,
        index: usize,
        step: &Step,
        mapping: &std::collections::BTreeMap<String, String>,
    ) {
        if mapping.is_empty() {
            self.problem(index, step, None, "mapping must not be empty".to_owned());
        }
        let mut targets = BTreeSet::new();
        for (old, new) in mapping {
            if new.trim().is_empty() {
                self.problem(
                    index,
                    step,
                    Some(old),
                    "new name must not be empty".to_owned(),
                );
            }
            if new.starts_with(RESERVED_PREFIX) {
                self.problem(
                    index,
                    step,
                    Some(old),
                    format!("new name '{new}' uses the reserved prefix {RESERVED_PREFIX}"),
                );
            }
            if !targets.insert(new) {
                self.problem(
                    index,
                    step,
                    Some(old),
                    format!("two columns renamed to '{new}'"),
                );
            }
            let stays = self.columns.get(new).is_some() && !mapping.contains_key(new);
            if stays {
                self.problem(
                    index,
                    step,
                    Some(old),
                    format!("new name '{new}' is already a column"),
                );
            }
            self.lookup(index, step, old);
        }
        if self.problems.iter().any(|p| p.step == index) {
            return;
        }
        for (name, _) in &mut self.columns.columns {
            if let Some(new) = mapping.get(name.as_str()) {
                *name = new.clone();
            }
        }
        for (old, new) in mapping {
            if !mapping.values().any(|v| v == old) {
                self.fates
                    .insert(old.clone(), format!("renamed to '{new}' by step {index}"));
            }
            self.fates.remove(new);
        }
    }

    fn impute(
        &mut self,
        index: usize,
        step: &Step,
        columns: &[String],
        strategy: ImputeStrategy,
        value: Option<&serde_json::Value>,
    ) {
        self.non_empty(index, step, columns, "columns");
        if strategy != ImputeStrategy::Constant && value.is_some() {
            self.problem(
                index,
                step,
                None,
                "value is only used by the constant strategy".to_owned(),
            );
        }
        for name in columns {
            let Some(t) = self.lookup(index, step, name) else {
                continue;
            };
            match strategy {
                ImputeStrategy::Mean | ImputeStrategy::Median => {
                    if is_numeric(t) {
                        self.set_type(name, LogicalType::Float);
                    } else {
                        self.problem(
                            index,
                            step,
                            Some(name),
                            format!(
                                "{strategy:?} needs a numeric column, but the column is {}",
                                type_name(t)
                            )
                            .to_lowercase(),
                        );
                    }
                }
                ImputeStrategy::Mode | ImputeStrategy::ForwardFill => {}
                ImputeStrategy::Constant => {
                    let fits = match (t, value) {
                        (_, None) => {
                            self.problem(
                                index,
                                step,
                                Some(name),
                                "the constant strategy needs a value".to_owned(),
                            );
                            continue;
                        }
                        (LogicalType::Integer, Some(v)) => v.is_i64(),
                        (LogicalType::Float, Some(v)) => v.is_number(),
                        (LogicalType::Boolean, Some(v)) => v.is_boolean(),
                        (_, Some(v)) => v.is_string(),
                    };
                    if !fits {
                        self.problem(
                            index,
                            step,
                            Some(name),
                            format!(
                                "value {} does not fit a {} column",
                                value.map(ToString::to_string).unwrap_or_default(),
                                type_name(t)
                            ),
                        );
                    }
                }
            }
        }
    }

    fn clip_parameters(
        &mut self,
        index: usize,
        step: &Step,
        method: ClipMethod,
        k: Option<f64>,
        lower: Option<f64>,
        upper: Option<f64>,
    ) {
        match method {
            ClipMethod::Iqr | ClipMethod::Mad => {
                if let Some(k) = k
                    && !(k.is_finite() && k > 0.0)
                {
                    self.problem(
                        index,
                        step,
                        None,
                        format!("k {k} must be a positive number"),
                    );
                }
                if lower.is_some() || upper.is_some() {
                    self.problem(
                        index,
                        step,
                        None,
                        "lower and upper are only used by the quantile method".to_owned(),
                    );
                }
            }
            ClipMethod::Quantile => {
                if k.is_some() {
                    self.problem(
                        index,
                        step,
                        None,
                        "k is not used by the quantile method".to_owned(),
                    );
                }
                let (lo, hi) = (lower.unwrap_or(0.01), upper.unwrap_or(0.99));
                if !(0.0..=1.0).contains(&lo) || !(0.0..=1.0).contains(&hi) || lo >= hi {
                    self.problem(
                        index,
                        step,
                        None,
                        format!("quantiles need 0 <= lower < upper <= 1, got {lo} and {hi}"),
                    );
                }
            }
        }
    }

    fn filter(&mut self, index: usize, step: &Step, text: &str) {
        let parsed = match predicate::parse(text) {
            Ok(parsed) => parsed,
            Err(error) => {
                self.problem(
                    index,
                    step,
                    None,
                    format!("predicate does not parse {error}"),
                );
                return;
            }
        };
        for name in parsed.columns() {
            self.lookup(index, step, name);
        }
        for name in parsed.truthy_columns() {
            if let Some(t) = self.columns.get(name)
                && t != LogicalType::Boolean
            {
                self.problem(
                    index,
                    step,
                    Some(name),
                    format!(
                        "a {} column cannot stand alone in a predicate; compare it",
                        type_name(t)
                    ),
                );
            }
        }
        for (name, _, literal) in parsed.comparisons() {
            let Some(t) = self.columns.get(name) else {
                continue;
            };
            let fits = match literal {
                Literal::Integer(_) | Literal::Float(_) => is_numeric(t),
                Literal::Boolean(_) => t == LogicalType::Boolean,
                Literal::Text(_) => matches!(
                    t,
                    LogicalType::String
                        | LogicalType::Date
                        | LogicalType::Datetime
                        | LogicalType::DatetimeTz
                ),
            };
            if !fits {
                self.problem(
                    index,
                    step,
                    Some(name),
                    format!("cannot compare a {} column with {literal:?}", type_name(t)),
                );
            } else if let Literal::Text(text) = literal
                && !temporal_literal_parses(t, text)
            {
                // polars would turn an unreadable literal into null and silently drop every row.
                self.problem(
                    index,
                    step,
                    Some(name),
                    format!(
                        "'{text}' is not a {} (write dates as YYYY-MM-DD, datetimes as \
                         YYYY-MM-DD HH:MM:SS)",
                        type_name(t)
                    ),
                );
            }
        }
    }
}
