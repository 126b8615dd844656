//! Where a [`MessageStream`]'s messages come from: tonic's decoded stream, a boxed stream,
//! a stream whose type can still be recovered, a replay, or an encoded body.

use std::any::Any;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use tokio_stream::Stream;
use tonic::Status;

use super::inline::Inline;
use super::{BoxStream, MessageStream};
use crate::message::replay::Replay;
use crate::wire::RawBody;

#[allow(
    clippy::large_enum_variant,
    reason = "boxing tonic's stream would cost an allocation per call"
)]
pub(super) enum Source<M> {
    Tonic(tonic::Streaming<M>),
    Boxed(BoxStream<M>),
    /// A stream of any other type, kept in place and not yet pinned: until it is first
    /// polled, its type can be recovered ([`MessageStream::take_source`]), so that the
    /// stream a handler returned is polled with its own `poll_next`, inlined, and costs no
    /// allocation.
    Inline(Inline<M>),
    /// [`Inline`](Self::Inline), for a stream too large for its room: boxed.
    Typed(Box<dyn TypedSource<M> + Send>),
    /// A recorded source, with its `poll_next` (which needs `M: Clone`, known where the
    /// replay is made).
    Replay(Replay<M>, PollReplay<M>),
    /// An encoded HTTP/2 body, split into messages by `split` when first polled, or handed
    /// on whole if nothing reads it (the wire path's pass-through).
    Raw(RawBody, fn(RawBody) -> BoxStream<M>),
}

/// A stream whose type can be recovered ([`Any`]).
pub(super) trait TypedSource<M>: Stream<Item = Result<M, Status>> + Any {}

impl<M, S: Stream<Item = Result<M, Status>> + Any> TypedSource<M> for S {}

pub(super) type PollReplay<M> =
    fn(Pin<&mut Replay<M>>, &mut TaskContext<'_>) -> Poll<Option<Result<M, Status>>>;

/// An empty source: zero-sized, so boxing it allocates nothing.
pub(super) fn empty<M: Send + 'static>() -> Source<M> {
    Source::Boxed(Box::pin(tokio_stream::empty()))
}

