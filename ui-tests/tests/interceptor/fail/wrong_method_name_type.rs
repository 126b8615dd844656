use grpc_interceptor::{Context, Next, Reply, Request, interceptor};

#[interceptor]
fn str_method_name(
    method: Next<'_>,
    request: Request,
    context: &mut Context,
    method_name: &str,
) -> Reply {
    println!("{method_name}");
    method.call(request, context)
}

fn main() {}
