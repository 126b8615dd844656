//! One call through a client's interceptors (the wire path's exchange, see
//! `wire::exchange`): the request from the generated client runs the chain, each attempt is
//! sent over the inner service, and the response goes back to the application.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context as TaskContext, Poll, ready};

use bytes::Bytes;
use tonic::client::GrpcService;
use tonic::codegen::http;
use tonic::{GrpcMethod, Status};

use crate::wire::exchange::{self, Limits, Target};
use crate::wire::{Abort, received};
use crate::{CallInterceptor, MessageStream, MethodName, Request, Response, Side, WireMessage};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// One call: `interceptors` around attempts sent over `inner`. The future keeps the HTTP
/// request until it first runs, then what the chain and the attempt in flight need.
pub(super) fn call<S, I>(
    interceptors: Arc<I>,
    inner: S,
    limits: Limits,
    method_name: Cow<'static, MethodName>,
    request: http::Request<tonic::body::Body>,
) -> impl Future<Output = Result<http::Response<tonic::body::Body>, BoxError>> + Send + 'static
where
    S: GrpcService<tonic::body::Body> + Clone + Send + Sync + 'static,
    S::Future: Send,
    S::ResponseBody: http_body::Body<Data = Bytes> + Send + 'static,
    <S::ResponseBody as http_body::Body>::Error: Into<BoxError>,
    I: CallInterceptor + 'static,
{
    let prepare = move || {
        // The generated client's own messages, within its `max_encoding_message_size`.
        let (target, request) = exchange::incoming(request, Some(usize::MAX));
        let attempt = Attempt {
            inner,
            target,
            limits,
        };
        (request, move |request| attempt.send(request))
    };
    exchange::run_with(interceptors, Side::Client, method_name, prepare, Finish)
}

/// Makes the HTTP response the application gets of the chain's result.
#[derive(Clone, Copy)]
struct Finish;

impl exchange::Finish for Finish {
    type Output = Result<http::Response<tonic::body::Body>, BoxError>;

    #[inline(always)]
    fn finish(self, result: exchange::Ended, closing: exchange::Closing) -> Self::Output {
        finish(result, closing)
    }

