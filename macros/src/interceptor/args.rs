//! The arguments of `#[interceptor(...)]`.

use darling::FromMeta;
use darling::ast::NestedMeta;
use proc_macro2::TokenStream;
use syn::LitStr;

/// `#[interceptor]` or `#[interceptor(crate = "path")]`.
#[derive(Debug, Default, FromMeta)]
pub(crate) struct InterceptorArgs {
    /// Where the runtime is, when it is renamed or re-exported.
    #[darling(rename = "crate")]
    pub(crate) krate: Option<LitStr>,
}

impl InterceptorArgs {
    pub(crate) fn parse(args: TokenStream) -> syn::Result<Self> {
        let metas = NestedMeta::parse_meta_list(args)?;
        Self::from_list(&metas).map_err(syn::Error::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn accepts_no_arguments_and_a_crate_path() {
        assert!(InterceptorArgs::parse(quote!()).unwrap().krate.is_none());
        let args = InterceptorArgs::parse(quote!(crate = "my::rt")).unwrap();
        assert_eq!(args.krate.unwrap().value(), "my::rt");
    }

    #[test]
    fn rejects_unknown_and_duplicate_arguments_with_a_suggestion() {
        let err = InterceptorArgs::parse(quote!(crat = "x"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("Unknown field: `crat`"), "{err}");
        assert!(err.contains("Did you mean `crate`?"), "{err}");
        let err = InterceptorArgs::parse(quote!(crate = "a", crate = "b"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("Duplicate field `crate`"), "{err}");
    }
}
