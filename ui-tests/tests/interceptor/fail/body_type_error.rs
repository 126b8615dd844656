use grpc_interceptor::{Context, MethodName, Next, Reply, Request, interceptor};

#[interceptor]
fn bad_body(method: Next<'_>, request: Request, context: &mut Context, _: &MethodName) -> Reply {
    let attempts: u32 = "three";
    let _ = attempts;
    method.call(request, context)
}

fn main() {}
