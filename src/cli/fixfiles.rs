//! Writing the fix files a command asked for (`--fix-ldif`, its undo, ...).

use super::args::FixArgs;
use super::CliError;
use crate::findings::Report;
use crate::fixes::ldif::{self, Direction};
use crate::fixes::plan::Plan;
use std::path::{Path, PathBuf};

/// One line on stderr for an edit left out of the fix files, values made safe to print.
pub fn print_refusal(what: &str, r: &crate::fixes::plan::Refusal) {
    let t = crate::report::escape::terminal;
    eprintln!(
        "dirready: {what}: {} {} {:?}: {}",
        t(&r.dn),
        t(&r.attribute),
        r.value,
        t(&r.reason)
    );
}

/// `fixes.ldif` → `fixes.undo.ldif` (the undo file beside the fix file).
pub fn undo_path_for(fix: &Path, ext: &str) -> PathBuf {
    let stem = fix
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "fixes".into());
    fix.with_file_name(format!("{stem}.undo.{ext}"))
}

/// Writes every fix file of `args` for the plan; returns the paths written. All files are
/// rendered first, every path must be distinct, undo files are written before their fix
/// file, and each file appears whole (written beside, then renamed): a fix file never
/// exists without its undo.
pub fn write(
    report: &Report,
    plan: &Plan,
    args: &FixArgs,
    quiet: bool,
) -> Result<Vec<PathBuf>, CliError> {
    let generated = jiff::Timestamp::now().to_string();
    // (path, bytes), undo files first.
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    let render_ldif = |path: &PathBuf, direction: Direction| -> Result<Vec<u8>, CliError> {
        let mut out = Vec::new();
        ldif::write(&mut out, report, plan, direction, &generated).map_err(|source| {
            CliError::Write {
                path: path.clone(),
                source,
            }
        })?;
        Ok(out)
    };
    if let Some(fix) = &args.fix_ldif {
        let undo = args
            .undo_ldif
            .clone()
            .unwrap_or_else(|| undo_path_for(fix, "ldif"));
        files.push((undo.clone(), render_ldif(&undo, Direction::Undo)?));
        files.push((fix.clone(), render_ldif(fix, Direction::Fix)?));
    }
    if let Some(ps1) = &args.fix_ps1 {
        let undo = undo_path_for(ps1, "ps1");
        for (path, direction) in [(&undo, Direction::Undo), (ps1, Direction::Fix)] {
            let text = crate::fixes::powershell::script(report, plan, direction, &generated);
            files.push((path.clone(), text.into_bytes()));
        }
    }
    if let Some(csv_path) = &args.decisions_csv {
        let bytes = crate::fixes::decisions::write(plan).map_err(|e| CliError::Write {
            path: csv_path.clone(),
            source: std::io::Error::other(e),
        })?;
        files.push((csv_path.clone(), bytes));
    }
    // Two outputs on one path would leave only the last (a fix file without its undo).
    let key = |p: &Path| {
        let dir = p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .and_then(|d| d.canonicalize().ok())
            .unwrap_or_else(|| PathBuf::from("."));
        dir.join(p.file_name().unwrap_or_default())
    };
    for (i, (a, _)) in files.iter().enumerate() {
        if files[..i].iter().any(|(b, _)| key(a) == key(b)) {
            return Err(CliError::Usage(format!(
                "{}: two fix files would be written to this path",
                a.display()
            )));
        }
    }
    let mut written = Vec::new();
    for (path, bytes) in &files {
        let tmp = path.with_file_name(format!(
            ".{}.dirready-tmp",
            path.file_name().unwrap_or_default().to_string_lossy()
        ));
        std::fs::write(&tmp, bytes)
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|source| {
                let _ = std::fs::remove_file(&tmp);
                CliError::Write {
                    path: path.clone(),
                    source,
                }
            })?;
        written.push(path.clone());
    }
    if !quiet && !written.is_empty() {
        let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "dirready: {} edits on {} objects, {} items need a decision; wrote {}",
            plan.edit_count(),
            plan.objects.len(),
            plan.decisions.len(),
            crate::report::escape::terminal(&names.join(", "))
        );
    }
    Ok(written)
}
