//! The server side: [`InterceptorLayer`], interceptors for every service of a server as one
//! tower layer; what `#[intercepted]` service methods run ([`serve`](crate::__private::serve),
//! macro support); and [`TrailersLayer`] for trailers after successful unary calls of
//! `#[intercepted]` services.

mod interceptable;
mod layer;
pub(crate) mod mode;
pub(crate) mod probe;
mod request_stream;
pub(crate) mod response_stream;
pub(crate) mod serve;
mod trailers;

pub use interceptable::{InterceptableRequest, InterceptableResponse};
pub use layer::{Intercepted, InterceptorLayer, ResponseFuture};
pub use response_stream::{InterceptedStream, ResultStream};
pub(crate) use trailers::{Pending, Supported};
pub use trailers::{Trailers, TrailersBody, TrailersFuture, TrailersLayer};
