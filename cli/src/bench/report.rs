//! The report of one `ida bench` run: a table for people, the same data as JSON for tools.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use super::measure::Summary;

/// Everything one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Data rows of the CSV.
    pub rows: u64,
    /// Generator seed.
    pub seed: u64,
    /// Runs per job.
    pub runs: usize,
    /// The CSV file name.
    pub csv: String,
    /// CSV size in bytes.
    pub csv_bytes: u64,
    /// One entry per stage, then per peer.
    pub results: Vec<Summary>,
    /// Median time of `parse` over the median time of DuckDB (below 1: faster than DuckDB).
    pub parse_over_duckdb: Option<f64>,
}

impl Report {
    /// Builds the report and the DuckDB ratio.
    pub fn new(
        rows: u64,
        seed: u64,
        runs: usize,
        csv: &Path,
        csv_bytes: u64,
        results: Vec<Summary>,
    ) -> Self {
        let time = |name: &str| {
            results
                .iter()
                .find(|r| r.name == name)
                .map(|r| r.median_seconds)
        };
        let parse_over_duckdb = time("parse")
            .zip(time("duckdb"))
            .map(|(ours, duck)| ours / duck);
        Self {
            rows,
            seed,
            runs,
            csv: csv
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            csv_bytes,
            results,
            parse_over_duckdb,
        }
    }

    /// The report as an aligned text table.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "ida bench: {} rows x 20 columns, CSV {:.1} MB, {} run(s), seed {}",
            self.rows,
            self.csv_bytes as f64 / 1e6,
            self.runs,
            self.seed
        );
        let _ = writeln!(
            out,
            "{:<18} {:>9} {:>8} {:>8} {:>8} {:>11} {:>9} {:>8}  covers",
            "job", "median s", "min s", "max s", "MB/s", "rows/s", "peak MiB", "peak/CSV"
        );
        for r in &self.results {
            let name = if r.peer {
                format!("{} (peer)", r.name)
            } else {
                r.name.clone()
            };
            let _ = writeln!(
                out,
                "{:<18} {:>9.3} {:>8.3} {:>8.3} {:>8.1} {:>11.0} {:>9.0} {:>8.2}  {}",
                name,
                r.median_seconds,
                r.min_seconds,
                r.max_seconds,
                r.mb_per_second,
                r.rows_per_second,
                r.peak_rss_mib,
                r.peak_over_csv,
                r.covers
            );
        }
        if let Some(ratio) = self.parse_over_duckdb {
            let _ = writeln!(
                out,
                "parse / duckdb median time: {ratio:.2}x ({})",
                if ratio <= 1.0 {
                    "no slower than DuckDB"
                } else {
                    "slower than DuckDB"
                }
            );
        }
        out
    }
}
