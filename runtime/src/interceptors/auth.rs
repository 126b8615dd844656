//! [`Auth`]: authentication from a token in the request metadata, checked by the user's
//! function; the principal it returns goes into the call's storage for the handler, outer
//! interceptors and the access log.

use std::fmt;
use std::future::Future;

use tonic::Status;

use crate::{CallInterceptor, Chain, Context, MethodName, Next, Request, Response};

/// Where the token is.
#[derive(Clone, Copy, Debug)]
enum Source {
    /// `authorization: Bearer <token>`.
    Bearer,
    /// The whole value of this metadata key.
    Metadata(&'static str),
}

/// Authenticates every call: reads the token, awaits `verify(token, method_name)`, and on
/// `Ok(principal)` stores the principal in the call's storage
/// ([`Context::insert`], read with `context.get::<P>()`, by the handler through
/// `#[intercepted(context = ctx)]`, and in end hooks with
/// [`CallEnd::get`](crate::CallEnd::get)); a missing or malformed token ends the call with
/// `UNAUTHENTICATED` and a message that says what was expected, and `verify`'s error ends it
/// with that status.
///
/// `verify` gets the token and the method name and returns a future that owns what it
/// needs (clone from the name what the check uses). On the client, put the token in the
/// metadata with an interceptor of your own; this one is for servers.
///
/// ```
/// use grpc_interceptor::interceptors::auth::Auth;
/// use grpc_interceptor::interceptors::selector::Selector;
/// use grpc_interceptor::prelude::*;
///
/// #[derive(Clone, Debug)]
/// struct User(String);
///
/// let auth = Auth::bearer(|token: String, _: &MethodName| async move {
///     match token.as_str() {
///         "let-me-in" => Ok(User("ferris".into())),
///         _ => Err(Status::unauthenticated("unknown token")),
///     }
/// });
/// // The health checks go without a token.
/// let auth = Selector::except(auth, ["grpc.health.v1.Health"]);
///
/// // An outer interceptor (or the handler, with `#[intercepted(context = ctx)]`) reads it.
/// #[interceptor]
/// fn access_log(method: Next<'_>, request: Request, context: &mut Context, _: &MethodName) -> Reply {
///     context.on_call_end(|end| {
///         let user = end.get::<User>().map_or("-", |u| u.0.as_str());
///         println!("{user} {:?}", end.code());
///     });
///     method.call(request, context)
/// }
/// # let _ = (auth, access_log);
/// ```
#[derive(Clone)]
pub struct Auth<F> {
    source: Source,
    verify: F,
}

impl<F> Auth<F> {
    /// Reads an `authorization: Bearer <token>` header.
    pub fn bearer(verify: F) -> Self {
        Self {
            source: Source::Bearer,
            verify,
        }
    }

    /// Reads the whole value of the metadata `key` (say `x-api-key`).
    pub fn metadata(key: &'static str, verify: F) -> Self {
        Self {
            source: Source::Metadata(key),
            verify,
        }
    }

    fn token<P>(&self, request: &Request<P>) -> Result<String, Status> {
        let key = match self.source {
            Source::Bearer => "authorization",
            Source::Metadata(key) => key,
        };
        let Some(value) = request.metadata().get(key) else {
            return Err(Status::unauthenticated(format!(
                "missing credentials: expected the `{key}` metadata"
            )));
        };
        let value = value.to_str().map_err(|_| {
            Status::unauthenticated(format!("the `{key}` metadata is not valid ASCII"))
        })?;
        match self.source {
            Source::Metadata(_) => Ok(value.to_owned()),
            Source::Bearer => match value.split_once(' ') {
                Some((scheme, token))
                    if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
                {
                    Ok(token.trim().to_owned())
                }
                _ => Err(Status::unauthenticated(
                    "the `authorization` metadata is not `Bearer <token>`",
                )),
            },
        }
    }
}

impl<F> fmt::Debug for Auth<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl<F, Fut, P> CallInterceptor for Auth<F>
where
    F: Fn(String, &MethodName) -> Fut + Send + Sync,
    Fut: Future<Output = Result<P, Status>> + Send,
    P: Clone + Send + Sync + 'static,
{
    async fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        method_name: &MethodName,
    ) -> Result<Response<N::RespPayload>, Status> {
        let token = self.token(&request)?;
        let principal = (self.verify)(token, method_name).await?;
        context.insert(principal);
        method.call(request, context).await
    }
}
