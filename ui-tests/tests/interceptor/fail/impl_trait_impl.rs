use grpc_interceptor::interceptor;

trait Check {
    fn check(&self) -> bool;
}

struct Auth;

#[interceptor]
impl Check for Auth {
    fn check(&self) -> bool {
        true
    }
}

fn main() {
    assert!(Auth.check());
}
