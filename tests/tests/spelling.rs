//! The streaming modes of an `#[intercepted]` method follow from its types, however they
//! are spelled: tonic's interop server spelling (`Streaming<T>` as an alias of the whole
//! request type, `Result<T>` for the return type), served over HTTP/2 behind an interceptor
//! that rewrites every request message, in all four modes.

use std::pin::Pin;
use std::result::Result as StdResult;

use grpc_interceptor::intercepted;
use grpc_interceptor::testing::proto::dummy_service_client::DummyServiceClient;
use grpc_interceptor::testing::proto::dummy_service_server::{DummyService, DummyServiceServer};
use grpc_interceptor::testing::{DummyRequest, DummyResponse};
use grpc_interceptor_tests::{bidi, client_stream, ok_stream, server_stream, unary, uppercase};
use tokio_stream::StreamExt;
use tonic::{Request, Response, Status};

type Result<T> = StdResult<Response<T>, Status>;
type Streaming<T> = Request<tonic::Streaming<T>>;
type Stream<T> = Pin<Box<dyn tokio_stream::Stream<Item = StdResult<T, Status>> + Send + 'static>>;

struct Interop;

fn out(output: String) -> DummyResponse {
    DummyResponse { output }
}

#[intercepted(uppercase)]
#[tonic::async_trait]
impl DummyService for Interop {
    async fn execute(&self, request: Request<DummyRequest>) -> Result<DummyResponse> {
        Ok(Response::new(out(request.into_inner().input)))
    }

    async fn execute_client_stream(&self, req: Streaming<DummyRequest>) -> Result<DummyResponse> {
        let mut stream = req.into_inner();
        let mut all = String::new();
        while let Some(msg) = stream.try_next().await? {
            all += &msg.input;
        }
        Ok(Response::new(out(all)))
    }

    type ExecuteServerStreamStream = Stream<DummyResponse>;

    async fn execute_server_stream(
        &self,
        req: Request<DummyRequest>,
    ) -> Result<Self::ExecuteServerStreamStream> {
        let chars: Vec<_> = req
            .into_inner()
            .input
            .chars()
            .map(|c| Ok(out(c.into())))
            .collect();
        Ok(Response::new(Box::pin(tokio_stream::iter(chars))))
    }

    type ExecuteClientServerStreamStream = Stream<DummyResponse>;

    async fn execute_client_server_stream(
        &self,
        req: Streaming<DummyRequest>,
    ) -> Result<Self::ExecuteClientServerStreamStream> {
        let stream = req.into_inner().map(|msg| msg.map(|m| out(m.input)));
        Ok(Response::new(Box::pin(stream)))
    }
}

#[tokio::test]
async fn the_interop_spelling_is_served_in_all_four_modes() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(DummyServiceServer::new(Interop))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = DummyServiceClient::new(channel);

    assert_eq!(unary(&mut client, "a").await, Ok("A".to_owned()));
    assert_eq!(
        client_stream(&mut client, &["a", "b"]).await,
        Ok("AB".to_owned())
    );
    assert_eq!(
        server_stream(&mut client, "ab").await,
        ok_stream(&["A", "B"])
    );
    assert_eq!(bidi(&mut client, &["a", "b"]).await, ok_stream(&["A", "B"]));
}
