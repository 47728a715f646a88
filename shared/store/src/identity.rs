//! Identity storage: it persists ida-core's identity records and applies ida-core's decisions,
//! so each rule has one definition. Users carry an argon2id `PasswordCredential`; refresh tokens
//! are `RefreshTokenRecord`s rotated by `redeem` (a reused token revokes its family); API keys
//! are `ApiKeyRecord`s (digests of the secrets in the record) checked by `authenticate`; failed
//! logins follow `LoginThrottlePolicy`, with the attempts kept in DynamoDB so the limit holds
//! across function instances. Security events are audited in the same transaction.
//!
//! `login`, `refresh_session` and `authenticate_api_key` are the only methods without a
//! [`TenantScope`]: they are the verification that produces a principal. They resolve the owning
//! tenant through the global index, and act in that tenant only through what ida-core's check
//! returned: a `VerifiedCredential` (or an API key's principal) after a match, or a
//! `FailedLogin`, whose scope serves only to count and audit that failure.

use std::collections::BTreeSet;
use std::fmt;

use aws_sdk_dynamodb::types::AttributeValue;
use ida_core::access::{Permission, Principal};
use ida_core::audit::{Actor, AuditAction, AuditDiff, EntityKind, EntityRef};
use ida_core::id::{ApiKeyId, CorrelationId, SessionFamilyId, TenantId, UserId};
use ida_core::identity::password::{Password, PasswordCredential, PasswordHashing};
use ida_core::identity::refresh_token::{RefreshStatus, refresh_token_digest};
use ida_core::identity::{
    LoginAttempts, LoginThrottlePolicy, PresentedApiKey, RefreshDecision, RefreshTokenRecord,
};
use ida_core::quota::{FeatureFlags, Quota, QuotaLimits};
use ida_core::tenancy::{DisplayName, Tenant};
use ida_core::transition::StateMachine;
use ida_core::user::{Email, User, UserEvent, UserStatus};
use ida_core::{CoreError, Role, TenantScope};
use time::{Duration, OffsetDateTime};

use crate::context::{WriteContext, audit_json};
use crate::cursor::{Page, PageRequest};
use crate::dynamo::{DynamoStore, OnFailed, StoreErrorTemplate, Write};
use crate::error::{Result, StoreError};
use crate::item::{self, Item, ItemBuilder, Revision, Stored, n, s};
use crate::keys::{self, gsi, sk};
use crate::ports::{ApiKeyRepository, SessionRepository, UserRepository};
use crate::records::{ItemAttributes, RecordSpec, ensure_owned};
use crate::tenants::{quota_item, used_attr};

pub use ida_core::identity::ApiKeyRecord;

/// How long a refresh token lives: ida-core's default, the one definition.
pub const REFRESH_TTL: Duration = RefreshTokenRecord::DEFAULT_TTL;

/// Attempts to move an account's login-attempts item before giving up on a conflict.
const LOGIN_WRITE_ATTEMPTS: u32 = 5;

/// A secret shown once to its owner: its `Debug` output hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeySecret(String);

impl ApiKeySecret {
    /// The full key, `ida_<keyid>_<secret>`, to hand to the client once.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKeySecret(..)")
    }
}

/// A refresh token as issued: the secret (shown once), its family and expiry.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedRefreshToken {
    /// The token to hand to the client.
    pub token: String,
    /// The session family it belongs to.
    pub family: SessionFamilyId,
    /// When it expires.
    pub expires_at: OffsetDateTime,
}

impl fmt::Debug for IssuedRefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedRefreshToken")
            .field("family", &self.family)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl From<ida_core::identity::IssuedRefreshToken> for IssuedRefreshToken {
    fn from(issued: ida_core::identity::IssuedRefreshToken) -> Self {
        IssuedRefreshToken {
            token: issued.token,
            family: issued.record.family,
            expires_at: issued.record.expires_at,
        }
    }
}

/// A successful password check: who logged in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginOutcome {
    /// The account's tenant.
    pub tenant: TenantId,
    /// The user.
    pub user: UserId,
    /// The user's role.
    pub role: Role,
}

/// A successful refresh: who, and the next token of the family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshOutcome {
    /// The account's tenant.
    pub tenant: TenantId,
    /// The user.
    pub user: UserId,
    /// The user's role now.
    pub role: Role,
    /// The rotated token.
    pub issued: IssuedRefreshToken,
}

/// A verified API key: what the authorizer hands to routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyAuth {
    /// The key's tenant.
    pub tenant: TenantId,
    /// The key.
    pub key: ApiKeyId,
    /// The user accountable for it.
    pub owner: UserId,
    /// Its role.
    pub role: Role,
    /// Its scopes.
    pub scopes: BTreeSet<Permission>,
}

