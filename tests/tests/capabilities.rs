//! What an interceptor can do, in each of the four streaming modes, over real HTTP/2.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use grpc_interceptor::prelude::*;
use grpc_interceptor::testing::{DummyRequest, DummyResponse, SpecialCases, dummy_client, raises};
use grpc_interceptor::{
    CallInterceptor, Chain, Code, Context, MessageStream, MethodName, Next, Reply, Request,
    Response, Status, interceptor,
};
use grpc_interceptor_tests::{
    TrailerProbe, bidi, client_stream, collect, ok_stream, req, requests, server_stream, unary,
    uppercase,
};

/// Replaces every request message with a fixed one.
#[interceptor]
fn replace_requests(
    method: Next<'_>,
    mut request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Reply {
    let replaced = request.for_each_message(|r: &mut DummyRequest| {
        *r = DummyRequest {
            input: "replaced".into(),
        };
        Ok(())
    });
    match replaced {
        Ok(_) => method.call(request, context),
        Err(status) => Reply::error(status),
    }
}

/// Appends `!` to every response message, unary or streamed.
#[interceptor]
async fn exclaim(
    method: Next<'_>,
    request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Result<Response, Status> {
    let mut response = method.call(request, context).await?;
    response.for_each_message(|r: &mut DummyResponse| {
        r.output.push('!');
        Ok(())
    })?;
    Ok(response)
}

/// Answers every call itself, in the call's own mode, without running the handler.
#[interceptor]
fn short_circuit(
    method: Next<'_>,
    _request: Request,
    _context: &mut Context,
    _: &MethodName,
) -> Reply {
    let _ = method;
    let unary = DummyResponse {
        output: "short-circuit".into(),
    };
    if let Ok(response) = Response::try_from_payload(unary) {
        return Reply::ok(response);
    }
    let messages = ["short", "circuit"].map(|o| Ok(DummyResponse { output: o.into() }));
    match Response::try_from_payload(MessageStream::new(tokio_stream::iter(messages))) {
        Ok(response) => Reply::ok(response),
        Err(_) => Reply::error(Status::internal("not a dummy call")),
    }
}

/// Ends every call with a status, after setting a trailer.
#[interceptor]
fn deny_with_trailer(
    _method: Next<'_>,
    _request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Reply {
    context.with_trailers(|t| t.insert("x-denied-by", "deny_with_trailer".parse().expect("ascii")));
    Reply::error(Status::permission_denied("denied"))
}

/// Sets headers, trailers and, on `setcode` inputs, the final code and details.
#[interceptor]
async fn decorate(
    method: Next<'_>,
    request: Request,
    context: &mut Context,
    method_name: &MethodName,
) -> Result<Response, Status> {
    context.with_headers(|h| h.insert("x-header", "h".parse().expect("ascii")));
    let raw = method_name
        .as_str()
        .parse()
        .map_err(|_| Status::internal("path"))?;
    context.with_trailers(|t| t.insert("x-method", raw));
    if request
        .message::<DummyRequest>()
        .is_some_and(|r| r.input == "setcode")
    {
        context.set_code(Code::NotFound);
        context.set_details("set on the context");
    }
    method.call(request, context).await
}

/// What [`Observe`] saw of one call.
#[derive(Clone, Debug, Default)]
struct Seen {
    method_name: Option<MethodName>,
    token: Option<String>,
    peer: bool,
    timeout: Option<Duration>,
}

/// Records the method name, a metadata value, the peer and the deadline.
#[derive(Clone, Default)]
struct Observe(Arc<Mutex<Vec<Seen>>>);

impl CallInterceptor for Observe {
    async fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        method_name: &MethodName,
    ) -> Result<Response<N::RespPayload>, Status> {
        let seen = Seen {
            method_name: Some(method_name.clone()),
            token: request
                .metadata()
                .get("x-token")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            peer: request.remote_addr().is_some_and(|a| a.ip().is_loopback()),
            timeout: request.timeout(),
        };
        self.0
            .lock()
            .map_err(|_| Status::internal("poisoned"))?
            .push(seen);
        method.call(request, context).await
    }
}

fn with_token<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("x-token", "secret".parse().expect("ascii"));
    request.set_timeout(Duration::from_secs(7));
    request
}

#[tokio::test]
async fn request_messages_can_be_changed_in_every_mode() {
    let mut client = dummy_client(SpecialCases::new(), (uppercase,))
        .await
        .unwrap();
    assert_eq!(unary(&mut client, "a").await, Ok("A".into()));
    assert_eq!(
        client_stream(&mut client, &["foo", "bar"]).await,
        Ok("FOOBAR".into())
    );
    assert_eq!(
        server_stream(&mut client, "ab").await,
        ok_stream(&["A", "B"])
    );
    assert_eq!(bidi(&mut client, &["x", "y"]).await, ok_stream(&["X", "Y"]));
}

#[tokio::test]
async fn request_messages_can_be_replaced_in_every_mode() {
    let mut client = dummy_client(SpecialCases::new(), (replace_requests,))
        .await
        .unwrap();
    assert_eq!(unary(&mut client, "a").await, Ok("replaced".into()));
    assert_eq!(
        client_stream(&mut client, &["a", "b"]).await,
        Ok("replacedreplaced".into())
    );
    assert_eq!(
        server_stream(&mut client, "a").await,
        ok_stream(&["r", "e", "p", "l", "a", "c", "e", "d"])
    );
    assert_eq!(
        bidi(&mut client, &["a", "b"]).await,
        ok_stream(&["replaced", "replaced"])
    );
}

#[tokio::test]
async fn response_messages_can_be_changed_in_every_mode() {
    let mut client = dummy_client(SpecialCases::new(), (exclaim,)).await.unwrap();
    assert_eq!(unary(&mut client, "a").await, Ok("a!".into()));
    assert_eq!(
        client_stream(&mut client, &["a", "b"]).await,
        Ok("ab!".into())
    );
    assert_eq!(
        server_stream(&mut client, "ab").await,
        ok_stream(&["a!", "b!"])
    );
    assert_eq!(
        bidi(&mut client, &["x", "y"]).await,
        ok_stream(&["x!", "y!"])
    );
}

#[tokio::test]
async fn an_interceptor_can_answer_without_the_handler_in_every_mode() {
    let cases = SpecialCases::new().on("a", raises(Status::internal("the handler ran")));
    let mut client = dummy_client(cases, (short_circuit,)).await.unwrap();
    assert_eq!(unary(&mut client, "a").await, Ok("short-circuit".into()));
    assert_eq!(
        client_stream(&mut client, &["a"]).await,
        Ok("short-circuit".into())
    );
    assert_eq!(
        server_stream(&mut client, "a").await,
        ok_stream(&["short", "circuit"])
    );
    assert_eq!(
        bidi(&mut client, &["a"]).await,
        ok_stream(&["short", "circuit"])
    );
}

#[tokio::test]
async fn an_interceptor_can_end_the_call_with_a_status_and_trailers_in_every_mode() {
    let mut client = dummy_client(SpecialCases::new(), (deny_with_trailer,))
        .await
        .unwrap();
    let check = |status: Status| {
        assert_eq!(
            (status.code(), status.message()),
            (Code::PermissionDenied, "denied")
        );
        assert_eq!(
            status.metadata().get("x-denied-by").unwrap(),
            "deny_with_trailer"
        );
    };
    check(client.execute(req("a")).await.unwrap_err());
    check(
        client
            .execute_client_stream(requests(&["a"]))
            .await
            .unwrap_err(),
    );
    check(client.execute_server_stream(req("a")).await.unwrap_err());
    check(
        client
            .execute_client_server_stream(requests(&["a"]))
            .await
            .unwrap_err(),
    );
}

#[tokio::test]
async fn interceptors_read_metadata_peer_deadline_and_method_name_in_every_mode() {
    let observe = Observe::default();
    let mut client = dummy_client(SpecialCases::new(), (observe.clone(),))
        .await
        .unwrap();
    client.execute(with_token(req("a"))).await.unwrap();
    client
        .execute_client_stream(with_token(requests(&["a"])))
        .await
        .unwrap();
    collect(
        client
            .execute_server_stream(with_token(req("a")))
            .await
            .unwrap()
            .into_inner(),
    )
    .await;
    collect(
        client
            .execute_client_server_stream(with_token(requests(&["a"])))
            .await
            .unwrap()
            .into_inner(),
    )
    .await;

    let seen = observe.0.lock().unwrap().clone();
    let names: Vec<String> = seen
        .iter()
        .map(|s| s.method_name.as_ref().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "/DummyService/Execute",
            "/DummyService/ExecuteClientStream",
            "/DummyService/ExecuteServerStream",
            "/DummyService/ExecuteClientServerStream"
        ]
    );
    for s in &seen {
        let name = s.method_name.as_ref().unwrap();
        assert_eq!(
            (
                name.package(),
                name.service(),
                name.fully_qualified_service()
            ),
            ("", "DummyService", "DummyService")
        );
        assert_eq!(s.token.as_deref(), Some("secret"));
        assert!(s.peer, "{s:?}");
        let timeout = s
            .timeout
            .expect("the client's deadline reaches the interceptor");
        assert!(
            timeout > Duration::from_secs(6) && timeout <= Duration::from_secs(7),
            "{timeout:?}"
        );
    }
}

