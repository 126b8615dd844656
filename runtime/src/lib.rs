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
//! # let _ = require_token;
//! ```
//!
//! Where to go next:
//!
//! - [`interceptor`] for the signature and both forms, [`intercepted`] for putting a list
//!   of interceptors on a tonic service impl (a complete service is its example);
//! - [`CallInterceptor`] for interceptors with state, written by hand;
//! - [`Request`], [`Response`] and [`Streaming`] for reaching messages by type in every
//!   mode, [`Context`] for the code, details, headers and trailers a call ends with;
//! - [`client`] for the same interceptors on a tonic client's channel;
//! - [`errors`] and [`ExceptionToStatus`] for turning errors and panics into statuses;
//! - [`TrailersLayer`] for trailers after successful unary calls;
//! - the `testing` module (feature `testing`) for the harness: a `DummyService` served over
//!   HTTP/2 on 127.0.0.1 behind the interceptors under test, wire-compatible with Python's.
//!
//! [tonic]: https://docs.rs/tonic
#![doc(test(attr(deny(warnings))))]

// Lets the runtime's own code use the macros, whose expansions name `::grpc_interceptor`.
#[cfg(feature = "testing")]
extern crate self as grpc_interceptor;

mod body;
mod chain;
pub mod client;
mod context;
pub mod errors;
mod exception_to_status;
mod into_status;
mod message;
mod method_name;
mod probe;
mod replay;
mod server;
mod stack;
mod streaming;
mod timeout;
mod trailers;
mod wire;

#[cfg(feature = "testing")]
pub mod testing;

pub use body::Body;
pub use chain::{CallInterceptor, Chain, Next, Reply};
pub use context::{Context, Side};
pub use exception_to_status::{ExceptionToStatus, Failure};
pub use into_status::IntoStatus;
pub use message::{Request, Response};
pub use method_name::{InvalidMethodName, MethodName, parse_method_name};
pub use streaming::{StreamEnd, Streaming};
pub use tonic::{Code, Status};
pub use trailers::{Trailers, TrailersBody, TrailersFuture, TrailersLayer};
pub use wire::WireMessage;

#[doc(inline)]
pub use grpc_interceptor_macros::{intercepted, interceptor};

#[doc(hidden)]
pub mod __private {
    //! Not public API. Used by `grpc-interceptor-macros` expansions; may change in any release.
    pub use crate::context::CallState;
    pub use crate::into_status::into_status;
    pub use crate::probe::*;
    pub use crate::server::{Message, RequestStream, ResponseStream, method_name, serve};
    pub use crate::streaming::InterceptedStream;

    /// `<T as Identity>::This` is `T`: how the expansion names a service's own stream types.
    pub trait Identity {
        /// `Self`.
        type This: ?Sized;
    }

    impl<T: ?Sized> Identity for T {
        type This = T;
    }

    /// An entry of `#[intercepted(...)]`, checked with autoref specialization:
    /// `(&Checked(&entry)).__grpc_interceptor_checked()` is `&entry` when it is an
    /// interceptor ([`CheckedInterceptor`]); otherwise [`InterceptorEntry`] reports that,
    /// once and spanned on the entry, and stands in for it, so that no other error follows.
    pub struct Checked<'a, T: ?Sized>(pub &'a T);

    /// The entry is an interceptor.
    pub trait CheckedInterceptor<'a, T: ?Sized> {
        /// The entry.
        fn __grpc_interceptor_checked(&self) -> &'a T;
    }

    impl<'a, T: crate::CallInterceptor + ?Sized> CheckedInterceptor<'a, T> for Checked<'a, T> {
        fn __grpc_interceptor_checked(&self) -> &'a T {
            self.0
        }
    }

    /// The entry is not an interceptor: calling this fails with the message of
    /// `CallInterceptor`'s `#[diagnostic::on_unimplemented]`.
    pub trait InterceptorEntry<T: ?Sized> {
        /// No interceptor, in place of the entry.
        fn __grpc_interceptor_checked(&self) -> &'static ()
        where
            T: crate::CallInterceptor;
    }

    impl<T: ?Sized> InterceptorEntry<T> for &Checked<'_, T> {
        fn __grpc_interceptor_checked(&self) -> &'static ()
        where
            T: crate::CallInterceptor,
        {
            &()
        }
    }
    pub use ::core;
    pub use ::std::sync::OnceLock;
    pub use ::tonic;
}
