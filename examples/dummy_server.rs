//! The test harness's `DummyService` on 127.0.0.1, for clients in other languages (a Python
//! `grpcio` client built from `proto/dummy.proto`, say), behind two interceptors, outermost
//! first: one that echoes the method name in trailers when asked, then `ExceptionToStatus`.
//!
//! ```text
//! cargo run --release --example dummy_server -- --port PORT [--status-on-unknown CODE]
//! ```
//!
//! `--port 0` picks a free port. The server prints `listening on 127.0.0.1:PORT` once it
//! accepts calls and serves until killed. `CODE` is a gRPC code name (`INTERNAL`,
//! `UNAVAILABLE`, ...), the code unknown failures end with (UNKNOWN by default).
//!
//! Inputs with a special behaviour (any other input is echoed):
//!
//! | input | behaviour |
//! |---|---|
//! | `error` | `NotFound("not here")` |
//! | `notfound_default` | `NotFound` with its default details |
//! | `grpcexc` | `GrpcException` with its default details |
//! | `custom_code` | `GrpcException("custom")` with code DATA_LOSS |
//! | `override` | `NotFound("nf-but-internal")` with code INTERNAL |
//! | `unknown` | panics with `oops` |
//! | `zerodiv` | divides by a zero known only at run time |
//! | `abort` | ends the call with RESOURCE_EXHAUSTED `resource exhausted` |
//! | `setcode` | sets NOT_FOUND on the context, then panics |
//! | `metadata` | the request metadata, `key:value` pairs joined by `,` in the order received |
//! | `upper` | the input upper-cased |
//! | `empty` | the empty string |
//!
//! With request metadata `x-echo-method`, every call (error statuses included) gets the
//! trailing metadata `x-method-name` (the raw method name), `x-parsed` (its `MethodName`
//! Debug form) and `x-fqs` (its fully qualified service), and, when the client set a
//! deadline, `x-timeout-ms`: the time left that the interceptor saw, in milliseconds.

use std::error::Error;
use std::future::Future;

use grpc_interceptor::errors::{GrpcException, NotFound, code_name};
use grpc_interceptor::prelude::*;
use grpc_interceptor::testing::{DummyService, SpecialCases, raises};
use grpc_interceptor::{
    Code, Context, ExceptionToStatus, MethodName, Next, Reply, Request, Status, interceptor,
};
use tokio::net::TcpListener;
use tonic::metadata::{KeyAndValueRef, MetadataMap};

const USAGE: &str = "usage: dummy_server --port PORT [--status-on-unknown CODE]";

type BoxError = Box<dyn Error + Send + Sync>;

/// Echoes the method name in trailers when the request asks with `x-echo-method`.
#[interceptor]
fn echo_method(
    method: Next<'_>,
    request: Request,
    context: &mut Context,
    method_name: &MethodName,
) -> Reply {
    if request.metadata().contains_key("x-echo-method") {
        let timeout = request
            .timeout()
            .map(|t| ("x-timeout-ms", t.as_millis().to_string()));
        let fields = [
            ("x-method-name", method_name.as_str().to_owned()),
            ("x-parsed", format!("{method_name:?}")),
            ("x-fqs", method_name.fully_qualified_service().to_owned()),
        ];
        for (key, value) in fields.into_iter().chain(timeout) {
            match value.parse() {
                Ok(value) => context.with_trailers(|t| t.insert(key, value)),
                Err(_) => return Reply::error(Status::internal(format!("{key} is not ASCII"))),
            };
        }
    }
    method.call(request, context)
}

/// The request metadata as `key:value` pairs joined by `,`; binary values as sent (base64).
fn metadata_pairs(metadata: &MetadataMap) -> String {
    let pairs: Vec<String> = metadata
        .iter()
        .map(|entry| match entry {
            KeyAndValueRef::Ascii(key, value) => {
                format!("{}:{}", key.as_str(), value.to_str().unwrap_or_default())
            }
            KeyAndValueRef::Binary(key, value) => {
                let encoded = String::from_utf8_lossy(value.as_encoded_bytes());
                format!("{}:{encoded}", key.as_str())
            }
        })
        .collect();
    pairs.join(",")
}

