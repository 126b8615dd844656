//! How a [`MessageStream`] ends: [`StreamEnd`] for its end hooks, the final status with
//! the trailers, and the call's end hooks when this is the call's response stream.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

use tonic::metadata::MetadataMap;
use tonic::{Code, Status};

use super::MessageStream;
use crate::errors::panic_hook::Unanswered;
use crate::lifecycle::Tracker;

/// How a stream ended, as [`MessageStream::on_end`] hooks see it.
///
/// After a panic in the stream's source or one of its hooks, end hooks see an UNKNOWN status
/// `panicked: <message>`; unless an [`ExceptionToStatus`](crate::ExceptionToStatus) answers
/// for the panic, it goes on unwinding once they have run.
#[derive(Debug, Default)]
pub struct StreamEnd {
    pub(super) status: Option<Status>,
    trailers: MetadataMap,
    /// The payload of a panic that ended the stream, until an end hook takes it.
    panic: Option<Box<dyn Any + Send>>,
}

impl StreamEnd {
    /// Takes the payload of the panic that ended the stream, if any: the taker answers for
    /// it (with the [`status`](Self::status) it sets). Otherwise the panic goes on once the
    /// end hooks have run.
    pub(crate) fn take_panic(&mut self) -> Option<Box<dyn Any + Send>> {
        self.panic.take()
    }

    /// The error status the stream ended with; `None` when it ended OK.
    pub fn status(&self) -> Option<&Status> {
        self.status.as_ref()
    }

    /// Replaces the final status: `Some` ends the stream with that error, `None` with OK.
    pub fn set_status(&mut self, status: Option<Status>) {
        self.status = status;
    }

    /// Trailing metadata to send with the final status (response streams).
    pub fn trailers_mut(&mut self) -> &mut MetadataMap {
        &mut self.trailers
    }
}

impl<M: Send + 'static> MessageStream<M> {
    /// Makes this the call's response stream: `tracker` is told how it ends.
    pub(crate) fn end_call_with(&mut self, tracker: Tracker) {
        self.extras().call_end = Some(tracker);
    }

    /// Ends the stream: runs the end hooks and gives the final item, an error status, or
    /// an OK status that carries the trailers (tonic's convention for trailers after the
    /// last message), or nothing.
    pub(super) fn finish(
        &mut self,
        status: Option<Status>,
        trailers: MetadataMap,
    ) -> Option<Status> {
        self.finish_end(status, None, trailers)
    }

    /// Ends a stream whose raw body went on as it came (`take_raw_ending`), once the body's
    /// end is known: with its error status, its trailers, or the panic that ended it. Gives
    /// the final status, as `finish` does; a panic no end hook took goes on unwinding.
    pub(crate) fn end_raw(
        &mut self,
        status: Option<Status>,
        trailers: MetadataMap,
        panic: Option<Box<dyn Any + Send>>,
    ) -> Option<Status> {
        let status = match (&panic, status) {
            (Some(payload), _) => {
                Some(crate::errors::exception_to_status::panic_status(&**payload))
            }
            (None, status) => status,
        };
        self.finish_end(status, panic, trailers)
    }

    /// Ends the stream after a panic in its source or a hook. End hooks see an UNKNOWN
    /// status; unless one of them takes the panic, it goes on unwinding after them.
    pub(super) fn finish_panicked(&mut self, payload: Box<dyn Any + Send>) -> Option<Status> {
        let status = crate::errors::exception_to_status::panic_status(&*payload);
        self.finish_end(Some(status), Some(payload), MetadataMap::new())
    }

    fn finish_end(
        &mut self,
        status: Option<Status>,
        panic: Option<Box<dyn Any + Send>>,
        trailers: MetadataMap,
    ) -> Option<Status> {
        self.finished = true;
        let mut end = StreamEnd {
            status,
            trailers: self
                .extras
                .as_mut()
                .map(|e| std::mem::take(&mut e.trailers))
                .unwrap_or_default(),
            panic,
        };
        crate::context::merge(&mut end.trailers, trailers);
        let end_hooks = self
            .extras
            .as_mut()
            .map(|e| std::mem::take(&mut e.end_hooks));
        let answered = self.extras.as_ref().is_some_and(|e| e.answered);
        for hook in end_hooks.into_iter().flatten() {
            // On a client, an end hook's panic may go on into the application: reported.
            let _unanswered = answered.then(Unanswered::when_installed);
            // A panicking end hook ends the stream like a panicking source, for the hooks after it.
            if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| hook(&mut end))) {
                end.status = Some(crate::errors::exception_to_status::panic_status(&*payload));
                end.panic = Some(payload);
            }
        }
        let call_end = self.extras.as_mut().and_then(|e| e.call_end.take());
        let panic = end.panic.take();
        let last = match end.status {
            Some(status) => {
                let outcome = crate::context::Outcome {
                    trailers: end.trailers,
                    ..Default::default()
                };
                Some(outcome.apply_to_status(status))
            }
            None if end.trailers.is_empty() => None,
            None => Some(Status::with_metadata(Code::Ok, "", end.trailers)),
        };
        if let Some(tracker) = call_end {
            let status = last.clone().unwrap_or_else(|| Status::ok(""));
            tracker.fire(status, panic.is_some());
        }
        if let Some(payload) = panic {
            panic::resume_unwind(payload);
        }
        last
    }

    /// Ends the stream after the source's last item: an error, an OK status that carries
    /// trailers, or its end.
    #[cold]
    pub(super) fn end(&mut self, item: Option<Result<M, Status>>) -> Option<Result<M, Status>> {
        match item {
            Some(Ok(message)) => Some(Ok(message)),
            Some(Err(status)) if status.code() == Code::Ok => {
                self.finish(None, status.metadata().clone()).map(Err)
            }
            Some(Err(status)) => self.finish(Some(status), MetadataMap::new()).map(Err),
            None => self.finish(None, MetadataMap::new()).map(Err),
        }
    }
}
