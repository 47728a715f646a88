//! Reading and verifying a tenant's audit chain. Events are stored at `AUDIT#{seq:012}`, so a
//! query returns them in chain order; the stored head (`AUDITHEAD`) exposes a truncated tail.

use ida_core::TenantScope;
use ida_core::audit::{AuditEvent, ChainBreak, ChainHead, verify_chain, verify_head};

use crate::cursor::{Page, PageRequest};
use crate::dynamo::DynamoStore;
use crate::error::Result;
use crate::item::{self, Stored};
use crate::keys::{self, sk};
use crate::ports::AuditLog;

/// The outcome of verifying a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditVerification {
    /// Every event is intact and the chain ends at the stored head (`None`: no events).
    Intact {
        /// The last event.
        head: Option<ChainHead>,
        /// How many events were checked.
        events: u64,
    },
    /// The chain is broken; the break names the first place.
    Broken(ChainBreak),
}

impl AuditLog for DynamoStore {
    async fn list_audit_events(
        &self,
        scope: &TenantScope,
        page: &PageRequest,
    ) -> Result<Page<AuditEvent>> {
        let raw = self
            .list_items(scope, "audit", sk::AUDIT_PREFIX, "audit", page)
            .await?;
        let items = raw
            .items
            .iter()
            .map(|found| item::decode::<AuditEvent>(found).map(|s| s.record))
            .collect::<Result<Vec<_>>>()?;
        Ok(Page {
            items,
            next_cursor: raw.next_cursor,
        })
    }

    async fn verify_audit_chain(&self, scope: &TenantScope) -> Result<AuditVerification> {
        let stored_head = self.chain_head(scope).await?;
        let found = self
            .query_all(&keys::tenant_pk(scope), sk::AUDIT_PREFIX)
            .await?;
        let events = found
            .iter()
            .map(|i| item::decode::<AuditEvent>(i).map(|s: Stored<AuditEvent>| s.record))
            .collect::<Result<Vec<_>>>()?;
        let verified = match verify_chain(&events) {
            Ok(head) => head,
            Err(broken) => return Ok(AuditVerification::Broken(broken)),
        };
        if let Some(stored) = &stored_head
            && let Err(broken) = verify_head(verified.as_ref(), stored)
        {
            return Ok(AuditVerification::Broken(broken));
        }
        Ok(AuditVerification::Intact {
            head: verified,
            events: events.len() as u64,
        })
    }
}
