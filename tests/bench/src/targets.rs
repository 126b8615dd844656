//! The variants under test, each as a [`Target`] that makes one in-process call.

use std::fmt;
use std::pin::Pin;

use bytes::Bytes;
use grpc_interceptor::ExceptionToStatus;
use grpc_interceptor::client::{Intercepted, intercept};
use grpc_interceptor::server;
use grpc_interceptor::testing::proto::dummy_service_client::DummyServiceClient;
use grpc_interceptor::testing::proto::dummy_service_server::DummyServiceServer;
use grpc_interceptor::testing::{DummyRequest, DummyResponse};
use tonic::client::GrpcService;
use tonic::codegen::http::{self, HeaderValue, Method, Uri, header};
use tonic::service::interceptor::InterceptedService;
use tonic_middleware::MiddlewareFor;
use tower_layer::Layer;
use tower_service::Service;

use crate::STREAM_LEN;
use crate::exec::{OnceBody, Received, block_on, drain, frames};
use crate::services::{
    Intercepted0, Intercepted1, Intercepted5, Intercepted5Async, NoopLayer, NoopMiddleware, Plain,
    Repeat, TonicBody, noop_a, noop_b, noop_c, noop_d, noop_e, plain_server, read_all,
    stream_len_input, tonic_noop,
};

/// The kind of call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// One request, one response.
    Unary,
    /// One request, [`STREAM_LEN`] responses.
    ServerStream,
    /// [`STREAM_LEN`] requests, one response.
    ClientStream,
}

impl Mode {
    /// Every mode.
    pub const ALL: [Mode; 3] = [Mode::Unary, Mode::ServerStream, Mode::ClientStream];

