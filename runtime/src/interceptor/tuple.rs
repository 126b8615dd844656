//! Tuples of interceptors are interceptors: `(a, b, c)` runs `a` outermost, then `b`,
//! then `c`, then the rest of the call.

use std::future::Future;

use tonic::Status;

use crate::interceptor::link;
use crate::{CallInterceptor, Chain, Context, MethodName, Next, Request, Response};

/// Interceptors run one inside the other; the list behind a tuple interceptor.
///
/// The outermost interceptor borrows the caller's context and its future is the whole
/// stack's: no future of the stack's own wraps it. Each inner interceptor needs a context
/// that lives as long as its future, so it gets one of its own
/// ([`CallInterceptor::intercept_owned`]): for an `#[interceptor]` fn that is a plain call,
/// with no future around it. Fewer wrapping futures make the call's future smaller: less to
/// allocate and to move.
pub(crate) trait Stack: Copy + Send + Sync {
    /// Runs the interceptors around `next`, the outermost with `context`.
    fn run<'call, N: Chain>(
        self,
        next: N,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        method_name: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send;

    /// Runs the interceptors around `next`, with a context of their own.
    fn run_owned<'call, N: Chain>(
        self,
        next: N,
        request: Request<N::ReqPayload>,
        context: Context<'call>,
        method_name: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send;
}

/// No interceptor: calls the rest of the chain.
#[diagnostic::do_not_recommend]
impl CallInterceptor for () {
    fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _method_name: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        method.call(request, context)
    }

    #[inline]
    fn intercept_owned<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        mut context: Context<'call>,
        _method_name: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        method.call(request, &mut context)
    }
}

impl Stack for () {
    #[inline(always)]
    fn run<'call, N: Chain>(
        self,
        next: N,
        request: Request<N::ReqPayload>,
        _context: &mut Context<'call>,
        _method_name: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        next.call(request)
    }

    #[inline(always)]
    fn run_owned<'call, N: Chain>(
        self,
        next: N,
        request: Request<N::ReqPayload>,
        _context: Context<'call>,
        _method_name: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        next.call(request)
    }
}

/// One interceptor in front of the rest of the list (`()` ends it).
struct Cons<'s, A, R>(&'s A, R);

impl<A, R: Copy> Clone for Cons<'_, A, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A, R: Copy> Copy for Cons<'_, A, R> {}

impl<A: CallInterceptor, R: Stack> Stack for Cons<'_, A, R> {
    #[inline]
    fn run<'call, N: Chain>(
        self,
        next: N,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        method_name: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        let Cons(interceptor, rest) = self;
        let inner_context = context.clone();
        let inner = link(move |request: Request<N::ReqPayload>| {
            rest.run_owned(next, request, inner_context, method_name)
        });
        interceptor.intercept(Next::new(inner), request, context, method_name)
    }

    #[inline]
    fn run_owned<'call, N: Chain>(
        self,
        next: N,
        request: Request<N::ReqPayload>,
        context: Context<'call>,
        method_name: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        let Cons(interceptor, rest) = self;
        let inner_context = context.clone();
        let inner = link(move |request: Request<N::ReqPayload>| {
            rest.run_owned(next, request, inner_context, method_name)
        });
        interceptor.intercept_owned(Next::new(inner), request, context, method_name)
    }
}

macro_rules! cons {
    ($self:ident; $index:tt) => { Cons(&$self.$index, ()) };
    ($self:ident; $index:tt, $($rest:tt),+) => { Cons(&$self.$index, cons!($self; $($rest),+)) };
}

macro_rules! tuple_stack {
    ($($name:ident . $index:tt),+) => {
        /// Runs the interceptors of the tuple, the first outermost.
        #[diagnostic::do_not_recommend]
        impl<$($name: CallInterceptor),+> CallInterceptor for ($($name,)+) {
            fn intercept<'call, N: Chain>(
                &self,
                method: Next<'call, N>,
                request: Request<N::ReqPayload>,
                context: &mut Context<'call>,
                method_name: &MethodName,
            ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
                cons!(self; $($index),+).run(method.into_chain(), request, context, method_name)
            }

            #[inline]
            fn intercept_owned<'call, N: Chain>(
                &self,
                method: Next<'call, N>,
                request: Request<N::ReqPayload>,
                context: Context<'call>,
                method_name: &MethodName,
            ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
                cons!(self; $($index),+).run_owned(method.into_chain(), request, context, method_name)
            }
        }
    };
}

tuple_stack!(A.0);
tuple_stack!(A.0, B.1);
tuple_stack!(A.0, B.1, C.2);
tuple_stack!(A.0, B.1, C.2, D.3);
tuple_stack!(A.0, B.1, C.2, D.3, E.4);
tuple_stack!(A.0, B.1, C.2, D.3, E.4, F.5);
tuple_stack!(A.0, B.1, C.2, D.3, E.4, F.5, G.6);
tuple_stack!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7);
tuple_stack!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8);
tuple_stack!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9);
tuple_stack!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9, K.10);
tuple_stack!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9, K.10, L.11);
