//! `ida signing-keys`: makes the token signing key ring (a fresh Ed25519 key with its `kid`) in a
//! folder, or reuses the one there, and prints the file's path. `ida serve` keeps its ring the
//! same way; for a deployment, the operator stores the file's content in the stack's
//! `<NamePrefix>/signing-keys` secret. The key material itself is never printed.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

/// Options of `ida signing-keys`.
#[derive(Debug, Args)]
pub struct SigningKeysArgs {
    /// Folder of the key ring file (created owner-only on first use).
    #[arg(long, default_value = ".state")]
    dir: PathBuf,
}

/// Makes or finds the key ring and prints its path.
pub fn run(args: &SigningKeysArgs) -> anyhow::Result<()> {
    let (path, ring) =
        ida_local::serve::key_ring_in(&args.dir).context("making the signing key ring")?;
    println!("{}", path.display());
    eprintln!("signing key id: {}", ring.current.kid);
    Ok(())
}
