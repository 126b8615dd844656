use grpc_interceptor::{Next, Reply, Request, interceptor};

#[interceptor]
fn forgets_context(method: Next<'_>, request: Request) -> Reply {
    method.call(request)
}

fn main() {}
