use grpc_interceptor::{Context, MethodName, Next, Reply, Request, intercepted, interceptor};

/// A message of a custom codec (JSON, say): not a prost message.
#[derive(Debug)]
pub struct Note {
    pub text: String,
}

/// The trait tonic generates for a service with such a codec.
#[tonic::async_trait]
pub trait Notes: Send + Sync + 'static {
    async fn add(
        &self,
        request: tonic::Request<Note>,
    ) -> Result<tonic::Response<u64>, tonic::Status>;
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
        request: tonic::Request<Note>,
    ) -> Result<tonic::Response<u64>, tonic::Status> {
        Ok(tonic::Response::new(request.into_inner().text.len() as u64))
    }
}

fn main() {}
