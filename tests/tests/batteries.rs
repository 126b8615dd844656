//! The ready-made interceptors of `grpc_interceptor::interceptors` over real HTTP/2:
//! selector, auth, request id, deadlines and limits.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use grpc_interceptor::interceptors::auth::Auth;
use grpc_interceptor::interceptors::deadline::{Deadlines, OverMax};
use grpc_interceptor::interceptors::limit::{ConcurrencyLimit, PUSHBACK, RateLimit, Scope};
use grpc_interceptor::interceptors::request_id::{HEADER, RequestId, RequestIds};
use grpc_interceptor::interceptors::selector::Selector;
use grpc_interceptor::prelude::*;
use grpc_interceptor::testing::{SpecialCases, dummy_client, dummy_client_with, raises};
use grpc_interceptor_tests::req;
use tokio_stream::StreamExt;

fn cases() -> SpecialCases {
    SpecialCases::new()
        .on("error", raises(Status::not_found("no such thing")))
        .on_async("slow", |_, _| {
            Box::pin(async {
                tokio::time::sleep(Duration::from_secs(3)).await;
                Ok("late".to_owned())
            })
        })
}

#[interceptor]
fn refuse(_method: Next<'_>, _request: Request, _context: &mut Context, _: &MethodName) -> Reply {
    Reply::error(Status::permission_denied("refused"))
}

#[tokio::test]
async fn a_selector_runs_its_interceptor_only_for_the_methods_that_match() {
    let except = Selector::except(refuse, ["/DummyService/Execute"]);
    let mut client = dummy_client(cases(), (except,)).await.unwrap();
    assert!(client.execute(req("a")).await.is_ok());
    let err = client.execute_server_stream(req("a")).await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);

    let only = Selector::only(refuse, ["DummyService"]);
    let mut client = dummy_client(cases(), (only,)).await.unwrap();
    assert_eq!(
        client.execute(req("a")).await.unwrap_err().code(),
        Code::PermissionDenied
    );

    let when = Selector::when(refuse, |name: &MethodName| {
        name.method().ends_with("Stream")
    });
    let mut client = dummy_client(cases(), (when,)).await.unwrap();
    assert!(client.execute(req("a")).await.is_ok());
    let err = client.execute_server_stream(req("a")).await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
}

#[derive(Clone, Debug, PartialEq)]
struct User(String);

/// Records the principal the end hook finds in the call's storage.
#[derive(Clone, Default)]
struct Principals(Arc<Mutex<Vec<Option<User>>>>);

impl CallInterceptor for Principals {
    fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        let seen = Arc::clone(&self.0);
        context.on_call_end(move |end| seen.lock().unwrap().push(end.get::<User>().cloned()));
        method.call(request, context)
    }
}

fn with_metadata(
    input: &str,
    key: &'static str,
    value: &str,
) -> Request<grpc_interceptor::testing::DummyRequest> {
    let mut request = Request::new(req(input));
    request.metadata_mut().insert(key, value.parse().unwrap());
    request
}

#[tokio::test]
async fn bearer_auth_rejects_what_is_missing_or_wrong_and_stores_the_principal() {
    let auth = Auth::bearer(|token: String, _: &MethodName| async move {
        match token.as_str() {
            "let-me-in" => Ok(User("ferris".into())),
            _ => Err(Status::unauthenticated("unknown token")),
        }
    });
    let principals = Principals::default();
    let mut client = dummy_client(cases(), (principals.clone(), auth))
        .await
        .unwrap();

    let err = client.execute(req("a")).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    assert!(err.message().contains("`authorization`"), "{err:?}");
    let err = client
        .execute(with_metadata("a", "authorization", "Basic abc"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    assert!(err.message().contains("Bearer <token>"), "{err:?}");
    let err = client
        .execute(with_metadata("a", "authorization", "Bearer nope"))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), err.message()),
        (Code::Unauthenticated, "unknown token")
    );
    let ok = client
        .execute(with_metadata("a", "authorization", "Bearer let-me-in"))
        .await
        .unwrap();
    assert_eq!(ok.into_inner().output, "a");
    assert_eq!(
        *principals.0.lock().unwrap(),
        vec![None, None, None, Some(User("ferris".into()))]
    );
}

#[tokio::test]
async fn metadata_auth_reads_the_key_it_is_given() {
    let auth = Auth::metadata("x-api-key", |key: String, name: &MethodName| {
        let method = name.method().to_owned();
        async move {
            if key == "k1" && method == "Execute" {
                Ok(User("service".into()))
            } else {
                Err(Status::permission_denied("not for this method"))
            }
        }
    });
    let mut client = dummy_client(cases(), (auth,)).await.unwrap();
    assert!(
        client
            .execute(with_metadata("a", "x-api-key", "k1"))
            .await
            .is_ok()
    );
    let err = client.execute(req("a")).await.unwrap_err();
    assert!(err.message().contains("`x-api-key`"), "{err:?}");
    let mut stream_request = Request::new(req("a"));
    stream_request
        .metadata_mut()
        .insert("x-api-key", "k1".parse().unwrap());
    let err = client
        .execute_server_stream(stream_request)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
}

/// Records the request id the server's end hook finds.
#[derive(Clone, Default)]
struct Ids(Arc<Mutex<Vec<String>>>);

impl CallInterceptor for Ids {
    fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        let seen = Arc::clone(&self.0);
        context.on_call_end(move |end| {
            if let Some(id) = end.get::<RequestId>() {
                seen.lock().unwrap().push(id.to_string());
            }
        });
        method.call(request, context)
    }
}

