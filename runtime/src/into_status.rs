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

impl<E: Into<Status>> IntoStatus for E {
    fn into_status(self) -> Status {
        self.into()
    }
}

pin_project_lite::pin_project! {
    /// Maps the error of an interceptor's future into a [`Status`].
    #[doc(hidden)]
    pub struct StatusFuture<F> {
        #[pin]
        future: F,
    }
}

/// Wraps `future` so that its error becomes a [`Status`].
#[doc(hidden)]
pub fn into_status<F, T, E>(future: F) -> StatusFuture<F>
where
    F: Future<Output = Result<T, E>>,
    E: IntoStatus,
{
    StatusFuture { future }
}

impl<F, T, E> Future for StatusFuture<F>
where
    F: Future<Output = Result<T, E>>,
    E: IntoStatus,
{
    type Output = Result<T, Status>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        Poll::Ready(ready!(self.project().future.poll(cx)).map_err(IntoStatus::into_status))
    }
}
