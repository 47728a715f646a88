//! Refresh tokens: random secrets stored only as their SHA-256, grouped in a family per login.
//! Each use rotates the token (the used one is marked rotated, a new one is issued); presenting
//! a rotated token again means it was stolen or replayed, so the whole family is revoked.
//!
//! [`RefreshTokenRecord::redeem`] is the pure rule; the store applies its decision with a
//! conditional write on `status = ACTIVE`, and treats a lost race as reuse.

use time::{Duration, OffsetDateTime};

use crate::access::VerifiedCredential;
use crate::error::{CoreError, Result};
use crate::id::{SessionFamilyId, TenantId, UserId};
use crate::identity::secret::{digests_match, random_secret_hex, sha256_hex};
use crate::wire_enum::wire_enum;

/// The prefix of every refresh token, so a leaked one is recognisable by secret scanners.
pub const REFRESH_TOKEN_PREFIX: &str = "idr_";

wire_enum! {
    /// A refresh token's state.
    pub enum RefreshStatus: "refresh_status" {
        /// May be redeemed once.
        Active => "ACTIVE",
        /// Redeemed; presenting it again revokes the family.
        Rotated => "ROTATED",
        /// Revoked by logout or reuse detection.
        Revoked => "REVOKED",
    }
}

/// A stored refresh token (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RefreshTokenRecord {
    /// SHA-256 (hex) of the token: the lookup key.
    pub token_sha256: String,
    /// The login session it belongs to.
    pub family: SessionFamilyId,
    /// The tenant.
    pub tenant: TenantId,
    /// The user.
    pub user: UserId,
    /// State.
    pub status: RefreshStatus,
    /// When it was issued.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// When it stops being redeemable.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// A new refresh token: the secret to hand to the client once, and the record to store.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedRefreshToken {
    /// The token for the client; never stored or logged.
    pub token: String,
    /// What the store keeps.
    pub record: RefreshTokenRecord,
}

impl std::fmt::Debug for IssuedRefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedRefreshToken")
            .field("token", &"redacted")
            .field("record", &self.record)
            .finish()
    }
}

/// What the store must do with a presented refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshDecision {
    /// Mark `used` rotated (conditionally on it still being active) and store `next`.
    Rotate {
        /// The presented token's record, now rotated.
        used: RefreshTokenRecord,
        /// The successor (boxed: it is much larger than the other variant).
        next: Box<IssuedRefreshToken>,
        /// The token's user, proven by the match; the principal is built from it.
        verified: VerifiedCredential,
    },
    /// A rotated token came back: revoke every token of the family, then refuse the request
    /// with [`CoreError::RefreshTokenReused`].
    RevokeFamily {
        /// The family to revoke.
        family: SessionFamilyId,
        /// The token's user, proven by the match; the revocation is made in its tenant.
        verified: VerifiedCredential,
    },
}

/// The lookup key for a presented token.
pub fn refresh_token_digest(token: &str) -> String {
    sha256_hex(token)
}

impl RefreshTokenRecord {
    /// Default lifetime of one refresh token.
    pub const DEFAULT_TTL: Duration = Duration::days(14);

    /// Issues a token for a new login (`family` `None`) or as the successor in a family.
    pub fn issue(
        tenant: &TenantId,
        user: &UserId,
        family: Option<&SessionFamilyId>,
        now: OffsetDateTime,
        ttl: Duration,
    ) -> Result<IssuedRefreshToken> {
        let token = format!("{REFRESH_TOKEN_PREFIX}{}", random_secret_hex()?);
        let record = RefreshTokenRecord {
            token_sha256: sha256_hex(&token),
            family: family.cloned().unwrap_or_else(SessionFamilyId::generate),
            tenant: tenant.clone(),
            user: user.clone(),
            status: RefreshStatus::Active,
            issued_at: now,
            expires_at: now + ttl,
        };
        Ok(IssuedRefreshToken { token, record })
    }

