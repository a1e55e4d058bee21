//! The simulated image registry the kubelets "pull" from: a reference that does not parse gives
//! InvalidImageName; a repository the registry knows, asked for a tag it lacks, gives
//! ErrImagePull. By default every well-formed reference exists.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};

/// Why an image cannot be pulled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PullError {
    /// The kubelet's InvalidImageName.
    #[error(
        "Failed to apply default image tag \"{0}\": couldn't parse image name \"{0}\": invalid reference format"
    )]
    InvalidName(String),
    /// The kubelet's ErrImagePull.
    #[error(
        "failed to pull and unpack image \"{0}\": failed to resolve reference \"{0}\": {0}: not found"
    )]
    NotFound(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// e.g. `docker.io/library/busybox`
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageRef {
    /// Parses a reference as containerd normalises it (`busybox` -> `docker.io/library/busybox:latest`).
    pub fn parse(reference: &str) -> Result<ImageRef, PullError> {
        let invalid = || PullError::InvalidName(reference.to_string());
        if reference.is_empty() || reference.trim() != reference || reference.contains("://") {
            return Err(invalid());
        }
        let (rest, digest) = match reference.split_once('@') {
            Some((rest, digest)) => {
                let valid = digest.split_once(':').is_some_and(|(alg, hex)| {
                    !alg.is_empty() && hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit())
                });
                if !valid {
                    return Err(invalid());
                }
                (rest, Some(digest.to_string()))
            }
            None => (reference, None),
        };
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], Some(rest[last_slash + i + 1..].to_string())),
            None => (rest, None),
        };
        if let Some(tag) = &tag {
            let ok = !tag.is_empty()
                && tag.len() <= 128
                && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
                && !tag.starts_with(['.', '-']);
            if !ok {
                return Err(invalid());
            }
        }
        let components: Vec<&str> = name.split('/').collect();
        let host_like = |c: &str| c.contains('.') || c.contains(':') || c == "localhost";
        for (i, component) in components.iter().enumerate() {
            let is_host = i == 0 && components.len() > 1 && host_like(component);
            let ok = if is_host {
                !component.is_empty()
            } else {
                !component.is_empty()
                    && component.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b)
                    })
                    && component.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
                    && component.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric())
            };
            if !ok {
                return Err(invalid());
            }
        }
        let repository = match components.as_slice() {
            [one] => format!("docker.io/library/{one}"),
            [first, ..] if host_like(first) => name.to_string(),
            _ => format!("docker.io/{name}"),
        };
        let tag = tag.or_else(|| digest.is_none().then(|| "latest".to_string()));
        Ok(ImageRef { repository, tag, digest })
    }
}

/// Which images exist. Repositories not listed accept every tag.
#[derive(Debug, Clone, Default)]
pub struct ImageRegistry(Arc<RwLock<BTreeMap<String, BTreeSet<String>>>>);

impl ImageRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes `repository` known with exactly these tags (more can be added later).
    pub fn restrict(&self, repository: &str, tags: &[&str]) {
        let repo = ImageRef::parse(repository)
            .map(|r| r.repository)
            .unwrap_or_else(|_| repository.to_string());
        let mut map = self.0.write().unwrap_or_else(|p| p.into_inner());
        let entry = map.entry(repo).or_default();
        entry.extend(tags.iter().map(|t| t.to_string()));
    }

    /// Adds a tag to a restricted repository (or restricts it to that tag).
    pub fn push(&self, repository: &str, tag: &str) {
        self.restrict(repository, &[tag]);
    }

    /// What the kubelet gets when it pulls `reference`: the image ID on success.
    pub fn pull(&self, reference: &str) -> Result<String, PullError> {
        let image = ImageRef::parse(reference)?;
        let map = self.0.read().unwrap_or_else(|p| p.into_inner());
        if let (Some(tags), Some(tag)) = (map.get(&image.repository), &image.tag)
            && !tags.contains(tag)
        {
            return Err(PullError::NotFound(format!("{}:{tag}", image.repository)));
        }
        let digest = image.digest.clone().unwrap_or_else(|| {
            format!(
                "sha256:{}",
                fake_digest(&format!(
                    "{}:{}",
                    image.repository,
                    image.tag.as_deref().unwrap_or("")
                ))
            )
        });
        Ok(format!("{}@{digest}", image.repository))
    }
}

/// A stable 64-hex-digit digest for a name (not cryptographic; it only has to look right).
pub fn fake_digest(name: &str) -> String {
    let mut out = String::new();
    let mut state: u64 = 0xcbf2_9ce4_8422_2325;
    for round in 0u64..4 {
        for b in name.bytes().chain(round.to_le_bytes()) {
            state ^= b as u64;
            state = state.wrapping_mul(0x0100_0000_01b3);
        }
        out.push_str(&format!("{state:016x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_normalise_like_containerd() {
        let r = ImageRef::parse("busybox").unwrap();
        assert_eq!(
            (r.repository.as_str(), r.tag.as_deref()),
            ("docker.io/library/busybox", Some("latest"))
        );
        let r = ImageRef::parse("quay.io/weka.io/weka-in-container:4.4.2").unwrap();
        assert_eq!(
            (r.repository.as_str(), r.tag.as_deref()),
            ("quay.io/weka.io/weka-in-container", Some("4.4.2"))
        );
        let r = ImageRef::parse("localhost:5000/app").unwrap();
        assert_eq!(r.repository, "localhost:5000/app");
        assert_eq!(
            ImageRef::parse("library/nginx:1.27").unwrap().repository,
            "docker.io/library/nginx"
        );
    }

    #[test]
    fn malformed_references_are_invalid_names() {
        for bad in
            ["", "UPPER/case", "busybox:", "a b", "busybox:bad tag", "busybox@sha256:xyz", "-lead"]
        {
            assert!(
                matches!(ImageRef::parse(bad), Err(PullError::InvalidName(_))),
                "{bad:?} parsed"
            );
        }
    }

    #[test]
    fn restricted_repositories_lack_unknown_tags() {
        let registry = ImageRegistry::new();
        assert!(registry.pull("anything:v1").is_ok());
        registry.restrict("quay.io/weka.io/weka-in-container", &["4.4.2"]);
        assert!(registry.pull("quay.io/weka.io/weka-in-container:4.4.2").is_ok());
        let err = registry.pull("quay.io/weka.io/weka-in-container:9.9.9").unwrap_err();
        assert!(matches!(err, PullError::NotFound(_)));
        registry.push("quay.io/weka.io/weka-in-container", "9.9.9");
        let id = registry.pull("quay.io/weka.io/weka-in-container:9.9.9").unwrap();
        assert!(id.starts_with("quay.io/weka.io/weka-in-container@sha256:") && id.len() > 70);
    }
}
