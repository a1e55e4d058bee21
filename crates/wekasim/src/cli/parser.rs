//! The weka CLI's argument grammar: each command declares its positionals and options; this
//! module turns the tokens after the command path into positionals, option values and flags,
//! and parses the value types commands share (ids, capacities, durations, IP ranges).

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use crate::ids::{HostId, TelemetrySinkId};

/// An option: `--long`, maybe `-s`, with or without a value.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Opt {
    pub long: &'static str,
    pub short: Option<char>,
    pub takes_value: bool,
}

pub(crate) const fn flag(long: &'static str) -> Opt {
    Opt { long, short: None, takes_value: false }
}

pub(crate) const fn short_flag(long: &'static str, short: char) -> Opt {
    Opt { long, short: Some(short), takes_value: false }
}

pub(crate) const fn value(long: &'static str) -> Opt {
    Opt { long, short: None, takes_value: true }
}

pub(crate) const fn short_value(long: &'static str, short: char) -> Opt {
    Opt { long, short: Some(short), takes_value: true }
}

/// Options every command accepts.
const GLOBAL_OPTS: &[Opt] = &[
    short_flag("json", 'J'),
    short_value("hostname", 'H'),
    short_value("port", 'P'),
    flag("raw-units"),
    flag("no-header"),
    value("color"),
    value("format"),
    short_flag("help", 'h'),
];

/// A command's grammar. Positionals are written `name` (required), `[name]` (optional),
/// `name...` (one or more) or `[name...]` (any number); only the last may repeat.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Spec {
    pub path: &'static str,
    pub args: &'static [&'static str],
    pub opts: &'static [Opt],
    pub about: &'static str,
}

impl Spec {
    pub fn usage(&self) -> String {
        let mut usage = format!("weka {}", self.path);
        for arg in self.args {
            usage.push(' ');
            usage.push_str(&display_arg(arg));
        }
        for opt in self.opts {
            usage.push_str(&format!(
                " [--{}{}]",
                opt.long,
                if opt.takes_value { " <value>" } else { "" }
            ));
        }
        usage
    }

    fn bounds(&self) -> (usize, Option<usize>) {
        let required = self.args.iter().filter(|a| !a.starts_with('[')).count();
        let variadic = self.args.last().is_some_and(|a| a.ends_with("...") || a.ends_with("...]"));
        (required, if variadic { None } else { Some(self.args.len()) })
    }
}

fn display_arg(arg: &str) -> String {
    let optional = arg.starts_with('[');
    let name = arg.trim_start_matches('[').trim_end_matches(']');
    if optional { format!("[<{name}>]") } else { format!("<{name}>") }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum UsageError {
    #[error("unknown command 'weka {0}'")]
    UnknownCommand(String),
    #[error("'{}' needs a subcommand, one of: {choices}", format!("weka {}", .path).trim_end())]
    MissingSubcommand { path: String, choices: String },
    #[error("no such option: {0}")]
    UnknownOption(String),
    #[error("option --{0} requires a value")]
    MissingValue(String),
    #[error("option --{0} does not take a value")]
    UnexpectedValue(String),
    #[error("missing argument {0}")]
    MissingArgument(String),
    #[error("unexpected extra argument '{0}'")]
    UnexpectedArgument(String),
    #[error("option --{0} is required")]
    MissingOption(String),
    #[error("invalid value '{value}' for {what}: {reason}")]
    InvalidValue { what: String, value: String, reason: String },
}

impl UsageError {
    pub fn invalid(what: &str, value: &str, reason: &str) -> Self {
        UsageError::InvalidValue {
            what: what.to_string(),
            value: value.to_string(),
            reason: reason.to_string(),
        }
    }
}

/// Tokens after the command path, sorted out.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Parsed {
    pub args: Vec<String>,
    values: BTreeMap<&'static str, Vec<String>>,
    flags: BTreeSet<&'static str>,
}

impl Parsed {
    pub fn flag(&self, long: &str) -> bool {
        self.flags.contains(long)
    }

    /// The last value given for `--long`.
    pub fn value(&self, long: &str) -> Option<&str> {
        self.values.get(long).and_then(|v| v.last()).map(String::as_str)
    }

