//! What the audit routes answer: events as stored, minus anything secret a diff may still hold
//! (task tokens written before the store left them out), and the verification's verdict.

use ida_core::audit::{AuditEvent, ChainBreak};
use ida_store::AuditVerification;
use serde::Serialize;
use serde_json::Value;

/// Fields never shown in an audit diff, at any depth.
const SECRET_FIELDS: [&str; 1] = ["task_token"];

/// An audit event with its diff cleared of secrets.
pub fn redacted(mut event: AuditEvent) -> AuditEvent {
    for side in [&mut event.diff.before, &mut event.diff.after]
        .into_iter()
        .flatten()
    {
        strip_secrets(side);
    }
    event
}

fn strip_secrets(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            fields.retain(|name, _| {
                !SECRET_FIELDS.contains(&name.as_str()) && !name.ends_with("_sha256")
            });
            fields.values_mut().for_each(strip_secrets);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_secrets),
        _ => {}
    }
}

/// The answer of `GET /audit/verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerificationView {
    /// Whether every event is intact and the chain ends at the stored head.
    pub valid: bool,
    /// How many events were checked and found intact (up to the break, when broken).
    pub checked: u64,
    /// The last event's sequence number, when the chain is intact and not empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head_seq: Option<u64>,
    /// The first sequence number at fault, when broken.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_bad_seq: Option<u64>,
    /// How the chain is broken (`altered`, `removed`, `inserted`, `reordered`), when broken.
    #[serde(rename = "break", skip_serializing_if = "Option::is_none")]
    pub break_kind: Option<&'static str>,
}

impl VerificationView {
    /// The view of the store's verdict.
    pub fn of(verification: &AuditVerification) -> Self {
        match verification {
            AuditVerification::Intact { head, events } => VerificationView {
                valid: true,
                checked: *events,
                head_seq: head.as_ref().map(|head| head.seq.get()),
                first_bad_seq: None,
                break_kind: None,
            },
            AuditVerification::Broken(broken) => {
                let (seq, kind) = match broken {
                    ChainBreak::Altered { seq } => (*seq, "altered"),
                    ChainBreak::Removed { first, .. } => (*first, "removed"),
                    ChainBreak::Inserted { seq } => (*seq, "inserted"),
                    ChainBreak::Reordered { seq } => (*seq, "reordered"),
                };
                VerificationView {
                    valid: false,
                    // Sequence numbers start at 1 and every event before the first bad one
                    // was checked intact.
                    checked: seq.saturating_sub(1),
                    head_seq: None,
                    first_bad_seq: Some(seq),
                    break_kind: Some(kind),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn task_tokens_are_cut_from_diffs_at_any_depth() {
        let mut value = json!({
            "status": "PENDING_APPROVAL",
            "task_token": "AAAA",
            "nested": {"task_token": "BBBB", "keep": 1},
            "document_sha256": "ab"
        });
        strip_secrets(&mut value);
        assert_eq!(
            value,
            json!({"status": "PENDING_APPROVAL", "nested": {"keep": 1}})
        );
    }

    #[test]
    fn a_broken_chain_names_its_first_bad_event() {
        let view = VerificationView::of(&AuditVerification::Broken(ChainBreak::Removed {
            first: 4,
            last: 6,
        }));
        assert_eq!(
            serde_json::to_value(&view).unwrap(),
            json!({"valid": false, "checked": 3, "first_bad_seq": 4, "break": "removed"})
        );
    }
}
