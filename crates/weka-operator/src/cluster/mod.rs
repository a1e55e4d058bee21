//! The WekaCluster domain: templates, dynamic defaults, and the WekaContainers a cluster is made of.
//!
//! Pure functions of the WekaCluster object and the operator's [`ClusterSettings`]; the
//! WekaCluster controller reads and writes the API around them.
//!
//! - [`resolve_template`]: the layout the spec names (`dynamic` from `spec.dynamicTemplate`
//!   with upstream's defaults, computed on a copy; or a fixed template), or a
//!   [`ClusterSpecError`] for the conditions.
//! - [`ClusterPlan`]: the cluster with its template, answering [`desired_counts`],
//!   [`build_container`], [`missing_containers`] and [`excess_containers`].
//! - [`naming`]: deterministic container names `<cluster>-<role>-<n>`, which make creation
//!   restart safe (see the module's documentation).

mod counts;
mod dynamic;
mod error;
mod factory;
pub mod naming;
mod placement;
mod plan;
mod roles;
mod scale_down;
mod settings;
mod template;

#[cfg(test)]
mod counts_tests;
#[cfg(test)]
mod factory_tests;
#[cfg(test)]
mod template_tests;
#[cfg(test)]
mod test_support;

// The interface for the WekaCluster controller, which is wired in next.
#[allow(unused_imports)]
pub use counts::{desired_counts, is_deleted, missing_containers};
#[allow(unused_imports)]
pub use dynamic::{compute_hugepages, from_dynamic_template};
#[allow(unused_imports)]
pub use error::ClusterSpecError;
#[allow(unused_imports)]
pub use factory::{build_container, controller_reference, operator_secret_name, required_labels};
#[allow(unused_imports)]
pub use naming::ContainerName;
#[allow(unused_imports)]
pub use plan::ClusterPlan;
#[allow(unused_imports)]
pub use roles::{CLUSTER_ROLES, RoleCounts};
#[allow(unused_imports)]
pub use scale_down::{excess_containers, has_joined, is_leaving, select_for_removal};
#[allow(unused_imports)]
pub use settings::ClusterSettings;
#[allow(unused_imports)]
pub use template::{ClusterTemplate, STATIC_TEMPLATES, resolve_template, static_template};
