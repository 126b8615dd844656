//! What `#[intercepted]` accepts: the `async fn`s of a tonic service trait impl.

use std::collections::{HashMap, HashSet};

use proc_macro2::{Span, TokenStream};
use syn::{
    FnArg, GenericArgument, GenericParam, Ident, ImplItem, ImplItemFn, ItemImpl, Pat, Path,
    PathArguments, ReturnType, Type,
};

use super::args::MethodArgs;
use super::expand::upper_camel;
use crate::common::diag::Errors;

/// A validated service impl.
pub(crate) struct Service<'a> {
    pub(crate) trait_path: &'a Path,
    /// The names of the associated types: in a tonic service trait, all are response
    /// streams.
    pub(crate) streams: HashSet<&'a Ident>,
    /// The methods, by their position in the impl's items: a name can be there twice,
    /// under `#[cfg(...)]` and `#[cfg(not(...))]`, and each is expanded as written.
    pub(crate) methods: HashMap<usize, Method<'a>>,
}

/// One service method.
pub(crate) struct Method<'a> {
    pub(crate) args: MethodArgs,
    pub(crate) request: (&'a Pat, &'a Type),
}

pub(crate) fn not_an_impl(args: &TokenStream, item: &TokenStream) -> syn::Error {
    if is_method_options(args) && syn::parse2::<ImplItemFn>(item.clone()).is_ok() {
        return syn::Error::new(
            Span::call_site(),
            "the method options of `#[intercepted]` work only in an impl that has `#[intercepted(...)]`\n\nhelp: list the interceptors on the impl: `#[intercepted(require_token, log_calls)]` above `#[tonic::async_trait]`",
        );
    }
    let span = item
        .clone()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |t| t.span());
    let message = "`#[intercepted]` can only be applied to the impl of a tonic service trait, e.g. `impl Greeter for MyGreeter`";
    if syn::parse2::<ImplItemFn>(item.clone()).is_ok() {
        let help = "to make a fn an interceptor, use `#[interceptor]`; `#[intercepted(...)]` lists interceptors on a service impl";
        return syn::Error::new(span, format!("{message}\n\nhelp: {help}"));
    }
    syn::Error::new(span, message)
}

/// Whether `args` are `skip`, `name = ".."` or `context = ..`: the options of one method.
fn is_method_options(args: &TokenStream) -> bool {
    let attr: syn::Attribute = syn::parse_quote!(#[intercepted(#args)]);
    !args.is_empty() && MethodArgs::read(&[attr]).is_ok()
}

pub(crate) fn service(item: &ItemImpl) -> syn::Result<Service<'_>> {
    let mut errors = Errors::default();
    let Some((_, trait_path, _)) = &item.trait_ else {
        let ty = &item.self_ty;
        let ty = match &**ty {
            Type::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
                quote::quote!(#ty).to_string()
            }
            _ => "MyService".to_owned(),
        };
        return Err(syn::Error::new_spanned(
            &item.self_ty,
            format!(
                "`#[intercepted]` applies to the impl of a tonic service trait, not to an inherent impl\n\nhelp: implement the trait tonic generated for the service: `impl Greeter for {ty}`"
            ),
        ));
    };
    let stream_types: Vec<(&Ident, &Type)> = item
        .items
        .iter()
        .filter_map(|i| match i {
            ImplItem::Type(t) => Some((&t.ident, &t.ty)),
            _ => None,
        })
        .collect();
    let streams = stream_types.iter().map(|(name, _)| *name).collect();
    let mut methods = HashMap::new();
    let mut below_async_trait = false;
    for (index, item) in item.items.iter().enumerate() {
        let ImplItem::Fn(f) = item else { continue };
        if is_async_trait_output(f) {
            if !below_async_trait {
                errors.push(syn::Error::new(
                    Span::call_site(),
                    "`#[intercepted]` must be placed above `#[tonic::async_trait]`\n\nhelp: put `#[intercepted(...)]` first, then `#[tonic::async_trait]`, then `impl ...`",
                ));
            }
            below_async_trait = true;
            continue;
        }
        let args = match MethodArgs::read(&f.attrs) {
            Ok(args) => args,
            Err(err) => {
                errors.push(err.into());
                continue;
            }
        };
        match method(f, args) {
            Ok(m) => {
                methods.insert(index, m);
            }
            Err(err) => errors.push(err),
        }
        if let Some(err) = stream_by_its_type(f, &stream_types) {
            errors.push(err);
        }
    }
    errors.finish()?;
    Ok(Service {
        trait_path,
        streams,
        methods,
    })
}

