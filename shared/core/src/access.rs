//! Who may do what: roles, permissions, the role -> permissions table, principals and the one
//! `authorize` check every route calls. A [`TenantScope`] can only be obtained from a verified
//! [`Principal`], so no code path can scope a query by a tenant id taken from request data.
//!
//! This module never trusts a tenant id, role or scope that did not come out of token or API key
//! verification (or the authorizer context that API Gateway built from it).

use std::collections::BTreeSet;

use crate::error::{AccessDenied, CoreError, Result};
use crate::id::{ApiKeyId, JobId, TenantId, UserId};
use crate::tenancy::Tenant;
use crate::user::User;
use crate::wire_enum::wire_enum;

wire_enum! {
    /// A role. Tenant roles are ordered OWNER > ADMIN > MEMBER > VIEWER; the platform operator
    /// stands outside that order and manages tenants, not their data.
    pub enum Role: "role" {
        /// Reads projects, datasets, jobs and recipes.
        Viewer => "VIEWER",
        /// Viewer, plus creates projects, uploads data and runs jobs.
        Member => "MEMBER",
        /// Member, plus approves recipes, deletes and rolls back datasets, manages users and keys.
        Admin => "ADMIN",
        /// Admin, plus billing and erasure of the whole tenant.
        Owner => "OWNER",
        /// Platform staff: creates, suspends and erases tenants, sets quotas and feature flags.
        PlatformOperator => "PLATFORM_OPERATOR",
    }
}

wire_enum! {
    /// One thing a principal may be allowed to do. The wire spelling is also the API-key scope.
    pub enum Permission: "permission" {
        /// List and read projects.
        ProjectRead => "project:read",
        /// Create, rename and archive projects.
        ProjectWrite => "project:write",
        /// Read datasets, versions, profiles, reports and diffs.
        DatasetRead => "dataset:read",
        /// Create datasets and change their metadata.
        DatasetWrite => "dataset:write",
        /// Delete a dataset (destructive: may need approval).
        DatasetDelete => "dataset:delete",
        /// Create uploads (presigned PUT URLs).
        UploadCreate => "upload:create",
        /// Read jobs and their stages.
        JobRead => "job:read",
        /// Start, retry and cancel jobs.
        JobControl => "job:control",
        /// Read recipes.
        RecipeRead => "recipe:read",
        /// Approve or reject recipes and approval requests.
        RecipeApprove => "recipe:approve",
        /// Move a dataset's active version back (destructive: may need approval).
        VersionRollback => "version:rollback",
        /// Invite, change the role of and remove users.
        UserManage => "user:manage",
        /// Create, rotate and revoke API keys.
        ApiKeyManage => "apikey:manage",
        /// Set feature flags.
        FlagManage => "flag:manage",
        /// Set quotas.
        QuotaManage => "quota:manage",
        /// Read the audit log and verify its chain.
        AuditRead => "audit:read",
        /// Manage the plan and billing.
        BillingManage => "billing:manage",
        /// Erase the whole tenant (destructive: may need approval).
        TenantErase => "tenant:erase",
        /// Create, suspend, reactivate and erase tenants (platform operators only).
        TenantManage => "tenant:manage",
    }
}

use Permission as P;

const VIEWER: &[Permission] = &[P::ProjectRead, P::DatasetRead, P::JobRead, P::RecipeRead];
const MEMBER: &[Permission] = &[
    P::ProjectRead,
    P::DatasetRead,
    P::JobRead,
    P::RecipeRead,
    P::ProjectWrite,
    P::DatasetWrite,
    P::UploadCreate,
    P::JobControl,
];
const ADMIN: &[Permission] = &[
    P::ProjectRead,
    P::DatasetRead,
    P::JobRead,
    P::RecipeRead,
    P::ProjectWrite,
    P::DatasetWrite,
    P::UploadCreate,
    P::JobControl,
    P::DatasetDelete,
    P::RecipeApprove,
    P::VersionRollback,
    P::UserManage,
    P::ApiKeyManage,
    P::AuditRead,
];
const OWNER: &[Permission] = &[
    P::ProjectRead,
    P::DatasetRead,
    P::JobRead,
    P::RecipeRead,
    P::ProjectWrite,
    P::DatasetWrite,
    P::UploadCreate,
    P::JobControl,
    P::DatasetDelete,
    P::RecipeApprove,
    P::VersionRollback,
    P::UserManage,
    P::ApiKeyManage,
    P::AuditRead,
    P::BillingManage,
    P::TenantErase,
];
const PLATFORM_OPERATOR: &[Permission] =
    &[P::TenantManage, P::QuotaManage, P::FlagManage, P::AuditRead];

