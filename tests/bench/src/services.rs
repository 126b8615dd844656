//! The services under test: one set of `DummyService` handlers, served plain and behind
//! no-op interceptors of each kind, and the no-op layers to compare with.

use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use grpc_interceptor::testing::proto::dummy_service_server::{DummyService, DummyServiceServer};
use grpc_interceptor::testing::{DummyRequest, DummyResponse};
use grpc_interceptor::{
    Context, MethodName, Next, PayloadExt, Reply, Request, Response, intercepted, interceptor,
};
use std::hint::black_box;

use tokio_stream::{Stream, StreamExt};
use tonic::Status;
use tonic::codegen::http;

use crate::STREAM_LEN;

macro_rules! noop_interceptors {
    ($($name:ident)*) => {$(
        /// A no-op interceptor, plain-`fn` form: hands the call on.
        #[interceptor]
        pub fn $name(method: Next<'_>, request: Request, context: &mut Context, _: &MethodName) -> Reply {
            method.call(request, context)
        }
    )*};
}

macro_rules! noop_async_interceptors {
    ($($name:ident)*) => {$(
        /// A no-op interceptor, `async fn` form: awaits the rest of the call.
        #[interceptor]
        pub async fn $name(
            method: Next<'_>,
            request: Request,
            context: &mut Context,
            _: &MethodName,
        ) -> Result<Response, Status> {
            method.call(request, context).await
        }
    )*};
}

noop_interceptors!(noop_a noop_b noop_c noop_d noop_e);
noop_async_interceptors!(async_a async_b async_c async_d async_e);

/// `n` clones of one item, as a stream that is always ready.
#[derive(Clone, Debug)]
pub struct Repeat<T> {
    left: usize,
    item: T,
}

impl<T> Repeat<T> {
    /// `n` clones of `item`.
    pub fn new(n: usize, item: T) -> Self {
        Self { left: n, item }
    }
}

impl<T: Clone + Unpin> Stream for Repeat<T> {
    type Item = T;

