//! IMAP as a target and a source (issue 13), end to end through the
//! binary, against a real Dovecot on loopback that each test starts
//! (`mailshift_testkit::dovecot`: its own config in a temp dir, imaps with
//! a certificate made at test time, imap with STARTTLS, a passwd-file,
//! Maildir storage). What the server holds is read with doveadm, not with
//! our reader.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mailshift_core::{Flags, FolderKind, FolderRole, Item, Prepared, StoreReader};
use mailshift_testkit::dovecot::{Dovecot, DovecotOptions, Msg};

mod common;

const PASSWORD: &str = "Pw-3x4mpl3-s3cr3t";

fn users(names: &[&str]) -> Vec<(String, String)> {
    names.iter().map(|n| (n.to_string(), PASSWORD.to_string())).collect()
}

struct Env {
    dir: tempfile::TempDir,
    dv: Dovecot,
    pw: PathBuf,
}

fn start(opts: DovecotOptions) -> Option<Env> {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = dir.path().join("server");
    std::fs::create_dir(&server).expect("server dir");
    let dv = Dovecot::start(&server, &opts)?;
    let pw = dir.path().join("password");
    std::fs::write(&pw, format!("{PASSWORD}\n")).expect("password file");
    Some(Env { dir, dv, pw })
}

fn start_users(names: &[&str]) -> Option<Env> {
    start(DovecotOptions { users: users(names), ..DovecotOptions::default() })
}

impl Env {
    fn url(&self, user: &str) -> String {
        format!("imaps://{user}@{}:{}", self.dv.host(), self.dv.imaps_port())
    }

    fn tls(&self) -> Vec<String> {
        vec!["--tls-ca".into(), self.dv.ca_pem().display().to_string()]
    }

    /// `mailshift ARGS --tls-ca CA --password-file PW`: (exit code, stdout, stderr).
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mailshift"));
        cmd.args(args).args(self.tls()).arg("--password-file").arg(&self.pw);
        cmd.env_remove("MAILSHIFT_PASSWORD");
        mailshift_testkit::run(&mut cmd)
    }

    fn upload(&self, src: &Path, user: &str, extra: &[&str]) -> (i32, serde_json::Value, String) {
        let report = self.dir.path().join(format!("report-{}.json", rand_suffix()));
        let journal = self.dir.path().join(format!("{user}.journal"));
        let mut args: Vec<String> = vec![
            "convert".into(),
            src.display().to_string(),
            self.url(user),
            "--report".into(),
            report.display().to_string(),
            "--no-fsync".into(),
        ];
        if !extra.contains(&"--no-journal") {
            args.extend(["--journal".into(), journal.display().to_string()]);
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, _, err) = self.run(&argv);
        let json = std::fs::read_to_string(&report)
            .map(|t| serde_json::from_str(&t).expect("report is JSON"))
            .unwrap_or(serde_json::Value::Null);
        (code, json, err)
    }
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!("{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

fn total(report: &serde_json::Value, field: &str) -> u64 {
    report["total"][field].as_u64().unwrap_or_else(|| panic!("report has total.{field}: {report}"))
}

/// One message as the tests compare them: Message-ID (without brackets),
/// size with CRLF line ends, IMAP flags, INTERNALDATE.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Fact {
    message_id: Option<String>,
    size: u64,
    flags: BTreeSet<String>,
    date: Option<i64>,
}

fn bare(id: &str) -> String {
    id.trim().trim_start_matches('<').trim_end_matches('>').trim().to_string()
}

/// As our writer sends them: keywords as IMAP atoms (an Outlook category's
/// space as `_`).
fn imap_flags(flags: Flags, keywords: &[String]) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = keywords.iter().map(|k| mailshift_core::mutf7::keyword_atom(k)).collect();
    for (f, name) in [
        (Flags::SEEN, "\\Seen"),
        (Flags::ANSWERED, "\\Answered"),
        (Flags::FLAGGED, "\\Flagged"),
        (Flags::DELETED, "\\Deleted"),
        (Flags::DRAFT, "\\Draft"),
        (Flags::FORWARDED, "$Forwarded"),
    ] {
        if flags.contains(f) {
            out.insert(name.to_string());
        }
    }
    out
}

/// Where our writer puts a source folder on this Dovecot: the inbox in
/// INBOX, the special folders in the special-use mailboxes, the rest by
/// path.
fn mailbox_for(path: &[String], role: FolderRole) -> String {
    let top_role = if path.len() <= 1 { role } else { FolderRole::guess(&path[0]) };
    let top_role =
        if top_role == FolderRole::None && !path.is_empty() { FolderRole::guess(&path[0]) } else { top_role };
    let special = match top_role {
        _ if path.is_empty() => Some("INBOX"),
        FolderRole::Inbox => Some("INBOX"),
        FolderRole::Sent => Some("Sent"),
        FolderRole::Drafts => Some("Drafts"),
        FolderRole::Trash => Some("Trash"),
        FolderRole::Junk => Some("Junk"),
        FolderRole::Archive => Some("Archive"),
        _ => None,
    };
    match special {
        Some(s) => std::iter::once(s.to_string()).chain(path.iter().skip(1).cloned()).collect::<Vec<_>>().join("/"),
        None => path.join("/"),
    }
}

