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
//! and response body is a [`MessageStream`](crate::MessageStream) of [`WireMessage`](crate::WireMessage)s, decoded only when an
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

mod call;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use bytes::Bytes;
use tonic::client::GrpcService;
use tonic::codegen::http;

use crate::CallInterceptor;
use crate::wire::exchange::Shared;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Puts `interceptors` (a tuple, the first outermost) in front of `service`, usually a
/// `tonic::transport::Channel`. Build the tonic-generated client on the result.
pub fn intercept<S, I>(service: S, interceptors: I) -> Intercepted<S, I> {
    Intercepted {
        inner: service,
        shared: Shared::new(interceptors),
    }
}

/// A tower layer that puts interceptors in front of a service: [`intercept`] as a layer.
#[derive(Debug)]
pub struct InterceptorLayer<I> {
    shared: Shared<I>,
}

impl<I> InterceptorLayer<I> {
    /// A layer running `interceptors` (a tuple, the first outermost).
    pub fn new(interceptors: I) -> Self {
        Self {
            shared: Shared::new(interceptors),
        }
    }

    /// Limits the size of a response message that the interceptors read; see
    /// [`Intercepted::max_decoding_message_size`].
    #[must_use]
    pub fn max_decoding_message_size(mut self, limit: usize) -> Self {
        self.shared.limits.decoding = Some(limit);
        self
    }

    /// Limits the size of a request message sent after the interceptors read it; see
    /// [`Intercepted::max_encoding_message_size`].
    #[must_use]
    pub fn max_encoding_message_size(mut self, limit: usize) -> Self {
        self.shared.limits.encoding = Some(limit);
        self
    }
}

impl<I> Clone for InterceptorLayer<I> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<S, I> tower_layer::Layer<S> for InterceptorLayer<I> {
    type Service = Intercepted<S, I>;

    fn layer(&self, inner: S) -> Intercepted<S, I> {
        Intercepted {
            inner,
            shared: self.shared.clone(),
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
    shared: Shared<I>,
}

impl<S: Clone, I> Clone for Intercepted<S, I> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            shared: self.shared.clone(),
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
        self.shared.limits.decoding = Some(limit);
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
        self.shared.limits.encoding = Some(limit);
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
        let method_name = match call::method_name(&request) {
            Ok(name) => name,
            Err(status) => return Box::pin(std::future::ready(Ok(status.into_http()))),
        };
        let Shared {
            interceptors,
            limits,
        } = self.shared.clone();
        // Allocated first and written into: the future is made in place, not moved into
        // its box.
        let call = Box::write(
            Box::new_uninit(),
            call::call(interceptors, inner, limits, method_name, request),
        );
        Box::into_pin(call)
    }
}
