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

/// The entry is not an interceptor: [`NotAnInterceptor`] stands in for it.
pub trait InterceptorEntry<T: ?Sized> {
    /// No interceptor, in place of the entry.
    fn __grpc_interceptor_checked(&self) -> NotAnInterceptor<T>;
}

impl<T: ?Sized> InterceptorEntry<T> for &Checked<'_, T> {
    fn __grpc_interceptor_checked(&self) -> NotAnInterceptor<T> {
        NotAnInterceptor(std::marker::PhantomData)
    }
}

/// In place of an entry of type `T` that is no interceptor: an interceptor, so that the
/// list type-checks and the only error is the one [`entry`] reports.
pub struct NotAnInterceptor<T: ?Sized>(std::marker::PhantomData<fn() -> Box<T>>);

impl<T: ?Sized> crate::CallInterceptor for NotAnInterceptor<T> {
    fn intercept<'call, N: crate::Chain>(
        &self,
        _: crate::Next<'call, N>,
        _: crate::Request<N::ReqPayload>,
        _: &mut crate::Context<'call>,
        _: &crate::MethodName,
    ) -> impl Future<Output = Result<crate::Response<N::RespPayload>, crate::Status>> + Send {
        std::future::pending()
    }
}

/// What an entry is checked as: the interceptor it borrows, or the entry that is none.
pub trait EntrySubject {
    /// The type that must be an interceptor.
    type Subject: ?Sized;
}

impl<T: ?Sized> EntrySubject for ByRef<'_, T> {
    type Subject = T;
}

impl<T: ?Sized> EntrySubject for NotAnInterceptor<T> {
    type Subject = T;
}

/// An entry of `#[intercepted(...)]`, with `check` the hidden method of `CallInterceptor`
/// on its subject: an entry that is no interceptor is reported by the public trait's own
/// bound, with its `#[diagnostic::on_unimplemented]` message and no bound of this module.
#[inline(always)]
pub fn entry<E: EntrySubject>(entry: E, check: fn(&E::Subject)) -> E {
    let _ = check;
    entry
}
pub use ::core;
pub use ::std::sync::OnceLock;
pub use ::tonic;
