//! [`Streaming`]: a request or response stream that interceptors can wrap message by message.

use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll, ready};

use bytes::{BufMut, Bytes, BytesMut};
use tokio_stream::Stream;
use tonic::Status;
use tonic::metadata::MetadataMap;

type Hook<M> = Box<dyn FnMut(&mut M) -> Result<(), Status> + Send>;
type EndHook = Box<dyn FnOnce(&mut StreamEnd) + Send>;
type BoxStream<M> = Pin<Box<dyn Stream<Item = Result<M, Status>> + Send>>;

/// A stream of messages of type `M` on its way through the interceptors: a client stream
/// on its way to the handler, or a response stream on its way to the client.
///
/// An interceptor can look at or change each message as it passes ([`inspect`](Self::inspect)),
/// run code once the stream has ended, before the client sees the final status
/// ([`on_end`](Self::on_end)), or replace the whole stream ([`wrap`](Self::wrap)).
/// A stream nobody wraps passes through untouched: a client stream reaches the handler as
/// the very `tonic::Streaming` tonic decoded.
pub struct Streaming<M> {
    source: Source<M>,
    hooks: Vec<Hook<M>>,
    end_hooks: Vec<EndHook>,
    trailers: MetadataMap,
    finished: bool,
}

#[allow(
    clippy::large_enum_variant,
    reason = "boxing tonic's stream would cost an allocation per call"
)]
enum Source<M> {
    Tonic(tonic::Streaming<M>),
    Boxed(BoxStream<M>),
}

/// How a stream ended, as [`Streaming::on_end`] hooks see it.
#[derive(Debug, Default)]
pub struct StreamEnd {
    status: Option<Status>,
    trailers: MetadataMap,
}

impl StreamEnd {
    /// The error status the stream ended with; `None` when it ended OK.
    pub fn status(&self) -> Option<&Status> {
        self.status.as_ref()
    }

    /// Replaces the final status: `Some` ends the stream with that error, `None` with OK.
    pub fn set_status(&mut self, status: Option<Status>) {
        self.status = status;
    }

    /// Trailing metadata to send with the final status (response streams).
    pub fn trailers_mut(&mut self) -> &mut MetadataMap {
        &mut self.trailers
    }
}

impl<M: Send + 'static> Streaming<M> {
    /// Wraps any stream of messages.
    pub fn new(stream: impl Stream<Item = Result<M, Status>> + Send + 'static) -> Self {
        Self::from_source(Source::Boxed(Box::pin(stream)))
    }

    /// Wraps the stream tonic decoded from the wire.
    pub fn from_tonic(stream: tonic::Streaming<M>) -> Self {
        Self::from_source(Source::Tonic(stream))
    }

    fn from_source(source: Source<M>) -> Self {
        Self {
            source,
            hooks: Vec::new(),
            end_hooks: Vec::new(),
            trailers: MetadataMap::new(),
            finished: false,
        }
    }

    /// Runs `f` on each message as it passes. An error ends the stream with that status.
    /// Hooks run in the order they were added, which is the order the messages travel:
    /// outermost interceptor first for a request stream, innermost first for a response.
    pub fn inspect(&mut self, f: impl FnMut(&mut M) -> Result<(), Status> + Send + 'static) {
        self.hooks.push(Box::new(f));
    }

    /// Runs `f` once the stream has ended (after the last message, or on an error), before
    /// the final status goes on. `f` can change that status and add trailers.
    pub fn on_end(&mut self, f: impl FnOnce(&mut StreamEnd) + Send + 'static) {
        self.end_hooks.push(Box::new(f));
    }

    /// Replaces the stream with `f(stream)`, for changes [`inspect`](Self::inspect) cannot
    /// make: dropping, adding or reordering messages, or async work per message.
    pub fn wrap<S>(&mut self, f: impl FnOnce(Streaming<M>) -> S)
    where
        S: Stream<Item = Result<M, Status>> + Send + 'static,
    {
        let this = std::mem::replace(self, Self::new(tokio_stream::empty()));
        *self = Self::new(f(this));
    }

    /// Trailers left to send after a stream that ended OK; response streams send them.
    pub(crate) fn take_trailers(&mut self) -> MetadataMap {
        std::mem::take(&mut self.trailers)
    }

    /// Adds trailers and an end status chosen for the whole call (by the context).
    pub(crate) fn end_with(&mut self, status: Option<Status>, trailers: MetadataMap) {
        crate::context::merge(&mut self.trailers, trailers);
        if let Some(status) = status {
            self.on_end(move |end| {
                if end.status.is_none() {
                    end.status = Some(status);
                }
            });
        }
    }

    fn finish(&mut self, status: Option<Status>) -> Option<Status> {
        self.finished = true;
        let mut end = StreamEnd {
            status,
            trailers: std::mem::take(&mut self.trailers),
        };
        for hook in std::mem::take(&mut self.end_hooks) {
            hook(&mut end);
        }
        match end.status {
            Some(status) => {
                let outcome = crate::context::Outcome {
                    trailers: end.trailers,
                    ..Default::default()
                };
                Some(outcome.apply_to_status(status))
            }
            None => {
                self.trailers = end.trailers;
                None
            }
        }
    }
}

