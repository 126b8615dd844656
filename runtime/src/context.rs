//! [`Context`]: what an interceptor knows about the call besides its messages, and the
//! status, headers and trailers it wants the call to end with.

use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tonic::metadata::MetadataMap;
use tonic::{Code, Status};

/// Which end of the call an interceptor runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// In a server, around a service's handler.
    Server,
    /// In a client, around the call sent over a channel.
    Client,
}

/// The call's context, shared by every interceptor of one call and by the handler.
///
/// Request metadata, the peer address and the deadline travel with the [`Request`](crate::Request)
/// (as in tonic); the context holds what the call will end with: a code and details set
/// with [`set_code`](Self::set_code) / [`set_details`](Self::set_details) (the reference's
/// `context.set_code` / `context.set_details`), extra response headers and trailers.
///
/// A `Context` is a handle to state owned by the call, not the state itself: every
/// interceptor of the call and the handler hold handles to the same state, and so do clones.
/// What an inner interceptor sets is seen by the outer ones once the inner call returns,
/// even when the inner one panics. The setters take `&mut self` to say that they change the
/// call's outcome, not to promise exclusive access. Nothing is allocated until something is
/// set.
#[derive(Clone)]
pub struct Context<'call> {
    side: Side,
    state: &'call CallState,
}

/// The per-call state behind [`Context`]; owned by the call's frame.
#[doc(hidden)]
#[derive(Default)]
pub struct CallState(Mutex<Option<Box<Outcome>>>);

/// What the interceptors set on the context, applied when the call ends.
#[doc(hidden)]
#[derive(Default, Debug)]
pub struct Outcome {
    pub(crate) code: Option<Code>,
    pub(crate) details: Option<String>,
    pub(crate) headers: MetadataMap,
    pub(crate) trailers: MetadataMap,
}

impl CallState {
    fn lock(&self) -> MutexGuard<'_, Option<Box<Outcome>>> {
        // A panic while the lock is held cannot leave `Outcome` half-written in a way that
        // matters here: every field is valid on its own.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn take(&self) -> Option<Box<Outcome>> {
        self.lock().take()
    }
}

impl<'call> Context<'call> {
    #[doc(hidden)]
    pub fn new(side: Side, state: &'call CallState) -> Self {
        Self { side, state }
    }

    /// Whether this interceptor runs in a server or a client.
    pub fn side(&self) -> Side {
        self.side
    }

    fn with<R>(&self, f: impl FnOnce(&mut Outcome) -> R) -> R {
        f(self.state.lock().get_or_insert_with(Default::default))
    }

    fn read<R>(&self, f: impl FnOnce(&Outcome) -> R) -> Option<R> {
        self.state.lock().as_deref().map(f)
    }

    /// Sets the code the call ends with.
    ///
    /// A non-OK code turns a successful result into an error status with this code and the
    /// [details](Self::set_details) (for a unary response the message is dropped, as gRPC
    /// clients would ignore it). An error status returned explicitly keeps its own code:
    /// returning an error is the reference's `context.abort`.
    pub fn set_code(&mut self, code: Code) {
        self.with(|o| o.code = Some(code));
    }

    /// Sets the details (message) of the status the call ends with.
    pub fn set_details(&mut self, details: impl Into<String>) {
        let details = details.into();
        self.with(|o| o.details = Some(details));
    }

    /// The code set with [`set_code`](Self::set_code), if any.
    pub fn code(&self) -> Option<Code> {
        self.read(|o| o.code).flatten()
    }

    /// The details set with [`set_details`](Self::set_details), if any.
    pub fn details(&self) -> Option<String> {
        self.read(|o| o.details.clone()).flatten()
    }

    /// Adds response headers (initial metadata); on an error status they travel with the
    /// status, as gRPC sends a trailers-only response then.
    #[doc(alias = "set_initial_metadata")]
    pub fn with_headers<R>(&mut self, f: impl FnOnce(&mut MetadataMap) -> R) -> R {
        self.with(|o| f(&mut o.headers))
    }

    /// Adds trailing metadata. It reaches the client with every error status and at the end
    /// of a response stream.
    ///
    /// tonic's generated server sends no custom trailers after a successful *unary*
    /// response; trailers set on such a call are sent with the response headers instead.
    #[doc(alias = "set_trailing_metadata")]
    pub fn with_trailers<R>(&mut self, f: impl FnOnce(&mut MetadataMap) -> R) -> R {
        self.with(|o| f(&mut o.trailers))
    }

    /// A copy of the trailing metadata set so far.
    pub fn trailers(&self) -> MetadataMap {
        self.read(|o| o.trailers.clone()).unwrap_or_default()
    }
}

impl fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("side", &self.side)
            .field("outcome", &self.state.lock().as_deref())
            .finish()
    }
}

impl Outcome {
    /// Applies the code, details and trailers set on the context to an error status.
    pub(crate) fn apply_to_status(self, status: Status) -> Status {
        if self.headers.is_empty() && self.trailers.is_empty() {
            return status;
        }
        let mut metadata = status.metadata().clone();
        merge(&mut metadata, self.headers);
        merge(&mut metadata, self.trailers);
        Status::with_details_and_metadata(
            status.code(),
            status.message(),
            status.details().to_vec().into(),
            metadata,
        )
    }

    /// Applies the outcome to a successful streaming response: the headers at once, the
    /// code and the trailers at the end of the stream.
    pub(crate) fn finish_stream<M: Send + 'static>(
        mut self,
        response: &mut crate::Response<crate::MessageStream<M>>,
    ) {
        let status = self.error_status();
        merge(response.metadata_mut(), self.headers);
        response.get_mut().end_with(status, self.trailers);
    }

    /// The status a successful call ends with instead, when a non-OK code was set.
    pub(crate) fn error_status(&mut self) -> Option<Status> {
        match self.code {
            Some(code) if code != Code::Ok => {
                let details = self.details.take().unwrap_or_default();
                Some(Status::new(code, details))
            }
            _ => None,
        }
    }
}

pub(crate) fn merge(into: &mut MetadataMap, from: MetadataMap) {
    let mut into_headers = std::mem::take(into).into_headers();
    into_headers.extend(from.into_headers());
    *into = MetadataMap::from_headers(into_headers);
}
