//! How an `#[intercepted]` method's streaming modes follow from its types, not from how
//! they are spelled: the expansion asks a [`Probe`] of each side's body type for its mode
//! marker, and method resolution answers where the types are concrete.
//!
//! ```text
//! (&Probe::<<Request as HandlerRequest>::Body>::new()).__grpc_interceptor_request_mode()
//!     inherent, on Probe<tonic::Streaming<M>>      -> RequestStream
//!     ProbeRequestMessage, on Probe<M: Message>    -> Message
//!     ProbeRequestOther, on &Probe<T>              -> error: `T` is no request body
//! (&&Probe::<<Output as HandlerOutput>::Body>::new()).__grpc_interceptor_response_mode()
//!     ProbeResponseMessage, on &Probe<M: Message>  -> Message
//!     ProbeResponseStream, on &&Probe<S: stream>   -> ResponseStream
//!     ProbeResponseOther, on Probe<T>              -> error: `T` is no response body
//! ```
//!
//! Inherent methods win over trait methods, and an earlier autoref step over a later
//! one; a trait method whose impl bounds do not hold is passed over. The last candidate
//! of each list is always there: its own `where` clause fails with the message of
//! [`InterceptableRequest`] or [`InterceptableResponse`], once, spanned on the user's
//! type, and its [`Unsupported`] mode lets the rest of the method type-check without
//! further errors.

use std::marker::PhantomData;

use tonic::Status;

use crate::context::Outcome;
use crate::server::mode::{Inward, Kind, Message, RequestStream, ResponseStream};
use crate::server::response_stream::{InterceptedStream, ResultStream};

/// Stands for the body type `T` of one side of a method, to choose its mode.
pub struct Probe<T>(PhantomData<fn() -> T>);

impl<T> Probe<T> {
    /// The probe of `T`.
    pub const fn new() -> Self {
        Probe(PhantomData)
    }
}

impl<T> Default for Probe<T> {
    fn default() -> Self {
        Self::new()
    }
}

// The bounds are those of the mode's conversions: a type that misses one gets the error of
// the last candidate, not one about the runtime's internals.
impl<M: prost::Message + std::fmt::Debug + Default + Clone + 'static> Probe<tonic::Streaming<M>> {
    /// A client stream.
    pub fn __grpc_interceptor_request_mode(&self) -> RequestStream {
        RequestStream
    }
}

/// A single request message.
pub trait ProbeRequestMessage {
    /// `Message`: a single message.
    fn __grpc_interceptor_request_mode(&self) -> Message;
}

impl<M: prost::Message + std::fmt::Debug + Clone + 'static> ProbeRequestMessage for Probe<M> {
    fn __grpc_interceptor_request_mode(&self) -> Message {
        Message
    }
}

/// Neither: reports [`InterceptableRequest`]'s message.
pub trait ProbeRequestOther<T> {
    /// [`Unsupported`], after the error.
    fn __grpc_interceptor_request_mode(&self) -> Unsupported
    where
        T: InterceptableRequest;
}

impl<T> ProbeRequestOther<T> for &Probe<T> {
    fn __grpc_interceptor_request_mode(&self) -> Unsupported
    where
        T: InterceptableRequest,
    {
        Unsupported
    }
}

/// A single response message.
pub trait ProbeResponseMessage {
    /// `Message`: a single message.
    fn __grpc_interceptor_response_mode(&self) -> Message;
}

impl<M: prost::Message + std::fmt::Debug + Clone + 'static> ProbeResponseMessage for &Probe<M> {
    fn __grpc_interceptor_response_mode(&self) -> Message {
        Message
    }
}

/// A server stream.
pub trait ProbeResponseStream {
    /// `ResponseStream`: a server stream.
    fn __grpc_interceptor_response_mode(&self) -> ResponseStream;
}

impl<S: ResultStream + Send + 'static> ProbeResponseStream for &&Probe<S> {
    fn __grpc_interceptor_response_mode(&self) -> ResponseStream {
        ResponseStream
    }
}

/// Neither: reports [`InterceptableResponse`]'s message.
pub trait ProbeResponseOther<T> {
    /// [`Unsupported`], after the error.
    fn __grpc_interceptor_response_mode(&self) -> Unsupported
    where
        T: InterceptableResponse;
}

impl<T> ProbeResponseOther<T> for Probe<T> {
    fn __grpc_interceptor_response_mode(&self) -> Unsupported
    where
        T: InterceptableResponse,
    {
        Unsupported
    }
}

/// What a request of an `#[intercepted]` method can carry. Only the error path of the
/// probe names it: the bodies that are served never get there.
#[diagnostic::on_unimplemented(
    message = "`#[intercepted]` cannot serve a request of `{Self}`",
    label = "expected `tonic::Request<M>` or `tonic::Request<tonic::Streaming<M>>`, with `M` a prost message",
    note = "interceptors see the messages as prost messages: a service with another codec cannot be `#[intercepted]`"
)]
pub trait InterceptableRequest {}

#[diagnostic::do_not_recommend]
impl<M: prost::Message + std::fmt::Debug> InterceptableRequest for M {}

/// What a response of an `#[intercepted]` method can carry; see [`InterceptableRequest`].
#[diagnostic::on_unimplemented(
    message = "`#[intercepted]` cannot serve a response of `{Self}`",
    label = "expected `tonic::Response<M>`, with `M` a prost message, or `tonic::Response<Self::XStream>`",
    note = "interceptors see the messages as prost messages: a service with another codec cannot be `#[intercepted]`"
)]
pub trait InterceptableResponse {}

#[diagnostic::do_not_recommend]
impl<M: prost::Message + std::fmt::Debug> InterceptableResponse for M {}

/// What a tonic service method takes: `tonic::Request<Body>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not what a tonic service method takes",
    label = "expected `tonic::Request<_>`"
)]
pub trait HandlerRequest {
    /// The request body.
    type Body;
}

impl<T> HandlerRequest for tonic::Request<T> {
    type Body = T;
}

/// What a tonic service method returns: `Result<tonic::Response<Body>, Status>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not what a tonic service method returns",
    label = "expected `Result<tonic::Response<_>, tonic::Status>`"
)]
pub trait HandlerOutput {
    /// The response body.
    type Body;
}

impl<T> HandlerOutput for Result<tonic::Response<T>, Status> {
    type Body = T;
}

/// `<Self::SomeStream as HandlerStream>::Stream` is the stream type the user wrote for an
/// associated type that the expansion made an [`InterceptedStream`] of.
pub trait HandlerStream {
    /// The handler's stream.
    type Stream;
}

impl<S: ResultStream> HandlerStream for InterceptedStream<S> {
    type Stream = S;
}

/// The mode of a body that `#[intercepted]` cannot serve. It is only chosen next to a
/// compile error, so that the error is the only one: code using it never builds, and
/// its conversions are never called.
#[derive(Clone, Copy, Debug)]
pub struct Unsupported;

impl<T> Inward<T> for Unsupported {
    fn inward(_: T) -> Self::Payload {}
}

impl<T> Kind<T> for Unsupported {
    type Payload = ();
    type Out = T;

    fn outward((): ()) -> T {
        unreachable!("a method with an unsupported body type does not compile")
    }

    fn finish(
        response: crate::Response<()>,
        _: Outcome,
        _: bool,
    ) -> Result<crate::Response<()>, Status> {
        Ok(response)
    }
}
