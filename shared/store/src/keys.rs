//! The single-table key layout: every partition and sort key is built here and nowhere else,
//! always from a [`TenantScope`] (never from a tenant id in request data). Global look-up keys
//! (`gsi1pk`) and the few items outside a tenant's partition (email guards, erasure receipts)
//! are built here too.

use ida_core::TenantScope;
use ida_core::id::{
    ApiKeyId, ApprovalId, AuditSeq, DatasetId, JobId, ProjectId, RecipeId, SessionFamilyId,
    TenantId, UploadId, UserId, VersionNo,
};
use ida_core::user::Email;
use time::Date;

/// The partition key of a tenant's records.
pub(crate) fn tenant_pk(scope: &TenantScope) -> String {
    format!("TENANT#{}", scope.tenant())
}

/// The tenant a `TENANT#..` partition key names, if it is one.
pub(crate) fn tenant_of_pk(pk: &str) -> Option<TenantId> {
    pk.strip_prefix("TENANT#")
        .and_then(|t| TenantId::parse(t).ok())
}

/// The item kinds and their sort keys.
pub(crate) mod sk {
    use super::*;

    /// The tenant record itself.
    pub(crate) const TENANT: &str = "TENANT";
    /// The tenant's approval policy.
    pub(crate) const POLICY: &str = "POLICY";
    /// The tenant's quota limits and counters.
    pub(crate) const QUOTA: &str = "QUOTA";
    /// The tenant's feature flags.
    pub(crate) const FLAGS: &str = "FLAGS";
    /// The head of the tenant's audit chain (last sequence number and hash). Its sort key
    /// sorts before `AUDIT#` so a query for the chain never returns it.
    pub(crate) const AUDIT_HEAD: &str = "AUDITHEAD";
    /// The prefix of audit events.
    pub(crate) const AUDIT_PREFIX: &str = "AUDIT#";

    pub(crate) fn project(id: &ProjectId) -> String {
        format!("PROJECT#{id}")
    }
    pub(crate) fn dataset(id: &DatasetId) -> String {
        format!("DATASET#{id}")
    }
    pub(crate) fn version(id: &DatasetId, version: VersionNo) -> String {
        format!("DATASET#{id}#V#{}", version.sort_key())
    }
    pub(crate) fn versions_of(id: &DatasetId) -> String {
        format!("DATASET#{id}#V#")
    }
    pub(crate) fn upload(id: &UploadId) -> String {
        format!("UPLOAD#{id}")
    }
    pub(crate) fn job(id: &JobId) -> String {
        format!("JOB#{id}")
    }
    pub(crate) fn recipe(id: &RecipeId) -> String {
        format!("RECIPE#{id}")
    }
    pub(crate) fn approval(id: &ApprovalId) -> String {
        format!("APPROVAL#{id}")
    }
    pub(crate) fn user(id: &UserId) -> String {
        format!("USER#{id}")
    }
    pub(crate) fn api_key(id: &ApiKeyId) -> String {
        format!("APIKEY#{id}")
    }
    pub(crate) fn audit(seq: AuditSeq) -> String {
        format!("AUDIT#{}", seq.sort_key())
    }
    pub(crate) fn usage(day: Date) -> String {
        format!("USAGE#{day}")
    }
    pub(crate) fn session(family: &SessionFamilyId) -> String {
        format!("SESSION#{family}")
    }
    pub(crate) fn refresh_token(token_hash: &str) -> String {
        format!("REFRESH#{token_hash}")
    }
    pub(crate) fn login_failures(user: &UserId) -> String {
        format!("LOGINFAIL#{user}")
    }
    pub(crate) fn idempotency(key: &str) -> String {
        format!("IDEMPOTENCY#{key}")
    }
}

/// Global look-up keys on the `gsi1` index. They resolve to the owning tenant's item; a
/// tenant-scoped read through them checks the owner before handing anything back.
pub(crate) mod gsi {
    use super::*;

    pub(crate) fn email(email: &Email) -> String {
        format!("EMAIL#{email}")
    }
    pub(crate) fn api_key(id: &ApiKeyId) -> String {
        format!("APIKEY#{id}")
    }
    pub(crate) fn refresh_token(token_hash: &str) -> String {
        format!("REFRESH#{token_hash}")
    }
}

/// The guard item that makes an email globally unique: written in the same transaction as the
/// user, refused when it exists.
pub(crate) fn email_guard_pk(email: &Email) -> String {
    format!("EMAIL#{email}")
}

/// The sort key of single items outside tenant partitions.
pub(crate) const GUARD_SK: &str = "GUARD";

/// The partition of a tenant's erasure receipt, outside the erased data.
pub(crate) fn erasure_pk(tenant: &TenantId) -> String {
    format!("ERASURE#{tenant}")
}

/// The sort key of the erasure receipt.
pub(crate) const RECEIPT_SK: &str = "RECEIPT";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_audit_events_sort_numerically() {
        let dataset = DatasetId::generate();
        let v9 = sk::version(&dataset, VersionNo::new(9).unwrap());
        let v10 = sk::version(&dataset, VersionNo::new(10).unwrap());
        assert!(v9 < v10);
        assert!(v9.ends_with("#V#0000000009"));
        assert!(v9.starts_with(&sk::versions_of(&dataset)));
        assert_eq!(sk::audit(AuditSeq::new(12).unwrap()), "AUDIT#000000000012");
        assert!(!sk::AUDIT_HEAD.starts_with(sk::AUDIT_PREFIX));
    }

    #[test]
    fn tenant_partition_round_trips() {
        let tenant = TenantId::generate();
        let pk = format!("TENANT#{tenant}");
        assert_eq!(tenant_of_pk(&pk), Some(tenant));
        assert_eq!(tenant_of_pk("EMAIL#a@b.co"), None);
    }
}
