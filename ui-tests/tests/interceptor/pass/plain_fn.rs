use grpc_interceptor::{
    CallInterceptor, Context, MethodName, Next, Reply, Request, Status, interceptor,
};

/// A plain `fn` interceptor: checks a header, then hands over or answers at once.
#[interceptor]
pub fn require_token(
    method: Next<'_>,
    request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Reply {
    if request.metadata().get("authorization").is_none() {
        return Reply::error(Status::unauthenticated("missing token"));
    }
    method.call(request, context)
}

fn assert_interceptor(_: impl CallInterceptor) {}

fn main() {
    assert_interceptor(require_token);
}
