//! A full tonic service, all four streaming modes, behind a plain `fn`, an `async fn` and
//! two hand-written interceptors (one a field of the service, one built per call).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};

use grpc_interceptor::testing::proto::dummy_service_server::{DummyService, DummyServiceServer};
use grpc_interceptor::testing::{DummyRequest, DummyResponse};
use grpc_interceptor::{
    CallInterceptor, Chain, Context, MethodName, Next, Reply, Request, Response, Status,
    intercepted, interceptor,
};
use tokio_stream::{Stream, StreamExt};

#[interceptor]
fn require_token(
    method: Next<'_>,
    request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Reply {
    if request.metadata().get("authorization").is_none() {
        return Reply::error(Status::unauthenticated("missing token"));
    }
    method.call(request, context)
}

#[interceptor]
async fn log_calls(
    method: Next<'_>,
    request: Request,
    context: &mut Context,
    method_name: &MethodName,
) -> Result<Response, Status> {
    let result = method.call(request, context).await;
    println!("{method_name}: ok = {}", result.is_ok());
    result
}

/// Hand-written, with an `async fn`.
#[derive(Default)]
struct CountCalls(AtomicUsize);

impl CallInterceptor for CountCalls {
    async fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _: &MethodName,
    ) -> Result<Response<N::RespPayload>, Status> {
        self.0.fetch_add(1, Ordering::Relaxed);
        method.call(request, context).await
    }
}

/// Hand-written, with a plain `fn` returning a future.
#[derive(Default)]
struct Stamp;

impl CallInterceptor for Stamp {
    fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        context.with_trailers(|t| {
            t.insert("x-stamp", tonic::metadata::MetadataValue::from_static("1"))
        });
        method.call(request, context)
    }
}

type Outputs = Pin<Box<dyn Stream<Item = Result<DummyResponse, Status>> + Send>>;

fn out(output: impl Into<String>) -> DummyResponse {
    DummyResponse {
        output: output.into(),
    }
}

struct Echo {
    counter: CountCalls,
}

#[intercepted(self.counter, Stamp::default(), (require_token, log_calls))]
#[tonic::async_trait]
impl DummyService for Echo {
    async fn execute(
        &self,
        request: tonic::Request<DummyRequest>,
    ) -> Result<tonic::Response<DummyResponse>, Status> {
        Ok(tonic::Response::new(out(request.into_inner().input)))
    }

    async fn execute_client_stream(
        &self,
        request: tonic::Request<tonic::Streaming<DummyRequest>>,
    ) -> Result<tonic::Response<DummyResponse>, Status> {
        let mut stream = request.into_inner();
        let mut all = String::new();
        while let Some(r) = stream.next().await {
            all += &r?.input;
        }
        Ok(tonic::Response::new(out(all)))
    }

    type ExecuteServerStreamStream = Outputs;

    async fn execute_server_stream(
        &self,
        request: tonic::Request<DummyRequest>,
    ) -> Result<tonic::Response<Self::ExecuteServerStreamStream>, Status> {
        let chars: Vec<_> = request
            .into_inner()
            .input
            .chars()
            .map(|c| Ok(out(c)))
            .collect();
        Ok(tonic::Response::new(
            Box::pin(tokio_stream::iter(chars)) as Self::ExecuteServerStreamStream
        ))
    }

    type ExecuteClientServerStreamStream = Outputs;

    async fn execute_client_server_stream(
        &self,
        request: tonic::Request<tonic::Streaming<DummyRequest>>,
    ) -> Result<tonic::Response<Self::ExecuteClientServerStreamStream>, Status> {
        let replies = request.into_inner().map(|r| r.map(|r| out(r.input)));
        Ok(tonic::Response::new(Box::pin(replies)))
    }
}

fn main() {
    let _ = DummyServiceServer::new(Echo {
        counter: CountCalls::default(),
    });
}
