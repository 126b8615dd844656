//! [`Failure`]: what went wrong inside an `ExceptionToStatus`, as its hook sees it.

use std::any::Any;
use std::error::Error;
use std::fmt;

use tonic::{Code, Status};

/// What went wrong inside an [`ExceptionToStatus`](crate::ExceptionToStatus): what its hook sees.
///
/// ```
/// use grpc_interceptor::{Failure, Status};
///
/// let panic = Failure::Panic(Box::new("oops"));
/// assert!(panic.is_unknown());
/// assert_eq!(panic.to_string(), "panicked: oops");
///
/// let chosen = Failure::Status(Status::not_found("not here"));
/// assert!(!chosen.is_unknown());
/// ```
#[non_exhaustive]
pub enum Failure {
    /// The call ended with this error status: returned (often with `?`), or ending a
    /// response stream.
    Status(Status),
    /// Code panicked, with this payload (what `panic!` or `std::panic::panic_any` was given).
    Panic(Box<dyn Any + Send>),
}

impl Failure {
    /// Whether this is an unknown failure, one whose code nobody chose: a panic, or a status
    /// with code UNKNOWN that carries a source error, which is what `Status::from_error`
    /// makes of an error it finds no gRPC code in. Every other status was chosen (by the
    /// code that built it), and [`ExceptionToStatus`](crate::ExceptionToStatus) sends it as it is.
    ///
    /// ```
    /// use grpc_interceptor::errors::Unknown;
    /// use grpc_interceptor::{Failure, Status};
    ///
    /// let io = std::io::Error::other("disk on fire");
    /// assert!(Failure::Status(Status::from_error(Box::new(io))).is_unknown());
    /// assert!(!Failure::Status(Status::unknown("chosen")).is_unknown());
    /// assert!(!Failure::Status(Unknown::default().into()).is_unknown());
    /// ```
    pub fn is_unknown(&self) -> bool {
        match self {
            Failure::Status(status) => is_unknown(status),
            Failure::Panic(_) => true,
        }
    }

    /// The panic's message, when it was given a string (as `panic!` is).
    ///
    /// ```
    /// use grpc_interceptor::Failure;
    ///
    /// let caught = std::panic::catch_unwind(|| panic!("oops {}", 42)).unwrap_err();
    /// assert_eq!(Failure::Panic(caught).panic_message(), Some("oops 42"));
    /// ```
    pub fn panic_message(&self) -> Option<&str> {
        match self {
            Failure::Panic(payload) => message(&**payload),
            Failure::Status(_) => None,
        }
    }

    /// The panic's payload, if it is a `T` (see `std::panic::panic_any`).
    ///
    /// ```
    /// use grpc_interceptor::Failure;
    ///
    /// struct Overloaded(u32);
    /// let failure = Failure::Panic(Box::new(Overloaded(7)));
    /// assert_eq!(failure.panic_payload::<Overloaded>().map(|o| o.0), Some(7));
    /// ```
    pub fn panic_payload<T: Any>(&self) -> Option<&T> {
        match self {
            Failure::Panic(payload) => payload.downcast_ref(),
            Failure::Status(_) => None,
        }
    }

    /// The first error of type `E` in the status's chain of sources, or the panic's payload
    /// if it is an `E`: how a hook finds the user's own error types.
    ///
    /// ```
    /// use grpc_interceptor::{Failure, Status};
    ///
    /// let io = std::io::Error::new(std::io::ErrorKind::TimedOut, "db timed out");
    /// let failure = Failure::Status(Status::from_error(Box::new(io)));
    /// let found = failure.find_error::<std::io::Error>().unwrap();
    /// assert_eq!(found.kind(), std::io::ErrorKind::TimedOut);
    /// ```
    pub fn find_error<E: Error + 'static>(&self) -> Option<&E> {
        match self {
            Failure::Panic(payload) => payload.downcast_ref(),
            Failure::Status(status) => {
                let mut next = status.source();
                while let Some(error) = next {
                    if let Some(found) = error.downcast_ref() {
                        return Some(found);
                    }
                    next = error.source();
                }
                None
            }
        }
    }
}

/// A panic as `panicked: <message>` (`panicked: Box<dyn Any>` when the payload is not a
/// string); a status as its message.
impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Status(status) => f.write_str(status.message()),
            Failure::Panic(payload) => write_panic(f, &**payload),
        }
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Status(status) => f.debug_tuple("Status").field(status).finish(),
            Failure::Panic(payload) => f
                .debug_tuple("Panic")
                .field(&message(&**payload).unwrap_or("Box<dyn Any>"))
                .finish(),
        }
    }
}

pub(super) fn is_unknown(status: &Status) -> bool {
    status.code() == Code::Unknown && status.source().is_some()
}

fn message(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&'static str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

fn write_panic(f: &mut fmt::Formatter<'_>, payload: &(dyn Any + Send)) -> fmt::Result {
    write!(
        f,
        "panicked: {}",
        message(payload).unwrap_or("Box<dyn Any>")
    )
}

/// The status a panic ends a stream with until someone answers for it.
pub(crate) fn panic_status(payload: &(dyn Any + Send)) -> Status {
    struct Panic<'a>(&'a (dyn Any + Send));
    impl fmt::Display for Panic<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write_panic(f, self.0)
        }
    }
    Status::unknown(Panic(payload).to_string())
}
