use grpc_interceptor::{Context, MethodName, Next, Request, Response, Status, interceptor};

#[interceptor]
async fn bad_body(
    method: Next<'_>,
    request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Result<Response, Status> {
    let response = method.call(request, context).await?;
    Ok(response.into_inner())
}

fn main() {}
