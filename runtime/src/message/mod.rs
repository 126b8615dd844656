//! Messages as interceptors see them: `tonic::Request<P>` and `tonic::Response<P>` whose
//! payload `P` is a message or a [`MessageStream`] of them, and the extension traits that
//! reach messages by type ([`PayloadExt`], [`RequestExt`]).
//!
//! An interceptor is generic over the call, so it reaches a message through a typed accessor
//! ([`message_mut::<MyRequest>()`](PayloadExt::message_mut)) that returns `None` for other
//! types; after monomorphization the type check costs nothing.

mod any;
pub(crate) mod grpc_timeout;
mod payload;
pub(crate) mod replay;
pub(crate) mod stream;

use std::any::{Any, TypeId};
use std::future::Future;
use std::time::Duration;

use tokio_stream::StreamExt;
use tonic::Status;

pub use any::AnyMessage;
pub use payload::Payload;
pub use stream::{MessageStream, StreamEnd};

use crate::WireMessage;

mod sealed {
    pub trait Sealed {}
    impl<P> Sealed for tonic::Request<P> {}
    impl<P> Sealed for tonic::Response<P> {}
}

/// Typed access to the messages of a `tonic::Request` or `tonic::Response` in an
/// interceptor, in all four streaming modes and on both sides.
///
/// The payload `P` is the message itself for a unary request or response, a
/// [`MessageStream`] of them for a stream, and a `MessageStream` of [`WireMessage`]s on a
/// client's channel (decoded only when asked for a type). Import it with
/// `use grpc_interceptor::prelude::*;`.
///
/// ```
/// use grpc_interceptor::prelude::*;
/// # #[derive(Clone, PartialEq, prost::Message)]
/// # struct Hello { #[prost(string, tag = "1")] name: String }
///
/// let mut request = Request::new(Hello { name: "ferris".into() });
/// request.message_mut::<Hello>().unwrap().name.make_ascii_uppercase();
/// assert_eq!(request.get_ref().name, "FERRIS");
/// assert!(request.message::<String>().is_none());
/// ```
pub trait PayloadExt: sealed::Sealed + Sized {
    /// The payload: a message, or a [`MessageStream`] of them.
    type Payload: Payload;

    #[doc(hidden)]
    fn payload(&self) -> &Self::Payload;
    #[doc(hidden)]
    fn payload_mut(&mut self) -> &mut Self::Payload;
    #[doc(hidden)]
    fn into_payload(self) -> Self::Payload;
    #[doc(hidden)]
    fn with_payload(payload: Self::Payload) -> Self;
    #[doc(hidden)]
    fn same_parts(&self, payload: Self::Payload) -> Self;

