//! `errors::install_quiet_panic_hook`: quiet for every panic the library turns into a
//! status (an `ExceptionToStatus`'s answer, on a server or a client, or the runtime's
//! UNKNOWN, before or while the response stream is polled, behind `#[intercepted]` or
//! `server::InterceptorLayer`), and every other panic handed to the hook installed before
//! it. A test binary of its own, with one test: a panic hook is the whole process's.

use std::sync::{Arc, Mutex};

use grpc_interceptor::ExceptionToStatus;
use grpc_interceptor::errors::install_quiet_panic_hook;
use grpc_interceptor::prelude::*;
use grpc_interceptor::server::InterceptorLayer;
use grpc_interceptor::testing::proto::dummy_service_client::DummyServiceClient;
use grpc_interceptor::testing::{DummyClient, DummyResponse, DummyService, Reading, SpecialCases};
use grpc_interceptor::testing::{dummy_client, dummy_client_for, dummy_client_with};
use grpc_interceptor_tests::{Log, bidi, client_stream, entries, log, server_stream, unary};
use tonic::transport::{Channel, Server};

/// What the hook installed before the quiet one was handed: the panics' messages.
static HANDED_ON: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn handed_on() -> Vec<String> {
    std::mem::take(&mut *HANDED_ON.lock().unwrap())
}

fn cases() -> SpecialCases {
    SpecialCases::new()
        .on("boom", |input, _| panic!("{input} in a handler"))
        .on("end_hook", |input, context| {
            context.on_call_end(|_| panic!("in an end hook"));
            Ok(input.to_owned())
        })
        .on_async("task", |input, _| {
            Box::pin(async move {
                let task = tokio::spawn(async { panic!("in a task") });
                assert!(task.await.unwrap_err().is_panic());
                Ok(input)
            })
        })
}

/// `ExceptionToStatus`, logging the panics it answers for in its hook.
fn errors(answered: &Log<String>) -> ExceptionToStatus {
    let answered = Arc::clone(answered);
    ExceptionToStatus::new().on_failure(move |failure, _, name| {
        if let Some(message) = failure.panic_message() {
            answered
                .lock()
                .unwrap()
                .push(format!("{} {message}", name.method()));
        }
        None
    })
}

/// Panics in the chain on `Execute`; on the other methods, in a hook on each response
/// message, while the response stream is polled.
#[interceptor]
async fn boom(
    method: Next<'_>,
    request: Request,
    context: &mut Context,
    method_name: &MethodName,
) -> Result<Response, Status> {
    if method_name.method() == "Execute" {
        panic!("in an interceptor");
    }
    let mut response = method.call(request, context).await?;
    response.for_each_message(|_: &mut DummyResponse| panic!("in a response hook"))?;
    Ok(response)
}

/// Panics in a client's chain.
#[interceptor]
fn client_boom(_: Next<'_>, _: Request, _: &mut Context, _: &MethodName) -> Reply {
    panic!("in a client interceptor")
}

async fn client<I: CallInterceptor + 'static>(interceptors: I, reading: Reading) -> DummyClient {
    let service = DummyService::new(cases(), interceptors).reading(reading);
    dummy_client_for(service, ()).await.unwrap()
}

fn panicked(message: &str) -> (Code, String) {
    (Code::Unknown, format!("panicked: {message}"))
}

const METHODS: [&str; 4] = [
    "Execute",
    "ExecuteClientStream",
    "ExecuteServerStream",
    "ExecuteClientServerStream",
];

#[tokio::test]
async fn quiet_for_every_panic_that_ends_as_a_status_and_loud_for_the_others() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.payload_as_str().unwrap_or("?").to_owned();
        // Shown when the test fails (with the failing assertion's message).
        eprintln!("handed on: {message} ({:?})", info.location());
        HANDED_ON.lock().unwrap().push(message);
    }));
    install_quiet_panic_hook();
    install_quiet_panic_hook(); // Again: nothing changes.

    let caught = std::panic::catch_unwind(|| panic!("outside any call"));
    assert!(caught.is_err());
    assert_eq!(handed_on(), ["outside any call"]);

    answered_by_exception_to_status().await;
    answered_by_the_runtime().await;
    answered_by_the_server_layer().await;
    answered_on_a_client().await;
    not_answered_with_a_status().await;

    // The thread is no longer marked once the calls are over.
    let caught = std::panic::catch_unwind(|| panic!("after the calls"));
    assert!(caught.is_err());
    assert_eq!(handed_on(), ["after the calls"]);
}