/// What a caller asks for when creating an API key (the creator is the accountable owner).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    /// A name for humans.
    pub name: DisplayName,
    /// Its role; never above the creator's.
    pub role: Role,
    /// Its scopes; each must be granted by the role.
    pub scopes: BTreeSet<Permission>,
    /// When it stops working, if ever.
    pub expires_at: Option<OffsetDateTime>,
}

/// An argon2id hash (PHC string) of a new password, with ida-core's rule and parameters.
pub fn hash_password(password: &str) -> Result<String> {
    Ok(PasswordHashing::default().hash(&Password::new_for_registration(password)?)?)
}

/// The store's error for a refused credential: ida-core's refusals keep their meaning and code
/// (an expired token or key stays `invalid_token`).
fn credential_error(error: CoreError) -> StoreError {
    match error {
        CoreError::InvalidCredentials => StoreError::InvalidCredentials,
        CoreError::CredentialRevoked => StoreError::CredentialRevoked,
        CoreError::RefreshTokenReused => StoreError::RefreshTokenReused,
        CoreError::LoginLocked { until } => StoreError::LoginLocked { until },
        other => StoreError::Domain(other),
    }
}

fn tenant_of(found: &Item) -> Result<TenantId> {
    keys::tenant_of_pk(item::string_attr(found, "pk")?)
        .ok_or_else(|| StoreError::corrupt(item::key_text(found), "not in a tenant partition"))
}

/// Refuses an identity record whose body names another tenant than the partition it sits in.
fn ensure_in_partition(found: &Item, tenant: &TenantId) -> Result<()> {
    if &tenant_of(found)? == tenant {
        Ok(())
    } else {
        Err(StoreError::corrupt(
            item::key_text(found),
            "the record names another tenant than its partition",
        ))
    }
}

fn user_spec(user: &User, action: AuditAction) -> RecordSpec<'_> {
    RecordSpec {
        sk: sk::user(&user.id),
        kind: "user",
        entity: EntityKind::User,
        id: user.id.to_string(),
        owner: &user.tenant,
        action,
    }
}

fn system_context(
    correlation_id: &CorrelationId,
    at: OffsetDateTime,
    actor: Actor,
) -> WriteContext {
    WriteContext::new(actor, correlation_id.clone(), at)
}

pub(crate) fn encode<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Backend {
        operation: "encode",
        message: e.to_string(),
    })
}

/// The stored argon2id credential of `user`'s new password, as the item attribute.
fn password_attribute(
    scope: &TenantScope,
    user: &User,
    password: &str,
    at: OffsetDateTime,
) -> Result<AttributeValue> {
    let credential = PasswordCredential {
        user: user.id.clone(),
        tenant: scope.tenant().clone(),
        password_phc: hash_password(password)?,
        updated_at: at,
    };
    Ok(s(encode(&credential)?))
}

impl DynamoStore {
    /// The guard item that makes `user`'s email unique across the platform, for a transaction.
    fn email_guard_write(&self, scope: &TenantScope, user: &User) -> Result<Write> {
        let guard = ItemBuilder::new(
            &keys::email_guard_pk(&user.email),
            keys::GUARD_SK,
            "email_guard",
            Revision::FIRST,
        )
        .attribute("tenant", s(scope.tenant().as_str()))
        .attribute("user", s(user.id.as_str()))
        .build();
        self.put(
            guard,
            Some("attribute_not_exists(pk)"),
            &[],
            OnFailed::Error(StoreErrorTemplate::Conflict {
                entity: "email",
                id: user.email.to_string(),
                reason: "is already registered".to_owned(),
            }),
        )
    }

