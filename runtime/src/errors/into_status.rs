//! [`IntoStatus`]: the error types an interceptor or handler may end a call with.

use std::future::Future;

use futures_util::TryFutureExt;
use futures_util::future::MapErr;
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

/// Wraps `future` so that its error becomes a [`Status`].
///
/// `E: IntoStatus` is required here only, not by the future (whose error mapping is a fn
/// pointer): an error type that is no status is then reported once, where the expansion
/// calls this, on the user's type.
#[doc(hidden)]
pub fn into_status<F, T, E>(future: F) -> MapErr<F, fn(E) -> Status>
where
    F: Future<Output = Result<T, E>>,
    E: IntoStatus,
{
    future.map_err(E::into_status as fn(E) -> Status)
}
