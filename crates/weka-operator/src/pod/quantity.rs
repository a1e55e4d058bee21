//! Kubernetes quantities by value: the API server rewrites them in canonical form (`3000M`
//! comes back as `3G`, `3.5Gi` as `3584Mi`), so comparisons must not look at the text.

use std::cmp::Ordering;

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

/// The value of a quantity in billionths (nano units), or None when the text is not a
/// quantity or the value does not fit.
pub fn nanos(text: &str) -> Option<i128> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let (negative, digits) = match number.as_bytes().first() {
        Some(b'-') => (true, &number[1..]),
        Some(b'+') => (false, &number[1..]),
        _ => (false, number),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    if !(whole.chars().all(|c| c.is_ascii_digit()) && fraction.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    let mantissa: i128 = format!("{whole}{fraction}").parse().ok()?;
    let scale = 10i128.checked_pow(u32::try_from(fraction.len()).ok()?)?;
    let multiplier = suffix_nanos(suffix)?;
    let value = mantissa.checked_mul(multiplier)? / scale;
    Some(if negative { -value } else { value })
}

/// Nano units per unit of a suffix.
fn suffix_nanos(suffix: &str) -> Option<i128> {
    const NANO: i128 = 1_000_000_000;
    let binary = |power: u32| 1024i128.checked_pow(power).map(|v| v * NANO);
    match suffix {
        "n" => Some(1),
        "u" => Some(1_000),
        "m" => Some(1_000_000),
        "" => Some(NANO),
        "k" => Some(NANO * 1_000),
        "M" => Some(NANO * 1_000_000),
        "G" => Some(NANO * 1_000_000_000),
        "T" => Some(NANO * 1_000_000_000_000),
        "P" => Some(NANO * 1_000_000_000_000_000),
        "E" => Some(NANO * 1_000_000_000_000_000_000),
        "Ki" => binary(1),
        "Mi" => binary(2),
        "Gi" => binary(3),
        "Ti" => binary(4),
        "Pi" => binary(5),
        "Ei" => binary(6),
        exponent if exponent.starts_with(['e', 'E']) => {
            let power: i32 = exponent[1..].parse().ok()?;
            let shifted = power.checked_add(9)?;
            10i128.checked_pow(u32::try_from(shifted).ok()?)
        }
        _ => None,
    }
}

/// Equal by value; texts that are not quantities must match exactly.
pub fn same(a: &Quantity, b: &Quantity) -> bool {
    match (nanos(&a.0), nanos(&b.0)) {
        (Some(x), Some(y)) => x == y,
        _ => a.0 == b.0,
    }
}

/// Compares by value, None when either side is not a quantity.
pub fn compare(a: &Quantity, b: &Quantity) -> Option<Ordering> {
    Some(nanos(&a.0)?.cmp(&nanos(&b.0)?))
}

pub fn is_zero(q: &Quantity) -> bool {
    nanos(&q.0) == Some(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str) -> Quantity {
        Quantity(text.to_string())
    }

    #[test]
    fn canonical_forms_equal_what_the_builder_writes() {
        assert!(same(&q("3000M"), &q("3G")));
        assert!(same(&q("3.5Gi"), &q("3584Mi")));
        assert!(same(&q("2000m"), &q("2")));
        assert!(same(&q("0Mi"), &q("0")));
        assert!(same(&q("1e3"), &q("1k")));
        assert!(!same(&q("7000Mi"), &q("7000M")));
    }

    #[test]
    fn requests_compare_with_limits_by_value() {
        assert_eq!(compare(&q("100m"), &q("1")), Some(Ordering::Less));
        assert_eq!(compare(&q("1Gi"), &q("1000Mi")), Some(Ordering::Greater));
        assert_eq!(compare(&q("abc"), &q("1")), None);
    }
}
