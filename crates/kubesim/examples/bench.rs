//! Throughput benchmark (not a test): small writes per second and watch fan-out.
//!
//! `cargo run --release -p kubesim --example bench -- [WATCHERS] [WRITES] [CONCURRENCY] [WATCHED] [STATE_FILE]`
//! (defaults 1000, 20000, 64, configmaps; WATCHED=secrets gives watchers that see nothing;
//! STATE_FILE makes the store durable, every write fsync'd before its answer). Starts kubesim
//! in-process, opens WATCHERS watch streams on
//! configmaps over plain HTTP, creates WRITES small configmaps with CONCURRENCY requests in
//! flight (kube-rs client), and reports writes/s and how long until every watcher had every
//! event. Needs about 2 × WATCHERS file descriptors.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, PostParams};
use kubesim::{Kubesim, KubesimConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn arg(n: usize, default: usize) -> usize {
    std::env::args().nth(n).and_then(|a| a.parse().ok()).unwrap_or(default)
}

/// Opens a watch and counts the events it receives.
async fn watcher(
    addr: std::net::SocketAddr,
    token: String,
    resource: String,
    rv: u64,
    seen: Arc<AtomicU64>,
) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "GET /api/v1/namespaces/default/{resource}?watch=true&resourceVersion={rv} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut buf = vec![0u8; 64 * 1024];
    let (mut balance, mut reported) = (0i64, 0i64);
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        // Every event ends with "}\n"; chunk framing uses "\r\n" and JSON never has a raw
        // '\r', so events = newlines - carriage returns.
        balance +=
            buf[..n].iter().map(|b| i64::from(*b == b'\n') - i64::from(*b == b'\r')).sum::<i64>();
        if balance > reported {
            seen.fetch_add((balance - reported) as u64, Ordering::Relaxed);
            reported = balance;
        }
    }
}

#[tokio::main]
async fn main() {
    let watchers = arg(1, 1000);
    let writes = arg(2, 20_000);
    let concurrency = arg(3, 64);
    let watched = std::env::args().nth(4).unwrap_or_else(|| "configmaps".into());
    let state_file = std::env::args().nth(5).map(std::path::PathBuf::from);
    if let Some(path) = &state_file {
        let _ = std::fs::remove_file(path);
    }
    let config = KubesimConfig { watch_history: writes + 10, state_file, ..Default::default() };
    let sim = Kubesim::start(config).await.expect("kubesim starts");
    let client = sim.client();
    let rv = sim.store().current_rv();
    let seen = Arc::new(AtomicU64::new(0));
    for _ in 0..watchers {
        tokio::spawn(watcher(
            sim.addr(),
            sim.token().to_string(),
            watched.clone(),
            rv,
            seen.clone(),
        ));
    }
    // Wait until every watch is registered (the request log records a watch when its
    // response starts).
    let deadline = Instant::now() + Duration::from_secs(60);
    while sim.request_log().find(|r| r.verb == "watch").len() < watchers {
        assert!(Instant::now() < deadline, "watches did not open");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    println!("{watchers} watches open");

    let api: Api<ConfigMap> = Api::default_namespaced(client);
    let started = Instant::now();
    let results: Vec<bool> = futures::stream::iter(0..writes)
        .map(|i| {
            let api = api.clone();
            async move {
                let cm: ConfigMap = serde_json::from_value(serde_json::json!({
                    "metadata": {"name": format!("cm-{i}")}, "data": {"k": "v"}
                }))
                .unwrap();
                api.create(&PostParams::default(), &cm).await.is_ok()
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let write_time = started.elapsed();
    let failed = results.iter().filter(|ok| !**ok).count();
    let expected = if watched == "configmaps" { (writes * watchers) as u64 } else { 0 };
    let deadline = Instant::now() + Duration::from_secs(300);
    while seen.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let fan_out_time = started.elapsed();
    let delivered = seen.load(Ordering::Relaxed);
    println!(
        "{writes} creates ({failed} failed) in {:.2}s: {:.0} writes/s",
        write_time.as_secs_f64(),
        writes as f64 / write_time.as_secs_f64()
    );
    println!(
        "{delivered}/{expected} events delivered to {watchers} watchers in {:.2}s: {:.0} events/s",
        fan_out_time.as_secs_f64(),
        delivered as f64 / fan_out_time.as_secs_f64()
    );
}
