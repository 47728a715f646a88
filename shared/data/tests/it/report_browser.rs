//! The HTML report loaded in headless Chromium: no console errors, no fetches, one card per
//! column, and the bars drawn for each chart carry the profile's counts.
//!
//! Chromium comes from `scripts/ensure-chromium`. Outside CI a machine without it skips with a
//! message; with `CI=true` a missing browser fails the test.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ida_data::profile::{ProfileConfig, ProfileReport, profile};
use ida_data::report::render_html;
use polars::prelude::*;
use serde_json::Value;

use crate::profile_frames::{read_parquet, schema_of};

const HOSTILE_NAME: &str = "<img src=x onerror=alert(1)>";

/// The page that loads the report in a frame, inspects it and writes its findings, URI-encoded
/// JSON, into `#result` for `--dump-dom` to print.
const HARNESS: &str = r#"<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<iframe id="report" src="report.html" width="1200" height="900"></iframe><pre id="result">pending</pre>
<script>
document.getElementById('report').addEventListener('load', function () {
  var doc = this.contentDocument;
  var cards = Array.prototype.map.call(doc.querySelectorAll('article.card[data-column]'), function (card) {
    var bars = Array.prototype.map.call(card.querySelectorAll('svg.chart rect[data-count]'), function (rect) {
      return { count: Number(rect.getAttribute('data-count')), height: rect.getBoundingClientRect().height,
               width: rect.getBoundingClientRect().width };
    });
    return { column: card.getAttribute('data-column'), chart: (card.querySelector('svg.chart') || {getAttribute: function () { return null; }}).getAttribute('data-chart'), bars: bars };
  });
  var result = {
    cards: cards,
    scripts: doc.querySelectorAll('script').length,
    images: doc.querySelectorAll('img').length,
    linked: doc.querySelectorAll('[src],[href]').length,
    fetched: this.contentWindow.performance.getEntriesByType('resource').length,
    alerts_first: doc.querySelector('main > section').id,
    heatmaps: doc.querySelectorAll('svg.heatmap').length
  };
  document.getElementById('result').textContent = encodeURIComponent(JSON.stringify(result));
});
</script></body></html>"#;

fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn chromium() -> Option<PathBuf> {
    let output = Command::new(repository_root().join("scripts/ensure-chromium"))
        .stderr(Stdio::inherit())
        .output();
    match output {
        Ok(out) if out.status.success() => {
            Some(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        }
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("Chromium is required in CI: scripts/ensure-chromium failed")
        }
        _ => {
            eprintln!("skipping the browser check: scripts/ensure-chromium found no Chromium");
            None
        }
    }
}

