//! The reference's `tests/test_exception_to_status.py` (items 12-29; 10, 11 and 27 are unit
//! tests in `runtime/src/errors/tests.rs`), and, in `panics`, panics in every streaming mode,
//! against a real server.

#[path = "exception_to_status/panics.rs"]
mod panics;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use grpc_interceptor::errors::*;
use grpc_interceptor::testing::{DummyClient, SpecialCases, dummy_client, raises};
use grpc_interceptor::{Code, ExceptionToStatus, Status};
use grpc_interceptor_tests::{collect, req, requests};
use tokio_stream::StreamExt;

type Outcome = (Vec<String>, Option<(Code, String)>);

fn status_of(err: Status) -> Option<(Code, String)> {
    Some((err.code(), err.message().to_owned()))
}

fn internal() -> ExceptionToStatus {
    ExceptionToStatus::default()
        .status_on_unknown_exception(Code::Internal)
        .unwrap()
}

/// `Status::from_error` of an error with no gRPC code: an unknown failure.
fn uncoded(message: &str) -> Status {
    Status::from_error(message.to_owned().into())
}

async fn unary(client: &mut DummyClient, input: &str) -> Result<String, (Code, String)> {
    match client.execute(req(input)).await {
        Ok(response) => Ok(response.into_inner().output),
        Err(err) => Err((err.code(), err.message().to_owned())),
    }
}

async fn server_stream(client: &mut DummyClient, input: &str) -> Outcome {
    match client.execute_server_stream(req(input)).await {
        Ok(stream) => collect(stream.into_inner()).await,
        Err(err) => (Vec::new(), status_of(err)),
    }
}

async fn bidi(client: &mut DummyClient, inputs: &[&str]) -> Outcome {
    match client.execute_client_server_stream(requests(inputs)).await {
        Ok(stream) => collect(stream.into_inner()).await,
        Err(err) => (Vec::new(), status_of(err)),
    }
}

fn cases() -> SpecialCases {
    SpecialCases::new()
        .on("error", raises(NotFound::new("not here")))
        .on("uncoded", raises(uncoded("oops")))
        .on("unknown", |_, _| panic!("oops"))
        .on("zerodiv", |input, _| {
            let zero = std::hint::black_box(input.len() - input.len());
            Ok((1 / zero).to_string())
        })
}

fn not_here() -> Option<(Code, String)> {
    Some((Code::NotFound, "not here".into()))
}

#[tokio::test]
async fn no_failure_passes_the_response_through() {
    let mut client = dummy_client(cases(), (ExceptionToStatus::default(),))
        .await
        .unwrap();
    assert_eq!(unary(&mut client, "foo").await, Ok("foo".into()));
    assert_eq!(
        server_stream(&mut client, "ab").await,
        (vec!["a".into(), "b".into()], None)
    );
}

#[tokio::test]
async fn error_family_status_reaches_the_client_with_custom_details() {
    let cases = SpecialCases::new().on("error", raises(NotFound::new("custom")));
    let mut client = dummy_client(cases, (ExceptionToStatus::default(),))
        .await
        .unwrap();
    assert_eq!(unary(&mut client, "foo").await, Ok("foo".into()));
    assert_eq!(
        unary(&mut client, "error").await,
        Err((Code::NotFound, "custom".into()))
    );
}

#[tokio::test]
async fn unknown_failures_become_unknown_by_default() {
    let mut client = dummy_client(cases(), (ExceptionToStatus::default(),))
        .await
        .unwrap();
    assert_eq!(
        unary(&mut client, "uncoded").await,
        Err((Code::Unknown, "oops".into()))
    );
    let panicked = Err((Code::Unknown, "panicked: oops".into()));
    assert_eq!(unary(&mut client, "unknown").await, panicked);
}

#[tokio::test]
async fn unknown_failures_take_the_override_code_and_the_failure_as_details() {
    let mut client = dummy_client(cases(), (internal(),)).await.unwrap();
    assert_eq!(
        unary(&mut client, "uncoded").await,
        Err((Code::Internal, "oops".into()))
    );
    let panicked = Err((Code::Internal, "panicked: oops".into()));
    assert_eq!(unary(&mut client, "unknown").await, panicked);
    let divided = Err((Code::Internal, "panicked: attempt to divide by zero".into()));
    assert_eq!(unary(&mut client, "zerodiv").await, divided);
}

#[tokio::test]
async fn status_chosen_by_the_handler_is_not_overridden() {
    let cases = SpecialCases::new()
        .on(
            "error",
            raises(Status::resource_exhausted("resource exhausted")),
        )
        .on("chosen", raises(Status::unknown("chosen unknown")));
    let mut client = dummy_client(cases, (internal(),)).await.unwrap();
    let exhausted = Err((Code::ResourceExhausted, "resource exhausted".into()));
    assert_eq!(unary(&mut client, "error").await, exhausted);
    let chosen = Err((Code::Unknown, "chosen unknown".into()));
    assert_eq!(unary(&mut client, "chosen").await, chosen);
}

#[test]
fn ok_is_refused_as_the_code_for_unknown_failures() {
    let err = ExceptionToStatus::default()
        .status_on_unknown_exception(Code::Ok)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the status code for unknown exceptions cannot be OK"
    );
}

macro_rules! family {
    ($($name:ident),*) => {
        vec![$(($name::CODE, $name::DEFAULT_DETAILS, Status::from($name::default()))),*]
    };
}

