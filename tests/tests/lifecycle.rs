//! The end of every call, seen once by `Context::on_call_end` on both sides, however the
//! call ends: results, errors, panics, cancellations, deadlines, dropped streams.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use grpc_interceptor::client::Intercepted;
use grpc_interceptor::prelude::*;
use grpc_interceptor::testing::proto::dummy_service_client::DummyServiceClient;
use grpc_interceptor::testing::proto::dummy_service_server::{DummyService, DummyServiceServer};
use grpc_interceptor::testing::{
    DummyRequest, DummyResponse, SpecialCases, dummy_client_with, raises,
};
use grpc_interceptor_tests::{req, requests};
use tokio_stream::StreamExt;
use tonic::Streaming;
use tonic::transport::Channel;

/// What an end hook saw of one call.
#[derive(Clone, Debug, PartialEq)]
struct Seen {
    side: Side,
    method: String,
    code: Code,
    requests: u64,
    responses: u64,
    by_peer: bool,
    panicked: bool,
    principal: Option<String>,
}

/// Records every end event; one value per side.
#[derive(Clone, Default)]
struct Ends(Arc<Mutex<Vec<Seen>>>);

impl Ends {
    /// The events seen so far on `side`, waiting (up to a hang guard) for `n` of them.
    async fn wait(&self, side: Side, n: usize) -> Vec<Seen> {
        for _ in 0..500 {
            let seen = self.on(side);
            if seen.len() >= n {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.on(side)
    }

    fn on(&self, side: Side) -> Vec<Seen> {
        let all = self.0.lock().unwrap().clone();
        all.into_iter().filter(|s| s.side == side).collect()
    }
}

impl CallInterceptor for Ends {
    fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        method_name: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        let log = Arc::clone(&self.0);
        let name = method_name.method().to_owned();
        context.on_call_end(move |end| {
            log.lock().unwrap().push(Seen {
                side: end.side(),
                method: name,
                code: end.code(),
                requests: end.request_messages(),
                responses: end.response_messages(),
                by_peer: end.by_peer(),
                panicked: end.panicked(),
                principal: end.get::<Principal>().map(|p| p.0.clone()),
            });
        });
        method.call(request, context)
    }
}

/// A value an inner interceptor stores for the outer one's end hook.
#[derive(Clone, Debug)]
struct Principal(String);

#[interceptor]
fn authenticate(
    method: Next<'_>,
    request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Reply {
    context.insert(Principal("ferris".into()));
    method.call(request, context)
}

fn seen(side: Side, method: &str, code: Code, requests: u64, responses: u64) -> Seen {
    Seen {
        side,
        method: method.into(),
        code,
        requests,
        responses,
        by_peer: false,
        panicked: false,
        principal: None,
    }
}

fn cases() -> SpecialCases {
    SpecialCases::new()
        .on("error", raises(Status::not_found("no such thing")))
        .on("boom", |_, _| panic!("boom"))
        .on_async("slow", |_, _| {
            Box::pin(async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Ok("late".to_owned())
            })
        })
}

#[tokio::test]
async fn every_mode_ends_once_with_ok_and_the_message_counts_on_both_sides() {
    let server = Ends::default();
    let client = Ends::default();
    let mut dummy = dummy_client_with(cases(), (server.clone(),), (client.clone(),))
        .await
        .unwrap();
    dummy.execute(req("ab")).await.unwrap();
    dummy
        .execute_client_stream(requests(&["a", "b", "c"]))
        .await
        .unwrap();
    let out: Vec<_> = dummy
        .execute_server_stream(req("abcd"))
        .await
        .unwrap()
        .into_inner()
        .collect()
        .await;
    assert_eq!(out.len(), 4);
    let out: Vec<_> = dummy
        .execute_client_server_stream(requests(&["a", "b"]))
        .await
        .unwrap()
        .into_inner()
        .collect()
        .await;
    assert_eq!(out.len(), 2);

    let want = |side| {
        vec![
            seen(side, "Execute", Code::Ok, 1, 1),
            seen(side, "ExecuteClientStream", Code::Ok, 3, 1),
            seen(side, "ExecuteServerStream", Code::Ok, 1, 4),
            seen(side, "ExecuteClientServerStream", Code::Ok, 2, 2),
        ]
    };
    assert_eq!(server.wait(Side::Server, 4).await, want(Side::Server));
    assert_eq!(client.wait(Side::Client, 4).await, want(Side::Client));
}

#[tokio::test]
async fn error_statuses_end_the_call_in_every_mode() {
    let server = Ends::default();
    let client = Ends::default();
    let mut dummy = dummy_client_with(cases(), (server.clone(),), (client.clone(),))
        .await
        .unwrap();
    let err = dummy.execute(req("error")).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = dummy
        .execute_client_stream(requests(&["a", "error"]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = dummy.execute_server_stream(req("error")).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let mut stream = dummy
        .execute_client_server_stream(requests(&["a", "error"]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stream.next().await.unwrap().unwrap().output, "a");
    assert_eq!(
        stream.next().await.unwrap().unwrap_err().code(),
        Code::NotFound
    );

    let codes = |seen: Vec<Seen>| {
        seen.into_iter()
            .map(|s| (s.method, s.code))
            .collect::<Vec<_>>()
    };
    let want = vec![
        ("Execute".to_owned(), Code::NotFound),
        ("ExecuteClientStream".to_owned(), Code::NotFound),
        ("ExecuteServerStream".to_owned(), Code::NotFound),
        ("ExecuteClientServerStream".to_owned(), Code::NotFound),
    ];
    assert_eq!(codes(server.wait(Side::Server, 4).await), want);
    assert_eq!(codes(client.wait(Side::Client, 4).await), want);
}

#[tokio::test]
async fn a_panic_without_exception_to_status_is_unknown_not_a_reset_and_the_end_sees_it() {
    let server = Ends::default();
    let mut dummy = dummy_client_with(cases(), (server.clone(),), ())
        .await
        .unwrap();
    let err = dummy.execute(req("boom")).await.unwrap_err();
    assert_eq!(err.code(), Code::Unknown);
    assert!(err.message().contains("boom"), "{err:?}");
    let err = dummy
        .execute_client_stream(requests(&["a", "boom"]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unknown);
    let err = dummy.execute_server_stream(req("boom")).await.unwrap_err();
    assert_eq!(err.code(), Code::Unknown);
    // In the middle of a response stream: the message before the panic arrives first.
    let mut stream = dummy
        .execute_client_server_stream(requests(&["a", "boom"]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stream.next().await.unwrap().unwrap().output, "a");
    let err = stream.next().await.unwrap().unwrap_err();
    assert_eq!(err.code(), Code::Unknown);
    assert!(err.message().contains("boom"), "{err:?}");

    let seen = server.wait(Side::Server, 4).await;
    assert_eq!(seen.len(), 4, "{seen:?}");
    for s in &seen {
        assert_eq!(s.code, Code::Unknown, "{s:?}");
        assert!(s.panicked, "{s:?}");
    }
}

/// A service whose streams never end by themselves: the bidi answers the first message and
/// then waits, the client stream reads two messages and then waits. Only the client ends
/// its calls.
struct Hanging {
    ends: Ends,
    read: Arc<Mutex<mpsc::Sender<()>>>,
}

type Outputs =
    std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<DummyResponse, Status>> + Send>>;

#[intercepted(self.ends.clone(), authenticate)]
#[tonic::async_trait]
impl DummyService for Hanging {
    /// `whoami` answers with the principal an interceptor stored; anything else waits.
    #[intercepted(context = ctx)]
    async fn execute(
        &self,
        request: Request<DummyRequest>,
    ) -> Result<Response<DummyResponse>, Status> {
        if request.get_ref().input == "whoami" {
            let principal = ctx.get::<Principal>().map(|p| p.0).unwrap_or_default();
            return Ok(Response::new(DummyResponse { output: principal }));
        }
        std::future::pending().await
    }

    async fn execute_client_stream(
        &self,
        request: Request<Streaming<DummyRequest>>,
    ) -> Result<Response<DummyResponse>, Status> {
        let mut stream = request.into_inner();
        for _ in 0..2 {
            stream.next().await;
        }
        let _ = self.read.lock().unwrap().send(());
        std::future::pending().await
    }

    type ExecuteServerStreamStream = Outputs;

    async fn execute_server_stream(
        &self,
        _: Request<DummyRequest>,
    ) -> Result<Response<Self::ExecuteServerStreamStream>, Status> {
        Ok(Response::new(Box::pin(tokio_stream::pending())))
    }

    type ExecuteClientServerStreamStream = Outputs;

    async fn execute_client_server_stream(
        &self,
        request: Request<Streaming<DummyRequest>>,
    ) -> Result<Response<Self::ExecuteClientServerStreamStream>, Status> {
        let first = request
            .into_inner()
            .take(1)
            .map(|m| m.map(|m| DummyResponse { output: m.input }));
        Ok(Response::new(Box::pin(
            first.chain(tokio_stream::pending()),
        )))
    }
}

/// Serves `Hanging` on 127.0.0.1 behind `TrailersLayer`; a client with `client` on its
/// channel, and the receiver told when the client stream's handler has read two messages.
async fn hanging(
    server: Ends,
    client: Ends,
) -> (
    DummyServiceClient<Intercepted<Channel, (Ends,)>>,
    mpsc::Receiver<()>,
) {
    let (read, was_read) = mpsc::channel();
    let service = Hanging {
        ends: server,
        read: Arc::new(Mutex::new(read)),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .layer(grpc_interceptor::server::TrailersLayer)
            .add_service(DummyServiceServer::new(service))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    (
        DummyServiceClient::new(grpc_interceptor::client::intercept(channel, (client,))),
        was_read,
    )
}

#[tokio::test]
async fn a_client_that_cancels_mid_response_stream_is_cancelled_by_the_peer() {
    let server = Ends::default();
    let client = Ends::default();
    let (mut dummy, _) = hanging(server.clone(), client.clone()).await;
    let (tx, rx) = tokio::sync::mpsc::channel::<DummyRequest>(4);
    tx.send(req("a")).await.unwrap();
    let mut stream = dummy
        .execute_client_server_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stream.next().await.unwrap().unwrap().output, "a");
    // The application gives up on the call: the response stream and the request stream.
    drop(stream);
    drop(tx);

    assert_eq!(
        client.wait(Side::Client, 1).await,
        vec![seen(
            Side::Client,
            "ExecuteClientServerStream",
            Code::Cancelled,
            1,
            1
        )]
    );
    assert_eq!(
        server.wait(Side::Server, 1).await,
        vec![Seen {
            by_peer: true,
            principal: Some("ferris".into()),
            ..seen(
                Side::Server,
                "ExecuteClientServerStream",
                Code::Cancelled,
                1,
                1
            )
        }]
    );
}

#[tokio::test]
async fn a_client_that_cancels_mid_request_stream_is_cancelled_by_the_peer() {
    let server = Ends::default();
    let (mut dummy, was_read) = hanging(server.clone(), Ends::default()).await;
    let (tx, rx) = tokio::sync::mpsc::channel::<DummyRequest>(4);
    tx.send(req("a")).await.unwrap();
    tx.send(req("b")).await.unwrap();
    let call = tokio::spawn(async move {
        dummy
            .execute_client_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
            .await
    });
    tokio::task::spawn_blocking(move || was_read.recv_timeout(Duration::from_secs(5)))
        .await
        .unwrap()
        .expect("the handler read two messages");
    call.abort();
    let _ = call.await;

    assert_eq!(
        server.wait(Side::Server, 1).await,
        vec![Seen {
            by_peer: true,
            principal: Some("ferris".into()),
            ..seen(Side::Server, "ExecuteClientStream", Code::Cancelled, 2, 0)
        }]
    );
    drop(tx);
}

#[tokio::test]
async fn a_unary_call_dropped_before_its_response_is_cancelled_on_both_sides() {
    let server = Ends::default();
    let client = Ends::default();
    let mut dummy = dummy_client_with(cases(), (server.clone(),), (client.clone(),))
        .await
        .unwrap();
    let gave_up =
        tokio::time::timeout(Duration::from_millis(200), dummy.execute(req("slow"))).await;
    assert!(gave_up.is_err(), "the call should still be running");

    assert_eq!(
        client.wait(Side::Client, 1).await,
        vec![seen(Side::Client, "Execute", Code::Cancelled, 1, 0)]
    );
    assert_eq!(
        server.wait(Side::Server, 1).await,
        vec![Seen {
            by_peer: true,
            ..seen(Side::Server, "Execute", Code::Cancelled, 1, 0)
        }]
    );
}

#[tokio::test]
async fn a_deadline_shorter_than_the_handler_ends_with_deadline_exceeded_on_the_server() {
    let server = Ends::default();
    let client = Ends::default();
    let mut dummy = dummy_client_with(cases(), (server.clone(),), (client.clone(),))
        .await
        .unwrap();
    let mut request = Request::new(req("slow"));
    request.set_timeout(Duration::from_millis(200));
    // tonic's server answers a call whose deadline passed with CANCELLED "Timeout expired";
    // the server's end hooks say why the call ended, the client's see what the app sees.
    let err = dummy.execute(request).await.unwrap_err();
    assert_eq!(
        (err.code(), err.message()),
        (Code::Cancelled, "Timeout expired"),
        "{err:?}"
    );

    let server_seen = server.wait(Side::Server, 1).await;
    assert_eq!(
        server_seen,
        vec![seen(Side::Server, "Execute", Code::DeadlineExceeded, 1, 0)]
    );
    assert_eq!(
        client.wait(Side::Client, 1).await,
        vec![seen(Side::Client, "Execute", Code::Cancelled, 1, 0)]
    );
}

#[tokio::test]
async fn a_response_stream_the_application_drops_ends_the_client_call_cancelled() {
    let client = Ends::default();
    let mut dummy = dummy_client_with(cases(), (), (client.clone(),))
        .await
        .unwrap();
    let mut stream = dummy
        .execute_server_stream(req("abcdef"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stream.next().await.unwrap().unwrap().output, "a");
    drop(stream);
    let seen = client.wait(Side::Client, 1).await;
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(
        (seen[0].code, seen[0].requests, seen[0].by_peer),
        (Code::Cancelled, 1, false),
        "{seen:?}"
    );
    // How many of the six messages the channel had decoded before the application gave up
    // depends on how the server's frames arrived; at least the one the application read.
    assert!((1..=6).contains(&seen[0].responses), "{seen:?}");
}

#[tokio::test]
async fn an_inner_interceptor_hands_a_value_to_the_outer_end_hook() {
    let server = Ends::default();
    let mut dummy = dummy_client_with(cases(), (server.clone(), authenticate), ())
        .await
        .unwrap();
    dummy.execute(req("x")).await.unwrap();
    let seen = server.wait(Side::Server, 1).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].principal.as_deref(), Some("ferris"));
}

/// Logs the type and size of every message, with no type list.
/// Direction (`>` request, `<` response), type name and encoded size of each message.
type SizeLog = Arc<Mutex<Vec<(char, String, Option<usize>)>>>;

#[derive(Clone, Default)]
struct Sizes(SizeLog);

impl CallInterceptor for Sizes {
    async fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        mut request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _: &MethodName,
    ) -> Result<Response<N::RespPayload>, Status> {
        let log = Arc::clone(&self.0);
        request.observe_messages(move |m| {
            let name = m
                .type_name()
                .rsplit("::")
                .next()
                .unwrap_or_default()
                .to_owned();
            log.lock().unwrap().push(('>', name, m.encoded_size()));
        });
        let mut response = method.call(request, context).await?;
        let log = Arc::clone(&self.0);
        response.observe_messages(move |m| {
            let name = m
                .type_name()
                .rsplit("::")
                .next()
                .unwrap_or_default()
                .to_owned();
            log.lock().unwrap().push(('<', name, m.encoded_size()));
        });
        Ok(response)
    }
}

#[tokio::test]
async fn a_type_agnostic_hook_sees_every_message_in_every_mode_on_both_sides() {
    let server = Sizes::default();
    let client = Sizes::default();
    let mut dummy = dummy_client_with(cases(), (server.clone(),), (client.clone(),))
        .await
        .unwrap();
    dummy.execute(req("abc")).await.unwrap();
    dummy
        .execute_client_stream(requests(&["a", "bb"]))
        .await
        .unwrap();
    let _: Vec<_> = dummy
        .execute_server_stream(req("xy"))
        .await
        .unwrap()
        .into_inner()
        .collect()
        .await;
    let _: Vec<_> = dummy
        .execute_client_server_stream(requests(&["p", "q"]))
        .await
        .unwrap()
        .into_inner()
        .collect()
        .await;
    // A `DummyRequest`/`DummyResponse` with an n-byte string encodes to n + 2 bytes.
    let typed = |(dir, name, len): (char, &str, usize)| (dir, name.to_owned(), Some(len));
    let mut want: Vec<_> = [
        ('>', "DummyRequest", 5),
        ('<', "DummyResponse", 5),
        ('>', "DummyRequest", 3),
        ('>', "DummyRequest", 4),
        ('<', "DummyResponse", 5),
        ('>', "DummyRequest", 4),
        ('<', "DummyResponse", 3),
        ('<', "DummyResponse", 3),
        ('>', "DummyRequest", 3),
        ('>', "DummyRequest", 3),
        ('<', "DummyResponse", 3),
        ('<', "DummyResponse", 3),
    ]
    .into_iter()
    .map(typed)
    .collect();
    let mut got = server.0.lock().unwrap().clone();
    // Request and response messages of a bidi call interleave: compare as multisets.
    got.sort();
    want.sort();
    assert_eq!(got, want);
    // On the channel the messages are `WireMessage`s, with their encoded length.
    let mut got = client.0.lock().unwrap().clone();
    got.sort();
    let mut want: Vec<_> = want
        .into_iter()
        .map(|(dir, _, len)| (dir, "WireMessage".to_owned(), len))
        .collect();
    want.sort();
    assert_eq!(got, want);
}

#[tokio::test]
async fn the_handler_reads_what_an_interceptor_stored() {
    let server = Ends::default();
    let (mut dummy, _) = hanging(server.clone(), Ends::default()).await;
    let response = dummy.execute(req("whoami")).await.unwrap();
    assert_eq!(response.into_inner().output, "ferris");
    let seen = server.wait(Side::Server, 1).await;
    assert_eq!(seen[0].principal.as_deref(), Some("ferris"));
}