fn fresh_dir(label: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("ida-{label}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// Loads `html` in Chromium and returns the harness's findings and the browser's stderr.
fn inspect(browser: &Path, html: &str) -> (Value, String) {
    let dir = fresh_dir("report");
    std::fs::write(dir.join("report.html"), html).unwrap();
    std::fs::write(dir.join("harness.html"), HARNESS).unwrap();
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--allow-file-access-from-files",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", dir.join("harness.html").display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(90) {
            child.kill().unwrap();
            panic!("Chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    let dom = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    let start = dom
        .find("<pre id=\"result\">")
        .expect("the harness wrote no result")
        + 17;
    let end = start + dom[start..].find("</pre>").unwrap();
    let encoded = &dom[start..end];
    assert_ne!(
        encoded, "pending",
        "the report frame never loaded; stderr:\n{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    (
        serde_json::from_str(&percent_decode(encoded)).unwrap(),
        stderr,
    )
}

fn expected_bars(report: &ProfileReport, column: &str) -> Vec<u64> {
    let profile = report.columns.iter().find(|c| c.name == column).unwrap();
    if let Some(numeric) = &profile.numeric {
        return numeric.histogram.counts.clone();
    }
    if let Some(categorical) = &profile.categorical {
        return categorical.top.iter().map(|v| v.count).collect();
    }
    if let Some(temporal) = &profile.temporal {
        return temporal.by_month.iter().map(|m| m.count).collect();
    }
    Vec::new()
}

#[test]
fn the_report_renders_in_chromium_with_the_profile_counts_and_no_errors() {
    let Some(browser) = chromium() else { return };
    let mut frame = read_parquet("synthetic_mixed.parquet");
    let hostile: Vec<&str> = (0..frame.height())
        .map(|i| {
            if i % 2 == 0 {
                "<script>alert(1)</script>"
            } else {
                "\"'&amp;"
            }
        })
        .collect();
    frame
        .with_column(Series::new(HOSTILE_NAME.into(), hostile).into())
        .unwrap();
    let schema = schema_of(&frame);
    let report = profile(&frame, &schema, None, &ProfileConfig::default()).unwrap();
    let html = render_html(&report, &schema);

    let (result, stderr) = inspect(&browser, &html);

    let console: Vec<&str> = stderr.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(
        console.is_empty(),
        "console messages:\n{}",
        console.join("\n")
    );
    assert_eq!(result["scripts"], 0);
    assert_eq!(result["images"], 0);
    assert_eq!(result["linked"], 0);
    assert_eq!(result["fetched"], 0);
    assert_eq!(result["alerts_first"], "alerts");
    assert_eq!(result["heatmaps"], 3);

    let cards = result["cards"].as_array().unwrap();
    let names: Vec<&str> = cards
        .iter()
        .map(|c| c["column"].as_str().unwrap())
        .collect();
    let expected_names: Vec<&str> = report.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, expected_names);

    for card in cards {
        let column = card["column"].as_str().unwrap();
        let bars = card["bars"].as_array().unwrap();
        let counts: Vec<u64> = bars.iter().map(|b| b["count"].as_u64().unwrap()).collect();
        assert_eq!(counts, expected_bars(&report, column), "bars of {column}");
        let highest = counts.iter().copied().max().unwrap_or(0);
        for bar in bars {
            let count = bar["count"].as_u64().unwrap();
            let drawn = bar["height"]
                .as_f64()
                .unwrap()
                .max(bar["width"].as_f64().unwrap());
            if count == 0 {
                assert!(
                    bar["height"].as_f64().unwrap() < 0.01,
                    "empty bin drawn in {column}"
                );
            } else {
                assert!(
                    drawn > 0.0,
                    "a bar of {column} with {count} values is not drawn"
                );
            }
            if count == highest && highest > 0 {
                assert!(drawn >= 10.0, "the tallest bar of {column} is too small");
            }
        }
    }
    let histogram = cards.iter().find(|c| c["column"] == "income").unwrap();
    assert_eq!(histogram["chart"], "histogram");
}

#[test]
fn user_text_is_escaped_in_the_markup() {
    let frame = df!(HOSTILE_NAME => ["<script>alert(1)</script>", "a\"b"]).unwrap();
    let schema = schema_of(&frame);
    let report = profile(&frame, &schema, None, &ProfileConfig::default()).unwrap();
    let html = render_html(&report, &schema);
    assert!(!html.contains("<script"));
    assert!(!html.contains("<img"));
    assert!(html.contains("data-column=\"&lt;img src=x onerror=alert(1)&gt;\""));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

#[test]
fn the_report_of_wide_varied_data_stays_under_five_megabytes() {
    let rows = 200_000_usize;
    let mut columns: Vec<Column> = Vec::new();
    for c in 0..20_usize {
        let name = format!("column_{c:02}_with_a_fairly_long_name");
        let column = match c % 4 {
            0 => Series::new(
                name.into(),
                (0..rows)
                    .map(|i| ((i * 7919 + c) % 100_003) as f64 * 1.5)
                    .collect::<Vec<_>>(),
            ),
            1 => Series::new(
                name.into(),
                (0..rows)
                    .map(|i| format!("value number {} of a long label", (i * 31) % 50_000))
                    .collect::<Vec<_>>(),
            ),
            2 => Series::new(
                name.into(),
                (0..rows)
                    .map(|i| ((i * 104_729) % 36_500) as i32 - 18_000)
                    .collect::<Vec<_>>(),
            )
            .cast(&DataType::Date)
            .unwrap(),
            _ => Series::new(
                name.into(),
                (0..rows)
                    .map(|i| ((i as f64) * 0.37).sin() * 1e6)
                    .collect::<Vec<_>>(),
            ),
        };
        columns.push(column.into());
    }
    let frame = DataFrame::new(rows, columns).unwrap();
    let schema = schema_of(&frame);
    let report = profile(&frame, &schema, None, &ProfileConfig::default()).unwrap();
    let html = render_html(&report, &schema);
    assert!(html.len() < 5_000_000, "report is {} bytes", html.len());
}
