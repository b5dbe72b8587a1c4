//! `dirready fix REPORT.json`: the fix files of a saved report (the hand-off format: a
//! consultant may edit suggestions in it), plus the edits of a filled-in decisions CSV.
//! Every edit is validated again; one whose input changed since is refused.

use super::args::FixCmdArgs;
use super::CliError;
use crate::findings::Report;
use crate::fixes::{decisions, plan, validate};
use crate::gate::ExitStatus;
use crate::rules::RuleSet;

pub fn run(args: FixCmdArgs) -> Result<ExitStatus, CliError> {
    if !args.fix.any() {
        return Err(CliError::Usage(
            "nothing to write: give --fix-ldif, --fix-ps1 or --decisions-csv".into(),
        ));
    }
    let text = std::fs::read_to_string(&args.report).map_err(|source| CliError::Read {
        path: args.report.clone(),
        source,
    })?;
    let mut report: Report =
        serde_json::from_str(&text).map_err(|source| CliError::NotAReport {
            path: args.report.clone(),
            source,
        })?;
    if report.redacted.is_some() {
        return Err(CliError::Usage(format!(
            "{}: this report was written with --redact: its names and addresses are pseudonyms, \
             and fix files made from it would write them into the directory; make the fix files \
             from an unredacted report",
            args.report.display()
        )));
    }
    report.fill_fingerprints();
    let rules = RuleSet::with_user_rules(&args.rules)?;
    let mut plan = plan::plan(&report);
    // Edits plan() itself refused (a name that is not an attribute, an excepted value).
    let mut trouble = false;
    for r in &plan.refused {
        super::fixfiles::print_refusal("refused", r);
        trouble |= r.reason != "another finding on this value is excepted: left as it is";
    }
    if let Some(csv) = &args.decisions {
        let text = std::fs::read_to_string(csv).map_err(|source| CliError::Read {
            path: csv.clone(),
            source,
        })?;
        let (edits, problems) = decisions::read(&text, &report);
        for p in &problems {
            eprintln!("{}:{}: error: {}", csv.display(), p.line, p.problem);
        }
        trouble |= !problems.is_empty();
        for e in edits {
            if let Some(r) = plan.add_decided(e) {
                plan.refused.push(r);
                trouble = true;
            }
        }
    }
    let (states, mut refused, holders) =
        validate::verify_inputs(&report, &rules, &mut plan, !args.verified_only);
    refused.extend(validate::check_values(&rules, &report, &mut plan, &holders));
    for (input, state) in &states {
        match state {
            validate::InputState::Unchanged => {}
            validate::InputState::Changed => eprintln!(
                "dirready: warning: {} changed since the report: edits were checked against its current values",
                crate::report::escape::terminal(input)
            ),
            validate::InputState::Unverified(why) => {
                eprintln!(
                    "dirready: warning: {}: edits of its objects NOT VERIFIED against it ({})",
                    crate::report::escape::terminal(input),
                    crate::report::escape::terminal(why)
                );
                if !args.verified_only {
                    plan.unverified.push(input.clone());
                }
            }
        }
    }
    for r in &refused {
        super::fixfiles::print_refusal("refused", r);
    }
    trouble |= !refused.is_empty();
    plan.refused.extend(refused);
    super::fixfiles::write(&report, &plan, &args.fix, args.quiet)?;
    Ok(if trouble {
        ExitStatus::Fail
    } else {
        ExitStatus::Pass
    })
}
