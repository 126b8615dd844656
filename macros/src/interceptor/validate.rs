//! The signature rules of `#[interceptor]`, checked on syn nodes.

use proc_macro2::TokenStream;
use syn::spanned::Spanned;
use syn::{FnArg, GenericArgument, Pat, Path, PathArguments, ReturnType, Type};

use crate::common::diag::Errors;

const SIGNATURE: &str =
    "(method: Next<'_>, request: Request, context: &mut Context, method_name: &MethodName)";

/// A validated interceptor signature: the parameter patterns and the user's type paths,
/// to which the expansion adds the generic arguments.
pub(crate) struct Signature<'a> {
    pub(crate) method: (&'a Pat, &'a Path),
    pub(crate) request: (&'a Pat, &'a Path),
    pub(crate) context: (&'a Pat, &'a Path),
    pub(crate) method_name: (&'a Pat, &'a Type),
    pub(crate) output: Output<'a>,
}

pub(crate) enum Output<'a> {
    /// `Result<Response, E>` of an `async fn`: the `Result` path, `Response` path and `E`.
    Result(&'a Path, &'a Path, &'a Type),
    /// `Reply` of a plain `fn`.
    Reply(&'a Path),
}

pub(crate) fn not_a_fn(item: &TokenStream) -> syn::Error {
    let span = item
        .clone()
        .into_iter()
        .next()
        .map_or_else(proc_macro2::Span::call_site, |t| t.span());
    syn::Error::new(
        span,
        "`#[interceptor]` can only be applied to a `fn` or an `async fn`\n\nhelp: to make a type an interceptor, implement `grpc_interceptor::CallInterceptor` for it",
    )
}

pub(crate) fn signature(sig: &syn::Signature) -> syn::Result<Signature<'_>> {
    let mut errors = Errors::default();
    if let Some(constness) = &sig.constness {
        errors.push_spanned(
            constness,
            "`#[interceptor]` cannot be applied to a `const fn`",
        );
    }
    if let Some(unsafety) = &sig.unsafety {
        errors.push_spanned(
            unsafety,
            "`#[interceptor]` cannot be applied to an `unsafe fn`",
        );
    }
    if let Some(abi) = &sig.abi {
        errors.push_spanned(abi, "`#[interceptor]` cannot be applied to an `extern` fn");
    }
    if let Some(variadic) = &sig.variadic {
        errors.push_spanned(
            variadic,
            "`#[interceptor]` cannot be applied to a variadic fn",
        );
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.push_spanned(
            &sig.generics,
            "`#[interceptor]` functions cannot have generic parameters\n\nhelp: an interceptor is already generic over the call; for a generic interceptor type, implement `grpc_interceptor::CallInterceptor` by hand",
        );
    }
    let inputs: Vec<_> = sig.inputs.iter().collect();
    let mut typed = Vec::new();
    for input in &inputs {
        match input {
            FnArg::Receiver(receiver) => errors.push_spanned(
                receiver,
                "`#[interceptor]` takes a free function, not a method with `self`\n\nhelp: to give an interceptor state, implement `grpc_interceptor::CallInterceptor` for your type",
            ),
            FnArg::Typed(pat_type) => typed.push(pat_type),
        }
    }
    let output = output(sig, &mut errors);
    if inputs.len() != 4 {
        errors.push(syn::Error::new(
            sig.paren_token.span.join(),
            format!("an interceptor takes 4 parameters, found {}\n\nhelp: the signature is `{SIGNATURE}`", inputs.len()),
        ));
    }
    let params = match (inputs.len(), typed.as_slice()) {
        (4, [method, request, context, name]) => Some((
            (
                method,
                path_param(&method.ty, "method", "Next", Ref::None, &mut errors),
            ),
            (
                request,
                path_param(&request.ty, "request", "Request", Ref::None, &mut errors),
            ),
            (
                context,
                path_param(&context.ty, "context", "Context", Ref::Mut, &mut errors),
            ),
            (
                name,
                path_param(
                    &name.ty,
                    "method_name",
                    "MethodName",
                    Ref::Shared,
                    &mut errors,
                ),
            ),
        )),
        _ => None,
    };
    errors.finish()?;
    match (params, output) {
        (
            Some(((m, Some(method)), (r, Some(request)), (c, Some(context)), (n, Some(_)))),
            Some(output),
        ) => Ok(Signature {
            method: (&m.pat, method),
            request: (&r.pat, request),
            context: (&c.pat, context),
            method_name: (&n.pat, &n.ty),
            output,
        }),
        _ => Err(syn::Error::new(sig.span(), "invalid interceptor signature")),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Ref {
    None,
    Shared,
    Mut,
}

/// Checks that `ty` is `Name`, `&Name` or `&mut Name` (any path ending in `Name`, with at
/// most a lifetime argument) and returns that path.
fn path_param<'a>(
    ty: &'a Type,
    param: &str,
    name: &str,
    want: Ref,
    errors: &mut Errors,
) -> Option<&'a Path> {
    let expected = match want {
        Ref::None => format!("`{name}`"),
        Ref::Shared => format!("`&{name}`"),
        Ref::Mut => format!("`&mut {name}`"),
    };
    let inner = match (want, ty) {
        (Ref::None, Type::Path(_)) => ty,
        (Ref::Shared, Type::Reference(r)) if r.mutability.is_none() => &*r.elem,
        (Ref::Mut, Type::Reference(r)) if r.mutability.is_some() => &*r.elem,
        _ => {
            errors.push_spanned(ty, format!("the `{param}` parameter of an interceptor must be {expected}\n\nhelp: the signature is `{SIGNATURE}`"));
            return None;
        }
    };
    match inner {
        Type::Path(p)
            if p.qself.is_none() && ends_with(&p.path, name) && at_most_lifetime(&p.path) =>
        {
            Some(&p.path)
        }
        _ => {
            errors.push_spanned(ty, format!("the `{param}` parameter of an interceptor must be {expected}\n\nhelp: the signature is `{SIGNATURE}`"));
            None
        }
    }
}

