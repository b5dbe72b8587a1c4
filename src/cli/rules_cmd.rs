//! `dirready rules list|show|test`.

use super::args::RulesCommand;
use super::CliError;
use crate::gate::ExitStatus;
use crate::rules::{self, RuleSet};
use std::path::PathBuf;

pub fn run(cmd: RulesCommand) -> Result<ExitStatus, CliError> {
    match cmd {
        RulesCommand::List {
            rules,
            json,
            category,
            target,
        } => {
            let mut set = RuleSet::with_user_rules(&rules)?;
            if let Some(t) = target {
                set = set.for_target(t);
            }
            if let Some(c) = &category {
                if !crate::findings::Category::ALL
                    .iter()
                    .any(|k| k.as_str() == c)
                {
                    let known: Vec<&str> = crate::findings::Category::ALL
                        .iter()
                        .map(|k| k.as_str())
                        .collect();
                    return Err(CliError::Usage(format!(
                        "--category {c}: not a category (one of {})",
                        known.join(", ")
                    )));
                }
                set.rules.retain(|r| r.def.category.as_str() == c);
            }
            if json {
                let defs: Vec<&rules::RuleDef> = set.rules.iter().map(|r| &r.def).collect();
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&defs).unwrap_or_default()
                );
            } else {
                // Predictions against a tenant snapshot (`--tenant`) are listed with the
                // rules, though they are not YAML rules.
                let predictions: Vec<_> = crate::tenant::PREDICTIONS
                    .iter()
                    .filter(|p| category.as_deref().is_none_or(|c| p.category.as_str() == c))
                    .collect();
                let rows: Vec<[&str; 5]> = set
                    .rules
                    .iter()
                    .map(|r| {
                        let d = &r.def;
                        [
                            &d.id,
                            d.severity.as_str(),
                            d.category.as_str(),
                            &d.attribute,
                            &d.title,
                        ]
                    })
                    .chain(predictions.iter().map(|p| {
                        [
                            p.id,
                            p.severity.as_str(),
                            p.category.as_str(),
                            "(--tenant)",
                            p.title,
                        ]
                    }))
                    .collect();
                let w = rows.iter().map(|r| r[0].len()).max().unwrap_or(0);
                for [id, severity, category, attribute, title] in rows {
                    outln!("{id:w$}  {severity:7}  {category:9}  {attribute:18}  {title}");
                }
            }
            Ok(ExitStatus::Pass)
        }
        RulesCommand::Docs { rules } => {
            let set = RuleSet::with_user_rules(&rules)?;
            out!("{}", rules::docs_markdown(&set));
            Ok(ExitStatus::Pass)
        }
        RulesCommand::Schema => {
            out!("{}", rules::json_schema());
            Ok(ExitStatus::Pass)
        }
        RulesCommand::Show { id, rules } => {
            let set = RuleSet::with_user_rules(&rules)?;
            if let Some(p) = crate::tenant::PREDICTIONS.iter().find(|p| p.id == id) {
                outln!(
                    "# {} (a prediction against a tenant snapshot, with --tenant)",
                    p.id
                );
                outln!(
                    "id: {}\ntitle: {}\nseverity: {}\ncategory: {}\ndocs: {}",
                    p.id,
                    p.title,
                    p.severity.as_str(),
                    p.category.as_str(),
                    p.docs
                );
                return Ok(ExitStatus::Pass);
            }
            match set.get(&id) {
                Some(r) => {
                    outln!("# {} (from {})", r.def.id, r.origin);
                    out!("{}", serde_yaml::to_string(&r.def).unwrap_or_default());
                    Ok(ExitStatus::Pass)
                }
                None => Err(CliError::Usage(format!(
                    "no rule has the id `{id}` (see `dirready rules list`)"
                ))),
            }
        }
        RulesCommand::Test {
            path,
            update_snapshots,
        } => {
            let set = match &path {
                Some(p) => RuleSet::from_paths(std::slice::from_ref(p)),
                None => RuleSet::builtin(),
            };
            let set = set?;
            let (count, failures) = crate::rule_examples::run(&set, None);
            for f in &failures {
                outln!("FAIL {f}");
            }
            outln!(
                "{} examples of {} rules: {} passed, {} failed",
                count,
                set.rules.len(),
                count - failures.len(),
                failures.len()
            );
            let mut differ = Vec::new();
            if let Some(p) = &path {
                let folder = if p.is_dir() {
                    p.clone()
                } else {
                    p.parent().map(PathBuf::from).unwrap_or_default()
                };
                let snapshots = folder.join("__snapshots__");
                if update_snapshots || snapshots.is_dir() {
                    // Only the rules of PATH, not the built-in scope file's.
                    differ =
                        crate::rule_examples::check_snapshots(&set, &snapshots, update_snapshots)
                            .map_err(|source| CliError::Write {
                            path: snapshots.clone(),
                            source,
                        })?;
                    for id in &differ {
                        outln!(
                            "SNAPSHOT {id}: messages or suggestions differ from {} (rerun with --update-snapshots to accept)",
                            snapshots.join(format!("{id}.snap")).display()
                        );
                    }
                    if update_snapshots {
                        outln!("snapshots written to {}", snapshots.display());
                    }
                }
            }
            Ok(if failures.is_empty() && differ.is_empty() {
                ExitStatus::Pass
            } else {
                ExitStatus::Fail
            })
        }
    }
}
