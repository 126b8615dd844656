//! [`Retry`]: client retries following gRPC's retry design (gRFC A6): a maximum number of
//! attempts, retryable codes, exponential backoff with jitter, the call's deadline as the
//! budget of all attempts, retry throttling per channel, the server's pushback, client
//! streams replayed from a bounded buffer, and no retry once the response has started.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tonic::metadata::MetadataValue;
use tonic::{Code, Status};

use crate::{
    AnyMessage, CallInterceptor, Chain, Context, MethodName, Next, PayloadExt, Request, RequestExt,
    Response, Side,
};

/// The header a retry carries: how many attempts went before it.
pub const PREVIOUS_ATTEMPTS: &str = "grpc-previous-rpc-attempts";

/// The trailer a server sends to ask for a delay (milliseconds) or, negative, for no retry.
pub const PUSHBACK: &str = "grpc-retry-pushback-ms";

/// What a call's retries came to, in the call's storage (`CallEnd::get::<RetryInfo>()`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RetryInfo {
    /// Attempts made, the first included.
    pub attempts: u32,
    /// Why the last failure was not retried, when it was retryable by code.
    pub not_retried: Option<&'static str>,
}

/// Retries failed client calls as gRFC A6 describes.
///
/// - A call is retried when its status code is in [`codes`](Self::codes) (default:
///   `UNAVAILABLE`), at most [`max_attempts`](Self::max_attempts) attempts in all (default 3,
///   capped at 5 as A6 caps it), after `random(0, backoff)` where the backoff starts at
///   [`initial_backoff`](Self::initial_backoff) and grows by
///   [`multiplier`](Self::multiplier) up to [`max_backoff`](Self::max_backoff).
/// - A server's `grpc-retry-pushback-ms` replaces the backoff; a negative or invalid one
///   ends the retries.
/// - The call's own timeout is the budget of all attempts: each attempt is sent with what
///   is left, and no attempt starts once it is spent.
/// - Throttling, per `Retry` value (share one per channel): a token bucket of
///   [`throttle`](Self::throttle)`(max_tokens, token_ratio)`; every retryable failure
///   takes a token, every success gives back `token_ratio`, and retries stop while fewer
///   than half the tokens are left.
/// - A client stream is replayed from a buffer of at most
///   [`max_buffer`](Self::max_buffer) bytes (default 64 KiB); past it the call is not
///   retried.
/// - Only a failure that comes before the response (a trailers-only answer, a transport
///   error) is retried: once response headers or messages were delivered, the call is
///   committed.
///
/// Retries carry `grpc-previous-rpc-attempts`. The outcome is in the call's storage as a
/// [`RetryInfo`]. On a server this interceptor does nothing.
///
/// ```
/// use std::time::Duration;
/// use grpc_interceptor::interceptors::retry::Retry;
/// use grpc_interceptor::Code;
///
/// let retry = Retry::new()
///     .max_attempts(4)
///     .codes([Code::Unavailable, Code::ResourceExhausted])
///     .initial_backoff(Duration::from_millis(50));
/// # let _ = retry;
/// ```
#[derive(Debug)]
pub struct Retry {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    multiplier: f64,
    codes: Vec<Code>,
    max_buffer: usize,
    throttle: Option<Throttle>,
}

#[derive(Debug)]
struct Throttle {
    max: f64,
    ratio: f64,
    tokens: Mutex<f64>,
}

impl Default for Retry {
    fn default() -> Self {
        Self::new()
    }
}

