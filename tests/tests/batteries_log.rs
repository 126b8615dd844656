//! `interceptors::access_log::AccessLog` under a recording subscriber: one event per call
//! with its code and counts, and payloads only when asked for, cut and redacted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use grpc_interceptor::interceptors::access_log::AccessLog;
use grpc_interceptor::interceptors::request_id::RequestIds;
use grpc_interceptor::prelude::*;
use grpc_interceptor::testing::{SpecialCases, dummy_client, raises};
use grpc_interceptor_tests::req;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

type Events = Arc<Mutex<Vec<(String, HashMap<String, String>)>>>;

#[derive(Clone, Default)]
struct Recorder(Events);

struct Fields<'a>(&'a mut HashMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = HashMap::new();
        event.record(&mut Fields(&mut fields));
        let target = event.metadata().target().to_owned();
        self.0.lock().unwrap().push((target, fields));
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

fn events(recorder: &Recorder, target: &str) -> Vec<HashMap<String, String>> {
    let all = recorder.0.lock().unwrap().clone();
    all.into_iter()
        .filter(|(t, _)| t == target)
        .map(|(_, f)| f)
        .collect()
}

// A current-thread runtime: the server and the client run on this thread, under the
// subscriber set for it.
#[tokio::test(flavor = "current_thread")]
async fn one_line_per_call_and_payloads_only_when_asked_for() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let cases = SpecialCases::new().on("error", raises(Status::not_found("nope")));

    let mut client = dummy_client(cases.clone(), (RequestIds, AccessLog::new()))
        .await
        .unwrap();
    client.execute(req("a")).await.unwrap();
    client.execute(req("error")).await.unwrap_err();
    let lines = events(&recorder, "grpc_interceptor::access");
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["method"], "/DummyService/Execute");
    assert_eq!(lines[0]["side"], "server");
    assert_eq!(lines[0]["code"], "Ok");
    assert_eq!(lines[0]["requests"], "1");
    assert_eq!(lines[0]["responses"], "1");
    assert_eq!(lines[0]["request_id"].len(), 32);
    assert!(lines[0]["peer"].starts_with("127.0.0.1:"), "{lines:?}");
    assert_eq!(lines[1]["code"], "NotFound");
    assert_eq!(lines[1]["status_message"], "nope");
    assert!(events(&recorder, "grpc_interceptor::payload").is_empty());

    let verbose = AccessLog::new().payloads(40, ["input"]);
    let mut client = dummy_client(cases, (verbose,)).await.unwrap();
    client.execute(req("secret-value")).await.unwrap();
    let payloads = events(&recorder, "grpc_interceptor::payload");
    assert_eq!(payloads.len(), 2, "{payloads:?}");
    assert_eq!(payloads[0]["direction"], "request");
    assert_eq!(payloads[0]["message"], "DummyRequest { input: <redacted> }");
    assert_eq!(payloads[1]["direction"], "response");
    assert_eq!(
        payloads[1]["message"],
        r#"DummyResponse { output: "secret-value" }"#
    );
}
