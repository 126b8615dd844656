//! User items named like the prelude's do not break the expansion.

#![allow(dead_code, non_camel_case_types)]

struct Option;
struct Some;
struct None;
struct Result;
struct Ok;
struct Err;
struct Box;
trait Send {}
trait Sync {}
trait Future {}
trait Clone {}
trait Copy {}
trait Debug {}
trait Default {}
trait Into {}
trait From {}

use grpc_interceptor::{Context, MethodName, Next, Reply, Request, Response, Status, interceptor};

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

fn assert_interceptor(_: impl grpc_interceptor::CallInterceptor) {}

fn main() {
    assert_interceptor(plain);
    assert_interceptor(asynchronous);
}
