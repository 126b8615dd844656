//! The reference's `test_repr`, `test_status_string` and `test_not_ok` (items 10, 11, 27),
//! and the family's codes and default details.

use std::collections::HashSet;

use super::*;

#[test]
fn debug_is_the_reference_repr() {
    assert_eq!(
        format!("{:?}", GrpcException::new("oops")),
        "GrpcException(status_code=UNKNOWN, details='oops')"
    );
    let not_found_code = GrpcException::new("oops")
        .with_code(Code::NotFound)
        .unwrap();
    assert_eq!(
        format!("{not_found_code:?}"),
        "GrpcException(status_code=NOT_FOUND, details='oops')"
    );
    assert_eq!(
        format!("{:?}", NotFound::new("?")),
        "NotFound(status_code=NOT_FOUND, details='?')"
    );
    let overridden = NotFound::new("d").with_code(Code::Internal).unwrap();
    assert_eq!(
        format!("{overridden:?}"),
        "NotFound(status_code=INTERNAL, details='d')"
    );
}

#[test]
fn debug_quotes_details_as_python_does() {
    let repr = |d: &'static str| format!("{:?}", Internal::new(d));
    assert_eq!(
        repr("it's"),
        r#"Internal(status_code=INTERNAL, details="it's")"#
    );
    assert_eq!(
        repr(r#"it's "x""#),
        r#"Internal(status_code=INTERNAL, details='it\'s "x"')"#
    );
    assert_eq!(
        repr("a\\b\n\u{1}"),
        r"Internal(status_code=INTERNAL, details='a\\b\n\x01')"
    );
    assert_eq!(repr(""), "Internal(status_code=INTERNAL, details='')");
}

#[test]
fn status_string_is_the_code_name() {
    assert_eq!(GrpcException::default().status_string(), "UNKNOWN");
    let overridden = GrpcException::default().with_code(Code::NotFound).unwrap();
    assert_eq!(overridden.status_string(), "NOT_FOUND");
    assert_eq!(NotFound::default().status_string(), "NOT_FOUND");
}

#[test]
fn ok_is_refused_as_a_code_with_an_error_value() {
    let err = GrpcException::default().with_code(Code::Ok).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the status code for an exception cannot be OK"
    );
    assert_eq!(
        OkCodeError::for_unknown_exceptions().to_string(),
        "the status code for unknown exceptions cannot be OK"
    );
    assert!(NotFound::new("x").with_code(Code::Ok).is_err());
}

#[test]
fn details_default_and_empty_details_are_kept() {
    assert_eq!(
        GrpcException::default().details(),
        "Unknown exception occurred"
    );
    assert_eq!(NotFound::new("").details(), "");
    let status = Status::from(NotFound::new(""));
    assert_eq!((status.code(), status.message()), (Code::NotFound, ""));
    assert_eq!(NotFound::new(String::from("owned")).details(), "owned");
}

#[test]
fn display_names_the_code_and_the_details() {
    assert_eq!(NotFound::new("not here").to_string(), "NOT_FOUND: not here");
    assert_eq!(NotFound::new("").to_string(), "NOT_FOUND");
}

#[test]
fn family_errors_convert_into_the_base_and_keep_code_and_details() {
    fn lookup() -> Result<(), GrpcException> {
        Err(DataLoss::new("gone"))?
    }
    let err = lookup().unwrap_err();
    assert_eq!((err.code(), err.details()), (Code::DataLoss, "gone"));
    let status: Status = err.into();
    assert!(std::error::Error::source(&status).is_none());
}

macro_rules! all {
    ($($name:ident),*) => {
        vec![$(($name::CODE, $name::DEFAULT_DETAILS, Status::from($name::default()), format!("{:?}", $name::default()))),*]
    };
}

#[test]
fn every_non_ok_code_has_a_type_with_distinct_default_details() {
    let all = all![
        Cancelled,
        Unknown,
        InvalidArgument,
        DeadlineExceeded,
        NotFound,
        AlreadyExists,
        PermissionDenied,
        ResourceExhausted,
        FailedPrecondition,
        Aborted,
        OutOfRange,
        Unimplemented,
        Internal,
        Unavailable,
        DataLoss,
        Unauthenticated
    ];
    let codes: HashSet<i32> = all.iter().map(|(code, ..)| *code as i32).collect();
    assert_eq!(codes, (1..=16).collect());
    let details: HashSet<&str> = all.iter().map(|(_, details, ..)| *details).collect();
    assert_eq!(details.len(), 16);
    for (code, details, status, debug) in &all {
        assert_eq!((status.code(), status.message()), (*code, *details));
        // The type name in the Debug form is the code's name in UpperCamelCase.
        let camel: String = code_name(*code)
            .split('_')
            .map(|w| w[..1].to_owned() + &w[1..].to_lowercase())
            .collect();
        assert!(
            debug.starts_with(&format!("{camel}(status_code=")),
            "{debug}"
        );
    }
}
