//! The runtime re-exported by another module (as a company's own gRPC crate would):
//! `crate = "..."` names the re-export.

mod my_grpc {
    pub use ::grpc_interceptor as interceptors;
}

use my_grpc::interceptors::{Context, MethodName, Next, Reply, Request};

#[my_grpc::interceptors::interceptor(crate = "my_grpc::interceptors")]
fn plain(method: Next<'_>, request: Request, context: &mut Context, _: &MethodName) -> Reply {
    method.call(request, context)
}

mod nested {
    use crate::my_grpc::interceptors::{Context, MethodName, Next, Request, Response, Status};

    #[crate::my_grpc::interceptors::interceptor(crate = "crate::my_grpc::interceptors")]
    pub async fn asynchronous(
        method: Next<'_>,
        request: Request,
        context: &mut Context,
        _: &MethodName,
    ) -> Result<Response, Status> {
        method.call(request, context).await
    }
}

fn assert_interceptor(_: impl my_grpc::interceptors::CallInterceptor) {}

fn main() {
    assert_interceptor(plain);
    assert_interceptor(nested::asynchronous);
}
