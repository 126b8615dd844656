//! `#[tracing::instrument]` on the methods of an `#[intercepted]` impl. It is expanded after
//! `#[intercepted]` and `#[tonic::async_trait]` (attributes inside the impl come after the
//! ones on it), and still finds the request parameter under the name the user gave it:
//! `skip(...)` and `fields(...)` name it, `ret` and `err` see the handler's result, and the
//! span covers the interceptors too.

use std::fmt::{Debug, Write};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll, Waker};

use grpc_interceptor::testing::proto::dummy_service_server::{DummyService, DummyServiceServer};
use grpc_interceptor::testing::{DummyRequest, DummyResponse};
use grpc_interceptor::{
    Code, Context, MethodName, Next, Reply, Request, Status, intercepted, interceptor,
};
use tracing::field::{Field, Visit};
use tracing::span;

type Outputs = tokio_stream::Empty<Result<DummyResponse, Status>>;

/// Logs an event inside whatever span is current: the method's, when it covers the
/// interceptors.
#[interceptor]
fn pass(method: Next<'_>, request: Request, context: &mut Context, _: &MethodName) -> Reply {
    tracing::info!(interceptor = "pass");
    method.call(request, context)
}

struct Echo;

#[intercepted(pass)]
#[tonic::async_trait]
impl DummyService for Echo {
    #[tracing::instrument(skip(self, request), fields(input = %request.get_ref().input), ret, err)]
    async fn execute(
        &self,
        request: tonic::Request<DummyRequest>,
    ) -> Result<tonic::Response<DummyResponse>, Status> {
        let output = request.into_inner().input;
        if output == "fail" {
            return Err(Status::invalid_argument("no"));
        }
        Ok(tonic::Response::new(DummyResponse { output }))
    }

    #[intercepted(context = ctx)]
    #[tracing::instrument(skip(self, uploads), err)]
    async fn execute_client_stream(
        &self,
        mut uploads: tonic::Request<tonic::Streaming<DummyRequest>>,
    ) -> Result<tonic::Response<DummyResponse>, Status> {
        let first = uploads.get_mut().message().await?;
        ctx.set_code(Code::Ok);
        let output = first.map(|r| r.input).unwrap_or_default();
        Ok(tonic::Response::new(DummyResponse { output }))
    }

    type ExecuteServerStreamStream = Outputs;

    #[tracing::instrument(skip_all)]
    #[intercepted(context = ctx)]
    async fn execute_server_stream(
        &self,
        _: tonic::Request<DummyRequest>,
    ) -> Result<tonic::Response<Self::ExecuteServerStreamStream>, Status> {
        ctx.set_code(Code::Ok);
        Ok(tonic::Response::new(tokio_stream::empty()))
    }

    type ExecuteClientServerStreamStream = Outputs;

    #[tracing::instrument(skip(self), fields(streaming = true))]
    async fn execute_client_server_stream(
        &self,
        request: tonic::Request<tonic::Streaming<DummyRequest>>,
    ) -> Result<tonic::Response<Self::ExecuteClientServerStreamStream>, Status> {
        drop(request);
        Ok(tonic::Response::new(tokio_stream::empty()))
    }
}

/// A subscriber that writes down spans (with their fields) and events as lines of text.
#[derive(Default)]
struct Recorder {
    next: AtomicU64,
    lines: Arc<Mutex<Vec<String>>>,
}

struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl tracing::Subscriber for Recorder {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &span::Attributes<'_>) -> span::Id {
        let mut line = format!("span {}", span.metadata().name());
        span.record(&mut Fields(&mut line));
        self.lines.lock().unwrap().push(line);
        span::Id::from_u64(self.next.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}

    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut line = "event".to_owned();
        event.record(&mut Fields(&mut line));
        self.lines.lock().unwrap().push(line);
    }

    fn enter(&self, _: &span::Id) {
        self.lines.lock().unwrap().push("enter".to_owned());
    }

    fn exit(&self, _: &span::Id) {
        self.lines.lock().unwrap().push("exit".to_owned());
    }
}

/// Runs a future that needs no reactor to completion.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = TaskContext::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

fn main() {
    let recorder = Recorder::default();
    let lines = Arc::clone(&recorder.lines);
    tracing::subscriber::with_default(recorder, || {
        let call = |input: &str| {
            let request = tonic::Request::new(DummyRequest {
                input: input.to_owned(),
            });
            block_on(Echo.execute(request)).map(|r| r.into_inner().output)
        };
        assert_eq!(call("a").ok(), Some("a".to_owned()));
        assert_eq!(call("fail").map_err(|s| s.code()), Err(tonic::Code::InvalidArgument));
    });
    let lines = lines.lock().unwrap().clone();
    let position = |prefix: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} in {lines:#?}"))
    };
    // The span, with the field computed from the request; the interceptor's event inside
    // it; then the handler's result.
    let span = position("span execute input=a");
    let first_enter = span + 1;
    assert_eq!(lines[first_enter], "enter", "{lines:#?}");
    assert!(position("event interceptor=\"pass\"") > first_enter, "{lines:#?}");
    assert!(position("event return=") > first_enter, "{lines:#?}");
    assert!(position("span execute input=fail") > span, "{lines:#?}");
    assert!(position("event error=") > span, "{lines:#?}");
    let _ = DummyServiceServer::new(Echo);
}
