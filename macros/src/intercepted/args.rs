//! The arguments of `#[intercepted(...)]` and of its per-method helper attribute.

use darling::FromAttributes;
use darling::util::Flag;
use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Expr, Ident, LitStr, Meta, Token};

/// `#[intercepted(a, b, self.c, crate = "...", service = "...")]`.
pub(crate) struct InterceptedArgs {
    /// The interceptors, outermost first: any expressions, evaluated on every call with
    /// `self` in scope.
    pub(crate) interceptors: Vec<Expr>,
    pub(crate) krate: Option<LitStr>,
    pub(crate) service: Option<LitStr>,
}

enum Arg {
    Crate(Token![crate], LitStr),
    Service(Ident, LitStr),
    Interceptor(Expr),
}

/// The options, for did-you-mean hints.
const OPTIONS: [&str; 2] = ["crate", "service"];

impl Parse for Arg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(Token![crate]) && input.peek2(Token![=]) {
            let key = input.parse()?;
            input.parse::<Token![=]>()?;
            return Ok(Arg::Crate(key, input.parse()?));
        }
        if input.peek(Ident) && input.peek2(Token![=]) && !input.peek2(Token![==]) {
            let key: Ident = input.fork().parse()?;
            if key == "service" {
                input.parse::<Ident>()?;
                input.parse::<Token![=]>()?;
                return Ok(Arg::Service(key, input.parse()?));
            }
            let help = match did_you_mean(&key.to_string(), &OPTIONS) {
                Some(option) => format!("did you mean `{option} = \"...\"`?"),
                None => {
                    "expected interceptors, `crate = \"...\"` or `service = \"...\"`".to_owned()
                }
            };
            return Err(syn::Error::new(
                key.span(),
                format!("unknown argument `{key}` in `#[intercepted]`\n\nhelp: {help}"),
            ));
        }
        Ok(Arg::Interceptor(input.parse()?))
    }
}

/// The arguments, each followed by a comma or the end.
fn parse_list(input: ParseStream<'_>) -> syn::Result<Vec<Arg>> {
    let mut list = Vec::new();
    while !input.is_empty() {
        if input.peek(Token![,]) {
            return Err(input.error("expected an interceptor before `,`"));
        }
        list.push(input.parse()?);
        if input.is_empty() {
            break;
        }
        if !input.peek(Token![,]) {
            return Err(input.error(
                "expected `,` between the interceptors of `#[intercepted]`\n\nhelp: list them separated by commas, outermost first, e.g. `#[intercepted(require_token, log_calls)]`",
            ));
        }
        input.parse::<Token![,]>()?;
    }
    Ok(list)
}

impl InterceptedArgs {
    pub(crate) fn parse(args: TokenStream) -> syn::Result<Self> {
        let list = syn::parse::Parser::parse2(parse_list, args)?;
        let mut out = InterceptedArgs {
            interceptors: Vec::new(),
            krate: None,
            service: None,
        };
        for arg in list {
            match arg {
                Arg::Interceptor(expr) => out.interceptors.push(expr),
                Arg::Crate(key, lit) => set_once(&mut out.krate, lit, &key, "crate")?,
                Arg::Service(key, lit) => set_once(&mut out.service, lit, &key, "service")?,
            }
        }
        if out.interceptors.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                "`#[intercepted]` needs at least one interceptor\n\nhelp: list them outermost first, e.g. `#[intercepted(require_token, log_calls)]`",
            ));
        }
        Ok(out)
    }
}

/// The option closest to `key`, if one is close: at most a third of its letters differ.
fn did_you_mean<'a>(key: &str, options: &[&'a str]) -> Option<&'a str> {
    options
        .iter()
        .map(|option| (strsim::levenshtein(key, option), *option))
        .filter(|(distance, option)| *distance * 3 <= option.len().max(key.len()))
        .min()
        .map(|(_, option)| option)
}

fn set_once(
    slot: &mut Option<LitStr>,
    value: LitStr,
    key: &impl quote::ToTokens,
    name: &str,
) -> syn::Result<()> {
    if slot.is_some() {
        return Err(syn::Error::new_spanned(
            key,
            format!("duplicate argument `{name}` in `#[intercepted]`"),
        ));
    }
    *slot = Some(value);
    Ok(())
}

