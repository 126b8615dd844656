use grpc_interceptor::prelude::PayloadExt as _;
use grpc_interceptor::testing::DummyRequest;
use grpc_interceptor::{
    CallInterceptor, Context, MethodName, Next, Request, Response, Status, interceptor,
};

/// An `async fn` interceptor: sees the request, awaits the rest of the call, sees the result.
#[interceptor]
async fn log_calls(
    method: Next<'_>,
    mut request: Request,
    context: &mut Context,
    method_name: &MethodName,
) -> Result<Response, Status> {
    request.for_each_message(|r: &mut DummyRequest| {
        r.input = r.input.trim().to_owned();
        Ok(())
    })?;
    let result = method.call(request, context).await;
    println!("{method_name}: ok = {}", result.is_ok());
    result
}

fn assert_interceptor(_: impl CallInterceptor) {}

fn main() {
    assert_interceptor(log_calls);
}