    /// Wraps `payload` if it has this payload type; gives it back otherwise.
    ///
    /// This is how an interceptor, which is generic over the call, builds a payload of the
    /// call's type: `Response::try_from_payload(MyReply { .. })` is `Ok` exactly in the calls
    /// whose response is a unary `MyReply`, and
    /// `Response::try_from_payload(MessageStream::new(stream))` in those that stream them.
    fn try_from_payload<T: 'static>(payload: T) -> Result<Self, T> {
        let mut slot = Some(payload);
        match (&mut slot as &mut dyn Any).downcast_mut::<Option<Self::Payload>>() {
            Some(payload) => match payload.take() {
                Some(payload) => Ok(Self::with_payload(payload)),
                None => unreachable!("the slot was just filled"),
            },
            None => match slot {
                Some(payload) => Err(payload),
                None => unreachable!("the slot was just filled"),
            },
        }
    }

    /// The message, if this is a unary payload of type `T`.
    fn message<T: 'static>(&self) -> Option<&T> {
        (self.payload() as &dyn Any).downcast_ref()
    }

    /// The message, to read, change or replace, if this is a unary payload of type `T`.
    fn message_mut<T: 'static>(&mut self) -> Option<&mut T> {
        (self.payload_mut() as &mut dyn Any).downcast_mut()
    }

    /// The stream, if this is a stream of `T`.
    fn stream_mut<T: Send + 'static>(&mut self) -> Option<&mut MessageStream<T>> {
        (self.payload_mut() as &mut dyn Any).downcast_mut()
    }

    /// Runs `f` on every message of type `T`, in all four streaming modes: at once on a
    /// unary message, and on each message of a stream as it passes. An error from `f` ends
    /// a stream with that status; on a unary message it is returned.
    ///
    /// On a client's channel messages are [`WireMessage`]s: they are decoded as `T` and
    /// re-encoded before they go on. The wire does not say a message's type, so call this
    /// there only for methods whose messages are `T` (check the method name).
    ///
    /// Returns `Ok(false)` when the payload holds no messages of type `T`.
    fn for_each_message<T: prost::Message + Default + Clone + 'static>(
        &mut self,
        mut f: impl FnMut(&mut T) -> Result<(), Status> + Send + 'static,
    ) -> Result<bool, Status> {
        if let Some(message) = self.message_mut::<T>() {
            f(message)?;
        } else if let Some(stream) = self.stream_mut::<T>() {
            stream.for_each_mut(f);
        } else if let Some(stream) = self.stream_mut::<WireMessage>() {
            stream.for_each_mut(move |wire| f(wire.get_mut::<T>()?));
        } else {
            return Ok(false);
        }
        Ok(true)
    }

    /// Like [`for_each_message`](Self::for_each_message), to read only: on the wire,
    /// messages are decoded but never re-encoded.
    fn inspect_messages<T: prost::Message + Default + Clone + 'static>(
        &mut self,
        mut f: impl FnMut(&T) -> Result<(), Status> + Send + 'static,
    ) -> Result<bool, Status> {
        if let Some(message) = self.message::<T>() {
            f(message)?;
        } else if let Some(stream) = self.stream_mut::<T>() {
            stream.for_each_mut(move |m| f(m));
        } else if let Some(stream) = self.stream_mut::<WireMessage>() {
            stream.for_each_mut(move |wire| f(wire.get::<T>()?));
        } else {
            return Ok(false);
        }
        Ok(true)
    }

    /// Runs `f` on every message, whatever its type, in all four streaming modes: at once on
    /// a unary message, on each message of a stream as it passes. For interceptors that need
    /// no type list: counting messages, logging types and sizes.
    ///
    /// ```
    /// use grpc_interceptor::prelude::*;
    ///
    /// #[interceptor]
    /// fn log_sizes(method: Next<'_>, mut request: Request, context: &mut Context, name: &MethodName) -> Reply {
    ///     let name = name.to_string();
    ///     request.observe_messages(move |m| {
    ///         println!("{name} <- {} ({:?} bytes)", m.type_name(), m.encoded_size());
    ///     });
    ///     method.call(request, context)
    /// }
    /// # let _ = log_sizes;
    /// ```
    #[doc(alias = "on_message")]
    fn observe_messages(&mut self, f: impl FnMut(&dyn AnyMessage) + Send + 'static) {
        self.payload_mut().observe(f);
    }

    /// Builds a request or response of this payload type from messages of type `T`: one
    /// message for a unary payload, a stream of them (encoded, on the wire) for a streaming
    /// one. `None` when the payload holds no messages of type `T`, or when a unary payload
    /// is given other than exactly one message.
    fn try_from_messages<T: prost::Message + Clone + 'static>(messages: Vec<T>) -> Option<Self> {
        let payload = TypeId::of::<Self::Payload>();
        if payload == TypeId::of::<T>() {
            let [message] = <[T; 1]>::try_from(messages).ok()?;
            Self::try_from_payload(message).ok()
        } else if payload == TypeId::of::<MessageStream<T>>() {
            let stream = tokio_stream::iter(messages.into_iter().map(Ok));
            Self::try_from_payload(MessageStream::new(stream)).ok()
        } else if payload == TypeId::of::<MessageStream<WireMessage>>() {
            let stream = tokio_stream::iter(messages.into_iter().map(|m| Ok(WireMessage::new(m))));
            Self::try_from_payload(MessageStream::new(stream)).ok()
        } else {
            None
        }
    }

    /// All messages of the payload, as `T`: reads a stream to its end. Use it on a
    /// [`replica`](Self::replica) to look at every message and still send them.
    fn into_messages<T: prost::Message + Default + Clone + 'static>(
        self,
    ) -> impl Future<Output = Result<Vec<T>, Status>> + Send {
        let mut slot = Some(self.into_payload());
        let any = &mut slot as &mut dyn Any;
        let message = any.downcast_mut::<Option<T>>().and_then(Option::take);
        let typed = any
            .downcast_mut::<Option<MessageStream<T>>>()
            .and_then(Option::take);
        let wire = any
            .downcast_mut::<Option<MessageStream<WireMessage>>>()
            .and_then(Option::take);
        async move {
            if let Some(message) = message {
                return Ok(vec![message]);
            }
            if let Some(stream) = typed {
                return stream.collect().await;
            }
            if let Some(mut stream) = wire {
                let mut messages = Vec::new();
                while let Some(wire) = stream.next().await {
                    messages.push(wire?.get::<T>()?.clone());
                }
                return Ok(messages);
            }
            Err(Status::internal(format!(
                "the payload holds no messages of type `{}`",
                std::any::type_name::<T>()
            )))
        }
    }

    /// A second request or response with the same metadata, extensions and messages, to
    /// call the rest of the chain again (see [`Payload::replica`]).
    fn replica(&mut self) -> Self {
        let payload = self.payload_mut().replica();
        self.same_parts(payload)
    }

    /// Runs `f` once the payload has ended: at once for a unary message, after the last
    /// message for a stream, with the final status (see [`MessageStream::on_end`]).
    fn on_end(&mut self, f: impl FnOnce(&mut StreamEnd) + Send + 'static) {
        self.payload_mut().on_end(f);
    }
}

