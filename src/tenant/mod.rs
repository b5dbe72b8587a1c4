//! The tenant a directory is synchronized into: a snapshot of its cloud users, groups and
//! contacts (read from Microsoft Graph JSON, never fetched), indexed by the keys the first
//! sync matches on, so the engine can predict hard matches, soft matches, conflicts and
//! collisions (tenant-match.md) for each object as it streams past.
//!
//! Memory: only the keys are kept, in one text arena and one sorted key table (24 bytes a
//! key), so a 500,000-user tenant costs about its keys' text plus 24 bytes per key.

pub mod snapshot;

use crate::checks::ValueFilter;
use rustc_hash::FxHasher;
use std::hash::Hasher;

/// A prediction as the report names it: what a rule says about its findings.
#[derive(Debug, Clone, Copy)]
pub struct Prediction {
    pub id: &'static str,
    pub title: &'static str,
    pub severity: crate::findings::Severity,
    pub category: crate::findings::Category,
    pub docs: &'static str,
}

use crate::findings::{Category, Severity};

pub const HARD_MATCH: Prediction = Prediction {
    id: "tenant-hard-match",
    title: "The first sync takes over a cloud user (hard match)",
    severity: Severity::Info,
    category: Category::Match,
    docs: "A cloud user's onPremisesImmutableId equals this object's source anchor: the first sync joins them, and the cloud user becomes synchronized from this object. Check that it is the same person. https://learn.microsoft.com/en-us/entra/identity/hybrid/connect/how-to-connect-install-existing-tenant",
};
pub const SOFT_MATCH: Prediction = Prediction {
    id: "tenant-soft-match",
    title: "The first sync takes over a cloud-only object (soft match)",
    severity: Severity::Info,
    category: Category::Match,
    docs: "A cloud-only object has this object's userPrincipalName or primary SMTP address and no onPremisesImmutableId: the first sync joins them (soft match), and the cloud object is managed on-premises from then on. Check each pair before switching sync on. https://learn.microsoft.com/en-us/troubleshoot/entra/entra-id/user-prov-sync/use-smtp-matching",
};
pub const ALREADY_SYNCED: Prediction = Prediction {
    id: "tenant-already-synced",
    title: "The object is already synchronized",
    severity: Severity::Info,
    category: Category::Match,
    docs: "A synchronized cloud group or contact with this object's primary SMTP address (and, for a group, its SID) is this object: it was synchronized before. https://learn.microsoft.com/en-us/entra/identity/hybrid/connect/how-to-connect-install-existing-tenant",
};
pub const AMBIGUOUS: Prediction = Prediction {
    id: "tenant-soft-match-ambiguous",
    title: "Two cloud objects could be this object's soft match",
    severity: Severity::Error,
    category: Category::Match,
    docs: "The userPrincipalName points at one cloud object and the primary SMTP address at another: Entra ID cannot soft-match, and the object does not sync. Make both keys point at the same cloud object, or change one of them. https://learn.microsoft.com/en-us/troubleshoot/entra/entra-id/user-prov-sync/use-smtp-matching",
};
pub const CONFLICT: Prediction = Prediction {
    id: "tenant-match-conflict",
    title: "A soft match is blocked (InvalidSoftMatch)",
    severity: Severity::Error,
    category: Category::Match,
    docs: "The cloud object with this object's key is synchronized from elsewhere or has another onPremisesImmutableId: Entra reports InvalidSoftMatch and the object does not sync. Clear the cloud object's onPremisesImmutableId (Graph: set it to null) if it is the same person, or change the on-premises key. https://learn.microsoft.com/en-us/troubleshoot/entra/entra-id/user-prov-sync/use-smtp-matching",
};
pub const COLLISION: Prediction = Prediction {
    id: "tenant-address-collision",
    title: "An address is already held by another cloud object",
    severity: Severity::Error,
    category: Category::Duplicate,
    docs: "A cloud user, group or contact other than this object's match already holds this address (as UPN, mail or smtp: proxy address): Entra reports AttributeValueMustBeUnique and keeps the value off this object. Remove the address from one of them. https://learn.microsoft.com/en-us/entra/identity/hybrid/connect/how-to-connect-syncservice-duplicate-attribute-resiliency",
};

