//! Parsing the `grpc-timeout` header: `1*8DIGIT` followed by a unit (`H M S m u n`).
//! (tonic writes it with `Request::set_timeout`; its parser is private.)

use std::time::Duration;

pub(crate) fn parse(value: &str) -> Option<Duration> {
    let last = value.len().checked_sub(1)?;
    // A value that ends in a multi-byte character is no timeout (and no place to split).
    if !value.is_char_boundary(last) {
        return None;
    }
    let (digits, unit) = value.split_at(last);
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit_and_rejects_malformed_values() {
        assert_eq!(parse("3S"), Some(Duration::from_secs(3)));
        assert_eq!(parse("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse("2H"), Some(Duration::from_secs(7200)));
        assert_eq!(parse("7n"), Some(Duration::from_nanos(7)));
        for bad in ["", "S", "123456789S", "1x", "-1S", "1.5S", "1é", "é"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}

#[cfg(test)]
mod proptests {
    use std::time::Duration;

    use proptest::prelude::*;
    use tonic::codegen::http;

    use super::parse;
    use crate::RequestExt;

    /// What a `grpc-timeout` value means, written apart from `parse`: one to eight ASCII
    /// digits, then one of the units `H M S m u n`.
    fn meaning(value: &str) -> Option<Duration> {
        let (unit, digits) = value.as_bytes().split_last()?;
        if !(1..=8).contains(&digits.len()) || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n: u128 = digits
            .iter()
            .fold(0, |n, digit| n * 10 + u128::from(digit - b'0'));
        let nanos_per_unit: u128 = match unit {
            b'H' => 3_600_000_000_000,
            b'M' => 60_000_000_000,
            b'S' => 1_000_000_000,
            b'm' => 1_000_000,
            b'u' => 1_000,
            b'n' => 1,
            _ => return None,
        };
        let nanos = n * nanos_per_unit;
        Some(Duration::new(
            u64::try_from(nanos / 1_000_000_000).ok()?,
            u32::try_from(nanos % 1_000_000_000).ok()?,
        ))
    }

    /// The timeout a server sees in a request whose `grpc-timeout` header is `value`.
    fn timeout_of(value: http::HeaderValue) -> Option<Duration> {
        let request = http::Request::builder()
            .header("grpc-timeout", value)
            .body(())
            .expect("a request");
        tonic::Request::from_http(request).timeout()
    }

    fn unit() -> impl Strategy<Value = (char, Duration)> {
        prop::sample::select(vec![
            ('H', Duration::from_secs(3600)),
            ('M', Duration::from_secs(60)),
            ('S', Duration::from_secs(1)),
            ('m', Duration::from_millis(1)),
            ('u', Duration::from_micros(1)),
            ('n', Duration::from_nanos(1)),
        ])
    }

    proptest! {
        #[test]
        fn any_string_parses_as_its_meaning(value in any::<String>()) {
            prop_assert_eq!(parse(&value), meaning(&value));
        }

        #[test]
        fn near_valid_strings_parse_as_their_meaning(value in "[-+ 0-9]{0,10}[HMSmunsx.é]?") {
            prop_assert_eq!(parse(&value), meaning(&value));
        }

        #[test]
        fn valid_values_parse_to_their_duration(
            digits in "[0-9]{1,8}",
            (unit, one) in unit(),
        ) {
            let n: u32 = digits.parse().expect("at most 8 digits");
            let value = format!("{digits}{unit}");
            prop_assert_eq!(parse(&value), Some(one * n));
            let header = http::HeaderValue::from_str(&value).expect("ASCII");
            prop_assert_eq!(timeout_of(header), Some(one * n));
        }

        #[test]
        fn a_request_with_any_grpc_timeout_header_gives_its_meaning_or_none(
            bytes in prop::collection::vec(any::<u8>(), 0..12),
        ) {
            // Header values take any bytes but controls (obs-text included); `to_str` then
            // admits visible ASCII only.
            if let Ok(header) = http::HeaderValue::from_bytes(&bytes) {
                let expected = header.to_str().ok().and_then(meaning);
                prop_assert_eq!(timeout_of(header), expected);
            }
        }
    }
}
