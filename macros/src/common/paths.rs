//! The path generated code uses to reach the runtime.

use proc_macro2::Span;
use syn::{LitStr, Path};

use super::diag::Errors;

/// `::grpc_interceptor`, or the path given with `crate = "..."`. A `crate` value that is
/// no path is reported, and the default is used so that the expansion goes on.
pub(crate) fn runtime_path(krate: Option<&LitStr>, errors: &mut Errors) -> Path {
    let default = || syn::parse_quote_spanned!(Span::call_site()=> ::grpc_interceptor);
    match krate {
        None => default(),
        Some(lit) => lit.parse::<Path>().unwrap_or_else(|_| {
            errors.push(syn::Error::new(
                lit.span(),
                format!(
                    "`crate = {:?}` is not a path\n\nhelp: name the crate that re-exports `grpc_interceptor`, e.g. `crate = \"my_grpc::interceptor\"`",
                    lit.value()
                ),
            ));
            default()
        }),
    }
}