    /// Out of line, as `finish`: the poll is passed by reference to where the chain left
    /// it.
    #[inline(never)]
    fn finish_poll(self, poll: Poll<exchange::Ended>) -> Poll<Self::Output> {
        match poll {
            Poll::Ready(result) => Poll::Ready(finish(result, exchange::Closing::default())),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The HTTP response the application gets for the chain's result. Out of line: the
/// result is passed by reference to where the chain left it, rather than copied into the
/// caller's frame piece by piece (32 instructions fewer a call, measured).
#[inline(never)]
fn finish(
    result: Result<Response<MessageStream<WireMessage>>, Status>,
    closing: exchange::Closing,
) -> Result<http::Response<tonic::body::Body>, BoxError> {
    match result {
        // The call ends when the application has read the body to its end, or dropped it.
        Ok(response) => {
            let mut response = exchange::respond(response, None, None);
            if let Some(trailers) = closing.trailers {
                let body = std::mem::take(response.body_mut());
                let body = crate::server::TrailersBody::new(body, Some(trailers), None, None);
                *response.body_mut() = tonic::body::Body::new(body);
            }
            Ok(match closing.end {
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

/// The call's method name, from tonic's `GrpcMethod` extension (a generated client's) or
/// else from the path.
pub(super) fn method_name<B>(
    request: &http::Request<B>,
) -> Result<Cow<'static, MethodName>, Status> {
    thread_local! {
        /// The names last seen, by the address of the path: a generated client's path is
        /// its `'static` string (with an origin that has no path of its own). A name is
        /// used only for a path equal to it, whatever string is at that address now.
        static BY_PATH: [Cell<Option<(usize, &'static MethodName)>>; 16] =
            const { [const { Cell::new(None) }; 16] };
    }
    let path = request.uri().path();
    let slot = (path.as_ptr() as usize >> 3) & 15;
    if let Some((address, name)) = BY_PATH.with(|recent| recent[slot].get())
        && address == path.as_ptr() as usize
        && name.as_str() == path
    {
        return Ok(Cow::Borrowed(name));
    }
    match request.extensions().get::<GrpcMethod<'static>>() {
        Some(method) => {
            let name = interned(method.service(), method.method());
            if name.as_str() == path {
                BY_PATH.with(|recent| recent[slot].set(Some((path.as_ptr() as usize, name))));
            }
            Ok(Cow::Borrowed(name))
        }
        None => Ok(Cow::Owned(crate::parse_method_name(path)?)),
    }
}

/// The method name of a generated client's call, built once per method: tonic's
/// `GrpcMethod` holds the generated code's `'static` strings, so their addresses are the key.
fn interned(service: &str, method: &str) -> &'static MethodName {
    type Key = (usize, usize, usize, usize);
    static NAMES: Mutex<Option<HashMap<Key, &'static MethodName>>> = Mutex::new(None);
    thread_local! {
        /// A direct-mapped cache in front of `NAMES`, to skip the lock.
        static RECENT: [Cell<Option<(Key, &'static MethodName)>>; 16] =
            const { [const { Cell::new(None) }; 16] };
    }
    let key = (
        service.as_ptr() as usize,
        service.len(),
        method.as_ptr() as usize,
        method.len(),
    );
    let slot = (key.0 ^ key.2.rotate_left(7)) >> 3 & 15;
    // One slot is read, not the whole array copied.
    if let Some((cached, name)) = RECENT.with(|recent| recent[slot].get())
        && cached == key
    {
        return name;
    }
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    let name = *names
        .get_or_insert_with(HashMap::new)
        .entry(key)
        .or_insert_with(|| Box::leak(Box::new(MethodName::from_service(service, method))));
    RECENT.with(|recent| recent[slot].set(Some((key, name))));
    name
}

/// What each attempt is sent over and to; cloned for each further attempt (a retry).
#[derive(Clone)]
struct Attempt<S> {
    inner: S,
    target: Target,
    limits: Limits,
}

impl<S> Attempt<S>
where
    S: GrpcService<tonic::body::Body>,
{
    /// Sends one attempt over the inner service (once it is ready) and reads the response
    /// head.
    #[inline(always)]
    fn send(self, request: Request<MessageStream<WireMessage>>) -> InFlight<S, S::Future> {
        let (metadata, extensions, body) = request.into_parts();
        let mut headers = metadata.into_headers();
        let mut abort = None;
        let body = exchange::client_attempt_body(body, &mut headers, self.limits.encoding, || {
            abort = Some(Abort::default());
            abort.clone()
        });
        InFlight {
            inner: self.inner,
            request: Some(self.target.request(body, headers, extensions)),
            abort,
            max_message_size: self.limits.decoding,
            future: None,
        }
    }
}

pin_project_lite::pin_project! {
    /// One attempt in flight: waiting for the inner service to be ready, then for its
    /// response head.
    struct InFlight<S, F> {
        inner: S,
        // Until the inner service is ready.
        request: Option<http::Request<tonic::body::Body>>,
        // Set when the request body fails while it is sent (a request framed again).
        abort: Option<Abort>,
        // The largest response message read.
        max_message_size: Option<usize>,
        #[pin]
        future: Option<F>,
    }
}

impl<S> Future for InFlight<S, S::Future>
where
    S: GrpcService<tonic::body::Body>,
    S::ResponseBody: http_body::Body<Data = Bytes> + Send + 'static,
    <S::ResponseBody as http_body::Body>::Error: Into<BoxError>,
{
    type Output = Result<Response<MessageStream<WireMessage>>, Status>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        // What tonic's generated client makes of the channel's errors.
        fn transport(err: impl Into<BoxError>) -> Status {
            Status::from_error(err.into())
        }
        let mut this = self.project();
        if let Some(request) = this.request.take() {
            match this.inner.poll_ready(cx) {
                Poll::Ready(Ok(())) => this.future.set(Some(this.inner.call(request))),
                Poll::Ready(Err(err)) => return Poll::Ready(Err(transport(err))),
                Poll::Pending => {
                    *this.request = Some(request);
                    return Poll::Pending;
                }
            }
        }
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            return Poll::Ready(Err(Status::internal("attempt polled after completion")));
        };
        let result = ready!(future.poll(cx));
        this.future.set(None);
        // A failure of the request stream ends the call with its status, whatever the
        // reset it caused did to the response.
        let aborted = |abort: &Option<Abort>| abort.as_ref().and_then(Abort::take);
        let (parts, body) = match result {
            Ok(response) => response.into_parts(),
            Err(err) => {
                return Poll::Ready(Err(aborted(this.abort).unwrap_or_else(|| transport(err))));
            }
        };
        let body = received(body, this.abort.clone());
        Poll::Ready(
            exchange::answered(parts, body, *this.max_message_size)
                .map_err(|status| aborted(this.abort).unwrap_or(status)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_to(uri: http::Uri, method: Option<GrpcMethod<'static>>) -> http::Request<()> {
        let mut request = http::Request::new(());
        *request.uri_mut() = uri;
        if let Some(method) = method {
            request.extensions_mut().insert(method);
        }
        request
    }

    /// A request whose path is a `'static` string, as a generated client's.
    fn request(path: &'static str, method: Option<GrpcMethod<'static>>) -> http::Request<()> {
        request_to(http::Uri::from_static(path), method)
    }

    /// A request whose path is a string of its own, freed with it.
    fn owned(path: &str, method: Option<GrpcMethod<'static>>) -> http::Request<()> {
        let path = bytes::Bytes::from(path.as_bytes().to_vec());
        request_to(http::Uri::from_maybe_shared(path).unwrap(), method)
    }

    #[test]
    fn a_generated_clients_name_is_made_once_and_found_by_its_path() {
        let generated = || {
            let method = GrpcMethod::new("cache.Svc", "Method");
            method_name(&request("/cache.Svc/Method", Some(method))).unwrap()
        };
        let (first, second) = (generated(), generated());
        assert_eq!(first.as_str(), "/cache.Svc/Method");
        assert_eq!((first.package(), first.service()), ("cache", "Svc"));
        assert!(
            matches!((&first, &second), (Cow::Borrowed(a), Cow::Borrowed(b)) if std::ptr::eq(*a, *b))
        );
    }

    #[test]
    fn a_name_is_found_by_a_path_only_when_it_is_that_path() {
        // The extension names the method; the path has a prefix of the origin's: the name
        // is the extension's, and not kept for that path.
        let method = GrpcMethod::new("prefixed.Svc", "Method");
        let prefixed = request("/base/prefixed.Svc/Method", Some(method));
        for _ in 0..2 {
            assert_eq!(
                method_name(&prefixed).unwrap().as_str(),
                "/prefixed.Svc/Method"
            );
        }
        // Without the extension, the path is parsed.
        let bare = method_name(&request("/bare.Svc/Do", None)).unwrap();
        assert!(matches!(bare, Cow::Owned(_)));
        assert_eq!(bare.method(), "Do");
        // A path that is no method name is an error.
        assert!(method_name(&request("/nothing", None)).is_err());
    }

    #[test]
    fn a_path_at_the_address_of_a_known_one_gets_its_own_name() {
        for _ in 0..8 {
            let known = owned("/known.Svc/One", Some(GrpcMethod::new("known.Svc", "One")));
            assert_eq!(method_name(&known).unwrap().as_str(), "/known.Svc/One");
            drop(known);
            // Most likely at the same address, freed just now.
            let other = owned("/other.Svc/Two", None);
            assert_eq!(method_name(&other).unwrap().as_str(), "/other.Svc/Two");
        }
    }
}
