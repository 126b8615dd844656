//! [`Tracing`]: a `tracing` span per call following the OpenTelemetry RPC semantic
//! conventions, closed when the call ends, and W3C trace context (`traceparent`,
//! `tracestate`) extracted on servers and injected on clients.
//!
//! The header format is implemented here (about 60 lines, tested) rather than through the
//! `opentelemetry` crates: a span's ids are all that crosses the wire, and the crates would
//! add a dependency tree of their own to every user of this feature.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Instant;

use tonic::Status;
use tonic::metadata::MetadataValue;
use tracing::Instrument;

use super::random_u64;

use crate::{CallInterceptor, Chain, Context, MethodName, Next, Request, Response, Side};

/// A W3C trace context: the `traceparent` header's ids and flags, and `tracestate`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceContext {
    /// The trace, 16 bytes, never all zero.
    pub trace_id: [u8; 16],
    /// The span that made the call (on a server: the client's span), 8 bytes.
    pub span_id: [u8; 8],
    /// Trace flags; bit 0 is "sampled".
    pub flags: u8,
    /// The `tracestate` header, passed on as it came.
    pub state: Option<String>,
}

fn hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != 2 * N || !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let mut out = [0; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

fn new_span_id() -> [u8; 8] {
    loop {
        let id = random_u64().to_be_bytes();
        if id != [0; 8] {
            return id;
        }
    }
}

impl TraceContext {
    /// Parses a `traceparent` value (`00-<trace-id>-<span-id>-<flags>`, lowercase hex).
    /// `None` for anything else, all-zero ids included, as the W3C spec requires.
    pub fn parse(traceparent: &str, tracestate: Option<&str>) -> Option<Self> {
        let mut parts = traceparent.trim().split('-');
        let version = parts.next()?;
        let (trace_id, span_id, flags) = (parts.next()?, parts.next()?, parts.next()?);
        // Version 00 has exactly four parts; later versions may add more.
        if version == "ff"
            || hex::<1>(version).is_none()
            || (version == "00" && parts.next().is_some())
        {
            return None;
        }
        let trace_id = hex::<16>(trace_id).filter(|id| *id != [0; 16])?;
        let span_id = hex::<8>(span_id).filter(|id| *id != [0; 8])?;
        let [flags] = hex::<1>(flags)?;
        Some(Self {
            trace_id,
            span_id,
            flags,
            state: tracestate.map(str::to_owned),
        })
    }

    /// A new trace, sampled, with a new span id.
    pub fn new_root() -> Self {
        let mut trace_id = [0; 16];
        trace_id[..8].copy_from_slice(&random_u64().to_be_bytes());
        trace_id[8..].copy_from_slice(&new_span_id());
        Self {
            trace_id,
            span_id: new_span_id(),
            flags: 1,
            state: None,
        }
    }

    /// The same trace with a new span id: the context of a child span.
    pub fn child(&self) -> Self {
        Self {
            span_id: new_span_id(),
            ..self.clone()
        }
    }

    /// The trace id as 32 hex digits.
    pub fn trace_id_hex(&self) -> String {
        self.trace_id.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The span id as 16 hex digits.
    pub fn span_id_hex(&self) -> String {
        self.span_id.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The `traceparent` header value.
    pub fn traceparent(&self) -> String {
        format!(
            "00-{}-{}-{:02x}",
            self.trace_id_hex(),
            self.span_id_hex(),
            self.flags
        )
    }

    /// The trace context of the server call whose handler is running on this thread now,
    /// if the server has [`Tracing`]: what a client call made by the handler continues.
    pub fn current() -> Option<Self> {
        CURRENT.with(|current| current.borrow().as_deref().cloned())
    }
}

impl fmt::Display for TraceContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.traceparent())
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<TraceContext>>> = const { RefCell::new(None) };
}

pin_project_lite::pin_project! {
    /// A server call's future, with its trace context current on the thread while it polls.
    struct Current<F> {
        #[pin]
        future: F,
        context: Arc<TraceContext>,
    }
}

impl<F: Future> Future for Current<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        struct Restore(Option<Arc<TraceContext>>);
        impl Drop for Restore {
            fn drop(&mut self) {
                let previous = self.0.take();
                CURRENT.with(|c| *c.borrow_mut() = previous);
            }
        }
        let this = self.project();
        let previous = CURRENT.with(|c| c.borrow_mut().replace(Arc::clone(this.context)));
        let _restore = Restore(previous);
        this.future.poll(cx)
    }
}

