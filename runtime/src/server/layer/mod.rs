//! [`InterceptorLayer`], interceptors for every service of a server as one tower layer;
//! [`Intercepted`], the service it makes around tonic's router; and its response future.
//! One call through it is `call.rs`.

mod call;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll, ready};

use bytes::Bytes;
use tonic::Status;
use tonic::codegen::http;

use crate::CallInterceptor;
use crate::wire::exchange::{Shared, is_grpc};

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type BoxFuture = Pin<Box<dyn Future<Output = http::Response<tonic::body::Body>> + Send>>;

/// Interceptors for every service of a server, as one tower layer: put it in
/// `Server::builder().layer(..)` or in a `tower::ServiceBuilder`.
///
/// The same interceptor values that `#[intercepted]` and [`client::intercept`](crate::client::intercept)
/// take (a tuple, the first outermost; any [`CallInterceptor`]) run around every gRPC call
/// of the server, whatever its service: generated services without `#[intercepted]`,
/// `tonic-health`, `tonic-reflection`. Python's `grpc-interceptor` registers interceptors
/// this way.
///
#[cfg_attr(feature = "testing", doc = "```")]
#[cfg_attr(not(feature = "testing"), doc = "```ignore")]
/// use grpc_interceptor::prelude::*;
/// use grpc_interceptor::server::InterceptorLayer;
/// use grpc_interceptor::testing::proto::dummy_service_client::DummyServiceClient;
/// use grpc_interceptor::testing::{DummyRequest, DummyService, SpecialCases};
///
/// #[interceptor]
/// fn require_token(method: Next<'_>, request: Request, context: &mut Context, _: &MethodName) -> Reply {
///     if request.metadata().get("authorization").is_none() {
///         return Reply::error(Status::unauthenticated("missing token"));
///     }
///     method.call(request, context)
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let addr = listener.local_addr()?;
/// let server = tonic::transport::Server::builder()
///     .layer(InterceptorLayer::new((require_token,)))
///     .add_service(DummyService::new(SpecialCases::new(), ()).into_server())
///     .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener));
/// tokio::spawn(server);
///
/// let mut client = DummyServiceClient::connect(format!("http://{addr}")).await?;
/// let status = client.execute(DummyRequest { input: "hi".into() }).await.unwrap_err();
/// assert_eq!(status.code(), Code::Unauthenticated);
/// # Ok(())
/// # }
/// ```
///
/// # What the interceptors see
///
/// The layer sees HTTP requests, not typed calls, so it sees them as a client's channel
/// does: every payload is a [`MessageStream`](crate::MessageStream) of
/// [`WireMessage`](crate::WireMessage)s, decoded only when an interceptor asks for a type
/// ([`PayloadExt::for_each_message`](crate::PayloadExt::for_each_message),
/// [`inspect_messages`](crate::PayloadExt::inspect_messages),
/// [`observe_messages`](crate::PayloadExt::observe_messages)), in all four modes.
/// The wire does not say a message's type: decode only the methods whose types you know
/// (check the [`MethodName`](crate::MethodName)).
///
/// - [`Context::side`](crate::Context::side) is [`Side::Server`](crate::Side::Server); the
///   method name is parsed from the path; the request carries the metadata, the peer
///   (`remote_addr`) and the deadline ([`RequestExt::timeout`](crate::RequestExt::timeout)).
/// - Codes, details, headers and trailers set on the [`Context`](crate::Context) go into the
///   response, trailers included after a successful unary response (the layer writes the
///   real trailers frame: no [`TrailersLayer`](crate::server::TrailersLayer) is needed).
/// - End hooks ([`Context::on_call_end`](crate::Context::on_call_end)) run once the
///   response's final trailers have been written, or with CANCELLED (`by_peer`) when the
///   response is dropped before that.
/// - A panic in the service (its handler's future, or its response stream, after the
///   messages already sent) is answered by an [`ExceptionToStatus`](crate::ExceptionToStatus)
///   in the list; without one, the call ends with UNKNOWN `panicked: ...`, as on an
///   `#[intercepted]` service, never with a reset stream. The layer sees the service's
///   stream through tonic's encoder, which takes every message that is ready at once
///   into one batch: messages batched with the panic (a stream that yields them and
///   panics without waiting in between) are lost with it.
///
/// # On the wire
///
/// - A body whose messages no interceptor reads goes on untouched. Otherwise it is split
///   and framed again by tonic's codec: request messages are read up to
///   [`max_decoding_message_size`](Self::max_decoding_message_size) (4 MiB by
///   default, as in tonic), and a longer one ends the call with tonic's status for it
///   (OUT_OF_RANGE); response messages framed again are limited by
///   [`max_encoding_message_size`](Self::max_encoding_message_size).
/// - Compressed messages are decompressed with the request's (or the response's)
///   `grpc-encoding` (the crate's `gzip`, `zstd` and `deflate` features) and compressed
///   again with it: the service's own `accept_compressed` and `send_compressed` apply.
/// - Requests that are not gRPC (`content-type` not `application/grpc*`) go to the
///   service untouched, without the interceptors.
/// - A method that no service of the server has: the layer cannot know it, so the
///   interceptors run, and `method.call` returns the router's UNIMPLEMENTED. A path that
///   is no method name (`/not-a-method`) is answered UNIMPLEMENTED without them.
///
/// # With `#[intercepted]`
///
/// The layer is outside every service: on a service whose impl has `#[intercepted(a, b)]`
/// behind `InterceptorLayer::new((x, y))`, a call runs `x`, `y`, then `a`, `b`, then the
/// handler. The layer's interceptors see the messages encoded, the impl's see them typed.
/// Trailers that the impl's interceptors set on a successful unary call reach the client
/// in the real trailers frame too, as behind [`TrailersLayer`](crate::server::TrailersLayer).
///
/// # With `tonic-web`
///
/// Put `tonic_web::GrpcWebLayer` outside the interceptor layer, that is *before* it in
/// `Server::builder().layer(..)` (or in a `ServiceBuilder`): the interceptors then see the
/// gRPC call that `GrpcWebLayer` made of the grpc-web request, and their trailers reach the
/// grpc-web client in its trailers frame.
///
/// ```ignore
/// Server::builder()
///     .accept_http1(true)
///     .layer(tonic_web::GrpcWebLayer::new()) // outside
///     .layer(grpc_interceptor::server::InterceptorLayer::new(interceptors)) // inside
/// ```
///
/// In the other order the layer would see grpc-web framing, which it does not read; it
/// answers every grpc-web request with INTERNAL and a message that names the fix rather
/// than letting it pass without the interceptors.
pub struct InterceptorLayer<I> {
    shared: Shared<I>,
}

