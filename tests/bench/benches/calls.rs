//! Time of an in-process call, plain tonic against each kind of no-op layer, in one run.
//!
//! ```text
//! cargo bench -p grpc-interceptor-bench --bench calls -- --warm-up-time 1 --measurement-time 3
//! cargo run --release -p grpc-interceptor-bench --bin calls -- report
//! ```
//!
//! One group per mode (`unary`, `server_stream`, `client_stream`), one benchmark per
//! variant; streamed calls carry 1000 messages and report their throughput per message.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use grpc_interceptor_bench::targets::{Mode, VARIANTS, with_target};

fn calls(c: &mut Criterion) {
    for mode in Mode::ALL {
        let mut group = c.benchmark_group(mode.name());
        if mode != Mode::Unary {
            group.throughput(Throughput::Elements(mode.messages() as u64));
        }
        for variant in VARIANTS {
            with_target(variant.name, |target| {
                assert_eq!(
                    target.call(mode),
                    mode.expected(),
                    "{} {mode}",
                    variant.name
                );
                group.bench_function(variant.name, |b| {
                    b.iter(|| black_box(target.call(black_box(mode))));
                });
            });
        }
        group.finish();
    }
}

criterion_group!(benches, calls);
criterion_main!(benches);
