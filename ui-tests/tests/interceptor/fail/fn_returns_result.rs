use grpc_interceptor::{Context, MethodName, Next, Request, Response, Status, interceptor};

#[interceptor]
fn returns_result(
    method: Next<'_>,
    request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Result<Response, Status> {
    let _ = (method, request, context);
    Err(Status::unimplemented("not yet"))
}

fn main() {}
