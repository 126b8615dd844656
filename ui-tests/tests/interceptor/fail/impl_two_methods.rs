use grpc_interceptor::{CallInterceptor, Context, MethodName, Next, Reply, Request, interceptor};

struct Auth {
    token: String,
}

#[interceptor]
impl Auth {
    fn check(
        &self,
        method: Next<'_>,
        request: Request,
        context: &mut Context,
        _: &MethodName,
    ) -> Reply {
        if !self.allows(request.metadata()) {
            return Reply::error(grpc_interceptor::Status::unauthenticated("no token"));
        }
        method.call(request, context)
    }

    fn allows(&self, headers: &tonic::metadata::MetadataMap) -> bool {
        headers.get("token").is_some_and(|t| t == self.token.as_str())
    }
}

fn is_interceptor(_: impl CallInterceptor) {}

fn main() {
    is_interceptor(Auth { token: "t".into() });
}
