//! `Detected` for people and for programs: the lines `dockcfg status` prints and its `--json`.

use serde_json::{Value, json};

use crate::host::{
    CommandSpec, DaemonFlag, Detected, FlagOrigin, FlagSource, InstallType, LogSource, Reload,
};

impl FlagOrigin {
    /// A stable short name for JSON: `opts-file`, `unit-exec-start`, `drop-in`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            FlagOrigin::OptsFile => "opts-file",
            FlagOrigin::UnitExecStart => "unit-exec-start",
            FlagOrigin::DropIn => "drop-in",
            FlagOrigin::RunningCmdline => "running-cmdline",
            FlagOrigin::ServiceArgs => "service-args",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            FlagOrigin::OptsFile => "options file",
            FlagOrigin::UnitExecStart => "unit ExecStart",
            FlagOrigin::DropIn => "drop-in ExecStart",
            FlagOrigin::RunningCmdline => "running dockerd",
            FlagOrigin::ServiceArgs => "service arguments",
        }
    }
}

impl LogSource {
    /// The command that shows the last `lines` lines (`journalctl -u docker -n 50 --no-pager`),
    /// or `None` for a file (read it) or an unknown place.
    pub fn command(&self, lines: usize) -> Option<CommandSpec> {
        match self {
            LogSource::Journal { unit, user } => {
                let mut argv = vec!["journalctl".to_string()];
                if *user {
                    argv.push("--user".into());
                }
                argv.extend([
                    "-u".into(),
                    unit.clone(),
                    "-n".into(),
                    lines.to_string(),
                    "--no-pager".into(),
                ]);
                Some(CommandSpec { argv })
            }
            LogSource::File(_) | LogSource::Unknown => None,
        }
    }

    fn describe(&self) -> String {
        match self {
            LogSource::Journal { unit, user: false } => format!("journalctl -u {unit}"),
            LogSource::Journal { unit, user: true } => format!("journalctl --user -u {unit}"),
            LogSource::File(p) => p.display().to_string(),
            LogSource::Unknown => "unknown".into(),
        }
    }
}

impl Reload {
    fn describe(&self) -> String {
        match self {
            Reload::Command(c) => c.line(),
            Reload::Signal { pid } => format!("SIGHUP to pid {pid}"),
            Reload::WindowsEvent { pid } => {
                format!("set the event Global\\docker-daemon-config-{pid}")
            }
            Reload::Unsupported => "not possible: a restart is needed".into(),
        }
    }

    fn to_json(&self) -> Value {
        match self {
            Reload::Command(c) => json!({"kind": "command", "command": c.argv}),
            Reload::Signal { pid } => json!({"kind": "signal", "signal": "SIGHUP", "pid": pid}),
            Reload::WindowsEvent { pid } => json!({
                "kind": "windows-event",
                "pid": pid,
                "event": format!("Global\\docker-daemon-config-{pid}"),
            }),
            Reload::Unsupported => json!({"kind": "unsupported"}),
        }
    }
}

fn flag_text(f: &DaemonFlag) -> String {
    match &f.value {
        Some(v) => format!("--{}={v}", f.name),
        None => format!("--{}", f.name),
    }
}

fn source_json(s: &FlagSource) -> Value {
    json!({
        "origin": s.origin.as_str(),
        "path": s.path.display().to_string(),
        "flags": s.flags.iter().map(|f| json!({"name": f.name, "value": f.value})).collect::<Vec<_>>(),
    })
}

impl Detected {
    /// Everything detected, for `dockcfg status --json`. Paths are as the system names them.
    pub fn to_json(&self) -> Value {
        let logs = match &self.service.logs {
            LogSource::Journal { unit, user } => json!({
                "kind": "journal",
                "unit": unit,
                "user": user,
                "command": self.service.logs.command(50).map(|c| c.argv),
            }),
            LogSource::File(p) => json!({"kind": "file", "path": p.display().to_string()}),
            LogSource::Unknown => json!({"kind": "unknown"}),
        };
        json!({
            "os": self.os.as_str(),
            "install": self.install.as_str(),
            "install_description": self.install.describe(),
            "daemon": self.daemon.as_ref().map(|d| json!({
                "pid": d.pid,
                "argv": d.argv,
                "config_file": d.config_file.as_ref().map(|p| p.display().to_string()),
                "pidfile": d.pidfile.as_ref().map(|p| p.display().to_string()),
                "hosts": d.hosts,
            })),
            "config_file": self.config_file.display().to_string(),
            "config_reason": self.config_reason,
            "flag_sources": self.flag_sources.iter().map(source_json).collect::<Vec<_>>(),
            "service": {
                "reload": self.service.reload.to_json(),
                "restart": self.service.restart.as_ref().map(|c| c.argv.clone()),
                "reset": self.service.reset.as_ref().map(|c| c.argv.clone()),
                "logs": logs,
                "manual_steps": self.service.manual_steps,
                "pidfile": self.service.pidfile.as_ref().map(|p| p.display().to_string()),
            },
            "engine_host": self.engine_host,
            "version": self.version.map(|v| v.to_string()),
            "evidence": self.evidence,
        })
    }

    /// What was detected, one fact a line, for `dockcfg status`.
    pub fn describe(&self) -> Vec<String> {
        let mut out = vec![format!("install: {}", self.install.describe())];
        match &self.daemon {
            Some(d) => out.push(format!(
                "engine: dockerd pid {}: {}",
                d.pid,
                CommandSpec::new(d.argv.iter().map(String::as_str)).line()
            )),
            None => out.push("engine: no dockerd process seen".into()),
        }
        if let Some(v) = self.version {
            out.push(format!("version: {v}"));
        }
        out.push(format!(
            "config file: {} ({})",
            self.config_file.display(),
            self.config_reason
        ));
        for s in &self.flag_sources {
            let flags: Vec<String> = s.flags.iter().map(flag_text).collect();
            out.push(format!(
                "flags from {} ({}): {}",
                s.path.display(),
                s.origin.describe(),
                if flags.is_empty() {
                    "none".to_string()
                } else {
                    flags.join(" ")
                }
            ));
        }
        let desktop = matches!(
            self.install,
            InstallType::DesktopMac | InstallType::DesktopWindows | InstallType::WslDesktop
        );
        let reload = match (&self.service.reload, &self.daemon) {
            (Reload::Unsupported, None) if !desktop => "no running dockerd to reload".to_string(),
            (r, _) => r.describe(),
        };
        out.push(format!("reload: {reload}"));
        out.push(format!(
            "restart: {}",
            self.service
                .restart
                .as_ref()
                .map_or_else(|| "not by dockcfg".to_string(), CommandSpec::line)
        ));
        if let Some(r) = &self.service.reset {
            out.push(format!("after a failed start: {}", r.line()));
        }
        out.push(format!("logs: {}", self.service.logs.describe()));
        if let Some(m) = &self.service.manual_steps {
            out.push(format!("by hand: {m}"));
        }
        out.push(format!("engine API: {}", self.engine_host));
        out.extend(self.evidence.iter().map(|e| format!("seen: {e}")));
        out
    }
}
