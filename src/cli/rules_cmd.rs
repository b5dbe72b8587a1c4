//! `dirready rules list|show|test`.

use super::args::RulesCommand;
use super::CliError;
use crate::gate::ExitStatus;
use crate::rules::{self, RuleSet};

pub fn run(cmd: RulesCommand) -> Result<ExitStatus, CliError> {
    match cmd {
        RulesCommand::List { rules, json } => {
            let set = RuleSet::with_user_rules(&rules)?;
            if json {
                let defs: Vec<&rules::RuleDef> = set.rules.iter().map(|r| &r.def).collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&defs).unwrap_or_default()
                );
            } else {
                let w = set.rules.iter().map(|r| r.def.id.len()).max().unwrap_or(0);
                for r in &set.rules {
                    println!(
                        "{:w$}  {:7}  {:9}  {:18}  {}",
                        r.def.id,
                        r.def.severity.as_str(),
                        r.def.category.as_str(),
                        r.def.attribute,
                        r.def.title
                    );
                }
            }
            Ok(ExitStatus::Pass)
        }
        RulesCommand::Show { id, rules } => {
            let set = RuleSet::with_user_rules(&rules)?;
            match set.get(&id) {
                Some(r) => {
                    println!("# {} (from {})", r.def.id, r.origin);
                    print!("{}", serde_yaml::to_string(&r.def).unwrap_or_default());
                    Ok(ExitStatus::Pass)
                }
                None => Err(CliError::Usage(format!(
                    "no rule has the id `{id}` (see `dirready rules list`)"
                ))),
            }
        }
        RulesCommand::Test { path } => {
            let set = match &path {
                Some(p) => RuleSet::from_paths(std::slice::from_ref(p)),
                None => RuleSet::builtin(),
            };
            let set = set?;
            let (count, failures) = crate::rule_examples::run(&set, None);
            for f in &failures {
                println!("FAIL {f}");
            }
            println!(
                "{} examples of {} rules: {} passed, {} failed",
                count,
                set.rules.len(),
                count - failures.len(),
                failures.len()
            );
            Ok(if failures.is_empty() {
                ExitStatus::Pass
            } else {
                ExitStatus::Fail
            })
        }
    }
}
