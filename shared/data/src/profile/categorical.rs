//! Frequent values of string and boolean columns, string lengths, and the text findings behind
//! the whitespace and case alerts.
//!
//! Values are counted once through a hash map; the per-row category codes it yields feed
//! Cramér's V. Lengths are Unicode code points, as Python's `len`. This module must never
//! trim, fold or otherwise rewrite a value it reports.

use std::borrow::Cow;
use std::cmp::Ordering;

use polars::prelude::{BooleanChunked, PlHashMap, StringChunked};
use serde::{Deserialize, Serialize};

use super::alerts::Findings;
use super::config::ProfileConfig;

/// Frequent values and, for strings, the range of lengths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoricalProfile {
    /// Up to `top_values` values by count descending, then value ascending.
    pub top: Vec<ValueCount>,
    /// Shortest string, in characters (null for booleans or without values).
    pub length_min: Option<u64>,
    /// Mean string length, in characters (null for booleans or without values).
    pub length_mean: Option<f64>,
    /// Longest string, in characters (null for booleans or without values).
    pub length_max: Option<u64>,
}

/// One value and how often it occurs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueCount {
    /// The value as text (`true` / `false` for booleans).
    pub value: String,
    /// Number of rows holding it.
    pub count: u64,
}

/// Each row's category as a dense code, for contingency tables.
pub(crate) struct CategoryCodes {
    /// One code per row; [`CategoryCodes::NULL`] for null rows.
    pub(crate) rows: Vec<u32>,
    /// Number of distinct codes.
    pub(crate) distinct: usize,
}

impl CategoryCodes {
    /// The code of a null row.
    pub(crate) const NULL: u32 = u32::MAX;
}

/// Everything a categorical column yields.
pub(crate) struct CategoricalSummary {
    pub(crate) distinct_count: u64,
    pub(crate) profile: CategoricalProfile,
    pub(crate) codes: CategoryCodes,
    pub(crate) findings: Findings,
}

/// Counts, lengths and text findings of a string column.
pub(crate) fn summarise_strings(
    values: &StringChunked,
    config: &ProfileConfig,
) -> CategoricalSummary {
    let mut index: PlHashMap<&str, u32> = PlHashMap::default();
    let mut distinct: Vec<(&str, u64)> = Vec::new();
    let mut rows = Vec::with_capacity(values.len());
    for value in values.iter() {
        let code = match value {
            None => CategoryCodes::NULL,
            Some(text) => {
                let code = *index.entry(text).or_insert_with(|| {
                    distinct.push((text, 0));
                    (distinct.len() - 1) as u32
                });
                if let Some(slot) = distinct.get_mut(code as usize) {
                    slot.1 += 1;
                }
                code
            }
        };
        rows.push(code);
    }

    let non_null: u64 = distinct.iter().map(|(_, count)| count).sum();
    let mut length_min: Option<u64> = None;
    let mut length_max: Option<u64> = None;
    let mut length_total: u64 = 0;
    let mut whitespace_values = 0;
    for &(text, count) in &distinct {
        let length = text.chars().count() as u64;
        length_min = Some(length_min.map_or(length, |m| m.min(length)));
        length_max = Some(length_max.map_or(length, |m| m.max(length)));
        length_total += length * count;
        if text.trim() != text {
            whitespace_values += count;
        }
    }
    let length_mean = (non_null > 0).then(|| length_total as f64 / non_null as f64);

    let findings = Findings {
        top_count: distinct.iter().map(|(_, count)| *count).max().unwrap_or(0),
        whitespace_values,
        case_variants: case_variants(&distinct),
        ..Findings::default()
    };
    let distinct_count = distinct.len();
    let top = top_values(distinct, config.top_values);
    CategoricalSummary {
        distinct_count: distinct_count as u64,
        profile: CategoricalProfile {
            top,
            length_min,
            length_mean,
            length_max,
        },
        codes: CategoryCodes {
            rows,
            distinct: distinct_count,
        },
        findings,
    }
}

/// Counts of a boolean column (`false` is code 0, `true` code 1).
pub(crate) fn summarise_booleans(values: &BooleanChunked) -> CategoricalSummary {
    let mut counts = [0_u64; 2];
    let rows: Vec<u32> = values
        .iter()
        .map(|value| match value {
            None => CategoryCodes::NULL,
            Some(flag) => {
                let code = u32::from(flag);
                if let Some(slot) = counts.get_mut(code as usize) {
                    *slot += 1;
                }
                code
            }
        })
        .collect();
    let [falses, trues] = counts;
    let present: Vec<(&str, u64)> = [("false", falses), ("true", trues)]
        .into_iter()
        .filter(|&(_, count)| count > 0)
        .collect();
    let distinct = present.len();
    CategoricalSummary {
        distinct_count: distinct as u64,
        profile: CategoricalProfile {
            top: top_values(present, 2),
            length_min: None,
            length_mean: None,
            length_max: None,
        },
        // Codes stay 0/1 even when only one value occurs; the contingency table skips empty codes.
        codes: CategoryCodes { rows, distinct: 2 },
        findings: Findings {
            top_count: falses.max(trues),
            ..Findings::default()
        },
    }
}

