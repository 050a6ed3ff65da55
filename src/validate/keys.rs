//! Every daemon.json key dockerd knows, by engine version and platform, and pure checks on
//! (key, value) pairs that say what dockerd itself would say about them.
//!
//! How this was verified. Every fact comes from moby's source, read with git at the tags
//! v20.10.0, v20.10.24, v20.10.27, v23.0.0, v23.0.18, v24.0.0, v24.0.9, v25.0.0, v25.0.17, v26.0.0,
//! v26.0.2, v26.1.0, v26.1.5, v27.0.1 .. v27.5.1 (first and last patch of every minor), v28.0.0 ..
//! v28.5.2 (idem), docker-v29.0.0 .. docker-v29.7.2 (idem) and master (Aug 2026): the files
//! daemon/config/config.go, config_linux.go (config_unix.go and config_common_unix.go before
//! 23.0), config_windows.go, builder.go, the flag definitions in cmd/dockerd/config*.go and
//! options.go, docker.go, service_windows.go, cli/cobra.go (daemon/command/ from 29.0),
//! daemon/reload*.go, registry/config.go (daemon/pkg/registry/ from 29.0) and opts/ (daemon/pkg/opts
//! and daemon/internal/opts from 29.0). Flags, JSON fields, flatOptions and skipValidateOptions do
//! not change inside a minor release (first and last patch compared for every minor). The rules
//! for unknown keys, type errors and the flattening were also run against Debian's dockerd
//! 20.10.24 (bookworm, built with Go 1.19) and 26.1.5 (trixie, built with Go 1.24).
//!
//! How dockerd reads the file (getConflictFreeConfiguration in daemon/config/config.go):
//! 1. the file is decoded into `map[string]any`; object values are flattened one level, except the
//!    keys in `flatOptions` (see [`dockerd_unknown_keys`]);
//! 2. every flattened key must be a flag name, the name of a "named" flag value (`labels` for
//!    `--label`), or in `skipValidateOptions`; otherwise "the following directives don't match any
//!    configuration option: ..." (the order of that list is Go map order, i.e. random);
//! 3. the file is decoded again into the Config struct with Go's encoding/json (see [`type_error`]):
//!    a flag name that has no JSON field (`registry-mirror`) passes step 2 and is dropped here
//!    without a word (see [`ignored_flag_key`]);
//! 4. `config.Validate` and friends (see [`dockerd_checks`]).
//!
//! Every error is printed as `unable to configure the Docker daemon with file F: <error>`; a
//! Validate error is wrapped once more: `configuration validation from file failed: ` (20.10) or
//! `merged configuration validation from file and command line flags failed: ` (23.0+).

use crate::version::EngineVersion;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// The operating system dockerd runs on; the set of keys differs between the two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Platform {
    Linux,
    Windows,
}

/// On which platforms a key exists (as of the newest engine; see [`KeyInfo::platform`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Platforms {
    Both,
    LinuxOnly,
    WindowsOnly,
}

impl Platforms {
    /// Whether this includes `p`.
    pub fn includes(self, p: Platform) -> bool {
        matches!(
            (self, p),
            (Platforms::Both, _)
                | (Platforms::LinuxOnly, Platform::Linux)
                | (Platforms::WindowsOnly, Platform::Windows)
        )
    }
}

/// The JSON shape dockerd's Go struct field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JsonType {
    Bool,
    /// A whole number (Go `int`/`int64`): `1.5`, `1e3` and out-of-range numbers are refused.
    Integer,
    String,
    /// A list of strings (Go `[]string`; for `dns` and `host-gateway-ips` IP addresses).
    StringList,
    /// An object of string values (Go `map[string]string`).
    StringMap,
    /// An object of booleans (Go `map[string]bool`).
    BoolMap,
    /// An object of objects of strings (Go `map[string]map[string]string`).
    StringMapMap,
    /// An object with fixed fields (a Go struct).
    Object,
    /// A list of objects with fixed fields.
    ObjectList,
    /// An object whose values are objects with fixed fields (Go `map[string]Struct`).
    ObjectMap,
}

impl JsonType {
    /// Human words for the type, for messages (`a list of strings`).
    pub fn describe(self) -> &'static str {
        match self {
            JsonType::Bool => "true or false",
            JsonType::Integer => "a whole number",
            JsonType::String => "a string",
            JsonType::StringList => "a list of strings",
            JsonType::StringMap => "an object of strings",
            JsonType::BoolMap => "an object of true/false values",
            JsonType::StringMapMap => "an object of objects of strings",
            JsonType::Object => "an object",
            JsonType::ObjectList => "a list of objects",
            JsonType::ObjectMap => "an object of objects",
        }
    }
}

/// When and how a key stopped taking effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Removal {
    /// The first engine on which the key no longer takes effect. Whether dockerd then refuses it
    /// (unknown key, or a Validate error) or accepts and ignores it is what
    /// [`dockerd_unknown_keys`], [`dockerd_checks`] and [`ignored_flag_key`] say for that engine.
    pub version: EngineVersion,
    /// What to do instead (`use "data-root"`).
    pub help: &'static str,
    /// The first engine that warned about the key while still applying it, if known.
    pub warned_since: Option<EngineVersion>,
}

/// One daemon.json key that dockerd applies (on some engine, on some platform).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyInfo {
    pub name: &'static str,
    pub ty: JsonType,
    /// Platforms on which the key is applied on the newest engine. Exception read from the flag
    /// tables: `default-runtime` is Linux-only before 23.0. [`known_keys`] and [`lookup_for`] apply it.
    pub platform: Platforms,
    /// The first engine that applies the key; `None`: 20.10 or older (the oldest dockcfg knows).
    pub since: Option<EngineVersion>,
    pub removed: Option<Removal>,
    /// Applied by a live reload (SIGHUP) without a restart.
    pub reloadable: bool,
    /// One line: what it does.
    pub meaning: &'static str,
}

/// A key dockerd accepts but silently ignores (a flag name with no JSON field behind it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IgnoredKey {
    /// The key to use instead, when there is one (`registry-mirrors` for `registry-mirror`).
    pub plural: Option<&'static str>,
    /// One line: why it is ignored and what to do.
    pub help: &'static str,
}

const fn v(major: u32, minor: u32) -> EngineVersion {
    EngineVersion::new(major, minor)
}

const V23_0: EngineVersion = v(23, 0);
const V24_0: EngineVersion = v(24, 0);
const V25_0: EngineVersion = v(25, 0);
const V26_0: EngineVersion = v(26, 0);
const V26_1: EngineVersion = v(26, 1);
const V27_0: EngineVersion = v(27, 0);
const V27_3: EngineVersion = v(27, 3);
const V28_0: EngineVersion = v(28, 0);
const V28_1: EngineVersion = v(28, 1);
const V28_2: EngineVersion = v(28, 2);
const V29_0: EngineVersion = v(29, 0);
const V29_2: EngineVersion = v(29, 2);
const V29_7: EngineVersion = v(29, 7);

/// `since <= e < until`, with `None` meaning "always" on that side.
fn in_range(e: EngineVersion, since: Option<EngineVersion>, until: Option<EngineVersion>) -> bool {
    since.is_none_or(|s| e >= s) && until.is_none_or(|u| e < u)
}

// ---------------------------------------------------------------------------------------------
// Flags. dockerd checks daemon.json keys against its command-line flags.
// ---------------------------------------------------------------------------------------------

/// Where a flag is defined: cmd/dockerd/config.go and options.go (all), config_unix.go and
/// config_common_unix.go (unix = Linux here), config_windows.go and service_windows.go (Windows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum On {
    All,
    Linux,
    Windows,
}

impl On {
    fn has(self, p: Platform) -> bool {
        matches!(
            (self, p),
            (On::All, _) | (On::Linux, Platform::Linux) | (On::Windows, Platform::Windows)
        )
    }
}

/// One dockerd flag: its name, the NamedOption name of its value (`labels` for `--label`),
/// where it is defined and the engines that have it (`until` is the first engine without it).
struct Flag {
    name: &'static str,
    named: Option<&'static str>,
    on: On,
    since: Option<EngineVersion>,
    until: Option<EngineVersion>,
}

const fn flag(name: &'static str, on: On) -> Flag {
    Flag {
        name,
        named: None,
        on,
        since: None,
        until: None,
    }
}
const fn named(name: &'static str, named: &'static str, on: On) -> Flag {
    Flag {
        name,
        named: Some(named),
        on,
        since: None,
        until: None,
    }
}
const fn flag_since(name: &'static str, on: On, since: EngineVersion) -> Flag {
    Flag {
        name,
        named: None,
        on,
        since: Some(since),
        until: None,
    }
}
const fn flag_until(name: &'static str, on: On, until: EngineVersion) -> Flag {
    Flag {
        name,
        named: None,
        on,
        since: None,
        until: Some(until),
    }
}

use On::{All, Linux, Windows};

/// Every flag of dockerd 20.10 .. 29.x. Boundaries, each read from the flag definitions of the
/// tag named (cmd/dockerd/config.go, config_unix.go, config_windows.go, options.go, docker.go,
/// service_windows.go, cli/cobra.go; daemon/command/ from docker-v29.0.0).
#[rustfmt::skip]
const FLAGS: &[Flag] = &[
    named("add-runtime", "runtimes", Linux),
    flag_since("allow-direct-routing", Linux, V28_2), // v28.2.0 config_unix.go
    // v28.0.0 marks it deprecated; gone in docker-v29.0.0 (then in skipValidateOptions).
    Flag { name: "allow-nondistributable-artifacts", named: Some("allow-nondistributable-artifacts"), on: All, since: None, until: Some(V29_0) },
    flag_until("api-cors-header", All, V29_0), // hidden from v27.0.1, gone in docker-v29.0.0
    named("authorization-plugin", "authorization-plugins", All),
    flag("bip", Linux),
    flag_since("bip6", Linux, V28_0), // v28.0.0
    flag("bridge", All),              // defined in both config_unix.go and config_windows.go
    flag_since("bridge-accept-fwmark", Linux, V29_0), // docker-v29.0.0
    Flag { name: "cdi-spec-dir", named: Some("cdi-spec-dirs"), on: All, since: Some(V25_0), until: None }, // v25.0.0
    flag("cgroup-parent", Linux),
    flag_until("cluster-advertise", All, V24_0), // removed in v24.0.0
    flag_until("cluster-store", All, V24_0),
    Flag { name: "cluster-store-opt", named: Some("cluster-store-opts"), on: All, since: None, until: Some(V24_0) },
    flag("config-file", All),
    flag("containerd", All),
    flag("containerd-namespace", All),
    flag("containerd-plugins-namespace", All), // its JSON tag is containerd-plugin-namespace
    flag("cpu-rt-period", Linux),
    flag("cpu-rt-runtime", Linux),
    flag("cri-containerd", All),
    flag("data-root", All),
    flag("debug", All),
    named("default-address-pool", "default-address-pools", Linux), // PoolsOpt.Name()
    flag("default-cgroupns-mode", Linux),
    flag("default-gateway", Linux),
    flag("default-gateway-v6", Linux),
    flag("default-ipc-mode", Linux),
    Flag { name: "default-network-opt", named: Some("default-network-opts"), on: All, since: Some(V24_0), until: None }, // v24.0.0
    flag("default-runtime", Linux), // config_common_unix.go in 20.10
    flag_since("default-runtime", Windows, V23_0), // moved to config.go (all platforms) in v23.0.0
    flag("default-shm-size", Linux),
    flag_since("default-stop-timeout", All, V29_7), // docker-v29.7.0
    named("default-ulimit", "default-ulimits", Linux),
    flag("dns", All), // a NamedIPListOpts named "dns" from docker-v29.0.0: same name
    named("dns-opt", "dns-opts", All),
    flag("dns-search", All),
    named("exec-opt", "exec-opts", All),
    flag("exec-root", All),
    flag("experimental", All),
    Flag { name: "feature", named: Some("features"), on: All, since: Some(V27_3), until: None }, // v27.3.0
    flag_since("firewall-backend", Linux, V29_0), // docker-v29.0.0
    flag("fixed-cidr", All),
    flag("fixed-cidr-v6", Linux),
    flag_until("graph", All, V24_0), // hidden; removed in v24.0.0
    flag("group", All),
    flag("help", All), // cli/cobra.go SetupRootCommand: PersistentFlags().BoolP("help", ...)
    named("host", "hosts", All),
    flag_until("host-gateway-ip", All, V28_0),
    // v28.0.0: a NamedIPListOpts named host-gateway-ips; the old JSON key is migrated.
    Flag { name: "host-gateway-ip", named: Some("host-gateway-ips"), on: All, since: Some(V28_0), until: None },
    flag_since("http-proxy", All, V23_0), // v23.0.0; its JSON field is proxies.http-proxy
    flag_since("https-proxy", All, V23_0),
    flag("icc", Linux),
    flag("init", Linux),
    flag("init-path", Linux),
    named("insecure-registry", "insecure-registries", All),
    flag("ip", Linux),
    flag("ip-forward", Linux),
    flag_since("ip-forward-no-drop", Linux, V28_0), // v28.0.0
    flag("ip-masq", Linux),
    flag("ip6tables", Linux),
    flag("iptables", Linux),
    flag("ipv6", Linux),
    named("label", "labels", All),
    flag("live-restore", Linux),
    flag("log-driver", All),
    flag_since("log-format", All, V25_0), // v25.0.0
    flag("log-level", All),
    named("log-opt", "log-opts", All),
    flag("max-concurrent-downloads", All),
    flag("max-concurrent-uploads", All),
    flag("max-download-attempts", All),
    flag("metrics-addr", All),
    flag("mtu", All), // hidden on Windows from v25.0.0
    flag("network-control-plane-mtu", All),
    flag("network-diagnostic-port", All),
    flag("no-new-privileges", Linux),
    flag_since("no-proxy", All, V23_0),
    named("node-generic-resource", "node-generic-resources", All),
    Flag { name: "nri-opts", named: Some("nri-opts"), on: All, since: Some(V29_2), until: None }, // docker-v29.2.0
    flag_until("oom-score-adjust", Linux, V26_0), // deprecated v24.0.0, removed v26.0.0
    flag("pidfile", All),
    flag("raw-logs", All),
    flag("register-service", Windows),
    named("registry-mirror", "registry-mirrors", All),
    flag("restart", All), // deprecated and hidden
    flag("rootless", Linux),
    flag("run-service", Windows),
    flag("seccomp-profile", Linux),
    flag("selinux-enabled", Linux),
    flag("service-name", Windows),
    flag("shutdown-timeout", All),
    flag("storage-driver", Linux), // 20.10: `if runtime.GOOS != "windows"` in config.go
    named("storage-opt", "storage-opts", All),
    flag("swarm-default-advertise-addr", All),
    flag("tls", All),
    flag("tlscacert", All),
    flag("tlscert", All),
    flag("tlskey", All),
    flag("tlsverify", All),
    flag("unregister-service", Windows),
    flag("userland-proxy", Linux),
    flag("userland-proxy-path", Linux),
    flag("userns-remap", Linux),
    flag_since("validate", All, V23_0), // v23.0.0
    flag("version", All),
];

/// The flag named `name` on this engine and platform (pflag's `Lookup`: exact, by long name).
fn lookup_flag(name: &str, e: EngineVersion, p: Platform) -> Option<&'static Flag> {
    FLAGS
        .iter()
        .find(|f| f.name == name && f.on.has(p) && in_range(e, f.since, f.until))
}

/// Whether `name` is the NamedOption name of some flag's value on this engine and platform.
fn is_named_option(name: &str, e: EngineVersion, p: Platform) -> bool {
    FLAGS
        .iter()
        .any(|f| f.named == Some(name) && f.on.has(p) && in_range(e, f.since, f.until))
}

/// `flatOptions` in daemon/config/config.go: keys whose object value is NOT flattened.
fn is_flat_option(key: &str, e: EngineVersion) -> bool {
    match key {
        "cluster-store-opts" | "log-opts" | "runtimes" | "default-ulimits" | "features"
        | "builder" => true,
        "default-network-opts" => e >= V24_0, // v24.0.0
        "nri-opts" => e >= V29_2,             // docker-v29.2.0
        _ => false,
    }
}

/// Whether dockerd replaces an object value of `key` by its own keys before checking them
/// (`configValuesSet`): true for every key except those in `flatOptions` (`log-opts`,
/// `runtimes`, ...). For validate's positions of unknown nested keys.
pub fn flattens(key: &str, engine: EngineVersion) -> bool {
    !is_flat_option(key, engine)
}

/// The daemon.json keys that conflict with the command-line flag `flag` (long name, no dashes)
/// on this engine and platform, as `findConfigurationConflicts` finds them: the flag's own name,
/// or the name of its value for a named option (`insecure-registry` -> `insecure-registries`,
/// `host` -> `hosts`); nothing for `add-runtime` (`runtimes` is in `skipDuplicates`) or for a
/// flag this dockerd does not have. From 28.0 the migrated `host-gateway-ip` also conflicts
/// under its old key.
pub fn conflict_keys(flag: &str, engine: EngineVersion, platform: Platform) -> Vec<&'static str> {
    let Some(f) = lookup_flag(flag, engine, platform) else {
        return Vec::new();
    };
    let key = f.named.unwrap_or(f.name);
    if key == "runtimes" {
        return Vec::new();
    }
    if f.name == "host-gateway-ip" && f.named.is_some() {
        return vec![key, f.name];
    }
    vec![key]
}

