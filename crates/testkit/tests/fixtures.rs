//! The committed generated fixtures match the commands in fixtures/README.md,
//! the generator is deterministic, and independent readers (Python's
//! `mailbox`) read what the corpus writers wrote.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use mailshift_testkit::corpus::{generate, write_maildir, write_mboxrd, write_single_mbox, CorpusSpec, CASES, FOLDERS};
use mailshift_testkit::{python_module, workspace_root};

const PREFIX: &str = "cargo run -p mailshift-testkit --bin gen-corpus -- ";

/// The `gen-corpus` argument lists of the README's regeneration commands.
fn readme_commands() -> Vec<Vec<String>> {
    let readme = std::fs::read_to_string(workspace_root().join("fixtures/README.md")).expect("fixtures/README.md");
    let cmds: Vec<Vec<String>> = readme
        .lines()
        .filter_map(|l| l.trim().strip_prefix(PREFIX))
        .map(|args| args.split_whitespace().map(str::to_string).collect())
        .collect();
    assert!(cmds.len() >= 2, "fixtures/README.md lists no gen-corpus commands");
    cmds
}

/// The spec and output (flag, path) of one argument list.
fn spec_of(args: &[String]) -> (CorpusSpec, String, String) {
    let mut spec = CorpusSpec { seed: 0, messages: 0, target_bytes: 0, max_attachment: 0 };
    let mut out = None;
    for pair in args.chunks(2) {
        let v = &pair[1];
        match pair[0].as_str() {
            "--seed" => spec.seed = v.parse().unwrap(),
            "--messages" => spec.messages = v.parse().unwrap(),
            "--bytes" => spec.target_bytes = v.parse().unwrap(),
            "--max-attachment" => spec.max_attachment = v.parse().unwrap(),
            flag => out = Some((flag.to_string(), v.clone())),
        }
    }
    let (flag, path) = out.expect("an output argument");
    (spec, flag, path)
}

/// Every file under `p` (or `p` itself), relative path -> bytes.
fn tree(p: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![p.to_path_buf()];
    while let Some(x) = stack.pop() {
        if x.is_dir() {
            for e in std::fs::read_dir(&x).unwrap() {
                stack.push(e.unwrap().path());
            }
        } else {
            out.insert(x.strip_prefix(p).unwrap().to_path_buf(), std::fs::read(&x).unwrap());
        }
    }
    out
}

#[test]
fn readme_commands_reproduce_the_committed_samples() {
    let tmp = tempfile::tempdir().unwrap();
    for (i, args) in readme_commands().into_iter().enumerate() {
        let (_, flag, committed) = spec_of(&args);
        let fresh = tmp.path().join(format!("out{i}"));
        let mut cmd_args = args.clone();
        let pos = cmd_args.iter().position(|a| *a == flag).unwrap();
        cmd_args[pos + 1] = fresh.display().to_string();
        let status = Command::new(env!("CARGO_BIN_EXE_gen-corpus")).args(&cmd_args).status().unwrap();
        assert!(status.success(), "gen-corpus {cmd_args:?}");
        let want = tree(&workspace_root().join(&committed));
        let got = tree(&fresh);
        assert!(!want.is_empty(), "{committed} is missing");
        assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>(), "files of {committed}");
        for (k, v) in &want {
            assert!(got[k] == *v, "{committed}/{} differs from a fresh run of the README command", k.display());
        }
    }
}

#[test]
fn generator_is_deterministic_and_covers_every_case() {
    let spec = CorpusSpec { seed: 42, messages: 300, target_bytes: 3_000_000, max_attachment: 200_000 };
    let a = generate(&spec);
    assert_eq!(a, generate(&spec));
    assert_ne!(a, generate(&CorpusSpec { seed: 43, ..spec }));
    assert_eq!(a.len(), 300);
    for case in CASES {
        assert!(a.iter().any(|m| m.case() == case), "case {case} missing");
    }
    for f in FOLDERS {
        assert!(a.iter().any(|m| m.folder == f), "folder {f:?} empty");
    }
    let total: u64 = a.iter().map(|m| m.raw.len() as u64).sum();
    assert!((2_000_000..4_500_000).contains(&total), "{total} bytes, target 3000000");
    // The big attachment is there, base64 with 76-character lines.
    let big = a.iter().find(|m| m.case() == "big-attachment").unwrap();
    assert!(big.raw.len() > 200_000 * 4 / 3, "{}", big.raw.len());
    for m in &a {
        assert!(m.raw.ends_with(b"\n"), "every message ends with a line ending");
        assert!(!m.raw.starts_with(b"From "), "no message starts like an mbox separator");
    }
    // Hard cases hold what they promise.
    let by = |c: &str| a.iter().find(|m| m.case() == c).unwrap();
    assert!(by("crlf").raw.windows(2).filter(|w| w == b"\r\n").count() > 5);
    assert!(!by("crlf").raw.iter().enumerate().any(|(i, &b)| b == b'\n' && (i == 0 || by("crlf").raw[i - 1] != b'\r')));
    assert!(!by("header-only").raw.windows(2).any(|w| w == b"\n\n"));
    assert!(by("zero-body").raw.ends_with(b"\n\n"));
    assert_eq!(by("no-message-id").message_id(), None);
    let dup = a.iter().position(|m| m.case() == "duplicate-message-id").unwrap();
    assert_eq!(a[dup].message_id(), a[dup - 1].message_id());
    assert!(by("long-lines").raw.split(|&b| b == b'\n').any(|l| l.len() > 998));
    assert!(std::str::from_utf8(&by("latin1-header").raw).is_err());
    assert!(by("from-lines").raw.windows(7).any(|w| w == b"\n\nFrom "));
    assert!(by("quoted-from-lines").raw.windows(8).any(|w| w == b"\n>>From "));
    let s = by("status-headers");
    assert!(s.flags.seen && s.flags.answered && s.flags.flagged);
    assert_eq!(s.header("X-Keywords").as_deref(), Some(&b"Work $Label1"[..]));
}

