//! [`install_quiet_panic_hook`]: a panic hook that stays quiet for the panics an
//! [`ExceptionToStatus`](crate::ExceptionToStatus) answers for.
//!
//! A panic hook runs where the panic starts, before anything catches it: the hook knows only
//! the thread it runs on. While the hook is installed, `ExceptionToStatus` counts, per
//! thread, the polls of the calls inside it that are under way; a panic raised on a thread
//! while that count is not zero unwinds into an `ExceptionToStatus` (or into something inside
//! it that catches it first) and ends as a status. Until the hook is installed nothing is
//! counted: a call pays one relaxed load of a flag.

use std::cell::Cell;
use std::future::Future;
use std::panic;
use std::pin::Pin;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context as TaskContext, Poll};

/// Whether [`install_quiet_panic_hook`] ran: only then do calls count their polls.
static INSTALLED: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// The polls under way on this thread of calls inside an `ExceptionToStatus`.
    static ANSWERED: Cell<usize> = const { Cell::new(0) };
}

/// Installs a panic hook that says nothing about a panic an
/// [`ExceptionToStatus`](crate::ExceptionToStatus) turns into a status, and hands every
/// other panic to the hook that was installed before (Rust's default hook prints it).
///
/// A panic is quiet when it starts on a thread while an `ExceptionToStatus` is running the
/// rest of a call inside it: an inner interceptor, the handler, the request stream the
/// handler reads. Such a panic unwinds into the `ExceptionToStatus`, which answers the call
/// with a status (and its [`on_failure`](crate::ExceptionToStatus::on_failure) hook, the
/// place to log it, sees it). Panics elsewhere are reported as before, among them a panic
/// in a response stream, which runs after the call's interceptors have returned it, and one
/// that the runtime answers with UNKNOWN because no `ExceptionToStatus` was there.
///
/// With `panic = "abort"` nothing catches a panic, so every panic is handed on. Installing
/// the hook again does nothing; a hook set later with `std::panic::set_hook` replaces it.
///
/// ```
/// use grpc_interceptor::ExceptionToStatus;
///
/// grpc_interceptor::errors::install_quiet_panic_hook();
/// let errors = ExceptionToStatus::new().on_failure(|failure, _context, method_name| {
///     if let Some(message) = failure.panic_message() {
///         eprintln!("{method_name}: panicked: {message}");   // or your logger
///     }
///     None
/// });
/// # let _ = errors;
/// ```
pub fn install_quiet_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !answered_for() {
                previous(info);
            }
        }));
        INSTALLED.store(true, Ordering::Relaxed);
    });
}

/// Whether a panic starting here now will be answered for by an `ExceptionToStatus`.
fn answered_for() -> bool {
    cfg!(panic = "unwind") && ANSWERED.try_with(|count| count.get() > 0).unwrap_or(false)
}

/// Whether calls count their polls: the quiet hook is installed.
pub(crate) fn installed() -> bool {
    INSTALLED.load(Ordering::Relaxed)
}

/// Marks this thread as running code an `ExceptionToStatus` answers for, while it lives.
pub(crate) struct Answered(());

impl Answered {
    pub(crate) fn enter() -> Self {
        ANSWERED.with(|count| count.set(count.get() + 1));
        Self(())
    }
}

impl Drop for Answered {
    fn drop(&mut self) {
        ANSWERED.with(|count| count.set(count.get() - 1));
    }
}

pin_project_lite::pin_project! {
    /// A future whose polls are marked with [`Answered`].
    pub(crate) struct Counted<F> {
        #[pin]
        future: F,
    }
}

impl<F> Counted<F> {
    pub(crate) fn new(future: F) -> Self {
        Self { future }
    }
}

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let _answered = Answered::enter();
        self.project().future.poll(cx)
    }
}