impl<M: Send + 'static> MessageStream<M> {
    /// Whether the source can be handed over whole: nothing hooked into this stream, and
    /// it has not ended.
    fn untouched(&self) -> bool {
        self.extras.is_none() && !self.finished
    }

    /// The source itself, when [`untouched`](Self::untouched), never polled and of type
    /// `S`: the caller polls it, and hands its last item to [`end`](Self::end).
    pub(crate) fn take_source<S: Any>(&mut self) -> Option<S> {
        if !self.untouched() {
            return None;
        }
        match &mut self.source {
            Source::Inline(stream) if stream.is::<S>() => {
                match std::mem::replace(&mut self.source, empty()) {
                    Source::Inline(stream) => stream.take(),
                    _ => None,
                }
            }
            Source::Typed(stream) if (&**stream as &dyn Any).is::<S>() => {
                match std::mem::replace(&mut self.source, empty()) {
                    Source::Typed(stream) => {
                        let stream: Box<dyn Any> = stream;
                        stream.downcast().ok().map(|stream| *stream)
                    }
                    _ => None,
                }
            }
            // A stream that was boxed to begin with: `S` is `BoxStream<M>`.
            Source::Boxed(stream) => {
                let mut slot = Some(std::mem::replace(stream, Box::pin(tokio_stream::empty())));
                let taken = (&mut slot as &mut dyn Any)
                    .downcast_mut::<Option<S>>()
                    .and_then(Option::take);
                if let Some(kept) = slot {
                    *stream = kept;
                }
                taken
            }
            _ => None,
        }
    }

    #[inline(always)]
    pub(super) fn poll_source(
        &mut self,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<M, Status>>> {
        match &mut self.source {
            Source::Tonic(stream) => Pin::new(stream).poll_next(cx),
            Source::Boxed(stream) => stream.as_mut().poll_next(cx),
            Source::Replay(stream, poll) => poll(Pin::new(stream), cx),
            Source::Inline(_) | Source::Typed(_) => {
                self.pin_typed();
                self.poll_source(cx)
            }
            Source::Raw(..) => {
                self.split_raw();
                self.poll_source(cx)
            }
        }
    }

    /// Pins a typed source, to poll it.
    #[cold]
    fn pin_typed(&mut self) {
        match std::mem::replace(&mut self.source, empty()) {
            Source::Inline(stream) => self.source = Source::Boxed(stream.into_boxed()),
            Source::Typed(stream) => self.source = Source::Boxed(Box::into_pin(stream)),
            source => self.source = source,
        }
    }

    /// Turns a raw body into the stream of its messages.
    #[cold]
    fn split_raw(&mut self) {
        let placeholder = Source::Boxed(Box::pin(tokio_stream::empty()));
        if let Source::Raw(body, split) = std::mem::replace(&mut self.source, placeholder) {
            self.source = Source::Boxed(split(body));
        }
    }

    /// Whether this is an encoded body that nothing read, wrapped or hooked into yet.
    pub(crate) fn is_raw(&self) -> bool {
        self.extras.is_none() && matches!(self.source, Source::Raw(..))
    }

    /// The encoded body, if nothing but end hooks was added to this stream: it can go on as
    /// it came, and this stream, left without a source, runs the end hooks once the body's
    /// end is known (`end_raw`).
    pub(crate) fn take_raw_ending(&mut self) -> Option<RawBody> {
        let only_end_hooks = self
            .extras
            .as_deref()
            .is_some_and(|e| e.hooks.is_empty() && e.trailers.is_empty() && e.call_end.is_none());
        if !only_end_hooks {
            return None;
        }
        self.extras.take().map(|extras| {
            let raw = self.take_raw();
            self.extras = Some(extras);
            raw
        })?
    }

    /// A stream of the messages in an encoded body, split by `split` only if read.
    pub(crate) fn from_raw(body: RawBody, split: fn(RawBody) -> BoxStream<M>) -> Self {
        Self::from_source(Source::Raw(body, split))
    }

    /// The encoded body, if nothing read, wrapped or hooked into this stream: it can then
    /// go on as it came, without being split and framed again.
    pub(crate) fn take_raw(&mut self) -> Option<RawBody> {
        if self.extras.is_some() || !matches!(self.source, Source::Raw(..)) {
            return None;
        }
        // An empty stream is zero-sized: boxing it allocates nothing.
        let empty = Source::Boxed(Box::pin(tokio_stream::empty()));
        match std::mem::replace(&mut self.source, empty) {
            Source::Raw(body, _) => Some(body),
            _ => None,
        }
    }

    /// [`take_raw`](Self::take_raw), consuming the stream: the encoded body, or the stream
    /// itself if something read, wrapped or hooked into it. No placeholder source is made
    /// and dropped.
    #[inline]
    #[allow(
        clippy::result_large_err,
        reason = "the stream goes back by value, as it came: boxing it would allocate"
    )]
    pub(crate) fn into_raw(self) -> Result<RawBody, Self> {
        let Self {
            source,
            extras,
            finished,
        } = self;
        match (source, extras) {
            (Source::Raw(body, _), None) => Ok(body),
            (source, extras) => Err(Self {
                source,
                extras,
                finished,
            }),
        }
    }

    /// The stream tonic decoded, if nothing read, wrapped or hooked into it: it can then go
    /// on to the handler as it came.
    pub(crate) fn take_tonic(&mut self) -> Option<tonic::Streaming<M>> {
        if self.extras.is_some() || !matches!(self.source, Source::Tonic(_)) {
            return None;
        }
        let empty = Source::Boxed(Box::pin(tokio_stream::empty()));
        match std::mem::replace(&mut self.source, empty) {
            Source::Tonic(stream) => Some(stream),
            _ => None,
        }
    }
}
