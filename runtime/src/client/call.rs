//! One call through a client's interceptors: the request from the generated client becomes
//! a `tonic::Request` of [`MessageStream`]s, runs the chain, and each attempt is sent over the
//! inner service; the response goes back to the application.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use bytes::Bytes;
use tonic::client::GrpcService;
use tonic::codegen::http;
use tonic::metadata::{GRPC_CONTENT_TYPE, MetadataMap};
use tonic::{GrpcMethod, Status};

use crate::context::CallState;
use crate::interceptor::link;
use crate::wire::{Abort, RawBody, encode_request, encode_response, received, split};
use crate::{
    CallInterceptor, Context, MessageStream, MethodName, Next, Payload, Request, Response, Side,
    WireMessage,
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

use super::Limits;

/// What the terminal needs to rebuild the HTTP request for each attempt.
#[derive(Clone)]
struct Target {
    method: http::Method,
    uri: http::Uri,
    version: http::Version,
}

pub(super) async fn call<S, I>(
    interceptors: &I,
    inner: S,
    limits: Limits,
    request: http::Request<tonic::body::Body>,
) -> Result<http::Response<tonic::body::Body>, BoxError>
where
    S: GrpcService<tonic::body::Body> + Clone + Send + Sync + 'static,
    S::Future: Send,
    S::ResponseBody: http_body::Body<Data = Bytes> + Send + 'static,
    <S::ResponseBody as http_body::Body>::Error: Into<BoxError>,
    I: CallInterceptor,
{
    let (parts, body) = request.into_parts();
    let method_name = match method_name(&parts) {
        Ok(name) => name,
        Err(status) => return Ok(status.into_http()),
    };
    let target = Target {
        method: parts.method,
        uri: parts.uri,
        version: parts.version,
    };
    let body = RawBody::request(body, &parts.headers);
    let request = Request::from_parts(
        MetadataMap::from_headers(parts.headers),
        parts.extensions,
        MessageStream::from_raw(body, split),
    );
    let state = CallState::default();
    let mut context = Context::new(Side::Client, &state);
    let state = &state;
    let terminal = link(move |mut request: Request<MessageStream<WireMessage>>| {
        if state.is_tracked() {
            crate::lifecycle::track_request(state, &mut request);
        }
        send(inner, target, limits, request)
    });
    let result = interceptors
        .intercept(Next::new(terminal), request, &mut context, &method_name)
        .await;
    let mut end = None;
    let result = match (state.take(), result) {
        (None, result) => result,
        (Some(mut outcome), result) => {
            let tracker = outcome.tracker.take().map(|mut tracker| {
                tracker.set_extensions(std::mem::take(&mut outcome.extensions));
                tracker
            });
            match result {
                Err(status) => {
                    let status = outcome.apply_to_status(status);
                    if let Some(tracker) = tracker {
                        tracker.fire(status.clone(), false);
                    }
                    Err(status)
                }
                Ok(mut response) => {
                    if let Some(tracker) = tracker {
                        response
                            .get_mut()
                            .count_messages(tracker.response_counter());
                        end = Some(tracker);
                    }
                    outcome.finish_stream(&mut response);
                    Ok(response)
                }
            }
        }
    };
    match result {
        // The call ends when the application has read the body to its end, or dropped it.
        Ok(response) => Ok(match end {
            None => respond(response),
            Some(end) => respond(response)
                .map(|body| tonic::body::Body::new(crate::lifecycle::EndBody::new(body, end))),
        }),
        // A status that stands for an error (the channel's, usually) goes to the generated
        // client as the service's error: it reports that very status, as it would have
        // without the interceptors.
        Err(status) if std::error::Error::source(&status).is_some() => Err(Box::new(status)),
        // A status the server or an interceptor answered with goes as a trailers-only
        // response.
        Err(status) => Ok(status.into_http()),
    }
}

/// The HTTP response for the app: the response body as it came if nothing touched its
/// messages (with its HTTP status and `grpc-encoding`), else its messages framed again.
fn respond(response: Response<MessageStream<WireMessage>>) -> http::Response<tonic::body::Body> {
    let (metadata, mut stream, extensions) = response.into_parts();
    let mut headers = metadata.into_headers();
    let mut http = match stream.take_raw() {
        Some(raw) => {
            raw.restore_encoding(&mut headers);
            let mut http = http::Response::new(raw.body);
            *http.status_mut() = raw.status.unwrap_or_default();
            http
        }
        None => http::Response::new(encode_response(stream, &headers)),
    };
    headers.insert(http::header::CONTENT_TYPE, GRPC_CONTENT_TYPE);
    *http.headers_mut() = headers;
    *http.extensions_mut() = extensions;
    http
}

fn method_name(parts: &http::request::Parts) -> Result<Cow<'static, MethodName>, Status> {
    match parts.extensions.get::<GrpcMethod<'static>>() {
        Some(method) => Ok(Cow::Borrowed(interned(method.service(), method.method()))),
        None => Ok(Cow::Owned(crate::parse_method_name(parts.uri.path())?)),
    }
}