/// `skipValidateOptions` in daemon/config/config.go: keys accepted without a flag.
fn is_skip_validate(key: &str, e: EngineVersion) -> bool {
    match key {
        "features" | "builder" | "deprecated-key-path" => true,
        "allow-nondistributable-artifacts" => e >= V28_1, // v28.1.0
        "min-api-version" => e >= V29_0,                  // docker-v29.0.0
        _ => false,
    }
}

/// Whether dockerd's unknown-key check lets `key` through (after flattening).
fn is_accepted(key: &str, e: EngineVersion, p: Platform) -> bool {
    lookup_flag(key, e, p).is_some() || is_skip_validate(key, e) || is_named_option(key, e, p)
}

// ---------------------------------------------------------------------------------------------
// JSON fields of dockerd's Config struct, with their Go types (for type errors).
// ---------------------------------------------------------------------------------------------

/// A Go type as far as encoding/json cares; the strings are Go's `reflect.Type.String()`.
#[derive(Debug)]
enum Go {
    Bool,
    /// Signed integer kinds: "int", "int64".
    Int(&'static str),
    /// Unsigned integer kinds: "uint32".
    Uint(&'static str),
    /// String kinds: "string", "log.OutputFormat".
    Str(&'static str),
    Ptr(&'static Go),
    Slice(&'static str, &'static Go),
    Map(&'static str, &'static Go),
    /// A struct: its type string ("config.Proxies") and its JSON fields.
    Struct(&'static str, &'static [GoField]),
    /// `interface{}`, or a custom UnmarshalJSON whose errors dockcfg does not model.
    Any,
    /// `net.IP` (an encoding.TextUnmarshaler).
    NetIp,
    /// `netip.Addr` (an encoding.TextUnmarshaler).
    NetipAddr,
    /// `opts.MemBytes` (UnmarshalJSON: a quoted size such as "64m").
    MemBytes,
    /// `opts.PoolsOpt` (UnmarshalJSON: json.Unmarshal into `[]*ipamutils.NetworkToSplit`).
    Pools,
    /// `opts.NRIOpts` (UnmarshalJSON: strict decoder that refuses unknown fields).
    Nri,
}

#[derive(Debug)]
struct GoField {
    /// The JSON name (the tag name, else the Go field name).
    json: &'static str,
    ty: &'static Go,
}

const fn gf(json: &'static str, ty: &'static Go) -> GoField {
    GoField { json, ty }
}

static BOOL: Go = Go::Bool;
static PBOOL: Go = Go::Ptr(&BOOL);
static INT: Go = Go::Int("int");
static INT64: Go = Go::Int("int64");
static UINT32: Go = Go::Uint("uint32");
static STR: Go = Go::Str("string");
static STRS: Go = Go::Slice("[]string", &STR);
static STRMAP: Go = Go::Map("map[string]string", &STR);
static STRMAPMAP: Go = Go::Map("map[string]map[string]string", &STRMAP);
static BOOLMAP: Go = Go::Map("map[string]bool", &BOOL);
static NETIP: Go = Go::NetIp;
static IPS: Go = Go::Slice("[]net.IP", &NETIP);
static ADDR: Go = Go::NetipAddr;
static ADDRS: Go = Go::Slice("[]netip.Addr", &ADDR);
static LOGFORMAT: Go = Go::Str("log.OutputFormat");
static ANY: Go = Go::Any;
static MEMBYTES: Go = Go::MemBytes;
static POOLS: Go = Go::Pools;
static NRI: Go = Go::Nri;
static PROXIES: Go = Go::Struct(
    "config.Proxies",
    &[
        gf("http-proxy", &STR),
        gf("https-proxy", &STR),
        gf("no-proxy", &STR),
    ],
);
// go-units Ulimit has no JSON tags; container.Ulimit (27.0+) is an alias of it.
static ULIMIT: Go = Go::Struct(
    "units.Ulimit",
    &[gf("Name", &STR), gf("Hard", &INT64), gf("Soft", &INT64)],
);
static PULIMIT: Go = Go::Ptr(&ULIMIT);
static ULIMITS: Go = Go::Map("map[string]*units.Ulimit", &PULIMIT);
static RUNTIME_FIELDS: &[GoField] = &[
    gf("path", &STR),
    gf("runtimeArgs", &STRS),
    gf("runtimeType", &STR),
    gf("options", &ANY),
];
static RUNTIME_OLD: Go = Go::Struct("types.Runtime", RUNTIME_FIELDS);
static RUNTIME_NEW: Go = Go::Struct("system.Runtime", RUNTIME_FIELDS);
static RUNTIMES_OLD: Go = Go::Map("map[string]types.Runtime", &RUNTIME_OLD); // before 25.0
static RUNTIMES_NEW: Go = Go::Map("map[string]system.Runtime", &RUNTIME_NEW); // v25.0.0
static GC_RULE: Go = Go::Struct(
    "config.BuilderGCRule",
    &[
        gf("All", &BOOL),
        gf("Filter", &ANY),
        gf("KeepStorage", &STR),
        gf("ReservedSpace", &STR),
        gf("MaxUsedSpace", &STR),
        gf("MinFreeSpace", &STR),
    ],
);
static GC_RULES: Go = Go::Slice("[]config.BuilderGCRule", &GC_RULE);
static BUILDER_GC: Go = Go::Struct(
    "config.BuilderGCConfig",
    &[
        gf("Enabled", &BOOL),
        gf("Policy", &GC_RULES),
        gf("DefaultKeepStorage", &STR),
        gf("DefaultReservedSpace", &STR),
        gf("DefaultMaxUsedSpace", &STR),
        gf("DefaultMinFreeSpace", &STR),
    ],
);
static BUILDER_ENT: Go = Go::Struct(
    "config.BuilderEntitlements",
    &[
        gf("network-host", &PBOOL),
        gf("security-insecure", &PBOOL),
        gf("device", &PBOOL),
    ],
);
static BUILDER_HISTORY: Go = Go::Struct(
    "config.BuilderHistoryConfig",
    &[gf("MaxAge", &ANY), gf("MaxEntries", &INT64)],
);
static PBUILDER_HISTORY: Go = Go::Ptr(&BUILDER_HISTORY);
static BUILDER: Go = Go::Struct(
    "config.BuilderConfig",
    &[
        gf("GC", &BUILDER_GC),
        gf("Entitlements", &BUILDER_ENT),
        gf("History", &PBUILDER_HISTORY),
    ],
);
static NETWORK_TO_SPLIT: Go = Go::Struct(
    "ipamutils.NetworkToSplit",
    &[gf("base", &STR), gf("size", &INT)],
);
static PNETWORK_TO_SPLIT: Go = Go::Ptr(&NETWORK_TO_SPLIT);
static POOL_VALUES: Go = Go::Slice("[]*ipamutils.NetworkToSplit", &PNETWORK_TO_SPLIT);
static NRI_STRUCT: Go = Go::Struct(
    "opts.nriOpts",
    &[
        gf("enable", &BOOL),
        gf("plugin-path", &STR),
        gf("plugin-config-path", &STR),
        gf("socket-path", &STR),
    ],
);

/// One top-level JSON field of Config: where it exists and its Go type.
struct Field {
    key: &'static str,
    ty: &'static Go,
    on: On,
    since: Option<EngineVersion>,
    until: Option<EngineVersion>,
}

const fn fld(key: &'static str, ty: &'static Go, on: On) -> Field {
    Field {
        key,
        ty,
        on,
        since: None,
        until: None,
    }
}
const fn fld_in(
    key: &'static str,
    ty: &'static Go,
    on: On,
    since: Option<EngineVersion>,
    until: Option<EngineVersion>,
) -> Field {
    Field {
        key,
        ty,
        on,
        since,
        until,
    }
}

/// Every JSON field reachable at the top of Config (embedded structs resolved), per the struct
/// definitions in daemon/config/*.go and registry/config.go of each tag. `On::All` means the field
/// is in CommonConfig; `On::Linux` in config_linux.go (config_unix.go, config_common_unix.go before
/// 23.0). Boundaries name the tag they were read from.
#[rustfmt::skip]
const FIELDS: &[Field] = &[
    fld_in("allow-direct-routing", &BOOL, Linux, Some(V28_2), None), // v28.2.0
    // ServiceOptions lost the field in v28.1.0.
    fld_in("allow-nondistributable-artifacts", &STRS, All, None, Some(V28_1)),
    fld_in("api-cors-header", &STR, All, None, Some(V29_0)), // gone in docker-v29.0.0
    fld("authorization-plugins", &STRS, All),
    fld("bip", &STR, Linux),
    fld_in("bip6", &STR, Linux, Some(V28_0), None), // v28.0.0
    fld("bridge", &STR, All),
    fld_in("bridge-accept-fwmark", &STR, Linux, Some(V29_0), None), // docker-v29.0.0
    fld("builder", &BUILDER, All),
    fld_in("cdi-spec-dirs", &STRS, All, Some(V25_0), None), // v25.0.0
    fld("cgroup-parent", &STR, Linux),
    fld_in("cluster-advertise", &STR, All, None, Some(V24_0)), // removed in v24.0.0
    fld_in("cluster-store", &STR, All, None, Some(V24_0)),
    fld_in("cluster-store-opts", &STRMAP, All, None, Some(V24_0)),
    fld("containerd", &STR, All),
    fld("containerd-namespace", &STR, All),
    fld("containerd-plugin-namespace", &STR, All), // no flag of that name: rejected as unknown
    fld("cpu-rt-period", &INT64, Linux),
    fld("cpu-rt-runtime", &INT64, Linux),
    fld("cri-containerd", &BOOL, All),
    fld("data-root", &STR, All),
    fld("debug", &BOOL, All),
    fld("default-address-pools", &POOLS, All),
    fld("default-cgroupns-mode", &STR, Linux),
    fld("default-gateway", &NETIP, Linux),
    fld("default-gateway-v6", &NETIP, Linux),
    fld("default-init", &STR, Linux), // no flag: rejected as unknown
    fld("default-ipc-mode", &STR, Linux),
    fld_in("default-network-opts", &STRMAPMAP, All, Some(V24_0), None), // v24.0.0
    fld("default-runtime", &STR, Linux),                                  // CommonUnixConfig in 20.10
    fld_in("default-runtime", &STR, Windows, Some(V23_0), None),          // CommonConfig from v23.0.0
    fld("default-shm-size", &MEMBYTES, Linux),
    fld_in("default-stop-timeout", &INT, All, Some(V29_7), None), // docker-v29.7.0
    fld("default-ulimits", &ULIMITS, Linux),
    fld_in("deprecated-key-path", &STR, All, None, Some(V24_0)), // TrustKeyPath removed in v24.0.0
    fld_in("dns", &STRS, All, None, Some(V25_0)),               // []string
    fld_in("dns", &IPS, All, Some(V25_0), Some(V29_0)),         // []net.IP from v25.0.0
    fld_in("dns", &ADDRS, All, Some(V29_0), None),              // []netip.Addr from docker-v29.0.0
    fld("dns-opts", &STRS, All),
    fld("dns-search", &STRS, All),
    fld("exec-opts", &STRS, All),
    fld("exec-root", &STR, All),
    fld("experimental", &BOOL, All),
    fld("features", &BOOLMAP, All),
    fld_in("firewall-backend", &STR, All, Some(V29_0), None), // NetworkConfig, docker-v29.0.0
    fld("fixed-cidr", &STR, All),
    fld("fixed-cidr-v6", &STR, Linux),
    fld_in("graph", &STR, All, None, Some(V24_0)), // RootDeprecated removed in v24.0.0
    fld("group", &STR, All),
    fld("host-gateway-ip", &NETIP, All), // migrated to host-gateway-ips from v28.0.0
    fld_in("host-gateway-ips", &ADDRS, All, Some(V28_0), None), // v28.0.0
    fld("hosts", &STRS, All),
    fld("icc", &BOOL, Linux),
    fld("init", &BOOL, Linux),
    fld("init-path", &STR, Linux),
    fld("insecure-registries", &STRS, All),
    fld("ip", &NETIP, Linux),
    fld("ip-forward", &BOOL, Linux),
    fld_in("ip-forward-no-drop", &BOOL, Linux, Some(V28_0), None), // v28.0.0
    fld("ip-masq", &BOOL, Linux),
    fld("ip6tables", &BOOL, Linux),
    fld("iptables", &BOOL, Linux),
    fld("ipv6", &BOOL, Linux),
    fld("labels", &STRS, All),
    fld("live-restore", &BOOL, All), // CommonConfig, but the flag is Linux-only
    fld("log-driver", &STR, All),
    fld_in("log-format", &LOGFORMAT, All, Some(V25_0), None), // v25.0.0
    fld("log-level", &STR, All),
    fld("log-opts", &STRMAP, All),
    fld("max-concurrent-downloads", &INT, All), // *int in 20.10: the same errors
    fld("max-concurrent-uploads", &INT, All),
    fld("max-download-attempts", &INT, All),
    fld("metrics-addr", &STR, All),
    fld_in("min-api-version", &STR, All, Some(V29_0), None), // `json:"-"` before docker-v29.0.0
    fld("mtu", &INT, All),
    fld("network-control-plane-mtu", &INT, All),
    fld("network-diagnostic-port", &INT, All),
    fld("no-new-privileges", &BOOL, Linux),
    fld("node-generic-resources", &STRS, All),
    fld_in("nri-opts", &NRI, All, Some(V29_2), None), // docker-v29.2.0
    fld_in("oom-score-adjust", &INT, Linux, None, Some(V26_0)), // removed in v26.0.0
    fld("pidfile", &STR, All),
    fld_in("proxies", &PROXIES, All, Some(V23_0), None), // v23.0.0
    fld("raw-logs", &BOOL, All),
    fld("registry-mirrors", &STRS, All),
    fld("resolv-conf", &STR, Linux), // no flag: rejected as unknown
    fld("rootless", &BOOL, Linux),
    fld_in("runtimes", &RUNTIMES_OLD, Linux, None, Some(V25_0)),
    fld_in("runtimes", &RUNTIMES_NEW, Linux, Some(V25_0), None),
    fld("seccomp-profile", &STR, Linux),
    fld("selinux-enabled", &BOOL, Linux),
    fld("shutdown-timeout", &INT, All),
    fld("storage-driver", &STR, All), // CommonConfig, but the flag is Linux-only
    fld("storage-opts", &STRS, All),
    fld("swarm-default-advertise-addr", &STR, All),
    fld("swarm-raft-election-tick", &UINT32, All), // no flag: rejected as unknown
    fld("swarm-raft-heartbeat-tick", &UINT32, All), // no flag: rejected as unknown
    fld("tls", &PBOOL, All),
    fld("tlscacert", &STR, All),
    fld("tlscert", &STR, All),
    fld("tlskey", &STR, All),
    fld("tlsverify", &PBOOL, All),
    fld("userland-proxy", &BOOL, Linux),
    fld("userland-proxy-path", &STR, Linux),
    fld("userns-remap", &STR, Linux),
];

/// The Config field behind `key` on this engine and platform, if there is one.
fn field(key: &str, e: EngineVersion, p: Platform) -> Option<&'static Field> {
    FIELDS
        .iter()
        .find(|f| f.key == key && f.on.has(p) && in_range(e, f.since, f.until))
}

/// The Go names of the embedded structs between Config and the field `key` (Go 1.24+ prints
/// them in type errors: `Config.CommonConfig.ServiceOptions.insecure-registries`). Read from the
/// struct definitions of each tag.
fn go_embedding(key: &str, e: EngineVersion, p: Platform) -> &'static str {
    let linux_config = p == Platform::Linux;
    match key {
        "allow-nondistributable-artifacts" | "insecure-registries" | "registry-mirrors" => {
            "CommonConfig.ServiceOptions"
        }
        "dns" | "dns-opts" | "dns-search" | "host-gateway-ip" | "host-gateway-ips" => {
            "CommonConfig.DNSConfig"
        }
        "log-driver" | "log-opts" => "CommonConfig.LogConfig",
        "default-address-pools"
        | "network-control-plane-mtu"
        | "default-network-opts"
        | "firewall-backend" => "CommonConfig.NetworkConfig",
        "tlscacert" | "tlscert" | "tlskey" if e < V24_0 => "CommonConfig.CommonTLSOptions",
        "tlscacert" | "tlscert" | "tlskey" => "CommonConfig.TLSOptions",
        "log-level" | "log-format" | "raw-logs" if e >= V29_0 => "CommonConfig.DaemonLogConfig",
        "default-stop-timeout" => "CommonConfig.ContainerDefaults",
        "runtimes" | "default-init" | "default-runtime" if e < V23_0 && linux_config => {
            "CommonUnixConfig"
        }
        "cgroup-parent"
        | "cpu-rt-period"
        | "cpu-rt-runtime"
        | "default-cgroupns-mode"
        | "default-ipc-mode"
        | "default-shm-size"
        | "default-ulimits"
        | "init"
        | "init-path"
        | "no-new-privileges"
        | "oom-score-adjust"
        | "rootless"
        | "seccomp-profile"
        | "selinux-enabled"
        | "userns-remap"
        | "resolv-conf"
        | "default-init"
        | "runtimes" => "",
        "bridge" | "fixed-cidr" if e < V25_0 => "CommonConfig.BridgeConfig.commonBridgeConfig",
        "bridge" | "fixed-cidr" => {
            "CommonConfig.BridgeConfig.DefaultBridgeConfig.commonBridgeConfig"
        }
        "bip" | "default-gateway" | "default-gateway-v6" | "icc" | "ip" if e < V23_0 => {
            "CommonConfig.BridgeConfig.commonUnixBridgeConfig"
        }
        "bip" | "default-gateway" | "default-gateway-v6" | "icc" | "ip" | "ipv6"
        | "fixed-cidr-v6"
            if e < V25_0 =>
        {
            "CommonConfig.BridgeConfig"
        }
        "bip" | "bip6" | "default-gateway" | "default-gateway-v6" | "icc" | "ip" | "ipv6"
        | "fixed-cidr-v6" => "CommonConfig.BridgeConfig.DefaultBridgeConfig",
        "mtu" if e >= V25_0 => "CommonConfig.BridgeConfig.DefaultBridgeConfig",
        "iptables"
        | "ip6tables"
        | "ip-forward"
        | "ip-forward-no-drop"
        | "ip-masq"
        | "userland-proxy"
        | "userland-proxy-path"
        | "allow-direct-routing"
        | "bridge-accept-fwmark" => "CommonConfig.BridgeConfig",
        _ => "CommonConfig",
    }
}

// ---------------------------------------------------------------------------------------------
// The public table.
// ---------------------------------------------------------------------------------------------

const fn key(
    name: &'static str,
    ty: JsonType,
    platform: Platforms,
    reloadable: bool,
    meaning: &'static str,
) -> KeyInfo {
    KeyInfo {
        name,
        ty,
        platform,
        since: None,
        removed: None,
        reloadable,
        meaning,
    }
}
const fn key_since(
    name: &'static str,
    ty: JsonType,
    platform: Platforms,
    since: EngineVersion,
    reloadable: bool,
    meaning: &'static str,
) -> KeyInfo {
    KeyInfo {
        name,
        ty,
        platform,
        since: Some(since),
        removed: None,
        reloadable,
        meaning,
    }
}
const fn key_removed(
    name: &'static str,
    ty: JsonType,
    platform: Platforms,
    removed: Removal,
    reloadable: bool,
    meaning: &'static str,
) -> KeyInfo {
    KeyInfo {
        name,
        ty,
        platform,
        since: None,
        removed: Some(removed),
        reloadable,
        meaning,
    }
}

use JsonType as T;
use Platforms::{Both, LinuxOnly};

/// Every key dockerd 20.10 .. 29.x applies. Reloadable: daemon/reload.go, reload_unix.go and
/// the reload callback in cmd/dockerd/daemon.go (authorization-plugins) of each tag.
#[rustfmt::skip]
static KEYS: &[KeyInfo] = &[
    key_since("allow-direct-routing", T::Bool, LinuxOnly, V28_2, false, "allow remote access to published ports on container IP addresses"),
    key_removed("allow-nondistributable-artifacts", T::StringList, Both,
        // v28.0.0 warns "deprecated and always enabled"; v28.1.0 drops the field (the key is still accepted).
        Removal { version: V28_1, help: "remove it: pushing non-distributable artifacts is always allowed since 28.0", warned_since: Some(V28_0) },
        true, "registries to which non-distributable (foreign) layers may be pushed"),
    key_removed("api-cors-header", T::String, Both,
        // v27.0.1 hides the flag; v28.0.0 Validate refuses it; docker-v29.0.0 no longer knows it.
        Removal { version: V28_0, help: "remove it; put a reverse proxy in front of the API if you need CORS headers", warned_since: Some(V27_0) },
        false, "CORS headers for the Engine API"),
    key("authorization-plugins", T::StringList, Both, true, "authorization plugins to load"),
    key("bip", T::String, LinuxOnly, false, "IPv4 address (CIDR) of the default bridge"),
    key_since("bip6", T::String, LinuxOnly, V28_0, false, "IPv6 address (CIDR) of the default bridge"),
    key("bridge", T::String, Both, false, "attach containers to this existing bridge (Windows: virtual switch); \"none\" disables it"),
    key_since("bridge-accept-fwmark", T::String, LinuxOnly, V29_0, false, "in bridge networks, accept packets with this firewall mark/mask"),
    key("builder", T::Object, Both, false, "BuildKit settings: garbage collection, entitlements, history"),
    key_since("cdi-spec-dirs", T::StringList, Both, V25_0, false, "directories to read CDI device specifications from"),
    key("cgroup-parent", T::String, LinuxOnly, false, "parent cgroup for all containers"),
    key_removed("cluster-advertise", T::String, Both,
        // v23.0.0 checkDeprecatedOptions refuses it; v24.0.0 no longer knows it.
        Removal { version: V23_0, help: "remove it: legacy overlay networks with an external k/v store are gone; use swarm mode", warned_since: Some(EngineVersion::new(20, 10)) },
        true, "address advertised for the legacy (k/v store) cluster"),
    key_removed("cluster-store", T::String, Both,
        Removal { version: V23_0, help: "remove it: legacy overlay networks with an external k/v store are gone; use swarm mode", warned_since: Some(EngineVersion::new(20, 10)) },
        true, "URL of the legacy (k/v store) cluster backend"),
    key_removed("cluster-store-opts", T::StringMap, Both,
        Removal { version: V23_0, help: "remove it: legacy overlay networks with an external k/v store are gone; use swarm mode", warned_since: Some(EngineVersion::new(20, 10)) },
        true, "options of the legacy (k/v store) cluster backend"),
    key("containerd", T::String, Both, false, "containerd socket to use instead of starting one"),
    key("containerd-namespace", T::String, Both, false, "containerd namespace for containers"),
    key("cpu-rt-period", T::Integer, LinuxOnly, false, "real-time CPU period (µs) of the parent cgroup"),
    key("cpu-rt-runtime", T::Integer, LinuxOnly, false, "real-time CPU runtime (µs) of the parent cgroup"),
    key("cri-containerd", T::Bool, Both, false, "start the managed containerd with its CRI plugin"),
    key("data-root", T::String, Both, false, "root directory of persistent Docker state (images, containers, volumes)"),
    key("debug", T::Bool, Both, true, "debug logging"),
    key("default-address-pools", T::ObjectList, LinuxOnly, false, "address pools ({\"base\": CIDR, \"size\": N}) for new local networks"),
    key("default-cgroupns-mode", T::String, LinuxOnly, true, "default cgroup namespace of containers: \"host\" or \"private\""),
    key("default-gateway", T::String, LinuxOnly, false, "IPv4 default gateway of containers on the default bridge"),
    key("default-gateway-v6", T::String, LinuxOnly, false, "IPv6 default gateway of containers on the default bridge"),
    key("default-ipc-mode", T::String, LinuxOnly, true, "default IPC mode of containers: \"shareable\" or \"private\""),
    key_since("default-network-opts", T::StringMapMap, Both, V24_0, false, "default driver options of new networks, by driver"),
    key("default-runtime", T::String, Both, true, "default OCI runtime of containers (Windows: from 23.0)"),
    key("default-shm-size", T::String, LinuxOnly, true, "default /dev/shm size of containers (\"64m\")"),
    key_since("default-stop-timeout", T::Integer, Both, V29_7, true, "default seconds to wait for a container to stop"),
    key("default-ulimits", T::ObjectMap, LinuxOnly, false, "default ulimits of containers ({\"nofile\": {\"Name\": ..., \"Hard\": N, \"Soft\": N}})"),
    key_removed("deprecated-key-path", T::String, Both,
        // v24.0.0 drops TrustKeyPath; the key stays in skipValidateOptions (accepted, ignored).
        Removal { version: V24_0, help: "remove it: the daemon no longer uses a trust key", warned_since: None },
        false, "path of the daemon's libtrust key"),
    key("dns", T::StringList, Both, false, "DNS servers (IP addresses) for containers"),
    key("dns-opts", T::StringList, Both, false, "DNS options for containers"),
    key("dns-search", T::StringList, Both, false, "DNS search domains for containers"),
    key("exec-opts", T::StringList, Both, false, "runtime options (\"native.cgroupdriver=systemd\")"),
    key("exec-root", T::String, Both, false, "root directory of execution state files"),
    key("experimental", T::Bool, Both, false, "enable experimental features"),
    key("features", T::BoolMap, Both, true, "feature switches ({\"buildkit\": true})"),
    key_since("firewall-backend", T::String, LinuxOnly, V29_0, false, "firewall backend: \"iptables\" or \"nftables\""),
    key("fixed-cidr", T::String, Both, false, "IPv4 subnet for container addresses on the default bridge"),
    key("fixed-cidr-v6", T::String, LinuxOnly, false, "IPv6 subnet for container addresses on the default bridge"),
    key_removed("graph", T::String, Both,
        // v20.10 warns and copies it to data-root; v23.0.0 Validate refuses it; v24.0.0 no longer knows it.
        Removal { version: V23_0, help: "use \"data-root\"", warned_since: Some(EngineVersion::new(17, 5)) },
        false, "old name of data-root"),
    key("group", T::String, Both, false, "group owning the API socket (Windows: users or groups allowed on the named pipe)"),
    key("host-gateway-ip", T::String, Both, false, "address that \"host-gateway\" in --add-host resolves to (28.0+: prefer host-gateway-ips)"),
    key_since("host-gateway-ips", T::StringList, Both, V28_0, false, "addresses (one IPv4, one IPv6) that \"host-gateway\" resolves to"),
    key("hosts", T::StringList, Both, false, "API sockets to listen on (conflicts with -H in the service unit)"),
    key("icc", T::Bool, LinuxOnly, false, "inter-container communication on the default bridge"),
    key("init", T::Bool, LinuxOnly, false, "run an init process in containers"),
    key("init-path", T::String, LinuxOnly, false, "path of the docker-init binary"),
    key("insecure-registries", T::StringList, Both, true, "registries (host[:port] or CIDR) reached over plain HTTP or unverified TLS"),
    key("ip", T::String, LinuxOnly, false, "default host IP for published ports"),
    key("ip-forward", T::Bool, LinuxOnly, false, "enable IP forwarding in the kernel"),
    key_since("ip-forward-no-drop", T::Bool, LinuxOnly, V28_0, false, "do not set the FORWARD policy to DROP when enabling forwarding"),
    key("ip-masq", T::Bool, LinuxOnly, false, "IP masquerading for the default bridge"),
    key("ip6tables", T::Bool, LinuxOnly, false, "add ip6tables rules"),
    key("iptables", T::Bool, LinuxOnly, false, "add iptables rules"),
    key("ipv6", T::Bool, LinuxOnly, false, "IPv6 on the default bridge"),
    key("labels", T::StringList, Both, true, "engine labels (\"key=value\")"),
    key("live-restore", T::Bool, LinuxOnly, true, "keep containers running while the daemon is down"),
    key("log-driver", T::String, Both, false, "default logging driver of containers"),
    key_since("log-format", T::String, Both, V25_0, false, "format of the daemon's own log: \"text\" or \"json\""),
    key("log-level", T::String, Both, false, "level of the daemon's own log (debug, info, warn, error, fatal)"),
    key("log-opts", T::StringMap, Both, false, "default logging driver options (all values are strings: \"max-size\": \"10m\")"),
    key("max-concurrent-downloads", T::Integer, Both, true, "parallel layer downloads per pull"),
    key("max-concurrent-uploads", T::Integer, Both, true, "parallel layer uploads per push"),
    key("max-download-attempts", T::Integer, Both, true, "attempts per layer download"),
    key("metrics-addr", T::String, Both, false, "address to serve Prometheus metrics on"),
    key_since("min-api-version", T::String, Both, V29_0, false, "oldest API version the daemon accepts"),
    key("mtu", T::Integer, Both, false, "MTU of the default bridge (ignored on Windows from 25.0)"),
    key("network-control-plane-mtu", T::Integer, Both, false, "MTU of the swarm control plane"),
    key("network-diagnostic-port", T::Integer, Both, true, "port of the network diagnostic server (0: off)"),
    key("no-new-privileges", T::Bool, LinuxOnly, false, "set no-new-privileges on new containers"),
    key("node-generic-resources", T::StringList, Both, false, "swarm generic resources of this node (\"gpu=1\")"),
    key_since("nri-opts", T::Object, Both, V29_2, true, "Node Resource Interface settings"),
    key_removed("oom-score-adjust", T::Integer, LinuxOnly,
        // v24.0.0 warns; v25.0.0 validatePlatformConfig refuses non-zero; v26.0.0 no longer knows it.
        Removal { version: V25_0, help: "remove it; set the OOM score in the service manager (systemd OOMScoreAdjust=)", warned_since: Some(V24_0) },
        false, "oom_score_adj of the daemon"),
    key("pidfile", T::String, Both, false, "path of the daemon's PID file"),
    key_since("proxies", T::Object, Both, V23_0, false, "HTTP proxy of the daemon: {\"http-proxy\", \"https-proxy\", \"no-proxy\"}"),
    key("raw-logs", T::Bool, Both, false, "full timestamps and no colours in the daemon log"),
    key("registry-mirrors", T::StringList, Both, true, "pull-through mirrors of Docker Hub (URLs)"),
    key("rootless", T::Bool, LinuxOnly, false, "rootless mode"),
    key("runtimes", T::ObjectMap, LinuxOnly, true, "extra OCI runtimes ({\"name\": {\"path\": ...}})"),
    key("seccomp-profile", T::String, LinuxOnly, false, "default seccomp profile (path, or \"unconfined\")"),
    key("selinux-enabled", T::Bool, LinuxOnly, false, "SELinux support"),
    key("shutdown-timeout", T::Integer, Both, true, "seconds to wait for containers at daemon shutdown"),
    key("storage-driver", T::String, LinuxOnly, false, "storage driver (overlay2, ...)"),
    key("storage-opts", T::StringList, Both, false, "storage driver options"),
    key("swarm-default-advertise-addr", T::String, Both, false, "default swarm advertise address or interface"),
    key("tls", T::Bool, Both, false, "serve the API over TLS"),
    key("tlscacert", T::String, Both, false, "CA certificate for client verification"),
    key("tlscert", T::String, Both, false, "server TLS certificate"),
    key("tlskey", T::String, Both, false, "server TLS key"),
    key("tlsverify", T::Bool, Both, false, "serve TLS and require client certificates"),
    key("userland-proxy", T::Bool, LinuxOnly, false, "use docker-proxy for loopback traffic to published ports"),
    key("userland-proxy-path", T::String, LinuxOnly, false, "path of the docker-proxy binary"),
    key("userns-remap", T::String, LinuxOnly, false, "user namespace remapping (\"default\" or user[:group])"),
];

/// The table entry for `name`, whatever the engine and platform.
pub fn lookup(name: &str) -> Option<&'static KeyInfo> {
    KEYS.iter().find(|k| k.name == name)
}

/// Whether dockerd of this engine, on this platform, accepts `name` and applies it: the key is
/// accepted by the unknown-key check (an object value for `proxies`), has a JSON field behind it,
/// and has not been removed.
fn applies(k: &KeyInfo, e: EngineVersion, p: Platform) -> bool {
    let accepted = is_accepted(k.name, e, p) || (k.name == "proxies" && e >= V23_0);
    accepted
        && field(k.name, e, p).is_some()
        && k.since.is_none_or(|s| e >= s)
        && k.removed.is_none_or(|r| e < r.version)
}

/// The table entry for `name` if dockerd of this engine applies it on this platform.
pub fn lookup_for(
    name: &str,
    engine: EngineVersion,
    platform: Platform,
) -> Option<&'static KeyInfo> {
    lookup(name).filter(|k| applies(k, engine, platform))
}

