//! The few headers the wire path checks on every call (`content-type`, `te`,
//! `grpc-encoding`, `grpc-status`), found in one pass over the map: a call's headers are
//! few, and a hashed lookup of a custom name such as `grpc-encoding` costs more than
//! comparing it with each of them.

use tonic::codegen::http::header::{CONTENT_TYPE, TE};
use tonic::codegen::http::{HeaderMap, HeaderName, HeaderValue};

use super::codec::GRPC_ENCODING;

/// `grpc-status`, as a `HeaderName`: comparing or looking it up parses nothing.
pub(crate) const GRPC_STATUS: HeaderName = HeaderName::from_static("grpc-status");

/// Maps of up to this many values are scanned; larger ones are looked up by hash.
const SCANNED: usize = 8;

/// The first value of each header the wire path checks, where a [`Wanted`] asked for it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Found<'a> {
    pub(crate) content_type: Option<&'a HeaderValue>,
    pub(crate) te: Option<&'a HeaderValue>,
    pub(crate) encoding: Option<&'a HeaderValue>,
    pub(crate) status: bool,
}

/// Which headers [`find`] looks for (a large map is looked up only for those).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Wanted {
    pub(crate) content_type: bool,
    pub(crate) te: bool,
    pub(crate) encoding: bool,
    pub(crate) status: bool,
}

/// The headers `wanted` names, as `HeaderMap::get` would give them (the first value of
/// each), in one pass over a small map.
#[inline(always)]
pub(crate) fn find(headers: &HeaderMap, wanted: Wanted) -> Found<'_> {
    if headers.len() > SCANNED {
        return Found {
            content_type: wanted
                .content_type
                .then(|| headers.get(CONTENT_TYPE))
                .flatten(),
            te: wanted.te.then(|| headers.get(TE)).flatten(),
            encoding: wanted
                .encoding
                .then(|| headers.get(&GRPC_ENCODING))
                .flatten(),
            status: wanted.status && headers.contains_key(&GRPC_STATUS),
        };
    }
    let mut found = Found::default();
    // Inlined where `wanted` is known: the names it does not ask for are not compared.
    for (name, value) in headers {
        if wanted.content_type && *name == CONTENT_TYPE {
            found.content_type.get_or_insert(value);
        } else if wanted.te && *name == TE {
            found.te.get_or_insert(value);
        } else if wanted.encoding && *name == GRPC_ENCODING {
            found.encoding.get_or_insert(value);
        } else if wanted.status && *name == GRPC_STATUS {
            found.status = true;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted() -> Wanted {
        Wanted {
            content_type: true,
            te: true,
            encoding: true,
            status: true,
        }
    }

    fn check(headers: &HeaderMap) {
        let found = find(headers, wanted());
        assert_eq!(found.content_type, headers.get(CONTENT_TYPE));
        assert_eq!(found.te, headers.get(TE));
        assert_eq!(found.encoding, headers.get(&GRPC_ENCODING));
        assert_eq!(found.status, headers.contains_key(&GRPC_STATUS));
    }

    #[test]
    fn finds_what_get_finds_in_small_and_large_maps() {
        let mut headers = HeaderMap::new();
        check(&headers);
        headers.insert(TE, HeaderValue::from_static("trailers"));
        headers.append(
            CONTENT_TYPE,
            HeaderValue::from_static("application/grpc+proto"),
        );
        headers.append(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        headers.append(GRPC_ENCODING, HeaderValue::from_static("gzip"));
        headers.append(GRPC_ENCODING, HeaderValue::from_static("zstd"));
        check(&headers);
        headers.insert(GRPC_STATUS, HeaderValue::from_static("0"));
        check(&headers);
        for i in 0..SCANNED {
            headers.insert(
                HeaderName::try_from(format!("x-extra-{i}")).unwrap(),
                HeaderValue::from_static("v"),
            );
        }
        assert!(headers.len() > SCANNED);
        check(&headers);
        headers.remove(&GRPC_STATUS);
        headers.remove(TE);
        check(&headers);
    }

    #[test]
    fn finds_only_what_is_wanted() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
        headers.insert(GRPC_ENCODING, HeaderValue::from_static("gzip"));
        headers.insert(GRPC_STATUS, HeaderValue::from_static("0"));
        let wanted = Wanted {
            encoding: true,
            ..Wanted::default()
        };
        let found = find(&headers, wanted);
        assert_eq!(found.encoding, headers.get(&GRPC_ENCODING));
        assert!(found.content_type.is_none() && !found.status);
    }
}
