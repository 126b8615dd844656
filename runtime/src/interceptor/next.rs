//! [`Next`], [`Reply`] and [`Chain`]: the rest of an interceptor chain, as one interceptor sees it.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use tonic::Status;

use crate::{Context, Payload, Request, Response};

/// The rest of an interceptor chain, as seen from one interceptor: the inner interceptors
/// and the handler. Implemented by the runtime; interceptors only name it as a bound.
pub trait Chain: Clone + Send {
    /// The request body: the request message, or [`MessageStream`](crate::MessageStream) of them.
    type ReqPayload: Payload;
    /// The response body: the response message, or [`MessageStream`](crate::MessageStream) of them.
    type RespPayload: Payload;
    /// The future of the rest of the call.
    type Future: Future<Output = Result<Response<Self::RespPayload>, Status>> + Send;

    /// Runs the rest of the chain.
    fn call(self, request: Request<Self::ReqPayload>) -> Self::Future;
}

/// A chain link made of a closure; `Clone` (and `Copy`) when the closure is.
#[doc(hidden)]
pub(crate) struct Link<F, Q, P> {
    f: F,
    _bodies: PhantomData<fn(Q) -> P>,
}

impl<F: Clone, Q, P> Clone for Link<F, Q, P> {
    fn clone(&self) -> Self {
        Self {
            f: self.f.clone(),
            _bodies: PhantomData,
        }
    }
}

impl<F: Copy, Q, P> Copy for Link<F, Q, P> {}

/// Makes a chain link of a closure.
#[doc(hidden)]
pub(crate) fn link<F, Fut, Q, P>(f: F) -> Link<F, Q, P>
where
    F: FnOnce(Request<Q>) -> Fut + Clone + Send,
    Fut: Future<Output = Result<Response<P>, Status>> + Send,
{
    Link {
        f,
        _bodies: PhantomData,
    }
}

impl<F, Fut, Q, P> Chain for Link<F, Q, P>
where
    F: FnOnce(Request<Q>) -> Fut + Clone + Send,
    Fut: Future<Output = Result<Response<P>, Status>> + Send,
    Q: Payload,
    P: Payload,
{
    type ReqPayload = Q;
    type RespPayload = P;
    type Future = Fut;

    fn call(self, request: Request<Q>) -> Fut {
        (self.f)(request)
    }
}

/// The `method` an interceptor calls to run the rest of the chain and the handler.
///
/// [`call`](Self::call) consumes it; clone it first to call the rest of the chain more than
/// once (a client retrying a call).
pub struct Next<'call, N> {
    chain: N,
    _call: PhantomData<fn(&'call ()) -> &'call ()>,
}

impl<N: Clone> Clone for Next<'_, N> {
    fn clone(&self) -> Self {
        Self {
            chain: self.chain.clone(),
            _call: PhantomData,
        }
    }
}

impl<N: Copy> Copy for Next<'_, N> {}

impl<'call, N: Chain> Next<'call, N> {
    #[doc(hidden)]
    pub fn new(chain: N) -> Self {
        Self {
            chain,
            _call: PhantomData,
        }
    }

    pub(crate) fn into_chain(self) -> N {
        self.chain
    }

    /// Runs the rest of the chain and the handler with `request`. Await the [`Reply`], or
    /// return it from a plain-`fn` interceptor.
    ///
    /// The inner interceptors share this interceptor's `context`: what they set is visible
    /// here once the reply is ready.
    #[inline(always)]
    pub fn call(self, request: Request<N::ReqPayload>, context: &mut Context<'call>) -> Reply<N> {
        let _ = context;
        Reply {
            state: ReplyState::Pending {
                future: self.chain.call(request),
            },
        }
    }
}

impl<'call, N: Chain> Next<'call, N> {
    /// Ends the call with `status` without running the rest of the chain: the same as
    /// [`Reply::error`], with the chain type taken from `self`, so that it infers in a
    /// hand-written [`CallInterceptor`](crate::CallInterceptor) that never calls `method`.
    ///
    /// ```
    /// # use grpc_interceptor::prelude::*;
    /// /// Answers every call with UNAVAILABLE.
    /// struct Closed;
    ///
    /// impl CallInterceptor for Closed {
    ///     fn intercept<'call, N: Chain>(
    ///         &self,
    ///         method: Next<'call, N>,
    ///         _: Request<N::ReqPayload>,
    ///         _: &mut Context<'call>,
    ///         _: &MethodName,
    ///     ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
    ///         method.error(Status::unavailable("closed"))
    ///     }
    /// }
    /// # let _ = Closed;
    /// ```
    pub fn error(self, status: impl Into<Status>) -> Reply<N> {
        Reply::error(status)
    }