    /// Registers a new tenant with its founding owner in ONE transaction: the tenant with its
    /// policy, plan quotas (the owner already counted) and empty flags, the owner with an
    /// argon2id password, and the email guard. An email already registered refuses the whole
    /// registration (`conflict` on `email`), so a refused registration leaves nothing behind.
    /// `scope` must be the founding owner's ([`ida_core::Principal::founding_owner`]).
    pub async fn register_tenant(
        &self,
        scope: &TenantScope,
        tenant: Tenant,
        owner: User,
        password: &str,
        ctx: &WriteContext,
    ) -> Result<()> {
        ensure_owned(scope, &tenant.id, "tenant")?;
        ensure_owned(scope, &owner.tenant, "user")?;
        let pk = keys::tenant_pk(scope);
        let mut limits = quota_item(&pk, &QuotaLimits::for_plan(tenant.plan))?;
        limits = limits.attribute(&used_attr(Quota::Users), n(1));
        let owner_item = ItemBuilder::new(&pk, &sk::user(&owner.id), "user", Revision::FIRST)
            .body(&owner)?
            .lookup(gsi::email(&owner.email), "USER")
            .attribute(
                "password",
                password_attribute(scope, &owner, password, ctx.at)?,
            )
            .build();
        let writes = vec![
            self.put_new(
                ItemBuilder::new(&pk, sk::TENANT, "tenant", Revision::FIRST)
                    .body(&tenant)?
                    .build(),
                "tenant",
                &tenant.id,
            )?,
            self.put_new(
                ItemBuilder::new(&pk, sk::POLICY, "policy", Revision::FIRST)
                    .body(&tenant.policy)?
                    .build(),
                "policy",
                &tenant.id,
            )?,
            self.put_new(limits.build(), "quota", &tenant.id)?,
            self.put_new(
                ItemBuilder::new(&pk, sk::FLAGS, "flags", Revision::FIRST)
                    .body(&FeatureFlags::default())?
                    .build(),
                "flags",
                &tenant.id,
            )?,
            self.email_guard_write(scope, &owner)?,
            self.put_new(owner_item, "user", &owner.id)?,
        ];
        let entries = vec![
            ctx.entry(
                AuditAction::TenantCreated,
                EntityRef::new(EntityKind::Tenant, &tenant.id),
                AuditDiff::created(audit_json(&tenant)?),
            ),
            ctx.entry(
                AuditAction::UserRegistered,
                EntityRef::new(EntityKind::User, &owner.id),
                AuditDiff::created(audit_json(&owner)?),
            ),
        ];
        self.commit(scope, writes, entries).await?;
        Ok(())
    }
}

impl UserRepository for DynamoStore {
    async fn create_user(
        &self,
        scope: &TenantScope,
        user: User,
        password: Option<&str>,
        ctx: &WriteContext,
    ) -> Result<Stored<User>> {
        let mut attributes = ItemAttributes {
            lookup: Some((gsi::email(&user.email), "USER")),
            others: Vec::new(),
        };
        if let Some(password) = password {
            attributes.others.push((
                "password",
                password_attribute(scope, &user, password, ctx.at)?,
            ));
        }
        let guard = self.email_guard_write(scope, &user)?;
        let quota = self.quota_write(scope, Quota::Users, 1).await?;
        // An invited user may come with a one-time password; only a self-registered one counts
        // as registered.
        let action = if password.is_some() && user.status != UserStatus::Invited {
            AuditAction::UserRegistered
        } else {
            AuditAction::UserInvited
        };
        self.create_record(
            scope,
            user_spec(&user, action),
            user.clone(),
            attributes,
            vec![guard, quota],
            ctx,
        )
        .await
    }

    async fn get_user(&self, scope: &TenantScope, id: &UserId) -> Result<Stored<User>> {
        self.get_record(scope, &sk::user(id), "user", id).await
    }

    async fn find_user_by_email(&self, scope: &TenantScope, email: &Email) -> Result<Stored<User>> {
        let found = self.lookup(&gsi::email(email)).await?;
        let own = DynamoStore::owned_by_scope(scope, found, "user", email.as_str())?;
        item::decode(&own)
    }

    async fn list_users(
        &self,
        scope: &TenantScope,
        page: &PageRequest,
    ) -> Result<Page<Stored<User>>> {
        self.list_records(scope, "users", "USER#", "user", page)
            .await
    }

    async fn update_user(
        &self,
        scope: &TenantScope,
        user: User,
        expected: Revision,
        action: AuditAction,
        ctx: &WriteContext,
    ) -> Result<Stored<User>> {
        let stored = self.get_user(scope, &user.id).await?;
        if stored.record.email != user.email {
            return Err(StoreError::conflict(
                "user",
                &user.id,
                "the email cannot change",
            ));
        }
        self.replace_record(
            scope,
            user_spec(&user, action),
            user.clone(),
            expected,
            vec![],
            ctx,
        )
        .await
    }
    async fn change_password(
        &self,
        scope: &TenantScope,
        user: &UserId,
        current: &str,
        new: &str,
        ctx: &WriteContext,
    ) -> Result<()> {
        let pk = keys::tenant_pk(scope);
        let found = self
            .get_item(&pk, &sk::user(user))
            .await?
            .ok_or_else(|| StoreError::not_found("user", user))?;
        let stored: Stored<User> = item::decode(&found)?;
        let credential_text = found
            .get("password")
            .and_then(|v| v.as_s().ok())
            .ok_or(StoreError::InvalidCredentials)?;
        let credential: PasswordCredential = serde_json::from_str(credential_text)
            .map_err(|e| StoreError::corrupt(item::key_text(&found), e.to_string()))?;
        if &credential.tenant != scope.tenant() || &credential.user != user {
            return Err(StoreError::corrupt(
                item::key_text(&found),
                "the password credential names another account",
            ));
        }
        let presented = Password::presented(current).map_err(|_| StoreError::InvalidCredentials)?;
        PasswordHashing::default()
            .verify_credential(&presented, &credential)
            .map_err(|_| StoreError::InvalidCredentials)?;
        let replacement = password_attribute(scope, &stored.record, new, ctx.at)?;
        let write = self.update(
            &pk,
            &sk::user(user),
            "SET password = :password",
            Some("attribute_exists(pk)"),
            &[],
            &[(":password", replacement)],
            OnFailed::Error(StoreErrorTemplate::NotFound {
                entity: "user",
                id: user.to_string(),
            }),
        )?;
        let entry = ctx.entry(
            AuditAction::PasswordChanged,
            EntityRef::new(EntityKind::User, user),
            AuditDiff::none(),
        );
        self.commit(scope, vec![write], vec![entry]).await?;
        Ok(())
    }
}

