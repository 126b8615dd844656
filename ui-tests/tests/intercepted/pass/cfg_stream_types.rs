//! Alternatives of one associated stream type under `#[cfg(...)]`, in either order: each is
//! wrapped as written, and `Self::...Stream` in the bodies means the configured one.

use std::pin::Pin;

use grpc_interceptor::testing::proto::dummy_service_server::{DummyService, DummyServiceServer};
use grpc_interceptor::testing::{DummyRequest, DummyResponse};
use grpc_interceptor::{
    Context, MethodName, Next, Reply, Request, Status, intercepted, interceptor,
};
use tokio_stream::Stream;

type Outputs = tokio_stream::Empty<Result<DummyResponse, Status>>;
type Boxed = Pin<Box<dyn Stream<Item = Result<DummyResponse, Status>> + Send>>;

#[interceptor]
fn pass(method: Next<'_>, request: Request, context: &mut Context, _: &MethodName) -> Reply {
    method.call(request, context)
}

struct Echo;

#[intercepted(pass)]
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
        _: tonic::Request<tonic::Streaming<DummyRequest>>,
    ) -> Result<tonic::Response<DummyResponse>, Status> {
        Err(Status::unimplemented("client streaming"))
    }

    // The configured one first.
    #[cfg(unix)]
    type ExecuteServerStreamStream = Outputs;
    #[cfg(not(unix))]
    type ExecuteServerStreamStream = Boxed;

    async fn execute_server_stream(
        &self,
        _: tonic::Request<DummyRequest>,
    ) -> Result<tonic::Response<Self::ExecuteServerStreamStream>, Status> {
        let stream: Self::ExecuteServerStreamStream = tokio_stream::empty();
        Ok(tonic::Response::new(stream))
    }

    // The configured one last.
    #[cfg(not(unix))]
    type ExecuteClientServerStreamStream = Outputs;
    #[cfg(unix)]
    type ExecuteClientServerStreamStream = Boxed;

    async fn execute_client_server_stream(
        &self,
        _: tonic::Request<tonic::Streaming<DummyRequest>>,
    ) -> Result<tonic::Response<Self::ExecuteClientServerStreamStream>, Status> {
        let stream: Self::ExecuteClientServerStreamStream = Box::pin(tokio_stream::empty());
        Ok(tonic::Response::new(stream))
    }
}

fn main() {
    let _ = DummyServiceServer::new(Echo);
}
