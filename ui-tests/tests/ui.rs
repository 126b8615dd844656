//! Every misuse of `#[interceptor]` and `#[intercepted]` is one clear, spanned compile error
//! (`*/fail/*.rs`, with the expected output in `.stderr`), and every supported form
//! compiles and runs (`*/pass/*.rs`).
//!
//! rustc's wording and layout change between releases, so the `.stderr` snapshots are
//! compared only on the compiler they were written with, [`SNAPSHOT_RUSTC`]; elsewhere the
//! fail cases are skipped with a message and the pass cases still run. After a change to
//! a message (or a move to a new compiler), regenerate the snapshots and review the diff:
//!
//! ```sh
//! TRYBUILD=overwrite cargo test -p grpc-interceptor-ui-tests
//! ```

/// The compiler that wrote the `.stderr` snapshots (a `rustc --version` prefix).
const SNAPSHOT_RUSTC: &str = "rustc 1.95.";

#[test]
fn ui() {
    let rustc = env!("GRPC_INTERCEPTOR_UI_RUSTC");
    let cases = trybuild::TestCases::new();
    cases.pass("tests/interceptor/pass/*.rs");
    cases.pass("tests/intercepted/pass/*.rs");
    if rustc.starts_with(SNAPSHOT_RUSTC) {
        cases.compile_fail("tests/interceptor/fail/*.rs");
        cases.compile_fail("tests/intercepted/fail/*.rs");
    } else {
        eprintln!(
            "skipping the compile-fail ui tests: their .stderr snapshots were written by \
             {SNAPSHOT_RUSTC}x, and this is {rustc:?}; the pass cases still run"
        );
    }
}
