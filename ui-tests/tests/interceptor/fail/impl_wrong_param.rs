use grpc_interceptor::{CallInterceptor, Context, MethodName, Next, Response, Status, interceptor};

struct Tenant(String);

#[interceptor]
impl Tenant {
    async fn intercept(
        &self,
        method: Next<'_>,
        request: tonic::Request<String>,
        context: &mut Context,
        _: &MethodName,
    ) -> Result<Response, Status> {
        let _ = &self.0;
        method.call(request, context).await
    }
}

fn is_interceptor(_: impl CallInterceptor) {}

fn main() {
    is_interceptor(Tenant("a".into()));
}
