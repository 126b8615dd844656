//! [`Request`] and [`Response`]: a call's message (or message stream) with its metadata.
//!
//! Both are generic over the body `B`: the message type itself for a unary request or
//! response, or [`Streaming<M>`](crate::Streaming) for a stream of `M`. An interceptor is
//! generic over the call, so it reaches a message through a typed accessor
//! ([`message_mut::<MyRequest>()`](Request::message_mut)) that returns `None` for other
//! types; after monomorphization the type check costs nothing.

pub(crate) mod grpc_timeout;
mod payload;
pub(crate) mod replay;
pub(crate) mod stream;

pub use payload::Body;
pub use stream::{StreamEnd, Streaming};

use std::any::Any;
use std::net::SocketAddr;
use std::time::Duration;

use tonic::Extensions;
use tonic::metadata::MetadataMap;

use crate::WireMessage;

macro_rules! message_common {
    ($ty:ident) => {
        impl<B> $ty<B> {
            /// Wraps a body with empty metadata.
            pub fn new(body: B) -> Self {
                Self {
                    metadata: MetadataMap::new(),
                    extensions: Extensions::new(),
                    body,
                }
            }

            /// The metadata (HTTP/2 headers) that travel with this message.
            pub fn metadata(&self) -> &MetadataMap {
                &self.metadata
            }

            /// The metadata, to change.
            pub fn metadata_mut(&mut self) -> &mut MetadataMap {
                &mut self.metadata
            }

            /// Typed values attached by tonic, tower layers or other interceptors.
            pub fn extensions(&self) -> &Extensions {
                &self.extensions
            }

            /// The extensions, to change.
            pub fn extensions_mut(&mut self) -> &mut Extensions {
                &mut self.extensions
            }

            /// The body: the message, or the [`Streaming`] of messages.
            pub fn get_ref(&self) -> &B {
                &self.body
            }

            /// The body, to change.
            pub fn get_mut(&mut self) -> &mut B {
                &mut self.body
            }

            /// The body, consuming the wrapper.
            pub fn into_inner(self) -> B {
                self.body
            }

            /// Replaces the body with one of another type, keeping metadata and extensions.
            pub fn map<C>(self, f: impl FnOnce(B) -> C) -> $ty<C> {
                $ty {
                    metadata: self.metadata,
                    extensions: self.extensions,
                    body: f(self.body),
                }
            }
        }

        impl<B: 'static> $ty<B> {
            /// Wraps `body` if it has this body type `B`; gives it back otherwise.
            ///
            /// This is how an interceptor, which is generic over the call, builds a message
            /// of the call's type: `Response::try_from_body(MyReply { .. })` is `Ok` exactly
            /// in the calls whose response is a unary `MyReply`, and
            /// `Response::try_from_body(Streaming::new(stream))` in those that stream them.
            pub fn try_from_body<T: 'static>(body: T) -> Result<Self, T> {
                let mut slot = Some(body);
                match (&mut slot as &mut dyn Any).downcast_mut::<Option<B>>() {
                    Some(body) => Ok(Self::new(body.take().expect("the slot holds the body"))),
                    None => Err(slot.expect("the slot holds the body")),
                }
            }

            /// The message, if this is a unary body of type `T`.
            pub fn message<T: 'static>(&self) -> Option<&T> {
                (&self.body as &dyn Any).downcast_ref()
            }

            /// The message, to read, change or replace, if this is a unary body of type `T`.
            pub fn message_mut<T: 'static>(&mut self) -> Option<&mut T> {
                (&mut self.body as &mut dyn Any).downcast_mut()
            }

            /// The stream, if this is a stream of `T`.
            pub fn stream_mut<T: Send + 'static>(&mut self) -> Option<&mut Streaming<T>> {
                (&mut self.body as &mut dyn Any).downcast_mut()
            }

            /// Runs `f` on every message of type `T`, in all four streaming modes: at once on a
            /// unary message, and on each message of a stream as it passes. An error from `f`
            /// ends a stream with that status; on a unary message it is returned.
            ///
            /// On a client's channel messages are [`WireMessage`]s: they are decoded as `T`
            /// and re-encoded before they go on. The wire does not say a message's type, so
            /// call this there only for methods whose messages are `T` (check the method name).
            ///
            /// Returns `Ok(false)` when the body holds no messages of type `T`.
            pub fn for_each_message<T: prost::Message + Default + Clone + 'static>(
                &mut self,
                mut f: impl FnMut(&mut T) -> Result<(), tonic::Status> + Send + 'static,
            ) -> Result<bool, tonic::Status> {
                if let Some(message) = self.message_mut::<T>() {
                    f(message)?;
                } else if let Some(stream) = self.stream_mut::<T>() {
                    stream.inspect(f);
                } else if let Some(stream) = self.stream_mut::<WireMessage>() {
                    stream.inspect(move |wire| f(wire.get_mut::<T>()?));
                } else {
                    return Ok(false);
                }
                Ok(true)
            }

            /// Like [`for_each_message`](Self::for_each_message), to read only: on the wire,
            /// messages are decoded but never re-encoded.
            pub fn inspect_messages<T: prost::Message + Default + Clone + 'static>(
                &mut self,
                mut f: impl FnMut(&T) -> Result<(), tonic::Status> + Send + 'static,
            ) -> Result<bool, tonic::Status> {
                if let Some(message) = self.message::<T>() {
                    f(message)?;
                } else if let Some(stream) = self.stream_mut::<T>() {
                    stream.inspect(move |m| f(m));
                } else if let Some(stream) = self.stream_mut::<WireMessage>() {
                    stream.inspect(move |wire| f(wire.get::<T>()?));
                } else {
                    return Ok(false);
                }
                Ok(true)
            }

            /// Builds a body of this type from messages of type `T`: one message for a
            /// unary body, a stream of them (encoded, on the wire) for a streaming one.
            /// `None` when the body holds no messages of type `T`, or when a unary body is
            /// given other than exactly one message.
            pub fn try_from_messages<T: prost::Message + Clone + 'static>(
                messages: Vec<T>,
            ) -> Option<Self> {
                use std::any::TypeId;
                let body = TypeId::of::<B>();
                if body == TypeId::of::<T>() {
                    let [message] = <[T; 1]>::try_from(messages).ok()?;
                    Self::try_from_body(message).ok()
                } else if body == TypeId::of::<Streaming<T>>() {
                    let stream = tokio_stream::iter(messages.into_iter().map(Ok));
                    Self::try_from_body(Streaming::new(stream)).ok()
                } else if body == TypeId::of::<Streaming<WireMessage>>() {
                    let stream =
                        tokio_stream::iter(messages.into_iter().map(|m| Ok(WireMessage::new(m))));
                    Self::try_from_body(Streaming::new(stream)).ok()
                } else {
                    None
                }
            }

            /// All messages of the body, as `T`: reads a stream to its end. Use it on a
            /// [`replica`](Self::replica) to look at every message and still send them.
            pub async fn into_messages<T: prost::Message + Default + Clone + 'static>(
                self,
            ) -> Result<Vec<T>, tonic::Status> {
                use tokio_stream::StreamExt;
                let mut slot = Some(self.body);
                let any = &mut slot as &mut dyn Any;
                if let Some(message) = any.downcast_mut::<Option<T>>().and_then(Option::take) {
                    return Ok(vec![message]);
                }
                if let Some(stream) = any
                    .downcast_mut::<Option<Streaming<T>>>()
                    .and_then(Option::take)
                {
                    return stream.collect().await;
                }
                if let Some(mut stream) = any
                    .downcast_mut::<Option<Streaming<WireMessage>>>()
                    .and_then(Option::take)
                {
                    let mut messages = Vec::new();
                    while let Some(wire) = stream.next().await {
                        messages.push(wire?.get::<T>()?.clone());
                    }
                    return Ok(messages);
                }
                Err(tonic::Status::internal(format!(
                    "the body holds no messages of type `{}`",
                    std::any::type_name::<T>()
                )))
            }
        }

        impl<B: crate::Body> $ty<B> {
            /// A second request or response with the same metadata and messages, to call
            /// the rest of the chain again (see [`Body::replica`](crate::Body::replica)).
            pub fn replica(&mut self) -> Self {
                Self {
                    metadata: self.metadata.clone(),
                    extensions: self.extensions.clone(),
                    body: self.body.replica(),
                }
            }

            /// Runs `f` once the body has ended: at once for a unary message, after the last
            /// message for a stream, with the final status (see [`Streaming::on_end`]).
            pub fn on_end(&mut self, f: impl FnOnce(&mut crate::StreamEnd) + Send + 'static) {
                self.body.on_end(f);
            }
        }
    };
}

