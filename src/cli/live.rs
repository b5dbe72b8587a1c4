//! Live-source flags: options, the bind password (never from a flag), snapshot names.

use super::args::ScanArgs;
use crate::rules::RuleSet;
use crate::source::ldap::{self, LiveConfigError};
use std::io::IsTerminal;
use std::path::PathBuf;

/// The live-source options: flags, the password, and the attributes the rules read.
pub fn live_options(args: &ScanArgs, set: &RuleSet) -> Result<ldap::LiveOptions, LiveConfigError> {
    let l = &args.live;
    let page_size = l.page_size.unwrap_or(500);
    let timeout = l.timeout.unwrap_or(60);
    if !(1..=ldap::MAX_PAGE_SIZE).contains(&page_size) {
        return Err(LiveConfigError::PageSize);
    }
    if timeout == 0 {
        return Err(LiveConfigError::Timeout);
    }
    let password = match &l.bind_dn {
        Some(dn) => Some(read_password(dn, l.password_file.as_deref(), &args.inputs)?),
        None => None,
    };
    if l.insecure_skip_verify && !args.quiet {
        eprintln!("dirready: warning: --insecure-skip-verify: the server's TLS certificate is not verified");
    }
    Ok(ldap::LiveOptions {
        base: l.base.clone(),
        filter: l
            .filter
            .clone()
            .unwrap_or_else(|| "(objectClass=*)".to_string()),
        bind_dn: l.bind_dn.clone(),
        password,
        starttls: l.starttls,
        ca_file: l.ca_file.clone(),
        insecure_skip_verify: l.insecure_skip_verify,
        allow_plaintext_bind: l.allow_plaintext_bind,
        page_size,
        timeout: std::time::Duration::from_secs(timeout),
        attributes: set.read_attributes(),
    })
}

/// The bind password: --password-file, else DIRREADY_BIND_PASSWORD, else a prompt when
/// stdin is a terminal (and not an input).
fn read_password(
    dn: &str,
    file: Option<&std::path::Path>,
    inputs: &[String],
) -> Result<ldap::Secret, LiveConfigError> {
    let pw = if let Some(f) = file {
        let text = std::fs::read_to_string(f).map_err(|source| LiveConfigError::PasswordFile {
            path: f.to_path_buf(),
            source,
        })?;
        text.lines().next().unwrap_or("").to_string()
    } else if let Some(p) = std::env::var_os("DIRREADY_BIND_PASSWORD") {
        p.into_string()
            .map_err(|_| LiveConfigError::PasswordNotUtf8)?
    } else if std::io::stdin().is_terminal() && !inputs.iter().any(|i| i == "-") {
        rpassword::prompt_password(format!("Password for {dn}: "))
            .map_err(LiveConfigError::Prompt)?
    } else {
        return Err(LiveConfigError::NoPassword(dn.to_string()));
    };
    if pw.is_empty() {
        return Err(LiveConfigError::EmptyPassword(dn.to_string()));
    }
    Ok(ldap::Secret::new(pw))
}

/// `seen.ldif` for one live source; `seen-1.ldif`, `seen-2.ldif`, ... for several.
pub fn snapshot_path(p: &std::path::Path, n: usize, of: usize) -> PathBuf {
    if of <= 1 {
        return p.to_path_buf();
    }
    let stem = p
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match p.extension() {
        Some(ext) => format!("{stem}-{n}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{n}"),
    };
    p.with_file_name(name)
}