/// Inside an `ExceptionToStatus`, in every mode, in the handler and in its response stream:
/// the client gets the status, the hook says nothing, and `on_failure` sees each panic.
async fn answered_by_exception_to_status() {
    let in_handler = panicked("boom in a handler");
    for reading in [Reading::InHandler, Reading::Lazily] {
        let answered = log();
        let mut quiet = client((errors(&answered),), reading).await;
        let outcome = unary(&mut quiet, "boom").await;
        assert_eq!(outcome, Err(in_handler.clone()));
        let outcome = client_stream(&mut quiet, &["a", "boom"]).await;
        assert_eq!(outcome, Err(in_handler.clone()));
        let outcome = server_stream(&mut quiet, "boom").await;
        assert_eq!(outcome, Err(in_handler.clone()));
        // Lazily, the case panics while the response stream is polled.
        let outcome = bidi(&mut quiet, &["a", "boom"]).await;
        assert_eq!(outcome, Ok((vec!["a".into()], Some(in_handler.clone()))));
        assert_eq!(handed_on(), Vec::<String>::new(), "{reading:?}");
        let want: Vec<_> = METHODS.map(|m| format!("{m} boom in a handler")).into();
        assert_eq!(entries(&answered), want, "{reading:?}");
    }

    // An inner interceptor's hook on the response messages, while tonic polls the stream.
    let answered = log();
    let mut quiet = client((errors(&answered), boom), Reading::Lazily).await;
    let in_hook = panicked("in a response hook");
    let outcome = server_stream(&mut quiet, "ab").await;
    assert_eq!(outcome, Ok((vec![], Some(in_hook.clone()))));
    let outcome = bidi(&mut quiet, &["a"]).await;
    assert_eq!(outcome, Ok((vec![], Some(in_hook))));
    let outcome = unary(&mut quiet, "a").await;
    assert_eq!(outcome, Err(panicked("in an interceptor")));
    assert_eq!(handed_on(), Vec::<String>::new());
    let want = [
        "ExecuteServerStream in a response hook",
        "ExecuteClientServerStream in a response hook",
        "Execute in an interceptor",
    ];
    assert_eq!(entries(&answered), want);
}

/// Without `ExceptionToStatus` behind `#[intercepted]`: the runtime answers UNKNOWN, in the
/// call and while the response stream is polled, and the hook says nothing.
async fn answered_by_the_runtime() {
    let in_handler = panicked("boom in a handler");
    for reading in [Reading::InHandler, Reading::Lazily] {
        let mut bare = client((), reading).await;
        assert_eq!(unary(&mut bare, "boom").await, Err(in_handler.clone()));
        let outcome = client_stream(&mut bare, &["a", "boom"]).await;
        assert_eq!(outcome, Err(in_handler.clone()));
        let outcome = server_stream(&mut bare, "boom").await;
        assert_eq!(outcome, Err(in_handler.clone()));
        let outcome = bidi(&mut bare, &["a", "boom"]).await;
        assert_eq!(outcome, Ok((vec!["a".into()], Some(in_handler.clone()))));
        assert_eq!(handed_on(), Vec::<String>::new(), "{reading:?}");
    }

    let mut hooked = client((boom,), Reading::Lazily).await;
    let in_hook = panicked("in a response hook");
    let outcome = server_stream(&mut hooked, "ab").await;
    assert_eq!(outcome, Ok((vec![], Some(in_hook.clone()))));
    let outcome = bidi(&mut hooked, &["a"]).await;
    assert_eq!(outcome, Ok((vec![], Some(in_hook))));
    let outcome = unary(&mut hooked, "a").await;
    assert_eq!(outcome, Err(panicked("in an interceptor")));
    assert_eq!(handed_on(), Vec::<String>::new());
}

