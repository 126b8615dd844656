//! The wire path: gRPC messages read from and written to encoded HTTP/2 bodies on demand,
//! with tonic's own codec. A client's channel (`client::intercept`) and a whole server
//! (`server::InterceptorLayer`) use it; a body whose messages no interceptor reads goes on
//! as it came.

mod body;
mod chain;
mod codec;
mod ending;
pub(crate) mod exchange;
mod headers;
mod message;

pub(crate) use body::{Abort, Panics, encode_request, encode_response, received};
pub(crate) use codec::{RawBody, split};
pub(crate) use ending::Ending;
pub(crate) use headers::{Wanted, find};
pub use message::WireMessage;
