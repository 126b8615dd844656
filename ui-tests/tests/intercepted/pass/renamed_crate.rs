//! The runtime under another name: `crate = "..."` tells the expansion where it is, and a
//! `grpc_interceptor` that names something else does not confuse it.

use ::grpc_interceptor as gi;
#[allow(unused_imports)]
use std as grpc_interceptor;

use gi::testing::proto::dummy_service_server::{DummyService, DummyServiceServer};
use gi::testing::{DummyRequest, DummyResponse};
use gi::{Context, MethodName, Next, Reply, Request, Status};

type Outputs = tokio_stream::Empty<Result<DummyResponse, Status>>;

#[gi::interceptor(crate = "gi")]
fn pass(method: Next<'_>, request: Request, context: &mut Context, _: &MethodName) -> Reply {
    method.call(request, context)
}

struct Echo;

#[gi::intercepted(pass, crate = "gi")]
impl DummyService for Echo {
    #[gi::intercepted(context = ctx)]
    async fn execute(
        &self,
        request: tonic::Request<DummyRequest>,
    ) -> Result<tonic::Response<DummyResponse>, Status> {
        let output = request.into_inner().input;
        let _ = ctx.code();
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
