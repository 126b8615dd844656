//! The end hooks of one call and what they will be told; fires exactly once.

use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tonic::Status;
use tonic::codegen::http;

use super::CallEnd;
use crate::Side;
use crate::errors::panic_hook::Unanswered;

type EndHook = Box<dyn FnOnce(&CallEnd) + Send>;

/// The end hooks of one call, with what they will be told. Exists only once a hook is
/// registered; fires exactly once, when the call ends or, failing that, when dropped.
pub(crate) struct Tracker {
    hooks: Vec<EndHook>,
    side: Side,
    started: Instant,
    deadline: Option<Instant>,
    timeout: Duration,
    requests: Arc<AtomicU64>,
    responses: Arc<AtomicU64>,
    extensions: http::Extensions,
    fired: bool,
}

impl Tracker {
    pub(crate) fn new(side: Side) -> Self {
        Self {
            hooks: Vec::new(),
            side,
            started: Instant::now(),
            deadline: None,
            timeout: Duration::ZERO,
            requests: Arc::default(),
            responses: Arc::default(),
            extensions: http::Extensions::new(),
            fired: false,
        }
    }

    pub(crate) fn push(&mut self, hook: EndHook) {
        self.hooks.push(hook);
    }

    /// The call's deadline, `timeout` after the tracker started.
    /// The call's deadline: `timeout` after `since` (when the request arrived, if known),
    /// or after the tracker started.
    pub(crate) fn set_timeout(&mut self, timeout: Duration, since: Option<Instant>) {
        self.deadline = since.unwrap_or(self.started).checked_add(timeout);
        self.timeout = timeout;
    }

    /// The counter of request messages, shared with the request stream's hook.
    pub(crate) fn request_counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.requests)
    }

    /// The counter of response messages, for a response stream's hook.
    pub(crate) fn response_counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.responses)
    }

    pub(crate) fn count_response(&mut self) {
        self.responses.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn set_extensions(&mut self, extensions: http::Extensions) {
        self.extensions = extensions;
    }

    /// Ends the call with `status` (an OK status for success).
    pub(crate) fn fire(mut self, status: Status, panicked: bool) {
        self.run(status, false, panicked);
    }

    fn run(&mut self, status: Status, by_peer: bool, panicked: bool) {
        if std::mem::replace(&mut self.fired, true) {
            return;
        }
        let end = CallEnd {
            status,
            side: self.side,
            request_messages: self.requests.load(Ordering::Relaxed),
            response_messages: self.responses.load(Ordering::Relaxed),
            elapsed: self.started.elapsed(),
            by_peer,
            panicked,
            extensions: std::mem::take(&mut self.extensions),
        };
        // Its panic ends as no status: the quiet panic hook reports it, even inside a call.
        let _unanswered = Unanswered::when_installed();
        for hook in self.hooks.drain(..) {
            // An end hook runs where the call ended, possibly in a `Drop`: its panic must
            // not unwind from there.
            let _ = panic::catch_unwind(AssertUnwindSafe(|| hook(&end)));
        }
    }

    /// The status of a call that ended without a result: its deadline passed, or it was
    /// cancelled (by the peer, on a server).
    fn abandoned(&mut self) {
        // Without the arrival time, the deadline counts from when the tracker started, a
        // little after tonic started counting: a call dropped that close to its deadline
        // was dropped for it.
        let slack = (self.timeout / 50).min(Duration::from_millis(20));
        let past_deadline = self.deadline.is_some_and(|d| Instant::now() + slack >= d);
        if past_deadline {
            self.run(
                Status::deadline_exceeded("the deadline passed"),
                false,
                false,
            );
        } else {
            let by_peer = self.side == Side::Server;
            let message = if by_peer {
                "the client cancelled the call"
            } else {
                "the call was dropped before its end"
            };
            self.run(Status::cancelled(message), by_peer, false);
        }
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        if !self.fired {
            self.abandoned();
        }
    }
}

impl fmt::Debug for Tracker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tracker")
            .field("hooks", &self.hooks.len())
            .field("side", &self.side)
            .finish_non_exhaustive()
    }
}

/// A tracker on its way through an `http::Extensions` map (to `server::TrailersLayer`),
/// which needs `Clone`: the first taker gets it.
#[derive(Clone, Debug)]
pub(crate) struct PendingEnd(Arc<Mutex<Option<Tracker>>>);

impl PendingEnd {
    pub(crate) fn new(tracker: Tracker) -> Self {
        Self(Arc::new(Mutex::new(Some(tracker))))
    }

    pub(crate) fn take(&self) -> Option<Tracker> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

/// The status a final trailers frame (or a trailers-only response's headers) carries.
pub(crate) fn status_of(headers: &http::HeaderMap) -> Status {
    Status::from_header_map(headers)
        .unwrap_or_else(|| Status::unknown("the response ended without a grpc-status"))
}
