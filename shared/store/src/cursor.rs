//! Opaque pagination cursors: the position after the last item of a page, signed with
//! HMAC-SHA256 and bound to the tenant and the listing that made it. A cursor that was altered,
//! made for another tenant, or made by another listing is refused, so a client can neither
//! forge a position nor carry one across tenants.
//!
//! Format: `hex(json payload) "." hex(mac)`. Hex keeps the cursor safe in a query string.

use hmac::{Hmac, Mac};
use ida_core::TenantScope;
use sha2::Sha256;

use crate::error::{Result, StoreError};
use crate::settings::CursorKey;

/// Largest page a caller may ask for.
pub const MAX_PAGE_SIZE: u32 = 100;

/// What a caller asks for: up to `limit` items, after `cursor` when given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// Items per page, 1 to [`MAX_PAGE_SIZE`] (0 means the maximum).
    pub limit: u32,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageRequest {
    /// The first page of `limit` items.
    pub fn first(limit: u32) -> Self {
        PageRequest {
            limit,
            cursor: None,
        }
    }

    /// The page after `cursor`.
    pub fn after(limit: u32, cursor: impl Into<String>) -> Self {
        PageRequest {
            limit,
            cursor: Some(cursor.into()),
        }
    }

    pub(crate) fn effective_limit(&self) -> i32 {
        let limit = if self.limit == 0 {
            MAX_PAGE_SIZE
        } else {
            self.limit.min(MAX_PAGE_SIZE)
        };
        i32::try_from(limit).unwrap_or(100)
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items, in sort-key order.
    pub items: Vec<T>,
    /// Present when more items may follow.
    pub next_cursor: Option<String>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Position {
    /// The tenant.
    t: String,
    /// The listing.
    l: String,
    /// The last sort key returned.
    k: String,
}

fn mac(key: &CursorKey, payload: &[u8]) -> Result<Hmac<Sha256>> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key.bytes()).map_err(|_| StoreError::Settings {
            name: "IDA_CURSOR_KEY",
            reason: "cannot key HMAC-SHA256".to_owned(),
        })?;
    mac.update(payload);
    Ok(mac)
}

/// Makes the cursor for the position after `last_sk` in `listing`.
pub(crate) fn seal(
    key: &CursorKey,
    scope: &TenantScope,
    listing: &str,
    last_sk: &str,
) -> Result<String> {
    let payload = serde_json::to_vec(&Position {
        t: scope.tenant().to_string(),
        l: listing.to_owned(),
        k: last_sk.to_owned(),
    })
    .map_err(|e| StoreError::Backend {
        operation: "encode cursor",
        message: e.to_string(),
    })?;
    let tag = mac(key, &payload)?.finalize().into_bytes();
    Ok(format!("{}.{}", hex::encode(&payload), hex::encode(tag)))
}

/// Checks a cursor and returns the sort key it resumes after.
pub(crate) fn open(
    key: &CursorKey,
    scope: &TenantScope,
    listing: &str,
    cursor: &str,
) -> Result<String> {
    let (payload_hex, tag_hex) = cursor.split_once('.').ok_or(StoreError::InvalidCursor {
        reason: "malformed",
    })?;
    let payload = hex::decode(payload_hex).map_err(|_| StoreError::InvalidCursor {
        reason: "malformed",
    })?;
    let tag = hex::decode(tag_hex).map_err(|_| StoreError::InvalidCursor {
        reason: "malformed",
    })?;
    mac(key, &payload)?
        .verify_slice(&tag)
        .map_err(|_| StoreError::InvalidCursor {
            reason: "signature does not match",
        })?;
    let position: Position =
        serde_json::from_slice(&payload).map_err(|_| StoreError::InvalidCursor {
            reason: "malformed",
        })?;
    if position.t != scope.tenant().as_str() {
        return Err(StoreError::InvalidCursor {
            reason: "made for another tenant",
        });
    }
    if position.l != listing {
        return Err(StoreError::InvalidCursor {
            reason: "made for another listing",
        });
    }
    Ok(position.k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ida_core::Role;
    use ida_core::access::{AuthorizerContext, Principal, Subject};
    use ida_core::id::{TenantId, UserId};
    use proptest::prelude::*;

    fn scope() -> TenantScope {
        Principal::from_authorizer_context(AuthorizerContext {
            tenant: TenantId::generate(),
            subject: Subject::User {
                user: UserId::generate(),
            },
            role: Role::Viewer,
            scopes: None,
        })
        .unwrap()
        .scope()
    }

    #[test]
    fn a_cursor_opens_only_for_its_tenant_and_listing() {
        let key = CursorKey::generate().unwrap();
        let (a, b) = (scope(), scope());
        let cursor = seal(&key, &a, "projects", "PROJECT#prj_1").unwrap();
        assert_eq!(
            open(&key, &a, "projects", &cursor).unwrap(),
            "PROJECT#prj_1"
        );
        assert_eq!(
            open(&key, &b, "projects", &cursor).unwrap_err().to_string(),
            "invalid cursor: made for another tenant"
        );
        assert_eq!(
            open(&key, &a, "datasets", &cursor).unwrap_err().to_string(),
            "invalid cursor: made for another listing"
        );
        let other_key = CursorKey::generate().unwrap();
        assert!(open(&other_key, &a, "projects", &cursor).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_single_character_change_is_refused(position in 0_usize..200, replacement in "[0-9a-f.x]") {
            let key = CursorKey::new(vec![7; 32]).unwrap();
            let a = scope();
            let cursor = seal(&key, &a, "jobs", "JOB#job_1").unwrap();
            let at = position % cursor.len();
            let mut altered = cursor.clone();
            altered.replace_range(at..at + 1, &replacement);
            prop_assume!(altered != cursor);
            prop_assert!(open(&key, &a, "jobs", &altered).is_err());
        }
    }
}
