//! Range and monthly counts of date and datetime columns, plus the implausible-date findings.
//!
//! Dates are days since 1970-01-01 and datetimes are UTC instants (time zone aware columns are
//! stored as UTC); months are calendar months of the proleptic Gregorian calendar in UTC. This
//! module must never read the system clock: "now" comes from the configuration.

use std::collections::BTreeMap;

use polars::prelude::{DataType, Series, TimeUnit};
use serde::{Deserialize, Serialize};

use super::alerts::Findings;
use super::config::ProfileConfig;
use crate::error::Result;

/// Range and month histogram of a temporal column with at least one value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemporalProfile {
    /// Earliest value, ISO 8601 (`YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM:SS[.fff…]`, `Z` when zoned).
    pub min: String,
    /// Latest value, in the same form as `min`.
    pub max: String,
    /// Values per calendar month, ascending, months without values left out.
    pub by_month: Vec<MonthCount>,
}

/// The number of values in one calendar month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthCount {
    /// `YYYY-MM`.
    pub month: String,
    /// Number of values in that month.
    pub count: u64,
}

/// Everything a temporal column yields.
pub(crate) struct TemporalSummary {
    pub(crate) distinct_count: u64,
    pub(crate) profile: Option<TemporalProfile>,
    pub(crate) findings: Findings,
}

/// The resolution of a column's physical integers.
#[derive(Clone, Copy)]
enum Resolution {
    Days,
    Instant { per_second: i64, zoned: bool },
}

impl Resolution {
    fn per_day(self) -> i64 {
        match self {
            Resolution::Days => 1,
            Resolution::Instant { per_second, .. } => per_second * 86_400,
        }
    }

    fn to_epoch_ms(self, value: i64) -> i64 {
        match self {
            Resolution::Days => value.saturating_mul(86_400_000),
            Resolution::Instant { per_second, .. } => {
                if per_second >= 1000 {
                    value.div_euclid(per_second / 1000)
                } else {
                    value.saturating_mul(1000 / per_second)
                }
            }
        }
    }
}

/// Summarises a `Date` or `Datetime` series.
pub(crate) fn summarise(series: &Series, config: &ProfileConfig) -> Result<TemporalSummary> {
    let (resolution, mut values): (Resolution, Vec<i64>) = match series.dtype() {
        DataType::Datetime(unit, zone) => {
            let per_second = match unit {
                TimeUnit::Nanoseconds => 1_000_000_000,
                TimeUnit::Microseconds => 1_000_000,
                TimeUnit::Milliseconds => 1_000,
            };
            let values = series.datetime()?.physical().iter().flatten().collect();
            (
                Resolution::Instant {
                    per_second,
                    zoned: zone.is_some(),
                },
                values,
            )
        }
        _ => {
            let days = series.cast(&DataType::Date)?;
            let values = days
                .date()?
                .physical()
                .iter()
                .flatten()
                .map(i64::from)
                .collect();
            (Resolution::Days, values)
        }
    };
    values.sort_unstable();

    let mut findings = Findings::default();
    let mut distinct = 0_u64;
    let mut run = 0_u64;
    let mut previous = None;
    let mut months: BTreeMap<(i64, u32), u64> = BTreeMap::new();
    let earliest = days_from_civil(i64::from(config.earliest_plausible_year), 1, 1);
    for &value in &values {
        if previous == Some(value) {
            run += 1;
        } else {
            distinct += 1;
            run = 1;
            previous = Some(value);
        }
        findings.top_count = findings.top_count.max(run);
        let day = value.div_euclid(resolution.per_day());
        let (year, month, _) = civil_from_days(day);
        *months.entry((year, month)).or_default() += 1;
        if day < earliest {
            findings.before_earliest += 1;
        }
        if config.now_epoch_ms != 0 && resolution.to_epoch_ms(value) > config.now_epoch_ms {
            findings.after_now += 1;
        }
    }

    let profile = match (values.first(), values.last()) {
        (Some(&min), Some(&max)) => Some(TemporalProfile {
            min: format_value(min, resolution),
            max: format_value(max, resolution),
            by_month: months
                .into_iter()
                .map(|((year, month), count)| MonthCount {
                    month: format!("{year:04}-{month:02}"),
                    count,
                })
                .collect(),
        }),
        _ => None,
    };
    Ok(TemporalSummary {
        distinct_count: distinct,
        profile,
        findings,
    })
}

/// ISO 8601 text of a physical value.
fn format_value(value: i64, resolution: Resolution) -> String {
    let day = value.div_euclid(resolution.per_day());
    let (year, month, day_of_month) = civil_from_days(day);
    let date = format!("{year:04}-{month:02}-{day_of_month:02}");
    let Resolution::Instant { per_second, zoned } = resolution else {
        return date;
    };
    let within_day = value.rem_euclid(resolution.per_day());
    let seconds = within_day / per_second;
    let fraction = within_day % per_second;
    let mut text = format!(
        "{date}T{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    );
    if fraction != 0 {
        let digits = per_second.ilog10() as usize;
        text.push_str(&format!(".{fraction:0digits$}"));
    }
    if zoned {
        text.push('Z');
    }
    text
}

/// Howard Hinnant's `civil_from_days`: (year, month, day) of a day count since 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Howard Hinnant's `days_from_civil`: days since 1970-01-01 of a calendar date.
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_days_convert_to_their_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(days_from_civil(1900, 1, 1), -25_567);
    }

    #[test]
    fn datetimes_format_with_their_fraction_and_zone() {
        let micros = Resolution::Instant {
            per_second: 1_000_000,
            zoned: true,
        };
        assert_eq!(
            format_value(1_500_000, micros),
            "1970-01-01T00:00:01.500000Z"
        );
        assert_eq!(format_value(-1_000_000, micros), "1969-12-31T23:59:59Z");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn civil_dates_round_trip(days in -1_000_000_i64..1_000_000) {
            let (year, month, day) = civil_from_days(days);
            prop_assert_eq!(days_from_civil(year, month, day), days);
        }
    }
}