#[tokio::test]
async fn headers_and_trailers_reach_the_client() {
    let mut client = dummy_client(SpecialCases::new(), (decorate,))
        .await
        .unwrap();
    let reply = client.execute(req("a")).await.unwrap();
    assert_eq!(reply.metadata().get("x-header").unwrap(), "h");
    // Known limit: after a successful unary response tonic sends no custom trailers, so
    // they travel with the headers.
    assert_eq!(
        reply.metadata().get("x-method").unwrap(),
        "/DummyService/Execute"
    );

    let response = client.execute_server_stream(req("ab")).await.unwrap();
    assert_eq!(response.metadata().get("x-header").unwrap(), "h");
    let mut stream = response.into_inner();
    let mut messages = 0;
    while let Some(item) = tokio_stream::StreamExt::next(&mut stream).await {
        item.unwrap();
        messages += 1;
    }
    let trailers = stream.trailers().await.unwrap().unwrap();
    assert_eq!(
        (
            messages,
            trailers.get("x-method").unwrap().to_str().unwrap()
        ),
        (2, "/DummyService/ExecuteServerStream")
    );
}

#[tokio::test]
async fn a_code_set_on_the_context_ends_the_call_with_its_trailers() {
    let mut client = dummy_client(SpecialCases::new(), (decorate,))
        .await
        .unwrap();
    let status = client.execute(req("setcode")).await.unwrap_err();
    assert_eq!(
        (status.code(), status.message()),
        (Code::NotFound, "set on the context")
    );
    assert_eq!(
        status.metadata().get("x-method").unwrap(),
        "/DummyService/Execute"
    );

    // On a stream the messages go out first, then the code set on the context.
    let stream = client
        .execute_server_stream(req("setcode"))
        .await
        .unwrap()
        .into_inner();
    let (messages, end) = collect(stream).await;
    assert_eq!(messages.concat(), "setcode");
    assert_eq!(end, Some((Code::NotFound, "set on the context".into())));
}

#[tokio::test]
async fn an_explicit_error_keeps_its_code_over_the_context_code() {
    let cases = SpecialCases::new().on("setcode", raises(Status::aborted("mine")));
    let mut client = dummy_client(cases, (decorate,)).await.unwrap();
    let status = client.execute(req("setcode")).await.unwrap_err();
    assert_eq!((status.code(), status.message()), (Code::Aborted, "mine"));
    assert_eq!(
        status.metadata().get("x-method").unwrap(),
        "/DummyService/Execute"
    );
}

#[tokio::test]
async fn trailers_of_a_successful_unary_call_are_real_trailers_behind_the_trailers_layer() {
    let seen = TrailerProbe::new("x-method");
    let mut client = grpc_interceptor::testing::dummy_client_with(
        SpecialCases::new(),
        (decorate,),
        (seen.clone(),),
    )
    .await
    .unwrap();
    client.execute(req("a")).await.unwrap();
    assert_eq!(seen.seen(), [(false, true)]);
}
