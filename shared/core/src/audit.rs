//! Audit events and their per-tenant hash chain. Each event's hash is SHA-256 over a canonical
//! serialisation of the event (sorted JSON keys, time as Unix nanoseconds) including the previous
//! event's hash, so altering, removing, inserting or reordering an event is detected by
//! [`verify_chain`], which names the first place the chain breaks.
//!
//! This module only computes and checks; the store appends an event and moves the tenant's chain
//! head in the same transaction as the change it records.

use std::net::IpAddr;

use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::access::{Principal, Subject, TenantScope};
use crate::error::{CoreError, Result};
use crate::id::{ApiKeyId, AuditSeq, CorrelationId, TenantId, UserId};
use crate::wire_enum::wire_enum;

/// The `prev_hash` of a tenant's first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Longest user agent kept, in characters; longer ones are cut.
pub const MAX_USER_AGENT_CHARS: usize = 512;

/// Who did it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    /// A user.
    User {
        /// The user.
        user: UserId,
    },
    /// An API key, on behalf of its owner.
    ApiKey {
        /// The key.
        key: ApiKeyId,
        /// Its owner.
        owner: UserId,
    },
    /// The service itself (a pipeline stage, an expiry sweep), or an anonymous caller such as a
    /// failed login.
    System {
        /// Which component, such as `stage-transform` or `api-auth`.
        component: String,
    },
}

impl From<&Principal> for Actor {
    fn from(principal: &Principal) -> Self {
        match principal.subject() {
            Subject::User { user } => Actor::User { user: user.clone() },
            Subject::ApiKey { key, owner } => Actor::ApiKey {
                key: key.clone(),
                owner: owner.clone(),
            },
        }
    }
}

wire_enum! {
    /// What happened.
    pub enum AuditAction: "action" {
        /// A tenant was created.
        TenantCreated => "tenant.created",
        /// A tenant was suspended.
        TenantSuspended => "tenant.suspended",
        /// A suspension was lifted.
        TenantReactivated => "tenant.reactivated",
        /// A tenant's policy changed.
        TenantPolicyChanged => "tenant.policy_changed",
        /// Erasure of a tenant started.
        TenantErasureStarted => "tenant.erasure_started",
        /// A user registered (creating the tenant).
        UserRegistered => "user.registered",
        /// A user was invited.
        UserInvited => "user.invited",
        /// An invitation was accepted.
        UserActivated => "user.activated",
        /// A user's role changed.
        UserRoleChanged => "user.role_changed",
        /// A user was disabled.
        UserDisabled => "user.disabled",
        /// A user was re-enabled.
        UserEnabled => "user.enabled",
        /// A user was removed.
        UserRemoved => "user.removed",
        /// A user changed their password.
        PasswordChanged => "user.password_changed",
        /// A login succeeded.
        LoginSucceeded => "auth.login_succeeded",
        /// A login failed.
        LoginFailed => "auth.login_failed",
        /// An account was locked after repeated failures.
        LoginLocked => "auth.login_locked",
        /// A refresh token was rotated.
        SessionRefreshed => "auth.session_refreshed",
        /// A rotated refresh token was reused: the session family was revoked.
        RefreshReuseDetected => "auth.refresh_reuse_detected",
        /// A session was ended by the user.
        LoggedOut => "auth.logged_out",
        /// An API key was created.
        ApiKeyCreated => "apikey.created",
        /// An API key was rotated.
        ApiKeyRotated => "apikey.rotated",
        /// An API key was revoked.
        ApiKeyRevoked => "apikey.revoked",
        /// A project was created.
        ProjectCreated => "project.created",
        /// A project changed (name, archive, restore).
        ProjectUpdated => "project.updated",
        /// A dataset was created.
        DatasetCreated => "dataset.created",
        /// Deletion of a dataset started.
        DatasetDeletionStarted => "dataset.deletion_started",
        /// A dataset was deleted.
        DatasetDeleted => "dataset.deleted",
        /// A dataset version was written.
        VersionCreated => "version.created",
        /// A version became the active one.
        VersionActivated => "version.activated",
        /// The active version was moved back.
        VersionRolledBack => "version.rolled_back",
        /// An upload URL was issued.
        UploadCreated => "upload.created",
        /// An upload passed its checks.
        UploadAccepted => "upload.accepted",
        /// An upload failed its checks.
        UploadRejected => "upload.rejected",
        /// A job changed status.
        JobStatusChanged => "job.status_changed",
        /// A recipe was planned.
        RecipePlanned => "recipe.planned",
        /// A recipe's steps were edited before its decision.
        RecipeEdited => "recipe.edited",
        /// A recipe was approved or rejected.
        RecipeDecided => "recipe.decided",
        /// A recipe started waiting for a person's decision (the pipeline holds its task).
        RecipeAwaitingApproval => "recipe.awaiting_approval",
        /// A recipe was applied.
        RecipeApplied => "recipe.applied",
        /// An approval was requested.
        ApprovalRequested => "approval.requested",
        /// An approval request was decided, expired or withdrawn.
        ApprovalDecided => "approval.decided",
        /// Quotas changed.
        QuotaChanged => "quota.changed",
        /// A feature flag changed.
        FlagChanged => "flag.changed",
        /// A request was refused by authorisation (security event).
        AccessDenied => "security.access_denied",
        /// A request named another tenant's resource (security event).
        CrossTenantAttempt => "security.cross_tenant_attempt",
    }
}

