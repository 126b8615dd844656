//! The runtime under another name: `crate = "..."` tells the expansion where it is, and a
//! `grpc_interceptor` that names something else does not confuse it.

use ::grpc_interceptor as gi;
#[allow(unused_imports)]
use std as grpc_interceptor;

#[gi::interceptor(crate = "gi")]
fn plain(
    method: gi::Next<'_>,
    request: gi::Request,
    context: &mut gi::Context,
    _: &gi::MethodName,
) -> gi::Reply {
    method.call(request, context)
}

#[gi::interceptor(crate = "gi")]
async fn asynchronous(
    method: gi::Next<'_>,
    request: gi::Request,
    context: &mut gi::Context,
    _: &gi::MethodName,
) -> Result<gi::Response, gi::Status> {
    method.call(request, context).await
}

fn assert_interceptor(_: impl gi::CallInterceptor) {}

fn main() {
    assert_interceptor(plain);
    assert_interceptor(asynchronous);
}
