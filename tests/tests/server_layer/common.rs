//! What the server layer's tests share: a plain (un-annotated) Dummy service, a server on
//! 127.0.0.1, and interceptors that record what the layer shows them.

#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use grpc_interceptor::prelude::*;
use grpc_interceptor::testing::proto::dummy_service_server::{DummyService, DummyServiceServer};
use grpc_interceptor::testing::{DummyRequest, DummyResponse};
use grpc_interceptor_tests::{Log, log};
use tokio_stream::{Stream, StreamExt};
use tonic::transport::Channel;

/// Serves a tonic `Router` on 127.0.0.1 and an ephemeral port until the test ends; gives
/// its address.
macro_rules! serve {
    ($router:expr) => {{
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
        tokio::spawn($router.serve_with_incoming(incoming));
        addr
    }};
}
pub(crate) use serve;

/// A channel to the server at `addr`.
pub async fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

/// Fails the test instead of hanging when a call never ends.
pub async fn within<T>(call: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), call)
        .await
        .expect("the call ended")
}

type Responses = Pin<Box<dyn Stream<Item = Result<DummyResponse, Status>> + Send>>;

fn response(output: impl Into<String>) -> DummyResponse {
    DummyResponse {
        output: output.into(),
    }
}

/// The Dummy service as a plain tonic impl, with no `#[intercepted]`:
///
/// - `Execute` echoes; `"panic"` panics, `"error"` fails with NOT_FOUND;
/// - `ExecuteClientStream` concatenates the inputs;
/// - `ExecuteServerStream` sends one message per character, one at a time, and panics at
///   a `!`; `"hang"` sends one message, then nothing more;
/// - `ExecuteClientServerStream` echoes each input.
#[derive(Clone, Copy, Debug, Default)]
pub struct Plain;

impl Plain {
    pub fn server() -> DummyServiceServer<Plain> {
        DummyServiceServer::new(Plain)
    }
}

#[tonic::async_trait]
impl DummyService for Plain {
    async fn execute(
        &self,
        request: tonic::Request<DummyRequest>,
    ) -> Result<tonic::Response<DummyResponse>, Status> {
        match &*request.into_inner().input {
            "panic" => panic!("the handler panicked"),
            "error" => Err(Status::not_found("not here")),
            input => Ok(tonic::Response::new(response(input))),
        }
    }

    async fn execute_client_stream(
        &self,
        request: tonic::Request<tonic::Streaming<DummyRequest>>,
    ) -> Result<tonic::Response<DummyResponse>, Status> {
        let mut stream = request.into_inner();
        let mut output = String::new();
        while let Some(message) = stream.message().await? {
            output += &message.input;
        }
        Ok(tonic::Response::new(response(output)))
    }

    type ExecuteServerStreamStream = Responses;

    async fn execute_server_stream(
        &self,
        request: tonic::Request<DummyRequest>,
    ) -> Result<tonic::Response<Responses>, Status> {
        let input = request.into_inner().input;
        if input == "hang" {
            let first = tokio_stream::once(Ok(response("h")));
            let stream: Responses = Box::pin(first.chain(tokio_stream::pending()));
            return Ok(tonic::Response::new(stream));
        }
        let chars: Vec<char> = input.chars().collect();
        // One message at a time: tonic's encoder sends what it has when the stream is not
        // ready (it batches messages that are ready at once, and a panic loses its batch).
        let stream = tokio_stream::iter(chars).then(|c| async move {
            tokio::task::yield_now().await;
            match c {
                '!' => panic!("the stream panicked"),
                c => Ok(response(c.to_string())),
            }
        });
        Ok(tonic::Response::new(Box::pin(stream)))
    }

    type ExecuteClientServerStreamStream = Responses;

    async fn execute_client_server_stream(
        &self,
        request: tonic::Request<tonic::Streaming<DummyRequest>>,
    ) -> Result<tonic::Response<Responses>, Status> {
        let stream = request.into_inner().map(|r| r.map(|r| response(r.input)));
        Ok(tonic::Response::new(Box::pin(stream)))
    }
}

