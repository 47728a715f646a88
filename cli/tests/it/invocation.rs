//! Running the built `ida` binary as a user does, and the scratch folders its tests write into.

use std::path::PathBuf;
use std::process::{Command, Output};

/// A path relative to the repository root.
pub fn repo_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

/// Runs `ida` with the arguments and returns what it printed and its exit status.
pub fn ida(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ida"))
        .args(args)
        .output()
        .unwrap()
}

/// A fresh, empty folder named after the test and this process, so tests run side by side.
pub fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ida-cli-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}
