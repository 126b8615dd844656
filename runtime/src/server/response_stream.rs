//! A response stream on its way to tonic: the stream type an `#[intercepted]` service
//! hands to tonic in place of the one its handler returns.

use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use tokio_stream::Stream;
use tonic::Status;

use crate::errors::exception_to_status::panic_status;
use crate::errors::panic_hook::{Answered, installed};
use crate::{AnyMessage, MessageStream};

/// A stream of `Result<Message, Status>`: what tonic's server-streaming associated types are,
/// and what an [`InterceptedStream`] wraps. Implemented for every such stream.
///
/// ```
/// use grpc_interceptor::Status;
/// use grpc_interceptor::server::ResultStream;
///
/// fn message_of<S: ResultStream>(_: &S) -> &'static str {
///     std::any::type_name::<S::Message>()
/// }
///
/// let stream = tokio_stream::iter([Ok::<String, Status>("a".to_owned())]);
/// assert_eq!(message_of(&stream), "alloc::string::String");
/// ```
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

pin_project_lite::pin_project! {
    /// The response stream an `#[intercepted]` service hands to tonic in place of the
    /// stream type `S` its handler returns: the handler's stream as the interceptors left it.
    ///
    /// When nothing hooked into the handler's stream, it is polled here directly, once per
    /// message, as the `S` it is (its own `poll_next`, inlined), and its items go to tonic
    /// as they came, as without interceptors. The interceptors saw it as a
    /// [`MessageStream`], which they may poll, wrap or replace before it gets here, so it
    /// was boxed for them; it comes out of its box on the first poll. Otherwise the
    /// `MessageStream` runs the hooks.
    ///
    /// `#[intercepted]` rewrites each associated stream type `type XStream = S;` of the
    /// impl to `type XStream = InterceptedStream<S>;` (inside the methods, `Self::XStream`
    /// still means `S`), so this is the type other code sees:
    ///
    #[cfg_attr(feature = "testing", doc = "```")]
    #[cfg_attr(not(feature = "testing"), doc = "```ignore")]
    /// # use grpc_interceptor::testing::proto::dummy_service_server::DummyService;
    /// # use grpc_interceptor::testing::{DummyRequest, DummyResponse};
    /// # use grpc_interceptor::{Context, MethodName, Next, Reply, Request, Status, intercepted, interceptor};
    /// use grpc_interceptor::server::InterceptedStream;
    ///
    /// type Outputs = tokio_stream::Empty<Result<DummyResponse, Status>>;
    /// # #[interceptor]
    /// # fn pass(method: Next<'_>, request: Request, context: &mut Context, _: &MethodName) -> Reply {
    /// #     method.call(request, context)
    /// # }
    /// struct Echo;
    ///
    /// #[intercepted(pass, service = "DummyService")]
    /// #[tonic::async_trait]
    /// impl DummyService for Echo {
    ///     type ExecuteServerStreamStream = Outputs;
    ///     async fn execute_server_stream(
    ///         &self,
    ///         _: tonic::Request<DummyRequest>,
    ///     ) -> Result<tonic::Response<Self::ExecuteServerStreamStream>, Status> {
    ///         Ok(tonic::Response::new(tokio_stream::empty()))
    ///     }
    /// #   async fn execute(&self, _: tonic::Request<DummyRequest>) -> Result<tonic::Response<DummyResponse>, Status> { todo!() }
    /// #   async fn execute_client_stream(&self, _: tonic::Request<tonic::Streaming<DummyRequest>>) -> Result<tonic::Response<DummyResponse>, Status> { todo!() }
    /// #   type ExecuteClientServerStreamStream = Outputs;
    /// #   async fn execute_client_server_stream(&self, _: tonic::Request<tonic::Streaming<DummyRequest>>) -> Result<tonic::Response<Self::ExecuteClientServerStreamStream>, Status> { todo!() }
    ///     // ...
    /// }
    ///
    /// let _: Option<InterceptedStream<Outputs>> =
    ///     None::<<Echo as DummyService>::ExecuteServerStreamStream>;
    /// ```
    pub struct InterceptedStream<S: ResultStream> {
        // The handler's stream, polled directly.
        #[pin]
        direct: Option<S>,
        // The handler's stream, polled directly but out of line, each poll marked for the
        // quiet panic hook: where `direct` goes when the hook is installed, so that the
        // direct path pays nothing for it.
        #[pin]
        marked: Option<S>,
        // The stream with the interceptors' hooks, or what is left of it once its source
        // is polled directly.
        inner: MessageStream<S::Message>,
        // Whether the source was looked at, on the first poll.
        started: bool,
    }
}

impl<S: ResultStream> InterceptedStream<S> {
    pub(crate) fn new(inner: MessageStream<S::Message>) -> Self {
        Self {
            direct: None,
            marked: None,
            inner,
            started: false,
        }
    }
}

