use grpc_interceptor::interceptor;

#[interceptor]
struct Auth;

fn main() {}
