//! Interceptors on a tonic client: a tower [`Layer`](tower_layer::Layer) and
//! [`Service`](tower_service::Service) around a `Channel` (or any `GrpcService`) that every
//! tonic-generated client accepts.
//!
#![cfg_attr(feature = "testing", doc = "```no_run")]
#![cfg_attr(not(feature = "testing"), doc = "```ignore")]
//! # use grpc_interceptor::testing::proto::dummy_service_client::DummyServiceClient;
//! # use grpc_interceptor::{interceptor, Context, MethodName, Next, Reply, Request};
//! #[interceptor]
//! fn add_token(method: Next<'_>, mut request: Request, context: &mut Context, _: &MethodName) -> Reply {
//!     request.metadata_mut().insert("authorization", "Bearer secret".parse().unwrap());
//!     method.call(request, context)
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let channel = tonic::transport::Channel::from_static("http://127.0.0.1:50051").connect().await?;
//! let mut client = DummyServiceClient::new(grpc_interceptor::client::intercept(channel, (add_token,)));
//! client.execute(grpc_interceptor::testing::DummyRequest { input: "hi".into() }).await?;
//! # Ok(())
//! # }
//! # let _ = run;
//! ```
//!
//! On a channel, tonic does not say whether a call is unary or streaming, so every request
//! and response body is a [`MessageStream`] of [`WireMessage`]s, decoded only when an
//! interceptor asks for a message's type:
//! [`PayloadExt::for_each_message`](crate::PayloadExt::for_each_message) and
//! [`PayloadExt::inspect_messages`](crate::PayloadExt::inspect_messages) work on requests
//! and responses alike.
//!
//! # On the wire
//!
//! A body whose messages no interceptor reads, wraps or hooks goes on as it came. Otherwise
//! it is split into messages and framed again by tonic's own codec, so the app sees what a
//! plain tonic client would:
//!
//! - A response that ends without a `grpc-status` (a body cut short, a reset with
//!   `NO_ERROR`, trailers without it) ends with the status tonic infers (UNKNOWN for an
//!   HTTP 200), and one that ends in the middle of a message with INTERNAL.
//! - A response message longer than [`Intercepted::max_decoding_message_size`] (4 MiB by
//!   default) ends the call with tonic's status for it before it is buffered. A request
//!   message longer than [`Intercepted::max_encoding_message_size`] (no limit by default)
//!   ends it too.
//! - Compressed messages (`grpc-encoding`, with the crate's `gzip`, `zstd` or `deflate`
//!   feature) are decompressed for the interceptors and compressed again with the
//!   encoding the call's headers name; an encoding the build cannot decompress ends the
//!   call with UNIMPLEMENTED when an interceptor reads its messages. A body that goes on as
//!   it came keeps its `grpc-encoding`, whatever an interceptor did to the metadata.
//! - An error in the request stream while it is being sent (a hook's error, a message over
//!   the limit) resets the HTTP/2 stream with CANCEL, and the caller sees that status.
//! - A transport error (the channel could not send the call) reaches the app as the
//!   channel's error, as tonic reports it.
//! - `te: trailers` and `content-type: application/grpc` go with every request, even when
//!   an interceptor replaced the whole metadata map.

pub(crate) mod wire;

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context as TaskContext, Poll};

use bytes::Bytes;
use tonic::client::GrpcService;
use tonic::codegen::http;
use tonic::metadata::{GRPC_CONTENT_TYPE, MetadataMap};
use tonic::{GrpcMethod, Status};

