//! Per-credential token buckets: `burst` requests at once, refilled at
//! `per_minute`. Each instance limits on its own (documented in
//! ARCHITECTURE.md).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use http::{HeaderName, HeaderValue};

/// The limit of every credential.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Sustained requests per minute.
    pub per_minute: u32,
    /// Requests allowed at once.
    pub burst: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            per_minute: 600,
            burst: 100,
        }
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy)]
pub struct Decision {
    /// Whether the request may go on.
    pub allowed: bool,
    /// The bucket size.
    pub limit: u32,
    /// Requests left now.
    pub remaining: u32,
    /// Seconds until the bucket is full again.
    pub reset_secs: u64,
    /// Seconds until the next request is allowed (0 when allowed).
    pub retry_after_secs: u64,
    /// Seconds an empty bucket takes to fill (the policy's window).
    pub window_secs: u64,
}

impl Decision {
    /// `X-RateLimit-*`, `RateLimit-Policy`, `RateLimit` and (when refused)
    /// `Retry-After`.
    pub fn headers(&self) -> Vec<(HeaderName, HeaderValue)> {
        let mut h = vec![
            (
                HeaderName::from_static("x-ratelimit-limit"),
                HeaderValue::from(self.limit),
            ),
            (
                HeaderName::from_static("x-ratelimit-remaining"),
                HeaderValue::from(self.remaining),
            ),
            (
                HeaderName::from_static("x-ratelimit-reset"),
                HeaderValue::from(self.reset_secs),
            ),
        ];
        if let Ok(v) = HeaderValue::from_str(&format!(
            "\"default\";q={};w={}",
            self.limit,
            self.window_secs()
        )) {
            h.push((HeaderName::from_static("ratelimit-policy"), v));
        }
        if let Ok(v) = HeaderValue::from_str(&format!(
            "\"default\";r={};t={}",
            self.remaining, self.reset_secs
        )) {
            h.push((HeaderName::from_static("ratelimit"), v));
        }
        if !self.allowed {
            h.push((
                HeaderName::from_static("retry-after"),
                HeaderValue::from(self.retry_after_secs.max(1)),
            ));
        }
        h
    }

    fn window_secs(&self) -> u64 {
        self.window_secs.max(1)
    }
}

/// The buckets.
#[derive(Debug)]
pub struct Limiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Limiter {
    /// Buckets for `limit`.
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token of `who`'s bucket if there is one.
    pub fn check(&self, who: &str) -> Decision {
        self.check_at(who, Instant::now())
    }

    fn check_at(&self, who: &str, now: Instant) -> Decision {
        let burst = f64::from(self.limit.burst.max(1));
        let rate = f64::from(self.limit.per_minute.max(1)) / 60.0;
        let Ok(mut buckets) = self.buckets.lock() else {
            return Decision {
                allowed: true,
                limit: self.limit.burst,
                remaining: 0,
                reset_secs: 0,
                retry_after_secs: 0,
                window_secs: 60,
            };
        };
        let (tokens, at) = buckets.entry(who.to_owned()).or_insert((burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * rate).min(burst);
        *at = now;
        let allowed = *tokens >= 1.0;
        if allowed {
            *tokens -= 1.0;
        }
        let reset = ((burst - *tokens) / rate).ceil() as u64;
        let retry = if allowed {
            0
        } else {
            ((1.0 - *tokens) / rate).ceil() as u64
        };
        Decision {
            allowed,
            limit: self.limit.burst.max(1),
            remaining: tokens.floor() as u32,
            reset_secs: reset,
            retry_after_secs: retry,
            window_secs: (burst / rate).ceil() as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_empties_and_refills() {
        let l = Limiter::new(RateLimit {
            per_minute: 60,
            burst: 2,
        });
        let t0 = Instant::now();
        assert!(l.check_at("k", t0).allowed);
        let d = l.check_at("k", t0);
        assert!(d.allowed);
        assert_eq!(d.remaining, 0);
        let refused = l.check_at("k", t0);
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after_secs, 1);
        assert!(
            l.check_at("other", t0).allowed,
            "buckets are per credential"
        );
        assert!(l.check_at("k", t0 + Duration::from_millis(1100)).allowed);
    }
}
