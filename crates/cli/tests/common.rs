//! Helpers for the end-to-end tests: run the binary, read reports, read
//! stores through the library readers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use mailshift_core::{Item, StoreReader};

/// Runs `mailshift ARGS`, returning (exit code, stdout, stderr).
pub fn mailshift(args: &[&dyn AsRef<std::ffi::OsStr>]) -> (i32, String, String) {
    mailshift_testkit::run(Command::new(env!("CARGO_BIN_EXE_mailshift")).args(args))
}

/// Runs `mailshift ARGS` in the working directory `cwd` (as a user runs it:
/// fsync on unless ARGS say `--no-fsync`), returning (exit code, stdout,
/// stderr).
pub fn mailshift_in<S: AsRef<std::ffi::OsStr>>(cwd: &Path, args: &[S]) -> (i32, String, String) {
    mailshift_testkit::run(Command::new(env!("CARGO_BIN_EXE_mailshift")).current_dir(cwd).args(args))
}

/// A JSON file (a `--report`) read and parsed.
pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("report written")).expect("report is JSON")
}

/// Runs a conversion with a JSON report and returns the parsed report.
pub fn convert(src: &Path, dst: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let report = dst.with_extension("report.json");
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> =
        vec![&"convert", &src, &dst, &"--report", &report, &"--no-fsync", &"-q"];
    for e in extra {
        args.push(e);
    }
    let (code, _, err) = mailshift(&args);
    assert!(code == 0 || code == 1, "mailshift convert {} {} failed ({code}): {err}", src.display(), dst.display());
    (code, read_json(&report))
}

/// Total counts of a report.
pub fn total(report: &serde_json::Value, field: &str) -> u64 {
    report["total"][field].as_u64().unwrap_or_else(|| panic!("report has total.{field}: {report}"))
}

/// (folder path, raw message bytes) of every mail item of a store, in order.
pub fn messages(reader: &dyn StoreReader) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for f in reader.folders().expect("folders") {
        for m in reader.items(f.id).expect("items") {
            if let Item::Mail(mail) = reader.read(m.id).expect("read") {
                out.push((f.display_path(), mail.raw.into_owned()));
            }
        }
    }
    out
}

/// Removes the header lines a conversion may rewrite to carry state
/// (Status, X-Status, X-Keywords), so that messages can be compared.
pub fn without_state_headers(raw: &[u8]) -> Vec<u8> {
    let (head, body) = mailshift_core::prepare::split_header(raw);
    let mut out = Vec::with_capacity(raw.len());
    let mut skipping = false;
    for line in head.split_inclusive(|&b| b == b'\n') {
        let cont = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        if cont && skipping {
            continue;
        }
        let lower = line.to_ascii_lowercase();
        skipping =
            lower.starts_with(b"status:") || lower.starts_with(b"x-status:") || lower.starts_with(b"x-keywords:");
        if !skipping {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(&raw[head.len()..raw.len() - body.len()]);
    out.extend_from_slice(body);
    out
}

/// The generated sample the repo ships.
pub fn sample(name: &str) -> PathBuf {
    mailshift_testkit::workspace_root().join("fixtures/generated").join(name)
}

/// SampleOstFile.ost among the fixtures, or `None` after a skip.
pub fn sample_ost() -> Option<PathBuf> {
    let dir = mailshift_testkit::fixtures_dir()?;
    let p = dir.join("aspose-email__Aspose.Email-for-.NET/SampleOstFile.ost");
    if p.is_file() {
        Some(p)
    } else {
        mailshift_testkit::skip(&format!("SampleOstFile.ost is not among the fixtures ({} is missing)", p.display()));
        None
    }
}

/// Python's `mailbox` module's view of a store: (count, sorted Message-IDs).
pub fn python_mailbox(kind: &str, path: &Path) -> Option<(usize, Vec<String>)> {
    if !mailshift_testkit::python_module("mailbox") {
        return None;
    }
    let script = r#"
import mailbox, sys, json, email.parser, email.policy
kind, path = sys.argv[1], sys.argv[2]
parser = email.parser.BytesHeaderParser(policy=email.policy.compat32)
def ids(box):
    out = []
    for key in box.iterkeys():
        msg = parser.parsebytes(box.get_bytes(key))
        mid = msg.get('Message-ID')
        out.append(str(mid or '').strip().strip('<>'))
    return out
if kind == 'mbox':
    box = mailbox.mbox(path, create=False)
    allids = ids(box)
else:
    box = mailbox.Maildir(path, factory=None, create=False)
    allids = ids(box)
    for name in box.list_folders():
        allids += ids(box.get_folder(name))
print(json.dumps(sorted(allids)))
"#;
    let out = Command::new("python3").args(["-c", script, kind]).arg(path).output().expect("python3 runs");
    assert!(
        out.status.success(),
        "python mailbox failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let ids: Vec<String> = serde_json::from_slice(&out.stdout).expect("json");
    Some((ids.len(), ids))
}
