//! Tuples of interceptors are interceptors: `(a, b, c)` runs `a` outermost, then `b`,
//! then `c`, then the rest of the call.

use std::future::Future;

use tonic::Status;

use crate::chain::link;
use crate::{CallInterceptor, Chain, Context, MethodName, Next, Request, Response};

/// Interceptors run one inside the other; the list behind a tuple interceptor.
pub(crate) trait Stack: Send + Sync {
    /// Runs the interceptors around `next`.
    fn run<'call, N: Chain>(
        &self,
        next: N,
        request: Request<N::ReqBody>,
        context: Context<'call>,
        method_name: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespBody>, Status>> + Send;
}

/// No interceptor: calls the rest of the chain.
#[diagnostic::do_not_recommend]
impl CallInterceptor for () {
    fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqBody>,
        context: &mut Context<'call>,
        _method_name: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespBody>, Status>> + Send {
        method.call(request, context)
    }
}

impl Stack for () {
    fn run<'call, N: Chain>(
        &self,
        next: N,
        request: Request<N::ReqBody>,
        context: Context<'call>,
        _method_name: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespBody>, Status>> + Send {
        let _ = context;
        next.call(request)
    }
}

/// One interceptor in front of the rest of the list (`()` ends it).
struct Cons<'s, A, R>(&'s A, R);

impl<A: CallInterceptor, R: Stack> Stack for Cons<'_, A, R> {
    fn run<'call, N: Chain>(
        &self,
        next: N,
        request: Request<N::ReqBody>,
        mut context: Context<'call>,
        method_name: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespBody>, Status>> + Send {
        let rest = &self.1;
        let inner_context = context.clone();
        let inner = link(move |request: Request<N::ReqBody>| {
            rest.run(next, request, inner_context, method_name)
        });
        let interceptor = self.0;
        async move {
            interceptor
                .intercept(Next::new(inner), request, &mut context, method_name)
                .await
        }
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
                request: Request<N::ReqBody>,
                context: &mut Context<'call>,
                method_name: &MethodName,
            ) -> impl Future<Output = Result<Response<N::RespBody>, Status>> + Send {
                let context = context.clone();
                async move {
                    cons!(self; $($index),+)
                        .run(method.into_chain(), request, context, method_name)
                        .await
                }
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
