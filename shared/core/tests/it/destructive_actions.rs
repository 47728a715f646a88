//! Deleting a dataset under a four-eyes policy: the requester cannot approve alone, a second
//! admin can, and the dataset then moves through deletion.

use ida_core::access::{AuthorizerContext, Role, Subject};
use ida_core::approval::{ApprovalRequest, ApprovalStatus, DestructiveAction};
use ida_core::dataset::{DatasetEvent, DatasetStatus};
use ida_core::id::{DatasetId, TenantId, UserId};
use ida_core::tenancy::TenantPolicy;
use ida_core::transition::StateMachine;
use ida_core::{CoreError, Principal};
use time::{Duration, OffsetDateTime};

fn member_of(tenant: &TenantId, role: Role) -> Principal {
    Principal::from_authorizer_context(AuthorizerContext {
        tenant: tenant.clone(),
        subject: Subject::User {
            user: UserId::generate(),
        },
        role,
        scopes: None,
    })
    .unwrap()
}

#[test]
fn a_dataset_is_deleted_only_after_a_second_admin_approves() {
    let tenant = TenantId::generate();
    let policy = TenantPolicy::default();
    assert!(policy.destructive_action_needs_approval());
    let alice = member_of(&tenant, Role::Admin);
    let bob = member_of(&tenant, Role::Admin);
    let mallory = member_of(&TenantId::generate(), Role::Owner);
    let now = OffsetDateTime::UNIX_EPOCH + Duration::days(20_400);

    let dataset = DatasetId::generate();
    let mut request = ApprovalRequest::new(
        &alice,
        DestructiveAction::DeleteDataset {
            dataset: dataset.clone(),
        },
        "superseded by the 2025 export",
        now,
        ApprovalRequest::DEFAULT_TTL,
    )
    .unwrap();
    assert_eq!(
        request
            .decide(&alice, true, policy.four_eyes, now)
            .unwrap_err(),
        CoreError::SelfApproval
    );
    assert_eq!(
        request
            .decide(&mallory, true, policy.four_eyes, now)
            .unwrap_err()
            .code(),
        "access_denied"
    );
    request
        .decide(&bob, true, policy.four_eyes, now + Duration::hours(2))
        .unwrap();
    assert_eq!(request.status, ApprovalStatus::Approved);

    let status = [DatasetEvent::StartDeletion, DatasetEvent::CompleteDeletion]
        .into_iter()
        .try_fold(DatasetStatus::Active, DatasetStatus::apply)
        .unwrap();
    assert_eq!(status, DatasetStatus::Deleted);
}
