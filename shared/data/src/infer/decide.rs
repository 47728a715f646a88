//! Turns what the scan counted into one choice per column, by the documented rule: the typed
//! candidate that fits the most non-null values wins if it fits at least the minimum share;
//! ties go to the narrowest type (boolean, integer, float, date, date-time, date-time with
//! offset, formatted number). Ambiguity, lost digits or lost leading zeros keep the column text.

use crate::schema::{LogicalType, SemanticType, SourceFormat};

use super::formatted::Separators;
use super::scan::{FormattedTally, Scan, Tally};
use super::semantic::TEXT_MEANINGS;
use super::temporal::{DATE_PATTERNS, DatePattern, FieldOrder, time_strftime};

/// The type a column is converted to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Choice {
    /// Boolean words.
    Boolean,
    /// Plain integers.
    Integer,
    /// Plain floats.
    Float,
    /// Bare dates in one pattern.
    Date(DatePattern),
    /// Date-times without offset in one date pattern.
    Datetime(DatePattern),
    /// Date-times with offset, stored as UTC.
    DatetimeTz(DatePattern),
    /// Formatted numbers in one separator convention, stored as i64 when `integer`.
    Formatted {
        /// The separator convention.
        separators: Separators,
        /// Whether every value is an integer within i64.
        integer: bool,
    },
    /// Kept as text, possibly with a recognised meaning.
    Text(Option<SemanticType>),
}

impl Choice {
    /// The logical type of the converted column.
    pub(crate) fn logical_type(&self) -> LogicalType {
        match self {
            Choice::Boolean => LogicalType::Boolean,
            Choice::Integer | Choice::Formatted { integer: true, .. } => LogicalType::Integer,
            Choice::Float | Choice::Formatted { integer: false, .. } => LogicalType::Float,
            Choice::Date(_) => LogicalType::Date,
            Choice::Datetime(_) => LogicalType::Datetime,
            Choice::DatetimeTz(_) => LogicalType::DatetimeTz,
            Choice::Text(_) => LogicalType::String,
        }
    }
}

/// The choice for a column, how its source was written, and why.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Decision {
    /// The conversion to apply.
    pub(crate) choice: Choice,
    /// The meaning recognised, if any.
    pub(crate) semantic_type: Option<SemanticType>,
    /// How the source wrote converted values.
    pub(crate) source_format: Option<SourceFormat>,
    /// Sentences for a person who may question the choice.
    pub(crate) notes: Vec<String>,
}

impl Decision {
    fn text(semantic_type: Option<SemanticType>, notes: Vec<String>) -> Self {
        Self {
            choice: Choice::Text(semantic_type),
            semantic_type,
            source_format: None,
            notes,
        }
    }
}

/// A typed candidate and its failures, in order of preference.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Candidate {
    Boolean,
    Integer,
    Float,
    Date(usize),
    Datetime(usize),
    DatetimeTz(usize),
    Formatted(usize),
}

/// Decides the type of a scanned column. `min_type_share` is the share of non-null values a
/// type must fit.
pub(crate) fn decide(scan: &Scan, min_type_share: f64) -> Decision {
    if scan.non_null == 0 {
        return Decision::text(None, Vec::new());
    }
    let required = required_fits(scan.non_null, min_type_share);
    let eligible = |tally: &Tally| {
        tally.alive
            && scan.complete
            && scan.non_null - tally.failures.min(scan.non_null) >= required
    };
    let mut candidates: Vec<(Candidate, u64)> = Vec::new();
    let mut push = |candidate: Candidate, tally: &Tally| {
        if eligible(tally) {
            candidates.push((candidate, tally.failures));
        }
    };
    push(Candidate::Boolean, &scan.boolean);
    push(Candidate::Integer, &scan.integer);
    push(Candidate::Float, &scan.float);
    for (index, tally) in scan.date.iter().enumerate() {
        push(Candidate::Date(index), tally);
    }
    for (index, tally) in scan.datetime.iter().enumerate() {
        push(Candidate::Datetime(index), tally);
    }
    for (index, tally) in scan.datetime_tz.iter().enumerate() {
        push(Candidate::DatetimeTz(index), tally);
    }
    for (index, formatted) in scan.formatted.iter().enumerate() {
        if formatted.alive && scan.complete {
            candidates.push((Candidate::Formatted(index), 0));
        }
    }
    let best = candidates
        .iter()
        .copied()
        .reduce(|best, next| if next.1 < best.1 { next } else { best });
    match best {
        None => text_decision(scan, min_type_share),
        Some((candidate, failures)) => typed_decision(scan, candidate, failures, &candidates)
            .unwrap_or_else(|notes| {
                let mut text = text_decision(scan, min_type_share);
                text.notes.extend(notes);
                text
            }),
    }
}

/// The decision for a typed winner, or the notes explaining why the column stays text.
fn typed_decision(
    scan: &Scan,
    candidate: Candidate,
    failures: u64,
    candidates: &[(Candidate, u64)],
) -> Result<Decision, Vec<String>> {
    let typed = |choice: Choice| Decision {
        choice,
        semantic_type: None,
        source_format: None,
        notes: Vec::new(),
    };
    match candidate {
        Candidate::Boolean => Ok(typed(Choice::Boolean)),
        Candidate::Integer | Candidate::Float if scan.leading_zero => Err(vec![
            "numbers written with leading zeros (such as codes like 007) are kept as text so the zeros are not lost"
                .to_owned(),
        ]),
        Candidate::Integer => Ok(typed(Choice::Integer)),
        Candidate::Float if scan.integer_too_large && !scan.non_integer_float => Err(vec![
            "integers beyond the 64-bit range are kept as text so every digit stays exact"
                .to_owned(),
        ]),
        Candidate::Float => Ok(typed(Choice::Float)),
        Candidate::Date(index) | Candidate::Datetime(index) | Candidate::DatetimeTz(index) => {
            temporal_decision(scan, candidate, index, failures, candidates)
        }
        Candidate::Formatted(index) => formatted_decision(scan, index),
    }
}

