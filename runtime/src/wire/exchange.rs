//! One call on the wire path, on either side: the HTTP request becomes the interceptors'
//! `Request` of a raw [`MessageStream`] ([`incoming`]), the chain runs around a terminal that
//! sends each attempt to the inner service ([`run`]), the response head that comes back
//! becomes a `Response` of a raw stream again ([`answered`]), and the result is framed into
//! an HTTP response ([`respond`]).
//!
//! The client's call (`client::call`) and the server layer's (`server::layer`) are mirror
//! images: on a client the application hands the request in and the channel answers; on a
//! server the peer hands it in and the inner service answers. What differs is which side's
//! messages are limited, and what happens at the edges (a reset request on a client, caught
//! panics and a guarded response body on a server).

use std::sync::Arc;

use tonic::codegen::http::{self, HeaderMap};
use tonic::metadata::{GRPC_CONTENT_TYPE, MetadataMap};
use tonic::{Code, Status};

use super::{Abort, Ending, Panics, RawBody, Wanted, encode_request, encode_response, find, split};
use crate::{MessageStream, Request, Response, WireMessage};

pub(crate) use super::chain::{Closing, Ended, Finish, run, run_with};

/// The message size limits of the wire path; `None` is tonic's default.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Limits {
    /// The largest message read from the peer: a response on a client, a request on a
    /// server (tonic's default: 4 MiB).
    pub(crate) decoding: Option<usize>,
    /// The largest message sent to the peer: a request on a client, a response on a server
    /// (tonic's default: no limit).
    pub(crate) encoding: Option<usize>,
}

/// What a layer hands every service it makes: its interceptors (shared) and its limits.
#[derive(Debug)]
pub(crate) struct Shared<I> {
    pub(crate) interceptors: Arc<I>,
    pub(crate) limits: Limits,
}

impl<I> Shared<I> {
    pub(crate) fn new(interceptors: I) -> Self {
        Self {
            interceptors: Arc::new(interceptors),
            limits: Limits::default(),
        }
    }
}

impl<I> Clone for Shared<I> {
    fn clone(&self) -> Self {
        Self {
            interceptors: Arc::clone(&self.interceptors),
            limits: self.limits,
        }
    }
}

/// What the terminal needs to rebuild the HTTP request for each attempt.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    method: http::Method,
    uri: http::Uri,
    version: http::Version,
}

impl Target {
    /// The HTTP request of one attempt.
    #[inline(always)]
    pub(crate) fn request(
        self,
        body: tonic::body::Body,
        headers: HeaderMap,
        extensions: http::Extensions,
    ) -> http::Request<tonic::body::Body> {
        let mut http = http::Request::new(body);
        *http.method_mut() = self.method;
        *http.uri_mut() = self.uri;
        *http.version_mut() = self.version;
        set_empty(http.headers_mut(), headers);
        *http.extensions_mut() = extensions;
        http
    }
}

/// The request as the interceptors see it, its body raw (split only if they read it), its
/// messages read up to `max_message_size`; and what each attempt sends it to.
#[inline(always)]
pub(crate) fn incoming(
    request: http::Request<tonic::body::Body>,
    max_message_size: Option<usize>,
) -> (Target, Request<MessageStream<WireMessage>>) {
    let (parts, body) = request.into_parts();
    let target = Target {
        method: parts.method,
        uri: parts.uri,
        version: parts.version,
    };
    let wanted = Wanted {
        encoding: true,
        ..Wanted::default()
    };
    let encoding = find(&parts.headers, wanted).encoding;
    let body = RawBody::request(body, encoding, max_message_size);
    let request = Request::from_parts(
        MetadataMap::from_headers(parts.headers),
        parts.extensions,
        MessageStream::from_raw(body, split),
    );
    (target, request)
}

/// The body of an attempt, and its `headers` made to match: the body as it came if nothing
/// touched its messages (with the `grpc-encoding` it came with), else its messages framed
/// again by [`encode_request`], each at most `max_message_size` bytes, with the [`Abort`]
/// that `abort` gives, if any. The headers get a gRPC `content-type` if they lost it.
pub(crate) fn attempt_body(
    stream: MessageStream<WireMessage>,
    headers: &mut HeaderMap,
    max_message_size: Option<usize>,
    abort: impl FnOnce() -> Option<Abort>,
) -> tonic::body::Body {
    framed_body(stream, headers, max_message_size, false, abort)
}

/// [`attempt_body`] for a client's request: its headers also get `te: trailers` back, should
/// an interceptor have removed it from the metadata (by replacing the whole map, say): a
/// server may refuse the call without it.
#[inline(always)]
pub(crate) fn client_attempt_body(
    stream: MessageStream<WireMessage>,
    headers: &mut HeaderMap,
    max_message_size: Option<usize>,
    abort: impl FnOnce() -> Option<Abort>,
) -> tonic::body::Body {
    framed_body(stream, headers, max_message_size, true, abort)
}

#[inline(always)]
fn framed_body(
    stream: MessageStream<WireMessage>,
    headers: &mut HeaderMap,
    max_message_size: Option<usize>,
    te: bool,
    abort: impl FnOnce() -> Option<Abort>,
) -> tonic::body::Body {
    let wanted = Wanted {
        content_type: true,
        te,
        encoding: true,
        status: false,
    };
    let found = find(headers, wanted);
    let content_type = found.content_type.is_some_and(is_grpc);
    let te = !te || found.te == Some(&TRAILERS);
    let body = match stream.into_raw() {
        Ok(raw) => {
            if !raw.same_encoding(found.encoding) {
                raw.restore_encoding(headers);
            }
            raw.body
        }
        Err(stream) => encode_request(stream, found.encoding, max_message_size, abort()),
    };
    if !content_type {
        set_content_type(headers);
    }
    if !te {
        set_te(headers);
    }
    body
}

