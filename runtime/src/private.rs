//! Not public API: what `grpc-interceptor-macros` expansions use, re-exported as
//! `grpc_interceptor::__private`. May change in any release.

pub use crate::context::CallState;
pub use crate::errors::into_status::{ErrorType, OtherError, StatusError};
pub use crate::server::probe::*;
pub use crate::server::response_stream::InterceptedStream;
pub use crate::server::serve::{method_name, serve};

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
