//! The `CallInterceptor` impl `#[interceptor]` writes: its two methods around the bodies
//! that call the user's fn, the impl for an `#[interceptor] impl` block's type, and the
//! never-completing stand-ins that go with an error.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Ident, ItemImpl, Path};

use super::repair::Names;

/// A `CallInterceptor` impl for the type of an impl block that has no interceptor method,
/// to go with that error: the type can still be listed in `#[intercepted(...)]`.
pub(crate) fn unfinished(rt: &Path, item_impl: &ItemImpl) -> TokenStream {
    let names = Names::new(rt);
    trait_impl(rt, item_impl, pending(rt, &names, TokenStream::new()))
}

/// The `CallInterceptor` impl for the type of `item_impl`, with these methods.
pub(super) fn trait_impl(rt: &Path, item_impl: &ItemImpl, methods: TokenStream) -> TokenStream {
    let (generics, _, where_clause) = item_impl.generics.split_for_impl();
    let ty = &item_impl.self_ty;
    let cfgs = item_impl.attrs.iter().filter(|a| a.path().is_ident("cfg"));
    quote! {
        #(#cfgs)*
        #[automatically_derived]
        #[allow(unused_qualifications)]
        impl #generics #rt::CallInterceptor for #ty #where_clause {
            #methods
        }
    }
}

/// The future an interceptor returns, in the names of `names`.
fn output(rt: &Path, names: &Names) -> TokenStream {
    let next = &names.next;
    quote! {
        impl #rt::__private::core::future::Future<
            Output = #rt::__private::core::result::Result<
                #rt::Response<<#next as #rt::Chain>::RespPayload>,
                #rt::Status,
            >,
        > + #rt::__private::core::marker::Send
    }
}

/// An `intercept` that runs `prelude` and never completes, for the expansions that go with
/// an error.
pub(super) fn pending(rt: &Path, names: &Names, prelude: TokenStream) -> TokenStream {
    let Names { call, next, .. } = names;
    let chain = quote!(<#next as #rt::Chain>);
    let output = output(rt, names);
    quote! {
        #[inline]
        fn intercept<#call, #next: #rt::Chain>(
            &self,
            _: #rt::Next<#call, #next>,
            _: #rt::Request<#chain::ReqPayload>,
            _: &mut #rt::Context<#call>,
            _: &#rt::MethodName,
        ) -> #output {
            #prelude
            #rt::__private::core::future::pending()
        }
    }
}

/// The bodies of the trait methods: `intercept` hands `intercept_owned` a clone of the
/// context when it has no body of its own.
pub(super) struct Bodies {
    pub(super) intercept: Option<TokenStream>,
    pub(super) intercept_owned: TokenStream,
}

/// `intercept` and `intercept_owned`, with their parameters named `method`, `request`,
/// `context` and `method_name`.
pub(super) fn methods(rt: &Path, names: &Names, bodies: Bodies) -> TokenStream {
    let Names { call, next, .. } = names;
    let chain = quote!(<#next as #rt::Chain>);
    let output = output(rt, names);
    let generics = quote!(<#call, #next: #rt::Chain>);
    let Bodies {
        intercept,
        intercept_owned,
    } = bodies;
    let [method, request, context, method_name] =
        ["method", "request", "context", "method_name"].map(|n| Ident::new(n, Span::call_site()));
    let intercept = intercept.unwrap_or_else(|| {
        quote! {
            <Self as #rt::CallInterceptor>::intercept_owned(
                self,
                #method,
                #request,
                #rt::__private::core::clone::Clone::clone(#context),
                #method_name,
            )
        }
    });
    quote! {
        #[inline]
        fn intercept #generics (
            &self,
            #method: #rt::Next<#call, #next>,
            #request: #rt::Request<#chain::ReqPayload>,
            #context: &mut #rt::Context<#call>,
            #method_name: &#rt::MethodName,
        ) -> #output {
            #intercept
        }

        #[inline]
        #[allow(unused_mut)]
        fn intercept_owned #generics (
            &self,
            #method: #rt::Next<#call, #next>,
            #request: #rt::Request<#chain::ReqPayload>,
            mut #context: #rt::Context<#call>,
            #method_name: &#rt::MethodName,
        ) -> #output {
            #intercept_owned
        }
    }
}
