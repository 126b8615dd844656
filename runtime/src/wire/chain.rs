//! The chain of one call on the wire path ([`run`]): the interceptors around a terminal
//! that sends each attempt to the inner service, a panic in either caught, and what they
//! set on the context applied to the result.

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::pin;
use std::task::Poll;

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

/// What goes with a call's response when the interceptors set the context: nothing
/// otherwise.
#[derive(Default)]
pub(crate) struct Closing {
    /// The call's end hooks, to tell when the response body ends.
    pub(crate) end: Option<Tracker>,
    /// Trailers set on the context, for the trailers frame of a body that goes on as it
    /// came.
    pub(crate) trailers: Option<HeaderMap>,
}

/// The chain's result: an error status has told the end hooks already.
pub(crate) type Ended = Result<Response<MessageStream<WireMessage>>, Status>;

/// What [`run_with`] makes of the chain's result: a trait rather than a closure, whose
/// call would move the result once more, into a tuple of arguments.
pub(crate) trait Finish: Copy {
    type Output;

    fn finish(self, result: Ended, closing: Closing) -> Self::Output;

    /// [`finish`](Self::finish) of a ready poll, with nothing set on the context.
    #[inline(always)]
    fn finish_poll(self, poll: Poll<Ended>) -> Poll<Self::Output> {
        poll.map(|result| self.finish(result, Closing::default()))
    }
}

/// [`run`]'s [`Finish`]: the result as a [`Finished`].
#[derive(Clone, Copy)]
struct ToFinished;

impl Finish for ToFinished {
    type Output = Result<Finished, Status>;

    #[inline(always)]
    fn finish(self, result: Ended, closing: Closing) -> Self::Output {
        result.map(|response| Finished {
            response,
            end: closing.end,
            trailers: closing.trailers,
        })
    }
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
        ToFinished,
    )
}

/// [`run`], with the interceptors and the method name owned or borrowed, the request and
/// the attempt made by `prepare` once the call's future first runs (a panic there is the
/// chain's), and the result handed to `finish`: the future keeps only what `prepare`
/// captured (an HTTP request is smaller than the interceptors' view of it), and no other
/// future goes around it. The chain's future is made in place, and its result is finished
/// where the chain is polled: the request and the response are not moved through the
/// `catch_unwind`s that catch a panic of either.
#[allow(
    clippy::manual_async_fn,
    reason = "an `async fn` copies its parameters into locals: the future would keep the \
              interceptors and the method name twice"
)]
pub(crate) fn run_with<R, I, M, P, F, Fut, T: Finish>(
    interceptors: R,
    side: Side,
    method_name: M,
    prepare: P,
    finish: T,
) -> impl Future<Output = T::Output>
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
        let state = CallState::default();
        let state = &state;
        // A plain-`fn` interceptor runs when its future is made. The request is made where
        // the chain takes it.
        let mut chain = pin!(None);
        let made = panic::catch_unwind(AssertUnwindSafe(|| {
            let (request, attempt) = prepare();
            let terminal = link(move |mut request: Request<MessageStream<WireMessage>>| {
                if state.is_tracked() {
                    crate::lifecycle::track_request(state, &mut request);
                }
                attempt(request)
            });
            chain.set(Some(interceptors.intercept_owned(
                Next::new(terminal),
                request,
                Context::new(side, state),
                &method_name,
            )));
        }));
        if let Err(payload) = made {
            let (result, closing) = panicked(state, side, payload);
            return finish.finish(result, closing);
        }
        std::future::poll_fn(|cx| {
            let poll = panic::catch_unwind(AssertUnwindSafe(|| {
                let Some(running) = chain.as_mut().as_pin_mut() else {
                    let ended = Status::internal("the call was polled after it ended");
                    return Poll::Ready(finish.finish(Err(ended), Closing::default()));
                };
                let poll = running.poll(cx);
                if poll.is_pending() {
                    return Poll::Pending;
                }
                chain.set(None);
                match state.take() {
                    // Nothing set on the context: the result as it is, not even moved out of
                    // the poll.
                    None => finish.finish_poll(poll),
                    Some(outcome) => poll.map(|result| {
                        let (result, closing) = apply(outcome, result, false);
                        finish.finish(result, closing)
                    }),
                }
            }));
            match poll {
                Ok(poll) => poll,
                Err(payload) => {
                    let (result, closing) = panicked(state, side, payload);
                    Poll::Ready(finish.finish(result, closing))
                }
            }
        })
        .await
    }
}

/// A panic's payload.
type PanicPayload = Box<dyn std::any::Any + Send>;

/// The result of a chain that panicked, with what the interceptors set on the context.
#[cold]
#[inline(never)]
fn panicked(state: &CallState, side: Side, payload: PanicPayload) -> (Ended, Closing) {
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
        None => (Err(status), Closing::default()),
    }
}

/// The chain's result with what the interceptors set on the context applied to it.
#[inline(never)]
fn apply(
    mut outcome: Box<crate::context::Outcome>,
    result: Ended,
    panicked: bool,
) -> (Ended, Closing) {
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
            (Err(status), Closing::default())
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
            let closing = Closing {
                end: tracker,
                trailers,
            };
            (Ok(response), closing)
        }
    }
}