impl Role {
    /// The role -> permissions table: the one place that says what each role may do.
    pub fn permissions(self) -> &'static [Permission] {
        match self {
            Role::Viewer => VIEWER,
            Role::Member => MEMBER,
            Role::Admin => ADMIN,
            Role::Owner => OWNER,
            Role::PlatformOperator => PLATFORM_OPERATOR,
        }
    }

    /// Whether the role grants `permission`.
    pub fn grants(self, permission: Permission) -> bool {
        self.permissions().contains(&permission)
    }

    /// The role's rank in the tenant order (VIEWER 1 .. OWNER 4); `None` for the operator.
    pub fn tenant_rank(self) -> Option<u8> {
        match self {
            Role::Viewer => Some(1),
            Role::Member => Some(2),
            Role::Admin => Some(3),
            Role::Owner => Some(4),
            Role::PlatformOperator => None,
        }
    }

    /// Whether a holder of `self` may give a user (or API key) the role `target`: only tenant
    /// roles, never above one's own, and only an owner may make another owner.
    pub fn may_grant(self, target: Role) -> bool {
        match (self.tenant_rank(), target.tenant_rank()) {
            (Some(own), Some(wanted)) => {
                self.grants(Permission::UserManage) && wanted <= own && (wanted < 4 || own == 4)
            }
            _ => false,
        }
    }
}

/// Who a principal is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Subject {
    /// A user authenticated by an access token.
    User {
        /// The user.
        user: UserId,
    },
    /// A program authenticated by an API key created by `owner`.
    ApiKey {
        /// The key.
        key: ApiKeyId,
        /// The user who created the key, accountable for its use.
        owner: UserId,
    },
}

impl Subject {
    /// The accountable user: the user, or the key's owner.
    pub fn user(&self) -> &UserId {
        match self {
            Subject::User { user } | Subject::ApiKey { owner: user, .. } => user,
        }
    }
}

/// Proof that a user's password or refresh token was just checked against its stored digest.
///
/// Only ida-core's verifications produce it (`PasswordHashing::verify_credential` and the
/// `Rotate` decision of `RefreshTokenRecord::redeem`), so a store that turns a credential check
/// into a principal with [`Principal::from_verified_credential`] cannot skip the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCredential {
    tenant: TenantId,
    user: UserId,
}

impl VerifiedCredential {
    /// Built by the identity module when a stored secret matched.
    pub(crate) fn new(tenant: TenantId, user: UserId) -> Self {
        VerifiedCredential { tenant, user }
    }

    /// The tenant of the verified account.
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// The verified user.
    pub fn user(&self) -> &UserId {
        &self.user
    }
}

/// A password that did not match an account's stored credential.
///
/// Only `PasswordHashing::verify_credential` produces it. Its one use is the account's own
/// tenant scope, so the store can count the failure against the login throttle and audit it
/// where the account's owners will see it; nothing else is read or changed with that scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedLogin {
    tenant: TenantId,
    user: UserId,
    error: CoreError,
}

impl FailedLogin {
    /// Built by the identity module when a stored password did not match.
    pub(crate) fn new(tenant: TenantId, user: UserId, error: CoreError) -> Self {
        FailedLogin {
            tenant,
            user,
            error,
        }
    }

    /// The account whose password was wrong.
    pub fn user(&self) -> &UserId {
        &self.user
    }

    /// Why it failed (a wrong password, or a stored hash that cannot be read).
    pub fn error(&self) -> &CoreError {
        &self.error
    }

