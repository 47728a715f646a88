//! The filters of `GET /audit`: by action, by actor, by entity (its kind or its id) and by time
//! (`from` inclusive, `to` exclusive, RFC 3339).

use ida_core::audit::{Actor, AuditAction, AuditEvent, EntityKind};
use ida_runtime::RuntimeError;
use lambda_http::{Request, RequestExt};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Which entities an event must concern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntityFilter {
    /// Every entity of a kind, such as `recipe`.
    Kind(EntityKind),
    /// One entity, by its id.
    Id(String),
}

/// The filters of one listing; an absent filter admits everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only this action.
    pub action: Option<AuditAction>,
    /// Only events by this actor: a user id (also matching the keys the user owns), an API key
    /// id, or a system component.
    pub actor: Option<String>,
    /// Only events about this entity or kind of entity.
    pub entity: Option<EntityFilter>,
    /// Only events at or after this time.
    pub from: Option<OffsetDateTime>,
    /// Only events before this time.
    pub to: Option<OffsetDateTime>,
}

/// Longest filter value accepted, in bytes: ids and component names are far shorter.
const MAX_FILTER_LEN: usize = 200;

impl AuditFilter {
    /// Reads the filters from the query.
    pub fn from_request(request: &Request) -> Result<Self, RuntimeError> {
        let query = request.query_string_parameters_ref();
        let single = |name: &'static str| -> Result<Option<&str>, RuntimeError> {
            match query.and_then(|q| q.all(name)) {
                None => Ok(None),
                Some(values) => match values.as_slice() {
                    [value] if !value.is_empty() && value.len() <= MAX_FILTER_LEN => {
                        Ok(Some(*value))
                    }
                    [_] => Err(RuntimeError::InvalidParameter {
                        parameter: name,
                        reason: "1 to 200 characters",
                    }),
                    _ => Err(RuntimeError::InvalidParameter {
                        parameter: name,
                        reason: "give it once",
                    }),
                },
            }
        };
        let action = single("action")?
            .map(|text| {
                AuditAction::parse(text).map_err(|_| RuntimeError::InvalidParameter {
                    parameter: "action",
                    reason: "an audit action such as recipe.decided or job.status_changed",
                })
            })
            .transpose()?;
        let entity = single("entity")?.map(|text| match EntityKind::parse(text) {
            Ok(kind) => EntityFilter::Kind(kind),
            Err(_) => EntityFilter::Id(text.to_owned()),
        });
        let time = |name: &'static str| -> Result<Option<OffsetDateTime>, RuntimeError> {
            single(name)?
                .map(|text| {
                    OffsetDateTime::parse(text, &Rfc3339).map_err(|_| {
                        RuntimeError::InvalidParameter {
                            parameter: name,
                            reason: "an RFC 3339 date-time such as 2026-11-25T18:00:00Z",
                        }
                    })
                })
                .transpose()
        };
        let from = time("from")?;
        let to = time("to")?;
        if let (Some(from), Some(to)) = (from, to)
            && from >= to
        {
            return Err(RuntimeError::InvalidParameter {
                parameter: "to",
                reason: "a time after from",
            });
        }
        Ok(Self {
            action,
            actor: single("actor")?.map(str::to_owned),
            entity,
            from,
            to,
        })
    }

    /// Whether `event` passes every filter.
    pub fn admits(&self, event: &AuditEvent) -> bool {
        self.action.is_none_or(|action| event.action == action)
            && self
                .actor
                .as_deref()
                .is_none_or(|actor| acted_by(&event.actor, actor))
            && self.entity.as_ref().is_none_or(|entity| match entity {
                EntityFilter::Kind(kind) => event.entity.kind == *kind,
                EntityFilter::Id(id) => event.entity.id == *id,
            })
            && self.from.is_none_or(|from| event.at >= from)
            && self.to.is_none_or(|to| event.at < to)
    }
}