/// The keys dockerd of this engine applies on this platform.
pub fn known_keys(
    engine: EngineVersion,
    platform: Platform,
) -> impl Iterator<Item = &'static KeyInfo> {
    KEYS.iter().filter(move |k| applies(k, engine, platform))
}

/// Why a flag name is ignored when written as a daemon.json key (beyond "use the plural").
fn ignored_help(name: &str) -> &'static str {
    match name {
        "http-proxy" | "https-proxy" | "no-proxy" => {
            "dockerd reads proxy settings only inside \"proxies\": {\"http-proxy\": ..., \"https-proxy\": ..., \"no-proxy\": ...}"
        }
        "containerd-plugins-namespace" => {
            "no daemon.json key sets this (its JSON name containerd-plugin-namespace is refused); use the --containerd-plugins-namespace flag"
        }
        "deprecated-key-path" => "remove it: the daemon no longer uses a trust key (since 24.0)",
        "allow-nondistributable-artifacts" => {
            "remove it: pushing non-distributable artifacts is always allowed since 28.0"
        }
        "config-file" | "help" | "version" | "validate" | "restart" | "register-service"
        | "unregister-service" | "run-service" | "service-name" => {
            "a command-line flag only; it has no meaning in daemon.json"
        }
        _ => "a command-line flag name; dockerd accepts it in daemon.json but never applies it",
    }
}