/// The source's mail, by the mailbox it goes to.
fn source_facts(reader: &dyn StoreReader) -> BTreeMap<String, Vec<Fact>> {
    let mut out: BTreeMap<String, Vec<Fact>> = BTreeMap::new();
    for f in reader.folders().expect("folders") {
        if f.kind != FolderKind::Mail {
            continue;
        }
        let mb = mailbox_for(&f.path, f.role);
        let entry = out.entry(mb).or_default();
        for m in reader.items(f.id).expect("items") {
            let item = reader.read(m.id).expect("read");
            let Item::Mail(_) = &item else { continue };
            let p = Prepared::new(item, m);
            let Item::Mail(mail) = &p.item else { unreachable!() };
            entry.push(Fact {
                message_id: p.info.message_id.clone().map(|s| bare(&s)),
                size: mailshift_imap::keys::crlf(&mail.raw).len() as u64,
                flags: imap_flags(mail.flags, &mail.keywords),
                date: p.received(),
            });
        }
        entry.sort();
    }
    out.retain(|_, v| !v.is_empty());
    out
}

/// What the server holds, by mailbox; `dates` false leaves INTERNALDATE out.
fn server_facts(msgs: &[Msg], dates: bool) -> BTreeMap<String, Vec<Fact>> {
    let mut out: BTreeMap<String, Vec<Fact>> = BTreeMap::new();
    for m in msgs {
        out.entry(m.mailbox.clone()).or_default().push(Fact {
            message_id: m.message_id.as_deref().map(bare),
            size: m.size,
            flags: m.flags.clone(),
            date: dates.then_some(m.internal_date),
        });
    }
    for v in out.values_mut() {
        v.sort();
    }
    out
}

/// The source's facts without the dates it has none for (the server then
/// has the time of the upload).
fn comparable(
    mut src: BTreeMap<String, Vec<Fact>>,
    server: &BTreeMap<String, Vec<Fact>>,
) -> (BTreeMap<String, Vec<Fact>>, BTreeMap<String, Vec<Fact>>) {
    let mut server = server.clone();
    for (mb, facts) in src.iter_mut() {
        let theirs = server.entry(mb.clone()).or_default();
        // Where the source has no date, forget the server's for that message.
        let undated: Vec<(Option<String>, u64)> =
            facts.iter().filter(|f| f.date.is_none()).map(|f| (f.message_id.clone(), f.size)).collect();
        for t in theirs.iter_mut() {
            if undated.contains(&(t.message_id.clone(), t.size)) {
                t.date = None;
            }
        }
        theirs.sort();
        facts.sort();
    }
    server.retain(|_, v| !v.is_empty());
    (src, server)
}

fn fixture(rel: &str) -> Option<PathBuf> {
    let p = mailshift_testkit::fixtures_dir()?.join(rel);
    if p.exists() {
        Some(p)
    } else {
        mailshift_testkit::skip(&format!("fixture {rel} is missing"));
        None
    }
}

/// A local store through our readers (the trust tests hold them against
/// independent ones).
fn open_any(p: &Path) -> Box<dyn StoreReader> {
    match p.extension().and_then(|e| e.to_str()) {
        Some("pst" | "ost") => Box::new(mailshift_pst::PstReader::open(p).expect("open PST")),
        _ if p.join("cur").is_dir() => Box::new(mailshift_maildir::MaildirReader::open(p).expect("open Maildir")),
        _ => Box::new(mailshift_mbox::MboxReader::open(p).expect("open mbox")),
    }
}

fn repo(rel: &str) -> PathBuf {
    mailshift_testkit::workspace_root().join(rel)
}

