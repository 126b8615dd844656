//! Not public API: what `grpc-interceptor-macros` expansions use, re-exported as
//! `grpc_interceptor::__private`. May change in any release.

pub use crate::context::CallState;
pub use crate::errors::into_status::{ErrorType, OtherError, StatusError};
pub use crate::server::probe::*;
pub use crate::server::response_stream::InterceptedStream;
pub use crate::server::serve::{method_name, serve};

/// The struct of an `#[interceptor]` fn, whose name in expressions is a function returning
/// it: that function is an interceptor through this `'static` instance.
pub trait InterceptorFn: crate::CallInterceptor + 'static {
    /// The interceptor.
    const INSTANCE: &'static Self;
}

/// An entry of `#[intercepted(...)]`, checked with autoref specialization:
/// `(&Checked(&entry)).__grpc_interceptor_checked()` is `ByRef(&entry)` when it is an
/// interceptor ([`CheckedInterceptor`]); otherwise [`InterceptorEntry`] reports that,
/// once and spanned on the entry, and stands in for it, so that no other error follows.
pub struct Checked<'a, T: ?Sized>(pub &'a T);

/// The entry is an interceptor.
pub trait CheckedInterceptor<'a, T: ?Sized> {
    /// The entry.
    fn __grpc_interceptor_checked(&self) -> ByRef<'a, T>;
}

impl<'a, T: crate::CallInterceptor + ?Sized> CheckedInterceptor<'a, T> for Checked<'a, T> {
    #[inline(always)]
    fn __grpc_interceptor_checked(&self) -> ByRef<'a, T> {
        ByRef(self.0)
    }
}

/// The entry is a reference to an interceptor (`&STATIC`).
pub trait CheckedReference<'a, T: ?Sized> {
    /// The interceptor the entry refers to.
    fn __grpc_interceptor_checked(&self) -> ByRef<'a, T>;
}

impl<'a, T: crate::CallInterceptor + ?Sized> CheckedReference<'a, T> for Checked<'a, &'a T> {
    #[inline(always)]
    fn __grpc_interceptor_checked(&self) -> ByRef<'a, T> {
        ByRef(*self.0)
    }
}

/// An interceptor by reference: an entry of `#[intercepted(...)]`, evaluated on every call
/// (`self.auth` is borrowed, not moved).
pub struct ByRef<'a, T: ?Sized>(pub &'a T);

impl<T: crate::CallInterceptor + ?Sized> crate::CallInterceptor for ByRef<'_, T> {
    #[inline(always)]
    fn intercept<'call, N: crate::Chain>(
        &self,
        method: crate::Next<'call, N>,
        request: crate::Request<N::ReqPayload>,
        context: &mut crate::Context<'call>,
        method_name: &crate::MethodName,
    ) -> impl Future<Output = Result<crate::Response<N::RespPayload>, crate::Status>> + Send {
        self.0.intercept(method, request, context, method_name)
    }

    #[inline(always)]
    fn intercept_owned<'call, N: crate::Chain>(
        &self,
        method: crate::Next<'call, N>,
        request: crate::Request<N::ReqPayload>,
        context: crate::Context<'call>,
        method_name: &crate::MethodName,
    ) -> impl Future<Output = Result<crate::Response<N::RespPayload>, crate::Status>> + Send {
        self.0
            .intercept_owned(method, request, context, method_name)
    }
}

/// The entry is not an interceptor: calling this fails with the message of
/// `CallInterceptor`'s `#[diagnostic::on_unimplemented]`.
pub trait InterceptorEntry<T: ?Sized> {
    /// No interceptor, in place of the entry.
    fn __grpc_interceptor_checked(&self) -> ByRef<'static, ()>
    where
        T: crate::CallInterceptor;
}

impl<T: ?Sized> InterceptorEntry<T> for &Checked<'_, T> {
    fn __grpc_interceptor_checked(&self) -> ByRef<'static, ()>
    where
        T: crate::CallInterceptor,
    {
        ByRef(&())
    }
}
pub use ::core;
pub use ::std::sync::OnceLock;
pub use ::tonic;
