//! Structural checks of addresses: userPrincipalName, SMTP addresses and their domains.
//!
//! Each check reports only its own kind of problem. Characters that a `character` rule
//! already covers are skipped here, so one defect yields one category (see the spec:
//! "whitespace, ... are `character`; other violations are `format`").

/// Splits `local@domain` at the last `@`. `None` when there is no `@`.
#[inline]
pub fn split_at_last_at(value: &str) -> Option<(&str, &str)> {
    let at = memchr::memrchr(b'@', value.as_bytes())?;
    Some((&value[..at], &value[at + 1..]))
}

/// The domain part of an address (after the last `@`), or `None` without `@`.
#[inline]
pub fn domain_of(value: &str) -> Option<&str> {
    split_at_last_at(value).map(|(_, d)| d)
}

/// The common case, decided in one pass: `local@domain` in plain ASCII that no format
/// rule (UPN or SMTP) can object to — a local part of 1–64 letters, digits, `.`, `_`,
/// `-` without leading, trailing or doubled dots, and a domain of at least two labels
/// of letters, digits and inner hyphens, each at most 63 long. Anything else takes
/// the full checks.
pub fn is_plain_address(v: &str) -> bool {
    let b = v.as_bytes();
    let Some(at) = memchr::memchr(b'@', b) else {
        return false;
    };
    let (local, domain) = (&b[..at], &b[at + 1..]);
    if local.is_empty() || local.len() > 64 || local[0] == b'.' || local[local.len() - 1] == b'.' {
        return false;
    }
    // One pass: allowed characters, no two dots in a row.
    let mut dot = false;
    for &c in local {
        if !PLAIN_LOCAL[usize::from(c)] || (dot && c == b'.') {
            return false;
        }
        dot = c == b'.';
    }
    let label_ok = |label: &[u8]| {
        !label.is_empty() && label.len() <= 63 && label[0] != b'-' && label[label.len() - 1] != b'-'
    };
    let mut labels = 0;
    let mut start = 0;
    // Labels end at each dot and at the end of the domain.
    for (i, &c) in domain.iter().enumerate() {
        if c == b'.' {
            if !label_ok(&domain[start..i]) {
                return false;
            }
            labels += 1;
            start = i + 1;
        } else if !DNS_CHAR[usize::from(c)] {
            return false;
        }
    }
    label_ok(&domain[start..]) && labels >= 1
}

/// Letters, digits, `.`, `_`, `-`: local-part characters every address rule accepts.
static PLAIN_LOCAL: [bool; 256] = byte_table(b"._-");
/// Letters, digits and `-`: DNS label characters.
static DNS_CHAR: [bool; 256] = byte_table(b"-");

const fn byte_table(extra: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut c: u8 = 0;
    loop {
        t[c as usize] = c.is_ascii_alphanumeric();
        if c == u8::MAX {
            break;
        }
        c += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        t[extra[i] as usize] = true;
        i += 1;
    }
    t
}

/// Characters every address check leaves to the `character` rules: whitespace, control
/// characters and anything outside ASCII.
#[inline]
fn is_character_class(c: char) -> bool {
    c.is_whitespace() || c.is_control() || !c.is_ascii()
}

/// Problems of a DNS name's syntax: empty labels (leading, trailing or doubled dots),
/// labels starting or ending with `-`, labels over 63 characters, characters other than
/// letters, digits and `-` (except those in `skip`, which another rule reports).
pub fn dns_name_problem(domain: &str, skip: &dyn Fn(char) -> bool) -> Option<String> {
    if domain.is_empty() {
        return Some("the domain part is empty".into());
    }
    for label in domain.split('.') {
        if label.is_empty() {
            return Some(format!(
                "the domain `{domain}` has an empty label (a leading, trailing or doubled dot)"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Some(format!(
                "the domain label `{label}` starts or ends with `-`"
            ));
        }
        if label.chars().count() > 63 {
            return Some(format!(
                "the domain label `{label}` is longer than 63 characters"
            ));
        }
        if let Some(c) = label
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || c == '-' || skip(c)))
        {
            return Some(format!(
                "the domain contains `{c}`, which is not valid in a DNS name"
            ));
        }
    }
    if !domain.contains('.') && is_public_tld(domain) {
        return Some(format!("the domain `{domain}` is only a top-level domain"));
    }
    None
}

