//! A loopback load test: unary calls to a real tonic server on 127.0.0.1, plain tonic against
//! the same handler behind 5 stacked no-op interceptors, measured alternately (A B A B ...)
//! in one run. Prints requests per second and p50/p99 latency for each.
//!
//! ```text
//! cargo run --release --example load -- [--rounds 4] [--secs 2] [--concurrency 32] [--max 200000]
//! ```
//!
//! Each round runs until `--secs` have passed or `--max` calls were made. Loopback
//! throughput on a small machine swings by 10-15% from run to run: this shows the order of
//! magnitude end to end; `tests/bench/` measures the cost of interceptors precisely.

use std::error::Error;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use grpc_interceptor::testing::proto::dummy_service_client::DummyServiceClient;
use grpc_interceptor::testing::proto::dummy_service_server::{DummyService, DummyServiceServer};
use grpc_interceptor::testing::{DummyRequest, DummyResponse};
use grpc_interceptor::{Context, MethodName, Next, Reply, Request, intercepted, interceptor};
use tokio_stream::Stream;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Server};
use tonic::{Status, Streaming};

macro_rules! noop_interceptors {
    ($($name:ident)*) => {$(
        /// A no-op interceptor: hands the call on.
        #[interceptor]
        fn $name(method: Next<'_>, request: Request, context: &mut Context, _: &MethodName) -> Reply {
            method.call(request, context)
        }
    )*};
}

noop_interceptors!(noop_a noop_b noop_c noop_d noop_e);

type Replies = Pin<Box<dyn Stream<Item = Result<DummyResponse, Status>> + Send>>;

