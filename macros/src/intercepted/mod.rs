//! `#[intercepted(a, b, ...)]`: runs a list of interceptors around every method of a tonic
//! service impl, the first listed outermost.

mod args;
mod cfg;
mod expand;
mod fallback;
mod validate;

use proc_macro2::TokenStream;

use crate::common::diag::{self, Errors};
use crate::common::paths::runtime_path;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let out = match syn::parse2::<syn::ItemImpl>(item.clone()) {
        Ok(mut item_impl) => {
            cfg::split_cfg_attrs(&mut item_impl);
            let mut errors = Errors::default();
            let args = errors.ok(args::InterceptedArgs::parse(args));
            let rt = runtime_path(args.as_ref().and_then(|a| a.krate.as_ref()), &mut errors);
            let service = errors.ok(validate::service(&item_impl));
            let expanded = match (&args, &service) {
                (Some(args), Some(service)) => {
                    errors.ok(expand::expand(&rt, args, &item_impl, service))
                }
                _ => None,
            };
            match (errors.finish(), expanded) {
                (Ok(()), Some(out)) => out,
                (Ok(()), None) => {
                    quote::ToTokens::into_token_stream(fallback::fallback(&rt, item_impl))
                }
                (Err(err), _) => diag::with_errors(fallback::fallback(&rt, item_impl), err),
            }
        }
        Err(_) => diag::with_errors(item.clone(), validate::not_an_impl(&args, &item)),
    };
    diag::debug_print("intercepted", &out);
    out
}
