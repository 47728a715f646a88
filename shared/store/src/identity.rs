//! Identity storage: users with argon2id password hashes, refresh-token families (tokens stored
//! as SHA-256, a reused token revokes its family), API keys (SHA-256 of the secret, scopes,
//! expiry, rotation grace, revocation, last use), and failed-login limiting whose counter lives
//! in DynamoDB so it holds across function instances. Security events are audited.
//!
//! `login`, `refresh_session` and `authenticate_api_key` are the only methods without a
//! [`TenantScope`]: they are the verification that produces a principal. They resolve the owning
//! tenant through the global index, and act in that tenant only after the secret matched (or,
//! for a failed login, only to count and audit the failure in the account's own tenant).

use std::collections::BTreeSet;
use std::fmt;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use ida_core::access::{AuthorizerContext, Permission, Principal, Subject};
use ida_core::audit::{Actor, AuditAction, AuditDiff, EntityKind, EntityRef};
use ida_core::id::{ApiKeyId, CorrelationId, SessionFamilyId, TenantId, UserId};
use ida_core::identity::password::{Password, PasswordHashing};
use ida_core::quota::Quota;
use ida_core::tenancy::DisplayName;
use ida_core::user::{Email, User};
use ida_core::{CoreError, Role, TenantScope};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::{Duration, OffsetDateTime};

use crate::context::{WriteContext, audit_json};
use crate::cursor::{Page, PageRequest};
use crate::dynamo::{DynamoStore, OnFailed, StoreErrorTemplate};
use crate::error::{Result, StoreError};
use crate::item::{self, Item, ItemBuilder, Revision, Stored, n, s};
use crate::keys::{self, gsi, sk};
use crate::ports::{ApiKeyRepository, SessionRepository, UserRepository};
use crate::records::{ItemAttributes, RecordSpec};

/// Failed logins within [`LOGIN_WINDOW`] that lock an account.
pub const MAX_FAILED_LOGINS: u64 = 5;
/// The window failed logins are counted in.
pub const LOGIN_WINDOW: Duration = Duration::minutes(15);
/// How long a locked account refuses logins.
pub const LOGIN_LOCK: Duration = Duration::minutes(15);
/// How long a refresh token (and its family) lives.
pub const REFRESH_TTL: Duration = Duration::days(30);

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

/// An API key as stored (its secret hashes are kept outside the record).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ApiKeyRecord {
    /// The key id (public part).
    pub id: ApiKeyId,
    /// Its tenant.
    pub tenant: TenantId,
    /// A name for humans.
    pub name: DisplayName,
    /// The user accountable for it.
    pub owner: UserId,
    /// Its role (never above the owner's).
    pub role: Role,
    /// Its scopes (never wider than its role).
    pub scopes: BTreeSet<Permission>,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it stops working, if ever.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// When it was revoked.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    /// Until when the secret before the last rotation still works.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub previous_secret_valid_until: Option<OffsetDateTime>,
    /// When it was last used (kept outside the body, merged on read).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
}

/// What a caller asks for when creating an API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    /// A name for humans.
    pub name: DisplayName,
    /// The user accountable for it.
    pub owner: UserId,
    /// Its role.
    pub role: Role,
    /// Its scopes; each must be granted by the role.
    pub scopes: BTreeSet<Permission>,
    /// When it stops working, if ever.
    pub expires_at: Option<OffsetDateTime>,
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn random_hex(bytes: usize) -> Result<String> {
    let mut buffer = vec![0_u8; bytes];
    getrandom::fill(&mut buffer)
        .map_err(|e| StoreError::Domain(CoreError::Crypto(e.to_string())))?;
    Ok(hex::encode(buffer))
}

/// An argon2id hash (PHC string) of a new password, with ida-core's rule and parameters.
pub fn hash_password(password: &str) -> Result<String> {
    Ok(PasswordHashing::default().hash(&Password::new_for_registration(password)?)?)
}

/// Whether `password` matches an argon2 PHC hash.
pub fn password_matches(password: &str, phc: &str) -> bool {
    Password::presented(password)
        .and_then(|presented| PasswordHashing::default().verify(&presented, phc))
        .is_ok()
}

/// Spends one hashing's time for an unknown account, so timing does not tell which emails exist.
fn spend_decoy_hash(password: &str) {
    if let Ok(presented) = Password::presented(password) {
        // The decoy always answers "invalid credentials"; only its cost matters here.
        let _cost_only = PasswordHashing::default().verify_against_decoy(&presented);
    }
}

