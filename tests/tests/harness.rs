//! The test harness against the reference's: special cases on the call's own context in
//! every mode (bidi included, with either `Reading`), async special cases with the context,
//! `raises` with errors that are not `Clone`, and `DummyClient::call_raw`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use grpc_interceptor::ExceptionToStatus;
use grpc_interceptor::prelude::*;
use grpc_interceptor::testing::{
    CaseContext, DummyClient, DummyRequest, DummyResponse, DummyService, Reading, SpecialCases,
    dummy_client, dummy_client_for, raises,
};
use grpc_interceptor_tests::{
    Counting, Log, bidi, client_stream, collect, entries, log, req, requests, server_stream, unary,
};
use prost::Message as _;
use tokio_stream::StreamExt;

const READINGS: [Reading; 2] = [Reading::Lazily, Reading::InHandler];

fn internal() -> ExceptionToStatus {
    ExceptionToStatus::new()
        .status_on_unknown_exception(Code::Internal)
        .unwrap()
}

async fn client<I: CallInterceptor + 'static>(
    cases: SpecialCases,
    interceptors: I,
    reading: Reading,
) -> DummyClient {
    let service = DummyService::new(cases, interceptors).reading(reading);
    dummy_client_for(service, ()).await.unwrap()
}

fn not_found(details: &str) -> Option<(Code, String)> {
    Some((Code::NotFound, details.to_owned()))
}

fn strings(outputs: &[&str]) -> Vec<String> {
    outputs.iter().map(|s| s.to_string()).collect()
}

/// The reference's `setcode`: sets NOT_FOUND on the context, then fails; sync and async,
/// with and without details.
fn setcode_cases() -> SpecialCases {
    SpecialCases::new()
        .on("setcode", |_, context| {
            context.set_code(Code::NotFound);
            panic!("oops")
        })
        .on("setcode_details", |_, context| {
            context.set_code(Code::NotFound);
            context.set_details("gone");
            panic!("oops")
        })
        .on_async("async_setcode", |_, context| {
            Box::pin(async move {
                tokio::task::yield_now().await;
                context.set_code(Code::NotFound);
                panic!("oops")
            })
        })
        .on("unknown", |_, _| panic!("oops"))
}

#[tokio::test]
async fn a_code_set_before_a_panic_is_kept_in_every_mode_and_both_readings() {
    for reading in READINGS {
        let mut client = client(setcode_cases(), (internal(),), reading).await;
        for (input, details) in [
            ("setcode", "panicked: oops"),
            ("setcode_details", "gone"),
            ("async_setcode", "panicked: oops"),
        ] {
            let want = not_found(details).unwrap();
            let outcome = unary(&mut client, input).await;
            assert_eq!(outcome, Err(want.clone()), "{reading:?} {input}");
            let outcome = client_stream(&mut client, &["foo", input, "bar"]).await;
            assert_eq!(outcome, Err(want.clone()), "{reading:?} {input}");
            let outcome = server_stream(&mut client, input).await;
            assert_eq!(outcome, Err(want), "{reading:?} {input}");
            // The answers before the failure arrive first, as in the reference.
            let outcome = bidi(&mut client, &["foo", input, "bar"]).await;
            let want = Ok((strings(&["foo"]), not_found(details)));
            assert_eq!(outcome, want, "{reading:?} {input}");
        }
        // Without a code, a panic is an unknown failure: the interceptor's code.
        let outcome = bidi(&mut client, &["foo", "unknown"]).await;
        let internal = Some((Code::Internal, "panicked: oops".to_owned()));
        assert_eq!(outcome, Ok((strings(&["foo"]), internal)), "{reading:?}");
        // The code was the call's, not the service's.
        let outcome = bidi(&mut client, &["foo"]).await;
        assert_eq!(outcome, Ok((strings(&["foo"]), None)), "{reading:?}");
    }
}

#[tokio::test]
async fn a_bidi_case_that_only_sets_a_code_ends_the_call_with_it_after_the_messages() {
    let cases = SpecialCases::new().on("later", |input, context| {
        context.set_code(Code::NotFound);
        context.set_details("set by a case");
        Ok(input.to_owned())
    });
    for reading in READINGS {
        let mut client = client(cases.clone(), (), reading).await;
        let outcome = bidi(&mut client, &["a", "later", "b"]).await;
        let want = Ok((strings(&["a", "later", "b"]), not_found("set by a case")));
        assert_eq!(outcome, want, "{reading:?}");
        let unary = unary(&mut client, "later").await;
        assert_eq!(unary, Err((Code::NotFound, "set by a case".into())));
    }
}

