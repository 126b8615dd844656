//! A response stream on its way to tonic: the stream type an `#[intercepted]` service
//! hands to tonic in place of the one its handler returns.

use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use tokio_stream::Stream;
use tonic::Status;

use crate::MessageStream;

/// A stream of `Result<Message, Status>`: what tonic's server-streaming associated types are.
pub trait ResultStream: Stream<Item = Result<Self::Message, Status>> {
    /// The message type.
    type Message: Clone + Send + 'static;
}

impl<S, M> ResultStream for S
where
    S: Stream<Item = Result<M, Status>>,
    M: Clone + Send + 'static,
{
    type Message = M;
}

/// The response stream an `#[intercepted]` service hands to tonic in place of the stream
/// type `S` its handler returns: the handler's stream as the interceptors left it.
pub struct InterceptedStream<S: ResultStream> {
    inner: MessageStream<S::Message>,
    _handler_stream: PhantomData<fn() -> S>,
}

impl<S: ResultStream> InterceptedStream<S> {
    pub(crate) fn new(inner: MessageStream<S::Message>) -> Self {
        Self {
            inner,
            _handler_stream: PhantomData,
        }
    }
}

impl<S: ResultStream> Stream for InterceptedStream<S> {
    type Item = Result<S::Message, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        // An OK status at the end carries trailers: tonic sends an error item's status, with
        // its metadata, as the trailers of a server stream.
        Pin::new(&mut self.inner).poll_next(cx)
    }
}

impl<S: ResultStream> fmt::Debug for InterceptedStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("InterceptedStream")
            .field(&self.inner)
            .finish()
    }
}
