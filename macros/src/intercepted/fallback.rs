//! What `#[intercepted]` emits beside its errors: the impl as the user wrote it, minus what
//! only `#[intercepted]` understands, and with what it would have added, so that the error
//! that says what to fix is the only one.

use proc_macro2::Span;
use syn::{Ident, ImplItem, ItemImpl, Path};

use super::args::{MethodArgs, is_helper};
use super::expand::add_async_trait;
use super::validate::is_async_trait_output;

pub(crate) fn fallback(rt: &Path, mut item: ItemImpl) -> ItemImpl {
    let trait_impl = item.trait_.is_some();
    let mut below_async_trait = false;
    for impl_item in &mut item.items {
        let ImplItem::Fn(f) = impl_item else { continue };
        let args = MethodArgs::read(&f.attrs).ok();
        f.attrs.retain(|a| !is_helper(a));
        if is_async_trait_output(f) {
            below_async_trait = true;
            continue;
        }
        // tonic's trait methods are all `async fn`: a missing `async` has been reported.
        if trait_impl && f.sig.asyncness.is_none() {
            f.sig.asyncness = Some(Default::default());
        }
        // `#[intercepted(context = ctx)]`: the body names `ctx`, so it gets one.
        if let Some(context) = args.and_then(|a| a.context) {
            let state = Ident::new("__grpc_interceptor_state", Span::mixed_site());
            let block = &f.block;
            f.block = syn::parse_quote!({
                let #state = #rt::__private::CallState::default();
                #[allow(unused_mut)]
                let mut #context = #rt::Context::new(#rt::Side::Server, &#state);
                #block
            });
        }
    }
    if trait_impl && !below_async_trait {
        add_async_trait(&mut item, rt);
    }
    item
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;
    use syn::parse_quote;

    #[test]
    fn adds_what_the_expansion_would_have_added() {
        let item: ItemImpl = parse_quote! {
            impl Svc for S {
                #[intercepted(context = ctx)]
                fn f(&self, r: R) -> O { ctx.code(); todo!() }
            }
        };
        let out = fallback(&parse_quote!(::grpc_interceptor), item);
        let has_async_trait = out.attrs.iter().any(|a| {
            a.path()
                .segments
                .last()
                .is_some_and(|s| s.ident == "async_trait")
        });
        assert!(has_async_trait);
        let Some(ImplItem::Fn(f)) = out.items.first() else {
            panic!("the method is kept")
        };
        assert!(f.sig.asyncness.is_some(), "a missing `async` is added");
        assert!(f.attrs.is_empty(), "the helper attribute is stripped");
        let body = f.block.to_token_stream().to_string();
        assert!(body.contains("let mut ctx"), "{body}");
    }

    #[test]
    fn leaves_inherent_impls_and_async_trait_output_alone() {
        let item: ItemImpl = parse_quote!(impl S { fn f(&self) {} });
        let out = fallback(&parse_quote!(::grpc_interceptor), item.clone());
        assert_eq!(out, item);
    }
}