/// Behind `server::InterceptorLayer`: a panic in the layer's chain, and one while the
/// response body is polled, end as UNKNOWN, and the hook says nothing.
async fn answered_by_the_server_layer() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
    let router = Server::builder()
        .layer(InterceptorLayer::new((boom,)))
        .add_service(DummyService::new(cases(), ()).into_server());
    tokio::spawn(router.serve_with_incoming(incoming));
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut layered = DummyServiceClient::new(channel);
    let outcome = unary(&mut layered, "a").await;
    assert_eq!(outcome, Err(panicked("in an interceptor")));
    let in_hook = panicked("in a response hook");
    let outcome = server_stream(&mut layered, "ab").await;
    assert_eq!(outcome, Ok((vec![], Some(in_hook.clone()))));
    let outcome = bidi(&mut layered, &["a"]).await;
    assert_eq!(outcome, Ok((vec![], Some(in_hook))));
    assert_eq!(handed_on(), Vec::<String>::new());
}

/// Registers an end hook on the response stream that panics.
#[interceptor]
async fn end_boom(
    method: Next<'_>,
    request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Result<Response, Status> {
    let mut response = method.call(request, context).await?;
    response.on_end(|_| panic!("in a stream end hook"));
    Ok(response)
}

/// On a client, where the application polls the response stream: a client-side
/// `ExceptionToStatus` answers a panic in a response hook, and the hook says nothing; an
/// end hook registered outside it panics into the application, and is reported.
async fn answered_on_a_client() {
    let answered = log();
    let client_side = (errors(&answered), boom);
    let mut quiet = dummy_client_with(SpecialCases::new(), (), client_side)
        .await
        .unwrap();
    let in_hook = panicked("in a response hook");
    let outcome = server_stream(&mut quiet, "ab").await;
    assert_eq!(outcome, Ok((vec![], Some(in_hook.clone()))));
    let outcome = bidi(&mut quiet, &["a"]).await;
    assert_eq!(outcome, Ok((vec![], Some(in_hook))));
    let outcome = unary(&mut quiet, "a").await;
    assert_eq!(outcome, Err(panicked("in an interceptor")));
    assert_eq!(handed_on(), Vec::<String>::new());
    let want = [
        "ExecuteServerStream in a response hook",
        "ExecuteClientServerStream in a response hook",
        "Execute in an interceptor",
    ];
    assert_eq!(entries(&answered), want);

    let client_side = (end_boom, ExceptionToStatus::new());
    let mut loud = dummy_client_with(SpecialCases::new(), (), client_side)
        .await
        .unwrap();
    let call = tokio::spawn(async move { server_stream(&mut loud, "ab").await });
    assert!(call.await.unwrap_err().is_panic());
    assert_eq!(handed_on(), ["in a stream end hook"]);
}

/// Panics that end as no status are reported, even inside a call: an end hook's, a task's
/// the handler spawned, a client interceptor's (which goes on into the caller's task).
async fn not_answered_with_a_status() {
    for reading in [Reading::InHandler, Reading::Lazily] {
        let mut quiet = client((ExceptionToStatus::new(),), reading).await;
        assert_eq!(unary(&mut quiet, "end_hook").await, Ok("end_hook".into()));
        assert_eq!(handed_on(), ["in an end hook"], "{reading:?}");
        let outcome = bidi(&mut quiet, &["end_hook"]).await;
        assert_eq!(outcome, Ok((vec!["end_hook".into()], None)));
        assert_eq!(handed_on(), ["in an end hook"], "{reading:?}");
        assert_eq!(unary(&mut quiet, "task").await, Ok("task".into()));
        assert_eq!(handed_on(), ["in a task"], "{reading:?}");
    }

    let cases = SpecialCases::new();
    let mut client = dummy_client_with(cases, (ExceptionToStatus::new(),), (client_boom,))
        .await
        .unwrap();
    let call = tokio::spawn(async move { unary(&mut client, "a").await });
    assert!(call.await.unwrap_err().is_panic());
    assert_eq!(handed_on(), ["in a client interceptor"]);

    // A server with nothing to answer for still reports nothing it should not.
    let mut plain = dummy_client(SpecialCases::new(), ()).await.unwrap();
    assert_eq!(unary(&mut plain, "a").await, Ok("a".into()));
    assert_eq!(handed_on(), Vec::<String>::new());
}
