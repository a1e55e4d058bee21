//! Which template a daemon pod was made from. Upstream names each template revision by a hash
//! (the `controller-revision-hash` label, from its ControllerRevision) and also stamps the
//! template generation (`pod-template-generation`); a pod is up to date when either matches.
//!
//! The hash is upstream's form: FNV-1a (32 bit) over the template, then the collision count,
//! the decimal sum spelt in the apiserver's safe alphabet. Upstream hashes Go's dump of the
//! template; this hashes its JSON (fields in a fixed order), so values differ from a real
//! cluster's but change exactly when the template does.
//!
//! kubesim stores no ControllerRevisions and no `deprecated.daemonset.template.generation`
//! annotation: the template generation is the DaemonSet's `metadata.generation`.

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::Pod;

pub const CONTROLLER_REVISION_HASH: &str = "controller-revision-hash";
pub const TEMPLATE_GENERATION: &str = "pod-template-generation";

/// The apiserver's alphabet for generated names and hashes (no vowels, no look-alikes).
const SAFE_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

fn fnv1a32(bytes: &[u8], mut hash: u32) -> u32 {
    for byte in bytes {
        hash ^= u32::from(*byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// Upstream's `rand.SafeEncodeString`: each byte mapped into [`SAFE_ALPHABET`].
fn safe_encode(text: &str) -> String {
    text.bytes().map(|b| SAFE_ALPHABET[usize::from(b) % SAFE_ALPHABET.len()] as char).collect()
}

/// The hash of the DaemonSet's current template.
pub fn template_hash(ds: &DaemonSet) -> String {
    let template = ds.spec.as_ref().map(|s| &s.template);
    let bytes = serde_json::to_vec(&template).unwrap_or_default();
    let mut hash = fnv1a32(&bytes, 0x811c_9dc5);
    if let Some(count) = ds.status.as_ref().and_then(|s| s.collision_count) {
        hash = fnv1a32(&(count as u32).to_le_bytes(), hash);
    }
    safe_encode(&hash.to_string())
}

/// The template generation pods are stamped with.
pub fn template_generation(ds: &DaemonSet) -> i64 {
    ds.metadata.generation.unwrap_or(1)
}

/// Upstream's `IsPodUpdated`: made from the current template, by hash or by generation.
pub fn is_updated(pod: &Pod, hash: &str, generation: i64) -> bool {
    let labels = pod.metadata.labels.as_ref();
    let label = |key: &str| labels.and_then(|l| l.get(key)).map(String::as_str);
    label(CONTROLLER_REVISION_HASH) == Some(hash)
        || label(TEMPLATE_GENERATION) == Some(generation.to_string().as_str())
}
