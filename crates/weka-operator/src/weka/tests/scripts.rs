//! The `bash -ce` scripts the simulator does not interpret yet: their exact text.

use super::*;
use crate::weka::cloud::{VaultKms, WekaHome};
use crate::weka::cluster::FormCluster;
use crate::weka::upgrade::UpgradePhase;

/// Replies success to every script, runs `f`, returns the scripts sent.
async fn scripts_of<F: AsyncFnOnce(WekaCli)>(f: F) -> Vec<String> {
    let sim = Sim::pods(1, 0);
    sim.exec.reply_script_prefix("", ok(""));
    f(sim.cli("drive-0")).await;
    sim.exec.argvs().into_iter().map(|a| a[2].clone()).collect()
}

#[tokio::test]
async fn forming_a_cluster_reads_its_secrets_from_the_mounted_files() {
    let form = FormCluster {
        management_ips: strings(&["10.0.1.1", "10.0.1.2"]),
        host_ips: strings(&["10.0.1.1:14000", "10.0.1.2:14000"]),
        leadership_size: Some(5),
    };
    let scripts = scripts_of(async |cli| cli.form_cluster(&form).await.unwrap()).await;
    assert_eq!(
        scripts,
        [
            "weka status || weka cluster create 10.0.1.1 10.0.1.2 --host-ips 10.0.1.1:14000,10.0.1.2:14000 --join-secret=`cat /var/run/secrets/weka-operator/operator-user/join-secret` --admin-password `cat /var/run/secrets/weka-operator/operator-user/password` --leadership-size 5"
        ]
    );
    let no_leadership = FormCluster { leadership_size: None, ..form.clone() };
    let scripts = scripts_of(async |cli| cli.form_cluster(&no_leadership).await.unwrap()).await;
    assert!(
        scripts[0].ends_with("/operator-user/password` "),
        "upstream's trailing space: {scripts:?}"
    );
    let uneven = FormCluster { host_ips: Vec::new(), ..form };
    let err = Sim::pods(1, 0).cli("drive-0").form_cluster(&uneven).await.unwrap_err();
    assert!(matches!(err, WekaError::InvalidInput(_)), "{err}");
}

#[tokio::test]
async fn client_join_authentication_is_added_unless_listed() {
    let scripts =
        scripts_of(async |cli| cli.require_client_join_authentication().await.unwrap()).await;
    assert_eq!(
        scripts,
        [
            "weka debug override list | grep authenticate_client_join || weka debug override add --key authenticate_client_join || weka debug override add --key authenticate_client_join --force"
        ]
    );
}

#[tokio::test]
async fn weka_home_blocks_follow_the_settings() {
    let home = WekaHome {
        endpoint: "https://api.home.weka.io".to_string(),
        enable_stats: true,
        allow_insecure: true,
        custom_ca_cert: true,
        proxy: Some("http://proxy:3128".to_string()),
    };
    let scripts = scripts_of(async |cli| cli.set_weka_home(&home).await.unwrap()).await;
    let expected = "
if ! wekaauthcli debug override list | grep insecure_weka_cloud_https_call; then
\twekaauthcli debug override add --key insecure_weka_cloud_https_call || wekaauthcli debug override add --key insecure_weka_cloud_https_call --force || true
fi

\nif ! wekaauthcli debug override list | grep weka_cloud_ca_cert_path; then
\tweka debug override add --key weka_cloud_ca_cert_path --value '/opt/weka/k8s-runtime/vars/wh-cacert/cert.pem' || weka debug override add --key weka_cloud_ca_cert_path --value '/opt/weka/k8s-runtime/vars/wh-cacert/cert.pem' --force || true
fi

wekaauthcli cloud proxy --set http://proxy:3128
wekaauthcli cloud enable --cloud-url https://api.home.weka.io --cloud-stats on";
    assert_eq!(scripts, [expected]);
    let plain = WekaHome { endpoint: "https://wh".to_string(), ..WekaHome::default() };
    let scripts = scripts_of(async |cli| cli.set_weka_home(&plain).await.unwrap()).await;
    assert_eq!(scripts, ["wekaauthcli cloud enable --cloud-url https://wh --cloud-stats off"]);
}

#[tokio::test]
async fn events_and_kms_quote_their_values() {
    let kms = VaultKms {
        address: "https://vault:8200".to_string(),
        key_name: "weka-key".to_string(),
        role: "weka".to_string(),
        auth_path: "kubernetes".to_string(),
        transit_path: "transit".to_string(),
    };
    let scripts = scripts_of(async |cli| {
        cli.emit_custom_event("Cluster \"c\" ready", "v1.8.0", "v1.33").await.unwrap();
        cli.configure_kms(&kms).await.unwrap();
    })
    .await;
    assert_eq!(
        scripts,
        [
            r#"wekaauthcli events trigger-event "K8s_Operator: Cluster \"c\" ready (operator: v1.8.0, k8s: v1.33)""#,
            "weka security kms set vault 'https://vault:8200' 'weka-key' --kubernetes-role 'weka' --auth-path 'kubernetes' --transit-path 'transit'",
        ]
    );
}