wire_enum! {
    /// The kind of entity an event is about.
    pub enum EntityKind: "entity_type" {
        /// A tenant.
        Tenant => "tenant",
        /// A user.
        User => "user",
        /// A login session (refresh token family).
        Session => "session",
        /// An API key.
        ApiKey => "api_key",
        /// A project.
        Project => "project",
        /// A dataset.
        Dataset => "dataset",
        /// A dataset version (`{dataset}#V{n}`).
        Version => "version",
        /// An upload.
        Upload => "upload",
        /// A job.
        Job => "job",
        /// A recipe.
        Recipe => "recipe",
        /// An approval request.
        Approval => "approval",
        /// The tenant's quotas.
        Quota => "quota",
        /// The tenant's feature flags.
        Flags => "flags",
    }
}

/// The entity an event is about.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EntityRef {
    /// Its kind.
    #[serde(rename = "type")]
    pub kind: EntityKind,
    /// Its id as text.
    pub id: String,
}

impl EntityRef {
    /// A reference to an entity of `kind` with id `id`.
    pub fn new(kind: EntityKind, id: impl ToString) -> Self {
        EntityRef {
            kind,
            id: id.to_string(),
        }
    }
}

/// What changed: the fields before and after. Secrets (password, key and token hashes) must be
/// removed from a record before it is diffed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditDiff {
    /// The changed fields before, or the whole entity for a deletion.
    pub before: Option<Value>,
    /// The changed fields after, or the whole entity for a creation.
    pub after: Option<Value>,
}

impl AuditDiff {
    /// No state change (a login, a refused request).
    pub fn none() -> Self {
        AuditDiff::default()
    }

    /// A creation.
    pub fn created(after: Value) -> Self {
        AuditDiff {
            before: None,
            after: Some(after),
        }
    }

    /// A deletion.
    pub fn deleted(before: Value) -> Self {
        AuditDiff {
            before: Some(before),
            after: None,
        }
    }

    /// The top-level fields that differ between two objects (a field absent on one side is
    /// `null` there); values that are not both objects are kept whole.
    pub fn between(before: &Value, after: &Value) -> Self {
        let (Value::Object(old), Value::Object(new)) = (before, after) else {
            return AuditDiff {
                before: Some(before.clone()),
                after: Some(after.clone()),
            };
        };
        let mut was = serde_json::Map::new();
        let mut now = serde_json::Map::new();
        for key in old.keys().chain(new.keys()) {
            let (a, b) = (old.get(key), new.get(key));
            if a != b && !was.contains_key(key) {
                was.insert(key.clone(), a.cloned().unwrap_or(Value::Null));
                now.insert(key.clone(), b.cloned().unwrap_or(Value::Null));
            }
        }
        AuditDiff {
            before: Some(Value::Object(was)),
            after: Some(Value::Object(now)),
        }
    }
}

