//! Dates and date-times written as text: the patterns inference knows, a byte-level splitter
//! and exact calendar checks.
//!
//! A value is tested against every pattern at once; the column, not the value, decides between
//! day-first and month-first. Nothing here guesses: a value either is a valid calendar date under
//! a pattern or it is not.

use chrono::{Datelike, NaiveDate};

/// The order of the day, month and year fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldOrder {
    /// `2024-02-13`.
    YearMonthDay,
    /// `13/02/2024`.
    DayMonthYear,
    /// `02/13/2024`.
    MonthDayYear,
}

/// One way of writing a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DatePattern {
    /// Field order.
    pub(crate) order: FieldOrder,
    /// Separator between the fields.
    pub(crate) separator: u8,
    /// Digits of the year: 4, or 2 for `%y` (69-99 -> 19xx, 00-68 -> 20xx, as POSIX `strptime`).
    pub(crate) year_digits: usize,
}

const fn pattern(order: FieldOrder, separator: u8, year_digits: usize) -> DatePattern {
    DatePattern {
        order,
        separator,
        year_digits,
    }
}

/// Every date pattern inference tries. Dotted dates are day-first only: the month-first dotted
/// form is not in use, so `01.02.2024` is the first of February.
pub(crate) const DATE_PATTERNS: [DatePattern; 11] = [
    pattern(FieldOrder::YearMonthDay, b'-', 4),
    pattern(FieldOrder::YearMonthDay, b'/', 4),
    pattern(FieldOrder::YearMonthDay, b'.', 4),
    pattern(FieldOrder::DayMonthYear, b'/', 4),
    pattern(FieldOrder::MonthDayYear, b'/', 4),
    pattern(FieldOrder::DayMonthYear, b'-', 4),
    pattern(FieldOrder::MonthDayYear, b'-', 4),
    pattern(FieldOrder::DayMonthYear, b'.', 4),
    pattern(FieldOrder::DayMonthYear, b'/', 2),
    pattern(FieldOrder::MonthDayYear, b'/', 2),
    pattern(FieldOrder::DayMonthYear, b'.', 2),
];

impl DatePattern {
    /// The pattern in chrono/strftime syntax, such as `%d/%m/%Y`.
    pub(crate) fn strftime(&self) -> String {
        let sep = char::from(self.separator);
        let year = if self.year_digits == 2 { "%y" } else { "%Y" };
        match self.order {
            FieldOrder::YearMonthDay => format!("{year}{sep}%m{sep}%d"),
            FieldOrder::DayMonthYear => format!("%d{sep}%m{sep}{year}"),
            FieldOrder::MonthDayYear => format!("%m{sep}%d{sep}{year}"),
        }
    }

    /// The calendar date `parts` denote under this pattern, if they fit it.
    #[inline]
    pub(crate) fn date(&self, parts: &DateParts) -> Option<NaiveDate> {
        if parts.separator != self.separator {
            return None;
        }
        let [first, second, third] = parts.fields;
        let (year, month, day) = match self.order {
            FieldOrder::YearMonthDay => {
                if first.digits != 4 || second.digits > 2 || third.digits > 2 {
                    return None;
                }
                (first.value, second.value, third.value)
            }
            FieldOrder::DayMonthYear | FieldOrder::MonthDayYear => {
                if first.digits > 2 || second.digits > 2 || third.digits != self.year_digits {
                    return None;
                }
                if self.order == FieldOrder::DayMonthYear {
                    (third.value, second.value, first.value)
                } else {
                    (third.value, first.value, second.value)
                }
            }
        };
        let year = if self.year_digits == 2 && self.order != FieldOrder::YearMonthDay {
            if year >= 69 { 1900 + year } else { 2000 + year }
        } else {
            year
        };
        NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
    }
}

/// A run of digits and how many there were.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Field {
    value: u32,
    digits: usize,
}

/// The three numeric fields of a date-like value, before any pattern is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DateParts {
    fields: [Field; 3],
    separator: u8,
}

/// Reads up to `max` digits from the start of `bytes`.
#[inline]
fn field(bytes: &[u8], max: usize) -> Option<(Field, &[u8])> {
    let digits = bytes
        .iter()
        .take(max + 1)
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 || digits > max {
        return None;
    }
    let (head, rest) = bytes.split_at_checked(digits)?;
    let value = head
        .iter()
        .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'));
    Some((Field { value, digits }, rest))
}

/// Splits a value into three date fields and the text after them (the time, if any).
#[inline]
pub(crate) fn split_date(text: &str) -> Option<(DateParts, &[u8])> {
    let bytes = text.as_bytes();
    if !bytes.first()?.is_ascii_digit() {
        return None;
    }
    let (first, rest) = field(bytes, 4)?;
    let (&separator, rest) = rest.split_first()?;
    if !matches!(separator, b'-' | b'/' | b'.') {
        return None;
    }
    let (second, rest) = field(rest, 2)?;
    let (&again, rest) = rest.split_first()?;
    if again != separator {
        return None;
    }
    let (third, rest) = field(rest, 4)?;
    Some((
        DateParts {
            fields: [first, second, third],
            separator,
        },
        rest,
    ))
}

