//! Method options under `#[cfg_attr(...)]`: `#[intercepted]` runs before rustc evaluates
//! the `cfg_attr`s inside the impl, so a method with
//! `#[cfg_attr(pred, intercepted(skip))]` becomes two, one under `#[cfg(pred)]` with the
//! options and one under `#[cfg(not(pred))]` without them; each is then expanded like any
//! other method, and rustc keeps the one that is configured.

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Attribute, ImplItem, ItemImpl, Meta, Token};

use super::args::is_helper;

/// Splits every method whose `cfg_attr`s hold `#[intercepted(...)]` options.
pub(crate) fn split_cfg_attrs(item: &mut ItemImpl) {
    let items = std::mem::take(&mut item.items);
    for impl_item in items {
        push_split(impl_item, &mut item.items);
    }
}

fn push_split(impl_item: ImplItem, out: &mut Vec<ImplItem>) {
    let ImplItem::Fn(f) = &impl_item else {
        out.push(impl_item);
        return;
    };
    let found = f
        .attrs
        .iter()
        .enumerate()
        .find_map(|(i, attr)| Some((i, helper_under_cfg_attr(attr)?)));
    let Some((index, (predicate, attrs))) = found else {
        out.push(impl_item);
        return;
    };
    let mut with = f.clone();
    with.attrs.splice(index..=index, attrs);
    with.attrs.push(syn::parse_quote!(#[cfg(#predicate)]));
    let mut without = f.clone();
    without.attrs.remove(index);
    without
        .attrs
        .push(syn::parse_quote!(#[cfg(not(#predicate))]));
    push_split(ImplItem::Fn(with), out);
    push_split(ImplItem::Fn(without), out);
}

/// `#[cfg_attr(predicate, a, b)]` with `#[intercepted(...)]` among `a, b` (directly or in a
/// nested `cfg_attr`): the predicate and `#[a] #[b]`. A malformed `cfg_attr` is left for
/// rustc to report.
fn helper_under_cfg_attr(attr: &Attribute) -> Option<(TokenStream, Vec<Attribute>)> {
    let Meta::List(list) = &attr.meta else {
        return None;
    };
    if !list.path.is_ident("cfg_attr") {
        return None;
    }
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated
        .parse2(list.tokens.clone())
        .ok()?;
    let mut metas = metas.into_iter();
    let predicate = metas.next()?;
    let attrs: Vec<Attribute> = metas
        .map(|meta| Attribute {
            pound_token: attr.pound_token,
            style: attr.style,
            bracket_token: attr.bracket_token,
            meta,
        })
        .collect();
    attrs
        .iter()
        .any(|a| is_helper(a) || helper_under_cfg_attr(a).is_some())
        .then(|| (quote::quote!(#predicate), attrs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    #[test]
    fn splits_methods_whose_cfg_attr_holds_method_options() {
        let mut item: ItemImpl = parse_quote! {
            impl Svc for S {
                #[doc = "d"]
                #[cfg_attr(feature = "x", intercepted(skip), allow(unused))]
                async fn f(&self, r: R) {}
                #[cfg_attr(feature = "y", allow(unused))]
                async fn g(&self, r: R) {}
            }
        };
        split_cfg_attrs(&mut item);
        let expected: ItemImpl = parse_quote! {
            impl Svc for S {
                #[doc = "d"]
                #[intercepted(skip)]
                #[allow(unused)]
                #[cfg(feature = "x")]
                async fn f(&self, r: R) {}
                #[doc = "d"]
                #[cfg(not(feature = "x"))]
                async fn f(&self, r: R) {}
                #[cfg_attr(feature = "y", allow(unused))]
                async fn g(&self, r: R) {}
            }
        };
        assert_eq!(item, expected);
    }

    #[test]
    fn splits_nested_cfg_attrs_and_leaves_malformed_ones() {
        let mut item: ItemImpl = parse_quote! {
            impl Svc for S {
                #[cfg_attr(unix, cfg_attr(debug_assertions, intercepted(skip)))]
                async fn f(&self, r: R) {}
                #[cfg_attr(intercepted(skip))]
                async fn g(&self, r: R) {}
            }
        };
        split_cfg_attrs(&mut item);
        let expected: ItemImpl = parse_quote! {
            impl Svc for S {
                #[intercepted(skip)]
                #[cfg(unix)]
                #[cfg(debug_assertions)]
                async fn f(&self, r: R) {}
                #[cfg(unix)]
                #[cfg(not(debug_assertions))]
                async fn f(&self, r: R) {}
                #[cfg(not(unix))]
                async fn f(&self, r: R) {}
                #[cfg_attr(intercepted(skip))]
                async fn g(&self, r: R) {}
            }
        };
        assert_eq!(item, expected);
    }
}