impl DynamoStore {
    /// The Put of a refresh token ida-core issued, in the scope's partition.
    fn put_refresh_token(
        &self,
        scope: &TenantScope,
        issued: &ida_core::identity::IssuedRefreshToken,
    ) -> Result<Write> {
        let record = &issued.record;
        if &record.tenant != scope.tenant() {
            return Err(StoreError::Forbidden {
                reason: "a refresh token of another tenant".to_owned(),
            });
        }
        let item = ItemBuilder::new(
            &keys::tenant_pk(scope),
            &sk::refresh_token(&record.token_sha256),
            "refresh_token",
            Revision::FIRST,
        )
        .body(record)?
        .lookup(gsi::refresh_token(&record.token_sha256), "TOKEN")
        .attribute("status", s(record.status.as_str()))
        .expires_at(record.expires_at.unix_timestamp())
        .build();
        self.put_new(item, "refresh_token", &record.family)
    }

    fn revoke_family_write(&self, scope: &TenantScope, family: &SessionFamilyId) -> Result<Write> {
        self.update(
            &keys::tenant_pk(scope),
            &sk::session(family),
            "SET revoked = :yes",
            Some("attribute_exists(pk)"),
            &[],
            &[(":yes", AttributeValue::Bool(true))],
            OnFailed::Error(StoreErrorTemplate::NotFound {
                entity: "session",
                id: family.to_string(),
            }),
        )
    }

    /// An account's failed-login attempts as stored, with the item's revision (`None` when
    /// there is no item yet). `pk` is the partition of the account's own user item.
    async fn login_attempts(
        &self,
        pk: &str,
        user: &UserId,
    ) -> Result<(LoginAttempts, Option<Revision>)> {
        match self.get_item(pk, &sk::login_failures(user)).await? {
            Some(found) => {
                let stored: Stored<LoginAttempts> = item::decode(&found)?;
                Ok((stored.record, Some(stored.revision)))
            }
            None => Ok((LoginAttempts::default(), None)),
        }
    }

