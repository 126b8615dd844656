//! Interceptors and helpers shared by the integration tests: the reference test suite's
//! helper interceptors, written once as hand-made `CallInterceptor`s (stateful) and once
//! with `#[interceptor]` (stateless).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use grpc_interceptor::prelude::*;
use grpc_interceptor::testing::{DummyRequest, DummyResponse};
use grpc_interceptor::{
    CallInterceptor, Chain, Code, Context, MethodName, Next, Reply, Request, Response, Status,
    interceptor,
};
use tokio_stream::StreamExt;

/// A log shared between an interceptor and the test that reads it.
pub type Log<T> = Arc<Mutex<Vec<T>>>;

/// A fresh, empty log.
pub fn log<T>() -> Log<T> {
    Arc::default()
}

/// The entries of a log so far.
pub fn entries<T: Clone>(log: &Log<T>) -> Vec<T> {
    log.lock().map(|l| l.clone()).unwrap_or_default()
}

/// The reference's `CountingInterceptor`: calls and errors per method name.
#[derive(Clone, Default)]
pub struct Counting {
    /// Calls per raw method name.
    pub calls: Arc<Mutex<HashMap<String, usize>>>,
    /// Calls that ended with an error status, per raw method name.
    pub errors: Arc<Mutex<HashMap<String, usize>>>,
}

fn bump(map: &Mutex<HashMap<String, usize>>, key: &str) {
    if let Ok(mut map) = map.lock() {
        *map.entry(key.to_owned()).or_default() += 1;
    }
}

impl Counting {
    /// Calls and errors seen so far.
    pub fn counts(&self) -> (HashMap<String, usize>, HashMap<String, usize>) {
        let get =
            |m: &Mutex<HashMap<String, usize>>| m.lock().map(|m| m.clone()).unwrap_or_default();
        (get(&self.calls), get(&self.errors))
    }
}

impl CallInterceptor for Counting {
    async fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        method_name: &MethodName,
    ) -> Result<Response<N::RespPayload>, Status> {
        bump(&self.calls, method_name.as_str());
        let result = method.call(request, context).await;
        if result.is_err() {
            bump(&self.errors, method_name.as_str());
        }
        result
    }
}

/// The reference's `SideEffectInterceptor`: runs `f`, then the rest of the call.
pub struct SideEffect<F>(pub F);

impl<F: Fn() + Send + Sync> CallInterceptor for SideEffect<F> {
    fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        (self.0)();
        method.call(request, context)
    }
}

/// The reference's `AbortingInterceptor`: ends every call with ABORTED and its message,
/// without calling the handler.
pub struct Aborting(pub &'static str);

impl CallInterceptor for Aborting {
    fn intercept<'call, N: Chain>(
        &self,
        _: Next<'call, N>,
        _: Request<N::ReqPayload>,
        _: &mut Context<'call>,
        _: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        std::future::ready(Err(Status::aborted(self.0)))
    }
}

/// The reference's `UppercasingInterceptor`, for every mode: upper-cases each request's input.
#[interceptor]
pub fn uppercase(
    method: Next<'_>,
    mut request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Reply {
    if let Err(status) = request.for_each_message(|r: &mut DummyRequest| {
        r.input = r.input.to_uppercase();
        Ok(())
    }) {
        return Reply::error(status);
    }
    method.call(request, context)
}

/// The reference's `StreamingInterceptor`: passes everything through.
#[interceptor]
pub async fn pass_through(
    method: Next<'_>,
    request: Request,
    context: &mut Context,
    _method_name: &MethodName,
) -> Result<Response, Status> {
    method.call(request, context).await
}

/// The reference's `ServerStreamingLoggingInterceptor`: logs each streamed output.
pub struct LogResponses(pub Log<String>);

impl CallInterceptor for LogResponses {
    async fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _: &MethodName,
    ) -> Result<Response<N::RespPayload>, Status> {
        let mut response = method.call(request, context).await?;
        let log = Arc::clone(&self.0);
        if let Some(stream) = response.stream_mut::<DummyResponse>() {
            stream.for_each_mut(move |r| {
                log.lock()
                    .map_err(|_| Status::internal("log poisoned"))?
                    .push(r.output.clone());
                Ok(())
            });
        }
        Ok(response)
    }
}

/// One entry of [`LogOmni`]'s log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Logged {
    /// A unary response's output.
    One(String),
    /// A whole response stream's outputs, logged after the stream ended.
    Stream(Vec<String>),
}

/// The reference's `ServerOmniLoggingInterceptor`: a unary output at once; a stream's outputs
/// as one entry once the stream has ended.
pub struct LogOmni(pub Log<Logged>);

impl CallInterceptor for LogOmni {
    async fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _: &MethodName,
    ) -> Result<Response<N::RespPayload>, Status> {
        let mut response = method.call(request, context).await?;
        let log = Arc::clone(&self.0);
        if let Some(message) = response.message::<DummyResponse>() {
            log.lock()
                .map_err(|_| Status::internal("log poisoned"))?
                .push(Logged::One(message.output.clone()));
        } else if let Some(stream) = response.stream_mut::<DummyResponse>() {
            let seen: Log<String> = self::log();
            let collect = Arc::clone(&seen);
            stream.for_each_mut(move |r| {
                collect
                    .lock()
                    .map_err(|_| Status::internal("log poisoned"))?
                    .push(r.output.clone());
                Ok(())
            });
            stream.on_end(move |_| {
                if let Ok(mut log) = log.lock() {
                    log.push(Logged::Stream(entries(&seen)));
                }
            });
        }
        Ok(response)
    }
}

