//! [`AccessLog`]: one `tracing` event per call when it ends (method, peer, code, duration,
//! message counts, request id), and, when asked for, the messages themselves: truncated,
//! with the fields the user names redacted.

use std::future::Future;
use std::sync::Arc;

use tonic::Status;

use crate::{
    AnyMessage, CallInterceptor, Chain, Context, MethodName, Next, PayloadExt, Request, Response,
    Side,
};

/// Logs every call once it has ended, as an INFO event with target
/// `grpc_interceptor::access` and the fields `side`, `method`, `peer` (servers), `code`,
/// `status_message`, `duration_ms`, `requests`, `responses` and `request_id` (with the
/// `request-id` feature, when [`RequestIds`](super::request_id::RequestIds) runs further
/// out).
///
/// Payload logging is off by default. [`payloads`](Self::payloads) logs each message as a
/// DEBUG event (target `grpc_interceptor::payload`) in its `Debug` form, cut after
/// `max_len` characters, with the value of every field named in `redact` replaced by
/// `<redacted>` (at any depth: `password: "hunter2"` becomes `password: <redacted>`).
///
/// ```
/// use grpc_interceptor::interceptors::access_log::AccessLog;
///
/// let log = AccessLog::new();
/// let verbose = AccessLog::new().payloads(256, ["password", "token"]);
/// # let _ = (log, verbose);
/// ```
#[derive(Clone, Debug, Default)]
pub struct AccessLog {
    payloads: Option<Arc<Payloads>>,
}

#[derive(Debug)]
struct Payloads {
    max_len: usize,
    redact: Vec<String>,
}

impl AccessLog {
    /// One line per call, no payloads.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also logs every message, cut after `max_len` characters, with the named fields
    /// redacted.
    pub fn payloads(
        mut self,
        max_len: usize,
        redact: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.payloads = Some(Arc::new(Payloads {
            max_len,
            redact: redact.into_iter().map(Into::into).collect(),
        }));
        self
    }
}

impl Payloads {
    fn line(&self, message: &dyn AnyMessage) -> String {
        let full = format!("{:?}", message.as_debug());
        let redacted = redact(&full, &self.redact);
        match redacted.char_indices().nth(self.max_len) {
            Some((cut, _)) => format!(
                "{}… ({} more bytes)",
                &redacted[..cut],
                redacted.len() - cut
            ),
            None => redacted,
        }
    }
}

/// `debug` with the value of each field in `fields` replaced by `<redacted>`. The value runs
/// to the next `,` or closing bracket outside quotes and nested brackets.
fn redact(debug: &str, fields: &[String]) -> String {
    if fields.is_empty() {
        return debug.to_owned();
    }
    let bytes = debug.as_bytes();
    let mut out = String::with_capacity(debug.len());
    let mut i = 0;
    while i < debug.len() {
        let at_word = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        let field = at_word
            .then(|| {
                fields.iter().find(|f| {
                    debug[i..]
                        .strip_prefix(f.as_str())
                        .is_some_and(|r| r.starts_with(": "))
                })
            })
            .flatten();
        let Some(field) = field else {
            let c = debug[i..].chars().next().unwrap_or_default();
            out.push(c);
            i += c.len_utf8().max(1);
            continue;
        };
        out.push_str(field);
        out.push_str(": <redacted>");
        i += field.len() + 2;
        let start = i;
        let (mut depth, mut quoted, mut escaped) = (0usize, false, false);
        while i < bytes.len() {
            let b = bytes[i];
            if quoted {
                match (escaped, b) {
                    (true, _) => escaped = false,
                    (false, b'\\') => escaped = true,
                    (false, b'"') => quoted = false,
                    _ => {}
                }
            } else {
                match b {
                    b'"' => quoted = true,
                    b'{' | b'[' | b'(' => depth += 1,
                    b'}' | b']' | b')' if depth == 0 => break,
                    b'}' | b']' | b')' => depth -= 1,
                    b',' if depth == 0 => break,
                    _ => {}
                }
            }
            i += 1;
        }
        // The space before a closing bracket is not the value's.
        while i > start && bytes[i - 1].is_ascii_whitespace() {
            i -= 1;
        }
    }
    out
}

impl CallInterceptor for AccessLog {
    fn intercept<'call, N: Chain>(
        &self,
        method: Next<'call, N>,
        mut request: Request<N::ReqPayload>,
        context: &mut Context<'call>,
        method_name: &MethodName,
    ) -> impl Future<Output = Result<Response<N::RespPayload>, Status>> + Send {
        let name = method_name.to_string();
        let peer = request
            .remote_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let side = match context.side() {
            Side::Server => "server",
            Side::Client => "client",
        };
        if let Some(payloads) = &self.payloads {
            let (payloads, name) = (Arc::clone(payloads), name.clone());
            request.observe_messages(move |message| {
                tracing::debug!(target: "grpc_interceptor::payload", method = %name, direction = "request", message = %payloads.line(message));
            });
        }
        context.on_call_end(move |end| {
            #[cfg(feature = "request-id")]
            let request_id = end
                .get::<super::request_id::RequestId>()
                .map(ToString::to_string)
                .unwrap_or_default();
            #[cfg(not(feature = "request-id"))]
            let request_id = "";
            tracing::info!(
                target: "grpc_interceptor::access",
                side,
                method = %name,
                peer = %peer,
                code = ?end.code(),
                status_message = end.status().message(),
                duration_ms = end.elapsed().as_secs_f64() * 1000.0,
                requests = end.request_messages(),
                responses = end.response_messages(),
                request_id = %request_id,
            );
        });
        let payloads = self.payloads.clone();
        let name = method_name.to_string();
        async move {
            let mut response = method.call(request, context).await?;
            if let Some(payloads) = payloads {
                response.observe_messages(move |message| {
                    tracing::debug!(target: "grpc_interceptor::payload", method = %name, direction = "response", message = %payloads.line(message));
                });
            }
            Ok(response)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_named_fields_at_any_depth_and_nothing_else() {
        let fields = vec!["password".to_owned(), "token".to_owned()];
        let debug = r#"Login { user: "ferris", password: "hun\"ter, 2", inner: Some(Creds { token: [1, 2], password_hint: "pet" }) }"#;
        assert_eq!(
            redact(debug, &fields),
            r#"Login { user: "ferris", password: <redacted>, inner: Some(Creds { token: <redacted>, password_hint: "pet" }) }"#
        );
        assert_eq!(redact("A { x: 1 }", &fields), "A { x: 1 }");
        assert_eq!(
            redact(r#"B { token: "t" }"#, &fields),
            "B { token: <redacted> }"
        );
    }

    #[test]
    fn payload_lines_are_cut_after_the_limit() {
        let payloads = Payloads {
            max_len: 5,
            redact: Vec::new(),
        };
        #[derive(Clone, PartialEq, prost::Message)]
        struct Hello {
            #[prost(string, tag = "1")]
            name: String,
        }
        let line = payloads.line(&Hello {
            name: "ferris".into(),
        });
        assert!(line.starts_with("Hello…"), "{line}");
        assert!(line.ends_with("more bytes)"), "{line}");
    }
}