#[tokio::test]
async fn the_bidi_cases_of_one_call_share_its_context() {
    let cases = SpecialCases::new()
        .on("set", |input, context| {
            context.set_code(Code::Aborted);
            Ok(input.to_owned())
        })
        .on("read", |_, context| Ok(format!("{:?}", context.code())));
    for reading in READINGS {
        let mut client = client(cases.clone(), (), reading).await;
        let outcome = bidi(&mut client, &["read", "set", "read"]).await;
        let outputs = strings(&["None", "set", "Some(Aborted)"]);
        assert_eq!(outcome, Ok((outputs, Some((Code::Aborted, String::new())))));
        // The next call has a context of its own.
        let outcome = bidi(&mut client, &["read"]).await;
        assert_eq!(outcome, Ok((strings(&["None"]), None)), "{reading:?}");
    }
}

#[tokio::test]
async fn trailers_set_by_a_bidi_case_reach_the_client() {
    fn tag(input: &str, context: &mut CaseContext<'_, '_>) {
        let value = input.parse().unwrap();
        context.with_trailers(|t| t.insert("x-case", value));
    }
    let cases = SpecialCases::new()
        .on("tag", |input, context| {
            tag(input, context);
            Ok(input.to_owned())
        })
        .on("tag_and_fail", |input, context| {
            tag(input, context);
            Err(Status::not_found("not here"))
        });
    for reading in READINGS {
        let mut client = client(cases.clone(), (), reading).await;
        let mut stream = client
            .execute_client_server_stream(requests(&["a", "tag"]))
            .await
            .unwrap()
            .into_inner();
        let (outputs, end) = collect_from(&mut stream).await;
        assert_eq!(
            (outputs, end),
            (strings(&["a", "tag"]), None),
            "{reading:?}"
        );
        let trailers = stream.trailers().await.unwrap().unwrap();
        assert_eq!(trailers.get("x-case").unwrap(), "tag", "{reading:?}");

        let mut stream = client
            .execute_client_server_stream(requests(&["a", "tag_and_fail", "b"]))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(stream.next().await.unwrap().unwrap().output, "a");
        let status = stream.next().await.unwrap().unwrap_err();
        assert_eq!(
            (status.code(), status.message()),
            (Code::NotFound, "not here")
        );
        let tag = status.metadata().get("x-case");
        assert_eq!(tag.unwrap(), "tag_and_fail", "{reading:?}");
    }
}

/// A panic after a trailer was set: the reference sends the trailer with the status. The
/// handler that reads its requests runs the case on the call's own context, where the
/// trailer survives the panic.
#[tokio::test]
async fn reading_in_the_handler_keeps_trailers_set_before_a_panic() {
    let cases = SpecialCases::new().on("tag_and_panic", |_, context| {
        context.with_trailers(|t| t.insert("x-case", "kept".parse().unwrap()));
        panic!("oops")
    });
    let mut client = client(cases, (internal(),), Reading::InHandler).await;
    let mut stream = client
        .execute_client_server_stream(requests(&["a", "tag_and_panic"]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stream.next().await.unwrap().unwrap().output, "a");
    let status = stream.next().await.unwrap().unwrap_err();
    assert_eq!(
        (status.code(), status.message()),
        (Code::Internal, "panicked: oops")
    );
    assert_eq!(status.metadata().get("x-case").unwrap(), "kept");
}

async fn collect_from(
    stream: &mut tonic::Streaming<DummyResponse>,
) -> (Vec<String>, Option<(Code, String)>) {
    let mut outputs = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(r) => outputs.push(r.output),
            Err(status) => return (outputs, Some((status.code(), status.message().into()))),
        }
    }
    (outputs, None)
}

/// Without `ExceptionToStatus`, a case that reads its requests in the handler fails as a
/// unary call does (UNKNOWN: the runtime's answer to a panic); a lazily answered case keeps
/// the code it set, as grpcio does, since the harness answers for it.
#[tokio::test]
async fn without_exception_to_status_a_lazy_case_keeps_its_code_as_grpcio_does() {
    let panicked = |code| Some((code, "panicked: oops".to_owned()));
    let mut lazy = client(setcode_cases(), (), Reading::Lazily).await;
    let outcome = bidi(&mut lazy, &["foo", "setcode"]).await;
    assert_eq!(outcome, Ok((strings(&["foo"]), panicked(Code::NotFound))));
    let mut in_handler = client(setcode_cases(), (), Reading::InHandler).await;
    let outcome = bidi(&mut in_handler, &["foo", "setcode"]).await;
    assert_eq!(outcome, Ok((strings(&["foo"]), panicked(Code::Unknown))));
    let outcome = unary(&mut in_handler, "setcode").await;
    assert_eq!(outcome, Err(panicked(Code::Unknown).unwrap()));
}

