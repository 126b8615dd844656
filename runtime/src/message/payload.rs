//! [`Body`]: what a request or response carries, a message or a [`Streaming`] of them.

use crate::{StreamEnd, Streaming};

mod sealed {
    pub trait Sealed {}
    impl<M: prost::Message> Sealed for M {}
    impl<M> Sealed for crate::Streaming<M> {}
}

/// The body of a [`Request`](crate::Request) or [`Response`](crate::Response): a gRPC
/// message (unary) or a [`Streaming`] of them. Implemented by the runtime for every prost
/// message and every `Streaming`; interceptors use it through the methods of `Request` and
/// `Response`.
pub trait Body: sealed::Sealed + Send + 'static {
    /// Whether this is a stream of messages.
    const IS_STREAM: bool;

    /// A second body with the same messages, for calling the rest of the chain again
    /// (a client retrying). A stream keeps the messages it has passed on for the replica
    /// and reads on from the source when a replica gets ahead, so replicas are meant to be
    /// consumed one after another, not at the same time.
    fn replica(&mut self) -> Self;

    /// Runs `f` once the body has ended: at once for a message, after the last message
    /// for a stream (see [`Streaming::on_end`]).
    fn on_end(&mut self, f: impl FnOnce(&mut StreamEnd) + Send + 'static);
}

impl<M: prost::Message + Clone + 'static> Body for M {
    const IS_STREAM: bool = false;

    fn replica(&mut self) -> Self {
        self.clone()
    }

    fn on_end(&mut self, f: impl FnOnce(&mut StreamEnd) + Send + 'static) {
        f(&mut StreamEnd::default());
    }
}

impl<M: Clone + Send + 'static> Body for Streaming<M> {
    const IS_STREAM: bool = true;

    fn replica(&mut self) -> Self {
        self.replica()
    }

    fn on_end(&mut self, f: impl FnOnce(&mut StreamEnd) + Send + 'static) {
        Streaming::on_end(self, f);
    }
}
