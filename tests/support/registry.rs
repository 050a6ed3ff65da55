//! A real registry (CNCF distribution's `docker-registry`), plain HTTP, storage in its own temp dir.
//!
//! In a [`Netns`] it listens on the namespace's address, so dockerd treats it as a remote registry (a
//! loopback registry would be insecure by default and prove nothing about `insecure-registries`).

use std::fs::File;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use tempfile::TempDir;

use super::cleanup;
use super::http;
use super::netns::Netns;
use super::process::{self, wait_until};

/// A running registry; `Drop` stops it by pid and removes its storage.
#[derive(Debug)]
pub struct Registry {
    child: Child,
    addr: String,
    dir: TempDir,
}

impl Registry {
    /// Starts a registry inside `netns`, listening on `ns_ip:port`, and waits until `/v2/` answers.
    pub fn start(netns: &Netns, port: u16) -> Result<Self> {
        Self::spawn(Some(netns), netns.ns_ip(), port)
    }

    /// Starts a registry in the host's namespace on the host side of `netns`'s veth (`host_ip:port`): the
    /// one address a daemon inside `netns` can reach.
    pub fn start_host_side(netns: &Netns, port: u16) -> Result<Self> {
        Self::spawn(None, netns.host_ip(), port)
    }

    /// Starts a registry on 127.0.0.1 at a free port (for tests that need no insecure-registry story:
    /// dockerd always treats loopback as insecure).
    pub fn start_loopback() -> Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .context("finding a free loopback port")?
            .port();
        Self::spawn(None, Ipv4Addr::LOCALHOST, port)
    }

    fn spawn(netns: Option<&Netns>, ip: Ipv4Addr, port: u16) -> Result<Self> {
        cleanup::sweep_stale_dirs();
        let dir = cleanup::temp_dir(cleanup::REGISTRY_PREFIX)?;
        let addr = format!("{ip}:{port}");
        let config = dir.path().join("config.yml");
        std::fs::write(&config, config_yaml(&dir.path().join("data"), &addr))
            .with_context(|| format!("writing {}", config.display()))?;
        let log = File::create(dir.path().join("registry.log")).context("creating registry log")?;
        let mut cmd = match netns {
            Some(ns) => ns.command("docker-registry"),
            None => Command::new("docker-registry"),
        };
        cmd.arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let child = process::spawn_tied(&mut cmd).context("starting docker-registry")?;
        let mut reg = Self { child, addr, dir };
        reg.wait_ready(Duration::from_secs(10))?;
        Ok(reg)
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<()> {
        let ready = wait_until(timeout, Duration::from_millis(25), || {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(Err(anyhow::anyhow!("docker-registry exited ({status})")));
            }
            match http::tcp_get(&self.addr, "/v2/") {
                Ok(r) if r.status == 200 => Some(Ok(())),
                _ => None,
            }
        });
        let result =
            ready.unwrap_or_else(|| Err(anyhow::anyhow!("/v2/ did not answer within {timeout:?}")));
        if let Err(e) = result {
            bail!(
                "registry at {}: {e}\n--- registry.log ---\n{}",
                self.addr,
                self.log()
            );
        }
        Ok(())
    }

    /// "IP:PORT", as used in image references and in `insecure-registries`.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// "http://IP:PORT", as used in `registry-mirrors`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The registry's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Where images are stored.
    pub fn storage(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The repositories in the registry (`GET /v2/_catalog`).
    pub fn catalog(&self) -> Result<Vec<String>> {
        let v = http::tcp_get(&self.addr, "/v2/_catalog")?.json()?;
        Ok(v["repositories"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|r| r.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The registry's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        if let Err(e) = process::stop_child(&mut self.child, Duration::from_secs(3)) {
            eprintln!("harness: stopping registry pid {}: {e}", self.child.id());
        }
    }
}

/// The registry's configuration: filesystem storage, plain HTTP on `addr`, quiet logs.
fn config_yaml(storage: &Path, addr: &str) -> String {
    format!(
        "version: 0.1\n\
         log:\n  level: warn\n  accesslog:\n    disabled: true\n\
         storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
         http:\n  addr: {addr}\n",
        storage.display()
    )
}
