//! A Rust client with client interceptors, for the interop suite: injects metadata, retries
//! once, counts the final code of every attempt, and checks the answers of a server of the
//! reference's `DummyService` (Python's `grpc_interceptor.testing`) in all four modes.
//!
//! ```text
//! cargo run --example interop_client -- --port PORT
//! ```
//!
//! Prints one line per check and `all checks passed`, or exits with status 1.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use grpc_interceptor::prelude::*;
use grpc_interceptor::testing::proto::dummy_service_client::DummyServiceClient;
use grpc_interceptor::testing::{DummyRequest, DummyResponse};
use grpc_interceptor::{
    CallInterceptor, Chain, Code, Context, MethodName, Next, Reply, Request, Response, Status,
    interceptor,
};
use tokio_stream::StreamExt;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Adds `x-injected: rust` to every call.
#[interceptor]
fn inject(method: Next<'_>, mut request: Request, context: &mut Context, _: &MethodName) -> Reply {
    request
        .metadata_mut()
        .insert("x-injected", "rust".parse().expect("ascii"));
    method.call(request, context)
}

/// Calls again once on an error.
#[interceptor]
async fn retry_once(
    method: Next<'_>,
    mut request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Result<Response, Status> {
    match method.clone().call(request.replica(), context).await {
        Err(_) => method.call(request, context).await,
        ok => ok,
    }
}

/// The final code of every attempt, streams included.
#[derive(Clone, Default)]
struct CodeCount(Arc<Mutex<BTreeMap<String, usize>>>);

fn count(counts: &Mutex<BTreeMap<String, usize>>, code: Code) {
    if let Ok(mut counts) = counts.lock() {
        *counts.entry(format!("{code:?}")).or_default() += 1;
    }
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

fn input(text: &str) -> DummyRequest {
    DummyRequest { input: text.into() }
}

fn check(what: &str, ok: bool, detail: impl std::fmt::Debug) -> Result<(), BoxError> {
    if ok {
        println!("ok   {what}");
        Ok(())
    } else {
        Err(format!("FAIL {what}: {detail:?}").into())
    }
}

async fn outputs(stream: tonic::Streaming<DummyResponse>) -> Result<Vec<String>, Status> {
    stream.map(|r| r.map(|r| r.output)).collect().await
}

async fn run(port: u16) -> Result<(), BoxError> {
    let channel = tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{port}"))?
        .connect()
        .await?;
    let counts = CodeCount::default();
    let channel =
        grpc_interceptor::client::intercept(channel, (inject, retry_once, counts.clone()));
    let mut client = DummyServiceClient::new(channel);

    let unary = client.execute(input("hello")).await?.into_inner().output;
    check("unary echo", unary == "hello", &unary)?;
    let stream = tokio_stream::iter(vec![input("a"), input("b")]);
    let joined = client
        .execute_client_stream(stream)
        .await?
        .into_inner()
        .output;
    check("client stream", joined == "ab", &joined)?;
    let chars = outputs(
        client
            .execute_server_stream(input("abc"))
            .await?
            .into_inner(),
    )
    .await?;
    check("server stream", chars == ["a", "b", "c"], &chars)?;
    let stream = tokio_stream::iter(vec![input("x"), input("y")]);
    let echoed = outputs(
        client
            .execute_client_server_stream(stream)
            .await?
            .into_inner(),
    )
    .await?;
    check("bidi stream", echoed == ["x", "y"], &echoed)?;
    let seen = client.execute(input("metadata")).await?.into_inner().output;
    check(
        "the server saw the injected metadata",
        seen.contains("x-injected:rust"),
        &seen,
    )?;
    let retried = client
        .execute(input("error_once"))
        .await?
        .into_inner()
        .output;
    check(
        "retry after the reference's UNKNOWN",
        retried == "OK",
        &retried,
    )?;
    let status = client.execute(input("error")).await.err();
    let got = status.as_ref().map(|s| (s.code(), s.message().to_owned()));
    check(
        "NotFound from the reference",
        got == Some((Code::NotFound, "not here".into())),
        &got,
    )?;

    let counts = counts.0.lock().map_err(|_| "poisoned")?.clone();
    // Eight attempts: six answered, error_once failed once, and `error` failed twice (retried).
    let expected = BTreeMap::from([
        ("NotFound".to_string(), 2),
        ("Ok".to_string(), 6),
        ("Unknown".to_string(), 1),
    ]);
    check("final codes of every attempt", counts == expected, &counts)?;
    println!("all checks passed");
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let port = match (
        args.next().as_deref(),
        args.next().map(|p| p.parse::<u16>()),
    ) {
        (Some("--port"), Some(Ok(port))) => port,
        _ => {
            eprintln!("usage: interop_client --port PORT");
            std::process::exit(2);
        }
    };
    if let Err(err) = run(port).await {
        eprintln!("{err}");
        std::process::exit(1);
    }
}
