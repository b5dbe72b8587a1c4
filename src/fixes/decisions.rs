//! The decisions CSV: every finding without a safe automatic fix, one row per holder,
//! for a consultant to fill in (`new value`) and feed back with `dirready fix --decisions`.
//! Cells are neutralised against spreadsheet formulas; reading back undoes that.

use super::plan::{value_bytes, Edit, Plan};
use crate::findings::Report;
use crate::report::escape::csv_cell;

/// The columns, in order. The first four are the ones to read and fill in.
pub const HEADER: [&str; 7] = [
    "DN",
    "attribute",
    "current value",
    "new value",
    "rule",
    "item",
    "current value (base64, when not UTF-8)",
];

/// The CSV of a plan's decisions (RFC 4180; a UTF-8 BOM so spreadsheets read it right).
pub fn write(plan: &Plan) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    w.write_record(HEADER)?;
    for (i, d) in plan.decisions.iter().enumerate() {
        let item = (i + 1).to_string();
        // A count, a size, a binary or an absent value cannot be replaced by typing a new
        // one: those decisions are made in the directory (the fix file lists them).
        for h in d.holders.iter().filter(|h| h.editable) {
            let row = [
                h.dn.as_str(),
                h.attribute.as_str(),
                h.value.as_str(),
                "",
                d.rule.as_str(),
                item.as_str(),
                h.value_base64.as_deref().unwrap_or(""),
            ];
            w.write_record(row.iter().map(|c| csv_cell(c)))?;
        }
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// A filled-in row that cannot become an edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// 1-based line of the row in the CSV.
    pub line: u64,
    pub problem: String,
}

/// An edit from the CSV, with the object it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecidedEdit {
    pub dn: String,
    pub object_guid: Option<String>,
    pub object_class: String,
    /// The input the object was read from.
    pub source: String,
    pub edit: Edit,
}

/// A cell as the person meant it: the apostrophe `csv_cell` put before a formula
/// character is removed again.
fn cell(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => s,
    }
}

/// Reads a filled-in decisions CSV against the report it was made from: each row with a
/// new value must name a value some finding of the report holds (DN, attribute, current
/// value); it becomes an edit of that value. Rows left empty are skipped.
pub fn read(text: &str, report: &Report) -> (Vec<DecidedEdit>, Vec<RowProblem>) {
    let mut edits = Vec::new();
    let mut problems = Vec::new();
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let col = |h: &csv::StringRecord, name: &str| {
        h.iter()
            .position(|c| cell(c).trim().eq_ignore_ascii_case(name))
    };
    let headers = match r.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            problems.push(RowProblem {
                line: 1,
                problem: format!("not a CSV: {e}"),
            });
            return (edits, problems);
        }
    };
    let (Some(c_dn), Some(c_attr), Some(c_cur), Some(c_new)) = (
        col(&headers, "DN"),
        col(&headers, "attribute"),
        col(&headers, "current value"),
        col(&headers, "new value"),
    ) else {
        problems.push(RowProblem {
            line: 1,
            problem: "the header needs the columns DN, attribute, current value, new value".into(),
        });
        return (edits, problems);
    };
    let c_b64 = col(&headers, HEADER[6]);
    for row in r.records() {
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                problems.push(RowProblem {
                    line,
                    problem: format!("unreadable row: {e}"),
                });
                continue;
            }
        };
        let line = row.position().map(|p| p.line()).unwrap_or(0);
        let get = |i: usize| row.get(i).map(cell).unwrap_or("");
        let new = get(c_new);
        if new.is_empty() {
            continue;
        }
        let (dn, attr, current) = (get(c_dn), get(c_attr), get(c_cur));
        let b64 = c_b64.map(get).unwrap_or("");
        let key = crate::dn::normalize(dn);
        // The raw cell too: a value that really starts with an apostrophe.
        let raw_current = row.get(c_cur).unwrap_or("");
        let finding = report
            .findings
            .iter()
            .filter(|f| f.value_is_replaceable())
            .find(|f| {
                crate::dn::normalize(&f.dn) == key
                    && f.attribute.eq_ignore_ascii_case(attr)
                    && (f.value_str() == current || f.value_str() == raw_current)
                    && (b64.is_empty() || f.value_base64.as_deref() == Some(b64))
            });
        let Some(f) = finding else {
            problems.push(RowProblem {
                line,
                problem: format!(
                    "no finding of the report holds {attr} = {current:?} on `{dn}` (edit only the `new value` column)"
                ),
            });
            continue;
        };
        let old = value_bytes(f);
        let new_bytes = new.as_bytes().to_vec();
        if new_bytes == old {
            continue;
        }
        edits.push(DecidedEdit {
            dn: f.dn.clone(),
            object_guid: f.object_guid.clone(),
            object_class: f.object_class.to_string(),
            source: f.source.file.to_string(),
            edit: Edit {
                attribute: f.attribute.to_string(),
                old,
                new: new_bytes,
                multi_valued: super::plan::is_multi_valued(&f.attribute)
                    || f.attribute_values != Some(1),
                rules: vec![format!("decision:{}", f.rule)],
            },
        });
    }
    (edits, problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixes::plan::{plan, tests as p};

    #[test]
    fn written_rows_read_back_as_edits_once_filled_in() {
        let mut dup_a = p::finding(
            "upn-duplicate",
            "CN=A,DC=x",
            "userPrincipalName",
            "=dup@x.com",
            None,
        );
        dup_a.category = crate::findings::Category::Duplicate;
        let r = p::report(vec![
            dup_a,
            p::finding(
                "upn-non-routable-domain",
                "CN=B,DC=x",
                "userPrincipalName",
                "b@x.local",
                None,
            ),
        ]);
        let pl = plan(&r);
        let csv = String::from_utf8(write(&pl).unwrap()).unwrap();
        // The formula-looking value is neutralised in the file.
        assert!(csv.contains("'=dup@x.com"), "{csv}");
        // Fill in a new value for both rows.
        let filled: String = csv
            .lines()
            .enumerate()
            .map(|(i, l)| match i {
                1 => l.replacen(",,", ",dup2@x.com,", 1),
                2 => l.replacen(",,", ",b@x.com,", 1),
                _ => l.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        let (edits, problems) = read(&filled, &r);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(edits.len(), 2);
        assert_eq!(edits[0].edit.old, b"=dup@x.com");
        assert_eq!(edits[0].edit.new, b"dup2@x.com");
        assert_eq!(edits[1].dn, "CN=B,DC=x");
    }

    #[test]
    fn rows_that_match_nothing_are_problems_with_their_line() {
        let r = p::report(vec![p::finding(
            "r",
            "CN=B,DC=x",
            "mail",
            "b@x.local",
            None,
        )]);
        let text = "DN,attribute,current value,new value\n\"CN=B,DC=x\",mail,other@x.com,new@x.com\n\"CN=B,DC=x\",mail,b@x.local,\n";
        let (edits, problems) = read(text, &r);
        assert!(edits.is_empty());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 2);
        let (_, problems) = read("a,b\n1,2\n", &r);
        assert!(problems[0].problem.contains("header"));
    }
}