    /// The account's tenant, for counting and auditing this failure only.
    pub fn accounting_scope(&self) -> TenantScope {
        TenantScope {
            tenant: self.tenant.clone(),
        }
    }
}

/// A verified caller: tenant, identity, role and, for API keys, the scopes that narrow the role.
///
/// It is built only by token or API-key verification in [`crate::identity`], from a
/// [`VerifiedCredential`], or from the authorizer context with
/// [`Principal::from_authorizer_context`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    tenant: TenantId,
    subject: Subject,
    role: Role,
    scopes: Option<BTreeSet<Permission>>,
}

/// The principal as the Lambda authorizer hands it to routes in the request context.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuthorizerContext {
    /// The tenant.
    pub tenant: TenantId,
    /// The identity.
    pub subject: Subject,
    /// The role.
    pub role: Role,
    /// API-key scopes; absent for users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<BTreeSet<Permission>>,
}

impl Principal {
    /// Built by the identity module after a successful verification.
    pub(crate) fn verified(
        tenant: TenantId,
        subject: Subject,
        role: Role,
        scopes: Option<BTreeSet<Permission>>,
    ) -> Self {
        Principal {
            tenant,
            subject,
            role,
            scopes,
        }
    }

    /// The principal of a user whose credential was just verified, acting with `role`: the
    /// role the user's stored record holds now (a credential does not carry one, so a role
    /// change takes effect at the next login or refresh).
    pub fn from_verified_credential(credential: VerifiedCredential, role: Role) -> Self {
        Principal::verified(
            credential.tenant,
            Subject::User {
                user: credential.user,
            },
            role,
            None,
        )
    }

    /// The principal of the owner that a registration creates together with a brand-new
    /// tenant, for the one transaction that writes both: there is no credential to verify yet
    /// because none exists. Refused unless `owner` is an OWNER of `tenant`.
    pub fn founding_owner(tenant: &Tenant, owner: &User) -> Result<Self> {
        if owner.tenant != tenant.id || owner.role != Role::Owner {
            return Err(CoreError::invalid(
                "role",
                "the founding user must be an OWNER of the new tenant",
            ));
        }
        Ok(Principal::verified(
            tenant.id.clone(),
            Subject::User {
                user: owner.id.clone(),
            },
            Role::Owner,
            None,
        ))
    }

    /// Rebuilds the principal from the context the authorizer returned to API Gateway.
    ///
    /// Call this only on the authorizer context API Gateway attaches to a request (never on
    /// anything from a header, path, query or body): API Gateway fills it from the authorizer's
    /// verified output and clients cannot set it. Scopes that the role does not grant are
    /// refused, so a context can never widen a role.
    pub fn from_authorizer_context(context: AuthorizerContext) -> Result<Self> {
        if let Some(wider) = context
            .scopes
            .iter()
            .flatten()
            .find(|p| !context.role.grants(**p))
        {
            return Err(CoreError::invalid(
                "scopes",
                format!("scope {wider} is not granted by role {}", context.role),
            ));
        }
        Ok(Principal::verified(
            context.tenant,
            context.subject,
            context.role,
            context.scopes,
        ))
    }

    /// The context the authorizer hands to routes.
    pub fn to_authorizer_context(&self) -> AuthorizerContext {
        AuthorizerContext {
            tenant: self.tenant.clone(),
            subject: self.subject.clone(),
            role: self.role,
            scopes: self.scopes.clone(),
        }
    }

    /// The principal's tenant.
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// Who the principal is.
    pub fn subject(&self) -> &Subject {
        &self.subject
    }

    /// The accountable user (the user, or an API key's owner).
    pub fn user(&self) -> &UserId {
        self.subject.user()
    }

    /// The role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The API-key scopes, if the principal is an API key.
    pub fn scopes(&self) -> Option<&BTreeSet<Permission>> {
        self.scopes.as_ref()
    }

    /// Whether the principal holds `permission`: the role grants it and, for an API key, a
    /// scope allows it too.
    pub fn holds(&self, permission: Permission) -> bool {
        self.role.grants(permission)
            && self
                .scopes
                .as_ref()
                .is_none_or(|scopes| scopes.contains(&permission))
    }

