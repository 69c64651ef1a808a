//! `mailshift check FILE.pst|ost`: the structural check of
//! [`mailshift_pst::check`], as a table or as JSON.

use std::fmt::Write as _;
use std::path::Path;

use mailshift_core::text::for_terminal;
use mailshift_pst::check::{self, CheckReport, Problem};
use serde_json::json;

/// Examples shown per rule in the table.
const EXAMPLES: usize = 3;

/// Runs the check on `src` and prints it; the exit code is the report's
/// (0 clean, 1 problems, 2 not a store).
pub fn run(src: &Path, json: bool) -> anyhow::Result<u8> {
    let report = check::check(src);
    if json {
        println!("{}", serde_json::to_string_pretty(&to_json(&report))?);
    } else {
        print!("{}", table(&report));
    }
    Ok(report.exit_code())
}

fn problem_json(p: &Problem) -> serde_json::Value {
    json!({
        "rule": p.rule,
        "severity": p.severity.name(),
        "structure": p.structure,
        "offset": p.offset,
        "message": for_terminal(&p.message),
    })
}

/// One object: {file, format, checks, problems, summary}.
fn to_json(r: &CheckReport) -> serde_json::Value {
    let checks: Vec<serde_json::Value> = r
        .areas
        .iter()
        .map(|a| json!({"structure": a.structure, "checked": a.checked, "problems": a.problems}))
        .collect();
    let rules: serde_json::Map<String, serde_json::Value> =
        r.counts().iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
    let verdict = match r.verdict {
        check::Verdict::Clean => "clean",
        check::Verdict::Problems => "problems",
        check::Verdict::NotAStore => "not a store",
    };
    json!({
        "file": for_terminal(&r.file),
        "format": r.format,
        "checks": checks,
        "problems": r.problems().iter().map(problem_json).collect::<Vec<_>>(),
        "summary": {
            "verdict": verdict,
            "exit_code": r.exit_code(),
            "problems": r.counts().values().sum::<u64>(),
            "rules": rules,
        },
    })
}

fn table(r: &CheckReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}: {}", for_terminal(&r.file), r.format.as_deref().unwrap_or("not a PST or OST"));
    if !r.areas.is_empty() {
        let _ = writeln!(out, "{:<10} {:>9} {:>9}", "structure", "checked", "problems");
        for a in &r.areas {
            let _ = writeln!(out, "{:<10} {:>9} {:>9}", a.structure, a.checked, a.problems);
        }
    }
    for (rule, n) in r.counts() {
        let sev = check::rule(rule).map_or("?", |r| r.severity.name());
        let _ = writeln!(out, "\n{rule} ({sev}, {n}x): {}", check::rule(rule).map_or("", |r| r.requires));
        for p in r.problems().iter().filter(|p| p.rule == *rule).take(EXAMPLES) {
            let at = p.offset.map_or(String::new(), |o| format!("at {o:#x}: "));
            let _ = writeln!(out, "  {at}{}", for_terminal(&p.message));
        }
        if *n as usize > EXAMPLES {
            let _ = writeln!(out, "  ... {} more", *n as usize - EXAMPLES);
        }
    }
    let total: u64 = r.counts().values().sum();
    let verdict = match r.verdict {
        check::Verdict::Clean if total == 0 => "clean: no problem found".to_string(),
        check::Verdict::Clean => format!("clean: {total} note(s), no problem"),
        check::Verdict::Problems => format!("{total} problem(s) in {} rule(s)", r.failed_rules().len()),
        check::Verdict::NotAStore => "not a store: nothing beyond the header was checked".to_string(),
    };
    let _ = writeln!(out, "\n{verdict}");
    out
}
