//! `interceptors::retry::Retry` over real HTTP/2: attempts, codes, the previous-attempts
//! header, pushback, the deadline budget, throttling and client-stream replay.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use grpc_interceptor::interceptors::retry::{PREVIOUS_ATTEMPTS, PUSHBACK, Retry, RetryInfo};
use grpc_interceptor::prelude::*;
use grpc_interceptor::testing::{SpecialCases, dummy_client_with};
use grpc_interceptor_tests::{req, requests};
use tonic::metadata::MetadataMap;

/// Fails the first `failures` calls of `input` with `status`, then echoes.
fn flaky(input: &str, failures: usize, status: Status) -> SpecialCases {
    let seen = AtomicUsize::new(0);
    let status = Mutex::new(status);
    SpecialCases::new().on(input, move |input, _| {
        if seen.fetch_add(1, Ordering::SeqCst) < failures {
            let status = status.lock().unwrap();
            Err(Status::with_metadata(
                status.code(),
                status.message(),
                status.metadata().clone(),
            ))
        } else {
            Ok(input.to_owned())
        }
    })
}

/// Records each attempt's `grpc-previous-rpc-attempts` on the server, and the client's
/// `RetryInfo` at the call's end.
#[derive(Clone, Default)]
struct Attempts {
    previous: Arc<Mutex<Vec<Option<String>>>>,
    info: Arc<Mutex<Vec<RetryInfo>>>,
}

impl CallInterceptor for Attempts {
    fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        match context.side() {
            Side::Server => {
                let previous = request.metadata().get(PREVIOUS_ATTEMPTS);
                let previous = previous.map(|v| v.to_str().unwrap().to_owned());
                self.previous.lock().unwrap().push(previous);
            }
            Side::Client => {
                let info = Arc::clone(&self.info);
                context.on_call_end(move |end| {
                    info.lock()
                        .unwrap()
                        .push(end.get::<RetryInfo>().cloned().unwrap_or_default());
                });
            }
        }
        method.call(request, context)
    }
}

fn quick() -> Retry {
    Retry::new().initial_backoff(Duration::from_millis(5))
}

async fn last_info(attempts: &Attempts) -> RetryInfo {
    for _ in 0..500 {
        if let Some(info) = attempts.info.lock().unwrap().last() {
            return info.clone();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no end event")
}

#[tokio::test]
async fn unavailable_is_retried_with_the_previous_attempts_header_until_it_succeeds() {
    let probe = Attempts::default();
    let cases = flaky("x", 2, Status::unavailable("down"));
    let mut client = dummy_client_with(cases, (probe.clone(),), (probe.clone(), quick()))
        .await
        .unwrap();
    assert_eq!(
        client.execute(req("x")).await.unwrap().into_inner().output,
        "x"
    );
    assert_eq!(
        *probe.previous.lock().unwrap(),
        vec![None, Some("1".to_owned()), Some("2".to_owned())]
    );
    assert_eq!(
        last_info(&probe).await,
        RetryInfo {
            attempts: 3,
            not_retried: None
        }
    );
}

#[tokio::test]
async fn other_codes_are_not_retried_and_attempts_run_out() {
    let probe = Attempts::default();
    let cases =
        flaky("nf", 9, Status::not_found("no")).on("down", |_, _| Err(Status::unavailable("down")));
    let mut client = dummy_client_with(cases, (probe.clone(),), (probe.clone(), quick()))
        .await
        .unwrap();
    assert_eq!(
        client.execute(req("nf")).await.unwrap_err().code(),
        Code::NotFound
    );
    assert_eq!(
        last_info(&probe).await,
        RetryInfo {
            attempts: 1,
            not_retried: None
        }
    );
    probe.info.lock().unwrap().clear();
    assert_eq!(
        client.execute(req("down")).await.unwrap_err().code(),
        Code::Unavailable
    );
    assert_eq!(
        last_info(&probe).await,
        RetryInfo {
            attempts: 3,
            not_retried: Some("no attempts left")
        }
    );
    assert_eq!(probe.previous.lock().unwrap().len(), 4);
}

fn with_pushback(ms: &str) -> Status {
    let mut metadata = MetadataMap::new();
    metadata.insert(PUSHBACK, ms.parse().unwrap());
    Status::with_metadata(Code::Unavailable, "busy", metadata)
}

#[tokio::test]
async fn a_negative_pushback_stops_the_retries_and_a_long_one_meets_the_deadline() {
    let probe = Attempts::default();
    let cases = flaky("no", 9, with_pushback("-1"));
    let mut client = dummy_client_with(cases, (probe.clone(),), (probe.clone(), quick()))
        .await
        .unwrap();
    assert_eq!(
        client.execute(req("no")).await.unwrap_err().code(),
        Code::Unavailable
    );
    let info = last_info(&probe).await;
    assert_eq!(
        (info.attempts, info.not_retried),
        (1, Some("the server's pushback asked for no retry"))
    );

    let probe = Attempts::default();
    let cases = flaky("later", 9, with_pushback("2000"));
    let mut client = dummy_client_with(cases, (probe.clone(),), (probe.clone(), quick()))
        .await
        .unwrap();
    let mut request = Request::new(req("later"));
    request.set_timeout(Duration::from_millis(500));
    assert_eq!(
        client.execute(request).await.unwrap_err().code(),
        Code::Unavailable
    );
    let info = last_info(&probe).await;
    assert_eq!(info.attempts, 1);
    assert_eq!(
        info.not_retried,
        Some("the call's deadline leaves no time for another attempt")
    );
}

#[tokio::test]
async fn throttling_stops_retries_when_half_the_tokens_are_gone() {
    let probe = Attempts::default();
    let cases = SpecialCases::new().on("down", |_, _| Err(Status::unavailable("down")));
    let retry = quick().throttle(2, 0.1);
    let mut client = dummy_client_with(cases, (probe.clone(),), (probe.clone(), retry))
        .await
        .unwrap();
    assert_eq!(
        client.execute(req("down")).await.unwrap_err().code(),
        Code::Unavailable
    );
    assert_eq!(
        last_info(&probe).await,
        RetryInfo {
            attempts: 1,
            not_retried: Some("retries are throttled")
        }
    );
}

#[tokio::test]
async fn a_client_stream_is_replayed_whole_within_its_buffer_and_not_past_it() {
    let probe = Attempts::default();
    let cases = flaky("b", 1, Status::unavailable("down"));
    let mut client = dummy_client_with(cases, (probe.clone(),), (probe.clone(), quick()))
        .await
        .unwrap();
    let response = client
        .execute_client_stream(requests(&["a", "b", "c"]))
        .await
        .unwrap();
    assert_eq!(response.into_inner().output, "abc");
    assert_eq!(last_info(&probe).await.attempts, 2);

    let probe = Attempts::default();
    let cases = flaky("long-message-b", 1, Status::unavailable("down"));
    let retry = quick().max_buffer(10);
    let mut client = dummy_client_with(cases, (probe.clone(),), (probe.clone(), retry))
        .await
        .unwrap();
    let err = client
        .execute_client_stream(requests(&["long-message-a", "long-message-b"]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable);
    assert_eq!(
        last_info(&probe).await,
        RetryInfo {
            attempts: 1,
            not_retried: Some("the request stream was larger than the replay buffer")
        }
    );
}
