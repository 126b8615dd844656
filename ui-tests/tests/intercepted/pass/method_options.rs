//! The options of one method: `skip`, `name` and `context`; and `service` on the impl,
//! which spares importing the server struct.

use grpc_interceptor::testing::proto::dummy_service_server::DummyService;
use grpc_interceptor::testing::{DummyRequest, DummyResponse};
use grpc_interceptor::{
    Code, Context, MethodName, Next, Reply, Request, Status, intercepted, interceptor,
};

type Outputs = tokio_stream::Empty<Result<DummyResponse, Status>>;

#[interceptor]
fn pass(method: Next<'_>, request: Request, context: &mut Context, _: &MethodName) -> Reply {
    method.call(request, context)
}

struct Echo;

#[intercepted(pass, service = "grpc.testing.DummyService")]
#[tonic::async_trait]
impl DummyService for Echo {
    #[intercepted(name = "Execute", context = ctx)]
    async fn execute(
        &self,
        request: tonic::Request<DummyRequest>,
    ) -> Result<tonic::Response<DummyResponse>, Status> {
        let output = request.into_inner().input;
        ctx.set_code(Code::Ok);
        Ok(tonic::Response::new(DummyResponse { output }))
    }

    #[intercepted(skip)]
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
    let _ = grpc_interceptor::testing::proto::dummy_service_server::DummyServiceServer::new(Echo);
}
