//! Faults switched from tests, seen through the CLI the operator uses.

use std::time::Duration;

use serde_json::Value;
use wekasim::world::local::AgentKey;
use wekasim::{
    BlockDevice, CommandFault, CommandRule, ContainerKind, ExecContext, HostId, Latencies,
    LocalContainerSpec, ManualClock, NodeId, WekaWorld, WorldConfig, execute,
};

struct Sim {
    world: WekaWorld,
    clock: ManualClock,
    guid: String,
}

fn argv(line: &str) -> Vec<String> {
    line.split_whitespace().map(str::to_string).collect()
}

impl Sim {
    /// Three drive pods and a compute pod formed into a cluster, drives added, io started.
    fn running() -> Sim {
        let clock = ManualClock::new();
        let config = WorldConfig { latencies: Latencies::realistic(), ..WorldConfig::default() };
        let mut sim = Sim {
            world: WekaWorld::with_config(clock.shared(), config),
            clock,
            guid: String::new(),
        };
        for i in 0..3 {
            let mut spec = LocalContainerSpec::new(
                "drive",
                ContainerKind::Drive,
                &format!("10.0.1.{i}"),
                14000,
            );
            spec.block_devices = vec![BlockDevice {
                path: "/dev/sdb".into(),
                serial: format!("SER{i}"),
                size_bytes: 1 << 40,
            }];
            sim.pod(&format!("drive-{i}"), spec);
        }
        sim.pod(
            "compute-0",
            LocalContainerSpec::new("compute", ContainerKind::Compute, "10.0.2.0", 14000),
        );
        sim.ok("drive-0", "weka cluster create 10.0.1.0 10.0.1.1 10.0.1.2 10.0.2.0 --host-ips 10.0.1.0,10.0.1.1,10.0.1.2,10.0.2.0");
        sim.advance(Latencies::realistic().cluster_form);
        for i in 0..3 {
            sim.ok("drive-0", &format!("weka cluster drive add {i} /dev/sdb"));
        }
        sim.advance(Latencies::realistic().drive_activate);
        sim.ok("drive-0", "weka cluster start-io");
        sim.advance(Latencies::realistic().start_io);
        sim.guid = sim.world.clusters().next().unwrap().guid.clone();
        sim
    }

    fn pod(&mut self, agent: &str, spec: LocalContainerSpec) {
        let key = AgentKey::from(agent);
        let name = spec.name.clone();
        self.world.start_agent(&key);
        self.world.setup_local_container(&key, spec).unwrap();
        self.world.start_local_container(&key, &name).unwrap();
    }

    fn advance(&mut self, by: Duration) {
        self.clock.advance(by);
        self.world.settle();
    }

    fn run(&mut self, agent: &str, line: &str) -> wekasim::CommandOutput {
        execute(&mut self.world, &ExecContext::in_agent(agent), &argv(line))
    }

    #[track_caller]
    fn ok(&mut self, agent: &str, line: &str) -> String {
        let out = self.run(agent, line);
        assert!(out.success(), "`{line}` failed: {out:?}");
        out.stdout
    }

    #[track_caller]
    fn json(&mut self, agent: &str, line: &str) -> Value {
        serde_json::from_str(&self.ok(agent, line)).expect("JSON")
    }
}

#[test]
fn a_timed_out_command_hangs_and_timeout_ends_it_with_124() {
    let mut sim = Sim::running();
    sim.world.faults().command_timeout("cluster start-io");
    let out = sim.run("drive-0", "wekaauthcli cluster start-io");
    assert!(out.timed_out && !out.success());
    let out = sim.run("drive-0", "timeout 10s weka cluster start-io");
    assert_eq!((out.exit_code, out.timed_out), (124, false));
    assert!(sim.run("drive-0", "weka status").success(), "other commands are unaffected");
    sim.world.faults().clear_command_faults();
    assert!(sim.run("drive-0", "weka cluster start-io").success());
}

#[test]
fn a_command_error_hits_its_pod_the_given_number_of_times() {
    let mut sim = Sim::running();
    let fault = CommandFault::Fail { exit_code: 1, stderr: "error: injected\n".into() };
    sim.world.faults().command_rule(
        CommandRule::new("local ps", fault).in_agent(AgentKey::from("drive-1")).times(1),
    );
    assert!(sim.run("drive-0", "weka local ps --json").success());
    let out = sim.run("drive-1", "weka local ps --json");
    assert_eq!((out.exit_code, out.stderr.as_str()), (1, "error: injected\n"));
    assert!(sim.run("drive-1", "weka local ps --json").success());
}

