//! Client interceptors on calls whose messages are compressed (gzip, zstd) both ways, in
//! all four streaming modes: interceptors read and change the messages, which travel
//! compressed with the encoding the call negotiated.

use std::net::SocketAddr;
use std::sync::Arc;

use grpc_interceptor::client::{Intercepted, intercept};
use grpc_interceptor::prelude::*;
use grpc_interceptor::testing::{DummyRequest, DummyResponse, DummyService, SpecialCases};
use grpc_interceptor::{
    CallInterceptor, Chain, Context, MethodName, Next, Reply, Request, Response, Status,
    interceptor,
};
use grpc_interceptor_tests::{
    Client, Log, bidi, client_stream, entries, ok_stream, server_stream, unary,
};
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::codec::CompressionEncoding;
use tonic::metadata::MetadataMap;
use tonic::transport::{Channel, Server};

const ENCODINGS: [(CompressionEncoding, &str); 2] = [
    (CompressionEncoding::Gzip, "gzip"),
    (CompressionEncoding::Zstd, "zstd"),
];

/// Records the `grpc-encoding` of each request (on the server) or response (on the
/// client) it sees.
#[derive(Clone, Default)]
struct SeenEncodings(Log<String>);

impl SeenEncodings {
    fn record(&self, metadata: &MetadataMap) {
        let encoding = metadata
            .get("grpc-encoding")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("none")
            .to_owned();
        if let Ok(mut log) = self.0.lock() {
            log.push(encoding);
        }
    }
}

impl CallInterceptor for SeenEncodings {
    async fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _: &MethodName,
    ) -> Result<Response<N::RespPayload>, Status> {
        match context.side() {
            grpc_interceptor::Side::Server => {
                self.record(request.metadata());
                method.call(request, context).await
            }
            grpc_interceptor::Side::Client => {
                let response = method.call(request, context).await?;
                self.record(response.metadata());
                Ok(response)
            }
        }
    }
}

/// A Dummy server that accepts and sends `encoding`, recording the requests' encodings.
async fn server(encoding: CompressionEncoding, seen: SeenEncodings) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let addr = listener.local_addr().expect("an address");
    let service = DummyService::new(SpecialCases::new(), (seen,))
        .into_server()
        .accept_compressed(encoding)
        .send_compressed(encoding);
    tokio::spawn(
        Server::builder()
            .add_service(service)
            .serve_with_incoming(TcpListenerStream::new(listener)),
    );
    addr
}

/// A client of a compressing server, sending and accepting `encoding`, behind
/// `interceptors` and [`SeenEncodings`] (innermost); with what the server and the client
/// saw of the encodings.
async fn client<I: CallInterceptor + 'static>(
    encoding: CompressionEncoding,
    interceptors: I,
) -> (
    Client<Intercepted<Channel, (I, SeenEncodings)>>,
    SeenEncodings,
    SeenEncodings,
) {
    let (on_server, on_client) = (SeenEncodings::default(), SeenEncodings::default());
    let addr = server(encoding, on_server.clone()).await;
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("a valid URI")
        .connect()
        .await
        .expect("a connection");
    let client = Client::new(intercept(channel, (interceptors, on_client.clone())))
        .send_compressed(encoding)
        .accept_compressed(encoding);
    (client, on_server, on_client)
}

/// Records every request and response message it sees, reading them only.
#[derive(Clone, Default)]
struct ReadAll(Log<String>);

impl CallInterceptor for ReadAll {
    async fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        mut request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _: &MethodName,
    ) -> Result<Response<N::RespPayload>, Status> {
        let log = Arc::clone(&self.0);
        request.inspect_messages(move |r: &DummyRequest| {
            log.lock()
                .map_err(|_| Status::internal("poisoned"))?
                .push(format!("in:{}", r.input));
            Ok(())
        })?;
        let mut response = method.call(request, context).await?;
        let log = Arc::clone(&self.0);
        response.inspect_messages(move |r: &DummyResponse| {
            log.lock()
                .map_err(|_| Status::internal("poisoned"))?
                .push(format!("out:{}", r.output));
            Ok(())
        })?;
        Ok(response)
    }
}

