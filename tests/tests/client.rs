//! The reference's `tests/test_client.py` (items 1-9), plus deadlines, short-circuits and
//! statuses that arrive in trailers, with client interceptors on a real channel.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use grpc_interceptor::prelude::*;
use grpc_interceptor::testing::raises;
use grpc_interceptor::testing::{
    DummyRequest, DummyResponse, SpecialCases, dummy_client, dummy_client_with,
};
use grpc_interceptor::{
    CallInterceptor, Chain, Code, Context, MethodName, Next, Reply, Request, Response, Side,
    Status, interceptor,
};
use grpc_interceptor_tests::{
    Counting, bidi, client_stream, ok_stream, req, server_stream, unary, uppercase,
};

/// The reference's `MetadataInterceptor`.
#[interceptor]
fn add_metadata(
    method: Next<'_>,
    mut request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Reply {
    request
        .metadata_mut()
        .insert("this_key", "this_value".parse().expect("ascii"));
    method.call(request, context)
}

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

/// The reference's `CodeCountInterceptor`: the final code of every call, streams included.
#[derive(Clone, Default)]
struct CodeCount(Arc<Mutex<HashMap<Code, usize>>>);

impl CodeCount {
    fn counts(&self) -> HashMap<Code, usize> {
        self.0.lock().unwrap().clone()
    }
}

fn count(counts: &Mutex<HashMap<Code, usize>>, code: Code) {
    *counts.lock().unwrap().entry(code).or_default() += 1;
}

impl CallInterceptor for CodeCount {
    async fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _: &MethodName,
    ) -> Result<Response<N::RespPayload>, Status> {
        match method.call(request, context).await {
            Err(status) => {
                count(&self.0, status.code());
                Err(status)
            }
            Ok(mut response) => {
                let counts = Arc::clone(&self.0);
                response
                    .on_end(move |end| count(&counts, end.status().map_or(Code::Ok, Status::code)));
                Ok(response)
            }
        }
    }
}

/// The reference's `RetryInterceptor`: calls again on an error, up to `retries` times.
struct Retry(usize);

impl CallInterceptor for Retry {
    async fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        mut request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _: &MethodName,
    ) -> Result<Response<N::RespPayload>, Status> {
        let mut retries = self.0;
        loop {
            match method.clone().call(request.replica(), context).await {
                Err(_) if retries > 0 => retries -= 1,
                result => return result,
            }
        }
    }
}

/// The reference's `CachingInterceptor`: answers a request it has seen from memory.
#[derive(Default)]
struct Caching(Mutex<HashMap<Vec<String>, Vec<DummyResponse>>>);

impl CallInterceptor for Caching {
    async fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        mut request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _: &MethodName,
    ) -> Result<Response<N::RespPayload>, Status> {
        let inputs = request.replica().into_messages::<DummyRequest>().await?;
        let key: Vec<String> = inputs.into_iter().map(|r| r.input).collect();
        let cached = self.0.lock().unwrap().get(&key).cloned();
        if let Some(messages) = cached {
            return Response::try_from_messages(messages)
                .ok_or_else(|| Status::internal("not a dummy call"));
        }
        let mut response = method.call(request, context).await?;
        let messages = response.replica().into_messages::<DummyResponse>().await?;
        self.0.lock().unwrap().insert(key, messages);
        Ok(response)
    }
}

/// The reference's `CrashingService`: fails the first `crashes` calls, then answers "OK".
fn crashing(
    crashes: usize,
) -> impl Fn(&str, &mut grpc_interceptor::testing::CaseContext<'_, '_>) -> Result<String, Status>
+ Send
+ Sync
+ 'static {
    let calls = AtomicUsize::new(0);
    move |_, _| {
        if calls.fetch_add(1, Ordering::Relaxed) < crashes {
            Err(Status::unknown("oops"))
        } else {
            Ok("OK".into())
        }
    }
}

