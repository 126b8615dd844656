use grpc_interceptor::testing::{DummyRequest, DummyResponse};
use grpc_interceptor::{
    Context, MethodName, Next, Reply, Request, Status, intercepted, interceptor,
};

#[interceptor]
fn pass(method: Next<'_>, request: Request, context: &mut Context, _: &MethodName) -> Reply {
    method.call(request, context)
}

struct Echo;

#[intercepted(pass)]
impl Echo {
    async fn execute(
        &self,
        request: tonic::Request<DummyRequest>,
    ) -> Result<tonic::Response<DummyResponse>, Status> {
        let output = request.into_inner().input;
        Ok(tonic::Response::new(DummyResponse { output }))
    }
}

fn main() {
    let _ = Echo.execute(tonic::Request::new(DummyRequest::default()));
}