use crate::client::wire::{Abort, RawBody, encode_request, encode_response, received, split};
use crate::context::CallState;
use crate::interceptor::link;
use crate::{
    CallInterceptor, Context, MessageStream, MethodName, Next, Payload, Request, Response, Side,
    WireMessage,
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Puts `interceptors` (a tuple, the first outermost) in front of `service`, usually a
/// `tonic::transport::Channel`. Build the tonic-generated client on the result.
pub fn intercept<S, I>(service: S, interceptors: I) -> Intercepted<S, I> {
    Intercepted {
        inner: service,
        interceptors: Arc::new(interceptors),
        limits: Limits::default(),
    }
}

/// The message size limits of the wire path; `None` is tonic's default.
#[derive(Clone, Copy, Debug, Default)]
struct Limits {
    decoding: Option<usize>,
    encoding: Option<usize>,
}

/// A tower layer that puts interceptors in front of a service: [`intercept`] as a layer.
#[derive(Debug)]
pub struct InterceptorLayer<I> {
    interceptors: Arc<I>,
    limits: Limits,
}

impl<I> InterceptorLayer<I> {
    /// A layer running `interceptors` (a tuple, the first outermost).
    pub fn new(interceptors: I) -> Self {
        Self {
            interceptors: Arc::new(interceptors),
            limits: Limits::default(),
        }
    }

    /// Limits the size of a response message that the interceptors read; see
    /// [`Intercepted::max_decoding_message_size`].
    #[must_use]
    pub fn max_decoding_message_size(mut self, limit: usize) -> Self {
        self.limits.decoding = Some(limit);
        self
    }

    /// Limits the size of a request message sent after the interceptors read it; see
    /// [`Intercepted::max_encoding_message_size`].
    #[must_use]
    pub fn max_encoding_message_size(mut self, limit: usize) -> Self {
        self.limits.encoding = Some(limit);
        self
    }
}

impl<I> Clone for InterceptorLayer<I> {
    fn clone(&self) -> Self {
        Self {
            interceptors: Arc::clone(&self.interceptors),
            limits: self.limits,
        }
    }
}

impl<S, I> tower_layer::Layer<S> for InterceptorLayer<I> {
    type Service = Intercepted<S, I>;

    fn layer(&self, inner: S) -> Intercepted<S, I> {
        Intercepted {
            inner,
            interceptors: Arc::clone(&self.interceptors),
            limits: self.limits,
        }
    }
}

/// A service (usually a `Channel`) with interceptors in front of it.
///
/// A call that ends with an error status before its response goes to the app as a
/// trailers-only response, as a server's would, unless the status stands for an error
/// (it has a [`source`](std::error::Error::source): the channel's error, usually). Then the
/// service fails with that `Status`, boxed, and tonic's generated client gives the app that
/// very status, as it would have without the interceptors.
#[derive(Debug)]
pub struct Intercepted<S, I> {
    inner: S,
    interceptors: Arc<I>,
    limits: Limits,
}

impl<S: Clone, I> Clone for Intercepted<S, I> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            interceptors: Arc::clone(&self.interceptors),
            limits: self.limits,
        }
    }
}

impl<S, I> Intercepted<S, I> {
    /// The service behind the interceptors.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Limits the size of a response message that the interceptors read: tonic's
    /// `max_decoding_message_size`, 4 MiB by default. A longer message ends the call with
    /// tonic's status for it (OUT_OF_RANGE in tonic 0.14) as soon as its length prefix
    /// arrives, before any of it is buffered; so does a compressed message that would
    /// decompress to more (RESOURCE_EXHAUSTED).
    ///
    /// A response whose messages no interceptor reads goes on to the generated client
    /// untouched, and the client's own `max_decoding_message_size` applies to it: give
    /// both the same limit.
    ///
    /// ```
    /// # #[cfg(feature = "testing")] {
    /// use grpc_interceptor::client::intercept;
    /// use grpc_interceptor::testing::proto::dummy_service_client::DummyServiceClient;
    ///
    /// # async fn run(channel: tonic::transport::Channel) {
    /// const LIMIT: usize = 16 * 1024 * 1024;
    /// let channel = intercept(channel, ()).max_decoding_message_size(LIMIT);
    /// let client = DummyServiceClient::new(channel).max_decoding_message_size(LIMIT);
    /// # let _ = client;
    /// # }
    /// # let _ = run;
    /// # }
    /// ```
    #[must_use]
    pub fn max_decoding_message_size(mut self, limit: usize) -> Self {
        self.limits.decoding = Some(limit);
        self
    }

    /// Limits the size of a request message that is sent after the interceptors read it:
    /// tonic's `max_encoding_message_size`, no limit by default. A longer message ends the
    /// call with tonic's status for it (OUT_OF_RANGE in tonic 0.14), and the request is
    /// reset.
    ///
    /// A request whose messages no interceptor reads goes on as the generated client
    /// encoded it, within the client's own `max_encoding_message_size`.
    #[must_use]
    pub fn max_encoding_message_size(mut self, limit: usize) -> Self {
        self.limits.encoding = Some(limit);
        self
    }
}

impl<S, I> tower_service::Service<http::Request<tonic::body::Body>> for Intercepted<S, I>
where
    S: GrpcService<tonic::body::Body> + Clone + Send + Sync + 'static,
    S::Future: Send,
    S::ResponseBody: http_body::Body<Data = Bytes> + Send + 'static,
    <S::ResponseBody as http_body::Body>::Error: Into<BoxError>,
    I: CallInterceptor + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        // The instance that was polled ready serves this call; the clone serves the next.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let interceptors = Arc::clone(&self.interceptors);
        let limits = self.limits;
        Box::pin(async move { call(&*interceptors, inner, limits, request).await })
    }
}