/// The `limit` most frequent values: count descending, then value ascending.
///
/// Selects before it sorts and copies only the values it keeps: a column of a million distinct
/// values costs no million string copies.
fn top_values(mut values: Vec<(&str, u64)>, limit: usize) -> Vec<ValueCount> {
    fn order(a: &(&str, u64), b: &(&str, u64)) -> Ordering {
        b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0))
    }
    if limit == 0 {
        return Vec::new();
    }
    if values.len() > limit {
        values.select_nth_unstable_by(limit - 1, order);
        values.truncate(limit);
    }
    values.sort_unstable_by(order);
    values
        .into_iter()
        .map(|(value, count)| ValueCount {
            value: value.to_owned(),
            count,
        })
        .collect()
}

/// The lower-case form of a value, borrowed when the value is already lower case.
fn lower_case(text: &str) -> Cow<'_, str> {
    let unchanged = text.chars().all(|c| {
        let mut lowered = c.to_lowercase();
        lowered.next() == Some(c) && lowered.next().is_none()
    });
    if unchanged {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.to_lowercase())
    }
}

/// Groups of distinct values that differ only by letter case (`NY`, `ny`), each group sorted,
/// groups ordered by their first spelling.
fn case_variants(distinct: &[(&str, u64)]) -> Vec<Vec<String>> {
    let mut groups: PlHashMap<Cow<'_, str>, Vec<&str>> = PlHashMap::default();
    for &(text, _) in distinct {
        groups.entry(lower_case(text)).or_default().push(text);
    }
    let mut variants: Vec<Vec<String>> = groups
        .into_values()
        .filter(|spellings| spellings.len() > 1)
        .map(|mut spellings| {
            spellings.sort_unstable();
            spellings.into_iter().map(str::to_owned).collect()
        })
        .collect();
    variants.sort_unstable();
    variants
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{NamedFrom, Series};

    #[test]
    fn ties_in_the_top_values_are_broken_by_value() {
        let series = Series::new(
            "city".into(),
            &[Some("b"), Some("a"), None, Some("b"), Some("a"), Some("c")],
        );
        let summary = summarise_strings(series.str().unwrap(), &ProfileConfig::default());
        let top: Vec<(&str, u64)> = summary
            .profile
            .top
            .iter()
            .map(|v| (v.value.as_str(), v.count))
            .collect();
        assert_eq!(top, vec![("a", 2), ("b", 2), ("c", 1)]);
        assert_eq!(summary.distinct_count, 3);
        assert_eq!(summary.codes.rows[2], CategoryCodes::NULL);
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        let series = Series::new("name".into(), &["é", "abc"]);
        let summary = summarise_strings(series.str().unwrap(), &ProfileConfig::default());
        assert_eq!(summary.profile.length_min, Some(1));
        assert_eq!(summary.profile.length_max, Some(3));
        assert_eq!(summary.profile.length_mean, Some(2.0));
    }

    #[test]
    fn lower_case_borrows_exactly_when_lowering_changes_nothing() {
        for text in [
            "ny",
            "NY",
            "Straße",
            "ΣΑΣ",
            "ǅ",
            "İ",
            "déjà vu",
            "",
            "123-abc",
        ] {
            assert_eq!(lower_case(text), text.to_lowercase(), "{text}");
        }
        assert!(matches!(lower_case("already lower"), Cow::Borrowed(_)));
    }

    #[test]
    fn top_values_keep_the_order_of_a_full_sort() {
        let values = vec![("b", 2), ("a", 2), ("c", 5), ("d", 1), ("e", 2)];
        let top = top_values(values, 3);
        let got: Vec<(&str, u64)> = top.iter().map(|v| (v.value.as_str(), v.count)).collect();
        assert_eq!(got, vec![("c", 5), ("a", 2), ("b", 2)]);
        assert!(top_values(vec![("a", 1)], 0).is_empty());
    }

    #[test]
    fn case_variants_and_padded_values_are_found() {
        let series = Series::new("state".into(), &["NY", "ny", " CA", "CA", "Ny", "TX"]);
        let summary = summarise_strings(series.str().unwrap(), &ProfileConfig::default());
        assert_eq!(summary.findings.whitespace_values, 1);
        assert_eq!(
            summary.findings.case_variants,
            vec![vec!["NY".to_owned(), "Ny".to_owned(), "ny".to_owned()]]
        );
    }
}
