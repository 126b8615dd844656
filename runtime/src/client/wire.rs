//! [`WireMessage`]: a message as it travels between a client and its channel, decoded only
//! when an interceptor asks for it; and the gRPC framing around it, which is tonic's own
//! codec (`tonic::codec::Streaming` to split a body into messages, `EncodeBody` to frame
//! them again), so that lengths, limits, compression and the final status are read and
//! written exactly as a tonic client does.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context as TaskContext, Poll, ready};

use bytes::{Buf, BufMut, Bytes};
use http_body::Frame;
use tokio_stream::Stream;
use tonic::codec::{CompressionEncoding, DecodeBuf, Decoder, EncodeBody, EncodeBuf, Encoder};
use tonic::codegen::http::{HeaderMap, HeaderValue, StatusCode};
use tonic::metadata::MetadataMap;
use tonic::{Code, Status};

use crate::MessageStream;

/// A gRPC message on the wire path (a client's channel): the encoded bytes, decoded on
/// demand into the type an interceptor asks for, and re-encoded only if it was changed.
///
/// ```
/// use grpc_interceptor::WireMessage;
///
/// # #[derive(Clone, PartialEq, prost::Message)]
/// # struct Hello { #[prost(string, tag = "1")] name: String }
/// let mut message = WireMessage::new(Hello { name: "ferris".into() });
/// assert_eq!(message.get::<Hello>().unwrap().name, "ferris");
/// message.get_mut::<Hello>().unwrap().name.make_ascii_uppercase();
/// let encoded = message.encoded().clone();
/// assert_eq!(WireMessage::from_bytes(encoded).get::<Hello>().unwrap().name, "FERRIS");
/// ```
pub struct WireMessage {
    /// The encoded message, never compressed: the codec decompresses what it splits off a
    /// body, and compresses again what it frames.
    encoded: Bytes,
    decoded: Option<Box<dyn Decoded>>,
    changed: bool,
}

trait Decoded: Any + Send + Sync {
    fn encode(&self) -> Bytes;
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
    fn clone_box(&self) -> Box<dyn Decoded>;
}

impl<T: prost::Message + Clone + 'static> Decoded for T {
    fn encode(&self) -> Bytes {
        self.encode_to_vec().into()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn clone_box(&self) -> Box<dyn Decoded> {
        Box::new(self.clone())
    }
}

impl WireMessage {
    /// A message from its encoded (uncompressed) bytes.
    pub fn from_bytes(encoded: Bytes) -> Self {
        Self {
            encoded,
            decoded: None,
            changed: false,
        }
    }

    /// A message from a value, encoded when it is sent.
    pub fn new<T: prost::Message + Clone + 'static>(message: T) -> Self {
        Self {
            encoded: Bytes::new(),
            decoded: Some(Box::new(message)),
            changed: true,
        }
    }

    /// The message decoded as `T` (decoded once, then kept).
    pub fn get<T: prost::Message + Default + Clone + 'static>(&mut self) -> Result<&T, Status> {
        self.decode::<T>()?;
        self.decoded
            .as_deref()
            .and_then(|d| d.as_any().downcast_ref())
            .ok_or_else(|| Status::internal("decoded message has another type"))
    }

    /// The message decoded as `T`, to change; it is re-encoded when sent.
    pub fn get_mut<T: prost::Message + Default + Clone + 'static>(
        &mut self,
    ) -> Result<&mut T, Status> {
        self.decode::<T>()?;
        self.changed = true;
        self.decoded
            .as_deref_mut()
            .and_then(|d| d.as_any_mut().downcast_mut())
            .ok_or_else(|| Status::internal("decoded message has another type"))
    }

    /// Replaces the message.
    pub fn set<T: prost::Message + Clone + 'static>(&mut self, message: T) {
        *self = Self::new(message);
    }

    /// The encoded bytes, re-encoded first if the message was changed.
    pub fn encoded(&mut self) -> &Bytes {
        self.sync();
        &self.encoded
    }

    /// The length of the encoded bytes, unless the message was changed since they were made.
    pub(crate) fn known_len(&self) -> Option<usize> {
        (!self.changed).then_some(self.encoded.len())
    }

    fn sync(&mut self) {
        if self.changed {
            if let Some(decoded) = &self.decoded {
                self.encoded = decoded.encode();
            }
            self.changed = false;
        }
    }

    fn decode<T: prost::Message + Default + Clone + 'static>(&mut self) -> Result<(), Status> {
        if self
            .decoded
            .as_deref()
            .is_some_and(|d| d.as_any().is::<T>())
        {
            return Ok(());
        }
        self.sync();
        let message = T::decode(self.encoded.clone())
            .map_err(|err| Status::internal(format!("cannot decode the message: {err}")))?;
        self.decoded = Some(Box::new(message));
        Ok(())
    }

    /// The encoded bytes, re-encoded first if the message was changed.
    fn into_bytes(mut self) -> Bytes {
        self.sync();
        self.encoded
    }
}

