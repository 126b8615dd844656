//! Compile-fail and compile-pass tests of `#[interceptor]` and `#[intercepted]`, run by
//! `tests/ui.rs` with trybuild. There is no library: this crate only holds the tests.
