//! A tonic server whose every method runs through three stacked interceptors, and a client
//! with two interceptors of its own (one of them the very same `log_messages` fn) that calls
//! it in all four streaming modes. Prints what the interceptors saw, then exits.
//!
//! ```text
//! cargo run --example quickstart
//! ```

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};

use grpc_interceptor::prelude::*;
use grpc_interceptor::testing::proto::dummy_service_client::DummyServiceClient;
use grpc_interceptor::testing::proto::dummy_service_server::{DummyService, DummyServiceServer};
use grpc_interceptor::testing::{DummyRequest, DummyResponse};
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

/// A plain `fn` interceptor: checks a header before handing over, or answers at once.
#[interceptor]
fn require_token(
    method: Next<'_>,
    request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Reply {
    match request.metadata().get("authorization") {
        Some(token) if token == "Bearer let-me-in" => method.call(request, context),
        _ => Reply::error(Status::unauthenticated("missing token")),
    }
}

/// A plain `fn` client interceptor: adds the token to every call.
#[interceptor]
fn add_token(
    method: Next<'_>,
    mut request: Request,
    context: &mut Context,
    _: &MethodName,
) -> Reply {
    let token = "Bearer let-me-in".parse().expect("valid header");
    request.metadata_mut().insert("authorization", token);
    method.call(request, context)
}

/// An `async fn` interceptor, used on both sides: sees every request and response message,
/// in all four modes, and the final status once the response has ended.
#[interceptor]
async fn log_messages(
    method: Next<'_>,
    mut request: Request,
    context: &mut Context,
    method_name: &MethodName,
) -> Result<Response, Status> {
    let side = match context.side() {
        Side::Server => "server",
        Side::Client => "client",
    };
    let name = format!("{side} {}", method_name.method());
    let sent = name.clone();
    request.inspect_messages(move |r: &DummyRequest| {
        println!("  [log {sent}] <- {:?}", r.input);
        Ok(())
    })?;
    let mut response = method.call(request, context).await?;
    let received = name.clone();
    response.inspect_messages(move |r: &DummyResponse| {
        println!("  [log {received}] -> {:?}", r.output);
        Ok(())
    })?;
    response.on_end(move |end| {
        println!(
            "  [log {name}] ended with {:?}",
            end.status().map_or(Code::Ok, Status::code)
        )
    });
    Ok(response)
}

/// An interceptor with state: counts calls and stamps a trailer.
#[derive(Default)]
struct CountCalls(AtomicUsize);

#[interceptor]
impl CountCalls {
    fn intercept(
        &self,
        method: Next<'_>,
        request: Request,
        context: &mut Context,
        method_name: &MethodName,
    ) -> Reply {
        let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        println!("  [count] call #{n}: {method_name} ({method_name:?})");
        context.with_trailers(|t| t.insert("x-call-number", n.into()));
        method.call(request, context)
    }
}

struct Echo {
    counter: CountCalls,
}

type Outputs = Pin<Box<dyn Stream<Item = Result<DummyResponse, Status>> + Send>>;

fn out(output: impl Into<String>) -> DummyResponse {
    DummyResponse {
        output: output.into(),
    }
}

#[intercepted(self.counter, require_token, log_messages)]
#[tonic::async_trait]
impl DummyService for Echo {
    async fn execute(
        &self,
        request: Request<DummyRequest>,
    ) -> Result<Response<DummyResponse>, Status> {
        Ok(Response::new(out(request.into_inner().input)))
    }

    async fn execute_client_stream(
        &self,
        request: Request<Streaming<DummyRequest>>,
    ) -> Result<Response<DummyResponse>, Status> {
        let mut stream = request.into_inner();
        let mut all = String::new();
        while let Some(r) = stream.next().await {
            all += &r?.input;
        }
        Ok(Response::new(out(all)))
    }

    type ExecuteServerStreamStream = Outputs;

    async fn execute_server_stream(
        &self,
        request: Request<DummyRequest>,
    ) -> Result<Response<Self::ExecuteServerStreamStream>, Status> {
        let chars: Vec<_> = request
            .into_inner()
            .input
            .chars()
            .map(|c| Ok(out(c)))
            .collect();
        Ok(Response::new(Box::pin(tokio_stream::iter(chars))))
    }

    type ExecuteClientServerStreamStream = Outputs;

    async fn execute_client_server_stream(
        &self,
        request: Request<Streaming<DummyRequest>>,
    ) -> Result<Response<Self::ExecuteClientServerStreamStream>, Status> {
        let replies = request
            .into_inner()
            .map(|r| r.map(|r| out(r.input.to_uppercase())));
        Ok(Response::new(Box::pin(replies)))
    }
}

fn input(text: &str) -> DummyRequest {
    DummyRequest { input: text.into() }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let service = DummyServiceServer::new(Echo {
        counter: CountCalls::default(),
    });
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .layer(grpc_interceptor::server::TrailersLayer)
            .add_service(service)
            .serve_with_incoming_shutdown(
                tokio_stream::wrappers::TcpListenerStream::new(listener),
                async {
                    let _ = stopped.await;
                },
            ),
    );
    println!("server on {addr}, interceptors: CountCalls, require_token, log_messages");
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))?
        .connect()
        .await?;
    println!("client interceptors: add_token, log_messages");
    let mut client = DummyServiceClient::new(grpc_interceptor::client::intercept(
        channel.clone(),
        (add_token, log_messages),
    ));

    println!("\nunary:");
    let reply = client.execute(input("hello")).await?;
    println!(
        "client got {:?}, trailer x-call-number = {:?}",
        reply.get_ref().output,
        reply.metadata().get("x-call-number")
    );

    println!("\nclient streaming:");
    let inputs = tokio_stream::iter(vec![input("a"), input("b"), input("c")]);
    let reply = client.execute_client_stream(inputs).await?;
    println!("client got {:?}", reply.into_inner().output);

    println!("\nserver streaming:");
    let mut stream = client
        .execute_server_stream(input("hey"))
        .await?
        .into_inner();
    while let Some(item) = stream.next().await {
        println!("client got {:?}", item?.output);
    }
    println!(
        "trailers: x-call-number = {:?}",
        stream
            .trailers()
            .await?
            .and_then(|t| t.get("x-call-number").cloned())
    );

    println!("\nbidirectional streaming:");
    let inputs = tokio_stream::iter(vec![input("ping"), input("pong")]);
    let mut stream = client
        .execute_client_server_stream(inputs)
        .await?
        .into_inner();
    while let Some(item) = stream.next().await {
        println!("client got {:?}", item?.output);
    }

    println!("\nwithout a token (a client without interceptors):");
    let status = DummyServiceClient::new(channel)
        .execute(input("sneaky"))
        .await
        .expect_err("require_token refuses it");
    println!("client got {:?}: {}", status.code(), status.message());

    drop(client);
    let _ = stop.send(());
    server.await??;
    println!("\ndone");
    Ok(())
}