/// The scope of a tenant whose credential was just verified against its stored hash.
fn verified_scope(tenant: &TenantId, user: &UserId, role: Role) -> Result<TenantScope> {
    let principal = Principal::from_authorizer_context(AuthorizerContext {
        tenant: tenant.clone(),
        subject: Subject::User { user: user.clone() },
        role,
        scopes: None,
    })?;
    Ok(principal.scope())
}

fn tenant_of(found: &Item) -> Result<TenantId> {
    keys::tenant_of_pk(item::string_attr(found, "pk")?)
        .ok_or_else(|| StoreError::corrupt(item::key_text(found), "not in a tenant partition"))
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
            attributes
                .others
                .push(("password_hash", s(hash_password(password)?)));
        }
        let guard = ItemBuilder::new(
            &keys::email_guard_pk(&user.email),
            keys::GUARD_SK,
            "email_guard",
            Revision::FIRST,
        )
        .attribute("tenant", s(scope.tenant().as_str()))
        .attribute("user", s(user.id.as_str()))
        .build();
        let guard = self.put(
            guard,
            Some("attribute_not_exists(pk)"),
            &[],
            OnFailed::Error(StoreErrorTemplate::Conflict {
                entity: "email",
                id: user.email.to_string(),
                reason: "is already registered".to_owned(),
            }),
        )?;
        let quota = self.quota_write(scope, Quota::Users, 1).await?;
        let action = if password.is_some() {
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
}

impl DynamoStore {
    fn token_writes(
        &self,
        scope: &TenantScope,
        family: &SessionFamilyId,
        user: &UserId,
        at: OffsetDateTime,
    ) -> Result<(IssuedRefreshToken, crate::dynamo::Write)> {
        let token = format!("rt_{}", random_hex(32)?);
        let hash = sha256_hex(&token);
        let expires_at = at + REFRESH_TTL;
        let item = ItemBuilder::new(
            &keys::tenant_pk(scope),
            &sk::refresh_token(&hash),
            "refresh_token",
            Revision::FIRST,
        )
        .lookup(gsi::refresh_token(&hash), "TOKEN")
        .attribute("family", s(family.as_str()))
        .attribute("user", s(user.as_str()))
        .attribute("status", s("active"))
        .expires_at(expires_at.unix_timestamp())
        .build();
        let write = self.put_new(item, "refresh_token", family)?;
        Ok((
            IssuedRefreshToken {
                token,
                family: family.clone(),
                expires_at,
            },
            write,
        ))
    }

    fn revoke_family_write(
        &self,
        scope: &TenantScope,
        family: &SessionFamilyId,
    ) -> Result<crate::dynamo::Write> {
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

    /// Checks a password for the account with this email. Failures are counted in DynamoDB
    /// (so the limit holds across instances) and audited in the account's tenant; after
    /// [`MAX_FAILED_LOGINS`] within [`LOGIN_WINDOW`] the account is locked for [`LOGIN_LOCK`].
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        correlation_id: &CorrelationId,
        at: OffsetDateTime,
    ) -> Result<LoginOutcome> {
        let email = Email::parse(email).map_err(|_| StoreError::InvalidCredentials)?;
        let Some(found) = self
            .lookup(&gsi::email(&email))
            .await?
            .into_iter()
            .find(|candidate| item::string_attr(candidate, "kind").is_ok_and(|k| k == "user"))
        else {
            spend_decoy_hash(password);
            return Err(StoreError::InvalidCredentials);
        };
        let tenant = tenant_of(&found)?;
        let user: Stored<User> = item::decode(&found)?;
        let user = user.record;
        let scope = verified_scope(&tenant, &user.id, user.role)?;
        let pk = keys::tenant_pk(&scope);
        let now = at.unix_timestamp();
        let failures = self.get_item(&pk, &sk::login_failures(&user.id)).await?;
        if let Some(until) = failures
            .as_ref()
            .and_then(|f| item::optional_number_attr(f, "locked_until"))
            && until > now
        {
            return Err(locked_until(until));
        }
        let hash = found.get("password_hash").and_then(|v| v.as_s().ok());
        let matches = hash.is_some_and(|h| password_matches(password, h));
        if matches && user.may_log_in() {
            self.client
                .delete_item()
                .table_name(&self.table)
                .key("pk", s(&pk))
                .key("sk", s(sk::login_failures(&user.id)))
                .send()
                .await
                .map_err(|e| StoreError::from_sdk("DeleteItem", e))?;
            return Ok(LoginOutcome {
                tenant,
                user: user.id,
                role: user.role,
            });
        }
        let count = self.count_failure(&pk, &user.id, at).await?;
        let ctx = system_context(
            correlation_id,
            at,
            Actor::System {
                component: "api-auth".to_owned(),
            },
        );
        let entity = EntityRef::new(EntityKind::User, &user.id);
        if count >= MAX_FAILED_LOGINS {
            let until = (at + LOGIN_LOCK).unix_timestamp();
            self.client
                .update_item()
                .table_name(&self.table)
                .key("pk", s(&pk))
                .key("sk", s(sk::login_failures(&user.id)))
                .update_expression("SET locked_until = :until, expires_at = :until")
                .expression_attribute_values(":until", n(until))
                .send()
                .await
                .map_err(|e| StoreError::from_sdk("UpdateItem", e))?;
            let entries = vec![
                ctx.entry(AuditAction::LoginFailed, entity.clone(), AuditDiff::none()),
                ctx.entry(AuditAction::LoginLocked, entity, AuditDiff::none()),
            ];
            self.commit(&scope, vec![], entries).await?;
            return Err(locked_until(until));
        }
        self.commit(
            &scope,
            vec![],
            vec![ctx.entry(AuditAction::LoginFailed, entity, AuditDiff::none())],
        )
        .await?;
        Err(StoreError::InvalidCredentials)
    }