/// What the terminal needs to rebuild the HTTP request for each attempt.
#[derive(Clone)]
struct Target {
    method: http::Method,
    uri: http::Uri,
    version: http::Version,
}

async fn call<S, I>(
    interceptors: &I,
    inner: S,
    limits: Limits,
    request: http::Request<tonic::body::Body>,
) -> Result<http::Response<tonic::body::Body>, BoxError>
where
    S: GrpcService<tonic::body::Body> + Clone + Send + Sync + 'static,
    S::Future: Send,
    S::ResponseBody: http_body::Body<Data = Bytes> + Send + 'static,
    <S::ResponseBody as http_body::Body>::Error: Into<BoxError>,
    I: CallInterceptor,
{
    let (parts, body) = request.into_parts();
    let method_name = match method_name(&parts) {
        Ok(name) => name,
        Err(status) => return Ok(status.into_http()),
    };
    let target = Target {
        method: parts.method,
        uri: parts.uri,
        version: parts.version,
    };
    let body = RawBody::request(body, &parts.headers);
    let request = Request::from_parts(
        MetadataMap::from_headers(parts.headers),
        parts.extensions,
        MessageStream::from_raw(body, split),
    );
    let state = CallState::default();
    let mut context = Context::new(Side::Client, &state);
    let state = &state;
    let terminal = link(move |mut request: Request<MessageStream<WireMessage>>| {
        if state.is_tracked() {
            crate::lifecycle::track_request(state, &mut request);
        }
        send(inner, target, limits, request)
    });
    let result = interceptors
        .intercept(Next::new(terminal), request, &mut context, &method_name)
        .await;
    let mut end = None;
    let result = match (state.take(), result) {
        (None, result) => result,
        (Some(mut outcome), result) => {
            let tracker = outcome.tracker.take().map(|mut tracker| {
                tracker.set_extensions(std::mem::take(&mut outcome.extensions));
                tracker
            });
            match result {
                Err(status) => {
                    let status = outcome.apply_to_status(status);
                    if let Some(tracker) = tracker {
                        tracker.fire(status.clone(), false);
                    }
                    Err(status)
                }
                Ok(mut response) => {
                    if let Some(tracker) = tracker {
                        response
                            .get_mut()
                            .count_messages(tracker.response_counter());
                        end = Some(tracker);
                    }
                    outcome.finish_stream(&mut response);
                    Ok(response)
                }
            }
        }
    };
    match result {
        // The call ends when the application has read the body to its end, or dropped it.
        Ok(response) => Ok(match end {
            None => respond(response),
            Some(end) => respond(response)
                .map(|body| tonic::body::Body::new(crate::lifecycle::EndBody::new(body, end))),
        }),
        // A status that stands for an error (the channel's, usually) goes to the generated
        // client as the service's error: it reports that very status, as it would have
        // without the interceptors.
        Err(status) if std::error::Error::source(&status).is_some() => Err(Box::new(status)),
        // A status the server or an interceptor answered with goes as a trailers-only
        // response.
        Err(status) => Ok(status.into_http()),
    }
}

/// The HTTP response for the app: the response body as it came if nothing touched its
/// messages (with its HTTP status and `grpc-encoding`), else its messages framed again.
fn respond(response: Response<MessageStream<WireMessage>>) -> http::Response<tonic::body::Body> {
    let (metadata, mut stream, extensions) = response.into_parts();
    let mut headers = metadata.into_headers();
    let mut http = match stream.take_raw() {
        Some(raw) => {
            raw.restore_encoding(&mut headers);
            let mut http = http::Response::new(raw.body);
            *http.status_mut() = raw.status.unwrap_or_default();
            http
        }
        None => http::Response::new(encode_response(stream, &headers)),
    };
    headers.insert(http::header::CONTENT_TYPE, GRPC_CONTENT_TYPE);
    *http.headers_mut() = headers;
    *http.extensions_mut() = extensions;
    http
}

fn method_name(parts: &http::request::Parts) -> Result<Cow<'static, MethodName>, Status> {
    match parts.extensions.get::<GrpcMethod<'static>>() {
        Some(method) => Ok(Cow::Borrowed(interned(method.service(), method.method()))),
        None => Ok(Cow::Owned(crate::parse_method_name(parts.uri.path())?)),
    }
}