/// A return type that names the type an associated stream type is defined as, instead of
/// `Self::X`: right without `#[intercepted]`, which wraps `X`, so that the two no longer
/// agree (and rustc's errors would name the wrapper).
fn stream_by_its_type(f: &ImplItemFn, stream_types: &[(&Ident, &Type)]) -> Option<syn::Error> {
    let ReturnType::Type(_, output) = &f.sig.output else {
        return None;
    };
    // Of several stream types defined alike, the method's own (tonic's `{Method}Stream`).
    let own = format!("{}Stream", upper_camel(&f.sig.ident));
    let (found, name) = stream_types
        .iter()
        .filter_map(|(name, ty)| Some((find_type(output, ty)?, *name)))
        .min_by_key(|(_, name)| **name != own)?;
    Some(syn::Error::new_spanned(
        found,
        format!(
            "the response stream must be named `Self::{name}` in an `#[intercepted]` impl\n\nhelp: `#[intercepted]` wraps `type {name}` to run the interceptors on its messages, so the type it is defined as is no longer the same type; write `Self::{name}` here"
        ),
    ))
}

/// `target` as it is written inside `ty`, if it is.
fn find_type<'a>(ty: &'a Type, target: &Type) -> Option<&'a Type> {
    if ty == target {
        return Some(ty);
    }
    match ty {
        Type::Path(path) => path.path.segments.iter().find_map(|segment| {
            let PathArguments::AngleBracketed(args) = &segment.arguments else {
                return None;
            };
            args.args.iter().find_map(|arg| match arg {
                GenericArgument::Type(inner) => find_type(inner, target),
                _ => None,
            })
        }),
        Type::Paren(inner) => find_type(&inner.elem, target),
        Type::Group(inner) => find_type(&inner.elem, target),
        Type::Tuple(tuple) => tuple.elems.iter().find_map(|t| find_type(t, target)),
        _ => None,
    }
}

/// `#[async_trait]` has already turned this `async fn` into a `fn` returning a boxed future.
pub(crate) fn is_async_trait_output(f: &ImplItemFn) -> bool {
    f.sig
        .generics
        .params
        .iter()
        .any(|p| matches!(p, GenericParam::Lifetime(l) if l.lifetime.ident == "async_trait"))
}

