//! Fix and undo scripts for the ActiveDirectory PowerShell module.
//!
//! One `Set-ADObject` per object (`-Identity` is the objectGUID when the source had it,
//! else the DN), with `-Remove`/`-Add` for the changed values of multi-valued attributes
//! and `-Replace` for single-valued ones (Set-ADObject applies Remove, then Add, then
//! Replace). The script is a dry run (`-WhatIf`) unless it is started with `-Apply`.
//! Values are single-quoted with `'` doubled; a value with control characters, quote-like
//! characters or anything outside printable ASCII is written as base64 and decoded by the
//! script, so no directory value can end a string or start a command.

use super::ldif::{header, Direction};
use super::plan::{Edit, ObjectEdits, Plan};
use crate::findings::Report;
use base64::Engine as _;
use std::fmt::Write;

/// A PowerShell expression for `s`: a single-quoted literal, or a base64 decode.
pub fn quote(s: &str) -> String {
    let plain = s.chars().all(|c| c == ' ' || c.is_ascii_graphic());
    if plain {
        format!("'{}'", s.replace('\'', "''"))
    } else {
        format!(
            "(Decode '{}')",
            base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
        )
    }
}

/// PowerShell passes strings: an edit of bytes that are not UTF-8 is left to the LDIF file.
fn representable(e: &Edit) -> bool {
    std::str::from_utf8(&e.old).is_ok() && std::str::from_utf8(&e.new).is_ok()
}

/// A value's expression: text when it is UTF-8 (AD stores strings as text).
fn value(bytes: &[u8]) -> String {
    quote(&String::from_utf8_lossy(bytes))
}

/// objectGUID (base64 of its 16 bytes, as LDAP returns it) in .NET's text form, which is
/// what `-Identity` takes: the first three fields are little-endian.
pub fn guid_text(b64: &str) -> Option<String> {
    let b = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    if b.len() != 16 {
        return None;
    }
    let mut s = String::new();
    for i in [3, 2, 1, 0] {
        let _ = write!(s, "{:02x}", b[i]);
    }
    s.push('-');
    for i in [5, 4] {
        let _ = write!(s, "{:02x}", b[i]);
    }
    s.push('-');
    for i in [7, 6] {
        let _ = write!(s, "{:02x}", b[i]);
    }
    s.push('-');
    for x in &b[8..10] {
        let _ = write!(s, "{x:02x}");
    }
    s.push('-');
    for x in &b[10..16] {
        let _ = write!(s, "{x:02x}");
    }
    Some(s)
}

/// `@{ 'attr' = @(v1, v2); ... }` for the given (attribute, values) pairs.
fn table(pairs: &[(String, Vec<String>)]) -> String {
    let items: Vec<String> = pairs
        .iter()
        .map(|(a, vs)| format!("{} = @({})", quote(a), vs.join(", ")))
        .collect();
    format!("@{{ {} }}", items.join("; "))
}

/// Adds `v` to the values of `attr` in `pairs`.
fn push(pairs: &mut Vec<(String, Vec<String>)>, attr: &str, v: String) {
    match pairs.iter_mut().find(|(a, _)| a.eq_ignore_ascii_case(attr)) {
        Some((_, vs)) => vs.push(v),
        None => pairs.push((attr.to_string(), vec![v])),
    }
}

fn command(obj: &ObjectEdits, direction: Direction) -> String {
    let mut remove = Vec::new();
    let mut add = Vec::new();
    let mut replace = Vec::new();
    let mut clear: Vec<String> = Vec::new();
    let edits: Vec<&Edit> = match direction {
        Direction::Fix => obj.edits.iter().collect(),
        Direction::Undo => obj.edits.iter().rev().collect(),
    };
    for e in edits.into_iter().filter(|e| representable(e)) {
        let (from, to) = match direction {
            Direction::Fix => (&e.old, &e.new),
            Direction::Undo => (&e.new, &e.old),
        };
        if e.old.is_empty() {
            // The attribute was absent: added by the fix, cleared by the undo.
            match direction {
                Direction::Fix => push(&mut add, &e.attribute, value(to)),
                Direction::Undo => clear.push(quote(&e.attribute)),
            }
        } else if e.multi_valued {
            push(&mut remove, &e.attribute, value(from));
            push(&mut add, &e.attribute, value(to));
        } else {
            push(&mut replace, &e.attribute, value(to));
        }
    }
    let identity = obj
        .object_guid
        .as_deref()
        .and_then(guid_text)
        .map(|g| format!("'{g}'"))
        .unwrap_or_else(|| quote(&obj.dn));
    let mut cmd = format!("Set-ADObject -Identity {identity}");
    for (flag, pairs) in [("Remove", &remove), ("Add", &add), ("Replace", &replace)] {
        if !pairs.is_empty() {
            let _ = write!(cmd, " -{flag} {}", table(pairs));
        }
    }
    if !clear.is_empty() {
        let _ = write!(cmd, " -Clear {}", clear.join(", "));
    }
    cmd.push_str(" -WhatIf:$WhatIf");
    cmd
}