    /// The scope for every store call made on behalf of this principal: its own tenant.
    pub fn scope(&self) -> TenantScope {
        TenantScope {
            tenant: self.tenant.clone(),
        }
    }

    /// A scope on another tenant, for platform operators only (tenant administration).
    pub fn operator_scope(&self, tenant: &TenantId) -> Result<TenantScope, AccessDenied> {
        authorize(self, Permission::TenantManage)?;
        Ok(TenantScope {
            tenant: tenant.clone(),
        })
    }
}

/// The tenant every store call is confined to. Obtainable only from a verified [`Principal`]
/// (or, in a pipeline stage, from a [`PipelineTicket`] minted from such a scope), never from
/// request data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantScope {
    tenant: TenantId,
}

impl TenantScope {
    /// The tenant.
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// A ticket naming this tenant and a job, for the pipeline execution's input.
    pub fn pipeline_ticket(&self, job: JobId) -> PipelineTicket {
        PipelineTicket {
            tenant: self.tenant.clone(),
            job,
        }
    }
}

/// The tenant and job a pipeline execution works for. It is minted only from a [`TenantScope`]
/// (by the upload handler, under the uploader's verified principal) and travels in the
/// Step Functions execution input and stage messages, which only the service writes; a stage
/// rebuilds its scope from it with [`PipelineTicket::scope`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PipelineTicket {
    tenant: TenantId,
    job: JobId,
}

impl PipelineTicket {
    /// The scope for the stage's store calls.
    pub fn scope(&self) -> TenantScope {
        TenantScope {
            tenant: self.tenant.clone(),
        }
    }

    /// The job.
    pub fn job(&self) -> &JobId {
        &self.job
    }
}