#[tokio::test]
async fn upgrade_phases_are_guarded_by_the_current_phase() {
    let scripts = scripts_of(async |cli| {
        cli.start_upgrade_phase(UpgradePhase::Drive, "4.4.5").await.unwrap();
        cli.start_upgrade_phase(UpgradePhase::Compute, "4.4.5").await.unwrap();
        cli.start_upgrade_phase(UpgradePhase::Frontend, "4.4.5").await.unwrap();
        cli.finalize_upgrade().await.unwrap();
    })
    .await;
    assert_eq!(
        scripts,
        [
            "
wekaauthcli status --json | grep upgrade_phase | grep -i drive || wekaauthcli debug jrpc prepare_leader_for_upgrade
wekaauthcli status --json | grep upgrade_phase | grep -i drive ||  wekaauthcli debug jrpc upgrade_phase_start target_phase_type=DrivePhase target_version_name=4.4.5
",
            "
wekaauthcli status --json | grep upgrade_phase | grep -i compute || wekaauthcli debug jrpc upgrade_phase_finish
wekaauthcli status --json | grep upgrade_phase | grep -i compute || wekaauthcli debug jrpc upgrade_phase_start target_phase_type=ComputeRollingPhase target_version_name=4.4.5
",
            "
wekaauthcli status --json | grep upgrade_phase | grep -i frontend || wekaauthcli debug jrpc upgrade_phase_finish
wekaauthcli status --json | grep upgrade_phase | grep -i frontend || wekaauthcli debug jrpc upgrade_phase_start target_phase_type=FrontendPhase target_version_name=4.4.5
",
            "
wekaauthcli debug jrpc upgrade_phase_finish
wekaauthcli debug jrpc unprepare_leader_for_upgrade
",
        ]
    );
}

#[tokio::test]
async fn local_scripts_match_upstream() {
    let scripts = scripts_of(async |cli| {
        cli.container_identity("drive", false).await.unwrap_err();
        cli.container_identity("client", true).await.unwrap_err();
        cli.drain_client().await.unwrap();
        assert!(!cli.envoy_running().await.unwrap());
        cli.prepare_driver_for_upgrade().await.unwrap();
        cli.interface_for_ip("10.0.9.1").await.unwrap();
    })
    .await;
    assert_eq!(
        scripts[0],
        "weka local run wapi -H localhost:$(cat /opt/weka/k8s-runtime/vars/agent_port)/jrpc -W container-get-identity --container-name drive --json"
    );
    assert_eq!(
        scripts[1],
        "wekaauthcli local run wapi -H 127.0.0.1:$(cat /opt/weka/k8s-runtime/vars/agent_port)/jrpc -W container-get-identity --container-name client --json"
    );
    assert_eq!(scripts[2], "weka local stop --force && echo drain > /proc/wekafs/interface");
    assert_eq!(scripts[3], "pgrep -f 'envoy' || true");
    assert!(scripts[4].contains("echo prepare-upgrade > /proc/wekafs/interface"));
    assert_eq!(scripts[5], "ip route show | grep -w 10.0.9.1 | head -1 | awk '{print $5}'");
}

#[tokio::test]
async fn envoy_liveness_and_interfaces_read_stdout() {
    let sim = Sim::pods(1, 0);
    let cli = sim.cli("drive-0");
    sim.exec.reply_script("pgrep -f 'envoy' || true", ok("42\n"));
    assert!(cli.envoy_running().await.unwrap());
    sim.exec.reply_script_prefix("ip route show", ok("eth1\n"));
    assert_eq!(cli.interface_for_ip("10.0.9.1").await.unwrap(), "eth1");
    let missing = ["bash", "-ce", crate::weka::local::PREPARE_UPGRADE_SCRIPT];
    sim.exec.reply(&missing, exit(1, "bash: /proc/wekafs/interface: No such file or directory\n"));
    assert!(cli.prepare_driver_for_upgrade().await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn driver_distribution_commands_match_upstream() {
    let from = "https://10.0.0.7:60002";
    let scripts = scripts_of(async |cli| {
        cli.copy_legacy_drivers("10.0.0.7", 60002).await.unwrap();
        cli.download_weka_version("4.4.5", from).await.unwrap();
        cli.download_drivers("4.4.5", Some(from), Some("abc123")).await.unwrap();
        cli.download_drivers("4.4.5", None, Some("abc123")).await.unwrap();
        cli.fetch_drivers_checksum(from, "4.4.5", "abc123").await.unwrap();
    })
    .await;
    assert_eq!(
        scripts,
        [
            "cd /opt/weka/dist/drivers/ && wget -r -nH --cut-dirs=3 --no-parent --reject=\"index.html*\" http://10.0.0.7:60002/dist/v1/drivers/",
            "weka version get --driver-only 4.4.5 --from https://10.0.0.7:60002",
            "weka driver download --without-agent --version 4.4.5 --from https://10.0.0.7:60002 --kernel-signature abc123",
            "weka driver download --without-agent --version 4.4.5 --kernel-signature abc123",
            "cd /opt/weka/dist/drivers/ && curl -kO https://10.0.0.7:60002/dist/v1/drivers/4.4.5-abc123.tar.gz.sha256",
        ]
    );
    let sim = Sim::pods(1, 0);
    sim.exec.reply_script_prefix("weka driver download", exit(1, "error: Version missing\n"));
    let err = sim.cli("drive-0").download_drivers("4.4.5", None, Some("abc123")).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
}
