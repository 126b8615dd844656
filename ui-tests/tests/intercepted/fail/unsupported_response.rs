use grpc_interceptor::{Context, MethodName, Next, Reply, Request, intercepted, interceptor};

/// A message of a custom codec (JSON, say): not a prost message.
#[derive(Debug)]
pub struct Receipt {
    pub id: u64,
}

/// The trait tonic generates for a service with such a codec.
#[tonic::async_trait]
pub trait Notes: Send + Sync + 'static {
    async fn add(
        &self,
        request: tonic::Request<String>,
    ) -> Result<tonic::Response<Receipt>, tonic::Status>;
}

#[interceptor]
fn pass(method: Next<'_>, request: Request, context: &mut Context, _: &MethodName) -> Reply {
    method.call(request, context)
}

struct Store;

#[intercepted(pass, service = "notes.Notes")]
#[tonic::async_trait]
impl Notes for Store {
    async fn add(
        &self,
        request: tonic::Request<String>,
    ) -> Result<tonic::Response<Receipt>, tonic::Status> {
        let id = request.into_inner().len() as u64;
        Ok(tonic::Response::new(Receipt { id }))
    }
}

fn main() {}
