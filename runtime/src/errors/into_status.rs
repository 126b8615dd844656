//! [`IntoStatus`]: the error types an interceptor or handler may end a call with.

use std::future::Future;
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

pin_project_lite::pin_project! {
    /// Maps the error of an interceptor's future into a [`Status`].
    #[doc(hidden)]
    pub struct StatusFuture<F, E> {
        #[pin]
        future: F,
        into_status: fn(E) -> Status,
    }
}

/// Wraps `future` so that its error becomes a [`Status`].
///
/// `E: IntoStatus` is required here only, not by the future: an error type that is no
/// status is then reported once, where the expansion calls this, on the user's type.
#[doc(hidden)]
pub fn into_status<F, T, E>(future: F) -> StatusFuture<F, E>
where
    F: Future<Output = Result<T, E>>,
    E: IntoStatus,
{
    StatusFuture {
        future,
        into_status: E::into_status,
    }
}

impl<F, T, E> Future for StatusFuture<F, E>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = Result<T, Status>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        Poll::Ready(ready!(this.future.poll(cx)).map_err(*this.into_status))
    }
}
