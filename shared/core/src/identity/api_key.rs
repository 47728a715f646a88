//! API keys `ida_<keyid>_<secret>`: the key id is public and indexes the record, the 256-bit
//! secret is shown once at creation and stored only as its SHA-256, compared in constant time.
//! A key carries a role no higher than its creator's and scopes within that role; it may expire,
//! be rotated with a grace period during which the previous secret still works, and be revoked.

use std::collections::BTreeSet;

use time::{Duration, OffsetDateTime};

use crate::access::{Permission, Principal, Role, Subject, authorize};
use crate::error::{AccessDenied, CoreError, Result};
use crate::id::{ApiKeyId, TenantId, UserId};
use crate::identity::secret::{digests_match, random_secret_hex, sha256_hex};
use crate::tenancy::DisplayName;

/// The prefix of every API key.
pub const API_KEY_PREFIX: &str = "ida_";

/// Hex digits of the secret part.
const SECRET_HEX_LEN: usize = 64;

/// A stored API key (never the secret itself).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ApiKeyRecord {
    /// The key id.
    pub id: ApiKeyId,
    /// The tenant.
    pub tenant: TenantId,
    /// A label chosen by the creator.
    pub name: DisplayName,
    /// Who created it; accountable for its use.
    pub created_by: UserId,
    /// The role it acts with.
    pub role: Role,
    /// What it may do, within the role.
    pub scopes: BTreeSet<Permission>,
    /// SHA-256 (hex) of the current secret.
    pub secret_sha256: String,
    /// SHA-256 (hex) of the secret before the last rotation, accepted until `previous_valid_until`.
    pub previous_secret_sha256: Option<String>,
    /// End of the rotation grace period.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub previous_valid_until: Option<OffsetDateTime>,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it stops working, if ever.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// When it was revoked.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

/// A new or rotated key: the full key to show once, and the record to store.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedApiKey {
    /// `ida_<keyid>_<secret>`; shown once, never stored or logged.
    pub key: String,
    /// What the store keeps.
    pub record: ApiKeyRecord,
}

impl std::fmt::Debug for IssuedApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedApiKey")
            .field("key", &"redacted")
            .field("record", &self.record)
            .finish()
    }
}

/// A key as presented in a request, split into its id and secret.
#[derive(Clone, PartialEq, Eq)]
pub struct PresentedApiKey {
    id: ApiKeyId,
    secret: String,
}

impl std::fmt::Debug for PresentedApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PresentedApiKey")
            .field("id", &self.id)
            .field("secret", &"redacted")
            .finish()
    }
}

impl PresentedApiKey {
    /// Splits `ida_<keyid>_<secret>`; anything else is refused as bad credentials.
    pub fn parse(text: &str) -> Result<Self> {
        let rest = text
            .strip_prefix(API_KEY_PREFIX)
            .ok_or(CoreError::InvalidCredentials)?;
        let id_len = ApiKeyId::PREFIX.len() + 1 + 32;
        let (id, secret) = (rest.get(..id_len), rest.get(id_len..));
        let (Some(id), Some(secret)) = (id, secret) else {
            return Err(CoreError::InvalidCredentials);
        };
        let id = ApiKeyId::parse(id).map_err(|_| CoreError::InvalidCredentials)?;
        let secret = secret
            .strip_prefix('_')
            .filter(|s| {
                s.len() == SECRET_HEX_LEN
                    && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            })
            .ok_or(CoreError::InvalidCredentials)?;
        Ok(PresentedApiKey {
            id,
            secret: secret.to_owned(),
        })
    }

    /// The key id, to look the record up.
    pub fn id(&self) -> &ApiKeyId {
        &self.id
    }
}

fn full_key(id: &ApiKeyId, secret: &str) -> String {
    format!("{API_KEY_PREFIX}{id}_{secret}")
}