/// A `tracing` span per call, named after the OpenTelemetry RPC conventions, on either side.
///
/// The span (target `grpc_interceptor`, level INFO, name `grpc.server` or `grpc.client`)
/// has the fields `otel.name` (`pkg.Service/Method`), `otel.kind`, `rpc.system = "grpc"`,
/// `rpc.service`, `rpc.method`, `network.peer.address` (servers, where known), `trace_id`
/// and `span_id`; when the call ends (the lifecycle's end event) it records
/// `rpc.grpc.status_code`, `duration_ms`, `rpc.request.messages` and
/// `rpc.response.messages`, and closes. The rest of the call runs inside it.
///
/// Trace context: a server continues the client's `traceparent` (or starts a trace) and
/// keeps it in the call's storage as a [`TraceContext`]; a client continues, in this
/// order, a `traceparent` the application set, the server call its handler runs in
/// ([`TraceContext::current`]), or starts a trace, and sends `traceparent` (and
/// `tracestate`).
///
/// ```
/// use grpc_interceptor::interceptors::trace::Tracing;
///
/// // On a server's `#[intercepted(Tracing, ...)]` list or layer, and on clients.
/// let tracing = Tracing;
/// # let _ = tracing;
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Tracing;

impl CallInterceptor for Tracing {
    fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        mut request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        method_name: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        let metadata = request.metadata();
        let state = metadata.get("tracestate").and_then(|v| v.to_str().ok());
        let given = metadata
            .get("traceparent")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| TraceContext::parse(v, state));
        let side = context.side();
        let trace = match (side, given) {
            (_, Some(parent)) => parent.child(),
            (Side::Client, None) => TraceContext::current()
                .map(|parent| parent.child())
                .unwrap_or_else(TraceContext::new_root),
            (Side::Server, None) => TraceContext::new_root(),
        };
        if side == Side::Client {
            if let Ok(value) = MetadataValue::try_from(trace.traceparent()) {
                request.metadata_mut().insert("traceparent", value);
            }
            if let Some(state) = trace
                .state
                .as_deref()
                .and_then(|s| MetadataValue::try_from(s).ok())
            {
                request.metadata_mut().insert("tracestate", state);
            }
        }
        let peer = request.remote_addr().map(|addr| addr.ip().to_string());
        let kind = match side {
            Side::Server => "server",
            Side::Client => "client",
        };
        let otel_name = format!(
            "{}/{}",
            method_name.fully_qualified_service(),
            method_name.method()
        );
        let span = match side {
            Side::Server => tracing::info_span!(
                target: "grpc_interceptor",
                "grpc.server",
                otel.name = %otel_name,
                otel.kind = kind,
                rpc.system = "grpc",
                rpc.service = %method_name.fully_qualified_service(),
                rpc.method = %method_name.method(),
                network.peer.address = peer.as_deref(),
                trace_id = %trace.trace_id_hex(),
                span_id = %trace.span_id_hex(),
                rpc.grpc.status_code = tracing::field::Empty,
                duration_ms = tracing::field::Empty,
                rpc.request.messages = tracing::field::Empty,
                rpc.response.messages = tracing::field::Empty,
            ),
            Side::Client => tracing::info_span!(
                target: "grpc_interceptor",
                "grpc.client",
                otel.name = %otel_name,
                otel.kind = kind,
                rpc.system = "grpc",
                rpc.service = %method_name.fully_qualified_service(),
                rpc.method = %method_name.method(),
                trace_id = %trace.trace_id_hex(),
                span_id = %trace.span_id_hex(),
                rpc.grpc.status_code = tracing::field::Empty,
                duration_ms = tracing::field::Empty,
                rpc.request.messages = tracing::field::Empty,
                rpc.response.messages = tracing::field::Empty,
            ),
        };
        let started = Instant::now();
        let closing = span.clone();
        context.on_call_end(move |end| {
            closing.record("rpc.grpc.status_code", end.code() as i32);
            closing.record("duration_ms", started.elapsed().as_secs_f64() * 1000.0);
            closing.record("rpc.request.messages", end.request_messages());
            closing.record("rpc.response.messages", end.response_messages());
            drop(closing);
        });
        let trace = Arc::new(trace);
        context.insert(TraceContext::clone(&trace));
        let call = method.call(request, context).instrument(span);
        Current {
            future: call,
            context: trace,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_writes_the_w3c_example() {
        let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let parsed = TraceContext::parse(header, Some("congo=t61rcWkgMzE")).unwrap();
        assert_eq!(parsed.traceparent(), header);
        assert_eq!(parsed.flags, 1);
        assert_eq!(parsed.state.as_deref(), Some("congo=t61rcWkgMzE"));
        let child = parsed.child();
        assert_eq!(child.trace_id, parsed.trace_id);
        assert_ne!(child.span_id, parsed.span_id);
    }

    #[test]
    fn rejects_malformed_headers() {
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
        ] {
            assert_eq!(TraceContext::parse(bad, None), None, "{bad}");
        }
        // A later version may carry more parts.
        assert!(
            TraceContext::parse(
                "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
                None
            )
            .is_some()
        );
    }

    #[test]
    fn new_roots_are_distinct_and_sampled() {
        let (a, b) = (TraceContext::new_root(), TraceContext::new_root());
        assert_ne!(a.trace_id, b.trace_id);
        assert_eq!(a.flags, 1);
        assert_eq!(TraceContext::parse(&a.traceparent(), None), Some(a));
    }
}
