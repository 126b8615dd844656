//! tonic's types by fully qualified paths, without any `use`.

use grpc_interceptor::testing::proto::dummy_service_server::{DummyService, DummyServiceServer};
use grpc_interceptor::testing::{DummyRequest, DummyResponse};
use grpc_interceptor::{Context, MethodName, Next, Reply, Request, intercepted, interceptor};

type Outputs = tokio_stream::Empty<::core::result::Result<DummyResponse, ::tonic::Status>>;

#[interceptor]
fn pass(method: Next<'_>, request: Request, context: &mut Context, _: &MethodName) -> Reply {
    method.call(request, context)
}

struct Echo;

#[intercepted(pass)]
#[::tonic::async_trait]
impl DummyService for Echo {
    async fn execute(
        &self,
        request: ::tonic::Request<DummyRequest>,
    ) -> ::core::result::Result<::tonic::Response<DummyResponse>, ::tonic::Status> {
        let output = request.into_inner().input;
        Ok(::tonic::Response::new(DummyResponse { output }))
    }

    async fn execute_client_stream(
        &self,
        _: ::tonic::Request<::tonic::Streaming<DummyRequest>>,
    ) -> ::core::result::Result<::tonic::Response<DummyResponse>, ::tonic::Status> {
        Err(::tonic::Status::unimplemented("client streaming"))
    }

    type ExecuteServerStreamStream = Outputs;

    async fn execute_server_stream(
        &self,
        _: ::tonic::Request<DummyRequest>,
    ) -> ::core::result::Result<::tonic::Response<Self::ExecuteServerStreamStream>, ::tonic::Status>
    {
        Ok(::tonic::Response::new(tokio_stream::empty()))
    }

    type ExecuteClientServerStreamStream = Outputs;

    async fn execute_client_server_stream(
        &self,
        _: ::tonic::Request<::tonic::Streaming<DummyRequest>>,
    ) -> ::core::result::Result<
        ::tonic::Response<Self::ExecuteClientServerStreamStream>,
        ::tonic::Status,
    > {
        Ok(::tonic::Response::new(tokio_stream::empty()))
    }
}

fn main() {
    let _ = DummyServiceServer::new(Echo);
}
