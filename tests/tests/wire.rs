//! The client's wire path against a raw HTTP/2 peer that ends its answers in every way a
//! server (or a proxy) can, and against the harness's server: whatever ends a call, an app
//! behind `client::intercept` sees what a plain tonic client sees. Also:
//!
//! - requests that the app cancels;
//! - the message size limits;
//! - a request stream that fails while it is sent;
//! - transport errors;
//! - the transport headers of a request whose metadata an interceptor replaced.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use grpc_interceptor::client::{InterceptorLayer, intercept};
use grpc_interceptor::prelude::*;
use grpc_interceptor::testing::{
    DummyRequest, DummyResponse, SpecialCases, dummy_client, dummy_client_with,
};
use grpc_interceptor::{
    CallInterceptor, Chain, Code, Context, ExceptionToStatus, MethodName, Next, Reply, Request,
    Response, Status, interceptor,
};
use grpc_interceptor_tests::{
    Client, Counting, Log, Outcome, Streamed, bidi, client_stream, entries, log, pass_through, req,
    server_stream, unary, uppercase,
};
use prost::Message;
use tokio::net::TcpListener;
use tokio_stream::StreamExt;
use tonic::codegen::Bytes;
use tonic::metadata::MetadataMap;
use tonic::transport::Channel;

/// Fails the test instead of hanging when a call never ends.
async fn within<T>(call: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), call)
        .await
        .expect("the call ended")
}

async fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("a valid URI")
        .connect()
        .await
        .expect("a connection")
}

/// Records, for each call, the status its response stream ended with, as an interceptor's
/// `on_end` hook sees it (`None`: OK). Its hook makes the wire path split the response.
#[derive(Clone, Default)]
struct RecordEnd(Log<Option<Code>>);

impl RecordEnd {
    fn ends(&self) -> Vec<Option<Code>> {
        entries(&self.0)
    }
}

impl CallInterceptor for RecordEnd {
    async fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _: &MethodName,
    ) -> Result<Response<N::RespPayload>, Status> {
        let mut response = method.call(request, context).await?;
        let log = Arc::clone(&self.0);
        response.on_end(move |end| {
            if let Ok(mut log) = log.lock() {
                log.push(end.status().map(Status::code));
            }
        });
        Ok(response)
    }
}

/// Makes the same call with a plain tonic client and with clients behind interceptors on
/// the same channel: one that leaves the body alone (`pass_through`), one with an `on_end`
/// hook (`$ends`), and `ExceptionToStatus`. Gives each client's name and outcome.
macro_rules! with_each_client {
    ($channel:expr, $ends:expr, |$client:ident| $call:expr) => {{
        let channel: Channel = $channel;
        let mut outcomes = Vec::new();
        {
            let mut $client = Client::new(channel.clone());
            outcomes.push(("plain tonic", $call));
        }
        {
            let mut $client = Client::new(intercept(channel.clone(), (pass_through,)));
            outcomes.push(("pass-through", $call));
        }
        {
            let mut $client = Client::new(intercept(channel.clone(), ($ends.clone(),)));
            outcomes.push(("on_end hook", $call));
        }
        {
            let errors = ExceptionToStatus::new();
            let mut $client = Client::new(intercept(channel.clone(), (errors,)));
            outcomes.push(("ExceptionToStatus", $call));
        }
        outcomes
    }};
}

/// The code a call ended with.
fn end_code<T>(outcome: &Outcome<(T, Option<(Code, String)>)>) -> Code {
    match outcome {
        Ok((_, None)) => Code::Ok,
        Ok((_, Some((code, _)))) | Err((code, _)) => *code,
    }
}

fn unary_code(outcome: &Outcome<String>) -> Code {
    outcome.as_ref().err().map_or(Code::Ok, |(code, _)| *code)
}

mod peer {
    //! A raw HTTP/2 peer that answers every call with gRPC messages, ended as it is told.

    use super::*;
    use h2::server::SendResponse;
    use h2::{Ping, PingPong, RecvStream};
    use http::HeaderMap;
    use tokio::sync::Mutex;