/// If dockerd of this engine, on this platform, accepts `name` as a daemon.json key but silently
/// ignores it (a flag name without a JSON field: `registry-mirror`, `label`, `log-opt`, ...),
/// what to use instead.
pub fn ignored_flag_key(
    name: &str,
    engine: EngineVersion,
    platform: Platform,
) -> Option<IgnoredKey> {
    if !is_accepted(name, engine, platform) || field(name, engine, platform).is_some() {
        return None;
    }
    let plural = lookup_flag(name, engine, platform)
        .and_then(|f| f.named)
        .filter(|n| *n != name);
    let help = if plural.is_some() {
        "a command-line flag name; dockerd accepts it in daemon.json but never applies it"
    } else {
        ignored_help(name)
    };
    Some(IgnoredKey { plural, help })
}

/// The keys dockerd checks against its flags: object values are replaced by their own keys (one
/// level), except for the keys in `flatOptions` (configValuesSet in daemon/config/config.go).
fn flattened_keys(obj: &Map<String, Value>, e: EngineVersion) -> BTreeSet<&str> {
    let mut out = BTreeSet::new();
    for (k, v) in obj {
        match v {
            Value::Object(inner) if !is_flat_option(k, e) => {
                out.extend(inner.keys().map(String::as_str));
            }
            _ => {
                out.insert(k.as_str());
            }
        }
    }
    out
}

/// Exactly the keys dockerd would list in "the following directives don't match any
/// configuration option: ..." (sorted; dockerd prints them in random order). Empty: dockerd
/// accepts the keys (which does not mean it applies them: see [`ignored_flag_key`]).
/// `{"bogus": {"debug": true}}` gives none: dockerd checks `debug`, not `bogus`.
pub fn dockerd_unknown_keys(
    obj: &Map<String, Value>,
    engine: EngineVersion,
    platform: Platform,
) -> Vec<String> {
    flattened_keys(obj, engine)
        .into_iter()
        .filter(|k| !is_accepted(k, engine, platform))
        .map(str::to_string)
        .collect()
}

/// The full message dockerd prints for unknown keys, or `None` when there are none.
pub fn dockerd_unknown_keys_message(
    obj: &Map<String, Value>,
    engine: EngineVersion,
    platform: Platform,
) -> Option<String> {
    let unknown = dockerd_unknown_keys(obj, engine, platform);
    (!unknown.is_empty()).then(|| {
        format!(
            "the following directives don't match any configuration option: {}",
            unknown.join(", ")
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Go encoding/json, as far as dockerd's Config needs it (decode.go of Go 1.19 and 1.24).
// ---------------------------------------------------------------------------------------------

/// How the dockerd binary was built, where that changes what it says (not whether it refuses,
/// except for the size spellings noted on `units_v04`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Build {
    /// Built with Go 1.24 or newer: type errors name the embedded structs on the way
    /// (`Config.CommonConfig.ServiceOptions.insecure-registries`, not `Config.insecure-registries`)
    /// and keep the inner field of nested decoders (`...default-address-pools.size`).
    pub go_1_24: bool,
    /// Uses go-units v0.4.0, whose size parser says `invalid size: '64x'` (v0.5.0: `invalid suffix:
    /// 'x'`) and also takes `64mi` but not `1e3`.
    pub units_v04: bool,
}

impl Build {
    /// Upstream's build of `engine`: the Dockerfile's GO_VERSION is 1.24 from v28.2.0 (1.23.8 in
    /// v28.1.0); vendor.conf pins go-units v0.4.0 in 20.10, vendor.mod v0.5.0 from v23.0.0.
    pub fn upstream(engine: EngineVersion) -> Build {
        Build {
            go_1_24: engine >= V28_2,
            units_v04: engine < V23_0,
        }
    }
    /// Debian 12's docker.io 20.10.24+dfsg1 (Go 1.19, Debian's go-units 0.4.0); seen running.
    pub const DEBIAN_12_20_10: Build = Build {
        go_1_24: false,
        units_v04: true,
    };
    /// Debian 13's docker.io 26.1.5+dfsg1 (Go 1.24, Debian's go-units 0.4.0); seen running.
    pub const DEBIAN_13_26_1: Build = Build {
        go_1_24: true,
        units_v04: true,
    };
}

/// Go's `strconv.Quote`-like quoting for the messages that use `%q`.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The JSON text of a value as Go would see it (the original spelling of numbers is not kept).
fn raw_json(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// State of one Go decode: the first saved type error, and the error context.
struct Decoder {
    build: Build,
    saved: Option<String>,
    strukt: &'static str,
    stack: Vec<&'static str>,
}

/// An error that stops Go's decoder at once (from an UnmarshalJSON or UnmarshalText method).
struct Abort(String);

impl Decoder {
    fn new(build: Build) -> Self {
        Decoder {
            build,
            saved: None,
            strukt: "",
            stack: Vec::new(),
        }
    }

    fn type_error_text(&self, value: &str, ty: &str) -> String {
        if self.strukt.is_empty() && self.stack.is_empty() {
            format!("json: cannot unmarshal {value} into Go value of type {ty}")
        } else {
            format!(
                "json: cannot unmarshal {value} into Go struct field {}.{} of type {ty}",
                self.strukt,
                self.stack.join(".")
            )
        }
    }

    fn save(&mut self, value: &str, ty: &str) {
        if self.saved.is_none() {
            self.saved = Some(self.type_error_text(value, ty));
        }
    }

    /// Decode `v` into a value of Go type `ty` (decodeState.value/literalStore/array/object).
    fn decode(&mut self, v: &Value, ty: &'static Go) -> Result<(), Abort> {
        match ty {
            Go::Ptr(inner) => match v {
                Value::Null => Ok(()),
                _ => self.decode(v, inner),
            },
            Go::Any => Ok(()),
            Go::MemBytes => decode_membytes(v, self.build),
            Go::Pools => {
                let mut inner = Decoder::new(self.build);
                inner.decode(v, &POOL_VALUES)?;
                match inner.saved {
                    // encoding/json then overwrites the nested error's context with its own.
                    Some(_) => Err(Abort(inner.clobbered(self))),
                    None => Ok(()),
                }
            }
            Go::Nri => {
                if v.is_null() {
                    return Ok(());
                }
                let mut inner = Decoder::new(self.build);
                inner.decode(v, &NRI_STRUCT)?;
                if inner.saved.is_none()
                    && let Value::Object(m) = v
                    && let Some(k) = m.keys().find(|k| !nri_field(k))
                {
                    return Err(Abort(format!("json: unknown field {}", go_quote(k))));
                }
                match inner.saved {
                    Some(_) => Err(Abort(inner.clobbered(self))),
                    None => Ok(()),
                }
            }
            Go::NetIp | Go::NetipAddr => {
                let name = if matches!(ty, Go::NetIp) {
                    "net.IP"
                } else {
                    "netip.Addr"
                };
                match v {
                    Value::Null => Ok(()),
                    Value::String(s) => match ty {
                        Go::NetIp => parse_net_ip(s).map(|_| ()).map_err(Abort),
                        _ => parse_netip_addr(s).map(|_| ()).map_err(Abort),
                    },
                    Value::Bool(_) => {
                        self.save("bool", name);
                        Ok(())
                    }
                    Value::Number(_) => {
                        self.save("number", name);
                        Ok(())
                    }
                    Value::Array(_) => {
                        self.save("array", name);
                        Ok(())
                    }
                    Value::Object(_) => {
                        self.save("object", name);
                        Ok(())
                    }
                }
            }
            Go::Bool => {
                match v {
                    Value::Null | Value::Bool(_) => {}
                    other => self.save(kind_word(other), "bool"),
                }
                Ok(())
            }
            Go::Str(name) => {
                match v {
                    Value::Null | Value::String(_) => {}
                    other => self.save(kind_word(other), name),
                }
                Ok(())
            }
            Go::Int(name) => {
                match v {
                    Value::Null => {}
                    Value::Number(n) => {
                        // Our int kinds are all 64-bit: Go's ParseInt decides.
                        if n.as_i64().is_none() {
                            self.save(&format!("number {n}"), name);
                        }
                    }
                    other => self.save(kind_word(other), name),
                }
                Ok(())
            }
            Go::Uint(name) => {
                match v {
                    Value::Null => {}
                    Value::Number(n) => {
                        if n.as_u64().is_none_or(|u| u32::try_from(u).is_err()) {
                            self.save(&format!("number {n}"), name);
                        }
                    }
                    other => self.save(kind_word(other), name),
                }
                Ok(())
            }
            Go::Slice(name, elem) => match v {
                Value::Null => Ok(()),
                Value::Array(items) => {
                    for item in items {
                        self.decode(item, elem)?;
                    }
                    Ok(())
                }
                other => {
                    self.save(kind_word(other), name);
                    Ok(())
                }
            },
            Go::Map(name, elem) => match v {
                Value::Null => Ok(()),
                Value::Object(m) => {
                    for item in m.values() {
                        self.decode(item, elem)?;
                    }
                    Ok(())
                }
                other => {
                    self.save(kind_word(other), name);
                    Ok(())
                }
            },
            Go::Struct(name, fields) => match v {
                Value::Null => Ok(()),
                Value::Object(m) => {
                    let short = name.rsplit('.').next().unwrap_or(name);
                    for (k, item) in m {
                        let Some(f) = find_go_field(fields, k) else {
                            continue;
                        };
                        let (saved_struct, depth) = (self.strukt, self.stack.len());
                        self.strukt = short;
                        self.stack.push(f.json);
                        self.decode(item, f.ty)?;
                        self.stack.truncate(depth);
                        self.strukt = saved_struct;
                    }
                    Ok(())
                }
                other => {
                    self.save(kind_word(other), name);
                    Ok(())
                }
            },
        }
    }

    /// A nested decoder's saved error as the outer decoder reports it: the outer context replaces
    /// the nested one (Go before 1.24, issue 61337) or is put in front of it (Go 1.24+).
    fn clobbered(&self, outer: &Decoder) -> String {
        let saved = self.saved.clone().unwrap_or_default();
        let Some(rest) = saved.strip_prefix("json: cannot unmarshal ") else {
            return saved;
        };
        let Some((value, after)) = rest.split_once(" into Go ") else {
            return saved;
        };
        let (place, ty) = after.rsplit_once(" of type ").unwrap_or((after, ""));
        let inner_field = place
            .strip_prefix("struct field ")
            .and_then(|f| f.split_once('.'))
            .map(|(_, field)| field);
        match inner_field {
            Some(field) if outer.build.go_1_24 => {
                let mut joined = outer.clone_context();
                joined.stack.push(field);
                joined.type_error_text_owned(value, ty)
            }
            _ => outer.type_error_text(value, ty),
        }
    }

    fn clone_context(&self) -> ContextCopy<'_> {
        ContextCopy {
            strukt: self.strukt,
            stack: self.stack.to_vec(),
        }
    }
}

/// A copy of a decoder's error context that may hold borrowed field names.
struct ContextCopy<'a> {
    strukt: &'a str,
    stack: Vec<&'a str>,
}

impl ContextCopy<'_> {
    fn type_error_text_owned(&self, value: &str, ty: &str) -> String {
        format!(
            "json: cannot unmarshal {value} into Go struct field {}.{} of type {ty}",
            self.strukt,
            self.stack.join(".")
        )
    }
}

/// `"string"`, `"number"`, `"bool"`, `"array"`, `"object"`: how Go names a JSON value in errors.
fn kind_word(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Go matches object keys to struct fields exactly, else case-insensitively.
fn find_go_field(fields: &'static [GoField], key: &str) -> Option<&'static GoField> {
    fields
        .iter()
        .find(|f| f.json == key)
        .or_else(|| fields.iter().find(|f| f.json.eq_ignore_ascii_case(key)))
}

fn nri_field(key: &str) -> bool {
    matches!(
        key,
        "enable" | "plugin-path" | "plugin-config-path" | "socket-path"
    ) || ["enable", "plugin-path", "plugin-config-path", "socket-path"]
        .iter()
        .any(|f| f.eq_ignore_ascii_case(key))
}

/// opts.MemBytes.UnmarshalJSON: a quoted size parsed by go-units RAMInBytes.
fn decode_membytes(v: &Value, build: Build) -> Result<(), Abort> {
    let raw = raw_json(v);
    let Value::String(s) = v else {
        return Err(Abort(format!("invalid size: {}", go_quote(&raw))));
    };
    if s.is_empty() {
        return Err(Abort(format!("invalid size: {}", go_quote(&raw))));
    }
    let parsed = if build.units_v04 {
        parse_ram_size_v04(s)
    } else {
        parse_ram_size(s)
    };
    parsed.map(|_| ()).map_err(Abort)
}

/// go-units v0.4.0 parseSize: `^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$`.
fn parse_ram_size_v04(s: &str) -> Result<i64, String> {
    let invalid = || format!("invalid size: '{s}'");
    let num_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, mut rest) = s.split_at(num_end);
    // \d+(\.\d+)*: digits, then groups of a dot and digits.
    if num.is_empty() || num.split('.').any(str::is_empty) {
        return Err(invalid());
    }
    rest = rest.strip_prefix(' ').unwrap_or(rest);
    let mut chars = rest.chars().peekable();
    let unit = chars.next_if(|c| "kKmMgGtTpP".contains(*c));
    chars.next_if(|c| *c == 'i' || *c == 'I');
    chars.next_if(|c| *c == 'b' || *c == 'B');
    if chars.next().is_some() {
        return Err(invalid());
    }
    let size: f64 = num.parse().map_err(|_| {
        format!(
            "strconv.ParseFloat: parsing {}: invalid syntax",
            go_quote(num)
        )
    })?;
    let mul = match unit.map(|c| c.to_ascii_lowercase()) {
        Some('k') => 1024f64,
        Some('m') => 1024f64.powi(2),
        Some('g') => 1024f64.powi(3),
        Some('t') => 1024f64.powi(4),
        Some('p') => 1024f64.powi(5),
        _ => 1.0,
    };
    Ok((size * mul) as i64)
}

/// go-units v0.5.0 parseSize with the binary map (RAMInBytes); the error text as it prints it.
fn parse_ram_size(s: &str) -> Result<i64, String> {
    let Some(sep) = s.rfind(|c: char| c.is_ascii_digit() || c == '.' || c == ' ') else {
        return Err(format!("invalid size: '{s}'"));
    };
    let (num, sfx) = if s.as_bytes().get(sep) == Some(&b' ') {
        (&s[..sep], &s[sep + 1..])
    } else {
        (&s[..sep + 1], &s[sep + 1..])
    };
    let size: f64 = go_parse_float(num).ok_or_else(|| {
        format!(
            "strconv.ParseFloat: parsing {}: invalid syntax",
            go_quote(num)
        )
    })?;
    if size < 0.0 {
        return Err(format!("invalid size: '{s}'"));
    }
    if sfx.is_empty() {
        return Ok(size as i64);
    }
    let bad = || format!("invalid suffix: '{}'", sfx.to_lowercase());
    if sfx.len() > 3 {
        return Err(format!("invalid suffix: '{sfx}'"));
    }
    let lower = sfx.to_lowercase();
    let mut chars = lower.chars();
    let first = chars.next().ok_or_else(bad)?;
    if first == 'b' {
        return if lower.len() > 1 {
            Err(bad())
        } else {
            Ok(size as i64)
        };
    }
    let mul: f64 = match first {
        'k' => 1024.0,
        'm' => 1024.0 * 1024.0,
        'g' => 1024.0 * 1024.0 * 1024.0,
        't' => 1024f64.powi(4),
        'p' => 1024f64.powi(5),
        _ => return Err(bad()),
    };
    let rest: String = chars.collect();
    match (lower.len(), rest.as_str()) {
        (1, _) | (2, "b") | (3, "ib") => Ok((size * mul) as i64),
        _ => Err(bad()),
    }
}

/// Go's strconv.ParseFloat for the plain decimal spellings sizes use (also "1e3", "inf").
fn go_parse_float(s: &str) -> Option<f64> {
    if s.is_empty() || s.contains(' ') {
        return None;
    }
    s.parse::<f64>().ok()
}

/// net.IP.UnmarshalText: empty is fine, else net.ParseIP or `invalid IP address: x`.
fn parse_net_ip(s: &str) -> Result<Option<std::net::IpAddr>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    go_parse_ip(s)
        .map(Some)
        .ok_or_else(|| format!("invalid IP address: {s}"))
}

/// Go's net.ParseIP: dotted IPv4 without leading zeros, or IPv6 (with an optional embedded IPv4);
/// no zone, no brackets.
fn go_parse_ip(s: &str) -> Option<std::net::IpAddr> {
    if s.contains(':') {
        if s.contains('%') {
            return None;
        }
        return s
            .parse::<std::net::Ipv6Addr>()
            .ok()
            .map(std::net::IpAddr::V6);
    }
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut octets = [0u8; 4];
    for (i, part) in parts.iter().enumerate() {
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if part.len() > 1 && part.starts_with('0') {
            return None;
        }
        let n: u16 = part.parse().ok()?;
        *octets.get_mut(i)? = u8::try_from(n).ok()?;
    }
    Some(std::net::IpAddr::V4(std::net::Ipv4Addr::from(octets)))
}

/// netip.Addr.UnmarshalText: empty is fine, else netip.ParseAddr; its error text for the cases
/// users write (`ParseAddr("x"): unable to parse IP`).
fn parse_netip_addr(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Ok(());
    }
    netip_parse_addr(s).map(|_| ())
}

