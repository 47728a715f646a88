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
    /// One entry per stage, each followed by its peers.
    pub results: Vec<Summary>,
    /// Per stage and peer that both ran: the engine's median time over the peer's.
    pub ratios: Vec<Ratio>,
}

/// The engine's median time for a stage over one peer's median time for the same job.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ratio {
    /// The stage.
    pub stage: String,
    /// The peer.
    pub peer: String,
    /// Engine median seconds over peer median seconds (below 1: the engine is faster).
    pub engine_over_peer: f64,
}

impl Ratio {
    /// The ratio as one report line.
    pub fn line(&self) -> String {
        let verdict = if self.engine_over_peer <= 1.0 {
            "no slower than"
        } else {
            "slower than"
        };
        format!(
            "{} / {}: {:.2}x (ida {verdict} {})",
            self.stage, self.peer, self.engine_over_peer, self.peer
        )
    }
}

/// A ratio for every peer whose stage also ran.
fn ratios(results: &[Summary]) -> Vec<Ratio> {
    results
        .iter()
        .filter(|peer| peer.peer)
        .filter_map(|peer| {
            let engine = results.iter().find(|r| !r.peer && r.name == peer.stage)?;
            Some(Ratio {
                stage: peer.stage.clone(),
                peer: peer.name.clone(),
                engine_over_peer: engine.median_seconds / peer.median_seconds,
            })
        })
        .collect()
}

impl Report {
    /// Builds the report and the engine-over-peer ratios.
    pub fn new(
        rows: u64,
        seed: u64,
        runs: usize,
        csv: &Path,
        csv_bytes: u64,
        results: Vec<Summary>,
    ) -> Self {
        let ratios = ratios(&results);
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
            ratios,
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
                format!("  {} (peer)", r.name)
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
        if !self.ratios.is_empty() {
            let _ = writeln!(out, "engine median / peer median (below 1: ida is faster):");
        }
        for ratio in &self.ratios {
            let _ = writeln!(out, "  {}", ratio.line());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::measure::Sample;

    fn summary(name: &str, stage: &str, peer: bool, seconds: f64) -> Summary {
        let sample = Sample {
            seconds,
            max_rss_kib: 1024,
        };
        Summary::new(name, stage, "covers", peer, &[sample], 1_000_000, 1000).unwrap()
    }

    fn report() -> Report {
        let results = vec![
            summary("parse", "parse", false, 3.0),
            summary("duckdb", "parse", true, 2.0),
            summary("polars-py", "parse", true, 4.0),
            summary("profile", "profile", false, 1.0),
            summary("duckdb", "profile", true, 0.5),
            summary("pandas", "profile", true, 5.0),
            summary("polars-py", "apply", true, 1.0),
        ];
        Report::new(1000, 42, 1, Path::new("dir/data.csv"), 1_000_000, results)
    }

    #[test]
    fn each_peer_is_compared_with_its_own_stage() {
        let report = report();
        let found: Vec<(&str, &str, f64)> = report
            .ratios
            .iter()
            .map(|r| (r.stage.as_str(), r.peer.as_str(), r.engine_over_peer))
            .collect();
        // No ratio for the apply peer: its stage did not run.
        assert_eq!(
            found,
            [
                ("parse", "duckdb", 1.5),
                ("parse", "polars-py", 0.75),
                ("profile", "duckdb", 2.0),
                ("profile", "pandas", 0.2),
            ]
        );
    }

    #[test]
    fn the_table_ends_with_one_ratio_line_per_stage_and_peer() {
        let table = report().table();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(
            lines[lines.len() - 5..],
            [
                "engine median / peer median (below 1: ida is faster):",
                "  parse / duckdb: 1.50x (ida slower than duckdb)",
                "  parse / polars-py: 0.75x (ida no slower than polars-py)",
                "  profile / duckdb: 2.00x (ida slower than duckdb)",
                "  profile / pandas: 0.20x (ida no slower than pandas)",
            ]
        );
        assert!(table.contains("\n  pandas (peer) "));
        assert_eq!(report().csv, "data.csv");
    }

    #[test]
    fn no_ratio_lines_without_peers() {
        let results = vec![summary("parse", "parse", false, 3.0)];
        let report = Report::new(1000, 42, 1, Path::new("data.csv"), 1_000_000, results);
        assert!(report.ratios.is_empty());
        assert!(!report.table().contains("peer median"));
    }
}
