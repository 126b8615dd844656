//! `#[interceptor]`: a `(method, request, context, method_name)` fn becomes a unit struct
//! implementing the runtime's `CallInterceptor`.

mod args;
mod expand;
mod validate;

use proc_macro2::TokenStream;

use crate::common::diag;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let out = match syn::parse2::<syn::ItemFn>(item.clone()) {
        Ok(item_fn) => {
            let args = args::InterceptorArgs::parse(args);
            let sig = validate::signature(&item_fn.sig);
            match (args, sig) {
                (Ok(args), Ok(sig)) => match expand::expand(&args, &item_fn, &sig) {
                    Ok(out) => out,
                    Err(err) => diag::with_errors(&item_fn, err),
                },
                (Err(mut err), Err(sig_err)) => {
                    err.combine(sig_err);
                    diag::with_errors(&item_fn, err)
                }
                (Err(err), _) | (_, Err(err)) => diag::with_errors(&item_fn, err),
            }
        }
        Err(_) => diag::with_errors(item.clone(), validate::not_a_fn(&item)),
    };
    diag::debug_print("interceptor", &out);
    out
}