    /// The rotate-on-use rule for `presented`, found by its digest. `family_revoked` is whether
    /// the store has the family marked revoked.
    pub fn redeem(
        &self,
        presented: &str,
        family_revoked: bool,
        now: OffsetDateTime,
        ttl: Duration,
    ) -> Result<RefreshDecision> {
        if !digests_match(&sha256_hex(presented), &self.token_sha256) {
            return Err(CoreError::InvalidCredentials);
        }
        if family_revoked || self.status == RefreshStatus::Revoked {
            return Err(CoreError::CredentialRevoked);
        }
        if self.status == RefreshStatus::Rotated {
            return Ok(RefreshDecision::RevokeFamily {
                family: self.family.clone(),
                verified: VerifiedCredential::new(self.tenant.clone(), self.user.clone()),
            });
        }
        if now >= self.expires_at {
            return Err(CoreError::InvalidToken { reason: "expired" });
        }
        let next = Box::new(Self::issue(
            &self.tenant,
            &self.user,
            Some(&self.family),
            now,
            ttl,
        )?);
        let used = RefreshTokenRecord {
            status: RefreshStatus::Rotated,
            ..self.clone()
        };
        let verified = VerifiedCredential::new(self.tenant.clone(), self.user.clone());
        Ok(RefreshDecision::Rotate {
            used,
            next,
            verified,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(seconds: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::seconds(seconds)
    }

    #[test]
    fn tokens_are_stored_as_digests_only() {
        let issued = RefreshTokenRecord::issue(
            &TenantId::generate(),
            &UserId::generate(),
            None,
            t(0),
            RefreshTokenRecord::DEFAULT_TTL,
        )
        .unwrap();
        assert!(issued.token.starts_with("idr_"));
        assert_eq!(issued.token.len(), 4 + 64);
        assert_eq!(
            issued.record.token_sha256,
            refresh_token_digest(&issued.token)
        );
        let stored = serde_json::to_string(&issued.record).unwrap();
        assert!(!stored.contains(&issued.token[4..]));
        assert!(!format!("{issued:?}").contains(&issued.token[4..]));
    }

    #[test]
    fn each_use_rotates_within_the_family() {
        let first = RefreshTokenRecord::issue(
            &TenantId::generate(),
            &UserId::generate(),
            None,
            t(0),
            Duration::hours(1),
        )
        .unwrap();
        let RefreshDecision::Rotate {
            used,
            next,
            verified,
        } = first
            .record
            .redeem(&first.token, false, t(10), Duration::hours(1))
            .unwrap()
        else {
            panic!("expected a rotation");
        };
        assert_eq!(used.status, RefreshStatus::Rotated);
        assert_eq!(
            (verified.tenant(), verified.user()),
            (&first.record.tenant, &first.record.user)
        );
        assert_eq!(next.record.family, first.record.family);
        assert_ne!(next.token, first.token);
        assert_eq!(next.record.expires_at, t(10) + Duration::hours(1));

        // The rotated token comes back: the family is revoked.
        assert_eq!(
            used.redeem(&first.token, false, t(20), Duration::hours(1)),
            Ok(RefreshDecision::RevokeFamily {
                family: first.record.family.clone(),
                verified: VerifiedCredential::new(
                    first.record.tenant.clone(),
                    first.record.user.clone()
                ),
            })
        );
        // Its successor is refused once the family is revoked.
        assert_eq!(
            next.record
                .redeem(&next.token, true, t(21), Duration::hours(1))
                .unwrap_err(),
            CoreError::CredentialRevoked
        );
    }

    #[test]
    fn wrong_or_expired_tokens_are_refused() {
        let issued = RefreshTokenRecord::issue(
            &TenantId::generate(),
            &UserId::generate(),
            None,
            t(0),
            Duration::hours(1),
        )
        .unwrap();
        assert_eq!(
            issued
                .record
                .redeem("idr_wrong", false, t(1), Duration::hours(1))
                .unwrap_err(),
            CoreError::InvalidCredentials
        );
        assert_eq!(
            issued
                .record
                .redeem(&issued.token, false, t(3600), Duration::hours(1))
                .unwrap_err()
                .code(),
            "invalid_token"
        );
    }
}