/// What happened, as a route or stage describes it, before it is placed in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Who.
    pub actor: Actor,
    /// What.
    pub action: AuditAction,
    /// To what.
    pub entity: EntityRef,
    /// The change.
    pub diff: AuditDiff,
    /// The request or execution it belongs to.
    pub correlation_id: CorrelationId,
    /// The caller's IP address, for API requests.
    pub source_ip: Option<IpAddr>,
    /// The caller's user agent, for API requests.
    pub user_agent: Option<String>,
    /// When.
    pub at: OffsetDateTime,
}

/// A chained audit event, as stored at `AUDIT#{seq:012}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditEvent {
    /// The tenant whose chain it belongs to.
    pub tenant: TenantId,
    /// Its position in the chain.
    pub seq: AuditSeq,
    /// When, in UTC.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who.
    pub actor: Actor,
    /// What.
    pub action: AuditAction,
    /// To what.
    pub entity: EntityRef,
    /// The change.
    pub diff: AuditDiff,
    /// The request or execution it belongs to.
    pub correlation_id: CorrelationId,
    /// The caller's IP address.
    pub source_ip: Option<IpAddr>,
    /// The caller's user agent.
    pub user_agent: Option<String>,
    /// The previous event's hash ([`GENESIS_HASH`] for the first).
    pub prev_hash: String,
    /// SHA-256 (hex) over the canonical event including `prev_hash`.
    pub hash: String,
}

/// The last event of a chain: what the store keeps to append the next one and to detect a
/// truncated chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChainHead {
    /// The last sequence number.
    pub seq: AuditSeq,
    /// The last event's hash.
    pub hash: String,
}

/// The fields covered by the hash, in a fixed shape.
#[derive(serde::Serialize)]
struct HashedFields<'a> {
    tenant: &'a TenantId,
    seq: u64,
    at_unix_nanos: String,
    actor: &'a Actor,
    action: AuditAction,
    entity: &'a EntityRef,
    diff: &'a AuditDiff,
    correlation_id: &'a CorrelationId,
    source_ip: Option<IpAddr>,
    user_agent: Option<&'a str>,
    prev_hash: &'a str,
}

/// JSON with object keys sorted at every level and no whitespace, so the bytes hashed do not
/// depend on map ordering or on a store's round trip.
fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                if let Some(inner) = map.get(key) {
                    write_canonical(inner, out);
                }
            }
            out.push('}');
        }
        leaf => out.push_str(&leaf.to_string()),
    }
}

impl AuditEvent {
    /// Places `entry` after `head` in the scope's chain (first event when `head` is `None`).
    pub fn append(
        scope: &TenantScope,
        head: Option<&ChainHead>,
        entry: AuditEntry,
    ) -> Result<AuditEvent> {
        let (seq, prev_hash) = match head {
            None => (AuditSeq::FIRST, GENESIS_HASH.to_owned()),
            Some(head) => (head.seq.next()?, head.hash.clone()),
        };
        let user_agent = entry.user_agent.map(|ua| {
            ua.chars()
                .filter(|c| !c.is_control())
                .take(MAX_USER_AGENT_CHARS)
                .collect()
        });
        let mut event = AuditEvent {
            tenant: scope.tenant().clone(),
            seq,
            at: entry.at.to_offset(time::UtcOffset::UTC),
            actor: entry.actor,
            action: entry.action,
            entity: entry.entity,
            diff: entry.diff,
            correlation_id: entry.correlation_id,
            source_ip: entry.source_ip,
            user_agent,
            prev_hash,
            hash: String::new(),
        };
        event.hash = event.compute_hash(event.seq.get())?;
        Ok(event)
    }

