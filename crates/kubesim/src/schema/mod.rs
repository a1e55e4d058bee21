//! Structural schemas of CustomResourceDefinitions: validation, defaulting, pruning, CEL.
