//! The Dovecot harness (`mailshift_testkit::dovecot`) driven by a client
//! that is not ours: Python's imaplib, with an SSL context that trusts the
//! harness's CA only (verification on), against what the harness reads back
//! through doveadm.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use mailshift_testkit::dovecot::{Dovecot, DovecotOptions, Msg};
use serde_json::Value;

const PW: &str = "alice-pw";

/// The lines every client script starts with: argv is host, port, CA file.
const PRELUDE: &str = r#"
import imaplib, json, ssl, sys, datetime
host, port, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
def s(x):
    return x.decode('utf-8', 'replace') if isinstance(x, bytes) else x
def unix(internaldate):
    return int(datetime.datetime.strptime(internaldate, '%d-%b-%Y %H:%M:%S %z').timestamp())
"#;

fn alice() -> DovecotOptions {
    DovecotOptions { users: vec![("alice".into(), PW.into())], ..Default::default() }
}

/// A temp dir and a server in it; `None` after a skip (no dovecot, no python3).
fn start(opts: &DovecotOptions) -> Option<(tempfile::TempDir, Dovecot)> {
    mailshift_testkit::tool("python3")?;
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Dovecot::start(dir.path(), opts)?;
    Some((dir, server))
}

/// Runs `PRELUDE + script` with python3 against `port`; its last line of
/// output, as JSON.
#[track_caller]
fn py(server: &Dovecot, port: u16, script: &str, extra: &[&str]) -> Value {
    let mut cmd = Command::new("python3");
    cmd.arg("-c").arg(format!("{PRELUDE}{script}")).arg(server.host()).arg(port.to_string()).arg(server.ca_pem());
    cmd.args(extra);
    let (code, out, err) = mailshift_testkit::run(&mut cmd);
    assert_eq!(code, 0, "python3 failed:\n{out}\n{err}\n--- server log:\n{}", server.log());
    let last = out.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("python3 printed no JSON ({e}):\n{out}\n{err}"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().expect("a JSON array").iter().map(|x| x.as_str().expect("a string").to_string()).collect()
}

const MESSAGE: &[u8] = b"From: Bob <bob@example.org>\r\nTo: alice@example.org\r\nSubject: over imaps\r\n\
Message-ID: <imaps-1@example.org>\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\n\r\nHello, \xc3\xa9t\xc3\xa9.\r\n";

#[test]
fn imaps_login_list_append_read_back() {
    let Some((_dir, server)) = start(&alice()) else { return };
    let out = py(
        &server,
        server.imaps_port(),
        r#"
c = imaplib.IMAP4_SSL(host, port, ssl_context=ctx)
out = {'login': c.login('alice', sys.argv[4])[0]}
typ, _ = c._simple_command('LIST', '""', '*', 'RETURN', '(SPECIAL-USE)')
out['list'] = [s(x) for x in c.untagged_responses.pop('LIST', [])]
msg = bytes.fromhex(sys.argv[5])
typ, dat = c.append('Sent', r'(\Seen $Forwarded)', imaplib.Time2Internaldate(1700000000), msg)
out['append'] = [typ, s(dat[0])]
c.logout()
print(json.dumps(out))
"#,
        &[PW, &hex(MESSAGE)],
    );
    assert_eq!(out["login"], "OK");
    let list = strings(&out["list"]);
    for (name, attr) in mailshift_testkit::dovecot::SPECIAL_USE {
        assert!(
            list.iter().any(|l| l.ends_with(&format!("\"/\" {name}")) && l.contains(attr)),
            "LIST RETURN (SPECIAL-USE) lacks {name} {attr}: {list:?}"
        );
    }
    assert!(list.iter().any(|l| l.ends_with("\"/\" INBOX")), "{list:?}");
    assert_eq!(out["append"][0], "OK", "{out}");
    assert!(out["append"][1].as_str().unwrap().starts_with("[APPENDUID "), "{out}");

    let msgs = server.messages("alice");
    assert_eq!(
        msgs,
        vec![Msg {
            mailbox: "Sent".into(),
            uid: 1,
            flags: ["\\Seen", "$Forwarded"].map(String::from).into(),
            internal_date: 1_700_000_000,
            message_id: Some("<imaps-1@example.org>".into()),
            size: MESSAGE.len() as u64,
        }]
    );
    assert_eq!(server.raw("alice", "Sent", 1), MESSAGE);
    let counts = server.counts("alice");
    let want: BTreeMap<String, usize> =
        [("Archive", 0), ("Drafts", 0), ("INBOX", 0), ("Junk", 0), ("Sent", 1), ("Trash", 0)]
            .map(|(k, v)| (k.to_string(), v))
            .into();
    assert_eq!(counts, want);
    let special: BTreeMap<String, String> =
        mailshift_testkit::dovecot::SPECIAL_USE.map(|(k, v)| (k.to_string(), v.to_string())).into();
    assert_eq!(server.special_use("alice"), special);
}

#[test]
fn plain_port_refuses_login_before_starttls() {
    let Some((_dir, server)) = start(&alice()) else { return };
    let Some((_dir2, open)) = start(&DovecotOptions { allow_plaintext: true, ..alice() }) else { return };
    let script = r#"
c = imaplib.IMAP4(host, port)
out = {'caps': list(c.capabilities)}
try:
    out['plain'] = ['OK', s(c.login('alice', sys.argv[4])[1][0])]
except imaplib.IMAP4.error as e:
    out['plain'] = ['NO', str(e)]
if sys.argv[5] == 'tls':
    c = imaplib.IMAP4(host, port)
    c.starttls(ssl_context=ctx)
    out['tls'] = c.login('alice', sys.argv[4])[0]
    out['cipher'] = c.sock.version()
c.logout()
print(json.dumps(out))
"#;
    let out = py(&server, server.imap_port(), script, &[PW, "tls"]);
    let caps = strings(&out["caps"]);
    assert!(caps.contains(&"STARTTLS".into()) && caps.contains(&"LOGINDISABLED".into()), "{caps:?}");
    assert_eq!(out["plain"][0], "NO", "{out}");
    assert!(out["plain"][1].as_str().unwrap().contains("[PRIVACYREQUIRED]"), "{out}");
    assert_eq!(out["tls"], "OK");
    assert!(out["cipher"].as_str().unwrap().starts_with("TLSv1."), "{out}");

    let out = py(&open, open.imap_port(), script, &[PW, "plain"]);
    assert!(!strings(&out["caps"]).contains(&"LOGINDISABLED".into()), "{out}");
    assert_eq!(out["plain"][0], "OK", "{out}");
}

#[test]
fn master_user_reads_what_append_seeded() {
    let opts = DovecotOptions { master: Some(("admin".into(), "admin-pw".into())), ..alice() };
    let Some((_dir, server)) = start(&opts) else { return };
    let raw = b"Subject: seeded\nMessage-ID:\n <seed-1@example.org>\n\nraw \xff byte\n";
    let uid = server.append("alice", "INBOX", raw, &["\\Flagged", "$Label1"], Some(1_600_000_000));
    assert_eq!(uid, 1);
    let uid2 = server.append("alice", "Projects/2024.q1", b"Subject: two\r\n\r\nx\r\n", &[], None);
    assert_eq!(uid2, 1);
    // A child of INBOX, and a message without a last line end.
    assert_eq!(server.append("alice", "INBOX/sub", b"Subject: three", &["\\Seen"], Some(0)), 1);
    assert_eq!(server.raw("alice", "INBOX/sub", 1), b"Subject: three");
    let crlf = b"Subject: seeded\r\nMessage-ID:\r\n <seed-1@example.org>\r\n\r\nraw \xff byte\r\n";
    assert_eq!(server.raw("alice", "INBOX", 1), crlf);
    let mut msgs = server.messages("alice");
    let sub = msgs.remove(1);
    assert_eq!((sub.mailbox.as_str(), sub.internal_date, sub.size), ("INBOX/sub", 0, 14), "{sub:?}");
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert_eq!(msgs[0].mailbox, "INBOX");
    assert_eq!(msgs[0].message_id.as_deref(), Some("<seed-1@example.org>"));
    assert_eq!(msgs[0].internal_date, 1_600_000_000);
    assert_eq!(msgs[1].mailbox, "Projects/2024.q1");
    assert!(msgs[1].flags.is_empty(), "{msgs:?}");

    let out = py(
        &server,
        server.imaps_port(),
        r#"
out = {}
for who, pw in (('alice*admin', 'admin-pw'), ('alice*admin', 'wrong'), ('alice', 'admin-pw')):
    c = imaplib.IMAP4_SSL(host, port, ssl_context=ctx)
    try:
        typ, _ = c.authenticate('PLAIN', lambda _: b'\0' + who.encode() + b'\0' + pw.encode())
    except imaplib.IMAP4.error as e:
        typ = 'NO'
    out[who + ' ' + pw] = typ
    if typ == 'OK' and 'folder' not in out:
        out['select'] = s(c.select('INBOX')[1][0])
        typ, dat = c.fetch('1', '(FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])')
        head = s(dat[0][0])
        out['flags'] = sorted(s(f) for f in imaplib.ParseFlags(dat[0][0]) if f != b'\\Recent')
        out['date'] = unix(head.split('INTERNALDATE "')[1].split('"')[0])
        out['size'] = int(head.split('RFC822.SIZE ')[1].split(' ')[0])
        out['body'] = dat[0][1].hex()
        out['folder'] = [s(x) for x in c.list('Projects', '*')[1]]
    c.logout()
print(json.dumps(out))
"#,
        &[],
    );
    assert_eq!(out["alice*admin admin-pw"], "OK", "{out}");
    assert_eq!(out["alice*admin wrong"], "NO", "{out}");
    assert_eq!(out["alice admin-pw"], "NO", "{out}");
    assert_eq!(out["select"], "1");
    assert_eq!(strings(&out["flags"]), ["$Label1", "\\Flagged"]);
    assert_eq!(out["date"], 1_600_000_000);
    assert_eq!(out["size"], crlf.len());
    assert_eq!(out["body"], hex(crlf));
    assert!(strings(&out["folder"]).iter().any(|f| f.ends_with("\"/\" Projects/2024.q1")), "{out}");
}

#[test]
fn quota_refuses_append_over_limit() {
    let Some((_dir, server)) = start(&DovecotOptions { quota_bytes: Some(2000), ..alice() }) else { return };
    let out = py(
        &server,
        server.imaps_port(),
        r#"
c = imaplib.IMAP4_SSL(host, port, ssl_context=ctx)
c.login('alice', sys.argv[4])
small = b'Subject: small\r\n\r\n' + b'x' * 100 + b'\r\n'
big = b'Subject: big\r\n\r\n' + (b'y' * 998 + b'\r\n') * 3
out = {'small': c.append('INBOX', None, None, small)[0]}
typ, dat = c.append('INBOX', None, None, big)
out['big'] = [typ, s(dat[0])]
typ, dat = c.getquotaroot('INBOX')
out['quota'] = [s(x) for x in dat[1]]
c.logout()
print(json.dumps(out))
"#,
        &[PW],
    );
    assert_eq!(out["small"], "OK", "{out}");
    assert_eq!(out["big"][0], "NO", "{out}");
    assert!(out["big"][1].as_str().unwrap().starts_with("[OVERQUOTA]"), "{out}");
    // In KiB, rounded up.
    assert_eq!(strings(&out["quota"]), ["\"User quota\" (STORAGE 1 2)"], "{out}");
    assert_eq!(server.counts("alice")["INBOX"], 1);
}

#[test]
fn capability_override_drops_uidplus_and_literal_plus() {
    let caps = "IMAP4rev1 SASL-IR ID ENABLE IDLE NAMESPACE CHILDREN UNSELECT SPECIAL-USE LIST-EXTENDED MOVE";
    let Some((_dir, server)) = start(&DovecotOptions { capability: Some(caps.into()), ..alice() }) else {
        return;
    };
    let out = py(
        &server,
        server.imaps_port(),
        r#"
c = imaplib.IMAP4_SSL(host, port, ssl_context=ctx)
out = {'before': list(c.capabilities)}
c.login('alice', sys.argv[4])
typ, dat = c.capability()
out['after'] = s(dat[0]).split()
typ, dat = c.append('INBOX', None, None, b'Subject: x\r\n\r\ny\r\n')
out['append'] = [typ, s(dat[0])]
c.logout()
print(json.dumps(out))
"#,
        &[PW],
    );
    let after = strings(&out["after"]);
    assert_eq!(after, caps.split(' ').collect::<Vec<_>>(), "{out}");
    let before = strings(&out["before"]);
    assert!(!before.contains(&"UIDPLUS".into()) && !before.contains(&"LITERAL+".into()), "{out}");
    assert_eq!(out["append"][0], "OK", "{out}");
}

#[test]
fn drop_connections_ends_an_open_session() {
    let Some((_dir, server)) = start(&alice()) else { return };
    let script = format!(
        "{PRELUDE}{}",
        r#"
c = imaplib.IMAP4_SSL(host, port, ssl_context=ctx)
c.login('alice', sys.argv[4])
c.select('INBOX')
print('ready', flush=True)
sys.stdin.readline()
out = {}
try:
    out['noop'] = ['OK', str(c.noop())]
except (imaplib.IMAP4.abort, OSError) as e:
    out['noop'] = [type(e).__name__, str(e)]
c = imaplib.IMAP4_SSL(host, port, ssl_context=ctx)
out['again'] = c.login('alice', sys.argv[4])[0]
c.logout()
print(json.dumps(out))
"#
    );
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(server.host())
        .arg(server.imaps_port().to_string())
        .arg(server.ca_pem())
        .arg(PW)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run python3");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("read python3");
    assert_eq!(line.trim(), "ready", "python3 did not log in");
    assert_eq!(server.drop_connections(), 1);
    let mut stdin = child.stdin.take().expect("piped");
    stdin.write_all(b"go\n").expect("write python3");
    drop(stdin);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).expect("read python3");
    let out = child.wait_with_output().expect("wait python3");
    assert!(out.status.success(), "python3 failed: {rest}\n{}", String::from_utf8_lossy(&out.stderr));
    let out: Value = serde_json::from_str(rest.lines().last().unwrap_or_default()).expect("JSON");
    assert_ne!(out["noop"][0], "OK", "{out}");
    assert_eq!(out["again"], "OK", "{out}");
}