impl<P: Payload> PayloadExt for tonic::Request<P> {
    type Payload = P;

    fn payload(&self) -> &P {
        self.get_ref()
    }

    fn payload_mut(&mut self) -> &mut P {
        self.get_mut()
    }

    fn into_payload(self) -> P {
        self.into_inner()
    }

    fn with_payload(payload: P) -> Self {
        tonic::Request::new(payload)
    }

    fn same_parts(&self, payload: P) -> Self {
        tonic::Request::from_parts(self.metadata().clone(), self.extensions().clone(), payload)
    }
}

impl<P: Payload> PayloadExt for tonic::Response<P> {
    type Payload = P;

    fn payload(&self) -> &P {
        self.get_ref()
    }

    fn payload_mut(&mut self) -> &mut P {
        self.get_mut()
    }

    fn into_payload(self) -> P {
        self.into_inner()
    }

    fn with_payload(payload: P) -> Self {
        tonic::Response::new(payload)
    }

    fn same_parts(&self, payload: P) -> Self {
        tonic::Response::from_parts(self.metadata().clone(), payload, self.extensions().clone())
    }
}

/// What a request says beyond tonic's own accessors (`metadata()`, `remote_addr()`,
/// `set_timeout()`).
pub trait RequestExt: sealed::Sealed {
    /// The time the client allows for the call, from the `grpc-timeout` header, as of when
    /// the request arrived (on a client: as set with `set_timeout`). `None` when no deadline
    /// was set or the header is invalid.
    fn timeout(&self) -> Option<Duration>;
}

impl<P> RequestExt for tonic::Request<P> {
    fn timeout(&self) -> Option<Duration> {
        grpc_timeout::parse(self.metadata().get("grpc-timeout")?.to_str().ok()?)
    }
}