    /// Answers the call with `response` without running the rest of the chain: the same
    /// as [`Reply::ok`], with the chain type taken from `self` (see [`error`](Self::error)).
    pub fn ok(self, response: Response<N::RespPayload>) -> Reply<N> {
        Reply::ok(response)
    }
}

impl<N> std::fmt::Debug for Next<'_, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Next")
    }
}

pin_project_lite::pin_project! {
    #[doc = "The result of the rest of the chain, as a future: what [`Next::call`] returns, and"]
    #[doc = "what a plain-`fn` interceptor returns ([`Reply::error`] and [`Reply::ok`] answer"]
    #[doc = "without calling `method`)."]
    #[doc = ""]
    #[doc = "`Reply::error` takes its chain type `N` from where the reply goes: the return type"]
    #[doc = "of an `#[interceptor]` fn, or another path of the same fn that returns"]
    #[doc = "`method.call(...)`. In a hand-written [`CallInterceptor`](crate::CallInterceptor)"]
    #[doc = "whose `intercept` returns `impl Future`, a path that only answers has nothing to"]
    #[doc = "infer `N` from: answer through `method` instead, with [`Next::error`] and"]
    #[doc = "[`Next::ok`]."]
    #[doc = ""]
    #[doc = "```"]
    #[doc = "# use grpc_interceptor::prelude::*;"]
    #[doc = "/// Lets through only the calls that carry a token."]
    #[doc = "struct RequireToken;"]
    #[doc = ""]
    #[doc = "impl CallInterceptor for RequireToken {"]
    #[doc = "    fn intercept<'call, N: Chain>("]
    #[doc = "        &self,"]
    #[doc = "        method: Next<'call, N>,"]
    #[doc = "        request: Request<N::ReqPayload>,"]
    #[doc = "        context: &mut Context<'call>,"]
    #[doc = "        _: &MethodName,"]
    #[doc = "    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {"]
    #[doc = "        if request.metadata().get(\"authorization\").is_none() {"]
    #[doc = "            // Infers whether or not another path calls `method`."]
    #[doc = "            return method.error(Status::unauthenticated(\"missing token\"));"]
    #[doc = "        }"]
    #[doc = "        method.call(request, context)"]
    #[doc = "    }"]
    #[doc = "}"]
    #[doc = "# let _ = RequireToken;"]
    #[doc = "```"]
    #[must_use = "a reply does nothing unless awaited or returned"]
    pub struct Reply<N: Chain> {
        #[pin]
        state: ReplyState<N::Future, Response<N::RespPayload>>,
    }
}

pin_project_lite::pin_project! {
    #[project = ReplyStateProj]
    enum ReplyState<F, R> {
        Pending { #[pin] future: F },
        Ready { result: Option<Result<R, Status>> },
    }
}

impl<N: Chain> Reply<N> {
    fn ready(result: Result<Response<N::RespPayload>, Status>) -> Self {
        Reply {
            state: ReplyState::Ready {
                result: Some(result),
            },
        }
    }

    /// Ends the call with `status` without running the rest of the chain.
    pub fn error(status: impl Into<Status>) -> Self {
        Self::ready(Err(status.into()))
    }

    /// Answers the call with `response` without running the rest of the chain.
    pub fn ok(response: Response<N::RespPayload>) -> Self {
        Self::ready(Ok(response))
    }
}

impl<N: Chain> From<Result<Response<N::RespPayload>, Status>> for Reply<N> {
    fn from(result: Result<Response<N::RespPayload>, Status>) -> Self {
        Self::ready(result)
    }
}

impl<N: Chain> Future for Reply<N> {
    type Output = Result<Response<N::RespPayload>, Status>;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            ReplyStateProj::Pending { future } => future.poll(cx),
            ReplyStateProj::Ready { result } => Poll::Ready(
                result
                    .take()
                    .unwrap_or_else(|| Err(Status::internal("reply polled after completion"))),
            ),
        }
    }
}

impl<N: Chain> std::fmt::Debug for Reply<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reply")
    }
}
