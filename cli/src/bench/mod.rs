//! `ida bench`: generates a deterministic synthetic CSV, times each engine stage as a whole in
//! its own child process (`ida bench-stage`, so one stage's memory never counts for another),
//! times each selected stage's peers (DuckDB, pandas, Python polars) on the same input in the
//! same run, and reports median wall time, throughput, peak memory and, per stage, the ratio of
//! the engine's median to each peer's.
//!
//! Generation is never timed; nothing here changes the data engine's behaviour.

mod api;
mod generate;
mod measure;
mod peers;
mod report;
mod stages;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use clap::Args;
use nix::sys::resource::{UsageWho, getrusage};

use measure::{Sample, Summary};
use report::Report;

/// Options of `ida bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Data rows in the generated CSV.
    #[arg(long, default_value_t = 1_000_000)]
    pub rows: u64,
    /// Seed of the generator: the same seed gives the same bytes.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Timed runs per stage and peer; the median is reported.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Stages to run, comma-separated (default: all).
    #[arg(long, value_delimiter = ',')]
    pub stages: Vec<String>,
    /// Skip the peer engines (each stage otherwise runs with its own peers).
    #[arg(long)]
    pub no_peers: bool,
    /// Python with duckdb, pandas, polars, numpy and scipy for the peers (default: the venv of
    /// scripts/bench-peers).
    #[arg(long)]
    pub peers_python: Option<PathBuf>,
    /// Folder for the generated CSV and outputs (default: $IDA_CACHE_DIR or ~/.cache/ida, /bench).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Benchmark the REST API instead: latency through the local host under concurrent
    /// clients, and an upload's wall time to a profiled dataset (needs the emulators).
    #[arg(long)]
    pub api: bool,
    /// Concurrent clients of the API benchmark.
    #[arg(long, default_value_t = 20)]
    pub api_clients: usize,
    /// Tenants the API clients are spread over.
    #[arg(long, default_value_t = 4)]
    pub api_tenants: usize,
    /// Seconds of API load.
    #[arg(long, default_value_t = 30)]
    pub api_seconds: u64,
    /// Rows of the generated CSV uploaded through the pipeline (398,000 rows are about 100 MB).
    #[arg(long, default_value_t = 398_000)]
    pub api_upload_rows: u64,
}

/// Options of the hidden `ida bench-stage` child command.
#[derive(Debug, Args)]
pub struct StageArgs {
    /// The stage to run.
    #[arg(long)]
    pub stage: String,
    /// The CSV to work on.
    #[arg(long)]
    pub csv: PathBuf,
    /// Folder for the stage's outputs.
    #[arg(long)]
    pub out_dir: PathBuf,
}

/// Runs `ida bench`.
pub fn run(args: &BenchArgs) -> Result<()> {
    if args.api {
        return run_api(args);
    }
    if args.runs == 0 {
        bail!("--runs must be at least 1");
    }
    let selected = selected_stages(&args.stages)?;
    let dir = match &args.dir {
        Some(dir) => dir.clone(),
        None => cache_dir()?.join("bench"),
    };
    let out_dir = dir.join("out");
    std::fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let csv = generated_csv(&dir, args.rows, args.seed)?;
    let csv_bytes = std::fs::metadata(&csv)
        .with_context(|| format!("reading size of {}", csv.display()))?
        .len();
    let python = if args.no_peers {
        None
    } else {
        match &args.peers_python {
            Some(python) => Some(python.clone()),
            None => Some(peers::python(&repo_root()?)?),
        }
    };
    let exe = std::env::current_exe().context("locating the ida binary")?;
    let selected_peers = if python.is_some() {
        peers::for_stages(selected.iter().map(|stage| stage.name))
    } else {
        Vec::new()
    };
    let mut stage_samples: Vec<Vec<Sample>> = vec![Vec::new(); selected.len()];
    let mut peer_samples: Vec<Vec<Sample>> = vec![Vec::new(); selected_peers.len()];
    // Runs are interleaved (every stage once, then again) so a slow moment of the machine
    // spreads over all jobs instead of one. Stages run before peers in each round, so the
    // typed Parquet file the later peers read exists by then.
    for run in 1..=args.runs {
        for (stage, samples) in selected.iter().zip(&mut stage_samples) {
            eprintln!("run {run}/{}: {}", args.runs, stage.name);
            samples.push(run_child(&exe, stage.name, &csv, &out_dir)?);
        }
        if let Some(python) = &python {
            for (peer, samples) in selected_peers.iter().zip(&mut peer_samples) {
                eprintln!("run {run}/{}: {}", args.runs, peer.label());
                samples.push(peer.run(python, &csv, &out_dir)?);
            }
        }
    }
    let mut results = Vec::new();
    for (stage, samples) in selected.iter().zip(&stage_samples) {
        results.push(Summary::new(
            stage.name,
            stage.name,
            stage.covers,
            false,
            samples,
            csv_bytes,
            args.rows,
        )?);
        for (peer, samples) in selected_peers.iter().zip(&peer_samples) {
            if peer.stage == stage.name && !samples.is_empty() {
                results.push(Summary::new(
                    peer.name,
                    peer.stage,
                    peer.covers,
                    true,
                    samples,
                    csv_bytes,
                    args.rows,
                )?);
            }
        }
    }
    let report = Report::new(args.rows, args.seed, args.runs, &csv, csv_bytes, results);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.table());
    }
    Ok(())
}

