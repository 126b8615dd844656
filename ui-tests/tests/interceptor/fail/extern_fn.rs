use grpc_interceptor::{Context, MethodName, Next, Reply, Request, interceptor};

#[interceptor]
extern "C" fn qualified(
    method: Next<'_>,
    request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Reply {
    method.call(request, context)
}

fn main() {}
