//! Kubernetes resource quantities (`100m`, `2`, `1Gi`, `1.5G`, `1e3`) as whole milli-units, the
//! precision the scheduler compares requests with (`MilliValue()` for cpu, `Value()` * 1000 for
//! everything else is the same comparison once both sides are in milli-units).

/// Why a quantity string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {0:?}"
)]
pub struct QuantityError(pub String);

/// Parses a quantity into milli-units, rounding up (as the API server rounds a value that is
/// finer than a milli-unit).
pub fn parse_milli(text: &str) -> Result<i128, QuantityError> {
    let err = || QuantityError(text.to_string());
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    if number.is_empty() {
        return Err(err());
    }
    let (negative, digits) = match number.as_bytes()[0] {
        b'-' => (true, &number[1..]),
        b'+' => (false, &number[1..]),
        _ => (false, number),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(err());
    }
    // The value is (whole.fraction) * base^exp; keep it as mantissa / 10^scale.
    let mantissa: i128 = format!("{whole}{fraction}").parse().map_err(|_| err())?;
    let scale = fraction.len() as u32;
    let (multiplier, divisor) = suffix_factor(suffix).ok_or_else(err)?;
    let numerator =
        mantissa.checked_mul(multiplier).and_then(|n| n.checked_mul(1000)).ok_or_else(err)?;
    let denominator = divisor.checked_mul(10i128.pow(scale)).ok_or_else(err)?;
    let value = (numerator + denominator - 1) / denominator;
    Ok(if negative { -value } else { value })
}

/// (multiplier, divisor) of a suffix.
fn suffix_factor(suffix: &str) -> Option<(i128, i128)> {
    let binary = |power: u32| Some((1i128 << (10 * power), 1));
    let decimal = |power: u32| Some((10i128.pow(power), 1));
    match suffix {
        "" => Some((1, 1)),
        "n" => Some((1, 1_000_000_000)),
        "u" => Some((1, 1_000_000)),
        "m" => Some((1, 1000)),
        "k" => decimal(3),
        "M" => decimal(6),
        "G" => decimal(9),
        "T" => decimal(12),
        "P" => decimal(15),
        "E" => decimal(18),
        "Ki" => binary(1),
        "Mi" => binary(2),
        "Gi" => binary(3),
        "Ti" => binary(4),
        "Pi" => binary(5),
        "Ei" => binary(6),
        _ => {
            let exponent = suffix.strip_prefix(['e', 'E'])?;
            let exponent: i32 = exponent.parse().ok()?;
            if exponent >= 0 {
                decimal(exponent.unsigned_abs().min(30))
            } else {
                Some((1, 10i128.pow(exponent.unsigned_abs().min(30))))
            }
        }
    }
}

/// Formats milli-units back into a canonical-enough quantity: whole numbers plainly, the rest
/// with `m`.
pub fn format_milli(milli: i128) -> String {
    if milli % 1000 == 0 { (milli / 1000).to_string() } else { format!("{milli}m") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_suffixes_kubernetes_uses() {
        assert_eq!(parse_milli("100m"), Ok(100));
        assert_eq!(parse_milli("2"), Ok(2000));
        assert_eq!(parse_milli("1.5"), Ok(1500));
        assert_eq!(parse_milli("1Ki"), Ok(1024 * 1000));
        assert_eq!(parse_milli("2Gi"), Ok(2 * (1 << 30) * 1000));
        assert_eq!(parse_milli("1G"), Ok(1_000_000_000 * 1000));
        assert_eq!(parse_milli("1e3"), Ok(1_000_000));
        assert_eq!(parse_milli("0.5Gi"), Ok((1 << 29) * 1000));
        assert_eq!(parse_milli("-1"), Ok(-1000));
        assert_eq!(parse_milli("1n"), Ok(1), "finer than milli rounds up");
    }

    #[test]
    fn refuses_what_is_not_a_quantity() {
        for bad in ["", "abc", "1Qi", "1..2", "Gi", "."] {
            assert!(parse_milli(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn formats_whole_and_milli_values() {
        assert_eq!(format_milli(2000), "2");
        assert_eq!(format_milli(250), "250m");
    }
}
