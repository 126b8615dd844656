//! A response stream on its way to tonic: the stream type an `#[intercepted]` service
//! hands to tonic in place of the one its handler returns.

use std::fmt;
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use tokio_stream::Stream;
use tonic::Status;

use crate::errors::exception_to_status::panic_status;
use crate::{AnyMessage, MessageStream};

/// A stream of `Result<Message, Status>`: what tonic's server-streaming associated types are.
pub trait ResultStream: Stream<Item = Result<Self::Message, Status>> {
    /// The message type.
    type Message: AnyMessage + Clone;
}

impl<S, M> ResultStream for S
where
    S: Stream<Item = Result<M, Status>>,
    M: AnyMessage + Clone,
{
    type Message = M;
}

/// The response stream an `#[intercepted]` service hands to tonic in place of the stream
/// type `S` its handler returns: the handler's stream as the interceptors left it.
pub struct InterceptedStream<S: ResultStream> {
    inner: MessageStream<S::Message>,
    done: bool,
    _handler_stream: PhantomData<fn() -> S>,
}

impl<S: ResultStream> InterceptedStream<S> {
    pub(crate) fn new(inner: MessageStream<S::Message>) -> Self {
        Self {
            inner,
            done: false,
            _handler_stream: PhantomData,
        }
    }
}

impl<S: ResultStream> Stream for InterceptedStream<S> {
    type Item = Result<S::Message, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        // An OK status at the end carries trailers: tonic sends an error item's status, with
        // its metadata, as the trailers of a server stream.
        if self.done {
            return Poll::Ready(None);
        }
        let inner = &mut self.inner;
        match panic::catch_unwind(AssertUnwindSafe(|| Pin::new(inner).poll_next(cx))) {
            Ok(poll) => poll,
            // A panic nothing answered for ends the stream with UNKNOWN, after the messages
            // already sent, rather than with a reset stream.
            Err(payload) => {
                self.done = true;
                Poll::Ready(Some(Err(panic_status(&*payload))))
            }
        }
    }
}

impl<S: ResultStream> fmt::Debug for InterceptedStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("InterceptedStream")
            .field(&self.inner)
            .finish()
    }
}