/// The method name of a generated client's call, built once per method: tonic's
/// `GrpcMethod` holds the generated code's `'static` strings, so their addresses are the key.
fn interned(service: &str, method: &str) -> &'static MethodName {
    type Key = (usize, usize, usize, usize);
    static NAMES: Mutex<Option<HashMap<Key, &'static MethodName>>> = Mutex::new(None);
    thread_local! {
        /// A direct-mapped cache in front of `NAMES`, to skip the lock.
        static RECENT: Cell<[Option<(Key, &'static MethodName)>; 16]> = const { Cell::new([None; 16]) };
    }
    let key = (
        service.as_ptr() as usize,
        service.len(),
        method.as_ptr() as usize,
        method.len(),
    );
    let slot = (key.0 ^ key.2.rotate_left(7)) >> 3 & 15;
    let mut recent = RECENT.get();
    if let Some((cached, name)) = recent[slot]
        && cached == key
    {
        return name;
    }
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    let name = *names
        .get_or_insert_with(HashMap::new)
        .entry(key)
        .or_insert_with(|| Box::leak(Box::new(MethodName::from_service(service, method))));
    recent[slot] = Some((key, name));
    RECENT.set(recent);
    name
}

/// Sends one attempt over the inner service and reads the response head.
async fn send<S>(
    mut inner: S,
    target: Target,
    limits: Limits,
    request: Request<MessageStream<WireMessage>>,
) -> Result<Response<MessageStream<WireMessage>>, Status>
where
    S: GrpcService<tonic::body::Body> + Send,
    S::Future: Send,
    S::ResponseBody: http_body::Body<Data = Bytes> + Send + 'static,
    <S::ResponseBody as http_body::Body>::Error: Into<BoxError>,
{
    // What tonic's generated client makes of the channel's errors.
    let transport = |err: S::Error| Status::from_error(err.into());
    std::future::poll_fn(|cx| inner.poll_ready(cx))
        .await
        .map_err(transport)?;
    let (metadata, extensions, mut body) = request.into_parts();
    let mut headers = metadata.into_headers();
    let (body, abort) = match body.take_raw() {
        Some(raw) => {
            raw.restore_encoding(&mut headers);
            (raw.body, None)
        }
        None => {
            let abort = Abort::default();
            let encoded = encode_request(body, &headers, limits.encoding, abort.clone());
            (encoded, Some(abort))
        }
    };
    restore_reserved(&mut headers);
    let mut http = http::Request::new(body);
    *http.method_mut() = target.method;
    *http.uri_mut() = target.uri;
    *http.version_mut() = target.version;
    *http.headers_mut() = headers;
    *http.extensions_mut() = extensions;
    // A failure of the request stream ends the call with its status, whatever the reset
    // it caused did to the response.
    let aborted = |abort: &Option<Abort>| abort.as_ref().and_then(Abort::take);
    let (parts, body) = match inner.call(http).await {
        Ok(response) => response.into_parts(),
        Err(err) => return Err(aborted(&abort).unwrap_or_else(|| transport(err))),
    };
    let body = match Status::from_header_map(&parts.headers) {
        // A trailers-only response: the status came with the headers.
        Some(status) if status.code() != tonic::Code::Ok => {
            return Err(aborted(&abort).unwrap_or(status));
        }
        Some(status) => MessageStream::new(tokio_stream::once(Err(status))),
        None => {
            let body = received(body, abort);
            let raw = RawBody::response(body, parts.status, &parts.headers, limits.decoding);
            MessageStream::from_raw(raw, split)
        }
    };
    Ok(Response::from_parts(
        MetadataMap::from_headers(parts.headers),
        body,
        parts.extensions,
    ))
}

/// Puts back the headers that make a request gRPC, should an interceptor have removed
/// them from the metadata (by replacing the whole map, say): a server may refuse the call
/// without them.
fn restore_reserved(headers: &mut http::HeaderMap) {
    const TRAILERS: http::HeaderValue = http::HeaderValue::from_static("trailers");
    if headers.get(http::header::TE) != Some(&TRAILERS) {
        headers.insert(http::header::TE, TRAILERS);
    }
    let grpc = |value: &http::HeaderValue| value.as_bytes().starts_with(b"application/grpc");
    if !headers.get(http::header::CONTENT_TYPE).is_some_and(grpc) {
        headers.insert(http::header::CONTENT_TYPE, GRPC_CONTENT_TYPE);
    }
}
