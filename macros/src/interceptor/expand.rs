//! The expansion of `#[interceptor]`.
//!
//! ```text
//! #[interceptor] async fn log(method: Next<'_>, request: Request, context: &mut Context, name: &MethodName)
//!     -> Result<Response, Status> { body }
//! ```
//! becomes a struct `log {}` whose `CallInterceptor::intercept` calls the user's fn, kept
//! whole as an inner fn with the call's generic parameters added to its types, and a fn
//! `log() -> log`: in expressions `log` is that fn (which the runtime makes an interceptor
//! through the struct's `InterceptorFn::INSTANCE`), and it is no unit struct or constant,
//! so `let log = ...;` in the same module binds a new variable.
//!
//! On an impl block, `#[interceptor] impl Type { fn name(&self, method, request, context,
//! method_name) ... }` keeps the block, with the method's types completed the same way,
//! and implements `CallInterceptor` for `Type` by calling the method.
//!
//! When the signature is wrong, [`fallback`] emits the same items with an impl that does
//! not call the fn, and the fn itself with the wrong parts replaced by the right types: the
//! body is still checked and every name in it resolved, the interceptor can still be listed
//! in `#[intercepted(...)]`, and the only error is the one that says what to fix.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::spanned::Spanned;
use syn::{Attribute, GenericParam, Ident, ItemFn, ItemImpl, Path, ReturnType};

use super::repair::{Names, repair, type_paths};
use super::trait_impl::{Bodies, methods, pending, trait_impl};
use super::validate::{Output, PARAMS, Param, Ref, Signature};
use crate::common::diag::respan;

/// What the interceptor is.
pub(crate) enum Target<'a> {
    /// A free fn: a struct of its name.
    Fn,
    /// The `&self` method of this impl block: the impl's type.
    Method(&'a ItemImpl),
}

