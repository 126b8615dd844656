//! A production-style stack built only from the crate's ready-made interceptors: tracing,
//! request ids, metrics, an access log, authentication that exempts nothing but a public
//! method, a deadline policy, a concurrency limit and panics turned into statuses on the
//! server; tracing, request ids, a default timeout, retries and the access log on the
//! client. Makes a few calls (one retried, one refused, one that panics), prints the log
//! lines and the metrics, and exits.
//!
//! ```text
//! cargo run --example production
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use grpc_interceptor::ExceptionToStatus;
use grpc_interceptor::interceptors::access_log::AccessLog;
use grpc_interceptor::interceptors::auth::Auth;
use grpc_interceptor::interceptors::deadline::{Deadlines, OverMax};
use grpc_interceptor::interceptors::limit::{ConcurrencyLimit, Scope};
use grpc_interceptor::interceptors::metrics::Metrics;
use grpc_interceptor::interceptors::request_id::RequestIds;
use grpc_interceptor::interceptors::retry::Retry;
use grpc_interceptor::interceptors::selector::Selector;
use grpc_interceptor::interceptors::trace::Tracing;
use grpc_interceptor::prelude::*;
use grpc_interceptor::testing::{DummyRequest, SpecialCases, dummy_client_with};
use metrics_util::debugging::DebuggingRecorder;

/// The principal `Auth` stores for handlers (`#[intercepted(context = ctx)]`, `ctx.get::<User>()`).
#[derive(Clone, Debug)]
struct User(#[allow(dead_code, reason = "this example's handlers do not read it")] String);

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    tracing_subscriber::fmt().with_target(false).init();
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder.install()?;

    // The service: the test harness's echo service, with a flaky input and a panicking one.
    let attempts = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&attempts);
    let cases = SpecialCases::new()
        .on("flaky", move |input, _| {
            match seen.fetch_add(1, Ordering::SeqCst) {
                0 => Err(Status::unavailable("warming up")),
                _ => Ok(input.to_owned()),
            }
        })
        .on("boom", |_, _| panic!("a bug in the handler"));

    let auth = Auth::bearer(|token: String, _: &MethodName| async move {
        match token.as_str() {
            "let-me-in" => Ok(User("ferris".into())),
            _ => Err(Status::unauthenticated("unknown token")),
        }
    });
    let server = (
        Tracing,
        RequestIds,
        Metrics,
        AccessLog::new(),
        ExceptionToStatus::default(),
        Selector::except(auth, ["/DummyService/ExecuteServerStream"]),
        Deadlines::new().max(Duration::from_secs(10), OverMax::Clamp),
        ConcurrencyLimit::new(100, Scope::Global),
    );
    #[interceptor]
    fn add_token(
        method: Next<'_>,
        mut request: Request,
        context: &mut Context,
        _: &MethodName,
    ) -> Reply {
        request
            .metadata_mut()
            .insert("authorization", "Bearer let-me-in".parse().expect("ASCII"));
        method.call(request, context)
    }
    let client = (
        Tracing,
        RequestIds,
        AccessLog::new(),
        Deadlines::new().default_timeout(Duration::from_secs(5)),
        Retry::new().initial_backoff(Duration::from_millis(20)),
        add_token,
    );
    let mut client = dummy_client_with(cases, server, client).await?;

    let input = |text: &str| DummyRequest { input: text.into() };
    let reply = client.execute(input("hello")).await?;
    println!(
        "hello -> {:?} (x-request-id {:?})",
        reply.get_ref().output,
        reply.metadata().get("x-request-id")
    );
    let reply = client.execute(input("flaky")).await?;
    println!(
        "flaky -> {:?} after {} attempts",
        reply.get_ref().output,
        attempts.load(Ordering::SeqCst)
    );
    let status = client
        .execute(input("boom"))
        .await
        .expect_err("the handler panics");
    println!("boom -> {:?}: {}", status.code(), status.message());

    let mut anonymous =
        grpc_interceptor::testing::proto::dummy_service_client::DummyServiceClient::new(
            client.channel(),
        );
    let status = anonymous
        .execute(input("hello"))
        .await
        .expect_err("no token");
    println!("no token -> {:?}: {}", status.code(), status.message());
    let stream = anonymous.execute_server_stream(input("ok")).await?;
    println!(
        "the public method works without a token: {}",
        stream.into_inner().message().await?.is_some()
    );

    tokio::time::sleep(Duration::from_millis(100)).await;
    println!("\nmetrics:");
    for (key, _, _, value) in snapshotter.snapshot().into_vec() {
        let labels: Vec<String> = key
            .key()
            .labels()
            .map(|l| format!("{}={}", l.key(), l.value()))
            .collect();
        println!(
            "  {} {{{}}} = {:?}",
            key.key().name(),
            labels.join(", "),
            value
        );
    }
    Ok(())
}