#[test]
fn a_container_forced_down_shows_in_containers_drives_and_status() {
    let mut sim = Sim::running();
    let guid = sim.guid.clone();
    sim.world.faults().container_down(&guid, HostId(1), true).unwrap();
    assert_eq!(sim.json("drive-0", "weka cluster container 1 --json")[0]["status"], "DOWN");
    let processes = sim.json("drive-0", "weka cluster process --json --filter containerId=1");
    assert!(processes.as_array().unwrap().iter().all(|p| p["status"] == "DOWN"));
    let status = sim.json("drive-0", "weka status --json");
    assert_eq!(status["containers"]["drives"]["active"], 2);
    assert_eq!(status["drives"]["active"], 2);
    assert_eq!(status["status"], "REBUILDING");
    assert_eq!(status["active_alerts_count"], 1);
    sim.world.faults().container_down(&guid, HostId(1), false).unwrap();
    let status = sim.json("drive-0", "weka status --json");
    assert_eq!(
        (status["status"].as_str(), status["drives"]["active"].as_u64()),
        (Some("OK"), Some(3))
    );
    assert!(sim.world.faults().container_down(&guid, HostId(9), true).is_err());
}

#[test]
fn a_crashed_process_degrades_its_container_until_it_restarts() {
    let mut sim = Sim::running();
    let guid = sim.guid.clone();
    sim.world.faults().process_crash(&guid, NodeId(201), true).unwrap();
    assert_eq!(sim.json("drive-0", "weka cluster container 2 --json")[0]["status"], "DEGRADED");
    let processes = sim.json("drive-0", "weka cluster process NodeId<201> --json");
    assert_eq!(processes[0]["status"], "DOWN");
    sim.advance(Latencies::realistic().process_restart);
    assert_eq!(sim.json("drive-0", "weka cluster container 2 --json")[0]["status"], "UP");
}

#[test]
fn a_slow_join_takes_longer() {
    let mut sim = Sim::running();
    let key = AgentKey::from("compute-1");
    sim.world.faults().slow_join(&key, Duration::from_secs(60));
    let mut spec = LocalContainerSpec::new("compute", ContainerKind::Compute, "10.0.2.1", 14000);
    spec.join_ips = vec!["10.0.1.0:14000".into()];
    sim.pod("compute-1", spec);
    sim.advance(Latencies::realistic().container_join);
    assert_eq!(
        sim.json("compute-1", "weka local ps --json")[0]["internalStatus"]["display_status"],
        "CLUSTERIZING"
    );
    sim.advance(Duration::from_secs(60));
    assert_eq!(
        sim.json("compute-1", "weka local ps --json")[0]["internalStatus"]["display_status"],
        "READY"
    );
}

#[test]
fn clients_need_the_join_secret_once_client_join_is_authenticated() {
    let mut sim = Sim::running();
    sim.ok("drive-0", "weka debug override add --key authenticate_client_join");
    let mut spec = LocalContainerSpec::new("client", ContainerKind::Client, "10.0.5.1", 14000);
    spec.join_ips = vec!["10.0.1.0:14000".into()];
    sim.pod("client-0", spec.clone());
    sim.advance(Latencies::realistic().container_join);
    let ps = sim.json("client-0", "weka local ps --json");
    assert_eq!(ps[0]["internalStatus"]["display_status"], "CLUSTERIZING");
    assert!(ps[0]["lastFailure"].as_str().unwrap().contains("join secret"));
    sim.world.cluster_mut(&sim.guid.clone()).unwrap().join_secret = Some("s3cr3t".into());
    spec.join_secret = Some("s3cr3t".into());
    let key = AgentKey::from("client-0");
    sim.world.stop_local_container(&key, "client").unwrap();
    sim.world.setup_local_container(&key, spec).unwrap();
    sim.world.start_local_container(&key, "client").unwrap();
    sim.advance(Latencies::realistic().container_join);
    assert_eq!(
        sim.json("client-0", "weka local ps --json")[0]["internalStatus"]["display_status"],
        "READY"
    );
    assert_eq!(sim.json("drive-0", "weka status --json")["containers"]["clients"]["active"], 1);
}

#[test]
fn a_restarted_pod_reconnects_with_its_identity() {
    let mut sim = Sim::running();
    let key = AgentKey::from("drive-2");
    sim.world.stop_agent(&key);
    assert_eq!(sim.json("drive-0", "weka cluster container 2 --json")[0]["status"], "DOWN");
    assert!(!sim.run("drive-2", "weka local ps").success());
    sim.world.start_agent(&key);
    sim.world.start_local_container(&key, "drive").unwrap();
    assert_eq!(sim.json("drive-0", "weka cluster container 2 --json")[0]["status"], "DOWN");
    sim.advance(Latencies::realistic().container_join);
    assert_eq!(sim.json("drive-0", "weka cluster container 2 --json")[0]["status"], "UP");
    let identity = sim.json("drive-2", "weka local run wapi -H localhost:1/jrpc -W container-get-identity --container-name drive --json");
    assert_eq!(identity["value"]["host_id"], 2);
}