/// Every prediction, in report order.
pub const PREDICTIONS: [Prediction; 6] = [
    HARD_MATCH,
    SOFT_MATCH,
    ALREADY_SYNCED,
    AMBIGUOUS,
    CONFLICT,
    COLLISION,
];

/// What kind of cloud object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum CloudKind {
    #[default]
    User,
    Group,
    Contact,
}

impl CloudKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CloudKind::User => "user",
            CloudKind::Group => "group",
            CloudKind::Contact => "contact",
        }
    }
}

/// A cloud object as a snapshot describes it (only what predictions read).
#[derive(Debug, Clone, Default)]
pub struct CloudObject {
    pub id: String,
    pub kind: CloudKind,
    pub user_principal_name: Option<String>,
    pub mail: Option<String>,
    pub proxy_addresses: Vec<String>,
    pub immutable_id: Option<String>,
    /// `onPremisesSyncEnabled` is true.
    pub synced: bool,
    pub security_identifier: Option<String>,
    pub display_name: Option<String>,
    pub file: String,
}

/// Which property of a cloud object a key came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CloudAttr {
    UserPrincipalName,
    Mail,
    ProxyAddresses,
    OnPremisesImmutableId,
}

impl CloudAttr {
    pub fn as_str(self) -> &'static str {
        match self {
            CloudAttr::UserPrincipalName => "userPrincipalName",
            CloudAttr::Mail => "mail",
            CloudAttr::ProxyAddresses => "proxyAddresses",
            CloudAttr::OnPremisesImmutableId => "onPremisesImmutableId",
        }
    }
}

/// The tables keys are looked up in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Table {
    /// onPremisesImmutableId of users, exact.
    Immutable = 1,
    /// userPrincipalName of users, ignoring case.
    Upn = 2,
    /// The primary SMTP address (`SMTP:` value, else mail), ignoring case.
    Primary = 3,
    /// Every SMTP address (UPN, mail, smtp: proxies) of every object, ignoring case.
    Address = 4,
}

/// One key: its hash, its object and where its text is.
#[derive(Debug, Clone, Copy)]
struct Key {
    hash: u64,
    obj: u32,
    attr: CloudAttr,
    off: u32,
    len: u32,
}

/// A compact cloud object: strings live in the index's arena.
#[derive(Debug, Clone, Copy)]
struct Obj {
    kind: CloudKind,
    /// Index of the snapshot file in `counts.files`.
    file: u16,
    synced: bool,
    id: (u32, u32),
    immutable: Option<(u32, u32)>,
    sid: Option<(u32, u32)>,
}

/// A cloud object a prediction names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudRef {
    /// Index in the snapshot (stable across lookups).
    pub index: u32,
    pub id: String,
    pub kind: CloudKind,
    pub synced: bool,
    pub immutable_id: Option<String>,
    pub security_identifier: Option<String>,
    /// The snapshot file it was read from.
    pub file: String,
}

/// A key of a cloud object that matched: the object, and the property and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub object: CloudRef,
    pub attribute: CloudAttr,
    pub value: String,
}

/// Cloud objects read, by kind, and the files they came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantCounts {
    pub users: u64,
    pub groups: u64,
    pub contacts: u64,
    pub files: Vec<String>,
}

/// The tenant snapshot, indexed.
#[derive(Debug, Default)]
pub struct TenantIndex {
    arena: String,
    objects: Vec<Obj>,
    keys: Vec<Key>,
    sorted: bool,
    pub counts: TenantCounts,
    /// The current object's texts and keys so far: UPN = mail = primary is the norm, so
    /// each text is stored, and each (table, key) indexed, once per object.
    recent: Vec<(u32, u32)>,
    recent_keys: Vec<u64>,
    /// Object ids seen (hash → object): an object read twice (overlapping exports, a
    /// page fetched again) is one object.
    ids: rustc_hash::FxHashMap<u64, u32>,
}

