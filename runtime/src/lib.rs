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
//! use grpc_interceptor::{interceptor, Context, MethodName, Next, Reply, Request, Status};
//!
//! #[interceptor]
//! fn require_token(method: Next<'_>, request: Request, context: &mut Context, _: &MethodName) -> Reply {
//!     if request.metadata().get("authorization").is_none() {
//!         return Reply::error(Status::unauthenticated("missing token"));
//!     }
//!     method.call(request, context)
//! }
//! ```
//!
//! [tonic]: https://docs.rs/tonic
#![doc(test(attr(deny(warnings))))]

// Lets the runtime's own code use the macros, whose expansions name `::grpc_interceptor`.
extern crate self as grpc_interceptor;

mod chain;
mod context;
mod into_status;
mod message;
mod method_name;
mod server;
mod stack;
mod streaming;
mod timeout;

#[cfg(feature = "testing")]
pub mod testing;

pub use chain::{CallInterceptor, Chain, Next, Reply};
pub use context::{Context, Side};
pub use into_status::IntoStatus;
pub use message::{Request, Response};
pub use method_name::{InvalidMethodName, MethodName, parse_method_name};
pub use streaming::{StreamEnd, Streaming};
pub use tonic::{Code, Status};

#[doc(inline)]
pub use grpc_interceptor_macros::{intercepted, interceptor};

#[doc(hidden)]
pub mod __private {
    //! Not public API. Used by `grpc-interceptor-macros` expansions; may change in any release.
    pub use crate::chain::{Link, link};
    pub use crate::context::CallState;
    pub use crate::into_status::into_status;
    pub use crate::server::{Kind, Message, RequestStream, ResponseStream, method_name, serve};
    pub use crate::streaming::{InterceptedStream, ResultStream};

    /// `<T as Identity>::This` is `T`: how the expansion names a service's own stream types.
    pub trait Identity {
        /// `Self`.
        type This: ?Sized;
    }

    impl<T: ?Sized> Identity for T {
        type This = T;
    }
    pub use ::core;
    pub use ::std::sync::OnceLock;
    pub use ::tonic;
}
