//! Value parsers shared by the flags and environment variables, with upstream's syntax:
//! Go durations (`30s`, `5m`, `1h30m`), Go's strict booleans, Go listen addresses (`:8081`).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

/// Parses a Go duration (`time.ParseDuration`): a sequence of decimal numbers, each with an
/// optional fraction and a unit among `ns`, `us` (`µs`), `ms`, `s`, `m`, `h`; `0` alone is
/// zero. Negative durations are refused: no setting of the operator can be negative.
pub fn duration(text: &str) -> Result<Duration, String> {
    let hint = "expected a Go duration such as 30s, 5m or 1h30m";
    let s = text.trim();
    if s.is_empty() {
        return Err(format!("empty duration ({hint})"));
    }
    if s.starts_with('-') {
        return Err(format!("duration {s:?} is negative"));
    }
    let s = s.strip_prefix('+').unwrap_or(s);
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let number_len =
            rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let number = &rest[..number_len];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(format!("invalid duration {s:?} ({hint})"));
        }
        rest = &rest[number_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let nanos_per_unit = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err(format!("missing unit in duration {s:?} ({hint})")),
            other => return Err(format!("unknown unit {other:?} in duration {s:?} ({hint})")),
        };
        let value: f64 = number.parse().map_err(|_| format!("invalid duration {s:?} ({hint})"))?;
        total += value * nanos_per_unit;
    }
    if !total.is_finite() || total > u64::MAX as f64 {
        return Err(format!("duration {s:?} is too large"));
    }
    Ok(Duration::from_nanos(total.round() as u64))
}

/// Formats a duration the way Go prints it, for messages and round trips (`1h30m0s`, `1.5s`).
pub fn format_duration(d: Duration) -> String {
    if d.is_zero() {
        return "0s".to_string();
    }
    if d < Duration::from_secs(1) {
        let nanos = d.as_nanos();
        return if nanos.is_multiple_of(1_000_000) {
            format!("{}ms", nanos / 1_000_000)
        } else if nanos.is_multiple_of(1_000) {
            format!("{}µs", nanos / 1_000)
        } else {
            format!("{nanos}ns")
        };
    }
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    let frac = d.subsec_nanos();
    let seconds = if frac == 0 {
        format!("{s}s")
    } else {
        let digits = format!("{frac:09}");
        format!("{s}.{}s", digits.trim_end_matches('0'))
    };
    match (h, m) {
        (0, 0) => seconds,
        (0, m) => format!("{m}m{seconds}"),
        (h, m) => format!("{h}h{m}m{seconds}"),
    }
}

/// Parses a boolean exactly as Go's `strconv.ParseBool` does; anything else (`yes`, `on`, ``)
/// is an error rather than a silent `false`.
pub fn boolean(text: &str) -> Result<bool, String> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        other => Err(format!("invalid boolean {other:?} (expected true or false)")),
    }
}

/// A listen address: `HOST:PORT`, Go's `:PORT` (every interface), or `0` (disabled, as
/// controller-runtime reads it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindAddress {
    Disabled,
    Listen(SocketAddr),
}

impl BindAddress {
    pub fn socket_addr(self) -> Option<SocketAddr> {
        match self {
            BindAddress::Disabled => None,
            BindAddress::Listen(addr) => Some(addr),
        }
    }

    pub fn port(self) -> Option<u16> {
        self.socket_addr().map(|a| a.port())
    }
}

impl std::fmt::Display for BindAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BindAddress::Disabled => f.write_str("0"),
            BindAddress::Listen(addr) => write!(f, "{addr}"),
        }
    }
}

