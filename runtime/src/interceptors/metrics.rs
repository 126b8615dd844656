//! [`Metrics`]: call counts, error counts by code, durations and message counts through the
//! [`metrics`](https://docs.rs/metrics) facade, named after the OpenTelemetry RPC metric
//! conventions.

use std::future::Future;

use tonic::Status;

use crate::{CallInterceptor, Chain, Context, MethodName, Next, Request, Response, Side};

/// Records every call, when it ends (the lifecycle's end event, so cancelled and
/// timed-out calls count too), to whatever `metrics` recorder the application installed:
///
/// | metric | kind | unit |
/// |---|---|---|
/// | `rpc.server.call.duration` / `rpc.client.call.duration` | histogram | seconds |
/// | `rpc.server.calls` / `rpc.client.calls` | counter | calls |
/// | `rpc.server.requests_per_rpc` / `rpc.client.requests_per_rpc` | histogram | messages |
/// | `rpc.server.responses_per_rpc` / `rpc.client.responses_per_rpc` | histogram | messages |
///
/// Labels: `rpc.system` (`grpc`), `rpc.service`, `rpc.method` and `rpc.grpc.status_code`
/// (the numeric code: error counts by code are the calls with a code other than `0`).
///
/// ```
/// use grpc_interceptor::interceptors::metrics::Metrics;
///
/// let metrics = Metrics;   // on the server's list or layer, and on clients
/// # let _ = metrics;
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Metrics;

impl CallInterceptor for Metrics {
    fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        method_name: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        let service = method_name.fully_qualified_service().to_owned();
        let name = method_name.method().to_owned();
        context.on_call_end(move |end| {
            let (duration, calls, requests, responses) = match end.side() {
                Side::Server => (
                    "rpc.server.call.duration",
                    "rpc.server.calls",
                    "rpc.server.requests_per_rpc",
                    "rpc.server.responses_per_rpc",
                ),
                Side::Client => (
                    "rpc.client.call.duration",
                    "rpc.client.calls",
                    "rpc.client.requests_per_rpc",
                    "rpc.client.responses_per_rpc",
                ),
            };
            let labels = [
                ("rpc.system", "grpc".to_owned()),
                ("rpc.service", service),
                ("rpc.method", name),
                ("rpc.grpc.status_code", (end.code() as i32).to_string()),
            ];
            metrics::histogram!(duration, &labels).record(end.elapsed().as_secs_f64());
            metrics::counter!(calls, &labels).increment(1);
            metrics::histogram!(requests, &labels).record(end.request_messages() as f64);
            metrics::histogram!(responses, &labels).record(end.response_messages() as f64);
        });
        method.call(request, context)
    }
}
