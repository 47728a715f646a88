//! The same job done by other engines in the same run: DuckDB's `read_csv` -> Parquet and the
//! Python polars `read_csv` -> Parquet, both with zstd like the engine. Each runs in its own Python process
//! (the pinned venv of `scripts/bench-peers`) and times itself after its imports.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::measure::Sample;

/// One peer engine.
#[derive(Debug, Clone, Copy)]
pub struct Peer {
    /// Name in reports.
    pub name: &'static str,
    /// What it does.
    pub covers: &'static str,
    /// Python source: imports, then `job(csv, out)`; timed by [`HARNESS`].
    source: &'static str,
}

/// The peers, in report order.
pub const PEERS: &[Peer] = &[
    Peer {
        name: "duckdb",
        covers: "read_csv (sampled sniffing) -> Parquet",
        source: "import duckdb\n\
def job(csv, out):\n    duckdb.sql(f\"COPY (SELECT * FROM read_csv('{csv}')) TO '{out}' (FORMAT parquet, COMPRESSION zstd)\")\n",
    },
    Peer {
        name: "polars-py",
        covers: "read_csv (first 100 rows infer types) -> Parquet",
        source: "import polars as pl\n\
def job(csv, out):\n    pl.read_csv(csv).write_parquet(out, compression='zstd')\n",
    },
];

/// Times `job` and prints the sample as the same JSON line `ida bench-stage` prints.
const HARNESS: &str = "\nimport json, resource, sys, time\n\
start = time.perf_counter()\n\
job(sys.argv[1], sys.argv[2])\n\
seconds = time.perf_counter() - start\n\
print(json.dumps({'seconds': seconds, 'max_rss_kib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))\n";

/// Finds (creating once) the pinned Python environment of the peers.
pub fn python(repo_root: &Path) -> Result<PathBuf> {
    let script = repo_root.join("scripts").join("bench-peers");
    let output = Command::new(&script)
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    if !output.status.success() {
        bail!(
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(PathBuf::from(
        String::from_utf8_lossy(&output.stdout).trim(),
    ))
}

impl Peer {
    /// Runs the peer once on `csv`, writing into `out_dir`.
    pub fn run(&self, python: &Path, csv: &Path, out_dir: &Path) -> Result<Sample> {
        let out = out_dir.join(format!("{}.parquet", self.name));
        let program = format!("{}{}", self.source, HARNESS);
        let output = Command::new(python)
            .arg("-c")
            .arg(program)
            .arg(csv)
            .arg(&out)
            .output()
            .with_context(|| format!("starting {}", self.name))?;
        Sample::from_child(self.name, &output)
    }
}
