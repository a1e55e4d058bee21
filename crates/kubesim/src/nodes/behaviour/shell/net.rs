//! `ip`: the container's network as iproute2 prints it. A pod has `lo` and `eth0` with the
//! pod's IP in a /24 whose `.1` is the default gateway (a host-network pod sees the node's
//! IP the same way). `ip route`, `ip route get`, `ip addr` and `ip link` are answered.

use std::net::Ipv4Addr;

use super::super::{CommandOutput, ContainerCtx};

const DEVICE: &str = "eth0";

/// The container's address, its network, gateway and broadcast address.
struct Network {
    ip: Ipv4Addr,
    net: Ipv4Addr,
    gateway: Ipv4Addr,
    broadcast: Ipv4Addr,
}

impl Network {
    fn of(ctx: &ContainerCtx) -> Option<Network> {
        let ip: Ipv4Addr = ctx.info().pod_ip.parse().ok()?;
        let [a, b, c, _] = ip.octets();
        Some(Network {
            ip,
            net: Ipv4Addr::new(a, b, c, 0),
            gateway: Ipv4Addr::new(a, b, c, 1),
            broadcast: Ipv4Addr::new(a, b, c, 255),
        })
    }

    fn mac(&self) -> String {
        let [a, b, c, d] = self.ip.octets();
        format!("02:42:{a:02x}:{b:02x}:{c:02x}:{d:02x}")
    }
}

/// Runs `ip [options] OBJECT [COMMAND [ARGS]]`.
pub fn ip(ctx: &ContainerCtx, args: &[String]) -> CommandOutput {
    let words: Vec<&str> =
        args.iter().map(String::as_str).filter(|a| !a.starts_with('-')).collect();
    let oneline = args.iter().any(|a| a == "-o" || a == "-oneline");
    let network = Network::of(ctx);
    let (object, rest) = match words.split_first() {
        Some((object, rest)) => (*object, rest),
        None => {
            return CommandOutput::fail(255, "Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n");
        }
    };
    let command = rest.first().copied().unwrap_or("show");
    match (object, command) {
        ("r" | "ro" | "route", "show" | "list" | "ls") => {
            CommandOutput::ok(routes(network.as_ref()))
        }
        ("r" | "ro" | "route", "get") => match (rest.get(1), network.as_ref()) {
            (Some(target), Some(n)) => CommandOutput::ok(format!(
                "{target} via {} dev {DEVICE} src {} uid 0 \n    cache \n",
                n.gateway, n.ip
            )),
            (Some(_), None) => {
                CommandOutput::fail(2, "RTNETLINK answers: Network is unreachable\n")
            }
            (None, _) => {
                CommandOutput::fail(1, "Command line is not complete. Try option \"help\"\n")
            }
        },
        ("a" | "addr" | "address", "show" | "list" | "ls") => {
            CommandOutput::ok(addresses(network.as_ref(), oneline, device_arg(rest)))
        }
        ("l" | "link", "show" | "list" | "ls") => {
            CommandOutput::ok(links(network.as_ref(), device_arg(rest)))
        }
        (_, _) => CommandOutput::fail(
            255,
            format!("Command \"{command}\" is unknown, try \"ip {object} help\".\n"),
        ),
    }
}

fn routes(network: Option<&Network>) -> String {
    let Some(n) = network else {
        return String::new();
    };
    format!(
        "default via {} dev {DEVICE} proto dhcp src {} metric 100 \n{}/24 dev {DEVICE} proto kernel scope link src {} \n",
        n.gateway, n.ip, n.net, n.ip
    )
}

/// `show dev eth0` or `show eth0`.
fn device_arg<'a>(rest: &[&'a str]) -> Option<&'a str> {
    match rest.get(1) {
        Some(&"dev") => rest.get(2).copied(),
        other => other.copied(),
    }
}

fn wanted(device: Option<&str>, name: &str) -> bool {
    device.is_none_or(|d| d == name)
}

fn links(network: Option<&Network>, device: Option<&str>) -> String {
    let mut out = String::new();
    if wanted(device, "lo") {
        out.push_str("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n");
        out.push_str("    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n");
    }
    if let Some(n) = network.filter(|_| wanted(device, DEVICE)) {
        out.push_str(&format!(
            "2: {DEVICE}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP mode DEFAULT group default qlen 1000\n    link/ether {} brd ff:ff:ff:ff:ff:ff\n",
            n.mac()
        ));
    }
    out
}

fn addresses(network: Option<&Network>, oneline: bool, device: Option<&str>) -> String {
    let mut out = String::new();
    if oneline {
        if wanted(device, "lo") {
            out.push_str("1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n");
        }
        if let Some(n) = network.filter(|_| wanted(device, DEVICE)) {
            out.push_str(&format!(
                "2: {DEVICE}    inet {}/24 brd {} scope global {DEVICE}\\       valid_lft forever preferred_lft forever\n",
                n.ip, n.broadcast
            ));
        }
        return out;
    }
    if wanted(device, "lo") {
        out.push_str("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n");
        out.push_str("    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n");
        out.push_str(
            "    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n",
        );
    }
    if let Some(n) = network.filter(|_| wanted(device, DEVICE)) {
        out.push_str(&format!(
            "2: {DEVICE}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 1000\n    link/ether {} brd ff:ff:ff:ff:ff:ff\n    inet {}/24 brd {} scope global {DEVICE}\n       valid_lft forever preferred_lft forever\n",
            n.mac(),
            n.ip,
            n.broadcast
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use super::super::super::{ContainerInfo, Fs, LogBuffer};
    use super::*;
    use crate::nodes::clock::Clock;

    fn ctx(pod_ip: &str) -> ContainerCtx {
        let info = ContainerInfo {
            pod: Arc::new(Default::default()),
            container: Default::default(),
            node_name: "node-1".into(),
            pod_ip: pod_ip.into(),
            host_ip: pod_ip.into(),
            env: BTreeMap::new(),
            restart_count: 0,
        };
        ContainerCtx::new(info, Fs::default(), Clock::real(), Arc::new(LogBuffer::default()))
    }

    fn run(ctx: &ContainerCtx, line: &str) -> CommandOutput {
        let args: Vec<String> = line.split_whitespace().map(String::from).collect();
        ip(ctx, &args)
    }

    #[test]
    fn the_default_route_names_the_device_in_its_fifth_field() {
        let out = run(&ctx("10.0.3.7"), "route show");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let first = text.lines().find(|l| l.split_whitespace().any(|w| w == "10.0.3.7")).unwrap();
        assert_eq!(first.split_whitespace().nth(4), Some("eth0"));
        assert!(text.contains("10.0.3.0/24 dev eth0"));
    }

    #[test]
    fn addresses_links_and_errors() {
        let c = ctx("10.0.3.7");
        let addr = String::from_utf8_lossy(&run(&c, "-4 addr show dev eth0").stdout).into_owned();
        assert!(addr.contains("inet 10.0.3.7/24 brd 10.0.3.255 scope global eth0"), "{addr}");
        assert!(!addr.contains("127.0.0.1"));
        assert!(
            String::from_utf8_lossy(&run(&c, "link").stdout)
                .contains("link/ether 02:42:0a:00:03:07")
        );
        assert_eq!(run(&c, "route get").code, 1);
        assert_eq!(run(&c, "neigh flush").code, 255);
        assert_eq!(run(&c, "").code, 255);
        assert!(run(&ctx(""), "route").stdout.is_empty());
    }
}