#[test]
fn set_uidvalidity_changes_what_select_reports() {
    let Some((_dir, server)) = start(&alice()) else { return };
    let script = r#"
c = imaplib.IMAP4_SSL(host, port, ssl_context=ctx)
c.login('alice', sys.argv[4])
c.select('Archive')
print(json.dumps(int(c.response('UIDVALIDITY')[1][0])))
c.logout()
"#;
    let before = py(&server, server.imaps_port(), script, &[PW]);
    assert_eq!(before, server.uidvalidity("alice", "Archive"));
    let new = before.as_u64().unwrap() as u32 ^ 0x5a5a;
    server.set_uidvalidity("alice", "Archive", new);
    assert_eq!(server.uidvalidity("alice", "Archive"), new);
    assert_eq!(py(&server, server.imaps_port(), script, &[PW]), new);
}

/// Processes whose command line names `dir` or the instance (Dovecot's
/// process titles hold its instance name, `mailshift-test-PORT`).
fn processes_of(dir: &Path, imaps_port: u16) -> Vec<String> {
    let instance = format!("mailshift-test-{imaps_port}/");
    let dir = dir.canonicalize().expect("dir").display().to_string();
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").expect("/proc").flatten() {
        if !e.file_name().to_string_lossy().chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        if stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')) {
            continue;
        }
        let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(&instance) || cmdline.contains(&dir) {
            out.push(format!("{}: {cmdline}", e.file_name().to_string_lossy()));
        }
    }
    out
}

