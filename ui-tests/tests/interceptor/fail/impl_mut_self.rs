use grpc_interceptor::{CallInterceptor, Context, MethodName, Next, Reply, Request, interceptor};

struct Count {
    calls: usize,
}

#[interceptor]
impl Count {
    fn intercept(
        &mut self,
        method: Next<'_>,
        request: Request,
        context: &mut Context,
        _: &MethodName,
    ) -> Reply {
        self.calls += 1;
        method.call(request, context)
    }
}

fn is_interceptor(_: impl CallInterceptor) {}

fn main() {
    is_interceptor(Count { calls: 0 });
}
