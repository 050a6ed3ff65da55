//! A network namespace made by the test, joined to the host by a veth pair on its own /30 in 198.18.0.0/15.
//!
//! Names carry the test process's pid (`dcfg-PID-N`, veths `dcPIDhN` / `dcPIDpN`), and the /30 is chosen
//! under a lock among those no interface on the host uses yet, so tests in parallel (threads or processes)
//! never clash. The first /24 (198.18.0.0/24) is left alone for hand-written experiments. Namespaces left by a
//! test process that no longer exists (killed without unwinding) are removed when the next one is created.

use std::fs::File;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use nix::fcntl::{Flock, FlockArg};

use super::process;

static COUNTER: AtomicU32 = AtomicU32::new(0);
const LOCK_PATH: &str = "/run/dockcfg-tests-netns.lock";
const NAME_PREFIX: &str = "dcfg-";
/// Number of /30 blocks in 198.18.0.0/15.
const SLOTS: u32 = 1 << 15;
/// Slots below this (198.18.0.0/24) are never used by the harness.
const FIRST_SLOT: u32 = 64;

/// A network namespace with one veth pair: `host_ip()` on the host side, `ns_ip()` inside. Only the /30
/// link route exists inside: a daemon in it reaches the host side and nothing else.
#[derive(Debug)]
pub struct Netns {
    name: String,
    host_if: String,
    host_ip: Ipv4Addr,
    ns_ip: Ipv4Addr,
    created_ns: bool,
    created_link: bool,
}

impl Netns {
    /// Creates the namespace, the veth pair and the addresses, with `lo` up inside.
    pub fn create() -> Result<Self> {
        let pid = std::process::id();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let lock_file = File::create(LOCK_PATH).with_context(|| format!("creating {LOCK_PATH}"))?;
        let _lock = Flock::lock(lock_file, FlockArg::LockExclusive)
            .map_err(|(_, e)| anyhow::anyhow!("locking {LOCK_PATH}: {e}"))?;
        sweep_stale();
        let used = ipv4_networks(&ip(&["-o", "-4", "addr", "show"])?);
        let slot = pick_slot(pid, n, |block| {
            used.iter().any(|&net| overlaps(net, (block, 30)))
        })
        .context("no free /30 left in 198.18.0.0/15")?;
        let (host_ip, ns_ip) = slot_ips(slot);
        let mut me = Self {
            name: format!("{NAME_PREFIX}{pid}-{n}"),
            host_if: format!("dc{pid}h{n}"),
            host_ip,
            ns_ip,
            created_ns: false,
            created_link: false,
        };
        let peer = format!("dc{pid}p{n}");
        // This process never used this name, so one that exists was left by an earlier process that had our
        // pid (a recycled pid hides it from sweep_stale).
        if me.path().exists() {
            eprintln!(
                "harness: removing stale netns {} (its pid was reused)",
                me.name
            );
            kill_all_in(&me.name);
            let _ = ip(&["netns", "del", &me.name]);
        }
        let _ = ip(&["link", "del", &me.host_if]);
        // From here on, `me` is dropped (and cleans up what exists) on any error.
        ip(&["netns", "add", &me.name])?;
        me.created_ns = true;
        ip(&[
            "link",
            "add",
            &me.host_if,
            "type",
            "veth",
            "peer",
            "name",
            &peer,
            "netns",
            &me.name,
        ])?;
        me.created_link = true;
        ip(&["addr", "add", &format!("{host_ip}/30"), "dev", &me.host_if])?;
        ip(&["link", "set", &me.host_if, "up"])?;
        ip(&[
            "-n",
            &me.name,
            "addr",
            "add",
            &format!("{ns_ip}/30"),
            "dev",
            &peer,
        ])?;
        ip(&["-n", &me.name, "link", "set", &peer, "up"])?;
        ip(&["-n", &me.name, "link", "set", "lo", "up"])?;
        Ok(me)
    }

    /// The namespace's name (as `ip netns list` shows it).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The bind mount that holds the namespace, for `nsenter --net=`.
    pub fn path(&self) -> PathBuf {
        PathBuf::from("/var/run/netns").join(&self.name)
    }

    /// The host side's address (reachable from inside).
    pub fn host_ip(&self) -> Ipv4Addr {
        self.host_ip
    }

    /// The address inside the namespace (reachable from the host).
    pub fn ns_ip(&self) -> Ipv4Addr {
        self.ns_ip
    }

