//! The small in-memory filesystem of a simulated container: a tree per container, with volumes
//! (emptyDir shared by the pod's containers, hostPath shared by the node's pods) mounted into it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FsError {
    #[error("{0}: No such file or directory")]
    NotFound(String),
    #[error("{0}: Not a directory")]
    NotADirectory(String),
    #[error("{0}: Is a directory")]
    IsADirectory(String),
    #[error("{0}: Directory not empty")]
    NotEmpty(String),
    #[error("{0}: File exists")]
    Exists(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    Dir,
    File(Vec<u8>),
}

/// One tree of files: a container's root, or a volume. Paths inside are absolute ("/" is the
/// tree's own root).
#[derive(Debug, Default)]
pub struct Tree(Mutex<BTreeMap<String, Entry>>);

impl Tree {
    pub fn new() -> Arc<Self> {
        let tree = Tree::default();
        tree.lock().insert("/".into(), Entry::Dir);
        Arc::new(tree)
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Entry>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Normalises a path: absolute (relative paths are taken from `/`), no `.`, `..` or `//`.
pub fn normalise(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// A container's view: its root tree and the volumes mounted into it.
#[derive(Debug, Clone)]
pub struct Fs {
    root: Arc<Tree>,
    /// (mount path, tree, path inside the tree), longest mount path first.
    mounts: Arc<Vec<(String, Arc<Tree>, String)>>,
}

impl Default for Fs {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

impl Fs {
    /// A fresh root with the usual directories, and `mounts` as (mount path, tree, sub path).
    pub fn new(mounts: Vec<(String, Arc<Tree>, String)>) -> Self {
        let mut mounts: Vec<_> = mounts
            .into_iter()
            .map(|(at, tree, sub)| (normalise(&at), tree, normalise(&sub)))
            .collect();
        mounts.sort_by_key(|(at, _, _)| std::cmp::Reverse(at.len()));
        let fs = Fs { root: Tree::new(), mounts: Arc::new(mounts) };
        for dir in [
            "/bin",
            "/dev",
            "/etc",
            "/home",
            "/opt",
            "/proc",
            "/root",
            "/run",
            "/tmp",
            "/usr/bin",
            "/usr/local/bin",
            "/var/log",
            "/var/run",
        ] {
            let _ = fs.mkdir_p(dir);
        }
        for (at, tree, sub) in fs.mounts.iter() {
            let _ = fs.mkdir_p(at);
            let mut entries = tree.lock();
            let mut path = String::new();
            for part in sub.split('/').filter(|p| !p.is_empty()) {
                path.push('/');
                path.push_str(part);
                entries.entry(path.clone()).or_insert(Entry::Dir);
            }
        }
        fs
    }

    /// Which tree holds `path`, and its path there.
    fn resolve(&self, path: &str) -> (&Tree, String) {
        let path = normalise(path);
        for (at, tree, sub) in self.mounts.iter() {
            let inside = if path == *at {
                Some("")
            } else {
                path.strip_prefix(at.as_str()).filter(|rest| rest.starts_with('/') || at == "/")
            };
            if let Some(rest) = inside {
                let joined = normalise(&format!("{sub}/{rest}"));
                return (tree, joined);
            }
        }
        (&self.root, path)
    }

    pub fn read(&self, path: &str) -> Result<Vec<u8>, FsError> {
        let (tree, inner) = self.resolve(path);
        match tree.lock().get(&inner) {
            Some(Entry::File(data)) => Ok(data.clone()),
            Some(Entry::Dir) => Err(FsError::IsADirectory(path.into())),
            None => Err(FsError::NotFound(path.into())),
        }
    }

    pub fn read_string(&self, path: &str) -> Result<String, FsError> {
        self.read(path).map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    /// Writes (or with `append`, appends to) a file whose directory exists.
    pub fn write_with(&self, path: &str, data: &[u8], append: bool) -> Result<(), FsError> {
        let (tree, inner) = self.resolve(path);
        let mut entries = tree.lock();
        match entries.get(parent(&inner)) {
            Some(Entry::Dir) => {}
            Some(Entry::File(_)) => return Err(FsError::NotADirectory(path.into())),
            None => return Err(FsError::NotFound(path.into())),
        }
        match entries.get_mut(&inner) {
            Some(Entry::Dir) => Err(FsError::IsADirectory(path.into())),
            Some(Entry::File(existing)) if append => {
                existing.extend_from_slice(data);
                Ok(())
            }
            _ => {
                entries.insert(inner, Entry::File(data.to_vec()));
                Ok(())
            }
        }
    }

    pub fn write(&self, path: &str, data: impl AsRef<[u8]>) -> Result<(), FsError> {
        self.write_with(path, data.as_ref(), false)
    }

    /// Creates the file if missing (its directories too, which is handy for behaviours
    /// setting up files; `touch` in the shell checks the directory first).
    pub fn touch(&self, path: &str) -> Result<(), FsError> {
        if self.exists(path) {
            return Ok(());
        }
        self.mkdir_p(parent(&normalise(path)))?;
        self.write(path, b"")
    }

    pub fn mkdir_p(&self, path: &str) -> Result<(), FsError> {
        let path = normalise(path);
        let mut current = String::new();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            current.push('/');
            current.push_str(part);
            let (tree, inner) = self.resolve(&current);
            let mut entries = tree.lock();
            match entries.get(&inner) {
                Some(Entry::Dir) => {}
                Some(Entry::File(_)) => return Err(FsError::Exists(current)),
                None => {
                    entries.insert(inner, Entry::Dir);
                }
            }
        }
        Ok(())
    }

    /// `mkdir` without -p: the parent must exist and the directory must not.
    pub fn mkdir(&self, path: &str) -> Result<(), FsError> {
        if self.exists(path) {
            return Err(FsError::Exists(path.into()));
        }
        if !self.is_dir(parent(&normalise(path))) {
            return Err(FsError::NotFound(path.into()));
        }
        self.mkdir_p(path)
    }

    pub fn exists(&self, path: &str) -> bool {
        let (tree, inner) = self.resolve(path);
        tree.lock().contains_key(&inner)
    }

    pub fn is_file(&self, path: &str) -> bool {
        let (tree, inner) = self.resolve(path);
        matches!(tree.lock().get(&inner), Some(Entry::File(_)))
    }

    pub fn is_dir(&self, path: &str) -> bool {
        let (tree, inner) = self.resolve(path);
        matches!(tree.lock().get(&inner), Some(Entry::Dir))
    }

    /// Removes a file, or with `recursive` a directory and everything below it.
    pub fn remove(&self, path: &str, recursive: bool) -> Result<(), FsError> {
        let (tree, inner) = self.resolve(path);
        let mut entries = tree.lock();
        match entries.get(&inner) {
            None => Err(FsError::NotFound(path.into())),
            Some(Entry::Dir) if !recursive => Err(FsError::IsADirectory(path.into())),
            Some(Entry::File(_)) => {
                entries.remove(&inner);
                Ok(())
            }
            Some(Entry::Dir) => {
                let prefix = if inner == "/" { "/".to_string() } else { format!("{inner}/") };
                entries.retain(|k, _| !k.starts_with(&prefix));
                if inner != "/" {
                    entries.remove(&inner);
                }
                Ok(())
            }
        }
    }

    /// Removes an empty directory.
    pub fn rmdir(&self, path: &str) -> Result<(), FsError> {
        if !self.list(path)?.is_empty() {
            return Err(FsError::NotEmpty(path.into()));
        }
        self.remove(path, true)
    }

    /// Names directly inside a directory (mount points included), sorted.
    pub fn list(&self, path: &str) -> Result<Vec<String>, FsError> {
        let normal = normalise(path);
        if self.is_file(&normal) {
            return Ok(vec![normal.rsplit('/').next().unwrap_or("").to_string()]);
        }
        if !self.is_dir(&normal) {
            return Err(FsError::NotFound(path.into()));
        }
        let (tree, inner) = self.resolve(&normal);
        let prefix = if inner == "/" { "/".to_string() } else { format!("{inner}/") };
        let mut names: Vec<String> = tree
            .lock()
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter_map(|(k, _)| {
                let rest = &k[prefix.len()..];
                (!rest.is_empty() && !rest.contains('/')).then(|| rest.to_string())
            })
            .collect();
        let own_prefix = if normal == "/" { "/".to_string() } else { format!("{normal}/") };
        for (at, _, _) in self.mounts.iter() {
            if let Some(rest) = at.strip_prefix(&own_prefix)
                && !rest.is_empty()
                && !rest.contains('/')
            {
                names.push(rest.to_string());
            }
        }
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// Moves a file (within or across trees).
    pub fn rename(&self, from: &str, to: &str) -> Result<(), FsError> {
        let data = self.read(from)?;
        let target = if self.is_dir(to) {
            format!("{}/{}", normalise(to), normalise(from).rsplit('/').next().unwrap_or(""))
        } else {
            to.to_string()
        };
        self.write(&target, &data)?;
        self.remove(from, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_need_their_directory() {
        let fs = Fs::default();
        assert_eq!(fs.write("/nope/f", "x"), Err(FsError::NotFound("/nope/f".into())));
        fs.mkdir_p("/opt/weka/k8s-runtime").unwrap();
        fs.write("/opt/weka/k8s-runtime/port", "14000").unwrap();
        assert_eq!(fs.read_string("/opt/weka/k8s-runtime/port").unwrap(), "14000");
        fs.write_with("/opt/weka/k8s-runtime/port", b"\n", true).unwrap();
        assert_eq!(fs.read("/opt/weka/k8s-runtime/port").unwrap(), b"14000\n");
        assert!(fs.is_dir("/opt/weka") && !fs.is_file("/opt/weka"));
        assert_eq!(fs.list("/opt/weka/k8s-runtime").unwrap(), ["port"]);
    }

    #[test]
    fn removal_is_recursive_only_when_asked() {
        let fs = Fs::default();
        fs.mkdir_p("/a/b").unwrap();
        fs.write("/a/b/f", "x").unwrap();
        assert_eq!(fs.remove("/a", false), Err(FsError::IsADirectory("/a".into())));
        assert_eq!(fs.rmdir("/a"), Err(FsError::NotEmpty("/a".into())));
        fs.remove("/a", true).unwrap();
        assert!(!fs.exists("/a/b/f") && !fs.exists("/a"));
    }

    #[test]
    fn volumes_are_shared_between_views() {
        let shared = Tree::new();
        let one = Fs::new(vec![("/host-binds/shared".into(), shared.clone(), "/".into())]);
        let two = Fs::new(vec![("/data".into(), shared, "/".into())]);
        one.write("/host-binds/shared/x", "hello").unwrap();
        assert_eq!(two.read_string("/data/x").unwrap(), "hello");
        assert_eq!(one.list("/host-binds").unwrap(), ["shared"]);
        assert!(!one.exists("/data/x"));
    }

    #[test]
    fn sub_paths_select_part_of_a_volume() {
        let host = Tree::new();
        let a = Fs::new(vec![("/opt/weka".into(), host.clone(), "/persist/a".into())]);
        let b = Fs::new(vec![("/mnt".into(), host, "/".into())]);
        a.write("/opt/weka/f", "1").unwrap();
        assert_eq!(b.read_string("/mnt/persist/a/f").unwrap(), "1");
    }

    #[test]
    fn rename_moves_files_into_directories() {
        let fs = Fs::default();
        fs.write("/tmp/a", "x").unwrap();
        fs.rename("/tmp/a", "/etc").unwrap();
        assert!(fs.is_file("/etc/a") && !fs.exists("/tmp/a"));
        assert_eq!(normalise("a/./b/../c//d"), "/a/c/d");
    }
}
