//! Reading a tenant snapshot: the JSON Microsoft Graph PowerShell (`ConvertTo-Json`) or
//! the Graph REST API writes. Accepted: an array of objects, one object, a page
//! `{"value": [...]}`, and several of these one after another (JSON Lines of pages).
//! Property names in any case. Objects are streamed into the index one by one: a
//! 500,000-user snapshot is never held as a document.

use super::{CloudKind, CloudObject, TenantIndex};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::io::Read;
use std::path::Path;

/// A snapshot that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{file}: cannot read the tenant snapshot: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}:{line}:{column}: {message}")]
    Json {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: an object without `@odata.type` (the {nth} one): say what the file holds with --tenant user={file}, group=... or contact=...")]
    UnknownKind { file: String, nth: u64 },
    #[error("{0}: the kind before `=` is user, group or contact")]
    BadPrefix(String),
    #[error("{file}: holds a `{kind}` object (the {nth} one): a tenant snapshot holds users, groups or contacts")]
    OtherKind {
        file: String,
        kind: String,
        nth: u64,
    },
}

/// One `--tenant` argument: `FILE`, or `KIND=FILE`.
pub fn parse_arg(arg: &str) -> Result<(Option<CloudKind>, String), SnapshotError> {
    if let Some((kind, file)) = arg.split_once('=') {
        let kind = match kind.to_ascii_lowercase().as_str() {
            "user" | "users" => CloudKind::User,
            "group" | "groups" => CloudKind::Group,
            "contact" | "contacts" | "orgcontact" => CloudKind::Contact,
            // A path that merely contains `=`.
            _ if Path::new(arg).exists() => return Ok((None, arg.to_string())),
            _ => return Err(SnapshotError::BadPrefix(arg.to_string())),
        };
        return Ok((Some(kind), file.to_string()));
    }
    Ok((None, arg.to_string()))
}

/// Reads one snapshot file into the index.
pub fn load(
    file: &str,
    kind: Option<CloudKind>,
    index: &mut TenantIndex,
) -> Result<(), SnapshotError> {
    let f = std::fs::File::open(file).map_err(|source| SnapshotError::Read {
        file: file.to_string(),
        source,
    })?;
    read(
        file,
        std::io::BufReader::with_capacity(1 << 16, f),
        kind,
        index,
    )
}

/// The snapshot's text as UTF-8: a UTF-8 BOM is dropped, UTF-16 (what Windows PowerShell
/// 5.1's `>` writes) is transcoded, streaming.
struct Utf8<R> {
    inner: R,
    started: bool,
    decoder: Option<encoding_rs::Decoder>,
    raw: Vec<u8>,
    out: Vec<u8>,
    pos: usize,
    eof: bool,
}

impl<R: Read> Utf8<R> {
    fn new(inner: R) -> Self {
        Utf8 {
            inner,
            started: false,
            decoder: None,
            raw: vec![0; 1 << 16],
            out: Vec::new(),
            pos: 0,
            eof: false,
        }
    }

    fn start(&mut self) -> std::io::Result<()> {
        self.started = true;
        let mut head = [0u8; 3];
        let mut n = 0;
        while n < 3 {
            let k = self.inner.read(&mut head[n..])?;
            if k == 0 {
                break;
            }
            n += k;
        }
        let head = &head[..n];
        if head.starts_with(b"\xEF\xBB\xBF") {
            return Ok(());
        }
        if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
            let enc = if head[0] == 0xFF {
                encoding_rs::UTF_16LE
            } else {
                encoding_rs::UTF_16BE
            };
            self.decoder = Some(enc.new_decoder_without_bom_handling());
            let rest = head[2..].to_vec();
            self.transcode(&rest, false);
            return Ok(());
        }
        self.out.extend_from_slice(head);
        Ok(())
    }

    fn transcode(&mut self, src: &[u8], last: bool) {
        if let Some(d) = &mut self.decoder {
            let mut src = src;
            loop {
                let need = d
                    .max_utf8_buffer_length(src.len())
                    .unwrap_or(src.len() * 3 + 16);
                let at = self.out.len();
                self.out.resize(at + need, 0);
                let (res, read, written, _) = d.decode_to_utf8(src, &mut self.out[at..], last);
                self.out.truncate(at + written);
                src = &src[read..];
                if res == encoding_rs::CoderResult::InputEmpty {
                    break;
                }
            }
        }
    }
}

