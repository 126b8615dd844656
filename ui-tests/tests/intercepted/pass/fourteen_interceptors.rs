//! More interceptors than the largest tuple that is an interceptor (12): the list is nested
//! into tuples by the expansion and still runs in the order written, the first outermost.

use std::future::Future;
use std::sync::Mutex;
use std::task::{Context as TaskContext, Poll, Waker};

use grpc_interceptor::testing::proto::dummy_service_server::{DummyService, DummyServiceServer};
use grpc_interceptor::testing::{DummyRequest, DummyResponse};
use grpc_interceptor::{
    CallInterceptor, Chain, Context, MethodName, Next, Request, Response, Status, intercepted,
};

type Outputs = tokio_stream::Empty<Result<DummyResponse, Status>>;

static ORDER: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// Writes down its number, then calls the rest of the chain.
struct Tag(u8);

impl CallInterceptor for Tag {
    fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        ORDER.lock().unwrap().push(self.0);
        method.call(request, context)
    }
}

struct Echo;

#[intercepted(
    Tag(1), Tag(2), Tag(3), Tag(4), Tag(5), Tag(6), Tag(7),
    Tag(8), Tag(9), Tag(10), Tag(11), Tag(12), Tag(13), Tag(14),
)]
#[tonic::async_trait]
impl DummyService for Echo {
    async fn execute(
        &self,
        request: tonic::Request<DummyRequest>,
    ) -> Result<tonic::Response<DummyResponse>, Status> {
        ORDER.lock().unwrap().push(0);
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
    let request = tonic::Request::new(DummyRequest {
        input: "a".to_owned(),
    });
    let response = block_on(Echo.execute(request)).unwrap();
    assert_eq!(response.into_inner().output, "a");
    // Every interceptor once, in the order listed, then the handler (0).
    let order = ORDER.lock().unwrap().clone();
    assert_eq!(order, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0]);
    let _ = DummyServiceServer::new(Echo);
}