/// A minimal mboxrd reader written for this test: split at From_ lines,
/// drop the separator's blank line, remove one `>` from `^>+From `.
fn read_mboxrd(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut msgs: Vec<Vec<u8>> = Vec::new();
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"From ") {
            if let Some(last) = msgs.last_mut() {
                assert_eq!(last.pop(), Some(b'\n'), "separator blank line");
            }
            msgs.push(Vec::new());
            continue;
        }
        let cur = msgs.last_mut().expect("starts with a From_ line");
        let gts = line.iter().take_while(|&&b| b == b'>').count();
        if gts > 0 && line[gts..].starts_with(b"From ") {
            cur.extend_from_slice(&line[1..]);
        } else {
            cur.extend_from_slice(line);
        }
    }
    if let Some(last) = msgs.last_mut() {
        assert_eq!(last.pop(), Some(b'\n'));
    }
    msgs
}

#[test]
fn mboxrd_writers_round_trip_byte_exact() {
    let spec = CorpusSpec { seed: 9, messages: 80, target_bytes: 300_000, max_attachment: 30_000 };
    let msgs = generate(&spec);
    let tmp = tempfile::tempdir().unwrap();
    let single = tmp.path().join("all.mbox");
    write_single_mbox(&msgs, &single).unwrap();
    let back = read_mboxrd(&std::fs::read(&single).unwrap());
    assert_eq!(back.len(), msgs.len());
    for (m, b) in msgs.iter().zip(&back) {
        assert!(m.raw == *b, "{} changed in the single mbox", m.case());
    }
    let dir = tmp.path().join("tree");
    write_mboxrd(&msgs, &dir).unwrap();
    for f in FOLDERS {
        let folder: Vec<String> = f.iter().map(|s| s.to_string()).collect();
        let want: Vec<&Vec<u8>> = msgs.iter().filter(|m| m.folder == folder).map(|m| &m.raw).collect();
        let p = mailshift_testkit::corpus::mbox_tree_path(&dir, &folder);
        let got = read_mboxrd(&std::fs::read(&p).unwrap());
        assert_eq!(got.len(), want.len(), "{}", p.display());
        assert!(got.iter().zip(want).all(|(g, w)| g == w), "{}", p.display());
    }
    assert!(dir.join("Archiv.sbd/2019").is_file() && dir.join("Inbox").is_file() && dir.join("Entwürfe").is_file());
}

fn python(script: &str, arg: &Path) -> String {
    let out = Command::new("python3").arg("-c").arg(script).arg(arg).output().unwrap();
    assert!(out.status.success(), "python: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn python_mailbox_reads_sample_mbox() {
    if !python_module("mailbox") {
        return;
    }
    let args = readme_commands().into_iter().find(|a| a.contains(&"--mbox".to_string())).expect("a --mbox command");
    let (spec, _, path) = spec_of(&args);
    let want: Vec<String> =
        generate(&spec).iter().map(|m| m.message_id().map_or("None".into(), |id| format!("<{id}>"))).collect();
    let got = python(
        "import mailbox, sys\nfor m in mailbox.mbox(sys.argv[1]):\n    print(m.get('Message-ID'))\n",
        &workspace_root().join(path),
    );
    let got: Vec<&str> = got.lines().collect();
    assert_eq!(got.len(), spec.messages);
    assert_eq!(got, want);
}

#[test]
fn python_mailbox_reads_the_maildir_writer() {
    if !python_module("mailbox") {
        return;
    }
    let spec = CorpusSpec { seed: 5, messages: 50, target_bytes: 150_000, max_attachment: 10_000 };
    let msgs = generate(&spec);
    let tmp = tempfile::tempdir().unwrap();
    write_maildir(&msgs, tmp.path()).unwrap();
    // folder, Message-ID, flags, for each message; sorted for comparison.
    let got = python(
        r#"import mailbox, sys
md = mailbox.Maildir(sys.argv[1], factory=None, create=False)
def dump(box, name):
    for key in box.keys():
        m = box[key]
        print('%s|%s|%s' % (name, m.get('Message-ID'), m.get_flags()))
dump(md, '')
for f in md.list_folders():
    dump(md.get_folder(f), f)
"#,
        tmp.path(),
    );
    // Python lists Dovecot's keyword letters (lower case) with the flags:
    // count them apart.
    let mut got: Vec<String> = got
        .lines()
        .map(|l| {
            let (head, flags) = l.rsplit_once('|').unwrap();
            let upper: String = flags.chars().filter(char::is_ascii_uppercase).collect();
            let kws = flags.chars().filter(char::is_ascii_lowercase).count();
            format!("{head}|{upper}|{kws}")
        })
        .collect();
    got.sort();
    let mut want: Vec<String> = msgs
        .iter()
        .map(|m| {
            let folder: Vec<String> = m.folder.iter().map(|n| mailshift_testkit::corpus::modified_utf7(n)).collect();
            let id = m.message_id().map_or("None".into(), |id| format!("<{id}>"));
            format!("{}|{id}|{}|{}", folder.join("."), m.flags.maildir_letters(), m.keywords.len())
        })
        .collect();
    want.sort();
    assert_eq!(got, want);
}