fn netip_parse_addr(s: &str) -> Result<std::net::IpAddr, String> {
    let err = |msg: &str| format!("ParseAddr({}): {msg}", go_quote(s));
    for c in s.chars() {
        match c {
            '.' => return netip_parse_v4(s).map_err(|m| err(&m)),
            ':' => {
                let (addr, zone) = s.split_once('%').unwrap_or((s, ""));
                if s.contains('%') && zone.is_empty() {
                    return Err(err("zone must be a non-empty string"));
                }
                return addr
                    .parse::<std::net::Ipv6Addr>()
                    .map(std::net::IpAddr::V6)
                    .map_err(|_| err("unable to parse IP"));
            }
            '%' => return Err(err("missing IPv6 address")),
            _ => {}
        }
    }
    Err(err("unable to parse IP"))
}

/// netip's parseIPv4 messages.
fn netip_parse_v4(s: &str) -> Result<std::net::IpAddr, String> {
    let mut fields = [0u8; 4];
    let mut val: u32 = 0;
    let mut digits = 0;
    let mut pos = 0usize;
    for c in s.chars() {
        if c.is_ascii_digit() {
            if digits == 1 && val == 0 {
                return Err("IPv4 field has octet with leading zero".to_string());
            }
            val = val * 10 + (c as u32 - '0' as u32);
            digits += 1;
            if val > 255 {
                return Err("IPv4 field has value >255".to_string());
            }
        } else if c == '.' {
            if digits == 0 {
                return Err("IPv4 field must have at least one digit".to_string());
            }
            if pos == 3 {
                return Err("IPv4 address too long".to_string());
            }
            *fields.get_mut(pos).ok_or("IPv4 address too long")? = val as u8;
            pos += 1;
            digits = 0;
            val = 0;
        } else {
            return Err("unexpected character".to_string());
        }
    }
    if pos < 3 {
        return Err("IPv4 address too short".to_string());
    }
    if digits == 0 {
        return Err("IPv4 field must have at least one digit".to_string());
    }
    *fields.get_mut(3).ok_or("IPv4 address too short")? = val as u8;
    Ok(std::net::IpAddr::V4(std::net::Ipv4Addr::from(fields)))
}

/// Go's error context for a top-level field: `Config` plus, with Go 1.24+, the embedded structs.
fn top_context(key: &'static str, e: EngineVersion, p: Platform, build: Build) -> Decoder {
    let mut d = Decoder::new(build);
    d.strukt = "Config";
    if build.go_1_24 {
        d.stack
            .extend(go_embedding(key, e, p).split('.').filter(|s| !s.is_empty()));
    }
    d.stack.push(key);
    d
}

/// The outcome of decoding one top-level value: a saved type error (decoding goes on), or an
/// error that stops the decoder at once.
enum Outcome {
    Fine,
    Saved(String),
    Abort(String),
}

fn decode_top(key: &str, value: &Value, e: EngineVersion, p: Platform, build: Build) -> Outcome {
    let Some(f) = field(key, e, p) else {
        return Outcome::Fine;
    };
    let mut d = top_context(f.key, e, p, build);
    match d.decode(value, f.ty) {
        Err(Abort(msg)) => Outcome::Abort(msg),
        Ok(()) => match d.saved {
            Some(msg) => Outcome::Saved(msg),
            None => Outcome::Fine,
        },
    }
}

/// What Go's encoding/json says when dockerd decodes `value` for the top-level `key` into its
/// Config struct (`json: cannot unmarshal string into Go struct field Config.insecure-registries
/// of type []string`), as upstream's build of `engine` says it ([`Build::upstream`]).
/// `None`: the value decodes (null always does, except for `default-shm-size`), or the key has no
/// field (ignored or unknown). Numbers are printed as serde_json spells them (`1.5`), which is the
/// file's spelling except for forms such as `1e3`, `1.50` or integers beyond 64 bits.
pub fn type_error(
    key: &str,
    value: &Value,
    engine: EngineVersion,
    platform: Platform,
) -> Option<String> {
    type_error_for_build(key, value, engine, platform, Build::upstream(engine))
}

/// [`type_error`] for a given build (Debian 13's 26.1.5 is [`Build::DEBIAN_13_26_1`]).
pub fn type_error_for_build(
    key: &str,
    value: &Value,
    engine: EngineVersion,
    platform: Platform,
    build: Build,
) -> Option<String> {
    match decode_top(key, value, engine, platform, build) {
        Outcome::Fine => None,
        Outcome::Saved(m) | Outcome::Abort(m) => Some(m),
    }
}

/// The error dockerd's decode of the whole file reports, given the top-level entries in file
/// order (duplicates included: Go decodes each occurrence). Go keeps the first type error and goes
/// on, but an error from a custom decoder (`default-shm-size`, IP addresses, `default-address-pools`)
/// stops it at once and wins.
pub fn first_decode_error<'a>(
    entries: impl IntoIterator<Item = (&'a str, &'a Value)>,
    engine: EngineVersion,
    platform: Platform,
    build: Build,
) -> Option<String> {
    let mut saved = None;
    for (k, v) in entries {
        match decode_top(k, v, engine, platform, build) {
            Outcome::Fine => {}
            Outcome::Saved(m) => {
                saved.get_or_insert(m);
            }
            Outcome::Abort(m) => return Some(m),
        }
    }
    saved
}

// ---------------------------------------------------------------------------------------------
// dockerd's own checks after decoding: config.Validate, validatePlatformConfig and the few
// checks at daemon start that depend only on the file.
// ---------------------------------------------------------------------------------------------

/// When dockerd runs a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckStage {
    /// While loading the file: `dockerd --validate` (23.0+) reports it, a reload refuses it.
    Load,
    /// Only when the daemon starts (or applies a reload): `dockerd --validate` passes the file.
    Start,
}

/// One refusal by dockerd, with dockerd's wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerdCheck {
    /// The top-level key the check is about.
    pub key: &'static str,
    pub message: String,
    pub stage: CheckStage,
}

/// A readable view of the file's values, as they come out of Go's decode (null and values of
/// another type leave the default, so checks skip them).
struct Values<'a> {
    obj: &'a Map<String, Value>,
    e: EngineVersion,
    p: Platform,
}

impl<'a> Values<'a> {
    fn get(&self, k: &str) -> Option<&'a Value> {
        // Only keys with a field on this engine reach Config.
        field(k, self.e, self.p)?;
        self.obj.get(k)
    }
    fn str(&self, k: &str) -> Option<&'a str> {
        self.get(k)?.as_str()
    }
    fn nonempty(&self, k: &str) -> Option<&'a str> {
        self.str(k).filter(|s| !s.is_empty())
    }
    fn int(&self, k: &str) -> Option<i64> {
        self.get(k)?.as_i64()
    }
    fn strs(&self, k: &str) -> Vec<&'a str> {
        match self.get(k) {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }
    fn object(&self, k: &str) -> Option<&'a Map<String, Value>> {
        self.get(k)?.as_object()
    }
    fn bool_in(&self, k: &str, inner: &str) -> Option<bool> {
        self.object(k)?.get(inner)?.as_bool()
    }
}

/// opts.ValidateDNSSearch: "." or a domain matching moby's domainRegexp,
/// `^(:?(:?L|(:?L[L-]*L))(:?\.(:?L|(:?L[L-]*L)))*)\.?\s*$` with L alphanumeric: its `(:?` groups
/// (a typo for `(?:`) also let a ':' stand before a label or a dot. The captured domain must be
/// shorter than 255 and the value must hold a letter.
fn valid_dns_search(val: &str) -> bool {
    let val = val.trim_matches(' ');
    if val == "." {
        return true;
    }
    if !val.chars().any(|c| c.is_ascii_alphabetic()) {
        return false;
    }
    let body = val.trim_end_matches(['\t', '\n', '\x0c', '\r', ' ']);
    let body = body.strip_suffix('.').unwrap_or(body);
    if body.is_empty() || body.len() >= 255 {
        return false;
    }
    let label_ok = |l: &str| {
        let b = l.as_bytes();
        !b.is_empty()
            && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
            && b.first().is_some_and(u8::is_ascii_alphanumeric)
            && b.last().is_some_and(u8::is_ascii_alphanumeric)
    };
    let segments: Vec<&str> = body.split('.').collect();
    let last = segments.len().saturating_sub(1);
    segments.iter().enumerate().all(|(i, seg)| {
        let max_lead = if i == 0 { 2 } else { 1 };
        let trimmed = seg.trim_start_matches(':');
        if seg.len() - trimmed.len() > max_lead {
            return false;
        }
        // A ':' may also stand just before the next dot.
        let core = if i < last {
            trimmed.strip_suffix(':').unwrap_or(trimmed)
        } else {
            trimmed
        };
        label_ok(core)
    })
}

/// opts.ValidateLabel.
fn label_error(label: &str) -> Option<String> {
    if !label.contains('=') {
        return Some(format!("bad attribute format: {label}"));
    }
    let lower = label.to_lowercase();
    if ["com.docker.", "io.docker.", "org.dockerproject."]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        return Some(format!(
            "label {label} is not allowed: the namespaces com.docker.*, io.docker.*, and org.dockerproject.* are reserved for internal use"
        ));
    }
    None
}

/// opts.ParseDaemonHost, the part that does not depend on the machine: the protocol.
fn host_error(host: &str) -> Option<String> {
    let h = host.trim();
    if h.is_empty() {
        return None;
    }
    let proto = match h.split_once("://") {
        Some((proto, _)) => proto,
        None => "tcp",
    };
    match proto {
        "tcp" | "unix" | "npipe" | "fd" => None,
        _ => Some(format!(
            "invalid bind address ({h}): unsupported proto '{proto}'"
        )),
    }
}

/// Stock runtimes that need no "runtimes" entry (builtinRuntimes / stockRuntimes).
fn is_stock_runtime(name: &str, e: EngineVersion) -> bool {
    match name {
        "runc" | "io.containerd.runc.v2" => true,
        "io.containerd.runtime.v1.linux" => e < V23_0, // dropped in v23.0.0
        _ => false,
    }
}

/// IsPermissibleC8dRuntimeName (v23.0.0+): a containerd shim name such as `io.containerd.kata.v2`.
fn is_permissible_c8d_runtime(name: &str, e: EngineVersion) -> bool {
    e >= V23_0 && !name.contains('/') && name.contains('.') && !name.starts_with('.')
}

/// A `strconv.ParseUint(s, 0, 32)` error text, or None when it parses.
fn go_parse_uint32_error(s: &str) -> Option<String> {
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h, 16)
    } else if let Some(b) = s.strip_prefix("0b").or_else(|| s.strip_prefix("0B")) {
        (b, 2)
    } else if let Some(o) = s.strip_prefix("0o").or_else(|| s.strip_prefix("0O")) {
        (o, 8)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    let cleaned: String = digits.chars().filter(|c| *c != '_').collect();
    match u64::from_str_radix(&cleaned, radix) {
        Ok(n) if n <= u64::from(u32::MAX) => None,
        Ok(_) => Some(format!(
            "strconv.ParseUint: parsing {}: value out of range",
            go_quote(s)
        )),
        Err(_) if !cleaned.is_empty() && cleaned.chars().all(|c| c.is_digit(radix)) => {
            Some(format!(
                "strconv.ParseUint: parsing {}: value out of range",
                go_quote(s)
            ))
        }
        Err(_) => Some(format!(
            "strconv.ParseUint: parsing {}: invalid syntax",
            go_quote(s)
        )),
    }
}