impl Clone for WireMessage {
    fn clone(&self) -> Self {
        Self {
            encoded: self.encoded.clone(),
            decoded: self.decoded.as_ref().map(|d| d.clone_box()),
            changed: self.changed,
        }
    }
}

impl fmt::Debug for WireMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WireMessage")
            .field("len", &self.encoded.len())
            .field("decoded", &self.decoded.is_some())
            .finish()
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type BoxStream<M> = Pin<Box<dyn Stream<Item = Result<M, Status>> + Send>>;

/// The header that names the compression of a call's messages.
pub(crate) const GRPC_ENCODING: &str = "grpc-encoding";

/// An encoded gRPC body as it came: a request from the generated client, or a response
/// from the channel. It goes on whole when nothing reads its messages; [`split`] decodes it
/// otherwise.
pub(crate) struct RawBody {
    pub(crate) body: tonic::body::Body,
    /// The HTTP status of a response; `None` for a request.
    pub(crate) status: Option<StatusCode>,
    /// The `grpc-encoding` the messages came with, which the body must go on with.
    pub(crate) encoding: Option<HeaderValue>,
    /// The largest message [`split`] reads; `None` for tonic's default, 4 MiB.
    max_message_size: Option<usize>,
}

impl RawBody {
    /// A request body from the generated client: the client's own messages, already
    /// within its `max_encoding_message_size`, so read without a limit.
    pub(crate) fn request(body: tonic::body::Body, headers: &HeaderMap) -> Self {
        Self {
            body,
            status: None,
            encoding: headers.get(GRPC_ENCODING).cloned(),
            max_message_size: Some(usize::MAX),
        }
    }

    /// A response body from the channel, whose messages are read up to `max_message_size`.
    pub(crate) fn response(
        body: tonic::body::Body,
        status: StatusCode,
        headers: &HeaderMap,
        max_message_size: Option<usize>,
    ) -> Self {
        Self {
            body,
            status: Some(status),
            encoding: headers.get(GRPC_ENCODING).cloned(),
            max_message_size,
        }
    }

    /// Sets `grpc-encoding` in `headers` to the one the body came with, whatever an
    /// interceptor did to it: the body's messages are compressed with that one.
    pub(crate) fn restore_encoding(&self, headers: &mut HeaderMap) {
        if headers.get(GRPC_ENCODING) == self.encoding.as_ref() {
            return;
        }
        match &self.encoding {
            Some(encoding) => headers.insert(GRPC_ENCODING, encoding.clone()),
            None => headers.remove(GRPC_ENCODING),
        };
    }
}

/// The compression that a `grpc-encoding` header names, if this build supports it.
fn compression(encoding: Option<&HeaderValue>) -> Result<Option<CompressionEncoding>, Status> {
    let Some(encoding) = encoding else {
        return Ok(None);
    };
    match encoding.as_bytes() {
        b"identity" => Ok(None),
        #[cfg(feature = "gzip")]
        b"gzip" => Ok(Some(CompressionEncoding::Gzip)),
        #[cfg(feature = "zstd")]
        b"zstd" => Ok(Some(CompressionEncoding::Zstd)),
        #[cfg(feature = "deflate")]
        b"deflate" => Ok(Some(CompressionEncoding::Deflate)),
        other => {
            let name = String::from_utf8_lossy(other);
            let hint = match &*name {
                "gzip" | "zstd" | "deflate" => {
                    format!(": enable the `{name}` feature of grpc-interceptor")
                }
                _ => String::new(),
            };
            Err(Status::unimplemented(format!(
                "an interceptor cannot read messages compressed with `{name}`{hint}"
            )))
        }
    }
}

/// Splits a raw body into its messages with tonic's decoder, which reads each length
/// prefix before it buffers the message (a message over the limit ends the stream, as in a
/// tonic client), decompresses, and ends a response's stream with the status a tonic
/// client would report: the one in the trailers, or the one it infers when there is none.
///
/// A response's trailers become the final item: an error status, or an OK status that
/// carries the trailing metadata. An encoding this build cannot decompress ends the stream
/// with UNIMPLEMENTED at once.
pub(crate) fn split(raw: RawBody) -> BoxStream<WireMessage> {
    let encoding = match compression(raw.encoding.as_ref()) {
        Ok(encoding) => encoding,
        Err(status) => return Box::pin(tokio_stream::once(Err(status))),
    };
    let messages = match raw.status {
        None => tonic::codec::Streaming::new_request(
            PassThrough,
            RequestBody { body: raw.body },
            encoding,
            raw.max_message_size,
        ),
        Some(status) => tonic::codec::Streaming::new_response(
            PassThrough,
            raw.body,
            status,
            encoding,
            raw.max_message_size,
        ),
    };
    Box::pin(Messages {
        messages,
        response: raw.status.is_some(),
        done: false,
    })
}

/// tonic's codec with the message bytes as they are: the framing (and compression) is
/// tonic's, the message encoding is [`WireMessage`]'s.
struct PassThrough;

impl Decoder for PassThrough {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

impl Encoder for PassThrough {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.reserve(item.len());
        dst.put_slice(&item);
        Ok(())
    }
}

