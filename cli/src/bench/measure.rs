//! Samples of one run (wall time and peak resident memory, as the child measured them) and their
//! summary over runs.

use std::process::Output;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

/// One run of a stage or peer, as reported by the child process on its last stdout line.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Wall time of the work, in seconds.
    pub seconds: f64,
    /// Peak resident memory of the whole child process, in KiB (`getrusage` `ru_maxrss`).
    pub max_rss_kib: u64,
}

impl Sample {
    /// Reads the sample a finished child printed, or explains why it failed.
    pub fn from_child(what: &str, output: &Output) -> Result<Self> {
        if !output.status.success() {
            bail!(
                "{what} failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let line = stdout
            .lines()
            .last()
            .with_context(|| format!("{what} printed nothing"))?;
        serde_json::from_str(line).with_context(|| format!("{what} printed {line:?}"))
    }
}

/// The summary of several runs of one stage or peer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Stage or peer name.
    pub name: String,
    /// The stage: its own name for a stage, the stage whose job it does for a peer.
    pub stage: String,
    /// What its clock covers.
    pub covers: String,
    /// Whether this is another engine.
    pub peer: bool,
    /// Number of runs.
    pub runs: usize,
    /// Median wall time, seconds.
    pub median_seconds: f64,
    /// Fastest and slowest run, seconds.
    pub min_seconds: f64,
    /// Slowest run, seconds.
    pub max_seconds: f64,
    /// CSV megabytes (10^6 bytes) per second at the median.
    pub mb_per_second: f64,
    /// Rows per second at the median.
    pub rows_per_second: f64,
    /// Largest peak resident memory over the runs, MiB.
    pub peak_rss_mib: f64,
    /// Peak memory over the CSV size.
    pub peak_over_csv: f64,
}

impl Summary {
    /// Summarises `samples` (at least one) of a job of `stage` over a CSV of `csv_bytes` and `rows`.
    pub fn new(
        name: &str,
        stage: &str,
        covers: &str,
        peer: bool,
        samples: &[Sample],
        csv_bytes: u64,
        rows: u64,
    ) -> Result<Self> {
        let mut seconds: Vec<f64> = samples.iter().map(|s| s.seconds).collect();
        seconds.sort_by(f64::total_cmp);
        let median = median(&seconds).context("no runs")?;
        let peak_kib = samples.iter().map(|s| s.max_rss_kib).max().unwrap_or(0);
        let peak_bytes = peak_kib as f64 * 1024.0;
        Ok(Self {
            name: name.to_owned(),
            stage: stage.to_owned(),
            covers: covers.to_owned(),
            peer,
            runs: samples.len(),
            median_seconds: median,
            min_seconds: seconds.first().copied().unwrap_or(median),
            max_seconds: seconds.last().copied().unwrap_or(median),
            mb_per_second: csv_bytes as f64 / 1e6 / median,
            rows_per_second: rows as f64 / median,
            peak_rss_mib: peak_bytes / (1024.0 * 1024.0),
            peak_over_csv: peak_bytes / csv_bytes as f64,
        })
    }
}

/// The median of sorted values.
fn median(sorted: &[f64]) -> Option<f64> {
    let middle = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted.get(middle).copied()
    } else {
        Some((sorted.get(middle.checked_sub(1)?)? + sorted.get(middle)?) / 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_runs() {
        assert_eq!(median(&[1.0, 2.0, 9.0]), Some(2.0));
        assert_eq!(median(&[1.0, 2.0, 4.0, 9.0]), Some(3.0));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn summary_throughput_and_memory_ratio() {
        let samples = [
            Sample {
                seconds: 2.0,
                max_rss_kib: 1024,
            },
            Sample {
                seconds: 1.0,
                max_rss_kib: 2048,
            },
            Sample {
                seconds: 4.0,
                max_rss_kib: 512,
            },
        ];
        let summary =
            Summary::new("parse", "parse", "x", false, &samples, 4_000_000, 1000).unwrap();
        assert_eq!(summary.median_seconds, 2.0);
        assert_eq!(summary.mb_per_second, 2.0);
        assert_eq!(summary.rows_per_second, 500.0);
        assert_eq!(summary.peak_rss_mib, 2.0);
        assert!((summary.peak_over_csv - 2.0 * 1024.0 * 1024.0 / 4e6).abs() < 1e-12);
    }
}