    /// A command that runs `program` inside the namespace (network only, through `nsenter --net=`, which
    /// unlike `ip netns exec` leaves /sys alone, as dockerd needs). The caller spawns or runs it.
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new("nsenter");
        cmd.arg(format!("--net={}", self.path().display()))
            .arg("--")
            .arg(program);
        cmd
    }

    /// Runs `args` (program first) inside the namespace and returns its output (not checked).
    pub fn exec(&self, args: &[&str]) -> Result<Output> {
        let (program, rest) = args.split_first().context("exec needs a program")?;
        self.command(program)
            .args(rest)
            .output()
            .with_context(|| format!("running {args:?} in {}", self.name))
    }

    /// Pids of the processes inside the namespace.
    pub fn pids(&self) -> Vec<u32> {
        pids_in(&self.name)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        if self.created_ns {
            kill_all_in(&self.name);
        }
        if self.created_link {
            // Deleting either end removes the pair; the namespace's end goes with the namespace anyway.
            let _ = ip(&["link", "del", &self.host_if]);
        }
        if self.created_ns
            && let Err(e) = ip(&["netns", "del", &self.name])
        {
            eprintln!("harness: could not delete netns {}: {e:#}", self.name);
        }
    }
}

/// The network address of a /30 slot.
pub fn slot_base(slot: u32) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(Ipv4Addr::new(198, 18, 0, 0)) + (slot % SLOTS) * 4)
}

/// Host and namespace addresses of a /30 slot: .1 and .2 of the block.
pub fn slot_ips(slot: u32) -> (Ipv4Addr, Ipv4Addr) {
    let base = u32::from(slot_base(slot));
    (Ipv4Addr::from(base + 1), Ipv4Addr::from(base + 2))
}

/// The first free /30 slot, starting from one derived from the pid and the per-process counter.
/// `in_use` gets a slot's network address.
pub fn pick_slot(pid: u32, n: u32, in_use: impl Fn(Ipv4Addr) -> bool) -> Option<u32> {
    let span = SLOTS - FIRST_SLOT;
    let start = pid.wrapping_mul(64).wrapping_add(n) % span;
    (0..span)
        .map(|i| FIRST_SLOT + (start + i) % span)
        .find(|&slot| !in_use(slot_base(slot)))
}

/// Every `inet ADDR/PREFIX` in the output of `ip -o -4 addr show`.
pub fn ipv4_networks(ip_addr_output: &str) -> Vec<(Ipv4Addr, u8)> {
    let mut nets = Vec::new();
    for line in ip_addr_output.lines() {
        let mut words = line.split_whitespace();
        while let Some(w) = words.next() {
            if w != "inet" {
                continue;
            }
            let Some((addr, prefix)) = words.next().and_then(|cidr| cidr.split_once('/')) else {
                continue;
            };
            if let (Ok(addr), Ok(prefix)) = (addr.parse(), prefix.parse::<u8>()) {
                nets.push((addr, prefix.min(32)));
            }
        }
    }
    nets
}

/// True when two IPv4 networks share an address.
pub fn overlaps(a: (Ipv4Addr, u8), b: (Ipv4Addr, u8)) -> bool {
    let prefix = a.1.min(b.1).min(32);
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    };
    u32::from(a.0) & mask == u32::from(b.0) & mask
}

/// Removes namespaces named by this harness whose test process is gone.
fn sweep_stale() {
    let Ok(list) = ip(&["netns", "list"]) else {
        return;
    };
    for name in list.lines().filter_map(|l| l.split_whitespace().next()) {
        let Some(owner) = owner_pid(name) else {
            continue;
        };
        if std::path::Path::new(&format!("/proc/{owner}")).exists() {
            continue;
        }
        eprintln!("harness: removing netns {name} left by a test process ({owner}) that is gone");
        kill_all_in(name);
        let n = name.rsplit('-').next().unwrap_or_default();
        let _ = ip(&["link", "del", &format!("dc{owner}h{n}")]);
        let _ = ip(&["netns", "del", name]);
    }
}

/// The test pid in a harness namespace name `dcfg-PID-N`.
pub fn owner_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(NAME_PREFIX)?;
    let (pid, n) = rest.split_once('-')?;
    n.parse::<u32>().ok()?;
    pid.parse().ok()
}

fn pids_in(name: &str) -> Vec<u32> {
    ip(&["netns", "pids", name])
        .map(|out| {
            out.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Stops every process still inside the namespace (they can only be ones this test started there).
fn kill_all_in(name: &str) {
    for pid in pids_in(name) {
        eprintln!("harness: stopping pid {pid} still running in netns {name}");
        process::stop_pid(pid, Duration::from_secs(3));
    }
}

/// Runs `ip ARGS`, returning stdout; an error carries stderr.
fn ip(args: &[&str]) -> Result<String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .context("running `ip` (install iproute2)")?;
    if !out.status.success() {
        bail!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
