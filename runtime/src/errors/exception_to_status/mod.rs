//! [`ExceptionToStatus`]: the interceptor that turns failures inside it (panics, and errors
//! without a gRPC code) into gRPC statuses, and [`Failure`], what its hook sees.

mod failure;

pub use failure::Failure;
pub(crate) use failure::panic_status;

use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

use futures_util::FutureExt;
use tonic::{Code, Status};

use crate::context::{CallState, merge};
use crate::errors::panic_hook::{self, Answered, Counted};
use crate::errors::{OkCodeError, code_name};
use crate::{CallInterceptor, Chain, Context, MethodName, Next, Payload, Request, Response, Side};
use failure::is_unknown;

type Hook = dyn Fn(&Failure, &mut Context<'_>, &MethodName) -> Option<Status> + Send + Sync;

/// The reference's `ExceptionToStatusInterceptor`: turns what fails inside it into a gRPC
/// status, in all four streaming modes.
///
/// - A status chosen by the handler or an inner interceptor (an error of the
///   [`errors`](crate::errors) family, `Status::not_found(..)`, any status but an unknown
///   failure) reaches the client exactly as it is.
/// - An *unknown failure* (see [`Failure::is_unknown`]) — a panic anywhere inside it, in
///   the handler, an inner interceptor, while the handler reads a request stream, before or
///   in the middle of a response stream; or an error converted into a status without a
///   code — ends the call with the code set with
///   [`status_on_unknown_exception`](Self::status_on_unknown_exception) (UNKNOWN by
///   default). The details are the status's message, or `panicked: <message>` for a panic
///   (the analogue of the reference's `repr(ex)`). Messages already sent reach the
///   client first; the server goes on serving.
/// - But a code the handler or an inner interceptor set on the [`Context`] is never
///   overridden: an unknown failure then ends the call with that code, and the details
///   set on the context (or the failure's).
/// - A hook ([`on_failure`](Self::on_failure), the reference's `handle_exception`) sees
///   every failure first and may answer with a status of its own.
///
/// It only sees what is inside it: list it first (outermost) to cover the whole chain.
///
#[cfg_attr(feature = "testing", doc = "```")]
#[cfg_attr(not(feature = "testing"), doc = "```ignore")]
/// use grpc_interceptor::testing::{dummy_client, DummyRequest, SpecialCases};
/// use grpc_interceptor::{Code, ExceptionToStatus};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// let cases = SpecialCases::new().on("boom", |_, _| panic!("oops"));
/// let errors = ExceptionToStatus::default().status_on_unknown_exception(Code::Internal)?;
/// let mut client = dummy_client(cases, (errors,)).await?;
/// let status = client.execute(DummyRequest { input: "boom".into() }).await.unwrap_err();
/// assert_eq!((status.code(), status.message()), (Code::Internal, "panicked: oops"));
/// # Ok(())
/// # }
/// ```
///
/// Panics are caught with `std::panic::catch_unwind`, so this needs `panic = "unwind"` (the
/// default); the panic hook still runs (and prints the message) as for any panic, unless
/// [`install_quiet_panic_hook`](crate::errors::install_quiet_panic_hook) installed one that
/// stays quiet for the panics answered here.
#[derive(Clone)]
pub struct ExceptionToStatus {
    code: Code,
    hook: Option<Arc<Hook>>,
}

impl Default for ExceptionToStatus {
    fn default() -> Self {
        Self::new()
    }
}

impl ExceptionToStatus {
    /// Unknown failures become UNKNOWN; no hook.
    ///
    /// ```
    /// use grpc_interceptor::ExceptionToStatus;
    ///
    /// static ERRORS: ExceptionToStatus = ExceptionToStatus::new();
    /// # let _ = &ERRORS;
    /// ```
    pub const fn new() -> Self {
        Self {
            code: Code::Unknown,
            hook: None,
        }
    }

    /// The code unknown failures end the call with; OK is refused.
    ///
    /// ```
    /// use grpc_interceptor::{Code, ExceptionToStatus};
    ///
    /// assert!(ExceptionToStatus::new().status_on_unknown_exception(Code::Internal).is_ok());
    /// let err = ExceptionToStatus::new().status_on_unknown_exception(Code::Ok).unwrap_err();
    /// assert_eq!(err.to_string(), "the status code for unknown exceptions cannot be OK");
    /// ```
    pub fn status_on_unknown_exception(self, code: Code) -> Result<Self, OkCodeError> {
        if code == Code::Ok {
            return Err(OkCodeError::for_unknown_exceptions());
        }
        Ok(Self { code, ..self })
    }

    /// Sets the hook, the reference's `handle_exception(ex, request, context, method_name)`:
    /// it sees every failure inside this interceptor, chosen statuses included, with the
    /// call's context and method name, and answers with `Some(status)` to end the call with
    /// it, or `None` for the default mapping. (A status with code OK counts as `None`.)
    ///
    /// Unlike the reference's hook it does not get the request, which the call consumed.
    /// In the middle of a response stream the call's context is gone: the hook gets a fresh
    /// one holding the code and details the call had when the stream began; trailers it sets
    /// there go out with the status.
    ///
    /// Build it once, not in every call: an `#[intercepted(self.errors)]` field, say.
    ///
    /// ```
    /// use grpc_interceptor::{ExceptionToStatus, Status};
    ///
    /// #[derive(Debug)]
    /// struct DbError;
    /// impl std::fmt::Display for DbError {
    ///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    ///         f.write_str("connection lost")
    ///     }
    /// }
    /// impl std::error::Error for DbError {}
    ///
    /// let errors = ExceptionToStatus::new().on_failure(|failure, _context, _method| {
    ///     failure.find_error::<DbError>().map(|e| Status::unavailable(e.to_string()))
    /// });
    /// # let _ = errors;
    /// ```
    #[doc(alias = "handle_exception")]
    pub fn on_failure<F>(self, hook: F) -> Self
    where
        F: Fn(&Failure, &mut Context<'_>, &MethodName) -> Option<Status> + Send + Sync + 'static,
    {
        Self {
            hook: Some(Arc::new(hook)),
            ..self
        }
    }

    /// The status this interceptor ends a call with after `failure`: the hook's answer, the
    /// failure's own status when it was chosen, or the default for unknown failures (the
    /// code set on `context`, if any, else [`status_on_unknown_exception`](Self::status_on_unknown_exception)).
    ///
    /// An interceptor of your own can use it to answer as this one would:
    ///
    /// ```
    /// use grpc_interceptor::{CallInterceptor, Chain, Context, ExceptionToStatus, Failure};
    /// use grpc_interceptor::{MethodName, Next, Request, Response, Status};
    ///
    /// /// Maps error statuses the way `ExceptionToStatus` does, and counts them.
    /// struct CountErrors(ExceptionToStatus, std::sync::atomic::AtomicUsize);
    ///
    /// impl CallInterceptor for CountErrors {
    ///     async fn intercept<'call, N: Chain>(
    ///         &self,
    ///         method: Next<'call, N>,
    ///         request: Request<N::ReqPayload>,
    ///         context: &mut Context<'call>,
    ///         method_name: &MethodName,
    ///     ) -> Result<Response<N::RespPayload>, Status> {
    ///         let status = match method.call(request, context).await {
    ///             Err(status) => status,
    ///             ok => return ok,
    ///         };
    ///         self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    ///         Err(self.0.handle_exception(Failure::Status(status), context, method_name))
    ///     }
    /// }
    /// # let _ = CountErrors(ExceptionToStatus::new(), Default::default());
    /// ```
    pub fn handle_exception(
        &self,
        failure: Failure,
        context: &mut Context<'_>,
        method_name: &MethodName,
    ) -> Status {
        if let Some(status) = self.ask_hook(&failure, context, method_name) {
            return status;
        }
        self.default_status(failure, chosen(context))
    }

    fn ask_hook(
        &self,
        failure: &Failure,
        context: &mut Context<'_>,
        method_name: &MethodName,
    ) -> Option<Status> {
        let status = self.hook.as_ref()?(failure, context, method_name)?;
        (status.code() != Code::Ok).then_some(status)
    }

    fn default_status(&self, failure: Failure, chosen: Option<(Code, Option<String>)>) -> Status {
        let status = match failure {
            Failure::Status(status) if !is_unknown(&status) => return status,
            Failure::Status(status) => status,
            Failure::Panic(payload) => panic_status(&*payload),
        };
        let (code, details) = match chosen {
            Some((code, Some(details))) => (code, details),
            Some((code, None)) => (code, status.message().to_owned()),
            None => (self.code, status.message().to_owned()),
        };
        if code == status.code() && details == status.message() {
            return status;
        }
        Status::with_metadata(code, details, status.metadata().clone())
    }

    /// Answers for failures of a response stream, at its end.
    fn guard<B: Payload>(&self, body: &mut B, context: &Context<'_>, method_name: &MethodName) {
        let guard = StreamGuard {
            errors: self.clone(),
            chosen: chosen(context),
            // Only a hook needs the name; cloning it may allocate.
            method_name: self.hook.as_ref().map(|_| method_name.clone()),
            side: context.side(),
        };
        body.on_end(move |end| guard.on_end(end));
        // On a server, the response stream's polls are marked already; on a client the
        // application polls it, outside anything marked.
        if context.side() == Side::Client {
            body.answer_panics();
        }
    }
}

impl fmt::Debug for ExceptionToStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExceptionToStatus")
            .field("status_on_unknown_exception", &code_name(self.code))
            .field("hook", &self.hook.is_some())
            .finish()
    }
}

