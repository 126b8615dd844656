//! The signature rules of `#[interceptor]`, checked on syn nodes.
//!
//! Validation never stops at the first problem: it reports every error of the signature and
//! still returns what it could read, so that the fallback expansion can keep the user's fn
//! (with the parts that are wrong replaced) and no second error follows.

use proc_macro2::{Span, TokenStream};
use syn::{FnArg, GenericArgument, Pat, Path, PathArguments, Receiver, ReturnType, Type};

use crate::common::diag::Errors;

const SIGNATURE: &str =
    "(method: Next<'_>, request: Request, context: &mut Context, method_name: &MethodName)";

/// What could be read of an interceptor signature.
pub(crate) struct Signature<'a> {
    /// `self`, which an interceptor never takes.
    pub(crate) receiver: Option<&'a Receiver>,
    /// The four parameters, when there are exactly four besides any `self`.
    pub(crate) params: Option<[Param<'a>; 4]>,
    /// The types of all parameters besides any `self`, as written.
    pub(crate) param_types: Vec<&'a Type>,
    /// The return type, when it is the one the fn's asyncness calls for.
    pub(crate) output: Option<Output<'a>>,
}

/// One of the four parameters.
pub(crate) struct Param<'a> {
    pub(crate) pat: &'a Pat,
    pub(crate) ty: &'a Type,
    /// The path of the runtime type in `ty` (`Next`, `&mut Context`, ...), when `ty` is right.
    pub(crate) path: Option<&'a Path>,
}

pub(crate) enum Output<'a> {
    /// `Result<Response, E>` of an `async fn`: `E`.
    Result(&'a Type),
    /// `Reply` of a plain `fn`.
    Reply,
}

impl Signature<'_> {
    /// Whether every parameter and the return type are right.
    pub(crate) fn is_complete(&self) -> bool {
        self.receiver.is_none()
            && self.output.is_some()
            && self
                .params
                .as_ref()
                .is_some_and(|ps| ps.iter().all(|p| p.path.is_some()))
    }
}

/// The runtime types of the four parameters, in order, and how each is taken.
pub(crate) const PARAMS: [(&str, &str, Ref); 4] = [
    ("method", "Next", Ref::None),
    ("request", "Request", Ref::None),
    ("context", "Context", Ref::Mut),
    ("method_name", "MethodName", Ref::Shared),
];

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Ref {
    None,
    Shared,
    Mut,
}

pub(crate) fn not_a_fn(item: &TokenStream) -> syn::Error {
    let span = item
        .clone()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |t| t.span());
    let help = if syn::parse2::<syn::ItemImpl>(item.clone()).is_ok() {
        "to run interceptors around the methods of a service, put `#[intercepted(...)]` on its impl"
    } else {
        "to make a type an interceptor, implement `grpc_interceptor::CallInterceptor` for it"
    };
    syn::Error::new(
        span,
        format!("`#[interceptor]` can only be applied to a `fn` or an `async fn`\n\nhelp: {help}"),
    )
}

pub(crate) fn signature<'a>(sig: &'a syn::Signature, errors: &mut Errors) -> Signature<'a> {
    qualifiers(sig, errors);
    let mut receiver = None;
    let mut typed = Vec::new();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(r) => {
                errors.push_spanned(
                    r,
                    "`#[interceptor]` takes a free fn, not a method with `self`\n\nhelp: to give an interceptor state, implement `grpc_interceptor::CallInterceptor` for your type",
                );
                receiver = Some(r);
            }
            FnArg::Typed(pat_type) => typed.push(pat_type),
        }
    }
    let params = match typed.as_slice() {
        [a, b, c, d] => {
            let [m, r, c2, n] = PARAMS;
            let mut param = |p: &'a syn::PatType, (param, name, want): (&str, &str, Ref)| Param {
                pat: &p.pat,
                ty: &p.ty,
                path: path_param(&p.ty, param, name, want, errors),
            };
            Some([param(a, m), param(b, r), param(c, c2), param(d, n)])
        }
        _ => {
            errors.push(syn::Error::new(
                sig.paren_token.span.join(),
                format!(
                    "an `#[interceptor]` fn takes 4 parameters, found {}\n\nhelp: the signature is `{SIGNATURE}`",
                    typed.len()
                ),
            ));
            None
        }
    };
    Signature {
        receiver,
        params,
        param_types: typed.iter().map(|p| &*p.ty).collect(),
        output: output(sig, errors),
    }
}

