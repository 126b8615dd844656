//! `server::InterceptorLayer` on the wire: compressed messages, the size limit, panics of
//! a plain service (with and without `ExceptionToStatus`), and grpc-web over HTTP/1.1 through
//! `tonic_web::GrpcWebLayer`.

#[path = "server_layer/common.rs"]
mod common;

use common::{Ended, Ends, Plain, ReadDummy, Seen, channel, ended, serve, set_trailer, shout};
use grpc_interceptor::prelude::*;
use grpc_interceptor::server::InterceptorLayer;
use grpc_interceptor::testing::DummyResponse;
use grpc_interceptor::testing::proto::dummy_service_client::DummyServiceClient;
use grpc_interceptor::{ExceptionToStatus, testing::DummyRequest};
use grpc_interceptor_tests::{bidi, client_stream, entries, ok_stream, req, server_stream, unary};
use prost::Message;
use tonic::codec::CompressionEncoding::Gzip;
use tonic::codegen::Bytes;
use tonic::transport::Server;

#[tokio::test]
async fn interceptors_read_and_change_gzip_messages_in_all_four_modes() {
    let read = ReadDummy::default();
    let service = Plain::server()
        .accept_compressed(Gzip)
        .send_compressed(Gzip);
    let addr = serve!(
        Server::builder()
            .layer(InterceptorLayer::new((read.clone(), shout)))
            .add_service(service)
    );
    let mut client = DummyServiceClient::new(channel(addr).await)
        .send_compressed(Gzip)
        .accept_compressed(Gzip);

    let response = client.execute(req("hi")).await.unwrap();
    assert_eq!(response.metadata().get("grpc-encoding").unwrap(), "gzip");
    assert_eq!(response.into_inner().output, "HI.");
    assert_eq!(
        client_stream(&mut client, &["a", "b"]).await,
        Ok("AB.".into())
    );
    assert_eq!(
        server_stream(&mut client, "xy").await,
        ok_stream(&["X.", "Y."])
    );
    assert_eq!(bidi(&mut client, &["p"]).await, ok_stream(&["P."]));
    assert_eq!(
        entries(&read.0),
        [
            "> hi", "< HI.", "> a", "> b", "< AB.", "> xy", "< X.", "< Y.", "> p", "< P."
        ]
    );
}

#[tokio::test]
async fn a_request_message_over_the_limit_ends_with_tonics_status() {
    const LIMIT: usize = 1024;
    let big = "x".repeat(2 * LIMIT);
    // tonic alone, with the same limit.
    let tonic_addr =
        serve!(Server::builder().add_service(Plain::server().max_decoding_message_size(LIMIT)));
    let mut tonic_client = DummyServiceClient::new(channel(tonic_addr).await);
    let expected = unary(&mut tonic_client, &big).await.unwrap_err();
    assert_eq!(expected.0, Code::OutOfRange);

    let read = ReadDummy::default();
    let addr = serve!(
        Server::builder()
            .layer(InterceptorLayer::new((read.clone(),)).max_decoding_message_size(LIMIT))
            .add_service(Plain::server())
    );
    let mut client = DummyServiceClient::new(channel(addr).await);
    assert_eq!(unary(&mut client, &big).await, Err(expected.clone()));
    assert_eq!(
        client_stream(&mut client, &["a", &big]).await,
        Err(expected)
    );
    // Messages within the limit go on.
    assert_eq!(unary(&mut client, "small").await, Ok("small".into()));
    assert_eq!(entries(&read.0), ["> a", "> small", "< small"]);
}

#[tokio::test]
async fn a_response_message_over_the_encoding_limit_ends_with_tonics_status() {
    const LIMIT: usize = 64;
    let big = "x".repeat(4 * LIMIT);
    let tonic_addr =
        serve!(Server::builder().add_service(Plain::server().max_encoding_message_size(LIMIT)));
    let mut tonic_client = DummyServiceClient::new(channel(tonic_addr).await);
    let expected = unary(&mut tonic_client, &big).await.unwrap_err();
    assert_eq!(expected.0, Code::OutOfRange);

    // The reader makes the layer frame the response again, within its limit.
    let addr = serve!(
        Server::builder()
            .layer(InterceptorLayer::new((ReadDummy::default(),)).max_encoding_message_size(LIMIT))
            .add_service(Plain::server())
    );
    let mut client = DummyServiceClient::new(channel(addr).await);
    assert_eq!(unary(&mut client, &big).await, Err(expected));
    assert_eq!(unary(&mut client, "small").await, Ok("small".into()));
}