/// The code (and details) set on the context, which unknown failures keep.
fn chosen(context: &Context<'_>) -> Option<(Code, Option<String>)> {
    let code = context.code().filter(|code| *code != Code::Ok)?;
    Some((code, context.details()))
}

impl CallInterceptor for ExceptionToStatus {
    async fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        method_name: &MethodName,
    ) -> Result<Response<N::RespPayload>, Status> {
        // With the quiet panic hook installed, the thread is marked while the rest of the
        // call runs: a panic there is answered for here. Without it, the call runs as if the
        // hook did not exist.
        let counted = panic_hook::installed();
        // `method.call` may run an inner interceptor's synchronous code at once.
        let reply = if counted {
            panic::catch_unwind(AssertUnwindSafe(|| {
                let _answered = Answered::enter();
                method.call(request, context)
            }))
        } else {
            panic::catch_unwind(AssertUnwindSafe(|| method.call(request, context)))
        };
        let outcome = match reply {
            Ok(reply) if counted => AssertUnwindSafe(Counted::new(reply)).catch_unwind().await,
            Ok(reply) => AssertUnwindSafe(reply).catch_unwind().await,
            Err(payload) => Err(payload),
        };
        let failure = match outcome {
            Ok(Ok(mut response)) => {
                if <N::RespPayload as Payload>::IS_STREAM {
                    self.guard(response.get_mut(), context, method_name);
                }
                return Ok(response);
            }
            Ok(Err(status)) if self.hook.is_none() && !is_unknown(&status) => return Err(status),
            Ok(Err(status)) => Failure::Status(status),
            Err(payload) => Failure::Panic(payload),
        };
        Err(self.handle_exception(failure, context, method_name))
    }
}