/// The messages of a split body, then its trailers.
struct Messages {
    messages: tonic::codec::Streaming<Bytes>,
    response: bool,
    done: bool,
}

impl Stream for Messages {
    type Item = Result<WireMessage, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        let item = match ready!(Pin::new(&mut self.messages).poll_next(cx)) {
            Some(Ok(bytes)) => return Poll::Ready(Some(Ok(WireMessage::from_bytes(bytes)))),
            Some(Err(status)) => Some(Err(uncover(status))),
            // tonic's decoder has checked the trailers' grpc-status (OK, or the stream
            // would have ended with the error) and kept them: they are ready.
            None if self.response => {
                let trailers = ready!(std::pin::pin!(self.messages.trailers()).poll(cx));
                trailers.map_or_else(|status| Some(Err(status)), ok_with_trailers)
            }
            None => None,
        };
        self.done = true;
        Poll::Ready(item)
    }
}

/// The final item of a response stream that ended OK: an OK status carrying the trailing
/// metadata, if there is any besides the status.
fn ok_with_trailers(trailers: Option<MetadataMap>) -> Option<Result<WireMessage, Status>> {
    let mut trailers = trailers?.into_headers();
    trailers.remove(Status::GRPC_STATUS);
    trailers.remove(Status::GRPC_MESSAGE);
    trailers.remove(Status::GRPC_STATUS_DETAILS);
    if trailers.is_empty() {
        return None;
    }
    let trailers = MetadataMap::from_headers(trailers);
    Some(Err(Status::with_metadata(Code::Ok, "", trailers)))
}

pin_project_lite::pin_project! {
    /// A request body on its way to tonic's decoder, which takes a CANCELLED error of a
    /// request body for its end: the client's cancellation is hidden in a [`Cancelled`]
    /// error, which [`uncover`] turns back into the status.
    struct RequestBody {
        #[pin]
        body: tonic::body::Body,
    }
}

impl http_body::Body for RequestBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.project().body.poll_frame(cx).map_err(|status| {
            if status.code() == Code::Cancelled {
                Box::new(Cancelled(status)) as BoxError
            } else {
                Box::new(status) as BoxError
            }
        })
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// A request body's CANCELLED error, on its way through tonic's decoder.
#[derive(Debug)]
struct Cancelled(Status);

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Cancelled {}

/// The status a decoder error stands for: a request body's cancellation comes back as
/// the CANCELLED status it was.
fn uncover(status: Status) -> Status {
    let source = std::error::Error::source(&status);
    match source.and_then(|source| source.downcast_ref::<Cancelled>()) {
        Some(Cancelled(cancelled)) => Status::with_details_and_metadata(
            cancelled.code(),
            cancelled.message(),
            Bytes::copy_from_slice(cancelled.details()),
            cancelled.metadata().clone(),
        ),
        None => status,
    }
}

/// The uncompressed bytes of a stream's messages, for tonic's encoder.
struct Outgoing {
    stream: MessageStream<WireMessage>,
    /// Whether this is a request: its stream ends with its last message, as a request has
    /// no trailers; a response's final status goes to the encoder, for the trailers.
    request: bool,
}

impl Stream for Outgoing {
    type Item = Result<Bytes, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(match ready!(Pin::new(&mut self.stream).poll_next(cx)) {
            Some(Ok(message)) => Some(Ok(message.into_bytes())),
            Some(Err(status)) if self.request && status.code() == Code::Ok => None,
            Some(Err(status)) => Some(Err(status)),
            None => None,
        })
    }
}

/// A response stream framed again by tonic's server-side encoder, compressed as its
/// `grpc-encoding` header says: messages, then the trailers of the stream's final status.
/// An error item is that status (with its metadata); an OK item carries the trailing
/// metadata; a stream that just ends gets a bare OK.
pub(crate) fn encode_response(
    stream: MessageStream<WireMessage>,
    headers: &HeaderMap,
) -> tonic::body::Body {
    let compression = compression(headers.get(GRPC_ENCODING)).unwrap_or(None);
    let outgoing = Outgoing {
        stream,
        request: false,
    };
    tonic::body::Body::new(EncodeBody::new_server(
        PassThrough,
        outgoing,
        compression,
        Default::default(),
        None,
    ))
}

/// A request stream framed again by tonic's client-side encoder, compressed as its
/// `grpc-encoding` header says, each message at most `max_message_size` bytes (tonic's
/// default: no limit). An error (in the stream, or a message over the limit) resets the
/// HTTP/2 stream with CANCEL, and goes to `abort` for the caller to see.
pub(crate) fn encode_request(
    stream: MessageStream<WireMessage>,
    headers: &HeaderMap,
    max_message_size: Option<usize>,
    abort: Abort,
) -> tonic::body::Body {
    let compression = compression(headers.get(GRPC_ENCODING)).unwrap_or(None);
    let outgoing = Outgoing {
        stream,
        request: true,
    };
    tonic::body::Body::new(Sending {
        body: EncodeBody::new_client(PassThrough, outgoing, compression, max_message_size),
        abort,
    })
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
