//! [`Selector`]: runs an interceptor only for the methods that match, as
//! go-grpc-middleware's `selector` does, so that, say, authentication can exempt the health
//! check without a struct of its own.

use std::future::Future;

use futures_util::future::Either;
use tonic::Status;

use crate::{CallInterceptor, Chain, Context, MethodName, Next, Request, Response};

/// Which methods a [`Selector`] runs its interceptor for.
#[derive(Clone, Debug)]
enum Match<P> {
    /// Methods of these services (`pkg.Service`) or these methods (`/pkg.Service/Method`).
    Only(Vec<String>),
    /// All but those.
    Except(Vec<String>),
    /// Those for which the predicate holds.
    When(P),
}

/// Runs `inner` for the methods that match, and only the rest of the chain for the others.
///
/// A name in the lists is a fully qualified service (`grpc.health.v1.Health`) or a method
/// path (`/grpc.health.v1.Health/Check`).
///
/// ```
/// use grpc_interceptor::interceptors::selector::Selector;
/// use grpc_interceptor::prelude::*;
///
/// #[interceptor]
/// fn require_token(method: Next<'_>, request: Request, context: &mut Context, _: &MethodName) -> Reply {
///     match request.metadata().get("authorization") {
///         Some(_) => method.call(request, context),
///         None => Reply::error(Status::unauthenticated("missing token")),
///     }
/// }
///
/// // Every method but the health checks needs a token.
/// let auth = Selector::except(require_token, ["grpc.health.v1.Health"]);
/// // Only writes are logged.
/// let writes = Selector::when(require_token, |name: &MethodName| name.method().starts_with("Put"));
/// # let _ = (auth, writes);
/// ```
#[derive(Clone, Debug)]
pub struct Selector<I, P = fn(&MethodName) -> bool> {
    inner: I,
    matching: Match<P>,
}

impl<I> Selector<I> {
    /// Runs `inner` only for these services or methods.
    pub fn only(inner: I, names: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let names = names.into_iter().map(Into::into).collect();
        Self {
            inner,
            matching: Match::Only(names),
        }
    }

    /// Runs `inner` for every method but these services or methods.
    pub fn except(inner: I, names: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let names = names.into_iter().map(Into::into).collect();
        Self {
            inner,
            matching: Match::Except(names),
        }
    }
}

impl<I, P: Fn(&MethodName) -> bool> Selector<I, P> {
    /// Runs `inner` for the methods for which `predicate` holds.
    pub fn when(inner: I, predicate: P) -> Self {
        Self {
            inner,
            matching: Match::When(predicate),
        }
    }

    fn selects(&self, name: &MethodName) -> bool {
        let listed = |names: &[String]| {
            names
                .iter()
                .any(|n| n == name.fully_qualified_service() || n == name.as_str())
        };
        match &self.matching {
            Match::Only(names) => listed(names),
            Match::Except(names) => !listed(names),
            Match::When(predicate) => predicate(name),
        }
    }
}

impl<I, P> CallInterceptor for Selector<I, P>
where
    I: CallInterceptor,
    P: Fn(&MethodName) -> bool + Send + Sync,
{
    fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        method_name: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        if self.selects(method_name) {
            Either::Left(self.inner.intercept(method, request, context, method_name))
        } else {
            Either::Right(method.call(request, context))
        }
    }
}