/// What a guarded response stream needs at its end, owned: the call is over by then.
struct StreamGuard {
    errors: ExceptionToStatus,
    chosen: Option<(Code, Option<String>)>,
    method_name: Option<MethodName>,
    side: Side,
}

impl StreamGuard {
    fn on_end(self, end: &mut crate::StreamEnd) {
        let failure = match end.take_panic() {
            Some(payload) => Failure::Panic(payload),
            None => match end.status() {
                Some(status) if self.errors.hook.is_some() || is_unknown(status) => {
                    Failure::Status(status.clone())
                }
                _ => return,
            },
        };
        let status = match self.ask_hook(&failure, end) {
            Some(status) => status,
            None => self.errors.default_status(failure, self.chosen),
        };
        end.set_status(Some(status));
    }

    /// Asks the hook, with a context of its own that holds the call's code and details.
    fn ask_hook(&self, failure: &Failure, end: &mut crate::StreamEnd) -> Option<Status> {
        let method_name = self.method_name.as_ref()?;
        let state = CallState::default();
        let mut context = Context::new(self.side, &state);
        if let Some((code, details)) = &self.chosen {
            context.set_code(*code);
            if let Some(details) = details {
                context.set_details(details.clone());
            }
        }
        let status = self.errors.ask_hook(failure, &mut context, method_name);
        if let Some(outcome) = state.take() {
            merge(end.trailers_mut(), outcome.headers);
            merge(end.trailers_mut(), outcome.trailers);
        }
        status
    }
}

#[cfg(test)]
mod tests;
