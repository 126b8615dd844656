//! `DummyService`: the reference's echo service, behind interceptors.

use std::pin::Pin;
use std::sync::Arc;

use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

use super::SpecialCases;
use super::proto::dummy_service_server::{self, DummyServiceServer};
use super::proto::{DummyRequest, DummyResponse};
use crate::context::CallState;
use crate::{CallInterceptor, Context, Side, intercepted};

type ResponseStream = Pin<Box<dyn Stream<Item = Result<DummyResponse, Status>> + Send>>;

/// The reference's `DummyService`, with `interceptors` around every method:
///
/// - `Execute`: the output for the input (unary echo);
/// - `ExecuteClientStream`: the outputs of all requests, concatenated; the first error
///   ends the call;
/// - `ExecuteServerStream`: the output, computed before the first message, one message
///   per Unicode scalar value;
/// - `ExecuteClientServerStream`: one response per request; an error after *k* responses
///   arrives after them.
///
/// The output for an input is its special case's, or the input itself.
#[derive(Debug)]
pub struct DummyService<I> {
    special_cases: SpecialCases,
    interceptors: I,
}

impl<I: CallInterceptor + 'static> DummyService<I> {
    /// The service with its special cases, behind `interceptors` (a tuple, outermost first).
    pub fn new(special_cases: SpecialCases, interceptors: I) -> Self {
        Self {
            special_cases,
            interceptors,
        }
    }

    /// The tonic server for this service.
    pub fn into_server(self) -> DummyServiceServer<Self> {
        DummyServiceServer::new(self)
    }
}

fn response(output: String) -> DummyResponse {
    DummyResponse { output }
}

#[intercepted(self.interceptors)]
#[tonic::async_trait]
impl<I: CallInterceptor + 'static> dummy_service_server::DummyService for DummyService<I> {
    #[intercepted(context = context)]
    async fn execute(
        &self,
        request: Request<DummyRequest>,
    ) -> Result<Response<DummyResponse>, Status> {
        let (metadata, _, message) = request.into_parts();
        let output = self
            .special_cases
            .output(message.input, &metadata, &mut context)
            .await?;
        Ok(Response::new(response(output)))
    }

    #[intercepted(context = context)]
    async fn execute_client_stream(
        &self,
        request: Request<Streaming<DummyRequest>>,
    ) -> Result<Response<DummyResponse>, Status> {
        let (metadata, _, mut stream) = request.into_parts();
        let mut output = String::new();
        while let Some(message) = stream.next().await {
            output += &self
                .special_cases
                .output(message?.input, &metadata, &mut context)
                .await?;
        }
        Ok(Response::new(response(output)))
    }

    type ExecuteServerStreamStream = ResponseStream;

    #[intercepted(context = context)]
    async fn execute_server_stream(
        &self,
        request: Request<DummyRequest>,
    ) -> Result<Response<Self::ExecuteServerStreamStream>, Status> {
        let (metadata, _, message) = request.into_parts();
        let output = self
            .special_cases
            .output(message.input, &metadata, &mut context)
            .await?;
        let messages: Vec<_> = output
            .chars()
            .map(|c| Ok(response(c.to_string())))
            .collect();
        Ok(Response::new(
            Box::pin(tokio_stream::iter(messages)) as Self::ExecuteServerStreamStream
        ))
    }

    type ExecuteClientServerStreamStream = ResponseStream;

    async fn execute_client_server_stream(
        &self,
        request: Request<Streaming<DummyRequest>>,
    ) -> Result<Response<Self::ExecuteClientServerStreamStream>, Status> {
        let (metadata, _, stream) = request.into_parts();
        let shared = Arc::new((self.special_cases.clone(), metadata));
        // Each request is answered as it arrives, after the handler has returned: the
        // call's context is gone by then, so special cases get a context of their own.
        let responses = stream.then(move |message| {
            let shared = Arc::clone(&shared);
            async move {
                let (cases, metadata) = &*shared;
                let state = CallState::default();
                let mut context = Context::new(Side::Server, &state);
                let output = cases.output(message?.input, metadata, &mut context).await?;
                Ok(response(output))
            }
        });
        Ok(Response::new(
            Box::pin(responses) as Self::ExecuteClientServerStreamStream
        ))
    }
}
