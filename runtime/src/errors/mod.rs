//! The error family: one error type per non-OK gRPC code, and their base
//! [`GrpcException`] (Python's `grpc_interceptor.exceptions`).
//!
//! Each type carries a code and details, with the reference's default details text, and
//! converts into a [`Status`], so a handler, or a helper deep in its call stack, ends the call
//! with `?`:
//!
//! ```
//! use grpc_interceptor::errors::NotFound;
//! use grpc_interceptor::{Code, Status};
//!
//! fn find(key: &str) -> Result<u32, NotFound> {
//!     if key == "answer" { Ok(42) } else { Err(NotFound::new(format!("no {key}"))) }
//! }
//!
//! fn handler(key: &str) -> Result<u32, Status> {
//!     Ok(find(key)? + 1)
//! }
//!
//! assert_eq!(handler("answer").unwrap(), 43);
//! let status = handler("question").unwrap_err();
//! assert_eq!((status.code(), status.message()), (Code::NotFound, "no question"));
//! ```
//!
//! [`ExceptionToStatus`] sends these statuses to the client exactly
//! as they are; they are never treated as unknown failures, even [`GrpcException`] and
//! [`Unknown`], whose code is UNKNOWN.

pub(crate) mod exception_to_status;
pub(crate) mod into_status;
pub(crate) mod panic_hook;

pub use exception_to_status::{ExceptionToStatus, Failure};
pub use into_status::IntoStatus;
pub use panic_hook::install_quiet_panic_hook;

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use tonic::{Code, Status};

/// OK given where only an error code makes sense: as the code of an error (see
/// [`GrpcException::with_code`]) or as
/// [`ExceptionToStatus::status_on_unknown_exception`](crate::ExceptionToStatus::status_on_unknown_exception).
///
/// ```
/// use grpc_interceptor::errors::NotFound;
/// use grpc_interceptor::Code;
///
/// let err = NotFound::default().with_code(Code::Ok).unwrap_err();
/// assert_eq!(err.to_string(), "the status code for an exception cannot be OK");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OkCodeError {
    for_unknown_exceptions: bool,
}

impl OkCodeError {
    pub(crate) fn for_unknown_exceptions() -> Self {
        Self {
            for_unknown_exceptions: true,
        }
    }
}

impl fmt::Display for OkCodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.for_unknown_exceptions {
            "the status code for unknown exceptions cannot be OK"
        } else {
            "the status code for an exception cannot be OK"
        })
    }
}

impl std::error::Error for OkCodeError {}

/// The name of a code as gRPC spells it (`NOT_FOUND`): Python's `StatusCode.name`.
///
/// ```
/// use grpc_interceptor::errors::code_name;
/// use grpc_interceptor::Code;
///
/// assert_eq!(code_name(Code::NotFound), "NOT_FOUND");
/// assert_eq!(code_name(Code::Ok), "OK");
/// ```
pub const fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// Writes `s` as Python's `repr` of a `str` does: single quotes unless the text holds a
/// single quote and no double quote; backslashes, the quote and control characters escaped.
fn write_py_repr(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    f.write_char(quote)?;
    for c in s.chars() {
        match c {
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if c == quote => write!(f, "\\{c}")?,
            c if c.is_control() && u32::from(c) < 0x100 => write!(f, "\\x{:02x}", u32::from(c))?,
            c if c.is_control() => write!(f, "\\u{:04x}", u32::from(c))?,
            c => f.write_char(c)?,
        }
    }
    f.write_char(quote)
}