#[tokio::test]
async fn client_metadata_reaches_the_server_in_every_mode() {
    let mut client = dummy_client_with(metadata_cases(), (), (add_metadata,))
        .await
        .unwrap();
    let seen = [
        unary(&mut client, "metadata").await.unwrap(),
        client_stream(&mut client, &["metadata"]).await.unwrap(),
        server_stream(&mut client, "metadata")
            .await
            .unwrap()
            .0
            .concat(),
        bidi(&mut client, &["metadata"]).await.unwrap().0.concat(),
    ];
    for seen in seen {
        assert!(seen.contains("this_key:this_value"), "{seen}");
    }
}

fn counts(pairs: &[(Code, usize)]) -> HashMap<Code, usize> {
    pairs.iter().copied().collect()
}

#[tokio::test]
async fn code_counting_sees_every_final_code() {
    let counter = CodeCount::default();
    let cases = SpecialCases::new().on("error", raises(Status::unknown("oops")));
    let mut client = dummy_client_with(cases, (), (counter.clone(),))
        .await
        .unwrap();
    assert!(counter.counts().is_empty());
    assert_eq!(unary(&mut client, "foo").await, Ok("foo".into()));
    assert_eq!(counter.counts(), counts(&[(Code::Ok, 1)]));
    assert_eq!(
        unary(&mut client, "error").await,
        Err((Code::Unknown, "oops".into()))
    );
    assert_eq!(
        counter.counts(),
        counts(&[(Code::Ok, 1), (Code::Unknown, 1)])
    );
}

#[tokio::test]
async fn a_status_in_the_trailers_of_a_stream_reaches_the_code_counter() {
    let counter = CodeCount::default();
    let cases = SpecialCases::new().on("error", raises(Status::not_found("gone")));
    let mut client = dummy_client_with(cases, (), (counter.clone(),))
        .await
        .unwrap();
    let ended = bidi(&mut client, &["foo", "error"]).await;
    assert_eq!(
        ended,
        Ok((vec!["foo".into()], Some((Code::NotFound, "gone".into()))))
    );
    assert_eq!(counter.counts(), counts(&[(Code::NotFound, 1)]));
}

#[tokio::test]
async fn retry_succeeds_when_the_second_attempt_does() {
    let cases = SpecialCases::new().on("error_once", crashing(1));
    let mut client = dummy_client_with(cases, (), (Retry(1),)).await.unwrap();
    assert_eq!(unary(&mut client, "error_once").await, Ok("OK".into()));
}

#[tokio::test]
async fn retry_gives_up_after_its_retries() {
    let cases = SpecialCases::new().on("error_twice", crashing(2));
    let mut client = dummy_client_with(cases, (), (Retry(1),)).await.unwrap();
    assert_eq!(
        unary(&mut client, "error_twice").await,
        Err((Code::Unknown, "oops".into()))
    );
}

#[tokio::test]
async fn an_inner_interceptor_sees_every_attempt_of_an_outer_retry() {
    let counter = CodeCount::default();
    let cases = SpecialCases::new().on("error_once", crashing(1));
    let mut client = dummy_client_with(cases, (), (Retry(1), counter.clone()))
        .await
        .unwrap();
    assert!(counter.counts().is_empty());
    assert_eq!(unary(&mut client, "error_once").await, Ok("OK".into()));
    assert_eq!(
        counter.counts(),
        counts(&[(Code::Ok, 1), (Code::Unknown, 1)])
    );
}

#[tokio::test]
async fn retry_replays_a_client_stream_without_the_caller_buffering_it() {
    let cases = SpecialCases::new().on("error_once", crashing(1));
    let server = Counting::default();
    let mut client = dummy_client_with(cases, (server.clone(),), (Retry(1),))
        .await
        .unwrap();
    assert_eq!(
        client_stream(&mut client, &["a", "error_once", "b"]).await,
        Ok("aOKb".into())
    );
    assert_eq!(server.counts().0["/DummyService/ExecuteClientStream"], 2);
}

