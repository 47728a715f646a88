//! One pass over every value of a text column that tests all candidate types at once and drops
//! each candidate as soon as it has failed on more values than the majority rule allows.
//!
//! The scan only counts; it never converts or allocates per value (the formatted-number test
//! excepted), and it stops early once no candidate is left, because the conversion pass counts
//! the nulls anyway. It must see every value while any candidate is alive: a sample is not proof.

use polars::prelude::StringChunked;

use super::formatted::{Separators, parse_formatted};
use super::number::{IntegerText, has_leading_zero, parse_boolean, parse_float, parse_integer};
use super::options::NullTokens;
use super::semantic::{TEXT_MEANINGS, fits};
use super::temporal::{DATE_PATTERNS, OffsetStyle, parse_time, split_date};

/// Number of date patterns, so tallies can live in fixed arrays.
const PATTERNS: usize = DATE_PATTERNS.len();

/// Failures of one candidate, and whether it is still tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tally {
    /// Non-null values the candidate did not accept.
    pub(crate) failures: u64,
    /// False once the failures exceed the allowance.
    pub(crate) alive: bool,
}

impl Tally {
    const ALIVE: Tally = Tally {
        failures: 0,
        alive: true,
    };

    #[inline]
    fn record(&mut self, accepted: bool, allowance: u64) {
        if !accepted {
            self.failures += 1;
            if self.failures > allowance {
                self.alive = false;
            }
        }
    }
}

/// What the formatted-number candidate of one separator convention saw.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FormattedTally {
    /// The convention tested.
    pub(crate) separators: Separators,
    /// False after the first value that does not convert or changes the symbol.
    pub(crate) alive: bool,
    /// The currency symbol of the column (the first one written).
    pub(crate) symbol: Option<char>,
    /// Values written with the symbol.
    pub(crate) with_symbol: u64,
    /// Values written with `%`.
    pub(crate) with_percent: u64,
    /// Whether any value used a thousands separator.
    pub(crate) grouped: bool,
    /// Whether any value used a decimal separator.
    pub(crate) decimal: bool,
    /// Whether every value converted to an i64 without a decimal part.
    pub(crate) all_integers: bool,
    /// The first value that did not convert, for the note that explains why the column is text.
    pub(crate) first_failure: Option<String>,
}

impl FormattedTally {
    fn new(separators: Separators) -> Self {
        Self {
            separators,
            alive: true,
            symbol: None,
            with_symbol: 0,
            with_percent: 0,
            grouped: false,
            decimal: false,
            all_integers: true,
            first_failure: None,
        }
    }

    #[inline]
    fn record(&mut self, text: &str) {
        let Some(number) = parse_formatted(text, self.separators) else {
            self.fail(text);
            return;
        };
        if let Some(symbol) = number.symbol {
            if self.symbol.is_some_and(|seen| seen != symbol) {
                self.fail(text);
                return;
            }
            self.symbol = Some(symbol);
            self.with_symbol += 1;
        }
        self.with_percent += u64::from(number.percent);
        self.grouped |= number.grouped;
        self.decimal |= number.decimal;
        self.all_integers &= number.integer.is_some();
    }

    fn fail(&mut self, text: &str) {
        self.alive = false;
        self.first_failure = Some(text.to_owned());
    }

    /// Whether the values that converted carried a mark (symbol, `%`, separators).
    pub(crate) fn marked(&self) -> bool {
        self.with_symbol > 0 || self.with_percent > 0 || self.grouped
    }
}

/// How the time parts of a column's date-times were written (the richest form seen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct TimeStyle {
    /// `T` or a space, as first seen.
    pub(crate) separator: Option<u8>,
    /// Whether any value wrote seconds.
    pub(crate) seconds: bool,
    /// Whether any value wrote fractional seconds.
    pub(crate) fraction: bool,
    /// The offset form, as first seen.
    pub(crate) offset: Option<OffsetStyle>,
}

/// Everything the scan learnt about one column.
#[derive(Debug, Clone)]
pub(crate) struct Scan {
    /// Values scanned that were not missing.
    pub(crate) non_null: u64,
    /// Whether the scan read every value (false when it stopped because nothing was left).
    pub(crate) complete: bool,
    /// Boolean words.
    pub(crate) boolean: Tally,
    /// Plain integers within i64.
    pub(crate) integer: Tally,
    /// Plain floats.
    pub(crate) float: Tally,
    /// Bare dates, per pattern of [`DATE_PATTERNS`].
    pub(crate) date: [Tally; PATTERNS],
    /// Date-times without offset (a bare date reads as midnight), per pattern.
    pub(crate) datetime: [Tally; PATTERNS],
    /// Date-times with offset, per pattern.
    pub(crate) datetime_tz: [Tally; PATTERNS],
    /// Formatted numbers, comma-thousands then dot-thousands.
    pub(crate) formatted: [FormattedTally; 2],
    /// Text meanings, in the order of [`TEXT_MEANINGS`].
    pub(crate) meanings: [Tally; TEXT_MEANINGS.len()],
    /// An integer-looking value beyond i64 was seen.
    pub(crate) integer_too_large: bool,
    /// An integer-looking value with a leading zero (`007`) was seen.
    pub(crate) leading_zero: bool,
    /// A float that is not integer-looking (`1.5`, `1e3`) was seen.
    pub(crate) non_integer_float: bool,
    /// How the time parts were written.
    pub(crate) time_style: TimeStyle,
}