    /// The mode's name on command lines and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Unary => "unary",
            Mode::ServerStream => "server_stream",
            Mode::ClientStream => "client_stream",
        }
    }

    /// The mode named `name`.
    pub fn from_name(name: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Messages per call that the per-message figures divide by (1 for unary).
    pub fn messages(self) -> usize {
        match self {
            Mode::Unary => 1,
            Mode::ServerStream | Mode::ClientStream => STREAM_LEN,
        }
    }

    /// What a successful call of this mode receives.
    pub fn expected(self) -> Received {
        Received {
            messages: match self {
                Mode::ServerStream => STREAM_LEN,
                Mode::Unary | Mode::ClientStream => 1,
            },
            status: Some(0),
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A variant: its name, what it is compared with, and how many layers it adds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Variant {
    /// The name on command lines and in reports.
    pub name: &'static str,
    /// The variant it is compared with: plain tonic, on the same side.
    pub baseline: &'static str,
    /// The layers it adds to the baseline (0 for a baseline).
    pub layers: u32,
    /// What it is.
    pub about: &'static str,
}

const fn variant(
    name: &'static str,
    baseline: &'static str,
    layers: u32,
    about: &'static str,
) -> Variant {
    Variant {
        name,
        baseline,
        layers,
        about,
    }
}

/// Every variant, in report order.
pub const VARIANTS: [Variant; 16] = [
    variant("plain", "plain", 0, "plain tonic server"),
    variant(
        "tonic_interceptor",
        "plain",
        1,
        "DummyServiceServer::with_interceptor(no-op fn)",
    ),
    variant(
        "tower_layer",
        "plain",
        1,
        "a no-op tower layer around the server",
    ),
    variant(
        "plain_body",
        "plain_body",
        0,
        "plain tonic server called with tonic's Body (the baseline of tonic_middleware)",
    ),
    variant(
        "tonic_middleware",
        "plain_body",
        1,
        "tonic-middleware 0.4: MiddlewareFor(server, no-op Middleware)",
    ),
    variant(
        "intercepted_0",
        "plain",
        0,
        "#[intercepted()]: the chain machinery alone",
    ),
    variant(
        "intercepted_1",
        "plain",
        1,
        "#[intercepted] with 1 no-op fn interceptor",
    ),
    variant(
        "intercepted_5",
        "plain",
        5,
        "#[intercepted] with 5 no-op fn interceptors",
    ),
    variant(
        "intercepted_5_async",
        "plain",
        5,
        "#[intercepted] with 5 no-op async fn interceptors",
    ),
    variant(
        "server_layer",
        "plain",
        1,
        "server::InterceptorLayer, 1 no-op interceptor: bodies pass through",
    ),
    variant(
        "server_layer_read",
        "plain",
        1,
        "server::InterceptorLayer, 1 interceptor reading every message",
    ),
    variant(
        "server_layer_errors",
        "plain",
        1,
        "server::InterceptorLayer with ExceptionToStatus",
    ),
    variant(
        "client_plain",
        "client_plain",
        0,
        "generated client over the plain server",
    ),
    variant(
        "client_tonic_interceptor",
        "client_plain",
        1,
        "generated client with tonic's InterceptedService (no-op fn) over the plain server",
    ),
    variant(
        "client_1",
        "client_plain",
        1,
        "client::intercept with 1 no-op interceptor",
    ),
    variant(
        "client_5",
        "client_plain",
        5,
        "client::intercept with 5 no-op interceptors",
    ),
];

/// The variant named `name`.
pub fn find_variant(name: &str) -> Option<Variant> {
    VARIANTS.into_iter().find(|v| v.name == name)
}

/// Something that makes one in-process call of each mode.
pub trait Target {
    /// Makes one call.
    fn call(&mut self, mode: Mode) -> Received;
}

/// Runs `f` with the target of the variant named `name`; `None` for an unknown name.
pub fn with_target<R>(name: &str, f: impl FnOnce(&mut dyn Target) -> R) -> Option<R> {
    fn run<R>(mut target: impl Target, f: impl FnOnce(&mut dyn Target) -> R) -> R {
        f(&mut target)
    }
    Some(match name {
        "plain" => run(ServerTarget::new(plain_server()), f),
        "tonic_interceptor" => run(
            ServerTarget::new(DummyServiceServer::with_interceptor(Plain, tonic_noop)),
            f,
        ),
        "tower_layer" => run(ServerTarget::new(NoopLayer.layer(plain_server())), f),
        "plain_body" => run(ServerTarget::new(TonicBody(plain_server())), f),
        "tonic_middleware" => run(
            ServerTarget::new(TonicBody(MiddlewareFor::new(
                plain_server(),
                NoopMiddleware,
            ))),
            f,
        ),
        "intercepted_0" => run(ServerTarget::new(DummyServiceServer::new(Intercepted0)), f),
        "intercepted_1" => run(ServerTarget::new(DummyServiceServer::new(Intercepted1)), f),
        "intercepted_5" => run(ServerTarget::new(DummyServiceServer::new(Intercepted5)), f),
        "intercepted_5_async" => run(
            ServerTarget::new(DummyServiceServer::new(Intercepted5Async)),
            f,
        ),
        "server_layer" => run(server_layer((noop_a,)), f),
        "server_layer_read" => run(server_layer((read_all,)), f),
        "server_layer_errors" => run(server_layer((ExceptionToStatus::new(),)), f),
        "client_plain" => run(ClientTarget::new(plain_server()), f),
        "client_tonic_interceptor" => run(
            ClientTarget::new(InterceptedService::new(plain_server(), tonic_noop)),
            f,
        ),
        "client_1" => run(ClientTarget::new(intercept(plain_server(), (noop_a,))), f),
        "client_5" => run(ClientTarget::new(client_5(plain_server())), f),
        _ => return None,
    })
}

type Noops5 = (noop_a, noop_b, noop_c, noop_d, noop_e);

type Layered<I> = TonicBody<server::Intercepted<DummyServiceServer<Plain>, I>>;

fn server_layer<I>(interceptors: I) -> ServerTarget<Layered<I>> {
    let layer = server::InterceptorLayer::new(interceptors);
    ServerTarget::new(TonicBody(layer.layer(plain_server())))
}

fn client_5<S>(service: S) -> Intercepted<S, Noops5> {
    intercept(service, (noop_a(), noop_b(), noop_c(), noop_d(), noop_e()))
}

/// A server called as a tower service, as the transport would call it.
pub struct ServerTarget<S> {
    service: S,
    unary: Bytes,
    server_stream: Bytes,
    client_stream: Bytes,
}

impl<S> ServerTarget<S> {
    /// Calls `service`.
    pub fn new(service: S) -> Self {
        Self {
            service,
            unary: frames([request("ping")]),
            server_stream: frames([request(&stream_len_input())]),
            client_stream: frames((0..STREAM_LEN).map(|_| DummyRequest::default())),
        }
    }
}

fn request(input: &str) -> DummyRequest {
    DummyRequest {
        input: input.to_owned(),
    }
}

fn http_request(path: &'static str, body: &Bytes) -> http::Request<OnceBody> {
    let mut request = http::Request::new(OnceBody::new(body.clone()));
    *request.method_mut() = Method::POST;
    *request.uri_mut() = Uri::from_static(path);
    request.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/grpc"),
    );
    request
}

impl<S, B> Target for ServerTarget<S>
where
    S: Service<http::Request<OnceBody>, Response = http::Response<B>>,
    S::Error: fmt::Debug,
    B: http_body::Body,
    B::Error: fmt::Debug,
{
    fn call(&mut self, mode: Mode) -> Received {
        let request = match mode {
            Mode::Unary => http_request("/DummyService/Execute", &self.unary),
            Mode::ServerStream => {
                http_request("/DummyService/ExecuteServerStream", &self.server_stream)
            }
            Mode::ClientStream => {
                http_request("/DummyService/ExecuteClientStream", &self.client_stream)
            }
        };
        let service = &mut self.service;
        block_on(async move {
            std::future::poll_fn(|cx| service.poll_ready(cx))
                .await
                .expect("the service is ready");
            let response = service.call(request).await.expect("the service answers");
            let (parts, body) = response.into_parts();
            drain(&parts.headers, body).await
        })
    }
}

/// The tonic-generated client over a service in the same process.
pub struct ClientTarget<T> {
    client: DummyServiceClient<T>,
}

impl<T> ClientTarget<T>
where
    T: GrpcService<tonic::body::Body>,
    T::Error: Into<tonic::codegen::StdError>,
    T::ResponseBody: http_body::Body<Data = Bytes> + Send + 'static,
    <T::ResponseBody as http_body::Body>::Error: Into<tonic::codegen::StdError> + Send,
{
    /// A client of `service`.
    pub fn new(service: T) -> Self {
        Self {
            client: DummyServiceClient::new(service),
        }
    }
}

impl<T> Target for ClientTarget<T>
where
    T: GrpcService<tonic::body::Body>,
    T::Error: Into<tonic::codegen::StdError>,
    T::ResponseBody: http_body::Body<Data = Bytes> + Send + 'static,
    <T::ResponseBody as http_body::Body>::Error: Into<tonic::codegen::StdError> + Send,
{
    fn call(&mut self, mode: Mode) -> Received {
        let client = &mut self.client;
        let ok = Some(0);
        block_on(async move {
            match mode {
                Mode::Unary => {
                    let response = client.execute(request("ping")).await.expect("a reply");
                    let ping = response.into_inner().output == "ping";
                    Received {
                        messages: usize::from(ping),
                        status: ok,
                    }
                }
                Mode::ServerStream => {
                    let response = client
                        .execute_server_stream(request(&stream_len_input()))
                        .await
                        .expect("a stream");
                    let mut stream = response.into_inner();
                    let mut messages = 0;
                    while let Some(DummyResponse { .. }) =
                        stream.message().await.expect("a message")
                    {
                        messages += 1;
                    }
                    Received {
                        messages,
                        status: ok,
                    }
                }
                Mode::ClientStream => {
                    let requests = Repeat::new(STREAM_LEN, DummyRequest::default());
                    let response = client
                        .execute_client_stream(requests)
                        .await
                        .expect("a reply");
                    let _ = response.into_inner();
                    Received {
                        messages: 1,
                        status: ok,
                    }
                }
            }
        })
    }
}

/// The size in bytes of the future of one unary call of each `#[intercepted]` variant's
/// handler (what tonic boxes per call), by variant name.
pub fn unary_future_sizes() -> Vec<(&'static str, usize)> {
    use grpc_interceptor::testing::proto::dummy_service_server::DummyService;
    fn size<S: DummyService>(service: &S) -> usize {
        let future = service.execute(tonic::Request::new(request("ping")));
        std::mem::size_of_val(&*future)
    }
    vec![
        ("plain", size(&Plain)),
        ("intercepted_0", size(&Intercepted0)),
        ("intercepted_1", size(&Intercepted1)),
        ("intercepted_5", size(&Intercepted5)),
        ("intercepted_5_async", size(&Intercepted5Async)),
    ]
}

/// The size in bytes of the future that `client::Intercepted` boxes for one call (the same
/// whatever the mode), by variant name.
pub fn client_future_sizes() -> Vec<(&'static str, usize)> {
    fn boxed<S, I, R>(mut service: Intercepted<S, I>) -> usize
    where
        Intercepted<S, I>: Service<http::Request<tonic::body::Body>, Future = Pin<Box<R>>>,
        R: ?Sized,
    {
        let mut request = http::Request::new(tonic::body::Body::empty());
        *request.uri_mut() = Uri::from_static("/dummy.DummyService/Execute");
        let future = service.call(request);
        std::mem::size_of_val(&*future)
    }
    vec![
        ("client_1", boxed(intercept(plain_server(), (noop_a,)))),
        ("client_5", boxed(client_5(plain_server()))),
    ]
}
