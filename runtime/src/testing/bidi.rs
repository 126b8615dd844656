//! The two ways `DummyService` answers `ExecuteClientServerStream`: lazily, from its response
//! stream ([`Reading::Lazily`]), or after reading every request inside the call
//! ([`Reading::InHandler`]).

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use futures_util::FutureExt;
use tokio_stream::{Stream, StreamExt};
use tonic::codegen::http;
use tonic::metadata::MetadataMap;
use tonic::{Code, Status, Streaming};

use super::SpecialCases;
use super::proto::{DummyRequest, DummyResponse};
use crate::context::{CallState, merge};
use crate::{Context, ExceptionToStatus, Failure, MethodName, Side};

/// A response stream of the service.
pub(super) type ResponseStream = Pin<Box<dyn Stream<Item = Result<DummyResponse, Status>> + Send>>;

/// When the `ExecuteClientServerStream` handler of a [`DummyService`](super::DummyService)
/// reads its requests, and so which context its special cases get.
///
/// tonic sends no response message before the handler has returned its response stream,
/// and the call's [`Context`] lives only as long as the handler: a bidi service chooses
/// between answering each request as it arrives and answering on the call's own context.
/// The other methods read their single request or their request stream inside the call,
/// whatever the choice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reading {
    /// The handler returns at once; its response stream reads the requests and answers
    /// each one as it arrives, as the reference's `DummyService` (a generator) does. A
    /// client can wait for the answer to one request before it sends the next.
    ///
    /// The special cases run after the handler has returned, on a context that the response
    /// stream owns for the rest of the call, one per call, shared by all its special cases.
    /// It starts with a copy of the call's storage as it was when the handler returned
    /// (what the interceptors stored with [`Context::insert`] before calling on, as in the
    /// other modes; what the cases store stays on that context, where their end hooks see
    /// it), and nothing else: the code,
    /// details, headers and trailers set on the call's context still apply to the call, but
    /// the cases do not see them. What the cases set on it applies when the stream ends, as
    /// the call's context would:
    ///
    /// - the stream ends OK: a code set there ends it with that code and the details set
    ///   there, after the messages; headers and trailers go out as trailers;
    /// - a case fails with a status: the call ends with that status, with those headers
    ///   and trailers;
    /// - a case fails with an unknown failure (a panic, or a status without a code, see
    ///   [`Failure::is_unknown`]) after a code was set there: the call ends as
    ///   [`ExceptionToStatus`] would end it (that code, and the details set there or the
    ///   failure's), with those headers and trailers. `ExceptionToStatus` cannot see a
    ///   context that outlives the handler, so the harness answers for the failure itself,
    ///   with or without an `ExceptionToStatus` in the chain, as grpcio keeps a code set
    ///   before an exception; interceptors then see that status, not a panic;
    /// - a case panics with no code set: the panic goes on, as a panic in any response
    ///   stream does (the headers and trailers set there are lost);
    /// - end hooks a case registers ([`Context::on_call_end`]) run when the stream ends,
    ///   with its final status before the interceptors' stream hooks, or CANCELLED when the
    ///   client goes away first.
    #[default]
    Lazily,
    /// The handler reads every request inside the call, answering each one on the call's
    /// own context, and then returns the answers as its response stream, in the spirit of
    /// the reference's `AsyncReadWriteDummyService`, which reads the requests itself with
    /// `context.read()`. Special cases see and set exactly what they would in the other
    /// modes: the call's storage, its code, its trailers.
    ///
    /// The answers go out once the client has sent its last request (tonic sends nothing
    /// before the handler returns): a client that waits for an answer before it sends the
    /// next request waits forever. A failure after *k* requests still arrives after the
    /// *k* answers before it; a panic goes on from the response stream at that point, so
    /// that interceptors and the runtime see a panic in the middle of a response stream.
    InHandler,
}

fn response(output: String) -> DummyResponse {
    DummyResponse { output }
}

/// The bidi handler with [`Reading::InHandler`]: reads every request on the call's context,
/// then returns the answers (and the failure that ended them, if any).
pub(super) async fn in_handler(
    cases: &SpecialCases,
    metadata: &MetadataMap,
    mut requests: Streaming<DummyRequest>,
    context: &mut Context<'_>,
) -> ResponseStream {
    let mut answers = Vec::new();
    loop {
        let step = AssertUnwindSafe(async {
            match requests.next().await {
                None => None,
                Some(Err(status)) => Some(Err(status)),
                Some(Ok(request)) => Some(cases.output(request.input, metadata, context).await),
            }
        })
        .catch_unwind()
        .await;
        match step {
            Ok(None) => break,
            Ok(Some(Ok(output))) => answers.push(Ok(response(output))),
            Ok(Some(Err(status))) => {
                answers.push(Err(status));
                break;
            }
            Err(payload) => {
                let answers = tokio_stream::iter(answers);
                return Box::pin(answers.chain(ResumePanic(Some(payload))));
            }
        }
    }
    Box::pin(tokio_stream::iter(answers))
}

