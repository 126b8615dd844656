//! tonic's types re-exported under other names by a module of the user's (as a company's
//! own gRPC crate would).

mod rpc {
    pub use tonic::Request as Call;
    pub use tonic::Response as Answer;
    pub use tonic::Streaming as ClientStream;
}

use grpc_interceptor::testing::proto::dummy_service_server::{DummyService, DummyServiceServer};
use grpc_interceptor::testing::{DummyRequest, DummyResponse};
use grpc_interceptor::{
    Context, MethodName, Next, Reply, Request, Status, intercepted, interceptor,
};

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
        request: rpc::Call<DummyRequest>,
    ) -> Result<rpc::Answer<DummyResponse>, Status> {
        let output = request.into_inner().input;
        Ok(rpc::Answer::new(DummyResponse { output }))
    }

    async fn execute_client_stream(
        &self,
        _: rpc::Call<rpc::ClientStream<DummyRequest>>,
    ) -> Result<rpc::Answer<DummyResponse>, Status> {
        Err(Status::unimplemented("client streaming"))
    }

    type ExecuteServerStreamStream = Outputs;

    async fn execute_server_stream(
        &self,
        _: rpc::Call<DummyRequest>,
    ) -> Result<rpc::Answer<Self::ExecuteServerStreamStream>, Status> {
        Ok(rpc::Answer::new(tokio_stream::empty()))
    }

    type ExecuteClientServerStreamStream = Outputs;

    async fn execute_client_server_stream(
        &self,
        _: rpc::Call<rpc::ClientStream<DummyRequest>>,
    ) -> Result<rpc::Answer<Self::ExecuteClientServerStreamStream>, Status> {
        Ok(rpc::Answer::new(tokio_stream::empty()))
    }
}

fn main() {
    let _ = DummyServiceServer::new(Echo);
}
