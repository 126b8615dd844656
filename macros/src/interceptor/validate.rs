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

/// Where the interceptor fn is.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Place {
    /// A free fn: it takes no `self`.
    Fn,
    /// The method of an `#[interceptor] impl`: it takes `&self`.
    Method,
}

/// What could be read of an interceptor signature.
pub(crate) struct Signature<'a> {
    /// `self`: the `&self` of a method, or one where none belongs.
    pub(crate) receiver: Option<&'a Receiver>,
    /// Whether `receiver` is what the place calls for.
    pub(crate) receiver_ok: bool,
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
        self.receiver_ok
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

/// `#[interceptor]` on `impl Trait for Type`.
pub(crate) const TRAIT_IMPL: &str = "`#[interceptor]` goes on a fn, or on an inherent impl (`impl YourType { ... }`), not on a trait impl\n\nhelp: to run interceptors around the methods of a service, put `#[intercepted(...)]` on its impl";

/// An `#[interceptor] impl` with no method that takes `self`.
pub(crate) const NO_METHOD: &str = "an `#[interceptor] impl` needs a method that takes `&self`: the interceptor\n\nhelp: add `fn intercept(&self, method: Next<'_>, request: Request, context: &mut Context, method_name: &MethodName) -> Reply`, or the same `async fn` returning `Result<Response, Status>`";

/// Several methods that take `self` in an `#[interceptor] impl`, none named `intercept`.
pub(crate) fn second_method(name: &syn::Ident) -> String {
    format!(
        "an `#[interceptor] impl` with several methods that take `self` needs one named `intercept`: the interceptor\n\nhelp: name the interceptor method `intercept`, or move `{name}` to another `impl` block of the type"
    )
}

pub(crate) fn not_a_fn(item: &TokenStream) -> syn::Error {
    let span = item
        .clone()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |t| t.span());
    syn::Error::new(
        span,
        "`#[interceptor]` can only be applied to a `fn`, an `async fn` or an inherent `impl`\n\nhelp: to make a type an interceptor, put `#[interceptor]` on an `impl YourType { ... }` block with one `&self` method of the interceptor signature",
    )
}

pub(crate) fn signature<'a>(
    sig: &'a syn::Signature,
    place: Place,
    errors: &mut Errors,
) -> Signature<'a> {
    qualifiers(sig, errors);
    let mut receiver = None;
    let mut typed = Vec::new();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(r) => receiver = Some(r),
            FnArg::Typed(pat_type) => typed.push(pat_type),
        }
    }
    let receiver_ok = match (place, receiver) {
        (Place::Fn, None) => true,
        (Place::Fn, Some(r)) => {
            errors.push_spanned(
                r,
                "`#[interceptor]` on a method goes on its `impl` block\n\nhelp: write `#[interceptor] impl YourType { ... }`: its one method that takes `&self` becomes the interceptor",
            );
            false
        }
        (Place::Method, Some(r))
            if r.reference.is_some() && r.mutability.is_none() && r.colon_token.is_none() =>
        {
            true
        }
        (Place::Method, r) => {
            let message = "an interceptor method takes `&self`\n\nhelp: an interceptor runs many calls at once; keep state that changes behind atomics or a `Mutex`";
            match r {
                Some(r) => errors.push_spanned(r, message),
                None => errors.push_spanned(&sig.ident, message),
            }
            false
        }
    };
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
        receiver_ok,
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
            "`#[interceptor]` cannot be applied to a generic fn\n\nhelp: an interceptor is already generic over the call; for a generic interceptor type, put `#[interceptor]` on an `impl<T> YourType<T>` block",
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
