//! The README's commands, run literally as a new user would: from a fresh
//! working directory, with the relative paths the README gives, in the
//! order it gives them. Each must exit 0.
//!
//! `cargo run --release -p mailshift -- ARGS` runs as the binary under test
//! with ARGS; `mailshift ARGS` likewise. The working directory holds what a
//! user following the README has: the repository's `fixtures/` (a link)
//! and, for the rescue steps, `old.ost` (a link to SampleOstFile.ost).

mod common;

use std::process::Command;

/// The README's indented command lines that run mailshift, in order.
fn readme_commands() -> Vec<Vec<String>> {
    let readme = std::fs::read_to_string(mailshift_testkit::workspace_root().join("README.md")).unwrap();
    let mut out = Vec::new();
    for line in readme.lines() {
        let Some(cmd) = line.strip_prefix("    ").map(str::trim) else { continue };
        let args = if let Some(rest) = cmd.strip_prefix("cargo run --release -p mailshift -- ") {
            rest
        } else if let Some(rest) = cmd.strip_prefix("mailshift ") {
            rest
        } else {
            continue;
        };
        out.push(args.split_whitespace().map(str::to_string).collect());
    }
    out
}

#[test]
fn the_readme_commands_run_as_written() {
    let commands = readme_commands();
    assert!(commands.len() >= 5, "the README's commands were not found: {commands:?}");
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    std::os::unix::fs::symlink(mailshift_testkit::workspace_root().join("fixtures"), cwd.join("fixtures")).unwrap();
    let ost = common::sample_ost();
    match &ost {
        Some(p) => std::os::unix::fs::symlink(p, cwd.join("old.ost")).unwrap(),
        None => eprintln!("the README's rescue steps (old.ost) are not run"),
    }
    let mut ran = 0;
    for args in &commands {
        if args.iter().any(|a| a == "old.ost") && ost.is_none() {
            continue;
        }
        let out = Command::new(env!("CARGO_BIN_EXE_mailshift")).args(args).current_dir(cwd).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "mailshift {}\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        ran += 1;
    }
    assert!(ran >= 2);
    // What the first command promises: a Maildir of the sample tree.
    let demo = cwd.join("mailshift-demo");
    assert!(demo.join("cur").is_dir() || demo.join("new").is_dir(), "no Maildir at {}", demo.display());
    if ost.is_some() {
        assert!(cwd.join("rescued/Calendar.ics").exists() || cwd.join("rescued").join("Deleted Items.ics").exists());
        assert!(cwd.join("calendar.ics").exists());
    }
}