    // Inlined wherever it is polled: the stream rows measure the layers around it, and an
    // out-of-line call here would come and go with how many callers LLVM sees.
    #[inline(always)]
    fn poll_next(mut self: Pin<&mut Self>, _cx: &mut TaskContext<'_>) -> Poll<Option<T>> {
        Poll::Ready(match self.left {
            0 => None,
            _ => {
                self.left -= 1;
                Some(self.item.clone())
            }
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

/// The server stream the handlers return: empty responses.
pub type Responses = Repeat<Result<DummyResponse, Status>>;

/// The bidirectional stream type (not benchmarked).
pub type BidiResponses = Pin<Box<dyn Stream<Item = Result<DummyResponse, Status>> + Send>>;

/// One set of handlers for every variant:
///
/// - `Execute` echoes the input;
/// - `ExecuteClientStream` reads every request and answers with the last input;
/// - `ExecuteServerStream` answers the input `"N"` with N empty responses;
/// - `ExecuteClientServerStream` answers each request with its input.
macro_rules! bench_service {
    (
        $(#[doc = $doc:literal])* $name:ident
        $(, #[$attr:meta] $(, #[$method_attr:meta])?)?
    ) => {
        $(#[doc = $doc])*
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $name;

        $(#[$attr])?
        #[tonic::async_trait]
        impl DummyService for $name {
            $($(#[$method_attr])?)?
            async fn execute(
                &self,
                request: tonic::Request<DummyRequest>,
            ) -> Result<tonic::Response<DummyResponse>, Status> {
                let output = request.into_inner().input;
                Ok(tonic::Response::new(DummyResponse { output }))
            }

            $($(#[$method_attr])?)?
            async fn execute_client_stream(
                &self,
                request: tonic::Request<tonic::Streaming<DummyRequest>>,
            ) -> Result<tonic::Response<DummyResponse>, Status> {
                let mut stream = request.into_inner();
                let mut output = String::new();
                while let Some(message) = stream.message().await? {
                    output = message.input;
                }
                Ok(tonic::Response::new(DummyResponse { output }))
            }

            type ExecuteServerStreamStream = Responses;

            $($(#[$method_attr])?)?
            async fn execute_server_stream(
                &self,
                request: tonic::Request<DummyRequest>,
            ) -> Result<tonic::Response<Self::ExecuteServerStreamStream>, Status> {
                let n = request
                    .get_ref()
                    .input
                    .parse()
                    .map_err(|_| Status::invalid_argument("the input is a count"))?;
                Ok(tonic::Response::new(Repeat::new(n, Ok(DummyResponse::default()))))
            }

            type ExecuteClientServerStreamStream = BidiResponses;

            $($(#[$method_attr])?)?
            async fn execute_client_server_stream(
                &self,
                request: tonic::Request<tonic::Streaming<DummyRequest>>,
            ) -> Result<tonic::Response<Self::ExecuteClientServerStreamStream>, Status> {
                let replies = request
                    .into_inner()
                    .map(|r| r.map(|r| DummyResponse { output: r.input }));
                Ok(tonic::Response::new(Box::pin(replies)))
            }
        }
    };
}

bench_service!(
    /// Plain tonic: the handlers, with no interceptor.
    Plain
);
bench_service!(
    /// `#[intercepted]` with every method skipped (`#[intercepted(skip)]`): the fixed cost
    /// of the chain machinery, with no interceptor.
    Intercepted0,
    #[intercepted(noop_a)],
    #[intercepted(skip)]
);
bench_service!(
    /// `#[intercepted]` with one no-op `fn` interceptor.
    Intercepted1,
    #[intercepted(noop_a)]
);
bench_service!(
    /// `#[intercepted]` with five no-op `fn` interceptors.
    Intercepted5,
    #[intercepted(noop_a, noop_b, noop_c, noop_d, noop_e)]
);
bench_service!(
    /// `#[intercepted]` with five no-op `async fn` interceptors.
    Intercepted5Async,
    #[intercepted(async_a, async_b, async_c, async_d, async_e)]
);

/// The input of a server-streaming call that asks for [`STREAM_LEN`] messages.
pub fn stream_len_input() -> String {
    STREAM_LEN.to_string()
}

/// tonic's own `Interceptor`, doing nothing: for `DummyServiceServer::with_interceptor`.
pub fn tonic_noop(request: tonic::Request<()>) -> Result<tonic::Request<()>, Status> {
    Ok(request)
}

/// The plain server, as a tower service.
pub fn plain_server() -> DummyServiceServer<Plain> {
    DummyServiceServer::new(Plain)
}

/// A no-op tower layer: its service hands every request on.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoopLayer;

impl<S> tower_layer::Layer<S> for NoopLayer {
    type Service = NoopService<S>;

    fn layer(&self, inner: S) -> NoopService<S> {
        NoopService(inner)
    }
}

/// The service of [`NoopLayer`].
#[derive(Clone, Debug)]
pub struct NoopService<S>(S);

impl<S: tower_service::Service<R>, R> tower_service::Service<R> for NoopService<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> S::Future {
        self.0.call(request)
    }
}

/// Reads every message of a call on the wire (decodes it, re-encodes nothing): what a
/// logging interceptor in `server::InterceptorLayer` costs.
#[interceptor]
pub async fn read_all(
    method: Next<'_>,
    mut request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Result<Response, Status> {
    request.inspect_messages(|m: &DummyRequest| {
        black_box(m);
        Ok(())
    })?;
    let mut response = method.call(request, context).await?;
    response.inspect_messages(|m: &DummyResponse| {
        black_box(m);
        Ok(())
    })?;
    Ok(response)
}

/// A no-op tonic-middleware `Middleware`: hands the request to the service.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoopMiddleware;

#[tonic::async_trait]
impl<S> tonic_middleware::Middleware<S> for NoopMiddleware
where
    S: tonic_middleware::ServiceBound,
    S::Future: Send,
{
    async fn call(
        &self,
        request: http::Request<tonic::body::Body>,
        mut service: S,
    ) -> Result<http::Response<tonic::body::Body>, S::Error> {
        service.call(request).await
    }
}

/// A service that takes tonic's own body type, called with any body: what a server behind
/// tonic-middleware gets from the transport.
#[derive(Clone, Debug)]
pub struct TonicBody<S>(pub S);

impl<S, B> tower_service::Service<http::Request<B>> for TonicBody<S>
where
    S: tower_service::Service<http::Request<tonic::body::Body>>,
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<tonic::codegen::StdError>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> S::Future {
        self.0.call(request.map(tonic::body::Body::new))
    }
}
