//! The request types under aliases of the user's own: the modes follow from the types
//! the aliases stand for, not from how they are spelled.

use grpc_interceptor::testing::proto::dummy_service_server::{DummyService, DummyServiceServer};
use grpc_interceptor::testing::{DummyRequest, DummyResponse};
use grpc_interceptor::{
    Context, MethodName, Next, Reply, Request, Status, intercepted, interceptor,
};
use tokio_stream::StreamExt;

type Single = tonic::Request<DummyRequest>;
type Uploads = tonic::Request<tonic::Streaming<DummyRequest>>;
type Incoming = tonic::Streaming<DummyRequest>;
type Answer<T> = Result<tonic::Response<T>, Status>;
type Outputs = tokio_stream::Empty<Result<DummyResponse, Status>>;

#[interceptor]
fn pass(method: Next<'_>, request: Request, context: &mut Context, _: &MethodName) -> Reply {
    method.call(request, context)
}

struct Echo;

#[intercepted(pass)]
#[tonic::async_trait]
impl DummyService for Echo {
    async fn execute(&self, request: Single) -> Answer<DummyResponse> {
        let output = request.into_inner().input;
        Ok(tonic::Response::new(DummyResponse { output }))
    }

    async fn execute_client_stream(&self, request: Uploads) -> Answer<DummyResponse> {
        let mut output = String::new();
        let mut inputs = request.into_inner();
        while let Some(input) = inputs.next().await {
            output += &input?.input;
        }
        Ok(tonic::Response::new(DummyResponse { output }))
    }

    type ExecuteServerStreamStream = Outputs;

    async fn execute_server_stream(&self, _: Single) -> Answer<Self::ExecuteServerStreamStream> {
        Ok(tonic::Response::new(tokio_stream::empty()))
    }

    type ExecuteClientServerStreamStream = Outputs;

    async fn execute_client_server_stream(
        &self,
        _: tonic::Request<Incoming>,
    ) -> Answer<Self::ExecuteClientServerStreamStream> {
        Ok(tonic::Response::new(tokio_stream::empty()))
    }
}

fn main() {
    let _ = DummyServiceServer::new(Echo);
}
