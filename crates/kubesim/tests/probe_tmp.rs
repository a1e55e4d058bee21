mod common;
#[tokio::test]
async fn probe() {
    let sim = common::start().await;
    let dir = sim.kubeconfig_path().parent().unwrap().to_path_buf();
    for args in [
        vec!["version"],
        vec!["create", "configmap", "x", "--from-literal=a=b"],
        vec!["create", "namespace", "team"],
        vec!["run", "web", "--image=nginx"],
        vec!["create", "deployment", "d", "--image=nginx"],
        vec!["label", "configmap", "x", "k=v"],
        vec!["get", "pods"],
    ] {
        let out = std::process::Command::new("kubectl").env("KUBECONFIG", sim.kubeconfig_path())
            .arg("--cache-dir").arg(dir.join("cache")).args(&args).output().unwrap();
        eprintln!("$ kubectl {}\n{}{}", args.join(" "), String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    }
    for r in sim.request_log().entries() {
        if r.verb.is_empty() || r.verb == "create" || r.verb=="patch" || r.verb=="update" || r.code >= 400 {
            eprintln!("{} {} {} {:?} {} ua={:?}", r.method, r.path, r.query, r.content_type, r.code, r.user_agent);
        }
    }
}