/// How an offset was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OffsetStyle {
    /// `Z`.
    Zulu,
    /// `+02:00`.
    Colon,
    /// `+0200`.
    Compact,
    /// `+02`.
    Hours,
}

/// A time of day read after a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimeParts {
    /// Microseconds since midnight.
    pub(crate) micros: i64,
    /// `T` or a space.
    pub(crate) separator: u8,
    /// Whether seconds were written.
    pub(crate) seconds: bool,
    /// Whether fractional seconds were written.
    pub(crate) fraction: bool,
    /// The offset from UTC in seconds, and how it was written.
    pub(crate) offset: Option<(i32, OffsetStyle)>,
}

/// Reads exactly two digits.
#[inline]
fn two_digits(bytes: &[u8]) -> Option<(u32, &[u8])> {
    match bytes {
        [tens, ones, rest @ ..] if tens.is_ascii_digit() && ones.is_ascii_digit() => {
            Some((u32::from(tens - b'0') * 10 + u32::from(ones - b'0'), rest))
        }
        _ => None,
    }
}

/// Parses the text after a date: empty (a bare date) gives `Ok(None)`; a valid time gives
/// `Ok(Some(..))`; anything else is `Err(())`.
#[inline]
pub(crate) fn parse_time(rest: &[u8]) -> Result<Option<TimeParts>, ()> {
    let Some((&separator, rest)) = rest.split_first() else {
        return Ok(None);
    };
    if !matches!(separator, b'T' | b' ') {
        return Err(());
    }
    let (hour, rest) = two_digits(rest).ok_or(())?;
    let rest = rest.strip_prefix(b":").ok_or(())?;
    let (minute, mut rest) = two_digits(rest).ok_or(())?;
    let mut second = 0;
    let mut micros = 0i64;
    let mut seconds = false;
    let mut fraction = false;
    if let Some(after) = rest.strip_prefix(b":") {
        let (value, after) = two_digits(after).ok_or(())?;
        second = value;
        seconds = true;
        rest = after;
        if let Some(after) = rest.strip_prefix(b".") {
            let digits = after.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits == 0 || digits > 9 {
                return Err(());
            }
            let (frac, after) = after.split_at_checked(digits).ok_or(())?;
            // Microsecond storage: digits past the sixth are truncated, as polars does.
            let mut scaled = 0i64;
            for place in 0..6 {
                let digit = frac.get(place).map_or(0, |b| i64::from(b - b'0'));
                scaled = scaled * 10 + digit;
            }
            micros = scaled;
            fraction = true;
            rest = after;
        }
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err(());
    }
    let offset = parse_offset(rest)?;
    let of_day = (i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second)) * 1_000_000;
    Ok(Some(TimeParts {
        micros: of_day + micros,
        separator,
        seconds,
        fraction,
        offset,
    }))
}

/// Parses a trailing UTC offset (`Z`, `+02:00`, `+0200`, `+02`) or nothing.
#[inline]
fn parse_offset(rest: &[u8]) -> Result<Option<(i32, OffsetStyle)>, ()> {
    let Some((&sign, digits)) = rest.split_first() else {
        return Ok(None);
    };
    if matches!(sign, b'Z' | b'z') {
        return if digits.is_empty() {
            Ok(Some((0, OffsetStyle::Zulu)))
        } else {
            Err(())
        };
    }
    let sign = match sign {
        b'+' => 1,
        b'-' => -1,
        _ => return Err(()),
    };
    let (hours, after) = two_digits(digits).ok_or(())?;
    let (minutes, style, after) = if let Some(after) = after.strip_prefix(b":") {
        let (minutes, after) = two_digits(after).ok_or(())?;
        (minutes, OffsetStyle::Colon, after)
    } else if after.is_empty() {
        (0, OffsetStyle::Hours, after)
    } else {
        let (minutes, after) = two_digits(after).ok_or(())?;
        (minutes, OffsetStyle::Compact, after)
    };
    if !after.is_empty() || hours > 23 || minutes > 59 {
        return Err(());
    }
    let seconds = i32::try_from(hours * 3600 + minutes * 60).map_err(|_| ())?;
    Ok(Some((sign * seconds, style)))
}

/// Days from the Unix epoch (1970-01-01) to `date`, the storage of polars' `Date`.
#[inline]
pub(crate) fn epoch_days(date: NaiveDate) -> i32 {
    const CE_TO_EPOCH: i32 = 719_163;
    date.num_days_from_ce() - CE_TO_EPOCH
}

/// Microseconds from the Unix epoch to `date` at `time`, shifted to UTC by the offset.
#[inline]
pub(crate) fn epoch_micros(date: NaiveDate, time: Option<&TimeParts>) -> i64 {
    let day = i64::from(epoch_days(date)) * 86_400_000_000;
    match time {
        None => day,
        Some(time) => {
            let offset = time.offset.map_or(0, |(seconds, _)| i64::from(seconds));
            day + time.micros - offset * 1_000_000
        }
    }
}