pub fn bind_address(text: &str) -> Result<BindAddress, String> {
    let hint = "expected HOST:PORT, :PORT or 0 to disable";
    let s = text.trim();
    if s == "0" {
        return Ok(BindAddress::Disabled);
    }
    let (host, port) =
        s.rsplit_once(':').ok_or_else(|| format!("invalid address {s:?} ({hint})"))?;
    let port: u16 = port.parse().map_err(|_| format!("invalid port in address {s:?} ({hint})"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ip = match host {
        "" => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
        other => other
            .parse()
            .map_err(|_| format!("invalid host {other:?} in address {s:?} ({hint})"))?,
    };
    Ok(BindAddress::Listen(SocketAddr::new(ip, port)))
}

/// A JSON object of strings (upstream's `METRICS_CLUSTERS_NODE_SELECTOR`); empty text is none.
pub fn string_map(text: &str) -> Result<BTreeMap<String, String>, String> {
    if text.trim().is_empty() {
        return Ok(BTreeMap::new());
    }
    serde_json::from_str(text).map_err(|e| format!("expected a JSON object of strings: {e}"))
}

/// A comma-separated list, items trimmed and empty items dropped (upstream's taint-key lists).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommaList(pub Vec<String>);

pub fn comma_list(text: &str) -> Result<CommaList, String> {
    Ok(CommaList(
        text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect(),
    ))
}

/// A percentage, 0 to 100.
pub fn percent(text: &str) -> Result<u8, String> {
    match text.trim().parse::<u8>() {
        Ok(v) if v <= 100 => Ok(v),
        _ => Err(format!("invalid percentage {text:?} (expected an integer from 0 to 100)")),
    }
}

/// A worker count: at least one.
pub fn workers(text: &str) -> Result<u16, String> {
    match text.trim().parse::<u16>() {
        Ok(v) if v >= 1 => Ok(v),
        _ => Err(format!("invalid worker count {text:?} (expected an integer from 1 to 65535)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_parse_like_go() {
        let cases = [
            ("0", 0),
            ("30s", 30_000),
            ("5m", 300_000),
            ("1h30m", 5_400_000),
            ("1.5s", 1_500),
            ("250ms", 250),
            ("2h45m30s", 9_930_000),
            ("+10s", 10_000),
        ];
        for (text, millis) in cases {
            assert_eq!(duration(text), Ok(Duration::from_millis(millis)), "{text}");
        }
        assert_eq!(duration("1500us"), Ok(Duration::from_micros(1500)));
        assert_eq!(duration("7ns"), Ok(Duration::from_nanos(7)));
    }

    #[test]
    fn bad_durations_are_refused_with_a_hint() {
        for text in ["", "5", "5x", "m", "1.2.3s", "-5s", "abc", "10 s"] {
            let err = duration(text).expect_err(text);
            assert!(err.contains("duration"), "{text}: {err}");
        }
        assert!(duration("5").unwrap_err().contains("missing unit"));
        assert!(duration("5d").unwrap_err().contains("unknown unit \"d\""));
    }

    #[test]
    fn durations_format_like_go() {
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m0s");
        assert_eq!(format_duration(Duration::from_secs(15)), "15s");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_duration(Duration::from_millis(200)), "200ms");
        assert_eq!(format_duration(Duration::from_secs(300)), "5m0s");
        for d in ["1h30m0s", "15s", "1.5s", "200ms", "5m0s"] {
            assert_eq!(format_duration(duration(d).unwrap()), d);
        }
    }

    #[test]
    fn booleans_are_strict() {
        for t in ["1", "t", "T", "TRUE", "true", "True"] {
            assert_eq!(boolean(t), Ok(true));
        }
        for f in ["0", "f", "F", "FALSE", "false", "False"] {
            assert_eq!(boolean(f), Ok(false));
        }
        for bad in ["", "yes", "no", "on", "tRuE", " true"] {
            assert!(boolean(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn bind_addresses_accept_go_forms() {
        assert_eq!(bind_address("0"), Ok(BindAddress::Disabled));
        assert_eq!(bind_address(":8081").unwrap().to_string(), "0.0.0.0:8081");
        assert_eq!(bind_address("127.0.0.1:8080").unwrap().to_string(), "127.0.0.1:8080");
        assert_eq!(bind_address("localhost:9").unwrap().to_string(), "127.0.0.1:9");
        assert_eq!(bind_address("[::1]:80").unwrap().to_string(), "[::1]:80");
        for bad in ["8080", "host:80", ":99999", "1.2.3.4:"] {
            assert!(bind_address(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lists_maps_and_numbers() {
        assert_eq!(comma_list(" a, ,b ,").unwrap().0, vec!["a", "b"]);
        assert_eq!(string_map("").unwrap().len(), 0);
        assert_eq!(string_map(r#"{"role":"metrics"}"#).unwrap()["role"], "metrics");
        assert!(string_map("[1]").is_err());
        assert_eq!(percent("90"), Ok(90));
        assert!(percent("101").is_err());
        assert_eq!(workers("10"), Ok(10));
        assert!(workers("0").is_err());
        assert!(workers("-1").is_err());
    }
}
