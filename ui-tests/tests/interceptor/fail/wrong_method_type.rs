use grpc_interceptor::{Context, MethodName, Next, Reply, Request, interceptor};

#[interceptor]
fn borrows_method(
    method: &Next<'_>,
    request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Reply {
    method.clone().call(request, context)
}

fn main() {}