/// A stream that resumes a caught panic when polled: the panic of a special case, moved to
/// the point of the response stream where it happened.
struct ResumePanic(Option<Box<dyn Any + Send>>);

impl Stream for ResumePanic {
    type Item = Result<DummyResponse, Status>;

    fn poll_next(mut self: Pin<&mut Self>, _: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        match self.0.take() {
            Some(payload) => panic::resume_unwind(payload),
            None => Poll::Ready(None),
        }
    }
}

/// What a lazily answered call keeps once its handler has returned.
struct Lazy {
    cases: SpecialCases,
    metadata: MetadataMap,
    /// The context of the special cases, for the rest of the call.
    state: CallState,
}

/// The bidi handler's response stream with [`Reading::Lazily`].
/// Its special cases start with `storage`, a copy of the call's.
pub(super) fn lazily(
    cases: SpecialCases,
    metadata: MetadataMap,
    storage: http::Extensions,
    requests: Streaming<DummyRequest>,
) -> ResponseStream {
    let state = CallState::default();
    Context::new(Side::Server, &state).extend_storage(storage);
    let call = Arc::new(Lazy {
        cases,
        metadata,
        state,
    });
    let stream = futures_util::stream::unfold(Some((requests, call)), |next| async move {
        let (mut requests, call) = next?;
        match call.answer(&mut requests).await {
            Answer::Message(message) => Some((Ok(message), Some((requests, call)))),
            Answer::End(None) => None,
            Answer::End(Some(status)) => Some((Err(status), None)),
        }
    });
    Box::pin(stream)
}

/// What a lazily answered call sends next.
enum Answer {
    Message(DummyResponse),
    /// The end of the stream: with this status (OK with trailers, or an error), or none.
    End(Option<Status>),
}

impl Lazy {
    async fn answer(&self, requests: &mut Streaming<DummyRequest>) -> Answer {
        let input = match requests.next().await {
            None => return Answer::End(self.end(None)),
            Some(Err(status)) => return Answer::End(self.end(Some(Failure::Status(status)))),
            Some(Ok(request)) => request.input,
        };
        let mut context = Context::new(Side::Server, &self.state);
        let output = AssertUnwindSafe(self.cases.output(input, &self.metadata, &mut context))
            .catch_unwind()
            .await;
        match output {
            Ok(Ok(output)) => Answer::Message(response(output)),
            Ok(Err(status)) => Answer::End(self.end(Some(Failure::Status(status)))),
            Err(payload) if code_set(&context) => {
                Answer::End(self.end(Some(Failure::Panic(payload))))
            }
            Err(payload) => panic::resume_unwind(payload),
        }
    }

    /// Ends the stream after `failure`, or after its last request: applies what the
    /// special cases set on the context, and tells the end hooks they registered.
    fn end(&self, failure: Option<Failure>) -> Option<Status> {
        let mut context = Context::new(Side::Server, &self.state);
        let status = match failure {
            Some(failure) if failure.is_unknown() && code_set(&context) => {
                let name = MethodName::new("", "DummyService", "ExecuteClientServerStream");
                Some(ExceptionToStatus::new().handle_exception(failure, &mut context, &name))
            }
            Some(Failure::Status(status)) => Some(status),
            Some(Failure::Panic(payload)) => panic::resume_unwind(payload),
            None => None,
        };
        let Some(mut outcome) = self.state.take() else {
            return status;
        };
        let tracker = outcome.tracker.take();
        let extensions = std::mem::take(&mut outcome.extensions);
        let last = match status.or_else(|| outcome.error_status()) {
            Some(status) => Some(outcome.apply_to_status(status)),
            None => {
                let mut trailers = outcome.headers;
                merge(&mut trailers, outcome.trailers);
                (!trailers.is_empty()).then(|| Status::with_metadata(Code::Ok, "", trailers))
            }
        };
        if let Some(mut tracker) = tracker {
            tracker.set_extensions(extensions);
            tracker.fire(last.clone().unwrap_or_else(|| Status::ok("")), false);
        }
        last
    }
}

/// Whether a non-OK code was set on `context`.
fn code_set(context: &Context<'_>) -> bool {
    context.code().is_some_and(|code| code != Code::Ok)
}
