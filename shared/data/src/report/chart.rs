//! Inline SVG charts: vertical bars for histograms and months, horizontal bars for frequent
//! values, and a heatmap for correlation matrices.
//!
//! Every bar is a `<rect>` carrying `data-count` (and a `<title>` tooltip), so a reader or a
//! test can check the drawing against the numbers. Charts never load anything external.

use super::text::{escape, number};
use crate::profile::{CorrelationMatrix, Histogram, MonthCount, ValueCount};

const WIDTH: f64 = 360.0;
const HEIGHT: f64 = 120.0;

/// A histogram as vertical bars, one per bin, spanning the full width.
pub(crate) fn histogram(histogram: &Histogram) -> String {
    let labels: Vec<String> = histogram
        .edges
        .windows(2)
        .enumerate()
        .map(|(i, pair)| {
            let (low, high) = match pair {
                [low, high] => (*low, *high),
                _ => (0.0, 0.0),
            };
            let close = if i + 2 == histogram.edges.len() {
                "]"
            } else {
                ")"
            };
            format!("[{}, {}{close}", number(low), number(high))
        })
        .collect();
    let bars: Vec<(String, u64)> = labels
        .into_iter()
        .zip(histogram.counts.iter().copied())
        .collect();
    let first = histogram
        .edges
        .first()
        .copied()
        .map(number)
        .unwrap_or_default();
    let last = histogram
        .edges
        .last()
        .copied()
        .map(number)
        .unwrap_or_default();
    vertical_bars("histogram", &bars, &first, &last)
}

/// Values per month as vertical bars.
pub(crate) fn months(months: &[MonthCount]) -> String {
    let bars: Vec<(String, u64)> = months.iter().map(|m| (m.month.clone(), m.count)).collect();
    let first = months.first().map(|m| m.month.clone()).unwrap_or_default();
    let last = months.last().map(|m| m.month.clone()).unwrap_or_default();
    vertical_bars("months", &bars, &first, &last)
}

fn vertical_bars(
    kind: &str,
    bars: &[(String, u64)],
    first_label: &str,
    last_label: &str,
) -> String {
    let highest = bars.iter().map(|(_, c)| *c).max().unwrap_or(0).max(1) as f64;
    let width = WIDTH / bars.len().max(1) as f64;
    let mut svg = format!(
        r#"<svg class="chart" data-chart="{kind}" viewBox="0 0 {WIDTH} {}" width="{WIDTH}" height="{}" role="img">"#,
        HEIGHT + 16.0,
        HEIGHT + 16.0
    );
    for (i, (label, count)) in bars.iter().enumerate() {
        let height = *count as f64 / highest * HEIGHT;
        svg.push_str(&format!(
            r#"<rect data-count="{count}" x="{:.3}" y="{:.3}" width="{:.3}" height="{:.3}"><title>{}: {count}</title></rect>"#,
            i as f64 * width,
            HEIGHT - height,
            (width - 0.5).max(0.2),
            height,
            escape(label)
        ));
    }
    svg.push_str(&format!(
        r#"<text x="0" y="{}" class="axis">{}</text><text x="{WIDTH}" y="{}" class="axis" text-anchor="end">{}</text></svg>"#,
        HEIGHT + 13.0,
        escape(first_label),
        HEIGHT + 13.0,
        escape(last_label)
    ));
    svg
}

/// Frequent values as horizontal bars with their labels.
pub(crate) fn top_values(values: &[ValueCount]) -> String {
    let highest = values.iter().map(|v| v.count).max().unwrap_or(0).max(1) as f64;
    let row = 18.0;
    let label_width = 130.0;
    let height = row * values.len() as f64;
    let mut svg = format!(
        r#"<svg class="chart" data-chart="top" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img">"#
    );
    for (i, value) in values.iter().enumerate() {
        let y = i as f64 * row;
        let length = value.count as f64 / highest * (WIDTH - label_width - 50.0);
        let label: String = value.value.chars().take(18).collect();
        svg.push_str(&format!(
            r#"<text x="{:.1}" y="{:.1}" class="label" text-anchor="end">{}</text><rect data-count="{}" x="{label_width}" y="{:.1}" width="{length:.3}" height="{:.1}"><title>{}: {}</title></rect><text x="{:.1}" y="{:.1}" class="axis">{}</text>"#,
            label_width - 4.0,
            y + 13.0,
            escape(&label),
            value.count,
            y + 2.0,
            row - 4.0,
            escape(&value.value),
            value.count,
            label_width + length + 4.0,
            y + 13.0,
            value.count
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// A correlation matrix as a coloured grid (blue negative, red positive, grey undefined).
pub(crate) fn heatmap(kind: &str, matrix: &CorrelationMatrix) -> String {
    let size = matrix.columns.len();
    let cell = 28.0;
    let label_width = 120.0;
    let side = label_width + cell * size as f64;
    let mut svg = format!(
        r#"<svg class="heatmap" data-chart="{kind}" viewBox="0 0 {side} {side}" width="{side}" height="{side}" role="img">"#
    );
    for (i, name) in matrix.columns.iter().enumerate() {
        let short: String = name.chars().take(16).collect();
        svg.push_str(&format!(
            r#"<text x="{:.1}" y="{:.1}" class="label" text-anchor="end">{}</text>"#,
            label_width - 4.0,
            label_width + cell * i as f64 + cell * 0.65,
            escape(&short)
        ));
        svg.push_str(&format!(
            r#"<text class="label" text-anchor="start" transform="translate({:.1},{:.1}) rotate(-60)">{}</text>"#,
            label_width + cell * i as f64 + cell * 0.6,
            label_width - 4.0,
            escape(&short)
        ));
    }
    for (i, row_name) in matrix.columns.iter().enumerate() {
        for (j, column_name) in matrix.columns.iter().enumerate() {
            let value = matrix.get(i, j);
            let (fill, shown) = match value {
                Some(v) => (colour(v), number(v)),
                None => ("#dddddd".to_owned(), "undefined".to_owned()),
            };
            svg.push_str(&format!(
                r#"<rect data-value="{}" x="{:.1}" y="{:.1}" width="{}" height="{}" fill="{fill}"><title>{} × {}: {shown}</title></rect>"#,
                value.map_or_else(String::new, |v| v.to_string()),
                label_width + cell * j as f64,
                label_width + cell * i as f64,
                cell - 1.0,
                cell - 1.0,
                escape(row_name),
                escape(column_name)
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

/// White at 0, red towards +1, blue towards -1.
fn colour(value: f64) -> String {
    let strength = value.abs().clamp(0.0, 1.0);
    let fade = (255.0 - strength * 200.0).round() as u8;
    if value >= 0.0 {
        format!("rgb(255,{fade},{fade})")
    } else {
        format!("rgb({fade},{fade},255)")
    }
}
