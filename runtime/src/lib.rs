//! Interceptors for [tonic] that see the request, the response and the context, in all
//! four streaming modes, on servers and clients.
//!
//! tonic's own `tonic::service::Interceptor` is a synchronous function over request
//! metadata. An interceptor here is one `fn` or `async fn` with the signature
//! `(method, request, context, method_name)` that wraps the whole call, as Python's
//! `grpc-interceptor` does: it can read and replace messages (or wrap message streams),
//! answer without calling the handler, end the call with a status, and set headers,
//! trailers and the final code.
//!
//! ```
//! use grpc_interceptor::prelude::*;
//! use tonic::{Request, Status};
//!
//! #[interceptor]
//! fn require_token(method: Next<'_>, request: Request, context: &mut Context, _: &MethodName) -> Reply {
//!     if request.metadata().get("authorization").is_none() {
//!         return Reply::error(Status::unauthenticated("missing token"));
//!     }
//!     method.call(request, context)
//! }
//! # let _ = require_token;
//! ```
//!
//! Where to go next:
//!
//! - [`interceptor`] for the signature and both forms, [`intercepted`] for putting a list
//!   of interceptors on a tonic service impl (a complete service is its example);
//! - [`interceptor`]'s "Interceptors with state" for a type with configuration or state
//!   and one `#[interceptor]` method, and [`CallInterceptor`] for writing the impl by hand;
//! - [`prelude`] for the one import an interceptor file needs;
//! - [`PayloadExt`] and [`MessageStream`] for reaching messages by type in every mode (on
//!   tonic's own `Request` and `Response`), [`Context`] for the code, details, headers and
//!   trailers a call ends with;
//! - [`client`] for the same interceptors on a tonic client's channel, and
//!   [`server::InterceptorLayer`] for them around every service of a server;
//! - [`errors`] and [`ExceptionToStatus`] for turning errors and panics into statuses;
//! - [`server::TrailersLayer`] for trailers after successful unary calls;
//! - the `testing` module (feature `testing`) for the harness: a `DummyService` served over
//!   HTTP/2 on 127.0.0.1 behind the interceptors under test, wire-compatible with Python's;
//! - [`guide::production`] before a service takes real traffic: panics, the quiet panic
//!   hook, state in end hooks, and the two forms of an interceptor.
//!
//! `ARCHITECTURE.md` in the repository follows one call through the macro expansion, the
//! runtime and tonic.
//!
//! [tonic]: https://docs.rs/tonic
#![doc(test(attr(deny(warnings))))]

// Lets the runtime's own code use the macros, whose expansions name `::grpc_interceptor`.
#[cfg(feature = "testing")]
extern crate self as grpc_interceptor;

pub mod client;
mod context;
pub mod errors;
pub mod guide;
mod interceptor;
pub mod interceptors;
pub mod lifecycle;
mod message;
mod method_name;
mod private;
pub mod server;
mod wire;

#[cfg(feature = "testing")]
pub mod testing;

pub use context::{Context, MAX_METADATA_SIZE, Side};
pub use errors::IntoStatus;
pub use errors::{ExceptionToStatus, Failure};
pub use interceptor::{CallInterceptor, Chain, Next, Reply};
pub use lifecycle::CallEnd;
pub use message::{AnyMessage, MessageStream, Payload, PayloadExt, RequestExt, StreamEnd};
pub use method_name::{InvalidMethodName, MethodName, parse_method_name};
pub use tonic::{Code, Status};
pub use tonic::{Request, Response};
pub use wire::WireMessage;

#[doc(inline)]
pub use grpc_interceptor_macros::{intercepted, interceptor};

pub mod prelude {
    //! What a file with interceptors needs, in one line: `use grpc_interceptor::prelude::*;`.
    //!
    //! The extension traits that reach messages by type ([`PayloadExt`], [`RequestExt`]),
    //! the macros, the interceptor vocabulary, and tonic's own `Request`, `Response`,
    //! `Status` and `Code` (the same items as `tonic::...`, so importing both never clashes).
    pub use crate::{
        CallEnd, CallInterceptor, Chain, Context, MessageStream, MethodName, Next, PayloadExt,
        Reply, RequestExt, Side, StreamEnd, intercepted, interceptor,
    };
    pub use tonic::{Code, Request, Response, Status};
}

#[doc(hidden)]
pub mod __private {
    //! Not public API: used by `grpc-interceptor-macros` expansions; may change in any release.
    pub use crate::private::*;
}
