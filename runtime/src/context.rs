//! [`Context`]: what an interceptor knows about the call besides its messages, and the
//! status, headers and trailers it wants the call to end with.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use tonic::codegen::http;
use tonic::metadata::MetadataMap;
use tonic::{Code, Status};

use crate::lifecycle::{CallEnd, Tracker};

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
pub struct CallState {
    outcome: Mutex<Option<Box<Outcome>>>,
    /// Whether anything was set: a call that sets nothing never takes the lock.
    set: AtomicBool,
    /// Whether an end hook was registered.
    tracked: AtomicBool,
}

/// What the interceptors set on the context, applied when the call ends.
#[doc(hidden)]
#[derive(Default, Debug)]
pub struct Outcome {
    pub(crate) code: Option<Code>,
    pub(crate) details: Option<String>,
    pub(crate) headers: MetadataMap,
    pub(crate) trailers: MetadataMap,
    pub(crate) extensions: http::Extensions,
    pub(crate) tracker: Option<Tracker>,
    /// The status a call ends with because its headers and trailers could not be sent.
    pub(crate) oversized: Option<Status>,
}

impl CallState {
    fn lock(&self) -> MutexGuard<'_, Option<Box<Outcome>>> {
        // A panic while the lock is held cannot leave `Outcome` half-written in a way that
        // matters here: every field is valid on its own.
        self.outcome.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[inline]
    pub(crate) fn take(&self) -> Option<Box<Outcome>> {
        if !self.set.load(Ordering::Acquire) {
            return None;
        }
        self.take_locked()
    }

    #[inline(never)]
    fn take_locked(&self) -> Option<Box<Outcome>> {
        let mut outcome = self.lock().take()?;
        outcome.bound_metadata();
        Some(outcome)
    }

    /// Whether an end hook was registered on the call.
    #[inline]
    pub(crate) fn is_tracked(&self) -> bool {
        self.tracked.load(Ordering::Acquire)
    }

    /// Runs `f` on the call's end tracker, if an end hook was registered.
    pub(crate) fn with_tracker<R>(&self, f: impl FnOnce(&mut Tracker) -> R) -> Option<R> {
        if !self.is_tracked() {
            return None;
        }
        self.lock()
            .as_deref_mut()
            .and_then(|o| o.tracker.as_mut())
            .map(f)
    }
}

impl Drop for CallState {
    /// A call abandoned before its end drops its state with the end tracker in it: the
    /// tracker takes the call's storage along, for the end hooks.
    #[inline]
    fn drop(&mut self) {
        if *self.tracked.get_mut() {
            self.hand_storage_to_tracker();
        }
    }
}

impl CallState {
    #[cold]
    fn hand_storage_to_tracker(&mut self) {
        let outcome = self
            .outcome
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(outcome) = outcome.as_deref_mut()
            && let Some(tracker) = &mut outcome.tracker
        {
            tracker.set_extensions(std::mem::take(&mut outcome.extensions));
        }
    }
}

impl<'call> Context<'call> {
    #[doc(hidden)]
    #[inline]
    pub fn new(side: Side, state: &'call CallState) -> Self {
        Self { side, state }
    }

    /// Whether this interceptor runs in a server or a client.
    pub fn side(&self) -> Side {
        self.side
    }

    fn with<R>(&self, f: impl FnOnce(&mut Outcome) -> R) -> R {
        let mut outcome = self.state.lock();
        self.state.set.store(true, Ordering::Release);
        f(outcome.get_or_insert_with(Default::default))
    }

    fn read<R>(&self, f: impl FnOnce(&Outcome) -> R) -> Option<R> {
        if !self.state.set.load(Ordering::Acquire) {
            return None;
        }
        self.state.lock().as_deref().map(f)
    }

    fn read_mut<R>(&self, f: impl FnOnce(&mut Outcome) -> R) -> Option<R> {
        if !self.state.set.load(Ordering::Acquire) {
            return None;
        }
        self.state.lock().as_deref_mut().map(f)
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
    ///
    /// Headers and trailers together must fit in [`MAX_METADATA_SIZE`] (16 KiB, what HTTP/2
    /// peers accept by default); a call whose metadata is larger ends with INTERNAL, saying
    /// so, rather than losing it.
    #[doc(alias = "set_trailing_metadata")]
    pub fn with_trailers<R>(&mut self, f: impl FnOnce(&mut MetadataMap) -> R) -> R {
        self.with(|o| f(&mut o.trailers))
    }

    /// A copy of the trailing metadata set so far.
    pub fn trailers(&self) -> MetadataMap {
        self.read(|o| o.trailers.clone()).unwrap_or_default()
    }

    /// Stores a value in the call's storage, replacing (and returning) one of the same
    /// type. Every interceptor of the call, the handler (through
    /// `#[intercepted(context = ctx)]`) and the end hooks ([`CallEnd::get`]) can read it:
    /// an inner interceptor can hand an outer one what it learned, say the authenticated
    /// principal for the access log.
    pub fn insert<T: Clone + Send + Sync + 'static>(&mut self, value: T) -> Option<T> {
        self.with(|o| o.extensions.insert(value))
    }