/// The reference's `ClientStreamingLoggingInterceptor`: logs each streamed input.
pub struct LogRequests(pub Log<String>);

impl CallInterceptor for LogRequests {
    fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        mut request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        let log = Arc::clone(&self.0);
        let logged = request.for_each_message(move |r: &mut DummyRequest| {
            log.lock()
                .map_err(|_| Status::internal("log poisoned"))?
                .push(r.input.clone());
            Ok(())
        });
        async move {
            logged?;
            method.call(request, context).await
        }
    }
}

/// On the client: for each response, whether the metadata `key` came with the headers and
/// whether it came with the trailers.
#[derive(Clone)]
pub struct TrailerProbe {
    key: &'static str,
    seen: Log<(bool, bool)>,
}

impl TrailerProbe {
    /// A probe for `key`.
    pub fn new(key: &'static str) -> Self {
        Self { key, seen: log() }
    }

    /// `(in the headers, in the trailers)` for each response so far.
    pub fn seen(&self) -> Vec<(bool, bool)> {
        entries(&self.seen)
    }
}

impl CallInterceptor for TrailerProbe {
    async fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _: &MethodName,
    ) -> Result<Response<N::RespPayload>, Status> {
        let mut response = method.call(request, context).await?;
        let in_headers = response.metadata().get(self.key).is_some();
        let (key, seen) = (self.key, Arc::clone(&self.seen));
        response.on_end(move |end| {
            let in_trailers = end.trailers_mut().get(key).is_some();
            if let Ok(mut seen) = seen.lock() {
                seen.push((in_headers, in_trailers));
            }
        });
        Ok(response)
    }
}

/// A request with this input.
pub fn req(input: &str) -> DummyRequest {
    DummyRequest {
        input: input.to_owned(),
    }
}

/// A stream of requests with these inputs, for the streaming-request methods.
pub fn requests(
    inputs: &[&str],
) -> impl tokio_stream::Stream<Item = DummyRequest> + Send + 'static {
    tokio_stream::iter(inputs.iter().map(|i| req(i)).collect::<Vec<_>>())
}

/// All outputs of a response stream, and the code and message of the error status that
/// ended it, if any.
pub async fn collect(mut stream: tonic::Streaming<DummyResponse>) -> Streamed {
    let mut outputs = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(r) => outputs.push(r.output),
            Err(status) => return (outputs, Some((status.code(), status.message().to_owned()))),
        }
    }
    (outputs, None)
}

/// What a call ended with: its output, or the code and message of its error status.
pub type Outcome<T> = Result<T, (Code, String)>;

/// What a response stream gave: its outputs, and the code and message of the error status
/// that ended it, if any.
pub type Streamed = (Vec<String>, Option<(Code, String)>);

fn outcome<T>(result: Result<T, Status>) -> Outcome<T> {
    result.map_err(|status| (status.code(), status.message().to_owned()))
}

type StdError = Box<dyn std::error::Error + Send + Sync>;

/// A tonic-generated Dummy client over any transport (a channel, with or without
/// interceptors).
pub type Client<T> = grpc_interceptor::testing::proto::dummy_service_client::DummyServiceClient<T>;

/// The transports a [`Client`] can run over.
pub trait Transport:
    tonic::client::GrpcService<
        tonic::body::Body,
        Error: Into<StdError>,
        ResponseBody: tonic::codegen::Body<
            Data = tonic::codegen::Bytes,
            Error: Into<StdError> + Send,
        > + Send
                          + 'static,
    >
{
}

impl<T> Transport for T
where
    T: tonic::client::GrpcService<tonic::body::Body>,
    T::Error: Into<StdError>,
    T::ResponseBody: tonic::codegen::Body<Data = tonic::codegen::Bytes> + Send + 'static,
    <T::ResponseBody as tonic::codegen::Body>::Error: Into<StdError> + Send,
{
}

/// `Execute(input)`: the output, or the status.
pub async fn unary<T: Transport>(client: &mut Client<T>, input: &str) -> Outcome<String> {
    outcome(
        client
            .execute(req(input))
            .await
            .map(|r| r.into_inner().output),
    )
}

/// `ExecuteClientStream(inputs)`: the output, or the status.
pub async fn client_stream<T: Transport>(
    client: &mut Client<T>,
    inputs: &[&str],
) -> Outcome<String> {
    outcome(
        client
            .execute_client_stream(requests(inputs))
            .await
            .map(|r| r.into_inner().output),
    )
}

/// `ExecuteServerStream(input)`: the outputs and the error status that ended the stream,
/// or the status the call failed with before any message.
pub async fn server_stream<T: Transport>(client: &mut Client<T>, input: &str) -> Outcome<Streamed> {
    match outcome(client.execute_server_stream(req(input)).await) {
        Ok(response) => Ok(collect(response.into_inner()).await),
        Err(status) => Err(status),
    }
}

/// `ExecuteClientServerStream(inputs)`: like [`server_stream`].
pub async fn bidi<T: Transport>(client: &mut Client<T>, inputs: &[&str]) -> Outcome<Streamed> {
    match outcome(client.execute_client_server_stream(requests(inputs)).await) {
        Ok(response) => Ok(collect(response.into_inner()).await),
        Err(status) => Err(status),
    }
}

/// The outputs of a stream that ended OK.
pub fn ok_stream(outputs: &[&str]) -> Outcome<Streamed> {
    Ok((outputs.iter().map(|s| s.to_string()).collect(), None))
}
