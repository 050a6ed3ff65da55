//! dockcfg: manage the Docker engine's registry settings (insecure registries, mirrors) safely.
//!
//! The core (parse, edit, validate, render, diff) is pure; files and processes are touched only
//! by `store` (files) and, later, the command runner.

pub mod apply;
pub mod cli;
pub mod commands;
pub mod daemon_json;
pub mod diag;
pub mod edit;
pub mod engine;
pub mod env;
pub mod exit;
pub mod host;
pub mod opts_file;
pub mod output;
pub mod registry;
pub mod runner;
pub mod settings;
pub mod store;
pub mod validate;
pub mod version;
