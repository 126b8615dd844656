//! [`RequestIds`]: every call carries an `x-request-id`, taken from the request or made up,
//! kept in the call's storage as a [`RequestId`] and sent back in the response headers and
//! trailers (error statuses included).

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tonic::Status;
use tonic::metadata::MetadataValue;

use crate::{CallInterceptor, Chain, Context, MethodName, Next, Request, Response, Side};

/// The header: `x-request-id`.
pub const HEADER: &str = "x-request-id";

/// The id of one call, in the call's storage: `context.get::<RequestId>()`, or
/// [`CallEnd::get`](crate::CallEnd::get) in an end hook.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RequestId(Arc<str>);

impl RequestId {
    /// A new id: 32 hexadecimal digits, unique in the process and unpredictable across
    /// processes (a random 64-bit seed per process and a counter, mixed).
    pub fn generate() -> Self {
        static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        // The low half is the counter under a per-process random mask: unique in the process.
        let low = COUNTER.fetch_add(1, Ordering::Relaxed) ^ *SEED.get_or_init(super::random_u64);
        Self(format!("{:016x}{low:016x}", super::random_u64()).into())
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Gives every call a request id.
///
/// - On a server: the request's `x-request-id` if it has a valid one, else a new id; sent
///   back in the response headers and the trailers (also with an error status).
/// - On a client: the request's `x-request-id` if the application set one, else a new id,
///   added to the request.
///
/// Either way the id is in the call's storage as a [`RequestId`].
///
/// ```
/// use grpc_interceptor::interceptors::request_id::{RequestId, RequestIds};
/// use grpc_interceptor::prelude::*;
///
/// #[interceptor]
/// fn log(method: Next<'_>, request: Request, context: &mut Context, name: &MethodName) -> Reply {
///     let name = name.to_string();
///     context.on_call_end(move |end| {
///         let id = end.get::<RequestId>().map(RequestId::to_string).unwrap_or_default();
///         println!("{id} {name} {:?}", end.code());
///     });
///     method.call(request, context)
/// }
///
/// // Outermost first: the id is in the storage before `log` runs.
/// let interceptors = (RequestIds, log);
/// # let _ = interceptors;
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestIds;

fn valid(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic())
}

impl CallInterceptor for RequestIds {
    fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        mut request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _method_name: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        let given = request
            .metadata()
            .get(HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|id| valid(id))
            .map(|id| RequestId(id.into()));
        let id = given.unwrap_or_else(RequestId::generate);
        if let Ok(value) = MetadataValue::try_from(id.as_str()) {
            match context.side() {
                Side::Client => {
                    request.metadata_mut().insert(HEADER, value);
                }
                Side::Server => {
                    let trailer = value.clone();
                    context.with_headers(|h| h.insert(HEADER, value));
                    context.with_trailers(|t| t.insert(HEADER, trailer));
                }
            }
        }
        context.insert(id);
        method.call(request, context)
    }
}