/// The method name of a generated client's call, built once per method: tonic's
/// `GrpcMethod` holds the generated code's `'static` strings, so their addresses are the key.
fn interned(service: &str, method: &str) -> &'static MethodName {
    type Key = (usize, usize, usize, usize);
    static NAMES: Mutex<Option<HashMap<Key, &'static MethodName>>> = Mutex::new(None);
    thread_local! {
        /// A direct-mapped cache in front of `NAMES`, to skip the lock.
        static RECENT: Cell<[Option<(Key, &'static MethodName)>; 16]> = const { Cell::new([None; 16]) };
    }
    let key = (
        service.as_ptr() as usize,
        service.len(),
        method.as_ptr() as usize,
        method.len(),
    );
    let slot = (key.0 ^ key.2.rotate_left(7)) >> 3 & 15;
    let mut recent = RECENT.get();
    if let Some((cached, name)) = recent[slot]
        && cached == key
    {
        return name;
    }
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    let name = *names
        .get_or_insert_with(HashMap::new)
        .entry(key)
        .or_insert_with(|| Box::leak(Box::new(MethodName::from_service(service, method))));
    recent[slot] = Some((key, name));
    RECENT.set(recent);
    name
}

/// Sends one attempt over the inner service and reads the response head.
async fn send<S>(
    mut inner: S,
    target: Target,
    limits: Limits,
    request: Request<MessageStream<WireMessage>>,
) -> Result<Response<MessageStream<WireMessage>>, Status>
where
    S: GrpcService<tonic::body::Body> + Send,
    S::Future: Send,
    S::ResponseBody: http_body::Body<Data = Bytes> + Send + 'static,
    <S::ResponseBody as http_body::Body>::Error: Into<BoxError>,
{
    // What tonic's generated client makes of the channel's errors.
    let transport = |err: S::Error| Status::from_error(err.into());
    std::future::poll_fn(|cx| inner.poll_ready(cx))
        .await
        .map_err(transport)?;
    let (metadata, extensions, mut body) = request.into_parts();
    let mut headers = metadata.into_headers();
    let (body, abort) = match body.take_raw() {
        Some(raw) => {
            raw.restore_encoding(&mut headers);
            (raw.body, None)
        }
        None => {
            let abort = Abort::default();
            let encoded = encode_request(body, &headers, limits.encoding, abort.clone());
            (encoded, Some(abort))
        }
    };
    restore_reserved(&mut headers);
    let mut http = http::Request::new(body);
    *http.method_mut() = target.method;
    *http.uri_mut() = target.uri;
    *http.version_mut() = target.version;
    *http.headers_mut() = headers;
    *http.extensions_mut() = extensions;
    // A failure of the request stream ends the call with its status, whatever the reset
    // it caused did to the response.
    let aborted = |abort: &Option<Abort>| abort.as_ref().and_then(Abort::take);
    let (parts, body) = match inner.call(http).await {
        Ok(response) => response.into_parts(),
        Err(err) => return Err(aborted(&abort).unwrap_or_else(|| transport(err))),
    };
    let body = match Status::from_header_map(&parts.headers) {
        // A trailers-only response: the status came with the headers.
        Some(status) if status.code() != tonic::Code::Ok => {
            return Err(aborted(&abort).unwrap_or(status));
        }
        Some(status) => MessageStream::new(tokio_stream::once(Err(status))),
        None => {
            let body = received(body, abort);
            let raw = RawBody::response(body, parts.status, &parts.headers, limits.decoding);
            MessageStream::from_raw(raw, split)
        }
    };
    Ok(Response::from_parts(
        MetadataMap::from_headers(parts.headers),
        body,
        parts.extensions,
    ))
}

/// Puts back the headers that make a request gRPC, should an interceptor have removed
/// them from the metadata (by replacing the whole map, say): a server may refuse the call
/// without them.
fn restore_reserved(headers: &mut http::HeaderMap) {
    const TRAILERS: http::HeaderValue = http::HeaderValue::from_static("trailers");
    if headers.get(http::header::TE) != Some(&TRAILERS) {
        headers.insert(http::header::TE, TRAILERS);
    }
    let grpc = |value: &http::HeaderValue| value.as_bytes().starts_with(b"application/grpc");
    if !headers.get(http::header::CONTENT_TYPE).is_some_and(grpc) {
        headers.insert(http::header::CONTENT_TYPE, GRPC_CONTENT_TYPE);
    }
}
