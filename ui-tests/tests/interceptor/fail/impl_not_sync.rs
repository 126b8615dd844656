use std::cell::Cell;

use grpc_interceptor::{CallInterceptor, Context, MethodName, Next, Reply, Request, interceptor};

struct Count {
    calls: Cell<usize>,
}

#[interceptor]
impl Count {
    fn intercept(
        &self,
        method: Next<'_>,
        request: Request,
        context: &mut Context,
        _: &MethodName,
    ) -> Reply {
        self.calls.set(self.calls.get() + 1);
        method.call(request, context)
    }
}

fn is_interceptor(_: impl CallInterceptor) {}

fn main() {
    is_interceptor(Count { calls: Cell::new(0) });
}
