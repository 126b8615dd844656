//! A panic in a client interceptor that no `ExceptionToStatus` answers for, as the end hooks
//! of an outer interceptor see it. The rules (`grpc_interceptor::lifecycle`): a panic in an
//! interceptor with no `ExceptionToStatus` inside the hook's interceptor ends the call with
//! UNKNOWN "panicked: ...", and `panicked()` is true.
//!
//! Today, on a client, the panic goes on unwinding into the application's task (which may
//! well be right: nothing is documented for the client's app), and the end hooks run when
//! the call is dropped on the way, as for a call the application dropped: CANCELLED, not
//! panicked. The tests are ignored until the client side follows the rules.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use grpc_interceptor::prelude::*;
use grpc_interceptor::testing::{SpecialCases, dummy_client_with};
use grpc_interceptor::{WireMessage, interceptor};
use grpc_interceptor_tests::req;
use tokio_stream::StreamExt;

/// How the end hooks saw a call end: code, message, panicked.
type Ended = (Code, String, bool);

/// Records how every call ended; outermost.
#[derive(Clone, Default)]
struct Ends(Arc<Mutex<Vec<Ended>>>);

impl Ends {
    async fn wait(&self) -> Vec<Ended> {
        for _ in 0..500 {
            let seen = self.0.lock().expect("a log").clone();
            if !seen.is_empty() {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Vec::new()
    }
}

impl CallInterceptor for Ends {
    fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        _: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        let log = Arc::clone(&self.0);
        context.on_call_end(move |end| {
            let ended = (
                end.code(),
                end.status().message().to_owned(),
                end.panicked(),
            );
            log.lock().expect("a log").push(ended);
        });
        method.call(request, context)
    }
}

#[interceptor]
fn panic_before(
    _method: Next<'_>,
    _request: Request,
    _context: &mut Context,
    _: &MethodName,
) -> Reply {
    panic!("client interceptor");
}

/// Panics on the second response message.
#[interceptor]
async fn panic_mid_stream(
    method: Next<'_>,
    request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Result<Response, Status> {
    let mut response = method.call(request, context).await?;
    if let Some(stream) = response.stream_mut::<WireMessage>() {
        let mut seen = 0;
        stream.for_each_mut(move |_| {
            seen += 1;
            assert!(seen < 2, "client interceptor mid-stream");
            Ok(())
        });
    }
    Ok(response)
}

fn assert_panicked(seen: &[Ended], message: &str) {
    assert_eq!(seen.len(), 1, "{seen:?}");
    let (code, details, panicked) = &seen[0];
    assert_eq!(*code, Code::Unknown, "{seen:?}");
    assert!(details.contains(message), "{seen:?}");
    assert!(*panicked, "{seen:?}");
}

#[tokio::test]
async fn a_client_interceptor_that_panics_before_the_call_ends_it_panicked() {
    let ends = Ends::default();
    let dummy = dummy_client_with(SpecialCases::new(), (), (ends.clone(), panic_before))
        .await
        .expect("a server");
    let mut client = (*dummy).clone();
    let call = tokio::spawn(async move { client.execute(req("x")).await });
    assert!(call.await.expect_err("the panic").is_panic());
    assert_panicked(&ends.wait().await, "client interceptor");
}

#[tokio::test]
async fn a_client_interceptor_that_panics_mid_stream_ends_it_panicked() {
    let ends = Ends::default();
    let dummy = dummy_client_with(SpecialCases::new(), (), (ends.clone(), panic_mid_stream))
        .await
        .expect("a server");
    let mut client = (*dummy).clone();
    let call = tokio::spawn(async move {
        let stream = client.execute_server_stream(req("abc")).await?.into_inner();
        let messages: Vec<_> = stream.collect().await;
        Ok::<_, Status>(messages.len())
    });
    assert!(call.await.expect_err("the panic").is_panic());
    assert_panicked(&ends.wait().await, "client interceptor mid-stream");
}
