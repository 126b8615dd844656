//! What an `#[intercepted]` service method runs: the interceptor list around the handler.
//!
//! The four streaming modes differ only in how a tonic body becomes an interceptor body
//! and back ([`Kind`]); [`serve`] is the same for all of them.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context as TaskContext, Poll, ready};

use tonic::Status;

use crate::chain::link;
use crate::context::{CallState, Outcome, merge};
use crate::streaming::{InterceptedStream, ResultStream};
use crate::{CallInterceptor, Context, MethodName, Next, Request, Response, Side, Streaming};

/// How one side of a call (request or response) looks to tonic (`T`) and to interceptors
/// (`Body`); `Out` is what goes on after the interceptors.
pub trait Kind<T> {
    /// The interceptors' view.
    type Body: crate::Body;
    /// What tonic takes after the interceptors.
    type Out;
    /// From the interceptors' view back to tonic's.
    fn outward(body: Self::Body) -> Self::Out;
    /// Applies what the interceptors set on the context to a successful response;
    /// `trailers_layer` tells whether [`TrailersLayer`](crate::TrailersLayer) serves the call.
    fn finish(
        response: Response<Self::Body>,
        outcome: Outcome,
        trailers_layer: bool,
    ) -> Result<Response<Self::Body>, Status>;
}

/// The conversion from tonic's view to the interceptors', apart from [`Kind`]: its bounds
/// (a boxed stream must be `'static`) must not take part in normalizing `Kind::Body`, or
/// the `Send` check of the method's future fails on erased lifetimes (rust#100013).
pub trait Inward<T>: Kind<T> {
    /// From tonic's view to the interceptors'.
    fn inward(body: T) -> Self::Body;
}

/// A single message.
#[derive(Clone, Copy, Debug)]
pub struct Message;

/// A client stream (`tonic::Streaming<M>`).
#[derive(Clone, Copy, Debug)]
pub struct RequestStream;

/// A server stream (the service's associated stream type).
#[derive(Clone, Copy, Debug)]
pub struct ResponseStream;

impl<M: prost::Message + Clone + 'static> Inward<M> for Message {
    fn inward(body: M) -> M {
        body
    }
}

impl<M: prost::Message + Clone + 'static> Kind<M> for Message {
    type Body = M;
    type Out = M;

    fn outward(body: M) -> M {
        body
    }

    fn finish(
        mut response: Response<M>,
        mut outcome: Outcome,
        trailers_layer: bool,
    ) -> Result<Response<M>, Status> {
        if let Some(status) = outcome.error_status() {
            return Err(outcome.apply_to_status(status));
        }
        merge(response.metadata_mut(), outcome.headers);
        if trailers_layer && !outcome.trailers.is_empty() {
            let trailers = outcome.trailers.into_headers();
            response
                .extensions_mut()
                .insert(crate::trailers::Pending(trailers));
        } else if !outcome.trailers.is_empty() {
            // tonic sends no custom trailers after a unary message: they go with the headers.
            merge(response.metadata_mut(), outcome.trailers);
        }
        Ok(response)
    }
}

impl<M: prost::Message + Default + Clone + 'static> Inward<tonic::Streaming<M>> for RequestStream {
    fn inward(body: tonic::Streaming<M>) -> Streaming<M> {
        Streaming::from_tonic(body)
    }
}

impl<M: prost::Message + Default + Clone + 'static> Kind<tonic::Streaming<M>> for RequestStream {
    type Body = Streaming<M>;
    type Out = tonic::Streaming<M>;

    fn outward(body: Streaming<M>) -> tonic::Streaming<M> {
        body.into_tonic()
    }

    fn finish(
        response: Response<Streaming<M>>,
        _: Outcome,
        _: bool,
    ) -> Result<Response<Streaming<M>>, Status> {
        Ok(response)
    }
}

impl<S: ResultStream + Send + 'static> Inward<S> for ResponseStream {
    fn inward(body: S) -> Self::Body {
        Streaming::new(body)
    }
}

impl<S: ResultStream + Send> Kind<S> for ResponseStream {
    type Body = Streaming<S::Message>;
    type Out = InterceptedStream<S>;

    fn outward(body: Self::Body) -> InterceptedStream<S> {
        InterceptedStream::new(body)
    }

    fn finish(
        mut response: Response<Self::Body>,
        outcome: Outcome,
        _: bool,
    ) -> Result<Response<Self::Body>, Status> {
        outcome.finish_stream(&mut response);
        Ok(response)
    }
}

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
    let inward: fn(PT) -> PK::Body = PK::inward;
    let handler = link(move |request: Request<QK::Body>| Handled {
        future: handler(request.map(QK::outward).into_tonic(), handler_context),
        inward,
    });
    let trailers_layer = request
        .extensions()
        .get::<crate::trailers::Supported>()
        .is_some();
    let request = Request::from_tonic(request).map(QK::inward);
    let mut context = Context::new(Side::Server, state);
    let result = interceptors
        .intercept(Next::new(handler), request, &mut context, method_name)
        .await;
    let result = match state.take() {
        None => result,
        Some(outcome) => match result {
            Ok(response) => PK::finish(response, *outcome, trailers_layer),
            Err(status) => Err(outcome.apply_to_status(status)),
        },
    };
    result.map(|response| response.map(PK::outward).into_tonic())
}

pin_project_lite::pin_project! {
    /// The handler's future, its response turned into the interceptors' view. A plain
    /// future rather than an `async` block, which would also keep the request it was made
    /// with: every byte of the call's future is allocated and moved on every call.
    struct Handled<F: HandlerFuture, B> {
        #[pin]
        future: F,
        inward: fn(F::Body) -> B,
    }
}

/// A handler's future: its body type is a projection, so that the lifetimes in it are
/// the future's own (with a separate type parameter, the check of the method's future
/// fails on erased lifetimes, as in rust#100013).
trait HandlerFuture: Future<Output = Result<tonic::Response<Self::Body>, Status>> {
    type Body;
}

impl<F, T> HandlerFuture for F
where
    F: Future<Output = Result<tonic::Response<T>, Status>>,
{
    type Body = T;
}

impl<F: HandlerFuture, B> Future for Handled<F, B> {
    type Output = Result<Response<B>, Status>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = ready!(this.future.poll(cx))?;
        Poll::Ready(Ok(Response::from_tonic(response).map(*this.inward)))
    }
}
