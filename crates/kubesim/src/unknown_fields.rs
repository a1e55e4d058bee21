//! Unknown fields of built-in objects: the fields of a request body that do not survive a
//! round trip through the k8s-openapi type, with the paths the apiserver reports
//! (`spec.containers[0].foo`), and their removal from the object that is stored.

use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// A field's location in an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldPath(Vec<Step>);

impl std::fmt::Display for FieldPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                Step::Key(k) if i == 0 => write!(f, "{k}")?,
                Step::Key(k) => write!(f, ".{k}")?,
                Step::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// Fields (non-null) in `input` that are missing from `known`, its round-tripped form.
pub fn find(input: &Value, known: &Value) -> Vec<FieldPath> {
    let mut found = Vec::new();
    walk(input, known, &mut Vec::new(), &mut found);
    found
}

fn walk(input: &Value, known: &Value, path: &mut Vec<Step>, found: &mut Vec<FieldPath>) {
    match (input, known) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                if v.is_null() {
                    continue;
                }
                path.push(Step::Key(k.clone()));
                match b.get(k) {
                    Some(known_v) => walk(v, known_v, path, found),
                    None => found.push(FieldPath(path.clone())),
                }
                path.pop();
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, (v, known_v)) in a.iter().zip(b).enumerate() {
                path.push(Step::Index(i));
                walk(v, known_v, path, found);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Removes the fields at `paths` from `obj`.
pub fn remove(obj: &mut Value, paths: &[FieldPath]) {
    for path in paths {
        let Some((last, parents)) = path.0.split_last() else {
            continue;
        };
        let parent = parents.iter().try_fold(&mut *obj, |target, step| match step {
            Step::Key(k) => target.get_mut(k.as_str()),
            Step::Index(i) => target.get_mut(*i),
        });
        if let (Some(parent), Step::Key(k)) = (parent, last)
            && let Some(map) = parent.as_object_mut()
        {
            map.remove(k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_fields_are_found_with_paths_and_removed() {
        let mut input = json!({"spec": {"foo": 1, "containers": [{"name": "a", "bar": true}],
                                        "nothing": null}});
        let known = json!({"spec": {"containers": [{"name": "a"}]}});
        let paths = find(&input, &known);
        let text: Vec<String> = paths.iter().map(ToString::to_string).collect();
        assert_eq!(text, vec!["spec.foo", "spec.containers[0].bar"]);
        remove(&mut input, &paths);
        assert_eq!(input, json!({"spec": {"containers": [{"name": "a"}], "nothing": null}}));
    }
}
