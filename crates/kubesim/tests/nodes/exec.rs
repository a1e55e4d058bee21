//! pods/exec and pods/log through kube-rs (WebSocket exec with the status channel, log
//! streaming with follow).

use crate::support::*;
use futures::{AsyncBufReadExt, TryStreamExt};
use kube::api::{AttachParams, LogParams};
use serde_json::json;
use tokio::io::AsyncReadExt;

async fn run(
    handle: &kubesim::KubesimHandle,
    pod: &str,
    command: &[&str],
) -> (String, String, Option<i32>) {
    let params = AttachParams::default().stdout(true).stderr(true);
    let mut process = pods(handle).exec(pod, command.to_vec(), &params).await.expect("exec starts");
    let mut stdout = String::new();
    let mut stderr = String::new();
    process.stdout().expect("stdout").read_to_string(&mut stdout).await.expect("stdout read");
    process.stderr().expect("stderr").read_to_string(&mut stderr).await.expect("stderr read");
    let status = process.take_status().expect("status").await.expect("a status");
    let code = if status.status.as_deref() == Some("Success") {
        Some(0)
    } else {
        status
            .details
            .and_then(|d| d.causes)
            .and_then(|c| c.into_iter().find(|c| c.reason.as_deref() == Some("ExitCode")))
            .and_then(|c| c.message)
            .and_then(|m| m.parse().ok())
    };
    (stdout, stderr, code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_rs_exec_reports_output_and_exit_codes() {
    let handle = start(1, "").await;
    create(&handle, &pod("box", json!({}))).await;
    wait_running_ready(&handle, "box").await;
    assert_eq!(
        run(&handle, "box", &["echo", "hello"]).await,
        ("hello\n".into(), String::new(), Some(0))
    );
    assert_eq!(run(&handle, "box", &["false"]).await.2, Some(1));
    let (out, err, code) =
        run(&handle, "box", &["bash", "-ce", "echo a; echo b >&2; exit 7"]).await;
    assert_eq!((out.as_str(), err.as_str(), code), ("a\n", "b\n", Some(7)));
    let (_, err, code) = run(&handle, "box", &["sh", "-c", "test -d /tmp && ls /nope"]).await;
    assert_eq!(code, Some(2));
    assert_eq!(err, "ls: cannot access '/nope': No such file or directory\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_rs_follows_logs_until_the_container_exits() {
    let handle = start(1, "").await;
    let spec = json!({"restartPolicy": "Never", "containers": [
        {"name": "main", "image": "busybox", "command": ["sh", "-c", "echo first; echo second"]}]});
    create(&handle, &pod("talker", spec)).await;
    wait_for("talker finished", || async {
        get(&handle, "talker").await.filter(|p| phase(p).as_deref() == Some("Succeeded"))
    })
    .await;
    let params = LogParams { follow: true, ..Default::default() };
    let stream = pods(&handle).log_stream("talker", &params).await.expect("log stream");
    let lines: Vec<String> = stream.lines().try_collect().await.expect("lines");
    assert_eq!(lines, ["first", "second"]);
    let text = pods(&handle)
        .logs("talker", &LogParams { tail_lines: Some(1), ..Default::default() })
        .await
        .expect("logs");
    assert_eq!(text, "second\n");
}
