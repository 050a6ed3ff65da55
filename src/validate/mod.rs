//! Validation of daemon.json against dockerd's rules, by engine version and platform.
pub mod keys;
