//! The `grpc-timeout` header: `1*8DIGIT` followed by a unit (`H M S m u n`).

use std::time::Duration;

pub(crate) fn parse(value: &str) -> Option<Duration> {
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
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

/// The most precise unit whose value fits in eight digits, rounding up.
pub(crate) fn encode(timeout: Duration) -> String {
    const MAX: u128 = 99_999_999;
    let nanos = timeout.as_nanos();
    for (unit, per) in [
        ("n", 1),
        ("u", 1_000),
        ("m", 1_000_000),
        ("S", 1_000_000_000),
    ] {
        let n = nanos.div_ceil(per);
        if n <= MAX {
            return format!("{n}{unit}");
        }
    }
    let minutes = nanos.div_ceil(60_000_000_000);
    if minutes <= MAX {
        return format!("{minutes}M");
    }
    format!("{}H", nanos.div_ceil(3_600_000_000_000).min(MAX))
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
        for bad in ["", "S", "123456789S", "1x", "-1S", "1.5S"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn encodes_within_eight_digits_and_round_trips() {
        for d in [
            Duration::from_millis(1500),
            Duration::from_secs(30),
            Duration::from_secs(86_400 * 400),
        ] {
            let s = encode(d);
            assert!(s.len() <= 9, "{s}");
            assert!(parse(&s).unwrap() >= d);
        }
        assert_eq!(encode(Duration::from_millis(1500)), "1500000u");
    }
}
