//! Secrets never reach errors or traces.

use std::io;
use std::sync::Mutex;

use super::*;
use crate::weka::telemetry::{SplunkExport, SplunkSecrets};

/// Everything traced at DEBUG while the guard lives (tests run on one thread).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn start() -> (Captured, tracing::subscriber::DefaultGuard) {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        // A global subscriber that wants every callsite: without one, a callsite first hit on
        // a thread without a subscriber is cached as "never" for every thread, and this
        // thread's events would be lost when tests run in parallel.
        static GLOBAL: std::sync::Once = std::sync::Once::new();
        GLOBAL.call_once(|| {
            let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry());
        });
        let guard = tracing::subscriber::set_default(subscriber);
        // Callsites first hit while another test thread had no subscriber may have cached
        // "never"; recompute their interest now that this thread's subscriber exists.
        tracing::callsite::rebuild_interest_cache();
        (captured, guard)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn a_refused_user_password_appears_nowhere() {
    let sim = Sim::formed(1, 0);
    let (logs, _guard) = Captured::start();
    let err = sim.cli("drive-0").ensure_user("csi", "sh0rt", "csi").await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains("sh0rt"), "{text}");
    assert!(text.contains("<redacted>") && text.contains("user add"), "{text}");
    assert!(matches!(err, WekaError::CommandFailed { exit_code: 1, .. }));
    let logs = logs.text();
    assert!(logs.contains("user add") && !logs.contains("sh0rt"), "{logs}");
    assert_eq!(sim.exec.last_argv()[2], "wekaauthcli user add csi csi sh0rt", "sent as upstream");
}

#[tokio::test]
async fn stderr_echoing_a_secret_is_scrubbed() {
    let sim = Sim::formed(1, 0);
    let script = "WEKA_USERNAME=admin WEKA_PASSWORD=Old-Passw0rd weka user passwd N3w-Passw0rd --username admin --current-password Old-Passw0rd";
    sim.exec
        .reply(&["bash", "-c", script], exit(1, "error: N3w-Passw0rd rejected for Old-Passw0rd\n"));
    let err = sim
        .cli("drive-0")
        .change_password("admin", "Old-Passw0rd", "N3w-Passw0rd")
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(!text.contains("Passw0rd"), "{text}");
    assert!(text.contains("error: <redacted> rejected for <redacted>"), "{text}");
}

#[tokio::test]
async fn a_join_token_that_does_not_parse_is_not_shown() {
    let sim = Sim::formed(1, 0);
    let argv = [
        "wekaauthcli",
        "cluster",
        "join-token",
        "generate",
        "--access-token-timeout",
        "5200w",
        "--json",
    ];
    sim.exec.reply(&argv, ok("\"wekajt-s3cr3t-t0ken"));
    let err = sim.cli("drive-0").generate_join_token().await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(matches!(err, WekaError::BadJson { .. }));
    assert!(!text.contains("s3cr3t"), "{text}");
}

#[tokio::test]
async fn splunk_tokens_travel_in_files_that_are_removed() {
    let sim = Sim::running(1, 0);
    let (logs, _guard) = Captured::start();
    let export = SplunkExport {
        sources: strings(&["events", "stats"]),
        endpoint: "https://splunk:8088 ".to_string(),
        allow_unverified_certificate: true,
        verify_with_cluster_cacert: false,
    };
    let secrets = SplunkSecrets { auth_token: "T0KEN-VALUE", ca_cert: Some("-----CERT-----") };
    let cli = sim.cli("drive-0");
    sim.exec.reply_script_prefix("printf '%s' ", ok(""));
    sim.exec.reply_script_prefix("rm -f /tmp/", ok(""));
    sim.exec.reply_script_prefix("weka telemetry exports add splunk operator-main ", ok(""));
    cli.ensure_splunk_export("operator-main", &export, secrets).await.unwrap();
    let argvs = sim.exec.argvs();
    assert_eq!(argvs[0][2], "weka telemetry exports list -J");
    let token_write = &argvs[1];
    assert_eq!(token_write[..2], strings(&["bash", "-c"]));
    assert!(
        token_write[2]
            .starts_with("printf '%s' 'VDBLRU4tVkFMVUU=' | base64 -d > /tmp/splunk-token-")
    );
    let token_path = token_write[2].rsplit(' ').next().unwrap().to_string();
    let cert_path = argvs[2][2].rsplit(' ').next().unwrap().to_string();
    assert!(cert_path.starts_with("/tmp/splunk-cacert-"));
    assert_eq!(
        argvs[3][2],
        format!(
            "weka telemetry exports add splunk operator-main --sources events,stats --target 'https://splunk:8088' --auth-token \"$(cat '{token_path}')\" --ca-cert '{cert_path}' --allow-unverified-certificate yes"
        )
    );
    assert_eq!(argvs[4][2], format!("rm -f {token_path}"));
    assert_eq!(argvs[5][2], format!("rm -f {cert_path}"));
    let logs = logs.text();
    assert!(!logs.contains("VDBLRU4tVkFMVUU=") && !logs.contains("T0KEN-VALUE"), "{logs}");
    assert!(logs.contains("write secret file"), "{logs}");
}
