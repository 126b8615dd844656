//! `#[intercepted(a, b, ...)]`: runs a list of interceptors around every method of a tonic
//! service impl, the first listed outermost.

mod args;
mod expand;
mod validate;

use proc_macro2::TokenStream;

use crate::common::diag;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let out = match syn::parse2::<syn::ItemImpl>(item.clone()) {
        Ok(item_impl) => {
            let args = args::InterceptedArgs::parse(args);
            let service = validate::service(&item_impl);
            match (args, service) {
                (Ok(args), Ok(service)) => match expand::expand(&args, &item_impl, &service) {
                    Ok(out) => out,
                    Err(err) => diag::with_errors(strip_helpers(item_impl), err),
                },
                (Err(mut err), Err(service_err)) => {
                    err.combine(service_err);
                    diag::with_errors(strip_helpers(item_impl), err)
                }
                (Err(err), _) | (_, Err(err)) => diag::with_errors(strip_helpers(item_impl), err),
            }
        }
        Err(_) => diag::with_errors(item.clone(), validate::not_an_impl(&item)),
    };
    diag::debug_print("intercepted", &out);
    out
}

/// The impl as written, minus the helper attributes that only `#[intercepted]` understands.
fn strip_helpers(mut item: syn::ItemImpl) -> syn::ItemImpl {
    for impl_item in &mut item.items {
        if let syn::ImplItem::Fn(f) = impl_item {
            f.attrs.retain(|a| !a.path().is_ident("intercepted"));
        }
    }
    item
}
