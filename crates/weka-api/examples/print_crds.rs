//! Prints the generated CRDs (all, or those whose plural contains the first argument).
fn main() {
    let filter = std::env::args().nth(1).unwrap_or_default();
    for crd in weka_api::crds::all() {
        if crd.spec.names.plural.contains(&filter) {
            println!("---\n{}", serde_yaml::to_string(&crd).expect("serialises"));
        }
    }
}