#[tokio::test]
async fn request_ids_travel_from_client_to_server_and_back() {
    let server = Ids::default();
    let client_ids = Ids::default();
    let mut client = dummy_client_with(
        cases(),
        (RequestIds, server.clone()),
        (RequestIds, client_ids.clone()),
    )
    .await
    .unwrap();
    let response = client.execute(req("a")).await.unwrap();
    let echoed = response
        .metadata()
        .get(HEADER)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(echoed.len(), 32, "{echoed}");
    let err = client.execute(req("error")).await.unwrap_err();
    let on_error = err
        .metadata()
        .get(HEADER)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(on_error, echoed, "each call has its own id");
    // The application's own id is kept.
    let mut own = Request::new(req("a"));
    own.metadata_mut()
        .insert(HEADER, "my-id-42".parse().unwrap());
    let response = client.execute(own).await.unwrap();
    assert_eq!(response.metadata().get(HEADER).unwrap(), "my-id-42");

    // The server's end hooks run once the responses are written: wait for all three.
    for _ in 0..500 {
        if server.0.lock().unwrap().len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let server_ids = server.0.lock().unwrap().clone();
    assert_eq!(
        server_ids,
        vec![echoed.clone(), on_error, "my-id-42".to_owned()]
    );
    assert_eq!(*client_ids.0.lock().unwrap(), server_ids);
}

#[tokio::test]
async fn a_server_makes_up_an_id_when_the_client_sends_none() {
    let mut client = dummy_client(cases(), (RequestIds,)).await.unwrap();
    let a = client.execute(req("a")).await.unwrap();
    let b = client.execute(req("b")).await.unwrap();
    let (a, b) = (
        a.metadata().get(HEADER).unwrap(),
        b.metadata().get(HEADER).unwrap(),
    );
    assert_ne!(a, b);
    assert!(a.to_str().unwrap().bytes().all(|c| c.is_ascii_hexdigit()));
}

/// Records the deadline the server's handler side sees.
#[derive(Clone, Default)]
struct Timeouts(Arc<Mutex<Vec<Option<Duration>>>>);

impl CallInterceptor for Timeouts {
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
async fn a_client_default_timeout_applies_only_to_calls_without_one() {
    let seen = Timeouts::default();
    let defaults = Deadlines::new().default_timeout(Duration::from_secs(5));
    let mut client = dummy_client_with(cases(), (seen.clone(),), (defaults,))
        .await
        .unwrap();
    client.execute(req("a")).await.unwrap();
    let mut own = Request::new(req("a"));
    own.set_timeout(Duration::from_secs(9));
    client.execute(own).await.unwrap();
    assert_eq!(
        *seen.0.lock().unwrap(),
        vec![Some(Duration::from_secs(5)), Some(Duration::from_secs(9))]
    );
}

#[tokio::test]
async fn a_server_refuses_deadlines_under_its_minimum_and_clamps_or_rejects_over_its_maximum() {
    let min = Deadlines::new().min(Duration::from_millis(500));
    let mut client = dummy_client(cases(), (min,)).await.unwrap();
    let mut short = Request::new(req("a"));
    short.set_timeout(Duration::from_millis(100));
    let err = client.execute(short).await.unwrap_err();
    assert_eq!(err.code(), Code::DeadlineExceeded);
    assert!(err.message().contains("minimum"), "{err:?}");

    let clamp = Deadlines::new().max(Duration::from_millis(200), OverMax::Clamp);
    let mut client = dummy_client(cases(), (clamp,)).await.unwrap();
    let err = client.execute(req("slow")).await.unwrap_err();
    assert_eq!(err.code(), Code::DeadlineExceeded);
    assert!(err.message().contains("maximum"), "{err:?}");
    assert!(client.execute(req("fast")).await.is_ok());

    let reject = Deadlines::new().max(Duration::from_secs(1), OverMax::Reject);
    let mut client = dummy_client(cases(), (reject,)).await.unwrap();
    let err = client.execute(req("a")).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let mut within = Request::new(req("a"));
    within.set_timeout(Duration::from_millis(500));
    assert!(client.execute(within).await.is_ok());
}

#[tokio::test]
async fn a_rate_limit_answers_resource_exhausted_with_a_pushback_past_its_burst() {
    let limit = RateLimit::new(0.5, 2, Scope::PerMethod);
    let mut client = dummy_client(cases(), (limit,)).await.unwrap();
    assert!(client.execute(req("a")).await.is_ok());
    assert!(client.execute(req("b")).await.is_ok());
    let err = client.execute(req("c")).await.unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted);
    let pushback: u64 = err
        .metadata()
        .get(PUSHBACK)
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2000).contains(&pushback), "{pushback}");
    // Per method: another method has its own bucket.
    let stream = client
        .execute_server_stream(req("xy"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stream.collect::<Vec<_>>().await.len(), 2);
}

#[tokio::test]
async fn a_concurrency_limit_counts_calls_until_they_end() {
    let limit = Arc::new(ConcurrencyLimit::new(1, Scope::Global));
    let mut client = dummy_client(cases(), (Arc::clone(&limit),)).await.unwrap();
    let mut slow_client = client.clone();
    let slow = tokio::spawn(async move { slow_client.execute(req("slow")).await });
    for _ in 0..100 {
        if limit.in_flight() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(limit.in_flight(), 1);
    let err = client.execute(req("a")).await.unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted);
    assert!(slow.await.unwrap().is_ok());
    for _ in 0..100 {
        if limit.in_flight() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(limit.in_flight(), 0);
    assert!(client.execute(req("a")).await.is_ok());
}
