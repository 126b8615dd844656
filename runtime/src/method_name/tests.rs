//! Unit and property tests of method-name parsing.

use super::*;

fn parts(path: &str) -> (String, String, String, String) {
    let n = parse_method_name(path).unwrap_or_else(|e| panic!("{e}"));
    (
        n.package().into(),
        n.service().into(),
        n.method().into(),
        n.fully_qualified_service().into(),
    )
}

#[test]
fn parses_the_reference_table() {
    let table = [
        (
            "/foo.bar.SearchService/Search",
            (
                "foo.bar",
                "SearchService",
                "Search",
                "foo.bar.SearchService",
            ),
        ),
        (
            "/SearchService/Search",
            ("", "SearchService", "Search", "SearchService"),
        ),
        ("/a.b.c.d.Svc/M", ("a.b.c.d", "Svc", "M", "a.b.c.d.Svc")),
        (
            "/grpc.health.v1.Health/Check",
            ("grpc.health.v1", "Health", "Check", "grpc.health.v1.Health"),
        ),
        (
            "/DummyService/Execute",
            ("", "DummyService", "Execute", "DummyService"),
        ),
        ("/.Svc/M", ("", "Svc", "M", "Svc")),
        ("/pkg./M", ("pkg", "", "M", "pkg.")),
        ("//M", ("", "", "M", "")),
        ("/Svc/", ("", "Svc", "", "Svc")),
        ("/a.B/c.d", ("a", "B", "c.d", "a.B")),
        ("x/pkg.Svc/M", ("pkg", "Svc", "M", "pkg.Svc")),
    ];
    for (path, (package, service, method, fqs)) in table {
        assert_eq!(
            parts(path),
            (package.into(), service.into(), method.into(), fqs.into()),
            "{path}"
        );
    }
}

#[test]
fn rejects_malformed_paths_with_an_error_value() {
    for (path, reason) in [
        ("/pkg.Svc/M/extra", "has more than two `/`"),
        ("Svc/M", "has fewer than two `/`"),
        ("", "has fewer than two `/`"),
    ] {
        let err = parse_method_name(path).unwrap_err();
        assert_eq!(err.path(), path);
        assert_eq!(
            err.to_string(),
            format!("invalid gRPC method name `{path}`: {reason}")
        );
        assert_eq!(
            tonic::Status::from(err).code(),
            tonic::Code::InvalidArgument
        );
    }
}

#[test]
fn debug_matches_the_reference_repr_and_display_is_the_path() {
    let n = parse_method_name("/foo.bar.SearchService/Search").unwrap();
    assert_eq!(
        format!("{n:?}"),
        "MethodName(package='foo.bar', service='SearchService', method='Search')"
    );
    assert_eq!(n.to_string(), "/foo.bar.SearchService/Search");
    // Values are inserted raw, without escaping, as the reference's f-string does.
    let quoted = MethodName::new("a'b", "S", "M");
    assert_eq!(
        format!("{quoted:?}"),
        "MethodName(package='a'b', service='S', method='M')"
    );
}

#[test]
fn constructors_agree_with_the_parser() {
    let built = MethodName::new("foo.bar", "SearchService", "Search");
    assert_eq!(
        built,
        parse_method_name("/foo.bar.SearchService/Search").unwrap()
    );
    assert_eq!(
        (built.package(), built.service(), built.method()),
        ("foo.bar", "SearchService", "Search")
    );
    assert_eq!(
        MethodName::new("", "SearchService", "Search").fully_qualified_service(),
        "SearchService"
    );
    let from_service = MethodName::from_service("grpc.health.v1.Health", "Check");
    assert_eq!(from_service.as_str(), "/grpc.health.v1.Health/Check");
    assert_eq!(from_service.package(), "grpc.health.v1");
    assert_eq!(
        "/DummyService/Execute"
            .parse::<MethodName>()
            .unwrap()
            .service(),
        "DummyService"
    );
}

mod proptests {
    use proptest::prelude::*;

    use super::*;

    /// Checks a parse of `path` against what the parser promises: three parts split on
    /// `/`, the middle one split on its last `.`; an error for any other number of `/`.
    fn check(path: &str) -> Result<(), TestCaseError> {
        let parts: Vec<&str> = path.split('/').collect();
        match parse_method_name(path) {
            Ok(name) => {
                prop_assert_eq!(parts.len(), 3);
                let (middle, method) = (parts[1], parts[2]);
                let (package, service) = middle.rsplit_once('.').unwrap_or(("", middle));
                prop_assert_eq!(name.package(), package);
                prop_assert_eq!(name.service(), service);
                prop_assert_eq!(name.method(), method);
                let fully_qualified = if package.is_empty() { service } else { middle };
                prop_assert_eq!(name.fully_qualified_service(), fully_qualified);
                prop_assert_eq!(name.as_str(), path);
                prop_assert_eq!(name.to_string(), path);
                prop_assert_eq!(
                    format!("{name:?}"),
                    format!(
                        "MethodName(package='{package}', service='{service}', method='{method}')"
                    )
                );
            }
            Err(err) => {
                prop_assert_ne!(parts.len(), 3);
                prop_assert_eq!(err.path(), path);
                prop_assert!(err.to_string().contains(path));
                prop_assert_eq!(
                    tonic::Status::from(err).code(),
                    tonic::Code::InvalidArgument
                );
            }
        }
        Ok(())
    }

    fn ident() -> impl Strategy<Value = String> {
        "[A-Za-z_][A-Za-z0-9_]{0,10}"
    }

    proptest! {
        #[test]
        fn any_string_parses_or_fails_as_promised(path in any::<String>()) {
            check(&path)?;
        }

        #[test]
        fn strings_of_slashes_and_dots_parse_or_fail_as_promised(path in "[/.aé]{0,10}") {
            check(&path)?;
        }

        #[test]
        fn valid_paths_round_trip_through_the_accessors(
            package in prop::collection::vec(ident(), 0..4),
            service in ident(),
            method in ident(),
        ) {
            let package = package.join(".");
            let fully_qualified = if package.is_empty() {
                service.clone()
            } else {
                format!("{package}.{service}")
            };
            let path = format!("/{fully_qualified}/{method}");
            let name = parse_method_name(&path).expect("a valid path");
            prop_assert_eq!(name.package(), package.as_str());
            prop_assert_eq!(name.service(), service.as_str());
            prop_assert_eq!(name.method(), method.as_str());
            prop_assert_eq!(name.fully_qualified_service(), fully_qualified.as_str());
            prop_assert_eq!(name.as_str(), path.as_str());
            prop_assert_eq!(&name, &MethodName::new(&package, &service, &method));
            prop_assert_eq!(&name, &MethodName::from_service(&fully_qualified, &method));
            prop_assert_eq!(&name, &path.parse::<MethodName>().expect("a valid path"));
        }
    }
}
