//! `interceptors::trace::Tracing` under a recording subscriber: one span per call on each
//! side with the OpenTelemetry RPC fields, closed with the final code, and W3C trace context
//! from the client to the server. One test: the subscriber is process-wide.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use grpc_interceptor::interceptors::trace::{TraceContext, Tracing};
use grpc_interceptor::prelude::*;
use grpc_interceptor::testing::{SpecialCases, dummy_client_with, raises};
use grpc_interceptor_tests::req;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// A span as recorded: its name, fields, and whether it was closed.
#[derive(Clone, Debug, Default)]
struct Seen {
    name: String,
    fields: HashMap<String, String>,
    handles: usize,
    closed: bool,
}

#[derive(Clone, Default)]
struct Recorder {
    spans: Arc<Mutex<HashMap<u64, Seen>>>,
    next: Arc<AtomicU64>,
}

struct Fields<'a>(&'a mut HashMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let mut seen = Seen {
            name: span.metadata().name().to_owned(),
            handles: 1,
            ..Seen::default()
        };
        span.record(&mut Fields(&mut seen.fields));
        self.spans.lock().unwrap().insert(id, seen);
        Id::from_u64(id)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        if let Some(seen) = self.spans.lock().unwrap().get_mut(&span.into_u64()) {
            values.record(&mut Fields(&mut seen.fields));
        }
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, _: &Event<'_>) {}

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}

    fn clone_span(&self, id: &Id) -> Id {
        if let Some(seen) = self.spans.lock().unwrap().get_mut(&id.into_u64()) {
            seen.handles += 1;
        }
        id.clone()
    }

    fn try_close(&self, id: Id) -> bool {
        // A span closes when its last handle is dropped.
        let mut spans = self.spans.lock().unwrap();
        let Some(seen) = spans.get_mut(&id.into_u64()) else {
            return false;
        };
        seen.handles -= 1;
        seen.closed = seen.handles == 0;
        seen.closed
    }
}

#[tokio::test]
async fn each_side_has_a_span_per_call_with_rpc_fields_and_one_trace() {
    let recorder = Recorder::default();
    tracing::subscriber::set_global_default(recorder.clone()).expect("the only subscriber");

    let cases = SpecialCases::new().on("error", raises(Status::not_found("no")));
    let mut client = dummy_client_with(cases, (Tracing,), (Tracing,))
        .await
        .unwrap();
    client.execute(req("a")).await.unwrap();
    let mut with_parent = Request::new(req("error"));
    let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    with_parent
        .metadata_mut()
        .insert("traceparent", parent.parse().unwrap());
    client.execute(with_parent).await.unwrap_err();

    let mut spans = Vec::new();
    for _ in 0..500 {
        spans = recorder
            .spans
            .lock()
            .unwrap()
            .values()
            .filter(|s| s.fields.contains_key("rpc.grpc.status_code") && s.closed)
            .cloned()
            .collect::<Vec<_>>();
        if spans.len() == 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(spans.len(), 4, "{spans:?}");
    let field = |s: &Seen, f: &str| s.fields.get(f).cloned().unwrap_or_default();
    for span in &spans {
        assert_eq!(field(span, "rpc.system"), "grpc");
        assert_eq!(field(span, "rpc.service"), "DummyService");
        assert_eq!(field(span, "rpc.method"), "Execute");
        assert_eq!(field(span, "otel.name"), "DummyService/Execute");
        assert!(span.fields.contains_key("duration_ms"));
        assert!(span.closed, "{span:?}");
    }
    let by = |name: &str, code: &str| {
        spans
            .iter()
            .find(|s| s.name == name && field(s, "rpc.grpc.status_code") == code)
            .unwrap_or_else(|| panic!("no {name} span with code {code}: {spans:?}"))
    };
    // The first call: the client started a trace, the server continued it.
    let (client_ok, server_ok) = (by("grpc.client", "0"), by("grpc.server", "0"));
    assert_eq!(field(client_ok, "trace_id"), field(server_ok, "trace_id"));
    assert_ne!(field(client_ok, "span_id"), field(server_ok, "span_id"));
    assert_eq!(field(server_ok, "otel.kind"), "server");
    assert!(field(server_ok, "network.peer.address").contains("127.0.0.1"));
    // The second: the application's traceparent is the parent of both.
    let (client_err, server_err) = (by("grpc.client", "5"), by("grpc.server", "5"));
    let trace = TraceContext::parse(parent, None).unwrap();
    assert_eq!(field(client_err, "trace_id"), trace.trace_id_hex());
    assert_eq!(field(server_err, "trace_id"), trace.trace_id_hex());
}
