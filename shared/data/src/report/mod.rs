//! The HTML report of a profile (`report.html`): one self-contained file with the alerts first,
//! an overview, a card per column with its chart, the correlation heatmaps and the schema.
//!
//! The page has no script and fetches nothing: styles are inline, charts are inline SVG, and a
//! Content-Security-Policy forbids scripts and network access. Every piece of user text is
//! escaped; this module must never write a value into the page without [`text::escape`].

mod chart;
mod text;

pub use text::escape as escape_html;

use crate::profile::{Alert, ColumnProfile, CorrelationMatrix, ProfileReport, Severity};
use crate::schema::{DatasetSchema, LogicalType};
use text::{escape, maybe_number, number, percent};

const STYLE: &str = r#"
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#f5f6f8}
header{background:#1d2330;color:#fff;padding:16px 24px}header h1{margin:0;font-size:20px}
main{padding:16px 24px;max-width:1200px}section{margin-bottom:28px}h2{font-size:17px;border-bottom:1px solid #ccd;padding-bottom:4px}
table{border-collapse:collapse;background:#fff}td,th{border:1px solid #dde;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#eef0f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
.sev{font-weight:600;text-transform:uppercase;font-size:11px;padding:1px 6px;border-radius:3px;color:#fff}
.sev-error{background:#b3261e}.sev-warning{background:#b26a00}.sev-info{background:#3b6ea8}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(400px,1fr));gap:14px}
.card{background:#fff;border:1px solid #dde;border-radius:6px;padding:10px 14px}
.card h3{margin:0 0 4px;font-size:15px;word-break:break-all}.type{color:#5a6275;font-size:12px}
.card table{font-size:12px;margin:6px 0}.chart rect{fill:#3b6ea8}.chart .axis,.chart .label,.heatmap .label{font-size:10px;fill:#5a6275}
.heatmaps{display:flex;flex-wrap:wrap;gap:24px}.muted{color:#5a6275}
"#;

/// Renders the report of `report`, whose dataset has `schema`, as one HTML document.
pub fn render_html(report: &ProfileReport, schema: &DatasetSchema) -> String {
    let mut page = String::with_capacity(64 * 1024);
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    page.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">",
    );
    page.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    page.push_str("<title>Data profile</title><style>");
    page.push_str(STYLE);
    page.push_str("</style></head><body>");
    page.push_str(&format!(
        "<header><h1>Data profile</h1><div>{} rows × {} columns · profile version {}</div></header><main>",
        report.row_count, report.column_count, report.profile_version
    ));
    alerts_section(&mut page, &report.alerts);
    overview_section(&mut page, report);
    columns_section(&mut page, &report.columns);
    correlations_section(&mut page, report);
    schema_section(&mut page, schema);
    page.push_str("</main></body></html>\n");
    page
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

fn alerts_section(page: &mut String, alerts: &[Alert]) {
    page.push_str(&format!(
        "<section id=\"alerts\"><h2>Alerts ({})</h2>",
        alerts.len()
    ));
    if alerts.is_empty() {
        page.push_str("<p class=\"muted\">Nothing to report.</p></section>");
        return;
    }
    page.push_str("<table><thead><tr><th>Severity</th><th>Alert</th><th>Column</th><th>Finding</th><th>Value</th><th>Threshold</th></tr></thead><tbody>");
    for alert in alerts {
        let severity = severity_name(alert.severity);
        page.push_str(&format!(
            "<tr class=\"alert\" data-code=\"{}\"><td><span class=\"sev sev-{severity}\">{severity}</span></td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(&alert.code),
            escape(&alert.code),
            alert.column.as_deref().map(escape).unwrap_or_default(),
            escape(&alert.message),
            number(alert.value),
            number(alert.threshold)
        ));
    }
    page.push_str("</tbody></table></section>");
}

fn overview_section(page: &mut String, report: &ProfileReport) {
    let cells = report.row_count * report.column_count;
    let nulls: u64 = report.columns.iter().map(|c| c.null_count).sum();
    let null_share = if cells == 0 {
        0.0
    } else {
        nulls as f64 / cells as f64
    };
    let mut types: Vec<(String, usize)> = Vec::new();
    for column in &report.columns {
        let name = logical_name(column.logical_type).to_owned();
        match types.iter_mut().find(|(t, _)| *t == name) {
            Some((_, count)) => *count += 1,
            None => types.push((name, 1)),
        }
    }
    let types = types
        .iter()
        .map(|(t, c)| format!("{c} {t}"))
        .collect::<Vec<_>>()
        .join(", ");
    page.push_str(&format!(
        "<section id=\"overview\"><h2>Overview</h2><table><tbody>\
         <tr><th>Rows</th><td class=\"num\">{}</td></tr>\
         <tr><th>Columns</th><td class=\"num\">{}</td></tr>\
         <tr><th>Duplicate rows</th><td class=\"num\">{}</td></tr>\
         <tr><th>Null cells</th><td class=\"num\">{nulls} ({})</td></tr>\
         <tr><th>Column types</th><td>{}</td></tr>\
         </tbody></table></section>",
        report.row_count,
        report.column_count,
        report.duplicate_row_count,
        percent(null_share),
        escape(&types)
    ));
}

fn logical_name(logical: LogicalType) -> &'static str {
    match logical {
        LogicalType::Boolean => "boolean",
        LogicalType::Integer => "integer",
        LogicalType::Float => "float",
        LogicalType::Date => "date",
        LogicalType::Datetime => "datetime",
        LogicalType::DatetimeTz => "datetime_tz",
        LogicalType::String => "string",
    }
}

fn columns_section(page: &mut String, columns: &[ColumnProfile]) {
    page.push_str("<section id=\"columns\"><h2>Columns</h2><div class=\"cards\">");
    for column in columns {
        column_card(page, column);
    }
    page.push_str("</div></section>");
}

fn row(label: &str, value: &str) -> String {
    format!("<tr><th>{label}</th><td class=\"num\">{value}</td></tr>")
}

fn column_card(page: &mut String, column: &ColumnProfile) {
    let semantic = column
        .semantic_type
        .and_then(|s| serde_json::to_value(s).ok())
        .and_then(|v| v.as_str().map(str::to_owned))
        .map(|s| format!(" · {}", escape(&s)))
        .unwrap_or_default();
    page.push_str(&format!(
        "<article class=\"card\" data-column=\"{}\"><h3>{}</h3><div class=\"type\">{}{semantic}</div><table><tbody>",
        escape(&column.name),
        escape(&column.name),
        logical_name(column.logical_type)
    ));
    page.push_str(&row(
        "Nulls",
        &format!("{} ({})", column.null_count, percent(column.null_ratio)),
    ));
    page.push_str(&row("Distinct", &column.distinct_count.to_string()));
    let mut chart = String::new();
    if let Some(numeric) = &column.numeric {
        for (label, value) in [
            ("Mean", number(numeric.mean)),
            ("Std", maybe_number(numeric.std)),
            ("Min", number(numeric.min)),
            (
                "p25 / p50 / p75",
                format!(
                    "{} / {} / {}",
                    number(numeric.p25),
                    number(numeric.p50),
                    number(numeric.p75)
                ),
            ),
            ("Max", number(numeric.max)),
            ("Skewness", maybe_number(numeric.skewness)),
            ("Kurtosis", maybe_number(numeric.kurtosis)),
            (
                "Zeros / negatives",
                format!("{} / {}", numeric.zeros, numeric.negatives),
            ),
            (
                "IQR outliers",
                format!(
                    "{} outside [{}, {}]",
                    numeric.outliers_iqr.count,
                    number(numeric.outliers_iqr.lower_fence),
                    number(numeric.outliers_iqr.upper_fence)
                ),
            ),
            (
                "MAD outliers",
                format!(
                    "{} (MAD {})",
                    numeric.outliers_mad.count,
                    number(numeric.outliers_mad.mad)
                ),
            ),
        ] {
            page.push_str(&row(label, &value));
        }
        chart = chart::histogram(&numeric.histogram);
    }
    if let Some(categorical) = &column.categorical {
        if let (Some(min), Some(mean), Some(max)) = (
            categorical.length_min,
            categorical.length_mean,
            categorical.length_max,
        ) {
            page.push_str(&row(
                "Length min / mean / max",
                &format!("{min} / {} / {max}", number(mean)),
            ));
        }
        chart = chart::top_values(&categorical.top);
    }
    if let Some(temporal) = &column.temporal {
        page.push_str(&row("Earliest", &escape(&temporal.min)));
        page.push_str(&row("Latest", &escape(&temporal.max)));
        chart = chart::months(&temporal.by_month);
    }
    page.push_str("</tbody></table>");
    page.push_str(&chart);
    page.push_str("</article>");
}

fn correlations_section(page: &mut String, report: &ProfileReport) {
    page.push_str("<section id=\"correlations\"><h2>Correlations</h2><div class=\"heatmaps\">");
    let matrices: [(&str, &str, &CorrelationMatrix); 3] = [
        ("pearson", "Pearson r", &report.correlations.pearson),
        ("spearman", "Spearman ρ", &report.correlations.spearman),
        ("cramers_v", "Cramér's V", &report.correlations.cramers_v),
    ];
    for (kind, title, matrix) in matrices {
        page.push_str(&format!(
            "<figure data-matrix=\"{kind}\"><figcaption>{title}</figcaption>"
        ));
        if matrix.columns.len() < 2 {
            page.push_str("<p class=\"muted\">Fewer than two eligible columns.</p>");
        } else {
            page.push_str(&chart::heatmap(kind, matrix));
        }
        page.push_str("</figure>");
    }
    page.push_str("</div></section>");
}

fn schema_section(page: &mut String, schema: &DatasetSchema) {
    page.push_str("<section id=\"schema\"><h2>Schema</h2><table><thead><tr><th>#</th><th>Column</th><th>Type</th><th>Meaning</th><th>Nullable</th><th>Nulls</th><th>Invalid</th><th>Invalid examples</th><th>Notes</th></tr></thead><tbody>");
    for column in &schema.columns {
        let semantic = column
            .semantic_type
            .and_then(|s| serde_json::to_value(s).ok())
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let examples = column
            .invalid_examples
            .iter()
            .map(|e| format!("<code>{}</code>", escape(e)))
            .collect::<Vec<_>>()
            .join(" ");
        let notes = column
            .notes
            .iter()
            .map(|n| escape(n))
            .collect::<Vec<_>>()
            .join("<br>");
        page.push_str(&format!(
            "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{examples}</td><td>{notes}</td></tr>",
            column.position,
            escape(&column.name),
            logical_name(column.logical_type),
            escape(&semantic),
            if column.nullable { "yes" } else { "no" },
            column.null_count,
            column.invalid_count
        ));
    }
    page.push_str("</tbody></table></section>");
}