#[tokio::test]
async fn async_cases_get_the_context_and_the_metadata_in_every_mode() {
    let cases = SpecialCases::new().on_async("whoami", |_, context| {
        Box::pin(async move {
            tokio::task::yield_now().await;
            let user = context.metadata().get("x-user").cloned();
            let user = user.ok_or_else(|| Status::unauthenticated("no user"))?;
            context.with_trailers(|t| t.insert("x-seen", user.clone()));
            Ok(user.to_str().unwrap_or_default().to_owned())
        })
    });
    fn with_user<T>(message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request
            .metadata_mut()
            .insert("x-user", "ferris".parse().unwrap());
        request
    }
    for reading in READINGS {
        let mut client = client(cases.clone(), (), reading).await;
        let response = client.execute(with_user(req("whoami"))).await.unwrap();
        assert_eq!(response.metadata().get("x-seen").unwrap(), "ferris");
        assert_eq!(response.into_inner().output, "ferris");
        let response = client
            .execute_client_stream(with_user(requests(&["whoami", "!"])))
            .await
            .unwrap();
        assert_eq!(response.into_inner().output, "ferris!");
        let stream = client
            .execute_server_stream(with_user(req("whoami")))
            .await
            .unwrap();
        assert_eq!(collect(stream.into_inner()).await.0.concat(), "ferris");
        let mut stream = client
            .execute_client_server_stream(with_user(requests(&["whoami"])))
            .await
            .unwrap()
            .into_inner();
        let (outputs, end) = collect_from(&mut stream).await;
        assert_eq!((outputs, end), (strings(&["ferris"]), None), "{reading:?}");
        let trailers = stream.trailers().await.unwrap().unwrap();
        assert_eq!(trailers.get("x-seen").unwrap(), "ferris", "{reading:?}");

        let status = client.execute(req("whoami")).await.unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated);
    }
}

/// Logs each request message as it reaches the handler (`>input`) and each response
/// message as it leaves (`<output`).
#[derive(Clone, Default)]
struct Order(Log<String>);

impl CallInterceptor for Order {
    async fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        mut request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _: &MethodName,
    ) -> Result<Response<N::RespPayload>, Status> {
        let log = Arc::clone(&self.0);
        request.inspect_messages(move |m: &DummyRequest| {
            log.lock().unwrap().push(format!(">{}", m.input));
            Ok(())
        })?;
        let mut response = method.call(request, context).await?;
        let log = Arc::clone(&self.0);
        response.inspect_messages(move |m: &DummyResponse| {
            log.lock().unwrap().push(format!("<{}", m.output));
            Ok(())
        })?;
        Ok(response)
    }
}

#[tokio::test]
async fn lazily_each_request_is_answered_as_it_arrives_in_the_handler_after_the_last() {
    let order = Order::default();
    let mut lazy = client(SpecialCases::new(), (order.clone(),), Reading::Lazily).await;
    bidi(&mut lazy, &["a", "b"]).await.unwrap();
    assert_eq!(entries(&order.0), [">a", "<a", ">b", "<b"]);

    let order = Order::default();
    let mut reads = client(SpecialCases::new(), (order.clone(),), Reading::InHandler).await;
    bidi(&mut reads, &["a", "b"]).await.unwrap();
    assert_eq!(entries(&order.0), [">a", ">b", "<a", "<b"]);

    // A client can wait for each answer before it sends the next request.
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    tx.send(req("ping")).await.unwrap();
    let mut stream = lazy
        .execute_client_server_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap()
        .into_inner();
    let answer = tokio::time::timeout(Duration::from_secs(10), stream.next()).await;
    assert_eq!(answer.unwrap().unwrap().unwrap().output, "ping");
    tx.send(req("pong")).await.unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(10), stream.next()).await;
    assert_eq!(answer.unwrap().unwrap().unwrap().output, "pong");
    drop(tx);
    assert!(stream.next().await.is_none());
}

