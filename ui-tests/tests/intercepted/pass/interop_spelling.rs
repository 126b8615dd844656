//! The spelling of tonic's interop server (`interop/src/server_prost.rs`), put on the
//! `DummyService` methods of the same four modes: tonic's types imported bare, and the
//! aliases `Result<T>`, `Stream<T>` and `Streaming<T> = Request<tonic::Streaming<T>>`, the
//! last one the whole parameter type of the client-streaming methods.

use std::pin::Pin;
use std::result::Result as StdResult;

use grpc_interceptor::testing::proto::dummy_service_server::{DummyService, DummyServiceServer};
use grpc_interceptor::testing::{DummyRequest, DummyResponse};
use grpc_interceptor::{Context, MethodName, Next, Reply, intercepted, interceptor};
use tokio_stream::StreamExt;
use tonic::{Request, Response, Status};

type Result<T> = StdResult<Response<T>, Status>;
type Streaming<T> = Request<tonic::Streaming<T>>;
type Stream<T> = Pin<Box<dyn tokio_stream::Stream<Item = StdResult<T, Status>> + Send + 'static>>;

#[interceptor]
fn pass(
    method: Next<'_>,
    request: grpc_interceptor::Request,
    context: &mut Context,
    _: &MethodName,
) -> Reply {
    method.call(request, context)
}

#[derive(Default, Clone)]
pub struct TestService {}

#[intercepted(pass)]
#[tonic::async_trait]
impl DummyService for TestService {
    async fn execute(&self, request: Request<DummyRequest>) -> Result<DummyResponse> {
        let req = request.into_inner();
        Ok(Response::new(DummyResponse { output: req.input }))
    }

    async fn execute_client_stream(
        &self,
        req: Streaming<DummyRequest>,
    ) -> Result<DummyResponse> {
        let mut stream = req.into_inner();
        let mut output = String::new();
        while let Some(msg) = stream.try_next().await? {
            output += &msg.input;
        }
        Ok(Response::new(DummyResponse { output }))
    }

    type ExecuteServerStreamStream = Stream<DummyResponse>;

    async fn execute_server_stream(
        &self,
        req: Request<DummyRequest>,
    ) -> Result<Self::ExecuteServerStreamStream> {
        let DummyRequest { input } = req.into_inner();
        let stream = tokio_stream::once(Ok(DummyResponse { output: input }));
        Ok(Response::new(
            Box::pin(stream) as Self::ExecuteServerStreamStream
        ))
    }

    type ExecuteClientServerStreamStream = Stream<DummyResponse>;

    async fn execute_client_server_stream(
        &self,
        req: Streaming<DummyRequest>,
    ) -> Result<Self::ExecuteClientServerStreamStream> {
        let stream = req.into_inner().map(|msg| msg.map(|m| DummyResponse { output: m.input }));
        Ok(Response::new(
            Box::pin(stream) as Self::ExecuteClientServerStreamStream
        ))
    }
}

fn main() {
    let _ = DummyServiceServer::new(TestService::default());
}
