//! The controllers, one module each. Each implements [`crate::runtime::Reconciler`] for its
//! kind and runs its flows through the step engine ([`crate::engine`]).

pub mod claims_release;
pub mod cluster;
pub mod container;