impl<S: ResultStream + Send + 'static> InterceptedStream<S> {
    /// Polls the source, without catching a panic.
    #[inline(always)]
    fn poll_unguarded(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<S::Message, Status>>> {
        // A stream nobody hooked into goes to tonic as it came, its last item included (an
        // OK status at the end carries trailers, as without interceptors).
        match self.as_mut().project().direct.as_pin_mut() {
            Some(direct) => direct.poll_next(cx),
            None => self.poll_other(cx),
        }
    }

    /// The first poll, and every poll of a stream with hooks.
    #[inline(never)]
    fn poll_other(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<S::Message, Status>>> {
        let this = self.as_mut().project();
        if !std::mem::replace(this.started, true)
            && let Some(source) = this.inner.take_source::<S>()
        {
            if !installed() {
                self.as_mut().project().direct.set(Some(source));
                return self.poll_unguarded(cx);
            }
            self.as_mut().project().marked.set(Some(source));
            return self.poll_other(cx);
        }
        // A panic here is answered with a status (by an `ExceptionToStatus` hooked into the
        // stream, or by `poll_next`): the quiet panic hook says nothing about it.
        let _answered = installed().then(Answered::enter);
        if let Some(marked) = this.marked.as_pin_mut() {
            return marked.poll_next(cx);
        }
        Pin::new(this.inner).poll_next(cx)
    }

    #[cold]
    fn panicked(self: Pin<&mut Self>, payload: Box<dyn std::any::Any + Send>) -> Status {
        let mut this = self.project();
        this.direct.set(None);
        this.marked.set(None);
        this.inner.stop();
        panic_status(&*payload)
    }
}

impl<S: ResultStream + Send + 'static> Stream for InterceptedStream<S> {
    type Item = Result<S::Message, Status>;

    /// Polled once per message: inlined into tonic's encoder.
    #[inline]
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        // An OK status at the end carries trailers: tonic sends an error item's status, with
        // its metadata, as the trailers of a server stream. With the quiet panic hook
        // installed when the stream starts, every poll goes out of line to be marked.
        let this = self.as_mut();
        match panic::catch_unwind(AssertUnwindSafe(|| this.poll_unguarded(cx))) {
            Ok(poll) => poll,
            // A panic nothing answered for ends the stream with UNKNOWN, after the messages
            // already sent, rather than with a reset stream.
            Err(payload) => Poll::Ready(Some(Err(self.panicked(payload)))),
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

#[cfg(test)]
mod tests {
    use tokio_stream::StreamExt;
    use tonic::Code;
    use tonic::metadata::MetadataMap;

    use super::*;

    #[derive(Clone, PartialEq, prost::Message)]
    struct Note {
        #[prost(string, tag = "1")]
        text: String,
    }

    fn note(text: &str) -> Note {
        Note { text: text.into() }
    }

    /// What the handler's stream was, and what tonic gets from it.
    async fn sent<S: ResultStream<Message = Note> + Send + 'static>(
        stream: MessageStream<Note>,
    ) -> Vec<Result<String, (Code, Option<String>)>> {
        let stream = InterceptedStream::<S>::new(stream);
        stream
            .map(|item| {
                item.map(|n| n.text).map_err(|s| {
                    let total = s.metadata().get("x-total");
                    (
                        s.code(),
                        total.map(|v| v.to_str().unwrap_or_default().to_owned()),
                    )
                })
            })
            .collect()
            .await
    }

    type Items = tokio_stream::Iter<std::vec::IntoIter<Result<Note, Status>>>;

    fn items(items: Vec<Result<Note, Status>>) -> Items {
        tokio_stream::iter(items)
    }

    #[tokio::test]
    async fn a_stream_nobody_hooked_into_is_polled_as_its_own_type() {
        let mut stream = MessageStream::new(items(vec![Ok(note("a")), Ok(note("b"))]));
        assert!(stream.take_source::<Items>().is_some());
        let stream = MessageStream::new(items(vec![Ok(note("a")), Ok(note("b"))]));
        assert_eq!(
            sent::<Items>(stream).await,
            [Ok("a".to_owned()), Ok("b".to_owned())]
        );
    }

    #[tokio::test]
    async fn a_hooked_stream_runs_its_hooks() {
        let mut stream = MessageStream::new(items(vec![Ok(note("a")), Ok(note("b"))]));
        stream.for_each_mut(|n| {
            n.text.make_ascii_uppercase();
            Ok(())
        });
        assert!(stream.take_source::<Items>().is_none());
        assert_eq!(
            sent::<Items>(stream).await,
            [Ok("A".to_owned()), Ok("B".to_owned())]
        );
    }

    #[tokio::test]
    async fn an_ok_status_at_the_end_carries_trailers() {
        let mut trailers = MetadataMap::new();
        trailers.insert("x-total", "2".parse().unwrap());
        let with_trailers = Status::with_metadata(Code::Ok, "", trailers);
        let stream = MessageStream::new(items(vec![Ok(note("a")), Err(with_trailers)]));
        assert_eq!(
            sent::<Items>(stream).await,
            [Ok("a".to_owned()), Err((Code::Ok, Some("2".to_owned())))]
        );
        // With a hook, through the `MessageStream`: the same trailers.
        let mut trailers = MetadataMap::new();
        trailers.insert("x-total", "2".parse().unwrap());
        let with_trailers = Status::with_metadata(Code::Ok, "", trailers);
        let mut stream = MessageStream::new(items(vec![Ok(note("a")), Err(with_trailers)]));
        stream.for_each_mut(|_| Ok(()));
        assert_eq!(
            sent::<Items>(stream).await,
            [Ok("a".to_owned()), Err((Code::Ok, Some("2".to_owned())))]
        );
    }

    /// Panics on its second poll.
    struct Boom(bool);

    impl Stream for Boom {
        type Item = Result<Note, Status>;

        fn poll_next(
            mut self: Pin<&mut Self>,
            _: &mut TaskContext<'_>,
        ) -> Poll<Option<Self::Item>> {
            assert!(!std::mem::replace(&mut self.0, true), "boom");
            Poll::Ready(Some(Ok(note("a"))))
        }
    }

    #[tokio::test]
    async fn a_panic_polled_directly_ends_the_stream_with_unknown() {
        let stream = MessageStream::new(Boom(false));
        let sent = sent::<Boom>(stream).await;
        assert_eq!(sent.len(), 2, "{sent:?}");
        assert_eq!(sent[0], Ok("a".to_owned()));
        assert!(matches!(&sent[1], Err((Code::Unknown, _))), "{sent:?}");
    }
}