/// The fix (or undo) script of a plan.
pub fn script(report: &Report, plan: &Plan, direction: Direction, generated: &str) -> String {
    let mut out = String::new();
    for line in header(report, plan, direction, generated).lines() {
        // PowerShell also ends a line at a lone CR: no control character in a comment.
        let _ = writeln!(out, "# {}", line.escape_debug());
    }
    out.push_str(
        "#\n# A dry run (-WhatIf) unless started with -Apply:  .\\fixes.ps1 -Apply\n\
         #Requires -Modules ActiveDirectory\n\
         [CmdletBinding()]\n\
         param([switch]$Apply)\n\
         $ErrorActionPreference = 'Stop'\n\
         $WhatIf = -not $Apply\n\
         function Decode([string]$Base64) {\n    \
         [System.Text.Encoding]::UTF8.GetString([System.Convert]::FromBase64String($Base64))\n\
         }\n\n",
    );
    let objects: Vec<&ObjectEdits> = match direction {
        Direction::Fix => plan.objects.iter().collect(),
        Direction::Undo => plan.objects.iter().rev().collect(),
    };
    for obj in objects {
        // The DN in a comment, made safe: a line break in it cannot end the comment.
        let _ = writeln!(out, "# {}", obj.dn.escape_debug());
        for e in obj.edits.iter().filter(|e| !representable(e)) {
            let _ = writeln!(
                out,
                "# not changed by this script ({} is not UTF-8): use the LDIF fix file",
                e.attribute
            );
        }
        if obj.edits.iter().any(representable) {
            let _ = writeln!(out, "{}", command(obj, direction));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixes::plan::{plan, tests as p};

    #[test]
    fn quoting_doubles_quotes_and_encodes_the_rest() {
        assert_eq!(quote("o'brien@x.com"), "'o''brien@x.com'");
        assert_eq!(quote("plain value"), "'plain value'");
        for hostile in [
            "a\nb",
            "x'; Remove-ADUser -Identity y; '",
            "‘smart’",
            "jürgen",
            "$(calc)",
            "a`b",
        ] {
            let q = quote(hostile);
            let inner = q.strip_prefix('\'').and_then(|x| x.strip_suffix('\''));
            match inner {
                // A literal: every quote doubled, nothing else special inside '...'.
                Some(inner) => assert!(!inner.replace("''", "").contains('\''), "{q}"),
                None => {
                    assert!(q.starts_with("(Decode '") && q.ends_with("')"), "{q}");
                    let b64 = &q[9..q.len() - 2];
                    let back = base64::engine::general_purpose::STANDARD
                        .decode(b64)
                        .unwrap();
                    assert_eq!(back, hostile.as_bytes());
                }
            }
        }
        // `$(...)` and backticks are inert in single quotes.
        assert_eq!(quote("$(calc)"), "'$(calc)'");
    }

    #[test]
    fn guid_text_is_dotnet_order() {
        // 00112233-4455-6677-8899-aabbccddeeff as AD stores it.
        let raw: [u8; 16] = [
            0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
            0xee, 0xff,
        ];
        let b64 = base64::engine::general_purpose::STANDARD.encode(raw);
        assert_eq!(
            guid_text(&b64).unwrap(),
            "00112233-4455-6677-8899-aabbccddeeff"
        );
        assert_eq!(guid_text("AAAA"), None);
    }

    #[test]
    fn one_command_per_object_and_an_inverse_undo() {
        let r = p::report(vec![
            p::finding(
                "r1",
                "CN=A,DC=x",
                "userPrincipalName",
                "a b@x.com",
                Some("ab@x.com"),
            ),
            p::finding(
                "r2",
                "CN=A,DC=x",
                "proxyAddresses",
                "smtp:a b@x.com",
                Some("smtp:ab@x.com"),
            ),
        ]);
        let pl = plan(&r);
        let fix = script(&r, &pl, Direction::Fix, "now");
        assert!(fix.contains(
            "Set-ADObject -Identity 'CN=A,DC=x' -Remove @{ 'proxyAddresses' = @('smtp:a b@x.com') } -Add @{ 'proxyAddresses' = @('smtp:ab@x.com') } -Replace @{ 'userPrincipalName' = @('ab@x.com') } -WhatIf:$WhatIf"
        ), "{fix}");
        assert!(fix.contains("param([switch]$Apply)") && fix.contains("$WhatIf = -not $Apply"));
        let undo = script(&r, &pl, Direction::Undo, "now");
        assert!(undo.contains(
            "Set-ADObject -Identity 'CN=A,DC=x' -Remove @{ 'proxyAddresses' = @('smtp:ab@x.com') } -Add @{ 'proxyAddresses' = @('smtp:a b@x.com') } -Replace @{ 'userPrincipalName' = @('a b@x.com') } -WhatIf:$WhatIf"
        ), "{undo}");
    }
}