/// The strftime text of the time part, built from what the column's values wrote.
pub(crate) fn time_strftime(
    separator: u8,
    seconds: bool,
    fraction: bool,
    offset: Option<OffsetStyle>,
) -> String {
    let mut text = String::new();
    text.push(char::from(separator));
    text.push_str("%H:%M");
    if seconds {
        text.push_str(":%S");
    }
    if fraction {
        text.push_str("%.f");
    }
    match offset {
        None => {}
        Some(OffsetStyle::Zulu) => text.push('Z'),
        Some(OffsetStyle::Colon) => text.push_str("%:z"),
        Some(OffsetStyle::Compact) => text.push_str("%z"),
        Some(OffsetStyle::Hours) => text.push_str("%#z"),
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dates(text: &str) -> Vec<(String, NaiveDate)> {
        let (parts, rest) = split_date(text).unwrap();
        assert!(rest.is_empty());
        DATE_PATTERNS
            .iter()
            .filter_map(|p| p.date(&parts).map(|d| (p.strftime(), d)))
            .collect()
    }

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn day_first_and_month_first_are_told_apart_by_the_value() {
        assert_eq!(
            dates("13/02/2024"),
            vec![("%d/%m/%Y".into(), ymd(2024, 2, 13))]
        );
        assert_eq!(
            dates("02/13/2024"),
            vec![("%m/%d/%Y".into(), ymd(2024, 2, 13))]
        );
        assert_eq!(
            dates("01/02/2024"),
            vec![
                ("%d/%m/%Y".into(), ymd(2024, 2, 1)),
                ("%m/%d/%Y".into(), ymd(2024, 1, 2))
            ]
        );
    }

    #[test]
    fn iso_dotted_and_two_digit_years() {
        assert_eq!(
            dates("2024-02-13"),
            vec![("%Y-%m-%d".into(), ymd(2024, 2, 13))]
        );
        assert_eq!(
            dates("2024/02/13"),
            vec![("%Y/%m/%d".into(), ymd(2024, 2, 13))]
        );
        assert_eq!(
            dates("13.02.2024"),
            vec![("%d.%m.%Y".into(), ymd(2024, 2, 13))]
        );
        assert_eq!(
            dates("13.02.24"),
            vec![("%d.%m.%y".into(), ymd(2024, 2, 13))]
        );
        assert_eq!(
            dates("31/12/69"),
            vec![("%d/%m/%y".into(), ymd(1969, 12, 31))]
        );
    }

    #[test]
    fn impossible_calendar_dates_fit_no_pattern() {
        assert!(dates("2023-02-29").is_empty());
        assert!(dates("31/04/2024").is_empty());
        assert_eq!(
            dates("29/02/2024"),
            vec![("%d/%m/%Y".into(), ymd(2024, 2, 29))]
        );
    }

    #[test]
    fn values_that_are_not_dates_do_not_split() {
        for text in [
            "",
            "abc",
            "2024",
            "2024-02",
            "2024-02/13",
            "12345-01-01",
            "1.5",
        ] {
            assert!(split_date(text).is_none(), "{text:?}");
        }
    }

    #[test]
    fn times_with_seconds_fractions_and_offsets() {
        let (_, rest) = split_date("2024-02-13T10:20:30.123456789+02:00").unwrap();
        let time = parse_time(rest).unwrap().unwrap();
        assert_eq!(
            time.micros,
            (10 * 3600 + 20 * 60 + 30) * 1_000_000 + 123_456
        );
        assert_eq!(time.offset, Some((7200, OffsetStyle::Colon)));
        assert!(time.seconds && time.fraction);

        let (_, rest) = split_date("2024-02-13 10:20").unwrap();
        let time = parse_time(rest).unwrap().unwrap();
        assert_eq!(time.micros, (10 * 3600 + 20 * 60) * 1_000_000);
        assert_eq!(time.offset, None);

        let (_, rest) = split_date("2024-02-13T00:00:00Z").unwrap();
        assert_eq!(
            parse_time(rest).unwrap().unwrap().offset,
            Some((0, OffsetStyle::Zulu))
        );
        let (_, rest) = split_date("2024-02-13T00:00:00-0530").unwrap();
        assert_eq!(
            parse_time(rest).unwrap().unwrap().offset,
            Some((-19800, OffsetStyle::Compact))
        );
    }

    #[test]
    fn malformed_times_are_rejected() {
        for rest in [
            "T25:00",
            "T10:60",
            "T10",
            "X10:00",
            "T10:00:00.",
            "T10:00+2",
            "T10:00Zx",
        ] {
            assert!(parse_time(rest.as_bytes()).is_err(), "{rest:?}");
        }
        assert_eq!(parse_time(b""), Ok(None));
    }

    #[test]
    fn epoch_conversions_match_known_instants() {
        assert_eq!(epoch_days(ymd(1970, 1, 1)), 0);
        assert_eq!(epoch_days(ymd(2024, 2, 13)), 19766);
        let (_, rest) = split_date("2024-02-13T10:00:00+02:00").unwrap();
        let time = parse_time(rest).unwrap().unwrap();
        // 2024-02-13T08:00:00Z
        assert_eq!(
            epoch_micros(ymd(2024, 2, 13), Some(&time)),
            1_707_811_200_000_000
        );
    }
}