fn hash(table: Table, key: &str) -> u64 {
    let mut h = FxHasher::default();
    h.write_u8(table as u8);
    h.write(key.as_bytes());
    h.write_u8(0xff);
    h.finish()
}

/// An SMTP address as compared: trimmed, lowercased.
fn fold(s: &str) -> String {
    crate::text::fold(s.trim()).into_owned()
}

/// The address of a proxy value typed `smtp:` (any case), when it has one.
pub fn smtp_address(proxy: &str) -> Option<&str> {
    ValueFilter::Smtp
        .select(proxy)
        .map(|(_, address)| address)
        .filter(|a| !a.is_empty())
}

/// The primary SMTP address, as Entra ID derives it on both sides of a match: the
/// address of the one `SMTP:` value (`Some(index)` of that value), else `mail` (`None`);
/// with several `SMTP:` values there is none.
pub fn primary_smtp<'a>(
    proxies: &[&'a str],
    mail: Option<&'a str>,
) -> Option<(Option<usize>, &'a str)> {
    let mut primaries = proxies.iter().enumerate().filter_map(|(i, p)| {
        ValueFilter::Primary
            .select(p)
            .map(|(_, address)| (Some(i), address))
    });
    match (primaries.next(), primaries.next()) {
        (Some(one), None) => Some(one),
        (None, _) => mail.map(|m| (None, m)),
        (Some(_), Some(_)) => None,
    }
}

impl TenantIndex {
    fn push(&mut self, s: &str) -> (u32, u32) {
        let off = u32::try_from(self.arena.len()).unwrap_or(u32::MAX);
        let len = u32::try_from(s.len()).unwrap_or(0);
        self.arena.push_str(s);
        (off, len)
    }

    fn text(&self, (off, len): (u32, u32)) -> &str {
        let start = off as usize;
        self.arena.get(start..start + len as usize).unwrap_or("")
    }

    fn key(&mut self, table: Table, obj: u32, attr: CloudAttr, value: &str) {
        let folded;
        // The immutable ID compares exactly (base64 is case-sensitive; a space is a
        // different value); addresses trimmed and ignoring case.
        let k = if table == Table::Immutable {
            value
        } else {
            folded = fold(value);
            &folded
        };
        if k.is_empty() {
            return;
        }
        let h = hash(table, k);
        if self.recent_keys.contains(&h) {
            return;
        }
        self.recent_keys.push(h);
        let text = if table == Table::Immutable {
            value
        } else {
            value.trim()
        };
        let same = self.recent.iter().copied().find(|&r| self.text(r) == text);
        let (off, len) = match same {
            Some(r) => r,
            None => {
                let r = self.push(text);
                self.recent.push(r);
                r
            }
        };
        self.keys.push(Key {
            hash: h,
            obj,
            attr,
            off,
            len,
        });
    }