impl<I> InterceptorLayer<I> {
    /// A layer running `interceptors` (a tuple, the first outermost).
    pub fn new(interceptors: I) -> Self {
        Self {
            shared: Shared::new(interceptors),
        }
    }

    /// Limits the size of a request message that the interceptors read: tonic's
    /// `max_decoding_message_size`, 4 MiB by default. A longer message ends the call with
    /// tonic's status for it (OUT_OF_RANGE in tonic 0.14) as soon as its length prefix
    /// arrives, before any of it is buffered.
    ///
    /// A request whose messages no interceptor reads goes on to the service untouched,
    /// and the service's own `max_decoding_message_size` applies to it: give both the same
    /// limit.
    #[must_use]
    pub fn max_decoding_message_size(mut self, limit: usize) -> Self {
        self.shared.limits.decoding = Some(limit);
        self
    }

    /// Limits the size of a response message that is framed again after the interceptors
    /// read it: tonic's `max_encoding_message_size`, no limit by default. A longer message
    /// ends the call with tonic's status for it (OUT_OF_RANGE in tonic 0.14).
    #[must_use]
    pub fn max_encoding_message_size(mut self, limit: usize) -> Self {
        self.shared.limits.encoding = Some(limit);
        self
    }
}

impl<I> Clone for InterceptorLayer<I> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<I> fmt::Debug for InterceptorLayer<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InterceptorLayer")
            .field("limits", &self.shared.limits)
            .finish_non_exhaustive()
    }
}

