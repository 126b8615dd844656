use grpc_interceptor::{
    CallInterceptor, Context, MethodName, Next, Request, Response, Status, interceptor,
};

/// An error type of the user's: it converts into `Status`, so an `async fn` interceptor may
/// return it.
#[derive(Debug)]
enum AuthError {
    Missing,
    Upstream(Status),
}

impl From<AuthError> for Status {
    fn from(error: AuthError) -> Status {
        match error {
            AuthError::Missing => Status::unauthenticated("missing token"),
            AuthError::Upstream(status) => status,
        }
    }
}

#[interceptor]
async fn require_token(
    method: Next<'_>,
    request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Result<Response, AuthError> {
    if request.metadata().get("authorization").is_none() {
        return Err(AuthError::Missing);
    }
    method
        .call(request, context)
        .await
        .map_err(AuthError::Upstream)
}

fn assert_interceptor(_: impl CallInterceptor) {}

fn main() {
    assert_interceptor(require_token);
}
