//! JWT access tokens signed with Ed25519 (`EdDSA`). A [`KeyRing`] holds the current signing key
//! and older keys kept for verification only, each named by a `kid`, so keys rotate without
//! logging anyone out: tokens signed with an old key verify until that key is retired.
//!
//! Verification accepts only `EdDSA` with a known `kid`, checks the signature, `iss` and `aud`,
//! and checks `exp` and `nbf` against the `now` it is given (so the rule is testable and the
//! clock is the caller's). `alg: none`, HMAC tokens (including the classic confusion of an HS256
//! token keyed with the public key bytes) and unknown keys are refused.

use std::collections::HashMap;

use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use jsonwebtoken::errors::ErrorKind as JwtErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use time::{Duration, OffsetDateTime};

use crate::access::{Principal, Role, Subject};
use crate::error::{CoreError, Result};
use crate::id::{TenantId, UserId};
use crate::identity::secret::random_bytes;

/// Issuer, audience and lifetimes of access tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessTokenConfig {
    /// The `iss` claim, such as `https://api.example.com`.
    pub issuer: String,
    /// The `aud` claim expected by the API.
    pub audience: String,
    /// How long a token is valid.
    pub ttl: Duration,
    /// Clock skew tolerated on `exp` and `nbf`.
    pub leeway: Duration,
}

impl AccessTokenConfig {
    /// Default lifetime: 15 minutes (refresh tokens carry the session beyond that).
    pub const DEFAULT_TTL: Duration = Duration::minutes(15);
    /// Default clock skew tolerance.
    pub const DEFAULT_LEEWAY: Duration = Duration::seconds(30);

    /// A configuration with the default lifetime and leeway.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        AccessTokenConfig {
            issuer: issuer.into(),
            audience: audience.into(),
            ttl: Self::DEFAULT_TTL,
            leeway: Self::DEFAULT_LEEWAY,
        }
    }
}

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccessClaims {
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// The user.
    pub sub: UserId,
    /// The user's tenant.
    pub tid: TenantId,
    /// The user's role when the token was issued.
    pub role: Role,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Not before (Unix seconds).
    pub nbf: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
    /// Token id, for tracing a token through logs.
    pub jti: String,
}

/// A private signing key with its id, as kept in Secrets Manager or the local key file.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SigningKeyMaterial {
    /// The key id written into each token's header.
    pub kid: String,
    /// The Ed25519 private key, PKCS#8 PEM.
    pub private_key_pem: String,
}

impl std::fmt::Debug for SigningKeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyMaterial")
            .field("kid", &self.kid)
            .field("private_key_pem", &"redacted")
            .finish()
    }
}

/// A public key kept to verify tokens signed before a rotation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VerificationKeyMaterial {
    /// The key id.
    pub kid: String,
    /// The Ed25519 public key, SPKI PEM.
    pub public_key_pem: String,
}

/// The signing key and the older verification keys, serialisable as one secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyRing {
    /// The key new tokens are signed with.
    pub current: SigningKeyMaterial,
    /// Earlier keys whose tokens still verify.
    #[serde(default)]
    pub previous: Vec<VerificationKeyMaterial>,
}

fn generate_signing_key(now: OffsetDateTime) -> Result<SigningKeyMaterial> {
    let key = SigningKey::from_bytes(&random_bytes::<32>()?);
    let pem = key
        .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .map_err(|e| CoreError::Encoding(format!("signing key PEM: {e}")))?;
    let suffix = hex::encode(random_bytes::<4>()?);
    Ok(SigningKeyMaterial {
        kid: format!("ed25519-{}-{suffix}", now.unix_timestamp()),
        private_key_pem: pem.to_string(),
    })
}

fn public_pem(material: &SigningKeyMaterial) -> Result<String> {
    let key = SigningKey::from_pkcs8_pem(&material.private_key_pem)
        .map_err(|e| CoreError::Encoding(format!("signing key {}: {e}", material.kid)))?;
    key.verifying_key()
        .to_public_key_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .map_err(|e| CoreError::Encoding(format!("public key {}: {e}", material.kid)))
}

impl KeyRing {
    /// A ring with one fresh key.
    pub fn generate(now: OffsetDateTime) -> Result<Self> {
        Ok(KeyRing {
            current: generate_signing_key(now)?,
            previous: Vec::new(),
        })
    }

    /// Signs with a fresh key from now on; the old key stays for verification.
    pub fn rotate(&self, now: OffsetDateTime) -> Result<KeyRing> {
        let mut previous = vec![VerificationKeyMaterial {
            kid: self.current.kid.clone(),
            public_key_pem: public_pem(&self.current)?,
        }];
        previous.extend(self.previous.iter().cloned());
        Ok(KeyRing {
            current: generate_signing_key(now)?,
            previous,
        })
    }

