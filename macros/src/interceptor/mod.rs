//! `#[interceptor]`: a `(method, request, context, method_name)` fn becomes an interceptor
//! (a type implementing the runtime's `CallInterceptor`, and a fn of the same name that
//! returns it), and an impl block whose one `&self` method has that signature makes its
//! type an interceptor.

mod args;
mod expand;
mod repair;
mod trait_impl;
mod validate;

use proc_macro2::TokenStream;
use syn::{ImplItem, ImplItemFn, ItemFn, ItemImpl};

use crate::common::diag::{self, Errors};
use crate::common::paths::runtime_path;
use validate::Place;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let out = if let Ok(item_fn) = syn::parse2::<ItemFn>(item.clone()) {
        expand_fn(args, &item_fn)
    } else if let Ok(item_impl) = syn::parse2::<ItemImpl>(item.clone()) {
        expand_impl(args, item_impl)
    } else {
        diag::with_errors(item.clone(), validate::not_a_fn(&item))
    };
    diag::debug_print("interceptor", &out);
    out
}

fn expand_fn(args: TokenStream, item_fn: &ItemFn) -> TokenStream {
    let mut errors = Errors::default();
    let args = errors.ok(args::InterceptorArgs::parse(args));
    let rt = runtime_path(args.as_ref().and_then(|a| a.krate.as_ref()), &mut errors);
    let sig = validate::signature(&item_fn.sig, Place::Fn, &mut errors);
    let target = expand::Target::Fn;
    match errors.finish() {
        Ok(()) if sig.is_complete() => expand::expand(&rt, item_fn, &sig, &target),
        Ok(()) => expand::fallback(&rt, item_fn, &sig, &target),
        Err(err) => diag::with_errors(expand::fallback(&rt, item_fn, &sig, &target), err),
    }
}

/// `#[interceptor] impl Type { ... fn name(&self, method, request, context, method_name) ... }`:
/// the impl block as written, with the method's types completed, and `CallInterceptor`
/// for `Type` calling the method.
fn expand_impl(args: TokenStream, mut item_impl: ItemImpl) -> TokenStream {
    let mut errors = Errors::default();
    let args = errors.ok(args::InterceptorArgs::parse(args));
    let rt = runtime_path(args.as_ref().and_then(|a| a.krate.as_ref()), &mut errors);
    if let Some((_, path, _)) = &item_impl.trait_ {
        errors.push_spanned(path, validate::TRAIT_IMPL);
    }
    // The one method that takes `self`, or among several the one named `intercept`.
    let methods: Vec<(usize, &ImplItemFn)> = (item_impl.items.iter().enumerate())
        .filter_map(|(index, item)| match item {
            ImplItem::Fn(f) if f.sig.receiver().is_some() => Some((index, f)),
            _ => None,
        })
        .collect();
    let chosen = match methods.as_slice() {
        [one] => Some(*one),
        _ => (methods.iter().copied()).find(|(_, f)| f.sig.ident == "intercept"),
    };
    if chosen.is_none()
        && let Some((_, second)) = methods.get(1)
    {
        errors.push_spanned(
            &second.sig.ident,
            validate::second_method(&second.sig.ident),
        );
    }
    let chosen = chosen.or(methods.first().copied());
    let Some((index, method)) = chosen.filter(|_| item_impl.trait_.is_none()) else {
        if chosen.is_none() && item_impl.trait_.is_none() {
            errors.push_spanned(&item_impl.self_ty, validate::NO_METHOD);
        }
        let stub = (item_impl.trait_.is_none()).then(|| trait_impl::unfinished(&rt, &item_impl));
        let errors = errors.finish().err().map(syn::Error::into_compile_error);
        return quote::quote!(#item_impl #stub #errors);
    };
    let item_fn = ItemFn {
        attrs: method.attrs.clone(),
        vis: method.vis.clone(),
        sig: method.sig.clone(),
        block: Box::new(method.block.clone()),
    };
    let sig = validate::signature(&item_fn.sig, Place::Method, &mut errors);
    let target = expand::Target::Method(&item_impl);
    let (method, interceptor) = match errors.finish() {
        Ok(()) if sig.is_complete() => expand::expand_method(&rt, &item_fn, &sig, &target),
        result => {
            let (method, interceptor) = expand::fallback_method(&rt, &item_fn, &sig, &target);
            let errors = result.err().map(syn::Error::into_compile_error);
            (method, quote::quote!(#interceptor #errors))
        }
    };
    if let Some(item) = item_impl.items.get_mut(index) {
        *item = ImplItem::Verbatim(method);
    }
    quote::quote!(#item_impl #interceptor)
}
