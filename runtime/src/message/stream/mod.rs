//! [`MessageStream`]: a request or response stream that interceptors can wrap message by message.

mod end;
mod inline;
mod source;

pub use end::StreamEnd;

use inline::Inline;
use source::{PollReplay, Source};

use std::any::Any;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll, ready};

use tokio_stream::Stream;
use tonic::Status;
use tonic::metadata::MetadataMap;

use crate::errors::panic_hook::{Answered, installed};
use crate::lifecycle::Tracker;
use crate::message::replay::Replay;

type Hook<M> = Box<dyn FnMut(&mut M) -> Result<(), Status> + Send>;
type EndHook = Box<dyn FnOnce(&mut StreamEnd) + Send>;
pub(crate) type BoxStream<M> = Pin<Box<dyn Stream<Item = Result<M, Status>> + Send>>;

/// A stream of messages of type `M` on its way through the interceptors: a client stream
/// on its way to the handler, or a response stream on its way to the client.
///
/// An interceptor can look at or change each message as it passes ([`for_each_mut`](Self::for_each_mut)),
/// run code once the stream has ended, before the client sees the final status
/// ([`on_end`](Self::on_end)), or replace the whole stream ([`wrap`](Self::wrap)).
/// A stream nobody wraps passes through untouched: a client stream reaches the handler as
/// the very `tonic::Streaming` tonic decoded.
pub struct MessageStream<M> {
    source: Source<M>,
    /// Hooks and trailers, boxed: most streams have none, and every interceptor moves the
    /// stream.
    extras: Option<Box<Extras<M>>>,
    finished: bool,
}

struct Extras<M> {
    hooks: Vec<Hook<M>>,
    end_hooks: Vec<EndHook>,
    trailers: MetadataMap,
    /// The call's end hooks, when this is the call's response stream: told of its end, or
    /// (when dropped first) that the call was abandoned.
    call_end: Option<Tracker>,
    /// Set by a client's `ExceptionToStatus`, whose end hook answers a panic of the source
    /// or of a message hook with a status: the polls are marked for the quiet panic hook,
    /// the end hooks are not (a panic of theirs may go on into the application).
    answered: bool,
}

impl<M> Default for Extras<M> {
    fn default() -> Self {
        Self {
            hooks: Vec::new(),
            end_hooks: Vec::new(),
            trailers: MetadataMap::new(),
            call_end: None,
            answered: false,
        }
    }
}

impl<M: Send + 'static> MessageStream<M> {
    /// Wraps any stream of messages. A stream that already is a
    /// `Pin<Box<dyn Stream<Item = Result<M, Status>> + Send>>` (tonic's usual stream type)
    /// keeps its box; any other stream of up to 200 bytes, aligned to at most 8, is kept in
    /// place without one (a larger one is boxed).
    pub fn new(stream: impl Stream<Item = Result<M, Status>> + Send + 'static) -> Self {
        let mut slot = Some(stream);
        let boxed = (&mut slot as &mut dyn Any)
            .downcast_mut::<Option<BoxStream<M>>>()
            .and_then(Option::take);
        match (boxed, slot) {
            (Some(boxed), _) => Self::from_source(Source::Boxed(boxed)),
            (None, Some(stream)) => Self::from_source(match Inline::new(stream) {
                Ok(inline) => Source::Inline(inline),
                Err(stream) => Source::Typed(Box::new(stream)),
            }),
            (None, None) => Self::from_source(Source::Boxed(Box::pin(tokio_stream::empty()))),
        }
    }

    /// Wraps the stream tonic decoded from the wire.
    pub fn from_tonic(stream: tonic::Streaming<M>) -> Self {
        Self::from_source(Source::Tonic(stream))
    }

    fn from_source(source: Source<M>) -> Self {
        Self {
            source,
            extras: None,
            finished: false,
        }
    }

    /// Runs `f` on each message as it passes. An error ends the stream with that status.
    /// Hooks run in the order they were added, which is the order the messages travel:
    /// outermost interceptor first for a request stream, innermost first for a response.
    pub fn for_each_mut(&mut self, f: impl FnMut(&mut M) -> Result<(), Status> + Send + 'static) {
        self.extras().hooks.push(Box::new(f));
    }

    /// Runs `f` once the stream has ended (after the last message, or on an error), before
    /// the final status goes on. `f` can change that status and add trailers.
    pub fn on_end(&mut self, f: impl FnOnce(&mut StreamEnd) + Send + 'static) {
        self.extras().end_hooks.push(Box::new(f));
    }

    /// Replaces the stream with `f(stream)`, for changes [`for_each_mut`](Self::for_each_mut) cannot
    /// make: dropping, adding or reordering messages, or async work per message.
    pub fn wrap<S>(&mut self, f: impl FnOnce(MessageStream<M>) -> S)
    where
        S: Stream<Item = Result<M, Status>> + Send + 'static,
    {
        let this = std::mem::replace(self, Self::new(tokio_stream::empty()));
        *self = Self::new(f(this));
    }

    /// A second stream with the same messages, for calling the rest of the chain again:
    /// this stream and the replica each yield every message, reading the source once.
    /// Messages are kept for the replicas only while more than one of them exists.
    pub fn replica(&mut self) -> MessageStream<M>
    where
        M: Clone,
    {
        let poll: PollReplay<M> = |replay, cx| replay.poll_next(cx);
        let recording = match &self.source {
            Source::Replay(replay, _) if self.extras.is_none() => replay.clone(),
            _ => {
                let this = std::mem::replace(self, Self::new(tokio_stream::empty()));
                let replay = Replay::new(this);
                *self = Self::from_source(Source::Replay(replay.clone(), poll));
                replay
            }
        };
        Self::from_source(Source::Replay(recording.restart(), poll))
    }

    /// Adds trailers and an end status chosen for the whole call (by the context).
    pub(crate) fn end_with(&mut self, status: Option<Status>, trailers: MetadataMap) {
        crate::context::merge(&mut self.extras().trailers, trailers);
        if let Some(status) = status {
            self.on_end(move |end| {
                if end.status.is_none() {
                    end.status = Some(status);
                }
            });
        }
    }
}

