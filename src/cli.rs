//! Command-line types (clap) only. Doc comments here are the `--help` text; nothing past
//! `Settings::from_cli` sees these types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::version::EngineVersion;

const EXAMPLES: &str = "\
Examples:
  dockcfg add-insecure 192.168.199.100:5000      allow a plain-HTTP registry
  dockcfg insecure rm 192.168.199.100:5000       take it away again
  dockcfg mirror add https://mirror.example.com  pull Docker Hub images through a mirror
  dockcfg mirror add --first https://fast.example.com
  dockcfg insecure ls                            list what the file holds
  dockcfg -n add-insecure 10.0.0.0/8             show the diff, write nothing
  dockcfg -f /etc/default/docker add-insecure reg.local:5000   edit DOCKER_OPTS instead
  dockcfg undo                                   put the file back as it was before the last change
  dockcfg validate                               check daemon.json as the installed dockerd reads it
  dockcfg validate --engine 20.10 daemon.json    ... as dockerd 20.10 reads it

Exit codes: 0 done (changed or already so; validate: valid, warnings allowed), 1 failed (validate:
errors found), 2 bad usage (unknown flag, invalid address, bad --engine).";

/// Manage the Docker engine's registry settings (insecure registries, mirrors) safely:
/// validated, format-preserving, backed up, with a diff.
#[derive(Debug, Parser)]
#[command(name = "dockcfg", version, after_help = EXAMPLES, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options valid before or after the subcommand.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The file to edit: a daemon.json, or a shell-style file holding DOCKER_OPTS="..." or
    /// OPTIONS='...' (/etc/default/docker, /etc/conf.d/docker, /etc/sysconfig/docker)
    #[arg(short = 'f', long = "file", value_name = "PATH", global = true)]
    pub file: Option<PathBuf>,

    /// Resolve every system path under DIR (the default file becomes DIR/etc/docker/daemon.json);
    /// nothing is ever reloaded or restarted
    #[arg(long, value_name = "DIR", global = true)]
    pub root: Option<PathBuf>,

    /// Show the diff, write nothing
    #[arg(short = 'n', long, global = true)]
    pub dry_run: bool,

    /// Never ask
    #[arg(short = 'y', long, global = true)]
    pub yes: bool,

    /// Machine-readable result on stdout
    #[arg(long, global = true)]
    pub json: bool,

    /// When to use colours (NO_COLOR is respected by `auto`)
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto, global = true)]
    pub color: ColorWhen,

    /// Allow what is otherwise refused: an insecure range covering every registry
    /// (0.0.0.0/0, ::/0), undo over a hand edit
    #[arg(long, global = true)]
    pub force: bool,

    /// Judge files by the rules of this Docker Engine version (20.10, 24.0, 28.3, ...); default:
    /// the installed dockerd's version (`dockerd --version`), else the newest dockcfg knows
    #[arg(long, value_name = "VERSION", value_parser = parse_engine, global = true)]
    pub engine: Option<EngineVersion>,

    /// Judge files for dockerd on this platform (default: this machine's)
    #[arg(long, value_enum, value_name = "PLATFORM", global = true)]
    pub platform: Option<PlatformArg>,
}

/// `--engine`: MAJOR.MINOR with an optional patch (`20.10`, `26.1.5`).
fn parse_engine(s: &str) -> Result<EngineVersion, String> {
    s.parse()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlatformArg {
    Linux,
    Windows,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Insecure registries (plain HTTP or untrusted TLS): add, rm, ls
    #[command(subcommand)]
    Insecure(InsecureCmd),

    /// Registry mirrors for Docker Hub pulls: add, rm, ls (order is priority)
    #[command(subcommand)]
    Mirror(MirrorCmd),

    /// Same as `insecure add`
    #[command(name = "add-insecure")]
    AddInsecure(AddrArgs),

    /// Same as `insecure rm`
    #[command(name = "rm-insecure")]
    RmInsecure(AddrArgs),

    /// Restore the file as it was before dockcfg's last change to it (diff shown)
    Undo,

    /// Check a daemon.json (or DOCKER_OPTS file) the way dockerd reads it: every problem with
    /// its line, column and fix; exit 1 when dockerd would refuse it or ignore a setting
    Validate {
        /// The file to check (default: the target file, /etc/docker/daemon.json)
        #[arg(value_name = "PATH")]
        path: Option<PathBuf>,
    },

    /// Print shell completions
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum InsecureCmd {
    /// Add registries: host, host:port, IPv4/IPv6 address, or CIDR range
    Add(AddrArgs),
    /// Remove registries
    #[command(alias = "remove")]
    Rm(AddrArgs),
    /// List the insecure registries in the file
    #[command(alias = "list")]
    Ls,
}

#[derive(Debug, Subcommand)]
pub enum MirrorCmd {
    /// Add mirrors after the existing ones, in the order given
    Add {
        /// Put the new mirrors before the existing ones
        #[arg(long)]
        first: bool,
        #[command(flatten)]
        urls: UrlArgs,
    },
    /// Remove mirrors
    #[command(alias = "remove")]
    Rm(UrlArgs),
    /// List the mirrors in the file, in priority order
    #[command(alias = "list")]
    Ls,
}

#[derive(Debug, Args)]
pub struct AddrArgs {
    /// host[:port], [IPv6]:port, or CIDR such as 10.0.0.0/8
    #[arg(value_name = "ADDR", required = true)]
    pub addrs: Vec<String>,
}

#[derive(Debug, Args)]
pub struct UrlArgs {
    /// Mirror URL such as https://mirror.example.com
    #[arg(value_name = "URL", required = true)]
    pub urls: Vec<String>,
}