    /// Adds one failure to the account's counter, starting a new window when the last expired.
    async fn count_failure(&self, pk: &str, user: &UserId, at: OffsetDateTime) -> Result<u64> {
        let now = at.unix_timestamp();
        let window_end = (at + LOGIN_WINDOW).unix_timestamp();
        let counted = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk::login_failures(user)))
            .update_expression(
                "ADD failures :one SET expires_at = if_not_exists(expires_at, :end), kind = :kind",
            )
            .condition_expression("attribute_not_exists(expires_at) OR expires_at > :now")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":end", n(window_end))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":kind", s("login_failures"))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        let attributes = match counted {
            Ok(output) => output.attributes.unwrap_or_default(),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                // The old window expired (DynamoDB deletes late): start a new one.
                let fresh = ItemBuilder::new(
                    pk,
                    &sk::login_failures(user),
                    "login_failures",
                    Revision::FIRST,
                )
                .attribute("failures", n(1))
                .expires_at(window_end)
                .build();
                self.client
                    .put_item()
                    .table_name(&self.table)
                    .set_item(Some(fresh.clone()))
                    .send()
                    .await
                    .map_err(|e| StoreError::from_sdk("PutItem", e))?;
                fresh
            }
            Err(error) => return Err(StoreError::from_sdk("UpdateItem", error)),
        };
        item::number_attr(&attributes, "failures")
    }

    /// Rotates a refresh token. A token presented after it was rotated is a reuse: its whole
    /// family is revoked (audited as a security event) and [`StoreError::RefreshTokenReused`]
    /// is returned.
    pub async fn refresh_session(
        &self,
        presented: &str,
        correlation_id: &CorrelationId,
        at: OffsetDateTime,
    ) -> Result<RefreshOutcome> {
        let hash = sha256_hex(presented);
        let found = self
            .lookup(&gsi::refresh_token(&hash))
            .await?
            .into_iter()
            .next()
            .ok_or(StoreError::InvalidCredentials)?;
        let tenant = tenant_of(&found)?;
        let family = SessionFamilyId::parse(item::string_attr(&found, "family")?)?;
        let user_id = UserId::parse(item::string_attr(&found, "user")?)?;
        let pk = format!("TENANT#{tenant}");
        let user: Stored<User> = match self.get_item(&pk, &sk::user(&user_id)).await? {
            Some(u) => item::decode(&u)?,
            None => return Err(StoreError::CredentialRevoked),
        };
        let scope = verified_scope(&tenant, &user_id, user.record.role)?;
        let ctx = system_context(
            correlation_id,
            at,
            Actor::User {
                user: user_id.clone(),
            },
        );
        let session = self
            .get_item(&pk, &sk::session(&family))
            .await?
            .ok_or(StoreError::CredentialRevoked)?;
        let revoked = session
            .get("revoked")
            .and_then(|v| v.as_bool().ok())
            .copied()
            .unwrap_or(false);
        if revoked {
            return Err(StoreError::CredentialRevoked);
        }
        let entity = EntityRef::new(EntityKind::Session, &family);
        if item::string_attr(&found, "status")? != "active" {
            self.commit(
                &scope,
                vec![self.revoke_family_write(&scope, &family)?],
                vec![ctx.entry(AuditAction::RefreshReuseDetected, entity, AuditDiff::none())],
            )
            .await?;
            return Err(StoreError::RefreshTokenReused);
        }
        if item::optional_number_attr(&found, "expires_at")
            .is_some_and(|end| end <= at.unix_timestamp())
        {
            return Err(StoreError::CredentialRevoked);
        }
        let (issued, put_next) = self.token_writes(&scope, &family, &user_id, at)?;
        let retire = self.update(
            &pk,
            &sk::refresh_token(&hash),
            "SET #status = :rotated",
            Some("#status = :active"),
            &[("#status", "status")],
            &[(":rotated", s("rotated")), (":active", s("active"))],
            OnFailed::Error(StoreErrorTemplate::RefreshReused),
        )?;
        let live = self.update(
            &pk,
            &sk::session(&family),
            "SET rotated_at = :at",
            Some("revoked = :no"),
            &[],
            &[
                (":at", n(at.unix_timestamp())),
                (":no", AttributeValue::Bool(false)),
            ],
            OnFailed::Error(StoreErrorTemplate::Conflict {
                entity: "session",
                id: family.to_string(),
                reason: "revoked".to_owned(),
            }),
        )?;
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
                tenant,
                user: user_id,
                role: user.record.role,
                issued,
            }),
            // Two presentations of one token raced: the loser is a reuse.
            Err(StoreError::RefreshTokenReused) => {
                self.commit(
                    &scope,
                    vec![self.revoke_family_write(&scope, &family)?],
                    vec![ctx.entry(AuditAction::RefreshReuseDetected, entity, AuditDiff::none())],
                )
                .await?;
                Err(StoreError::RefreshTokenReused)
            }
            Err(other) => Err(other),
        }
    }

    /// Verifies `ida_<keyid>_<secret>` and records its use.
    pub async fn authenticate_api_key(
        &self,
        presented: &str,
        at: OffsetDateTime,
    ) -> Result<ApiKeyAuth> {
        let rest = presented
            .strip_prefix("ida_")
            .ok_or(StoreError::InvalidCredentials)?;
        let id_len = ApiKeyId::PREFIX.len() + 1 + 32;
        let (id_text, secret) = match (
            rest.get(..id_len),
            rest.get(id_len..id_len + 1),
            rest.get(id_len + 1..),
        ) {
            (Some(id), Some("_"), Some(secret)) if !secret.is_empty() => (id, secret),
            _ => return Err(StoreError::InvalidCredentials),
        };
        let id = ApiKeyId::parse(id_text).map_err(|_| StoreError::InvalidCredentials)?;
        let found = self
            .lookup(&gsi::api_key(&id))
            .await?
            .into_iter()
            .next()
            .ok_or(StoreError::InvalidCredentials)?;
        let record: Stored<ApiKeyRecord> = item::decode(&found)?;
        let record = record.record;
        let presented_hash = sha256_hex(secret);
        let same = |name: &str| {
            found
                .get(name)
                .and_then(|v| v.as_s().ok())
                .is_some_and(|stored| {
                    bool::from(stored.as_bytes().ct_eq(presented_hash.as_bytes()))
                })
        };
        let in_grace = record
            .previous_secret_valid_until
            .is_some_and(|until| at < until);
        if !(same("secret_hash") || (in_grace && same("previous_secret_hash"))) {
            return Err(StoreError::InvalidCredentials);
        }
        if record.revoked_at.is_some() || record.expires_at.is_some_and(|end| at >= end) {
            return Err(StoreError::CredentialRevoked);
        }
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", found.get("pk").cloned().unwrap_or_else(|| s("")))
            .key("sk", found.get("sk").cloned().unwrap_or_else(|| s("")))
            .update_expression("SET last_used_at = :at")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":at", n(at.unix_timestamp()))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e))?;
        Ok(ApiKeyAuth {
            tenant: record.tenant,
            key: record.id,
            owner: record.owner,
            role: record.role,
            scopes: record.scopes,
        })
    }
}

