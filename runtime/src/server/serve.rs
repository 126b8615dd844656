//! What an `#[intercepted]` service method runs: the interceptor list around the handler.
//!
//! The four streaming modes differ only in how a tonic payload becomes an interceptor
//! payload and back ([`Kind`](super::mode::Kind)); [`serve`] is the same for all of them.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context as TaskContext, Poll, ready};

use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use tonic::Status;

use super::mode::Inward;
use crate::context::CallState;
use crate::errors::exception_to_status::panic_status;
use crate::interceptor::link;
use crate::{CallInterceptor, Context, MethodName, Next, Request, Response, Side};

/// The method's name, built once per process.
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
pub async fn serve<'call, I, QK, PK, QT, PT, H, Fut>(
    interceptors: &I,
    method_name: &MethodName,
    _kinds: (QK, PK),
    request: tonic::Request<QT>,
    state: &'call CallState,
    handler: H,
) -> Result<tonic::Response<PK::Out>, Status>
where
    I: CallInterceptor + ?Sized,
    QK: Inward<QT, Out = QT>,
    PK: Inward<PT>,
    QT: Send,
    H: FnOnce(tonic::Request<QT>, Context<'call>) -> Fut + Clone + Send,
    Fut: Future<Output = Result<tonic::Response<PT>, Status>> + Send,
{
    let handler_context = Context::new(Side::Server, state);
    // A fn pointer: a bound on `PK` in `Handled`'s `Future` impl would hit rust#100013.
    let inward: fn(PT) -> PK::Payload = PK::inward;
    let handler = link(move |mut request: Request<QK::Payload>| {
        if state.is_tracked() {
            crate::lifecycle::track_request(state, &mut request);
        }
        Handled {
            future: handler(request.map(QK::outward), handler_context),
            inward,
        }
    });
    let trailers_layer = request
        .extensions()
        .get::<crate::server::Supported>()
        .is_some();
    let request = request.map(QK::inward);
    let mut context = Context::new(Side::Server, state);
    let chain = interceptors.intercept(Next::new(handler), request, &mut context, method_name);
    // A panic that no `ExceptionToStatus` answered for ends the call with UNKNOWN, as
    // gRPC servers elsewhere answer one, not with a reset stream.
    let (result, panicked) = match AssertUnwindSafe(chain).catch_unwind().await {
        Ok(result) => (result, false),
        Err(payload) => (Err(panic_status(&*payload)), true),
    };
    let result = match state.take() {
        None => result,
        Some(mut outcome) => {
            if let Some(tracker) = &mut outcome.tracker {
                tracker.set_extensions(std::mem::take(&mut outcome.extensions));
            }
            match result {
                Ok(response) => PK::finish(response, *outcome, trailers_layer),
                Err(status) => {
                    let tracker = outcome.tracker.take();
                    let status = outcome.apply_to_status(status);
                    if let Some(tracker) = tracker {
                        tracker.fire(status.clone(), panicked);
                    }
                    Err(status)
                }
            }
        }
    };
    result.map(|response| response.map(PK::outward))
}

pin_project_lite::pin_project! {
    /// The handler's future, its response turned into the interceptors' view. A plain
    /// future rather than an `async` block, which would also keep the request it was made
    /// with: every byte of the call's future is allocated and moved on every call.
    struct Handled<F: HandlerFuture, B> {
        #[pin]
        future: F,
        inward: fn(F::Payload) -> B,
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

impl<F: HandlerFuture, B> Future for Handled<F, B> {
    type Output = Result<Response<B>, Status>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = ready!(this.future.poll(cx))?;
        Poll::Ready(Ok(response.map(*this.inward)))
    }
}