    /// Drops an old verification key: its tokens stop verifying. The current key cannot be
    /// retired (rotate first).
    pub fn retire(&self, kid: &str) -> Result<KeyRing> {
        if kid == self.current.kid {
            return Err(CoreError::invalid(
                "kid",
                "the current signing key cannot be retired; rotate first",
            ));
        }
        Ok(KeyRing {
            current: self.current.clone(),
            previous: self
                .previous
                .iter()
                .filter(|k| k.kid != kid)
                .cloned()
                .collect(),
        })
    }
}

/// A token and when it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedAccessToken {
    /// The compact JWT.
    pub token: String,
    /// Its expiry.
    pub expires_at: OffsetDateTime,
}

/// The result of a successful verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedAccess {
    /// The caller.
    pub principal: Principal,
    /// The claims.
    pub claims: AccessClaims,
}

/// Issues and verifies access tokens with a key ring.
pub struct AccessTokens {
    config: AccessTokenConfig,
    signing_kid: String,
    signing_key: EncodingKey,
    verification_keys: HashMap<String, DecodingKey>,
}

impl std::fmt::Debug for AccessTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessTokens")
            .field("config", &self.config)
            .field("signing_kid", &self.signing_kid)
            .finish_non_exhaustive()
    }
}

fn decoding_key_from_public_pem(kid: &str, pem: &str) -> Result<DecodingKey> {
    let key = ed25519_dalek::VerifyingKey::from_public_key_pem(pem)
        .map_err(|e| CoreError::Encoding(format!("verification key {kid}: {e}")))?;
    Ok(DecodingKey::from_ed_der(key.as_bytes()))
}

/// A refused token; `reason` is safe to show to the caller.
fn invalid(reason: &'static str) -> CoreError {
    CoreError::InvalidToken { reason }
}

impl AccessTokens {
    /// Loads the ring's keys.
    pub fn new(config: AccessTokenConfig, ring: &KeyRing) -> Result<Self> {
        let signing = SigningKey::from_pkcs8_pem(&ring.current.private_key_pem)
            .map_err(|e| CoreError::Encoding(format!("signing key {}: {e}", ring.current.kid)))?;
        let der = signing
            .to_pkcs8_der()
            .map_err(|e| CoreError::Encoding(format!("signing key {}: {e}", ring.current.kid)))?;
        let mut verification_keys = HashMap::new();
        verification_keys.insert(
            ring.current.kid.clone(),
            DecodingKey::from_ed_der(signing.verifying_key().as_bytes()),
        );
        for old in &ring.previous {
            verification_keys.insert(
                old.kid.clone(),
                decoding_key_from_public_pem(&old.kid, &old.public_key_pem)?,
            );
        }
        Ok(AccessTokens {
            config,
            signing_kid: ring.current.kid.clone(),
            signing_key: EncodingKey::from_ed_der(der.as_bytes()),
            verification_keys,
        })
    }

    /// Issues a token for `user` of `tenant` with `role`, valid from `now` for the configured
    /// lifetime.
    pub fn issue(
        &self,
        tenant: &TenantId,
        user: &UserId,
        role: Role,
        now: OffsetDateTime,
    ) -> Result<IssuedAccessToken> {
        let expires_at = now + self.config.ttl;
        let claims = AccessClaims {
            iss: self.config.issuer.clone(),
            aud: self.config.audience.clone(),
            sub: user.clone(),
            tid: tenant.clone(),
            role,
            iat: now.unix_timestamp(),
            nbf: now.unix_timestamp(),
            exp: expires_at.unix_timestamp(),
            jti: hex::encode(random_bytes::<16>()?),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.signing_kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &self.signing_key)
            .map_err(|e| CoreError::Crypto(format!("signing access token: {e}")))?;
        Ok(IssuedAccessToken { token, expires_at })
    }

