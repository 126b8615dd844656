//! The reference's `tests/test_streaming.py` (items 44-57), against a real server.

use grpc_interceptor::Code;
use grpc_interceptor::testing::{SpecialCases, dummy_client, raises};
use grpc_interceptor_tests::{
    LogOmni, LogRequests, LogResponses, Logged, collect, entries, log, pass_through, req, requests,
};

fn failing() -> SpecialCases {
    SpecialCases::new().on(
        "error",
        raises(grpc_interceptor::Status::unknown("division by zero")),
    )
}

#[tokio::test]
async fn client_streaming_passes_through_and_errors_end_the_call() {
    let mut client = dummy_client(failing(), (pass_through,)).await.unwrap();
    let response = client
        .execute_client_stream(requests(&["foo", "bar"]))
        .await
        .unwrap();
    assert_eq!(response.into_inner().output, "foobar");
    let err = client
        .execute_client_stream(requests(&["foo", "error"]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unknown);
}

#[tokio::test]
async fn server_streaming_passes_through() {
    let mut client = dummy_client(SpecialCases::new(), (pass_through,))
        .await
        .unwrap();
    let stream = client
        .execute_server_stream(req("foo"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        collect(stream).await,
        (vec!["f".into(), "o".into(), "o".into()], None)
    );
}

#[tokio::test]
async fn bidi_streaming_passes_through() {
    let mut client = dummy_client(SpecialCases::new(), (pass_through,))
        .await
        .unwrap();
    let stream = client
        .execute_client_server_stream(requests(&["foo", "bar"]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        collect(stream).await,
        (vec!["foo".into(), "bar".into()], None)
    );
}

#[tokio::test]
async fn interceptor_iterates_a_server_stream() {
    let logs = log();
    let mut client = dummy_client(SpecialCases::new(), (LogResponses(logs.clone()),))
        .await
        .unwrap();
    let stream = client
        .execute_server_stream(req("foo"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(collect(stream).await.0, ["f", "o", "o"]);
    assert_eq!(entries(&logs), ["f", "o", "o"]);
}

#[tokio::test]
async fn one_interceptor_handles_unary_and_streaming_responses() {
    let logs = log();
    let mut client = dummy_client(SpecialCases::new(), (LogOmni(logs.clone()),))
        .await
        .unwrap();
    let stream = client
        .execute_server_stream(req("foo"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(collect(stream).await.0, ["f", "o", "o"]);
    // The end hook ran before the client saw the end of the stream.
    assert_eq!(
        entries(&logs),
        [Logged::Stream(vec!["f".into(), "o".into(), "o".into()])]
    );

    assert_eq!(
        client
            .execute(req("bar"))
            .await
            .unwrap()
            .into_inner()
            .output,
        "bar"
    );
    assert_eq!(
        entries(&logs),
        [
            Logged::Stream(vec!["f".into(), "o".into(), "o".into()]),
            Logged::One("bar".into())
        ]
    );
}

#[tokio::test]
async fn interceptor_logs_a_client_stream() {
    let logs = log();
    let mut client = dummy_client(SpecialCases::new(), (LogRequests(logs.clone()),))
        .await
        .unwrap();
    let response = client
        .execute_client_stream(requests(&["foo", "bar"]))
        .await
        .unwrap();
    assert_eq!(response.into_inner().output, "foobar");
    assert_eq!(entries(&logs), ["foo", "bar"]);
}

#[tokio::test]
async fn interceptor_logs_a_client_stream_written_message_by_message() {
    // The reference's `call.write(...)`/`done_writing()` test: the client writes through a
    // channel, one message at a time, and closes it.
    let logs = log();
    let mut client = dummy_client(SpecialCases::new(), (LogRequests(logs.clone()),))
        .await
        .unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    let call = tokio::spawn(async move {
        client
            .execute_client_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
            .await
    });
    tx.send(req("foo")).await.unwrap();
    tx.send(req("bar")).await.unwrap();
    drop(tx);
    assert_eq!(call.await.unwrap().unwrap().into_inner().output, "foobar");
    assert_eq!(entries(&logs), ["foo", "bar"]);
}