fn special_cases() -> Result<SpecialCases, BoxError> {
    let custom = GrpcException::new("custom").with_code(Code::DataLoss)?;
    let overridden = NotFound::new("nf-but-internal").with_code(Code::Internal)?;
    Ok(SpecialCases::new()
        .on("error", raises(NotFound::new("not here")))
        .on("notfound_default", raises(NotFound::default()))
        .on("grpcexc", raises(GrpcException::default()))
        .on("custom_code", raises(custom))
        .on("override", raises(overridden))
        .on("unknown", |_, _| panic!("oops"))
        .on("zerodiv", |input, _| {
            let zero = std::hint::black_box(input.len() - input.len());
            Ok((input.len() / zero).to_string())
        })
        .on(
            "abort",
            raises(Status::resource_exhausted("resource exhausted")),
        )
        .on("setcode", |_, context| {
            context.set_code(Code::NotFound);
            panic!("oops")
        })
        .on("metadata", |_, context| {
            Ok(metadata_pairs(context.metadata()))
        })
        .on("upper", |input, _| Ok(input.to_uppercase()))
        .on("empty", |_, _| Ok(String::new())))
}

/// Serves until `shutdown` completes.
async fn serve(
    listener: TcpListener,
    status_on_unknown: Code,
    shutdown: impl Future<Output = ()>,
) -> Result<(), BoxError> {
    let errors = ExceptionToStatus::new().status_on_unknown_exception(status_on_unknown)?;
    let service = DummyService::new(special_cases()?, (echo_method, errors)).into_server();
    tonic::transport::Server::builder()
        .layer(grpc_interceptor::server::TrailersLayer)
        .add_service(service)
        .serve_with_incoming_shutdown(
            tokio_stream::wrappers::TcpListenerStream::new(listener),
            shutdown,
        )
        .await?;
    Ok(())
}

#[derive(Debug, PartialEq)]
struct Args {
    port: u16,
    status_on_unknown: Code,
}

fn parse_code(name: &str) -> Result<Code, String> {
    (0..=16)
        .map(Code::from_i32)
        .find(|code| code_name(*code) == name)
        .ok_or_else(|| format!("unknown status code `{name}` (expected a name like INTERNAL)"))
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let (mut port, mut status_on_unknown) = (None, Code::Unknown);
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
            None => (arg, None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or(format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--port" => {
                let value = value()?;
                port = Some(
                    value
                        .parse()
                        .map_err(|_| format!("invalid port `{value}`"))?,
                );
            }
            "--status-on-unknown" => {
                let code = parse_code(&value()?)?;
                let errors = ExceptionToStatus::new().status_on_unknown_exception(code);
                status_on_unknown = errors.map_err(|err| err.to_string()).map(|_| code)?;
            }
            _ => return Err(format!("unexpected argument `{flag}`")),
        }
    }
    let port = port.ok_or("--port is required")?;
    Ok(Args {
        port,
        status_on_unknown,
    })
}

