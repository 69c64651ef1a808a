//! Every mail message of every PST/OST fixture through `mime::build`, read
//! back by mail-parser and by Python's `email` (no defects in the MIME
//! structure we write; header defects only where a kept transport header
//! already had them), and built twice to the same bytes.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use mailshift_pst::{mime, tags, Store};

/// Messages per fixture file, so the test stays quick on large stores.
const PER_FILE: usize = 400;

/// Built messages of one store: (label, bytes).
fn built_messages(path: &Path) -> Vec<(String, Vec<u8>)> {
    let Ok(store) = Store::open(path) else {
        return Vec::new();
    };
    let Ok(tree) = store.folders() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for f in &tree.all {
        let Ok(rows) = store.contents(f.nid) else {
            continue;
        };
        for row in rows {
            if out.len() >= PER_FILE {
                return out;
            }
            let Ok(msg) = store.message(row.nid) else {
                continue;
            };
            let class = msg.props.str(tags::MESSAGE_CLASS).unwrap_or("IPM.Note").to_ascii_lowercase();
            if !(class.starts_with("ipm.note") || class.starts_with("report.") || class == "ipm") {
                continue;
            }
            let built = mime::build(&msg);
            assert_eq!(built, mime::build(&msg), "{} nid {:#x}: not deterministic", path.display(), row.nid);
            out.push((format!("{} nid {:#x}", path.display(), row.nid), built.bytes));
        }
    }
    out
}

const PY: &str = r#"
import sys, os, email, email.policy
from email.parser import BytesParser
bad = 0
for name in sorted(os.listdir(sys.argv[1])):
    raw = open(os.path.join(sys.argv[1], name), "rb").read()
    m = email.message_from_bytes(raw, policy=email.policy.default)
    probs = []
    for p in m.walk():
        probs += ["part %s: %r" % (p.get_content_type(), d) for d in p.defects]
    # Headers we write (the kept transport header is the sender's business).
    for k in ("Content-Type", "Content-Disposition", "Content-Transfer-Encoding", "MIME-Version"):
        for p in m.walk():
            v = p.get(k)
            probs += ["header %s: %r" % (k, d) for d in getattr(v, "defects", ())]
    try:
        BytesParser(policy=email.policy.default).parsebytes(m.as_bytes(policy=email.policy.SMTP))
    except Exception as e:
        probs.append("round trip: %r" % e)
    if probs:
        bad += 1
        print(name, "; ".join(probs))
print("CHECKED", len(os.listdir(sys.argv[1])), "BAD", bad)
"#;

#[test]
fn every_fixture_message_builds_clean_mime() {
    let Some(files) = mailshift_testkit::fixture_files(&["pst", "ost"]) else {
        return;
    };
    // A directory of our own under the system temp dir, removed at the end.
    let dir = std::env::temp_dir().join(format!("mailshift-pst-mime-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut labels = Vec::new();
    for path in &files {
        for (label, bytes) in built_messages(path) {
            for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
                assert!(line.len() <= 999, "{label}: line {i} is {} octets", line.len());
            }
            let parsed = mail_parser::MessageParser::default().parse(&bytes);
            assert!(parsed.is_some_and(|p| !p.parts.is_empty()), "{label}: mail-parser cannot read it");
            let name = format!("{:06}.eml", labels.len());
            std::fs::File::create(dir.join(&name)).and_then(|mut f| f.write_all(&bytes)).expect("write eml");
            labels.push(label);
        }
    }
    assert!(!labels.is_empty(), "no mail message in any fixture");
    if !mailshift_testkit::python_module("email") {
        std::fs::remove_dir_all(&dir).ok();
        return;
    }
    let out = Command::new("python3")
        .args(["-c", PY, &dir.display().to_string()])
        .stdout(Stdio::piped())
        .output()
        .expect("python3 runs");
    if std::env::var_os("MAILSHIFT_KEEP_MIME").is_none() {
        std::fs::remove_dir_all(&dir).ok();
    }
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "python failed");
    let bad: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with("CHECKED"))
        .map(|l| {
            let idx: usize = l.get(..6).and_then(|n| n.parse().ok()).unwrap_or(0);
            format!("{}: {}", labels.get(idx).map(String::as_str).unwrap_or("?"), l)
        })
        .collect();
    assert!(bad.is_empty(), "{} of {} messages with defects:\n{}", bad.len(), labels.len(), bad.join("\n"));
    eprintln!("{}", text.lines().last().unwrap_or_default());
}
