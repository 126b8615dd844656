//! `DummyService`: the reference's echo service, behind interceptors.

use tokio_stream::StreamExt;
use tonic::{Request, Response, Status, Streaming};

use super::SpecialCases;
use super::bidi::{self, Reading, ResponseStream};
use super::proto::dummy_service_server::{self, DummyServiceServer};
use super::proto::{DummyRequest, DummyResponse};
use crate::{CallInterceptor, intercepted};

/// The reference's `DummyService`, with `interceptors` around every method:
///
/// - `Execute`: the output for the input (unary echo);
/// - `ExecuteClientStream`: the outputs of all requests, concatenated; the first error
///   ends the call;
/// - `ExecuteServerStream`: the output, computed before the first message, one message
///   per Unicode scalar value;
/// - `ExecuteClientServerStream`: one response per request; an error after *k* responses
///   arrives after them. [`Reading`] chooses when the requests are read: as they arrive (the
///   default) or all of them inside the call.
///
/// The output for an input is its special case's, or the input itself. Special cases get the
/// call's [`Context`](crate::Context) through their [`CaseContext`](super::CaseContext), in
/// every mode (see [`Reading`] for the bidi method).
#[derive(Debug)]
pub struct DummyService<I> {
    special_cases: SpecialCases,
    interceptors: I,
    reading: Reading,
}

impl<I: CallInterceptor + 'static> DummyService<I> {
    /// The service with its special cases, behind `interceptors` (a tuple, outermost first).
    pub fn new(special_cases: SpecialCases, interceptors: I) -> Self {
        Self {
            special_cases,
            interceptors,
            reading: Reading::default(),
        }
    }

    /// When the bidi handler reads its requests: [`Reading::Lazily`] (the default) or
    /// [`Reading::InHandler`] (the reference's read/write service).
    ///
    /// ```
    /// use grpc_interceptor::testing::{dummy_client_for, DummyService, Reading, SpecialCases};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// let service = DummyService::new(SpecialCases::new(), ()).reading(Reading::InHandler);
    /// let client = dummy_client_for(service, ()).await?;
    /// # let _ = client;
    /// # Ok(())
    /// # }
    /// ```
    pub fn reading(self, reading: Reading) -> Self {
        Self { reading, ..self }
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

    #[intercepted(context = context)]
    async fn execute_client_server_stream(
        &self,
        request: Request<Streaming<DummyRequest>>,
    ) -> Result<Response<Self::ExecuteClientServerStreamStream>, Status> {
        let (metadata, _, stream) = request.into_parts();
        let cases = &self.special_cases;
        let responses = match self.reading {
            Reading::Lazily => bidi::lazily(cases.clone(), metadata, context.storage(), stream),
            Reading::InHandler => bidi::in_handler(cases, &metadata, stream, &mut context).await,
        };
        Ok(Response::new(responses))
    }
}
