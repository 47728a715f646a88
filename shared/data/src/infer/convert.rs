//! The second pass: converts every value of a text column to the chosen type, turning missing
//! values into nulls and counting (with examples) the values that do not fit.
//!
//! It never drops a row and never invents a value: a value that does not convert is null in
//! the output and is reported in `invalid_count` / `invalid_examples`.

use polars::prelude::{
    BooleanChunked, Column, Float64Chunked, Int32Chunked, Int64Chunked, IntoColumn, IntoSeries,
    PlSmallStr, Series, StringChunked, TimeUnit, TimeZone,
};

use crate::schema::SemanticType;

use super::decide::Choice;
use super::formatted::parse_formatted;
use super::number::{IntegerText, parse_boolean, parse_float, parse_integer};
use super::options::NullTokens;
use super::semantic::fits;
use super::temporal::{DatePattern, epoch_days, epoch_micros, parse_time, split_date};

/// Values that did not fit the chosen type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Invalid {
    /// How many.
    pub(crate) count: u64,
    /// The first distinct ones, as written in the source.
    pub(crate) examples: Vec<String>,
    limit: usize,
}

impl Invalid {
    fn new(limit: usize) -> Self {
        Self {
            count: 0,
            examples: Vec::new(),
            limit,
        }
    }

    #[inline]
    fn push(&mut self, source: &str) {
        self.count += 1;
        if self.examples.len() < self.limit && !self.examples.iter().any(|e| e == source) {
            self.examples.push(source.to_owned());
        }
    }
}

/// Reads one cell: `None` when missing, otherwise the parsed value (or `None` counted invalid).
#[inline]
fn read<T>(
    cell: Option<&str>,
    tokens: &NullTokens,
    invalid: &mut Invalid,
    parse: impl Fn(&str) -> Option<T>,
) -> Option<T> {
    let text = tokens.value(cell)?;
    let value = parse(text);
    if value.is_none() {
        invalid.push(cell.unwrap_or_default());
    }
    value
}

/// Parses a date-like text under `pattern`: `with_time` says whether a time is required,
/// allowed or refused, and `offset` whether an offset must be present.
#[inline]
fn temporal(text: &str, pattern: &DatePattern, offset: bool) -> Option<i64> {
    let (parts, rest) = split_date(text)?;
    let date = pattern.date(&parts)?;
    let time = parse_time(rest).ok()?;
    let has_offset = time.is_some_and(|t| t.offset.is_some());
    (has_offset == offset).then(|| epoch_micros(date, time.as_ref()))
}

/// Converts `column` to `choice`; the result is named `name`.
pub(crate) fn convert(
    name: PlSmallStr,
    column: &StringChunked,
    tokens: &NullTokens,
    choice: &Choice,
    max_examples: usize,
) -> (Column, Invalid) {
    let mut invalid = Invalid::new(max_examples);
    let cells = column.iter();
    let series = match choice {
        Choice::Boolean => cells
            .map(|c| read(c, tokens, &mut invalid, parse_boolean))
            .collect::<BooleanChunked>()
            .with_name(name)
            .into_series(),
        Choice::Integer => cells
            .map(|c| {
                read(c, tokens, &mut invalid, |t| match parse_integer(t) {
                    IntegerText::Fits(value) => Some(value),
                    IntegerText::No | IntegerText::TooLarge => None,
                })
            })
            .collect::<Int64Chunked>()
            .with_name(name)
            .into_series(),
        Choice::Float => cells
            .map(|c| read(c, tokens, &mut invalid, parse_float))
            .collect::<Float64Chunked>()
            .with_name(name)
            .into_series(),
        Choice::Date(pattern) => cells
            .map(|c| {
                read(c, tokens, &mut invalid, |t| {
                    let (parts, rest) = split_date(t)?;
                    rest.is_empty().then_some(())?;
                    pattern.date(&parts).map(epoch_days)
                })
            })
            .collect::<Int32Chunked>()
            .with_name(name)
            .into_date()
            .into_series(),
        Choice::Datetime(pattern) | Choice::DatetimeTz(pattern) => {
            let offset = matches!(choice, Choice::DatetimeTz(_));
            let zone = offset.then_some(TimeZone::UTC);
            cells
                .map(|c| read(c, tokens, &mut invalid, |t| temporal(t, pattern, offset)))
                .collect::<Int64Chunked>()
                .with_name(name)
                .into_datetime(TimeUnit::Microseconds, zone)
                .into_series()
        }
        Choice::Formatted {
            separators,
            integer: true,
        } => cells
            .map(|c| {
                read(c, tokens, &mut invalid, |t| {
                    parse_formatted(t, *separators)?.integer
                })
            })
            .collect::<Int64Chunked>()
            .with_name(name)
            .into_series(),
        Choice::Formatted {
            separators,
            integer: false,
        } => cells
            .map(|c| {
                read(c, tokens, &mut invalid, |t| {
                    parse_formatted(t, *separators).map(|n| n.value)
                })
            })
            .collect::<Float64Chunked>()
            .with_name(name)
            .into_series(),
        Choice::Text(meaning) => text(name, column, tokens, *meaning, &mut invalid),
    };
    (series.into_column(), invalid)
}

/// Keeps the text as written, nulling missing cells; counts values without the meaning's shape.
fn text(
    name: PlSmallStr,
    column: &StringChunked,
    tokens: &NullTokens,
    meaning: Option<SemanticType>,
    invalid: &mut Invalid,
) -> Series {
    let mut tokens_present = false;
    for cell in column.iter() {
        match (tokens.value(cell), cell) {
            (None, Some(_)) => tokens_present = true,
            (Some(text), Some(source)) => {
                if meaning.is_some_and(|m| !fits(m, text)) {
                    invalid.push(source);
                }
            }
            (_, None) => {}
        }
    }
    // Most text columns hold no null token: the column is then shared, not copied.
    let kept = if tokens_present {
        column
            .iter()
            .map(|cell| tokens.value(cell).and(cell))
            .collect::<StringChunked>()
    } else {
        column.clone()
    };
    kept.with_name(name).into_series()
}