    /// Checks a password for the account with this email under ida-core's
    /// [`LoginThrottlePolicy`]: a locked account is refused before its password is checked, and
    /// each failure is counted in DynamoDB (so the limit holds across instances) and audited in
    /// the account's tenant, in one transaction.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        correlation_id: &CorrelationId,
        at: OffsetDateTime,
    ) -> Result<LoginOutcome> {
        let hashing = PasswordHashing::default();
        let email = Email::parse(email).map_err(|_| StoreError::InvalidCredentials)?;
        let presented =
            Password::presented(password).map_err(|_| StoreError::InvalidCredentials)?;
        let found = self
            .lookup(&gsi::email(&email))
            .await?
            .into_iter()
            .find(|candidate| item::string_attr(candidate, "kind").is_ok_and(|k| k == "user"));
        let credential_text = found
            .as_ref()
            .and_then(|f| f.get("password"))
            .and_then(|v| v.as_s().ok());
        let (Some(found), Some(credential_text)) = (found.as_ref(), credential_text) else {
            // Unknown account, or invited without a password yet: spend one hashing's time so
            // timing does not tell which emails exist; only its cost matters here.
            let _cost_only = hashing.verify_against_decoy(&presented);
            return Err(StoreError::InvalidCredentials);
        };
        let stored_user: Stored<User> = item::decode(found)?;
        let user_revision = stored_user.revision;
        let user = stored_user.record;
        let credential: PasswordCredential = serde_json::from_str(credential_text)
            .map_err(|e| StoreError::corrupt(item::key_text(found), e.to_string()))?;
        ensure_in_partition(found, &credential.tenant)?;
        if credential.user != user.id {
            return Err(StoreError::corrupt(
                item::key_text(found),
                "the password credential names another user",
            ));
        }
        let policy = LoginThrottlePolicy::default();
        let pk = item::string_attr(found, "pk")?.to_owned();
        let (attempts, _) = self.login_attempts(&pk, &user.id).await?;
        policy.check(&attempts, at).map_err(credential_error)?;
        let scope = match hashing.verify_credential(&presented, &credential) {
            // An invited user's first login with the one-time password activates the account.
            Ok(verified) if user.may_log_in() || user.status == UserStatus::Invited => {
                self.client
                    .delete_item()
                    .table_name(&self.table)
                    .key("pk", s(&pk))
                    .key("sk", s(sk::login_failures(&user.id)))
                    .send()
                    .await
                    .map_err(|e| StoreError::from_sdk("DeleteItem", e))?;
                let principal = Principal::from_verified_credential(verified, user.role);
                if user.status == UserStatus::Invited {
                    let mut active = user.clone();
                    active.status = user
                        .status
                        .apply(UserEvent::Activate)
                        .map_err(CoreError::from)?;
                    let ctx = system_context(
                        correlation_id,
                        at,
                        Actor::User {
                            user: user.id.clone(),
                        },
                    );
                    self.update_user(
                        &principal.scope(),
                        active,
                        user_revision,
                        AuditAction::UserActivated,
                        &ctx,
                    )
                    .await?;
                }
                return Ok(LoginOutcome {
                    tenant: principal.tenant().clone(),
                    user: user.id,
                    role: user.role,
                });
            }
            // The right password of a disabled account is still a failed login.
            Ok(verified) => Principal::from_verified_credential(verified, user.role).scope(),
            Err(failed) => failed.accounting_scope(),
        };
        self.record_failed_login(&scope, &user.id, &policy, correlation_id, at)
            .await
    }

    /// Counts one failed login with its audit events in one transaction, retrying when another
    /// instance moved the same counter first. Always returns the refusal to hand the caller.
    async fn record_failed_login(
        &self,
        scope: &TenantScope,
        user: &UserId,
        policy: &LoginThrottlePolicy,
        correlation_id: &CorrelationId,
        at: OffsetDateTime,
    ) -> Result<LoginOutcome> {
        let pk = keys::tenant_pk(scope);
        let ctx = system_context(
            correlation_id,
            at,
            Actor::System {
                component: "api-auth".to_owned(),
            },
        );
        let entity = EntityRef::new(EntityKind::User, user);
        for _ in 0..LOGIN_WRITE_ATTEMPTS {
            let (attempts, revision) = self.login_attempts(&pk, user).await?;
            let next = policy.record_failure(&attempts, at);
            let window_end = next.window_started.map(|start| start + policy.window);
            let keep_until = next.locked_until.max(window_end).unwrap_or(at);
            let item = ItemBuilder::new(
                &pk,
                &sk::login_failures(user),
                "login_attempts",
                revision.map_or(Revision::FIRST, Revision::next),
            )
            .body(&next)?
            .expires_at(keep_until.unix_timestamp())
            .build();
            let raced = OnFailed::Error(StoreErrorTemplate::Conflict {
                entity: "login_attempts",
                id: user.to_string(),
                reason: "moved by another instance".to_owned(),
            });
            let write = match revision {
                Some(expected) => self.put(
                    item,
                    Some("revision = :expected"),
                    &[(":expected", expected.attribute())],
                    raced,
                )?,
                None => self.put(item, Some("attribute_not_exists(pk)"), &[], raced)?,
            };
            let newly_locked = next.locked_until.is_some()
                && policy.check(&attempts, at).is_ok()
                && policy.check(&next, at).is_err();
            let mut entries =
                vec![ctx.entry(AuditAction::LoginFailed, entity.clone(), AuditDiff::none())];
            if newly_locked {
                entries.push(ctx.entry(
                    AuditAction::LoginLocked,
                    entity.clone(),
                    AuditDiff::none(),
                ));
            }
            match self.commit(scope, vec![write], entries).await {
                Ok(_) => {
                    return Err(match policy.check(&next, at) {
                        Err(locked) => credential_error(locked),
                        Ok(()) => StoreError::InvalidCredentials,
                    });
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(other) => return Err(other),
            }
        }
        Err(StoreError::conflict(
            "login_attempts",
            user,
            "too many concurrent failed logins; try again",
        ))
    }

    /// Redeems a refresh token under ida-core's rotate-on-use rule. A token presented after it
    /// was rotated is a reuse: its whole family is revoked (audited as a security event) and
    /// [`StoreError::RefreshTokenReused`] is returned.
    pub async fn refresh_session(
        &self,
        presented: &str,
        correlation_id: &CorrelationId,
        at: OffsetDateTime,
    ) -> Result<RefreshOutcome> {
        let digest = refresh_token_digest(presented);
        let found = self
            .lookup(&gsi::refresh_token(&digest))
            .await?
            .into_iter()
            .next()
            .ok_or(StoreError::InvalidCredentials)?;
        let record: Stored<RefreshTokenRecord> = item::decode(&found)?;
        let record = record.record;
        ensure_in_partition(&found, &record.tenant)?;
        let pk = item::string_attr(&found, "pk")?.to_owned();
        let family_revoked = match self.get_item(&pk, &sk::session(&record.family)).await? {
            Some(session) => session
                .get("revoked")
                .and_then(|v| v.as_bool().ok())
                .copied()
                .unwrap_or(false),
            None => true,
        };
        let ctx = system_context(
            correlation_id,
            at,
            Actor::User {
                user: record.user.clone(),
            },
        );
        let entity = EntityRef::new(EntityKind::Session, &record.family);
        let decision = record
            .redeem(presented, family_revoked, at, REFRESH_TTL)
            .map_err(credential_error)?;
        let (used, next, verified) = match decision {
            RefreshDecision::Rotate {
                used,
                next,
                verified,
            } => (used, next, verified),
            RefreshDecision::RevokeFamily { family, verified } => {
                let scope = self.current_user_scope(verified).await?.0;
                self.revoke_for_reuse(&scope, &family, &ctx, entity).await?;
                return Err(StoreError::RefreshTokenReused);
            }
        };
        let (scope, role) = self.current_user_scope(verified).await?;
        let retire = self.update(
            &pk,
            &sk::refresh_token(&used.token_sha256),
            "SET body = :body, #status = :rotated",
            Some("#status = :active"),
            &[("#status", "status")],
            &[
                (":body", s(encode(&used)?)),
                (":rotated", s(RefreshStatus::Rotated.as_str())),
                (":active", s(RefreshStatus::Active.as_str())),
            ],
            OnFailed::Error(StoreErrorTemplate::RefreshReused),
        )?;
        let live = self.update(
            &pk,
            &sk::session(&used.family),
            "SET rotated_at = :at",
            Some("revoked = :no"),
            &[],
            &[
                (":at", n(at.unix_timestamp())),
                (":no", AttributeValue::Bool(false)),
            ],
            OnFailed::Error(StoreErrorTemplate::Conflict {
                entity: "session",
                id: used.family.to_string(),
                reason: "revoked".to_owned(),
            }),
        )?;
        let put_next = self.put_refresh_token(&scope, &next)?;
        let outcome = self
            .commit(
                &scope,
                vec![retire, live, put_next],
                vec![ctx.entry(
                    AuditAction::SessionRefreshed,
                    entity.clone(),
                    AuditDiff::none(),
                )],
            )
            .await;
        match outcome {
            Ok(_) => Ok(RefreshOutcome {
                tenant: scope.tenant().clone(),
                user: used.user,
                role,
                issued: (*next).into(),
            }),
            // Two presentations of one token raced: the loser is a reuse.
            Err(StoreError::RefreshTokenReused) => {
                self.revoke_for_reuse(&scope, &used.family, &ctx, entity)
                    .await?;
                Err(StoreError::RefreshTokenReused)
            }
            Err(other) => Err(other),
        }
    }

    /// The scope and current role of a user whose credential was just verified; a user who
    /// is gone or may no longer log in has a revoked credential.
    async fn current_user_scope(
        &self,
        verified: ida_core::access::VerifiedCredential,
    ) -> Result<(TenantScope, Role)> {
        let pk = keys::account_pk(verified.tenant());
        let user: Stored<User> = match self.get_item(&pk, &sk::user(verified.user())).await? {
            Some(found) => item::decode(&found)?,
            None => return Err(StoreError::CredentialRevoked),
        };
        if !user.record.may_log_in() {
            return Err(StoreError::CredentialRevoked);
        }
        let role = user.record.role;
        Ok((
            Principal::from_verified_credential(verified, role).scope(),
            role,
        ))
    }

    async fn revoke_for_reuse(
        &self,
        scope: &TenantScope,
        family: &SessionFamilyId,
        ctx: &WriteContext,
        entity: EntityRef,
    ) -> Result<()> {
        self.commit(
            scope,
            vec![self.revoke_family_write(scope, family)?],
            vec![ctx.entry(AuditAction::RefreshReuseDetected, entity, AuditDiff::none())],
        )
        .await?;
        Ok(())
    }

    /// Verifies `ida_<keyid>_<secret>` with ida-core's `authenticate` and records its use.
    pub async fn authenticate_api_key(
        &self,
        presented: &str,
        at: OffsetDateTime,
    ) -> Result<ApiKeyAuth> {
        let presented = PresentedApiKey::parse(presented).map_err(credential_error)?;
        let found = self
            .lookup(&gsi::api_key(presented.id()))
            .await?
            .into_iter()
            .next()
            .ok_or(StoreError::InvalidCredentials)?;
        let record = with_last_use(&found)?.record;
        ensure_in_partition(&found, &record.tenant)?;
        let principal = record
            .authenticate(&presented, at)
            .map_err(credential_error)?;
        let pk = item::string_attr(&found, "pk")?;
        let sort_key = item::string_attr(&found, "sk")?;
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sort_key))
            .update_expression("SET last_used_at = :at")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":at", n(at.unix_timestamp()))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e))?;
        Ok(ApiKeyAuth {
            tenant: principal.tenant().clone(),
            key: record.id,
            owner: principal.user().clone(),
            role: principal.role(),
            scopes: principal.scopes().cloned().unwrap_or_default(),
        })
    }
}