/// The expansion of a correct interceptor fn.
///
/// The fn is called from `intercept_owned`, which gets a context of its own (an interceptor
/// inside a list), with no future around the call: a plain `fn` borrows a local copy of the
/// context (its `Reply` borrows nothing), an `async fn` takes the context by value and
/// borrows it at the top of its body. `intercept` hands `intercept_owned` a clone of the
/// caller's context: a `Context` is a handle, and clones share the call's state.
pub(crate) fn expand(
    rt: &Path,
    item: &ItemFn,
    sig: &Signature<'_>,
    target: &Target<'_>,
) -> TokenStream {
    let expansion = Expansion::new(rt, item, sig, target);
    let inner = expansion.inner_fn(false, expansion.owned_context(), TokenStream::new());
    let call = expansion.call(ContextArg::Owned);
    let bodies = Bodies {
        intercept: None,
        intercept_owned: quote!(#inner #call),
    };
    expansion.interceptor(Some(bodies), TokenStream::new())
}

/// The expansion of a correct interceptor method: the method, to go back into its impl
/// block, and the `CallInterceptor` impl that calls it.
pub(crate) fn expand_method(
    rt: &Path,
    item: &ItemFn,
    sig: &Signature<'_>,
    target: &Target<'_>,
) -> (TokenStream, TokenStream) {
    let expansion = Expansion::new(rt, item, sig, target);
    let method = expansion.inner_fn(false, expansion.owned_context(), TokenStream::new());
    // Both trait methods call the method: `intercept` through the trait's own
    // `intercept_owned` would add a second error when the type is not `Sync`.
    let bodies = Bodies {
        intercept: Some(expansion.call(ContextArg::Borrowed)),
        intercept_owned: expansion.call(ContextArg::Owned),
    };
    (
        method,
        expansion.interceptor(Some(bodies), TokenStream::new()),
    )
}

/// The expansion of an interceptor fn whose signature is wrong, to go with the errors.
pub(crate) fn fallback(
    rt: &Path,
    item: &ItemFn,
    sig: &Signature<'_>,
    target: &Target<'_>,
) -> TokenStream {
    let expansion = Expansion::new(rt, item, sig, target);
    let uses = expansion.wrong_type_uses();
    if sig.receiver.is_some() {
        // A method: the struct could not go where it is, so only the method is kept.
        return expansion.inner_fn(true, false, uses);
    }
    let inner = expansion.inner_fn(true, false, TokenStream::new());
    expansion.interceptor(None, quote!(#uses #inner))
}

/// The expansion of an interceptor method whose signature is wrong, to go with the errors:
/// the method and a `CallInterceptor` impl that does not call it.
pub(crate) fn fallback_method(
    rt: &Path,
    item: &ItemFn,
    sig: &Signature<'_>,
    target: &Target<'_>,
) -> (TokenStream, TokenStream) {
    let expansion = Expansion::new(rt, item, sig, target);
    let method = expansion.inner_fn(true, false, expansion.wrong_type_uses());
    (method, expansion.interceptor(None, TokenStream::new()))
}

/// How the trait method that calls the user's fn has the context.
#[derive(Clone, Copy)]
enum ContextArg {
    /// `intercept_owned`: `mut context: Context`.
    Owned,
    /// `intercept`: `context: &mut Context`.
    Borrowed,
}

struct Expansion<'a> {
    rt: &'a Path,
    item: &'a ItemFn,
    sig: &'a Signature<'a>,
    target: &'a Target<'a>,
    names: Names,
}

impl<'a> Expansion<'a> {
    fn new(rt: &'a Path, item: &'a ItemFn, sig: &'a Signature<'a>, target: &'a Target<'a>) -> Self {
        Self {
            rt,
            item,
            sig,
            target,
            names: Names::new(rt),
        }
    }

    /// Whether the fn takes the context by value (an `async fn`, whose future owns it).
    fn owned_context(&self) -> bool {
        matches!(self.sig.output, Some(Output::Result(_)))
    }

    /// The call of the user's fn, in the trait method that has the context as `context`.
    fn call(&self, context: ContextArg) -> TokenStream {
        let rt = self.rt;
        let ident = &self.item.sig.ident;
        let (callee, receiver) = match self.target {
            Target::Fn => (quote!(#ident), None),
            Target::Method(_) => (quote!(Self::#ident), Some(quote!(self,))),
        };
        let context = match (context, self.owned_context()) {
            (ContextArg::Owned, true) | (ContextArg::Borrowed, false) => quote!(context),
            (ContextArg::Owned, false) => quote!(&mut context),
            (ContextArg::Borrowed, true) => {
                quote!(#rt::__private::core::clone::Clone::clone(context))
            }
        };
        match self.sig.output {
            // Located on the error type: a type that is no status is reported there.
            Some(Output::Result(error)) => {
                let error = repair(error, &self.names);
                respan(
                    quote! {{
                        #[allow(unused_imports)]
                        use #rt::__private::{OtherError as _, StatusError as _};
                        // `IntoStatus`'s own fn: an error type that is no status is
                        // reported by the public trait, with no bound of the runtime's.
                        (&#rt::__private::ErrorType::<#error>::new()).status_future(
                            #callee(#receiver method, request, #context, method_name),
                            <#error as #rt::IntoStatus>::into_status,
                        )
                    }},
                    Span::call_site().located_at(error.span()),
                )
            }
            _ => quote!(#callee(#receiver method, request, #context, method_name)),
        }
    }

    /// `use` items that keep the names of the types written where others belong in use, so
    /// that their imports raise no warning beside the error.
    fn wrong_type_uses(&self) -> TokenStream {
        let sig = self.sig;
        let mut wrong: Vec<&syn::Type> = match &sig.params {
            Some(params) => params
                .iter()
                .filter(|p| p.path.is_none())
                .map(|p| p.ty)
                .collect(),
            None => sig.param_types.clone(),
        };
        if sig.params.is_none()
            && let ReturnType::Type(_, ty) = &self.item.sig.output
        {
            wrong.push(ty);
        }
        let generics: Vec<&Ident> = (self.item.sig.generics.type_params())
            .map(|p| &p.ident)
            .collect();
        let mut paths = Vec::new();
        for ty in wrong {
            type_paths(ty, &generics, &mut paths);
        }
        quote!(#(#[allow(unused_imports)] use #paths as _;)*)
    }

    /// The `CallInterceptor` impl (and, for a fn, the struct and the fn that name it):
    /// `intercept_owned` runs `owned`, with its parameters named `method`, `request`,
    /// `context` and `method_name`, and `intercept` hands it a clone of the context.
    /// Without `owned` (the fallback), `intercept` runs `prelude` and never completes.
    fn interceptor(&self, bodies: Option<Bodies>, prelude: TokenStream) -> TokenStream {
        let rt = self.rt;
        let methods = match bodies {
            Some(bodies) => methods(rt, &self.names, bodies),
            None => pending(rt, &self.names, prelude),
        };
        if let Target::Method(item_impl) = self.target {
            return trait_impl(rt, item_impl, methods);
        }
        let ident = &self.item.sig.ident;
        let vis = &self.item.vis;
        let (struct_attrs, _) = split_attrs(&self.item.attrs);
        let cfgs: Vec<&Attribute> = (struct_attrs.iter().copied())
            .filter(|a| a.path().is_ident("cfg"))
            .collect();
        quote! {
            #(#struct_attrs)*
            #[allow(non_camel_case_types)]
            #[derive(
                #rt::__private::core::clone::Clone,
                #rt::__private::core::marker::Copy,
                #rt::__private::core::fmt::Debug,
                #rt::__private::core::default::Default,
            )]
            #vis struct #ident {}

            #(#cfgs)*
            #[automatically_derived]
            #[allow(unused_qualifications)]
            impl #rt::CallInterceptor for #ident {
                #methods
            }

            #(#cfgs)*
            #[automatically_derived]
            impl #rt::__private::InterceptorFn for #ident {
                const INSTANCE: &'static Self = &#ident {};
            }

            #(#cfgs)*
            #[doc(hidden)]
            #[inline(always)]
            #[allow(non_snake_case)]
            #vis const fn #ident() -> #ident {
                #ident {}
            }
        }
    }

    /// The user's fn with the call's generic parameters added to its types. In the
    /// `fallback`, wrong parameter types are replaced by the right ones, the qualifiers an
    /// interceptor cannot have are dropped, and `prelude` goes first in the body.
    ///
    /// With `owned_context`, the fn takes the context by value and binds the user's pattern
    /// to a borrow of it at the top of the body, so that the future owns what it borrows.
    fn inner_fn(&self, fallback: bool, owned_context: bool, prelude: TokenStream) -> TokenStream {
        let rt = self.rt;
        let Names { call, next, .. } = &self.names;
        let item = self.item;
        let sig = &item.sig;
        let ident = &sig.ident;
        let receiver = self.sig.receiver.map(|r| quote!(#r,));
        let owned = Ident::new("__grpc_interceptor_context", Span::mixed_site());
        let mut borrow = TokenStream::new();
        let params = self.sig.params.as_ref().map(|params| {
            let typed = params.iter().zip(PARAMS).map(|(p, (_, name, want))| {
                let pat = p.pat;
                let ty = self.param_ty(p, name, want);
                if owned_context && want == Ref::Mut {
                    borrow = quote!(let #pat: #ty = &mut #owned;);
                    return quote!(mut #owned: #rt::Context<#call>,);
                }
                quote!(#pat: #ty,)
            });
            let typed: Vec<TokenStream> = typed.collect();
            quote!(#(#typed)*)
        });
        let output = match &sig.output {
            ReturnType::Type(arrow, ty) => {
                let ty = repair(ty, &self.names);
                quote!(#arrow #ty)
            }
            ReturnType::Default => TokenStream::new(),
        };
        // The user's generics, when the fallback keeps them: lifetimes go first.
        let lifetimes = sig.generics.lifetimes();
        let others = sig
            .generics
            .params
            .iter()
            .filter(|p| !matches!(p, GenericParam::Lifetime(_)));
        let where_clause = &sig.generics.where_clause;
        let unsafety = &sig.unsafety;
        let asyncness = &sig.asyncness;
        let block = &item.block;
        // Without its parameters, the body cannot be checked: the fn only keeps its name.
        let body = match (&params, fallback) {
            (None, _) => quote!({ #prelude loop {} }),
            (Some(_), true) => quote!({ #prelude #block }),
            (Some(_), false) if owned_context => quote!({ #borrow #block }),
            (Some(_), false) => block.to_token_stream(),
        };
        let attrs = if receiver.is_some() {
            item.attrs.iter().collect()
        } else {
            split_attrs(&item.attrs).1
        };
        let vis = receiver.as_ref().map(|_| &item.vis);
        let allow = fallback.then(|| quote!(#[allow(dead_code, unused_variables)]));
        quote! {
            #(#attrs)*
            #allow
            #vis #unsafety #asyncness fn #ident<#call, #(#lifetimes,)* #next: #rt::Chain, #(#others,)*>(
                #receiver
                #params
            ) #output #where_clause #body
        }
    }

    /// The type of one parameter: the user's, with the call's generic arguments, or the
    /// right one when the user's is wrong.
    fn param_ty(&self, p: &Param<'_>, name: &str, want: Ref) -> TokenStream {
        if p.path.is_some() {
            return repair(p.ty, &self.names).into_token_stream();
        }
        let rt = self.rt;
        let name = Ident::new(name, p.ty.span());
        let canonical = repair(&syn::parse_quote!(#rt::#name), &self.names);
        match want {
            Ref::None => quote!(#canonical),
            Ref::Shared => quote!(&#canonical),
            Ref::Mut => quote!(&mut #canonical),
        }
    }
}

/// Doc and `cfg` attributes go on the generated struct; the rest stay on the user's fn.
fn split_attrs(attrs: &[Attribute]) -> (Vec<&Attribute>, Vec<&Attribute>) {
    attrs
        .iter()
        .partition(|a| a.path().is_ident("doc") || a.path().is_ident("cfg"))
}
