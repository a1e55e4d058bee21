//! A cluster's life through the CLI the operator uses, with realistic latencies on a manual
//! clock: form it from drive and compute containers, add drives, start io, read `weka status`
//! as healthy; deactivate and remove a container; see a failed drive in the JSON.

use std::time::Duration;

use serde_json::Value;
use wekasim::world::local::AgentKey;
use wekasim::{
    BlockDevice, ContainerKind, ExecContext, Latencies, LocalContainerSpec, ManualClock, WekaWorld,
    WorldConfig, execute,
};

const ADMIN_PASSWORD: &str = "Op3ratorPassw0rd";
const TIB: u64 = 1 << 40;

struct Sim {
    world: WekaWorld,
    clock: ManualClock,
}

impl Sim {
    fn new() -> Sim {
        let clock = ManualClock::new();
        let config = WorldConfig { latencies: Latencies::realistic(), ..WorldConfig::default() };
        Sim { world: WekaWorld::with_config(clock.shared(), config), clock }
    }

    /// A pod whose runtime has set up and started its local container.
    fn pod(&mut self, agent: &str, spec: LocalContainerSpec) {
        let key = AgentKey::from(agent);
        let name = spec.name.clone();
        self.world.start_agent(&key);
        self.world.setup_local_container(&key, spec).unwrap();
        self.world.start_local_container(&key, &name).unwrap();
    }

    /// `wekaauthcli ...` with the operator's credentials once the cluster exists.
    fn run(&mut self, agent: &str, argv: &[&str]) -> wekasim::CommandOutput {
        let ctx = ExecContext::in_agent(agent).with_credentials("admin", ADMIN_PASSWORD);
        let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
        execute(&mut self.world, &ctx, &argv)
    }

    #[track_caller]
    fn ok(&mut self, agent: &str, argv: &[&str]) -> String {
        let out = self.run(agent, argv);
        assert!(out.success(), "{argv:?} failed: {out:?}");
        out.stdout
    }

    #[track_caller]
    fn json(&mut self, agent: &str, argv: &[&str]) -> Value {
        serde_json::from_str(&self.ok(agent, argv)).expect("JSON on stdout")
    }

    fn status(&mut self) -> Value {
        self.json("compute-0", &["wekaauthcli", "status", "--json"])
    }

    fn container_id(&mut self, agent: &str, name: &str) -> u64 {
        let identity = self.json(
            agent,
            &[
                "weka",
                "local",
                "run",
                "wapi",
                "-H",
                "localhost:14001/jrpc",
                "-W",
                "container-get-identity",
                "--container-name",
                name,
                "--json",
            ],
        );
        identity["value"]["host_id"].as_u64().expect("joined")
    }
}

fn drive_spec(i: usize) -> LocalContainerSpec {
    let mut spec =
        LocalContainerSpec::new("drive", ContainerKind::Drive, &format!("10.0.1.{}", i + 1), 14000);
    spec.hostname = format!("node-{i}");
    spec.cores = 2;
    spec.failure_domain = Some(format!("fd-{i}"));
    spec.block_devices = (0..2)
        .map(|k| BlockDevice {
            path: format!("/dev/nvme{k}n1"),
            serial: format!("S{i}D{k}  "),
            size_bytes: 2 * TIB,
        })
        .collect();
    spec
}

fn compute_spec(i: usize) -> LocalContainerSpec {
    let mut spec = LocalContainerSpec::new(
        "compute",
        ContainerKind::Compute,
        &format!("10.0.2.{}", i + 1),
        14100,
    );
    spec.hostname = format!("node-{i}");
    spec.cores = 2;
    spec
}

