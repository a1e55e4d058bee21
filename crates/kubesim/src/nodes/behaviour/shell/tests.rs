use std::sync::Arc;

use k8s_openapi::api::core::v1::{Container, Pod};

use super::*;
use crate::nodes::behaviour::{ContainerInfo, DefaultBehaviour, Fs, LogBuffer};
use crate::nodes::clock::Clock;

fn ctx() -> ContainerCtx {
    let mut pod = Pod::default();
    pod.metadata.name = Some("p".into());
    let info = ContainerInfo {
        pod: Arc::new(pod),
        container: Container { name: "c".into(), ..Default::default() },
        node_name: "node-1".into(),
        pod_ip: "10.244.0.5".into(),
        host_ip: "172.18.0.2".into(),
        env: [("GREETING".to_string(), "hello".to_string())].into(),
        restart_count: 0,
    };
    ContainerCtx::new(info, Fs::default(), Clock::virtual_now(), Arc::new(LogBuffer::default()))
}

fn argv(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

async fn run(ctx: &ContainerCtx, args: &[&str]) -> CommandOutput {
    exec(&DefaultBehaviour, ctx, &argv(args), b"").await.unwrap()
}

async fn sh(ctx: &ContainerCtx, script: &str) -> CommandOutput {
    run(ctx, &["sh", "-c", script]).await
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

#[tokio::test]
async fn exit_codes_of_simple_programs() {
    let c = ctx();
    assert_eq!(run(&c, &["true"]).await.code, 0);
    assert_eq!(run(&c, &["false"]).await.code, 1);
    let out = run(&c, &["echo", "hi", "there"]).await;
    assert_eq!((text(&out.stdout), out.code), ("hi there\n", 0));
    let missing = exec(&DefaultBehaviour, &c, &argv(&["nosuch"]), b"").await;
    assert_eq!(missing, Err(ExecError::NotFound("nosuch".into())));
}

#[tokio::test]
async fn unknown_commands_in_a_shell_exit_127() {
    let c = ctx();
    let out = sh(&c, "foo").await;
    assert_eq!((out.code, text(&out.stderr)), (127, "sh: foo: not found\n"));
    let out = run(&c, &["bash", "-c", "foo"]).await;
    assert_eq!(out.code, 127);
}

#[tokio::test]
async fn and_or_lists_and_files() {
    let c = ctx();
    let out = sh(&c, "echo hi && touch /f && cat /f && echo done").await;
    assert_eq!((text(&out.stdout), out.code), ("hi\ndone\n", 0));
    let out = sh(&c, "test -f /nope || echo missing; test -d /tmp && echo dir").await;
    assert_eq!(text(&out.stdout), "missing\ndir\n");
    let out = sh(&c, "cat /nope && echo never").await;
    assert_eq!(out.code, 1);
    assert_eq!(text(&out.stderr), "cat: /nope: No such file or directory\n");
    let out = sh(&c, "mkdir -p /a/b && echo x > /a/b/f && ls /a/b && rm /a/b/f && ls /a/b").await;
    assert_eq!((text(&out.stdout), out.code), ("f\n", 0));
}

#[tokio::test]
async fn errexit_stops_at_the_first_failure() {
    let c = ctx();
    let out = run(&c, &["bash", "-ce", "echo a; false; echo b"]).await;
    assert_eq!((text(&out.stdout), out.code), ("a\n", 1));
    let out = run(&c, &["bash", "-ce", "false || echo recovered; echo b"]).await;
    assert_eq!((text(&out.stdout), out.code), ("recovered\nb\n", 0));
    let out = run(&c, &["sh", "-c", "echo a; false; echo b"]).await;
    assert_eq!((text(&out.stdout), out.code), ("a\nb\n", 0));
}

#[tokio::test]
async fn exit_and_status_variables() {
    let c = ctx();
    let out = sh(&c, "false; echo $?; exit 3; echo never").await;
    assert_eq!((text(&out.stdout), out.code), ("1\n", 3));
    let out = sh(&c, "echo \"$GREETING world\" '$GREETING'").await;
    assert_eq!(text(&out.stdout), "hello world $GREETING\n");
    let out = sh(&c, "X=1; export Y=2; echo $X$Y ${X}").await;
    assert_eq!(text(&out.stdout), "12 1\n");
}

#[tokio::test]
async fn pipes_base64_and_moves_as_the_operator_writes_resources() {
    let c = ctx();
    let script = "mkdir -p /opt/weka/k8s-runtime/tmp; echo 'eyJhIjoxfQ==' | base64 -d > /opt/weka/k8s-runtime/tmp/r.json; \
                  mv /opt/weka/k8s-runtime/tmp/r.json /opt/weka/k8s-runtime/r.json";
    assert_eq!(run(&c, &["bash", "-ce", script]).await.code, 0);
    assert_eq!(c.fs().read_string("/opt/weka/k8s-runtime/r.json").unwrap(), "{\"a\":1}");
    let out = sh(&c, "cat /opt/weka/k8s-runtime/r.json | grep -q '\"a\"' && echo found").await;
    assert_eq!(text(&out.stdout), "found\n");
    let out = sh(&c, "echo $(cat /opt/weka/k8s-runtime/r.json)x").await;
    assert_eq!(text(&out.stdout), "{\"a\":1}x\n");
}

#[tokio::test]
async fn redirections_and_here_documents() {
    let c = ctx();
    let out = sh(&c, "cat /nope 2>/dev/null || echo quiet").await;
    assert_eq!((text(&out.stdout), text(&out.stderr)), ("quiet\n", ""));
    let out = sh(&c, "cat /nope 2>&1").await;
    assert_eq!(text(&out.stdout), "cat: /nope: No such file or directory\n");
    sh(&c, "cat <<EOF > /tmp/metrics\nup 1\nname $GREETING\nEOF").await;
    assert_eq!(c.fs().read_string("/tmp/metrics").unwrap(), "up 1\nname hello\n");
    sh(&c, "echo a >> /tmp/log; echo b >> /tmp/log").await;
    assert_eq!(c.fs().read_string("/tmp/log").unwrap(), "a\nb\n");
    let out = sh(&c, "echo x > /no/dir/f").await;
    assert_eq!(out.code, 2);
}

#[tokio::test]
async fn kill_one_wakes_the_main_process() {
    let c = ctx();
    let out = run(&c, &["bash", "-ce", "touch /tmp/.allow-stop && kill 1"]).await;
    assert_eq!(out.code, 0);
    assert!(c.fs().is_file("/tmp/.allow-stop"));
    assert_eq!(c.next_signal().await, Signal::Wake);
    assert_eq!(sh(&c, "kill 42").await.code, 1);
}

#[tokio::test]
async fn test_operators() {
    let c = ctx();
    for (expr, code) in [
        ("test -e /tmp", 0),
        ("test -f /tmp", 1),
        ("[ -d /tmp ]", 0),
        ("[ a = a ]", 0),
        ("[ 3 -gt 5 ]", 1),
        ("[ ! -f /x ]", 0),
        ("test -z ''", 0),
        ("[ -f /x", 2),
    ] {
        assert_eq!(sh(&c, expr).await.code, code, "{expr}");
    }
}

#[tokio::test]
async fn sleep_waits_on_the_clock_and_timeout_cuts_it() {
    let c = ctx();
    let clock = c.clock().clone();
    let task = tokio::spawn({
        let c = c.clone();
        async move { run(&c, &["timeout", "10s", "sleep", "60"]).await }
    });
    while clock.sleepers() < 2 {
        tokio::task::yield_now().await;
    }
    clock.advance(Duration::from_secs(10));
    assert_eq!(task.await.unwrap().code, 124);
}

#[tokio::test]
async fn stdin_reaches_the_commands_of_a_script() {
    let c = ctx();
    let out = exec(
        &DefaultBehaviour,
        &c,
        &argv(&["sh", "-c", "cat > /tmp/in && cat /tmp/in"]),
        b"data\n",
    )
    .await
    .unwrap();
    assert_eq!(text(&out.stdout), "data\n");
    let out = exec(&DefaultBehaviour, &c, &argv(&["wc", "-l"]), b"a\nb\n").await.unwrap();
    assert_eq!(text(&out.stdout), "2\n");
}

#[tokio::test]
async fn syntax_errors_exit_2() {
    let c = ctx();
    let out = sh(&c, "echo 'unterminated").await;
    assert_eq!(out.code, 2);
    assert!(text(&out.stderr).contains("Unterminated"), "{}", text(&out.stderr));
}