/// The generated tree and several mbox fixtures, each into a user of its
/// own: doveadm's folders, counts, Message-IDs, sizes, flags and dates
/// equal the source's; special folders land on the special-use mailboxes;
/// a non-ASCII folder name reads back; a second run copies nothing.
#[test]
fn local_stores_upload_with_folders_flags_and_dates_and_a_rerun_copies_nothing() {
    let mut sources: Vec<PathBuf> = vec![repo("fixtures/generated/tree"), repo("fixtures/generated/sample.mbox")];
    for rel in [
        "apache__tika/complex.mbox",
        "chaoss__grimoirelab-perceval/mbox_multipart.mbox",
        "chaoss__grimoirelab-perceval/mbox_iso8859_encoding.mbox",
        "mricon__b4",
    ] {
        let Some(p) = fixture(rel) else { return };
        if p.is_dir() {
            // mricon/b4's mbox files.
            let mut mboxes: Vec<PathBuf> = std::fs::read_dir(&p)
                .expect("read b4 dir")
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "mbox"))
                .collect();
            mboxes.sort();
            sources.extend(mboxes.into_iter().take(2));
        } else {
            sources.push(p);
        }
    }
    let names: Vec<String> = (0..sources.len()).map(|i| format!("u{i}")).collect();
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let Some(env) = start_users(&name_refs) else { return };
    for (src, user) in sources.iter().zip(&names) {
        let reader = open_any(src);
        let want = source_facts(reader.as_ref());
        let n: usize = want.values().map(Vec::len).sum();
        let (code, report, err) = env.upload(src, user, &[]);
        assert_eq!(code, 0, "{}: exit {code}: {err}", src.display());
        assert_eq!(total(&report, "copied") as usize, n, "{}: {err}", src.display());
        let got = server_facts(&env.dv.messages(user), true);
        let (want, got) = comparable(want, &got);
        assert_eq!(got, want, "{}: what the server holds", src.display());

        // Again: nothing copied, everything known.
        let (code, report, err) = env.upload(src, user, &[]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(total(&report, "copied"), 0, "{}: a rerun copied: {err}", src.display());
        assert_eq!(total(&report, "skipped_duplicate") as usize, n);
        // And without the journal: the server alone says what it holds.
        let (code, report, err) = env.upload(src, user, &["--no-journal"]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(total(&report, "copied"), 0, "{err}");
        assert_eq!(env.dv.messages(user).len(), n, "{}: copies after three runs", src.display());
    }
    // The tree: Sent went to the special-use Sent, and Entwürfe reads back as such.
    let counts = env.dv.counts("u0");
    assert_eq!(counts.get("Sent"), Some(&3), "{counts:?}");
    assert_eq!(counts.get("Entwürfe"), Some(&5), "{counts:?}");
    assert_eq!(counts.get("Archiv/2019"), Some(&5), "{counts:?}");
    assert_eq!(env.dv.special_use("u0").get("Sent").map(String::as_str), Some("\\Sent"));
}

/// A PST into a mailbox: its mail folders by role (Inbox to INBOX, Sent
/// Items to Sent, Deleted Items to Trash), no "Sent Items" mailbox made;
/// its contacts and calendars into --pim-dir as .vcf / .ics, and without
/// --pim-dir they are skipped with a reason (exit 1).
#[test]
fn pst_uploads_its_mail_and_writes_its_pim_items_beside() {
    let Some(pst) = fixture("pim/pim-rich.pst") else { return };
    let Some(sample) = fixture("farnulfo__pst-exp/sample1.pst") else { return };
    let Some(env) = start_users(&["p1", "p2"]) else { return };
    for (src, user) in [(&sample, "p1"), (&pst, "p2")] {
        let want = source_facts(open_any(src).as_ref());
        let pim = env.dir.path().join(format!("pim-{user}"));
        let pim_arg = pim.display().to_string();
        let (code, report, err) = env.upload(src, user, &["--pim-dir", &pim_arg]);
        assert_eq!(code, 0, "{}: {err}", src.display());
        let got = server_facts(&env.dv.messages(user), true);
        let (want, got) = comparable(want, &got);
        assert_eq!(got, want, "{}", src.display());
        let boxes = env.dv.mailboxes(user);
        assert!(!boxes.contains("Sent Items") && !boxes.contains("Deleted Items"), "{boxes:?}");
        assert!(total(&report, "copied") > 0);
    }
    // pim-rich's contacts and calendar: one file each, with every entry.
    let pim = env.dir.path().join("pim-p2");
    let vcf = std::fs::read_to_string(pim.join("Contacts (This computer only).vcf")).expect("contacts written");
    assert_eq!(vcf.matches("BEGIN:VCARD").count(), 11, "{vcf}");
    let ics = std::fs::read_to_string(pim.join("Calendar (This computer only).ics")).expect("calendar written");
    assert!(ics.matches("BEGIN:VEVENT").count() >= 11, "{ics}");
    // Without --pim-dir: mail goes, the rest is listed as not taken.
    let Some(env2) = start_users(&["p3"]) else { return };
    let (code, report, err) = env2.upload(&pst, "p3", &[]);
    assert_eq!(code, 1, "{err}");
    assert!(total(&report, "skipped_unsupported") >= 30, "{report}");
    assert!(err.contains("--pim-dir"), "{err}");
}

/// Counts doveadm sees in INBOX, polled until `n` or the upload ends.
fn wait_for_count(env: &Env, user: &str, n: usize, child: &mut std::process::Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let have = env.dv.counts(user).get("INBOX").copied().unwrap_or(0);
        if have >= n || Instant::now() > deadline {
            return;
        }
        if child.try_wait().expect("poll upload").is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn spawn_upload(env: &Env, src: &Path, user: &str, extra: &[&str]) -> std::process::Child {
    let journal = env.dir.path().join(format!("{user}.journal"));
    Command::new(env!("CARGO_BIN_EXE_mailshift"))
        .arg("convert")
        .arg(src)
        .arg(env.url(user))
        .args(env.tls())
        .arg("--password-file")
        .arg(&env.pw)
        .args(if extra.contains(&"--no-journal") { vec![] } else { vec!["--journal".into(), journal] })
        .args(extra)
        .arg("-q")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start mailshift")
}

/// Every source message in INBOX exactly once (the sample has unique
/// Message-IDs), and nothing else.
fn assert_exactly_once(env: &Env, user: &str, src: &Path, what: &str) {
    let want = source_facts(open_any(src).as_ref());
    let got = server_facts(&env.dv.messages(user), false);
    let strip = |m: BTreeMap<String, Vec<Fact>>| -> BTreeMap<String, Vec<(Option<String>, u64)>> {
        m.into_iter()
            .map(|(k, v)| {
                let mut v: Vec<_> = v.into_iter().map(|f| (f.message_id, f.size)).collect();
                v.sort();
                (k, v)
            })
            .collect()
    };
    let (got, want) = (strip(got), strip(want));
    if got != want {
        // Only what differs: the whole lists are long.
        let mut diff = Vec::new();
        for folder in got.keys().chain(want.keys()).collect::<std::collections::BTreeSet<_>>() {
            let (g, w) = (got.get(folder).cloned().unwrap_or_default(), want.get(folder).cloned().unwrap_or_default());
            let extra: Vec<_> = g
                .iter()
                .filter(|m| g.iter().filter(|x| x == m).count() > w.iter().filter(|x| x == m).count())
                .collect();
            let missing: Vec<_> = w
                .iter()
                .filter(|m| w.iter().filter(|x| x == m).count() > g.iter().filter(|x| x == m).count())
                .collect();
            if !extra.is_empty() || !missing.is_empty() {
                diff.push(format!("{folder:?}: extra on the server {extra:?}, missing {missing:?}"));
            }
        }
        panic!("{what}: {}", diff.join("; "));
    }
}

/// Killed with SIGKILL after N appends, for several N, then run again:
/// every message is there exactly once. With a journal (cut mid-line by
/// the kill, maybe) and without one, and with batches of one and of
/// several messages.
#[test]
fn a_killed_upload_run_again_ends_with_each_message_once() {
    let src = repo("fixtures/generated/sample.mbox");
    let cases: [(&str, usize, &[&str]); 4] = [
        ("k1", 3, &["--append-batch", "1", "--connections", "1"]),
        ("k2", 17, &["--append-batch", "1", "--connections", "2"]),
        ("k3", 40, &["--append-batch", "4", "--connections", "3"]),
        ("k4", 25, &["--append-batch", "1", "--connections", "2", "--no-journal"]),
    ];
    let names: Vec<&str> = cases.iter().map(|c| c.0).collect();
    let Some(env) = start_users(&names) else { return };
    for (user, n, extra) in cases {
        let mut args: Vec<&str> = extra.to_vec();
        args.extend(["--max-rate", "40"]);
        let mut child = spawn_upload(&env, &src, user, &args);
        wait_for_count(&env, user, n, &mut child);
        let _ = child.kill();
        let _ = child.wait();
        let have = env.dv.counts(user).get("INBOX").copied().unwrap_or(0);
        assert!(have >= n.min(60) && have < 60, "{user}: killed with {have} in INBOX, wanted {n}..59");
        // The killed run's sessions may still be storing what they had
        // whole (more than `have`, then): the rerun starts once the server
        // is done with them, as a person's rerun does (one racing them
        // could not see what they store).
        assert!(env.dv.wait_sessions_gone(Duration::from_secs(30)), "{user}: sessions left");
        let no_journal = extra.contains(&"--no-journal");
        let (code, report, err) = env.upload(&src, user, if no_journal { &["--no-journal"] } else { &[] });
        assert_eq!(code, 0, "{user}: {err}");
        // (An APPEND the server had whole when the client died may still
        // land after `have` was read: the rerun's own counts are the check.)
        assert_eq!(total(&report, "copied") + total(&report, "skipped_duplicate"), 60, "{user}: {report}");
        assert!(total(&report, "skipped_duplicate") as usize >= have, "{user}: {report}");
        assert_exactly_once(&env, user, &src, user);
    }
}

/// The server drops every session mid-upload, twice: the run reconnects,
/// asks what landed, and ends with each message once; the report counts
/// the reconnects.
#[test]
fn dropped_connections_mid_upload_are_resumed() {
    let src = repo("fixtures/generated/sample.mbox");
    let Some(env) = start_users(&["d1"]) else { return };
    let report = env.dir.path().join("drop-report.json");
    let report_arg = report.display().to_string();
    let mut child = spawn_upload(
        &env,
        &src,
        "d1",
        &[
            "--append-batch",
            "2",
            "--connections",
            "2",
            "--max-rate",
            "30",
            "--report",
            &report_arg,
            "--no-fsync",
            // A session killed while its login is being handed over can
            // leave a command unanswered: the timeout is what ends the wait.
            "--timeout",
            "5",
            // Killed sessions still count against Dovecot's connection
            // limit for a while, and on a loaded machine a kill during
            // startup throttles the imap service: waits of up to a
            // minute (1, 2, 4 ... 60 s) outlast that.
            "--retries",
            "8",
        ],
    );
    for n in [10, 30] {
        wait_for_count(&env, "d1", n, &mut child);
        // Sessions being opened again (after the first drop) are not yet
        // imap processes: try for a while.
        let deadline = Instant::now() + Duration::from_secs(5);
        while env.dv.drop_connections() == 0 {
            assert!(Instant::now() < deadline, "no session to drop at {n}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let out = child.wait_with_output().expect("upload ends");
    let err = String::from_utf8_lossy(&out.stderr);
    let text = std::fs::read_to_string(&report).unwrap_or_default();
    assert_eq!(out.status.code(), Some(0), "{err}\nreport: {text}\nserver log:\n{}", env.dv.log());
    assert_exactly_once(&env, "d1", &src, &format!("after dropped connections\n{err}\nreport: {text}"));
    let json: serde_json::Value = serde_json::from_str(&text).expect("report");
    assert_eq!(total(&json, "copied"), 60, "{json}");
    let notes = json["notes"].to_string();
    assert!(notes.contains("reconnect"), "{notes}");
}

/// A mailbox whose UIDVALIDITY changed between runs: the journal's UIDs
/// are dropped, the server asked again, nothing copied twice.
#[test]
fn a_uidvalidity_change_between_runs_rescans() {
    let src = repo("fixtures/generated/tree");
    let Some(env) = start_users(&["v1"]) else { return };
    let (code, report, err) = env.upload(&src, "v1", &[]);
    assert_eq!((code, total(&report, "copied")), (0, 40), "{err}");
    let before = env.dv.uidvalidity("v1", "INBOX");
    env.dv.set_uidvalidity("v1", "INBOX", before + 1000);
    assert_eq!(env.dv.uidvalidity("v1", "INBOX"), before + 1000);
    let (code, report, err) = env.upload(&src, "v1", &[]);
    assert_eq!((code, total(&report, "copied")), (0, 0), "{err}");
    assert_eq!(env.dv.messages("v1").len(), 40);
}

/// Dovecot's capabilities without UIDPLUS, LITERAL+ and MULTIAPPEND:
/// synchronizing literals, no APPENDUID, one message per APPEND; the
/// upload, its rerun and a killed run's resume still come out exact.
#[test]
fn a_server_without_uidplus_literal_plus_or_multiappend() {
    let caps = "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES \
                THREAD=REFS THREAD=ORDEREDSUBJECT URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE \
                LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH \
                LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE NOTIFY SPECIAL-USE";
    let Some(env) =
        start(DovecotOptions { users: users(&["c1"]), capability: Some(caps.into()), ..DovecotOptions::default() })
    else {
        return;
    };
    let src = repo("fixtures/generated/sample.mbox");
    let mut child = spawn_upload(&env, &src, "c1", &["--max-rate", "40", "--connections", "2"]);
    wait_for_count(&env, "c1", 20, &mut child);
    let _ = child.kill();
    let _ = child.wait();
    assert!(env.dv.wait_sessions_gone(Duration::from_secs(30)), "sessions left");
    let (code, _, err) = env.upload(&src, "c1", &[]);
    assert_eq!(code, 0, "{err}");
    assert_exactly_once(&env, "c1", &src, "without UIDPLUS");
    let (code, report, err) = env.upload(&src, "c1", &[]);
    assert_eq!((code, total(&report, "copied")), (0, 0), "{err}");
}

/// A quota that fills: the run stops with exit 3 and says so; what went
/// in is whole; nothing after the first refusal was tried.
#[test]
fn a_full_mailbox_stops_the_run_with_exit_3() {
    let Some(env) =
        start(DovecotOptions { users: users(&["q1"]), quota_bytes: Some(60_000), ..DovecotOptions::default() })
    else {
        return;
    };
    let src = repo("fixtures/generated/sample.mbox");
    let src_arg = src.display().to_string();
    let url = env.url("q1");
    // The health check first: the quota, and that the upload will not fit.
    let (code, out, err) = env.run(&["info", &url, "--upload", &src_arg, "--max-size", "5K"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("quota User quota: ") && out.contains(" used of "), "{out}");
    assert!(out.contains("does not fit in what the quota leaves free"), "{out}");
    assert!(out.contains("11 messages over --max-size 5120 would be skipped"), "{out}");
    assert!(out.contains("the mailbox is empty"), "{out}");
    let (code, out, _) = env.run(&["info", &url, "--json"]);
    assert_eq!(code, 0);
    let j: serde_json::Value = serde_json::from_str(&out).expect("info --json");
    assert_eq!(j["extensions"]["UIDPLUS"], true, "{j}");
    assert!(j["quota"]["limit"].as_u64().is_some_and(|l| (59_000..=62_000).contains(&l)), "{j}");
    for batch in ["1", "8"] {
        let (code, report, err) = env.upload(&src, "q1", &["--append-batch", batch]);
        assert_eq!(code, 3, "batch {batch}: {err}");
        assert!(err.contains("stopped: the target is full") && err.to_lowercase().contains("quota"), "{err}");
        assert!(report["stopped"].as_str().is_some_and(|s| s.to_lowercase().contains("quota")), "{report}");
        let held = env.dv.messages("q1").len();
        assert!(held > 0 && held < 60, "{held}");
        assert!(total(&report, "failed") >= 1);
    }
}

/// IMAP -> Maildir -> IMAP (another user): the same messages, flags and
/// dates in the same folders (a non-ASCII one among them); the source
/// mailbox unchanged, `\Seen` included.
#[test]
fn imap_to_maildir_to_imap_keeps_everything_and_changes_nothing_at_the_source() {
    let Some(env) = start_users(&["src", "dst", "dst2"]) else { return };
    let (code, _, err) = env.upload(&repo("fixtures/generated/tree"), "src", &[]);
    assert_eq!(code, 0, "{err}");
    // Some state beyond what the tree has: unseen, flagged, a keyword.
    env.dv.append(
        "src",
        "INBOX",
        b"From: a@x\r\nSubject: unseen\r\nMessage-ID: <unseen@x>\r\n\r\nhi\r\n",
        &[],
        Some(1_000_000_000),
    );
    env.dv.append(
        "src",
        "Archiv",
        b"From: a@x\r\nSubject: flagged\r\nMessage-ID: <flagged@x>\r\n\r\nhi\r\n",
        &["\\Flagged", "$label1"],
        Some(1_100_000_000),
    );
    let before = env.dv.messages("src");
    let local = env.dir.path().join("backup");
    let local_arg = local.display().to_string();
    let src_url = env.url("src");
    let (code, _, err) = env.run(&["convert", &src_url, &local_arg, "--to", "maildir", "--no-fsync", "-q"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(env.dv.messages("src"), before, "the source mailbox changed");
    let (code, _, err) = env.upload(&local, "dst", &[]);
    assert_eq!(code, 0, "{err}");
    let strip_uids = |v: &[Msg]| -> BTreeMap<String, Vec<Fact>> { server_facts(v, true) };
    assert_eq!(strip_uids(&env.dv.messages("dst")), strip_uids(&before), "dst differs from src");
    // The backup again: nothing new (incremental by Message-ID with --dedup).
    let report = env.dir.path().join("backup-again.json");
    let report_arg = report.display().to_string();
    let (code, out, err) = env.run(&[
        "convert",
        &src_url,
        &local_arg,
        "--to",
        "maildir",
        "--dedup",
        "--no-fsync",
        "-q",
        "--report",
        &report_arg,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(total(&json, "copied"), 0, "{json}");
    assert_eq!(total(&json, "skipped_duplicate") as usize, before.len(), "{json}");
    // IMAP to IMAP directly, the source's password by its own option; twice.
    let dst2 = env.url("dst2");
    let pw = env.pw.display().to_string();
    for copied in [before.len(), 0] {
        let report = env.dir.path().join(format!("direct-{copied}.json"));
        let report_arg = report.display().to_string();
        let (code, _, err) = env.run(&[
            "convert",
            &src_url,
            &dst2,
            "--source-password-file",
            &pw,
            "--no-journal",
            "-q",
            "--report",
            &report_arg,
        ]);
        assert_eq!(code, 0, "{err}");
        let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        assert_eq!(total(&json, "copied") as usize, copied, "{json}");
    }
    assert_eq!(strip_uids(&env.dv.messages("dst2")), strip_uids(&before), "dst2 differs from src");
    assert_eq!(env.dv.messages("src"), before, "the source mailbox changed");
    // Into itself: refused.
    let (code, _, err) = env.run(&["convert", &src_url, &format!("{src_url}/Archiv"), "-q"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is the source mailbox"), "{err}");
}

/// STARTTLS on imap://, a master user by LOGIN (`user*master`) and by
/// AUTHENTICATE PLAIN with --authzid, a wrong password (exit 2, said so),
/// and the password in no output, report or journal.
#[test]
fn logins_and_the_password_never_shown() {
    let Some(env) = start(DovecotOptions {
        users: users(&["alice"]),
        master: Some(("admin".into(), PASSWORD.into())),
        ..DovecotOptions::default()
    }) else {
        return;
    };
    let src = repo("fixtures/generated/sample.mbox");
    let src_arg = src.display().to_string();
    let mut seen = String::new();
    // STARTTLS.
    let plain = format!("imap://alice@{}:{}", env.dv.host(), env.dv.imap_port());
    let report = env.dir.path().join("r.json");
    let report_arg = report.display().to_string();
    let journal = env.dir.path().join("j");
    let journal_arg = journal.display().to_string();
    let (code, out, err) =
        env.run(&["convert", &src_arg, &plain, "--report", &report_arg, "--journal", &journal_arg, "--no-fsync"]);
    assert_eq!(code, 0, "{err}");
    seen += &out;
    seen += &err;
    seen += &std::fs::read_to_string(&report).expect("report");
    seen += &std::fs::read_to_string(&journal).expect("journal");
    assert_eq!(env.dv.counts("alice").get("INBOX"), Some(&60));
    // A master user, both ways: they see alice's mailbox (all there already).
    let m1 = format!("imaps://alice*admin@{}:{}", env.dv.host(), env.dv.imaps_port());
    let m2 = format!("imaps://admin@{}:{}", env.dv.host(), env.dv.imaps_port());
    for (url, extra) in [(&m1, vec!["--auth", "login"]), (&m2, vec!["--authzid", "alice"])] {
        let mut args = vec!["convert", &src_arg, url.as_str(), "--no-journal", "--no-fsync", "--report", &report_arg];
        args.extend(extra);
        let (code, out, err) = env.run(&args);
        assert_eq!(code, 0, "{url}: {err}");
        let text = std::fs::read_to_string(&report).expect("report");
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!((total(&json, "copied"), total(&json, "skipped_duplicate")), (0, 60), "{url}: {err}");
        seen += &out;
        seen += &err;
        seen += &text;
    }
    // info on the mailbox.
    let url = env.url("alice");
    let (code, out, err) = env.run(&["info", &url]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("INBOX") && out.contains("60"), "{out}");
    seen += &out;
    seen += &err;
    // A wrong password: exit 2, the server's refusal named, no password shown.
    let wrong = env.dir.path().join("wrong");
    std::fs::write(&wrong, "not-the-password\n").unwrap();
    let (code, out, err) = mailshift_testkit::run(
        Command::new(env!("CARGO_BIN_EXE_mailshift"))
            .args(["convert", &src_arg, &url, "--no-journal"])
            .args(env.tls())
            .arg("--password-file")
            .arg(&wrong),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("refused the login of alice"), "{err}");
    assert!(!err.contains("not-the-password"), "{err}");
    seen += &out;
    seen += &err;
    // From the environment; and a password in the address is refused unshown.
    let (code, out, err) = mailshift_testkit::run(
        Command::new(env!("CARGO_BIN_EXE_mailshift"))
            .args(["info", &url])
            .args(env.tls())
            .env("MAILSHIFT_PASSWORD", PASSWORD),
    );
    assert_eq!(code, 0, "{err}");
    seen += &out;
    seen += &err;
    let with_pw = format!("imaps://alice:{PASSWORD}@{}:{}", env.dv.host(), env.dv.imaps_port());
    let (code, out, err) =
        mailshift_testkit::run(Command::new(env!("CARGO_BIN_EXE_mailshift")).args(["info", &with_pw]));
    assert_eq!(code, 2);
    assert!(err.contains("password in the address is refused"), "{err}");
    seen += &out;
    seen += &err;
    // No STARTTLS refusal path: plaintext without STARTTLS is not taken silently
    // (Dovecot always offers it; the client's check is a unit test).
    assert!(!seen.contains(PASSWORD), "the password was shown:\n{seen}");
}

/// --folder-map puts a folder (and its subfolders) where it says; a size
/// limit skips and lists what is over it, and is no loss (exit 0).
#[test]
fn folder_map_and_size_limits() {
    let Some(env) = start_users(&["f1", "f2"]) else { return };
    let tree = repo("fixtures/generated/tree");
    let (code, report, err) =
        env.upload(&tree, "f1", &["--folder-map", "Archiv=Archive/Old", "--folder-map", "inbox=INBOX/Imported"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(total(&report, "copied"), 40);
    let counts = env.dv.counts("f1");
    assert_eq!(counts.get("Archive/Old"), Some(&5), "{counts:?}");
    assert_eq!(counts.get("Archive/Old/2019"), Some(&5), "{counts:?}");
    assert_eq!(counts.get("INBOX/Imported"), Some(&22), "{counts:?}");
    assert_eq!(counts.get("INBOX"), Some(&0), "{counts:?}");
    assert!(!counts.contains_key("Archiv"), "{counts:?}");
    let sample = repo("fixtures/generated/sample.mbox");
    let (code, report, err) = env.upload(&sample, "f2", &["--max-size", "5K"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!((total(&report, "copied"), total(&report, "skipped_too_large")), (49, 11), "{report}");
    assert!(err.contains("over --max-size 5120"), "{err}");
    assert_eq!(env.dv.counts("f2").get("INBOX"), Some(&49));
}

/// A proxy between the client and Dovecot's plain port that hides STARTTLS
/// so that it can read the traffic (`--insecure-plaintext`, loopback), and
/// meddles with the APPENDs answered OK, by its first argument:
/// - `throttle`: answers the 2nd and 4th with `NO [THROTTLED] ... Suggested
///   Backoff Time` (Exchange's words) after Dovecot has taken them;
/// - `cut`: at the 2nd answered with several UIDs, holds the answer back,
///   says `CUT <uid set>` on its stdout, waits for a line on its stdin (the
///   test meanwhile removes all but the first of those messages: a server
///   killed halfway through committing a MULTIAPPEND) and then drops the
///   client's connection unanswered.
const PROXY: &str = r#"
import socket, sys, threading, re
mode = sys.argv[1]
listen = socket.socket(); listen.bind(("127.0.0.1", 0)); listen.listen(16)
print(listen.getsockname()[1], flush=True)
upstream = (sys.argv[2], int(sys.argv[3]))
count = [0]; lock = threading.Lock()
def pump_up(c, s):
    try:
        while True:
            b = c.recv(65536)
            if not b: break
            s.sendall(b)
    except OSError: pass
    try: s.shutdown(socket.SHUT_WR)
    except OSError: pass
def pump_down(s, c):
    buf = b""
    try:
        while True:
            b = s.recv(65536)
            if not b: break
            buf += b
            out = b""
            while b"\r\n" in buf:
                line, buf = buf.split(b"\r\n", 1)
                if b"CAPABILITY" in line:
                    line = line.replace(b" STARTTLS", b"")
                m = re.match(rb"^(\S+) OK \[APPENDUID \d+ (\d+(?::\d+)?)\]", line)
                if m and (mode == "throttle" or b":" in m.group(2)):
                    with lock:
                        count[0] += 1
                        n = count[0]
                    if mode == "throttle" and n in (2, 4):
                        line = m.group(1) + b" NO [THROTTLED] Request is throttled. Suggested Backoff Time: 300 milliseconds"
                    if mode == "cut" and n == 2:
                        c.sendall(out)
                        print("CUT " + m.group(2).decode(), flush=True)
                        sys.stdin.readline()
                        c.shutdown(socket.SHUT_RDWR); c.close(); s.close()
                        return
                out += line + b"\r\n"
            c.sendall(out)
    except OSError: pass
    try: c.shutdown(socket.SHUT_WR)
    except OSError: pass
while True:
    c, _ = listen.accept()
    s = socket.create_connection(upstream)
    threading.Thread(target=pump_up, args=(c, s), daemon=True).start()
    threading.Thread(target=pump_down, args=(s, c), daemon=True).start()
"#;

/// A MULTIAPPEND of which the server kept only the first message before
/// the connection went: the run asks after each message of the batch,
/// sends again only those missing, and ends with each message once
/// (asking after the first alone took the batch for stored).
#[test]
fn a_batch_stored_in_part_before_the_connection_went_is_completed() {
    if mailshift_testkit::tool("python3").is_none() {
        return;
    }
    let Some(env) = start(DovecotOptions { users: users(&["p1"]), allow_plaintext: true, ..DovecotOptions::default() })
    else {
        return;
    };
    let mut proxy = Command::new("python3")
        .args(["-c", PROXY, "cut", env.dv.host(), &env.dv.imap_port().to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the proxy");
    let mut proxy_out = std::io::BufReader::new(proxy.stdout.take().unwrap());
    let mut port = String::new();
    std::io::BufRead::read_line(&mut proxy_out, &mut port).unwrap();
    let url = format!("imap://p1@127.0.0.1:{}", port.trim());
    let src = repo("fixtures/generated/sample.mbox");
    let report = env.dir.path().join("cut.json");
    let child = Command::new(env!("CARGO_BIN_EXE_mailshift"))
        .arg("convert")
        .arg(&src)
        .arg(&url)
        .args(["--insecure-plaintext", "--password-file"])
        .arg(&env.pw)
        .args(["--append-batch", "8", "--connections", "1", "--no-journal", "--no-fsync", "--report"])
        .arg(&report)
        .arg("-q")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start mailshift");
    let mut cut = String::new();
    std::io::BufRead::read_line(&mut proxy_out, &mut cut).unwrap();
    let (first, last) = cut.trim().strip_prefix("CUT ").and_then(|r| r.split_once(':')).expect("CUT a:b");
    let first: u32 = first.parse().unwrap();
    let last: u32 = last.parse().unwrap();
    assert!(last > first, "{cut}");
    env.dv.doveadm(&["expunge", "-u", "p1", "mailbox", "INBOX", "uid", &format!("{}:{last}", first + 1)]);
    assert_eq!(env.dv.counts("p1").get("INBOX").copied(), Some((first) as usize), "the cut left the first");
    std::io::Write::write_all(proxy.stdin.as_mut().unwrap(), b"go\n").unwrap();
    let out = child.wait_with_output().expect("upload ends");
    let _ = proxy.kill();
    let _ = proxy.wait();
    let err = String::from_utf8_lossy(&out.stderr);
    let text = std::fs::read_to_string(&report).unwrap_or_default();
    assert_eq!(out.status.code(), Some(0), "{err}\nreport: {text}");
    assert_exactly_once(&env, "p1", &src, &format!("after a batch stored in part\n{err}\nreport: {text}"));
    let json: serde_json::Value = serde_json::from_str(&text).expect("report");
    assert_eq!(total(&json, "copied"), 60, "{json}");
    assert!(json["notes"].to_string().contains("reconnect"), "{}", json["notes"]);
}

/// The server throttles: the run waits what it was told, asks whether the
/// refused APPEND landed anyway (here it had), and ends with each message
/// once; the report counts the waits.
#[test]
fn a_throttling_server_is_waited_for() {
    if mailshift_testkit::tool("python3").is_none() {
        return;
    }
    let Some(env) = start(DovecotOptions { users: users(&["t1"]), allow_plaintext: true, ..DovecotOptions::default() })
    else {
        return;
    };
    let mut proxy = Command::new("python3")
        .args(["-c", PROXY, "throttle", env.dv.host(), &env.dv.imap_port().to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the proxy");
    let mut port = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(proxy.stdout.take().unwrap()), &mut port).unwrap();
    let url = format!("imap://t1@127.0.0.1:{}", port.trim());
    let src = repo("fixtures/generated/sample.mbox");
    let src_arg = src.display().to_string();
    let report = env.dir.path().join("throttle.json");
    let report_arg = report.display().to_string();
    let started = Instant::now();
    let (code, _, err) = env.run(&[
        "convert",
        &src_arg,
        &url,
        "--insecure-plaintext",
        "--append-batch",
        "8",
        "--connections",
        "2",
        "--no-journal",
        "--no-fsync",
        "--report",
        &report_arg,
    ]);
    let took = started.elapsed();
    assert_eq!(code, 0, "{err}");
    assert_exactly_once(&env, "t1", &src, "after throttling");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(total(&json, "copied"), 60, "{json}");
    let notes = json["notes"].to_string();
    assert!(notes.contains("2 waits before a retry (0.6 s in all)"), "{notes}");
    assert!(took >= Duration::from_millis(300), "{took:?}");
    // Without --insecure-plaintext a server without STARTTLS is refused.
    let (code, _, err) = env.run(&["info", &url]);
    let _ = proxy.kill();
    let _ = proxy.wait();
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("offers no STARTTLS"), "{err}");
    assert!(took < Duration::from_secs(20), "{took:?}");
}