#[test]
fn a_cluster_forms_serves_io_loses_a_container_and_reports_a_failed_drive() {
    let mut sim = Sim::new();
    for i in 0..6 {
        sim.pod(&format!("drive-{i}"), drive_spec(i));
    }
    for i in 0..2 {
        sim.pod(&format!("compute-{i}"), compute_spec(i));
    }

    // Form: `weka status || weka cluster create ...` as the operator scripts it.
    assert!(!sim.run("drive-0", &["weka", "status"]).success());
    let mut hostnames: Vec<String> = (0..6).map(|i| format!("10.0.1.{}", i + 1)).collect();
    hostnames.extend((0..2).map(|i| format!("10.0.2.{}", i + 1)));
    let host_ips: Vec<String> = (0..6)
        .map(|i| format!("10.0.1.{}:14000", i + 1))
        .chain((0..2).map(|i| format!("10.0.2.{}:14100", i + 1)))
        .collect();
    let host_ips = host_ips.join(",");
    let mut create = vec!["weka", "cluster", "create"];
    create.extend(hostnames.iter().map(String::as_str));
    create.extend([
        "--host-ips",
        &host_ips,
        "--join-secret=s3cr3t",
        "--admin-password",
        ADMIN_PASSWORD,
    ]);
    sim.ok("drive-0", &create);
    let ps = sim.json("drive-0", &["weka", "local", "ps", "--json"]);
    assert_eq!(ps[0]["internalStatus"]["display_status"], "CLUSTERIZING");
    assert!(
        !sim.run("drive-0", &["weka", "status"]).success(),
        "members connect only after the formation latency"
    );
    sim.clock.advance(Latencies::realistic().cluster_form);
    assert!(sim.run("drive-0", &["weka", "status"]).success());
    assert_eq!(
        sim.json("drive-0", &["weka", "local", "ps", "--json"])[0]["internalStatus"]["display_status"],
        "READY"
    );
    sim.ok("drive-0", &["weka", "cluster", "update", "--cluster-name", "prod"]);
    sim.ok("drive-0", &["weka", "cluster", "hot-spare", "0"]);

    // A third compute joins later through its join IPs.
    let mut late = compute_spec(2);
    late.join_ips = vec!["10.0.1.1:14000".to_string(), "10.0.1.2:14000".to_string()];
    sim.pod("compute-2", late);
    assert_eq!(
        sim.json("compute-2", &["weka", "local", "ps", "--json"])[0]["internalStatus"]["display_status"],
        "CLUSTERIZING"
    );
    sim.clock.advance(Latencies::realistic().container_join);
    assert_eq!(sim.container_id("compute-2", "compute"), 8);

    // Add every drive; they phase in, then are active.
    for i in 0..6 {
        let agent = format!("drive-{i}");
        let id = sim.container_id(&agent, "drive").to_string();
        for device in ["/dev/nvme0n1", "/dev/nvme1n1"] {
            sim.ok(&agent, &["weka", "cluster", "drive", "add", &id, device]);
        }
        let again = sim.run(&agent, &["weka", "cluster", "drive", "add", &id, "/dev/nvme0n1"]);
        assert!(again.stderr.contains("Device is already in use"), "{again:?}");
    }
    let status = sim.status();
    assert_eq!(
        (status["drives"]["total"].as_u64(), status["drives"]["active"].as_u64()),
        (Some(12), Some(0))
    );
    sim.clock.advance(Latencies::realistic().drive_activate);
    let drives =
        sim.json("drive-0", &["wekaauthcli", "cluster", "drive", "--container", "0", "--json"]);
    assert!(drives.as_array().unwrap().iter().all(|d| d["status"] == "ACTIVE"));
    assert_eq!(drives[0]["serial_number"].as_str().map(str::trim), Some("S0D0"));

    // Start io and read a healthy status.
    sim.ok("drive-0", &["wekaauthcli", "cluster", "start-io"]);
    assert_eq!(sim.status()["io_status"], "STARTING");
    sim.clock.advance(Latencies::realistic().start_io);
    let status = sim.status();
    assert_eq!(status["status"], "OK");
    assert_eq!(status["io_status"], "STARTED");
    assert_eq!(status["name"], "prod");
    assert_eq!(status["drives"]["active"], 12);
    assert_eq!(status["containers"]["drives"], serde_json::json!({"active": 6, "total": 6}));
    assert_eq!(status["containers"]["computes"], serde_json::json!({"active": 3, "total": 3}));
    assert_eq!(status["active_alerts_count"], 0);
    assert_eq!(status["stripe_protection_drives"], 2);
    assert!(fully_protected(&status));
    assert!(status["capacity"]["total_bytes"].as_u64().unwrap() > 10 * TIB);

    // Deactivate and remove the late compute container, as the deletion flow does.
    let id = sim.container_id("compute-2", "compute").to_string();
    sim.ok("drive-0", &["wekaauthcli", "cluster", "container", "deactivate", &id]);
    let row = sim.json("drive-0", &["wekaauthcli", "cluster", "container", &id, "--json"]);
    assert_eq!(row[0]["status"], "DEACTIVATING");
    sim.clock.advance(Latencies::realistic().container_deactivate);
    let row = sim.json("drive-0", &["wekaauthcli", "cluster", "container", &id, "--json"]);
    assert_eq!(row[0]["status"], "INACTIVE");
    let drives =
        sim.json("drive-0", &["wekaauthcli", "cluster", "drive", "--container", &id, "--json"]);
    assert_eq!(drives, serde_json::json!([]));
    sim.ok("drive-0", &["wekaauthcli", "cluster", "container", "remove", &id, "--no-unimprint"]);
    assert_eq!(
        sim.json("drive-0", &["wekaauthcli", "cluster", "container", &id, "--json"]),
        serde_json::json!([])
    );
    let gone = sim.run("drive-0", &["wekaauthcli", "cluster", "container", "remove", &id]);
    assert!(gone.stderr.contains(&format!("Host HostId<{id}> not found")), "{gone:?}");
    assert_eq!(
        sim.status()["containers"]["computes"],
        serde_json::json!({"active": 2, "total": 2})
    );

    // A drive container goes the same way, its drives removed in between.
    sim.ok("drive-0", &["wekaauthcli", "cluster", "container", "deactivate", "5"]);
    sim.clock.advance(Latencies::realistic().container_deactivate);
    let drives =
        sim.json("drive-0", &["wekaauthcli", "cluster", "drive", "--container", "5", "--json"]);
    assert_eq!(drives.as_array().map(Vec::len), Some(2));
    for drive in drives.as_array().unwrap() {
        assert_eq!(drive["status"], "INACTIVE");
        let uuid = drive["uuid"].as_str().unwrap();
        sim.ok("drive-0", &["wekaauthcli", "cluster", "drive", "remove", uuid, "-f"]);
        let again = sim.run("drive-0", &["wekaauthcli", "cluster", "drive", "remove", uuid, "-f"]);
        assert!(
            again.stderr.contains(&format!("The given drive \"{uuid}\" does not exist")),
            "{again:?}"
        );
    }
    sim.ok("drive-0", &["wekaauthcli", "cluster", "container", "remove", "5", "--no-unimprint"]);
    let status = sim.status();
    assert_eq!(status["containers"]["drives"], serde_json::json!({"active": 5, "total": 5}));
    assert_eq!(
        (status["drives"]["active"].as_u64(), status["drives"]["total"].as_u64()),
        (Some(10), Some(10))
    );
    assert_eq!(status["status"], "OK");
    let members = sim.world.settled().clusters().next().unwrap().members().count();
    assert_eq!(members, 7);

    // A drive fails: the operator's JSON shows it, the cluster rebuilds.
    let drive = sim
        .json("drive-3", &["wekaauthcli", "cluster", "drive", "--container", "3", "--json"])[0]
        .clone();
    let uuid = drive["uuid"].as_str().unwrap().to_string();
    let guid = status["guid"].as_str().unwrap().to_string();
    sim.world.faults().drive_failed(&guid, &uuid, true).unwrap();
    let one = sim.json("drive-0", &["wekaauthcli", "cluster", "drive", &uuid, "--json"]);
    assert_eq!(one[0]["status"], "FAILED");
    let failed = sim.json(
        "drive-0",
        &["wekaauthcli", "cluster", "drive", "--json", "--filter", "status=FAILED"],
    );
    assert_eq!(failed.as_array().map(Vec::len), Some(1));
    let status = sim.status();
    assert_eq!(status["drives"]["active"], 9);
    assert_eq!(status["status"], "REBUILDING");
    assert_eq!(status["rebuild"]["movingData"], true);
    assert!(!fully_protected(&status));
    assert_eq!(status["active_alerts_count"], 1);
    sim.clock.advance(Latencies::realistic().rebuild + Duration::from_secs(1));
    let status = sim.status();
    assert_eq!(status["status"], "OK");
    assert!(fully_protected(&status));
    assert_eq!(status["drives"]["active"], 9);
}

/// The operator's test: no protection entry with failures and a share of the data.
fn fully_protected(status: &Value) -> bool {
    status["rebuild"]["protectionState"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| !(p["percent"].as_f64().unwrap() > 0.0 && p["numFailures"].as_u64().unwrap() > 0))
}