    /// Adds one cloud object.
    pub fn add(&mut self, o: CloudObject) {
        let Ok(obj) = u32::try_from(self.objects.len()) else {
            return;
        };
        if !o.id.is_empty() {
            let h = hash(Table::Address, &o.id);
            match self.ids.get(&h) {
                Some(&seen) => {
                    let same = self
                        .objects
                        .get(seen as usize)
                        .is_some_and(|s| s.kind == o.kind && self.text(s.id) == o.id);
                    if same {
                        return;
                    }
                }
                None => {
                    self.ids.insert(h, obj);
                }
            }
        }
        let file = match self.counts.files.iter().position(|f| *f == o.file) {
            Some(i) => i,
            None => {
                self.counts.files.push(o.file.clone());
                self.counts.files.len() - 1
            }
        };
        let file = u16::try_from(file).unwrap_or(u16::MAX);
        match o.kind {
            CloudKind::User => self.counts.users += 1,
            CloudKind::Group => self.counts.groups += 1,
            CloudKind::Contact => self.counts.contacts += 1,
        }
        self.recent.clear();
        self.recent_keys.clear();
        let id = self.push(&o.id);
        let immutable = o.immutable_id.as_deref().map(|s| self.push(s));
        let sid = o
            .security_identifier
            .as_deref()
            .map(|s| self.push(s.trim()));
        self.objects.push(Obj {
            kind: o.kind,
            file,
            synced: o.synced,
            id,
            immutable,
            sid,
        });
        if o.kind == CloudKind::User {
            if let Some(i) = &o.immutable_id {
                self.key(Table::Immutable, obj, CloudAttr::OnPremisesImmutableId, i);
            }
            if let Some(u) = &o.user_principal_name {
                self.key(Table::Upn, obj, CloudAttr::UserPrincipalName, u);
            }
        }
        let proxies: Vec<&str> = o.proxy_addresses.iter().map(String::as_str).collect();
        match primary_smtp(&proxies, o.mail.as_deref()) {
            Some((Some(_), a)) => self.key(Table::Primary, obj, CloudAttr::ProxyAddresses, a),
            Some((None, m)) => self.key(Table::Primary, obj, CloudAttr::Mail, m),
            None => {}
        }
        if let Some(u) = &o.user_principal_name {
            self.key(Table::Address, obj, CloudAttr::UserPrincipalName, u);
        }
        if let Some(m) = &o.mail {
            self.key(Table::Address, obj, CloudAttr::Mail, m);
        }
        for p in &o.proxy_addresses {
            if let Some(a) = smtp_address(p) {
                self.key(Table::Address, obj, CloudAttr::ProxyAddresses, a);
            }
        }
        self.sorted = false;
    }

    /// Sorts the key table; call once after loading (lookups need it).
    pub fn finish(&mut self) {
        self.keys.sort_unstable_by_key(|k| (k.hash, k.obj));
        self.keys.shrink_to_fit();
        self.arena.shrink_to_fit();
        self.objects.shrink_to_fit();
        self.ids = Default::default();
        self.sorted = true;
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// Bytes the index holds on the heap (text, objects, keys).
    pub fn heap_bytes(&self) -> usize {
        self.arena.capacity()
            + self.objects.capacity() * std::mem::size_of::<Obj>()
            + self.keys.capacity() * std::mem::size_of::<Key>()
    }

    /// Keys in the index.
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// The object at `index`.
    pub fn object(&self, index: u32) -> Option<CloudRef> {
        let o = self.objects.get(index as usize)?;
        Some(CloudRef {
            index,
            id: self.text(o.id).to_string(),
            kind: o.kind,
            synced: o.synced,
            immutable_id: o.immutable.map(|r| self.text(r).to_string()),
            security_identifier: o.sid.map(|r| self.text(r).to_string()),
            file: self
                .counts
                .files
                .get(usize::from(o.file))
                .cloned()
                .unwrap_or_default(),
        })
    }

    /// The kind of every object, in snapshot order (for counting what stays unmatched).
    pub fn kinds(&self) -> impl Iterator<Item = (u32, CloudKind, bool)> + '_ {
        (0..=u32::MAX)
            .zip(&self.objects)
            .map(|(i, o)| (i, o.kind, o.synced))
    }

    fn lookup(&self, table: Table, value: &str) -> Vec<Hit> {
        debug_assert!(self.sorted);
        let (k, exact) = match table {
            Table::Immutable => (value.to_string(), true),
            _ => (fold(value), false),
        };
        if k.is_empty() {
            return Vec::new();
        }
        let h = hash(table, &k);
        let start = self.keys.partition_point(|x| x.hash < h);
        let mut out: Vec<Hit> = Vec::new();
        for key in self.keys[start..].iter().take_while(|x| x.hash == h) {
            let text = self.text((key.off, key.len));
            let same = if exact { text == k } else { fold(text) == k };
            if same && !out.iter().any(|o| o.object.index == key.obj) {
                if let Some(object) = self.object(key.obj) {
                    out.push(Hit {
                        object,
                        attribute: key.attr,
                        value: text.to_string(),
                    });
                }
            }
        }
        out
    }

