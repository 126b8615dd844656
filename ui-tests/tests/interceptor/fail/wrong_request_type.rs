use grpc_interceptor::testing::DummyRequest;
use grpc_interceptor::{Context, MethodName, Next, Reply, Request, interceptor};

#[interceptor]
fn typed_request(
    method: Next<'_>,
    request: Request<DummyRequest>,
    context: &mut Context,
    _: &MethodName,
) -> Reply {
    method.call(request, context)
}

fn main() {}
