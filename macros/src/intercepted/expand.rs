//! The expansion of `#[intercepted]`: every method body runs inside the interceptor chain.
//!
//! ```text
//! async fn execute(&self, mut request: Request<In>) -> Result<Response<Out>, Status> { body }
//! ```
//! becomes
//! ```text
//! async fn execute(&self, request: Request<In>) -> Result<Response<Out>, Status> {
//!     static NAME: OnceLock<MethodName> = ..;
//!     let state = CallState::default();
//!     serve(&(&(a), &(b),), name, (request mode, response mode), request, &state,
//!           move |mut request: Request<In>, _| async move { body }).await
//! }
//! ```
//! The signature keeps the request parameter's name, so that attributes on the method that
//! name it (`#[tracing::instrument(skip(request))]`, expanded after this one and after
//! `#[async_trait]`) find it; only a pattern that binds no single name (`_`, a
//! destructuring) is renamed there, as async-trait itself does.
//! The modes (a message or a stream, each way) are chosen by the types, where they are
//! known: each side's body type is probed by method resolution (see the runtime's
//! `probe` module), so that aliases and re-exports of tonic's types make no difference.
//! Associated types (in a tonic service trait, all are response streams) become
//! `InterceptedStream<T>`; inside the bodies, `Self::T` still means the type the user
//! wrote, through `<Self::T as HandlerStream>::Stream`.

use std::collections::HashSet;

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, GenericArgument, Ident, ImplItem, ItemImpl, Pat, Path, PathArguments, Type};

use super::args::{InterceptedArgs, is_helper};
use super::validate::{Method, Service};
use crate::common::diag::respan;

