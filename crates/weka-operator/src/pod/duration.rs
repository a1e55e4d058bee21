//! Go duration strings (`10m`, `1h30m`, `1.5s`, `0`), as the CRD accepts them.

/// Whole seconds of a Go duration (truncated, like Go's `int(d.Seconds())`), or None when the
/// text is not a duration.
pub fn whole_seconds(text: &str) -> Option<i64> {
    let mut rest = text.trim();
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut nanos: i128 = 0;
    while !rest.is_empty() {
        let digits_end =
            rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let (number, after) = rest.split_at(digits_end);
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() || !fraction.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let (unit_nanos, unit_len) = unit(after)?;
        let mantissa: i128 = format!("{whole}{fraction}").parse().ok()?;
        let scale = 10i128.checked_pow(u32::try_from(fraction.len()).ok()?)?;
        nanos = nanos.checked_add(mantissa.checked_mul(unit_nanos)? / scale)?;
        rest = &after[unit_len..];
    }
    i64::try_from(nanos / 1_000_000_000).ok()
}

/// Nanoseconds per unit and the unit's length in bytes.
fn unit(text: &str) -> Option<(i128, usize)> {
    const UNITS: [(&str, i128); 7] = [
        ("ns", 1),
        ("us", 1_000),
        ("µs", 1_000),
        ("ms", 1_000_000),
        ("s", 1_000_000_000),
        ("m", 60_000_000_000),
        ("h", 3_600_000_000_000),
    ];
    UNITS.iter().find(|(name, _)| text.starts_with(name)).map(|(name, nanos)| (*nanos, name.len()))
}

#[cfg(test)]
mod tests {
    use super::whole_seconds;

    #[test]
    fn go_durations_become_whole_seconds() {
        assert_eq!(whole_seconds("0"), Some(0));
        assert_eq!(whole_seconds("0s"), Some(0));
        assert_eq!(whole_seconds("10m"), Some(600));
        assert_eq!(whole_seconds("1h30m"), Some(5400));
        assert_eq!(whole_seconds("1.5s"), Some(1));
        assert_eq!(whole_seconds("2500ms"), Some(2));
        assert_eq!(whole_seconds("90µs"), Some(0));
    }

    #[test]
    fn text_that_is_not_a_duration_is_refused() {
        assert_eq!(whole_seconds(""), None);
        assert_eq!(whole_seconds("10"), None);
        assert_eq!(whole_seconds("ten minutes"), None);
        assert_eq!(whole_seconds("5d"), None);
    }
}