#[tokio::test]
async fn an_interceptor_reads_compressed_messages_in_every_mode() {
    for (encoding, name) in ENCODINGS {
        let read = ReadAll::default();
        let (mut client, on_server, on_client) = client(encoding, read.clone()).await;
        assert_eq!(unary(&mut client, "a").await, Ok("a".into()), "{name}");
        assert_eq!(
            client_stream(&mut client, &["b", "c"]).await,
            Ok("bc".into()),
            "{name}"
        );
        assert_eq!(
            server_stream(&mut client, "de").await,
            ok_stream(&["d", "e"]),
            "{name}"
        );
        assert_eq!(
            bidi(&mut client, &["f", "g"]).await,
            ok_stream(&["f", "g"]),
            "{name}"
        );
        let mut seen = entries(&read.0);
        seen.sort();
        let expected = [
            "in:a", "in:b", "in:c", "in:de", "in:f", "in:g", "out:a", "out:bc", "out:d", "out:e",
            "out:f", "out:g",
        ];
        assert_eq!(seen, expected, "{name}");
        // Both ways, every call went compressed.
        assert_eq!(entries(&on_server.0), [name; 4], "requests, {name}");
        assert_eq!(entries(&on_client.0), [name; 4], "responses, {name}");
    }
}

/// Marks every request message with "+" and every response message with "!".
#[interceptor]
async fn mark(
    method: Next<'_>,
    mut request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Result<Response, Status> {
    request.for_each_message(|r: &mut DummyRequest| {
        r.input.push('+');
        Ok(())
    })?;
    let mut response = method.call(request, context).await?;
    response.for_each_message(|r: &mut DummyResponse| {
        r.output.push('!');
        Ok(())
    })?;
    Ok(response)
}

#[tokio::test]
async fn an_interceptor_changes_compressed_messages_in_every_mode() {
    for (encoding, name) in ENCODINGS {
        let (mut client, on_server, on_client) = client(encoding, (mark,)).await;
        assert_eq!(unary(&mut client, "a").await, Ok("a+!".into()), "{name}");
        assert_eq!(
            client_stream(&mut client, &["b", "c"]).await,
            Ok("b+c+!".into()),
            "{name}"
        );
        // One response per character of the output "de+".
        assert_eq!(
            server_stream(&mut client, "de").await,
            ok_stream(&["d!", "e!", "+!"]),
            "{name}"
        );
        assert_eq!(
            bidi(&mut client, &["f", "g"]).await,
            ok_stream(&["f+!", "g+!"]),
            "{name}"
        );
        assert_eq!(entries(&on_server.0), [name; 4], "requests, {name}");
        assert_eq!(entries(&on_client.0), [name; 4], "responses, {name}");
    }
}

/// Replaces the whole request metadata map (dropping `grpc-encoding` with the rest).
#[interceptor]
fn replace_metadata(
    method: Next<'_>,
    mut request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Reply {
    *request.metadata_mut() = MetadataMap::new();
    method.call(request, context)
}

#[tokio::test]
async fn a_compressed_body_that_goes_on_untouched_keeps_its_encoding() {
    for (encoding, name) in ENCODINGS {
        let (mut client, on_server, _) = client(encoding, (replace_metadata,)).await;
        assert_eq!(unary(&mut client, "a").await, Ok("a".into()), "{name}");
        assert_eq!(
            bidi(&mut client, &["b", "c"]).await,
            ok_stream(&["b", "c"]),
            "{name}"
        );
        assert_eq!(entries(&on_server.0), [name; 2], "requests, {name}");
    }
}

#[tokio::test]
async fn a_changed_body_goes_compressed_as_the_headers_the_interceptors_left_say() {
    // The interceptors dropped `grpc-encoding` and changed the messages: they go on
    // uncompressed, and the server reads them.
    for (encoding, name) in ENCODINGS {
        let (mut client, on_server, _) = client(encoding, (replace_metadata, mark)).await;
        assert_eq!(unary(&mut client, "a").await, Ok("a+!".into()), "{name}");
        assert_eq!(entries(&on_server.0), ["none"], "requests, {name}");
    }
}