/// The same unary echo, plain and intercepted; the streaming methods are not used.
macro_rules! echo_service {
    ($name:ident $(, #[$attr:meta])?) => {
        struct $name;

        $(#[$attr])?
        #[tonic::async_trait]
        impl DummyService for $name {
            async fn execute(
                &self,
                request: tonic::Request<DummyRequest>,
            ) -> Result<tonic::Response<DummyResponse>, Status> {
                let output = request.into_inner().input;
                Ok(tonic::Response::new(DummyResponse { output }))
            }

            async fn execute_client_stream(
                &self,
                _: tonic::Request<Streaming<DummyRequest>>,
            ) -> Result<tonic::Response<DummyResponse>, Status> {
                Err(Status::unimplemented("unary only"))
            }

            type ExecuteServerStreamStream = Replies;

            async fn execute_server_stream(
                &self,
                _: tonic::Request<DummyRequest>,
            ) -> Result<tonic::Response<Self::ExecuteServerStreamStream>, Status> {
                Err(Status::unimplemented("unary only"))
            }

            type ExecuteClientServerStreamStream = Replies;

            async fn execute_client_server_stream(
                &self,
                _: tonic::Request<Streaming<DummyRequest>>,
            ) -> Result<tonic::Response<Self::ExecuteClientServerStreamStream>, Status> {
                Err(Status::unimplemented("unary only"))
            }
        }
    };
}

echo_service!(Plain);
echo_service!(Stacked, #[intercepted(noop_a, noop_b, noop_c, noop_d, noop_e)]);

struct Options {
    rounds: usize,
    secs: f64,
    concurrency: usize,
    max: usize,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        rounds: 4,
        secs: 2.0,
        concurrency: 32,
        max: 200_000,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let bad = || format!("bad value for {flag}: {value}");
        match flag.as_str() {
            "--rounds" => options.rounds = value.parse().map_err(|_| bad())?,
            "--secs" => options.secs = value.parse().map_err(|_| bad())?,
            "--concurrency" => options.concurrency = value.parse().map_err(|_| bad())?,
            "--max" => options.max = value.parse().map_err(|_| bad())?,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    if options.rounds == 0 || options.concurrency == 0 || !(0.1..=60.0).contains(&options.secs) {
        return Err("rounds and concurrency must be positive, secs within 0.1..=60".into());
    }
    Ok(options)
}

/// Serves `service` on 127.0.0.1 and an ephemeral port; returns a channel to it.
async fn serve<S: DummyService>(service: S) -> Result<Channel, Box<dyn Error + Send + Sync>> {
    let incoming = TcpIncoming::bind("127.0.0.1:0".parse()?)?.with_nodelay(Some(true));
    let addr = incoming.local_addr()?;
    tokio::spawn(
        Server::builder()
            .add_service(DummyServiceServer::new(service))
            .serve_with_incoming(incoming),
    );
    Ok(Channel::from_shared(format!("http://{addr}"))?
        .connect()
        .await?)
}

/// What one variant measured over all its rounds.
#[derive(Default)]
struct Tally {
    calls: usize,
    elapsed: Duration,
    latencies_us: Vec<u32>,
    per_round: Vec<f64>,
}

/// Runs `concurrency` callers on `channel` for `secs` or `max` calls; adds to `tally`.
async fn round(channel: &Channel, options: &Options, tally: &mut Tally) -> Result<(), Status> {
    let deadline = Instant::now() + Duration::from_secs_f64(options.secs);
    let started = Arc::new(AtomicUsize::new(0));
    let begin = Instant::now();
    let mut callers = Vec::new();
    for _ in 0..options.concurrency {
        let mut client = DummyServiceClient::new(channel.clone());
        let started = Arc::clone(&started);
        let max = options.max;
        callers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline && started.fetch_add(1, Ordering::Relaxed) < max {
                let t = Instant::now();
                let request = DummyRequest {
                    input: "ping".into(),
                };
                client.execute(request).await?;
                let micros = t.elapsed().as_micros();
                latencies.push(u32::try_from(micros).unwrap_or(u32::MAX));
            }
            Ok::<_, Status>(latencies)
        }));
    }
    let mut calls = 0;
    for caller in callers {
        let latencies = caller
            .await
            .map_err(|e| Status::internal(e.to_string()))??;
        calls += latencies.len();
        tally.latencies_us.extend(latencies);
    }
    let elapsed = begin.elapsed();
    tally.calls += calls;
    tally.elapsed += elapsed;
    tally.per_round.push(calls as f64 / elapsed.as_secs_f64());
    Ok(())
}

fn percentile(sorted: &[u32], p: f64) -> u32 {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(rank).copied().unwrap_or(0)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    let options = options()?;
    let channels = [serve(Plain).await?, serve(Stacked).await?];
    let names = ["plain tonic", "5 interceptors"];
    println!(
        "unary echo over loopback HTTP/2, {} callers, {} rounds of {} s (or {} calls) each, A B A B ...",
        options.concurrency, options.rounds, options.secs, options.max
    );
    let warm_up = Options {
        secs: 0.5,
        ..options
    };
    for channel in &channels {
        round(channel, &warm_up, &mut Tally::default()).await?;
    }
    let mut tallies = [Tally::default(), Tally::default()];
    for _ in 0..options.rounds {
        for (channel, tally) in channels.iter().zip(&mut tallies) {
            round(channel, &options, tally).await?;
        }
    }
    println!(
        "\n| variant | calls | req/s | p50 | p99 | req/s per round |\n|---|---:|---:|---:|---:|---|"
    );
    let mut summary = Vec::new();
    for (name, tally) in names.iter().zip(&mut tallies) {
        tally.latencies_us.sort_unstable();
        let rate = tally.calls as f64 / tally.elapsed.as_secs_f64();
        let (p50, p99) = (
            percentile(&tally.latencies_us, 0.50),
            percentile(&tally.latencies_us, 0.99),
        );
        let rounds: Vec<String> = tally.per_round.iter().map(|r| format!("{r:.0}")).collect();
        println!(
            "| {name} | {} | {rate:.0} | {p50} µs | {p99} µs | {} |",
            tally.calls,
            rounds.join(", ")
        );
        summary.push((rate, p50, p99));
    }
    let [(rate_a, p50_a, p99_a), (rate_b, p50_b, p99_b)] = [summary[0], summary[1]];
    println!(
        "\n5 interceptors / plain: req/s {:.3}, p50 {:.3}, p99 {:.3}",
        rate_b / rate_a,
        f64::from(p50_b) / f64::from(p50_a.max(1)),
        f64::from(p99_b) / f64::from(p99_a.max(1)),
    );
    println!("(loopback throughput varies by 10-15% from run to run on a 2-core machine)");
    Ok(())
}
