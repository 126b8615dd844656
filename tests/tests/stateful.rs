//! Interceptors with configuration and state, written as a struct and one
//! `#[interceptor]` method, on the server and on the client, in every mode.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use grpc_interceptor::prelude::*;
use grpc_interceptor::testing::{DummyResponse, SpecialCases, dummy_client, dummy_client_with};
use grpc_interceptor_tests::{bidi, client_stream, ok_stream, server_stream, unary};
use tokio::sync::mpsc;
use tonic::metadata::{Ascii, MetadataValue};

/// Adds a configured header to every request.
struct AddHeader {
    key: &'static str,
    value: MetadataValue<Ascii>,
}

#[interceptor]
impl AddHeader {
    fn new(key: &'static str, value: &'static str) -> Self {
        AddHeader {
            key,
            value: MetadataValue::from_static(value),
        }
    }

    fn intercept(
        &self,
        method: Next<'_>,
        mut request: Request,
        context: &mut Context,
        _: &MethodName,
    ) -> Reply {
        request.metadata_mut().insert(self.key, self.value.clone());
        method.call(request, context)
    }
}

/// Appends a configured suffix to every response message, counts the calls it saw start
/// and reports each end.
struct Suffix {
    suffix: &'static str,
    started: AtomicUsize,
    ended: mpsc::UnboundedSender<()>,
}

impl Suffix {
    fn new(suffix: &'static str) -> (Arc<Self>, mpsc::UnboundedReceiver<()>) {
        let (ended, ends) = mpsc::unbounded_channel();
        let started = AtomicUsize::new(0);
        let suffix = Suffix {
            suffix,
            started,
            ended,
        };
        (Arc::new(suffix), ends)
    }
}

/// Waits for `n` end events (a hang guard of 10 s only fails a broken run).
async fn ends(ends: &mut mpsc::UnboundedReceiver<()>, n: usize) {
    for _ in 0..n {
        let end = tokio::time::timeout(Duration::from_secs(10), ends.recv()).await;
        assert_eq!(end, Ok(Some(())));
    }
}

#[interceptor]
impl Suffix {
    async fn append(
        &self,
        method: Next<'_>,
        request: Request,
        context: &mut Context,
        _: &MethodName,
    ) -> Result<Response, Status> {
        self.started.fetch_add(1, Ordering::Relaxed);
        let ended = self.ended.clone();
        context.on_call_end(move |_| {
            let _ = ended.send(());
        });
        let mut response = method.call(request, context).await?;
        let suffix = self.suffix;
        response.for_each_message(move |m: &mut DummyResponse| {
            m.output.push_str(suffix);
            Ok(())
        })?;
        Ok(response)
    }
}

/// A special case that answers with the value of the `x-tenant` header.
fn tenant_cases() -> SpecialCases {
    SpecialCases::new().on("tenant", |_, ctx| {
        let tenant = ctx.metadata().get("x-tenant");
        Ok(tenant
            .map_or("none", |v| v.to_str().unwrap_or("?"))
            .to_owned())
    })
}

/// Every mode once: `tenant` answers with the header, any other input is echoed.
async fn every_mode<T: grpc_interceptor_tests::Transport>(
    client: &mut grpc_interceptor_tests::Client<T>,
    suffix: &str,
) {
    let tenant = |t: &str| format!("{t}{suffix}");
    assert_eq!(unary(client, "tenant").await, Ok(tenant("acme")));
    assert_eq!(client_stream(client, &["tenant"]).await, Ok(tenant("acme")));
    let a = format!("a{suffix}");
    let b = format!("b{suffix}");
    assert_eq!(server_stream(client, "ab").await, ok_stream(&[&a, &b]));
    assert_eq!(
        bidi(client, &["tenant", "x"]).await,
        ok_stream(&[&tenant("acme"), &format!("x{suffix}")])
    );
}

#[tokio::test]
async fn configured_interceptors_run_on_the_server_in_every_mode() {
    let (suffix, mut ended) = Suffix::new("!");
    let interceptors = (AddHeader::new("x-tenant", "acme"), Arc::clone(&suffix));
    let mut client = dummy_client(tenant_cases(), interceptors).await.unwrap();
    every_mode(&mut client, "!").await;
    assert_eq!(suffix.started.load(Ordering::Relaxed), 4);
    ends(&mut ended, 4).await;
}

#[tokio::test]
async fn configured_interceptors_run_on_the_client_in_every_mode() {
    let (suffix, mut ended) = Suffix::new("?");
    let interceptors = (AddHeader::new("x-tenant", "acme"), Arc::clone(&suffix));
    let mut client = dummy_client_with(tenant_cases(), (), interceptors)
        .await
        .unwrap();
    every_mode(&mut client, "?").await;
    assert_eq!(suffix.started.load(Ordering::Relaxed), 4);
    ends(&mut ended, 4).await;
}

#[tokio::test]
async fn an_interceptor_fn_keeps_its_name_free_for_variables() {
    #[interceptor]
    fn tenant(
        method: Next<'_>,
        mut request: Request,
        context: &mut Context,
        _: &MethodName,
    ) -> Reply {
        let tenant = MetadataValue::from_static("fn");
        request.metadata_mut().insert("x-tenant", tenant);
        method.call(request, context)
    }

    let mut client = dummy_client(tenant_cases(), (tenant,)).await.unwrap();
    let tenant = unary(&mut client, "tenant").await;
    assert_eq!(tenant, Ok("fn".to_owned()));
}
