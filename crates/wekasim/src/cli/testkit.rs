//! A small world for command tests: pods with drive and compute containers, optionally formed
//! into a cluster, and helpers to run command lines in them.

use serde_json::Value;

use crate::cli::{CommandOutput, ExecContext, execute};
use crate::clock::ManualClock;
use crate::latency::Latencies;
use crate::world::cluster::Cluster;
use crate::world::local::{AgentKey, BlockDevice, ContainerKind, LocalContainerSpec};
use crate::world::{WekaWorld, WorldConfig};

pub(crate) struct Kit {
    pub world: WekaWorld,
    pub clock: ManualClock,
    pub guid: String,
}

pub(crate) const TIB: u64 = 1 << 40;

impl Kit {
    /// Pods `drive-<i>` (10.0.1.<i+1>, two 1 TiB devices each) and `compute-<i>`
    /// (10.0.2.<i+1>), started, not joined; zero latencies.
    pub fn pods(drives: usize, computes: usize) -> Kit {
        let clock = ManualClock::new();
        let config = WorldConfig { latencies: Latencies::zero(), ..WorldConfig::default() };
        let mut kit = Kit {
            world: WekaWorld::with_config(clock.shared(), config),
            clock,
            guid: String::new(),
        };
        for i in 0..drives {
            let mut spec = LocalContainerSpec::new(
                "drive",
                ContainerKind::Drive,
                &format!("10.0.1.{}", i + 1),
                14000,
            );
            spec.block_devices = (0..2)
                .map(|k| BlockDevice {
                    path: format!("/dev/nvme{k}n1"),
                    serial: format!("SN-{i}-{k}"),
                    size_bytes: TIB,
                })
                .collect();
            kit.pod(&format!("drive-{i}"), spec);
        }
        for i in 0..computes {
            let spec = LocalContainerSpec::new(
                "compute",
                ContainerKind::Compute,
                &format!("10.0.2.{}", i + 1),
                14000,
            );
            kit.pod(&format!("compute-{i}"), spec);
        }
        kit
    }

    /// As [`Kit::pods`], formed into a cluster by `weka cluster create` from `drive-0`, with
    /// the admin password `Adm1nPassw0rd`.
    pub fn formed(drives: usize, computes: usize) -> Kit {
        let mut kit = Kit::pods(drives, computes);
        let mut names = Vec::new();
        let mut ips = Vec::new();
        for i in 0..drives {
            names.push(format!("10.0.1.{}", i + 1));
            ips.push(format!("10.0.1.{}:14000", i + 1));
        }
        for i in 0..computes {
            names.push(format!("10.0.2.{}", i + 1));
            ips.push(format!("10.0.2.{}:14000", i + 1));
        }
        let line = format!(
            "cluster create {} --host-ips {} --admin-password Adm1nPassw0rd",
            names.join(" "),
            ips.join(",")
        );
        kit.ok("drive-0", &line);
        kit.guid = kit.world.clusters().next().map(|c| c.guid.clone()).unwrap_or_default();
        kit
    }

    /// Formed, every drive device added, io started.
    pub fn running(drives: usize, computes: usize) -> Kit {
        let mut kit = Kit::formed(drives, computes);
        for host in 0..drives {
            kit.ok("drive-0", &format!("cluster drive add {host} /dev/nvme0n1 /dev/nvme1n1"));
        }
        kit.ok("drive-0", "cluster start-io");
        kit
    }

    pub fn pod(&mut self, agent: &str, spec: LocalContainerSpec) {
        let key = AgentKey::from(agent);
        let name = spec.name.clone();
        self.world.start_agent(&key);
        self.world.setup_local_container(&key, spec).unwrap();
        self.world.start_local_container(&key, &name).unwrap();
    }

    pub fn run_ctx(&mut self, ctx: &ExecContext, line: &str) -> CommandOutput {
        let mut argv = vec!["weka".to_string()];
        argv.extend(split_line(line));
        execute(&mut self.world, ctx, &argv)
    }

    pub fn run(&mut self, agent: &str, line: &str) -> CommandOutput {
        self.run_ctx(&ExecContext::in_agent(agent), line)
    }

    #[track_caller]
    pub fn ok(&mut self, agent: &str, line: &str) -> String {
        let out = self.run(agent, line);
        assert!(out.success(), "`weka {line}` failed: {out:?}");
        out.stdout
    }

    #[track_caller]
    pub fn json(&mut self, agent: &str, line: &str) -> Value {
        let stdout = self.ok(agent, line);
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("`weka {line}` printed no JSON ({e}): {stdout}"))
    }

    /// Runs a line that must fail; returns its stderr.
    #[track_caller]
    pub fn err(&mut self, agent: &str, line: &str) -> String {
        let out = self.run(agent, line);
        assert!(!out.success(), "`weka {line}` succeeded: {out:?}");
        assert!(out.stdout.is_empty(), "a failing command printed to stdout: {out:?}");
        assert!(out.stderr.starts_with("error: "), "stderr without error prefix: {out:?}");
        out.stderr
    }

    pub fn cluster(&mut self) -> &Cluster {
        let guid = self.guid.clone();
        self.world.settled().cluster(&guid).expect("the kit's cluster")
    }
}

/// Splits on whitespace, keeping '...' and "..." quoted runs together.
fn split_line(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// Asserts the JSON value has these keys with these JSON types
/// (`s` string, `n` number, `b` bool, `a` array, `o` object, `?` null).
#[track_caller]
pub(crate) fn assert_shape(value: &Value, shape: &[(&str, char)]) {
    for (key, kind) in shape {
        let field = value.get(key).unwrap_or_else(|| panic!("missing key {key} in {value}"));
        let ok = match kind {
            's' => field.is_string(),
            'n' => field.is_number(),
            'b' => field.is_boolean(),
            'a' => field.is_array(),
            'o' => field.is_object(),
            '?' => field.is_null(),
            _ => false,
        };
        assert!(ok, "key {key} should be of kind {kind} in {value}");
    }
}