impl<S, I> tower_layer::Layer<S> for InterceptorLayer<I> {
    type Service = Intercepted<S, I>;

    fn layer(&self, inner: S) -> Intercepted<S, I> {
        Intercepted {
            inner,
            shared: self.shared.clone(),
        }
    }
}

/// A server's service (tonic's router, usually) with interceptors in front of it: what
/// [`InterceptorLayer`] makes.
pub struct Intercepted<S, I> {
    inner: S,
    shared: Shared<I>,
}

impl<S, I> Intercepted<S, I> {
    /// The service behind the interceptors.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S: Clone, I> Clone for Intercepted<S, I> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            shared: self.shared.clone(),
        }
    }
}

impl<S: fmt::Debug, I> fmt::Debug for Intercepted<S, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Intercepted")
            .field("inner", &self.inner)
            .field("limits", &self.shared.limits)
            .finish_non_exhaustive()
    }
}

impl<S, B, I> tower_service::Service<http::Request<tonic::body::Body>> for Intercepted<S, I>
where
    S: tower_service::Service<http::Request<tonic::body::Body>, Response = http::Response<B>>
        + Clone
        + Send
        + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
    I: CallInterceptor + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        let content_type = request.headers().get(http::header::CONTENT_TYPE);
        let state = match content_type {
            Some(value) if value.as_bytes().starts_with(b"application/grpc-web") => State::Ready {
                response: Some(misplaced_grpc_web()),
            },
            Some(value) if is_grpc(value) => {
                // The instance that was polled ready serves this call; the clone serves
                // the next.
                let clone = self.inner.clone();
                let inner = std::mem::replace(&mut self.inner, clone);
                let Shared {
                    interceptors,
                    limits,
                } = self.shared.clone();
                // Allocated first and written into: the future is made in place.
                let future = Box::write(
                    Box::new_uninit(),
                    call::call(interceptors, inner, limits, request),
                );
                State::Intercepted {
                    future: Box::into_pin(future),
                }
            }
            _ => State::PassThrough {
                future: self.inner.call(request),
            },
        };
        ResponseFuture { state }
    }
}

/// The answer to a grpc-web request that reached the layer: `GrpcWebLayer` belongs outside.
fn misplaced_grpc_web() -> http::Response<tonic::body::Body> {
    Status::internal(
        "a grpc-web request reached grpc_interceptor::server::InterceptorLayer: \
         put tonic_web::GrpcWebLayer outside it (before it in Server::builder().layer(..))",
    )
    .into_http()
}

pin_project_lite::pin_project! {
    /// The response future of [`Intercepted`].
    pub struct ResponseFuture<F> {
        #[pin]
        state: State<F>,
    }
}

pin_project_lite::pin_project! {
    #[project = StateProj]
    enum State<F> {
        // A request that is not gRPC, on its way through untouched.
        PassThrough { #[pin] future: F },
        Intercepted { future: BoxFuture },
        Ready { response: Option<http::Response<tonic::body::Body>> },
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<http::Response<B>, E>>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Output = Result<http::Response<tonic::body::Body>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        Poll::Ready(match self.project().state.project() {
            StateProj::PassThrough { future } => {
                Ok(ready!(future.poll(cx))?.map(tonic::body::Body::new))
            }
            StateProj::Intercepted { future } => Ok(ready!(future.as_mut().poll(cx))),
            StateProj::Ready { response } => Ok(response.take().unwrap_or_default()),
        })
    }
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
