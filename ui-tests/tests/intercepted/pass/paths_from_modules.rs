//! Interceptors named by path, from other modules, and a generic service whose interceptors
//! are a field.

use grpc_interceptor::testing::proto::dummy_service_server::{DummyService, DummyServiceServer};
use grpc_interceptor::testing::{DummyRequest, DummyResponse};
use grpc_interceptor::{CallInterceptor, Status, intercepted};

type Outputs = tokio_stream::Empty<Result<DummyResponse, Status>>;

mod auth {
    use grpc_interceptor::{Context, MethodName, Next, Reply, Request, Status, interceptor};

    #[interceptor]
    pub fn require_token(
        method: Next<'_>,
        request: Request,
        context: &mut Context,
        _: &MethodName,
    ) -> Reply {
        if request.metadata().get("authorization").is_none() {
            return Reply::error(Status::unauthenticated("missing token"));
        }
        method.call(request, context)
    }
}

pub mod observability {
    pub mod logging {
        use grpc_interceptor::{Context, MethodName, Next, Request, Response, Status, interceptor};

        #[interceptor]
        pub async fn log_calls(
            method: Next<'_>,
            request: Request,
            context: &mut Context,
            method_name: &MethodName,
        ) -> Result<Response, Status> {
            let result = method.call(request, context).await;
            println!("{method_name}: ok = {}", result.is_ok());
            result
        }
    }
}

struct Echo<I> {
    extra: I,
}

#[intercepted(auth::require_token, crate::observability::logging::log_calls, self.extra)]
#[tonic::async_trait]
impl<I: CallInterceptor + 'static> DummyService for Echo<I> {
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
    let _ = DummyServiceServer::new(Echo { extra: () });
    let _ = DummyServiceServer::new(Echo {
        extra: (auth::require_token, auth::require_token),
    });
}
