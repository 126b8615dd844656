//! Headers and trailers set on the context that a peer would refuse end the call with a
//! status that says so, in every mode, on `#[intercepted]` and on the server layer.

use grpc_interceptor::prelude::*;
use grpc_interceptor::testing::{SpecialCases, dummy_client};
use grpc_interceptor_tests::{req, requests};
use tokio_stream::StreamExt;

#[interceptor]
fn huge_trailer(
    method: Next<'_>,
    request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Reply {
    let value = "x".repeat(20_000);
    context.with_trailers(|t| t.insert("x-huge", value.parse().expect("ASCII")));
    method.call(request, context)
}

#[interceptor]
fn small_trailer(
    method: Next<'_>,
    request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Reply {
    let value = "y".repeat(8_000);
    context.with_trailers(|t| t.insert("x-fits", value.parse().expect("ASCII")));
    method.call(request, context)
}

fn assert_oversized(status: &Status) {
    assert_eq!(status.code(), Code::Internal, "{status:?}");
    assert!(status.message().contains("16384"), "{status:?}");
    assert!(status.metadata().get("x-huge").is_none());
}

#[tokio::test]
async fn a_trailer_over_the_header_list_limit_ends_every_mode_with_internal() {
    let mut client = dummy_client(SpecialCases::new(), (huge_trailer,))
        .await
        .unwrap();
    assert_oversized(&client.execute(req("a")).await.unwrap_err());
    assert_oversized(
        &client
            .execute_client_stream(requests(&["a", "b"]))
            .await
            .unwrap_err(),
    );
    let mut stream = client
        .execute_server_stream(req("ab"))
        .await
        .unwrap()
        .into_inner();
    let mut last = None;
    while let Some(item) = stream.next().await {
        if let Err(status) = item {
            last = Some(status);
        }
    }
    assert_oversized(&last.expect("the stream ends with the status"));
    let mut stream = client
        .execute_client_server_stream(requests(&["a"]))
        .await
        .unwrap()
        .into_inner();
    let mut last = None;
    while let Some(item) = stream.next().await {
        if let Err(status) = item {
            last = Some(status);
        }
    }
    assert_oversized(&last.expect("the stream ends with the status"));
}

#[tokio::test]
async fn a_trailer_within_the_limit_arrives() {
    let mut client = dummy_client(SpecialCases::new(), (small_trailer,))
        .await
        .unwrap();
    let response = client.execute(req("a")).await.unwrap();
    assert_eq!(
        response.metadata().get("x-fits").map(|v| v.len()),
        Some(8_000)
    );
    assert_eq!(response.into_inner().output, "a");
}

#[tokio::test]
async fn the_server_layer_says_so_too() {
    use grpc_interceptor::testing::DummyService;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .layer(grpc_interceptor::server::InterceptorLayer::new((
                huge_trailer,
            )))
            .add_service(DummyService::new(SpecialCases::new(), ()).into_server())
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client =
        grpc_interceptor::testing::proto::dummy_service_client::DummyServiceClient::new(channel);
    assert_oversized(&client.execute(req("a")).await.unwrap_err());
}
