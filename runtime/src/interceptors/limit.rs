//! Limits: [`RateLimit`] (a token bucket) and [`ConcurrencyLimit`] (calls in flight), global
//! or per method, answering `RESOURCE_EXHAUSTED` with a retry hint when over.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::future::Either;
use tonic::Status;
use tonic::metadata::MetadataValue;

use crate::{CallInterceptor, Chain, Context, MethodName, Next, Request, Response};

/// The trailer gRPC's retry design (gRFC A6) reads as the server's pushback: how many
/// milliseconds to wait before retrying.
pub const PUSHBACK: &str = "grpc-retry-pushback-ms";

/// Whether a limit is shared by all methods or kept per method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// One limit for every call.
    Global,
    /// One limit per method path.
    PerMethod,
}

fn exhausted(message: String, retry_after: Option<Duration>) -> Status {
    let mut status = Status::resource_exhausted(message);
    if let Some(after) = retry_after
        && let Ok(value) = MetadataValue::try_from(after.as_millis().to_string())
    {
        status.metadata_mut().insert(PUSHBACK, value);
    }
    status
}

/// A token bucket: `rate` calls per second on average, bursts of up to `burst`. A call
/// over the limit ends at once with `RESOURCE_EXHAUSTED` and a `grpc-retry-pushback-ms`
/// trailer saying when a token will be there.
///
/// ```
/// use grpc_interceptor::interceptors::limit::{RateLimit, Scope};
///
/// let limit = RateLimit::new(100.0, 20, Scope::PerMethod);
/// # let _ = limit;
/// ```
#[derive(Debug)]
pub struct RateLimit {
    rate: f64,
    burst: f64,
    scope: Scope,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimit {
    /// `rate` calls per second (more than zero), bursts of `burst` (at least one).
    pub fn new(rate: f64, burst: u32, scope: Scope) -> Self {
        Self {
            rate: if rate > 0.0 { rate } else { f64::MIN_POSITIVE },
            burst: f64::from(burst.max(1)),
            scope,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token, or says how long until one is there.
    fn take(&self, method_name: &MethodName) -> Result<(), Duration> {
        let key = match self.scope {
            Scope::Global => "",
            Scope::PerMethod => method_name.as_str(),
        };
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let bucket = match buckets.get_mut(key) {
            Some(bucket) => bucket,
            None => buckets.entry(key.to_owned()).or_insert(Bucket {
                tokens: self.burst,
                updated: now,
            }),
        };
        let elapsed = now.duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / self.rate))
        }
    }
}

impl CallInterceptor for RateLimit {
    fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        method_name: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        match self.take(method_name) {
            Ok(()) => Either::Left(method.call(request, context)),
            Err(wait) => Either::Right(std::future::ready(Err(exhausted(
                format!("rate limit of {} calls per second exceeded", self.rate),
                Some(wait),
            )))),
        }
    }
}

/// At most `max` calls in flight (until each call's end, streams included); a call over
/// the limit ends at once with `RESOURCE_EXHAUSTED`.
///
/// ```
/// use grpc_interceptor::interceptors::limit::{ConcurrencyLimit, Scope};
///
/// let limit = ConcurrencyLimit::new(64, Scope::Global);
/// # let _ = limit;
/// ```
#[derive(Debug)]
pub struct ConcurrencyLimit {
    max: usize,
    scope: Scope,
    global: Arc<AtomicUsize>,
    per_method: Mutex<HashMap<String, Arc<AtomicUsize>>>,
}

impl ConcurrencyLimit {
    /// At most `max` calls in flight.
    pub fn new(max: usize, scope: Scope) -> Self {
        Self {
            max,
            scope,
            global: Arc::default(),
            per_method: Mutex::new(HashMap::new()),
        }
    }

    /// Calls in flight now (across methods, for a per-method limit).
    pub fn in_flight(&self) -> usize {
        match self.scope {
            Scope::Global => self.global.load(Ordering::Acquire),
            Scope::PerMethod => self
                .per_method
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .values()
                .map(|n| n.load(Ordering::Acquire))
                .sum(),
        }
    }

    fn counter(&self, method_name: &MethodName) -> Arc<AtomicUsize> {
        match self.scope {
            Scope::Global => Arc::clone(&self.global),
            Scope::PerMethod => Arc::clone(
                self.per_method
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .entry(method_name.as_str().to_owned())
                    .or_default(),
            ),
        }
    }
}

impl CallInterceptor for ConcurrencyLimit {
    fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        method_name: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        let counter = self.counter(method_name);
        let admitted = counter
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max).then_some(n + 1)
            })
            .is_ok();
        if !admitted {
            let status = exhausted(
                format!("more than {} calls in flight", self.max),
                Some(Duration::from_millis(100)),
            );
            return Either::Right(std::future::ready(Err(status)));
        }
        context.on_call_end(move |_| {
            counter.fetch_sub(1, Ordering::AcqRel);
        });
        Either::Left(method.call(request, context))
    }
}