/// `#[intercepted(skip)]`, `#[intercepted(name = "GetHTTPStatus")]` and
/// `#[intercepted(context = ctx)]` on one method of the impl.
#[derive(Debug, Default, FromAttributes)]
#[darling(attributes(intercepted))]
pub(crate) struct MethodArgs {
    /// The method runs without interceptors.
    pub(crate) skip: Flag,
    /// The proto method name, when it is not the method's name in UpperCamelCase.
    pub(crate) name: Option<LitStr>,
    /// A name to bind the call's `Context` to in the method body.
    pub(crate) context: Option<syn::Ident>,
}

impl MethodArgs {
    /// The options in `attrs`, from `#[intercepted(...)]`, or `#[path::intercepted(...)]`
    /// when the macro is named by its path.
    pub(crate) fn read(attrs: &[Attribute]) -> darling::Result<Self> {
        let helpers: Vec<Attribute> = attrs
            .iter()
            .filter(|a| is_helper(a))
            .map(|a| {
                let mut a = a.clone();
                let span = a
                    .path()
                    .segments
                    .last()
                    .map_or_else(Span::call_site, |s| s.ident.span());
                let path: syn::Path = syn::parse_quote_spanned!(span=> intercepted);
                match &mut a.meta {
                    Meta::Path(p) => *p = path,
                    Meta::List(list) => list.path = path,
                    Meta::NameValue(nv) => nv.path = path,
                }
                a
            })
            .collect();
        Self::from_attributes(&helpers)
    }
}

/// Whether `attr` is `#[intercepted(...)]` on a method, by whatever path.
pub(crate) fn is_helper(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "intercepted")
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn err(tokens: TokenStream) -> String {
        InterceptedArgs::parse(tokens)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn parses_interceptor_expressions_and_options() {
        let args = InterceptedArgs::parse(quote!(
            auth,
            self.counter,
            E2S::default(),
            crate = "rt",
            service = "pkg.Svc"
        ))
        .unwrap();
        assert_eq!(args.interceptors.len(), 3);
        assert_eq!(args.krate.unwrap().value(), "rt");
        assert_eq!(args.service.unwrap().value(), "pkg.Svc");
    }

    #[test]
    fn rejects_empty_lists_unknown_and_duplicate_options() {
        assert!(err(quote!()).contains("needs at least one interceptor"));
        assert!(err(quote!(crate = "a")).contains("needs at least one interceptor"));
        assert!(err(quote!(a, timeout = "1")).contains("unknown argument `timeout`"));
        assert!(err(quote!(a, servce = "x")).contains("did you mean `service = \"...\"`?"));
        assert!(err(quote!(a, crat = "x")).contains("did you mean `crate = \"...\"`?"));
        assert!(err(quote!(a b)).contains("expected `,` between the interceptors"));
        assert!(err(quote!(a,, b)).contains("expected an interceptor before `,`"));
        assert!(
            err(quote!(a, service = "x", service = "y")).contains("duplicate argument `service`")
        );
    }

    #[test]
    fn reads_the_method_helper_attribute() {
        let attrs: Vec<syn::Attribute> =
            vec![syn::parse_quote!(#[intercepted(skip, name = "GetHTTPStatus", context = ctx)])];
        let args = MethodArgs::from_attributes(&attrs).unwrap();
        assert!(args.skip.is_present());
        assert_eq!(args.name.unwrap().value(), "GetHTTPStatus");
        assert_eq!(args.context.unwrap(), "ctx");
        let attrs: Vec<syn::Attribute> = vec![
            syn::parse_quote!(#[doc = "x"]),
            syn::parse_quote!(#[gi::intercepted(context = ctx)]),
        ];
        assert_eq!(MethodArgs::read(&attrs).unwrap().context.unwrap(), "ctx");
        let attrs: Vec<syn::Attribute> = vec![syn::parse_quote!(#[intercepted(skp)])];
        let err = MethodArgs::from_attributes(&attrs).unwrap_err().to_string();
        assert!(err.contains("Did you mean `skip`?"), "{err}");
    }
}
