//! The trait imported without its server struct, whose `NamedService::NAME` names the
//! service: rustc's own error, on the trait's name and pointing at the attribute. A
//! macro cannot tell whether a name is in scope, so the fixes are in `#[intercepted]`'s
//! docs: import `DummyServiceServer`, name the trait by its path
//! (`pass/qualified_trait.rs`), or give `service = "..."` (`pass/method_options.rs`).

use grpc_interceptor::testing::proto::dummy_service_server::DummyService;
use grpc_interceptor::testing::{DummyRequest, DummyResponse};
use grpc_interceptor::{
    Context, MethodName, Next, Reply, Request, Status, intercepted, interceptor,
};
use tokio_stream::Empty;
use tonic::Streaming;

type Outputs = Empty<Result<DummyResponse, Status>>;

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

fn main() {}
