//! [`Payload`]: what a request or response carries, a message or a [`MessageStream`] of them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{AnyMessage, MessageStream, StreamEnd};

mod sealed {
    pub trait Sealed {}
    impl<M: prost::Message> Sealed for M {}
    impl<M> Sealed for crate::MessageStream<M> {}
}

/// The payload of a `tonic::Request` or `tonic::Response` in an interceptor: a gRPC message
/// (unary) or a [`MessageStream`] of them. Not an HTTP body: tonic's `Body` is the encoded
/// bytes, a payload is the messages. Implemented by the runtime for every prost message and
/// every `MessageStream`; interceptors use it through [`PayloadExt`](crate::PayloadExt).
pub trait Payload: sealed::Sealed + Send + 'static {
    /// Whether this is a stream of messages.
    const IS_STREAM: bool;

    /// A second payload with the same messages, for calling the rest of the chain again
    /// (a client retrying). A stream keeps the messages it has passed on for the replica
    /// and reads on from the source when a replica gets ahead, so replicas are meant to be
    /// consumed one after another, not at the same time.
    fn replica(&mut self) -> Self;

    /// Runs `f` once the payload has ended: at once for a message, after the last message
    /// for a stream (see [`MessageStream::on_end`]).
    fn on_end(&mut self, f: impl FnOnce(&mut StreamEnd) + Send + 'static);

    /// Counts the messages that pass into `counter`: one now for a message, each as it
    /// passes for a stream.
    #[doc(hidden)]
    fn count_messages(&mut self, counter: Arc<AtomicU64>);

    /// Runs `f` on every message: at once for a message, each as it passes for a stream.
    #[doc(hidden)]
    fn observe(&mut self, f: impl FnMut(&dyn AnyMessage) + Send + 'static);

    /// A client's `ExceptionToStatus` answers for the panics of this stream (the quiet
    /// panic hook's marks); nothing for a message.
    #[doc(hidden)]
    fn answer_panics(&mut self) {}
}

impl<M: prost::Message + std::fmt::Debug + Clone + 'static> Payload for M {
    const IS_STREAM: bool = false;

    fn replica(&mut self) -> Self {
        self.clone()
    }

    fn on_end(&mut self, f: impl FnOnce(&mut StreamEnd) + Send + 'static) {
        f(&mut StreamEnd::default());
    }

    fn count_messages(&mut self, counter: Arc<AtomicU64>) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn observe(&mut self, mut f: impl FnMut(&dyn AnyMessage) + Send + 'static) {
        f(self);
    }
}

impl<M: AnyMessage + Clone> Payload for MessageStream<M> {
    const IS_STREAM: bool = true;

    fn replica(&mut self) -> Self {
        self.replica()
    }

    fn on_end(&mut self, f: impl FnOnce(&mut StreamEnd) + Send + 'static) {
        MessageStream::on_end(self, f);
    }

    fn count_messages(&mut self, counter: Arc<AtomicU64>) {
        self.for_each_mut(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
            Ok(())
        });
    }

    fn observe(&mut self, mut f: impl FnMut(&dyn AnyMessage) + Send + 'static) {
        self.for_each_mut(move |message| {
            f(message);
            Ok(())
        });
    }

    fn answer_panics(&mut self) {
        MessageStream::answer_panics(self);
    }
}
