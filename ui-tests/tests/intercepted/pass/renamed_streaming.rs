//! `use tonic::Streaming as Incoming`: the client stream under a name of the user's choice.

use grpc_interceptor::testing::proto::dummy_service_server::{DummyService, DummyServiceServer};
use grpc_interceptor::testing::{DummyRequest, DummyResponse};
use grpc_interceptor::{
    Context, MethodName, Next, Reply, Request, Status, intercepted, interceptor,
};
use tonic::Streaming as Incoming;

type Outputs = tokio_stream::Empty<Result<DummyResponse, Status>>;

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
        request: tonic::Request<Incoming<DummyRequest>>,
    ) -> Result<tonic::Response<DummyResponse>, Status> {
        let mut inputs: Incoming<DummyRequest> = request.into_inner();
        let output = match inputs.message().await? {
            Some(first) => first.input,
            None => String::new(),
        };
        Ok(tonic::Response::new(DummyResponse { output }))
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
        _: tonic::Request<Incoming<DummyRequest>>,
    ) -> Result<tonic::Response<Self::ExecuteClientServerStreamStream>, Status> {
        Ok(tonic::Response::new(tokio_stream::empty()))
    }
}

fn main() {
    let _ = DummyServiceServer::new(Echo);
}