/// The one authorisation check: does `principal` hold `permission`?
pub fn authorize(principal: &Principal, permission: Permission) -> Result<(), AccessDenied> {
    if !principal.role.grants(permission) {
        return Err(AccessDenied {
            reason: format!("role {} does not grant {permission}", principal.role),
        });
    }
    if principal
        .scopes
        .as_ref()
        .is_some_and(|scopes| !scopes.contains(&permission))
    {
        return Err(AccessDenied {
            reason: format!("API key scopes do not include {permission}"),
        });
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A verified principal for tests in this crate.
    pub(crate) fn principal(role: Role) -> Principal {
        Principal::verified(
            TenantId::generate(),
            Subject::User {
                user: UserId::generate(),
            },
            role,
            None,
        )
    }

    #[test]
    fn tenant_roles_are_nested_owner_over_admin_over_member_over_viewer() {
        let chain = [Role::Viewer, Role::Member, Role::Admin, Role::Owner];
        for pair in chain.windows(2) {
            let (lower, higher) = (pair[0], pair[1]);
            for p in lower.permissions() {
                assert!(higher.grants(*p), "{higher} lacks {p} that {lower} has");
            }
            assert!(higher.permissions().len() > lower.permissions().len());
        }
    }

    #[test]
    fn the_table_pins_every_role() {
        let names = |r: Role| -> Vec<&str> { r.permissions().iter().map(|p| p.as_str()).collect() };
        assert_eq!(
            names(Role::Viewer),
            ["project:read", "dataset:read", "job:read", "recipe:read"]
        );
        assert!(!Role::Member.grants(P::RecipeApprove));
        assert!(!Role::Member.grants(P::DatasetDelete));
        assert!(Role::Admin.grants(P::RecipeApprove));
        assert!(!Role::Admin.grants(P::TenantErase));
        assert!(Role::Owner.grants(P::TenantErase));
        assert!(!Role::Owner.grants(P::TenantManage));
        assert_eq!(
            names(Role::PlatformOperator),
            ["tenant:manage", "quota:manage", "flag:manage", "audit:read"]
        );
        // The operator never reads tenant data.
        assert!(!Role::PlatformOperator.grants(P::DatasetRead));
        // Every permission is granted to someone.
        for p in Permission::ALL {
            assert!(
                Role::ALL.iter().any(|r| r.grants(*p)),
                "{p} granted to nobody"
            );
        }
    }

    #[test]
    fn authorize_refuses_what_the_role_does_not_grant() {
        let viewer = principal(Role::Viewer);
        assert!(authorize(&viewer, P::DatasetRead).is_ok());
        let denied = authorize(&viewer, P::DatasetWrite).unwrap_err();
        assert_eq!(denied.reason, "role VIEWER does not grant dataset:write");
    }

    #[test]
    fn api_key_scopes_narrow_and_never_widen_the_role() {
        let mut key = principal(Role::Member);
        key.scopes = Some([P::DatasetRead, P::UploadCreate].into());
        assert!(authorize(&key, P::UploadCreate).is_ok());
        assert!(authorize(&key, P::JobControl).is_err());
        // A scope the role lacks does not grant it.
        key.scopes = Some([P::DatasetDelete].into());
        assert!(authorize(&key, P::DatasetDelete).is_err());
    }

    #[test]
    fn authorizer_context_round_trips_and_cannot_widen_a_role() {
        let member = principal(Role::Member);
        let ctx = member.to_authorizer_context();
        let json = serde_json::to_value(&ctx).unwrap();
        let back: AuthorizerContext = serde_json::from_value(json).unwrap();
        assert_eq!(Principal::from_authorizer_context(back).unwrap(), member);

        let mut wider = member.to_authorizer_context();
        wider.scopes = Some([P::RecipeApprove].into());
        let err = Principal::from_authorizer_context(wider).unwrap_err();
        assert_eq!(err.code(), "invalid_field");
    }

    #[test]
    fn scope_is_the_principals_own_tenant() {
        let admin = principal(Role::Admin);
        assert_eq!(admin.scope().tenant(), admin.tenant());
        assert!(admin.operator_scope(&TenantId::generate()).is_err());
        let operator = principal(Role::PlatformOperator);
        let other = TenantId::generate();
        assert_eq!(operator.operator_scope(&other).unwrap().tenant(), &other);
    }

    #[test]
    fn only_an_owner_of_the_new_tenant_founds_it() {
        use crate::tenancy::{DisplayName, Plan};
        use crate::user::{Email, UserStatus};
        let now = time::OffsetDateTime::UNIX_EPOCH;
        let tenant = Tenant::new(DisplayName::parse("Acme").unwrap(), Plan::Free, now);
        let owner = User {
            id: UserId::generate(),
            tenant: tenant.id.clone(),
            email: Email::parse("o@acme.example").unwrap(),
            display_name: DisplayName::parse("O").unwrap(),
            role: Role::Owner,
            status: UserStatus::Active,
            created_at: now,
        };
        let founder = Principal::founding_owner(&tenant, &owner).unwrap();
        assert_eq!(founder.scope().tenant(), &tenant.id);
        assert_eq!(founder.user(), &owner.id);
        assert_eq!(founder.role(), Role::Owner);
        let admin = User {
            role: Role::Admin,
            ..owner.clone()
        };
        assert!(Principal::founding_owner(&tenant, &admin).is_err());
        let elsewhere = User {
            tenant: TenantId::generate(),
            ..owner
        };
        assert!(Principal::founding_owner(&tenant, &elsewhere).is_err());
    }

    #[test]
    fn pipeline_tickets_carry_the_scope_through_serialisation() {
        let scope = principal(Role::Member).scope();
        let ticket = scope.pipeline_ticket(JobId::generate());
        let json = serde_json::to_string(&ticket).unwrap();
        let back: PipelineTicket = serde_json::from_str(&json).unwrap();
        assert_eq!(back.scope(), scope);
        assert_eq!(back.job(), ticket.job());
    }

    #[test]
    fn only_owners_make_owners_and_nobody_grants_above_their_rank() {
        assert!(Role::Owner.may_grant(Role::Owner));
        assert!(Role::Admin.may_grant(Role::Admin));
        assert!(!Role::Admin.may_grant(Role::Owner));
        assert!(!Role::Member.may_grant(Role::Viewer));
        assert!(!Role::Owner.may_grant(Role::PlatformOperator));
        assert!(!Role::PlatformOperator.may_grant(Role::Viewer));
    }
}