    /// Users whose onPremisesImmutableId is exactly `anchor`.
    pub fn by_immutable_id(&self, anchor: &str) -> Vec<Hit> {
        self.lookup(Table::Immutable, anchor)
    }

    /// Users whose userPrincipalName is `upn`, ignoring case.
    pub fn by_upn(&self, upn: &str) -> Vec<Hit> {
        self.lookup(Table::Upn, upn)
    }

    /// Objects of `kind` whose primary SMTP address is `address`, ignoring case.
    pub fn by_primary(&self, kind: CloudKind, address: &str) -> Vec<Hit> {
        let mut hits = self.lookup(Table::Primary, address);
        hits.retain(|h| h.object.kind == kind);
        hits
    }

    /// Objects holding `address` as UPN, mail or smtp: proxy, ignoring case (one hit per
    /// object, naming the first property that holds it).
    pub fn by_address(&self, address: &str) -> Vec<Hit> {
        self.lookup(Table::Address, address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, upn: &str, proxies: &[&str], immutable: Option<&str>) -> CloudObject {
        CloudObject {
            id: id.into(),
            kind: CloudKind::User,
            user_principal_name: Some(upn.into()),
            mail: None,
            proxy_addresses: proxies.iter().map(|s| s.to_string()).collect(),
            immutable_id: immutable.map(String::from),
            synced: false,
            security_identifier: None,
            display_name: None,
            file: "u.json".into(),
        }
    }

    #[test]
    fn keys_are_found_ignoring_case_except_the_immutable_id() {
        let mut t = TenantIndex::default();
        t.add(user(
            "1",
            "Ann@Contoso.com",
            &["SMTP:ann@contoso.com", "smtp:a@contoso.com"],
            Some("AbC="),
        ));
        t.add(user(
            "2",
            "bob@contoso.com",
            &[
                "smtp:x@contoso.com",
                "SMTP:y@contoso.com",
                "SMTP:z@contoso.com",
            ],
            None,
        ));
        t.finish();
        assert_eq!(t.by_upn("ann@contoso.COM")[0].object.id, "1");
        assert_eq!(t.by_immutable_id("AbC=")[0].object.id, "1");
        assert!(t.by_immutable_id("abc=").is_empty());
        assert_eq!(
            t.by_primary(CloudKind::User, "ANN@contoso.com")[0].attribute,
            CloudAttr::ProxyAddresses
        );
        assert!(t.by_primary(CloudKind::Group, "ann@contoso.com").is_empty());
        // Two SMTP: values: no primary.
        assert!(t.by_primary(CloudKind::User, "y@contoso.com").is_empty());
        assert_eq!(t.by_address("A@contoso.com")[0].object.id, "1");
        assert_eq!(t.by_address("x@contoso.com")[0].object.id, "2");
        assert_eq!(t.counts.users, 2);
    }

    #[test]
    fn an_object_read_twice_is_one_and_immutable_ids_compare_exactly() {
        let mut t = TenantIndex::default();
        t.add(user("1", "a@contoso.com", &[], Some(" AbC=")));
        t.add(user("1", "a@contoso.com", &[], Some(" AbC=")));
        t.add(user("2", "b@contoso.com", &[], None));
        t.finish();
        assert_eq!((t.len(), t.counts.users), (2, 2));
        assert_eq!(t.by_upn("a@contoso.com").len(), 1);
        assert!(t.by_immutable_id("AbC=").is_empty());
        assert_eq!(t.by_immutable_id(" AbC=").len(), 1);
    }
}
