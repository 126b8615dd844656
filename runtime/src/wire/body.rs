//! Framing messages again with tonic's own encoder ([`encode_request`],
//! [`encode_response`]), and the request and response bodies around the inner service:
//! cancellation kept apart from a clean end, an error in the request stream reaching the
//! caller ([`Abort`]).

use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context as TaskContext, Poll, ready};

use bytes::Bytes;
use http_body::Frame;
use tokio_stream::Stream;
use tonic::codec::EncodeBody;
use tonic::codegen::http::{HeaderMap, HeaderValue};
use tonic::{Code, Status};

use super::codec::{PassThrough, compression};
use crate::errors::exception_to_status::panic_status;
use crate::{MessageStream, WireMessage};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The panics caught in one response body, on a server: caught where they happen (so that
/// the messages before them still go out), told to the end hooks where the body ends.
#[derive(Clone, Debug, Default)]
pub(crate) struct Panics(Arc<AtomicBool>);

impl Panics {
    /// Runs `f`, catching a panic in it; gives the status it stands for.
    pub(crate) fn catch<R>(&self, f: impl FnOnce() -> R) -> Result<R, Status> {
        self.catch_payload(f)
            .map_err(|payload| panic_status(&*payload))
    }

    /// Runs `f`, catching a panic in it; gives its payload.
    pub(crate) fn catch_payload<R>(
        &self,
        f: impl FnOnce() -> R,
    ) -> Result<R, Box<dyn std::any::Any + Send>> {
        panic::catch_unwind(AssertUnwindSafe(f)).inspect_err(|_| {
            self.0.store(true, Ordering::Release);
        })
    }

    /// Whether a panic was caught.
    pub(crate) fn caught(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// The uncompressed bytes of a stream's messages, for tonic's encoder.
struct Outgoing {
    stream: MessageStream<WireMessage>,
    /// Whether this is a request: its stream ends with its last message, as a request has
    /// no trailers; a response's final status goes to the encoder, for the trailers.
    request: bool,
    /// Where a panic of the stream ends it with its status, after the messages the encoder
    /// has already taken (a panic through the encoder would lose them).
    panics: Option<Panics>,
    done: bool,
}

impl Stream for Outgoing {
    type Item = Result<Bytes, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        let this = &mut *self;
        let polled = match &this.panics {
            None => Pin::new(&mut this.stream).poll_next(cx),
            Some(panics) => match panics.catch(|| Pin::new(&mut this.stream).poll_next(cx)) {
                Ok(polled) => polled,
                Err(status) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(status)));
                }
            },
        };
        Poll::Ready(match ready!(polled) {
            Some(Ok(message)) => Some(Ok(message.into_bytes())),
            Some(Err(status)) if self.request && status.code() == Code::Ok => None,
            Some(Err(status)) => Some(Err(status)),
            None => None,
        })
    }
}

/// A response stream framed again by tonic's server-side encoder, compressed as its
/// `grpc-encoding` header (`encoding`) says, each message at most `max_message_size` bytes (tonic's
/// default: no limit): messages, then the trailers of the stream's final status.
/// An error item is that status (with its metadata); an OK item carries the trailing
/// metadata; a stream that just ends gets a bare OK. A message over the limit ends the
/// stream with tonic's status for it. With `panics`, a panic of the stream ends it with the
/// UNKNOWN status it stands for.
pub(crate) fn encode_response(
    stream: MessageStream<WireMessage>,
    encoding: Option<&HeaderValue>,
    max_message_size: Option<usize>,
    panics: Option<Panics>,
) -> tonic::body::Body {
    let compression = compression(encoding).unwrap_or(None);
    let outgoing = Outgoing {
        stream,
        request: false,
        panics,
        done: false,
    };
    tonic::body::Body::new(EncodeBody::new_server(
        PassThrough,
        outgoing,
        compression,
        Default::default(),
        max_message_size,
    ))
}