/// The checks dockerd of this engine runs on this platform after the file decoded, in dockerd's
/// order (dockerd stops at the first one). Values of the wrong type are skipped: [`type_error`]
/// reports them first. Not modelled: registry-mirrors and insecure-registries (the registry rules),
/// node-generic-resources, cpu-rt-* (depend on the host's cgroups), the existence of files
/// (userland-proxy-path, seccomp-profile, TLS files) and address-pool or subnet semantics.
pub fn dockerd_checks(
    obj: &Map<String, Value>,
    engine: EngineVersion,
    platform: Platform,
) -> Vec<DockerdCheck> {
    let e = engine;
    let linux = platform == Platform::Linux;
    let vals = Values {
        obj,
        e,
        p: platform,
    };
    let mut out = Vec::new();
    let mut push = |key: &'static str, stage: CheckStage, message: String| {
        out.push(DockerdCheck {
            key,
            message,
            stage,
        });
    };
    use CheckStage::{Load, Start};

    // findConfigurationConflicts (v28.0.0+), before the decode.
    if e >= V28_0 && obj.contains_key("host-gateway-ip") && obj.contains_key("host-gateway-ips") {
        push(
            "host-gateway-ip",
            Load,
            "host-gateway-ip and host-gateway-ips must not both be specified in the config file"
                .into(),
        );
    }
    // getConflictFreeConfiguration, 20.10.
    if e < V23_0 && vals.nonempty("graph").is_some() && vals.nonempty("data-root").is_some() {
        push(
            "graph",
            Load,
            r#"cannot specify both "graph" and "data-root" config file options"#.into(),
        );
    }

    // config.Validate
    if (V23_0..V24_0).contains(&e) && vals.nonempty("graph").is_some() {
        push(
            "graph",
            Load,
            r#"the "graph" config file option is deprecated; use "data-root" instead"#.into(),
        );
    }
    if let Some(level) = vals.nonempty("log-level") {
        let lower = level.to_lowercase();
        let ok = matches!(lower.as_str(), "panic" | "fatal" | "error" | "warn" | "info" | "debug" | "trace")
            // logrus.ParseLevel (before v25.0.0) also takes "warning"
            || (e < V25_0 && lower == "warning");
        if !ok {
            if e >= V23_0 {
                push("log-level", Load, format!("invalid logging level: {level}"));
            } else {
                // 20.10: configureDaemonLogs in cmd/dockerd/daemon.go, after loading.
                push(
                    "log-level",
                    Start,
                    format!("unable to parse logging level: {level}"),
                );
            }
        }
    }
    if e >= V25_0
        && let Some(format) = vals.nonempty("log-format")
        && format != "text"
        && format != "json"
    {
        push("log-format", Load, format!("invalid log format: {format}"));
    }
    if e >= V29_7
        && vals.bool_in("features", "embedded-containerd") == Some(true)
        && vals.get("cri-containerd").and_then(Value::as_bool) == Some(true)
    {
        push("features", Load, r#"conflicting options: cannot use the "embedded-containerd" feature and CRI support (--cri-containerd) at the same time"#.into());
    }
    // dns is []string checked here up to 24.x; from v25.0.0 its Go type parses the addresses.
    if e < V25_0 {
        for dns in vals.strs("dns") {
            if go_parse_ip(dns.trim()).is_none() {
                push("dns", Load, format!("{dns} is not an ip address"));
            }
        }
    }
    for search in vals.strs("dns-search") {
        if !valid_dns_search(search) {
            push(
                "dns-search",
                Load,
                format!("{} is not a valid domain", search.trim_matches(' ')),
            );
        }
    }
    if e >= V28_0 {
        let mut ips: Vec<std::net::IpAddr> = vals
            .strs("host-gateway-ips")
            .into_iter()
            .filter_map(|s| netip_parse_addr(s).ok())
            .collect();
        if let Some(one) = vals.nonempty("host-gateway-ip").and_then(go_parse_ip) {
            ips = vec![one];
        }
        let is4 = |ip: &std::net::IpAddr| match ip {
            std::net::IpAddr::V4(_) => true,
            std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().is_some(),
        };
        let v4 = ips.iter().filter(|ip| is4(ip)).count();
        let v6 = ips.len() - v4;
        if v4 > 1 {
            push(
                "host-gateway-ips",
                Load,
                "only one IPv4 host gateway IP address can be specified".into(),
            );
        } else if v6 > 1 {
            push(
                "host-gateway-ips",
                Load,
                "only one IPv6 host gateway IP address can be specified".into(),
            );
        }
    }
    for label in vals.strs("labels") {
        if let Some(msg) = label_error(label) {
            push("labels", Load, msg);
        }
    }
    if e >= V23_0
        && let Some(mtu) = vals.int("mtu").filter(|m| *m < 0)
    {
        push("mtu", Load, format!("invalid default MTU: {mtu}"));
    }
    if let Some(n) = vals.int("max-concurrent-downloads").filter(|n| *n < 0) {
        push(
            "max-concurrent-downloads",
            Load,
            format!("invalid max concurrent downloads: {n}"),
        );
    }
    if let Some(n) = vals.int("max-concurrent-uploads").filter(|n| *n < 0) {
        push(
            "max-concurrent-uploads",
            Load,
            format!("invalid max concurrent uploads: {n}"),
        );
    }
    // 20.10 ValidateMaxDownloadAttempts refuses 0 too.
    if let Some(n) = vals
        .int("max-download-attempts")
        .filter(|n| *n < 0 || (e < V23_0 && *n == 0))
    {
        push(
            "max-download-attempts",
            Load,
            format!("invalid max download attempts: {n}"),
        );
    }
    if e >= V29_7
        && let Some(n) = vals.int("default-stop-timeout").filter(|n| *n < 0)
    {
        push(
            "default-stop-timeout",
            Load,
            format!("invalid default stop timeout: {n}"),
        );
    }
    if e >= V28_0
        && let Some(n) = vals
            .int("network-diagnostic-port")
            .filter(|n| !(0..=65535).contains(n))
    {
        push(
            "network-diagnostic-port",
            Load,
            format!("invalid network-diagnostic-port ({n}): value must be between 0 and 65535"),
        );
    }
    // Runtimes: in Validate up to 24.x; in daemon.setupRuntimes (daemon start) from v25.0.0.
    let runtime_stage = if e < V25_0 { Load } else { Start };
    let runtimes = vals.object("runtimes");
    if linux && runtimes.is_some_and(|r| r.contains_key("runc")) {
        push(
            "runtimes",
            runtime_stage,
            "runtime name 'runc' is reserved".into(),
        );
    }
    if let Some(default) = vals.nonempty("default-runtime") {
        let configured = runtimes.is_some_and(|r| r.contains_key(default));
        if (linux || e < V25_0)
            && !is_stock_runtime(default, e)
            && !configured
            && !is_permissible_c8d_runtime(default, e)
        {
            push(
                "default-runtime",
                runtime_stage,
                format!("specified default runtime '{default}' does not exist"),
            );
        }
    }
    if linux
        && e >= V25_0
        && let Some(r) = runtimes
    {
        for (name, rt) in r {
            let Some(rt) = rt.as_object() else { continue };
            let s = |k: &str| rt.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
            let has_args = rt
                .get("runtimeArgs")
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty());
            let has_opts = rt
                .get("options")
                .and_then(Value::as_object)
                .is_some_and(|o| !o.is_empty());
            let msg = match (s("path"), s("runtimeType")) {
                (None, None) => Some(format!(
                    "runtime {name}: either a runtimeType or a path must be configured"
                )),
                (Some(_), Some(_)) => Some(format!(
                    "runtime {name}: cannot configure both path and runtimeType for the same runtime"
                )),
                (Some(_), None) if has_opts => Some(format!(
                    "runtime {name}: options cannot be used with a path runtime"
                )),
                (None, Some(_)) if has_args => Some(format!(
                    "runtime {name}: args cannot be used with a runtimeType runtime"
                )),
                _ => None,
            };
            if let Some(msg) = msg {
                push("runtimes", Start, msg);
            }
        }
    }
    // Hosts: in Validate (after normalizeHosts) from v23.0.0; at listener setup in 20.10.
    for h in vals.strs("hosts") {
        if let Some(msg) = host_error(h) {
            push("hosts", if e >= V23_0 { Load } else { Start }, msg);
        }
    }
    if (V28_0..V29_0).contains(&e) && vals.nonempty("api-cors-header").is_some() {
        push("api-cors-header", Load, r#"DEPRECATED: The "api-cors-header" config parameter and the dockerd "--api-cors-header" option have been removed; use a reverse proxy if you need CORS headers"#.into());
    }
    if e >= V28_0 {
        for kv in vals.strs("exec-opts") {
            let (k, val) = kv.split_once('=').unwrap_or((kv, ""));
            let (k, val) = (k.trim().to_lowercase(), val.trim());
            if !kv.contains('=') || k.is_empty() || val.is_empty() {
                push(
                    "exec-opts",
                    Load,
                    format!("invalid exec-opt ({kv}): must be formatted 'opt=value'"),
                );
                continue;
            }
            let platform_err = match (k.as_str(), linux) {
                ("native.cgroupdriver", true) | ("isolation", false) => None,
                ("isolation", true) => {
                    Some("option 'isolation' is only supported on windows".to_string())
                }
                ("native.cgroupdriver", false) => {
                    Some("option 'native.cgroupdriver' is only supported on linux".to_string())
                }
                (other, _) => Some(format!("unknown option: '{other}'")),
            };
            if let Some(err) = platform_err {
                push("exec-opts", Load, format!("invalid exec-opt ({kv}): {err}"));
            }
        }
    }

    // validatePlatformConfig (Linux)
    if linux {
        if e >= V25_0 && e < V26_0 && vals.int("oom-score-adjust").is_some_and(|n| n != 0) {
            push("oom-score-adjust", Load, r#"DEPRECATED: The "oom-score-adjust" config parameter and the dockerd "--oom-score-adjust" options have been removed."#.into());
        }
        let proxy_on = vals.get("userland-proxy").and_then(Value::as_bool) != Some(false);
        if e >= V25_0
            && proxy_on
            && let Some(path) = vals.nonempty("userland-proxy-path")
            && !path.starts_with('/')
        {
            push(
                "userland-proxy-path",
                Load,
                format!("invalid userland-proxy-path: must be an absolute path: {path}"),
            );
        }
        if let Some(mode) = vals.nonempty("default-ipc-mode") {
            let valid = matches!(mode, "none" | "private" | "host" | "shareable")
                || mode.starts_with("container:");
            if !valid {
                push(
                    "default-ipc-mode",
                    Load,
                    format!(
                        r#"default IPC mode setting ({mode}) is invalid; use "shareable" or "private""#
                    ),
                );
            } else if mode != "private" && mode != "shareable" {
                push(
                    "default-ipc-mode",
                    Load,
                    format!(
                        r#"IPC mode "{mode}" is not supported as default value; use "shareable" or "private""#
                    ),
                );
            }
        }
        if e >= V25_0
            && let Some(cidr) = vals.nonempty("fixed-cidr-v6")
            && let Some(msg) = fixed_cidr_v6_error(cidr, e)
        {
            push("fixed-cidr-v6", Load, msg);
        }
        if (V26_1..V28_0).contains(&e)
            && vals
                .object("features")
                .is_some_and(|f| f.contains_key("windows-dns-proxy"))
        {
            push(
                "features",
                Load,
                "feature option 'windows-dns-proxy' is only available on Windows".into(),
            );
        }
        if e >= V29_0 {
            if let Some(fw) = vals.nonempty("firewall-backend")
                && fw != "iptables"
                && fw != "nftables"
            {
                push(
                    "firewall-backend",
                    Load,
                    r#"invalid firewall-backend: allowed values are "iptables" and "nftables""#
                        .into(),
                );
            }
            if let Some(mark) = vals.nonempty("bridge-accept-fwmark") {
                let (m, mask) = mark
                    .split_once('/')
                    .map_or((mark, None), |(a, b)| (a, Some(b)));
                if let Some(err) = go_parse_uint32_error(m) {
                    push(
                        "bridge-accept-fwmark",
                        Load,
                        format!(
                            "invalid bridge-accept-fwmark: invalid firewall mark {}: {err}",
                            go_quote(mark)
                        ),
                    );
                } else if let Some(err) = mask.and_then(go_parse_uint32_error) {
                    push(
                        "bridge-accept-fwmark",
                        Load,
                        format!(
                            "invalid bridge-accept-fwmark: invalid firewall mask {}: {err}",
                            go_quote(mark)
                        ),
                    );
                }
            }
        }
        if let Some(mode) = vals.nonempty("default-cgroupns-mode")
            && mode != "host"
            && mode != "private"
        {
            let msg = if e >= V28_0 {
                format!(r#"invalid default cgroup namespace ({mode}): use "host" or "private""#)
            } else {
                format!(
                    r#"default cgroup namespace mode ({mode}) is invalid; use "host" or "private""#
                )
            };
            push("default-cgroupns-mode", Load, msg);
        }
    }

    // v23.0.x checkDeprecatedOptions (before --validate prints "configuration OK").
    if (V23_0..V24_0).contains(&e)
        && (vals.nonempty("cluster-advertise").is_some()
            || vals.nonempty("cluster-store").is_some()
            || vals
                .object("cluster-store-opts")
                .is_some_and(|m| !m.is_empty()))
    {
        push("cluster-store", Load, "Host-discovery and overlay networks with external k/v stores are deprecated. The 'cluster-advertise', 'cluster-store', and 'cluster-store-opt' options have been removed".into());
    }
    out
}

/// bridge.ValidateFixedCIDRV6 (v25.0.0+), the parse part.
fn fixed_cidr_v6_error(cidr: &str, e: EngineVersion) -> Option<String> {
    let (addr, bits) = match cidr.split_once('/') {
        Some(x) => x,
        None if e >= V29_0 => {
            return Some(format!(
                "invalid fixed-cidr-v6: invalid fixed-cidr-v6: netip.ParsePrefix({}): no '/'",
                go_quote(cidr)
            ));
        }
        None => {
            return Some(format!(
                "invalid fixed-cidr-v6: invalid CIDR address: {cidr}"
            ));
        }
    };
    let ip = go_parse_ip(addr);
    let bits_ok = bits.parse::<u8>().ok().is_some_and(|b| {
        let max = if matches!(ip, Some(std::net::IpAddr::V4(_))) {
            32
        } else {
            128
        };
        b <= max && (bits == "0" || !bits.starts_with('0'))
    });
    match ip {
        Some(_) if !bits_ok => Some(if e >= V29_0 {
            format!(
                "invalid fixed-cidr-v6: invalid fixed-cidr-v6: netip.ParsePrefix({}): bad bits after slash: {}",
                go_quote(cidr),
                go_quote(bits)
            )
        } else {
            format!("invalid fixed-cidr-v6: invalid CIDR address: {cidr}")
        }),
        Some(std::net::IpAddr::V4(_)) if e < V29_0 => {
            Some("invalid fixed-cidr-v6: fixed-cidr-v6 is not an IPv6 subnet".to_string())
        }
        Some(_) => None,
        None if e >= V29_0 => Some(format!(
            "invalid fixed-cidr-v6: invalid fixed-cidr-v6: netip.ParsePrefix({}): {}",
            go_quote(cidr),
            netip_parse_addr(addr).err().unwrap_or_default()
        )),
        None => Some(format!(
            "invalid fixed-cidr-v6: invalid CIDR address: {cidr}"
        )),
    }
}

/// dockerd's refusals after the decode, in dockerd's order, with dockerd's wording (the first one
/// is what dockerd prints; see [`dockerd_checks`] for the stage of each).
pub fn dockerd_validate_errors(
    obj: &Map<String, Value>,
    engine: EngineVersion,
    platform: Platform,
) -> Vec<String> {
    dockerd_checks(obj, engine, platform)
        .into_iter()
        .map(|c| c.message)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Did you mean.
// ---------------------------------------------------------------------------------------------

/// Common mistakes with a fixed answer: singular flag names, old names, other spellings.
const MISTAKES: &[(&str, &str)] = &[
    ("registry-mirror", "registry-mirrors"),
    ("mirror", "registry-mirrors"),
    ("mirrors", "registry-mirrors"),
    ("registry", "registry-mirrors"),
    ("insecure-registry", "insecure-registries"),
    ("insecure", "insecure-registries"),
    ("insecure-registeries", "insecure-registries"),
    ("insecure-registrys", "insecure-registries"),
    ("graph", "data-root"),
    ("data-dir", "data-root"),
    ("root", "data-root"),
    ("label", "labels"),
    ("dns-opt", "dns-opts"),
    ("exec-opt", "exec-opts"),
    ("log-opt", "log-opts"),
    ("log-options", "log-opts"),
    ("storage-opt", "storage-opts"),
    ("storage-options", "storage-opts"),
    ("default-ulimit", "default-ulimits"),
    ("ulimits", "default-ulimits"),
    ("add-runtime", "runtimes"),
    ("runtime", "runtimes"),
    ("authorization-plugin", "authorization-plugins"),
    ("host", "hosts"),
    ("default-address-pool", "default-address-pools"),
    ("node-generic-resource", "node-generic-resources"),
    ("cdi-spec-dir", "cdi-spec-dirs"),
    ("feature", "features"),
    ("default-network-opt", "default-network-opts"),
    ("cluster-store-opt", "cluster-store-opts"),
    ("http-proxy", "proxies"),
    ("https-proxy", "proxies"),
    ("no-proxy", "proxies"),
    ("http_proxy", "proxies"),
    ("https_proxy", "proxies"),
    ("no_proxy", "proxies"),
    ("proxy", "proxies"),
    ("containerd-plugin-namespace", "containerd-namespace"),
    ("cgroupdriver", "exec-opts"),
    ("native.cgroupdriver", "exec-opts"),
    ("log-driver-opts", "log-opts"),
    ("tls-verify", "tlsverify"),
    ("tls-cacert", "tlscacert"),
    ("tls-cert", "tlscert"),
    ("tls-key", "tlskey"),
];

/// Optimal string alignment distance (Damerau-Levenshtein without repeated edits of a substring):
/// insertions, deletions, substitutions and swaps of neighbours cost 1.
fn osa_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    let at = |i: usize, j: usize| i * width + j;
    for i in 0..=a.len() {
        if let Some(x) = d.get_mut(at(i, 0)) {
            *x = i;
        }
    }
    for j in 0..=b.len() {
        if let Some(x) = d.get_mut(at(0, j)) {
            *x = j;
        }
    }
    let get =
        |d: &Vec<usize>, i: usize, j: usize| d.get(at(i, j)).copied().unwrap_or(usize::MAX / 2);
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let (ai, bj) = (a.get(i - 1), b.get(j - 1));
            let cost = usize::from(ai != bj);
            let mut best = (get(&d, i - 1, j) + 1)
                .min(get(&d, i, j - 1) + 1)
                .min(get(&d, i - 1, j - 1) + cost);
            if i > 1 && j > 1 && ai == b.get(j - 2) && a.get(i - 2) == bj {
                best = best.min(get(&d, i - 2, j - 2) + 1);
            }
            if let Some(x) = d.get_mut(at(i, j)) {
                *x = best;
            }
        }
    }
    get(&d, a.len(), b.len())
}

