//! `errors::install_quiet_panic_hook`: quiet for the panics an `ExceptionToStatus` answers
//! for, and every other panic handed to the hook installed before it. A test binary of its
//! own, with one test: a panic hook is the whole process's.

use std::sync::{Arc, Mutex};

use grpc_interceptor::errors::install_quiet_panic_hook;
use grpc_interceptor::testing::{DummyClient, DummyService, Reading, SpecialCases};
use grpc_interceptor::testing::{dummy_client, dummy_client_for};
use grpc_interceptor::{CallInterceptor, Code, ExceptionToStatus};
use grpc_interceptor_tests::{Log, bidi, client_stream, entries, log, server_stream, unary};

/// What the hook installed before the quiet one was handed: the panics' messages.
static HANDED_ON: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn handed_on() -> Vec<String> {
    std::mem::take(&mut *HANDED_ON.lock().unwrap())
}

fn cases() -> SpecialCases {
    SpecialCases::new().on("boom", |input, _| panic!("{input} in a handler"))
}

/// `ExceptionToStatus`, logging the panics it answers for in its hook.
fn errors(answered: &Log<String>) -> ExceptionToStatus {
    let answered = Arc::clone(answered);
    ExceptionToStatus::new().on_failure(move |failure, _, name| {
        if let Some(message) = failure.panic_message() {
            answered
                .lock()
                .unwrap()
                .push(format!("{} {message}", name.method()));
        }
        None
    })
}

async fn client<I: CallInterceptor + 'static>(interceptors: I, reading: Reading) -> DummyClient {
    let service = DummyService::new(cases(), interceptors).reading(reading);
    dummy_client_for(service, ()).await.unwrap()
}

#[tokio::test]
async fn quiet_for_panics_exception_to_status_answers_for_and_loud_for_the_others() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.payload_as_str().unwrap_or("?").to_owned();
        HANDED_ON.lock().unwrap().push(message);
    }));
    install_quiet_panic_hook();
    install_quiet_panic_hook(); // Again: nothing changes.

    let caught = std::panic::catch_unwind(|| panic!("outside any call"));
    assert!(caught.is_err());
    assert_eq!(handed_on(), ["outside any call"]);

    // Inside an `ExceptionToStatus`, in every mode: the client gets the status, the hook says
    // nothing, and `on_failure` sees each panic.
    let answered = log();
    let mut quiet = client((errors(&answered),), Reading::InHandler).await;
    let unknown = (Code::Unknown, "panicked: boom in a handler".to_owned());
    assert_eq!(unary(&mut quiet, "boom").await, Err(unknown.clone()));
    let outcome = client_stream(&mut quiet, &["a", "boom"]).await;
    assert_eq!(outcome, Err(unknown.clone()));
    assert_eq!(
        server_stream(&mut quiet, "boom").await,
        Err(unknown.clone())
    );
    let outcome = bidi(&mut quiet, &["a", "boom"]).await;
    assert_eq!(outcome, Ok((vec!["a".into()], Some(unknown.clone()))));
    assert_eq!(handed_on(), Vec::<String>::new());
    let methods = [
        "Execute",
        "ExecuteClientStream",
        "ExecuteServerStream",
        "ExecuteClientServerStream",
    ];
    let want: Vec<_> = methods.map(|m| format!("{m} boom in a handler")).into();
    assert_eq!(entries(&answered), want);

    // A panic in a response stream, after the interceptors returned it: reported, though
    // `ExceptionToStatus` answers for it.
    let mut lazy = client((errors(&answered),), Reading::Lazily).await;
    let outcome = bidi(&mut lazy, &["a", "boom"]).await;
    assert_eq!(outcome, Ok((vec!["a".into()], Some(unknown.clone()))));
    assert_eq!(handed_on(), ["boom in a handler"]);

    // Without `ExceptionToStatus`: the runtime answers UNKNOWN, and the panic is reported.
    let mut bare = dummy_client(cases(), ()).await.unwrap();
    assert_eq!(unary(&mut bare, "boom").await, Err(unknown));
    assert_eq!(handed_on(), ["boom in a handler"]);

    // The thread is no longer marked once the calls are over.
    let caught = std::panic::catch_unwind(|| panic!("after the calls"));
    assert!(caught.is_err());
    assert_eq!(handed_on(), ["after the calls"]);
}
