//! `#[intercepted]` on a hand-written service: concrete stream types of the user's choice,
//! a generic impl, `skip`, and interceptors from a field, a static and another module.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicUsize, Ordering};

use grpc_interceptor::testing::proto::dummy_service_client::DummyServiceClient;
use grpc_interceptor::testing::proto::dummy_service_server::{DummyService, DummyServiceServer};
use grpc_interceptor::testing::{DummyRequest, DummyResponse};
use grpc_interceptor::{
    CallInterceptor, Chain, Context, MethodName, Next, Request, Response, Status, intercepted,
};
use grpc_interceptor_tests::{Counting, TrailerProbe, collect, req, requests};
use std::future::Future;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;

mod shared {
    /// An interceptor reached by path.
    pub(crate) use grpc_interceptor_tests::uppercase as shout;
}

/// A stateful interceptor in a `static`.
struct CountAll(AtomicUsize);

impl CallInterceptor for CountAll {
    fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        self.0.fetch_add(1, Ordering::Relaxed);
        method.call(request, context)
    }
}

static CALLS: CountAll = CountAll(AtomicUsize::new(0));

struct Service<T> {
    counting: Counting,
    handled: AtomicUsize,
    _marker: PhantomData<fn() -> T>,
}

type Chars = tokio_stream::Iter<std::vec::IntoIter<Result<DummyResponse, Status>>>;

/// Sets a trailer on every call.
#[grpc_interceptor::interceptor]
fn trail(
    method: Next<'_>,
    request: Request,
    context: &mut Context,
    _: &MethodName,
) -> grpc_interceptor::Reply {
    context.with_trailers(|t| t.insert("x-trail", "t".parse().expect("ascii")));
    method.call(request, context)
}

#[intercepted(self.counting, &CALLS, shared::shout)]
#[tonic::async_trait]
impl<T: 'static> DummyService for Service<T> {
    async fn execute(
        &self,
        request: tonic::Request<DummyRequest>,
    ) -> Result<tonic::Response<DummyResponse>, Status> {
        self.handled.fetch_add(1, Ordering::Relaxed);
        Ok(tonic::Response::new(DummyResponse {
            output: request.into_inner().input,
        }))
    }

    #[intercepted(skip)]
    async fn execute_client_stream(
        &self,
        request: tonic::Request<tonic::Streaming<DummyRequest>>,
    ) -> Result<tonic::Response<DummyResponse>, Status> {
        let inputs: Vec<_> = request
            .into_inner()
            .map(|r| r.map(|r| r.input))
            .collect()
            .await;
        let output = inputs.into_iter().collect::<Result<String, Status>>()?;
        Ok(tonic::Response::new(DummyResponse { output }))
    }

    type ExecuteServerStreamStream = Chars;

    async fn execute_server_stream(
        &self,
        request: tonic::Request<DummyRequest>,
    ) -> Result<tonic::Response<Self::ExecuteServerStreamStream>, Status> {
        let messages: Vec<_> = request
            .into_inner()
            .input
            .chars()
            .map(|c| Ok(DummyResponse { output: c.into() }))
            .collect();
        let stream: Self::ExecuteServerStreamStream = tokio_stream::iter(messages);
        Ok(tonic::Response::new(stream))
    }

    type ExecuteClientServerStreamStream = ReceiverStream<Result<DummyResponse, Status>>;

    async fn execute_client_server_stream(
        &self,
        request: tonic::Request<tonic::Streaming<DummyRequest>>,
    ) -> Result<tonic::Response<Self::ExecuteClientServerStreamStream>, Status> {
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let mut inputs = request.into_inner();
        tokio::spawn(async move {
            while let Some(Ok(r)) = inputs.next().await {
                if tx
                    .send(Ok(DummyResponse { output: r.input }))
                    .await
                    .is_err()
                {
                    break;
                }
            }
        });
        Ok(tonic::Response::new(ReceiverStream::new(rx)))
    }
}

async fn start(service: Service<u8>) -> tonic::transport::Channel {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(DummyServiceServer::new(service))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

#[tokio::test]
async fn user_chosen_stream_types_field_static_and_path_interceptors_and_skip() {
    let counting = Counting::default();
    let service = Service {
        counting: counting.clone(),
        handled: AtomicUsize::new(0),
        _marker: PhantomData,
    };
    let mut client = DummyServiceClient::new(start(service).await);

    assert_eq!(
        client.execute(req("a")).await.unwrap().into_inner().output,
        "A"
    );
    let stream = client
        .execute_server_stream(req("ab"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        collect(stream).await,
        (vec!["A".to_string(), "B".to_string()], None)
    );
    let stream = client
        .execute_client_server_stream(requests(&["x"]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(collect(stream).await, (vec!["X".to_string()], None));
    // Skipped: no interceptor runs, so no upper-casing and no count.
    let response = client
        .execute_client_stream(requests(&["q"]))
        .await
        .unwrap();
    assert_eq!(response.into_inner().output, "q");

    let (calls, _) = counting.counts();
    assert_eq!(calls.values().sum::<usize>(), 3);
    assert!(!calls.contains_key("/DummyService/ExecuteClientStream"));
    assert_eq!(CALLS.0.load(Ordering::Relaxed), 3);
}

#[tokio::test]
async fn without_the_trailers_layer_unary_trailers_go_out_with_the_headers() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = grpc_interceptor::testing::DummyService::new(Default::default(), (trail,));
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service.into_server())
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let probe = TrailerProbe::new("x-trail");
    let mut client = DummyServiceClient::new(grpc_interceptor::client::intercept(
        channel,
        (probe.clone(),),
    ));
    client.execute(req("a")).await.unwrap();
    collect(
        client
            .execute_server_stream(req("ab"))
            .await
            .unwrap()
            .into_inner(),
    )
    .await;
    // Unary: with the headers; a stream: real trailers either way.
    assert_eq!(probe.seen(), [(true, false), (false, true)]);
}
