//! `server::InterceptorLayer` over real HTTP/2: one layer value in front of a whole server
//! (`tonic-health`, `tonic-reflection` and a plain generated service), what its interceptors
//! see, the trailers and end hooks of its calls, unknown methods, requests that are not gRPC,
//! and its order with `#[intercepted]` and inside a `tower::ServiceBuilder`.

#[path = "server_layer/common.rs"]
mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{
    Call, Ended, Ends, Plain, ReadDummy, Seen, channel, ended, serve, set_trailer, shout, within,
};
use grpc_interceptor::client::intercept;
use grpc_interceptor::prelude::*;
use grpc_interceptor::server::InterceptorLayer;
use grpc_interceptor::testing::proto::dummy_service_client::DummyServiceClient;
use grpc_interceptor::testing::{DummyRequest, DummyResponse, DummyService, SpecialCases};
use grpc_interceptor_tests::{
    TrailerProbe, bidi, client_stream, entries, ok_stream, req, server_stream, unary,
};
use tonic::transport::Server;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

fn call(method: &str, timeout: Option<Duration>) -> Call {
    Call {
        method: method.to_owned(),
        side: Side::Server,
        peer: true,
        timeout,
    }
}

#[tokio::test]
async fn one_layer_sees_every_service_of_the_server() {
    let (seen, ends) = (Seen::default(), Ends::new());
    let (_reporter, health) = tonic_health::server::health_reporter();
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .unwrap();
    let addr = serve!(
        Server::builder()
            .layer(InterceptorLayer::new((
                seen.clone(),
                ends.clone(),
                set_trailer
            )))
            .add_service(health)
            .add_service(reflection)
            .add_service(Plain::server())
    );
    let channel = channel(addr).await;

    let mut health = HealthClient::new(channel.clone());
    let check = health.check(HealthCheckRequest::default()).await.unwrap();
    assert_eq!(check.metadata().get("x-layer").unwrap(), "yes");
    assert_eq!(check.into_inner().status, ServingStatus::Serving as i32);

    let mut reflection = ServerReflectionClient::new(channel.clone());
    let list = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut replies = reflection
        .server_reflection_info(tokio_stream::iter([list]))
        .await
        .unwrap()
        .into_inner();
    let reply = replies.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(services)) = reply.message_response else {
        panic!("not a list of services: {reply:?}");
    };
    let names: Vec<_> = services.service.into_iter().map(|s| s.name).collect();
    assert!(
        names.contains(&"grpc.health.v1.Health".to_owned()),
        "{names:?}"
    );

    let mut dummy = DummyServiceClient::new(channel);
    let mut request = tonic::Request::new(req("hi"));
    request.set_timeout(Duration::from_secs(5));
    assert_eq!(
        dummy.execute(request).await.unwrap().into_inner().output,
        "hi"
    );
    assert_eq!(
        client_stream(&mut dummy, &["a", "b"]).await,
        Ok("ab".into())
    );
    assert_eq!(
        server_stream(&mut dummy, "ab").await,
        ok_stream(&["a", "b"])
    );
    assert_eq!(bidi(&mut dummy, &["x", "y"]).await, ok_stream(&["x", "y"]));

    let calls = entries(&seen.0);
    assert_eq!(
        calls,
        [
            call("/grpc.health.v1.Health/Check", None),
            call(
                "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
                None
            ),
            call("/DummyService/Execute", Some(Duration::from_secs(5))),
            call("/DummyService/ExecuteClientStream", None),
            call("/DummyService/ExecuteServerStream", None),
            call("/DummyService/ExecuteClientServerStream", None),
        ]
    );
    // Every call ended OK, with the trailer; each hook counted its messages.
    let mut ends: Vec<_> = ended(&ends, 6)
        .await
        .into_iter()
        .map(|e| (e.method, e.code, e.requests, e.responses, e.trailer))
        .collect();
    ends.sort_by(|a, b| a.0.cmp(&b.0));
    let end = |method: &str, requests, responses| {
        (method.to_owned(), Code::Ok, requests, responses, true)
    };
    assert_eq!(
        ends,
        [
            end("/DummyService/Execute", 1, 1),
            end("/DummyService/ExecuteClientServerStream", 2, 2),
            end("/DummyService/ExecuteClientStream", 2, 1),
            end("/DummyService/ExecuteServerStream", 1, 2),
            end("/grpc.health.v1.Health/Check", 1, 1),
            end(
                "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
                1,
                1
            ),
        ]
    );
}

