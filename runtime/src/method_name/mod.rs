//! The gRPC method path, parsed: [`MethodName`] and [`parse_method_name`].

use std::borrow::Cow;
use std::fmt;

/// A gRPC method path such as `/foo.bar.SearchService/Search`, split into its parts.
///
/// Interceptors receive one for every call. [`Display`](fmt::Display) prints the raw
/// path; [`Debug`] prints the parts the way Python's `grpc-interceptor` does:
///
/// ```
/// use grpc_interceptor::parse_method_name;
///
/// let name = parse_method_name("/foo.bar.SearchService/Search").unwrap();
/// assert_eq!(name.to_string(), "/foo.bar.SearchService/Search");
/// assert_eq!(
///     format!("{name:?}"),
///     "MethodName(package='foo.bar', service='SearchService', method='Search')",
/// );
/// assert_eq!(name.fully_qualified_service(), "foo.bar.SearchService");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MethodName {
    raw: Cow<'static, str>,
    /// Byte range of `package.Service` in `raw`.
    service_start: usize,
    service_end: usize,
    /// Byte index of the last `.` inside the service part, if any.
    dot: Option<usize>,
}

impl MethodName {
    /// Builds a method name from its parts; the raw path is `/package.service/method`
    /// (or `/service/method` when `package` is empty).
    ///
    /// ```
    /// use grpc_interceptor::MethodName;
    ///
    /// let name = MethodName::new("foo.bar", "SearchService", "Search");
    /// assert_eq!(name.fully_qualified_service(), "foo.bar.SearchService");
    /// assert_eq!(MethodName::new("", "SearchService", "Search").fully_qualified_service(), "SearchService");
    /// ```
    pub fn new(package: &str, service: &str, method: &str) -> Self {
        let raw = if package.is_empty() {
            format!("/{service}/{method}")
        } else {
            format!("/{package}.{service}/{method}")
        };
        let service_end = raw.len() - method.len() - 1;
        Self {
            dot: (!package.is_empty()).then(|| 1 + package.len()),
            raw: Cow::Owned(raw),
            service_start: 1,
            service_end,
        }
    }

    /// Builds the name of `method` on a service whose fully qualified name is `service`
    /// (`package.Service`, as in tonic's `NamedService::NAME`).
    pub fn from_service(service: &str, method: &str) -> Self {
        Self {
            raw: Cow::Owned(format!("/{service}/{method}")),
            service_start: 1,
            service_end: 1 + service.len(),
            dot: service.rfind('.').map(|i| 1 + i),
        }
    }

    fn split(raw: Cow<'static, str>) -> Result<Self, InvalidMethodName> {
        let mut slashes = raw.match_indices('/').map(|(i, _)| i);
        let (first, second) = match (slashes.next(), slashes.next(), slashes.next()) {
            (Some(first), Some(second), None) => (first, second),
            (_, _, Some(_)) => return Err(InvalidMethodName::new(&raw, "has more than two `/`")),
            _ => return Err(InvalidMethodName::new(&raw, "has fewer than two `/`")),
        };
        let service_start = first + 1;
        let dot = raw[service_start..second]
            .rfind('.')
            .map(|i| service_start + i);
        Ok(Self {
            raw,
            service_start,
            service_end: second,
            dot,
        })
    }

    /// The proto package, `""` when the service has none (`/DummyService/Execute`).
    pub fn package(&self) -> &str {
        self.dot
            .map_or("", |dot| &self.raw[self.service_start..dot])
    }

    /// The service name without its package.
    pub fn service(&self) -> &str {
        let start = self.dot.map_or(self.service_start, |dot| dot + 1);
        &self.raw[start..self.service_end]
    }

    /// The method name.
    pub fn method(&self) -> &str {
        &self.raw[self.service_end + 1..]
    }

    /// `package.Service`, or just `Service` when the package is empty.
    pub fn fully_qualified_service(&self) -> &str {
        if self.package().is_empty() {
            self.service()
        } else {
            &self.raw[self.service_start..self.service_end]
        }
    }

    /// The raw path this name was built or parsed from, e.g. `/foo.bar.SearchService/Search`.
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

impl fmt::Display for MethodName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl fmt::Debug for MethodName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "MethodName(package='{}', service='{}', method='{}')",
            self.package(),
            self.service(),
            self.method()
        )
    }
}

impl std::str::FromStr for MethodName {
    type Err = InvalidMethodName;

    fn from_str(path: &str) -> Result<Self, Self::Err> {
        parse_method_name(path)
    }
}

/// Parses a gRPC method path such as `/foo.bar.SearchService/Search`.
///
/// The path is split on `/` into exactly three parts (the first is ignored); the middle
/// part is split on its last `.` into package and service. These are the semantics of
/// Python's `grpc_interceptor.parse_method_name`, except that a malformed path is an
/// error value instead of an exception.
///
/// ```
/// use grpc_interceptor::parse_method_name;
///
/// let name = parse_method_name("/SearchService/Search").unwrap();
/// assert_eq!((name.package(), name.service(), name.method()), ("", "SearchService", "Search"));
///
/// let err = parse_method_name("Svc/M").unwrap_err();
/// assert_eq!(err.to_string(), "invalid gRPC method name `Svc/M`: has fewer than two `/`");
/// ```
pub fn parse_method_name(path: &str) -> Result<MethodName, InvalidMethodName> {
    MethodName::split(Cow::Owned(path.to_owned()))
}

/// The error [`parse_method_name`] returns for a path that is not `/<service>/<method>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidMethodName {
    path: String,
    reason: &'static str,
}

impl InvalidMethodName {
    fn new(path: &str, reason: &'static str) -> Self {
        Self {
            path: path.to_owned(),
            reason,
        }
    }

    /// The path that failed to parse.
    pub fn path(&self) -> &str {
        &self.path
    }
}

impl fmt::Display for InvalidMethodName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid gRPC method name `{}`: {}",
            self.path, self.reason
        )
    }
}

impl std::error::Error for InvalidMethodName {}

impl From<InvalidMethodName> for tonic::Status {
    fn from(err: InvalidMethodName) -> Self {
        tonic::Status::invalid_argument(err.to_string())
    }
}

#[cfg(test)]
mod tests;