/// A known key `name` probably meant: an explicit mapping for common mistakes (`registry-mirror`
/// -> `registry-mirrors`, `graph` -> `data-root`), the same key in other case or with `_` for `-`
/// (`storage_driver`), else the nearest key by edit distance (at most 1 edit for names up to 4
/// characters, 2 up to 10, 3 beyond; ties go to the first in the table). `None` for a known key.
pub fn suggest(name: &str) -> Option<&'static str> {
    if lookup(name).is_some_and(|k| k.removed.is_none()) {
        return None;
    }
    if let Some((_, to)) = MISTAKES.iter().find(|(from, _)| *from == name) {
        return Some(to);
    }
    let normal = name.trim().to_lowercase().replace(['_', ' '], "-");
    if let Some((_, to)) = MISTAKES.iter().find(|(from, _)| *from == normal) {
        return Some(to);
    }
    let current = || KEYS.iter().filter(|k| k.removed.is_none());
    if let Some(k) = current().find(|k| k.name == normal) {
        return Some(k.name);
    }
    let len = normal.chars().count();
    let limit = match len {
        0..=2 => 0,
        3..=4 => 1,
        5..=10 => 2,
        _ => 3,
    };
    current()
        .map(|k| (osa_distance(&normal, k.name), k.name))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const LINUX: Platform = Platform::Linux;
    const WINDOWS: Platform = Platform::Windows;

    fn ev(s: &str) -> EngineVersion {
        s.parse().expect("test version")
    }

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().expect("test object")
    }

    /// Every minor release dockcfg knows.
    fn all_minors() -> Vec<EngineVersion> {
        let mut out = vec![v(20, 10), v(23, 0), v(24, 0), v(25, 0), v(26, 0), v(26, 1)];
        out.extend((0..=5).map(|m| v(27, m)));
        out.extend((0..=5).map(|m| v(28, m)));
        out.extend((0..=7).map(|m| v(29, m)));
        out
    }

    /// What dockerd does with `{"key": <a value of the right shape>}`.
    #[derive(Debug, PartialEq)]
    enum Fate {
        Applies,
        Ignored,
        Unknown,
        Refused,
    }

    fn fate(key: &str, e: EngineVersion, p: Platform) -> Fate {
        let value = match (key, lookup(key).map(|k| k.ty)) {
            ("log-format", _) => json!("json"),
            ("log-level", _) => json!("info"),
            ("default-ipc-mode", _) => json!("private"),
            ("default-cgroupns-mode", _) => json!("host"),
            ("firewall-backend", _) => json!("iptables"),
            ("bridge-accept-fwmark", _) => json!("1"),
            ("default-runtime", _) => json!("runc"),
            ("fixed-cidr-v6", _) => json!("fd00::/64"),
            ("userland-proxy-path", _) => json!("/usr/bin/docker-proxy"),
            ("default-shm-size", _) => json!("64m"),
            ("ip" | "default-gateway" | "host-gateway-ip", _) => json!("1.2.3.4"),
            ("default-gateway-v6", _) => json!("::1"),
            // Objects that are not in flatOptions are checked by their own keys.
            ("default-network-opts", _) => json!({"overlay": {}}),
            ("proxies", _) => json!({"http-proxy": "http://p:3128"}),
            ("nri-opts", _) => json!({"enable": true}),
            (_, Some(JsonType::Bool)) => json!(true),
            (_, Some(JsonType::Integer)) => json!(1),
            (_, Some(JsonType::StringList | JsonType::ObjectList)) => json!([]),
            (_, Some(JsonType::StringMap | JsonType::StringMapMap | JsonType::BoolMap)) => {
                json!({})
            }
            (_, Some(JsonType::ObjectMap | JsonType::Object)) => json!({}),
            _ => json!("x"),
        };
        let file = obj(json!({ key: value }));
        if !dockerd_unknown_keys(&file, e, p).is_empty() {
            return Fate::Unknown;
        }
        if ignored_flag_key(key, e, p).is_some() {
            return Fate::Ignored;
        }
        if dockerd_checks(&file, e, p)
            .iter()
            .any(|c| c.key == key || c.key == "cluster-store")
        {
            return Fate::Refused;
        }
        assert!(
            lookup_for(key, e, p).is_some(),
            "{key} accepted on {e} but not in known_keys"
        );
        Fate::Applies
    }

    #[test]
    fn every_key_of_the_reference_is_known_on_29_7_linux() {
        // /work/shared/reference/dockerd-config-rules.md, "Valid top-level keys (master / 29.7)".
        let common = "authorization-plugins bridge builder cdi-spec-dirs containerd containerd-namespace \
            cri-containerd data-root debug default-network-opts default-runtime default-stop-timeout dns \
            dns-opts dns-search exec-opts exec-root experimental features fixed-cidr group host-gateway-ip \
            host-gateway-ips hosts insecure-registries labels log-driver log-format log-level log-opts \
            max-concurrent-downloads max-concurrent-uploads max-download-attempts metrics-addr min-api-version \
            mtu network-control-plane-mtu network-diagnostic-port node-generic-resources nri-opts pidfile \
            proxies raw-logs registry-mirrors shutdown-timeout storage-opts swarm-default-advertise-addr tls \
            tlscacert tlscert tlskey tlsverify";
        let linux = "allow-direct-routing bip bip6 bridge-accept-fwmark cgroup-parent cpu-rt-period \
            cpu-rt-runtime default-address-pools default-cgroupns-mode default-gateway default-gateway-v6 \
            default-ipc-mode default-shm-size default-ulimits firewall-backend fixed-cidr-v6 icc init init-path \
            ip ip-forward ip-forward-no-drop ip-masq ip6tables iptables ipv6 live-restore no-new-privileges \
            rootless runtimes seccomp-profile selinux-enabled storage-driver userland-proxy userland-proxy-path \
            userns-remap";
        for k in common.split_whitespace().chain(linux.split_whitespace()) {
            assert_eq!(fate(k, EngineVersion::NEWEST, LINUX), Fate::Applies, "{k}");
        }
        for k in common.split_whitespace() {
            assert_eq!(
                fate(k, EngineVersion::NEWEST, WINDOWS),
                Fate::Applies,
                "{k} on windows"
            );
        }
        // The reference also lists http-proxy, https-proxy and no-proxy as top-level keys: dockerd
        // accepts them (they are flags) but reads proxies only inside "proxies" (seen on 26.1.5).
        for k in ["http-proxy", "https-proxy", "no-proxy"] {
            let ig = ignored_flag_key(k, EngineVersion::NEWEST, LINUX).expect(k);
            assert!(ig.help.contains("\"proxies\""), "{k}");
        }
        // And nothing else.
        let reference: BTreeSet<&str> = common
            .split_whitespace()
            .chain(linux.split_whitespace())
            .collect();
        let ours: BTreeSet<&str> = known_keys(EngineVersion::NEWEST, LINUX)
            .map(|k| k.name)
            .collect();
        assert_eq!(ours, reference);
    }

    #[test]
    fn keys_by_version() {
        use Fate::*;
        let cases: &[(&str, &str, Platform, Fate)] = &[
            ("graph", "20.10", LINUX, Applies),
            ("graph", "23.0", LINUX, Refused),
            ("graph", "24.0", LINUX, Unknown),
            ("http-proxy", "20.10", LINUX, Unknown),
            ("http-proxy", "23.0", LINUX, Ignored),
            ("proxies", "23.0", LINUX, Applies),
            ("log-format", "24.0", LINUX, Unknown),
            ("log-format", "25.0", LINUX, Applies),
            ("default-network-opts", "23.0", LINUX, Unknown),
            ("default-network-opts", "24.0", LINUX, Applies),
            ("cdi-spec-dirs", "24.0", LINUX, Unknown),
            ("cdi-spec-dirs", "25.0", LINUX, Applies),
            ("host-gateway-ips", "27.5", LINUX, Unknown),
            ("host-gateway-ips", "28.0", LINUX, Applies),
            ("bip6", "27.5", LINUX, Unknown),
            ("bip6", "28.0", LINUX, Applies),
            ("ip-forward-no-drop", "28.0", LINUX, Applies),
            ("allow-direct-routing", "28.1", LINUX, Unknown),
            ("allow-direct-routing", "28.2", LINUX, Applies),
            ("firewall-backend", "28.5", LINUX, Unknown),
            ("firewall-backend", "29.0", LINUX, Applies),
            ("bridge-accept-fwmark", "29.0", LINUX, Applies),
            ("min-api-version", "28.5", LINUX, Unknown),
            ("min-api-version", "29.0", LINUX, Applies),
            ("nri-opts", "29.1", LINUX, Unknown),
            ("nri-opts", "29.2", LINUX, Applies),
            ("default-stop-timeout", "29.6", LINUX, Unknown),
            ("default-stop-timeout", "29.7", LINUX, Applies),
            ("api-cors-header", "27.5", LINUX, Applies),
            ("api-cors-header", "28.0", LINUX, Refused),
            ("api-cors-header", "29.0", LINUX, Unknown),
            ("oom-score-adjust", "24.0", LINUX, Applies),
            ("oom-score-adjust", "25.0", LINUX, Refused),
            ("oom-score-adjust", "26.0", LINUX, Unknown),
            ("cluster-store", "20.10", LINUX, Applies),
            ("cluster-store", "23.0", LINUX, Refused),
            ("cluster-store", "24.0", LINUX, Unknown),
            ("allow-nondistributable-artifacts", "28.0", LINUX, Applies),
            ("allow-nondistributable-artifacts", "28.1", LINUX, Ignored),
            ("allow-nondistributable-artifacts", "29.7", LINUX, Ignored),
            ("deprecated-key-path", "23.0", LINUX, Applies),
            ("deprecated-key-path", "24.0", LINUX, Ignored),
            ("validate", "20.10", LINUX, Unknown),
            ("validate", "23.0", LINUX, Ignored),
            ("feature", "27.2", LINUX, Unknown),
            ("feature", "27.3", LINUX, Ignored),
            ("disable-legacy-registry", "20.10", LINUX, Unknown),
            // Fields without a flag of that name: rejected on every engine.
            ("resolv-conf", "20.10", LINUX, Unknown),
            ("default-init", "29.7", LINUX, Unknown),
            ("swarm-raft-heartbeat-tick", "26.1", LINUX, Unknown),
            ("containerd-plugin-namespace", "26.1", LINUX, Unknown),
            ("containerd-plugins-namespace", "26.1", LINUX, Ignored),
        ];
        for (k, e, p, want) in cases {
            assert_eq!(fate(k, ev(e), *p), *want, "{k} on {e} {p:?}");
        }
    }

    #[test]
    fn keys_by_platform() {
        use Fate::*;
        let cases: &[(&str, &str, Platform, Fate)] = &[
            ("storage-driver", "26.1", WINDOWS, Unknown),
            ("storage-driver", "20.10", WINDOWS, Unknown),
            ("live-restore", "29.7", WINDOWS, Unknown),
            ("default-address-pools", "29.7", WINDOWS, Unknown),
            ("firewall-backend", "29.7", WINDOWS, Unknown),
            ("runtimes", "26.1", WINDOWS, Unknown),
            ("default-ulimits", "26.1", WINDOWS, Unknown),
            ("bip", "26.1", WINDOWS, Unknown),
            ("userns-remap", "26.1", WINDOWS, Unknown),
            ("default-runtime", "20.10", WINDOWS, Unknown),
            ("default-runtime", "23.0", WINDOWS, Applies),
            ("default-runtime", "20.10", LINUX, Applies),
            ("mtu", "29.7", WINDOWS, Applies),
            ("bridge", "29.7", WINDOWS, Applies),
            ("fixed-cidr", "29.7", WINDOWS, Applies),
            ("group", "20.10", WINDOWS, Applies),
            ("insecure-registries", "20.10", WINDOWS, Applies),
            ("service-name", "26.1", WINDOWS, Ignored),
            ("service-name", "26.1", LINUX, Unknown),
            ("register-service", "20.10", LINUX, Unknown),
            ("add-runtime", "26.1", WINDOWS, Unknown),
            ("add-runtime", "26.1", LINUX, Ignored),
        ];
        for (k, e, p, want) in cases {
            assert_eq!(fate(k, ev(e), *p), *want, "{k} on {e} {p:?}");
        }
        for k in KEYS {
            if k.platform == LinuxOnly {
                assert_eq!(
                    fate(k.name, EngineVersion::NEWEST, WINDOWS),
                    Unknown,
                    "{}",
                    k.name
                );
            }
        }
    }

    /// The table's since/removed/platform agree with the flag and field tables on every minor.
    #[test]
    fn table_agrees_with_flags_and_fields() {
        for k in KEYS {
            for e in all_minors() {
                for p in [LINUX, WINDOWS] {
                    let in_versions =
                        k.since.is_none_or(|s| e >= s) && k.removed.is_none_or(|r| e < r.version);
                    let on_platform = k.platform.includes(p)
                        && !(k.name == "default-runtime" && p == WINDOWS && e < V23_0);
                    assert_eq!(
                        applies(k, e, p),
                        in_versions && on_platform,
                        "{} on {e} {p:?}",
                        k.name
                    );
                }
            }
        }
        // Every Config field that dockerd lets through has a table entry.
        for f in FIELDS {
            for e in all_minors() {
                for p in [LINUX, WINDOWS] {
                    if f.on.has(p) && in_range(e, f.since, f.until) && is_accepted(f.key, e, p) {
                        assert!(lookup(f.key).is_some(), "{} has no KeyInfo", f.key);
                    }
                }
            }
        }
    }

    #[test]
    fn ignored_flag_names() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("registry-mirror", "20.10", Some("registry-mirrors")),
            ("insecure-registry", "26.1", Some("insecure-registries")),
            ("label", "29.7", Some("labels")),
            ("dns-opt", "29.7", Some("dns-opts")),
            ("exec-opt", "29.7", Some("exec-opts")),
            ("log-opt", "29.7", Some("log-opts")),
            ("storage-opt", "29.7", Some("storage-opts")),
            ("default-ulimit", "29.7", Some("default-ulimits")),
            ("add-runtime", "29.7", Some("runtimes")),
            (
                "authorization-plugin",
                "29.7",
                Some("authorization-plugins"),
            ),
            ("host", "29.7", Some("hosts")),
            (
                "default-address-pool",
                "29.7",
                Some("default-address-pools"),
            ),
            (
                "node-generic-resource",
                "29.7",
                Some("node-generic-resources"),
            ),
            ("cdi-spec-dir", "25.0", Some("cdi-spec-dirs")),
            ("feature", "29.7", Some("features")),
            ("default-network-opt", "24.0", Some("default-network-opts")),
            ("cluster-store-opt", "20.10", Some("cluster-store-opts")),
            ("config-file", "29.7", None),
            ("help", "20.10", None),
            ("version", "29.7", None),
            ("validate", "29.7", None),
            ("restart", "29.7", None),
            ("containerd-plugins-namespace", "29.7", None),
            ("https-proxy", "29.7", None),
        ];
        for (name, e, plural) in cases {
            let got = ignored_flag_key(name, ev(e), LINUX);
            assert_eq!(got.map(|g| g.plural), Some(*plural), "{name} on {e}");
        }
        // Not ignored: applied, unknown, or gone.
        for (name, e) in [
            ("registry-mirrors", "29.7"),
            ("debug", "20.10"),
            ("cdi-spec-dir", "24.0"),
            ("validate", "20.10"),
            ("cluster-store-opt", "24.0"),
            ("host-gateway-ip", "28.0"),
            ("bogus", "29.7"),
        ] {
            assert_eq!(ignored_flag_key(name, ev(e), LINUX), None, "{name} on {e}");
        }
    }

    #[test]
    fn unknown_keys_as_dockerd_lists_them() {
        // Checked against Debian's dockerd 20.10.24 and 26.1.5.
        let cases: &[(Value, &str, &[&str])] = &[
            (json!({"bogus": {"debug": true}}), "20.10", &[]),
            (json!({"bogus": {"debug": true}}), "26.1", &[]),
            (json!({"log-opts": {"x": 1}}), "26.1", &[]),
            (json!({"bogus": 1}), "20.10", &["bogus"]),
            (json!({"bogus": {"nope": true}}), "26.1", &["nope"]),
            (json!({"bogus": {}}), "26.1", &[]),
            (json!({"zzz": 1, "aaa": 2}), "26.1", &["aaa", "zzz"]),
            (
                json!({"a": {"b": 1, "c": 2}, "d": 3}),
                "20.10",
                &["b", "c", "d"],
            ),
            (json!({"x": {"y": {"debug": true}}}), "26.1", &["y"]),
            (json!({"labels": {"a": "b"}}), "26.1", &["a"]),
            (json!({"insecure-registries": {"debug": 1}}), "26.1", &[]),
            (json!({"log-driver": {"x": 1}}), "26.1", &["x"]),
            (
                json!({"log-opt": {"max-size": "10m"}}),
                "26.1",
                &["max-size"],
            ),
            (
                json!({"runtimes": {"foo": {"path": "/bin/true"}}}),
                "26.1",
                &[],
            ),
            (json!({"features": {"anything": true}}), "20.10", &[]),
            (json!({"builder": {"gc": {}}}), "20.10", &[]),
            (
                json!({"proxies": {"http-proxy": "x"}}),
                "20.10",
                &["http-proxy"],
            ),
            (json!({"proxies": {"http-proxy": "x"}}), "23.0", &[]),
            (json!({"proxies": {"bogus": 1}}), "26.1", &["bogus"]),
            (json!({"proxies": "x"}), "26.1", &["proxies"]),
            (json!({"proxies": null}), "26.1", &["proxies"]),
            // default-network-opts is flattened before 24.0 (where it is unknown anyway), and
            // "bridge" is a flag name.
            (
                json!({"default-network-opts": {"overlay": {}}}),
                "23.0",
                &["overlay"],
            ),
            (json!({"default-network-opts": {"bridge": {}}}), "23.0", &[]),
            (json!({"default-network-opts": {"bridge": {}}}), "24.0", &[]),
            (json!({"nri-opts": {"enable": true}}), "29.1", &["enable"]),
            (json!({"nri-opts": {"enable": true}}), "29.2", &[]),
            (
                json!({"storage_driver": "overlay2"}),
                "26.1",
                &["storage_driver"],
            ),
            (json!({"validate": true}), "20.10", &["validate"]),
        ];
        for (file, e, want) in cases {
            let got = dockerd_unknown_keys(&obj(file.clone()), ev(e), LINUX);
            assert_eq!(got, *want, "{file} on {e}");
        }
        assert_eq!(
            dockerd_unknown_keys_message(&obj(json!({"x": 1})), ev("26.1"), LINUX).as_deref(),
            Some("the following directives don't match any configuration option: x")
        );
    }

    #[test]
    fn type_errors_in_dockerds_words() {
        // Upstream builds: Go 1.19 .. 1.23 up to 28.1, Go 1.24+ from 28.2.
        let cases: &[(&str, Value, &str, Option<&str>)] = &[
            (
                "insecure-registries",
                json!("10.0.0.1:5000"),
                "20.10",
                Some(
                    "json: cannot unmarshal string into Go struct field Config.insecure-registries of type []string",
                ),
            ),
            (
                "insecure-registries",
                json!("10.0.0.1:5000"),
                "29.7",
                Some(
                    "json: cannot unmarshal string into Go struct field Config.CommonConfig.ServiceOptions.insecure-registries of type []string",
                ),
            ),
            (
                "registry-mirrors",
                json!([1]),
                "26.1",
                Some(
                    "json: cannot unmarshal number into Go struct field Config.registry-mirrors of type string",
                ),
            ),
            (
                "insecure-registries",
                json!({"a": 1}),
                "26.1",
                Some(
                    "json: cannot unmarshal object into Go struct field Config.insecure-registries of type []string",
                ),
            ),
            (
                "max-concurrent-downloads",
                json!(1.5),
                "20.10",
                Some(
                    "json: cannot unmarshal number 1.5 into Go struct field Config.max-concurrent-downloads of type int",
                ),
            ),
            (
                "max-concurrent-downloads",
                json!("3"),
                "26.1",
                Some(
                    "json: cannot unmarshal string into Go struct field Config.max-concurrent-downloads of type int",
                ),
            ),
            ("max-concurrent-downloads", json!(null), "26.1", None),
            (
                "debug",
                json!("true"),
                "26.1",
                Some(
                    "json: cannot unmarshal string into Go struct field Config.debug of type bool",
                ),
            ),
            (
                "debug",
                json!(1),
                "26.1",
                Some(
                    "json: cannot unmarshal number into Go struct field Config.debug of type bool",
                ),
            ),
            (
                "tls",
                json!("yes"),
                "26.1",
                Some("json: cannot unmarshal string into Go struct field Config.tls of type bool"),
            ),
            (
                "group",
                json!(5),
                "26.1",
                Some(
                    "json: cannot unmarshal number into Go struct field Config.group of type string",
                ),
            ),
            (
                "icc",
                json!("false"),
                "26.1",
                Some("json: cannot unmarshal string into Go struct field Config.icc of type bool"),
            ),
            (
                "log-opts",
                json!({"max-size": 1}),
                "26.1",
                Some(
                    "json: cannot unmarshal number into Go struct field Config.log-opts of type string",
                ),
            ),
            (
                "log-opts",
                json!(["a"]),
                "26.1",
                Some(
                    "json: cannot unmarshal array into Go struct field Config.log-opts of type map[string]string",
                ),
            ),
            (
                "features",
                json!({"buildkit": "yes"}),
                "26.1",
                Some(
                    "json: cannot unmarshal string into Go struct field Config.features of type bool",
                ),
            ),
            (
                "proxies",
                json!({"http-proxy": 1}),
                "26.1",
                Some(
                    "json: cannot unmarshal number into Go struct field Proxies.proxies.http-proxy of type string",
                ),
            ),
            (
                "proxies",
                json!({"http-proxy": 1}),
                "29.7",
                Some(
                    "json: cannot unmarshal number into Go struct field Proxies.CommonConfig.proxies.http-proxy of type string",
                ),
            ),
            (
                "default-ulimits",
                json!({"nofile": "x"}),
                "26.1",
                Some(
                    "json: cannot unmarshal string into Go struct field Config.default-ulimits of type units.Ulimit",
                ),
            ),
            (
                "default-ulimits",
                json!({"nofile": {"Name": "nofile", "Hard": "a"}}),
                "26.1",
                Some(
                    "json: cannot unmarshal string into Go struct field Ulimit.default-ulimits.Hard of type int64",
                ),
            ),
            (
                "runtimes",
                json!({"x": {"path": 1}}),
                "20.10",
                Some(
                    "json: cannot unmarshal number into Go struct field Runtime.runtimes.path of type string",
                ),
            ),
            (
                "runtimes",
                json!({"x": "str"}),
                "26.1",
                Some(
                    "json: cannot unmarshal string into Go struct field Config.runtimes of type system.Runtime",
                ),
            ),
            (
                "builder",
                json!({"gc": {"enabled": "yes"}}),
                "26.1",
                Some(
                    "json: cannot unmarshal string into Go struct field BuilderGCConfig.builder.GC.Enabled of type bool",
                ),
            ),
            (
                "default-shm-size",
                json!(64),
                "26.1",
                Some("invalid size: \"64\""),
            ),
            (
                "default-shm-size",
                json!(null),
                "20.10",
                Some("invalid size: \"null\""),
            ),
            (
                "default-shm-size",
                json!("64x"),
                "26.1",
                Some("invalid suffix: 'x'"),
            ),
            ("default-shm-size", json!("64m"), "26.1", None),
            (
                "ip",
                json!("1.2.3"),
                "26.1",
                Some("invalid IP address: 1.2.3"),
            ),
            (
                "ip",
                json!(5),
                "26.1",
                Some("json: cannot unmarshal number into Go struct field Config.ip of type net.IP"),
            ),
            ("ip", json!(""), "26.1", None),
            (
                "dns",
                json!(["nope"]),
                "26.1",
                Some("invalid IP address: nope"),
            ),
            ("dns", json!(["nope"]), "24.0", None), // []string: Validate checks it
            (
                "dns",
                json!(["nope"]),
                "29.7",
                Some("ParseAddr(\"nope\"): unable to parse IP"),
            ),
            (
                "dns",
                json!(["1.2.3"]),
                "29.7",
                Some("ParseAddr(\"1.2.3\"): IPv4 address too short"),
            ),
            (
                "dns",
                json!("8.8.8.8"),
                "26.1",
                Some(
                    "json: cannot unmarshal string into Go struct field Config.dns of type []net.IP",
                ),
            ),
            (
                "default-address-pools",
                json!("x"),
                "26.1",
                Some(
                    "json: cannot unmarshal string into Go struct field Config.default-address-pools of type []*ipamutils.NetworkToSplit",
                ),
            ),
            (
                "default-address-pools",
                json!([{"base": "10.0.0.0/8", "size": "24"}]),
                "20.10",
                Some(
                    "json: cannot unmarshal string into Go struct field Config.default-address-pools of type int",
                ),
            ),
            (
                "default-address-pools",
                json!([{"base": "10.0.0.0/8", "size": "24"}]),
                "29.7",
                Some(
                    "json: cannot unmarshal string into Go struct field Config.CommonConfig.NetworkConfig.default-address-pools.size of type int",
                ),
            ),
            (
                "nri-opts",
                json!({"bogus": 1}),
                "29.7",
                Some("json: unknown field \"bogus\""),
            ),
            ("mtu", json!(-5), "26.1", None),
            ("registry-mirror", json!(5), "26.1", None), // no field: ignored
        ];
        for (key, value, e, want) in cases {
            assert_eq!(
                type_error(key, value, ev(e), LINUX).as_deref(),
                *want,
                "{key}={value} on {e}"
            );
        }
    }

    #[test]
    fn type_errors_of_debian_builds() {
        // Seen on Debian 12's 20.10.24 and Debian 13's 26.1.5.
        let b26 = Build::DEBIAN_13_26_1;
        let cases: &[(&str, Value, Build, &str, &str)] = &[
            (
                "max-concurrent-downloads",
                json!(1.5),
                b26,
                "26.1",
                "json: cannot unmarshal number 1.5 into Go struct field Config.CommonConfig.max-concurrent-downloads of type int",
            ),
            (
                "mtu",
                json!("x"),
                b26,
                "26.1",
                "json: cannot unmarshal string into Go struct field Config.CommonConfig.BridgeConfig.DefaultBridgeConfig.mtu of type int",
            ),
            (
                "default-address-pools",
                json!([{"size": "24"}]),
                b26,
                "26.1",
                "json: cannot unmarshal string into Go struct field Config.CommonConfig.NetworkConfig.default-address-pools.size of type int",
            ),
            (
                "default-shm-size",
                json!("64x"),
                b26,
                "26.1",
                "invalid size: '64x'",
            ),
            (
                "default-shm-size",
                json!("64x"),
                Build::DEBIAN_12_20_10,
                "20.10",
                "invalid size: '64x'",
            ),
            (
                "runtimes",
                json!({"x": {"path": 1}}),
                b26,
                "26.1",
                "json: cannot unmarshal number into Go struct field Runtime.runtimes.path of type string",
            ),
        ];
        for (key, value, build, e, want) in cases {
            assert_eq!(
                type_error_for_build(key, value, ev(e), LINUX, *build).as_deref(),
                Some(*want),
                "{key}={value}"
            );
        }
        // The first type error is kept, but a custom decoder's error stops decoding and wins.
        let entries = [
            ("tls", json!("x")),
            ("ip", json!("bad")),
            ("debug", json!("y")),
        ];
        assert_eq!(
            first_decode_error(entries.iter().map(|(k, v)| (*k, v)), ev("26.1"), LINUX, b26)
                .as_deref(),
            Some("invalid IP address: bad")
        );
        let dup = [("debug", json!("x")), ("debug", json!(true))];
        assert_eq!(
            first_decode_error(
                dup.iter().map(|(k, v)| (*k, v)),
                ev("20.10"),
                LINUX,
                Build::DEBIAN_12_20_10
            )
            .as_deref(),
            Some("json: cannot unmarshal string into Go struct field Config.debug of type bool")
        );
    }

    #[test]
    fn validate_errors_in_dockerds_words() {
        let cases: &[(Value, &str, &[&str])] = &[
            (
                json!({"max-concurrent-downloads": -1}),
                "26.1",
                &["invalid max concurrent downloads: -1"],
            ),
            (
                json!({"max-download-attempts": 0}),
                "20.10",
                &["invalid max download attempts: 0"],
            ),
            (json!({"max-download-attempts": 0}), "23.0", &[]),
            (json!({"mtu": -5}), "20.10", &[]),
            (json!({"mtu": -5}), "26.1", &["invalid default MTU: -5"]),
            (
                json!({"log-level": "verbose"}),
                "26.1",
                &["invalid logging level: verbose"],
            ),
            (json!({"log-level": "warning"}), "24.0", &[]),
            (
                json!({"log-level": "warning"}),
                "25.0",
                &["invalid logging level: warning"],
            ),
            (json!({"log-level": "DEBUG"}), "26.1", &[]),
            (
                json!({"log-level": "verbose"}),
                "20.10",
                &["unable to parse logging level: verbose"],
            ),
            (
                json!({"log-format": "xml"}),
                "26.1",
                &["invalid log format: xml"],
            ),
            (
                json!({"dns": ["nope"]}),
                "20.10",
                &["nope is not an ip address"],
            ),
            (
                json!({"dns-search": ["-bad-"]}),
                "26.1",
                &["-bad- is not a valid domain"],
            ),
            (
                json!({"dns-search": ["123"]}),
                "26.1",
                &["123 is not a valid domain"],
            ),
            (
                json!({"dns-search": ["example.com.", ":a.:b", "."]}),
                "26.1",
                &[],
            ),
            (
                json!({"labels": ["nokey"]}),
                "26.1",
                &["bad attribute format: nokey"],
            ),
            (
                json!({"labels": ["com.docker.x=1"]}),
                "26.1",
                &[
                    "label com.docker.x=1 is not allowed: the namespaces com.docker.*, io.docker.*, and org.dockerproject.* are reserved for internal use",
                ],
            ),
            (
                json!({"graph": "/x", "data-root": "/y"}),
                "20.10",
                &["cannot specify both \"graph\" and \"data-root\" config file options"],
            ),
            (
                json!({"graph": "/x"}),
                "23.0",
                &["the \"graph\" config file option is deprecated; use \"data-root\" instead"],
            ),
            (
                json!({"runtimes": {"runc": {"path": "/usr/bin/runc"}}}),
                "20.10",
                &["runtime name 'runc' is reserved"],
            ),
            (
                json!({"default-runtime": "foo"}),
                "20.10",
                &["specified default runtime 'foo' does not exist"],
            ),
            (
                json!({"default-runtime": "io.containerd.kata.v2"}),
                "23.0",
                &[],
            ),
            (
                json!({"default-ipc-mode": "weird"}),
                "20.10",
                &["default IPC mode setting (weird) is invalid; use \"shareable\" or \"private\""],
            ),
            (
                json!({"default-ipc-mode": "host"}),
                "26.1",
                &[
                    "IPC mode \"host\" is not supported as default value; use \"shareable\" or \"private\"",
                ],
            ),
            (
                json!({"default-cgroupns-mode": "x"}),
                "26.1",
                &["default cgroup namespace mode (x) is invalid; use \"host\" or \"private\""],
            ),
            (
                json!({"default-cgroupns-mode": "x"}),
                "28.0",
                &["invalid default cgroup namespace (x): use \"host\" or \"private\""],
            ),
            (
                json!({"hosts": ["ftp://x"]}),
                "26.1",
                &["invalid bind address (ftp://x): unsupported proto 'ftp'"],
            ),
            (
                json!({"cluster-store": "consul://x"}),
                "23.0",
                &[
                    "Host-discovery and overlay networks with external k/v stores are deprecated. The 'cluster-advertise', 'cluster-store', and 'cluster-store-opt' options have been removed",
                ],
            ),
            (
                json!({"oom-score-adjust": -500}),
                "25.0",
                &[
                    "DEPRECATED: The \"oom-score-adjust\" config parameter and the dockerd \"--oom-score-adjust\" options have been removed.",
                ],
            ),
            (
                json!({"api-cors-header": "*"}),
                "28.0",
                &[
                    "DEPRECATED: The \"api-cors-header\" config parameter and the dockerd \"--api-cors-header\" option have been removed; use a reverse proxy if you need CORS headers",
                ],
            ),
            (
                json!({"userland-proxy-path": "docker-proxy"}),
                "26.1",
                &["invalid userland-proxy-path: must be an absolute path: docker-proxy"],
            ),
            (
                json!({"userland-proxy": false, "userland-proxy-path": "rel"}),
                "26.1",
                &[],
            ),
            (
                json!({"fixed-cidr-v6": "10.0.0.0/8"}),
                "26.1",
                &["invalid fixed-cidr-v6: fixed-cidr-v6 is not an IPv6 subnet"],
            ),
            (
                json!({"fixed-cidr-v6": "nope"}),
                "26.1",
                &["invalid fixed-cidr-v6: invalid CIDR address: nope"],
            ),
            (
                json!({"features": {"windows-dns-proxy": true}}),
                "26.1",
                &["feature option 'windows-dns-proxy' is only available on Windows"],
            ),
            (
                json!({"exec-opts": ["foo"]}),
                "28.0",
                &["invalid exec-opt (foo): must be formatted 'opt=value'"],
            ),
            (
                json!({"exec-opts": ["isolation=hyperv"]}),
                "28.0",
                &[
                    "invalid exec-opt (isolation=hyperv): option 'isolation' is only supported on windows",
                ],
            ),
            (
                json!({"exec-opts": ["native.cgroupdriver=systemd"]}),
                "29.7",
                &[],
            ),
            (
                json!({"network-diagnostic-port": 70000}),
                "28.0",
                &["invalid network-diagnostic-port (70000): value must be between 0 and 65535"],
            ),
            (
                json!({"default-stop-timeout": -1}),
                "29.7",
                &["invalid default stop timeout: -1"],
            ),
            (
                json!({"firewall-backend": "pf"}),
                "29.0",
                &["invalid firewall-backend: allowed values are \"iptables\" and \"nftables\""],
            ),
            (
                json!({"bridge-accept-fwmark": "x"}),
                "29.0",
                &[
                    "invalid bridge-accept-fwmark: invalid firewall mark \"x\": strconv.ParseUint: parsing \"x\": invalid syntax",
                ],
            ),
            (json!({"bridge-accept-fwmark": "0x10/0xff"}), "29.0", &[]),
            (
                json!({"host-gateway-ip": "1.2.3.4", "host-gateway-ips": ["1.2.3.5"]}),
                "28.0",
                &[
                    "host-gateway-ip and host-gateway-ips must not both be specified in the config file",
                ],
            ),
            (
                json!({"host-gateway-ips": ["1.2.3.4", "1.2.3.5"]}),
                "28.0",
                &["only one IPv4 host gateway IP address can be specified"],
            ),
            (
                json!({"features": {"embedded-containerd": true}, "cri-containerd": true}),
                "29.7",
                &[
                    "conflicting options: cannot use the \"embedded-containerd\" feature and CRI support (--cri-containerd) at the same time",
                ],
            ),
            (
                json!({"insecure-registries": ["x"], "debug": true}),
                "29.7",
                &[],
            ),
        ];
        for (file, e, want) in cases {
            let got = dockerd_validate_errors(&obj(file.clone()), ev(e), LINUX);
            assert_eq!(got, *want, "{file} on {e}");
        }
        // Runtime checks moved to daemon start in 25.0: `dockerd --validate` passes them.
        let late = dockerd_checks(&obj(json!({"runtimes": {"x": {}}})), ev("26.1"), LINUX);
        assert_eq!(late.len(), 1);
        assert_eq!(late.first().map(|c| c.stage), Some(CheckStage::Start));
        assert_eq!(
            late.first().map(|c| c.message.as_str()),
            Some("runtime x: either a runtimeType or a path must be configured")
        );
    }

    #[test]
    fn suggestions() {
        let cases: &[(&str, Option<&str>)] = &[
            ("insecure-registires", Some("insecure-registries")),
            ("registry-mirror", Some("registry-mirrors")),
            ("debgu", Some("debug")),
            ("graph", Some("data-root")),
            ("storage_driver", Some("storage-driver")),
            ("log-opt", Some("log-opts")),
            ("insecure-registry", Some("insecure-registries")),
            ("Insecure-Registries", Some("insecure-registries")),
            ("registry-mirrros", Some("registry-mirrors")),
            ("regsitry-mirrors", Some("registry-mirrors")),
            ("http-proxy", Some("proxies")),
            ("labels", None),
            ("xyzzy-plugh", None),
            ("", None),
        ];
        for (name, want) in cases {
            assert_eq!(suggest(name), *want, "{name}");
        }
    }

    #[test]
    fn sizes_as_go_units_parses_them() {
        for (s, v05, v04) in [
            ("64m", Ok(64 << 20), Ok(64 << 20)),
            ("1GiB", Ok(1 << 30), Ok(1 << 30)),
            ("64 MB", Ok(64 << 20), Ok(64 << 20)),
            ("64mi", Err("invalid suffix: 'mi'"), Ok(64 << 20)),
            ("1e3", Ok(1000), Err("invalid size: '1e3'")),
            ("-1", Err("invalid size: '-1'"), Err("invalid size: '-1'")),
            (
                "64x",
                Err("invalid suffix: 'x'"),
                Err("invalid size: '64x'"),
            ),
        ] {
            assert_eq!(parse_ram_size(s), v05.map_err(str::to_string), "v0.5 {s}");
            assert_eq!(
                parse_ram_size_v04(s),
                v04.map_err(str::to_string),
                "v0.4 {s}"
            );
        }
    }

    #[test]
    fn no_panic_on_odd_input() {
        let odd = json!({
            "": {"": null}, "dns": [null, 1, "::1%"], "hosts": [""], "labels": [""],
            "default-shm-size": "\u{0}", "bridge-accept-fwmark": "/", "fixed-cidr-v6": "/",
            "dns-search": [":::", ".", "a..b", "\t"], "runtimes": {"": null},
            "host-gateway-ips": ["", "::ffff:1.2.3.4"], "exec-opts": ["=", "a="],
        });
        let file = obj(odd);
        for e in all_minors() {
            for p in [LINUX, WINDOWS] {
                let _ = dockerd_unknown_keys(&file, e, p);
                let _ = dockerd_checks(&file, e, p);
                for (k, val) in &file {
                    let _ = type_error(k, val, e, p);
                }
            }
        }
        for s in ["", "é", "ééééééééééééééééééé", "a-b_c d"] {
            let _ = suggest(s);
        }
    }
}