impl<M: Send + 'static> Stream for MessageStream<M> {
    type Item = Result<M, Status>;

    /// Inlined for the common case, a boxed source with no hooks (a response stream as the
    /// handler returned it), polled once per message; the rest out of line.
    #[inline]
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.extras.is_none()
            && !this.finished
            && let Source::Boxed(stream) = &mut this.source
        {
            // No hook would run on a panic, which would go on unwinding once caught: let
            // it unwind from the source, without catching it on every message.
            return match ready!(stream.as_mut().poll_next(cx)) {
                Some(Ok(message)) => Poll::Ready(Some(Ok(message))),
                end => Poll::Ready(this.end(end)),
            };
        }
        this.poll_other(cx)
    }
}

impl<M: Send + 'static> MessageStream<M> {
    /// Every case but the one [`poll_next`](Stream::poll_next) inlines.
    #[inline(never)]
    fn poll_other(&mut self, cx: &mut TaskContext<'_>) -> Poll<Option<Result<M, Status>>> {
        if self.finished {
            return Poll::Ready(None);
        }
        if self.extras.is_none() {
            return match ready!(self.poll_source(cx)) {
                Some(Ok(message)) => Poll::Ready(Some(Ok(message))),
                end => Poll::Ready(self.end(end)),
            };
        }
        self.poll_guarded(cx)
    }

    /// Marks the stream as answered for by a client's `ExceptionToStatus` (see `Extras`).
    pub(crate) fn answer_panics(&mut self) {
        self.extras().answered = true;
    }

    /// Ends the stream where it is: nothing more is polled from it, and no end hook runs.
    pub(crate) fn stop(&mut self) {
        self.finished = true;
    }

    /// Polls the source and runs the hooks on what it gives; a panic in the source or a
    /// hook ends the stream: an end hook may answer for it (`ExceptionToStatus` does), or
    /// it goes on unwinding.
    #[inline(never)]
    fn poll_guarded(&mut self, cx: &mut TaskContext<'_>) -> Poll<Option<Result<M, Status>>> {
        let answered = self.extras.as_ref().is_some_and(|e| e.answered);
        let _answered = (answered && installed()).then(Answered::enter);
        match panic::catch_unwind(AssertUnwindSafe(|| self.poll_step(cx))) {
            Ok(poll) => poll,
            Err(payload) => Poll::Ready(self.finish_panicked(payload).map(Err)),
        }
    }

    fn extras(&mut self) -> &mut Extras<M> {
        self.extras.get_or_insert_with(Default::default)
    }

    /// Polls the source and runs the hooks on what it gives.
    fn poll_step(&mut self, cx: &mut TaskContext<'_>) -> Poll<Option<Result<M, Status>>> {
        Poll::Ready(match ready!(self.poll_source(cx)) {
            Some(Ok(mut message)) => {
                let hooks = self
                    .extras
                    .as_mut()
                    .map(|e| e.hooks.as_mut_slice())
                    .unwrap_or_default();
                if let Some(status) = hooks.iter_mut().find_map(|hook| hook(&mut message).err()) {
                    return Poll::Ready(self.finish(Some(status), MetadataMap::new()).map(Err));
                }
                if let Some(tracker) = self.extras.as_mut().and_then(|e| e.call_end.as_mut()) {
                    tracker.count_response();
                }
                Some(Ok(message))
            }
            end => self.end(end),
        })
    }
}

impl<M> fmt::Debug for MessageStream<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageStream")
            .field("hooks", &self.extras.as_ref().map_or(0, |e| e.hooks.len()))
            .field(
                "end_hooks",
                &self.extras.as_ref().map_or(0, |e| e.end_hooks.len()),
            )
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address<T: ?Sized>(value: &T) -> usize {
        std::ptr::from_ref(value).cast::<()>() as usize
    }

    #[test]
    fn a_boxed_stream_keeps_its_box() {
        let boxed: BoxStream<u8> = Box::pin(tokio_stream::iter([Ok(1)]));
        let before = address(&*boxed);
        let streaming = MessageStream::new(boxed);
        match &streaming.source {
            Source::Boxed(kept) => assert_eq!(address(&**kept), before),
            _ => panic!("not a boxed source"),
        }
    }

    #[tokio::test]
    async fn any_other_stream_yields_its_messages_kept_in_place_or_boxed() {
        use tokio_stream::StreamExt;
        let small = MessageStream::new(tokio_stream::iter([Ok(1u8), Ok(2)]));
        assert!(matches!(small.source, Source::Inline(_)));
        let items: Vec<u8> = small.map(|r| r.unwrap_or_default()).collect().await;
        assert_eq!(items, [1, 2]);
        // Too large for the room: boxed.
        let large =
            tokio_stream::iter([Ok(3u8)]).chain(tokio_stream::iter([[0u8; 256]]).map(|_| Ok(4)));
        let large = MessageStream::new(large);
        assert!(matches!(large.source, Source::Typed(_)));
        let items: Vec<u8> = large.map(|r| r.unwrap_or_default()).collect().await;
        assert_eq!(items, [3, 4]);
    }
}