fn method(f: &ImplItemFn, args: MethodArgs) -> syn::Result<Method<'_>> {
    if f.sig.asyncness.is_none() {
        return Err(syn::Error::new_spanned(
            f.sig.fn_token,
            format!(
                "`#[intercepted]` expects the `async fn`s of a tonic service trait\n\nhelp: write `async fn {}`, as in the trait tonic generated",
                f.sig.ident
            ),
        ));
    }
    let mut inputs = f.sig.inputs.iter();
    let request = match (inputs.next(), inputs.next(), inputs.next()) {
        (Some(FnArg::Receiver(_)), Some(FnArg::Typed(request)), None) => {
            (&*request.pat, &*request.ty)
        }
        _ => {
            return Err(syn::Error::new_spanned(
                &f.sig.inputs,
                "a tonic service method takes `&self` and one request\n\nhelp: the signature is `async fn name(&self, request: tonic::Request<Message>) -> Result<tonic::Response<Reply>, tonic::Status>`",
            ));
        }
    };
    Ok(Method { args, request })
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    #[test]
    fn reads_methods_stream_names_and_options_but_not_modes() {
        // Modes come from the types, in the expansion: no spelling is looked at here.
        let item: ItemImpl = parse_quote! {
            impl Svc for S {
                type OutStream = Box<dyn Stream>;
                async fn unary(&self, r: Request<M>) -> Result<Response<M>, Status> { todo!() }
                async fn client(&self, r: Incoming<M>) -> Result<Response<M>, Status> { todo!() }
                async fn server(&self, r: Request<M>) -> Result<Response<Self::OutStream>, Status> { todo!() }
                #[intercepted(skip)]
                async fn skipped(&self, r: Request<M>) -> Result<Response<M>, Status> { todo!() }
            }
        };
        let service = service(&item).unwrap();
        let names: Vec<String> = service.streams.iter().map(|i| i.to_string()).collect();
        assert_eq!(names, ["OutStream"]);
        assert_eq!(service.methods.len(), 4);
        let ty = service.methods[&2].request.1;
        assert_eq!(ty, &parse_quote!(Incoming<M>));
        assert!(service.methods[&4].args.skip.is_present());
        assert!(!service.methods[&1].args.skip.is_present());
    }

    #[test]
    fn keeps_each_cfg_alternative_of_a_method_apart() {
        let item: ItemImpl = parse_quote! {
            impl Svc for S {
                #[cfg(unix)]
                async fn f(&self, request: Request<M>) -> Result<Response<M>, Status> { todo!() }
                #[cfg(not(unix))]
                #[intercepted(skip)]
                async fn f(&self, req: Single) -> Result<Response<M>, Status> { todo!() }
            }
        };
        let service = service(&item).unwrap();
        let request: Pat = parse_quote!(request);
        let req: Pat = parse_quote!(req);
        assert_eq!(service.methods[&0].request.0, &request);
        assert_eq!(service.methods[&1].request.0, &req);
        assert!(!service.methods[&0].args.skip.is_present());
        assert!(service.methods[&1].args.skip.is_present());
    }

    #[test]
    fn asks_for_self_stream_where_a_signature_names_the_type_behind_it() {
        let err = |item: ItemImpl| {
            service(&item)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        let concrete = err(parse_quote! {
            impl Svc for S {
                type AStream = Outputs;
                type BStream = Outputs;
                async fn b(&self, r: Request<M>) -> Result<Response<Outputs>, Status> { todo!() }
            }
        });
        assert!(
            concrete.starts_with("the response stream must be named `Self::BStream`"),
            "{concrete}"
        );
        let aliased = err(parse_quote! {
            impl Svc for S {
                type AStream = Pin<Box<dyn Stream<Item = Result<M, Status>> + Send>>;
                async fn a(&self, r: Request<M>) -> Reply<Pin<Box<dyn Stream<Item = Result<M, Status>> + Send>>> { todo!() }
            }
        });
        assert!(aliased.contains("`Self::AStream`"), "{aliased}");
        let fine = err(parse_quote! {
            impl Svc for S {
                type AStream = Outputs;
                async fn a(&self, r: Request<M>) -> Result<Response<Self::AStream>, Status> { todo!() }
                async fn u(&self, r: Request<Outputs>) -> Result<Response<M>, Status> { todo!() }
            }
        });
        assert_eq!(fine, "");
    }

    #[test]
    fn rejects_inherent_impls_non_async_methods_and_the_wrong_attribute_order() {
        let err = |item: ItemImpl| {
            service(&item)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(
            err(parse_quote!(impl S { async fn f(&self, r: R) {} }))
                .contains("not to an inherent impl")
        );
        assert!(
            err(parse_quote!(impl T for S { fn f(&self, r: R) {} }))
                .contains("expects the `async fn`s")
        );
        assert!(
            err(parse_quote!(impl T for S { async fn f(&self) {} }))
                .contains("takes `&self` and one request")
        );
        let below = err(parse_quote! {
            impl T for S {
                fn f<'life0, 'async_trait>(&'life0 self) -> Pin<Box<dyn Future<Output = ()> + Send + 'async_trait>> { todo!() }
            }
        });
        assert!(
            below.contains("must be placed above `#[tonic::async_trait]`"),
            "{below}"
        );
    }

    #[test]
    fn tells_method_options_and_fns_from_other_items() {
        let err = |args: TokenStream, item: TokenStream| not_an_impl(&args, &item).to_string();
        let options = err(
            quote::quote!(skip),
            quote::quote!(
                async fn f(&self) {}
            ),
        );
        assert!(
            options.contains("work only in an impl that has"),
            "{options}"
        );
        let on_fn = err(
            quote::quote!(auth),
            quote::quote!(
                async fn f() {}
            ),
        );
        assert!(on_fn.contains("use `#[interceptor]`"), "{on_fn}");
        let on_struct = err(
            quote::quote!(auth),
            quote::quote!(
                struct S;
            ),
        );
        assert!(!on_struct.contains("help:"), "{on_struct}");
    }
}