#[tokio::test]
async fn interceptors_read_and_change_messages_in_all_four_modes() {
    let read = ReadDummy::default();
    // The reader is outermost: it sees the requests before `shout` changes them, and the
    // responses after.
    let addr = serve!(
        Server::builder()
            .layer(InterceptorLayer::new((read.clone(), shout)))
            .add_service(Plain::server())
    );
    let mut client = DummyServiceClient::new(channel(addr).await);

    assert_eq!(unary(&mut client, "hi").await, Ok("HI.".into()));
    assert_eq!(
        client_stream(&mut client, &["a", "b"]).await,
        Ok("AB.".into())
    );
    assert_eq!(
        server_stream(&mut client, "xy").await,
        ok_stream(&["X.", "Y."])
    );
    assert_eq!(
        bidi(&mut client, &["p", "q"]).await,
        ok_stream(&["P.", "Q."])
    );
    let log = entries(&read.0);
    let expected = [
        "> hi", "< HI.", // unary
        "> a", "> b", "< AB.", // client stream
        "> xy", "< X.", "< Y.", // server stream
    ];
    assert_eq!(log[..expected.len()], expected);
    // A bidirectional stream interleaves as the peers go.
    let mut rest = log[expected.len()..].to_vec();
    rest.sort();
    assert_eq!(rest, ["< P.", "< Q.", "> p", "> q"]);
}

#[tokio::test]
async fn trailers_reach_the_client_after_unary_ok_and_error() {
    let addr = serve!(
        Server::builder()
            .layer(InterceptorLayer::new((set_trailer,)))
            .add_service(Plain::server())
    );
    let probe = TrailerProbe::new("x-layer");
    let mut client = DummyServiceClient::new(intercept(channel(addr).await, (probe.clone(),)));

    let ok = client.execute(req("hi")).await.unwrap();
    assert_eq!(ok.metadata().get("x-layer-header").unwrap(), "yes");
    assert_eq!(ok.metadata().get("x-layer").unwrap(), "yes");
    // In the trailers frame, not in the headers.
    assert_eq!(probe.seen(), [(false, true)]);

    let error = client.execute(req("error")).await.unwrap_err();
    assert_eq!(error.code(), Code::NotFound);
    assert_eq!(error.metadata().get("x-layer").unwrap(), "yes");
    assert_eq!(error.metadata().get("x-layer-header").unwrap(), "yes");

    let mut plain = DummyServiceClient::new(channel(addr).await);
    let (outputs, status) = server_stream(&mut plain, "ab").await.unwrap();
    assert_eq!((outputs.len(), status), (2, None));
}

#[tokio::test]
async fn end_hooks_see_the_status_and_the_counts_once_the_body_is_written() {
    let ends = Ends::new();
    let addr = serve!(
        Server::builder()
            .layer(InterceptorLayer::new((ends.clone(), set_trailer)))
            .add_service(Plain::server())
    );
    let mut client = DummyServiceClient::new(channel(addr).await);

    assert_eq!(unary(&mut client, "hi").await, Ok("hi".into()));
    ended(&ends, 1).await;
    assert_eq!(
        unary(&mut client, "error").await,
        Err((Code::NotFound, "not here".into()))
    );
    ended(&ends, 2).await;
    assert_eq!(
        client_stream(&mut client, &["a", "b", "c"]).await,
        Ok("abc".into())
    );
    ended(&ends, 3).await;
    assert_eq!(
        server_stream(&mut client, "xy").await,
        ok_stream(&["x", "y"])
    );
    ended(&ends, 4).await;

    // A response stream the client drops before its end.
    let mut hanging = client
        .execute_server_stream(req("hang"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(hanging.message().await.unwrap().unwrap().output, "h");
    drop(hanging);
    let ends = ended(&ends, 5).await;

    let end = |method: &str, code, requests, responses, by_peer, trailer| Ended {
        method: format!("/DummyService/{method}"),
        code,
        message: String::new(),
        requests,
        responses,
        by_peer,
        panicked: false,
        trailer,
    };
    let mut error = end("Execute", Code::NotFound, 1, 0, false, true);
    error.message = "not here".into();
    let mut cancelled = end("ExecuteServerStream", Code::Cancelled, 1, 1, true, false);
    cancelled.message = ends[4].message.clone();
    assert_eq!(
        ends,
        [
            end("Execute", Code::Ok, 1, 1, false, true),
            error,
            end("ExecuteClientStream", Code::Ok, 3, 1, false, true),
            end("ExecuteServerStream", Code::Ok, 1, 2, false, true),
            cancelled,
        ]
    );
}

/// Records the code each call's `method.call` answered with.
#[derive(Clone, Default)]
struct Answers(grpc_interceptor_tests::Log<Code>);

impl CallInterceptor for Answers {
    async fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _: &MethodName,
    ) -> Result<Response<N::RespPayload>, Status> {
        let result = method.call(request, context).await;
        let code = result.as_ref().map_or_else(Status::code, |_| Code::Ok);
        self.0.lock().unwrap().push(code);
        result
    }
}

#[tokio::test]
async fn a_method_no_service_has_runs_the_interceptors_and_gets_unimplemented() {
    let (seen, answers) = (Seen::default(), Answers::default());
    let addr = serve!(
        Server::builder()
            .layer(InterceptorLayer::new((seen.clone(), answers.clone())))
            .add_service(Plain::server())
    );
    let mut grpc = tonic::client::Grpc::new(channel(addr).await);
    grpc.ready().await.unwrap();
    let path = http::uri::PathAndQuery::from_static("/DummyService/Nope");
    let codec = tonic_prost::ProstCodec::<DummyRequest, DummyResponse>::default();
    let status = grpc
        .unary(tonic::Request::new(req("hi")), path, codec)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unimplemented);
    assert_eq!(entries(&seen.0), [call("/DummyService/Nope", None)]);
    assert_eq!(entries(&answers.0), [Code::Unimplemented]);
}

