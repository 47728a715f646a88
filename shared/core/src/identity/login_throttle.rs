//! Login throttling as a pure policy: so many failures within a window lock the account for a
//! while. The store keeps [`LoginAttempts`] in a DynamoDB item updated conditionally.

use time::{Duration, OffsetDateTime};

use crate::error::{CoreError, Result};

/// The throttling rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginThrottlePolicy {
    /// Failures that trigger a lockout.
    pub max_failures: u32,
    /// The window failures are counted in.
    pub window: Duration,
    /// How long a lockout lasts.
    pub lockout: Duration,
}

impl Default for LoginThrottlePolicy {
    /// Five failures in fifteen minutes lock for fifteen minutes.
    fn default() -> Self {
        LoginThrottlePolicy {
            max_failures: 5,
            window: Duration::minutes(15),
            lockout: Duration::minutes(15),
        }
    }
}

/// Failed attempts for one account (or one source address).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LoginAttempts {
    /// Failures in the current window.
    pub failures: u32,
    /// When the current window started.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub window_started: Option<OffsetDateTime>,
    /// Logins are refused until then.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub locked_until: Option<OffsetDateTime>,
}

impl LoginThrottlePolicy {
    /// Refuses a login attempt while the account is locked.
    pub fn check(&self, attempts: &LoginAttempts, now: OffsetDateTime) -> Result<()> {
        match attempts.locked_until {
            Some(until) if now < until => Err(CoreError::LoginLocked {
                until: until
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_else(|_| until.unix_timestamp().to_string()),
            }),
            _ => Ok(()),
        }
    }

    /// The attempts after one more failure at `now`.
    pub fn record_failure(&self, attempts: &LoginAttempts, now: OffsetDateTime) -> LoginAttempts {
        let in_window = attempts
            .window_started
            .is_some_and(|start| now < start + self.window);
        let (failures, window_started) = if in_window {
            (attempts.failures.saturating_add(1), attempts.window_started)
        } else {
            (1, Some(now))
        };
        if failures >= self.max_failures {
            LoginAttempts {
                failures: 0,
                window_started: None,
                locked_until: Some(now + self.lockout),
            }
        } else {
            LoginAttempts {
                failures,
                window_started,
                locked_until: attempts.locked_until.filter(|until| now < *until),
            }
        }
    }

    /// The attempts after a successful login: cleared.
    pub fn record_success(&self) -> LoginAttempts {
        LoginAttempts::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(minutes: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::minutes(minutes)
    }

    #[test]
    fn five_failures_lock_for_fifteen_minutes() {
        let policy = LoginThrottlePolicy::default();
        let mut attempts = LoginAttempts::default();
        for minute in 0..4 {
            attempts = policy.record_failure(&attempts, t(minute));
            assert!(policy.check(&attempts, t(minute)).is_ok());
        }
        attempts = policy.record_failure(&attempts, t(4));
        let err = policy.check(&attempts, t(5)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "too many failed logins: locked until 1970-01-01T00:19:00Z"
        );
        assert!(policy.check(&attempts, t(19)).is_ok());
    }

    #[test]
    fn failures_outside_the_window_start_a_new_count() {
        let policy = LoginThrottlePolicy::default();
        let mut attempts = LoginAttempts::default();
        for minute in [0, 1, 2, 3, 20] {
            attempts = policy.record_failure(&attempts, t(minute));
        }
        assert_eq!(attempts.failures, 1);
        assert!(policy.check(&attempts, t(20)).is_ok());
        assert_eq!(policy.record_success(), LoginAttempts::default());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn never_more_than_max_failures_in_a_window_without_a_lock(gaps in proptest::collection::vec(0i64..30, 1..40)) {
            let policy = LoginThrottlePolicy::default();
            let mut attempts = LoginAttempts::default();
            let mut now = 0;
            for gap in gaps {
                now += gap;
                if policy.check(&attempts, t(now)).is_err() {
                    continue;
                }
                attempts = policy.record_failure(&attempts, t(now));
                prop_assert!(attempts.failures < policy.max_failures);
            }
        }
    }
}