fn ends_with(path: &Path, name: &str) -> bool {
    path.segments.last().is_some_and(|s| s.ident == name)
}

fn at_most_lifetime(path: &Path) -> bool {
    match path.segments.last().map(|s| &s.arguments) {
        Some(PathArguments::None) => true,
        Some(PathArguments::AngleBracketed(args)) => {
            args.args.len() == 1 && matches!(args.args.first(), Some(GenericArgument::Lifetime(_)))
        }
        _ => false,
    }
}

fn output<'a>(sig: &'a syn::Signature, errors: &mut Errors) -> Option<Output<'a>> {
    let is_async = sig.asyncness.is_some();
    let (expected, hint) = if is_async {
        (
            "`Result<Response, Status>`",
            "an `async fn` interceptor returns `Result<Response, Status>` (any error type that converts into `Status` works); `Reply` is what a plain `fn` interceptor returns",
        )
    } else {
        (
            "`Reply`",
            "a plain `fn` interceptor returns the `Reply` of `method.call(request, context)`, or `Reply::error(status)`; make it an `async fn` to return `Result<Response, Status>`",
        )
    };
    let ty = match &sig.output {
        ReturnType::Type(_, ty) => &**ty,
        ReturnType::Default => {
            errors.push_spanned(
                &sig.ident,
                format!("an interceptor must return {expected}\n\nhelp: {hint}"),
            );
            return None;
        }
    };
    let found = match ty {
        Type::Path(p) if p.qself.is_none() => {
            if is_async {
                result_parts(&p.path)
                    .map(|(response, error)| Output::Result(&p.path, response, error))
            } else if ends_with(&p.path, "Reply") && at_most_lifetime(&p.path) {
                Some(Output::Reply(&p.path))
            } else {
                None
            }
        }
        _ => None,
    };
    if found.is_none() {
        errors.push_spanned(
            ty,
            format!("an interceptor must return {expected}\n\nhelp: {hint}"),
        );
    }
    found
}