impl<R: Read> Read for Utf8<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if !self.started {
            self.start()?;
        }
        loop {
            if self.pos < self.out.len() {
                let n = buf.len().min(self.out.len() - self.pos);
                buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            self.out.clear();
            self.pos = 0;
            if self.eof {
                return Ok(0);
            }
            if self.decoder.is_none() {
                return self.inner.read(buf);
            }
            let mut raw = std::mem::take(&mut self.raw);
            let k = self.inner.read(&mut raw)?;
            self.eof = k == 0;
            self.transcode(&raw[..k], self.eof);
            self.raw = raw;
        }
    }
}

/// Reads a snapshot from any reader (`file` names it in errors).
pub fn read(
    file: &str,
    r: impl Read,
    kind: Option<CloudKind>,
    index: &mut TenantIndex,
) -> Result<(), SnapshotError> {
    let mut de = serde_json::Deserializer::from_reader(Utf8::new(r));
    let mut sink = Sink {
        file,
        kind,
        index,
        nth: 0,
        unknown: None,
        other: None,
    };
    loop {
        let at = |e: serde_json::Error| SnapshotError::Json {
            file: file.to_string(),
            line: e.line(),
            column: e.column(),
            message: strip_position(&e.to_string()),
        };
        Top(&mut sink).deserialize(&mut de).map_err(at)?;
        if let Some(nth) = sink.unknown {
            return Err(SnapshotError::UnknownKind {
                file: file.to_string(),
                nth,
            });
        }
        if let Some((kind, nth)) = sink.other.take() {
            return Err(SnapshotError::OtherKind {
                file: file.to_string(),
                kind,
                nth,
            });
        }
        // Another page follows (JSON Lines), or the end.
        if de.end().is_ok() {
            return Ok(());
        }
    }
}

/// serde_json appends " at line L column C"; errors print the place first.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Where streamed objects go.
struct Sink<'a> {
    file: &'a str,
    kind: Option<CloudKind>,
    index: &'a mut TenantIndex,
    nth: u64,
    /// The ordinal of the first object whose kind could not be told.
    unknown: Option<u64>,
    /// The first object of a kind no prediction reads (`@odata.type`, ordinal).
    other: Option<(String, u64)>,
}

impl Sink<'_> {
    fn take(&mut self, raw: RawObject) {
        self.nth += 1;
        let kind = match raw.odata_type.as_deref().map(kind_of_odata) {
            Some(Some(kind)) => Some(kind),
            // Another kind of directory object (a device, a service principal): the file
            // is not what the run needs.
            Some(None) => {
                if self.other.is_none() {
                    self.other = Some((raw.odata_type.unwrap_or_default(), self.nth));
                }
                return;
            }
            None => self.kind,
        };
        match kind {
            Some(kind) => self.index.add(raw.into_object(kind, self.file)),
            None => {
                self.unknown.get_or_insert(self.nth);
            }
        }
    }
}

fn kind_of_odata(t: &str) -> Option<CloudKind> {
    let t = t.trim_start_matches('#').to_ascii_lowercase();
    match t.strip_prefix("microsoft.graph.").unwrap_or(&t) {
        "user" => Some(CloudKind::User),
        "group" => Some(CloudKind::Group),
        "orgcontact" | "contact" => Some(CloudKind::Contact),
        _ => None,
    }
}

/// The top of a document: an array of objects, a page, or one object.
struct Top<'s, 'a>(&'s mut Sink<'a>);

