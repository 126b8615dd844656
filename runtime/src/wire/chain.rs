//! The chain of one call on the wire path ([`run`]): the interceptors around a terminal
//! that sends each attempt to the inner service, a panic in either caught, and what they
//! set on the context applied to the result.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use tonic::codegen::http::HeaderMap;
use tonic::{Code, Status};

use crate::context::{CallState, merge};
use crate::errors::exception_to_status::panic_status;
use crate::interceptor::link;
use crate::lifecycle::Tracker;
use crate::{
    CallInterceptor, Context, MessageStream, MethodName, Next, Payload, Request, Response, Side,
    WireMessage,
};

/// A call whose interceptors answered with a response.
pub(crate) struct Finished {
    pub(crate) response: Response<MessageStream<WireMessage>>,
    /// The call's end hooks, to tell when the response body ends.
    pub(crate) end: Option<Tracker>,
    /// Trailers set on the context, for the trailers frame of a body that goes on as it
    /// came (adding them to its stream would split it).
    pub(crate) trailers: Option<HeaderMap>,
}

/// Runs `interceptors` around `attempt`, which sends one attempt to the inner service, and
/// applies what they set on the context to the result. An error status has told the end
/// hooks already; a response tells them through [`Finished::end`].
///
/// On a server, a panic that no interceptor answered for ends the call with UNKNOWN
/// (`panicked: ...`), as on an `#[intercepted]` service.
pub(crate) fn run<'a, I, F, Fut>(
    interceptors: &'a I,
    side: Side,
    method_name: &'a MethodName,
    request: Request<MessageStream<WireMessage>>,
    attempt: F,
) -> impl Future<Output = Result<Finished, Status>> + 'a
where
    I: CallInterceptor + ?Sized,
    F: FnOnce(Request<MessageStream<WireMessage>>) -> Fut + Clone + Send + 'a,
    Fut: Future<Output = Result<Response<MessageStream<WireMessage>>, Status>> + Send + 'a,
{
    run_with(
        interceptors,
        side,
        method_name,
        move || (request, attempt),
        std::convert::identity,
    )
}

/// [`run`], with the interceptors and the method name owned or borrowed, the request and
/// the attempt made by `prepare` once the call's future first runs, and the result handed
/// to `finish`: the future keeps only what `prepare` captured (an HTTP request is smaller
/// than the interceptors' view of it), and no other future goes around it.
#[allow(
    clippy::manual_async_fn,
    reason = "an `async fn` copies its parameters into locals: the future would keep the \
              interceptors and the method name twice"
)]
pub(crate) fn run_with<R, I, M, P, F, Fut, T>(
    interceptors: R,
    side: Side,
    method_name: M,
    prepare: P,
    finish: impl FnOnce(Result<Finished, Status>) -> T,
) -> impl Future<Output = T>
where
    R: std::ops::Deref<Target = I>,
    I: CallInterceptor + ?Sized,
    M: std::ops::Deref<Target = MethodName>,
    P: FnOnce() -> (Request<MessageStream<WireMessage>>, F),
    F: FnOnce(Request<MessageStream<WireMessage>>) -> Fut + Clone + Send,
    Fut: Future<Output = Result<Response<MessageStream<WireMessage>>, Status>> + Send,
{
    // An `async` block, not an `async fn`: its captures are not copied into locals beside
    // themselves.
    async move {
        let (request, attempt) = prepare();
        let state = CallState::default();
        let mut context = Context::new(side, &state);
        let tracked = &state;
        let terminal = link(move |mut request: Request<MessageStream<WireMessage>>| {
            if tracked.is_tracked() {
                crate::lifecycle::track_request(tracked, &mut request);
            }
            attempt(request)
        });
        let ended = start(|| {
            interceptors.intercept(Next::new(terminal), request, &mut context, &method_name)
        })
        .await;
        finish(conclude(&state, side, ended))
    }
}

/// A panic's payload.
type PanicPayload = Box<dyn std::any::Any + Send>;

