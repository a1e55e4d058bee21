//! The kubeconfig clients use to reach kubesim: plain HTTP on loopback, a bearer token.

/// The kubeconfig YAML for a server at `server_url` (e.g. `http://127.0.0.1:6443`).
pub fn render(server_url: &str, token: &str) -> String {
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: kubesim
  cluster:
    server: {server_url}
contexts:
- name: kubesim
  context:
    cluster: kubesim
    user: kubesim
    namespace: default
current-context: kubesim
users:
- name: kubesim
  user:
    token: {token}
preferences: {{}}
"
    )
}

/// Writes the file so that a reader never sees it half-written (write, then rename).
pub fn write(path: &std::path::Path, yaml: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, yaml)?;
    std::fs::rename(&tmp, path)
}
