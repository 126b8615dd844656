//! Panics in every streaming mode and everywhere inside `ExceptionToStatus`.

use grpc_interceptor::prelude::*;
use grpc_interceptor::testing::{DummyRequest, DummyResponse, SpecialCases, dummy_client};
use grpc_interceptor::{
    CallInterceptor, Chain, Code, Context, ExceptionToStatus, MethodName, Next, Reply, Request,
    Response, Status, interceptor,
};
use grpc_interceptor_tests::{req, requests};
use tokio_stream::StreamExt;

use super::{Outcome, bidi, cases, internal, server_stream, status_of, unary};

#[tokio::test]
async fn panic_in_a_handler_becomes_a_status_in_every_mode() {
    let mut client = dummy_client(cases(), (ExceptionToStatus::default(),))
        .await
        .unwrap();
    let panicked = Some((Code::Unknown, "panicked: oops".to_owned()));
    let reading = client
        .execute_client_stream(requests(&["foo", "unknown"]))
        .await;
    assert_eq!(status_of(reading.unwrap_err()), panicked);
    assert_eq!(
        server_stream(&mut client, "unknown").await,
        (Vec::new(), panicked.clone())
    );
    assert_eq!(
        bidi(&mut client, &["unknown"]).await,
        (Vec::new(), panicked)
    );
}

#[tokio::test]
async fn panic_mid_stream_delivers_earlier_messages_then_the_status() {
    let mut client = dummy_client(cases(), (internal(),)).await.unwrap();
    let outcome = bidi(&mut client, &["foo", "", "unknown", "bar"]).await;
    let panicked = Some((Code::Internal, "panicked: oops".into()));
    assert_eq!(outcome, (vec!["foo".into(), String::new()], panicked));
}

/// Panics where it is told to: before calling the rest of the chain, on the second
/// response message, at the end of the response stream, or on a request `"bad"`.
#[derive(Clone, Copy)]
enum Panics {
    Before,
    SecondMessage,
    AtTheEnd,
    OnBadRequest,
}

impl CallInterceptor for Panics {
    async fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        mut request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _: &MethodName,
    ) -> Result<Response<N::RespPayload>, Status> {
        match self {
            Panics::Before => panic!("inner interceptor"),
            Panics::OnBadRequest => {
                request.for_each_message(|r: &mut DummyRequest| {
                    assert_ne!(r.input, "bad", "bad request");
                    Ok(())
                })?;
            }
            _ => {}
        }
        let mut response = method.call(request, context).await?;
        if let Panics::SecondMessage = self {
            let mut seen = 0;
            response.for_each_message(move |_: &mut DummyResponse| {
                seen += 1;
                assert_ne!(seen, 2, "second message");
                Ok(())
            })?;
        }
        if let (Panics::AtTheEnd, Some(stream)) = (self, response.stream_mut::<DummyResponse>()) {
            stream.on_end(|_| panic!("end hook"));
        }
        Ok(response)
    }
}

/// A plain `fn` interceptor that panics instead of calling the rest of the chain.
#[interceptor]
fn panics_at_once(_: Next<'_>, _: Request, _: &mut Context, _: &MethodName) -> Reply {
    panic!("plain fn")
}

fn panic_details(outcome: Outcome) -> (Vec<String>, Option<Code>, bool) {
    let (outputs, status) = outcome;
    let code = status.as_ref().map(|s| s.0);
    let panicked = status.is_some_and(|s| s.1.starts_with("panicked: "));
    (outputs, code, panicked)
}

#[tokio::test]
async fn panic_in_an_inner_interceptor_becomes_a_status() {
    let errors = ExceptionToStatus::default();
    let mut client = dummy_client(cases(), (errors.clone(), Panics::Before))
        .await
        .unwrap();
    let panicked = Err((Code::Unknown, "panicked: inner interceptor".into()));
    assert_eq!(unary(&mut client, "foo").await, panicked);

    let mut client = dummy_client(cases(), (errors.clone(), panics_at_once))
        .await
        .unwrap();
    let panicked = Err((Code::Unknown, "panicked: plain fn".into()));
    assert_eq!(unary(&mut client, "foo").await, panicked);

    let mut client = dummy_client(cases(), (errors.clone(), Panics::SecondMessage))
        .await
        .unwrap();
    let outcome = panic_details(server_stream(&mut client, "abc").await);
    assert_eq!(outcome, (vec!["a".into()], Some(Code::Unknown), true));

    let mut client = dummy_client(cases(), (errors.clone(), Panics::AtTheEnd))
        .await
        .unwrap();
    let outcome = panic_details(server_stream(&mut client, "ab").await);
    assert_eq!(
        outcome,
        (vec!["a".into(), "b".into()], Some(Code::Unknown), true)
    );

    let mut client = dummy_client(cases(), (errors, Panics::OnBadRequest))
        .await
        .unwrap();
    let reading = client.execute_client_stream(requests(&["ok", "bad"])).await;
    let (code, details) = status_of(reading.unwrap_err()).unwrap();
    assert_eq!(code, Code::Unknown);
    assert!(details.starts_with("panicked: assertion `left != right` failed: bad request"));
}