fn acted_by(actor: &Actor, wanted: &str) -> bool {
    match actor {
        Actor::User { user } => user.as_str() == wanted,
        Actor::ApiKey { key, owner } => key.as_str() == wanted || owner.as_str() == wanted,
        Actor::System { component } => component == wanted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ida_core::audit::{AuditDiff, EntityRef};
    use ida_core::id::{ApiKeyId, AuditSeq, CorrelationId, TenantId, UserId};
    use lambda_http::aws_lambda_events::query_map::QueryMap;
    use std::collections::HashMap;

    fn request(query: &[(&str, &str)]) -> Request {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (name, value) in query {
            map.entry((*name).to_owned())
                .or_default()
                .push((*value).to_owned());
        }
        Request::default().with_query_string_parameters(QueryMap::from(map))
    }

    fn event(actor: Actor, action: AuditAction, entity: EntityRef, at: &str) -> AuditEvent {
        AuditEvent {
            tenant: TenantId::generate(),
            seq: AuditSeq::new(1).unwrap(),
            at: OffsetDateTime::parse(at, &Rfc3339).unwrap(),
            actor,
            action,
            entity,
            diff: AuditDiff::none(),
            correlation_id: CorrelationId::generate(),
            source_ip: None,
            user_agent: None,
            prev_hash: "0".repeat(64),
            hash: "1".repeat(64),
        }
    }

    #[test]
    fn each_filter_narrows_by_its_own_field() {
        let user = UserId::generate();
        let key = ApiKeyId::generate();
        let by_user = event(
            Actor::User { user: user.clone() },
            AuditAction::RecipeDecided,
            EntityRef::new(EntityKind::Recipe, "rcp_1"),
            "2026-11-25T10:00:00Z",
        );
        let by_key = event(
            Actor::ApiKey {
                key: key.clone(),
                owner: user.clone(),
            },
            AuditAction::JobStatusChanged,
            EntityRef::new(EntityKind::Job, "job_1"),
            "2026-11-25T12:00:00Z",
        );
        let by_stage = event(
            Actor::System {
                component: "stage-plan".into(),
            },
            AuditAction::RecipePlanned,
            EntityRef::new(EntityKind::Recipe, "rcp_1"),
            "2026-11-25T14:00:00Z",
        );
        let all = [&by_user, &by_key, &by_stage];
        let admitted = |query: &[(&str, &str)]| -> Vec<usize> {
            let filter = AuditFilter::from_request(&request(query)).unwrap();
            all.iter()
                .enumerate()
                .filter(|(_, e)| filter.admits(e))
                .map(|(i, _)| i)
                .collect()
        };
        assert_eq!(admitted(&[]), [0, 1, 2]);
        assert_eq!(admitted(&[("action", "recipe.decided")]), [0]);
        assert_eq!(admitted(&[("actor", user.as_str())]), [0, 1]);
        assert_eq!(admitted(&[("actor", key.as_str())]), [1]);
        assert_eq!(admitted(&[("actor", "stage-plan")]), [2]);
        assert_eq!(admitted(&[("entity", "recipe")]), [0, 2]);
        assert_eq!(admitted(&[("entity", "job_1")]), [1]);
        assert_eq!(admitted(&[("from", "2026-11-25T12:00:00Z")]), [1, 2]);
        assert_eq!(admitted(&[("to", "2026-11-25T12:00:00Z")]), [0]);
        // 11:00 at +01:00 is 10:00 UTC: the first event is in, `from` being inclusive.
        assert_eq!(
            admitted(&[
                ("from", "2026-11-25T11:00:00+01:00"),
                ("to", "2026-11-25T13:00:00Z")
            ]),
            [0, 1]
        );
    }

    #[test]
    fn a_bad_filter_is_a_400_naming_the_parameter() {
        for (name, value) in [
            ("action", "recipe.eaten"),
            ("from", "yesterday"),
            ("to", "2026-13-01T00:00:00Z"),
            ("actor", ""),
        ] {
            let error = AuditFilter::from_request(&request(&[(name, value)])).unwrap_err();
            assert_eq!(error.code(), "invalid_parameter", "{name}");
            assert!(error.to_string().contains(name), "{error}");
        }
        let backwards = AuditFilter::from_request(&request(&[
            ("from", "2026-11-25T12:00:00Z"),
            ("to", "2026-11-25T11:00:00Z"),
        ]))
        .unwrap_err();
        assert_eq!(
            backwards.to_string(),
            "invalid query parameter to: a time after from"
        );
    }
}