impl<M: prost::Message + Default + Send + 'static> Streaming<M> {
    /// Converts into the `tonic::Streaming` a handler takes. A stream nobody wrapped is
    /// returned as it came; otherwise the messages are re-encoded for tonic to decode.
    pub(crate) fn into_tonic(self) -> tonic::Streaming<M> {
        match self.source {
            Source::Tonic(stream) if self.hooks.is_empty() && self.end_hooks.is_empty() => stream,
            source => {
                let this = Self { source, ..self };
                tonic::Streaming::new_request(
                    tonic_prost::ProstDecoder::<M>::default(),
                    EncodeBody(this),
                    None,
                    None,
                )
            }
        }
    }
}

impl<M: Send + 'static> Stream for Streaming<M> {
    type Item = Result<M, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.finished {
            return Poll::Ready(None);
        }
        let item = match &mut this.source {
            Source::Tonic(stream) => ready!(Pin::new(stream).poll_next(cx)),
            Source::Boxed(stream) => ready!(stream.as_mut().poll_next(cx)),
        };
        Poll::Ready(match item {
            Some(Ok(mut message)) => {
                for hook in &mut this.hooks {
                    if let Err(status) = hook(&mut message) {
                        return Poll::Ready(this.finish(Some(status)).map(Err));
                    }
                }
                Some(Ok(message))
            }
            Some(Err(status)) => this.finish(Some(status)).map(Err),
            None => this.finish(None).map(Err),
        })
    }
}

impl<M> fmt::Debug for Streaming<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Streaming")
            .field("hooks", &self.hooks.len())
            .field("end_hooks", &self.end_hooks.len())
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

/// Re-encodes a wrapped client stream as gRPC frames for `tonic::Streaming` to decode.
struct EncodeBody<M>(Streaming<M>);

impl<M: prost::Message + Send + 'static> http_body::Body for EncodeBody<M> {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Status>>> {
        Poll::Ready(match ready!(Pin::new(&mut self.0).poll_next(cx)) {
            Some(Ok(message)) => {
                let len = message.encoded_len();
                let Ok(prefix) = u32::try_from(len) else {
                    return Poll::Ready(Some(Err(Status::resource_exhausted(
                        "message too large to re-encode",
                    ))));
                };
                let mut buf = BytesMut::with_capacity(5 + len);
                buf.put_u8(0);
                buf.put_u32(prefix);
                match message.encode(&mut buf) {
                    Ok(()) => Some(Ok(http_body::Frame::data(buf.freeze()))),
                    Err(err) => Some(Err(Status::internal(err.to_string()))),
                }
            }
            Some(Err(status)) => Some(Err(status)),
            None => None,
        })
    }
}

/// A stream of `Result<Message, Status>`: what tonic's server-streaming associated types are.
pub trait ResultStream: Stream<Item = Result<Self::Message, Status>> {
    /// The message type.
    type Message: Send + 'static;
}

impl<S, M> ResultStream for S
where
    S: Stream<Item = Result<M, Status>>,
    M: Send + 'static,
{
    type Message = M;
}

/// The response stream an `#[intercepted]` service hands to tonic in place of the stream
/// type `S` its handler returns: the handler's stream as the interceptors left it.
pub struct InterceptedStream<S: ResultStream> {
    inner: Streaming<S::Message>,
    done: bool,
    _handler_stream: PhantomData<fn() -> S>,
}

impl<S: ResultStream> InterceptedStream<S> {
    pub(crate) fn new(inner: Streaming<S::Message>) -> Self {
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
        if self.done {
            return Poll::Ready(None);
        }
        let item = ready!(Pin::new(&mut self.inner).poll_next(cx));
        if item.is_none() {
            self.done = true;
            let trailers = self.inner.take_trailers();
            if !trailers.is_empty() {
                // tonic ends a server stream with the status of an error item, trailers
                // included; an OK status is how custom trailers follow the last message.
                return Poll::Ready(Some(Err(Status::with_metadata(
                    tonic::Code::Ok,
                    "",
                    trailers,
                ))));
            }
        }
        Poll::Ready(item)
    }
}

impl<S: ResultStream> fmt::Debug for InterceptedStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("InterceptedStream")
            .field(&self.inner)
            .finish()
    }
}
