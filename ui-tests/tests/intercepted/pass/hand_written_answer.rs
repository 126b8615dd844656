//! A hand-written interceptor that answers without calling the rest of the chain, with
//! `method.error(...)`: it infers the chain type on every path, also where none calls
//! `method`.

use grpc_interceptor::testing::proto::dummy_service_server::{DummyService, DummyServiceServer};
use grpc_interceptor::testing::{DummyRequest, DummyResponse};
use grpc_interceptor::{
    CallInterceptor, Chain, Context, MethodName, Next, Request, Response, Status, intercepted,
};
use tonic::Streaming;

type Outputs = tokio_stream::Empty<Result<DummyResponse, Status>>;

/// Refuses every call: no path calls `method`.
struct Closed;

impl CallInterceptor for Closed {
    fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        _: Request<N::ReqPayload>,
        _: &mut Context<'call>,
        _: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        method.error(Status::unavailable("closed"))
    }
}

/// Refuses calls without a token, and lets the others through.
struct RequireToken;

impl CallInterceptor for RequireToken {
    fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        if request.metadata().get("authorization").is_none() {
            return method.error(Status::unauthenticated("missing token"));
        }
        method.call(request, context)
    }
}

struct Echo;

#[intercepted(RequireToken, Closed)]
#[tonic::async_trait]
impl DummyService for Echo {
    async fn execute(
        &self,
        request: tonic::Request<DummyRequest>,
    ) -> Result<tonic::Response<DummyResponse>, Status> {
        let output = request.into_inner().input;
        Ok(tonic::Response::new(DummyResponse { output }))
    }

    async fn execute_client_stream(
        &self,
        _: tonic::Request<Streaming<DummyRequest>>,
    ) -> Result<tonic::Response<DummyResponse>, Status> {
        Err(Status::unimplemented("client streaming"))
    }

    type ExecuteServerStreamStream = Outputs;

    async fn execute_server_stream(
        &self,
        _: tonic::Request<DummyRequest>,
    ) -> Result<tonic::Response<Self::ExecuteServerStreamStream>, Status> {
        Ok(tonic::Response::new(tokio_stream::empty()))
    }

    type ExecuteClientServerStreamStream = Outputs;

    async fn execute_client_server_stream(
        &self,
        _: tonic::Request<Streaming<DummyRequest>>,
    ) -> Result<tonic::Response<Self::ExecuteClientServerStreamStream>, Status> {
        Ok(tonic::Response::new(tokio_stream::empty()))
    }
}

fn main() {
    let _ = DummyServiceServer::new(Echo);
}
