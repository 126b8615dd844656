//! The name of an interceptor fn is no unit struct or constant: `let` bindings of the
//! same name, in the module and in the interceptor's own body, bind new variables.

use grpc_interceptor::testing::proto::dummy_service_server::{DummyService, DummyServiceServer};
use grpc_interceptor::testing::{DummyRequest, DummyResponse};
use grpc_interceptor::prelude::*;

#[interceptor]
fn request_id(
    method: Next<'_>,
    mut request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Reply {
    let request_id = request.metadata().get("x-request-id").cloned();
    if request_id.is_none() {
        request
            .metadata_mut()
            .insert("x-request-id", "generated".parse().expect("ASCII"));
    }
    method.call(request, context)
}

#[interceptor]
async fn timeout(
    method: Next<'_>,
    request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Result<Response, Status> {
    let timeout = request.timeout();
    let _ = timeout;
    method.call(request, context).await
}


struct Echo;

#[intercepted(request_id, timeout)]
#[tonic::async_trait]
impl DummyService for Echo {
    async fn execute(
        &self,
        request: tonic::Request<DummyRequest>,
    ) -> Result<tonic::Response<DummyResponse>, Status> {
        let request_id = request.metadata().get("x-request-id").cloned();
        let output = format!("{}{:?}", request.into_inner().input, request_id);
        Ok(tonic::Response::new(DummyResponse { output }))
    }

    async fn execute_client_stream(
        &self,
        _: tonic::Request<tonic::Streaming<DummyRequest>>,
    ) -> Result<tonic::Response<DummyResponse>, Status> {
        Err(Status::unimplemented("client stream"))
    }

    type ExecuteServerStreamStream = tokio_stream::Empty<Result<DummyResponse, Status>>;

    async fn execute_server_stream(
        &self,
        _: tonic::Request<DummyRequest>,
    ) -> Result<tonic::Response<Self::ExecuteServerStreamStream>, Status> {
        Ok(tonic::Response::new(tokio_stream::empty()))
    }

    type ExecuteClientServerStreamStream = tokio_stream::Empty<Result<DummyResponse, Status>>;

    async fn execute_client_server_stream(
        &self,
        _: tonic::Request<tonic::Streaming<DummyRequest>>,
    ) -> Result<tonic::Response<Self::ExecuteClientServerStreamStream>, Status> {
        Ok(tonic::Response::new(tokio_stream::empty()))
    }
}

fn read_header(headers: &tonic::metadata::MetadataMap) -> Option<String> {
    let request_id = headers.get("x-request-id")?.to_str().ok()?;
    Some(request_id.to_owned())
}

fn main() {
    let timeout = std::time::Duration::from_secs(1);
    let request_id = read_header(&tonic::metadata::MetadataMap::new());
    assert!(request_id.is_none());
    assert_eq!(timeout.as_secs(), 1);
    let (request_id, timeout) = (1, 2);
    assert_eq!(request_id + timeout, 3);
    fn is_interceptor(_: impl CallInterceptor) {}
    is_interceptor(self::request_id);
    is_interceptor((self::request_id, self::timeout));
    let _ = DummyServiceServer::new(Echo);
}