impl SessionRepository for DynamoStore {
    async fn start_session(
        &self,
        scope: &TenantScope,
        user: &UserId,
        ctx: &WriteContext,
    ) -> Result<IssuedRefreshToken> {
        let stored = self.get_user(scope, user).await?;
        if !stored.record.may_log_in() {
            return Err(StoreError::CredentialRevoked);
        }
        let issued = RefreshTokenRecord::issue(scope.tenant(), user, None, ctx.at, REFRESH_TTL)?;
        let family = issued.record.family.clone();
        let put_token = self.put_refresh_token(scope, &issued)?;
        let session = ItemBuilder::new(
            &keys::tenant_pk(scope),
            &sk::session(&family),
            "session",
            Revision::FIRST,
        )
        .attribute("user", s(user.as_str()))
        .attribute("revoked", AttributeValue::Bool(false))
        .expires_at(issued.record.expires_at.unix_timestamp())
        .build();
        let writes = vec![self.put_new(session, "session", &family)?, put_token];
        let entry = ctx.entry(
            AuditAction::LoginSucceeded,
            EntityRef::new(EntityKind::Session, &family),
            AuditDiff::none(),
        );
        self.commit(scope, writes, vec![entry]).await?;
        Ok(issued.into())
    }

    async fn end_session_of_token(
        &self,
        scope: &TenantScope,
        user: &UserId,
        refresh_token: &str,
        ctx: &WriteContext,
    ) -> Result<SessionFamilyId> {
        let digest = refresh_token_digest(refresh_token);
        let found = self.lookup(&gsi::refresh_token(&digest)).await?;
        let own = DynamoStore::owned_by_scope(scope, found, "session", "refresh_token")?;
        let record: Stored<RefreshTokenRecord> = item::decode(&own)?;
        let record = record.record;
        // A token of another user of the same tenant is not the caller's to end.
        if &record.user != user || &record.tenant != scope.tenant() {
            return Err(StoreError::not_found("session", "refresh_token"));
        }
        self.revoke_session(scope, &record.family, ctx).await?;
        Ok(record.family)
    }

