use grpc_interceptor::interceptor;

struct Echo;

#[interceptor]
impl Echo {
    fn new() -> Self {
        Echo
    }
}

fn main() {
    let _ = Echo::new();
}
