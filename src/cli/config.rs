//! The settings file: `dirready.yaml` in the working directory, or `--config FILE`. It
//! holds what a run's flags can say that is not a secret (no password: those come from
//! the environment, a password file or a prompt), so a weekly audit or a pipeline commits
//! its settings once. Flags override the file; unknown keys are errors with
//! file:line:column.

use super::args::ScanArgs;
use super::CliError;
use crate::findings::Severity;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Found in the working directory when `--config` is not given.
pub const DEFAULT_NAME: &str = "dirready.yaml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default)]
    pub inputs: Vec<String>,
    #[serde(default)]
    pub outputs: Vec<PathBuf>,
    #[serde(default)]
    pub accepted_domains: Vec<String>,
    #[serde(default)]
    pub include_ous: Vec<String>,
    #[serde(default)]
    pub exclude_ous: Vec<String>,
    #[serde(default)]
    pub target: Option<crate::rules::Target>,
    #[serde(default)]
    pub tenant: Vec<String>,
    #[serde(default)]
    pub rules: Vec<PathBuf>,
    #[serde(default)]
    pub disable: Vec<String>,
    #[serde(default)]
    pub select: Vec<String>,
    #[serde(default)]
    pub ignore: Vec<String>,
    #[serde(default)]
    pub fail_on: Option<Severity>,
    #[serde(default)]
    pub exceptions: Option<PathBuf>,
    #[serde(default)]
    pub baseline: Option<PathBuf>,
    #[serde(default)]
    pub redact: bool,
    #[serde(default)]
    pub live: LiveSettings,
}

/// Live-source settings (never the password).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveSettings {
    #[serde(default)]
    pub base: Option<String>,
    #[serde(default)]
    pub filter: Option<String>,
    #[serde(default)]
    pub bind_dn: Option<String>,
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    #[serde(default)]
    pub starttls: bool,
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    #[serde(default)]
    pub page_size: Option<i32>,
    #[serde(default)]
    pub timeout: Option<u64>,
    #[serde(default)]
    pub keep_going: bool,
}

/// A settings file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: cannot read the settings file: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{at}: {message}")]
    Invalid { at: String, message: String },
}

/// Reads `path`, or `./dirready.yaml` when it exists and no path is given.
pub fn load(path: Option<&Path>) -> Result<Option<(PathBuf, Settings)>, ConfigError> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None if Path::new(DEFAULT_NAME).is_file() => PathBuf::from(DEFAULT_NAME),
        None => return Ok(None),
    };
    let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
        path: path.clone(),
        source,
    })?;
    let settings = parse(&path.display().to_string(), &text)?;
    Ok(Some((path, settings)))
}

pub fn parse(name: &str, text: &str) -> Result<Settings, ConfigError> {
    if text.trim().is_empty() {
        return Ok(Settings::default());
    }
    serde_yaml::from_str(text).map_err(|e| {
        let at = match e.location() {
            Some(l) => format!("{name}:{}:{}", l.line(), l.column()),
            None => name.to_string(),
        };
        let msg = e.to_string();
        let message = match msg.rfind(" at line ") {
            Some(i) => msg[..i].to_string(),
            None => msg,
        };
        ConfigError::Invalid { at, message }
    })
}

/// Fills what the flags left unsaid from the settings file: flags win.
pub fn apply(s: Settings, a: &mut ScanArgs) {
    fn fill<T>(flag: &mut Vec<T>, file: Vec<T>) {
        if flag.is_empty() {
            *flag = file;
        }
    }
    fill(&mut a.inputs, s.inputs);
    fill(&mut a.output.outputs, s.outputs);
    fill(&mut a.accepted_domains, s.accepted_domains);
    fill(&mut a.include_ous, s.include_ous);
    fill(&mut a.exclude_ous, s.exclude_ous);
    a.target = a.target.or(s.target);
    fill(&mut a.tenant, s.tenant);
    fill(&mut a.rules, s.rules);
    fill(&mut a.disable, s.disable);
    fill(&mut a.gate.select, s.select);
    fill(&mut a.gate.ignore, s.ignore);
    a.gate.fail_on = a.gate.fail_on.or(s.fail_on);
    a.exceptions = a.exceptions.take().or(s.exceptions);
    a.baseline = a.baseline.take().or(s.baseline);
    a.output.redact |= s.redact;
    let l = &mut a.live;
    l.base = l.base.take().or(s.live.base);
    l.filter = l.filter.take().or(s.live.filter);
    l.bind_dn = l.bind_dn.take().or(s.live.bind_dn);
    l.password_file = l.password_file.take().or(s.live.password_file);
    l.starttls |= s.live.starttls;
    l.ca_file = l.ca_file.take().or(s.live.ca_file);
    l.page_size = l.page_size.or(s.live.page_size);
    l.timeout = l.timeout.or(s.live.timeout);
    l.keep_going |= s.live.keep_going;
}

/// `dirready config init`: a commented example settings file.
pub const EXAMPLE: &str = r#"# dirready settings: what a run's flags can say, except secrets (the bind password
# comes from DIRREADY_BIND_PASSWORD, --password-file or a prompt). Flags override this
# file. Found as ./dirready.yaml, or given with --config FILE. Unknown keys are errors.

# LDIF exports (.gz works) and live directories (ldaps://...), scanned as one tenant.
inputs:
  - export.ldif
# Reports to write; the format comes from the extension.
outputs:
  - report.html
  - report.json
# The tenant's verified domains (onmicrosoft.com is always accepted).
accepted_domains:
  - contoso.com
# Sync scope: only objects at or under these DNs; exclusion wins.
include_ous: []
exclude_ous: []
# The sync engine to prepare for: connect-sync (Entra Connect Sync) or cloud-sync.
target: connect-sync
# Tenant snapshots (Get-MgUser ... | ConvertTo-Json) to predict the first sync against;
# user=FILE, group=FILE, contact=FILE when the file has no @odata.type.
tenant: []
# Your own rule files or folders, and built-in rules to turn off.
rules: []
disable: []
# Display filter and what fails the run (error, warning, info).
select: []
ignore: []
fail_on: error
# Accepted findings and a baseline of known ones.
# exceptions: exceptions.yaml
# baseline: baseline.json
# Pseudonyms instead of names in every report (key: DIRREADY_REDACT_KEY).
# redact: true
# Live sources.
live:
  # base: DC=contoso,DC=com
  # bind_dn: CN=reader,OU=Service,DC=contoso,DC=com
  # password_file: /run/secrets/dirready
  # ca_file: corp-ca.pem
  starttls: false
  keep_going: false
"#;

/// Writes [`EXAMPLE`] to `path`, never over an existing file.
pub fn init(path: &Path) -> Result<(), CliError> {
    if path.exists() {
        return Err(CliError::Usage(format!(
            "{} exists: not overwritten",
            path.display()
        )));
    }
    std::fs::write(path, EXAMPLE).map_err(|source| CliError::Write {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_parses_and_unknown_keys_name_their_place() {
        let s = parse("dirready.yaml", EXAMPLE).unwrap();
        assert_eq!(s.accepted_domains, ["contoso.com"]);
        assert_eq!(s.fail_on, Some(Severity::Error));
        let e = parse(
            "d.yaml",
            "accepted_domains: [a.com]\nlive:\n  password: hunter2\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("d.yaml:3:3:"), "{e}");
        assert!(e.contains("password"), "{e}");
        let e = parse("d.yaml", "fail_on: loud\n").unwrap_err().to_string();
        assert!(e.starts_with("d.yaml:1:"), "{e}");
    }
}
