//! Real kubectl against simulated pods: wait, exec (exit codes, shell, stdin), logs, get pods
//! and graceful delete.

use crate::support::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_waits_execs_logs_and_deletes() {
    let handle = start(2, "").await;
    create(&handle, &pod("x", json!({}))).await;

    let wait = kubectl(&handle, &["wait", "--for=condition=Ready", "pod/x", "--timeout=20s"]).await;
    assert!(wait.status.success(), "{}", text(&wait.stderr));
    assert_eq!(text(&wait.stdout).trim(), "pod/x condition met");

    let fail = kubectl(&handle, &["exec", "x", "--", "false"]).await;
    assert_eq!(fail.status.code(), Some(1), "{}", text(&fail.stderr));

    let three = kubectl(&handle, &["exec", "x", "--", "sh", "-c", "exit 3"]).await;
    assert_eq!(three.status.code(), Some(3), "{}", text(&three.stderr));
    assert!(
        text(&three.stderr).contains("command terminated with exit code 3"),
        "{}",
        text(&three.stderr)
    );

    let touch = kubectl(&handle, &["exec", "x", "--", "sh", "-c", "echo content > /f"]).await;
    assert!(touch.status.success(), "{}", text(&touch.stderr));
    let shell = kubectl(&handle, &["exec", "x", "--", "sh", "-c", "echo hi && cat /f"]).await;
    assert!(shell.status.success(), "{}", text(&shell.stderr));
    assert_eq!(text(&shell.stdout), "hi\ncontent\n");

    let missing = kubectl(&handle, &["exec", "x", "--", "sh", "-c", "foo"]).await;
    assert_eq!(missing.status.code(), Some(127));
    assert!(text(&missing.stderr).contains("sh: foo: not found"), "{}", text(&missing.stderr));

    let mut stdin_cmd = std::process::Command::new("kubectl");
    stdin_cmd
        .args(["exec", "-i", "x", "--", "sh", "-c", "cat > /tmp/in && cat /tmp/in"])
        .env("KUBECONFIG", handle.kubeconfig_path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let piped = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = stdin_cmd.spawn().expect("kubectl starts");
        child.stdin.take().expect("stdin").write_all(b"from stdin\n").expect("written");
        child.wait_with_output().expect("kubectl ends")
    })
    .await
    .unwrap();
    assert!(piped.status.success(), "{}", text(&piped.stderr));
    assert_eq!(text(&piped.stdout), "from stdin\n");

    let logs = kubectl(&handle, &["logs", "x"]).await;
    assert!(logs.status.success(), "{}", text(&logs.stderr));
    assert!(
        text(&logs.stdout).contains("kubesim: container main started"),
        "{}",
        text(&logs.stdout)
    );

    let delete = kubectl(&handle, &["delete", "pod", "x", "--timeout=20s"]).await;
    assert!(delete.status.success(), "{}", text(&delete.stderr));
    assert_eq!(text(&delete.stdout).trim(), "pod \"x\" deleted");
    assert!(get(&handle, "x").await.is_none());
    let client_deletes = handle.request_log().find(|r| {
        r.verb == "delete"
            && r.name.as_deref() == Some("x")
            && r.user_agent.as_deref().is_some_and(|a| a.starts_with("kubectl"))
    });
    assert_eq!(client_deletes.len(), 1);
    assert_ne!(client_deletes[0].grace_period_seconds, Some(0), "kubectl delete is graceful");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_logs_tail_previous_and_containers() {
    let handle = start(1, "").await;
    let spec = json!({"restartPolicy": "Never", "containers": [
        {"name": "printer", "image": "busybox", "command": ["sh", "-c", "echo one; echo two; echo three"]},
        {"name": "idle", "image": "busybox"}]});
    create(&handle, &pod("multi", spec)).await;
    wait_for("printer finished", || async {
        let pod = get(&handle, "multi").await?;
        let statuses = pod.status?.container_statuses?;
        statuses
            .iter()
            .find(|s| s.name == "printer")
            .and_then(|s| s.state.as_ref()?.terminated.as_ref().map(|t| t.exit_code))
    })
    .await;
    let tail = kubectl(&handle, &["logs", "multi", "-c", "printer", "--tail=2"]).await;
    assert_eq!(text(&tail.stdout), "two\nthree\n", "{}", text(&tail.stderr));
    let ambiguous =
        kubectl(&handle, &["logs", "multi", "--all-containers=false", "-c", "nope"]).await;
    assert!(!ambiguous.status.success());
    let previous = kubectl(&handle, &["logs", "multi", "-c", "idle", "--previous"]).await;
    assert!(!previous.status.success());
    assert!(
        text(&previous.stderr)
            .contains("previous terminated container \"idle\" in pod \"multi\" not found"),
        "{}",
        text(&previous.stderr)
    );
}

/// Needs the API server's Table output for pods, which is to compute its cells with
/// `kubesim::nodes::printer::pod_cells` (kubectl's printPod).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_get_pods_shows_ready_and_status_columns() {
    let handle = start(1, "").await;
    create(&handle, &pod("x", json!({}))).await;
    wait_running_ready(&handle, "x").await;
    let listing = kubectl(&handle, &["get", "pods"]).await;
    assert!(listing.status.success(), "{}", text(&listing.stderr));
    let table = text(&listing.stdout);
    let header: Vec<&str> = table.lines().next().unwrap_or("").split_whitespace().collect();
    assert_eq!(header, ["NAME", "READY", "STATUS", "RESTARTS", "AGE"], "{table}");
    let row: Vec<&str> = table.lines().nth(1).unwrap_or("").split_whitespace().collect();
    assert_eq!(&row[..4], ["x", "1/1", "Running", "0"], "{table}");
}
