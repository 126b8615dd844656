//! One call through the server layer's interceptors: the mirror of a client's call (see
//! `wire::exchange`). The peer's request runs the chain, the inner service answers each
//! attempt, and the response goes back to the peer in a guarded body.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use tonic::Status;
use tonic::codegen::http;

use crate::errors::panic_hook::Counted;
use crate::lifecycle::PendingEnd;
use crate::server::{Pending, Supported, TrailersBody};
use crate::wire::Panics;
use crate::wire::exchange::{self, Limits, Target};
use crate::{
    CallInterceptor, InvalidMethodName, MessageStream, MethodName, Request, Response, Side,
    WireMessage,
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub(super) async fn call<S, B, I>(
    interceptors: Arc<I>,
    inner: S,
    limits: Limits,
    mut request: http::Request<tonic::body::Body>,
) -> http::Response<tonic::body::Body>
where
    S: tower_service::Service<http::Request<tonic::body::Body>, Response = http::Response<B>>
        + Clone
        + Send
        + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
    I: CallInterceptor + ?Sized,
{
    let method_name = match method_name(request.uri().path()) {
        Ok(name) => name,
        // No service serves a path that is no method name: tonic's answer to it.
        Err(err) => return Status::unimplemented(err.to_string()).into_http(),
    };
    // Deadlines count from here, and an `#[intercepted]` service behind the layer hands
    // the trailers of a successful unary call to the layer, as to `TrailersLayer`.
    request.extensions_mut().insert(Supported(Instant::now()));
    let (target, request) = exchange::incoming(request, limits.decoding);
    let attempt = move |request| send(inner, target, request);
    let run = exchange::run(&*interceptors, Side::Server, &method_name, request, attempt);
    // A panic in the chain ends the call with UNKNOWN: the quiet panic hook says nothing.
    let finished = match Counted::when_installed(run).await {
        Ok(finished) => finished,
        Err(status) => return status.into_http(),
    };
    let panics = Panics::default();
    let response = exchange::respond(finished.response, limits.encoding, Some(panics.clone()));
    let (mut parts, body) = response.into_parts();
    let pending = parts
        .extensions
        .remove::<Pending>()
        .map(|pending| pending.0);
    let pending_end = parts
        .extensions
        .remove::<PendingEnd>()
        .and_then(|pending| pending.take());
    // The innermost wrapper catches the panics of the service's response stream, so that
    // the wrappers around it see the status they stand for.
    let body = match (pending, pending_end) {
        (None, None) => body,
        (pending, end) => {
            let body = TrailersBody::new(body, pending, end, Some(panics.clone()));
            tonic::body::Body::new(body)
        }
    };
    let body = TrailersBody::new(body, finished.trailers, finished.end, Some(panics));
    http::Response::from_parts(parts, tonic::body::Body::new(body))
}

/// The method name of a request's path, parsed once per path and thread: a small cache of
/// the last names seen (its slots are overwritten, so a peer's made-up paths cost memory
/// only there).
fn method_name(path: &str) -> Result<Arc<MethodName>, InvalidMethodName> {
    const SLOTS: usize = 16;
    thread_local! {
        static RECENT: RefCell<[Option<Arc<MethodName>>; SLOTS]> = RefCell::default();
    }
    // FNV-1a: cheap for short paths, and only picks a slot.
    let hash = path.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    let slot = (hash % SLOTS as u64) as usize;
    RECENT.with_borrow_mut(|recent| {
        if let Some(name) = &recent[slot]
            && name.as_str() == path
        {
            return Ok(Arc::clone(name));
        }
        let name = Arc::new(crate::parse_method_name(path)?);
        recent[slot] = Some(Arc::clone(&name));
        Ok(name)
    })
}

/// Sends one attempt to the inner service and reads the response head.
async fn send<S, B>(
    mut inner: S,
    target: Target,
    request: Request<MessageStream<WireMessage>>,
) -> Result<Response<MessageStream<WireMessage>>, Status>
where
    S: tower_service::Service<http::Request<tonic::body::Body>, Response = http::Response<B>>,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    // What tonic's server makes of a service's error (`RecoverError`): its status.
    let failed = |err: S::Error| Status::from_error(err.into());
    std::future::poll_fn(|cx| inner.poll_ready(cx))
        .await
        .map_err(failed)?;
    let (metadata, extensions, body) = request.into_parts();
    let mut headers = metadata.into_headers();
    // A request stream that fails on its way (a hook's error) fails the body, and the
    // service's decoder hands that status on, as it would a message over its limit.
    let body = exchange::attempt_body(body, &mut headers, None, || None);
    let response = inner
        .call(target.request(body, headers, extensions))
        .await
        .map_err(failed)?;
    let (parts, body) = response.into_parts();
    // The service's own messages: read without a limit.
    exchange::answered(parts, tonic::body::Body::new(body), Some(usize::MAX))
}