#[tokio::test]
async fn exception_to_status_in_the_layer_answers_for_a_plain_service_that_panics() {
    let errors = ExceptionToStatus::new()
        .status_on_unknown_exception(Code::Internal)
        .unwrap();
    // Alone, its end hook lets the response body go on as it came; with the end hooks
    // of a call (which count the messages), the body is split.
    let alone = serve!(
        Server::builder()
            .layer(InterceptorLayer::new((errors.clone(),)))
            .add_service(Plain::server())
    );
    let ends = Ends::new();
    let counted = serve!(
        Server::builder()
            .layer(InterceptorLayer::new((ends.clone(), errors)))
            .add_service(Plain::server())
    );
    for addr in [alone, counted] {
        let mut client = DummyServiceClient::new(channel(addr).await);
        let handler = (Code::Internal, "panicked: the handler panicked".to_owned());
        assert_eq!(unary(&mut client, "panic").await, Err(handler));
        let stream = (Code::Internal, "panicked: the stream panicked".to_owned());
        assert_eq!(
            server_stream(&mut client, "ab!c").await,
            Ok((vec!["a".into(), "b".into()], Some(stream)))
        );
        let error = (Code::NotFound, "not here".to_owned());
        assert_eq!(unary(&mut client, "error").await, Err(error));
        assert_eq!(
            server_stream(&mut client, "ok").await,
            ok_stream(&["o", "k"])
        );
        assert_eq!(unary(&mut client, "still up").await, Ok("still up".into()));
    }
    let ends = ended(&ends, 5).await;
    // `ExceptionToStatus` answered for the panics inside the hooks' interceptor: for the
    // hooks, the calls ended with its status (as on `#[intercepted]` services).
    let codes: Vec<_> = ends
        .iter()
        .map(|e| (e.code, e.responses, e.panicked))
        .collect();
    assert_eq!(
        codes,
        [
            (Code::Internal, 0, false),
            (Code::Internal, 2, false),
            (Code::NotFound, 0, false),
            (Code::Ok, 2, false),
            (Code::Ok, 1, false),
        ]
    );
}

#[tokio::test]
async fn without_exception_to_status_a_panic_is_unknown_not_a_reset() {
    // A body that goes on as it came (nothing reads it), and split ones (counted for the
    // end hooks, read by an interceptor).
    let passing = serve!(
        Server::builder()
            .layer(InterceptorLayer::new((Seen::default(),)))
            .add_service(Plain::server())
    );
    let ends = Ends::new();
    let counted = serve!(
        Server::builder()
            .layer(InterceptorLayer::new((ends.clone(), Seen::default())))
            .add_service(Plain::server())
    );
    let reading = serve!(
        Server::builder()
            .layer(InterceptorLayer::new((ReadDummy::default(),)))
            .add_service(Plain::server())
    );
    for addr in [passing, counted, reading] {
        let mut client = DummyServiceClient::new(channel(addr).await);
        let handler = (Code::Unknown, "panicked: the handler panicked".to_owned());
        assert_eq!(unary(&mut client, "panic").await, Err(handler));
        let stream = (Code::Unknown, "panicked: the stream panicked".to_owned());
        assert_eq!(
            server_stream(&mut client, "ab!c").await,
            Ok((vec!["a".into(), "b".into()], Some(stream)))
        );
        assert_eq!(unary(&mut client, "still up").await, Ok("still up".into()));
    }
    let ends = ended(&ends, 3).await;
    let end = |method: &str, code, message: &str, responses, panicked| Ended {
        method: format!("/DummyService/{method}"),
        code,
        message: message.to_owned(),
        requests: 1,
        responses,
        by_peer: false,
        panicked,
        trailer: false,
    };
    assert_eq!(
        ends,
        [
            end(
                "Execute",
                Code::Unknown,
                "panicked: the handler panicked",
                0,
                true
            ),
            end(
                "ExecuteServerStream",
                Code::Unknown,
                "panicked: the stream panicked",
                2,
                true
            ),
            end("Execute", Code::Ok, "", 1, false),
        ]
    );
}

