//! Alternatives of one method under `#[cfg(...)]`, in either order, each with its own
//! parameter names and types, and method options under `#[cfg_attr(...)]`: every method
//! item is expanded from its own signature, and rustc keeps the configured one.

use grpc_interceptor::testing::proto::dummy_service_server::{DummyService, DummyServiceServer};
use grpc_interceptor::testing::{DummyRequest, DummyResponse};
use grpc_interceptor::{
    Code, Context, MethodName, Next, Reply, Request, Status, intercepted, interceptor,
};

type Outputs = tokio_stream::Empty<Result<DummyResponse, Status>>;
#[cfg(not(unix))]
type Single = tonic::Request<DummyRequest>;

#[interceptor]
fn pass(method: Next<'_>, request: Request, context: &mut Context, _: &MethodName) -> Reply {
    method.call(request, context)
}

struct Echo;

#[intercepted(pass)]
#[tonic::async_trait]
impl DummyService for Echo {
    // The configured one first.
    #[cfg(unix)]
    async fn execute(
        &self,
        request: tonic::Request<DummyRequest>,
    ) -> Result<tonic::Response<DummyResponse>, Status> {
        let output = request.into_inner().input;
        Ok(tonic::Response::new(DummyResponse { output }))
    }

    #[cfg(not(unix))]
    async fn execute(&self, req: Single) -> Result<tonic::Response<DummyResponse>, Status> {
        Ok(tonic::Response::new(DummyResponse {
            output: req.into_inner().input.to_uppercase(),
        }))
    }

    // The configured one last.
    #[cfg(not(unix))]
    #[intercepted(skip)]
    async fn execute_client_stream(
        &self,
        _: tonic::Request<tonic::Streaming<DummyRequest>>,
    ) -> Result<tonic::Response<DummyResponse>, Status> {
        Err(Status::unimplemented("client streaming"))
    }

    #[cfg(unix)]
    async fn execute_client_stream(
        &self,
        uploads: tonic::Request<tonic::Streaming<DummyRequest>>,
    ) -> Result<tonic::Response<DummyResponse>, Status> {
        let mut uploads = uploads.into_inner();
        let output = match uploads.message().await? {
            Some(first) => first.input,
            None => String::new(),
        };
        Ok(tonic::Response::new(DummyResponse { output }))
    }

    type ExecuteServerStreamStream = Outputs;

    #[cfg_attr(unix, intercepted(context = ctx))]
    #[cfg_attr(not(unix), intercepted(skip))]
    async fn execute_server_stream(
        &self,
        _: tonic::Request<DummyRequest>,
    ) -> Result<tonic::Response<Self::ExecuteServerStreamStream>, Status> {
        #[cfg(unix)]
        ctx.set_code(Code::Ok);
        Ok(tonic::Response::new(tokio_stream::empty()))
    }

    type ExecuteClientServerStreamStream = Outputs;

    #[cfg_attr(unix, intercepted(name = "ExecuteClientServerStream"))]
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
