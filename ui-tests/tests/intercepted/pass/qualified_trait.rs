//! The trait named by its path: the service name comes from the server struct beside it,
//! by the same path, so neither is imported.

use grpc_interceptor::testing::{DummyRequest, DummyResponse, proto};
use grpc_interceptor::{
    Context, MethodName, Next, Reply, Request, Status, intercepted, interceptor,
};
use std::task::{Context as TaskContext, Poll, Waker};
use tonic::Streaming;

type Outputs = tokio_stream::Empty<Result<DummyResponse, Status>>;

#[interceptor]
fn check_name(
    method: Next<'_>,
    request: Request,
    context: &mut Context,
    method_name: &MethodName,
) -> Reply {
    assert_eq!(method_name.as_str(), "/DummyService/Execute");
    method.call(request, context)
}

struct Echo;

#[intercepted(check_name)]
#[tonic::async_trait]
impl proto::dummy_service_server::DummyService for Echo {
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

/// Runs a future that needs no reactor to completion.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = TaskContext::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

fn main() {
    use proto::dummy_service_server::DummyService;

    let request = tonic::Request::new(DummyRequest {
        input: "a".to_owned(),
    });
    let response = block_on(Echo.execute(request)).unwrap();
    assert_eq!(response.into_inner().output, "a");
}
