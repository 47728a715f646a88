//! Password hashing with argon2id, parameters from configuration (OWASP defaults in
//! production, small ones in tests), stored as PHC strings so parameters travel with the hash.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use time::OffsetDateTime;

use crate::error::{CoreError, Result};
use crate::id::{TenantId, UserId};
use crate::identity::secret::random_bytes;

/// A user's stored password, kept apart from the user record so that reading a user never
/// reads a password hash.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PasswordCredential {
    /// The user.
    pub user: UserId,
    /// The user's tenant.
    pub tenant: TenantId,
    /// The argon2id PHC string.
    pub password_phc: String,
    /// When the password was last set or re-hashed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl std::fmt::Debug for PasswordCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordCredential")
            .field("user", &self.user)
            .field("tenant", &self.tenant)
            .field("password_phc", &"redacted")
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// A password as typed: 12 to 128 characters. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Fewest characters accepted (NIST SP 800-63B asks for at least 8; 12 resists guessing
    /// better without a composition rule).
    pub const MIN_CHARS: usize = 12;
    /// Most characters accepted (bounds the hashing cost of a request).
    pub const MAX_CHARS: usize = 128;

    /// Checks the length rule for a new password.
    pub fn new_for_registration(text: &str) -> Result<Self> {
        let chars = text.chars().count();
        if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&chars) {
            return Err(CoreError::invalid(
                "password",
                format!(
                    "must be {} to {} characters",
                    Self::MIN_CHARS,
                    Self::MAX_CHARS
                ),
            ));
        }
        Ok(Password(text.to_owned()))
    }

    /// A password presented at login; only the upper bound is checked so that old passwords
    /// made under another rule still work.
    pub fn presented(text: &str) -> Result<Self> {
        if text.is_empty() || text.chars().count() > Self::MAX_CHARS {
            return Err(CoreError::InvalidCredentials);
        }
        Ok(Password(text.to_owned()))
    }

    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(redacted)")
    }
}

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PasswordHashing {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for PasswordHashing {
    /// The OWASP Password Storage Cheat Sheet's first argon2id setting: 19 MiB, 2 passes,
    /// 1 lane (about 30-60 ms on a Lambda vCPU).
    fn default() -> Self {
        PasswordHashing {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl PasswordHashing {
    /// Cheap parameters for tests only (never use in a deployment).
    pub const FAST_INSECURE_FOR_TESTS: PasswordHashing = PasswordHashing {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    fn hasher(&self) -> Result<Argon2<'static>> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| CoreError::invalid("password_hashing", e.to_string()))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// Hashes a password with a fresh 16-byte salt, returning the PHC string.
    pub fn hash(&self, password: &Password) -> Result<String> {
        let salt = SaltString::encode_b64(&random_bytes::<16>()?)
            .map_err(|e| CoreError::Crypto(format!("salt: {e}")))?;
        self.hasher()?
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| CoreError::Crypto(format!("argon2: {e}")))
    }

    /// Checks a password against a stored PHC string (with the parameters recorded in it).
    pub fn verify(&self, password: &Password, stored: &str) -> Result<()> {
        let parsed = PasswordHash::new(stored)
            .map_err(|e| CoreError::Encoding(format!("stored password hash: {e}")))?;
        self.hasher()?
            .verify_password(password.as_bytes(), &parsed)
            .map_err(|_| CoreError::InvalidCredentials)
    }

    /// Spends the same time as a real verification when the account does not exist, so the
    /// response time does not reveal which emails are registered. Always fails.
    pub fn verify_against_decoy(&self, password: &Password) -> Result<()> {
        // One argon2 computation with the same parameters costs what a verification costs.
        self.hash(password)?;
        Err(CoreError::InvalidCredentials)
    }

    /// Whether a stored hash was made with other parameters and should be re-hashed at the
    /// next successful login.
    pub fn needs_rehash(&self, stored: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(stored) else {
            return true;
        };
        let Ok(params) = Params::try_from(&parsed) else {
            return true;
        };
        parsed.algorithm.as_str() != "argon2id"
            || params.m_cost() != self.memory_kib
            || params.t_cost() != self.iterations
            || params.p_cost() != self.parallelism
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: PasswordHashing = PasswordHashing::FAST_INSECURE_FOR_TESTS;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let password = Password::new_for_registration("correct horse battery").unwrap();
        let stored = FAST.hash(&password).unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=64,t=1,p=1$"),
            "{stored}"
        );
        FAST.verify(&password, &stored).unwrap();
        let wrong = Password::presented("correct horse battery!").unwrap();
        assert_eq!(
            FAST.verify(&wrong, &stored).unwrap_err(),
            CoreError::InvalidCredentials
        );
        // Salts differ, so equal passwords hash differently.
        assert_ne!(stored, FAST.hash(&password).unwrap());
    }

    #[test]
    fn production_defaults_follow_owasp() {
        let d = PasswordHashing::default();
        assert_eq!((d.memory_kib, d.iterations, d.parallelism), (19456, 2, 1));
        let stored = FAST.hash(&Password::presented("x").unwrap()).unwrap();
        assert!(d.needs_rehash(&stored));
        assert!(!FAST.needs_rehash(&stored));
        assert!(FAST.needs_rehash("not a phc string"));
    }

    #[test]
    fn password_rules_and_redaction() {
        assert!(Password::new_for_registration("short").is_err());
        assert!(Password::new_for_registration(&"x".repeat(129)).is_err());
        assert_eq!(
            Password::presented("").unwrap_err(),
            CoreError::InvalidCredentials
        );
        let p = Password::presented("hunter2-secret").unwrap();
        assert_eq!(format!("{p:?}"), "Password(redacted)");
    }

    #[test]
    fn credentials_never_show_their_hash_in_debug() {
        let credential = PasswordCredential {
            user: UserId::generate(),
            tenant: TenantId::generate(),
            password_phc: FAST.hash(&Password::presented("p").unwrap()).unwrap(),
            updated_at: OffsetDateTime::UNIX_EPOCH,
        };
        assert!(!format!("{credential:?}").contains("argon2id"));
    }

    #[test]
    fn the_decoy_check_always_fails() {
        let p = Password::presented("anything at all").unwrap();
        assert_eq!(
            FAST.verify_against_decoy(&p).unwrap_err(),
            CoreError::InvalidCredentials
        );
    }

    #[test]
    fn bad_parameters_are_refused_naming_the_config() {
        let bad = PasswordHashing {
            memory_kib: 1,
            ..FAST
        };
        let err = bad.hash(&Password::presented("x").unwrap()).unwrap_err();
        assert!(
            err.to_string().starts_with("invalid password_hashing"),
            "{err}"
        );
    }
}
