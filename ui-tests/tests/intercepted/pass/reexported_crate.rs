//! The runtime re-exported by another module (as a company's own gRPC crate would):
//! `crate = "..."` names the re-export.

mod my_grpc {
    pub use ::grpc_interceptor as interceptors;
}

use my_grpc::interceptors::testing::proto::dummy_service_server::{
    DummyService, DummyServiceServer,
};
use my_grpc::interceptors::testing::{DummyRequest, DummyResponse};
use my_grpc::interceptors::{Context, MethodName, Next, Reply, Request, Status};

type Outputs = tokio_stream::Empty<Result<DummyResponse, Status>>;

#[my_grpc::interceptors::interceptor(crate = "my_grpc::interceptors")]
fn pass(method: Next<'_>, request: Request, context: &mut Context, _: &MethodName) -> Reply {
    method.call(request, context)
}

struct Echo;

#[my_grpc::interceptors::intercepted(pass, crate = "crate::my_grpc::interceptors")]
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
        _: tonic::Request<tonic::Streaming<DummyRequest>>,
    ) -> Result<tonic::Response<Self::ExecuteClientServerStreamStream>, Status> {
        Ok(tonic::Response::new(tokio_stream::empty()))
    }
}

fn main() {
    let _ = DummyServiceServer::new(Echo);
}