    async fn revoke_session(
        &self,
        scope: &TenantScope,
        family: &SessionFamilyId,
        ctx: &WriteContext,
    ) -> Result<()> {
        let entry = ctx.entry(
            AuditAction::LoggedOut,
            EntityRef::new(EntityKind::Session, family),
            AuditDiff::none(),
        );
        self.commit(
            scope,
            vec![self.revoke_family_write(scope, family)?],
            vec![entry],
        )
        .await?;
        Ok(())
    }
}

fn api_key_spec(record: &ApiKeyRecord, action: AuditAction) -> RecordSpec<'_> {
    RecordSpec {
        sk: sk::api_key(&record.id),
        kind: "api_key",
        entity: EntityKind::ApiKey,
        id: record.id.to_string(),
        owner: &record.tenant,
        action,
    }
}

fn with_last_use(found: &Item) -> Result<Stored<ApiKeyRecord>> {
    let mut stored: Stored<ApiKeyRecord> = item::decode(found)?;
    if let Some(unix) = item::optional_number_attr(found, "last_used_at") {
        stored.record.last_used_at = OffsetDateTime::from_unix_timestamp(unix).ok();
    }
    Ok(stored)
}

impl DynamoStore {
    /// Replaces a key's record as ida-core changed it. Its last use lives outside the body (so
    /// authenticating never makes an edit stale): it is left out of the body and put back on
    /// the returned record.
    async fn replace_api_key(
        &self,
        scope: &TenantScope,
        mut record: ApiKeyRecord,
        action: AuditAction,
        expected: Revision,
        ctx: &WriteContext,
    ) -> Result<Stored<ApiKeyRecord>> {
        let last_used_at = record.last_used_at.take();
        let mut stored = self
            .replace_record(
                scope,
                api_key_spec(&record, action),
                record.clone(),
                expected,
                vec![],
                ctx,
            )
            .await?;
        stored.record.last_used_at = last_used_at;
        Ok(stored)
    }
}

