//! # Running interceptors in production
//!
//! What to decide before a service with interceptors takes real traffic: the panic strategy
//! and what a panic prints, how end hooks share state with the rest of the program, and which
//! form each interceptor takes. The examples run against the test harness when the crate's
//! `testing` feature is on (as in the repository's test run). `examples/production.rs` in the
//! repository puts a whole stack of the ready-made interceptors (`grpc_interceptor::interceptors`)
//! together.
//!
//! ## Panics
//!
//! ### `panic = "unwind"` is required
//!
//! A panic in a handler, an interceptor or a message stream is caught with
//! `std::panic::catch_unwind`, by [`ExceptionToStatus`](crate::ExceptionToStatus) (which
//! answers with `status_on_unknown_exception`) and, without one, by the runtime (which answers
//! UNKNOWN `panicked: <message>`). The call ends with a status, its end hooks run, the
//! connection and every other call on it go on, and the server keeps serving.
//!
//! That needs unwinding, Rust's default. With `panic = "abort"` in the Cargo profile a panic
//! anywhere ends the process as soon as the panic hook has run: no status is sent (clients
//! of every call in flight see the connection drop, UNAVAILABLE in most gRPC clients), end
//! hooks do not run, and `ExceptionToStatus` still maps the errors handlers return but never
//! sees a panic. Choose `abort` only if a supervisor restarting the process is the recovery
//! you want. A binary can make the choice explicit:
//!
//! ```
//! // In the server's main.rs: refuses to build with `panic = "abort"`.
//! const _: () = assert!(
//!     cfg!(panic = "unwind"),
//!     "the server needs panic = \"unwind\": its interceptors answer panics with a status",
//! );
//! ```
//!
//! Unwinding has two limits of its own. A panic while another one unwinds (in a `Drop`
//! implementation, say) aborts the process whatever the strategy. And a panic leaves behind
//! whatever its code was holding: a `std::sync::Mutex` held across it is poisoned for every
//! later call. State that handlers share either stays valid at every step, or is reached with
//! `lock().unwrap_or_else(PoisonError::into_inner)` once it does, or behind a lock that does
//! not poison.
//!
//! ### A panic hook that stays quiet for answered panics
//!
//! The panic hook runs before anything catches the panic, so Rust's default hook prints every
//! panic to stderr, those that end a call with a status included: under load, one bad input
//! fills stderr with messages the service's own logs already have, without the method name.
//! [`errors::install_quiet_panic_hook`](crate::errors::install_quiet_panic_hook) installs a
//! hook that says nothing about the panics the library turns into a status (an
//! `ExceptionToStatus`'s answer, or the runtime's UNKNOWN) and hands every other one to the
//! hook installed before it; log the answered ones in
//! [`on_failure`](crate::ExceptionToStatus::on_failure), with the method name:
//!
//! ```
//! # #[cfg(feature = "testing")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! # use grpc_interceptor::testing::{dummy_client, DummyRequest, SpecialCases};
//! use std::sync::{Arc, Mutex};
//! use grpc_interceptor::{Code, ExceptionToStatus};
//!
//! // Once, at start-up, after any hook of your own (it chains to the one it finds).
//! grpc_interceptor::errors::install_quiet_panic_hook();
//!
//! let logged = Arc::new(Mutex::new(Vec::new()));
//! let log = Arc::clone(&logged);
//! let errors = ExceptionToStatus::new().on_failure(move |failure, _context, method_name| {
//!     if let Some(message) = failure.panic_message() {
//!         // Your logger here, with the method name and whatever the call stored.
//!         log.lock().unwrap().push(format!("{method_name}: {message}"));
//!     }
//!     None // the default status
//! });
//!
//! // A handler that panics: nothing on stderr, one line in the log, a status for the client.
//! let cases = SpecialCases::new().on("boom", |_, _| panic!("bad input"));
//! let mut client = dummy_client(cases, (errors,)).await?;
//! let status = client.execute(DummyRequest { input: "boom".into() }).await.unwrap_err();
//! assert_eq!((status.code(), status.message()), (Code::Unknown, "panicked: bad input"));
//! assert_eq!(*logged.lock().unwrap(), ["/DummyService/Execute: bad input"]);
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "testing"))]
//! # fn main() {}
//! ```
//!
//! Which panics stay quiet: those that start on a thread while an `ExceptionToStatus` runs
//! the rest of the call inside it (inner interceptors, the handler, the request stream the
//! handler reads). Every one of them unwinds into the `ExceptionToStatus`. These are still
//! reported:
//!
//! - a panic in a response stream, which runs after the interceptors have returned it to
//!   tonic (the client still gets `ExceptionToStatus`'s status);
//! - a panic the runtime answers with UNKNOWN because no `ExceptionToStatus` was in the
//!   chain: a panic nobody planned for;
//! - every panic outside a call, and every panic with `panic = "abort"`.
//!
//! The hook costs nothing until it is installed: a call checks one flag. Once it is, a call
//! through `ExceptionToStatus` updates a thread-local counter around each poll.
//!
//! Answered panics then show where the service logs its calls: in `on_failure`, and in the
//! final status an access log records (the ready-made `interceptors::access_log::AccessLog`,
//! feature `access-log`, logs it with every call).
//!
//! ## State in end hooks: `Arc`
//!
//! [`Context::on_call_end`](crate::Context::on_call_end) takes a `'static` closure: the hook
//! runs when the call ends, which for a response stream, a cancelled call or a call past its
//! deadline is after the interceptor's own future is gone. It cannot borrow the interceptor
//! (`&self`) or anything the call owns. State the hook updates is shared through an `Arc`,
//! cloned into each hook; a `static` works as well for state of the whole process.
//!
//! ```
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use grpc_interceptor::prelude::*;
//!
//! /// Calls and errors, per process; the interceptor holds one handle, each hook another.
//! #[derive(Default)]
//! struct Counters {
//!     calls: AtomicU64,
//!     errors: AtomicU64,
//! }
//!
//! #[derive(Clone, Default)]
//! struct Metrics(Arc<Counters>);
//!
//! impl CallInterceptor for Metrics {
//!     fn intercept<'call, N: Chain>(
//!         &self,
//!         method: Next<'call, N>,
//!         request: Request<N::ReqPayload>,
//!         context: &mut Context<'call>,
//!         _: &MethodName,
//!     ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
//!         let counters = Arc::clone(&self.0); // moved into the hook
//!         context.on_call_end(move |end| {
//!             counters.calls.fetch_add(1, Ordering::Relaxed);
//!             if end.code() != Code::Ok {
//!                 counters.errors.fetch_add(1, Ordering::Relaxed);
//!             }
//!         });
//!         method.call(request, context)
//!     }
//! }
//!
//! # #[cfg(feature = "testing")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! # use grpc_interceptor::testing::{dummy_client, raises, DummyRequest, SpecialCases};
//! let metrics = Metrics::default();
//! let cases = SpecialCases::new().on("missing", raises(Status::not_found("no such key")));
//! let mut client = dummy_client(cases, (metrics.clone(),)).await?;
//! client.execute(DummyRequest { input: "present".into() }).await?;
//! client.execute(DummyRequest { input: "missing".into() }).await.unwrap_err();
//! # // A unary call ends once its response is written: let the server get there.
//! # for _ in 0..10_000 {
//! #     if metrics.0.calls.load(Ordering::Relaxed) == 2 { break }
//! #     tokio::task::yield_now().await;
//! # }
//! assert_eq!(metrics.0.calls.load(Ordering::Relaxed), 2);
//! assert_eq!(metrics.0.errors.load(Ordering::Relaxed), 1);
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "testing"))]
//! # fn main() { let _ = Metrics::default(); }
//! ```
//!
//! In a service, put the interceptor in a field and list it as `#[intercepted(self.metrics)]`;
//! another clone of the `Arc` serves the metrics endpoint. (For call counts and durations
//! exported through the `metrics` facade, the ready-made `interceptors::metrics::Metrics`,
//! feature `metrics`, does this already; the pattern is for state of your own.) Values one call's interceptors
//! hand to its end hooks (the authenticated user, say) go in the call's storage instead
//! ([`Context::insert`](crate::Context::insert), read with
//! [`CallEnd::get`](crate::CallEnd::get)), not in shared state.
//!
//! ## An `#[interceptor]` fn, an `#[interceptor]` method, or a hand-written `CallInterceptor`
//!
//! Both forms compile to the same kind of future, with no box: choose by what the interceptor
//! needs, not by cost.
//!
//! | the interceptor | write |
//! |---|---|
//! | has no state or configuration | an [`#[interceptor]`](crate::interceptor) fn |
//! | awaits something (the rest of the call, a lookup) | an `#[interceptor] async fn` |
//! | has state or configuration (counters, a key, a client for an auth service) | a type with one `&self` method in an `#[interceptor] impl` block, listed as `self.field` or a value |
//! | is a library's public type | a hand-written `CallInterceptor` |
//! | wants the `Chain` bounds spelled out (`N::ReqPayload`, `N::RespPayload`) | a hand-written `CallInterceptor` |
//!
//! A plain `fn` does its work before the call and returns `method.call(...)`'s
//! [`Reply`](crate::Reply), or answers at once with `Reply::error` / `Reply::ok`; an `async
//! fn` sees the result. A hand-written impl has the same two shapes: `fn intercept(...) ->
//! impl Future<...> + Send` returning a `Reply`, or `async fn intercept(...) -> Result<...>`.
//!
//! In the first shape, `Reply::error(status)` takes the chain type from the other return, the
//! `Reply` of `method.call(...)`. When no path calls `method`, nothing says which chain the
//! `Reply` is for: answer through `method`, with [`Next::error`](crate::Next::error) or
//! [`Next::ok`](crate::Next::ok), which infer on every path:
//!
//! ```
//! use std::sync::atomic::{AtomicBool, Ordering};
//! use grpc_interceptor::prelude::*;
//!
//! /// Answers every call with UNAVAILABLE while the service is draining.
//! #[derive(Default)]
//! struct Drain(AtomicBool);
//!
//! impl CallInterceptor for Drain {
//!     fn intercept<'call, N: Chain>(
//!         &self,
//!         method: Next<'call, N>,
//!         request: Request<N::ReqPayload>,
//!         context: &mut Context<'call>,
//!         _: &MethodName,
//!     ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
//!         if self.0.load(Ordering::Relaxed) {
//!             // Inferred: the other path returns `method.call(...)`'s `Reply<N>`.
//!             return Reply::error(Status::unavailable("draining"));
//!         }
//!         method.call(request, context)
//!     }
//! }
//!
//! /// Answers every call with UNAVAILABLE: no path calls `method`.
//! struct Closed;
//!
//! impl CallInterceptor for Closed {
//!     fn intercept<'call, N: Chain>(
//!         &self,
//!         method: Next<'call, N>,
//!         _: Request<N::ReqPayload>,
//!         _: &mut Context<'call>,
//!         _: &MethodName,
//!     ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
//!         method.error(Status::unavailable("closed"))
//!     }
//! }
//!
//! # #[cfg(feature = "testing")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! # use grpc_interceptor::testing::{dummy_client, DummyRequest, SpecialCases};
//! let drain = std::sync::Arc::new(Drain::default());
//! let mut client = dummy_client(SpecialCases::new(), (drain.clone(),)).await?;
//! client.execute(DummyRequest { input: "a".into() }).await?;
//! drain.0.store(true, Ordering::Relaxed);
//! let status = client.execute(DummyRequest { input: "a".into() }).await.unwrap_err();
//! assert_eq!(status.code(), Code::Unavailable);
//!
//! let mut closed = dummy_client(SpecialCases::new(), (Closed,)).await?;
//! let status = closed.execute(DummyRequest { input: "a".into() }).await.unwrap_err();
//! assert_eq!(status.message(), "closed");
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "testing"))]
//! # fn main() { let _ = (Drain::default(), Closed); }
//! ```
//!
//! The `async fn` shape returns `Err(status)` directly and needs no annotation. In an
//! `#[interceptor]` fn the macro supplies the chain type, so `Reply::error` always infers.
