//! [`TrailersLayer`]: custom trailers after a successful unary response.
//!
//! tonic's generated server ends a successful unary response with `grpc-status: 0` and
//! nothing else. With this layer on the server, trailers an interceptor set on such a call
//! are added to that final trailers frame; without it they go out with the headers.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll, ready};
use std::time::Instant;

use bytes::Bytes;
use http_body::Frame;
use tonic::Status;
use tonic::codegen::http;
use tonic::codegen::http::HeaderMap;
use tonic::metadata::MetadataMap;

use crate::errors::panic_hook::Answered;
use crate::lifecycle::{PendingEnd, Tracker, status_of};
use crate::wire::Panics;

/// Marks a request as served behind [`TrailersLayer`], with the time it arrived there (what
/// a deadline counts from).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Supported(pub(crate) Instant);

/// Trailers for the end of a response, handed from the interceptors to the layer.
#[derive(Clone, Debug)]
pub(crate) struct Pending(pub(crate) HeaderMap);

/// A tower layer for a tonic `Server` that sends the trailers interceptors set on
/// successful unary calls as real trailers:
///
#[cfg_attr(feature = "testing", doc = "```no_run")]
#[cfg_attr(not(feature = "testing"), doc = "```ignore")]
/// # use grpc_interceptor::testing::{DummyService, SpecialCases};
/// # async fn serve() -> Result<(), Box<dyn std::error::Error>> {
/// # let service = DummyService::new(SpecialCases::new(), ()).into_server();
/// tonic::transport::Server::builder()
///     .layer(grpc_interceptor::server::TrailersLayer)
///     .add_service(service)
///     .serve("127.0.0.1:50051".parse()?)
///     .await?;
/// # Ok(())
/// # }
/// # let _ = serve;
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct TrailersLayer;

impl<S> tower_layer::Layer<S> for TrailersLayer {
    type Service = Trailers<S>;

    fn layer(&self, inner: S) -> Trailers<S> {
        Trailers { inner }
    }
}

/// The service [`TrailersLayer`] makes.
#[derive(Clone, Debug)]
pub struct Trailers<S> {
    inner: S,
}

impl<S, B, R> tower_service::Service<http::Request<B>> for Trailers<S>
where
    S: tower_service::Service<http::Request<B>, Response = http::Response<R>>,
{
    type Response = http::Response<TrailersBody<R>>;
    type Error = S::Error;
    type Future = TrailersFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        request.extensions_mut().insert(Supported(Instant::now()));
        TrailersFuture {
            future: self.inner.call(request),
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`Trailers`].
    pub struct TrailersFuture<F> {
        #[pin]
        future: F,
    }
}

impl<F, R, E> Future for TrailersFuture<F>
where
    F: Future<Output = Result<http::Response<R>, E>>,
{
    type Output = Result<http::Response<TrailersBody<R>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let response = ready!(self.project().future.poll(cx))?;
        let (mut parts, body) = response.into_parts();
        let extra = parts.extensions.remove::<Pending>().map(|p| p.0);
        let end = parts
            .extensions
            .remove::<PendingEnd>()
            .and_then(|p| p.take());
        Poll::Ready(Ok(http::Response::from_parts(
            parts,
            TrailersBody::new(body, extra, end, None),
        )))
    }
}

pin_project_lite::pin_project! {
    /// A response body with extra trailers merged into its trailers frame; tells the
    /// call's end hooks when the body has been written (or dropped before that).
    pub struct TrailersBody<B> {
        #[pin]
        body: B,
        extra: Option<HeaderMap>,
        end: Option<Tracker>,
        // Where the panics of the call's response are caught, if they are: a panic while
        // the body is polled then ends it with UNKNOWN trailers.
        panics: Option<Panics>,
        done: bool,
    }
}

impl<B> TrailersBody<B> {
    /// `body`, with `extra` trailers merged into its trailers frame, telling `end` when it
    /// has been written; with `panics`, a panic while it is polled (in a service's response
    /// stream) ends it with the trailers of UNKNOWN `panicked: ...`, and the end hooks are
    /// told of the panics caught there (or deeper, in the same `Panics`).
    pub(crate) fn new(
        body: B,
        extra: Option<HeaderMap>,
        end: Option<Tracker>,
        panics: Option<Panics>,
    ) -> Self {
        Self {
            body,
            extra,
            end,
            panics,
            done: false,
        }
    }
}

impl<B: http_body::Body<Data = Bytes>> http_body::Body for TrailersBody<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let mut this = self.project();
        if *this.done {
            return Poll::Ready(None);
        }
        let frame = match this.panics {
            None => ready!(this.body.as_mut().poll_frame(cx)),
            Some(panics) => match panics.catch(|| {
                // A panic caught here ends as a status: the quiet panic hook says nothing.
                let _answered = Answered::when_installed();
                this.body.as_mut().poll_frame(cx)
            }) {
                Ok(poll) => ready!(poll),
                Err(status) => {
                    // The body must not be polled again: it ends with the panic's status.
                    *this.done = true;
                    Some(Ok(Frame::trailers(status_trailers(status))))
                }
            },
        };
        let panicked = this.panics.as_ref().is_some_and(Panics::caught);
        let last = !matches!(&frame, Some(Ok(f)) if f.is_data());
        if last && let Some(tracker) = this.end.take() {
            match &frame {
                Some(Ok(frame)) => {
                    let mut status = frame
                        .trailers_ref()
                        .map_or_else(|| Status::ok(""), status_of);
                    if let Some(extra) = this.extra.as_ref() {
                        let mut metadata = status.metadata().clone().into_headers();
                        metadata.extend(extra.clone());
                        status = Status::with_metadata(
                            status.code(),
                            status.message(),
                            MetadataMap::from_headers(metadata),
                        );
                    }
                    tracker.fire(status, panicked);
                }
                Some(Err(_)) => tracker.fire(Status::unknown("the response body failed"), false),
                None => tracker.fire(Status::ok(""), false),
            }
        }
        Poll::Ready(match (frame, this.extra.take()) {
            (Some(Ok(frame)), Some(extra)) => Some(Ok(match frame.into_trailers() {
                Ok(mut trailers) => {
                    for (name, value) in &extra {
                        trailers.append(name, value.clone());
                    }
                    Frame::trailers(trailers)
                }
                Err(frame) => {
                    *this.extra = Some(extra);
                    frame
                }
            })),
            (frame, extra) => {
                *this.extra = extra;
                frame
            }
        })
    }

    fn is_end_stream(&self) -> bool {
        self.done || self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// The trailers of the UNKNOWN status a panic stands for.
fn status_trailers(status: Status) -> HeaderMap {
    let mut trailers = HeaderMap::new();
    if status.add_header(&mut trailers).is_err() {
        trailers.clear();
        let _ = Status::unknown("panicked").add_header(&mut trailers);
    }
    trailers
}
