//! The server side: what `#[intercepted]` service methods run ([`serve`](crate::__private::serve),
//! macro support), and [`TrailersLayer`] for trailers after successful unary calls.

pub(crate) mod mode;
pub(crate) mod probe;
mod request_stream;
pub(crate) mod response_stream;
pub(crate) mod serve;
mod trailers;

pub(crate) use trailers::{Pending, Supported};
pub use trailers::{Trailers, TrailersBody, TrailersFuture, TrailersLayer};
