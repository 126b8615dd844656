//! Counts what in-process calls cost, variant by variant (see `tests/bench/BENCHMARKS.md`).
//!
//! ```text
//! calls list                       the variants and modes
//! calls check                      one call of every variant and mode, checked
//! calls run VARIANT MODE N         N calls after a warm-up (run under callgrind by callgrind.sh)
//! calls allocs [N]                 heap allocations per call of every variant and mode
//! calls report [DIR]               the criterion results as a table of ratios
//! calls sizes                      the size of the futures boxed per call (handler, client)
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};

use grpc_interceptor_bench::report::{criterion_dir, criterion_table};
use grpc_interceptor_bench::targets::{
    Mode, Target, VARIANTS, client_future_sizes, find_variant, unary_future_sizes, with_target,
};

/// The system allocator, counting allocations and reallocations.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

// Counting needs a global allocator, and implementing one is unsafe; every method only
// adds to two counters and forwards to `System` with the same arguments.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` is `System.alloc`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        // SAFETY: `ptr` and `layout` come from this allocator, which is `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` and `layout` come from this allocator, which is `System`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Calls made before anything is counted: lazy statics, first-use allocations.
const WARM_UP: usize = 20;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["list"] => list(),
        ["check"] => check(),
        ["run", variant, mode, n] => run(variant, mode, n),
        ["allocs"] => allocs(1000),
        ["allocs", n] => match n.parse() {
            Ok(n) => allocs(n),
            Err(_) => usage(),
        },
        ["sizes"] => sizes(),
        ["report"] => report(&criterion_dir()),
        ["report", dir] => report(dir.as_ref()),
        _ => usage(),
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: calls list | check | run VARIANT MODE N | allocs [N] | report [DIR] | sizes");
    ExitCode::FAILURE
}

fn list() -> ExitCode {
    for variant in VARIANTS {
        println!("{:<20} {}", variant.name, variant.about);
    }
    let modes: Vec<_> = Mode::ALL.iter().map(|m| m.name()).collect();
    println!("modes: {}", modes.join(" "));
    ExitCode::SUCCESS
}

fn check() -> ExitCode {
    let mut ok = true;
    for variant in VARIANTS {
        with_target(variant.name, |target| {
            for mode in Mode::ALL {
                let received = target.call(mode);
                let good = received == mode.expected();
                ok &= good;
                let verdict = if good { "ok" } else { "WRONG" };
                println!(
                    "{:<20} {:<14} {received:?} {verdict}",
                    variant.name,
                    mode.name()
                );
            }
        });
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn calls(target: &mut dyn Target, mode: Mode, n: usize) {
    for _ in 0..n {
        black_box(target.call(black_box(mode)));
    }
}

fn run(variant: &str, mode: &str, n: &str) -> ExitCode {
    let (Some(mode), Ok(n)) = (Mode::from_name(mode), n.parse()) else {
        return usage();
    };
    let ran = with_target(variant, |target| {
        calls(target, mode, WARM_UP);
        calls(target, mode, n);
    });
    match ran {
        Some(()) => ExitCode::SUCCESS,
        None => {
            eprintln!("unknown variant {variant:?}; see `calls list`");
            ExitCode::FAILURE
        }
    }
}

/// Allocations (and allocated bytes) per call of `variant` in `mode`, over `n` calls.
fn count_allocations(variant: &str, mode: Mode, n: usize) -> (f64, f64) {
    with_target(variant, |target| {
        calls(target, mode, WARM_UP);
        let (allocations, bytes) = (
            ALLOCATIONS.load(Ordering::SeqCst),
            BYTES.load(Ordering::SeqCst),
        );
        calls(target, mode, n);
        let allocations = ALLOCATIONS.load(Ordering::SeqCst) - allocations;
        let bytes = BYTES.load(Ordering::SeqCst) - bytes;
        (allocations as f64 / n as f64, bytes as f64 / n as f64)
    })
    .expect("a known variant")
}

fn allocs(n: usize) -> ExitCode {
    println!("heap allocations (and reallocations) per call, over {n} calls after {WARM_UP}:\n");
    println!("| variant | unary | added | server stream | added | client stream | added |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for variant in VARIANTS {
        let mut row = format!("| {} |", variant.name);
        for mode in Mode::ALL {
            // Streamed calls are 1000 times longer: fewer of them.
            let n = (n / mode.messages()).max(10);
            let (allocations, _) = count_allocations(variant.name, mode, n);
            let (base, _) = count_allocations(variant.baseline, mode, n);
            row += &format!(" {allocations:.2} | {:+.2} |", allocations - base);
        }
        println!("{row}");
    }
    ExitCode::SUCCESS
}

fn report(dir: &std::path::Path) -> ExitCode {
    if find_variant("plain").is_none() || !dir.is_dir() {
        eprintln!(
            "no criterion results in {}: run `cargo bench -p grpc-interceptor-bench` first",
            dir.display()
        );
        return ExitCode::FAILURE;
    }
    println!("criterion results in {}:\n", dir.display());
    print!("{}", criterion_table(dir));
    ExitCode::SUCCESS
}

fn sizes() -> ExitCode {
    println!("bytes of the future tonic boxes for one unary call:");
    for (variant, size) in unary_future_sizes() {
        println!("{variant:<20} {size}");
    }
    println!("\nbytes of the future client::Intercepted boxes for one call:");
    for (variant, size) in client_future_sizes() {
        println!("{variant:<20} {size}");
    }
    use grpc_interceptor::testing::DummyRequest;
    use grpc_interceptor::{MessageStream, Request, WireMessage};
    println!("\nbytes of the types a call moves:");
    for (name, size) in [
        (
            "MessageStream<WireMessage>",
            size_of::<MessageStream<WireMessage>>(),
        ),
        (
            "tonic::Streaming<DummyRequest>",
            size_of::<tonic::Streaming<DummyRequest>>(),
        ),
        ("Request<DummyRequest>", size_of::<Request<DummyRequest>>()),
        (
            "Request<MessageStream<WireMessage>>",
            size_of::<Request<MessageStream<WireMessage>>>(),
        ),
        ("tonic::Status", size_of::<tonic::Status>()),
        ("WireMessage", size_of::<WireMessage>()),
        (
            "http::Request<tonic::body::Body>",
            size_of::<tonic::codegen::http::Request<tonic::body::Body>>(),
        ),
        (
            "http::Response<tonic::body::Body>",
            size_of::<tonic::codegen::http::Response<tonic::body::Body>>(),
        ),
    ] {
        println!("{name:<32} {size}");
    }
    ExitCode::SUCCESS
}
