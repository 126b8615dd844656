//! Interceptors with state: `#[interceptor]` on an impl block whose one `&self` method has
//! the interceptor signature, as a plain `fn` and as an `async fn`, on a generic type too,
//! listed in `#[intercepted(...)]` by value and by field.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use grpc_interceptor::testing::proto::dummy_service_server::{DummyService, DummyServiceServer};
use grpc_interceptor::testing::{DummyRequest, DummyResponse};
use grpc_interceptor::prelude::*;
use grpc_interceptor::{CallInterceptor, interceptor};

/// Adds one header to every request.
#[derive(Clone)]
pub struct AddHeader {
    name: &'static str,
    value: String,
}

#[interceptor]
impl AddHeader {
    /// A constructor beside the interceptor method.
    pub fn new(name: &'static str, value: &str) -> Self {
        AddHeader {
            name,
            value: value.to_owned(),
        }
    }

    fn intercept(
        &self,
        method: Next<'_>,
        mut request: Request,
        context: &mut Context,
        _method_name: &MethodName,
    ) -> Reply {
        request
            .metadata_mut()
            .insert(self.name, self.value.parse().expect("an ASCII value"));
        method.call(request, context)
    }
}

/// Counts calls, and keeps the count for an end hook.
#[derive(Default)]
pub struct CountCalls {
    calls: Arc<AtomicUsize>,
    ended: Arc<AtomicUsize>,
}

#[interceptor]
impl CountCalls {
    async fn count(
        &self,
        method: Next<'_>,
        request: Request,
        context: &mut Context,
        _: &MethodName,
    ) -> Result<Response, Status> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let ended = Arc::clone(&self.ended);
        context.on_call_end(move |_| {
            ended.fetch_add(1, Ordering::Relaxed);
        });
        method.call(request, context).await
    }
}

/// A generic interceptor: answers every call with its code when `T` says so.
pub struct Refuse<T> {
    when: T,
}

#[interceptor]
impl<T> Refuse<T>
where
    T: Fn(&MethodName) -> bool + Send + Sync,
{
    fn refuse(
        &self,
        method: Next<'_>,
        request: Request,
        context: &mut Context,
        method_name: &MethodName,
    ) -> Reply {
        if (self.when)(method_name) {
            return Reply::error(Status::permission_denied("refused"));
        }
        method.call(request, context)
    }
}


struct Echo {
    tenant: AddHeader,
}

#[intercepted(self.tenant, CountCalls::default(), Refuse { when: |_: &MethodName| false })]
#[tonic::async_trait]
impl DummyService for Echo {
    async fn execute(
        &self,
        request: tonic::Request<DummyRequest>,
    ) -> Result<tonic::Response<DummyResponse>, Status> {
        let request_id = request.metadata().get("x-request-id").cloned();
        let output = format!("{}{:?}", request.into_inner().input, request_id);
        Ok(tonic::Response::new(DummyResponse { output }))
    }

    async fn execute_client_stream(
        &self,
        _: tonic::Request<tonic::Streaming<DummyRequest>>,
    ) -> Result<tonic::Response<DummyResponse>, Status> {
        Err(Status::unimplemented("client stream"))
    }

    type ExecuteServerStreamStream = tokio_stream::Empty<Result<DummyResponse, Status>>;

    async fn execute_server_stream(
        &self,
        _: tonic::Request<DummyRequest>,
    ) -> Result<tonic::Response<Self::ExecuteServerStreamStream>, Status> {
        Ok(tonic::Response::new(tokio_stream::empty()))
    }

    type ExecuteClientServerStreamStream = tokio_stream::Empty<Result<DummyResponse, Status>>;

    async fn execute_client_server_stream(
        &self,
        _: tonic::Request<tonic::Streaming<DummyRequest>>,
    ) -> Result<tonic::Response<Self::ExecuteClientServerStreamStream>, Status> {
        Ok(tonic::Response::new(tokio_stream::empty()))
    }
}

fn is_interceptor(_: &impl CallInterceptor) {}

fn main() {
    is_interceptor(&AddHeader::new("x-tenant", "a"));
    is_interceptor(&CountCalls::default());
    is_interceptor(&Refuse {
        when: |name: &MethodName| name.method() == "Delete",
    });
    is_interceptor(&(AddHeader::new("x-tenant", "a"), CountCalls::default()));
    let _ = DummyServiceServer::new(Echo {
        tenant: AddHeader::new("x-tenant", "b"),
    });
}