/// `Result<Response, E>`: the `Response` path and `E`.
fn result_parts(path: &Path) -> Option<(&Path, &Type)> {
    let last = path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let mut types = args.args.iter();
    match (types.next(), types.next(), types.next()) {
        (Some(GenericArgument::Type(Type::Path(ok))), Some(GenericArgument::Type(err)), None)
            if ok.qself.is_none()
                && ends_with(&ok.path, "Response")
                && at_most_lifetime(&ok.path) =>
        {
            Some((&ok.path, err))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn check(item: syn::ItemFn) -> Result<bool, String> {
        signature(&item.sig)
            .map(|s| matches!(s.output, Output::Result(..)))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn accepts_the_async_and_the_plain_form() {
        let ok = check(parse_quote! {
            async fn f(m: Next<'_>, r: Request, c: &mut Context, n: &MethodName) -> Result<Response, Status> { todo!() }
        });
        assert_eq!(ok, Ok(true));
        let ok = check(parse_quote! {
            fn f(m: grpc_interceptor::Next, r: Request, c: &mut Context<'_>, _: &MethodName) -> Reply { todo!() }
        });
        assert_eq!(ok, Ok(false));
    }

    #[test]
    fn rejects_each_misuse_with_its_own_message() {
        let cases: Vec<(syn::ItemFn, &str)> = vec![
            (
                parse_quote!(
                    const fn f() {}
                ),
                "cannot be applied to a `const fn`",
            ),
            (
                parse_quote!(
                    unsafe fn f() {}
                ),
                "cannot be applied to an `unsafe fn`",
            ),
            (
                parse_quote!(
                    extern "C" fn f() {}
                ),
                "cannot be applied to an `extern` fn",
            ),
            (
                parse_quote!(
                    fn f<T>(a: Next, b: Request, c: &mut Context, d: &MethodName) -> Reply {}
                ),
                "cannot have generic parameters",
            ),
            (
                parse_quote!(
                    fn f(a: Next, b: Request) -> Reply {}
                ),
                "takes 4 parameters, found 2",
            ),
            (
                parse_quote!(
                    fn f(a: Next, b: String, c: &mut Context, d: &MethodName) -> Reply {}
                ),
                "the `request` parameter of an interceptor must be `Request`",
            ),
            (
                parse_quote!(
                    fn f(a: Next, b: Request, c: &Context, d: &MethodName) -> Reply {}
                ),
                "the `context` parameter of an interceptor must be `&mut Context`",
            ),
            (
                parse_quote!(
                    fn f(a: Next, b: Request, c: &mut Context, d: MethodName) -> Reply {}
                ),
                "the `method_name` parameter of an interceptor must be `&MethodName`",
            ),
            (
                parse_quote!(
                    fn f(a: Request, b: Request, c: &mut Context, d: &MethodName) -> Reply {}
                ),
                "the `method` parameter of an interceptor must be `Next`",
            ),
            (
                parse_quote!(
                    fn f(
                        a: Next,
                        b: Request,
                        c: &mut Context,
                        d: &MethodName,
                    ) -> Result<Response, Status> {
                    }
                ),
                "must return `Reply`",
            ),
            (
                parse_quote!(
                    async fn f(a: Next, b: Request, c: &mut Context, d: &MethodName) -> Reply {}
                ),
                "must return `Result<Response, Status>`",
            ),
            (
                parse_quote!(
                    fn f(a: Next, b: Request, c: &mut Context, d: &MethodName) {}
                ),
                "must return `Reply`",
            ),
        ];
        for (item, message) in cases {
            let err = check(item).unwrap_err();
            assert!(err.contains(message), "expected {message:?} in {err:?}");
        }
    }

    #[test]
    fn reports_all_errors_of_one_signature_at_once() {
        let item: syn::ItemFn = parse_quote!(
            const unsafe fn f(a: Next, b: String, c: &Context, d: &MethodName) -> u8 {}
        );
        let err = signature(&item.sig).err().unwrap();
        assert_eq!(err.into_iter().count(), 5);
    }
}
