use grpc_interceptor::{Context, MethodName, Next, Reply, Request, intercepted, interceptor};

#[interceptor]
fn pass(method: Next<'_>, request: Request, context: &mut Context, _: &MethodName) -> Reply {
    method.call(request, context)
}

#[intercepted(pass)]
struct Echo;

fn main() {
    let _ = Echo;
}