macro_rules! error_type {
    ($name:ident, $code:ident, $status:literal, $details:literal, $summary:expr) => {
        #[doc = $summary]
        ///
        /// Its details are [`DEFAULT_DETAILS`](Self::DEFAULT_DETAILS) unless given (an empty
        /// string is kept); its code can be overridden with any code but OK. It converts into a
        /// [`Status`] with exactly that code and details.
        ///
        /// ```
        #[doc = concat!("use grpc_interceptor::errors::", stringify!($name), ";")]
        /// use grpc_interceptor::{Code, Status};
        ///
        #[doc = concat!("let err = ", stringify!($name), "::default();")]
        #[doc = concat!("assert_eq!(err.code(), Code::", stringify!($code), ");")]
        #[doc = concat!("assert_eq!(err.details(), ", stringify!($details), ");")]
        ///
        #[doc = concat!("let status = Status::from(", stringify!($name), "::new(\"it's gone\"));")]
        #[doc = concat!("assert_eq!((status.code(), status.message()), (Code::", stringify!($code), ", \"it's gone\"));")]
        /// ```
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name {
            code: Code,
            details: Cow<'static, str>,
        }

        impl $name {
            /// The code an error of this type has unless overridden.
            ///
            /// ```
            #[doc = concat!("use grpc_interceptor::errors::", stringify!($name), ";")]
            /// use grpc_interceptor::Code;
            ///
            #[doc = concat!("assert_eq!(", stringify!($name), "::CODE, Code::", stringify!($code), ");")]
            /// ```
            pub const CODE: Code = Code::$code;

            /// The details an error of this type has unless given.
            ///
            /// ```
            #[doc = concat!("use grpc_interceptor::errors::", stringify!($name), ";")]
            ///
            #[doc = concat!("assert_eq!(", stringify!($name), "::DEFAULT_DETAILS, ", stringify!($details), ");")]
            /// ```
            pub const DEFAULT_DETAILS: &'static str = $details;

            /// An error with these details (an empty string is kept as it is).
            ///
            /// ```
            #[doc = concat!("use grpc_interceptor::errors::", stringify!($name), ";")]
            ///
            #[doc = concat!("assert_eq!(", stringify!($name), "::new(\"custom\").details(), \"custom\");")]
            #[doc = concat!("assert_eq!(", stringify!($name), "::new(\"\").details(), \"\");")]
            /// ```
            pub fn new(details: impl Into<Cow<'static, str>>) -> Self {
                Self {
                    code: Self::CODE,
                    details: details.into(),
                }
            }

            /// The same error with another code; OK is refused.
            ///
            /// ```
            #[doc = concat!("use grpc_interceptor::errors::", stringify!($name), ";")]
            /// use grpc_interceptor::Code;
            ///
            #[doc = concat!("let err = ", stringify!($name), "::new(\"d\").with_code(Code::DataLoss).unwrap();")]
            /// assert_eq!((err.code(), err.details()), (Code::DataLoss, "d"));
            #[doc = concat!("assert!(", stringify!($name), "::default().with_code(Code::Ok).is_err());")]
            /// ```
            pub fn with_code(self, code: Code) -> Result<Self, OkCodeError> {
                if code == Code::Ok {
                    return Err(OkCodeError {
                        for_unknown_exceptions: false,
                    });
                }
                Ok(Self { code, ..self })
            }

            /// The code the call ends with.
            ///
            /// ```
            #[doc = concat!("use grpc_interceptor::errors::", stringify!($name), ";")]
            /// use grpc_interceptor::Code;
            ///
            #[doc = concat!("assert_eq!(", stringify!($name), "::default().code(), Code::", stringify!($code), ");")]
            /// ```
            pub fn code(&self) -> Code {
                self.code
            }

            /// The details (the status message) the call ends with.
            ///
            /// ```
            #[doc = concat!("use grpc_interceptor::errors::", stringify!($name), ";")]
            ///
            #[doc = concat!("assert_eq!(", stringify!($name), "::new(\"why\").details(), \"why\");")]
            /// ```
            pub fn details(&self) -> &str {
                &self.details
            }

            /// The name of the code, as gRPC spells it (the reference's `status_string`).
            ///
            /// ```
            #[doc = concat!("use grpc_interceptor::errors::", stringify!($name), ";")]
            ///
            #[doc = concat!("assert_eq!(", stringify!($name), "::default().status_string(), \"", $status, "\");")]
            /// ```
            pub fn status_string(&self) -> &'static str {
                code_name(self.code)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self {
                    code: Self::CODE,
                    details: Cow::Borrowed(Self::DEFAULT_DETAILS),
                }
            }
        }

        /// The reference's `repr`: `Name(status_code=CODE, details='...')`.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(
                    f,
                    concat!(stringify!($name), "(status_code={}, details="),
                    self.status_string()
                )?;
                write_py_repr(f, &self.details)?;
                f.write_char(')')
            }
        }

        /// `CODE: details`, or `CODE` alone when the details are empty.
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.status_string())?;
                if !self.details.is_empty() {
                    write!(f, ": {}", self.details)?;
                }
                Ok(())
            }
        }

        impl std::error::Error for $name {}

        impl From<$name> for Status {
            fn from(err: $name) -> Status {
                Status::new(err.code, err.details)
            }
        }
    };
}

macro_rules! error_family {
    ($($name:ident, $code:ident, $status:literal, $details:literal;)*) => {
        error_type!(
            GrpcException, Unknown, "UNKNOWN", "Unknown exception occurred",
            "The base of the error family, UNKNOWN unless given another code: the reference's `GrpcException`."
        );

        $(
            error_type!(
                $name, $code, $status, $details,
                concat!("An error that ends a call with ", $status, ": the reference's `", stringify!($name), "`.")
            );

            /// Keeps the code and details (a function returning `GrpcException` takes any
            /// error of the family with `?`).
            impl From<$name> for GrpcException {
                fn from(err: $name) -> GrpcException {
                    GrpcException { code: err.code, details: err.details }
                }
            }
        )*
    };
}

error_family! {
    Cancelled, Cancelled, "CANCELLED", "The operation was cancelled";
    Unknown, Unknown, "UNKNOWN", "Unknown exception occurred";
    InvalidArgument, InvalidArgument, "INVALID_ARGUMENT", "The client specified an invalid argument";
    DeadlineExceeded, DeadlineExceeded, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete";
    NotFound, NotFound, "NOT_FOUND", "The requested entity was not found";
    AlreadyExists, AlreadyExists, "ALREADY_EXISTS", "The entity attempted to be created already exists";
    PermissionDenied, PermissionDenied, "PERMISSION_DENIED", "The caller does not have permission to execute the specified operation";
    ResourceExhausted, ResourceExhausted, "RESOURCE_EXHAUSTED", "A resource has been exhausted";
    FailedPrecondition, FailedPrecondition, "FAILED_PRECONDITION", "The operation was rejected because the system is not in a state required for execution";
    Aborted, Aborted, "ABORTED", "The operation was aborted";
    OutOfRange, OutOfRange, "OUT_OF_RANGE", "The operation was attempted past the valid range";
    Unimplemented, Unimplemented, "UNIMPLEMENTED", "The operation is not implemented or not supported/enabled in this service";
    Internal, Internal, "INTERNAL", "Internal error";
    Unavailable, Unavailable, "UNAVAILABLE", "The service is currently unavailable";
    DataLoss, DataLoss, "DATA_LOSS", "There was unrecoverable data loss or corruption";
    Unauthenticated, Unauthenticated, "UNAUTHENTICATED", "The request does not have valid authentication credentials for the operation";
}

#[cfg(test)]
mod tests;