fn locked_until(unix: i64) -> StoreError {
    let until = OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string());
    StoreError::LoginLocked { until }
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
        let family = SessionFamilyId::generate();
        let (issued, put_token) = self.token_writes(scope, &family, user, ctx.at)?;
        let session = ItemBuilder::new(
            &keys::tenant_pk(scope),
            &sk::session(&family),
            "session",
            Revision::FIRST,
        )
        .attribute("user", s(user.as_str()))
        .attribute("revoked", AttributeValue::Bool(false))
        .expires_at(issued.expires_at.unix_timestamp())
        .build();
        let writes = vec![self.put_new(session, "session", &family)?, put_token];
        let entry = ctx.entry(
            AuditAction::LoginSucceeded,
            EntityRef::new(EntityKind::Session, &family),
            AuditDiff::none(),
        );
        self.commit(scope, writes, vec![entry]).await?;
        Ok(issued)
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

fn new_key_secret(id: &ApiKeyId) -> Result<(ApiKeySecret, String)> {
    let secret = random_hex(32)?;
    let hash = sha256_hex(&secret);
    Ok((ApiKeySecret(format!("ida_{id}_{secret}")), hash))
}

fn with_last_use(found: &Item) -> Result<Stored<ApiKeyRecord>> {
    let mut stored: Stored<ApiKeyRecord> = item::decode(found)?;
    if let Some(unix) = item::optional_number_attr(found, "last_used_at") {
        stored.record.last_used_at = OffsetDateTime::from_unix_timestamp(unix).ok();
    }
    Ok(stored)
}