/// True when `label` is a top-level domain of the public internet (Public Suffix List,
/// ICANN section).
pub fn is_public_tld(label: &str) -> bool {
    // A directory uses a handful of TLDs: remember the answers per thread.
    thread_local! {
        static SEEN: std::cell::RefCell<Vec<(String, bool)>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    SEEN.with(|seen| {
        let mut seen = seen.borrow_mut();
        if let Some((_, known)) = seen.iter().find(|(t, _)| t.eq_ignore_ascii_case(label)) {
            return *known;
        }
        let known = lookup_public_tld(label);
        if seen.len() < 64 {
            seen.push((label.to_string(), known));
        }
        known
    })
}

fn lookup_public_tld(label: &str) -> bool {
    let lower = label.to_ascii_lowercase();
    if lower.is_empty() || lower.contains('.') {
        return false;
    }
    match psl::suffix(lower.as_bytes()) {
        Some(s) => s.is_known() && s.as_bytes().len() == lower.len(),
        None => false,
    }
}

/// The top-level label of a domain, ignoring one trailing dot.
pub fn top_level_label(domain: &str) -> &str {
    let d = domain.strip_suffix('.').unwrap_or(domain);
    match memchr::memrchr(b'.', d.as_bytes()) {
        Some(dot) => &d[dot + 1..],
        None => d,
    }
}

/// Format problems of a userPrincipalName (spec: "format" row of userPrincipalName).
pub fn upn_format_problem(upn: &str, skip: &dyn Fn(char) -> bool) -> Option<String> {
    let ats = upn.matches('@').count();
    if ats == 0 {
        return Some("has no `@`".into());
    }
    if upn.starts_with('@') {
        return Some("begins with `@` (empty name before the `@`)".into());
    }
    if ats > 1 {
        return Some("has more than one `@`".into());
    }
    let (local, domain) = split_at_last_at(upn)?;
    if domain.is_empty() {
        return Some("has nothing after the `@`".into());
    }
    if let Some(c) = local.chars().last() {
        if matches!(c, '.' | '&' | ' ' | '@') {
            return Some(format!("the part before the `@` ends with `{c}`"));
        }
    }
    if local.starts_with('.') {
        return Some("begins with a dot".into());
    }
    if upn.contains("..") {
        return Some("has consecutive dots".into());
    }
    dns_name_problem(domain, &|c| is_character_class(c) || skip(c))
}

/// Characters allowed in the local part of an SMTP address (besides letters and digits).
const SMTP_LOCAL_SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~.";

/// Characters the SMTP `character` rule reports (besides whitespace, control and non-ASCII).
pub const SMTP_CHARACTER_SET: &str = "<>();,[]\"\\";

#[inline]
fn smtp_character_class(c: char) -> bool {
    is_character_class(c) || SMTP_CHARACTER_SET.contains(c)
}

/// Format problems of an SMTP address: one `@`, a local part of 1–64 allowed characters
/// without leading, trailing or doubled dots, a syntactically valid domain. Characters
/// reported by the character rule (and those in `skip`) are not format problems.
pub fn smtp_format_problem(addr: &str, skip: &dyn Fn(char) -> bool) -> Option<String> {
    let ignore = |c: char| smtp_character_class(c) || skip(c);
    let ats = addr.matches('@').count();
    if ats == 0 {
        return Some("has no `@`".into());
    }
    if ats > 1 {
        return Some("has more than one `@`".into());
    }
    let (local, domain) = split_at_last_at(addr)?;
    if local.is_empty() {
        return Some("has an empty local part (nothing before the `@`)".into());
    }
    if local.chars().count() > 64 {
        return Some("has a local part longer than 64 characters".into());
    }
    if local.starts_with('.') || local.ends_with('.') {
        return Some("has a local part that begins or ends with a dot".into());
    }
    if local.contains("..") {
        return Some("has consecutive dots in the local part".into());
    }
    if let Some(c) = local
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || SMTP_LOCAL_SPECIALS.contains(c) || ignore(c)))
    {
        return Some(format!("has `{c}` in the local part"));
    }
    dns_name_problem(domain, &ignore)
}

