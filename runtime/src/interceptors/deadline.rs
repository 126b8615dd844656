//! [`Deadlines`]: a default timeout for client calls that set none, a minimum and maximum
//! deadline policy for servers, and [`CallDeadline`], to pass what is left of a call's
//! deadline on to the calls its handler makes.

use std::future::Future;
use std::time::{Duration, Instant};

use futures_util::future::Either;
use tonic::Status;

use crate::{
    CallInterceptor, Chain, Context, MethodName, Next, Request, RequestExt, Response, Side,
};

/// What a server does with a deadline longer than its maximum (or no deadline at all).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverMax {
    /// Serves the call with the maximum as its deadline: `DEADLINE_EXCEEDED` when it passes.
    Clamp,
    /// Ends the call at once with `INVALID_ARGUMENT`.
    Reject,
}

/// Deadline policy, on either side.
///
/// - Client: [`default_timeout`](Self::default_timeout) is set on calls that have no
///   `grpc-timeout` (the server receives it as its deadline).
/// - Server: a deadline shorter than [`min`](Self::min) ends the call at once with
///   `DEADLINE_EXCEEDED` (it could not be met); one longer than [`max`](Self::max), or none,
///   is clamped to the maximum or rejected ([`OverMax`]). The call's deadline goes into
///   the call's storage as a [`CallDeadline`].
///
/// ```
/// use std::time::Duration;
/// use grpc_interceptor::interceptors::deadline::{Deadlines, OverMax};
///
/// let client = Deadlines::new().default_timeout(Duration::from_secs(5));
/// let server = Deadlines::new()
///     .min(Duration::from_millis(10))
///     .max(Duration::from_secs(30), OverMax::Clamp);
/// # let _ = (client, server);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Deadlines {
    default: Option<Duration>,
    min: Option<Duration>,
    max: Option<(Duration, OverMax)>,
}

impl Deadlines {
    /// No policy: passes every call on.
    pub fn new() -> Self {
        Self::default()
    }

    /// Client: the timeout of calls that set none.
    pub fn default_timeout(mut self, timeout: Duration) -> Self {
        self.default = Some(timeout);
        self
    }

    /// Server: the shortest deadline worth starting a call for.
    pub fn min(mut self, min: Duration) -> Self {
        self.min = Some(min);
        self
    }

    /// Server: the longest deadline a call may have, and what to do with longer ones.
    pub fn max(mut self, max: Duration, over: OverMax) -> Self {
        self.max = Some((max, over));
        self
    }
}

/// The deadline of the call being served, in the call's storage (`context.get::<CallDeadline>()`,
/// or through `#[intercepted(context = ctx)]` in the handler): give the calls the handler
/// makes what is left of it.
///
/// ```
/// # use std::time::Duration;
/// use grpc_interceptor::interceptors::deadline::CallDeadline;
///
/// let deadline = CallDeadline::after(Duration::from_secs(2));
/// let mut outgoing = tonic::Request::new(());
/// deadline.propagate(&mut outgoing);
/// assert!(outgoing.metadata().contains_key("grpc-timeout"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallDeadline(Instant);

impl CallDeadline {
    /// A deadline `timeout` from now.
    pub fn after(timeout: Duration) -> Self {
        Self(Instant::now() + timeout)
    }

    /// When the call must be over.
    pub fn instant(&self) -> Instant {
        self.0
    }

    /// The time left; zero once the deadline has passed.
    pub fn remaining(&self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }

    /// Sets the time left as the timeout of an outgoing request.
    pub fn propagate<T>(&self, request: &mut tonic::Request<T>) {
        request.set_timeout(self.remaining());
    }
}

impl CallInterceptor for Deadlines {
    fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        mut request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _method_name: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        let asked = request.timeout();
        if context.side() == Side::Client {
            if asked.is_none()
                && let Some(timeout) = self.default
            {
                request.set_timeout(timeout);
            }
            return Either::Left(Either::Left(method.call(request, context)));
        }
        if let (Some(asked), Some(min)) = (asked, self.min)
            && asked < min
        {
            let status = Status::deadline_exceeded(format!(
                "the deadline ({asked:?}) is shorter than the server's minimum ({min:?})"
            ));
            return Either::Left(Either::Right(std::future::ready(Err(status))));
        }
        let clamp = match (self.max, asked) {
            (Some((max, _)), Some(asked)) if asked <= max => None,
            (Some((max, OverMax::Clamp)), _) => Some(max),
            (Some((max, OverMax::Reject)), asked) => {
                let status = Status::invalid_argument(match asked {
                    Some(asked) => format!(
                        "the deadline ({asked:?}) is longer than the server's maximum ({max:?})"
                    ),
                    None => format!("calls need a deadline of at most {max:?}"),
                });
                return Either::Left(Either::Right(std::future::ready(Err(status))));
            }
            (None, _) => None,
        };
        let timeout = clamp.or(asked);
        if let Some(timeout) = timeout {
            context.insert(CallDeadline::after(timeout));
        }
        let call = method.call(request, context);
        match clamp {
            None => Either::Left(Either::Left(call)),
            Some(max) => Either::Right(async move {
                match tokio::time::timeout(max, call).await {
                    Ok(result) => result,
                    Err(_) => Err(Status::deadline_exceeded(format!(
                        "the server's maximum deadline ({max:?}) passed"
                    ))),
                }
            }),
        }
    }
}
