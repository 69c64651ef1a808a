//! `mailshift completions SHELL` and `mailshift man` (issue 14): the
//! scripts and pages are made from the clap definitions; bash itself loads
//! the bash script.

use std::process::Command;

mod common;

use common::mailshift;

const SUBCOMMANDS: [&str; 8] = ["convert", "info", "check", "batch", "batch-report", "completions", "man", "verify"];

#[test]
fn bash_completion_defines_completion_for_mailshift() {
    let (code, script, err) = mailshift(&[&"completions", &"bash"]);
    assert_eq!(code, 0, "{err}");
    assert!(script.contains("mailshift"), "{script}");
    let Some(bash) = mailshift_testkit::tool("bash") else { return };
    let out = Command::new(bash)
        .arg("-c")
        .arg(format!("source <({} completions bash) && complete -p mailshift", env!("CARGO_BIN_EXE_mailshift")))
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "bash: {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("complete") && stdout.trim_end().ends_with(" mailshift"), "{stdout}");
}

#[test]
fn zsh_fish_powershell_elvish_scripts_name_the_subcommands() {
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let (code, script, err) = mailshift(&[&"completions", &shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        for sub in SUBCOMMANDS {
            assert!(script.contains(sub), "{shell}: no {sub} in\n{script}");
        }
        // And an option of a subcommand, not only the names.
        assert!(script.contains("dry-run"), "{shell}: no --dry-run in\n{script}");
    }
    let (_, zsh, _) = mailshift(&[&"completions", &"zsh"]);
    assert!(zsh.starts_with("#compdef mailshift"), "{zsh}");
    let (code, _, err) = mailshift(&[&"completions", &"tcsh"]);
    assert_eq!(code, 2, "an unknown shell is a usage error: {err}");
}

#[test]
fn man_page_holds_every_subcommand_and_the_exit_codes() {
    let (code, page, err) = mailshift(&[&"man"]);
    assert_eq!(code, 0, "{err}");
    assert!(page.starts_with(".TH"), "{page}");
    assert!(page.contains(".SH NAME") && page.contains(".SH SYNOPSIS"), "{page}");
    for sub in SUBCOMMANDS {
        let sub = sub.replace('-', "\\-");
        assert!(page.contains(&format!("mailshift\\-{sub}(1)")), "no {sub} in\n{page}");
    }
    assert!(page.contains(".SH \"EXIT STATUS\""), "{page}");
    for code in ["0", "1", "2", "3", "130"] {
        assert!(page.contains(&format!(".TP\n\\fB{code}\\fR\n")), "no exit code {code} in\n{page}");
    }
    // man(1) itself renders it, where it is installed.
    if let Some(man) = mailshift_testkit::tool("man") {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("mailshift.1");
        std::fs::write(&file, &page).expect("page written");
        let out = Command::new(man).arg("-l").arg(&file).env("MANWIDTH", "80").env("PAGER", "cat").output();
        if let Some(out) = out.ok().filter(|o| o.status.success()) {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("EXIT STATUS") && text.contains("convert"), "{text}");
        }
    }
}

#[test]
fn man_dir_writes_one_page_per_subcommand() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("man1");
    let (code, listed, err) = mailshift(&[&"man", &"--dir", &out]);
    assert_eq!(code, 0, "{err}");
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .expect("dir made")
        .map(|e| e.expect("entry").file_name().into_string().unwrap())
        .collect();
    names.sort();
    let mut want: Vec<String> = SUBCOMMANDS.iter().map(|s| format!("mailshift-{s}.1")).collect();
    want.push("mailshift.1".to_string());
    want.sort();
    assert_eq!(names, want, "{listed}");
    let convert = std::fs::read_to_string(out.join("mailshift-convert.1")).expect("convert page");
    assert!(convert.starts_with(".TH MAILSHIFT\\-CONVERT 1 \"\" \"mailshift "), "{convert}");
    assert!(convert.contains("\\-\\-dry\\-run") && convert.contains(".SH \"EXIT STATUS\""), "{convert}");
    assert!(convert.contains(".SH IMAP"), "the IMAP options have a section of their own:\n{convert}");
}
