use grpc_interceptor::{Context, MethodName, Next, Reply, Request, interceptor};

#[interceptor]
fn shared_context(method: Next<'_>, request: Request, context: &Context, _: &MethodName) -> Reply {
    method.call(request, context)
}

fn main() {}
