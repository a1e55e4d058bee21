//! Allocation of ports and drives: pure decisions over a snapshot of claims, persisted by the caller.