pub(crate) fn expand(
    rt: &Path,
    args: &InterceptedArgs,
    item: &ItemImpl,
    service: &Service<'_>,
) -> syn::Result<TokenStream> {
    let service_name = match &args.service {
        Some(name) => quote!(#name),
        None => {
            let server = server_path(service.trait_path);
            quote!(<#server<()> as #rt::__private::tonic::server::NamedService>::NAME)
        }
    };
    let interceptors: Vec<TokenStream> = args
        .interceptors
        .iter()
        .map(|expr| {
            // Spanned on the entry: one that is no interceptor is reported there, once.
            let span = Span::call_site().located_at(expr.span());
            quote_spanned!(span=> #rt::__private::entry(
                (&#rt::__private::Checked(&(#expr))).__grpc_interceptor_checked(),
                #rt::CallInterceptor::__grpc_interceptor_check,
            ))
        })
        .collect();
    let interceptors = interceptor_tuple(&interceptors);
    let interceptors = quote!(&#interceptors);

    let mut item = item.clone();
    for (index, impl_item) in item.items.iter_mut().enumerate() {
        match impl_item {
            ImplItem::Type(t) => {
                let ty = &t.ty;
                let wrapped = quote!(#rt::__private::InterceptedStream<#ty>);
                let span = Span::call_site().located_at(ty.span());
                t.ty = syn::parse2(respan(wrapped, span))?;
            }
            ImplItem::Fn(f) => {
                f.attrs.retain(|a| !is_helper(a));
                let Some(method) = service.methods.get(&index) else {
                    continue;
                };
                let body = MethodBody {
                    rt,
                    interceptors: &interceptors,
                    service_name: &service_name,
                    streams: &service.streams,
                };
                f.block = syn::parse2(body.expand(f, method))?;
                if let Some(FnArg::Typed(request)) = f.sig.inputs.iter_mut().nth(1) {
                    let ident = request_binding(method.request.0);
                    *request.pat = syn::parse_quote!(#ident);
                }
            }
            _ => {}
        }
    }
    add_async_trait(&mut item, rt);
    Ok(quote!(#item))
}

/// The interceptors as one tuple, the first outermost. Tuples are interceptors up to 12
/// entries, so a longer list nests its tail in the twelfth: `(a, .., k, (l, m, ..))` runs
/// in the same order.
fn interceptor_tuple(entries: &[TokenStream]) -> TokenStream {
    const MAX: usize = 12;
    match entries.split_at_checked(MAX - 1) {
        Some((head, tail)) if entries.len() > MAX => {
            let tail = interceptor_tuple(tail);
            quote!((#(#head,)* #tail,))
        }
        _ => quote!((#(#entries,)*)),
    }
}

/// `#[async_trait]` on the impl, unless it is there already: tonic's traits need it.
pub(crate) fn add_async_trait(item: &mut ItemImpl, rt: &Path) {
    if !item.attrs.iter().any(|a| {
        a.path()
            .segments
            .last()
            .is_some_and(|s| s.ident == "async_trait")
    }) {
        item.attrs
            .push(syn::parse_quote!(#[#rt::__private::tonic::async_trait]));
    }
}

/// The name the signature gives the request: the user's own, when the pattern is one name
/// (`mut` and `ref` go with the pattern to the handler, as async-trait also drops them from
/// the signature), or a hygienic one.
fn request_binding(pat: &Pat) -> Ident {
    match pat {
        Pat::Ident(p) if p.subpat.is_none() => p.ident.clone(),
        _ => Ident::new("__grpc_interceptor_request", Span::mixed_site()),
    }
}

struct MethodBody<'a> {
    rt: &'a Path,
    interceptors: &'a TokenStream,
    service_name: &'a TokenStream,
    streams: &'a HashSet<&'a Ident>,
}

impl MethodBody<'_> {
    fn expand(&self, f: &syn::ImplItemFn, method: &Method<'_>) -> TokenStream {
        let rt = self.rt;
        let service_name = self.service_name;
        let interceptors = if method.args.skip.is_present() {
            quote!(&())
        } else {
            self.interceptors.clone()
        };
        let proto_name = match &method.args.name {
            Some(name) => quote!(#name),
            None => {
                let name = upper_camel(&f.sig.ident);
                quote!(#name)
            }
        };
        let (request_pat, request_ty) = method.request;
        let request_ty = self.rewrite(quote!(#request_ty));
        let (output, output_span) = match &f.sig.output {
            syn::ReturnType::Type(_, ty) => (self.rewrite(quote!(#ty)), body_span(ty)),
            syn::ReturnType::Default => (quote!(()), f.sig.ident.span()),
        };
        let request = request_binding(request_pat);
        // Spanned on the user's types: a body that is neither a message nor a stream is
        // reported there, once.
        let request_span = Span::call_site().located_at(body_span(method.request.1));
        let request_mode = quote_spanned! {request_span=>
            (&#rt::__private::Probe::<
                <#request_ty as #rt::__private::HandlerRequest>::Body,
            >::new())
            .__grpc_interceptor_request_mode()
        };
        let request_mode = self.checked_mode(request_mode, "InterceptableRequest", request_span);
        let response_span = Span::call_site().located_at(output_span);
        let response_mode = quote_spanned! {response_span=>
            (&&#rt::__private::Probe::<
                <#output as #rt::__private::HandlerOutput>::Body,
            >::new())
            .__grpc_interceptor_response_mode()
        };
        let response_mode =
            self.checked_mode(response_mode, "InterceptableResponse", response_span);
        let block = &f.block;
        let body = self.rewrite(quote!(#block));
        let context = match &method.args.context {
            Some(ident) => quote!(#[allow(unused_mut)] mut #ident),
            None => quote!(_),
        };
        quote! {{
            #[allow(unused_imports)]
            use #rt::__private::{
                CheckedInterceptor as _, CheckedReference as _, InterceptorEntry as _, ProbeRequestMessage as _,
                ProbeRequestOther as _, ProbeResponseMessage as _, ProbeResponseOther as _,
                ProbeResponseStream as _,
            };
            static __GRPC_INTERCEPTOR_METHOD: #rt::__private::OnceLock<#rt::MethodName> =
                #rt::__private::OnceLock::new();
            let __grpc_interceptor_state = #rt::__private::CallState::default();
            #rt::__private::serve(
                #interceptors,
                #rt::__private::method_name(&__GRPC_INTERCEPTOR_METHOD, #service_name, #proto_name),
                (#request_mode, #response_mode),
                #request,
                &__grpc_interceptor_state,
                move |#request_pat: #request_ty, #context| async move {
                    #[allow(unreachable_code, clippy::diverging_sub_expression)]
                    if let #rt::__private::core::option::Option::Some(__grpc_interceptor_ret) =
                        #rt::__private::core::option::Option::None::<#output>
                    {
                        return __grpc_interceptor_ret;
                    }
                    let __grpc_interceptor_ret: #output = #body;
                    #[allow(unreachable_code)]
                    __grpc_interceptor_ret
                },
            )
            .await
        }}
    }

    /// `mode`, checked with `trait_name` (`InterceptableRequest` or `InterceptableResponse`):
    /// the check is of `()` for a mode that serves the body, and fails for a body that no
    /// mode serves, naming it, on `span` and with a public trait only.
    fn checked_mode(&self, mode: TokenStream, trait_name: &str, span: Span) -> TokenStream {
        let rt = self.rt;
        let trait_name = Ident::new(trait_name, span);
        let check = respan(
            quote!(#rt::server::#trait_name::__grpc_interceptor_check),
            span,
        );
        let subject = respan(
            quote!(#rt::__private::ModeSubject::__grpc_interceptor_subject),
            span,
        );
        quote_spanned! {span=>
            {
                let __grpc_interceptor_mode = #mode;
                #check(#subject(&__grpc_interceptor_mode));
                __grpc_interceptor_mode
            }
        }
    }

    /// Replaces `Self::Stream` with the type the user wrote for it, which the expansion
    /// wrapped: `<Self::Stream as HandlerStream>::Stream`.
    fn rewrite(&self, tokens: TokenStream) -> TokenStream {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        let mut out = TokenStream::new();
        let mut rest = tokens.as_slice();
        while let Some((first, tail)) = rest.split_first() {
            if let (
                TokenTree::Ident(id),
                [
                    TokenTree::Punct(a),
                    TokenTree::Punct(b),
                    TokenTree::Ident(name),
                    after @ ..,
                ],
            ) = (first, tail)
                && id == "Self"
                && a.as_char() == ':'
                && b.as_char() == ':'
                && self.streams.contains(&name)
            {
                let rt = self.rt;
                out.extend(quote!(<#id::#name as #rt::__private::HandlerStream>::Stream));
                rest = after;
                continue;
            }
            match first {
                TokenTree::Group(g) => {
                    let mut group = Group::new(g.delimiter(), self.rewrite(g.stream()));
                    group.set_span(g.span());
                    out.extend([TokenTree::Group(group)]);
                }
                other => out.extend([other.clone()]),
            }
            rest = tail;
        }
        out
    }
}

/// Where to report a body type that is neither a message nor a stream: the innermost first
/// type argument (`Note` in `tonic::Request<Note>` or in `Result<tonic::Response<Note>, _>`).
/// Only the caret depends on this; the mode is the types'.
fn body_span(mut ty: &Type) -> Span {
    while let Type::Path(path) = ty
        && let Some(PathArguments::AngleBracketed(args)) =
            path.path.segments.last().map(|s| &s.arguments)
        && let Some(GenericArgument::Type(inner)) = args
            .args
            .iter()
            .find(|a| matches!(a, GenericArgument::Type(_)))
    {
        ty = inner;
    }
    ty.span()
}

/// The tonic server struct beside the trait: `a::Greeter` gives `a::GreeterServer`, so a
/// trait named by its path needs no import. Located at the trait's name, from the macro:
/// when it is not found, rustc's error is there and also points at the attribute that
/// looked for it. No fallback can turn that error into one of ours: a name that is only
/// used when the user's is missing would have to be a glob import beside the user's, and
/// it would make their own glob import of the server module ambiguous.
fn server_path(trait_path: &Path) -> Path {
    let mut path = trait_path.clone();
    if let Some(last) = path.segments.last_mut() {
        let span = Span::call_site().located_at(last.ident.span());
        last.ident = format_ident!("{}Server", last.ident, span = span);
        last.arguments = PathArguments::None;
    }
    path
}

/// The proto name tonic-build derived `ident` from: `execute_server_stream` gives
/// `ExecuteServerStream`.
pub(crate) fn upper_camel(ident: &Ident) -> String {
    let name = ident.to_string();
    let name = name.strip_prefix("r#").unwrap_or(&name);
    name.split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nests_long_interceptor_lists_in_tuples_of_twelve() {
        let entries = |n: usize| -> Vec<TokenStream> {
            (0..n)
                .map(|i| quote::ToTokens::to_token_stream(&format_ident!("i{i}")))
                .collect()
        };
        let tuple = |n: usize| syn::parse2::<syn::TypeTuple>(interceptor_tuple(&entries(n)));
        let arity = |t: &syn::TypeTuple| t.elems.len();
        assert_eq!(arity(&tuple(12).unwrap()), 12);
        let fourteen = tuple(14).unwrap();
        assert_eq!(arity(&fourteen), 12);
        let Some(syn::Type::Tuple(tail)) = fourteen.elems.last() else {
            panic!("the tail is nested")
        };
        assert_eq!(
            quote!(#tail).to_string(),
            quote!((i11, i12, i13,)).to_string()
        );
        // 11 + 11 + 12: two levels of nesting, every tuple within the limit.
        let thirty_four = tuple(34).unwrap();
        let Some(syn::Type::Tuple(second)) = thirty_four.elems.last() else {
            panic!("nested")
        };
        let Some(syn::Type::Tuple(third)) = second.elems.last() else {
            panic!("nested twice")
        };
        assert_eq!((arity(second), arity(third)), (12, 12));
    }

    #[test]
    fn keeps_the_request_name_of_a_one_name_pattern_only() {
        let name = |pat: Pat| request_binding(&pat).to_string();
        assert_eq!(name(syn::parse_quote!(request)), "request");
        assert_eq!(name(syn::parse_quote!(mut req)), "req");
        assert_eq!(name(syn::parse_quote!(ref req)), "req");
        assert_eq!(name(syn::parse_quote!(_)), "__grpc_interceptor_request");
        assert_eq!(name(syn::parse_quote!(r @ _)), "__grpc_interceptor_request");
    }

    #[test]
    fn derives_proto_names_and_server_paths() {
        assert_eq!(
            upper_camel(&format_ident!("execute_server_stream")),
            "ExecuteServerStream"
        );
        assert_eq!(upper_camel(&format_ident!("execute")), "Execute");
        assert_eq!(
            upper_camel(&Ident::new_raw("type", Span::call_site())),
            "Type"
        );
        let path: Path = syn::parse_quote!(pb::greeter_server::Greeter);
        let server = server_path(&path);
        assert_eq!(
            quote!(#server).to_string(),
            quote!(pb::greeter_server::GreeterServer).to_string()
        );
    }
}