impl Scan {
    fn new() -> Self {
        Self {
            non_null: 0,
            complete: true,
            boolean: Tally::ALIVE,
            integer: Tally::ALIVE,
            float: Tally::ALIVE,
            date: [Tally::ALIVE; PATTERNS],
            datetime: [Tally::ALIVE; PATTERNS],
            datetime_tz: [Tally::ALIVE; PATTERNS],
            formatted: [
                FormattedTally::new(Separators::CommaThousands),
                FormattedTally::new(Separators::DotThousands),
            ],
            meanings: [Tally::ALIVE; TEXT_MEANINGS.len()],
            integer_too_large: false,
            leading_zero: false,
            non_integer_float: false,
            time_style: TimeStyle::default(),
        }
    }

    fn temporal_alive(&self) -> bool {
        self.date
            .iter()
            .chain(&self.datetime)
            .chain(&self.datetime_tz)
            .any(|t| t.alive)
    }

    fn anything_alive(&self) -> bool {
        self.boolean.alive
            || self.integer.alive
            || self.float.alive
            || self.temporal_alive()
            || self.formatted.iter().any(|f| f.alive)
            || self.meanings.iter().any(|t| t.alive)
    }

    /// Tests one non-null trimmed value against every live candidate.
    #[inline]
    fn record(&mut self, text: &str, allowance: u64) {
        self.non_null += 1;
        if self.boolean.alive {
            self.boolean
                .record(parse_boolean(text).is_some(), allowance);
        }
        let integer = if self.integer.alive || self.float.alive {
            parse_integer(text)
        } else {
            IntegerText::No
        };
        if self.integer.alive {
            match integer {
                IntegerText::Fits(_) => {
                    self.leading_zero |= has_leading_zero(text);
                    self.integer.record(true, allowance);
                }
                IntegerText::TooLarge => {
                    self.integer_too_large = true;
                    self.integer.record(false, allowance);
                }
                IntegerText::No => self.integer.record(false, allowance),
            }
        }
        if self.float.alive {
            let float = integer != IntegerText::No || parse_float(text).is_some();
            self.non_integer_float |= float && integer == IntegerText::No;
            self.float.record(float, allowance);
        }
        if self.temporal_alive() {
            self.record_temporal(text, allowance);
        }
        // A plain integer reads the same under every convention and carries no mark: only its
        // fitting in i64 matters, so the full parse is skipped on the hot path.
        for formatted in &mut self.formatted {
            if formatted.alive {
                match integer {
                    IntegerText::Fits(_) => {}
                    IntegerText::TooLarge => formatted.all_integers = false,
                    IntegerText::No => formatted.record(text),
                }
            }
        }
        for (tally, meaning) in self.meanings.iter_mut().zip(TEXT_MEANINGS) {
            if tally.alive {
                tally.record(fits(meaning, text), allowance);
            }
        }
    }

    #[inline]
    fn record_temporal(&mut self, text: &str, allowance: u64) {
        let split =
            split_date(text).and_then(|(parts, rest)| Some((parts, parse_time(rest).ok()?)));
        let Some((parts, time)) = split else {
            for tally in self
                .date
                .iter_mut()
                .chain(&mut self.datetime)
                .chain(&mut self.datetime_tz)
            {
                if tally.alive {
                    tally.record(false, allowance);
                }
            }
            return;
        };
        if let Some(time) = &time {
            let style = &mut self.time_style;
            style.separator.get_or_insert(time.separator);
            style.seconds |= time.seconds;
            style.fraction |= time.fraction;
            if let Some((_, offset)) = time.offset {
                style.offset.get_or_insert(offset);
            }
        }
        let has_offset = time.is_some_and(|t| t.offset.is_some());
        for (index, pattern) in DATE_PATTERNS.iter().enumerate() {
            let (Some(date), Some(datetime), Some(datetime_tz)) = (
                self.date.get_mut(index),
                self.datetime.get_mut(index),
                self.datetime_tz.get_mut(index),
            ) else {
                continue;
            };
            if !(date.alive || datetime.alive || datetime_tz.alive) {
                continue;
            }
            let valid = pattern.date(&parts).is_some();
            if date.alive {
                date.record(valid && time.is_none(), allowance);
            }
            if datetime.alive {
                datetime.record(valid && !has_offset, allowance);
            }
            if datetime_tz.alive {
                datetime_tz.record(valid && has_offset, allowance);
            }
        }
    }
}

/// Scans every value of `column` (stopping early only when no candidate is left).
pub(crate) fn scan(column: &StringChunked, tokens: &NullTokens, min_type_share: f64) -> Scan {
    let mut scan = Scan::new();
    // Failures a candidate may have and still reach the share. Counted against all rows, which
    // is never less than the non-null count, so no candidate that could pass is dropped early;
    // the exact share is checked once the non-null count is known.
    let rows = column.len() as f64;
    let allowance = ((1.0 - min_type_share).max(0.0) * rows).floor() as u64;
    for (index, cell) in column.iter().enumerate() {
        if let Some(text) = tokens.value(cell) {
            scan.record(text, allowance);
        }
        // Checking every value would cost a branch chain per value; every 1024 is enough.
        if index % 1024 == 1023 && !scan.anything_alive() {
            scan.complete = false;
            break;
        }
    }
    scan
}