    pub fn required(&self, long: &str) -> Result<&str, UsageError> {
        self.value(long).ok_or_else(|| UsageError::MissingOption(long.to_string()))
    }

    pub fn arg(&self, index: usize) -> &str {
        self.args.get(index).map(String::as_str).unwrap_or_default()
    }
}

pub(crate) fn parse(spec: &Spec, tokens: &[String]) -> Result<Parsed, UsageError> {
    let mut parsed = Parsed::default();
    let mut tokens = tokens.iter();
    let mut only_positionals = false;
    while let Some(token) = tokens.next() {
        if only_positionals || token == "-" || !token.starts_with('-') || is_negative_number(token)
        {
            parsed.args.push(token.clone());
        } else if token == "--" {
            only_positionals = true;
        } else if let Some(long) = token.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((name, value)) => (name, Some(value.to_string())),
                None => (long, None),
            };
            let opt = find_opt(spec, |o| o.long == name)
                .ok_or_else(|| UsageError::UnknownOption(token.clone()))?;
            take(&mut parsed, opt, inline, &mut tokens)?;
        } else {
            let shorts: Vec<char> = token[1..].chars().collect();
            for (i, c) in shorts.iter().enumerate() {
                let opt = find_opt(spec, |o| o.short == Some(*c))
                    .ok_or_else(|| UsageError::UnknownOption(format!("-{c}")))?;
                if opt.takes_value {
                    let rest: String = shorts[i + 1..].iter().collect();
                    take(&mut parsed, opt, (!rest.is_empty()).then_some(rest), &mut tokens)?;
                    break;
                }
                take(&mut parsed, opt, None, &mut tokens)?;
            }
        }
    }
    let (min, max) = spec.bounds();
    if parsed.args.len() < min {
        let missing = spec.args.get(parsed.args.len()).copied().unwrap_or("argument");
        return Err(UsageError::MissingArgument(display_arg(missing)));
    }
    if let Some(extra) = max.and_then(|max| parsed.args.get(max)) {
        return Err(UsageError::UnexpectedArgument(extra.clone()));
    }
    Ok(parsed)
}

fn find_opt(spec: &Spec, matches: impl Fn(&Opt) -> bool) -> Option<Opt> {
    spec.opts.iter().chain(GLOBAL_OPTS).find(|o| matches(o)).copied()
}

fn take<'t>(
    parsed: &mut Parsed,
    opt: Opt,
    inline: Option<String>,
    tokens: &mut impl Iterator<Item = &'t String>,
) -> Result<(), UsageError> {
    if !opt.takes_value {
        if inline.is_some() {
            return Err(UsageError::UnexpectedValue(opt.long.to_string()));
        }
        parsed.flags.insert(opt.long);
        return Ok(());
    }
    let value = match inline {
        Some(value) => value,
        None => {
            tokens.next().cloned().ok_or_else(|| UsageError::MissingValue(opt.long.to_string()))?
        }
    };
    parsed.values.entry(opt.long).or_default().push(value);
    Ok(())
}

fn is_negative_number(token: &str) -> bool {
    token.len() > 1 && token[1..].bytes().all(|b| b.is_ascii_digit())
}

// ---- value types ----

pub(crate) fn parse_u32(what: &str, s: &str) -> Result<u32, UsageError> {
    s.parse().map_err(|_| UsageError::invalid(what, s, "expected a non-negative integer"))
}

pub(crate) fn parse_port(what: &str, s: &str) -> Result<u16, UsageError> {
    s.parse().map_err(|_| UsageError::invalid(what, s, "expected a port number"))
}

/// `N` or `HostId<N>`.
pub(crate) fn parse_host_id(s: &str) -> Result<HostId, UsageError> {
    s.parse().map_err(|_| UsageError::invalid("container id", s, "expected a number or HostId<N>"))
}

pub(crate) fn parse_sink_id(s: &str) -> Result<TelemetrySinkId, UsageError> {
    s.parse()
        .map_err(|_| UsageError::invalid("export id", s, "expected a number or TelemetrySinkId<N>"))
}

/// Comma-separated container ids.
pub(crate) fn parse_host_list(s: &str) -> Result<Vec<HostId>, UsageError> {
    s.split(',').filter(|p| !p.is_empty()).map(parse_host_id).collect()
}

