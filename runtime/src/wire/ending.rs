//! [`Ending`]: a server's response body that goes on as it came while the end hooks of its
//! stream (`ExceptionToStatus`'s, say) wait for its end, so that hooks alone do not make
//! the layer split and frame the body again.

use std::pin::Pin;
use std::task::{Context as TaskContext, Poll, ready};

use bytes::Bytes;
use http_body::Frame;
use tonic::codegen::http::HeaderMap;
use tonic::metadata::MetadataMap;
use tonic::{Code, Status};

use super::Panics;
use crate::errors::exception_to_status::panic_status;
use crate::{MessageStream, WireMessage};

pin_project_lite::pin_project! {
    /// The body as it came, then trailers made by the end hooks of `stream` from the
    /// body's own trailers (or from the panic that ended it).
    pub(crate) struct Ending {
        #[pin]
        body: tonic::body::Body,
        // The stream the body was taken from: no source, only its end hooks.
        stream: MessageStream<WireMessage>,
        panics: Panics,
        done: bool,
    }
}

impl Ending {
    pub(crate) fn new(
        body: tonic::body::Body,
        stream: MessageStream<WireMessage>,
        panics: Panics,
    ) -> Self {
        Self {
            body,
            stream,
            panics,
            done: false,
        }
    }
}

impl http_body::Body for Ending {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        let mut this = self.project();
        if *this.done {
            return Poll::Ready(None);
        }
        let polled = this
            .panics
            .catch_payload(|| this.body.as_mut().poll_frame(cx));
        let (status, trailers, panic) = match polled {
            Err(payload) => (None, MetadataMap::new(), Some(payload)),
            Ok(poll) => match ready!(poll) {
                Some(Ok(frame)) => match frame.into_trailers() {
                    Ok(trailers) => {
                        let (status, trailers) = final_status(trailers);
                        (status, trailers, None)
                    }
                    Err(data) => return Poll::Ready(Some(Ok(data))),
                },
                Some(Err(status)) => (Some(status), MetadataMap::new(), None),
                None => (None, MetadataMap::new(), None),
            },
        };
        *this.done = true;
        let stream = this.stream;
        let last = this
            .panics
            .catch_payload(|| stream.end_raw(status, trailers, panic))
            .unwrap_or_else(|payload| Some(panic_status(&*payload)))
            .unwrap_or_else(|| Status::ok(""));
        let mut trailers = HeaderMap::new();
        if let Err(status) = last.add_header(&mut trailers) {
            trailers.clear();
            let _ = Status::new(status.code(), "").add_header(&mut trailers);
        }
        Poll::Ready(Some(Ok(Frame::trailers(trailers))))
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// The error status in a body's trailers, if any, and the rest of them.
fn final_status(trailers: HeaderMap) -> (Option<Status>, MetadataMap) {
    match Status::from_header_map(&trailers) {
        Some(status) if status.code() != Code::Ok => (Some(status), MetadataMap::new()),
        Some(status) => (None, status.metadata().clone()),
        None => (None, MetadataMap::from_headers(trailers)),
    }
}