#[tokio::test]
async fn every_error_type_reaches_the_client_with_its_code_and_default_details() {
    let family = family![
        Cancelled,
        Unknown,
        InvalidArgument,
        DeadlineExceeded,
        NotFound,
        AlreadyExists,
        PermissionDenied,
        ResourceExhausted,
        FailedPrecondition,
        Aborted,
        OutOfRange,
        Unimplemented,
        Internal,
        Unavailable,
        DataLoss,
        Unauthenticated
    ];
    let (mut codes, mut details) = (HashSet::new(), HashSet::new());
    for (code, default_details, status) in family {
        let cases = SpecialCases::new().on("error", raises(status));
        let mut client = dummy_client(cases, (internal(),)).await.unwrap();
        let (got_code, got_details) = unary(&mut client, "error").await.unwrap_err();
        assert_eq!((got_code, got_details.as_str()), (code, default_details));
        codes.insert(got_code as i32);
        details.insert(got_details);
    }
    assert_eq!(codes, (1..=16).collect());
    assert_eq!(details.len(), 16);
}

#[tokio::test]
async fn error_in_a_streaming_response_reaches_the_client() {
    let cases = SpecialCases::new().on("error", raises(NotFound::new("not found!")));
    let mut client = dummy_client(cases, (internal(),)).await.unwrap();
    let not_found = (Vec::new(), Some((Code::NotFound, "not found!".into())));
    assert_eq!(server_stream(&mut client, "error").await, not_found);
}

#[tokio::test]
async fn errors_mid_stream_arrive_after_the_earlier_messages() {
    let mut client = dummy_client(cases(), (internal(),)).await.unwrap();
    let outcome = bidi(&mut client, &["foo", "error", "bar"]).await;
    assert_eq!(outcome, (vec!["foo".into()], not_here()));
    let outcome = bidi(&mut client, &["foo", "uncoded", "bar"]).await;
    assert_eq!(
        outcome,
        (vec!["foo".into()], Some((Code::Internal, "oops".into())))
    );
}

#[derive(Debug)]
struct DbError;

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection lost")
    }
}

impl std::error::Error for DbError {}

/// A panic payload of the user's own type.
struct Overloaded(u32);

#[tokio::test]
async fn hook_maps_the_users_own_errors_and_defers_the_rest() {
    let caught = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&caught);
    let errors = ExceptionToStatus::default().on_failure(move |failure, _, method| {
        assert_eq!(method.as_str(), "/DummyService/Execute");
        if failure.find_error::<DbError>().is_some() {
            flag.store(true, Ordering::SeqCst);
            return Some(Status::data_loss("Here's some custom details"));
        }
        let Overloaded(load) = failure.panic_payload::<Overloaded>()?;
        Some(Status::resource_exhausted(format!("load {load}")))
    });
    let cases = cases()
        .on("db", raises(Status::from_error(Box::new(DbError))))
        .on("overloaded", |_, _| std::panic::panic_any(Overloaded(7)));
    let mut client = dummy_client(cases, (errors,)).await.unwrap();

    assert_eq!(unary(&mut client, "foo").await, Ok("foo".into()));
    assert!(!caught.load(Ordering::SeqCst));
    let custom = Err((Code::DataLoss, "Here's some custom details".into()));
    assert_eq!(unary(&mut client, "db").await, custom);
    assert!(caught.load(Ordering::SeqCst));

    let load = Err((Code::ResourceExhausted, "load 7".into()));
    assert_eq!(unary(&mut client, "overloaded").await, load);
    assert_eq!(
        unary(&mut client, "error").await,
        Err((Code::NotFound, "not here".into()))
    );
    let panicked = Err((Code::Unknown, "panicked: oops".into()));
    assert_eq!(unary(&mut client, "unknown").await, panicked);
}

#[tokio::test]
async fn hook_answers_for_panics_mid_stream_too() {
    let errors = ExceptionToStatus::default().on_failure(|failure, context, method| {
        context.with_trailers(|t| t.insert("x-method", method.method().parse().unwrap()));
        let Overloaded(load) = failure.panic_payload::<Overloaded>()?;
        Some(Status::resource_exhausted(format!("load {load}")))
    });
    let cases = SpecialCases::new().on("overloaded", |_, _| std::panic::panic_any(Overloaded(3)));
    let mut client = dummy_client(cases, (errors,)).await.unwrap();
    let mut stream = client
        .execute_client_server_stream(requests(&["foo", "overloaded"]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stream.next().await.unwrap().unwrap().output, "foo");
    let status = stream.next().await.unwrap().unwrap_err();
    assert_eq!(
        (status.code(), status.message()),
        (Code::ResourceExhausted, "load 3")
    );
    let method = status.metadata().get("x-method").unwrap();
    assert_eq!(method, "ExecuteClientServerStream");
}

#[tokio::test]
async fn hook_sends_rich_error_details_to_the_client() {
    use tonic_types::{ErrorDetails, StatusExt};
    let errors = ExceptionToStatus::default().on_failure(|failure, _, _| {
        failure.panic_message()?;
        let details = ErrorDetails::with_bad_request_violation("input", "must not panic");
        Some(Status::with_error_details(
            Code::InvalidArgument,
            "bad input",
            details,
        ))
    });
    let mut client = dummy_client(cases(), (errors,)).await.unwrap();
    let status = client.execute(req("unknown")).await.unwrap_err();
    assert_eq!(
        (status.code(), status.message()),
        (Code::InvalidArgument, "bad input")
    );
    let details = status.get_error_details();
    let violation = &details.bad_request().unwrap().field_violations[0];
    assert_eq!(
        (violation.field.as_str(), violation.description.as_str()),
        ("input", "must not panic")
    );
}