/// `domain` category: the domain's top-level label is not a public TLD, or (with
/// accepted domains) the domain is not accepted (see [`is_accepted`]).
pub fn domain_problem(domain: &str, accepted: &[String]) -> Option<String> {
    let tld = checkable_tld(domain)?;
    if !is_public_tld(tld) {
        if !domain.trim_end_matches('.').contains('.') {
            return Some(format!(
                "the domain `{domain}` is a single label, not a public internet domain"
            ));
        }
        return Some(format!(
            "the domain `{domain}` ends in `.{tld}`, which is not a public internet top-level domain"
        ));
    }
    unaccepted_domain_problem(domain, accepted)
}

/// `domain` category, accepted domains only: with accepted domains configured, a domain
/// in a public TLD that is not accepted. Non-public TLDs are [`domain_problem`]'s.
pub fn unaccepted_domain_problem(domain: &str, accepted: &[String]) -> Option<String> {
    if accepted.is_empty() {
        return None;
    }
    let tld = checkable_tld(domain)?;
    if !is_public_tld(tld) || is_accepted(domain, accepted) {
        return None;
    }
    Some(format!(
        "the domain `{domain}` is not an accepted domain of the tenant"
    ))
}

/// The top-level label when the domain can be judged at all: an empty domain or a
/// top-level label with characters no TLD has are character/format problems.
fn checkable_tld(domain: &str) -> Option<&str> {
    if domain.is_empty() {
        return None;
    }
    let tld = top_level_label(domain);
    (!tld.is_empty() && tld.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')).then_some(tld)
}

/// Domains every tenant has, accepted whether configured or not: the initial
/// `contoso.onmicrosoft.com` and the hybrid mail-routing `contoso.mail.onmicrosoft.com`.
pub const IMPLICIT_ACCEPTED_DOMAINS: &[&str] = &["onmicrosoft.com"];

/// `domain` equals an accepted domain (configured or implicit) or is a subdomain of one,
/// ignoring case and one trailing dot.
pub fn is_accepted(domain: &str, accepted: &[String]) -> bool {
    let d = domain
        .strip_suffix('.')
        .unwrap_or(domain)
        .to_ascii_lowercase();
    let within = |a: &str| {
        let a = a.to_ascii_lowercase();
        d == a
            || (d.len() > a.len() && d.ends_with(&a) && d.as_bytes()[d.len() - a.len() - 1] == b'.')
    };
    accepted.iter().any(|a| within(a)) || IMPLICIT_ACCEPTED_DOMAINS.iter().any(|a| within(a))
}

/// The domain of an address as compared for "did a suggestion move it": after the last
/// `@`, without surrounding whitespace or a trailing dot, lowercased.
pub fn comparable_domain(value: &str) -> Option<String> {
    let d = domain_of(value)?.trim();
    Some(d.strip_suffix('.').unwrap_or(d).to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    const NO: &dyn Fn(char) -> bool = &|_| false;

    #[test]
    fn public_tlds_come_from_the_psl() {
        for t in ["com", "app", "shop", "uk", "COM", "xn--p1ai", "museum"] {
            assert!(is_public_tld(t), "{t}");
        }
        for t in [
            "local",
            "lan",
            "internal",
            "corp",
            "home",
            "localdomain",
            "test",
            "example",
            "invalid",
            "",
            "1",
        ] {
            assert!(!is_public_tld(t), "{t}");
        }
    }

    #[test]
    fn upn_format() {
        assert_eq!(upn_format_problem("john.smith@contoso.com", NO), None);
        assert_eq!(upn_format_problem("o'brien@contoso.com", NO), None);
        for bad in [
            "john",
            "@contoso.com",
            "a@b@contoso.com",
            "john@",
            "john.@contoso.com",
            "john&@contoso.com",
            "john @contoso.com",
            ".john@contoso.com",
            "jo..hn@contoso.com",
            "john@contoso..com",
            "john@-contoso.com",
            "john@contoso_x.com",
            "john@com",
        ] {
            assert!(upn_format_problem(bad, NO).is_some(), "{bad}");
        }
        // Characters are the character rule's business, not format's.
        assert_eq!(upn_format_problem("john@conto so.com", NO), None);
        assert_eq!(upn_format_problem("john@contösö.com", NO), None);
        assert_eq!(upn_format_problem("john@contoso.local", NO), None);
    }

    #[test]
    fn smtp_format() {
        assert_eq!(smtp_format_problem("john.smith+tag@contoso.com", NO), None);
        assert_eq!(smtp_format_problem("jo hn@contoso.com", NO), None); // character
        for bad in [
            "john",
            "a@b@c.com",
            "@c.com",
            ".a@c.com",
            "a.@c.com",
            "a..b@c.com",
            "a:b@c.com",
            "a@c..com",
            "a@c_d.com",
        ] {
            assert!(smtp_format_problem(bad, NO).is_some(), "{bad}");
        }
        assert_eq!(smtp_format_problem("a:b@c.com", &|c| c == ':'), None);
        let long = format!("{}@contoso.com", "a".repeat(65));
        assert!(smtp_format_problem(&long, NO).is_some());
    }

    #[test]
    fn plain_addresses_are_exactly_those_without_format_problems() {
        let label63 = format!("a@{}.com", "b".repeat(63));
        for v in [
            "john.smith@contoso.com",
            "a_b-c@x.co.uk",
            "x@a-b.app",
            "a.b.c@d.e.f",
            &label63,
        ] {
            assert!(is_plain_address(v), "{v}");
            assert_eq!(upn_format_problem(v, NO), None);
            assert_eq!(smtp_format_problem(v, NO), None);
        }
        for v in [
            "john",
            "a@b",
            ".a@b.com",
            "a.@b.com",
            "a..b@c.com",
            "a@b..com",
            "a@-b.com",
            "a@b-.com",
            "a b@c.com",
            "a@b@c.com",
            "ü@b.com",
            "a+b@c.com",
            "o'b@c.com",
            "@b.com",
            "a@b.com.",
            "a@.b.com",
            "a@b.c_m",
            &format!("a@{}.com", "b".repeat(64)),
            &format!("{}@b.com", "a".repeat(65)),
        ] {
            assert!(!is_plain_address(v), "{v}");
        }
    }

    #[test]
    fn domains() {
        assert!(domain_problem("contoso.local", &[]).is_some());
        assert!(domain_problem("contoso.com", &[]).is_none());
        assert!(domain_problem("contoso.app", &[]).is_none());
        let acc = vec!["contoso.com".to_string()];
        assert!(domain_problem("sales.contoso.com", &acc).is_none());
        assert!(domain_problem("Contoso.COM", &acc).is_none());
        assert!(domain_problem("notcontoso.com", &acc).is_some());
        assert!(domain_problem("fabrikam.com", &acc).is_some());
        assert!(domain_problem("conto so.c m", &[]).is_none());
        // onmicrosoft.com and its subdomains are always accepted.
        for d in [
            "contoso.onmicrosoft.com",
            "contoso.mail.onmicrosoft.com",
            "ONMICROSOFT.COM.",
        ] {
            assert!(domain_problem(d, &acc).is_none(), "{d}");
            assert!(unaccepted_domain_problem(d, &acc).is_none(), "{d}");
        }
        assert!(domain_problem("notonmicrosoft.com", &acc).is_some());
    }

    #[test]
    fn unaccepted_only_with_accepted_domains_and_public_tlds() {
        let acc = vec!["contoso.com".to_string()];
        assert!(unaccepted_domain_problem("fabrikam.com", &[]).is_none());
        assert!(unaccepted_domain_problem("fabrikam.com", &acc).is_some());
        assert!(unaccepted_domain_problem("sales.contoso.com", &acc).is_none());
        // A non-public TLD is the routable check's finding, not this one's.
        assert!(unaccepted_domain_problem("contoso.local", &acc).is_none());
        assert!(unaccepted_domain_problem("", &acc).is_none());
    }
}
