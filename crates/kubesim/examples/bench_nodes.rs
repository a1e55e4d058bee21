//! Benchmark of the node simulation: time to schedule and run 2,000 pods on 200 nodes (all
//! Running and Ready, with events recorded), then exec round-trips per second.
//!
//! `cargo run --release -p kubesim --example bench_nodes [PODS] [NODES] [EXECS]`

use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt, stream};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, AttachParams, ListParams, PostParams};
use kubesim::{Kubesim, KubesimConfig};
use serde_json::json;
use tokio::io::AsyncReadExt;

fn arg(n: usize, default: usize) -> usize {
    std::env::args().nth(n).and_then(|a| a.parse().ok()).unwrap_or(default)
}

fn ready(pod: &Pod) -> bool {
    let status = pod.status.as_ref();
    status.and_then(|s| s.phase.as_deref()) == Some("Running")
        && status
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

async fn exec_once(api: &Api<Pod>, pod: &str) -> anyhow::Result<()> {
    let params = AttachParams::default().stdout(true).stderr(false);
    let mut process = api.exec(pod, vec!["echo", "ping"], &params).await?;
    let mut out = String::new();
    if let Some(mut stdout) = process.stdout() {
        stdout.read_to_string(&mut out).await?;
    }
    let status = process.take_status().ok_or_else(|| anyhow::anyhow!("no status"))?.await;
    anyhow::ensure!(out == "ping\n", "unexpected output {out:?}");
    anyhow::ensure!(status.and_then(|s| s.status).as_deref() == Some("Success"), "exec failed");
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (pods, nodes, execs) = (arg(1, 2000), arg(2, 200), arg(3, 1000));
    let started = Instant::now();
    let handle = Kubesim::start(KubesimConfig { nodes, ..Default::default() }).await?;
    println!("kubesim with {nodes} nodes up in {:.2?}", started.elapsed());

    let api: Api<Pod> = Api::namespaced(handle.client(), "default");
    let t0 = Instant::now();
    stream::iter(0..pods)
        .map(|i| {
            let api = api.clone();
            async move {
                let pod: Pod = serde_json::from_value(json!({
                    "metadata": {"name": format!("bench-{i}"), "labels": {"app": "bench"}},
                    "spec": {"containers": [{"name": "main", "image": "busybox:1.36",
                        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}}}]},
                }))?;
                api.create(&PostParams::default(), &pod).await?;
                anyhow::Ok(())
            }
        })
        .buffer_unordered(32)
        .try_collect::<Vec<_>>()
        .await?;
    let created = t0.elapsed();
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let list = api.list(&ListParams::default().labels("app=bench")).await?;
        let n = list.items.iter().filter(|p| ready(p)).count();
        if n == pods {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "only {n}/{pods} pods ready after 600 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let all_ready = t0.elapsed();
    println!(
        "{pods} pods on {nodes} nodes: created in {created:.2?}, all scheduled, Running and Ready in {all_ready:.2?} ({:.0} pods/s)",
        pods as f64 / all_ready.as_secs_f64()
    );

    let t1 = Instant::now();
    for i in 0..execs {
        exec_once(&api, &format!("bench-{}", i % pods)).await?;
    }
    let sequential = t1.elapsed();
    println!(
        "{execs} sequential exec round-trips in {sequential:.2?}: {:.0} exec/s",
        execs as f64 / sequential.as_secs_f64()
    );
    let t2 = Instant::now();
    stream::iter(0..execs)
        .map(|i| {
            let api = api.clone();
            async move { exec_once(&api, &format!("bench-{}", i % pods)).await }
        })
        .buffer_unordered(16)
        .try_collect::<Vec<_>>()
        .await?;
    let parallel = t2.elapsed();
    println!(
        "{execs} exec round-trips, 16 in flight, in {parallel:.2?}: {:.0} exec/s",
        execs as f64 / parallel.as_secs_f64()
    );
    Ok(())
}