/// What an interceptor saw of one call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub method: String,
    pub side: Side,
    pub peer: bool,
    pub timeout: Option<Duration>,
}

/// Records every call the layer shows it.
#[derive(Clone, Default)]
pub struct Seen(pub Log<Call>);

impl CallInterceptor for Seen {
    async fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        method_name: &MethodName,
    ) -> Result<Response<N::RespPayload>, Status> {
        let call = Call {
            method: method_name.to_string(),
            side: context.side(),
            peer: request.remote_addr().is_some(),
            timeout: request.timeout(),
        };
        self.0.lock().unwrap().push(call);
        method.call(request, context).await
    }
}

/// Logs the Dummy service's messages as they pass: `> input` and `< output`.
#[derive(Clone, Default)]
pub struct ReadDummy(pub Log<String>);

impl CallInterceptor for ReadDummy {
    async fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        mut request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        method_name: &MethodName,
    ) -> Result<Response<N::RespPayload>, Status> {
        if method_name.service() != "DummyService" {
            return method.call(request, context).await;
        }
        let log = Arc::clone(&self.0);
        request.inspect_messages(move |r: &DummyRequest| {
            log.lock().unwrap().push(format!("> {}", r.input));
            Ok(())
        })?;
        let mut response = method.call(request, context).await?;
        let log = Arc::clone(&self.0);
        response.inspect_messages(move |r: &DummyResponse| {
            log.lock().unwrap().push(format!("< {}", r.output));
            Ok(())
        })?;
        Ok(response)
    }
}

/// Upper-cases the Dummy service's inputs and adds `.` to its outputs.
#[interceptor]
pub async fn shout(
    method: Next<'_>,
    mut request: Request,
    context: &mut Context,
    method_name: &MethodName,
) -> Result<Response, Status> {
    if method_name.service() != "DummyService" {
        return method.call(request, context).await;
    }
    request.for_each_message(|r: &mut DummyRequest| {
        r.input = r.input.to_uppercase();
        Ok(())
    })?;
    let mut response = method.call(request, context).await?;
    response.for_each_message(|r: &mut DummyResponse| {
        r.output.push('.');
        Ok(())
    })?;
    Ok(response)
}

/// Sets the header `x-layer-header` and the trailer `x-layer` on every call.
#[interceptor]
pub fn set_trailer(
    method: Next<'_>,
    request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Reply {
    context.with_headers(|h| h.insert("x-layer-header", "yes".parse().unwrap()));
    context.with_trailers(|t| t.insert("x-layer", "yes".parse().unwrap()));
    method.call(request, context)
}

/// How one call ended, as an end hook saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ended {
    pub method: String,
    pub code: Code,
    pub message: String,
    pub requests: u64,
    pub responses: u64,
    pub by_peer: bool,
    pub panicked: bool,
    pub trailer: bool,
}

/// Records how every call ended.
#[derive(Clone, Default)]
pub struct Ends(pub Log<Ended>);

impl Ends {
    pub fn new() -> Self {
        Self(log())
    }
}

impl CallInterceptor for Ends {
    fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        method_name: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        let (log, name) = (Arc::clone(&self.0), method_name.to_string());
        context.on_call_end(move |end| {
            log.lock().unwrap().push(Ended {
                method: name,
                code: end.code(),
                message: end.status().message().to_owned(),
                requests: end.request_messages(),
                responses: end.response_messages(),
                by_peer: end.by_peer(),
                panicked: end.panicked(),
                trailer: end.trailers().get("x-layer").is_some(),
            });
        });
        method.call(request, context)
    }
}

/// Waits for the end hooks to have run `n` times (they run as the response is written).
pub async fn ended(ends: &Ends, n: usize) -> Vec<Ended> {
    within(async {
        loop {
            let seen = ends.0.lock().unwrap().clone();
            if seen.len() >= n {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
}
