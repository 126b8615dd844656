//! Procedural macros for `grpc_interceptor`. Implementation detail; depend on
//! `grpc_interceptor` instead, which re-exports them with their documentation.

// No panics on user input: every misuse is a spanned compile error.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

use proc_macro::TokenStream;

mod common;
mod intercepted;
mod interceptor;

/// Turns a `(method, request, context, method_name)` function into an interceptor.
///
/// The full documentation is on the re-export, `grpc_interceptor::interceptor`.
#[proc_macro_attribute]
pub fn interceptor(args: TokenStream, item: TokenStream) -> TokenStream {
    interceptor::expand(args.into(), item.into()).into()
}

/// Runs a list of interceptors around every method of a tonic service impl.
///
/// The full documentation is on the re-export, `grpc_interceptor::intercepted`.
#[proc_macro_attribute]
pub fn intercepted(args: TokenStream, item: TokenStream) -> TokenStream {
    intercepted::expand(args.into(), item.into()).into()
}