impl Retry {
    /// Three attempts on `UNAVAILABLE`, backoff from 100 ms to 5 s (×2), no throttling.
    pub fn new() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            multiplier: 2.0,
            codes: vec![Code::Unavailable],
            max_buffer: 64 * 1024,
            throttle: None,
        }
    }

    /// Attempts in all, the first included (2 to 5).
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.clamp(2, 5);
        self
    }

    /// The codes worth retrying.
    pub fn codes(mut self, codes: impl IntoIterator<Item = Code>) -> Self {
        self.codes = codes.into_iter().collect();
        self
    }

    /// The first backoff.
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The longest backoff.
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// How the backoff grows (more than zero).
    pub fn multiplier(mut self, multiplier: f64) -> Self {
        if multiplier > 0.0 {
            self.multiplier = multiplier;
        }
        self
    }

    /// The largest client stream replayed for a retry, in encoded bytes.
    pub fn max_buffer(mut self, bytes: usize) -> Self {
        self.max_buffer = bytes;
        self
    }

    /// Retry throttling: a bucket of `max_tokens`, `token_ratio` given back per success.
    pub fn throttle(mut self, max_tokens: u32, token_ratio: f64) -> Self {
        let max = f64::from(max_tokens.max(1));
        self.throttle = Some(Throttle {
            max,
            ratio: token_ratio.max(0.0),
            tokens: Mutex::new(max),
        });
        self
    }

    fn backoff(&self, retry: u32) -> Duration {
        let exponent = i32::try_from(retry.saturating_sub(1)).unwrap_or(i32::MAX);
        let backoff = self.initial_backoff.as_secs_f64() * self.multiplier.powi(exponent);
        let backoff = backoff.min(self.max_backoff.as_secs_f64());
        let random = super::random_u64();
        // Jitter: uniform in [0, backoff).
        Duration::from_secs_f64(backoff * (random >> 11) as f64 / (1u64 << 53) as f64)
    }

    /// Records a result in the throttle; whether a retry is allowed after a failure.
    fn throttle_allows(&self, success: bool) -> bool {
        let Some(throttle) = &self.throttle else {
            return true;
        };
        let mut tokens = throttle
            .tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if success {
            *tokens = (*tokens + throttle.ratio).min(throttle.max);
            true
        } else {
            *tokens = (*tokens - 1.0).max(0.0);
            *tokens > throttle.max / 2.0
        }
    }
}

/// The server's pushback: `Ok(Some(delay))`, `Ok(None)` when it sent none, `Err(())`
/// when it asked for no retry.
fn pushback(status: &Status) -> Result<Option<Duration>, ()> {
    match status.metadata().get(PUSHBACK) {
        None => Ok(None),
        Some(value) => match value.to_str().ok().and_then(|v| v.parse::<i64>().ok()) {
            Some(ms) if ms >= 0 => Ok(Some(Duration::from_millis(ms.unsigned_abs()))),
            _ => Err(()),
        },
    }
}

impl CallInterceptor for Retry {
    async fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        mut request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _method_name: &MethodName,
    ) -> Result<Response<N::RespPayload>, Status> {
        if context.side() == Side::Server {
            return method.call(request, context).await;
        }
        let deadline = request.timeout().map(|t| Instant::now() + t);
        // The spare replica keeps the messages for the next attempt, while the buffer
        // stays under its bound: past it the spare is dropped, and so are the messages.
        let spare = Arc::new(Mutex::new(Some(request.replica())));
        let overflowed = Arc::new(AtomicBool::new(false));
        {
            let (spare, overflowed, max) =
                (Arc::clone(&spare), Arc::clone(&overflowed), self.max_buffer);
            let mut buffered = 0usize;
            request.observe_messages(move |message: &dyn AnyMessage| {
                buffered += message.encoded_size().unwrap_or(0);
                if buffered > max && !overflowed.swap(true, Ordering::AcqRel) {
                    spare.lock().unwrap_or_else(PoisonError::into_inner).take();
                }
            });
        }
        let mut info = RetryInfo::default();
        let mut attempt_request = Some(request);
        loop {
            info.attempts += 1;
            let Some(mut attempt) = attempt_request.take() else {
                unreachable!("every attempt has its request");
            };
            if info.attempts > 1
                && let Ok(value) = MetadataValue::try_from((info.attempts - 1).to_string())
            {
                attempt.metadata_mut().insert(PREVIOUS_ATTEMPTS, value);
            }
            if let Some(deadline) = deadline {
                attempt.set_timeout(deadline.saturating_duration_since(Instant::now()));
            }
            let status = match method.clone().call(attempt, context).await {
                Ok(response) => {
                    self.throttle_allows(true);
                    context.insert(info);
                    return Ok(response);
                }
                Err(status) => status,
            };
            if !self.codes.contains(&status.code()) {
                self.throttle_allows(true);
                context.insert(info);
                return Err(status);
            }
            let delay = pushback(&status)
                .map(|pushback| pushback.unwrap_or_else(|| self.backoff(info.attempts)));
            let next = spare
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .as_mut()
                .map(PayloadExt::replica);
            let reason = if delay.is_err() {
                Some("the server's pushback asked for no retry")
            } else if !self.throttle_allows(false) {
                Some("retries are throttled")
            } else if info.attempts >= self.max_attempts {
                Some("no attempts left")
            } else if next.is_none() {
                Some("the request stream was larger than the replay buffer")
            } else if deadline.is_some_and(|d| Instant::now() + delay.unwrap_or_default() >= d) {
                Some("the call's deadline leaves no time for another attempt")
            } else {
                None
            };
            if let Some(reason) = reason {
                info.not_retried = Some(reason);
                context.insert(info);
                return Err(status);
            }
            tokio::time::sleep(delay.unwrap_or_default()).await;
            attempt_request = next;
        }
    }
}
