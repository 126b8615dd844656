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