#[tokio::main]
async fn main() {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("error: {message}\n{USAGE}");
            std::process::exit(2);
        }
    };
    let served = async {
        let listener = TcpListener::bind(("127.0.0.1", args.port)).await?;
        println!("listening on {}", listener.local_addr()?);
        serve(listener, args.status_on_unknown, std::future::pending()).await
    };
    if let Err(err) = served.await {
        eprintln!("error: {err}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use grpc_interceptor::testing::DummyRequest;
    use grpc_interceptor::testing::proto::dummy_service_client::DummyServiceClient;
    use tokio_stream::StreamExt;
    use tonic::transport::Channel;

    use super::*;

    fn args(line: &str) -> Result<Args, String> {
        parse_args(line.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn parses_the_port_and_the_code() {
        let internal = Args {
            port: 50051,
            status_on_unknown: Code::Internal,
        };
        assert_eq!(
            args("--port 50051 --status-on-unknown INTERNAL"),
            Ok(internal)
        );
        let unknown = Args {
            port: 1,
            status_on_unknown: Code::Unknown,
        };
        assert_eq!(args("--port=1"), Ok(unknown));
        assert_eq!(args(""), Err("--port is required".into()));
        assert_eq!(args("--port"), Err("--port needs a value".into()));
        assert_eq!(args("--port x"), Err("invalid port `x`".into()));
        assert!(args("--port 1 --status-on-unknown internal").is_err());
        let ok = args("--port 1 --status-on-unknown OK");
        assert_eq!(
            ok,
            Err("the status code for unknown exceptions cannot be OK".into())
        );
        assert!(args("--port 1 --verbose").is_err());
    }

    /// Serves on an ephemeral port; the server stops when the returned sender is dropped.
    async fn client(
        code: Code,
    ) -> (
        DummyServiceClient<Channel>,
        tokio::sync::oneshot::Sender<()>,
    ) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(serve(listener, code, async {
            let _ = stopped.await;
        }));
        let client = DummyServiceClient::connect(format!("http://{addr}"))
            .await
            .unwrap();
        (client, stop)
    }

    fn call(input: &str, echo: bool) -> tonic::Request<DummyRequest> {
        let mut request = tonic::Request::new(DummyRequest {
            input: input.into(),
        });
        request
            .metadata_mut()
            .insert("this_key", "this_value".parse().unwrap());
        if echo {
            request
                .metadata_mut()
                .insert("x-echo-method", "1".parse().unwrap());
        }
        request
    }

    async fn outcome(client: &mut DummyServiceClient<Channel>, input: &str) -> (Code, String) {
        match client.execute(call(input, false)).await {
            Ok(response) => (Code::Ok, response.into_inner().output),
            Err(status) => (status.code(), status.message().to_owned()),
        }
    }

    #[tokio::test]
    async fn every_special_case_behaves_as_documented() {
        let (mut client, _stop) = client(Code::Internal).await;
        let expected = [
            ("hello", Code::Ok, "hello"),
            ("upper", Code::Ok, "UPPER"),
            ("empty", Code::Ok, ""),
            ("error", Code::NotFound, "not here"),
            (
                "notfound_default",
                Code::NotFound,
                NotFound::DEFAULT_DETAILS,
            ),
            ("grpcexc", Code::Unknown, "Unknown exception occurred"),
            ("custom_code", Code::DataLoss, "custom"),
            ("override", Code::Internal, "nf-but-internal"),
            ("unknown", Code::Internal, "panicked: oops"),
            (
                "zerodiv",
                Code::Internal,
                "panicked: attempt to divide by zero",
            ),
            ("abort", Code::ResourceExhausted, "resource exhausted"),
            ("setcode", Code::NotFound, "panicked: oops"),
        ];
        for (input, code, details) in expected {
            assert_eq!(
                outcome(&mut client, input).await,
                (code, details.to_owned()),
                "{input}"
            );
        }
        let (code, metadata) = outcome(&mut client, "metadata").await;
        assert_eq!(code, Code::Ok);
        assert!(metadata.contains("this_key:this_value"), "{metadata}");
    }

    #[tokio::test]
    async fn unknown_failures_default_to_unknown() {
        let (mut client, _stop) = client(Code::Unknown).await;
        let panicked = (Code::Unknown, "panicked: oops".to_owned());
        assert_eq!(outcome(&mut client, "unknown").await, panicked);
    }

    #[tokio::test]
    async fn method_name_is_echoed_in_trailers_when_asked() {
        let (mut client, _stop) = client(Code::Internal).await;
        let status = client.execute(call("error", true)).await.unwrap_err();
        let trailers = status.metadata();
        assert_eq!(
            trailers.get("x-method-name").unwrap(),
            "/DummyService/Execute"
        );
        let parsed = "MethodName(package='', service='DummyService', method='Execute')";
        assert_eq!(trailers.get("x-parsed").unwrap(), parsed);
        assert_eq!(trailers.get("x-fqs").unwrap(), "DummyService");

        let status = client.execute(call("error", false)).await.unwrap_err();
        assert!(status.metadata().get("x-method-name").is_none());

        let request = call("ab", true);
        let mut stream = client
            .execute_server_stream(request)
            .await
            .unwrap()
            .into_inner();
        let mut outputs = Vec::new();
        while let Some(item) = stream.next().await {
            outputs.push(item.unwrap().output);
        }
        assert_eq!(outputs, ["a", "b"]);
        let trailers = stream.trailers().await.unwrap().unwrap();
        let name = trailers.get("x-method-name").unwrap();
        assert_eq!(name, "/DummyService/ExecuteServerStream");
    }
}
