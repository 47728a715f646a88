//! `ida serve`: the whole stack on the local emulators. It provisions the resources of
//! `infra/template.yaml` under a fresh prefix, builds every function's state on them, serves the
//! REST API on 127.0.0.1 through `ida_local::serve` (authorizer in front of every authorized
//! route, as API Gateway does), and on Ctrl-C stops, then tears the stack down unless `--keep`.

use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use ida_local::serve::serve_stack;
use ida_local::{Endpoints, LocalStack};
use ida_runtime::settings::LogLevel;

/// Options of `ida serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 to serve the API on (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Folder for local state: the token signing key ring, made on first run and reused.
    #[arg(long, default_value = ".state")]
    state_dir: PathBuf,
    /// Keep the provisioned stack on the emulators after stopping (its prefix is printed).
    #[arg(long)]
    keep: bool,
}

/// Runs the host until Ctrl-C.
pub fn run(args: &ServeArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve(args))
}

async fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    // Request logs go to stderr as JSON lines; stdout carries only what a script reads.
    let subscriber = ida_runtime::tracing::json_subscriber(LogLevel::from_env()?, std::io::stderr);
    tracing::subscriber::set_global_default(subscriber).context("installing the log output")?;

    let endpoints = Endpoints::from_env();
    for url in [&endpoints.aws, &endpoints.dynamodb] {
        if !listening(url) {
            bail!(
                "no emulator answers at {url}: start them with `scripts/emulators up` \
                 (AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_DYNAMODB choose other endpoints)"
            );
        }
    }
    let local = LocalStack::connect(endpoints).await;
    let stack = local
        .provision()
        .await
        .context("provisioning infra/template.yaml on the emulators")?;
    let (running, functions) = serve_stack(stack, &args.state_dir, args.port, |_| {})
        .await
        .context("starting the local host")?;
    println!("ida serve: listening on {}", running.base_url());
    if let Some(stack) = running.stack() {
        eprintln!(
            "ida serve: stack {} (table {}, uploads bucket {}), signing keys in {}",
            stack.prefix,
            stack.records_table,
            stack.uploads_bucket,
            functions.key_ring_file.display()
        );
    }
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    eprintln!("ida serve: stopping");
    let Some(stack) = running.shutdown().await else {
        return Ok(());
    };
    if args.keep {
        eprintln!("ida serve: keeping stack {} on the emulators", stack.prefix);
        return Ok(());
    }
    let prefix = stack.prefix.clone();
    stack
        .teardown()
        .await
        .context("tearing the stack down (rerun with --keep to leave it)")?;
    eprintln!("ida serve: stack {prefix} torn down");
    Ok(())
}

/// Whether something accepts TCP connections at `url` (an `http://host:port` endpoint).
fn listening(url: &str) -> bool {
    let authority = url
        .trim_start_matches("http://")
        .trim_start_matches("https://");
    let authority = authority.split('/').next().unwrap_or(authority);
    authority.to_socket_addrs().is_ok_and(|mut addresses| {
        addresses
            .any(|address| TcpStream::connect_timeout(&address, Duration::from_secs(2)).is_ok())
    })
}
