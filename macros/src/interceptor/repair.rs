//! Types of an interceptor signature, as the expansion writes them: the call's generic
//! arguments added to the runtime types the user named without them (`Next<'_>` becomes
//! `Next<'call, N>`), and the names a type uses.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::{
    AngleBracketedGenericArguments, GenericArgument, Ident, Lifetime, Path, PathArguments,
    ReturnType, Type, TypeParamBound,
};

use super::validate::at_most_lifetime;

/// The call's generic parameters, and the runtime path.
pub(crate) struct Names {
    /// `'call`: the lifetime of the call's `Context`.
    pub(crate) call: Lifetime,
    /// `N: Chain`: the rest of the chain.
    pub(crate) next: Ident,
    pub(crate) rt: Path,
}

impl Names {
    /// The names of an expansion that reaches the runtime at `rt`.
    pub(crate) fn new(rt: &Path) -> Self {
        Names {
            call: Lifetime::new("'__grpc_interceptor_call", proc_macro2::Span::mixed_site()),
            next: Ident::new("__GrpcInterceptorNext", proc_macro2::Span::mixed_site()),
            rt: rt.clone(),
        }
    }

    /// The generic arguments a runtime type takes in an interceptor, by its name.
    fn args_for(&self, ident: &Ident) -> Option<AngleBracketedGenericArguments> {
        let Names { call, next, rt } = self;
        let chain = quote!(<#next as #rt::Chain>);
        let args: TokenStream = if ident == "Next" {
            quote!(#call, #next)
        } else if ident == "Request" {
            quote!(#chain::ReqPayload)
        } else if ident == "Response" {
            quote!(#chain::RespPayload)
        } else if ident == "Reply" {
            quote!(#next)
        } else if ident == "Context" {
            quote!(#call)
        } else {
            return None;
        };
        syn::parse2(quote_spanned!(ident.span()=> <#args>)).ok()
    }
}

/// `ty` with the call's generic arguments on every `Next`, `Request`, `Response`, `Reply`
/// and `Context` in it that has at most a lifetime argument.
pub(crate) fn repair(ty: &Type, names: &Names) -> Type {
    let mut ty = ty.clone();
    repair_in_place(&mut ty, names);
    ty
}

fn repair_in_place(ty: &mut Type, names: &Names) {
    match ty {
        Type::Path(p) => {
            if let Some(qself) = &mut p.qself {
                repair_in_place(&mut qself.ty, names);
            }
            for segment in &mut p.path.segments {
                if let PathArguments::AngleBracketed(args) = &mut segment.arguments {
                    for arg in &mut args.args {
                        if let GenericArgument::Type(t) = arg {
                            repair_in_place(t, names);
                        }
                    }
                }
            }
            if p.qself.is_none()
                && at_most_lifetime(&p.path)
                && let Some(last) = p.path.segments.last_mut()
                && let Some(args) = names.args_for(&last.ident)
            {
                last.arguments = PathArguments::AngleBracketed(args);
            }
        }
        Type::Reference(r) => repair_in_place(&mut r.elem, names),
        Type::Paren(p) => repair_in_place(&mut p.elem, names),
        Type::Group(g) => repair_in_place(&mut g.elem, names),
        Type::Slice(s) => repair_in_place(&mut s.elem, names),
        Type::Array(a) => repair_in_place(&mut a.elem, names),
        Type::Ptr(p) => repair_in_place(&mut p.elem, names),
        Type::Tuple(t) => t.elems.iter_mut().for_each(|t| repair_in_place(t, names)),
        _ => {}
    }
}

const PRIMITIVES: [&str; 17] = [
    "bool", "char", "str", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64",
    "i128", "isize", "f32", "f64",
];

/// The paths (without generic arguments) of the named types and traits in `ty`, except
/// primitives, `Self` and the fn's own type parameters `generics`: what `use path as _;`
/// accepts.
pub(crate) fn type_paths(ty: &Type, generics: &[&Ident], out: &mut Vec<Path>) {
    match ty {
        Type::Path(p) => match &p.qself {
            Some(qself) => type_paths(&qself.ty, generics, out),
            None => push_path(&p.path, generics, out),
        },
        Type::Reference(r) => type_paths(&r.elem, generics, out),
        Type::Paren(p) => type_paths(&p.elem, generics, out),
        Type::Group(g) => type_paths(&g.elem, generics, out),
        Type::Slice(s) => type_paths(&s.elem, generics, out),
        Type::Array(a) => type_paths(&a.elem, generics, out),
        Type::Ptr(p) => type_paths(&p.elem, generics, out),
        Type::Tuple(t) => t.elems.iter().for_each(|t| type_paths(t, generics, out)),
        Type::ImplTrait(t) => bound_paths(t.bounds.iter(), generics, out),
        Type::TraitObject(t) => bound_paths(t.bounds.iter(), generics, out),
        _ => {}
    }
}

fn bound_paths<'a>(
    bounds: impl Iterator<Item = &'a TypeParamBound>,
    generics: &[&Ident],
    out: &mut Vec<Path>,
) {
    for bound in bounds {
        if let TypeParamBound::Trait(t) = bound {
            push_path(&t.path, generics, out);
        }
    }
}

fn push_path(path: &Path, generics: &[&Ident], out: &mut Vec<Path>) {
    let mut bare = path.clone();
    for segment in &mut bare.segments {
        match &segment.arguments {
            PathArguments::AngleBracketed(args) => {
                for arg in &args.args {
                    if let GenericArgument::Type(t) = arg {
                        type_paths(t, generics, out);
                    }
                }
            }
            PathArguments::Parenthesized(args) => {
                args.inputs
                    .iter()
                    .for_each(|t| type_paths(t, generics, out));
                if let ReturnType::Type(_, t) = &args.output {
                    type_paths(t, generics, out);
                }
            }
            PathArguments::None => {}
        }
        segment.arguments = PathArguments::None;
    }
    let builtin = bare.leading_colon.is_none()
        && bare.segments.first().is_some_and(|first| {
            first.ident == "Self"
                || generics.iter().any(|g| first.ident == **g)
                || (bare.segments.len() == 1 && PRIMITIVES.iter().any(|p| first.ident == p))
        });
    if !builtin {
        out.push(bare);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::Span;
    use quote::ToTokens;
    use syn::parse_quote;

    fn names() -> Names {
        Names {
            call: Lifetime::new("'c", Span::call_site()),
            next: Ident::new("N", Span::call_site()),
            rt: parse_quote!(rt),
        }
    }

    fn repaired(ty: Type) -> String {
        repair(&ty, &names()).into_token_stream().to_string()
    }

    #[test]
    fn adds_the_call_arguments_to_runtime_types_only() {
        let expected: Type = parse_quote!(Result<Response<<N as rt::Chain>::RespPayload>, Status>);
        assert_eq!(
            repaired(parse_quote!(Result<Response, Status>)),
            expected.into_token_stream().to_string()
        );
        let expected: Type = parse_quote!(&mut gi::Context<'c>);
        assert_eq!(
            repaired(parse_quote!(&mut gi::Context<'_>)),
            expected.into_token_stream().to_string()
        );
        let expected: Type = parse_quote!(Next<'c, N>);
        assert_eq!(
            repaired(parse_quote!(Next<'_>)),
            expected.into_token_stream().to_string()
        );
        let untouched: Type = parse_quote!(Request<DummyRequest>);
        assert_eq!(
            repaired(untouched.clone()),
            untouched.into_token_stream().to_string()
        );
    }

    #[test]
    fn lists_the_names_a_type_uses() {
        let ty: Type = parse_quote!(&mut my::Request<(Vec<u8>, T, Box<dyn Fn(&str) -> Self>)>);
        let t = Ident::new("T", Span::call_site());
        let mut out = Vec::new();
        type_paths(&ty, &[&t], &mut out);
        let out: Vec<String> = out
            .iter()
            .map(|p| p.to_token_stream().to_string())
            .collect();
        assert_eq!(out, ["Vec", "Fn", "Box", "my :: Request"]);
    }
}
