//! A tiny image without internet: a static busybox imported with `docker import`, and a way to put it into a
//! registry so another daemon can pull it.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::dockerd::{Dockerd, DockerdOpts};
use super::registry::Registry;

/// Applets linked in the image's /bin (busybox picks the applet by argv[0]).
const APPLETS: &[&str] = &[
    "sh", "sleep", "cat", "echo", "ls", "true", "false", "wget", "ps", "env",
];

/// Imports image `name` (e.g. `tiny:1`) into `dockerd`: a root with /bin/busybox (static, from the
/// busybox-static package) and its applets, so `docker run -d --network none NAME sleep 1000` works.
pub fn tiny_image(dockerd: &Dockerd, name: &str) -> Result<()> {
    let busybox = static_busybox()?;
    let root = dockerd.dir().join("tiny-root");
    let bin = root.join("bin");
    std::fs::create_dir_all(&bin).context("creating the image root")?;
    for d in ["dev", "proc", "sys", "etc", "tmp"] {
        std::fs::create_dir_all(root.join(d)).context("creating the image root")?;
    }
    let target = bin.join("busybox");
    if !target.exists() {
        std::fs::copy(&busybox, &target)
            .with_context(|| format!("copying {}", busybox.display()))?;
        for applet in APPLETS {
            std::os::unix::fs::symlink("busybox", bin.join(applet)).context("linking applets")?;
        }
    }
    let tar = dockerd.dir().join("tiny.tar");
    let out = std::process::Command::new("tar")
        .arg("-C")
        .arg(&root)
        .arg("-cf")
        .arg(&tar)
        .arg(".")
        .output()
        .context("running tar")?;
    if !out.status.success() {
        bail!("tar: {}", String::from_utf8_lossy(&out.stderr));
    }
    let tar_arg = tar.display().to_string();
    dockerd.docker_ok(&["import", &tar_arg, name])?;
    let _ = std::fs::remove_file(&tar);
    Ok(())
}

/// Pushes the tiny image into `registry` as `REGISTRY/<repo>` (e.g. `library/tiny:1`, which a daemon using
/// the registry as mirror serves for `docker pull tiny:1`). Uses a short-lived private dockerd that has the
/// registry in its insecure-registries.
pub fn seed_registry(registry: &Registry, repo: &str) -> Result<()> {
    let config = serde_json::json!({ "insecure-registries": [registry.addr()] }).to_string();
    let seeder = Dockerd::start(
        DockerdOpts::new()
            .config(config)
            .timeout(Duration::from_secs(20)),
    )?;
    let reference = format!("{}/{repo}", registry.addr());
    tiny_image(&seeder, &reference)?;
    seeder.docker_ok(&["push", &reference])?;
    Ok(())
}

/// The static busybox binary (`BUSYBOX` overrides; else /bin/busybox or PATH).
pub fn static_busybox() -> Result<PathBuf> {
    let path = std::env::var_os("BUSYBOX")
        .map(PathBuf::from)
        .or_else(|| Some(PathBuf::from("/bin/busybox")).filter(|p| p.is_file()))
        .or_else(|| which::which("busybox").ok())
        .context(
            "busybox not found (apt-get install busybox-static, or run .ci/install-engines)",
        )?;
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    if !is_static_elf(&bytes) {
        bail!(
            "{} is not a static ELF binary: install busybox-static, not busybox",
            path.display()
        );
    }
    Ok(path)
}

/// True for a 64-bit little-endian ELF without a program interpreter (PT_INTERP), i.e. statically linked.
pub fn is_static_elf(b: &[u8]) -> bool {
    let u16_at = |o: usize| {
        b.get(o..o + 2)
            .and_then(|s| s.try_into().ok())
            .map(|a| usize::from(u16::from_le_bytes(a)))
    };
    let u32_at = |o: usize| {
        b.get(o..o + 4)
            .and_then(|s| s.try_into().ok())
            .map(u32::from_le_bytes)
    };
    let u64_at = |o: usize| {
        b.get(o..o + 8)
            .and_then(|s| s.try_into().ok())
            .map(u64::from_le_bytes)
    };
    if b.get(..6) != Some(b"\x7fELF\x02\x01".as_slice()) {
        return false;
    }
    let (Some(phoff), Some(phentsize), Some(phnum)) = (u64_at(0x20), u16_at(0x36), u16_at(0x38))
    else {
        return false;
    };
    let Ok(phoff) = usize::try_from(phoff) else {
        return false;
    };
    const PT_INTERP: u32 = 3;
    (0..phnum).all(|i| u32_at(phoff + i * phentsize).is_some_and(|t| t != PT_INTERP))
}
