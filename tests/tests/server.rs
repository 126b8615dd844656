//! The reference's `tests/test_server.py` (items 30-43), against a real server.

use std::sync::{Arc, Mutex};

use grpc_interceptor::testing::{DummyRequest, DummyResponse, SpecialCases, dummy_client, raises};
use grpc_interceptor::{Code, MethodName, Status, parse_method_name};
use grpc_interceptor_tests::{Aborting, Counting, SideEffect, req, uppercase};

const EXECUTE: &str = "/DummyService/Execute";

#[tokio::test]
async fn counting_interceptor_counts_calls_and_errors_per_method() {
    let counting = Counting::default();
    let cases = SpecialCases::new().on("error", raises(Status::unknown("division by zero")));
    let mut client = dummy_client(cases, (counting.clone(),)).await.unwrap();

    assert_eq!(
        client
            .execute(req("foo"))
            .await
            .unwrap()
            .into_inner()
            .output,
        "foo"
    );
    let (calls, errors) = counting.counts();
    assert_eq!((calls.len(), calls[EXECUTE], errors.len()), (1, 1, 0));

    let err = client.execute(req("error")).await.unwrap_err();
    assert_eq!(err.code(), Code::Unknown);
    let (calls, errors) = counting.counts();
    assert_eq!((calls.len(), calls[EXECUTE]), (1, 2));
    assert_eq!((errors.len(), errors[EXECUTE]), (1, 1));
}

#[tokio::test]
async fn interceptors_run_in_list_order() {
    let trace = Arc::new(Mutex::new(Vec::new()));
    let (one, two) = (Arc::clone(&trace), Arc::clone(&trace));
    let first = SideEffect(move || one.lock().unwrap().push(1));
    let second = SideEffect(move || two.lock().unwrap().push(2));
    let mut client = dummy_client(SpecialCases::new(), (first, second))
        .await
        .unwrap();

    assert_eq!(
        client
            .execute(req("test"))
            .await
            .unwrap()
            .into_inner()
            .output,
        "test"
    );
    assert_eq!(*trace.lock().unwrap(), [1, 2]);
}

#[tokio::test]
async fn modifying_interceptor_changes_the_request_the_handler_sees() {
    let mut client = dummy_client(SpecialCases::new(), (uppercase,))
        .await
        .unwrap();
    assert_eq!(
        client
            .execute(req("test"))
            .await
            .unwrap()
            .into_inner()
            .output,
        "TEST"
    );
}

#[tokio::test]
async fn aborting_interceptor_ends_the_call_with_its_status() {
    let mut client = dummy_client(SpecialCases::new(), (Aborting("oh no"),))
        .await
        .unwrap();
    let err = client.execute(req("test")).await.unwrap_err();
    assert_eq!((err.code(), err.message()), (Code::Aborted, "oh no"));
}

#[tokio::test]
async fn unregistered_method_answers_unimplemented_without_running_interceptors() {
    let counting = Counting::default();
    let client = dummy_client(SpecialCases::new(), (counting.clone(),))
        .await
        .unwrap();
    let mut grpc = tonic::client::Grpc::new(client.channel());
    grpc.ready().await.unwrap();
    let codec = tonic_prost::ProstCodec::<DummyRequest, DummyResponse>::default();
    let path = tonic::codegen::http::uri::PathAndQuery::from_static("/DummyService/Unimplemented");
    let err = grpc
        .unary(tonic::Request::new(req("x")), path, codec)
        .await
        .unwrap_err();

    assert_eq!(err.code(), Code::Unimplemented);
    let (calls, errors) = counting.counts();
    assert!(
        calls.is_empty() && errors.is_empty(),
        "{calls:?} {errors:?}"
    );
}

#[test]
fn method_name_has_package_service_method_and_fully_qualified_service() {
    let name = MethodName::new("foo.bar", "SearchService", "Search");
    assert_eq!(
        (name.package(), name.service(), name.method()),
        ("foo.bar", "SearchService", "Search")
    );
    assert_eq!(name.fully_qualified_service(), "foo.bar.SearchService");
}

#[test]
fn method_name_with_an_empty_package_omits_the_dot() {
    assert_eq!(
        MethodName::new("", "SearchService", "Search").fully_qualified_service(),
        "SearchService"
    );
}

#[test]
fn parse_method_name_splits_package_service_and_method() {
    let name = parse_method_name("/foo.bar.SearchService/Search").unwrap();
    assert_eq!(
        (name.package(), name.service(), name.method()),
        ("foo.bar", "SearchService", "Search")
    );
}

#[test]
fn parse_method_name_without_a_package() {
    let name = parse_method_name("/SearchService/Search").unwrap();
    assert_eq!(
        (name.package(), name.service(), name.method()),
        ("", "SearchService", "Search")
    );
}