/// One grpc-web unary call over HTTP/1.1: the response's headers, messages and trailers.
async fn grpc_web_call(
    addr: std::net::SocketAddr,
    path: &str,
    request: DummyRequest,
) -> (http::HeaderMap, Vec<DummyResponse>, http::HeaderMap) {
    use http_body_util::BodyExt;

    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let io = hyper_util::rt::TokioIo::new(stream);
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io).await.unwrap();
    tokio::spawn(connection);
    let mut frame = vec![0];
    frame.extend_from_slice(&u32::try_from(request.encoded_len()).unwrap().to_be_bytes());
    request.encode(&mut frame).unwrap();
    let request = http::Request::post(path)
        .header(http::header::HOST, addr.to_string())
        .header(http::header::CONTENT_TYPE, "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .body(http_body_util::Full::new(Bytes::from(frame)))
        .unwrap();
    let response = common::within(sender.send_request(request)).await.unwrap();
    assert_eq!(response.version(), http::Version::HTTP_11);
    let (parts, body) = response.into_parts();
    let mut body = body.collect().await.unwrap().to_bytes();
    let (mut messages, mut trailers) = (Vec::new(), http::HeaderMap::new());
    while body.len() >= 5 {
        let flag = body[0];
        let len = u32::from_be_bytes([body[1], body[2], body[3], body[4]]) as usize;
        let payload = body.slice(5..5 + len);
        body = body.slice(5 + len..);
        if flag & 0x80 == 0 {
            messages.push(DummyResponse::decode(payload).unwrap());
            continue;
        }
        for line in std::str::from_utf8(&payload).unwrap().split("\r\n") {
            if let Some((name, value)) = line.split_once(':') {
                let name = http::HeaderName::from_bytes(name.trim().as_bytes()).unwrap();
                trailers.append(name, value.trim().parse().unwrap());
            }
        }
    }
    (parts.headers, messages, trailers)
}

#[tokio::test]
async fn grpc_web_goes_through_the_layer_inside_grpc_web_layer() {
    let seen = Seen::default();
    let addr = serve!(
        Server::builder()
            .accept_http1(true)
            .layer(tonic_web::GrpcWebLayer::new())
            .layer(InterceptorLayer::new((seen.clone(), set_trailer, shout)))
            .add_service(Plain::server())
    );
    let (headers, messages, trailers) =
        grpc_web_call(addr, "/DummyService/Execute", req("hi")).await;
    assert_eq!(headers["content-type"], "application/grpc-web+proto");
    assert_eq!(headers["x-layer-header"], "yes");
    assert_eq!(
        messages,
        [DummyResponse {
            output: "HI.".into()
        }]
    );
    assert_eq!(trailers["grpc-status"], "0");
    assert_eq!(trailers["x-layer"], "yes");
    let calls = entries(&seen.0);
    assert_eq!(calls.len(), 1);
    assert_eq!(
        (&*calls[0].method, calls[0].side),
        ("/DummyService/Execute", Side::Server)
    );
}

#[tokio::test]
async fn grpc_web_that_reaches_the_layer_first_is_refused_with_the_fix() {
    let seen = Seen::default();
    let addr = serve!(
        Server::builder()
            .accept_http1(true)
            .layer(InterceptorLayer::new((seen.clone(), set_trailer)))
            .layer(tonic_web::GrpcWebLayer::new())
            .add_service(Plain::server())
    );
    let (headers, messages, _) = grpc_web_call(addr, "/DummyService/Execute", req("hi")).await;
    assert!(messages.is_empty());
    let status = Status::from_header_map(&headers).unwrap();
    assert_eq!(status.code(), Code::Internal);
    assert!(
        status
            .message()
            .contains("put tonic_web::GrpcWebLayer outside it"),
        "{}",
        status.message()
    );
    assert!(entries(&seen.0).is_empty());
}
