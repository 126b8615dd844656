use grpc_interceptor::{Context, MethodName, Next, Reply, Request, interceptor};

struct Auth;

impl Auth {
    #[interceptor]
    fn check(
        &self,
        method: Next<'_>,
        request: Request,
        context: &mut Context,
        _: &MethodName,
    ) -> Reply {
        method.call(request, context)
    }
}

fn main() {
    let _ = Auth;
}
