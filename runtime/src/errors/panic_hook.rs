//! [`install_quiet_panic_hook`]: a panic hook that stays quiet for the panics the library
//! turns into a status.
//!
//! A panic hook runs where the panic starts, before anything catches it: the hook knows only
//! the thread it runs on. While the hook is installed, every place that catches a panic and
//! turns it into a status counts, per thread, the polls under way inside it ([`Answered`]):
//! `ExceptionToStatus`, a served call (`Serve`), its response stream (`InterceptedStream`),
//! the server layer's chain and response body. A panic raised on a thread while that count
//! is not zero unwinds into one of them (or into something inside it that catches it first)
//! and ends as a status. Code inside them whose panic ends as no status (the end hooks, whose
//! panics are caught and dropped) runs with the count at zero ([`Unanswered`]).
//!
//! What this costs when the hook is not installed: a served call counts its polls anyway
//! (two thread-local writes per poll: cheaper than a branch around its one poll); a response
//! stream checks once, when it starts, and with the hook installed polls its source out of
//! line, marked, so the direct path pays nothing; the others pay one relaxed load of a flag
//! per poll. A response stream that started before the hook was installed stays unmarked.

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

/// Installs a panic hook that says nothing about a panic the library turns into a status,
/// and hands every other panic to the hook that was installed before (Rust's default hook
/// prints it).
///
/// A panic is quiet when it starts on a thread while the library is running code whose
/// panic it catches and answers with a status:
///
/// - inside an [`ExceptionToStatus`](crate::ExceptionToStatus) (an inner interceptor, the
///   handler, the request stream the handler reads; on a client, also the response stream's
///   source and message hooks while the application polls it): it answers with a status,
///   and its [`on_failure`](crate::ExceptionToStatus::on_failure) hook, the place to log
///   the panic, sees it;
/// - anywhere in a call of an `#[intercepted]` service: the interceptors, the handler, and
///   its response stream while tonic polls it (the handler's stream, the interceptors'
///   hooks on its messages and its end). An `ExceptionToStatus` answers for it, or else the
///   runtime ends the call with UNKNOWN `panicked: <message>`, which the call's end hooks
///   see ([`CallEnd::panicked`](crate::lifecycle::CallEnd::panicked));
/// - in the chain of a [`server::InterceptorLayer`](crate::server::InterceptorLayer) (the
///   services behind it included) and while its response body is polled: UNKNOWN, the same.
///
/// Every other panic is reported as before, even inside a call when it ends as no status: a
/// panic in an end hook ([`Context::on_call_end`](crate::Context::on_call_end)), whose panic
/// is caught and dropped; in a task the handler spawned; in a client's interceptors or its
/// response stream, which the application polls and into which the panic goes on, unless a
/// client-side `ExceptionToStatus` answers it (then it is quiet, but a panic in an end hook
/// of that stream, [`PayloadExt::on_end`](crate::PayloadExt::on_end), is reported even when
/// a later hook answers it). A panic
/// that code inside a call catches itself with `catch_unwind`, and does not turn into a
/// status, is quiet too: the hook cannot tell who catches it.
///
/// Install it at startup, before serving: a response stream that started before it was
/// installed keeps printing its panics.
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
#[inline(always)]
pub(crate) fn installed() -> bool {
    INSTALLED.load(Ordering::Relaxed)
}

/// Marks this thread as running code an `ExceptionToStatus` answers for, while it lives.
pub(crate) struct Answered(());

impl Answered {
    #[inline]
    pub(crate) fn enter() -> Self {
        ANSWERED.with(|count| count.set(count.get() + 1));
        Self(())
    }

    /// [`enter`](Self::enter), when the quiet hook is installed: where code runs whose
    /// panic is caught and turned into a status. One relaxed load otherwise.
    #[inline]
    pub(crate) fn when_installed() -> Option<Self> {
        installed().then(Self::enter)
    }
}

/// Marks this thread as running code whose panic ends as no status, while it lives, inside
/// code that is marked with [`Answered`]: an end hook, whose panic is caught and dropped.
pub(crate) struct Unanswered(Option<usize>);

impl Unanswered {
    #[inline]
    pub(crate) fn when_installed() -> Self {
        // `try_with`: end hooks may run in a `Drop` while the thread's locals are destroyed.
        let count = installed()
            .then(|| ANSWERED.try_with(|count| count.replace(0)).ok())
            .flatten();
        Self(count)
    }
}

impl Drop for Unanswered {
    fn drop(&mut self) {
        if let Some(previous) = self.0 {
            let _ = ANSWERED.try_with(|count| count.set(previous));
        }
    }
}

impl Drop for Answered {
    #[inline]
    fn drop(&mut self) {
        ANSWERED.with(|count| count.set(count.get() - 1));
    }
}

pin_project_lite::pin_project! {
    /// A future whose polls are marked with [`Answered`].
    pub(crate) struct Counted<F> {
        #[pin]
        future: F,
        marked: bool,
    }
}

impl<F> Counted<F> {
    pub(crate) fn new(future: F) -> Self {
        Self {
            future,
            marked: true,
        }
    }

    /// Marks the polls of `future` when the quiet hook is installed (now).
    pub(crate) fn when_installed(future: F) -> Self {
        Self {
            future,
            marked: installed(),
        }
    }
}

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _answered = this.marked.then(Answered::enter);
        this.future.poll(cx)
    }
}