    /// The chain head this event makes.
    pub fn head(&self) -> ChainHead {
        ChainHead {
            seq: self.seq,
            hash: self.hash.clone(),
        }
    }

    /// The hash of this event's content as if its sequence number were `seq`.
    fn compute_hash(&self, seq: u64) -> Result<String> {
        let fields = HashedFields {
            tenant: &self.tenant,
            seq,
            at_unix_nanos: self.at.unix_timestamp_nanos().to_string(),
            actor: &self.actor,
            action: self.action,
            entity: &self.entity,
            diff: &self.diff,
            correlation_id: &self.correlation_id,
            source_ip: self.source_ip,
            user_agent: self.user_agent.as_deref(),
            prev_hash: &self.prev_hash,
        };
        let value = serde_json::to_value(&fields)
            .map_err(|e| CoreError::Encoding(format!("audit event {seq}: {e}")))?;
        let mut canonical = String::new();
        write_canonical(&value, &mut canonical);
        Ok(hex::encode(Sha256::digest(canonical.as_bytes())))
    }

    fn hash_matches_with_seq(&self, seq: u64) -> bool {
        self.compute_hash(seq).is_ok_and(|h| h == self.hash)
    }
}

/// Where and how a chain is broken. Sequence numbers are those of the chain as stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(tag = "break", rename_all = "snake_case")]
pub enum ChainBreak {
    /// The event with this sequence number was changed after it was written.
    #[error("audit event {seq} was altered")]
    Altered {
        /// The event.
        seq: u64,
    },
    /// Events `first..=last` are missing.
    #[error("audit events {first}..={last} were removed")]
    Removed {
        /// First missing sequence number.
        first: u64,
        /// Last missing sequence number.
        last: u64,
    },
    /// The event at this position was not written by the chain.
    #[error("audit event {seq} was inserted")]
    Inserted {
        /// Its sequence number.
        seq: u64,
    },
    /// The event with this sequence number appears before an earlier one.
    #[error("audit event {seq} is out of order")]
    Reordered {
        /// Its sequence number.
        seq: u64,
    },
}

/// Checks a whole chain from its first event. Returns the head it ends on (`None` for an empty
/// chain), to compare with the stored head by [`verify_head`].
pub fn verify_chain(events: &[AuditEvent]) -> Result<Option<ChainHead>, ChainBreak> {
    verify_chain_from(None, events)
}

/// Checks a run of events that follows `anchor` (an already verified head), or a whole chain
/// when `anchor` is `None`.
pub fn verify_chain_from(
    anchor: Option<&ChainHead>,
    events: &[AuditEvent],
) -> Result<Option<ChainHead>, ChainBreak> {
    let (mut expected_seq, mut expected_prev) = match anchor {
        None => (1, GENESIS_HASH.to_owned()),
        Some(head) => (head.seq.get().saturating_add(1), head.hash.clone()),
    };
    let mut previous_seq: Option<u64> = anchor.map(|h| h.seq.get());
    for (i, event) in events.iter().enumerate() {
        let seq = event.seq.get();
        let later = events.get(i + 1..).unwrap_or_default();

        if seq != expected_seq {
            if event.hash_matches_with_seq(expected_seq) {
                return Err(ChainBreak::Altered { seq: expected_seq });
            }
            if seq < expected_seq {
                return Err(if Some(seq) == previous_seq {
                    ChainBreak::Inserted { seq }
                } else {
                    ChainBreak::Reordered { seq }
                });
            }
            if later
                .iter()
                .any(|e| (expected_seq..seq).contains(&e.seq.get()))
            {
                return Err(ChainBreak::Reordered { seq });
            }
            return Err(ChainBreak::Removed {
                first: expected_seq,
                last: seq - 1,
            });
        }

        // An inserted event is skipped over by its successor, whose own content is intact
        // under the number the inserted event took (duplicated, or renumbered to make room).
        if later
            .first()
            .is_some_and(|next| next.prev_hash == expected_prev && next.hash_matches_with_seq(seq))
        {
            return Err(ChainBreak::Inserted { seq });
        }

        if !event.hash_matches_with_seq(seq) {
            // Events removed and the rest renumbered: the content hashes under its old number.
            let shift = (1..=events.len() as u64).find(|k| {
                seq.checked_add(*k)
                    .is_some_and(|original| event.hash_matches_with_seq(original))
            });
            return Err(match shift {
                Some(k) => ChainBreak::Removed {
                    first: seq,
                    last: seq + k - 1,
                },
                None => ChainBreak::Altered { seq },
            });
        }

        if event.prev_hash != expected_prev {
            // The content is intact but names a different predecessor: the predecessor was
            // rewritten and re-hashed.
            return Err(ChainBreak::Altered {
                seq: previous_seq.unwrap_or(seq),
            });
        }

        expected_prev.clone_from(&event.hash);
        previous_seq = Some(seq);
        expected_seq = seq.saturating_add(1);
    }
    Ok(events.last().map(AuditEvent::head))
}