/// A value an interceptor stores in the call's storage.
#[derive(Clone)]
struct Principal(&'static str);

#[interceptor]
fn authenticate(
    method: Next<'_>,
    request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Reply {
    context.insert(Principal("ferris"));
    method.call(request, context)
}

/// Reads the `Principal` an interceptor stored, sync or async.
fn whoami_cases() -> SpecialCases {
    fn whoami(context: &CaseContext<'_, '_>) -> String {
        context
            .get::<Principal>()
            .map_or("nobody", |p| p.0)
            .to_owned()
    }
    SpecialCases::new()
        .on("whoami", |_, context| Ok(whoami(context)))
        .on_async("async_whoami", |_, context| {
            Box::pin(async move {
                tokio::task::yield_now().await;
                Ok(whoami(context))
            })
        })
}

#[tokio::test]
async fn cases_read_what_interceptors_stored_in_every_mode_and_both_readings() {
    for reading in READINGS {
        let mut client = client(whoami_cases(), (authenticate,), reading).await;
        for input in ["whoami", "async_whoami"] {
            let outcome = unary(&mut client, input).await;
            assert_eq!(outcome, Ok("ferris".into()), "{reading:?} {input}");
            let outcome = client_stream(&mut client, &[input, input]).await;
            assert_eq!(outcome, Ok("ferrisferris".into()), "{reading:?} {input}");
            let outcome = server_stream(&mut client, input).await;
            let want = strings(&["f", "e", "r", "r", "i", "s"]);
            assert_eq!(outcome, Ok((want, None)), "{reading:?} {input}");
            let outcome = bidi(&mut client, &[input, "a", input]).await;
            let want = strings(&["ferris", "a", "ferris"]);
            assert_eq!(outcome, Ok((want, None)), "{reading:?} {input}");
        }
        // Without the interceptor the storage is empty.
        let mut bare = self::client(whoami_cases(), (), reading).await;
        let outcome = bidi(&mut bare, &["whoami"]).await;
        assert_eq!(outcome, Ok((strings(&["nobody"]), None)), "{reading:?}");
    }
}

/// What a bidi case stores is seen by the cases after it in the same call, and by the end
/// hooks it registers, but not by the next call.
#[tokio::test]
async fn what_a_bidi_case_stores_is_the_calls_own() {
    let ends: Log<String> = log();
    let seen = Arc::clone(&ends);
    let cases = whoami_cases().on("become", move |input, context| {
        let previous = context.insert(Principal("crab"));
        let seen = Arc::clone(&seen);
        context.on_call_end(move |end| {
            let who = end.get::<Principal>().map_or("nobody", |p| p.0);
            seen.lock().unwrap().push(who.to_owned());
        });
        Ok(format!("{input} {}", previous.map_or("nobody", |p| p.0)))
    });
    for reading in READINGS {
        ends.lock().unwrap().clear();
        let mut client = client(cases.clone(), (authenticate,), reading).await;
        let outcome = bidi(&mut client, &["whoami", "become", "whoami"]).await;
        let want = strings(&["ferris", "become ferris", "crab"]);
        assert_eq!(outcome, Ok((want, None)), "{reading:?}");
        let outcome = bidi(&mut client, &["whoami"]).await;
        assert_eq!(outcome, Ok((strings(&["ferris"]), None)), "{reading:?}");
        assert_eq!(entries(&ends), ["crab"], "{reading:?}");
    }
}

/// Special cases whose `hook` input registers an end hook that sends the call's final code.
fn hook_cases() -> (SpecialCases, tokio::sync::mpsc::UnboundedReceiver<Code>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let cases = SpecialCases::new()
        .on("hook", move |input, context| {
            let tx = tx.clone();
            context.on_call_end(move |end| {
                let _ = tx.send(end.code());
            });
            Ok(input.to_owned())
        })
        .on("error", raises(Status::not_found("not here")));
    (cases, rx)
}

/// The next code an end hook sent, or a failure instead of a hang.
async fn next_end(ends: &mut tokio::sync::mpsc::UnboundedReceiver<Code>) -> Code {
    let end = tokio::time::timeout(Duration::from_secs(30), ends.recv()).await;
    end.expect("an end hook ran").expect("an end hook ran")
}

#[tokio::test]
async fn end_hooks_registered_by_a_bidi_case_see_how_the_call_ended() {
    for reading in READINGS {
        let (cases, mut ends) = hook_cases();
        let mut client = client(cases, (), reading).await;
        bidi(&mut client, &["hook", "a"]).await.unwrap();
        assert_eq!(next_end(&mut ends).await, Code::Ok, "{reading:?}");
        bidi(&mut client, &["hook", "error"]).await.unwrap();
        assert_eq!(next_end(&mut ends).await, Code::NotFound, "{reading:?}");
    }
}

/// Lazily, a client that goes away in the middle of the call: the end hooks a case
/// registered see CANCELLED, as `Reading::Lazily` says.
#[tokio::test]
async fn a_lazy_cases_end_hooks_see_cancelled_when_the_client_goes_away() {
    let (cases, mut ends) = hook_cases();
    // Never answers: only the client going away ends the call.
    let cases = cases.on_async("hang", |_, _| Box::pin(std::future::pending()));
    let mut client = client(cases, (), Reading::Lazily).await;
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    tx.send(req("hook")).await.unwrap();
    let mut stream = client
        .execute_client_server_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stream.next().await.unwrap().unwrap().output, "hook");
    tx.send(req("hang")).await.unwrap();
    // The application gives up on the call: the response stream and the request stream.
    drop(stream);
    drop(tx);
    assert_eq!(next_end(&mut ends).await, Code::Cancelled);
}

#[tokio::test]
async fn call_raw_reaches_unregistered_methods_through_the_client_interceptors() {
    let on_server = Counting::default();
    let on_client = Counting::default();
    let cases = SpecialCases::new().on("metadata", |_, context| {
        let value = context.metadata().get("x-key");
        Ok(value
            .map_or("", |v| v.to_str().unwrap_or_default())
            .to_owned())
    });
    let service = DummyService::new(cases, (on_server.clone(),));
    let client = dummy_client_for(service, (on_client.clone(),))
        .await
        .unwrap();

    let status = client
        .call_raw("/Nope/Nothing", req("x"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unimplemented);
    let status = client
        .call_raw("/DummyService/Unimplemented", req("x"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unimplemented);
    // The server's interceptors never ran; the client's saw both calls fail.
    let (calls, errors) = on_server.counts();
    assert!(
        calls.is_empty() && errors.is_empty(),
        "{calls:?} {errors:?}"
    );
    let (calls, errors) = on_client.counts();
    assert_eq!(calls.get("/Nope/Nothing"), Some(&1));
    assert_eq!(errors.get("/DummyService/Unimplemented"), Some(&1));

    // A registered method answers, with the request's metadata, in the response's encoding.
    let mut request = tonic::Request::new(req("metadata"));
    request.metadata_mut().insert("x-key", "v".parse().unwrap());
    let encoded = client
        .call_raw_request("/DummyService/Execute", request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(DummyResponse::decode(encoded).unwrap().output, "v");
}

#[tokio::test]
async fn call_raw_answers_a_path_that_is_no_path_with_a_status() {
    let client = dummy_client(SpecialCases::new(), ()).await.unwrap();
    for path in [
        "/Dummy Service/Execute",
        "/DummyService/Execute\n",
        "",
        "DummyService/Execute",
    ] {
        let status = client.call_raw(path, req("x")).await.unwrap_err();
        assert_ne!(status.code(), Code::Ok, "{path:?}");
    }
    let status = client.call_raw("/a b", req("x")).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{}", status.message());
    // The client still works.
    let echo = client.call_raw("/DummyService/Execute", req("x")).await;
    assert_eq!(
        DummyResponse::decode(echo.unwrap().into_inner())
            .unwrap()
            .output,
        "x"
    );
}

/// An error type that is not `Clone`.
#[derive(Debug)]
struct Gone(Mutex<String>);

impl From<Gone> for Status {
    fn from(gone: Gone) -> Status {
        Status::not_found(gone.0.into_inner().unwrap())
    }
}

#[tokio::test]
async fn raises_takes_errors_that_are_not_clone_and_fails_every_call() {
    let cases = SpecialCases::new().on("gone", raises(Gone(Mutex::new("no more".into()))));
    let mut client = dummy_client(cases, ()).await.unwrap();
    for _ in 0..2 {
        let outcome = unary(&mut client, "gone").await;
        assert_eq!(outcome, Err((Code::NotFound, "no more".into())));
    }
    let outcome = bidi(&mut client, &["a", "gone"]).await;
    assert_eq!(outcome, Ok((strings(&["a"]), not_found("no more"))));
}