/// Sets a trailer before the rest of the call, and a code and details on the context after.
struct SetsCode;

impl CallInterceptor for SetsCode {
    async fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _: &MethodName,
    ) -> Result<Response<N::RespPayload>, Status> {
        context.with_trailers(|t| t.insert("x-outer", "kept".parse().unwrap()));
        let response = method.call(request, context).await;
        context.set_code(Code::NotFound);
        context.set_details("set on the context");
        response
    }
}

#[tokio::test]
async fn code_set_on_the_context_survives_a_panic() {
    let setcode = cases().on("setcode", |_, context| {
        context.set_code(Code::NotFound);
        panic!("oops")
    });
    let mut client = dummy_client(setcode, (internal(),)).await.unwrap();
    let not_found = Err((Code::NotFound, "panicked: oops".into()));
    assert_eq!(unary(&mut client, "setcode").await, not_found);
    // Per call: the next call is not affected.
    assert_eq!(
        unary(&mut client, "unknown").await,
        Err((Code::Internal, "panicked: oops".into()))
    );

    // Set by an inner interceptor before a response stream panics mid-way; outer trailers
    // survive too.
    let mut client = dummy_client(cases(), (SetsCode, internal(), SetsCode))
        .await
        .unwrap();
    let mut stream = client
        .execute_client_server_stream(requests(&["foo", "unknown"]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stream.next().await.unwrap().unwrap().output, "foo");
    let status = stream.next().await.unwrap().unwrap_err();
    assert_eq!(
        (status.code(), status.message()),
        (Code::NotFound, "set on the context")
    );
    assert_eq!(status.metadata().get("x-outer").unwrap(), "kept");
}

#[tokio::test]
async fn trailers_set_at_the_end_of_a_guarded_stream_reach_the_client() {
    struct EndTrailer;
    impl CallInterceptor for EndTrailer {
        async fn intercept<'call, N: Chain>(
            &self,
            method: Next<'call, N>,
            request: Request<N::ReqPayload>,
            context: &mut Context<'call>,
            _: &MethodName,
        ) -> Result<Response<N::RespPayload>, Status> {
            let mut response = method.call(request, context).await?;
            response.on_end(|end| {
                end.trailers_mut().insert("x-inner", "end".parse().unwrap());
            });
            Ok(response)
        }
    }
    let cases = SpecialCases::new();
    let mut client = dummy_client(cases, (ExceptionToStatus::default(), EndTrailer))
        .await
        .unwrap();
    let mut stream = client
        .execute_server_stream(req("ab"))
        .await
        .unwrap()
        .into_inner();
    let mut outputs = Vec::new();
    while let Some(item) = stream.next().await {
        outputs.push(item.unwrap().output);
    }
    assert_eq!(outputs, ["a", "b"]);
    let trailers = stream.trailers().await.unwrap().unwrap();
    assert_eq!(trailers.get("x-inner").unwrap(), "end");
}

#[tokio::test]
async fn server_keeps_answering_after_a_thousand_panicking_calls() {
    let mut client = dummy_client(cases(), (ExceptionToStatus::default(),))
        .await
        .unwrap();
    let panicked = Some((Code::Unknown, "panicked: oops".to_owned()));
    for i in 0..1000 {
        let outcome = match i % 4 {
            0 => (Vec::new(), unary(&mut client, "unknown").await.err()),
            1 => {
                let reading = client.execute_client_stream(requests(&["unknown"])).await;
                (Vec::new(), reading.err().and_then(status_of))
            }
            2 => server_stream(&mut client, "unknown").await,
            _ => bidi(&mut client, &["foo", "unknown"]).await,
        };
        let sent = if i % 4 == 3 {
            vec!["foo".to_owned()]
        } else {
            Vec::new()
        };
        assert_eq!(outcome, (sent, panicked.clone()), "call {i}");
    }
    assert_eq!(unary(&mut client, "foo").await, Ok("foo".into()));
    assert_eq!(
        bidi(&mut client, &["a", "b"]).await,
        (vec!["a".into(), "b".into()], None)
    );
}
