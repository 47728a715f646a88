//! The typed error every state machine of the domain returns when an event does not apply to
//! the current state. Transition functions never panic and never change state on refusal.

/// An event that the entity's state machine refuses in its current state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{entity}: cannot {event} when {from}")]
pub struct InvalidTransition {
    /// The kind of entity, such as `job`.
    pub entity: &'static str,
    /// The current state, in its wire spelling.
    pub from: &'static str,
    /// The refused event, in its wire spelling.
    pub event: &'static str,
}

impl InvalidTransition {
    /// An error for `event` refused in state `from` of `entity`.
    pub fn new(entity: &'static str, from: &'static str, event: &'static str) -> Self {
        InvalidTransition {
            entity,
            from,
            event,
        }
    }
}

/// A finite state machine whose allowed transitions are one table, so the table is the single
/// source of truth for the code, the tests and the docs.
pub trait StateMachine: Copy + Eq + std::fmt::Debug + 'static {
    /// The events that move the machine.
    type Event: Copy + Eq + std::fmt::Debug + 'static;
    /// The entity's name in errors, such as `job`.
    const ENTITY: &'static str;
    /// Every allowed `(from, event, to)` triple; anything else is refused.
    const TRANSITIONS: &'static [(Self, Self::Event, Self)];
    /// Every state, for exhaustive tests.
    const STATES: &'static [Self];
    /// Every event, for exhaustive tests.
    const EVENTS: &'static [Self::Event];

    /// The state's wire spelling.
    fn state_name(self) -> &'static str;
    /// The event's wire spelling.
    fn event_name(event: Self::Event) -> &'static str;

    /// The state after `event`, or the typed refusal when the table does not allow it.
    fn apply(self, event: Self::Event) -> Result<Self, InvalidTransition> {
        Self::TRANSITIONS
            .iter()
            .find(|(from, on, _)| *from == self && *on == event)
            .map(|(_, _, to)| *to)
            .ok_or_else(|| {
                InvalidTransition::new(Self::ENTITY, self.state_name(), Self::event_name(event))
            })
    }

    /// Whether the state accepts no further event.
    fn is_terminal(self) -> bool {
        !Self::TRANSITIONS.iter().any(|(from, _, _)| *from == self)
    }
}

/// Checks shared by every state machine's tests: the table is deterministic, `apply` agrees
/// with it for every (state, event) pair, and random event sequences stay inside the table.
#[cfg(test)]
pub(crate) mod machine_laws {
    use super::StateMachine;
    use proptest::prelude::*;

    /// Every (state, event) pair is allowed exactly when the table lists it, and no pair is
    /// listed twice.
    pub(crate) fn table_is_exhaustive_and_deterministic<M: StateMachine>() {
        for &state in M::STATES {
            for &event in M::EVENTS {
                let listed: Vec<M> = M::TRANSITIONS
                    .iter()
                    .filter(|(f, e, _)| *f == state && *e == event)
                    .map(|(_, _, t)| *t)
                    .collect();
                assert!(listed.len() <= 1, "{state:?} on {event:?} listed twice");
                match (state.apply(event), listed.first()) {
                    (Ok(to), Some(expected)) => assert_eq!(to, *expected),
                    (Err(e), None) => {
                        assert_eq!(e.entity, M::ENTITY);
                        assert_eq!(e.from, state.state_name());
                        assert_eq!(e.event, M::event_name(event));
                    }
                    (got, want) => panic!("{state:?} on {event:?}: got {got:?}, table {want:?}"),
                }
            }
        }
        for (from, _, to) in M::TRANSITIONS {
            assert!(M::STATES.contains(from) && M::STATES.contains(to));
        }
    }

    /// Applies random event sequences from `start`; every accepted step must be a table row,
    /// and every refused step must leave the state unchanged.
    pub(crate) fn random_walks_stay_in_table<M: StateMachine>(start: M) {
        let events = proptest::collection::vec(proptest::sample::select(M::EVENTS), 0..40);
        let config = ProptestConfig::with_cases(256);
        proptest!(config, |(sequence in events)| {
            let mut state = start;
            for event in sequence {
                match state.apply(event) {
                    Ok(next) => {
                        prop_assert!(M::TRANSITIONS.contains(&(state, event, next)));
                        state = next;
                    }
                    Err(_) => {
                        prop_assert!(!M::TRANSITIONS.iter().any(|(f, e, _)| *f == state && *e == event));
                    }
                }
                prop_assert!(state == start || M::TRANSITIONS.iter().any(|(_, _, to)| *to == state));
            }
        });
    }
}
