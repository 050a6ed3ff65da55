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
  dockcfg status                                 the file's registries next to the running engine's
  dockcfg validate                               check daemon.json as the installed dockerd reads it
  dockcfg validate --engine 20.10 daemon.json    ... as dockerd 20.10 reads it
  dockcfg fix                                    repair a daemon.json pasted from a blog post

After a change dockcfg reloads the running engine (or restarts it when it must), checks that the
engine reports the new settings, and puts everything back if it does not (--no-apply: write only).

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

    /// Write the file, but do not reload or restart the engine
    #[arg(long, global = true, env = "DOCKCFG_NO_APPLY",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub no_apply: bool,

    /// Whose paths and services to assume: linux, windows or mac (default: this machine's;
    /// with --root, to inspect another machine's tree)
    #[arg(long, value_name = "OS", value_parser = parse_os, global = true)]
    pub platform: Option<crate::host::Os>,

    /// Apply with a restart of the engine even where a live reload would do
    #[arg(long, global = true)]
    pub restart: bool,

    /// How long the engine may take to show the change before it is rolled back
    #[arg(long, value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600), global = true)]
    pub timeout: u64,

    /// The engine's API socket, as for `docker -H` (default: DOCKER_HOST, else the running
    /// dockerd's own socket, else unix:///var/run/docker.sock)
    #[arg(short = 'H', long = "host", value_name = "HOST", global = true)]
    pub host: Option<String>,

    /// The pidfile of the dockerd to reload when no service manager runs it (a dockerd started
    /// by hand with --pidfile)
    #[arg(long, value_name = "PATH", global = true)]
    pub pidfile: Option<PathBuf>,

    /// The engine's log file, whose new lines are shown when an apply fails (for a dockerd whose
    /// output goes to a file)
    #[arg(long, value_name = "PATH", global = true)]
    pub log_file: Option<PathBuf>,

    /// How to restart the engine, as one command line run without a shell (until service
    /// detection knows it)
    #[arg(long, value_name = "COMMAND", value_parser = parse_command_line, hide = true, global = true)]
    pub restart_cmd: Option<CommandLine>,

    /// Judge files by the rules of this Docker Engine version (20.10, 24.0, 28.3, ...); default:
    /// the installed dockerd's version (`dockerd --version`), else the newest dockcfg knows
    #[arg(long, value_name = "VERSION", value_parser = parse_engine, global = true)]
    pub engine: Option<EngineVersion>,
}

/// `--engine`: MAJOR.MINOR with an optional patch (`20.10`, `26.1.5`).
fn parse_engine(s: &str) -> Result<EngineVersion, String> {
    s.parse()
}

fn parse_os(s: &str) -> Result<crate::host::Os, String> {
    s.parse()
}

/// A command line given as one shell-style string, split into words (nothing is expanded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandLine(pub Vec<String>);

fn parse_command_line(s: &str) -> Result<CommandLine, String> {
    let words = shell_words::split(s).map_err(|e| format!("{e} in {s:?}"))?;
    if words.is_empty() {
        return Err("an empty command".into());
    }
    Ok(CommandLine(words))
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

    /// Show the engine found, its registry settings next to the file's, and what differs
    Status,

    /// Apply the file's current content to the running engine (reload, or restart if needed)
    Apply,

    /// Move registry flags (--insecure-registry, --registry-mirror) from DOCKER_OPTS / OPTIONS
    /// files and from docker.service's ExecStart (drop-ins) into daemon.json, so the engine never
    /// gets a setting twice
    Migrate {
        /// A DOCKER_OPTS / OPTIONS file to take the flags from (repeatable; default: the ones
        /// the engine reads)
        #[arg(long = "from", value_name = "PATH")]
        from: Vec<PathBuf>,
    },

    /// Check a daemon.json (or DOCKER_OPTS file) the way dockerd reads it: every problem with
    /// its line, column and fix; exit 1 when dockerd would refuse it or ignore a setting
    Validate {
        /// The file to check (default: the target file, /etc/docker/daemon.json)
        #[arg(value_name = "PATH")]
        path: Option<PathBuf>,
    },

    /// Repair a broken daemon.json (comments, trailing commas, quotes, singular keys such as
    /// registry-mirror, a string where a list belongs, mirrors without https://) keeping every
    /// setting; shows what it changed and the diff, writes only if the result validates
    Fix {
        /// The file to repair (default: the daemon.json the engine reads)
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
