//! Per-token rate limits as Defender documents them, with `governor`.
//!
//! Each group of endpoints has one or more quotas; a call is counted
//! against every quota of its group, keyed by the caller's token. The call
//! over a quota is 429 `TooManyRequests` with `Retry-After` set to the
//! whole seconds until that quota admits a call again.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use defender_errors::ApiError;
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota};

use super::auth::Principal;

/// The documented limits, in calls per period for each token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// `POST /api/indicators/import`: 30 calls a minute.
    pub import_per_minute: u32,
    /// List endpoints: 100 calls a minute...
    pub list_per_minute: u32,
    /// ...and 1,500 an hour.
    pub list_per_hour: u32,
}

impl RateLimits {
    /// The limits Defender documents.
    pub const DEFENDER: RateLimits = RateLimits {
        import_per_minute: 30,
        list_per_minute: 100,
        list_per_hour: 1500,
    };

    /// Every limit multiplied by `factor` (saturating).
    pub fn scaled(self, factor: u32) -> Self {
        RateLimits {
            import_per_minute: self.import_per_minute.saturating_mul(factor),
            list_per_minute: self.list_per_minute.saturating_mul(factor),
            list_per_hour: self.list_per_hour.saturating_mul(factor),
        }
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits::DEFENDER
    }
}

/// One quota: so many calls per period, counted per token.
struct TokenQuota {
    calls: u32,
    per: &'static str,
    limiter: DefaultKeyedRateLimiter<&'static str>,
}

/// The quotas of one endpoint.
#[derive(Clone)]
pub struct Limiter {
    quotas: Arc<[TokenQuota]>,
}

impl Limiter {
    /// One quota per `(calls, period, "a minute")`: `calls` at once at most,
    /// refilled evenly over `period`. `calls` of 0 is taken as 1.
    pub fn new(quotas: &[(u32, Duration, &'static str)]) -> Self {
        let quotas = quotas
            .iter()
            .map(|&(calls, period, per)| {
                let burst = NonZeroU32::new(calls).unwrap_or(NonZeroU32::MIN);
                let quota = Quota::with_period(period / burst.get())
                    .expect("a rate-limit period is never zero")
                    .allow_burst(burst);
                TokenQuota {
                    calls: burst.get(),
                    per,
                    limiter: DefaultKeyedRateLimiter::keyed(quota),
                }
            })
            .collect();
        Limiter { quotas }
    }

    /// Counts a call of `token`; on refusal, the whole seconds to wait and
    /// the quota that refused.
    fn check(&self, token: &'static str) -> Result<(), (u64, String)> {
        for quota in self.quotas.iter() {
            if let Err(not_until) = quota.limiter.check_key(&token) {
                let wait = not_until.wait_time_from(quota.limiter.clock().now());
                let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                return Err((
                    seconds.max(1),
                    format!("{} calls {}", quota.calls, quota.per),
                ));
            }
        }
        Ok(())
    }
}

/// Middleware: counts the call against the group's quotas.
pub async fn rate_limit(State(limiter): State<Limiter>, request: Request, next: Next) -> Response {
    // `authenticate` runs first, so there is always a principal here.
    let Some(token) = request.extensions().get::<Principal>().map(|p| p.token) else {
        return ApiError::unauthorized().into_response();
    };
    match limiter.check(token) {
        Ok(()) => next.run(request).await,
        Err((seconds, quota)) => ApiError::too_many_requests(seconds)
            .with_cause(format!("{token} exceeded {quota}"))
            .into_response(),
    }
}
