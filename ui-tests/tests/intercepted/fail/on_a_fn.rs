use grpc_interceptor::{Context, MethodName, Next, Reply, Request, intercepted, interceptor};

#[interceptor]
fn pass(method: Next<'_>, request: Request, context: &mut Context, _: &MethodName) -> Reply {
    method.call(request, context)
}

#[intercepted(pass)]
async fn execute(
    request: tonic::Request<String>,
) -> Result<tonic::Response<String>, tonic::Status> {
    Ok(tonic::Response::new(request.into_inner()))
}

fn main() {
    let _ = execute(tonic::Request::new(String::new()));
}
