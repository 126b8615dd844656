//! User modules named `core`, `std` and `tonic` do not break the expansion, which reaches
//! everything through `::grpc_interceptor::__private`.

#![allow(dead_code)]

mod core {}
mod std {}
mod tonic {}

use ::grpc_interceptor::{
    Context, MethodName, Next, Reply, Request, Response, Status, interceptor,
};

#[interceptor]
fn plain(method: Next<'_>, request: Request, context: &mut Context, _: &MethodName) -> Reply {
    method.call(request, context)
}

#[interceptor]
async fn asynchronous(
    method: Next<'_>,
    request: Request,
    context: &mut Context,
    _: &MethodName,
) -> ::core::result::Result<Response, Status> {
    method.call(request, context).await
}

fn assert_interceptor(_: impl ::grpc_interceptor::CallInterceptor) {}

fn main() {
    assert_interceptor(plain);
    assert_interceptor(asynchronous);
}