    /// How the peer ends its answer, after its messages ("one", "two" for a
    /// server-streaming call, "one" otherwise).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(crate) enum Ending {
        /// Trailers with `grpc-status: 0`: a well-formed answer.
        Ok,
        /// The body ends, without trailers.
        NoTrailers,
        /// `RST_STREAM(NO_ERROR)`, which hyper turns into a clean end of the body.
        ResetNoError,
        /// Trailers without `grpc-status`.
        TrailersWithoutStatus,
        /// Half of a third message, then the end of the body.
        HalfFrame,
        /// A length prefix of 5 MiB and a few bytes; the rest never comes.
        Oversized,
        /// HTTP 404 and no body, as a proxy that knows no such path answers.
        NotFound,
        /// `grpc-encoding: br` and compressed messages.
        Brotli,
    }

    /// How a request body ended, as the peer saw it.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub(crate) enum RequestEnd {
        /// It ended after these messages.
        Complete(Vec<String>),
        /// The client reset the stream, with this reason.
        Reset(Option<h2::Reason>),
    }

    pub(crate) struct Peer {
        pub(crate) addr: SocketAddr,
        pub(crate) requests: Log<RequestEnd>,
    }

    /// Serves on 127.0.0.1 until the test's runtime stops.
    pub(crate) async fn serve(ending: Ending) -> Peer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let addr = listener.local_addr().expect("an address");
        let requests = log();
        let log = Arc::clone(&requests);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(connection(socket, ending, Arc::clone(&log)));
            }
        });
        Peer { addr, requests }
    }

    async fn connection(
        socket: tokio::net::TcpStream,
        ending: Ending,
        requests: Log<RequestEnd>,
    ) -> Result<(), h2::Error> {
        let mut connection = h2::server::handshake(socket).await?;
        let ping_pong = Arc::new(Mutex::new(connection.ping_pong().expect("taken once")));
        while let Some(accepted) = connection.accept().await {
            let (request, respond) = accepted?;
            let (ping_pong, requests) = (Arc::clone(&ping_pong), Arc::clone(&requests));
            tokio::spawn(answer(request, respond, ending, ping_pong, requests));
        }
        Ok(())
    }

    /// One gRPC frame: the compression flag, the length, the message.
    pub(crate) fn frame(message: &impl Message, compressed: bool) -> Vec<u8> {
        let message = message.encode_to_vec();
        let mut frame = vec![u8::from(compressed)];
        frame.extend(u32::try_from(message.len()).expect("small").to_be_bytes());
        frame.extend(message);
        frame
    }

    fn output(output: &str) -> DummyResponse {
        DummyResponse {
            output: output.into(),
        }
    }

    /// The inputs of a request body's frames.
    fn inputs(mut bytes: &[u8]) -> Vec<String> {
        let mut inputs = Vec::new();
        while bytes.len() >= 5 {
            let len = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]) as usize;
            let message = DummyRequest::decode(&bytes[5..5 + len]).expect("a request");
            inputs.push(message.input);
            bytes = &bytes[5 + len..];
        }
        inputs
    }

    /// Waits until everything sent so far has reached the client's HTTP/2 stack: a reset
    /// drops the DATA frames still queued. The first pong may overtake queued DATA; the
    /// second is sent after the connection has written them.
    async fn flush(ping_pong: &Mutex<PingPong>) -> Result<(), h2::Error> {
        let mut ping_pong = ping_pong.lock().await;
        for _ in 0..2 {
            ping_pong.ping(Ping::opaque()).await?;
        }
        Ok(())
    }

    async fn answer(
        request: http::Request<RecvStream>,
        mut respond: SendResponse<Bytes>,
        ending: Ending,
        ping_pong: Arc<Mutex<PingPong>>,
        requests: Log<RequestEnd>,
    ) -> Result<(), h2::Error> {
        let server_stream = request.uri().path().ends_with("/ExecuteServerStream");
        let mut body = request.into_body();
        let mut received = Vec::new();
        while let Some(data) = body.data().await {
            match data {
                Ok(data) => {
                    let _ = body.flow_control().release_capacity(data.len());
                    received.extend_from_slice(&data);
                }
                Err(err) => {
                    requests
                        .lock()
                        .expect("log")
                        .push(RequestEnd::Reset(err.reason()));
                    return Ok(());
                }
            }
        }
        requests
            .lock()
            .expect("log")
            .push(RequestEnd::Complete(inputs(&received)));

        let status = if ending == Ending::NotFound { 404 } else { 200 };
        let mut head = http::Response::builder()
            .status(status)
            .header("content-type", "application/grpc");
        if ending == Ending::Brotli {
            // Not really brotli: nobody gets to decompress it.
            head = head.header("grpc-encoding", "br");
        }
        let head = head.body(()).expect("a response head");
        if ending == Ending::NotFound {
            respond.send_response(head, true)?;
            return Ok(());
        }
        let mut send = respond.send_response(head, false)?;
        let outputs: &[&str] = if server_stream {
            &["one", "two"]
        } else {
            &["one"]
        };
        let compressed = ending == Ending::Brotli;
        let mut data: Vec<u8> = outputs
            .iter()
            .flat_map(|o| frame(&output(o), compressed))
            .collect();
        let trailers = |pairs: &[(&'static str, &'static str)]| {
            let mut trailers = HeaderMap::new();
            for (name, value) in pairs {
                trailers.insert(*name, http::HeaderValue::from_static(value));
            }
            trailers
        };
        match ending {
            Ending::Ok | Ending::Brotli => {
                send.send_data(data.into(), false)?;
                send.send_trailers(trailers(&[("grpc-status", "0")]))?;
            }
            Ending::NoTrailers => send.send_data(data.into(), true)?,
            Ending::ResetNoError => {
                send.send_data(data.into(), false)?;
                flush(&ping_pong).await?;
                send.send_reset(h2::Reason::NO_ERROR);
            }
            Ending::TrailersWithoutStatus => {
                send.send_data(data.into(), false)?;
                send.send_trailers(trailers(&[("x-note", "no status")]))?;
            }
            Ending::HalfFrame => {
                let third = frame(&output("three"), false);
                data.extend_from_slice(&third[..third.len() / 2]);
                send.send_data(data.into(), true)?;
            }
            Ending::Oversized => {
                // A message of 5 MiB (0x500000 bytes), of which 1 KiB is sent.
                data.extend_from_slice(&[0, 0x00, 0x50, 0x00, 0x00]);
                data.extend_from_slice(&[0; 1024]);
                send.send_data(data.into(), false)?;
                // Until the client gives up on the stream.
                std::future::poll_fn(|cx| send.poll_reset(cx)).await?;
            }
            Ending::NotFound => unreachable!("answered above"),
        }
        Ok(())
    }
}

