//! The token signing key ring of `ida serve`: a JSON file under the local state folder, made
//! with a fresh Ed25519 key on first run and reused afterwards, so tokens survive a restart.
//! The file is created owner-only; its content is never logged nor put into an error.

use crate::serve::error::ServeError;
use ida_core::identity::KeyRing;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The key ring's file name inside the state folder.
pub const KEY_RING_FILE: &str = "signing-keys.json";

/// The key ring in `state_dir`, created there on first use; returns the file and the ring.
pub fn key_ring_in(state_dir: &Path) -> Result<(PathBuf, KeyRing), ServeError> {
    let path = state_dir.join(KEY_RING_FILE);
    let failed = |message: String| ServeError::KeyRing {
        path: path.display().to_string(),
        message,
    };
    std::fs::create_dir_all(state_dir).map_err(|error| failed(error.to_string()))?;
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let ring = serde_json::from_str(&text).map_err(|error| {
                failed(format!(
                    "not a key ring (JSON {:?} error at line {}, column {}); delete it to make a new one",
                    error.classify(),
                    error.line(),
                    error.column()
                ))
            })?;
            Ok((path, ring))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let ring = KeyRing::generate(time::OffsetDateTime::now_utc())
                .map_err(|error| failed(error.code().to_owned()))?;
            let text =
                serde_json::to_string_pretty(&ring).map_err(|error| failed(error.to_string()))?;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options
                .open(&path)
                .map_err(|error| failed(error.to_string()))?;
            file.write_all(text.as_bytes())
                .map_err(|error| failed(error.to_string()))?;
            Ok((path, ring))
        }
        Err(error) => Err(failed(error.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("ida-keys-{name}-{}", uuid::Uuid::new_v4().simple()))
    }

    #[test]
    fn the_first_run_creates_the_ring_and_later_runs_reuse_it() {
        let dir = folder("reuse");
        let (path, first) = key_ring_in(&dir).unwrap();
        let (_, second) = key_ring_in(&dir).unwrap();
        assert_eq!(first, second);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_corrupt_ring_is_named_without_its_content() {
        let dir = folder("corrupt");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(KEY_RING_FILE), "{\"current\": \"very-secret\"").unwrap();
        let error = key_ring_in(&dir).unwrap_err();
        let text = error.to_string();
        assert!(text.contains(KEY_RING_FILE), "{text}");
        assert!(!text.contains("very-secret"), "{text}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