/// Runs `ida bench --api`: provisions a stack on the emulators, serves it on a free port,
/// loads it, uploads the generated CSV, and tears everything down.
fn run_api(args: &BenchArgs) -> Result<()> {
    let dir = match &args.dir {
        Some(dir) => dir.clone(),
        None => cache_dir()?.join("bench"),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let csv = generated_csv(&dir, args.api_upload_rows, args.seed)?;
    let load = api::ApiLoad {
        clients: args.api_clients,
        tenants: args.api_tenants,
        duration: std::time::Duration::from_secs(args.api_seconds),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let report = runtime.block_on(async {
        let local = ida_local::LocalStack::from_env().await;
        let stack = local
            .provision()
            .await
            .context("provisioning infra/template.yaml on the emulators (scripts/emulators up)")?;
        let state_dir = dir.join("api-state");
        let (running, _functions) = ida_local::serve::serve_stack(stack, &state_dir, 0, |_| {})
            .await
            .context("starting the local host")?;
        let base = running.base_url();
        eprintln!(
            "bench --api: serving on {base}; {} s of load",
            args.api_seconds
        );
        let measured = async {
            let routes = api::run_load(&base, &load).await?;
            eprintln!("bench --api: uploading {}", csv.display());
            let upload = api::time_upload(&base, &csv).await?;
            anyhow::Ok((routes, upload))
        }
        .await;
        if let Some(stack) = running.shutdown().await {
            stack.teardown().await.context("tearing the stack down")?;
        }
        let (routes, upload) = measured?;
        anyhow::Ok(api::ApiReport {
            clients: load.clients,
            tenants: load.tenants,
            seconds: args.api_seconds,
            routes,
            upload,
        })
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.table());
    }
    Ok(())
}

/// The generated CSV for `rows` and `seed` in `dir`, generated once.
fn generated_csv(dir: &Path, rows: u64, seed: u64) -> Result<PathBuf> {
    let csv = dir.join(format!(
        "synthetic-v{}-{rows}rows-seed{seed}.csv",
        generate::GENERATOR_VERSION
    ));
    if !csv.exists() {
        eprintln!("generating {} ...", csv.display());
        let partial = csv.with_extension("csv.partial");
        generate::write_csv(&partial, rows, seed)?;
        std::fs::rename(&partial, &csv)
            .with_context(|| format!("renaming to {}", csv.display()))?;
    }
    Ok(csv)
}

/// Runs `ida bench-stage`: the stage's work, then its own peak memory, as one JSON line.
pub fn run_stage(args: &StageArgs) -> Result<()> {
    let stage = stages::find(&args.stage)
        .with_context(|| format!("no bench stage named {:?}", args.stage))?;
    let input = stages::StageInput {
        csv: args.csv.clone(),
        out_dir: args.out_dir.clone(),
    };
    let elapsed = (stage.run)(&input)?;
    let usage = getrusage(UsageWho::RUSAGE_SELF).context("reading the stage's peak memory")?;
    let sample = Sample {
        seconds: elapsed.as_secs_f64(),
        max_rss_kib: u64::try_from(usage.max_rss()).unwrap_or(0),
    };
    println!("{}", serde_json::to_string(&sample)?);
    Ok(())
}

fn run_child(exe: &Path, stage: &str, csv: &Path, out_dir: &Path) -> Result<Sample> {
    let output = Command::new(exe)
        .arg("bench-stage")
        .arg("--stage")
        .arg(stage)
        .arg("--csv")
        .arg(csv)
        .arg("--out-dir")
        .arg(out_dir)
        .output()
        .with_context(|| format!("starting stage {stage}"))?;
    Sample::from_child(stage, &output)
}

fn selected_stages(names: &[String]) -> Result<Vec<&'static stages::Stage>> {
    if names.is_empty() {
        return Ok(stages::STAGES.iter().collect());
    }
    names
        .iter()
        .map(|name| {
            stages::find(name).with_context(|| {
                let known: Vec<&str> = stages::STAGES.iter().map(|s| s.name).collect();
                format!("no stage {name:?}; stages are {}", known.join(", "))
            })
        })
        .collect()
}

/// `$IDA_CACHE_DIR`, or `$HOME/.cache/ida`.
fn cache_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("IDA_CACHE_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let home = std::env::var_os("HOME").context("HOME is not set; pass --dir")?;
    Ok(PathBuf::from(home).join(".cache").join("ida"))
}

/// The repository holding `scripts/bench-peers`: the current folder or one of its parents.
fn repo_root() -> Result<PathBuf> {
    let start = std::env::current_dir().context("reading the current folder")?;
    start
        .ancestors()
        .find(|dir| dir.join("scripts").join("bench-peers").is_file())
        .map(Path::to_path_buf)
        .context("scripts/bench-peers not found above the current folder; run from the repository or pass --peers-python")
}
