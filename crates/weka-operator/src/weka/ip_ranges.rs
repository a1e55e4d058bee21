//! NFS interface-group IP ranges as upstream writes them: `10.0.0.1`, `10.0.0.1-10.0.0.4`,
//! the IPv4 short form `10.0.0.1-4`, IPv6 `fd00::1-fd00::4`. Expanded to single IPs to diff,
//! re-aggregated (IPv4 in short form) to add and remove. A range crossing an IPv4 /24 keeps
//! its full end address (upstream would shorten it to a wrong range).

use std::net::IpAddr;

/// Every IP of the ranges, in order, normalised.
pub fn expand(ranges: &[String]) -> Result<Vec<String>, String> {
    let mut ips = Vec::new();
    for range in ranges {
        let range = range.trim();
        let Some((start, end)) = range.split_once('-') else {
            ips.push(parse(range)?.to_string());
            continue;
        };
        let (start, end) = (start.trim(), end.trim());
        let first = parse(start).map_err(|e| format!("invalid start IP in {range}: {e}"))?;
        let last = match (end.parse::<IpAddr>(), first) {
            (Ok(ip), _) => ip,
            (Err(_), IpAddr::V4(v4)) if !end.contains(':') => {
                let [a, b, c, _] = v4.octets();
                parse(&format!("{a}.{b}.{c}.{end}"))
                    .map_err(|_| format!("invalid end IP in {range}: {end}"))?
            }
            (Err(_), _) => return Err(format!("invalid end IP in {range}: {end}")),
        };
        if first.is_ipv4() != last.is_ipv4() || number(first) > number(last) {
            return Err(format!("start IP is greater than end IP in {range}"));
        }
        let mut n = number(first);
        while n <= number(last) {
            ips.push(from_number(n, first.is_ipv4()).to_string());
            n += 1;
        }
    }
    Ok(ips)
}

/// The IPs as ranges of consecutive addresses, sorted.
pub fn aggregate(ips: &[String]) -> Result<Vec<String>, String> {
    let mut parsed: Vec<IpAddr> = ips.iter().map(|ip| parse(ip)).collect::<Result<_, _>>()?;
    parsed.sort_by_key(|ip| (ip.is_ipv6(), number(*ip)));
    parsed.dedup();
    let mut ranges = Vec::new();
    let mut i = 0;
    while i < parsed.len() {
        let start = parsed[i];
        let mut end = start;
        while let Some(next) = parsed.get(i + 1)
            && next.is_ipv4() == start.is_ipv4()
            && number(*next) == number(end) + 1
        {
            end = *next;
            i += 1;
        }
        ranges.push(match (start, end) {
            _ if start == end => start.to_string(),
            (IpAddr::V4(first), IpAddr::V4(last)) if first.octets()[..3] == last.octets()[..3] => {
                format!("{start}-{}", last.octets()[3])
            }
            _ => format!("{start}-{end}"),
        });
        i += 1;
    }
    Ok(ranges)
}

fn parse(ip: &str) -> Result<IpAddr, String> {
    ip.trim().parse().map_err(|_| format!("invalid IP address: {ip}"))
}

fn number(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u32::from(v4).into(),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn from_number(n: u128, v4: bool) -> IpAddr {
    if v4 { IpAddr::V4((n as u32).into()) } else { IpAddr::V6(n.into()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn ranges_expand_in_every_form() {
        assert_eq!(
            expand(&strings(&["10.0.0.1-3", "10.0.1.9", "10.0.2.1-10.0.2.2"])).unwrap(),
            strings(&["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.1.9", "10.0.2.1", "10.0.2.2"])
        );
        assert_eq!(
            expand(&strings(&["fd00::1-fd00::2"])).unwrap(),
            strings(&["fd00::1", "fd00::2"])
        );
        assert!(expand(&strings(&["10.0.0.5-3"])).is_err());
        assert!(expand(&strings(&["nope"])).is_err());
    }

    #[test]
    fn consecutive_ips_aggregate_into_short_ranges() {
        let ips = strings(&["10.0.0.3", "10.0.0.1", "10.0.0.2", "10.0.0.9", "fd00::1", "fd00::2"]);
        assert_eq!(
            aggregate(&ips).unwrap(),
            strings(&["10.0.0.1-3", "10.0.0.9", "fd00::1-fd00::2"])
        );
        assert_eq!(aggregate(&[]).unwrap(), Vec::<String>::new());
        let across = strings(&["10.0.0.255", "10.0.1.0"]);
        assert_eq!(aggregate(&across).unwrap(), strings(&["10.0.0.255-10.0.1.0"]));
    }
}
