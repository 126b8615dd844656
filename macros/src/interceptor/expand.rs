//! The expansion of `#[interceptor]`.
//!
//! ```text
//! #[interceptor] async fn log(method: Next<'_>, request: Request, context: &mut Context, name: &MethodName)
//!     -> Result<Response, Status> { body }
//! ```
//! becomes a unit struct `log` whose `CallInterceptor::intercept` calls the user's fn,
//! kept whole as an inner fn with the call's generic parameters added to its types.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, Ident, ItemFn, Lifetime, Path, PathArguments};

use super::args::InterceptorArgs;
use super::validate::{Output, Signature};
use crate::common::paths::runtime_path;

pub(crate) fn expand(
    args: &InterceptorArgs,
    item: &ItemFn,
    sig: &Signature<'_>,
) -> syn::Result<TokenStream> {
    let ident = &item.sig.ident;
    let rt = runtime_path(args.krate.as_ref())?;
    let call = Lifetime::new("'__grpc_interceptor_call", Span::mixed_site());
    let next = Ident::new("__GrpcInterceptorNext", Span::mixed_site());
    let chain = quote!(<#next as #rt::Chain>);

    let (method_pat, method_path) = sig.method;
    let (request_pat, request_path) = sig.request;
    let (context_pat, context_path) = sig.context;
    let (name_pat, name_ty) = sig.method_name;
    let method_ty = with_args(method_path, quote!(#call, #next));
    let request_ty = with_args(request_path, quote!(#chain::ReqBody));
    let context_ty = with_args(context_path, quote!(#call));
    let user_fn_call = quote!(#ident(method, request, context, method_name));
    let (output_ty, inner_call) = match sig.output {
        Output::Result(result, response, error) => {
            let response = with_args(response, quote!(#chain::RespBody));
            // Spanned on the error type: a type that is no status is reported there.
            let into_status = quote_spanned!(error.span()=> #rt::__private::into_status);
            (
                with_args(result, quote!(#response, #error)),
                quote!(#into_status(#user_fn_call)),
            )
        }
        Output::Reply(reply) => (with_args(reply, quote!(#next)), user_fn_call),
    };

    let vis = &item.vis;
    let asyncness = &item.sig.asyncness;
    let block = &item.block;
    let (struct_attrs, fn_attrs) = split_attrs(&item.attrs);
    let cfgs = struct_attrs.iter().filter(|a| a.path().is_ident("cfg"));
    let output_span = match &item.sig.output {
        syn::ReturnType::Type(_, ty) => ty.span(),
        syn::ReturnType::Default => item.sig.ident.span(),
    };
    let output_ty = quote_spanned!(output_span=> #output_ty);

    Ok(quote! {
        #(#struct_attrs)*
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug, Default)]
        #vis struct #ident;

        #(#cfgs)*
        #[automatically_derived]
        #[allow(unused_qualifications)]
        impl #rt::CallInterceptor for #ident {
            #[inline]
            fn intercept<#call, #next: #rt::Chain>(
                &self,
                method: #rt::Next<#call, #next>,
                request: #rt::Request<#chain::ReqBody>,
                context: &mut #rt::Context<#call>,
                method_name: &#rt::MethodName,
            ) -> impl #rt::__private::core::future::Future<
                Output = #rt::__private::core::result::Result<#rt::Response<#chain::RespBody>, #rt::Status>,
            > + #rt::__private::core::marker::Send {
                #(#fn_attrs)*
                #asyncness fn #ident<#call, #next: #rt::Chain>(
                    #method_pat: #method_ty,
                    #request_pat: #request_ty,
                    #context_pat: &mut #context_ty,
                    #name_pat: #name_ty,
                ) -> #output_ty #block
                #inner_call
            }
        }
    })
}

/// `path` with the generic arguments of its last segment replaced by `args`.
fn with_args(path: &Path, args: TokenStream) -> TokenStream {
    let mut path = path.clone();
    if let Some(last) = path.segments.last_mut() {
        last.arguments = PathArguments::None;
    }
    let span = path.span();
    quote_spanned!(span=> #path<#args>)
}

/// Doc and `cfg` attributes go on the generated struct; the rest stay on the user's fn.
fn split_attrs(attrs: &[Attribute]) -> (Vec<&Attribute>, Vec<&Attribute>) {
    attrs
        .iter()
        .partition(|a| a.path().is_ident("doc") || a.path().is_ident("cfg"))
}
