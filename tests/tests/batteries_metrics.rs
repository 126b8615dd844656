//! `interceptors::metrics::Metrics` through a real `metrics` recorder: counts by code,
//! durations and message counts on both sides. One test: the recorder is process-wide.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use grpc_interceptor::interceptors::metrics::Metrics;
use grpc_interceptor::prelude::*;
use grpc_interceptor::testing::{SpecialCases, dummy_client_with, raises};
use grpc_interceptor_tests::{req, requests};
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use metrics_util::{CompositeKey, MetricKind};

/// Counts ended calls, both sides together.
#[derive(Clone, Default)]
struct Ended(Arc<AtomicUsize>);

impl CallInterceptor for Ended {
    fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        let ended = Arc::clone(&self.0);
        context.on_call_end(move |_| {
            ended.fetch_add(1, Ordering::AcqRel);
        });
        method.call(request, context)
    }
}

fn label(key: &CompositeKey, name: &str) -> Option<String> {
    key.key()
        .labels()
        .find(|l| l.key() == name)
        .map(|l| l.value().to_owned())
}

#[tokio::test]
async fn calls_are_counted_by_code_with_durations_and_message_counts_on_both_sides() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder
        .install()
        .expect("the only recorder of this test binary");

    let cases = SpecialCases::new().on("error", raises(Status::not_found("no")));
    let ended = Ended::default();
    let mut client = dummy_client_with(cases, (Metrics, ended.clone()), (Metrics, ended.clone()))
        .await
        .unwrap();
    client.execute(req("a")).await.unwrap();
    client.execute(req("error")).await.unwrap_err();
    client
        .execute_client_stream(requests(&["a", "b", "c"]))
        .await
        .unwrap();
    // `Ended`'s hooks run after `Metrics`' (registered later): once all six have run, every
    // call has been recorded.
    for _ in 0..500 {
        if ended.0.load(Ordering::Acquire) == 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(ended.0.load(Ordering::Acquire), 6);

    let snapshot = snapshotter.snapshot().into_vec();
    let find = |kind: MetricKind, name: &str, method: &str, code: &str| {
        snapshot.iter().find_map(|(key, _, _, value)| {
            (key.kind() == kind
                && key.key().name() == name
                && label(key, "rpc.method").as_deref() == Some(method)
                && label(key, "rpc.grpc.status_code").as_deref() == Some(code)
                && label(key, "rpc.system").as_deref() == Some("grpc")
                && label(key, "rpc.service").as_deref() == Some("DummyService"))
            .then_some(value)
        })
    };
    for side in ["server", "client"] {
        let calls = format!("rpc.{side}.calls");
        assert!(
            matches!(
                find(MetricKind::Counter, &calls, "Execute", "0"),
                Some(DebugValue::Counter(1))
            ),
            "{side}"
        );
        assert!(
            matches!(
                find(MetricKind::Counter, &calls, "Execute", "5"),
                Some(DebugValue::Counter(1))
            ),
            "{side}"
        );
        assert!(
            matches!(
                find(MetricKind::Counter, &calls, "ExecuteClientStream", "0"),
                Some(DebugValue::Counter(1))
            ),
            "{side}"
        );
        let duration = format!("rpc.{side}.call.duration");
        match find(MetricKind::Histogram, &duration, "Execute", "0") {
            Some(DebugValue::Histogram(values)) => {
                assert_eq!(values.len(), 1);
                assert!(values[0].into_inner() >= 0.0 && values[0].into_inner() < 30.0);
            }
            other => panic!("{side}: {other:?}"),
        }
        let requests = format!("rpc.{side}.requests_per_rpc");
        match find(MetricKind::Histogram, &requests, "ExecuteClientStream", "0") {
            Some(DebugValue::Histogram(values)) => {
                assert_eq!(values[0].into_inner(), 3.0, "{side}")
            }
            other => panic!("{side}: {other:?}"),
        }
        let responses = format!("rpc.{side}.responses_per_rpc");
        match find(MetricKind::Histogram, &responses, "Execute", "5") {
            Some(DebugValue::Histogram(values)) => {
                assert_eq!(values[0].into_inner(), 0.0, "{side}")
            }
            other => panic!("{side}: {other:?}"),
        }
    }
}
