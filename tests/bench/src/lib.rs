//! In-process benchmarks of `grpc-interceptor` against plain tonic.
//!
//! Every variant serves the `DummyService` of `proto/dummy.proto` with the same handlers
//! ([`services`]); a [`Target`](targets::Target) makes one call of it, without the network:
//! the tonic-generated server is called as a tower service with a gRPC-framed request body
//! and its response body is read to the end, or the tonic-generated client is used over the
//! in-process server. The calls are driven by [`exec::block_on`], which only polls: nothing
//! in-process waits on I/O, so no runtime is needed and none is measured.
//!
//! The criterion benchmarks (`benches/calls.rs`) measure time; the `calls` binary counts
//! instructions (under callgrind, see `callgrind.sh`) and heap allocations.

pub mod exec;
pub mod report;
pub mod services;
pub mod targets;

/// Messages in each streamed call, client or server stream.
pub const STREAM_LEN: usize = 1000;
