//! How an `#[intercepted]` method's streaming modes follow from its types, not from how
//! they are spelled: the expansion asks a [`Probe`] of each side's body type for its mode
//! marker, and method resolution answers where the types are concrete.
//!
//! ```text
//! (&Probe::<<Request as HandlerRequest>::Body>::new()).__grpc_interceptor_request_mode()
//!     inherent, on Probe<tonic::Streaming<M>>      -> RequestStream
//!     ProbeRequestMessage, on Probe<M: Message>    -> Message
//!     ProbeRequestOther, on &Probe<T>              -> Unsupported<T>
//! (&&Probe::<<Output as HandlerOutput>::Body>::new()).__grpc_interceptor_response_mode()
//!     ProbeResponseMessage, on &Probe<M: Message>  -> Message
//!     ProbeResponseStream, on &&Probe<S: stream>   -> ResponseStream
//!     ProbeResponseOther, on Probe<T>              -> Unsupported<T>
//! ```
//!
//! Inherent methods win over trait methods, and an earlier autoref step over a later
//! one; a trait method whose impl bounds do not hold is passed over. The last candidate
//! of each list is always there: its [`Unsupported`] mode lets the rest of the method
//! type-check without further errors, and the expansion checks the mode's [`ModeSubject`]
//! with [`InterceptableRequest`] or [`InterceptableResponse`]: `()` for a mode that serves
//! the body, the body itself for `Unsupported`, whose error then names the user's type,
//! once, spanned on it, and no item of the runtime's internals:
//!
//! ```text
//! InterceptableRequest::__grpc_interceptor_check(ModeSubject::__grpc_interceptor_subject(&mode))
//! ```

use std::marker::PhantomData;

use tonic::Status;

use crate::context::Outcome;
use crate::server::mode::{Inward, Kind, Message, RequestStream, ResponseStream};
use crate::server::response_stream::{InterceptedStream, ResultStream};
#[cfg(doc)]
use crate::server::{InterceptableRequest, InterceptableResponse};

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

/// Neither: [`Unsupported`], which the check of its [`ModeSubject`] reports.
pub trait ProbeRequestOther<T> {
    /// [`Unsupported`]: no mode.
    fn __grpc_interceptor_request_mode(&self) -> Unsupported<T>;
}

impl<T> ProbeRequestOther<T> for &Probe<T> {
    fn __grpc_interceptor_request_mode(&self) -> Unsupported<T> {
        Unsupported(PhantomData)
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

/// Neither: [`Unsupported`], which the check of its [`ModeSubject`] reports.
pub trait ProbeResponseOther<T> {
    /// [`Unsupported`]: no mode.
    fn __grpc_interceptor_response_mode(&self) -> Unsupported<T>;
}

impl<T> ProbeResponseOther<T> for Probe<T> {
    fn __grpc_interceptor_response_mode(&self) -> Unsupported<T> {
        Unsupported(PhantomData)
    }
}

/// What the expansion checks a mode with: `()`, which passes, for every mode that serves
/// the body; the body itself for [`Unsupported`], which fails with the message of
/// [`InterceptableRequest`] or [`InterceptableResponse`].
pub trait ModeSubject {
    /// `()`, or the body that cannot be served.
    type Subject;

    /// Stands for the subject.
    fn __grpc_interceptor_subject(&self) -> PhantomData<Self::Subject> {
        PhantomData
    }
}

impl ModeSubject for Message {
    type Subject = ();
}

impl ModeSubject for RequestStream {
    type Subject = ();
}

impl ModeSubject for ResponseStream {
    type Subject = ();
}

impl<T> ModeSubject for Unsupported<T> {
    type Subject = T;
}

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

/// The mode of a body `B` that `#[intercepted]` cannot serve. It is only chosen next to a
/// compile error (the check of its [`ModeSubject`], `B`), so that the error is the only
/// one: code using it never builds, and its conversions are never called.
pub struct Unsupported<B>(PhantomData<fn() -> B>);

impl<B> Clone for Unsupported<B> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<B> Copy for Unsupported<B> {}

impl<B> std::fmt::Debug for Unsupported<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Unsupported")
    }
}

impl<B, T> Inward<T> for Unsupported<B> {
    fn inward(_: T) -> Self::Payload {}
}

impl<B, T> Kind<T> for Unsupported<B> {
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