    /// A copy of the value of type `T` in the call's storage.
    pub fn get<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.read(|o| o.extensions.get::<T>().cloned()).flatten()
    }

    /// Takes the value of type `T` out of the call's storage.
    pub fn remove<T: Clone + Send + Sync + 'static>(&mut self) -> Option<T> {
        self.read_mut(|o| o.extensions.remove::<T>()).flatten()
    }

    /// A copy of the call's storage: what a context that carries on after the call starts
    /// with (the harness's lazily answered bidi cases).
    #[cfg(feature = "testing")]
    pub(crate) fn storage(&self) -> http::Extensions {
        self.read(|o| o.extensions.clone()).unwrap_or_default()
    }

    /// Adds `storage` to the call's storage, replacing values of the same types.
    #[cfg(feature = "testing")]
    pub(crate) fn extend_storage(&mut self, storage: http::Extensions) {
        if !storage.is_empty() {
            self.with(|o| o.extensions.extend(storage));
        }
    }

    /// Runs `f` once the call has ended, exactly once, however it ends: a result, an error,
    /// a panic, the peer cancelling, the deadline passing, a stream dropped. `f` sees the
    /// final status, the message counts, the time since the first hook was registered and
    /// the call's storage; the [`lifecycle`](crate::lifecycle) module has the rules.
    ///
    /// State the hook shares with the interceptor goes in an `Arc`: the hook may run after
    /// the interceptor's future is gone.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use grpc_interceptor::prelude::*;
    ///
    /// #[derive(Default)]
    /// struct Errors(Arc<AtomicU64>);
    ///
    /// impl CallInterceptor for Errors {
    ///     fn intercept<'call, N: Chain>(
    ///         &self,
    ///         method: Next<'call, N>,
    ///         request: Request<N::ReqPayload>,
    ///         context: &mut Context<'call>,
    ///         _: &MethodName,
    ///     ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
    ///         let errors = Arc::clone(&self.0);
    ///         context.on_call_end(move |end| {
    ///             if end.code() != Code::Ok {
    ///                 errors.fetch_add(1, Ordering::Relaxed);
    ///             }
    ///         });
    ///         method.call(request, context)
    ///     }
    /// }
    /// # let _ = Errors::default();
    /// ```
    pub fn on_call_end(&mut self, f: impl FnOnce(&CallEnd) + Send + 'static) {
        let side = self.side;
        self.with(|o| {
            o.tracker
                .get_or_insert_with(|| Tracker::new(side))
                .push(Box::new(f))
        });
        self.state.tracked.store(true, Ordering::Release);
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

/// The header list a peer accepts by default (`SETTINGS_MAX_HEADER_LIST_SIZE` of hyper's
/// and tonic's HTTP/2 clients): headers and trailers set on a context must fit in it.
pub const MAX_METADATA_SIZE: usize = 16 * 1024;

impl Outcome {
    /// Replaces headers and trailers that a peer would refuse (over
    /// [`MAX_METADATA_SIZE`], counted as HTTP/2 counts them: name, value and 32 bytes an
    /// entry) with an INTERNAL status that says so: they would be dropped, or reset the
    /// stream, where they are sent.
    fn bound_metadata(&mut self) {
        let size = |map: &MetadataMap| {
            map.as_ref()
                .iter()
                .map(|(name, value)| name.as_str().len() + value.len() + 32)
                .sum::<usize>()
        };
        let total = size(&self.headers) + size(&self.trailers);
        if total > MAX_METADATA_SIZE {
            self.headers = MetadataMap::new();
            self.trailers = MetadataMap::new();
            self.oversized = Some(Status::internal(format!(
                "the headers and trailers set on the call's context take {total} bytes, over \
                 the {MAX_METADATA_SIZE} a peer accepts by default"
            )));
        }
    }

    /// Applies the code, details and trailers set on the context to an error status.
    pub(crate) fn apply_to_status(self, status: Status) -> Status {
        if let Some(oversized) = self.oversized {
            return oversized;
        }
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
        if let Some(oversized) = self.oversized.take() {
            return Some(oversized);
        }
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
    if from.is_empty() {
        return;
    }
    if into.is_empty() {
        *into = from;
        return;
    }
    let mut into_headers = std::mem::take(into).into_headers();
    into_headers.extend(from.into_headers());
    *into = MetadataMap::from_headers(into_headers);
}
