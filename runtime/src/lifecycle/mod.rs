//! The end of a call, as interceptors see it: [`CallEnd`], given to the hooks registered
//! with [`Context::on_call_end`](crate::Context::on_call_end) exactly once per call,
//! however the call ends.
//!
//! The rules, in one place:
//!
//! | how the call ends | status the hooks see | `by_peer` |
//! |---|---|---|
//! | the handler's (or an interceptor's) result | that result: OK, or the error status with the context's trailers | no |
//! | a panic in the handler or an interceptor, with no `ExceptionToStatus` inside the hook's interceptor | `UNKNOWN` "panicked: ..." (`panicked()` is true); on a server the client gets that status, on a client the panic goes on into the application's task | no |
//! | the server's call future or response stream dropped before the end (the client cancelled or went away) | `CANCELLED` | yes |
//! | the same, once the call's deadline (`grpc-timeout`) has passed | `DEADLINE_EXCEEDED` | no |
//! | a client's response stream dropped by the application before its end | `CANCELLED` | no |
//! | a client's call future dropped before the response head arrived | `CANCELLED`, or `DEADLINE_EXCEEDED` past the deadline | no |
//!
//! On a server, a unary response ends when tonic has it: behind
//! [`server::TrailersLayer`](crate::server::TrailersLayer), when its body has really been
//! written to the transport (and `CANCELLED` if the client reset the stream first);
//! without the layer, when it is handed to tonic. A response stream ends with its last
//! item. The deadline counts from the request's arrival behind `TrailersLayer`; without it,
//! from the first end hook's registration, and a call dropped within 2% of its timeout (at
//! most 20 ms) of the deadline counts as past it. Message counts are the messages that passed the interceptors in each direction
//! (a request stream: the messages the handler read).

mod body;
mod tracker;

use std::fmt;
use std::time::Duration;

use tonic::codegen::http;
use tonic::metadata::MetadataMap;
use tonic::{Code, Status};

pub(crate) use body::EndBody;
pub(crate) use tracker::{PendingEnd, Tracker, status_of};

use crate::Side;

/// How a call ended: what hooks registered with
/// [`Context::on_call_end`](crate::Context::on_call_end) see, once per call.
///
/// See the [module docs](crate::lifecycle) for the rules.
pub struct CallEnd {
    pub(crate) status: Status,
    pub(crate) side: Side,
    pub(crate) request_messages: u64,
    pub(crate) response_messages: u64,
    pub(crate) elapsed: Duration,
    pub(crate) by_peer: bool,
    pub(crate) panicked: bool,
    pub(crate) extensions: http::Extensions,
}

impl CallEnd {
    /// The final status; its code is `OK` when the call succeeded. Its metadata holds the
    /// trailers the call ended with, where known.
    pub fn status(&self) -> &Status {
        &self.status
    }

    /// The final code.
    pub fn code(&self) -> Code {
        self.status.code()
    }

    /// The trailers the call ended with, where known.
    pub fn trailers(&self) -> &MetadataMap {
        self.status.metadata()
    }

    /// Which end of the call this is.
    pub fn side(&self) -> Side {
        self.side
    }

    /// Request messages that passed the interceptors: received (server) or sent (client).
    pub fn request_messages(&self) -> u64 {
        self.request_messages
    }

    /// Response messages that passed the interceptors: sent (server) or received (client).
    pub fn response_messages(&self) -> u64 {
        self.response_messages
    }

    /// The time since the first end hook was registered, which interceptors do as the
    /// call starts.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// Whether the other end ended the call: on a server, the client cancelled or went
    /// away before the response was complete.
    pub fn by_peer(&self) -> bool {
        self.by_peer
    }

    /// Whether a panic ended the call (the status then is the one it was turned into).
    pub fn panicked(&self) -> bool {
        self.panicked
    }

    /// A value of the call's storage ([`Context::insert`](crate::Context::insert)), as it
    /// was when the call ended.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.extensions.get()
    }
}

impl fmt::Debug for CallEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallEnd")
            .field("code", &self.status.code())
            .field("message", &self.status.message())
            .field("side", &self.side)
            .field("request_messages", &self.request_messages)
            .field("response_messages", &self.response_messages)
            .field("elapsed", &self.elapsed)
            .field("by_peer", &self.by_peer)
            .field("panicked", &self.panicked)
            .finish_non_exhaustive()
    }
}

/// Readies an end hook's view of the request, once the interceptors have run: the deadline
/// and a count of the request messages the handler reads.
#[cold]
pub(crate) fn track_request<P: crate::Payload>(
    state: &crate::context::CallState,
    request: &mut tonic::Request<P>,
) {
    let timeout = crate::RequestExt::timeout(request);
    let arrived = request
        .extensions()
        .get::<crate::server::Supported>()
        .map(|supported| supported.0);
    let counter = state.with_tracker(|tracker| {
        if let Some(timeout) = timeout {
            tracker.set_timeout(timeout, arrived);
        }
        tracker.request_counter()
    });
    if let Some(counter) = counter {
        request.get_mut().count_messages(counter);
    }
}