/// `const`, `unsafe`, `extern`, variadics and generics.
fn qualifiers(sig: &syn::Signature, errors: &mut Errors) {
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
            "`#[interceptor]` cannot be applied to a generic fn\n\nhelp: an interceptor is already generic over the call; for a generic interceptor type, implement `grpc_interceptor::CallInterceptor` by hand",
        );
    }
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
    let inner = match (want, ty) {
        (Ref::None, Type::Path(_)) => Some(ty),
        (Ref::Shared, Type::Reference(r)) if r.mutability.is_none() => Some(&*r.elem),
        (Ref::Mut, Type::Reference(r)) if r.mutability.is_some() => Some(&*r.elem),
        _ => None,
    };
    let path = match inner {
        Some(Type::Path(p))
            if p.qself.is_none() && ends_with(&p.path, name) && at_most_lifetime(&p.path) =>
        {
            Some(&p.path)
        }
        _ => None,
    };
    if path.is_none() {
        let expected = match want {
            Ref::None => format!("`{name}`"),
            Ref::Shared => format!("`&{name}`"),
            Ref::Mut => format!("`&mut {name}`"),
        };
        let message =
            format!("the `{param}` parameter of an `#[interceptor]` fn must be {expected}");
        let message = match inner.and_then(|t| message_type(t, name)) {
            Some(message_type) => format!(
                "{message}, with no message type\n\nhelp: an interceptor serves every method and streaming mode; reach the messages by type with `request.message_mut::<{message_type}>()` or `request.for_each_message(|m: &mut {message_type}| ...)`"
            ),
            None => format!("{message}\n\nhelp: the signature is `{SIGNATURE}`"),
        };
        errors.push_spanned(ty, message);
    }
    path
}

/// `M` of `Request<M>`: a message type where an interceptor takes every message type.
fn message_type(ty: &Type, name: &str) -> Option<String> {
    let Type::Path(p) = ty else { return None };
    let last = p
        .path
        .segments
        .last()
        .filter(|s| name == "Request" && s.ident == name)?;
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    args.args.iter().find_map(|arg| match arg {
        GenericArgument::Type(Type::Path(m)) => Some(
            m.path
                .segments
                .last()
                .filter(|_| m.path.segments.len() == 1)
                .map_or_else(|| "M".to_owned(), |s| s.ident.to_string()),
        ),
        GenericArgument::Type(_) => Some("M".to_owned()),
        _ => None,
    })
}

pub(crate) fn ends_with(path: &Path, name: &str) -> bool {
    path.segments.last().is_some_and(|s| s.ident == name)
}

pub(crate) fn at_most_lifetime(path: &Path) -> bool {
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
    let found = match &sig.output {
        ReturnType::Type(_, ty) => match &**ty {
            Type::Path(p) if p.qself.is_none() && is_async => {
                result_error(&p.path).map(Output::Result)
            }
            Type::Path(p)
                if p.qself.is_none()
                    && ends_with(&p.path, "Reply")
                    && at_most_lifetime(&p.path) =>
            {
                Some(Output::Reply)
            }
            _ => None,
        },
        ReturnType::Default => None,
    };
    if found.is_none() {
        let (message, hint) = if is_async {
            (
                "an `#[interceptor] async fn` must return `Result<Response, Status>`",
                "an `async fn` interceptor returns `Result<Response, E>`, with `E` any error that converts into `Status`; a plain `fn` interceptor returns `Reply`",
            )
        } else {
            (
                "a plain `#[interceptor]` fn must return `Reply`",
                "a plain `fn` interceptor returns `method.call(request, context)`, or `Reply::error(status)` without calling it; make it an `async fn` to return `Result<Response, Status>`",
            )
        };
        let message = format!("{message}\n\nhelp: {hint}");
        match &sig.output {
            ReturnType::Type(_, ty) => errors.push_spanned(ty, message),
            ReturnType::Default => errors.push_spanned(&sig.ident, message),
        }
    }
    found
}

/// `E` of `Result<Response, E>`.
fn result_error(path: &Path) -> Option<&Type> {
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
            Some(err)
        }
        _ => None,
    }
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
