//! Other engines doing a stage's job in the same run, on the same input: DuckDB and Python
//! polars for `parse` (CSV -> Parquet), DuckDB SQL and pandas for `profile`, Python polars for
//! `apply`. Each peer belongs to one stage, runs only when that stage is selected, and runs in
//! its own Python process (the pinned venv of `scripts/bench-peers`) that times itself after its
//! imports. The Python sources are the `.py` files in `peers/`.
//!
//! A peer must never change the stage's input: it reads it and writes only its own output file.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::measure::Sample;
use super::stages::typed_parquet_path;

/// What a peer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerInput {
    /// The generated CSV.
    Csv,
    /// The typed Parquet file the `profile` and `apply` stages prepare in the out folder.
    TypedParquet,
}

/// One peer engine.
#[derive(Debug, Clone, Copy)]
pub struct Peer {
    /// Name in reports (unique within its stage).
    pub name: &'static str,
    /// The engine stage whose job it does.
    pub stage: &'static str,
    /// What its clock covers.
    pub covers: &'static str,
    /// What it reads.
    pub input: PeerInput,
    /// Python source defining `job(source, out)`; timed by [`HARNESS`].
    source: &'static str,
}

/// The peers, in report order within each stage.
pub const PEERS: &[Peer] = &[
    Peer {
        name: "duckdb",
        stage: "parse",
        covers: "read_csv (sampled sniffing) -> Parquet",
        input: PeerInput::Csv,
        source: include_str!("peers/csv_duckdb.py"),
    },
    Peer {
        name: "polars-py",
        stage: "parse",
        covers: "read_csv (first 100 rows infer types) -> Parquet",
        input: PeerInput::Csv,
        source: include_str!("peers/csv_polars.py"),
    },
    Peer {
        name: "duckdb",
        stage: "profile",
        covers: "read Parquet -> SQL statistics, histograms, top values, months, duplicates, Pearson",
        input: PeerInput::TypedParquet,
        source: include_str!("peers/profile_duckdb.py"),
    },
    Peer {
        name: "pandas",
        stage: "profile",
        covers: "read Parquet -> the engine's statistics, Pearson, Spearman, Cramér's V",
        input: PeerInput::TypedParquet,
        source: include_str!("peers/profile_pandas.py"),
    },
    Peer {
        name: "polars-py",
        stage: "apply",
        covers: "read Parquet -> the 10 recipe steps -> Parquet",
        input: PeerInput::TypedParquet,
        source: include_str!("peers/apply_polars.py"),
    },
];

/// The peers of the stages named in `stages`, in stage order then [`PEERS`] order.
pub fn for_stages<'a>(stages: impl IntoIterator<Item = &'a str>) -> Vec<&'static Peer> {
    stages
        .into_iter()
        .flat_map(|stage| PEERS.iter().filter(move |peer| peer.stage == stage))
        .collect()
}

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
    /// The name with its stage, as errors and progress lines show it.
    pub fn label(&self) -> String {
        format!("{} peer {}", self.stage, self.name)
    }

    /// The file the peer reads, given the generated CSV and the out folder.
    pub fn source_path(&self, csv: &Path, out_dir: &Path) -> PathBuf {
        match self.input {
            PeerInput::Csv => csv.to_path_buf(),
            PeerInput::TypedParquet => typed_parquet_path(csv, out_dir),
        }
    }

    /// Runs the peer once, reading its input and writing into `out_dir`.
    pub fn run(&self, python: &Path, csv: &Path, out_dir: &Path) -> Result<Sample> {
        let source = self.source_path(csv, out_dir);
        if !source.is_file() {
            bail!(
                "{}: its input {} is missing (the {} stage prepares it)",
                self.label(),
                source.display(),
                self.stage
            );
        }
        let out = out_dir.join(format!("peer-{}-{}.parquet", self.stage, self.name));
        let program = format!("{}{}", self.source, HARNESS);
        let output = Command::new(python)
            .arg("-c")
            .arg(program)
            .arg(&source)
            .arg(&out)
            .output()
            .with_context(|| format!("starting {}", self.label()))?;
        Sample::from_child(&self.label(), &output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::stages::STAGES;

    #[test]
    fn each_peer_belongs_to_an_existing_stage_and_names_are_unique_per_stage() {
        for peer in PEERS {
            assert!(
                STAGES.iter().any(|s| s.name == peer.stage),
                "{}",
                peer.label()
            );
            let twins = PEERS
                .iter()
                .filter(|p| p.stage == peer.stage && p.name == peer.name)
                .count();
            assert_eq!(twins, 1, "{}", peer.label());
        }
    }

    #[test]
    fn peers_are_picked_by_the_selected_stages() {
        let labels = |stages: &[&str]| -> Vec<String> {
            for_stages(stages.iter().copied())
                .iter()
                .map(|p| format!("{}/{}", p.stage, p.name))
                .collect()
        };
        assert_eq!(labels(&["parse"]), ["parse/duckdb", "parse/polars-py"]);
        assert_eq!(labels(&["profile"]), ["profile/duckdb", "profile/pandas"]);
        assert_eq!(labels(&["apply"]), ["apply/polars-py"]);
        assert!(labels(&["read", "infer"]).is_empty());
        assert_eq!(
            labels(&["apply", "parse"]),
            ["apply/polars-py", "parse/duckdb", "parse/polars-py"]
        );
    }

    #[test]
    fn parse_peers_read_the_csv_and_later_peers_the_typed_parquet() {
        let csv = Path::new("data.csv");
        let out = Path::new("out");
        for peer in PEERS {
            let expected = if peer.stage == "parse" {
                csv.to_path_buf()
            } else {
                out.join("typed-data.parquet")
            };
            assert_eq!(peer.source_path(csv, out), expected, "{}", peer.label());
        }
    }

    #[test]
    fn every_peer_source_defines_job_and_apply_covers_the_ten_recipe_steps() {
        for peer in PEERS {
            assert!(
                peer.source.contains("\ndef job(source, out):\n"),
                "{}",
                peer.label()
            );
        }
        let recipe: serde_json::Value = serde_json::from_str(include_str!("recipe.json")).unwrap();
        assert_eq!(recipe["steps"].as_array().unwrap().len(), 10);
        let apply = PEERS.iter().find(|p| p.stage == "apply").unwrap();
        for call in [
            "str.strip_chars()",
            "str.to_lowercase()",
            "fill_null(pl.col(\"amount\").median())",
            "fill_null(pl.col(\"score\").median())",
            "unique(maintain_order=True)",
            "clip(low, high)",
            "std(ddof=1)",
            "one_hot(frame, \"category\", 5)",
            "filter(pl.col(\"age\").is_not_null() & (pl.col(\"rating\") >= 2))",
            "cast(pl.Float64)",
            "write_parquet(out, compression=\"zstd\")",
        ] {
            assert!(apply.source.contains(call), "{call}");
        }
    }
}