impl ApiKeyRepository for DynamoStore {
    async fn create_api_key(
        &self,
        scope: &TenantScope,
        key: NewApiKey,
        ctx: &WriteContext,
    ) -> Result<(Stored<ApiKeyRecord>, ApiKeySecret)> {
        if let Some(wider) = key.scopes.iter().find(|p| !key.role.grants(**p)) {
            return Err(CoreError::invalid(
                "scopes",
                format!("scope {wider} is not granted by role {}", key.role),
            )
            .into());
        }
        if key.role == Role::PlatformOperator {
            return Err(CoreError::invalid(
                "role",
                "an API key cannot hold the platform operator role",
            )
            .into());
        }
        let record = ApiKeyRecord {
            id: ApiKeyId::generate(),
            tenant: scope.tenant().clone(),
            name: key.name,
            owner: key.owner,
            role: key.role,
            scopes: key.scopes,
            created_at: ctx.at,
            expires_at: key.expires_at,
            revoked_at: None,
            previous_secret_valid_until: None,
            last_used_at: None,
        };
        let (secret, hash) = new_key_secret(&record.id)?;
        let attributes = ItemAttributes {
            lookup: Some((gsi::api_key(&record.id), "KEY")),
            others: vec![("secret_hash", s(hash))],
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
        Ok((stored, secret))
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
        if stored.record.revoked_at.is_some() {
            return Err(StoreError::CredentialRevoked);
        }
        let mut record = stored.record.clone();
        record.previous_secret_valid_until = Some(ctx.at + grace.max(Duration::ZERO));
        let (secret, hash) = new_key_secret(id)?;
        let body = serde_json::to_string(&record).map_err(|e| StoreError::Backend {
            operation: "encode",
            message: e.to_string(),
        })?;
        let write = self.update(
            &keys::tenant_pk(scope),
            &sk::api_key(id),
            "SET body = :body, revision = :next, previous_secret_hash = secret_hash, secret_hash = :hash",
            Some("attribute_exists(pk) AND revision = :expected"),
            &[],
            &[
                (":body", s(body)),
                (":next", expected.next().attribute()),
                (":expected", expected.attribute()),
                (":hash", s(hash)),
            ],
            OnFailed::StaleOrMissing {
                entity: "api_key",
                id: id.to_string(),
                sk: sk::api_key(id),
            },
        )?;
        let entry = ctx.entry(
            AuditAction::ApiKeyRotated,
            EntityRef::new(EntityKind::ApiKey, id),
            AuditDiff::between(&audit_json(&stored.record)?, &audit_json(&record)?),
        );
        self.commit(scope, vec![write], vec![entry]).await?;
        Ok((
            Stored {
                record,
                revision: expected.next(),
            },
            secret,
        ))
    }

    async fn revoke_api_key(
        &self,
        scope: &TenantScope,
        id: &ApiKeyId,
        expected: Revision,
        ctx: &WriteContext,
    ) -> Result<Stored<ApiKeyRecord>> {
        let stored = self.get_api_key(scope, id).await?;
        let mut record = stored.record;
        record.revoked_at = Some(ctx.at);
        self.replace_record(
            scope,
            api_key_spec(&record, AuditAction::ApiKeyRevoked),
            record.clone(),
            expected,
            vec![],
            ctx,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(password_matches("correct horse battery", &hash));
        assert!(!password_matches("correct horse battery!", &hash));
        assert!(!password_matches("anything", "not a phc string"));
        assert!(hash_password("short").is_err());
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let id = ApiKeyId::generate();
        let (secret, hash) = new_key_secret(&id).unwrap();
        assert!(secret.expose().starts_with(&format!("ida_{id}_")));
        assert_eq!(format!("{secret:?}"), "ApiKeySecret(..)");
        let tail = secret.expose().rsplit('_').next().unwrap();
        assert_eq!(sha256_hex(tail), hash);
    }
}
