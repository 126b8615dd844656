//! The test harness (feature `testing`), wire-compatible with Python's
//! `grpc_interceptor.testing`: the `DummyService` of `proto/dummy.proto`, special cases
//! keyed by input (sync or async, on the call's context), [`raises`], and [`dummy_client`],
//! which serves it over real HTTP/2 on 127.0.0.1 behind the interceptors under test.
//! [`DummyClient::call_raw`] calls any path with any message (an unregistered method, say);
//! [`Reading`] chooses how the bidi method reads its requests (the reference's
//! `aio_read_write`), with [`dummy_client_for`].
//!
//! ```
//! use grpc_interceptor::testing::{dummy_client, raises, DummyRequest, SpecialCases};
//! use grpc_interceptor::Status;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let cases = SpecialCases::new().on("error", raises(Status::not_found("not here")));
//! let mut client = dummy_client(cases, ()).await?;
//! let echo = client.execute(DummyRequest { input: "foo".into() }).await?;
//! assert_eq!(echo.into_inner().output, "foo");
//! let err = client.execute(DummyRequest { input: "error".into() }).await.unwrap_err();
//! assert_eq!((err.code(), err.message()), (grpc_interceptor::Code::NotFound, "not here"));
//! # Ok(())
//! # }
//! ```

mod bidi;
mod client;
mod service;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::sync::Arc;

use tonic::Status;
use tonic::metadata::MetadataMap;

use crate::Context;

pub use bidi::Reading;
pub use client::{DummyClient, dummy_client, dummy_client_for, dummy_client_with};
pub use proto::{DummyRequest, DummyResponse};
pub use service::DummyService;

/// The code generated from `proto/dummy.proto`: messages, client and server.
#[allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]
pub mod proto {
    include!(concat!(env!("OUT_DIR"), "/_.rs"));
}

/// What a special case sees: the call's [`Context`] (set a code, details, headers or trailers,
/// read the call's storage, register an end hook; the reference's servicer context) and the
/// request metadata the handler received (the reference's `invocation_metadata()`).
///
/// A special case of `Execute`, `ExecuteClientStream` and `ExecuteServerStream`, and of
/// `ExecuteClientServerStream` with [`Reading::InHandler`], runs inside the call, on the
/// call's own context. One of `ExecuteClientServerStream` with [`Reading::Lazily`] (the
/// default) runs after the handler has returned, on a context that the response stream owns
/// for the rest of the call, which starts with a copy of the call's storage;
/// [`Reading::Lazily`] says how it applies.
pub struct CaseContext<'a, 'call> {
    metadata: &'a MetadataMap,
    context: &'a mut Context<'call>,
}

impl CaseContext<'_, '_> {
    /// The request metadata, in the order it was received.
    pub fn metadata(&self) -> &MetadataMap {
        self.metadata
    }
}

impl<'call> Deref for CaseContext<'_, 'call> {
    type Target = Context<'call>;

    fn deref(&self) -> &Context<'call> {
        self.context
    }
}

impl DerefMut for CaseContext<'_, '_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.context
    }
}

/// The future of an async special case ([`SpecialCases::on_async`]): boxed, as it may
/// borrow the [`CaseContext`] it was given.
pub type CaseFuture<'a> = Pin<Box<dyn Future<Output = Result<String, Status>> + Send + 'a>>;

type SyncCase = dyn Fn(&str, &mut CaseContext<'_, '_>) -> Result<String, Status> + Send + Sync;
type AsyncCase =
    dyn for<'a> Fn(String, &'a mut CaseContext<'_, '_>) -> CaseFuture<'a> + Send + Sync;

#[derive(Clone)]
enum Case {
    Sync(Arc<SyncCase>),
    Async(Arc<AsyncCase>),
}

/// Outputs for particular inputs, keyed by exact input: a special case gets the input and
/// the call's [`CaseContext`], and returns the output, or fails the call with a status (or
/// panics). Cheap to clone.
#[derive(Clone, Default)]
pub struct SpecialCases(Arc<HashMap<String, Case>>);

impl SpecialCases {
    /// No special cases: every input is echoed.
    pub fn new() -> Self {
        Self::default()
    }

    /// Answers `input` with `f(input, context)`.
    pub fn on(
        mut self,
        input: impl Into<String>,
        f: impl Fn(&str, &mut CaseContext<'_, '_>) -> Result<String, Status> + Send + Sync + 'static,
    ) -> Self {
        Arc::make_mut(&mut self.0).insert(input.into(), Case::Sync(Arc::new(f)));
        self
    }

    /// Answers `input` with the result of the future `f(input, context)`, the reference's
    /// `async def` special case: the future may await, and it may use the context (set a
    /// code, read the metadata) until it completes. It borrows the context, so it is boxed:
    ///
    /// ```
    /// use grpc_interceptor::testing::SpecialCases;
    /// use grpc_interceptor::Code;
    ///
    /// let cases = SpecialCases::new().on_async("later", |input, context| {
    ///     Box::pin(async move {
    ///         tokio::task::yield_now().await;
    ///         context.set_code(Code::NotFound);
    ///         Ok(input)
    ///     })
    /// });
    /// # let _ = cases;
    /// ```
    pub fn on_async<F>(mut self, input: impl Into<String>, f: F) -> Self
    where
        F: for<'a> Fn(String, &'a mut CaseContext<'_, '_>) -> CaseFuture<'a>
            + Send
            + Sync
            + 'static,
    {
        Arc::make_mut(&mut self.0).insert(input.into(), Case::Async(Arc::new(f)));
        self
    }

    /// The output for one input: the special case's, or the input itself.
    async fn output(
        &self,
        input: String,
        metadata: &MetadataMap,
        context: &mut Context<'_>,
    ) -> Result<String, Status> {
        let mut case = CaseContext { metadata, context };
        match self.0.get(&input) {
            None => Ok(input),
            Some(Case::Sync(f)) => f(&input, &mut case),
            Some(Case::Async(f)) => f(input, &mut case).await,
        }
    }
}

impl fmt::Debug for SpecialCases {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// A special case that fails every call with `error`, the reference's `raises(e)`: the
/// error becomes a [`Status`] once, here, and every call fails with a copy of it, so `E`
/// need not be `Clone`.
pub fn raises<E>(
    error: E,
) -> impl Fn(&str, &mut CaseContext<'_, '_>) -> Result<String, Status> + Send + Sync + 'static
where
    E: Into<Status>,
{
    let status: Status = error.into();
    move |_, _| Err(status.clone())
}
