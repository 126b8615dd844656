//! The path generated code uses to reach the runtime.

use proc_macro2::Span;
use syn::{LitStr, Path};

/// `::grpc_interceptor`, or the path given with `crate = "..."`.
pub(crate) fn runtime_path(krate: Option<&LitStr>) -> syn::Result<Path> {
    match krate {
        None => Ok(syn::parse_quote_spanned!(Span::call_site()=> ::grpc_interceptor)),
        Some(lit) => lit.parse::<Path>().map_err(|_| {
            syn::Error::new(
                lit.span(),
                format!(
                    "`crate = {:?}` is not a path\n\nhelp: name the crate that re-exports `grpc_interceptor`, e.g. `crate = \"my_grpc::interceptor\"`",
                    lit.value()
                ),
            )
        }),
    }
}
