//! What an `#[intercepted]` service method runs: the interceptor list around the handler.
//!
//! The four streaming modes differ only in how a tonic payload becomes an interceptor
//! payload and back ([`Kind`](super::mode::Kind)); [`serve`] is the same for all of them.

use std::future::Future;
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context as TaskContext, Poll, ready};

use tonic::Status;

use super::mode::{Inward, Kind};
use crate::context::{CallState, Outcome};
use crate::errors::exception_to_status::panic_status;
use crate::errors::panic_hook::Answered;
use crate::interceptor::link;
use crate::{CallInterceptor, Context, MethodName, Next, Request, Response, Side};

/// The method's name, built once per process.
#[inline]
pub fn method_name(
    cell: &'static OnceLock<MethodName>,
    service: &str,
    method: &str,
) -> &'static MethodName {
    cell.get_or_init(|| MethodName::from_service(service, method))
}

/// Runs `interceptors` around `handler` for one call of an `#[intercepted]` method.
/// The handler gets the request and the call's [`Context`]; `state` is the call's state,
/// owned by the caller so that the handler's future may hold the context.
///
/// The interceptors are called at once, the outermost with a context of its own
/// ([`CallInterceptor::intercept_owned`]), and `Serve` polls the future they return: no
/// `async fn` here, which would keep the request beside that future (rust#62958).
#[inline(always)]
pub fn serve<'call, 'a, I, QK, PK, QT, PT, H, Fut>(
    interceptors: &'a I,
    method_name: &'a MethodName,
    _kinds: (QK, PK),
    request: tonic::Request<QT>,
    state: &'call CallState,
    handler: H,
) -> Serve<'call, impl Future<Output = Result<Response<PK::Payload>, Status>> + Send, PK, PT>
where
    I: CallInterceptor + ?Sized,
    QK: Inward<QT, Out = QT>,
    PK: Inward<PT>,
    QT: Send,
    H: FnOnce(tonic::Request<QT>, Context<'call>) -> Fut + Clone + Send,
    Fut: Future<Output = Result<tonic::Response<PT>, Status>> + Send,
{
    let handler_context = Context::new(Side::Server, state);
    let handler = link(move |mut request: Request<QK::Payload>| {
        if state.is_tracked() {
            crate::lifecycle::track_request(state, &mut request);
        }
        Handled {
            future: handler(QK::outward_request(request), handler_context),
            // A closure, not a bound on `PK` in `Handled`'s `Future` impl: that bound would
            // hit rust#100013.
            inward: |response| PK::inward_response(response),
        }
    });
    let trailers_layer = request
        .extensions()
        .get::<crate::server::Supported>()
        .is_some();
    let request = QK::inward_request(request);
    let context = Context::new(Side::Server, state);
    Serve {
        chain: interceptors.intercept_owned(Next::new(handler), request, context, method_name),
        state,
        trailers_layer,
        _kinds: PhantomData,
    }
}

pin_project_lite::pin_project! {
    /// The future of one call of an `#[intercepted]` method: the interceptors' future, then
    /// what they set on the context applied to its result.
    #[doc(hidden)]
    pub struct Serve<'call, F, PK, PT> {
        #[pin]
        chain: F,
        state: &'call CallState,
        trailers_layer: bool,
        _kinds: PhantomData<fn() -> (PK, PT)>,
    }
}

impl<F, PK, PT> Future for Serve<'_, F, PK, PT>
where
    F: Future<Output = Result<Response<PK::Payload>, Status>>,
    PK: Kind<PT>,
{
    type Output = Result<tonic::Response<PK::Out>, Status>;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        // The quiet panic hook says nothing about a panic answered here. The poll is
        // counted whether or not the hook is installed: two writes of a thread-local cost
        // less than a branch around it, which measured 71 instructions per call.
        let _answered = Answered::enter();
        let this = self.project();
        let (chain, state, trailers_layer) = (this.chain, *this.state, *this.trailers_layer);
        // A panic that no `ExceptionToStatus` answered for ends the call with UNKNOWN, as
        // gRPC servers elsewhere answer one, not with a reset stream.
        let poll = panic::catch_unwind(AssertUnwindSafe(|| {
            let poll = chain.poll(cx);
            if poll.is_pending() {
                return Poll::Pending;
            }
            match state.take() {
                // Nothing set on the context: the result as it is, not even moved out of
                // the poll.
                None => PK::outward_poll(poll),
                Some(outcome) => poll
                    .map(|result| with_outcome::<PK, PT>(result, *outcome, false, trailers_layer)),
            }
        }));
        match poll {
            Ok(poll) => poll,
            Err(payload) => {
                let status = panic_status(&*payload);
                Poll::Ready(finish::<PK, PT>(Err(status), state, true, false))
            }
        }
    }
}

/// The call's result with what anybody set on the context, if anything was.
#[inline]
fn finish<PK: Kind<PT>, PT>(
    result: Result<Response<PK::Payload>, Status>,
    state: &CallState,
    panicked: bool,
    trailers_layer: bool,
) -> Result<tonic::Response<PK::Out>, Status> {
    match state.take() {
        None => result.map(PK::outward_response),
        Some(outcome) => with_outcome::<PK, PT>(result, *outcome, panicked, trailers_layer),
    }
}

/// Applies what the interceptors set on the context to the call's result.
#[inline(never)]
fn with_outcome<PK: Kind<PT>, PT>(
    result: Result<Response<PK::Payload>, Status>,
    mut outcome: Outcome,
    panicked: bool,
    trailers_layer: bool,
) -> Result<tonic::Response<PK::Out>, Status> {
    if let Some(tracker) = &mut outcome.tracker {
        tracker.set_extensions(std::mem::take(&mut outcome.extensions));
    }
    let result = match result {
        Ok(response) => PK::finish(response, outcome, trailers_layer),
        Err(status) => {
            let tracker = outcome.tracker.take();
            let status = outcome.apply_to_status(status);
            if let Some(tracker) = tracker {
                tracker.fire(status.clone(), panicked);
            }
            Err(status)
        }
    };
    result.map(PK::outward_response)
}

pin_project_lite::pin_project! {
    /// The handler's future, its response turned into the interceptors' view. A plain
    /// future rather than an `async` block, which would also keep the request it was made
    /// with: every byte of the call's future is allocated and moved on every call.
    struct Handled<F: HandlerFuture, G> {
        #[pin]
        future: F,
        inward: G,
    }
}

/// A handler's future: its body type is a projection, so that the lifetimes in it are
/// the future's own (with a separate type parameter, the check of the method's future
/// fails on erased lifetimes, as in rust#100013).
trait HandlerFuture: Future<Output = Result<tonic::Response<Self::Payload>, Status>> {
    type Payload;
}

impl<F, T> HandlerFuture for F
where
    F: Future<Output = Result<tonic::Response<T>, Status>>,
{
    type Payload = T;
}

impl<F, G, B> Future for Handled<F, G>
where
    F: HandlerFuture,
    G: Fn(tonic::Response<F::Payload>) -> Response<B>,
{
    type Output = Result<Response<B>, Status>;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = ready!(this.future.poll(cx))?;
        Poll::Ready(Ok((this.inward)(response)))
    }
}
