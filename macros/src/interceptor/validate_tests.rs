//! Unit tests of the signature rules, on `syn::parse_quote!` inputs.

use super::*;
use syn::parse_quote;

/// Whether the output is `Result`, or all the errors.
fn check(item: syn::ItemFn) -> Result<bool, String> {
    let mut errors = Errors::default();
    let sig = signature(&item.sig, Place::Fn, &mut errors);
    errors.finish().map_err(|e| e.to_string())?;
    assert!(sig.is_complete());
    Ok(matches!(sig.output, Some(Output::Result(_))))
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
            "cannot be applied to a generic fn",
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
            "the `request` parameter of an `#[interceptor]` fn must be `Request`",
        ),
        (
            parse_quote!(
                fn f(a: Next, b: Request<Hello>, c: &mut Context, d: &MethodName) -> Reply {}
            ),
            "with no message type\n\nhelp: an interceptor serves every method and streaming mode; reach the messages by type with `request.message_mut::<Hello>()`",
        ),
        (
            parse_quote!(
                fn f(a: Next, b: Request, c: &Context, d: &MethodName) -> Reply {}
            ),
            "the `context` parameter of an `#[interceptor]` fn must be `&mut Context`",
        ),
        (
            parse_quote!(
                fn f(a: Next, b: Request, c: &mut Context, d: MethodName) -> Reply {}
            ),
            "the `method_name` parameter of an `#[interceptor]` fn must be `&MethodName`",
        ),
        (
            parse_quote!(
                fn f(a: Request, b: Request, c: &mut Context, d: &MethodName) -> Reply {}
            ),
            "the `method` parameter of an `#[interceptor]` fn must be `Next`",
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
    let mut errors = Errors::default();
    let sig = signature(&item.sig, Place::Fn, &mut errors);
    assert!(!sig.is_complete());
    assert_eq!(errors.finish().unwrap_err().into_iter().count(), 5);
}

#[test]
fn keeps_what_it_could_read_for_the_fallback() {
    let item: syn::ItemFn = parse_quote!(
        fn f(&self, a: Next<'_>, b: Request<String>, c: &mut Context, d: &str) -> Reply {}
    );
    let mut errors = Errors::default();
    let sig = signature(&item.sig, Place::Fn, &mut errors);
    assert_eq!(errors.finish().unwrap_err().into_iter().count(), 3);
    assert!(sig.receiver.is_some());
    assert!(matches!(sig.output, Some(Output::Reply)));
    let read: Vec<bool> = sig
        .params
        .unwrap()
        .iter()
        .map(|p| p.path.is_some())
        .collect();
    assert_eq!(read, [true, false, true, false]);
    assert_eq!(sig.param_types.len(), 4);
}

#[test]
fn rejects_variadics_and_counts_parameters_without_self() {
    let item: syn::ForeignItemFn = parse_quote!(
        fn f(a: Next, ...) -> Reply;
    );
    let mut errors = Errors::default();
    let sig = signature(&item.sig, Place::Fn, &mut errors);
    let err = errors.finish().unwrap_err().to_string();
    assert!(err.contains("cannot be applied to a variadic fn"), "{err}");
    assert!(sig.params.is_none());
    let item: syn::ItemFn = parse_quote!(
        fn f(&self, a: Next, b: Request, c: &mut Context, d: &MethodName) -> Reply {}
    );
    let mut errors = Errors::default();
    signature(&item.sig, Place::Fn, &mut errors);
    let err = errors.finish().unwrap_err();
    assert_eq!(err.into_iter().count(), 1, "only the receiver is wrong");
}