    /// Verifies a token at `now` and returns the principal it names.
    pub fn verify(&self, token: &str, now: OffsetDateTime) -> Result<VerifiedAccess> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid("malformed token"))?;
        if header.alg != Algorithm::EdDSA {
            return Err(invalid("algorithm not allowed"));
        }
        let kid = header.kid.ok_or(invalid("missing key id"))?;
        let key = self
            .verification_keys
            .get(&kid)
            .ok_or(invalid("unknown key id"))?;

        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        // Time is checked below against the caller's `now`, not the library's clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;

        let data = jsonwebtoken::decode::<AccessClaims>(token, key, &validation).map_err(|e| {
            invalid(match e.kind() {
                JwtErrorKind::InvalidSignature => "bad signature",
                JwtErrorKind::InvalidAudience => "wrong audience",
                JwtErrorKind::InvalidIssuer => "wrong issuer",
                JwtErrorKind::InvalidAlgorithm => "algorithm not allowed",
                JwtErrorKind::MissingRequiredClaim(_) => "missing claim",
                _ => "malformed token",
            })
        })?;
        let claims = data.claims;
        let leeway = self.config.leeway.whole_seconds();
        let now_s = now.unix_timestamp();
        if now_s >= claims.exp.saturating_add(leeway) {
            return Err(invalid("expired"));
        }
        if now_s.saturating_add(leeway) < claims.nbf {
            return Err(invalid("not yet valid"));
        }
        let principal = Principal::verified(
            claims.tid.clone(),
            Subject::User {
                user: claims.sub.clone(),
            },
            claims.role,
            None,
        );
        Ok(VerifiedAccess { principal, claims })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn t(seconds: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::days(20_000) + Duration::seconds(seconds)
    }

    fn config() -> AccessTokenConfig {
        AccessTokenConfig::new("https://ida.test", "ida-api")
    }

    fn issue(tokens: &AccessTokens, now: OffsetDateTime) -> (String, TenantId, UserId) {
        let tenant = TenantId::generate();
        let user = UserId::generate();
        let issued = tokens.issue(&tenant, &user, Role::Member, now).unwrap();
        assert_eq!(issued.expires_at, now + Duration::minutes(15));
        (issued.token, tenant, user)
    }

    fn reason(err: CoreError) -> &'static str {
        match err {
            CoreError::InvalidToken { reason } => reason,
            other => panic!("expected invalid_token, got {other:?}"),
        }
    }

    #[test]
    fn a_fresh_token_verifies_to_its_principal() {
        let ring = KeyRing::generate(t(0)).unwrap();
        let tokens = AccessTokens::new(config(), &ring).unwrap();
        let (token, tenant, user) = issue(&tokens, t(0));
        let verified = tokens.verify(&token, t(60)).unwrap();
        assert_eq!(verified.principal.tenant(), &tenant);
        assert_eq!(verified.principal.user(), &user);
        assert_eq!(verified.principal.role(), Role::Member);
        assert_eq!(verified.principal.scopes(), None);
        assert_eq!(verified.claims.iss, "https://ida.test");
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.alg, Algorithm::EdDSA);
        assert_eq!(header.kid.as_deref(), Some(ring.current.kid.as_str()));
    }

    #[test]
    fn expiry_and_not_before_are_checked_with_leeway() {
        let ring = KeyRing::generate(t(0)).unwrap();
        let tokens = AccessTokens::new(config(), &ring).unwrap();
        let (token, _, _) = issue(&tokens, t(0));
        assert!(tokens.verify(&token, t(15 * 60 + 29)).is_ok());
        assert_eq!(
            reason(tokens.verify(&token, t(15 * 60 + 30)).unwrap_err()),
            "expired"
        );
        assert!(tokens.verify(&token, t(-30)).is_ok());
        assert_eq!(
            reason(tokens.verify(&token, t(-31)).unwrap_err()),
            "not yet valid"
        );
    }

    #[test]
    fn a_token_for_another_audience_or_issuer_is_refused() {
        let ring = KeyRing::generate(t(0)).unwrap();
        let tokens = AccessTokens::new(config(), &ring).unwrap();
        let other_aud = AccessTokens::new(
            AccessTokenConfig::new("https://ida.test", "billing-api"),
            &ring,
        )
        .unwrap();
        let (token, _, _) = issue(&other_aud, t(0));
        assert_eq!(
            reason(tokens.verify(&token, t(1)).unwrap_err()),
            "wrong audience"
        );
        let other_iss = AccessTokens::new(
            AccessTokenConfig::new("https://evil.test", "ida-api"),
            &ring,
        )
        .unwrap();
        let (token, _, _) = issue(&other_iss, t(0));
        assert_eq!(
            reason(tokens.verify(&token, t(1)).unwrap_err()),
            "wrong issuer"
        );
    }

    #[test]
    fn a_token_signed_by_another_key_with_the_same_kid_is_refused() {
        let ring = KeyRing::generate(t(0)).unwrap();
        let tokens = AccessTokens::new(config(), &ring).unwrap();
        let mut impostor_ring = KeyRing::generate(t(0)).unwrap();
        impostor_ring.current.kid = ring.current.kid.clone();
        let impostor = AccessTokens::new(config(), &impostor_ring).unwrap();
        let (token, _, _) = issue(&impostor, t(0));
        assert_eq!(
            reason(tokens.verify(&token, t(1)).unwrap_err()),
            "bad signature"
        );
        let stranger = AccessTokens::new(config(), &KeyRing::generate(t(0)).unwrap()).unwrap();
        let (token, _, _) = issue(&stranger, t(0));
        assert_eq!(
            reason(tokens.verify(&token, t(1)).unwrap_err()),
            "unknown key id"
        );
    }

    #[test]
    fn alg_none_is_refused() {
        let ring = KeyRing::generate(t(0)).unwrap();
        let tokens = AccessTokens::new(config(), &ring).unwrap();
        let (token, _, _) = issue(&tokens, t(0));
        let claims = token.split('.').nth(1).unwrap();
        let header = URL_SAFE_NO_PAD.encode(format!(
            r#"{{"alg":"none","typ":"JWT","kid":"{}"}}"#,
            ring.current.kid
        ));
        for forged in [format!("{header}.{claims}."), format!("{header}.{claims}")] {
            let err = tokens.verify(&forged, t(1)).unwrap_err();
            assert_eq!(err.code(), "invalid_token");
        }
    }

    #[test]
    fn an_hs256_token_keyed_with_the_public_key_is_refused() {
        let ring = KeyRing::generate(t(0)).unwrap();
        let tokens = AccessTokens::new(config(), &ring).unwrap();
        let public =
            ed25519_dalek::VerifyingKey::from_public_key_pem(&public_pem(&ring.current).unwrap())
                .unwrap();
        let claims = AccessClaims {
            iss: "https://ida.test".into(),
            aud: "ida-api".into(),
            sub: UserId::generate(),
            tid: TenantId::generate(),
            role: Role::Owner,
            iat: t(0).unix_timestamp(),
            nbf: t(0).unix_timestamp(),
            exp: t(900).unix_timestamp(),
            jti: "x".into(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(ring.current.kid.clone());
        for secret in [
            public.as_bytes().to_vec(),
            public_pem(&ring.current).unwrap().into_bytes(),
        ] {
            let forged =
                jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&secret)).unwrap();
            assert_eq!(
                reason(tokens.verify(&forged, t(1)).unwrap_err()),
                "algorithm not allowed"
            );
        }
    }

    #[test]
    fn old_keys_verify_after_rotation_until_retired() {
        let ring = KeyRing::generate(t(0)).unwrap();
        let before = AccessTokens::new(config(), &ring).unwrap();
        let (old_token, _, _) = issue(&before, t(0));

        let rotated = ring.rotate(t(10)).unwrap();
        assert_ne!(rotated.current.kid, ring.current.kid);
        // The ring survives serialisation, as it is kept in a secret.
        let stored = serde_json::to_string(&rotated).unwrap();
        let rotated: KeyRing = serde_json::from_str(&stored).unwrap();
        let after = AccessTokens::new(config(), &rotated).unwrap();
        assert!(after.verify(&old_token, t(20)).is_ok());
        let (new_token, _, _) = issue(&after, t(20));
        assert!(after.verify(&new_token, t(21)).is_ok());
        // A service still on the old ring does not know the new kid.
        assert_eq!(
            reason(before.verify(&new_token, t(21)).unwrap_err()),
            "unknown key id"
        );

        let retired = rotated.retire(&ring.current.kid).unwrap();
        let pruned = AccessTokens::new(config(), &retired).unwrap();
        assert_eq!(
            reason(pruned.verify(&old_token, t(30)).unwrap_err()),
            "unknown key id"
        );
        assert!(pruned.verify(&new_token, t(30)).is_ok());
        assert!(retired.retire(&retired.current.kid).is_err());
    }

    #[test]
    fn tampered_claims_break_the_signature() {
        let ring = KeyRing::generate(t(0)).unwrap();
        let tokens = AccessTokens::new(config(), &ring).unwrap();
        let (token, _, _) = issue(&tokens, t(0));
        let parts: Vec<&str> = token.split('.').collect();
        let mut claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        claims["role"] = "OWNER".into();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(claims.to_string()),
            parts[2]
        );
        assert_eq!(
            reason(tokens.verify(&forged, t(1)).unwrap_err()),
            "bad signature"
        );
        assert_eq!(
            reason(tokens.verify("not.a.jwt", t(1)).unwrap_err()),
            "malformed token"
        );
        assert!(!format!("{:?}", ring.current).contains("PRIVATE"));
    }
}
