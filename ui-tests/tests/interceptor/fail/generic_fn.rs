use grpc_interceptor::{Context, MethodName, Next, Reply, Request, interceptor};

#[interceptor]
fn generic<'a, T: Default>(
    method: Next<'_>,
    request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Reply {
    let _ = T::default();
    method.call(request, context)
}

fn main() {}
