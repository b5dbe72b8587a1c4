//! Escaping, one place for every renderer: directory values are hostile input. Each
//! output format has its function here, and renderers call nothing else to put a value
//! into their output.
//!
//! - HTML: minijinja's autoescaping, plus [`visible`] for invisible and deceptive
//!   characters and [`safe_url`] for links;
//! - Markdown: [`md_escape`] (reports), [`md_cell`] (GitHub step summary: no links at all);
//! - XML (JUnit): [`xml`];
//! - CSV: [`csv_cell`] against formula injection (the csv crate quotes);
//! - terminal and stderr: [`terminal`] against escape sequences;
//! - JSON, JSONL and SARIF: serde_json's string escaping.

use std::fmt::Write;

/// Makes invisible and deceptive characters visible: control characters become their
/// Unicode control pictures (`␉`, `␊`), and unusual spaces, zero-width characters, bidi
/// controls and soft hyphens become `⟨U+XXXX⟩`. Ordinary spaces stay as they are.
pub fn visible(s: &str) -> String {
    // Printable ASCII (most values) has nothing to show differently.
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let u = c as u32;
        match u {
            0x00..=0x1F => out.push(char::from_u32(0x2400 + u).unwrap_or('?')),
            0x7F => out.push('\u{2421}'),
            0x80..=0x9F
            | 0xA0
            | 0xAD
            | 0x061C
            | 0x1680
            | 0x180E
            | 0x2000..=0x200F
            | 0x2028..=0x202F
            | 0x205F..=0x206F
            | 0x3000
            | 0xFEFF
            | 0xFFF9..=0xFFFB => {
                out.push_str(&format!("\u{27E8}U+{u:04X}\u{27E9}"));
            }
            _ => out.push(c),
        }
    }
    out
}

/// Escapes text for a Markdown table cell or heading: backslash escapes for Markdown
/// punctuation (`` \ ` * _ [ ] | ~ ``), entities for `< > &`, and line breaks as `<br>`,
/// so that a value can neither break the table nor inject links, emphasis or HTML.
/// Control and invisible characters are made visible first (see [`visible`]), except
/// line breaks.
pub fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let normalised = s.replace("\r\n", "\n");
    for (i, line) in normalised.split('\n').enumerate() {
        if i > 0 {
            out.push_str("<br>");
        }
        for c in visible(line).chars() {
            match c {
                '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' => {
                    out.push('\\');
                    out.push(c);
                }
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '&' => out.push_str("&amp;"),
                _ => out.push(c),
            }
        }
    }
    // Bare URLs are autolinked by GitHub-flavoured Markdown: break the scheme separator,
    // so a directory value never becomes a clickable link in a wiki.
    out.replace("://", ":&#47;&#47;")
}

/// A documentation link safe to put in an `href` and a Markdown link: http(s) only, with
/// whitespace, quotes, angle brackets, parentheses and non-ASCII percent-encoded.
pub fn safe_url(url: &str) -> Option<String> {
    let url = url.trim();
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return None;
    }
    let mut out = String::with_capacity(url.len());
    for b in url.bytes() {
        if b.is_ascii_graphic() && !b"\"'<>()\\^`{|}[]*_".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Some(out)
}

/// Escapes text for XML content and attribute values.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Neutralises spreadsheet formula injection.
pub fn csv_cell(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

/// Makes a directory value safe to print: control characters (which could move the
/// cursor or recolour the terminal) are shown as escapes.
pub fn terminal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// Escapes text for a Markdown table cell without allowing links, HTML or line breaks.
pub fn md_cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '#' | '|' | '!' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    // Bare URLs are autolinked by GitHub: break the scheme separator.
    out.replace("://", ":&#47;&#47;")
}
