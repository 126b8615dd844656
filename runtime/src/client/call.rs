//! One call through a client's interceptors (the wire path's exchange, see
//! `wire::exchange`): the request from the generated client runs the chain, each attempt is
//! sent over the inner service, and the response goes back to the application.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use bytes::Bytes;
use tonic::client::GrpcService;
use tonic::codegen::http;
use tonic::{GrpcMethod, Status};

use crate::wire::exchange::{self, Limits, Target};
use crate::wire::{Abort, received};
use crate::{CallInterceptor, MessageStream, MethodName, Request, Response, Side, WireMessage};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

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
    let method_name = match method_name(&request) {
        Ok(name) => name,
        Err(status) => return Ok(status.into_http()),
    };
    // The generated client's own messages, within its `max_encoding_message_size`.
    let (target, request) = exchange::incoming(request, Some(usize::MAX));
    let attempt = move |request| send(inner, target, limits, request);
    match exchange::run(interceptors, Side::Client, &method_name, request, attempt).await {
        // The call ends when the application has read the body to its end, or dropped it.
        Ok(finished) => {
            let mut response = exchange::respond(finished.response, None, None);
            if let Some(trailers) = finished.trailers {
                let body = std::mem::take(response.body_mut());
                let body = crate::server::TrailersBody::new(body, Some(trailers), None, None);
                *response.body_mut() = tonic::body::Body::new(body);
            }
            Ok(match finished.end {
                None => response,
                Some(end) => response
                    .map(|body| tonic::body::Body::new(crate::lifecycle::EndBody::new(body, end))),
            })
        }
        // A status that stands for an error (the channel's, usually) goes to the generated
        // client as the service's error: it reports that very status, as it would have
        // without the interceptors.
        Err(status) if std::error::Error::source(&status).is_some() => Err(Box::new(status)),
        // A status the server or an interceptor answered with goes as a trailers-only
        // response.
        Err(status) => Ok(status.into_http()),
    }
}

fn method_name<B>(request: &http::Request<B>) -> Result<Cow<'static, MethodName>, Status> {
    match request.extensions().get::<GrpcMethod<'static>>() {
        Some(method) => Ok(Cow::Borrowed(interned(method.service(), method.method()))),
        None => Ok(Cow::Owned(crate::parse_method_name(request.uri().path())?)),
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
    let (metadata, extensions, body) = request.into_parts();
    let mut headers = metadata.into_headers();
    let mut abort = None;
    let body = exchange::client_attempt_body(body, &mut headers, limits.encoding, || {
        abort = Some(Abort::default());
        abort.clone()
    });
    // A failure of the request stream ends the call with its status, whatever the reset
    // it caused did to the response.
    let aborted = |abort: &Option<Abort>| abort.as_ref().and_then(Abort::take);
    let (parts, body) = match inner.call(target.request(body, headers, extensions)).await {
        Ok(response) => response.into_parts(),
        Err(err) => return Err(aborted(&abort).unwrap_or_else(|| transport(err))),
    };
    let body = received(body, abort.clone());
    exchange::answered(parts, body, limits.decoding)
        .map_err(|status| aborted(&abort).unwrap_or(status))
}
