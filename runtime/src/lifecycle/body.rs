//! [`EndBody`]: a response body that tells the call's end hooks when the application has
//! read it to its end, or dropped it before that.

use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll, ready};

use bytes::Bytes;
use http_body::Frame;
use tonic::Status;

use super::{Tracker, status_of};
use crate::errors::exception_to_status::panic_status;

pin_project_lite::pin_project! {
    /// A client's response body on its way to the application.
    pub(crate) struct EndBody<B> {
        #[pin]
        body: B,
        end: Option<Tracker>,
    }
}

impl<B> EndBody<B> {
    pub(crate) fn new(body: B, end: Tracker) -> Self {
        Self {
            body,
            end: Some(end),
        }
    }
}

impl<B> http_body::Body for EndBody<B>
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
        let body = this.body;
        let frame = match panic::catch_unwind(AssertUnwindSafe(|| body.poll_frame(cx))) {
            Ok(poll) => ready!(poll),
            // A panic in the stream (an interceptor's hook) goes on into the application's
            // task, once the end hooks have been told.
            Err(payload) => {
                if let Some(end) = this.end.take() {
                    end.fire(panic_status(&*payload), true);
                }
                panic::resume_unwind(payload)
            }
        };
        let status = match &frame {
            Some(Ok(frame)) => frame.trailers_ref().map(status_of),
            Some(Err(status)) => Some(status.clone()),
            None => Some(Status::unknown("the response ended without a grpc-status")),
        };
        if let Some(status) = status
            && let Some(end) = this.end.take()
        {
            end.fire(status, false);
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}
