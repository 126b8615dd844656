//! Errors that keep the user's item: emit it with the errors so no cascade follows.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;

/// The item as written, followed by the errors.
pub(crate) fn with_errors(item: impl ToTokens, errors: syn::Error) -> TokenStream {
    let mut out = item.into_token_stream();
    out.extend(errors.into_compile_error());
    out
}

/// Collects errors so that all of them are reported in one build.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn push_spanned(&mut self, tokens: impl ToTokens, message: impl std::fmt::Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// The value of `result`, or `None` with its error kept.
    pub(crate) fn ok<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|error| self.push(error)).ok()
    }

    pub(crate) fn finish(self) -> Result<(), syn::Error> {
        self.0.map_or(Ok(()), Err)
    }
}

/// Debug aid: `GRPC_INTERCEPTOR_MACROS_DEBUG=1` prints every expansion.
pub(crate) fn debug_print(name: &str, out: &TokenStream) {
    if std::env::var_os("GRPC_INTERCEPTOR_MACROS_DEBUG").is_some() {
        eprintln!("#[{name}] expands to:\n{out}\n");
    }
}

/// `tokens`, every one of them spanned at `span`: an error about the expression they make
/// then points at `span`.
pub(crate) fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let TokenTree::Group(group) = &token {
                let mut new =
                    proc_macro2::Group::new(group.delimiter(), respan(group.stream(), span));
                new.set_span(span);
                token = TokenTree::Group(new);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}