#[tokio::test]
async fn caching_answers_repeated_unary_and_client_stream_calls_from_memory() {
    let counter = CodeCount::default();
    let interceptors = (Caching::default(), counter.clone());
    let mut client = dummy_client_with(SpecialCases::new(), (), interceptors)
        .await
        .unwrap();
    assert!(counter.counts().is_empty());
    for (input, calls) in [("hello", 1), ("hello", 1), ("goodbye", 2)] {
        assert_eq!(unary(&mut client, input).await, Ok(input.into()));
        assert_eq!(counter.counts(), counts(&[(Code::Ok, calls)]));
    }
    for _ in 0..2 {
        assert_eq!(
            client_stream(&mut client, &["foo", "bar"]).await,
            Ok("foobar".into())
        );
        assert_eq!(counter.counts(), counts(&[(Code::Ok, 3)]));
    }
}

/// Gives every call a 5 s deadline.
#[interceptor]
fn five_second_deadline(
    method: Next<'_>,
    mut request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Reply {
    request.set_timeout(Duration::from_secs(5));
    method.call(request, context)
}

/// Records the deadline the server receives.
#[derive(Clone, Default)]
struct Deadlines(Arc<Mutex<Vec<Option<Duration>>>>);

impl CallInterceptor for Deadlines {
    fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        self.0.lock().unwrap().push(request.timeout());
        method.call(request, context)
    }
}

#[tokio::test]
async fn a_timeout_set_by_a_client_interceptor_reaches_the_server_as_a_deadline() {
    let deadlines = Deadlines::default();
    let mut client = dummy_client_with(
        SpecialCases::new(),
        (deadlines.clone(),),
        (five_second_deadline,),
    )
    .await
    .unwrap();
    client.execute(req("a")).await.unwrap();
    let seen = deadlines.0.lock().unwrap()[0].expect("a deadline");
    assert!(
        seen > Duration::from_secs(4) && seen <= Duration::from_secs(5),
        "{seen:?}"
    );
}

/// Answers every call on the client, without sending it.
#[interceptor]
fn answer_locally(
    _method: Next<'_>,
    _request: Request,
    _context: &mut Context,
    _: &MethodName,
) -> Reply {
    match Response::try_from_messages(vec![DummyResponse {
        output: "local".into(),
    }]) {
        Some(response) => Reply::ok(response),
        None => Reply::error(Status::internal("not a dummy call")),
    }
}

#[tokio::test]
async fn a_client_interceptor_can_answer_without_calling_the_server() {
    let server = Counting::default();
    let mut client = dummy_client_with(SpecialCases::new(), (server.clone(),), (answer_locally,))
        .await
        .unwrap();
    assert_eq!(unary(&mut client, "a").await, Ok("local".into()));
    assert_eq!(server_stream(&mut client, "a").await, ok_stream(&["local"]));
    assert!(server.counts().0.is_empty());
}

/// Appends the side it ran on to every response message.
#[interceptor]
async fn mark_side(
    method: Next<'_>,
    request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Result<Response, Status> {
    let side = match context.side() {
        Side::Server => "s",
        Side::Client => "c",
    };
    let mut response = method.call(request, context).await?;
    response.for_each_message(move |r: &mut DummyResponse| {
        r.output.push_str(side);
        Ok(())
    })?;
    Ok(response)
}

#[tokio::test]
async fn the_same_interceptors_run_on_the_server_and_the_client_in_every_mode() {
    let mut client = dummy_client_with(SpecialCases::new(), (mark_side,), (uppercase, mark_side))
        .await
        .unwrap();
    assert_eq!(unary(&mut client, "a").await, Ok("Asc".into()));
    assert_eq!(
        client_stream(&mut client, &["a", "b"]).await,
        Ok("ABsc".into())
    );
    assert_eq!(
        server_stream(&mut client, "ab").await,
        ok_stream(&["Asc", "Bsc"])
    );
    assert_eq!(
        bidi(&mut client, &["x", "y"]).await,
        ok_stream(&["Xsc", "Ysc"])
    );
}

#[tokio::test]
async fn the_plain_dummy_client_still_works_without_client_interceptors() {
    let mut client = dummy_client(SpecialCases::new(), ()).await.unwrap();
    assert_eq!(unary(&mut client, "plain").await, Ok("plain".into()));
}