impl<'de> DeserializeSeed<'de> for Top<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Top<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(
            "a JSON array of directory objects, an object, or a Graph page {\"value\": [...]}",
        )
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(raw) = seq.next_element::<RawObject>()? {
            self.0.take(raw);
        }
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // A page holds its objects under `value`; anything else is one object.
        let mut raw = RawObject::default();
        let mut page = false;
        while let Some(key) = map.next_key::<String>()? {
            if key.eq_ignore_ascii_case("value") {
                page = true;
                map.next_value_seed(Objects(self.0))?;
            } else {
                raw.field(&key, &mut map)?;
            }
        }
        if !page {
            self.0.take(raw);
        }
        Ok(())
    }
}

/// The `value` array of a page.
struct Objects<'s, 'a>(&'s mut Sink<'a>);

impl<'de> DeserializeSeed<'de> for Objects<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Objects<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of directory objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(raw) = seq.next_element::<RawObject>()? {
            self.0.take(raw);
        }
        Ok(())
    }
}

/// The properties a prediction reads, whatever their case; others are skipped unread.
#[derive(Default, Debug)]
struct RawObject {
    id: Option<String>,
    odata_type: Option<String>,
    user_principal_name: Option<String>,
    mail: Option<String>,
    proxy_addresses: Vec<String>,
    immutable_id: Option<String>,
    sync_enabled: Option<bool>,
    security_identifier: Option<String>,
    display_name: Option<String>,
}

impl RawObject {
    fn field<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
        match key.to_ascii_lowercase().as_str() {
            "id" => self.id = map.next_value::<Option<Loose>>()?.map(|l| l.0),
            "@odata.type" => self.odata_type = map.next_value()?,
            "userprincipalname" => self.user_principal_name = map.next_value()?,
            "mail" => self.mail = map.next_value()?,
            "proxyaddresses" => {
                self.proxy_addresses = map.next_value::<Option<Vec<String>>>()?.unwrap_or_default()
            }
            "onpremisesimmutableid" => self.immutable_id = map.next_value()?,
            "onpremisessyncenabled" => self.sync_enabled = map.next_value()?,
            "onpremisessecurityidentifier" => self.security_identifier = map.next_value()?,
            "displayname" => self.display_name = map.next_value()?,
            // Graph PowerShell objects keep `@odata.type` here.
            "additionalproperties" => {
                if let Some(extra) = map.next_value::<Option<Extra>>()? {
                    if self.odata_type.is_none() {
                        self.odata_type = extra.odata_type;
                    }
                }
            }
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }

    fn into_object(self, kind: CloudKind, file: &str) -> CloudObject {
        let nonblank = |s: Option<String>| s.filter(|v| !v.trim().is_empty());
        CloudObject {
            id: nonblank(self.id).unwrap_or_default(),
            kind,
            user_principal_name: nonblank(self.user_principal_name),
            mail: nonblank(self.mail),
            proxy_addresses: self.proxy_addresses,
            // As written: compared exactly.
            immutable_id: self.immutable_id.filter(|v| !v.is_empty()),
            synced: self.sync_enabled == Some(true),
            security_identifier: nonblank(self.security_identifier),
            display_name: nonblank(self.display_name),
            file: file.to_string(),
        }
    }
}

impl<'de> de::Deserialize<'de> for RawObject {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawObject;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a directory object (a JSON object)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawObject, A::Error> {
                let mut raw = RawObject::default();
                while let Some(key) = map.next_key::<String>()? {
                    raw.field(&key, &mut map)?;
                }
                Ok(raw)
            }
        }
        d.deserialize_map(V)
    }
}

/// `AdditionalProperties` of a Graph PowerShell object: only `@odata.type` is read.
struct Extra {
    odata_type: Option<String>,
}

impl<'de> de::Deserialize<'de> for Extra {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Extra;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Extra, A::Error> {
                let mut odata_type = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key.eq_ignore_ascii_case("@odata.type") {
                        odata_type = map.next_value()?;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(Extra { odata_type })
            }
        }
        d.deserialize_map(V)
    }
}

/// An id written as a string or a number.
struct Loose(String);

