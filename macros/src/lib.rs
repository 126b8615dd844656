//! Procedural macros for `grpc_interceptor`. Implementation detail; depend on
//! `grpc_interceptor` instead, which re-exports them with their documentation.
#![doc(test(attr(deny(warnings))))]
// No panics on user input: every misuse is a spanned compile error.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

use proc_macro::TokenStream;

mod common;
mod intercepted;
mod interceptor;

/// Turns a `(method, request, context, method_name)` function into an interceptor, or a
/// type with such a method into one.
///
/// On a function, the name becomes an interceptor to list in `#[intercepted(...)]` or to
/// put on a client channel with `grpc_interceptor::client::intercept`. It runs around every
/// call, in all four streaming modes, on servers and clients. In expressions the name is
/// still a function (one that returns the interceptor, which makes it one too), so a
/// `let request_id = ...;` beside `#[interceptor] fn request_id` binds a new variable as
/// usual; as a type it is a struct of the same name and visibility that implements
/// `CallInterceptor`, `Copy` and `Default`. Where the type must be named, as in a field
/// `DummyServiceClient<Intercepted<Channel, (request_id,)>>`, `request_id()` is its value.
///
/// The signature is fixed; the types are those of `grpc_interceptor`:
///
/// | parameter | type | |
/// |---|---|---|
/// | `method` | `Next<'_>` | the rest of the chain and the handler |
/// | `request` | `Request` | the request message or stream, with metadata |
/// | `context` | `&mut Context` | the call's code, details, headers and trailers |
/// | `method_name` | `&MethodName` | `/package.Service/Method`, parsed |
///
/// An `async fn` returns `Result<Response, E>` for any `E` that converts into `Status`. A
/// plain `fn` returns `Reply`: what `method.call(request, context)` returns, or
/// `Reply::error(status)` / `Reply::ok(response)` to answer without calling it. Both forms
/// compile to a future with no boxing.
///
/// # Arguments
///
/// - `crate = "path"`: where the runtime is, when it is renamed or re-exported (default
///   `::grpc_interceptor`).
///
/// # Examples
///
/// A plain `fn` that checks a header before handing over:
///
/// ```
/// use grpc_interceptor::{interceptor, Context, MethodName, Next, Reply, Request, Status};
///
/// #[interceptor]
/// fn require_token(method: Next<'_>, request: Request, context: &mut Context, _: &MethodName) -> Reply {
///     if request.metadata().get("authorization").is_none() {
///         return Reply::error(Status::unauthenticated("missing token"));
///     }
///     method.call(request, context)
/// }
/// # let _ = require_token;
/// ```
///
/// An `async fn` that sees every request and response message, whatever the mode:
///
/// ```
/// use grpc_interceptor::testing::{DummyRequest, DummyResponse};
/// use grpc_interceptor::prelude::*;
///
/// #[interceptor]
/// async fn log_messages(
///     method: Next<'_>,
///     mut request: Request,
///     context: &mut Context,
///     method_name: &MethodName,
/// ) -> Result<Response, Status> {
///     request.inspect_messages(|m: &DummyRequest| Ok(println!("<- {}", m.input)))?;
///     let mut response = method.call(request, context).await?;
///     response.inspect_messages(|m: &DummyResponse| Ok(println!("-> {}", m.output)))?;
///     println!("{method_name} answered");
///     Ok(response)
/// }
/// # let _ = log_messages;
/// ```
///
/// # Interceptors with state
///
/// On an inherent `impl` block, the attribute makes the type an interceptor: the block's
/// one method that takes `&self` (or, when there are several, the one named `intercept`)
/// has the same four parameters after `&self`, as a plain `fn` or an `async fn`. Other
/// items of the block (constructors, constants) stay as they are. The type must be `Send`
/// and `Sync`: calls run at once, so state that changes goes behind atomics or a `Mutex`,
/// and what an end hook keeps goes in an `Arc`.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use grpc_interceptor::prelude::*;
///
/// /// Refuses calls without the configured API key, and counts the refusals.
/// pub struct ApiKey {
///     key: String,
///     refused: Arc<AtomicU64>,
/// }
///
/// #[interceptor]
/// impl ApiKey {
///     pub fn new(key: &str) -> Self {
///         ApiKey { key: key.to_owned(), refused: Arc::default() }
///     }
///
///     fn intercept(&self, method: Next<'_>, request: Request, context: &mut Context, _: &MethodName) -> Reply {
///         if request.metadata().get("x-api-key").is_none_or(|k| k != self.key.as_str()) {
///             self.refused.fetch_add(1, Ordering::Relaxed);
///             return Reply::error(Status::unauthenticated("missing or wrong API key"));
///         }
///         method.call(request, context)
///     }
/// }
///
/// // On a client channel, or as a field of a service: `#[intercepted(self.api_key)]`.
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let channel = tonic::transport::Endpoint::from_static("http://127.0.0.1:50051").connect_lazy();
/// let channel = grpc_interceptor::client::intercept(channel, ApiKey::new("secret"));
/// # let _ = channel;
/// # }
/// ```
///
/// A generic type works the same way (`#[interceptor] impl<F: Fn(&MethodName) -> bool +
/// Send + Sync> Only<F> { ... }`), and so does an `async fn` method, whose future may
/// borrow `self`.
///
/// # Errors
///
/// A compile error, on the offending token, for: a parameter list that is not the four
/// above (count or types), a return type that does not fit the form (`Reply` for a plain
/// `fn`, `Result<Response, _>` for an `async fn`), an error type that does not convert into
/// `Status`, a `self` receiver on a function (the attribute goes on the `impl` block), a
/// method that takes `&mut self` or `self`, an `impl` block with no method that takes
/// `&self` or several and none named `intercept`, a trait impl, generic parameters on the
/// function, `const`, `unsafe`, `extern` or variadic functions, an item that is not a
/// function or an inherent `impl`, and unknown or repeated arguments. For example, the
/// context must be borrowed mutably:
///
/// ```compile_fail
/// use grpc_interceptor::{interceptor, Context, MethodName, Next, Reply, Request};
///
/// #[interceptor]
/// fn shared_context(method: Next<'_>, request: Request, context: &Context, _: &MethodName) -> Reply {
///     method.call(request, context)
/// }
/// ```
#[proc_macro_attribute]
pub fn interceptor(args: TokenStream, item: TokenStream) -> TokenStream {
    interceptor::expand(args.into(), item.into()).into()
}

