//! Ready-made interceptors, each behind a cargo feature of its own, for both sides, on
//! `#[intercepted(...)]` lists, `client::intercept` and server layers alike:
//!
//! | module | feature | what |
//! |---|---|---|
//! | [`selector`] | `selector` | run an interceptor only for some methods |
//! | [`auth`] | `auth` | bearer-token (or any metadata) authentication, the principal in the call's storage |
//! | [`request_id`] | `request-id` | `x-request-id` propagated or made up, in storage, headers and trailers |
//! | [`deadline`] | `deadline` | client default timeout; server minimum and maximum deadline; propagation |
//! | [`retry`] | `retry` | client retries as gRFC A6 describes: backoff with jitter, deadline budget, throttling, replayed client streams |
//! | [`limit`] | `limit` | rate limit (token bucket) and concurrency limit, `RESOURCE_EXHAUSTED` with a retry hint |
//! | [`trace`] | `tracing` | a `tracing` span per call (OpenTelemetry RPC conventions), W3C trace context |
//! | [`access_log`] | `access-log` | one log event per call, payloads optional, truncated and redacted |
//! | [`metrics`] | `metrics` | call counts, durations and message counts through the `metrics` facade |
//!
//! Order them outermost first; for example a server's list
//! `(Tracing, RequestIds, Metrics, auth, ExceptionToStatus::default())` traces and counts
//! the calls `auth` rejects, and the request id is in the storage before anything logs.

#[cfg(feature = "access-log")]
pub mod access_log;
#[cfg(feature = "auth")]
pub mod auth;
#[cfg(feature = "deadline")]
pub mod deadline;
#[cfg(feature = "limit")]
pub mod limit;
#[cfg(feature = "metrics")]
pub mod metrics;
#[cfg(feature = "request-id")]
pub mod request_id;
#[cfg(feature = "retry")]
pub mod retry;
#[cfg(feature = "selector")]
pub mod selector;
#[cfg(feature = "tracing")]
pub mod trace;

/// A random 64-bit value, without a random-number dependency: std's randomly keyed hasher
/// applied to a process-wide counter. Good for ids and jitter, not for cryptography.
#[cfg(any(feature = "request-id", feature = "retry", feature = "tracing"))]
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    RandomState::new().hash_one(COUNTER.fetch_add(1, Ordering::Relaxed))
}
