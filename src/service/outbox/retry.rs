//! Whether and when a queue item is tried again: a pure function of what
//! its attempt came to, how many attempts it has had and the queue's
//! schedule. No clock, no randomness: the caller passes both in.

use std::time::Duration;

use crate::service::db::Settlement;

/// What one attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// Done (or nothing was left to do); the item's final status.
    Done(&'static str),
    /// Failed in a way another attempt cannot change.
    Final,
    /// Failed; another attempt may work.
    Transient,
}

/// How a queue retries.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Policy<'a> {
    /// The waits before the second, third, … attempt.
    pub(crate) schedule: &'a [Duration],
    /// After the schedule: keep trying at its last wait (batch chunks,
    /// which must finish) instead of giving up.
    pub(crate) forever: bool,
}

/// What happens to the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Finished, with this status.
    Finish(&'static str),
    /// Due again at this time (Unix ms).
    RetryAt(i64),
    /// Failed for good.
    GiveUp,
}

impl Decision {
    /// The row the decision writes (status `pending` to try again,
    /// `failed` when given up).
    pub(crate) fn settlement(
        self,
        now_ms: i64,
        status_code: Option<u16>,
        error: Option<String>,
    ) -> Settlement {
        let (status, next_attempt_at) = match self {
            Self::Finish(s) => (s, now_ms),
            Self::RetryAt(t) => ("pending", t),
            Self::GiveUp => ("failed", now_ms),
        };
        Settlement {
            status,
            next_attempt_at,
            status_code,
            error,
        }
    }
}

/// Decides what an attempt leaves: `attempts` counts this one (1 for the
/// first), so the wait before the next is `schedule[attempts - 1]`,
/// stretched by `jitter` (1.0 for none; webhooks use 0.8–1.2 so that a
/// receiver that failed many deliveries at once is not hit by all of them
/// again at the same moment).
pub(crate) fn decide(
    attempt: Attempt,
    attempts: i64,
    policy: Policy<'_>,
    now_ms: i64,
    jitter: f64,
) -> Decision {
    match attempt {
        Attempt::Done(status) => Decision::Finish(status),
        Attempt::Final => Decision::GiveUp,
        Attempt::Transient => {
            let index = usize::try_from(attempts.saturating_sub(1)).unwrap_or(0);
            let wait = match (policy.schedule.get(index), policy.schedule.last()) {
                (Some(w), _) => *w,
                (None, Some(last)) if policy.forever => *last,
                (None, None) if policy.forever => Duration::ZERO,
                (None, _) => return Decision::GiveUp,
            };
            // f64 holds every wait worth scheduling (below 2^53 ms) exactly.
            #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
            let wait_ms = (wait.as_millis() as f64 * jitter) as i64;
            Decision::RetryAt(now_ms.saturating_add(wait_ms.max(0)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_000_000;

    fn secs(s: &[u64]) -> Vec<Duration> {
        s.iter().map(|s| Duration::from_secs(*s)).collect()
    }

    #[test]
    fn decisions() {
        let webhooks = secs(&[5, 60, 300]);
        let jobs = secs(&[1, 10]);
        let none: Vec<Duration> = Vec::new();
        let give_up = |schedule| Policy {
            schedule,
            forever: false,
        };
        let forever = |schedule| Policy {
            schedule,
            forever: true,
        };
        // (what the attempt came to, attempts so far, policy, jitter, decision)
        let cases: Vec<(Attempt, i64, Policy<'_>, f64, Decision)> = vec![
            (
                Attempt::Done("succeeded"),
                1,
                give_up(&webhooks),
                1.0,
                Decision::Finish("succeeded"),
            ),
            (
                Attempt::Done("not_saved"),
                3,
                give_up(&webhooks),
                1.0,
                Decision::Finish("not_saved"),
            ),
            (
                Attempt::Done("done"),
                9,
                forever(&jobs),
                1.0,
                Decision::Finish("done"),
            ),
            (Attempt::Final, 1, give_up(&webhooks), 1.0, Decision::GiveUp),
            (Attempt::Final, 1, forever(&jobs), 1.0, Decision::GiveUp),
            (
                Attempt::Transient,
                1,
                give_up(&webhooks),
                1.0,
                Decision::RetryAt(NOW + 5_000),
            ),
            (
                Attempt::Transient,
                2,
                give_up(&webhooks),
                1.0,
                Decision::RetryAt(NOW + 60_000),
            ),
            (
                Attempt::Transient,
                3,
                give_up(&webhooks),
                1.0,
                Decision::RetryAt(NOW + 300_000),
            ),
            // 1 + the schedule's length attempts, then no more.
            (
                Attempt::Transient,
                4,
                give_up(&webhooks),
                1.0,
                Decision::GiveUp,
            ),
            (
                Attempt::Transient,
                40,
                give_up(&webhooks),
                1.0,
                Decision::GiveUp,
            ),
            (
                Attempt::Transient,
                1,
                give_up(&webhooks),
                0.8,
                Decision::RetryAt(NOW + 4_000),
            ),
            (
                Attempt::Transient,
                2,
                give_up(&webhooks),
                1.2,
                Decision::RetryAt(NOW + 72_000),
            ),
            (Attempt::Transient, 1, give_up(&none), 1.0, Decision::GiveUp),
            // Forever: the last wait again and again.
            (
                Attempt::Transient,
                1,
                forever(&jobs),
                1.0,
                Decision::RetryAt(NOW + 1_000),
            ),
            (
                Attempt::Transient,
                2,
                forever(&jobs),
                1.0,
                Decision::RetryAt(NOW + 10_000),
            ),
            (
                Attempt::Transient,
                3,
                forever(&jobs),
                1.0,
                Decision::RetryAt(NOW + 10_000),
            ),
            (
                Attempt::Transient,
                1_000,
                forever(&jobs),
                1.0,
                Decision::RetryAt(NOW + 10_000),
            ),
            (
                Attempt::Transient,
                5,
                forever(&none),
                1.0,
                Decision::RetryAt(NOW),
            ),
            // A claim always counts at least one attempt; zero is treated as one.
            (
                Attempt::Transient,
                0,
                give_up(&webhooks),
                1.0,
                Decision::RetryAt(NOW + 5_000),
            ),
        ];
        for (attempt, attempts, policy, jitter, want) in cases {
            assert_eq!(
                decide(attempt, attempts, policy, NOW, jitter),
                want,
                "{attempt:?} at attempt {attempts} (forever: {}, jitter {jitter})",
                policy.forever
            );
        }
    }

    #[test]
    fn settlements() {
        let s = Decision::RetryAt(NOW + 5).settlement(NOW, Some(503), Some("busy".into()));
        assert_eq!((s.status, s.next_attempt_at), ("pending", NOW + 5));
        assert_eq!(
            (s.status_code, s.error.as_deref()),
            (Some(503), Some("busy"))
        );
        let s = Decision::GiveUp.settlement(NOW, None, None);
        assert_eq!((s.status, s.next_attempt_at), ("failed", NOW));
        let s = Decision::Finish("sent").settlement(NOW, Some(200), None);
        assert_eq!((s.status, s.next_attempt_at), ("sent", NOW));
    }
}
