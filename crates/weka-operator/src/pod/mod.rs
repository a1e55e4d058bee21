//! The pod of a WekaContainer: built from the container (one pure function per mode
//! difference), and compared with the pod that exists to decide between an in-place update
//! and a replacement through the stop protocol.
