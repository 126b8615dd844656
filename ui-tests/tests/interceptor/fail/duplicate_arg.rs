use grpc_interceptor::{Context, MethodName, Next, Reply, Request, interceptor};

#[interceptor(crate = "grpc_interceptor", crate = "grpc_interceptor")]
fn twice(method: Next<'_>, request: Request, context: &mut Context, _: &MethodName) -> Reply {
    method.call(request, context)
}

fn main() {}