/// The chain's future made by `make` and polled, a panic in either caught: a plain-`fn`
/// interceptor runs when its future is made.
fn start<F: Future>(make: impl FnOnce() -> F) -> Started<F> {
    match std::panic::catch_unwind(AssertUnwindSafe(make)) {
        Ok(chain) => Started::Running {
            chain: AssertUnwindSafe(chain).catch_unwind(),
        },
        Err(payload) => Started::Panicked {
            payload: Some(payload),
        },
    }
}

pin_project_lite::pin_project! {
    /// The chain's future, or the panic that making it ended with (see [`start`]).
    #[project = StartedProj]
    enum Started<F> {
        Running { #[pin] chain: futures_util::future::CatchUnwind<AssertUnwindSafe<F>> },
        Panicked { payload: Option<PanicPayload> },
    }
}

impl<F: Future> Future for Started<F> {
    type Output = Result<F::Output, PanicPayload>;

    #[inline]
    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        match self.project() {
            StartedProj::Running { chain } => chain.poll(cx),
            StartedProj::Panicked { payload } => std::task::Poll::Ready(Err(payload
                .take()
                .unwrap_or_else(|| Box::new("the chain was polled after it panicked")))),
        }
    }
}

/// Applies what the interceptors set on the context to the chain's result (or the panic
/// it ended with).
#[inline(always)]
fn conclude(
    state: &CallState,
    side: Side,
    ended: Result<Result<Response<MessageStream<WireMessage>>, Status>, PanicPayload>,
) -> Result<Finished, Status> {
    let result = match ended {
        Ok(result) => result,
        Err(payload) => return panicked(state, side, payload),
    };
    // Nothing set on the context: the result as it is.
    let Some(outcome) = state.take() else {
        return result.map(|response| Finished {
            response,
            end: None,
            trailers: None,
        });
    };
    apply(outcome, result, false)
}

/// [`conclude`] for a chain that panicked.
#[cold]
#[inline(never)]
fn panicked(state: &CallState, side: Side, payload: PanicPayload) -> Result<Finished, Status> {
    // On a client the panic goes on into the application's task, as any panic in its own
    // code would, once the end hooks have been told.
    if side == Side::Client {
        let tracker = state.take().and_then(|mut outcome| {
            let mut tracker = outcome.tracker.take()?;
            tracker.set_extensions(std::mem::take(&mut outcome.extensions));
            Some(tracker)
        });
        if let Some(tracker) = tracker {
            tracker.fire(panic_status(&*payload), true);
        }
        std::panic::resume_unwind(payload)
    }
    let status = panic_status(&*payload);
    match state.take() {
        Some(outcome) => apply(outcome, Err(status), true),
        None => Err(status),
    }
}

/// [`conclude`] for a call whose context was set: its outcome applied to the result.
#[inline(never)]
fn apply(
    mut outcome: Box<crate::context::Outcome>,
    result: Result<Response<MessageStream<WireMessage>>, Status>,
    panicked: bool,
) -> Result<Finished, Status> {
    let tracker = outcome.tracker.take().map(|mut tracker| {
        tracker.set_extensions(std::mem::take(&mut outcome.extensions));
        tracker
    });
    match result {
        Err(status) => {
            let status = outcome.apply_to_status(status);
            if let Some(tracker) = tracker {
                tracker.fire(status.clone(), panicked);
            }
            Err(status)
        }
        Ok(mut response) => {
            if let Some(tracker) = &tracker {
                response
                    .get_mut()
                    .count_messages(tracker.response_counter());
            }
            let mut trailers = None;
            if response.get_ref().is_raw()
                && outcome.oversized.is_none()
                && outcome.code.is_none_or(|code| code == Code::Ok)
            {
                merge(
                    response.metadata_mut(),
                    std::mem::take(&mut outcome.headers),
                );
                let set = std::mem::take(&mut outcome.trailers);
                trailers = (!set.is_empty()).then(|| set.into_headers());
            } else {
                outcome.finish_stream(&mut response);
            }
            Ok(Finished {
                response,
                end: tracker,
                trailers,
            })
        }
    }
}
