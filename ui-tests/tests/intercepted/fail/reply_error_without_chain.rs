//! `Reply::error` in a hand-written interceptor that never calls `method`: nothing says
//! which chain the reply is for. `method.error(...)` is the form that infers.

use grpc_interceptor::{
    CallInterceptor, Chain, Context, MethodName, Next, Reply, Request, Response, Status,
};

struct Closed;

impl CallInterceptor for Closed {
    fn intercept<'call, N: Chain>(
        &self,
        _method: Next<'call, N>,
        _: Request<N::ReqPayload>,
        _: &mut Context<'call>,
        _: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        Reply::error(Status::unavailable("closed"))
    }
}

fn main() {
    let _ = Closed;
}