use peer::{Ending, RequestEnd};

/// Each client's outcome of a server-streaming call and of a unary call to a peer that
/// ends its answers with `ending`; checks that the interceptors' hook saw the end the app
/// sees, and gives the outcomes.
async fn outcomes_of(
    ending: Ending,
) -> (
    Vec<(&'static str, Outcome<Streamed>)>,
    Vec<(&'static str, Outcome<String>)>,
) {
    let peer = peer::serve(ending).await;
    let ends = RecordEnd::default();
    let streams = with_each_client!(channel(peer.addr).await, ends, |client| within(
        server_stream(&mut client, "x")
    )
    .await);
    let unaries = with_each_client!(channel(peer.addr).await, ends, |client| within(unary(
        &mut client,
        "x"
    ))
    .await);
    let (_, stream) = &streams[0];
    let (_, single) = &unaries[0];
    // The hook saw what the app sees, unless the app gave up on the response head (an
    // encoding it does not accept) and nobody read the body.
    if ending != Ending::Brotli {
        let code = |code: Code| (code != Code::Ok).then_some(code);
        assert_eq!(
            ends.ends(),
            [code(end_code(stream)), code(unary_code(single))],
            "{ending:?}"
        );
    }
    (streams, unaries)
}

/// Checks that every client's outcome is plain tonic's, and that it ended with `code`;
/// gives plain tonic's outcome of the server-streaming call.
async fn assert_same_as_tonic(ending: Ending, code: Code) -> (Outcome<Streamed>, Outcome<String>) {
    let (streams, unaries) = outcomes_of(ending).await;
    let (_, stream) = streams[0].clone();
    let (_, single) = unaries[0].clone();
    assert_eq!(end_code(&stream), code, "{ending:?}: {stream:?}");
    assert_eq!(unary_code(&single), code, "{ending:?}: {single:?}");
    for (client, outcome) in &streams {
        assert_eq!(outcome, &stream, "{ending:?}, server stream, {client}");
    }
    for (client, outcome) in &unaries {
        assert_eq!(outcome, &single, "{ending:?}, unary, {client}");
    }
    (stream, single)
}

fn messages(outcome: &Outcome<Streamed>) -> Vec<String> {
    outcome.as_ref().map(|(m, _)| m.clone()).unwrap_or_default()
}

#[tokio::test]
async fn a_well_formed_answer_is_ok_for_every_client() {
    let (stream, single) = assert_same_as_tonic(Ending::Ok, Code::Ok).await;
    assert_eq!(messages(&stream), ["one", "two"]);
    assert_eq!(single, Ok("one".to_owned()));
}

const MISSING_STATUS: &str = "protocol error: missing grpc-status trailer, stream was terminated without a final status (possible truncation by a proxy or load balancer)";

#[tokio::test]
async fn a_body_that_ends_without_trailers_is_unknown_for_every_client() {
    let (stream, single) = assert_same_as_tonic(Ending::NoTrailers, Code::Unknown).await;
    assert_eq!(
        stream,
        Ok((
            vec!["one".into(), "two".into()],
            Some((Code::Unknown, MISSING_STATUS.into()))
        ))
    );
    assert_eq!(single, Err((Code::Unknown, MISSING_STATUS.into())));
}

#[tokio::test]
async fn a_reset_with_no_error_is_unknown_for_every_client() {
    let (stream, _) = assert_same_as_tonic(Ending::ResetNoError, Code::Unknown).await;
    assert_eq!(
        stream,
        Ok((
            vec!["one".into(), "two".into()],
            Some((Code::Unknown, MISSING_STATUS.into()))
        ))
    );
}

#[tokio::test]
async fn trailers_without_grpc_status_are_unknown_for_every_client() {
    let (stream, single) = assert_same_as_tonic(Ending::TrailersWithoutStatus, Code::Unknown).await;
    assert_eq!(messages(&stream), ["one", "two"]);
    assert_eq!(single, Err((Code::Unknown, MISSING_STATUS.into())));
}

#[tokio::test]
async fn a_body_that_ends_inside_a_message_is_internal_for_every_client() {
    let (stream, _) = assert_same_as_tonic(Ending::HalfFrame, Code::Internal).await;
    assert_eq!(
        stream,
        Ok((
            vec!["one".into(), "two".into()],
            Some((Code::Internal, "Unexpected EOF decoding stream.".into()))
        ))
    );
}

/// tonic 0.14 ends a call with OUT_OF_RANGE when a message is longer than its decoding
/// limit (gRPC's own implementations use RESOURCE_EXHAUSTED); the wire path reports what
/// tonic reports.
#[tokio::test]
async fn a_message_over_the_default_limit_fails_before_it_arrives_for_every_client() {
    let (stream, _) = assert_same_as_tonic(Ending::Oversized, Code::OutOfRange).await;
    assert_eq!(
        stream,
        Ok((
            vec!["one".into(), "two".into()],
            Some((
                Code::OutOfRange,
                "Error, decoded message length too large: found 5242880 bytes, the limit is: 4194304 bytes".into()
            ))
        ))
    );
}

#[tokio::test]
async fn an_http_404_without_grpc_status_is_unimplemented_for_every_client() {
    let (stream, _) = assert_same_as_tonic(Ending::NotFound, Code::Unimplemented).await;
    assert_eq!(
        stream,
        Ok((
            vec![],
            Some((
                Code::Unimplemented,
                "grpc-status header missing, mapped from HTTP status code 404".into()
            ))
        ))
    );
}

#[tokio::test]
async fn an_encoding_nobody_supports_fails_the_same_for_every_client() {
    let (stream, _) = assert_same_as_tonic(Ending::Brotli, Code::Unimplemented).await;
    assert_eq!(
        stream,
        Err((
            Code::Unimplemented,
            "Content is compressed with `br` which isn't supported".into()
        ))
    );
}

/// Reads the whole response before the app does, as a caching interceptor would.
#[derive(Clone, Default)]
struct ReadAhead;

impl CallInterceptor for ReadAhead {
    async fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _: &MethodName,
    ) -> Result<Response<N::RespPayload>, Status> {
        let mut response = method.call(request, context).await?;
        response.replica().into_messages::<DummyResponse>().await?;
        Ok(response)
    }
}

#[tokio::test]
async fn an_interceptor_that_reads_messages_it_cannot_decompress_gets_a_clear_status() {
    let peer = peer::serve(Ending::Brotli).await;
    let mut client = Client::new(intercept(channel(peer.addr).await, (ReadAhead,)));
    assert_eq!(
        within(server_stream(&mut client, "x")).await,
        Err((
            Code::Unimplemented,
            "an interceptor cannot read messages compressed with `br`".into()
        ))
    );
}

#[tokio::test]
async fn an_interceptor_that_reads_ahead_still_sees_the_truncation() {
    let peer = peer::serve(Ending::NoTrailers).await;
    let mut client = Client::new(intercept(channel(peer.addr).await, (ReadAhead,)));
    assert_eq!(
        within(server_stream(&mut client, "x")).await,
        Err((Code::Unknown, MISSING_STATUS.into()))
    );
}

#[tokio::test]
async fn max_decoding_message_size_limits_the_messages_interceptors_read() {
    let dummy = dummy_client(SpecialCases::new(), ())
        .await
        .expect("a server");
    let long = "x".repeat(100);
    let limit = 16;
    let plain = unary(
        &mut Client::new(dummy.channel()).max_decoding_message_size(limit),
        &long,
    )
    .await;
    assert_eq!(
        plain,
        Err((
            Code::OutOfRange,
            "Error, decoded message length too large: found 102 bytes, the limit is: 16 bytes"
                .into()
        ))
    );
    let ends = RecordEnd::default();
    let intercepted = intercept(dummy.channel(), (ends.clone(),)).max_decoding_message_size(limit);
    assert_eq!(unary(&mut Client::new(intercepted), &long).await, plain);
    let layer = InterceptorLayer::new((ends.clone(),)).max_decoding_message_size(limit);
    let layered = tower_layer::Layer::layer(&layer, dummy.channel());
    assert_eq!(unary(&mut Client::new(layered), &long).await, plain);
    // A message within the limit goes on.
    let intercepted = intercept(dummy.channel(), (ends.clone(),)).max_decoding_message_size(limit);
    assert_eq!(
        unary(&mut Client::new(intercepted), "short").await,
        Ok("short".into())
    );
    assert_eq!(
        ends.ends(),
        [Some(Code::OutOfRange), Some(Code::OutOfRange), None]
    );
}

#[tokio::test]
async fn max_encoding_message_size_ends_the_call_before_an_oversized_request_is_sent() {
    let server = Counting::default();
    let dummy = dummy_client(SpecialCases::new(), (server.clone(),))
        .await
        .expect("a server");
    let long = "x".repeat(100);
    let limit = 16;
    let too_long = format!(
        "Error, encoded message length too large: found {} bytes, the limit is: {limit} bytes",
        req(&long).encoded_len()
    );
    let client = || {
        // `uppercase` reads the request messages: they are encoded again, within the limit.
        Client::new(intercept(dummy.channel(), (uppercase,)).max_encoding_message_size(limit))
    };
    assert_eq!(
        within(unary(&mut client(), &long)).await,
        Err((Code::OutOfRange, too_long.clone()))
    );
    assert_eq!(
        within(client_stream(&mut client(), &["a", &long])).await,
        Err((Code::OutOfRange, too_long.clone()))
    );
    // The reset may come before or after the response head: either way, that status.
    let outcome = within(bidi(&mut client(), &[&long])).await;
    assert_eq!(end_status(&outcome), Some((Code::OutOfRange, too_long)));
    // The server never handled an oversized message: the unary call never reached it.
    assert_eq!(
        unary(&mut client(), "short").await,
        Ok("SHORT".into()),
        "a message within the limit goes on"
    );
    let calls = server.counts().0;
    assert_eq!(calls.get("/DummyService/Execute"), Some(&1), "{calls:?}");
}

/// The error status a call ended with, whether before or after its response head.
fn end_status(outcome: &Outcome<Streamed>) -> Option<(Code, String)> {
    match outcome {
        Ok((_, end)) => end.clone(),
        Err(status) => Some(status.clone()),
    }
}

#[tokio::test]
async fn a_transport_error_reaches_the_app_as_tonic_reports_it() {
    // A port nobody listens on.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a port");
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("a valid URI")
        .connect_lazy();
    let plain = within(Client::new(channel.clone()).execute(req("x")))
        .await
        .expect_err("nobody listens");
    let source = |status: &Status| std::error::Error::source(status).map(ToString::to_string);
    assert!(source(&plain).is_some(), "{plain:?}");
    let ends = RecordEnd::default();
    let outcomes = with_each_client!(channel, ends, |client| within(client.execute(req("x")))
        .await
        .expect_err("nobody listens"));
    for (client, status) in outcomes {
        assert_eq!(
            (status.code(), status.message(), source(&status)),
            (plain.code(), plain.message(), source(&plain)),
            "{client}"
        );
    }
}

/// Fails the request stream at the message "stop".
#[interceptor]
fn refuse_stop(
    method: Next<'_>,
    mut request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Reply {
    let refused = request.inspect_messages(|r: &DummyRequest| {
        if r.input != "stop" {
            return Ok(());
        }
        let mut metadata = MetadataMap::new();
        metadata.insert("x-refused", "stop".parse().expect("ascii"));
        Err(Status::with_metadata(
            Code::FailedPrecondition,
            "refused `stop`",
            metadata,
        ))
    });
    if let Err(status) = refused {
        return Reply::error(status);
    }
    method.call(request, context)
}

/// Waits for the peer to have seen `n` requests end, and gives how they ended.
async fn requests_seen(peer: &peer::Peer, n: usize) -> Vec<RequestEnd> {
    within(async {
        loop {
            let seen = entries(&peer.requests);
            if seen.len() >= n {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
}

#[tokio::test]
async fn a_request_hook_error_while_the_client_sends_ends_the_call_with_that_status() {
    let peer = peer::serve(Ending::Ok).await;
    let mut client = Client::new(intercept(channel(peer.addr).await, (refuse_stop,)));
    // The app's stream never ends: the call ends only because the hook failed.
    let requests =
        tokio_stream::iter(["a", "b", "stop", "c"].map(req)).chain(tokio_stream::pending());
    let status = within(client.execute_client_stream(requests))
        .await
        .expect_err("refused");
    assert_eq!(
        (status.code(), status.message()),
        (Code::FailedPrecondition, "refused `stop`")
    );
    assert_eq!(
        status.metadata().get("x-refused").map(|v| v.to_str().ok()),
        Some(Some("stop"))
    );
    // The peer saw the request reset with CANCEL, not a complete request to answer.
    assert_eq!(
        requests_seen(&peer, 1).await,
        [RequestEnd::Reset(Some(h2::Reason::CANCEL))]
    );
}

#[tokio::test]
async fn a_request_hook_error_in_a_bidi_call_ends_the_call_with_that_status() {
    let mut client = dummy_client_with(SpecialCases::new(), (), (refuse_stop,))
        .await
        .expect("a server");
    let outcome = within(bidi(&mut client, &["a", "stop", "c"])).await;
    assert_eq!(
        end_status(&outcome),
        Some((Code::FailedPrecondition, "refused `stop`".into())),
        "{outcome:?}"
    );
    // "a" may have been answered before the reset; nothing after it was.
    let answered = outcome.map(|(outputs, _)| outputs).unwrap_or_default();
    assert!(answered.is_empty() || answered == ["a"], "{answered:?}");
}

/// Reads every request message, so that the request is encoded again.
#[interceptor]
fn read_requests(
    method: Next<'_>,
    mut request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Reply {
    if let Err(status) = request.inspect_messages(|_: &DummyRequest| Ok(())) {
        return Reply::error(status);
    }
    method.call(request, context)
}

#[tokio::test]
async fn a_request_stream_that_passes_on_untouched_ends_as_the_app_sent_it() {
    // No interceptor reads the request: it goes on as tonic encoded it, and the peer gets
    // a complete request.
    let peer = peer::serve(Ending::Ok).await;
    let mut client = Client::new(intercept(channel(peer.addr).await, (RecordEnd::default(),)));
    let outcome = within(client_stream(&mut client, &["a", "b"])).await;
    assert_eq!(outcome, Ok("one".into()));
    assert_eq!(
        requests_seen(&peer, 1).await,
        [RequestEnd::Complete(vec!["a".into(), "b".into()])]
    );
}

/// The app's request stream: its messages, then it cancels the call with tonic's
/// cancellation handle, and never ends.
struct Cancelling {
    messages: std::vec::IntoIter<DummyRequest>,
    handle: Option<tonic::CancellationHandle>,
}

impl tokio_stream::Stream for Cancelling {
    type Item = DummyRequest;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<DummyRequest>> {
        if let Some(message) = self.messages.next() {
            return std::task::Poll::Ready(Some(message));
        }
        if let Some(handle) = self.handle.take() {
            handle.cancel();
        }
        std::task::Poll::Pending
    }
}

#[tokio::test]
async fn an_app_that_cancels_a_request_stream_interceptors_read_resets_the_request() {
    let peer = peer::serve(Ending::Ok).await;
    let mut client = Client::new(intercept(channel(peer.addr).await, (read_requests,)));
    let mut request = tonic::Request::new(Cancelling {
        messages: vec![req("a"), req("b")].into_iter(),
        handle: None,
    });
    request.get_mut().handle = Some(request.cancellation_handle());
    let status = within(client.execute_client_stream(request))
        .await
        .expect_err("cancelled");
    assert_eq!(status.code(), Code::Cancelled, "{status:?}");
    // Not a complete request of "a" and "b" for the peer to answer.
    assert_eq!(
        requests_seen(&peer, 1).await,
        [RequestEnd::Reset(Some(h2::Reason::CANCEL))]
    );
}

/// Replaces the whole request metadata map with one that holds only `x-only: this`.
#[interceptor]
fn replace_metadata(
    method: Next<'_>,
    mut request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Reply {
    let mut metadata = MetadataMap::new();
    metadata.insert("x-only", "this".parse().expect("ascii"));
    *request.metadata_mut() = metadata;
    method.call(request, context)
}

/// The server's special case "metadata": answers with the request's headers.
fn metadata_cases() -> SpecialCases {
    SpecialCases::new().on("metadata", |_, ctx| {
        let headers = ctx.metadata().clone().into_headers();
        let pairs: Vec<String> = headers
            .iter()
            .map(|(k, v)| format!("{k}:{}", v.to_str().unwrap_or("?")))
            .collect();
        Ok(pairs.join(","))
    })
}

/// Checks, in every mode, that the server saw the gRPC headers and the metadata the
/// interceptors left.
async fn assert_grpc_headers_arrive<I: CallInterceptor + 'static>(interceptors: I) {
    let mut client = dummy_client_with(metadata_cases(), (), interceptors)
        .await
        .expect("a server");
    let input = "metadata";
    let seen = [
        unary(&mut client, input).await,
        client_stream(&mut client, &[input]).await,
        server_stream(&mut client, input)
            .await
            .map(|(outputs, _)| outputs.concat()),
        bidi(&mut client, &[input])
            .await
            .map(|(outputs, _)| outputs.concat()),
    ];
    for seen in seen {
        let seen = seen.expect("the call succeeds");
        for header in [
            "content-type:application/grpc",
            "te:trailers",
            "x-only:this",
        ] {
            assert!(seen.split(',').any(|h| h == header), "{header} in {seen}");
        }
    }
}

#[tokio::test]
async fn a_request_whose_metadata_was_replaced_still_carries_the_grpc_headers() {
    // The body goes on as it came...
    assert_grpc_headers_arrive((replace_metadata,)).await;
    // ...or encoded again.
    assert_grpc_headers_arrive((replace_metadata, read_requests)).await;
}