/// A request stream framed again by tonic's client-side encoder, compressed as its
/// `grpc-encoding` header (`encoding`) says, each message at most `max_message_size` bytes (tonic's
/// default: no limit).
///
/// With `abort` (a request going out on a connection), an error (in the stream, or a
/// message over the limit) resets the HTTP/2 stream with CANCEL and goes to `abort` for
/// the caller to see. Without it (a request going to a service in the same process), the
/// error is the body's, a `Status` that tonic's decoder hands to the service as it is.
pub(crate) fn encode_request(
    stream: MessageStream<WireMessage>,
    encoding: Option<&HeaderValue>,
    max_message_size: Option<usize>,
    abort: Option<Abort>,
) -> tonic::body::Body {
    let compression = compression(encoding).unwrap_or(None);
    let outgoing = Outgoing {
        stream,
        request: true,
        panics: None,
        done: false,
    };
    let body = EncodeBody::new_client(PassThrough, outgoing, compression, max_message_size);
    match abort {
        Some(abort) => tonic::body::Body::new(Sending { body, abort }),
        None => tonic::body::Body::new(body),
    }
}

/// The status a request stream failed with while it was being sent: the request body
/// puts it here, the response side takes it, so that the caller sees it rather than the
/// reset that ended the HTTP/2 stream.
#[derive(Clone, Default)]
pub(crate) struct Abort(Arc<Mutex<Option<Status>>>);

impl Abort {
    fn set(&self, status: Status) {
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        slot.get_or_insert(status);
    }

    /// The status the request failed with, if it did.
    pub(crate) fn take(&self) -> Option<Status> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

pin_project_lite::pin_project! {
    /// A request body that, on an error, hands the status to the caller through
    /// [`Abort`] and gives hyper an error that resets the stream with CANCEL.
    struct Sending<B> {
        #[pin]
        body: B,
        abort: Abort,
    }
}

impl<B> http_body::Body for Sending<B>
where
    B: http_body::Body<Data = Bytes, Error = Status>,
{
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        let this = self.project();
        match ready!(this.body.poll_frame(cx)) {
            Some(Err(status)) => {
                this.abort.set(status);
                let mut cancel = Status::cancelled("the request stream failed");
                // hyper resets the stream with the h2 reason in the error's sources.
                cancel.set_source(Arc::new(h2::Error::from(h2::Reason::CANCEL)));
                Poll::Ready(Some(Err(cancel)))
            }
            frame => Poll::Ready(frame),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// A response body from the channel, as the app's side takes it: when the request was
/// encoded again (and so may fail while it is sent), the body checks `abort` at its end.
pub(crate) fn received<B>(body: B, abort: Option<Abort>) -> tonic::body::Body
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    match abort {
        // Keeps a body that already is a `tonic::body::Body` as it is.
        None => tonic::body::Body::new(body),
        Some(abort) => tonic::body::Body::new(Received {
            body,
            abort,
            done: false,
        }),
    }
}

pin_project_lite::pin_project! {
    /// A response body whose request failed while it was being sent ([`Abort`]) ends with
    /// that status in its trailers, in place of whatever ended it (usually the reset that
    /// the failure caused).
    struct Received<B> {
        #[pin]
        body: B,
        abort: Abort,
        done: bool,
    }
}

impl<B> http_body::Body for Received<B>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.project();
        if *this.done {
            return Poll::Ready(None);
        }
        let frame = ready!(this.body.poll_frame(cx));
        if let Some(Ok(data)) = &frame
            && data.is_data()
        {
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        match this.abort.take() {
            Some(status) => {
                *this.done = true;
                let mut trailers = HeaderMap::new();
                Poll::Ready(Some(match status.add_header(&mut trailers) {
                    Ok(()) => Ok(Frame::trailers(trailers)),
                    Err(status) => Err(status.into()),
                }))
            }
            None => {
                // The body's end (or error): nothing more comes.
                *this.done = !matches!(frame, Some(Ok(_)));
                Poll::Ready(frame.map(|frame| frame.map_err(Into::into)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        // Not before the end has been checked.
        self.done
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}