/// Runs a list of interceptors around every method of a tonic service impl.
///
/// Place it above `#[tonic::async_trait]` on the `impl` of a tonic-generated service trait.
/// Every method then runs its body inside the chain, the first listed interceptor
/// outermost, in all four streaming modes. Methods the service does not have are answered
/// UNIMPLEMENTED by tonic without running any interceptor.
///
/// # Arguments
///
/// - the interceptors: expressions evaluated on every call with `self` in scope, each a
///   value that implements `CallInterceptor`: a `#[interceptor]` fn's name, a path to one in
///   another module, a field of the service (`self.limiter`), a `static`, or a cheap
///   constructor call. At least one; any number (a long list runs as nested tuples).
/// - `service = "package.Service"`: the service's full name, for the method names the
///   interceptors see. By default it is the `NamedService::NAME` of the tonic server struct
///   beside the trait (`GreeterServer` for `Greeter`), named by the trait's own path: with
///   `impl pb::greeter_server::Greeter for S` nothing needs importing; with `impl Greeter
///   for S` the struct must be in scope too (`use pb::greeter_server::{Greeter,
///   GreeterServer};`), or rustc reports ``cannot find type `GreeterServer` `` on the trait's
///   name. A trait imported under another name (`use pb::greeter_server::Greeter as Svc`)
///   needs this argument or a path.
/// - `crate = "path"`: where the runtime is, when it is renamed or re-exported.
///
/// On one method of the impl:
///
/// - `#[intercepted(skip)]`: no interceptor runs for this method;
/// - `#[intercepted(name = "GetHTTPStatus")]`: its proto name, when it is not the Rust
///   name in UpperCamelCase;
/// - `#[intercepted(context = ctx)]`: binds the call's `Context` to `ctx` in the body, to
///   set a code, details or trailers from the handler.
///
/// These options may sit under `#[cfg_attr(...)]`, and a method (or an associated stream
/// type) may be written twice under `#[cfg(...)]` and `#[cfg(not(...))]`: each item is
/// expanded from what it says itself.
///
/// Other attributes on a method, such as `#[tracing::instrument]`, are expanded after
/// `#[intercepted]` and see the request parameter under its own name
/// (`skip(request)`, `fields(id = %request.get_ref().id)`); their span covers the
/// interceptors too.
///
/// # Examples
///
/// ```
/// use grpc_interceptor::testing::proto::dummy_service_server::{DummyService, DummyServiceServer};
/// use grpc_interceptor::testing::{DummyRequest, DummyResponse};
/// use grpc_interceptor::prelude::*;
/// use tonic::{Request, Response, Status, Streaming};
///
/// #[interceptor]
/// fn pass(method: Next<'_>, request: Request, context: &mut Context, _: &MethodName) -> Reply {
///     method.call(request, context)
/// }
///
/// struct Echo;
/// type Outputs = std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<DummyResponse, Status>> + Send>>;
///
/// #[intercepted(pass)]
/// #[tonic::async_trait]
/// impl DummyService for Echo {
///     async fn execute(&self, request: Request<DummyRequest>) -> Result<Response<DummyResponse>, Status> {
///         Ok(Response::new(DummyResponse { output: request.into_inner().input }))
///     }
///
///     #[intercepted(skip)]
///     async fn execute_client_stream(
///         &self,
///         _: Request<Streaming<DummyRequest>>,
///     ) -> Result<Response<DummyResponse>, Status> {
///         Err(Status::unimplemented("not here"))
///     }
///
///     type ExecuteServerStreamStream = Outputs;
///
///     async fn execute_server_stream(
///         &self,
///         _: Request<DummyRequest>,
///     ) -> Result<Response<Self::ExecuteServerStreamStream>, Status> {
///         Ok(Response::new(Box::pin(tokio_stream::empty())))
///     }
///
///     type ExecuteClientServerStreamStream = Outputs;
///
///     async fn execute_client_server_stream(
///         &self,
///         _: Request<Streaming<DummyRequest>>,
///     ) -> Result<Response<Self::ExecuteClientServerStreamStream>, Status> {
///         Ok(Response::new(Box::pin(tokio_stream::empty())))
///     }
/// }
///
/// let _server = DummyServiceServer::new(Echo);
/// ```
///
/// # Errors
///
/// A compile error, on the offending token, for: an item that is not the impl of a trait,
/// an inherent impl, the attribute placed below `#[tonic::async_trait]` (the message says to
/// swap them), an empty or malformed list, an entry that is not an interceptor (naming its
/// type), a method that is not an `async fn`, a request or response body that is neither a
/// prost message nor a stream of them (a service with another codec), a signature that
/// names the type behind an associated stream type instead of `Self::XStream`, and unknown
/// or repeated arguments. A server struct that is not in scope is rustc's own error
/// (``cannot find type `GreeterServer` in this scope``, see `service` above): a macro
/// cannot tell whether a name is in scope, so the fixes, importing it, naming the trait by
/// its path or giving `service = "..."`, are listed here rather than in the error.
/// Whether a method streams is read from its types, so aliases and
/// re-exports of tonic's `Request`, `Response` and `Streaming` make no difference. For
/// example, the order of the two attributes matters:
///
/// ```compile_fail
/// # use grpc_interceptor::testing::proto::dummy_service_server::DummyService;
/// # use grpc_interceptor::testing::{DummyRequest, DummyResponse};
/// # use grpc_interceptor::{intercepted, interceptor, Context, MethodName, Next, Reply, Request};
/// # #[interceptor]
/// # fn pass(method: Next<'_>, request: Request, context: &mut Context, _: &MethodName) -> Reply {
/// #     method.call(request, context)
/// # }
/// struct Echo;
///
/// #[tonic::async_trait]
/// #[intercepted(pass)]
/// impl DummyService for Echo {
///     async fn execute(&self, r: Request<DummyRequest>) -> Result<tonic::Response<DummyResponse>, tonic::Status> {
///         Ok(tonic::Response::new(DummyResponse { output: r.into_inner().input }))
///     }
///     // ...
/// #   async fn execute_client_stream(&self, _: tonic::Request<tonic::Streaming<DummyRequest>>) -> Result<tonic::Response<DummyResponse>, tonic::Status> { todo!() }
/// #   type ExecuteServerStreamStream = tokio_stream::Empty<Result<DummyResponse, tonic::Status>>;
/// #   async fn execute_server_stream(&self, _: Request<DummyRequest>) -> Result<tonic::Response<Self::ExecuteServerStreamStream>, tonic::Status> { todo!() }
/// #   type ExecuteClientServerStreamStream = tokio_stream::Empty<Result<DummyResponse, tonic::Status>>;
/// #   async fn execute_client_server_stream(&self, _: tonic::Request<tonic::Streaming<DummyRequest>>) -> Result<tonic::Response<Self::ExecuteClientServerStreamStream>, tonic::Status> { todo!() }
/// }
/// ```
#[proc_macro_attribute]
pub fn intercepted(args: TokenStream, item: TokenStream) -> TokenStream {
    intercepted::expand(args.into(), item.into()).into()
}