/// Writes `>name` into a trace as the call goes in, `<name` as it comes back.
#[derive(Clone)]
struct Trace(&'static str, Arc<Mutex<Vec<String>>>);

impl CallInterceptor for Trace {
    async fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _: &MethodName,
    ) -> Result<Response<N::RespPayload>, Status> {
        self.1.lock().unwrap().push(format!(">{}", self.0));
        let result = method.call(request, context).await;
        self.1.lock().unwrap().push(format!("<{}", self.0));
        result
    }
}

#[tokio::test]
async fn the_layer_runs_outside_the_list_of_an_intercepted_impl() {
    let trace = Arc::new(Mutex::new(Vec::new()));
    let layer = InterceptorLayer::new((
        Trace("layer 1", Arc::clone(&trace)),
        Trace("layer 2", Arc::clone(&trace)),
    ));
    let service = DummyService::new(
        SpecialCases::new(),
        (Trace("impl", Arc::clone(&trace)), set_trailer),
    );
    let addr = serve!(
        Server::builder()
            .layer(layer)
            .add_service(service.into_server())
    );
    let probe = TrailerProbe::new("x-layer");
    let mut client = DummyServiceClient::new(intercept(channel(addr).await, (probe.clone(),)));

    assert_eq!(unary(&mut client, "hi").await, Ok("hi".into()));
    assert_eq!(
        *trace.lock().unwrap(),
        [
            ">layer 1", ">layer 2", ">impl", "<impl", "<layer 2", "<layer 1"
        ]
    );
    // The impl's trailers after a successful unary call: in the trailers frame, as behind
    // `TrailersLayer`.
    assert_eq!(probe.seen(), [(false, true)]);
}

#[tokio::test]
async fn the_layer_works_inside_a_service_builder() {
    let seen = Seen::default();
    let stack = tower::ServiceBuilder::new()
        .layer(InterceptorLayer::new((seen.clone(),)).max_decoding_message_size(1 << 20))
        .layer(InterceptorLayer::new((shout,)))
        .into_inner();
    let addr = serve!(Server::builder().layer(stack).add_service(Plain::server()));
    let mut client = DummyServiceClient::new(channel(addr).await);
    assert_eq!(unary(&mut client, "hi").await, Ok("HI.".into()));
    assert_eq!(entries(&seen.0), [call("/DummyService/Execute", None)]);
}

/// A service that answers every request with its own body, and says how it was called.
#[derive(Clone, Default)]
struct Echo(Arc<Mutex<Vec<String>>>);

impl tower::Service<http::Request<tonic::body::Body>> for Echo {
    type Response = http::Response<tonic::body::Body>;
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Self::Response, Self::Error>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        self.0.lock().unwrap().push(request.uri().path().to_owned());
        let mut response = http::Response::new(request.into_body());
        response
            .headers_mut()
            .insert("x-echo", "yes".parse().unwrap());
        std::future::ready(Ok(response))
    }
}

#[tokio::test]
async fn requests_that_are_not_grpc_pass_through_untouched() {
    use http_body_util::BodyExt;
    use tower::{Layer, Service, ServiceExt};

    let seen = Seen::default();
    let echo = Echo::default();
    let mut service = InterceptorLayer::new((seen.clone(),)).layer(echo.clone());
    let mut request = http::Request::new(tonic::body::Body::new(http_body_util::Full::new(
        tonic::codegen::Bytes::from_static(b"plain text"),
    )));
    *request.uri_mut() = "/health/live".parse().unwrap();
    request
        .headers_mut()
        .insert(http::header::CONTENT_TYPE, "text/plain".parse().unwrap());
    let response = within(async {
        let ready = service.ready().await.unwrap();
        ready.call(request).await.unwrap()
    })
    .await;
    assert_eq!(response.headers()["x-echo"], "yes");
    assert_eq!(response.headers().get("grpc-status"), None);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"plain text");
    assert_eq!(*echo.0.lock().unwrap(), ["/health/live"]);
    assert!(entries(&seen.0).is_empty());
}