fn same_kind(a: Candidate, b: Candidate) -> Option<usize> {
    match (a, b) {
        (Candidate::Date(_), Candidate::Date(other))
        | (Candidate::Datetime(_), Candidate::Datetime(other))
        | (Candidate::DatetimeTz(_), Candidate::DatetimeTz(other)) => Some(other),
        _ => None,
    }
}

fn temporal_decision(
    scan: &Scan,
    candidate: Candidate,
    index: usize,
    failures: u64,
    candidates: &[(Candidate, u64)],
) -> Result<Decision, Vec<String>> {
    let pattern = *DATE_PATTERNS.get(index).ok_or_else(Vec::new)?;
    let twin = candidates.iter().find_map(|(other, other_failures)| {
        let other_index = same_kind(candidate, *other)?;
        (other_index != index && *other_failures == failures).then_some(other_index)
    });
    if let Some(twin) = twin.and_then(|i| DATE_PATTERNS.get(i)) {
        let (day_first, month_first) = if pattern.order == FieldOrder::DayMonthYear {
            (pattern, *twin)
        } else {
            (*twin, pattern)
        };
        return Err(vec![format!(
            "every date reads both day-first ({}) and month-first ({}); kept as text rather than guess",
            day_first.strftime(),
            month_first.strftime()
        )]);
    }
    let style = scan.time_style;
    let time = |offset| {
        time_strftime(
            style.separator.unwrap_or(b'T'),
            style.seconds,
            style.fraction,
            offset,
        )
    };
    let (choice, date_pattern) = match candidate {
        Candidate::Date(_) => (Choice::Date(pattern), pattern.strftime()),
        Candidate::Datetime(_) => (
            Choice::Datetime(pattern),
            format!("{}{}", pattern.strftime(), time(None)),
        ),
        _ => (
            Choice::DatetimeTz(pattern),
            format!("{}{}", pattern.strftime(), time(style.offset)),
        ),
    };
    Ok(Decision {
        choice,
        semantic_type: None,
        source_format: Some(SourceFormat {
            date_pattern: Some(date_pattern),
            ..SourceFormat::default()
        }),
        notes: Vec::new(),
    })
}

fn formatted_decision(scan: &Scan, index: usize) -> Result<Decision, Vec<String>> {
    let formatted: &FormattedTally = scan.formatted.get(index).ok_or_else(Vec::new)?;
    let [comma, dot] = &scan.formatted;
    if comma.alive && dot.alive && (comma.grouped || comma.decimal) {
        return Err(vec![
            "numbers read both as 1,234.5 and as 1.234,5 (every separator is followed by three digits); kept as text rather than guess"
                .to_owned(),
        ]);
    }
    if let Some(symbol) = formatted.symbol
        && formatted.with_symbol != scan.non_null
    {
        return Err(vec![format!(
            "the currency symbol {symbol} is written on only some values; kept as text"
        )]);
    }
    if formatted.with_percent != 0 && formatted.with_percent != scan.non_null {
        return Err(vec![
            "the % sign is written on only some values; kept as text".to_owned(),
        ]);
    }
    let semantic_type = if formatted.symbol.is_some() {
        SemanticType::Currency
    } else if formatted.with_percent > 0 {
        SemanticType::Percent
    } else {
        SemanticType::FormattedNumber
    };
    let separators = formatted.separators;
    let source_format = SourceFormat {
        currency_symbol: formatted.symbol.map(String::from),
        percent: formatted.with_percent > 0,
        thousands_separator: formatted
            .grouped
            .then(|| separators.thousands().to_string()),
        decimal_separator: (separators == Separators::DotThousands && formatted.decimal)
            .then(|| separators.decimal().to_string()),
        ..SourceFormat::default()
    };
    Ok(Decision {
        choice: Choice::Formatted {
            separators,
            integer: formatted.all_integers,
        },
        semantic_type: Some(semantic_type),
        source_format: Some(source_format),
        notes: Vec::new(),
    })
}

/// Text, labelled with the meaning that fits the most values (at least the minimum share).
fn text_decision(scan: &Scan, min_type_share: f64) -> Decision {
    let required = required_fits(scan.non_null, min_type_share);
    let meaning = scan
        .meanings
        .iter()
        .zip(TEXT_MEANINGS)
        .filter(|(tally, _)| {
            tally.alive
                && scan.complete
                && scan.non_null - tally.failures.min(scan.non_null) >= required
        })
        .reduce(|best, next| {
            if next.0.failures < best.0.failures {
                next
            } else {
                best
            }
        })
        .map(|(_, meaning)| meaning);
    let mut notes = Vec::new();
    for formatted in &scan.formatted {
        if let (true, Some(failure)) = (formatted.marked(), &formatted.first_failure) {
            notes.push(format!(
                "values look like formatted numbers but {failure:?} does not convert; kept as text"
            ));
            break;
        }
    }
    Decision::text(meaning, notes)
}

/// Values a candidate must accept: the share of the non-null values, and never zero (a type
/// that fits nothing is not a type of the column, whatever the share).
fn required_fits(non_null: u64, min_type_share: f64) -> u64 {
    ((min_type_share * non_null as f64).ceil() as u64).max(1)
}