/// Bytes, plain or with a unit: `1073741824`, `100GiB`, `1TB`, `10 GB`.
pub(crate) fn parse_capacity(what: &str, s: &str) -> Result<u64, UsageError> {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let split = compact.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(compact.len());
    let (number, unit) = compact.split_at(split);
    let invalid =
        || UsageError::invalid(what, s, "expected a capacity such as 1073741824, 100GiB or 1TB");
    let number: f64 = number.parse().map_err(|_| invalid())?;
    let multiplier: f64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        "pb" => 1e15,
        "kib" => 1024f64,
        "mib" => 1024f64.powi(2),
        "gib" => 1024f64.powi(3),
        "tib" => 1024f64.powi(4),
        "pib" => 1024f64.powi(5),
        _ => return Err(invalid()),
    };
    Ok((number * multiplier).round() as u64)
}

/// `30`, `30s`, `10m`, `2h`, `7d`, `5200w`: seconds.
pub(crate) fn parse_duration_secs(what: &str, s: &str) -> Result<u64, UsageError> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let invalid =
        || UsageError::invalid(what, s, "expected a duration such as 30s, 10m, 2h, 7d or 52w");
    let number: u64 = number.parse().map_err(|_| invalid())?;
    let unit = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(invalid()),
    };
    number.checked_mul(unit).ok_or_else(invalid)
}

pub(crate) fn parse_on_off(what: &str, s: &str) -> Result<bool, UsageError> {
    match s {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(UsageError::invalid(what, s, "expected on or off")),
    }
}

pub(crate) fn parse_yes_no(what: &str, s: &str) -> Result<bool, UsageError> {
    match s {
        "yes" | "true" => Ok(true),
        "no" | "false" => Ok(false),
        _ => Err(UsageError::invalid(what, s, "expected yes or no")),
    }
}

pub(crate) fn parse_ip_range(s: &str) -> Result<Vec<Ipv4Addr>, UsageError> {
    crate::world::nfs::expand_ip_range(s).ok_or_else(|| {
        UsageError::invalid("IP range", s, "expected a.b.c.d, a.b.c.d-e or a.b.c.d-a.b.c.e")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: Spec = Spec {
        path: "cluster drive add",
        args: &["container-id", "device-path..."],
        opts: &[value("pool"), short_flag("force", 'f')],
        about: "",
    };

    fn tokens(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn options_and_positionals_mix() {
        let parsed = parse(&SPEC, &tokens("3 /dev/a --pool iu4k /dev/b -f -J")).unwrap();
        assert_eq!(parsed.args, vec!["3", "/dev/a", "/dev/b"]);
        assert_eq!(parsed.value("pool"), Some("iu4k"));
        assert!(parsed.flag("force") && parsed.flag("json"));
        let parsed = parse(&SPEC, &tokens("3 /dev/a --pool=x")).unwrap();
        assert_eq!(parsed.value("pool"), Some("x"));
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        assert_eq!(
            parse(&SPEC, &tokens("3")),
            Err(UsageError::MissingArgument("<device-path...>".into()))
        );
        assert_eq!(
            parse(&SPEC, &tokens("3 /dev/a --bogus")),
            Err(UsageError::UnknownOption("--bogus".into()))
        );
        assert_eq!(
            parse(&SPEC, &tokens("3 /dev/a --pool")),
            Err(UsageError::MissingValue("pool".into()))
        );
        assert_eq!(
            parse(&SPEC, &tokens("3 /dev/a -f=1")),
            Err(UsageError::UnknownOption("-=".into()))
        );
    }

    #[test]
    fn values_parse() {
        assert_eq!(parse_capacity("c", "107374182400"), Ok(107_374_182_400));
        assert_eq!(parse_capacity("c", "100GiB"), Ok(107_374_182_400));
        assert_eq!(parse_capacity("c", "1TB"), Ok(1_000_000_000_000));
        assert!(parse_capacity("c", "lots").is_err());
        assert_eq!(parse_duration_secs("d", "5200w"), Ok(5200 * 604_800));
        assert!(parse_duration_secs("d", "5y").is_err());
        assert_eq!(parse_host_list("1,HostId<2>"), Ok(vec![HostId(1), HostId(2)]));
        assert!(parse_host_id("x").is_err());
    }
}
