use grpc_interceptor::{Context, MethodName, Next, Request, Response, interceptor};

#[derive(Debug)]
struct AuthError;

#[interceptor]
async fn require_token(
    method: Next<'_>,
    request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Result<Response, AuthError> {
    if request.metadata().get("authorization").is_none() {
        return Err(AuthError);
    }
    Ok(method.call(request, context).await.map_err(|_| AuthError)?)
}

fn main() {}