/// A request as interceptors see it: the message or request stream, with metadata.
///
/// The same type serves servers and clients. On a server it is what the client sent;
/// changing it changes what the handler receives.
#[derive(Debug)]
pub struct Request<B> {
    metadata: MetadataMap,
    extensions: Extensions,
    body: B,
}

/// A response as interceptors see it: the message or response stream, with metadata.
#[derive(Debug)]
pub struct Response<B> {
    metadata: MetadataMap,
    extensions: Extensions,
    body: B,
}

message_common!(Request);
message_common!(Response);

impl<B> Request<B> {
    /// The peer's address, when the transport knows it (tonic's `remote_addr`).
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.extensions
            .get::<tonic::transport::server::TcpConnectInfo>()
            .and_then(|info| info.remote_addr())
    }

    /// The time the client allows for the call, from the `grpc-timeout` header, as of when
    /// the request arrived. `None` when the client set no deadline or the header is invalid.
    pub fn timeout(&self) -> Option<Duration> {
        crate::message::grpc_timeout::parse(self.metadata.get("grpc-timeout")?.to_str().ok()?)
    }

    /// Sets the `grpc-timeout` header: on a client, the deadline the server receives.
    pub fn set_timeout(&mut self, timeout: Duration) {
        let value = crate::message::grpc_timeout::encode(timeout);
        self.metadata.insert(
            "grpc-timeout",
            value.parse().expect("an ASCII number and unit"),
        );
    }

    /// Converts a tonic request, keeping metadata and extensions.
    pub fn from_tonic(request: tonic::Request<B>) -> Self {
        let (metadata, extensions, body) = request.into_parts();
        Self {
            metadata,
            extensions,
            body,
        }
    }

    /// Converts into a tonic request, keeping metadata and extensions.
    pub fn into_tonic(self) -> tonic::Request<B> {
        tonic::Request::from_parts(self.metadata, self.extensions, self.body)
    }
}

impl<B> Response<B> {
    /// Converts a tonic response, keeping metadata and extensions.
    pub fn from_tonic(response: tonic::Response<B>) -> Self {
        let (metadata, body, extensions) = response.into_parts();
        Self {
            metadata,
            extensions,
            body,
        }
    }

    /// Converts into a tonic response, keeping metadata and extensions.
    pub fn into_tonic(self) -> tonic::Response<B> {
        tonic::Response::from_parts(self.metadata, self.body, self.extensions)
    }
}