impl ApiKeyRecord {
    /// Creates a key on behalf of `creator`, who needs `apikey:manage`, must be a user (keys do
    /// not mint keys), and may give it a role no higher than their own and scopes that role
    /// grants.
    pub fn issue(
        creator: &Principal,
        name: DisplayName,
        role: Role,
        scopes: BTreeSet<Permission>,
        expires_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<IssuedApiKey> {
        authorize(creator, Permission::ApiKeyManage)?;
        if matches!(creator.subject(), Subject::ApiKey { .. }) {
            return Err(AccessDenied {
                reason: "API keys cannot create API keys".into(),
            }
            .into());
        }
        match (creator.role().tenant_rank(), role.tenant_rank()) {
            (Some(own), Some(wanted)) if wanted <= own => {}
            _ => {
                return Err(AccessDenied {
                    reason: format!(
                        "role {} cannot create a key with role {role}",
                        creator.role()
                    ),
                }
                .into());
            }
        }
        if scopes.is_empty() {
            return Err(CoreError::invalid(
                "scopes",
                "at least one scope is required",
            ));
        }
        if let Some(wider) = scopes.iter().find(|p| !role.grants(**p)) {
            return Err(CoreError::invalid(
                "scopes",
                format!("scope {wider} is not granted by role {role}"),
            ));
        }
        if expires_at.is_some_and(|at| at <= now) {
            return Err(CoreError::invalid("expires_at", "must be in the future"));
        }
        let id = ApiKeyId::generate();
        let secret = random_secret_hex()?;
        let record = ApiKeyRecord {
            id: id.clone(),
            tenant: creator.tenant().clone(),
            name,
            created_by: creator.user().clone(),
            role,
            scopes,
            secret_sha256: sha256_hex(&secret),
            previous_secret_sha256: None,
            previous_valid_until: None,
            created_at: now,
            expires_at,
            revoked_at: None,
        };
        Ok(IssuedApiKey {
            key: full_key(&id, &secret),
            record,
        })
    }

    /// Checks a presented key against this record at `now` and returns its principal.
    pub fn authenticate(
        &self,
        presented: &PresentedApiKey,
        now: OffsetDateTime,
    ) -> Result<Principal> {
        if presented.id != self.id {
            return Err(CoreError::InvalidCredentials);
        }
        let digest = sha256_hex(&presented.secret);
        let current = digests_match(&digest, &self.secret_sha256);
        let in_grace = self.previous_valid_until.is_some_and(|until| now < until);
        let previous = self
            .previous_secret_sha256
            .as_deref()
            .is_some_and(|old| digests_match(&digest, old));
        if !(current || (previous && in_grace)) {
            return Err(CoreError::InvalidCredentials);
        }
        if self.revoked_at.is_some() {
            return Err(CoreError::CredentialRevoked);
        }
        if self.expires_at.is_some_and(|at| now >= at) {
            return Err(CoreError::InvalidToken { reason: "expired" });
        }
        Ok(Principal::verified(
            self.tenant.clone(),
            Subject::ApiKey {
                key: self.id.clone(),
                owner: self.created_by.clone(),
            },
            self.role,
            Some(self.scopes.clone()),
        ))
    }

    /// A new secret; the old one keeps working for `grace` (zero ends it at once).
    pub fn rotate(&self, now: OffsetDateTime, grace: Duration) -> Result<IssuedApiKey> {
        if self.revoked_at.is_some() {
            return Err(CoreError::CredentialRevoked);
        }
        if grace < Duration::ZERO {
            return Err(CoreError::invalid("grace", "must not be negative"));
        }
        let secret = random_secret_hex()?;
        let record = ApiKeyRecord {
            secret_sha256: sha256_hex(&secret),
            previous_secret_sha256: Some(self.secret_sha256.clone()),
            previous_valid_until: Some(now + grace),
            ..self.clone()
        };
        Ok(IssuedApiKey {
            key: full_key(&self.id, &secret),
            record,
        })
    }

    /// Revokes the key at `now`; revoking twice keeps the first time.
    pub fn revoke(&mut self, now: OffsetDateTime) {
        self.revoked_at.get_or_insert(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::tests::principal;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn well_formed_keys_split_into_id_and_secret(id in "[0-9a-f]{32}", secret in "[0-9a-f]{64}") {
            let text = format!("ida_key_{id}_{secret}");
            let presented = PresentedApiKey::parse(&text).unwrap();
            prop_assert_eq!(presented.id().as_str(), format!("key_{id}"));
            prop_assert_eq!(full_key(presented.id(), &presented.secret), text);
        }

        #[test]
        fn arbitrary_text_never_panics_and_is_refused_unless_well_formed(text in "\\PC{0,120}") {
            let well_formed = text.len() == 105
                && text.starts_with("ida_key_")
                && text.as_bytes()[40] == b'_'
                && text.as_bytes()[8..40]
                    .iter()
                    .chain(&text.as_bytes()[41..])
                    .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
            prop_assert_eq!(PresentedApiKey::parse(&text).is_ok(), well_formed);
        }
    }

    fn t(seconds: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::seconds(seconds)
    }

    fn issue_as(creator: &Principal, role: Role, scopes: &[Permission]) -> Result<IssuedApiKey> {
        ApiKeyRecord::issue(
            creator,
            DisplayName::parse("ci pipeline").unwrap(),
            role,
            scopes.iter().copied().collect(),
            None,
            t(0),
        )
    }

    #[test]
    fn a_key_is_shown_once_and_stored_as_a_digest() {
        let admin = principal(Role::Admin);
        let issued = issue_as(&admin, Role::Member, &[Permission::UploadCreate]).unwrap();
        assert!(
            issued
                .key
                .starts_with(&format!("ida_{}_", issued.record.id))
        );
        assert_eq!(issued.key.len(), 4 + 36 + 1 + 64);
        let secret = &issued.key[issued.key.len() - 64..];
        let stored = serde_json::to_string(&issued.record).unwrap();
        assert!(!stored.contains(secret));
        assert!(!format!("{issued:?}").contains(secret));

        let presented = PresentedApiKey::parse(&issued.key).unwrap();
        let p = issued.record.authenticate(&presented, t(1)).unwrap();
        assert_eq!(p.tenant(), admin.tenant());
        assert_eq!(p.user(), admin.user());
        assert!(p.holds(Permission::UploadCreate));
        assert!(!p.holds(Permission::DatasetRead), "scopes narrow the role");
    }

    #[test]
    fn keys_cannot_outrank_their_creator_or_their_role() {
        let admin = principal(Role::Admin);
        assert_eq!(
            issue_as(&admin, Role::Owner, &[Permission::DatasetRead])
                .unwrap_err()
                .code(),
            "access_denied"
        );
        assert_eq!(
            issue_as(&admin, Role::Viewer, &[Permission::UploadCreate])
                .unwrap_err()
                .code(),
            "invalid_field"
        );
        assert!(issue_as(&admin, Role::Viewer, &[]).is_err());
        assert!(
            issue_as(
                &principal(Role::Member),
                Role::Member,
                &[Permission::JobRead]
            )
            .is_err()
        );
        assert!(
            issue_as(
                &principal(Role::PlatformOperator),
                Role::Viewer,
                &[Permission::JobRead]
            )
            .is_err()
        );

        // A key cannot mint keys, even with apikey:manage in scope.
        let owner = principal(Role::Owner);
        let issued = issue_as(&owner, Role::Admin, &[Permission::ApiKeyManage]).unwrap();
        let key_principal = issued
            .record
            .authenticate(&PresentedApiKey::parse(&issued.key).unwrap(), t(1))
            .unwrap();
        assert_eq!(
            issue_as(&key_principal, Role::Viewer, &[Permission::JobRead])
                .unwrap_err()
                .code(),
            "access_denied"
        );
    }

    #[test]
    fn wrong_secrets_and_malformed_keys_are_refused() {
        let issued = issue_as(
            &principal(Role::Admin),
            Role::Viewer,
            &[Permission::JobRead],
        )
        .unwrap();
        let mut wrong = issued.key.clone();
        let last = wrong.pop().unwrap();
        wrong.push(if last == '0' { '1' } else { '0' });
        let presented = PresentedApiKey::parse(&wrong).unwrap();
        assert_eq!(
            issued.record.authenticate(&presented, t(1)).unwrap_err(),
            CoreError::InvalidCredentials
        );
        for bad in [
            "",
            "ida_",
            "idx_key_0123456789abcdef0123456789abcdef_00",
            &issued.key[..issued.key.len() - 1],
            &format!("{}0", issued.key),
            &issued.key.to_uppercase(),
        ] {
            assert_eq!(
                PresentedApiKey::parse(bad).unwrap_err(),
                CoreError::InvalidCredentials,
                "{bad}"
            );
        }
        // Another key's id does not match this record.
        let other = issue_as(
            &principal(Role::Admin),
            Role::Viewer,
            &[Permission::JobRead],
        )
        .unwrap();
        let presented = PresentedApiKey::parse(&other.key).unwrap();
        assert!(issued.record.authenticate(&presented, t(1)).is_err());
    }

    #[test]
    fn rotation_keeps_the_old_secret_for_the_grace_period_only() {
        let issued = issue_as(
            &principal(Role::Admin),
            Role::Viewer,
            &[Permission::JobRead],
        )
        .unwrap();
        let rotated = issued.record.rotate(t(100), Duration::hours(1)).unwrap();
        assert_ne!(rotated.key, issued.key);
        let old = PresentedApiKey::parse(&issued.key).unwrap();
        let new = PresentedApiKey::parse(&rotated.key).unwrap();
        assert!(rotated.record.authenticate(&old, t(100 + 3599)).is_ok());
        assert!(rotated.record.authenticate(&old, t(100 + 3600)).is_err());
        assert!(rotated.record.authenticate(&new, t(100 + 3600)).is_ok());
        let abrupt = issued.record.rotate(t(100), Duration::ZERO).unwrap();
        assert!(abrupt.record.authenticate(&old, t(100)).is_err());
    }

    #[test]
    fn revoked_and_expired_keys_are_refused() {
        let admin = principal(Role::Admin);
        let issued = ApiKeyRecord::issue(
            &admin,
            DisplayName::parse("nightly").unwrap(),
            Role::Viewer,
            [Permission::DatasetRead].into(),
            Some(t(1000)),
            t(0),
        )
        .unwrap();
        let presented = PresentedApiKey::parse(&issued.key).unwrap();
        assert!(issued.record.authenticate(&presented, t(999)).is_ok());
        assert_eq!(
            issued
                .record
                .authenticate(&presented, t(1000))
                .unwrap_err()
                .code(),
            "invalid_token"
        );
        let mut revoked = issued.record.clone();
        revoked.revoke(t(5));
        revoked.revoke(t(6));
        assert_eq!(revoked.revoked_at, Some(t(5)));
        assert_eq!(
            revoked.authenticate(&presented, t(7)).unwrap_err(),
            CoreError::CredentialRevoked
        );
        assert!(revoked.rotate(t(8), Duration::ZERO).is_err());
    }
}
