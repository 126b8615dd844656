//! Splitting an encoded gRPC body into [`WireMessage`](crate::WireMessage)s with tonic's own
//! decoder ([`RawBody`], [`split`]), so that lengths, limits, compression and the final
//! status are read exactly as a tonic client reads them.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll, ready};

use bytes::{Buf, BufMut, Bytes};
use http_body::Frame;
use tokio_stream::Stream;
use tonic::codec::{CompressionEncoding, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use tonic::metadata::MetadataMap;
use tonic::{Code, Status};

use crate::WireMessage;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type BoxStream<M> = Pin<Box<dyn Stream<Item = Result<M, Status>> + Send>>;

/// The header that names the compression of a call's messages (a `HeaderName`, so that
/// looking it up parses nothing).
pub(crate) const GRPC_ENCODING: HeaderName = HeaderName::from_static("grpc-encoding");

/// An encoded gRPC body as it came: a request (from the generated client, or from the
/// peer on a server), or a response (from the channel, or from the inner service on a
/// server). It goes on whole when nothing reads its messages; [`split`] decodes it
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
    /// A request body, whose messages are read up to `max_message_size`: the peer's, on a
    /// server; on a client, the generated client's own, already within its
    /// `max_encoding_message_size` (so read without a limit).
    /// `encoding` is the request's `grpc-encoding`.
    pub(crate) fn request(
        body: tonic::body::Body,
        encoding: Option<&HeaderValue>,
        max_message_size: Option<usize>,
    ) -> Self {
        Self {
            body,
            status: None,
            encoding: encoding.cloned(),
            max_message_size,
        }
    }

    /// A response body, whose messages are read up to `max_message_size`: the peer's, on
    /// a client; on a server, the inner service's own (read without a limit).
    /// `encoding` is the response's `grpc-encoding`.
    pub(crate) fn response(
        body: tonic::body::Body,
        status: StatusCode,
        encoding: Option<&HeaderValue>,
        max_message_size: Option<usize>,
    ) -> Self {
        Self {
            body,
            status: Some(status),
            encoding: encoding.cloned(),
            max_message_size,
        }
    }

    /// Whether `encoding` (the `grpc-encoding` of the headers the body goes on with) is
    /// the one the body came with.
    pub(crate) fn same_encoding(&self, encoding: Option<&HeaderValue>) -> bool {
        encoding == self.encoding.as_ref()
    }

    /// Sets `grpc-encoding` in `headers` to the one the body came with, whatever an
    /// interceptor did to it: the body's messages are compressed with that one. Called
    /// when [`same_encoding`](Self::same_encoding) says they differ.
    #[cold]
    pub(crate) fn restore_encoding(&self, headers: &mut HeaderMap) {
        match &self.encoding {
            Some(encoding) => headers.insert(GRPC_ENCODING, encoding.clone()),
            None => headers.remove(&GRPC_ENCODING),
        };
    }
}

/// The compression that a `grpc-encoding` header names, if this build supports it.
pub(super) fn compression(
    encoding: Option<&HeaderValue>,
) -> Result<Option<CompressionEncoding>, Status> {
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
pub(super) struct PassThrough;

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
