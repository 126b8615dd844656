//! [`CallInterceptor`], the trait every interceptor implements, and the chain that runs a
//! list of them around a call: [`Next`] (the rest of the chain), [`Reply`] (its future) and
//! tuples of interceptors.

use std::future::Future;

use tonic::Status;

use crate::{Context, MethodName, Request, Response};

mod next;
mod tuple;

pub(crate) use next::link;
pub use next::{Chain, Next, Reply};

/// An interceptor: code that runs around every call of a service (or of a client), in all
/// four streaming modes, and sees the request, the response and the [`Context`].
///
/// [`#[interceptor]`](crate::interceptor) implements this trait for a function, or for a type
/// with state or configuration from one `&self` method of the same signature (see its
/// "Interceptors with state"). Implement it by hand for a library's public type or to spell
/// out the `Chain` bounds, with an `async fn` or a plain `fn` returning a future:
///
/// ```
/// use std::future::Future;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use grpc_interceptor::{CallInterceptor, Chain, Context, MethodName, Next, Request, Response, Status};
///
/// #[derive(Default)]
/// pub struct CountCalls(AtomicUsize);
///
/// impl CallInterceptor for CountCalls {
///     fn intercept<'call, N: Chain>(
///         &self,
///         method: Next<'call, N>,
///         request: Request<N::ReqPayload>,
///         context: &mut Context<'call>,
///         _method_name: &MethodName,
///     ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
///         self.0.fetch_add(1, Ordering::Relaxed);
///         method.call(request, context)
///     }
/// }
/// # let _ = CountCalls::default();
/// ```
///
/// To answer without running the rest of the chain, return
/// [`method.error(status)`](Next::error) or [`method.ok(response)`](Next::ok): `Reply::error`
/// cannot tell the chain type `N` from an `impl Future` return type, `method` can.
///
/// ```
/// use std::future::Future;
/// use grpc_interceptor::{CallInterceptor, Chain, Context, MethodName, Next, Request, Response, Status};
///
/// /// Refuses every call while `closed` is set.
/// pub struct Gate {
///     pub closed: bool,
/// }
///
/// impl CallInterceptor for Gate {
///     fn intercept<'call, N: Chain>(
///         &self,
///         method: Next<'call, N>,
///         request: Request<N::ReqPayload>,
///         context: &mut Context<'call>,
///         _method_name: &MethodName,
///     ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
///         if self.closed {
///             return method.error(Status::unavailable("closed"));
///         }
///         method.call(request, context)
///     }
/// }
/// # let _ = Gate { closed: false };
/// ```
///
/// `N` is the rest of the chain: the next interceptor and, last, the handler. It is a type
/// parameter so that a chain of interceptors compiles to one future with no boxing.
/// `N::ReqPayload` and `N::RespPayload` are the message types of the call (or
/// [`MessageStream`](crate::MessageStream) of them); reach typed messages with
/// [`PayloadExt::message_mut`](crate::PayloadExt::message_mut) and
/// [`PayloadExt::for_each_message`](crate::PayloadExt::for_each_message).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an interceptor",
    label = "not an interceptor",
    note = "annotate a function with `#[grpc_interceptor::interceptor]`, or implement `CallInterceptor` for `{Self}`"
)]
pub trait CallInterceptor: Send + Sync {
    /// Runs around one call: usually does some work, calls `method.call(request, context)`
    /// to run the rest of the chain and the handler, and returns (or changes) its result.
    /// Returning without calling `method` answers the call without running the handler.
    fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        method_name: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send;

    /// Does nothing: `#[intercepted]` names it to check that an entry is an interceptor.
    #[doc(hidden)]
    #[inline(always)]
    fn __grpc_interceptor_check(&self) {}

    /// [`intercept`](Self::intercept) with a context of its own, for an interceptor inside a
    /// list: its future must own the context it borrows. The default wraps `intercept` in a
    /// future that owns `context`; `#[interceptor]` overrides it with a call of the fn that
    /// needs no such wrapper (a `Context` is a handle: a clone shares the call's state).
    #[doc(hidden)]
    #[allow(
        clippy::manual_async_fn,
        reason = "as an `async fn` its future is 16 bytes larger"
    )]
    #[inline]
    fn intercept_owned<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: Context<'call>,
        method_name: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        async move {
            let mut context = context;
            self.intercept(method, request, &mut context, method_name)
                .await
        }
    }
}

/// The name of an [`#[interceptor]`](crate::interceptor) fn is an interceptor: in
/// expressions it is a function that returns the interceptor struct of the same name, so
/// that it is no constant in patterns (`let log = ...;` beside `#[interceptor] fn log`
/// binds a new variable), while `log` still goes wherever an interceptor does. Where the
/// type must be named (a field holding an intercepted client, say), `log()` is a value of
/// type `log`.
///
/// ```
/// use grpc_interceptor::CallInterceptor;
/// # use grpc_interceptor::prelude::*;
/// # #[interceptor]
/// # fn audit(method: Next<'_>, request: Request, context: &mut Context, _: &MethodName) -> Reply {
/// #     method.call(request, context)
/// # }
/// fn is_interceptor(_: impl CallInterceptor) {}
///
/// is_interceptor(audit);
/// let audit = "a variable of the same name";
/// # let _ = audit;
/// ```
#[diagnostic::do_not_recommend]
impl<F, I> CallInterceptor for F
where
    F: Fn() -> I + Send + Sync,
    I: crate::__private::InterceptorFn,
{
    #[inline(always)]
    fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        method_name: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        I::INSTANCE.intercept(method, request, context, method_name)
    }

    #[inline(always)]
    fn intercept_owned<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: Context<'call>,
        method_name: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        I::INSTANCE.intercept_owned(method, request, context, method_name)
    }
}

#[diagnostic::do_not_recommend]
impl<I: CallInterceptor + ?Sized> CallInterceptor for std::sync::Arc<I> {
    #[inline]
    fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        method_name: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        (**self).intercept(method, request, context, method_name)
    }

    #[inline]
    fn intercept_owned<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: Context<'call>,
        method_name: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        (**self).intercept_owned(method, request, context, method_name)
    }
}