impl ApiKeyRepository for DynamoStore {
    async fn create_api_key(
        &self,
        scope: &TenantScope,
        creator: &Principal,
        key: NewApiKey,
        ctx: &WriteContext,
    ) -> Result<(Stored<ApiKeyRecord>, ApiKeySecret)> {
        if &creator.scope() != scope {
            return Err(StoreError::Forbidden {
                reason: "an API key is created by a principal of the same tenant".to_owned(),
            });
        }
        let issued = ApiKeyRecord::issue(
            creator,
            key.name,
            key.role,
            key.scopes,
            key.expires_at,
            ctx.at,
        )?;
        let record = issued.record;
        let attributes = ItemAttributes {
            lookup: Some((gsi::api_key(&record.id), "KEY")),
            others: vec![],
        };
        let quota = self.quota_write(scope, Quota::ApiKeys, 1).await?;
        // The secret is never stored, so an idempotent replay cannot return it: keys are
        // created without an idempotency record.
        let mut ctx = ctx.clone();
        ctx.idempotency = None;
        let stored = self
            .create_record(
                scope,
                api_key_spec(&record, AuditAction::ApiKeyCreated),
                record.clone(),
                attributes,
                vec![quota],
                &ctx,
            )
            .await?;
        Ok((stored, ApiKeySecret(issued.key)))
    }

    async fn get_api_key(
        &self,
        scope: &TenantScope,
        id: &ApiKeyId,
    ) -> Result<Stored<ApiKeyRecord>> {
        match self
            .get_item(&keys::tenant_pk(scope), &sk::api_key(id))
            .await?
        {
            Some(found) => with_last_use(&found),
            None => Err(StoreError::not_found("api_key", id)),
        }
    }

    async fn list_api_keys(
        &self,
        scope: &TenantScope,
        page: &PageRequest,
    ) -> Result<Page<Stored<ApiKeyRecord>>> {
        let raw = self
            .list_items(scope, "api_keys", "APIKEY#", "api_key", page)
            .await?;
        let items = raw
            .items
            .iter()
            .map(with_last_use)
            .collect::<Result<Vec<_>>>()?;
        Ok(Page {
            items,
            next_cursor: raw.next_cursor,
        })
    }

    async fn rotate_api_key(
        &self,
        scope: &TenantScope,
        id: &ApiKeyId,
        grace: Duration,
        expected: Revision,
        ctx: &WriteContext,
    ) -> Result<(Stored<ApiKeyRecord>, ApiKeySecret)> {
        let stored = self.get_api_key(scope, id).await?;
        let issued = stored
            .record
            .rotate(ctx.at, grace)
            .map_err(credential_error)?;
        let stored = self
            .replace_api_key(
                scope,
                issued.record,
                AuditAction::ApiKeyRotated,
                expected,
                ctx,
            )
            .await?;
        Ok((stored, ApiKeySecret(issued.key)))
    }

    async fn revoke_api_key(
        &self,
        scope: &TenantScope,
        id: &ApiKeyId,
        expected: Revision,
        ctx: &WriteContext,
    ) -> Result<Stored<ApiKeyRecord>> {
        let mut record = self.get_api_key(scope, id).await?.record;
        record.revoke(ctx.at);
        self.replace_api_key(scope, record, AuditAction::ApiKeyRevoked, expected, ctx)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(hash_password("short").is_err());
    }

    #[test]
    fn refused_credentials_keep_their_meaning() {
        assert_eq!(
            credential_error(CoreError::InvalidToken { reason: "expired" }).code(),
            "invalid_token"
        );
        assert_eq!(
            credential_error(CoreError::InvalidCredentials).code(),
            "invalid_credentials"
        );
        assert_eq!(
            credential_error(CoreError::LoginLocked {
                until: "2026-01-01T00:00:00Z".to_owned()
            })
            .code(),
            "login_locked"
        );
        assert_eq!(
            credential_error(CoreError::invalid("grace", "negative")).code(),
            "invalid_field"
        );
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let secret = ApiKeySecret("ida_key_0_0".to_owned());
        assert_eq!(format!("{secret:?}"), "ApiKeySecret(..)");
    }
}