impl<'de> de::Deserialize<'de> for Loose {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Loose;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Loose, E> {
                Ok(Loose(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Loose, E> {
                Ok(Loose(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Loose, E> {
                Ok(Loose(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &[u8], kind: Option<CloudKind>) -> Result<TenantIndex, SnapshotError> {
        let mut t = TenantIndex::default();
        read("t.json", text, kind, &mut t)?;
        t.finish();
        Ok(t)
    }

    #[test]
    fn arrays_pages_json_lines_and_single_objects() {
        // PowerShell: PascalCase, an array.
        let ps = br#"[{"Id":"1","UserPrincipalName":"a@contoso.com","Mail":null,"ProxyAddresses":["SMTP:a@contoso.com"],"OnPremisesImmutableId":null,"OnPremisesSyncEnabled":null,"AdditionalProperties":{}}]"#;
        let t = load_text(ps, Some(CloudKind::User)).unwrap();
        assert_eq!((t.counts.users, t.len()), (1, 1));
        assert_eq!(t.by_upn("A@contoso.com")[0].object.id, "1");
        // Graph REST: pages with @odata.type, one per line.
        let rest = b"{\"@odata.context\":\"x\",\"value\":[{\"@odata.type\":\"#microsoft.graph.user\",\"id\":\"u1\",\"userPrincipalName\":\"b@contoso.com\",\"onPremisesSyncEnabled\":true}],\"@odata.nextLink\":\"y\"}\n{\"value\":[{\"@odata.type\":\"#microsoft.graph.group\",\"id\":\"g1\",\"mail\":\"g@contoso.com\"},{\"@odata.type\":\"#microsoft.graph.orgContact\",\"id\":\"c1\",\"mail\":\"c@fabrikam.com\"}]}\n";
        let t = load_text(rest, None).unwrap();
        assert_eq!(
            (t.counts.users, t.counts.groups, t.counts.contacts),
            (1, 1, 1)
        );
        assert!(t.by_upn("b@contoso.com")[0].object.synced);
        assert_eq!(
            t.by_primary(CloudKind::Group, "G@contoso.com")[0].object.id,
            "g1"
        );
        // One object (ConvertTo-Json of a single result), with @odata.type inside
        // AdditionalProperties.
        let one = br##"{"Id":"9","Mail":"x@contoso.com","AdditionalProperties":{"@odata.type":"#microsoft.graph.orgContact"}}"##;
        let t = load_text(one, None).unwrap();
        assert_eq!(t.counts.contacts, 1);
        // Another kind of directory object: the file is not a snapshot of these.
        let device = br##"{"value":[{"@odata.type":"#microsoft.graph.device","id":"d1"}]}"##;
        let e = load_text(device, None).unwrap_err().to_string();
        assert!(
            e.contains("holds a `#microsoft.graph.device` object"),
            "{e}"
        );
        // An empty array is an empty tenant.
        assert!(load_text(b"[]", None).unwrap().is_empty());
    }

    #[test]
    fn utf16_and_bom() {
        let json = r#"[{"id":"1","userPrincipalName":"ä@contoso.com"}]"#;
        let mut le = vec![0xFF, 0xFE];
        for u in json.encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
        }
        let t = load_text(&le, Some(CloudKind::User)).unwrap();
        assert_eq!(t.by_upn("Ä@contoso.com")[0].object.id, "1");
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(json.as_bytes());
        assert_eq!(load_text(&bom, Some(CloudKind::User)).unwrap().len(), 1);
    }

    #[test]
    fn errors_name_the_place_or_the_missing_kind() {
        let e = load_text(b"[{\"id\":\"1\",}\n]", Some(CloudKind::User))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t.json:1:12: "), "{e}");
        let e = load_text(b"[{\"id\":\"1\"}]", None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--tenant user=t.json"), "{e}");
        let e = load_text(b"[1]", Some(CloudKind::User))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t.json:1:3: "), "{e}");
        assert!(
            matches!(parse_arg("group=g.json").unwrap(), (Some(CloudKind::Group), f) if f == "g.json")
        );
        assert!(parse_arg("robot=g.json").is_err());
        assert_eq!(
            parse_arg("users.json").unwrap(),
            (None, "users.json".to_string())
        );
    }
}
