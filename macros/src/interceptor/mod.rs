//! `#[interceptor]`: a `(method, request, context, method_name)` fn becomes a unit struct
//! implementing the runtime's `CallInterceptor`.

mod args;
mod expand;
mod repair;
mod validate;

use proc_macro2::TokenStream;

use crate::common::diag::{self, Errors};
use crate::common::paths::runtime_path;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let out = match syn::parse2::<syn::ItemFn>(item.clone()) {
        Ok(item_fn) => {
            let mut errors = Errors::default();
            let args = errors.ok(args::InterceptorArgs::parse(args));
            let rt = runtime_path(args.as_ref().and_then(|a| a.krate.as_ref()), &mut errors);
            let sig = validate::signature(&item_fn.sig, &mut errors);
            match errors.finish() {
                Ok(()) if sig.is_complete() => expand::expand(&rt, &item_fn, &sig),
                Ok(()) => expand::fallback(&rt, &item_fn, &sig),
                Err(err) => diag::with_errors(expand::fallback(&rt, &item_fn, &sig), err),
            }
        }
        Err(_) => diag::with_errors(item.clone(), validate::not_a_fn(&item)),
    };
    diag::debug_print("interceptor", &out);
    out
}