const TRAILERS: http::HeaderValue = http::HeaderValue::from_static("trailers");

/// Puts back `te: trailers` (see [`client_attempt_body`]).
#[cold]
fn set_te(headers: &mut HeaderMap) {
    headers.insert(http::header::TE, TRAILERS);
}

/// The response to an attempt, from its HTTP response head: an error when the status came
/// with the headers (a trailers-only response), else a stream of the body's messages read up
/// to `max_message_size`, ending with the status of its trailers.
#[inline(always)]
pub(crate) fn answered(
    parts: http::response::Parts,
    body: tonic::body::Body,
    max_message_size: Option<usize>,
) -> Result<Response<MessageStream<WireMessage>>, Status> {
    let wanted = Wanted {
        encoding: true,
        status: true,
        ..Wanted::default()
    };
    let found = find(&parts.headers, wanted);
    // Most responses carry their status in the trailers: no need to parse the headers.
    let body = match found
        .status
        .then(|| Status::from_header_map(&parts.headers))
        .flatten()
    {
        Some(status) if status.code() != Code::Ok => return Err(status),
        Some(status) => MessageStream::new(tokio_stream::once(Err(status))),
        None => {
            let raw = RawBody::response(body, parts.status, found.encoding, max_message_size);
            MessageStream::from_raw(raw, split)
        }
    };
    Ok(Response::from_parts(
        MetadataMap::from_headers(parts.headers),
        body,
        parts.extensions,
    ))
}

/// The HTTP response the interceptors' response stands for: its body as it came if
/// nothing touched its messages (with its HTTP status and `grpc-encoding`), else its
/// messages framed again, each at most `max_message_size` bytes. With `panics` (on a
/// server), a panic of the stream is caught into it, and a body whose stream has nothing
/// but end hooks goes on as it came, the hooks running at its end.
#[inline(always)]
pub(crate) fn respond(
    response: Response<MessageStream<WireMessage>>,
    max_message_size: Option<usize>,
    panics: Option<Panics>,
) -> http::Response<tonic::body::Body> {
    let (metadata, stream, extensions) = response.into_parts();
    let mut headers = metadata.into_headers();
    // On a server, end hooks alone (`ExceptionToStatus`'s) let the body go on as it came:
    // they run at its end.
    enum Outgoing {
        /// The body as it came.
        Raw(RawBody),
        /// The body as it came, then the end hooks of the stream.
        Ending(RawBody, MessageStream<WireMessage>, Panics),
        /// The stream's messages, framed again.
        Framed(MessageStream<WireMessage>),
    }
    let outgoing = match stream.into_raw() {
        Ok(raw) => Outgoing::Raw(raw),
        Err(mut stream) => match &panics {
            Some(panics) => match stream.take_raw_ending() {
                Some(raw) => Outgoing::Ending(raw, stream, panics.clone()),
                None => Outgoing::Framed(stream),
            },
            None => Outgoing::Framed(stream),
        },
    };
    let wanted = Wanted {
        content_type: true,
        encoding: true,
        ..Wanted::default()
    };
    let found = find(&headers, wanted);
    let content_type = found.content_type.is_some_and(is_grpc);
    let (raw, body) = match outgoing {
        Outgoing::Raw(raw) => (raw, None),
        Outgoing::Ending(raw, stream, panics) => (raw, Some((stream, panics))),
        Outgoing::Framed(stream) => {
            let body = encode_response(stream, found.encoding, max_message_size, panics);
            let mut http = http::Response::new(body);
            if !content_type {
                set_content_type(&mut headers);
            }
            set_empty(http.headers_mut(), headers);
            *http.extensions_mut() = extensions;
            return http;
        }
    };
    if !raw.same_encoding(found.encoding) {
        raw.restore_encoding(&mut headers);
    }
    let status = raw.status.unwrap_or_default();
    let body = match body {
        None => raw.body,
        Some((stream, panics)) => tonic::body::Body::new(Ending::new(raw.body, stream, panics)),
    };
    let mut http = http::Response::new(body);
    *http.status_mut() = status;
    if !content_type {
        set_content_type(&mut headers);
    }
    set_empty(http.headers_mut(), headers);
    *http.extensions_mut() = extensions;
    http
}

/// Puts `headers` in place of the empty map a new request or response has: an empty map
/// allocated nothing, so it is forgotten rather than dropped (its drop glue costs about 50
/// instructions, twice a call).
#[inline(always)]
fn set_empty(slot: &mut HeaderMap, headers: HeaderMap) {
    let empty = std::mem::replace(slot, headers);
    if empty.capacity() == 0 {
        std::mem::forget(empty);
    }
}

/// Whether a `content-type` is gRPC's (`application/grpc`, `application/grpc+proto`, ...).
pub(crate) fn is_grpc(value: &http::HeaderValue) -> bool {
    value.as_bytes().starts_with(b"application/grpc")
}

/// Puts back a gRPC `content-type`, should an interceptor have removed it from the
/// metadata (by replacing the whole map, say): the peer may refuse the call without it.
#[cold]
fn set_content_type(headers: &mut HeaderMap) {
    headers.insert(http::header::CONTENT_TYPE, GRPC_CONTENT_TYPE);
}
