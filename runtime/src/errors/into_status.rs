//! [`IntoStatus`]: the error types an interceptor or handler may end a call with.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll, ready};

use tonic::Status;

/// An error that can end a gRPC call: anything that converts into a [`Status`].
///
/// `async fn` interceptors may return `Result<Response, E>` for any such `E`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be converted into a gRPC `Status`",
    label = "not convertible into `Status`",
    note = "implement `From<{Self}> for tonic::Status`, or return `tonic::Status`"
)]
pub trait IntoStatus {
    /// The status the call ends with.
    fn into_status(self) -> Status;
}

// Not recommended: an error type that is no status is then reported as not `IntoStatus`,
// with the message above, rather than as `Status: From<E>` not being satisfied.
#[diagnostic::do_not_recommend]
impl<E: Into<Status>> IntoStatus for E {
    fn into_status(self) -> Status {
        self.into()
    }
}

/// The error type of an `async fn` interceptor, to pick how its future's error becomes a
/// [`Status`] by autoref specialization: `(&ErrorType::<E>::new()).status_future(future)` is
/// the future itself when `E` is `Status` ([`StatusError`]), and a [`StatusFuture`]
/// otherwise ([`OtherError`]).
#[doc(hidden)]
pub struct ErrorType<E>(PhantomData<fn() -> E>);

impl<E> ErrorType<E> {
    #[doc(hidden)]
    #[inline(always)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self(PhantomData)
    }
}

/// The error is already a [`Status`]: nothing to convert.
#[doc(hidden)]
pub trait StatusError {
    /// `future`, as it is.
    fn status_future<F>(&self, future: F, into_status: fn(Status) -> Status) -> F;
}

impl StatusError for ErrorType<Status> {
    #[inline(always)]
    fn status_future<F>(&self, future: F, _: fn(Status) -> Status) -> F {
        future
    }
}

/// Any other error type: converted with [`IntoStatus`].
#[doc(hidden)]
pub trait OtherError<E> {
    /// `future`, its error turned into a [`Status`] by `into_status`.
    ///
    /// The expansion passes `<E as IntoStatus>::into_status`: an error type that is no
    /// status is then reported once, on the user's type, by the public trait's own bound
    /// (no bound of this trait's to name in a note).
    fn status_future<F, T>(&self, future: F, into_status: fn(E) -> Status) -> StatusFuture<F, E>
    where
        F: Future<Output = Result<T, E>>;
}

impl<E> OtherError<E> for &ErrorType<E> {
    #[inline(always)]
    fn status_future<F, T>(&self, future: F, into_status: fn(E) -> Status) -> StatusFuture<F, E>
    where
        F: Future<Output = Result<T, E>>,
    {
        StatusFuture {
            future,
            into_status,
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of an `async fn` interceptor whose error is not a [`Status`], its error
    /// turned into one. Its poll is inlined: it runs once per layer on every call.
    #[doc(hidden)]
    pub struct StatusFuture<F, E> {
        #[pin]
        future: F,
        into_status: fn(E) -> Status,
    }
}

impl<F, T, E> Future for StatusFuture<F, E>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = Result<T, Status>;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        Poll::Ready(match ready!(this.future.poll(cx)) {
            Ok(value) => Ok(value),
            Err(error) => Err((this.into_status)(error)),
        })
    }
}
