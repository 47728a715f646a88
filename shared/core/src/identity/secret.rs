//! Randomness, digests and constant-time comparison shared by the token and key modules.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{CoreError, Result};

/// `N` bytes from the operating system's random source.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| CoreError::Crypto(format!("system random source: {e}")))?;
    Ok(bytes)
}

/// A random secret as lowercase hex of 32 bytes (256 bits).
pub(crate) fn random_secret_hex() -> Result<String> {
    Ok(hex::encode(random_bytes::<32>()?))
}

/// SHA-256 of `text` as lowercase hex.
pub(crate) fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Compares two digests without a timing side channel on their content.
pub(crate) fn digests_match(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_digests_are_sha256() {
        let a = random_secret_hex().unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_secret_hex().unwrap());
        // SHA-256("abc") from FIPS 180-2, appendix B.1.
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(digests_match(&sha256_hex("x"), &sha256_hex("x")));
        assert!(!digests_match(&sha256_hex("x"), &sha256_hex("y")));
        assert!(!digests_match("ab", "abc"));
    }
}