#[test]
fn instances_run_side_by_side_and_leave_no_process() {
    let Some((dir_a, mut a)) = start(&alice()) else { return };
    let Some((dir_b, b)) = start(&alice()) else { return };
    let mut ports = vec![a.imaps_port(), a.imap_port(), b.imaps_port(), b.imap_port()];
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), 4);
    a.append("alice", "INBOX", b"Subject: a\r\n\r\na\r\n", &[], None);
    assert_eq!(a.counts("alice")["INBOX"], 1);
    assert_eq!(b.counts("alice")["INBOX"], 0);
    let login =
        "c = imaplib.IMAP4_SSL(host, port, ssl_context=ctx)\nprint(json.dumps(c.login('alice', sys.argv[4])[0]))\n";
    assert_eq!(py(&a, a.imaps_port(), login, &[PW]), "OK");
    assert!(processes_of(dir_a.path(), a.imaps_port()).len() >= 3, "{:?}", processes_of(dir_a.path(), a.imaps_port()));

    a.stop();
    assert_eq!(processes_of(dir_a.path(), a.imaps_port()), Vec::<String>::new());
    assert!(!processes_of(dir_b.path(), b.imaps_port()).is_empty());
    let b_port = b.imaps_port();
    drop(b);
    assert_eq!(processes_of(dir_b.path(), b_port), Vec::<String>::new());

    // A test that panics with a server running leaves no process either.
    let dir_c = tempfile::tempdir().expect("temp dir");
    let port = std::sync::Mutex::new(0);
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let c = Dovecot::start(dir_c.path(), &alice()).expect("dovecot is here");
        *port.lock().unwrap() = c.imaps_port();
        panic!("a failing test");
    }));
    assert!(panicked.is_err());
    let port = *port.lock().unwrap();
    assert_eq!(processes_of(dir_c.path(), port), Vec::<String>::new());
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Run by [`a_killed_test_process_leaves_no_process`] in a process of its
/// own (this test binary again): starts a server in the directory named by
/// the environment, prints its port, and waits to be killed.
#[test]
fn child_process_holding_a_server() {
    let Some(dir) = std::env::var_os("MAILSHIFT_DOVECOT_CHILD_DIR") else { return };
    let server = Dovecot::start(Path::new(&dir), &alice()).expect("dovecot is here");
    println!("port {}", server.imaps_port());
    std::thread::sleep(std::time::Duration::from_secs(60));
}

#[test]
fn a_killed_test_process_leaves_no_process() {
    let Some((_dir, _server)) = start(&alice()) else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(std::env::current_exe().expect("this test binary"))
        .args(["--exact", "child_process_holding_a_server", "--nocapture", "--test-threads=1"])
        .env("MAILSHIFT_DOVECOT_CHILD_DIR", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run this test binary");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
    let port = loop {
        let mut line = String::new();
        assert_ne!(stdout.read_line(&mut line).expect("read the child"), 0, "the child printed no port");
        // The harness prints "test NAME ... " before it on the same line.
        if let Some((_, p)) = line.trim().rsplit_once("port ") {
            break p.parse::<u16>().expect("a port");
        }
    };
    assert!(!processes_of(dir.path(), port).is_empty());
    child.kill().expect("SIGKILL the child");
    child.wait().expect("wait for the child");
    let end = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !processes_of(dir.path(), port).is_empty() {
        assert!(std::time::Instant::now() < end, "left running: {:?}", processes_of(dir.path(), port));
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