/// Compares the head a verified chain ends on with the head the store recorded, which detects
/// events removed from (or appended past) the end.
pub fn verify_head(found: Option<&ChainHead>, stored: &ChainHead) -> Result<(), ChainBreak> {
    let found_seq = found.map_or(0, |h| h.seq.get());
    let stored_seq = stored.seq.get();
    if found_seq < stored_seq {
        return Err(ChainBreak::Removed {
            first: found_seq + 1,
            last: stored_seq,
        });
    }
    if found_seq > stored_seq {
        return Err(ChainBreak::Inserted {
            seq: stored_seq + 1,
        });
    }
    match found {
        Some(head) if head.hash == stored.hash => Ok(()),
        _ => Err(ChainBreak::Altered { seq: stored_seq }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;
    use crate::access::tests::principal;
    use proptest::prelude::*;
    use serde_json::json;
    use time::Duration;

    fn entry(n: i64, principal: &Principal) -> AuditEntry {
        AuditEntry {
            actor: Actor::from(principal),
            action: AuditAction::DatasetCreated,
            entity: EntityRef::new(EntityKind::Dataset, format!("dst_{n:032x}")),
            diff: AuditDiff::created(json!({"name": format!("d{n}"), "rows": n})),
            correlation_id: CorrelationId::parse(&format!("req-{n}")).unwrap(),
            source_ip: Some("203.0.113.7".parse().unwrap()),
            user_agent: Some("ida-cli/0.1".into()),
            at: OffsetDateTime::UNIX_EPOCH + Duration::seconds(n),
        }
    }

    fn chain(len: usize) -> Vec<AuditEvent> {
        let p = principal(Role::Admin);
        let scope = p.scope();
        let mut events: Vec<AuditEvent> = Vec::new();
        for n in 0..len {
            let event = AuditEvent::append(
                &scope,
                events.last().map(AuditEvent::head).as_ref(),
                entry(n as i64, &p),
            )
            .unwrap();
            events.push(event);
        }
        events
    }

    fn rehash(event: &mut AuditEvent) {
        event.hash = event.compute_hash(event.seq.get()).unwrap();
    }

    #[test]
    fn an_intact_chain_verifies_and_ends_on_its_head() {
        let events = chain(5);
        assert_eq!(events[0].prev_hash, GENESIS_HASH);
        assert_eq!(events[1].prev_hash, events[0].hash);
        let head = verify_chain(&events).unwrap().unwrap();
        assert_eq!(head.seq.get(), 5);
        assert!(verify_head(Some(&head), &events[4].head()).is_ok());
        assert_eq!(verify_chain(&[]).unwrap(), None);
    }

    #[test]
    fn the_hash_survives_a_json_round_trip() {
        let events = chain(3);
        let json = serde_json::to_string(&events).unwrap();
        let back: Vec<AuditEvent> = serde_json::from_str(&json).unwrap();
        assert!(verify_chain(&back).is_ok());
    }

    #[test]
    fn tampering_any_field_is_reported_as_altered_at_that_event() {
        let other = principal(Role::Member);
        type Tamper = fn(&mut AuditEvent, &Principal);
        let tampers: Vec<(&str, Tamper)> = vec![
            ("tenant", |e, o| e.tenant = o.tenant().clone()),
            ("seq", |e, _| e.seq = AuditSeq::new(99).unwrap()),
            ("at", |e, _| e.at += Duration::nanoseconds(1)),
            ("actor", |e, o| e.actor = Actor::from(o)),
            ("action", |e, _| e.action = AuditAction::DatasetDeleted),
            ("entity", |e, _| e.entity.id.push('0')),
            ("diff", |e, _| e.diff.after = Some(json!({"rows": 0}))),
            ("correlation_id", |e, _| {
                e.correlation_id = CorrelationId::parse("forged").unwrap()
            }),
            ("source_ip", |e, _| e.source_ip = None),
            ("user_agent", |e, _| e.user_agent = Some("curl".into())),
            ("prev_hash", |e, _| e.prev_hash = "f".repeat(64)),
            ("hash", |e, _| e.hash = GENESIS_HASH.into()),
        ];
        for (field, tamper) in tampers {
            for k in 0..5 {
                let mut events = chain(5);
                tamper(&mut events[k], &other);
                let seq = k as u64 + 1;
                assert_eq!(
                    verify_chain(&events),
                    Err(ChainBreak::Altered { seq }),
                    "tampered {field} of event {seq}"
                );
            }
        }
    }

    #[test]
    fn an_altered_and_rehashed_event_is_caught_by_its_successor() {
        let mut events = chain(5);
        events[2].diff = AuditDiff::none();
        rehash(&mut events[2]);
        assert_eq!(verify_chain(&events), Err(ChainBreak::Altered { seq: 3 }));
    }

    #[test]
    fn a_removed_event_is_reported_as_the_gap() {
        let mut events = chain(5);
        events.remove(2);
        assert_eq!(
            verify_chain(&events),
            Err(ChainBreak::Removed { first: 3, last: 3 })
        );
        let mut first_gone = chain(3);
        first_gone.remove(0);
        assert_eq!(
            verify_chain(&first_gone),
            Err(ChainBreak::Removed { first: 1, last: 1 })
        );
    }

    #[test]
    fn removed_events_with_renumbering_are_still_found() {
        let mut events = chain(6);
        events.drain(2..4);
        for (i, e) in events.iter_mut().enumerate() {
            e.seq = AuditSeq::new(i as u64 + 1).unwrap();
        }
        assert_eq!(
            verify_chain(&events),
            Err(ChainBreak::Removed { first: 3, last: 4 })
        );
    }

    #[test]
    fn removing_the_tail_is_caught_against_the_stored_head() {
        let mut events = chain(5);
        let stored = events[4].head();
        events.truncate(3);
        let found = verify_chain(&events).unwrap();
        assert_eq!(
            verify_head(found.as_ref(), &stored),
            Err(ChainBreak::Removed { first: 4, last: 5 })
        );
        assert_eq!(
            verify_head(None, &stored),
            Err(ChainBreak::Removed { first: 1, last: 5 })
        );
    }

    #[test]
    fn an_inserted_event_is_named_whether_or_not_it_is_well_formed() {
        let original = chain(5);
        let p = principal(Role::Owner);
        // A forged event with a correct hash and link, taking number 3.
        let mut forged = original[2].clone();
        forged.actor = Actor::from(&p);
        forged.prev_hash = original[1].hash.clone();
        rehash(&mut forged);

        // Duplicate numbering.
        let mut events = original.clone();
        events.insert(2, forged.clone());
        assert_eq!(verify_chain(&events), Err(ChainBreak::Inserted { seq: 3 }));

        // Later events renumbered to make room.
        let mut renumbered = original.clone();
        renumbered.insert(2, forged.clone());
        for e in renumbered.iter_mut().skip(3) {
            e.seq = e.seq.next().unwrap();
        }
        assert_eq!(
            verify_chain(&renumbered),
            Err(ChainBreak::Inserted { seq: 3 })
        );

        // A careless forgery with a wrong hash.
        let mut careless = original.clone();
        let mut bad = forged;
        bad.hash = GENESIS_HASH.into();
        careless.insert(2, bad);
        assert_eq!(
            verify_chain(&careless),
            Err(ChainBreak::Inserted { seq: 3 })
        );

        // Appended past the stored head.
        let stored = original[4].head();
        let mut longer = original.clone();
        let extra = AuditEvent::append(&p.scope(), Some(&stored), entry(9, &p)).unwrap();
        longer.push(extra);
        let found = verify_chain_from(Some(&original[3].head()), &longer[4..]).unwrap();
        assert_eq!(
            verify_head(found.as_ref(), &stored),
            Err(ChainBreak::Inserted { seq: 6 })
        );
    }

    #[test]
    fn swapped_events_are_reported_as_reordered() {
        let mut events = chain(5);
        events.swap(2, 3);
        assert_eq!(verify_chain(&events), Err(ChainBreak::Reordered { seq: 4 }));
    }

    #[test]
    fn a_page_verifies_from_its_anchor() {
        let events = chain(6);
        let head = verify_chain_from(Some(&events[2].head()), &events[3..]).unwrap();
        assert_eq!(head.unwrap().seq.get(), 6);
        assert_eq!(
            verify_chain_from(Some(&events[1].head()), &events[3..]),
            Err(ChainBreak::Removed { first: 3, last: 3 })
        );
    }

    #[test]
    fn diffs_keep_only_changed_fields() {
        let before = json!({"name": "a", "rows": 1, "gone": true});
        let after = json!({"name": "b", "rows": 1, "new": 2});
        let diff = AuditDiff::between(&before, &after);
        assert_eq!(
            diff.before,
            Some(json!({"name": "a", "gone": true, "new": null}))
        );
        assert_eq!(
            diff.after,
            Some(json!({"name": "b", "gone": null, "new": 2}))
        );
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let mut out = String::new();
        write_canonical(&json!({"b": [{"z": 1, "a": "x\"y"}], "a": null}), &mut out);
        assert_eq!(out, r#"{"a":null,"b":[{"a":"x\"y","z":1}]}"#);
    }

    #[test]
    fn user_agents_are_cut_and_cleaned() {
        let p = principal(Role::Admin);
        let mut e = entry(1, &p);
        e.user_agent = Some(format!("a\n{}", "b".repeat(600)));
        let event = AuditEvent::append(&p.scope(), None, e).unwrap();
        let ua = event.user_agent.unwrap();
        assert_eq!(ua.chars().count(), MAX_USER_AGENT_CHARS);
        assert!(!ua.contains('\n'));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_single_edit_is_reported_at_its_event(len in 2usize..12, pick in 0usize..100, rows in 1000i64..2000) {
            let mut events = chain(len);
            let k = pick % len;
            events[k].diff.after = Some(json!({"rows": rows}));
            prop_assert_eq!(verify_chain(&events), Err(ChainBreak::Altered { seq: k as u64 + 1 }));
        }

        #[test]
        fn any_single_removal_is_reported_as_its_gap(len in 3usize..12, pick in 0usize..100) {
            let mut events = chain(len);
            let k = pick % (len - 1);
            events.remove(k);
            let seq = k as u64 + 1;
            prop_assert_eq!(verify_chain(&events), Err(ChainBreak::Removed { first: seq, last: seq }));
        }
    }
}
