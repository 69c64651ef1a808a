//! A real Dovecot IMAP server for tests: started by the test, without root,
//! with a config of its own in the test's directory, on two free ports.
//!
//! ```no_run
//! use mailshift_testkit::dovecot::{Dovecot, DovecotOptions};
//! # fn demo(dir: &std::path::Path) {
//! let opts = DovecotOptions { users: vec![("alice".into(), "secret".into())], ..Default::default() };
//! let Some(server) = Dovecot::start(dir, &opts) else { return }; // after a skip
//! // A client connects to server.host():server.imaps_port(), trusting server.ca_pem() only.
//! let counts = server.counts("alice"); // {"Archive": 0, "Drafts": 0, "INBOX": 0, ...}
//! # }
//! ```
//!
//! What the server is, and why:
//!
//! - **Nothing from the system.** `dir/dovecot.conf` includes nothing;
//!   `base_dir` (sockets, `master.pid`) is `dir/run`, `state_dir` is
//!   `dir/state`, the log is `dir/dovecot.log` (see [`Dovecot::log`]), the
//!   users' homes are `dir/home/USER`. Several instances can run at once, in
//!   one test binary or several: nothing is shared but the machine.
//! - **Not root.** As root (here and in CI) the server runs as
//!   [`crate::user::TEST_USER`], who is given `dir` ([`crate::user::prepare_user`]);
//!   otherwise as the current user. The master process is started with that
//!   uid and gid directly (`CommandExt::uid`), not through `runuser`, so that
//!   the handle this module keeps is the master itself and can signal it.
//!   doveadm runs through [`crate::user::as_user`]. Every Dovecot user maps to
//!   that one system user (`userdb static`).
//! - **127.0.0.2, not 127.0.0.1.** Dovecot counts a connection whose local
//!   and remote addresses are equal as "secured" (as if it were TLS), so on
//!   127.0.0.1 it would take a plaintext LOGIN without STARTTLS whatever
//!   `disable_plaintext_auth` says. A client connecting to 127.0.0.2 comes
//!   from 127.0.0.1 (Linux routes all of 127.0.0.0/8 to the loopback), which
//!   makes the plain port behave as a remote server's does. Connect to
//!   [`Dovecot::host`]; the certificate names `localhost`, 127.0.0.1 and
//!   127.0.0.2, so a client may also verify it as `localhost`.
//! - **TLS.** A CA and a server certificate signed by it (ECDSA P-256, with
//!   the key identifiers that strict verifiers such as Python 3.13's
//!   `VERIFY_X509_STRICT` require) are made at start with `rcgen`, whose
//!   default `ring` backend builds with the C compiler alone (no cmake, no
//!   nasm, no aws-lc). [`Dovecot::ca_pem`] is the CA's PEM file.
//! - **Ports.** [`Dovecot::imaps_port`] is implicit TLS; [`Dovecot::imap_port`]
//!   is plain IMAP with STARTTLS, where LOGIN and AUTHENTICATE are refused
//!   before STARTTLS (`[PRIVACYREQUIRED]`, capability `LOGINDISABLED`) unless
//!   [`DovecotOptions::allow_plaintext`]. Both are picked free at start (a
//!   clash with another process is retried with new ones).
//! - **Storage.** Maildir with `LAYOUT=fs` in `~/Maildir` (a folder is a
//!   directory, so names may hold `.`), one namespace, separator `/`, empty
//!   prefix, and `Sent`, `Drafts`, `Trash`, `Junk`, `Archive` created and
//!   subscribed with their special-use attributes. `mail_save_crlf = yes`:
//!   a message is stored as sent (CRLF line ends), so [`Dovecot::raw`] gives
//!   back the bytes a client APPENDed and [`Msg::size`] is its RFC822.SIZE.
//! - **Authentication.** Mechanisms `PLAIN` and `LOGIN`, passwords in a
//!   passwd-file; a master user ([`DovecotOptions::master`]) logs in as
//!   `user*master` with its own password. A failed login is answered within
//!   0.5 s (`auth_failure_delay = 0`; Dovecot still sends failures from a
//!   queue it empties twice a second), not after its usual 2 s, and without
//!   the growing delay (up to 15 s, successful logins included) Dovecot puts
//!   on an address after failures: its `anvil-auth-penalty` socket is
//!   renamed, and without it the penalty is off.
//! - **Quota** ([`DovecotOptions::quota_bytes`]): the `maildir` quota backend
//!   with no grace (`quota_grace = 0`), so an APPEND that would bring the
//!   mailboxes over the limit gets `NO [OVERQUOTA]` (Dovecot's default grace
//!   of 10% would let one more message in).
//! - **The end.** [`Dovecot::stop`] (and `Drop`, also when a test panics)
//!   stops the master (SIGSTOP, so that it forks nothing more), kills it and
//!   its children (SIGKILL: on SIGTERM the master takes a second to wind
//!   down) and waits until they are gone. A small `sh` watchdog per
//!   instance kills the master if the test process dies without unwinding
//!   (abort, SIGKILL); its children end by themselves when it is gone
//!   (Dovecot's master-dead pipe).
//!
//! The doveadm helpers need the server running: doveadm finds the users
//! through the server's auth socket.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::user::{as_user, is_root, prepare_user, TEST_USER};

/// The address the server listens on (see the module's notes on 127.0.0.2).
pub const HOST: &str = "127.0.0.2";

/// The special-use mailboxes every user has, with their attributes.
pub const SPECIAL_USE: [(&str, &str); 5] =
    [("Sent", "\\Sent"), ("Drafts", "\\Drafts"), ("Trash", "\\Trash"), ("Junk", "\\Junk"), ("Archive", "\\Archive")];

/// How long [`Dovecot::start`] waits for both ports to accept.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// How a [`Dovecot`] is set up.
#[derive(Debug, Clone, Default)]
pub struct DovecotOptions {
    /// The users, as (name, password). A name holds no `:`, `*` (the
    /// master-user separator), `/`, space or control character; a password
    /// no `:` or control character; neither is empty.
    pub users: Vec<(String, String)>,
    /// A master user (name, password): `USER*NAME` logs in as `USER` with
    /// this password (LOGIN or AUTHENTICATE PLAIN).
    pub master: Option<(String, String)>,
    /// Takes LOGIN and AUTHENTICATE on the plain port without STARTTLS
    /// (`disable_plaintext_auth = no`), for tests of a client's plaintext mode.
    pub allow_plaintext: bool,
    /// The full capability list Dovecot announces after login
    /// (`imap_capability`), e.g. Dovecot's own without `UIDPLUS` and
    /// `LITERAL+`. Before login Dovecot announces it too, with `STARTTLS`,
    /// `AUTH=` and `LOGINDISABLED` added as they apply.
    pub capability: Option<String>,
    /// A storage quota per user, in bytes (every mailbox counts).
    pub quota_bytes: Option<u64>,
    /// Appended verbatim at the end of `dovecot.conf`.
    pub extra_conf: String,
}

/// One message as Dovecot holds it ([`Dovecot::messages`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    /// The mailbox's name (`INBOX`, `Sent`, `a/b`).
    pub mailbox: String,
    /// The message's UID in its mailbox.
    pub uid: u32,
    /// Its flags and keywords (`\Seen`, `$Forwarded`), without `\Recent`
    /// (which belongs to sessions, not to the message).
    pub flags: BTreeSet<String>,
    /// Its INTERNALDATE, as a Unix time.
    pub internal_date: i64,
    /// Its first Message-ID header, unfolded and trimmed; `None` if it has
    /// none or an empty one.
    pub message_id: Option<String>,
    /// Its size with CRLF line ends (RFC822.SIZE).
    pub size: u64,
}

/// A running Dovecot, stopped when dropped. See the module's documentation.
#[derive(Debug)]
pub struct Dovecot {
    dir: PathBuf,
    conf: PathBuf,
    ca_pem: PathBuf,
    doveadm: PathBuf,
    imaps_port: u16,
    imap_port: u16,
    /// The master process (`None` once stopped).
    master: Option<Child>,
    /// The watchdog and the pipe whose closing makes it stop the master.
    guard: Option<(Child, ChildStdin)>,
}

/// The program `name`: on `PATH`, else in the sbin directories a non-root
/// user's `PATH` often lacks.
fn find_program(name: &str) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|d| d.join(name)).find(|p| p.is_file()));
    on_path.or_else(|| {
        ["/usr/sbin", "/usr/local/sbin", "/sbin", "/usr/bin"]
            .iter()
            .map(|d| Path::new(d).join(name))
            .find(|p| p.is_file())
    })
}

fn check_name(what: &str, s: &str) {
    assert!(
        !s.is_empty() && !s.chars().any(|c| c == ':' || c == '*' || c == '/' || c.is_whitespace() || c.is_control()),
        "dovecot: {what} {s:?} must be non-empty and hold no ':', '*', '/', space or control character"
    );
}

fn check_password(s: &str) {
    assert!(
        !s.is_empty() && !s.chars().any(|c| c == ':' || c.is_control()),
        "dovecot: a password must be non-empty and hold no ':' or control character"
    );
}

fn write_file(path: &Path, contents: impl AsRef<[u8]>) {
    std::fs::write(path, contents).unwrap_or_else(|e| panic!("dovecot: write {}: {e}", path.display()));
}

/// The uid and gid the server runs as.
fn server_ids(root: bool) -> (u32, u32) {
    if root {
        let id = |flag: &str| {
            let (code, out, err) = crate::run(Command::new("id").arg(flag).arg(TEST_USER));
            assert_eq!(code, 0, "dovecot: id {flag} {TEST_USER}: {err}");
            out.trim().parse::<u32>().unwrap_or_else(|_| panic!("dovecot: id {flag} {TEST_USER} printed {out:?}"))
        };
        (id("-u"), id("-g"))
    } else {
        (rustix::process::getuid().as_raw(), rustix::process::getgid().as_raw())
    }
}

/// Two distinct free ports on [`HOST`] (free when asked: the server binds
/// them a moment later, and a clash is retried by the caller).
fn free_ports() -> (u16, u16) {
    let bind = || {
        TcpListener::bind((HOST, 0)).unwrap_or_else(|e| {
            panic!("dovecot: cannot bind {HOST} (Linux routes 127.0.0.0/8 to the loopback; is this Linux?): {e}")
        })
    };
    let (a, b) = (bind(), bind());
    let port = |l: &TcpListener| l.local_addr().expect("a bound socket has an address").port();
    (port(&a), port(&b))
}

/// The CA (PEM) and the server's certificate and key (PEM).
fn make_certs() -> (String, String, String) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().expect("rcgen: generate the CA key");
    let mut ca = CertificateParams::default();
    ca.distinguished_name.push(DnType::CommonName, "mailshift test CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let ca_cert = ca.self_signed(&ca_key).expect("rcgen: sign the CA");
    let issuer = Issuer::new(ca, ca_key);

    let key = KeyPair::generate().expect("rcgen: generate the server key");
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string(), HOST.to_string()];
    let mut server = CertificateParams::new(names).expect("rcgen: valid names");
    server.distinguished_name.push(DnType::CommonName, "localhost");
    server.is_ca = IsCa::ExplicitNoCa;
    server.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    server.use_authority_key_identifier_extension = true;
    let cert = server.signed_by(&key, &issuer).expect("rcgen: sign the server certificate");
    (ca_cert.pem(), cert.pem(), key.serialize_pem())
}

/// `dovecot.conf` for this instance.
fn config(dir: &Path, opts: &DovecotOptions, (uid, gid): (u32, u32), (imaps, imap): (u16, u16)) -> String {
    let d = dir.display();
    let mut c = String::new();
    let _ = writeln!(c, "# Written by mailshift_testkit::dovecot. Nothing is included from the system.");
    let _ = writeln!(c, "protocols = imap\nlisten = {HOST}");
    let _ = writeln!(c, "base_dir = {d}/run\nstate_dir = {d}/state\ninstance_name = mailshift-test-{imaps}");
    let _ = writeln!(c, "log_path = {d}/dovecot.log");
    // The user names only matter to the master when it runs as root; it
    // runs as uid/gid here, and these name them.
    let (user, group) = (user_name(uid), group_name(gid));
    let _ =
        writeln!(c, "default_internal_user = {user}\ndefault_internal_group = {group}\ndefault_login_user = {user}");
    let _ = writeln!(c, "first_valid_uid = 1\nfirst_valid_gid = 1");
    let _ = writeln!(c, "ssl = yes\nssl_cert = <{d}/tls/server.pem\nssl_key = <{d}/tls/server.key");
    let _ = writeln!(c, "disable_plaintext_auth = {}", if opts.allow_plaintext { "no" } else { "yes" });
    let _ = writeln!(c, "auth_mechanisms = plain login\nauth_failure_delay = 0\nauth_cache_size = 0");
    if opts.master.is_some() {
        let _ = writeln!(
            c,
            "auth_master_user_separator = *\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {d}/master.passwd\n  \
             master = yes\n  result_success = continue\n}}"
        );
    }
    let _ = writeln!(
        c,
        "passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {d}/users.passwd\n}}\n\
         userdb {{\n  driver = static\n  args = uid={uid} gid={gid} home={d}/home/%u\n}}"
    );
    let _ = writeln!(c, "mail_location = maildir:~/Maildir:LAYOUT=fs\nmail_save_crlf = yes");
    let _ = writeln!(c, "namespace inbox {{\n  inbox = yes\n  separator = /\n  prefix =");
    for (name, attr) in SPECIAL_USE {
        let _ = writeln!(c, "  mailbox {name} {{\n    special_use = {attr}\n    auto = subscribe\n  }}");
    }
    let _ = writeln!(c, "}}");
    let _ = writeln!(
        c,
        "service imap-login {{\n  chroot =\n  inet_listener imap {{\n    port = {imap}\n  }}\n  \
         inet_listener imaps {{\n    port = {imaps}\n    ssl = yes\n  }}\n}}\n\
         service anvil {{\n  chroot =\n  unix_listener anvil-auth-penalty {{\n    path = anvil-auth-penalty-off\n  }}\n}}"
    );
    if let Some(cap) = &opts.capability {
        assert!(!cap.contains(['\n', '\r']), "dovecot: the capability string is one line");
        let _ = writeln!(c, "imap_capability = {cap}");
    }
    if let Some(bytes) = opts.quota_bytes {
        let _ = writeln!(
            c,
            "mail_plugins = $mail_plugins quota\n\
             protocol imap {{\n  mail_plugins = $mail_plugins imap_quota\n}}\n\
             plugin {{\n  quota = maildir:User quota\n  quota_rule = *:storage={bytes}B\n  quota_grace = 0\n}}"
        );
    }
    c.push_str(&opts.extra_conf);
    c.push('\n');
    c
}

fn user_name(uid: u32) -> String {
    let (code, out, _) = crate::run(Command::new("id").arg("-nu").arg(uid.to_string()));
    if code == 0 && !out.trim().is_empty() {
        out.trim().to_string()
    } else {
        uid.to_string()
    }
}

fn group_name(gid: u32) -> String {
    let (code, out, _) = crate::run(Command::new("getent").arg("group").arg(gid.to_string()));
    match out.split(':').next() {
        Some(name) if code == 0 && !name.is_empty() => name.to_string(),
        _ => gid.to_string(),
    }
}

/// One process as `/proc/PID/stat` tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Proc {
    pid: i32,
    start_time: u64,
}

/// `/proc/PID/stat`: (command name, state, parent, start time).
fn proc_stat(pid: i32) -> Option<(String, char, i32, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?.to_string();
    let rest: Vec<&str> = stat.get(close + 1..)?.split_whitespace().collect();
    // After the name: state (3), ppid (4), ... starttime (22).
    let state = rest.first()?.chars().next()?;
    let ppid = rest.get(1)?.parse().ok()?;
    let start = rest.get(19)?.parse().ok()?;
    Some((comm, state, ppid, start))
}

/// The live children of `ppid`, with their command names.
fn children(ppid: i32) -> Vec<(Proc, String)> {
    let Ok(rd) = std::fs::read_dir("/proc") else { return Vec::new() };
    let mut out = Vec::new();
    for e in rd.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else { continue };
        if let Some((comm, state, parent, start_time)) = proc_stat(pid) {
            if parent == ppid && state != 'Z' {
                out.push((Proc { pid, start_time }, comm));
            }
        }
    }
    out
}

/// True while `p` (the same process, not a later one with its pid) lives.
fn alive(p: Proc) -> bool {
    proc_stat(p.pid).is_some_and(|(_, state, _, start)| start == p.start_time && state != 'Z')
}

fn signal(pid: i32, sig: rustix::process::Signal) {
    if let Some(pid) = rustix::process::Pid::from_raw(pid) {
        let _ = rustix::process::kill_process(pid, sig);
    }
}

/// Waits (bounded) until none of `procs` lives; true if none does.
fn wait_gone(procs: &[Proc], timeout: Duration) -> bool {
    let end = Instant::now() + timeout;
    loop {
        if !procs.iter().any(|p| alive(*p)) {
            return true;
        }
        if Instant::now() > end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Numbers the seed maildirs of [`Dovecot::append`] (unique in the process;
/// the instance's directory makes them unique across processes).
static SEED: AtomicU64 = AtomicU64::new(0);

impl Dovecot {
    /// Writes the config, certificates and password files into `dir` (a
    /// directory the test owns, reachable by the unprivileged user: a
    /// `tempfile::tempdir()` is; as root it is given to that user), starts
    /// Dovecot and waits until both ports accept. `None` after
    /// [`crate::skip`] when dovecot or doveadm is missing, or, as root, when
    /// the unprivileged user cannot be made. Panics, with the server's log,
    /// if it does not come up.
    #[track_caller]
    pub fn start(dir: &Path, opts: &DovecotOptions) -> Option<Dovecot> {
        let Some(dovecot) = find_program("dovecot") else {
            crate::skip("external tool `dovecot` (dovecot-core) is not installed");
            return None;
        };
        let Some(doveadm) = find_program("doveadm") else {
            crate::skip("external tool `doveadm` (dovecot-core) is not installed");
            return None;
        };
        // Dovecot's libexec directory: Debian's, or Fedora's and a source build's.
        if !["/usr/lib/dovecot/imap", "/usr/libexec/dovecot/imap", "/usr/local/libexec/dovecot/imap"]
            .iter()
            .any(|p| Path::new(p).is_file())
        {
            crate::skip("Dovecot's IMAP server (dovecot-imapd) is not installed");
            return None;
        }
        let root = is_root();
        if root && crate::tool("runuser").is_none() {
            return None;
        }
        for (name, pass) in opts.users.iter().chain(&opts.master) {
            check_name("user name", name);
            check_password(pass);
        }
        let dir = dir.canonicalize().unwrap_or_else(|e| panic!("dovecot: {}: {e}", dir.display()));
        // Unix socket paths are limited to 107 bytes; the longest Dovecot
        // makes is base_dir plus about 25.
        let run = dir.join("run");
        assert!(
            run.as_os_str().len() <= 80,
            "dovecot: {} is too long a path for Dovecot's sockets (use a short temp dir)",
            run.display()
        );
        for sub in ["run", "state", "tls", "home", "seed"] {
            std::fs::create_dir_all(dir.join(sub))
                .unwrap_or_else(|e| panic!("dovecot: mkdir in {}: {e}", dir.display()));
        }
        for (name, _) in &opts.users {
            let home = dir.join("home").join(name);
            std::fs::create_dir_all(&home).unwrap_or_else(|e| panic!("dovecot: mkdir {}: {e}", home.display()));
        }
        let (ca, cert, key) = make_certs();
        let ca_pem = dir.join("tls/ca.pem");
        write_file(&ca_pem, ca);
        write_file(&dir.join("tls/server.pem"), cert);
        write_file(&dir.join("tls/server.key"), key);
        let passwd = |list: &mut dyn Iterator<Item = &(String, String)>| {
            list.map(|(n, p)| format!("{n}:{{PLAIN}}{p}::::::\n")).collect::<String>()
        };
        write_file(&dir.join("users.passwd"), passwd(&mut opts.users.iter()));
        write_file(&dir.join("master.passwd"), passwd(&mut opts.master.iter()));
        if root && !prepare_user(&dir) {
            crate::skip(&format!("running as root and cannot create or use the user {TEST_USER} for Dovecot"));
            return None;
        }
        let ids = server_ids(root);

        let conf = dir.join("dovecot.conf");
        let log = dir.join("dovecot.log");
        let stderr = dir.join("dovecot.stderr");
        for attempt in 1..=5 {
            let ports = free_ports();
            write_file(&conf, config(&dir, opts, ids, ports));
            write_file(&log, "");
            if root {
                assert!(prepare_user(&dir), "dovecot: cannot give {} to {TEST_USER}", dir.display());
            }
            let err_file =
                std::fs::File::create(&stderr).unwrap_or_else(|e| panic!("dovecot: {}: {e}", stderr.display()));
            let mut cmd = Command::new(&dovecot);
            cmd.arg("-F").arg("-c").arg(&conf).current_dir(&dir).env_clear();
            cmd.env("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin").env("HOME", &dir);
            cmd.stdin(Stdio::null()).stdout(err_file.try_clone().expect("dup a file")).stderr(err_file);
            if root {
                cmd.uid(ids.0).gid(ids.1).env("USER", TEST_USER);
            }
            let master = cmd.spawn().unwrap_or_else(|e| panic!("dovecot: run {}: {e}", dovecot.display()));
            // Owned (and stopped by Drop, with the watchdog for the worse
            // cases) from here on.
            let guard = watchdog(master.id());
            let mut server = Dovecot {
                dir: dir.clone(),
                conf: conf.clone(),
                ca_pem: ca_pem.clone(),
                doveadm: doveadm.clone(),
                imaps_port: ports.0,
                imap_port: ports.1,
                master: Some(master),
                guard: Some(guard),
            };
            let end = Instant::now() + START_TIMEOUT;
            let exited = loop {
                if let Some(Ok(Some(status))) = server.master.as_mut().map(Child::try_wait) {
                    break Some(status);
                }
                let accepts = |port: u16| {
                    let addr = SocketAddr::from((HOST.parse::<Ipv4Addr>().expect("an IPv4 address"), port));
                    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
                };
                if accepts(ports.0) && accepts(ports.1) {
                    break None;
                }
                if Instant::now() > end {
                    panic!(
                        "dovecot: ports {} and {} of {HOST} did not accept within {START_TIMEOUT:?}\n{}",
                        ports.0,
                        ports.1,
                        server.log_text()
                    );
                }
                std::thread::sleep(Duration::from_millis(20));
            };
            if let Some(status) = exited {
                let text = server.log_text();
                if text.contains("Address already in use") && attempt < 5 {
                    continue;
                }
                panic!("dovecot: the server exited at start ({status})\n{text}");
            }
            return Some(server);
        }
        unreachable!("the last attempt returns or panics")
    }

    /// The address to connect to: `127.0.0.2` ([`HOST`]).
    pub fn host(&self) -> &'static str {
        HOST
    }

    /// The implicit-TLS port (imaps).
    pub fn imaps_port(&self) -> u16 {
        self.imaps_port
    }

    /// The plain IMAP port, with STARTTLS.
    pub fn imap_port(&self) -> u16 {
        self.imap_port
    }

    /// The CA certificate (PEM) that signed the server's: the only one a
    /// client needs to trust (`--tls-ca`).
    pub fn ca_pem(&self) -> &Path {
        &self.ca_pem
    }

    /// The directory given to [`Dovecot::start`] (canonical).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The server's log so far (`dir/dovecot.log`), for a failing test's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("dovecot.log")).unwrap_or_default()
    }

    fn log_text(&self) -> String {
        let stderr = std::fs::read_to_string(self.dir.join("dovecot.stderr")).unwrap_or_default();
        format!("--- {}/dovecot.log:\n{}--- stderr:\n{stderr}", self.dir.display(), self.log())
    }

    /// Runs doveadm with this instance's config, as the server's user, with
    /// `input` on its standard input: (success, stdout, stderr).
    fn try_doveadm(&self, args: &[&str], input: Option<&[u8]>) -> (bool, Vec<u8>, String) {
        let mut cmd = as_user(&self.doveadm, &self.dir);
        cmd.arg("-c").arg(&self.conf).args(args).current_dir(&self.dir);
        cmd.stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() });
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("dovecot: run doveadm: {e}"));
        if let (Some(bytes), Some(mut stdin)) = (input, child.stdin.take()) {
            stdin.write_all(bytes).unwrap_or_else(|e| panic!("dovecot: feed doveadm {args:?}: {e}"));
        }
        let out = child.wait_with_output().unwrap_or_else(|e| panic!("dovecot: wait for doveadm: {e}"));
        (out.status.success(), out.stdout, String::from_utf8_lossy(&out.stderr).into_owned())
    }

    #[track_caller]
    fn doveadm_bytes(&self, args: &[&str], input: Option<&[u8]>) -> Vec<u8> {
        let (ok, out, err) = self.try_doveadm(args, input);
        assert!(ok, "doveadm {args:?} failed:\n{}\n{err}", String::from_utf8_lossy(&out));
        out
    }

    /// Runs `doveadm ARGS` with this instance's config (as the server's
    /// user) and returns its standard output; panics with its output if it
    /// fails.
    #[track_caller]
    pub fn doveadm(&self, args: &[&str]) -> String {
        String::from_utf8_lossy(&self.doveadm_bytes(args, None)).into_owned()
    }

    /// `doveadm -f json ARGS`, parsed: one map of field to value per row.
    #[track_caller]
    fn doveadm_json(&self, args: &[&str]) -> Vec<BTreeMap<String, String>> {
        let mut all = vec!["-f", "json"];
        all.extend_from_slice(args);
        let out = self.doveadm_bytes(&all, None);
        let text = String::from_utf8_lossy(&out);
        if text.trim().is_empty() {
            return Vec::new();
        }
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("doveadm {args:?} printed no JSON rows ({e}): {text}"))
    }

    /// `user`'s mailboxes, as LIST shows them (the special-use ones too
    /// before their first use).
    #[track_caller]
    pub fn mailboxes(&self, user: &str) -> BTreeSet<String> {
        self.doveadm_json(&["mailbox", "list", "-u", user]).iter().map(|r| field(r, "mailbox").to_string()).collect()
    }

    /// The number of messages in each of `user`'s mailboxes (every one of
    /// [`Dovecot::mailboxes`]).
    #[track_caller]
    pub fn counts(&self, user: &str) -> BTreeMap<String, usize> {
        // `mailbox status '*'` leaves out the mailboxes Dovecot has not
        // made on disk yet (INBOX and the `auto` ones before their first
        // use); they hold nothing.
        let mut counts: BTreeMap<String, usize> = self.mailboxes(user).into_iter().map(|m| (m, 0)).collect();
        for row in self.doveadm_json(&["mailbox", "status", "-u", user, "messages", "*"]) {
            counts.insert(field(&row, "mailbox").to_string(), number(&row, "messages"));
        }
        counts
    }

    /// Every message of `user`, sorted by mailbox and UID.
    #[track_caller]
    pub fn messages(&self, user: &str) -> Vec<Msg> {
        let fields = "mailbox uid flags date.received.unixtime hdr.message-id size.virtual";
        let mut out: Vec<Msg> = self
            .doveadm_json(&["fetch", "-u", user, fields, "ALL"])
            .into_iter()
            .map(|row| {
                let id: String = field(&row, "hdr.message-id").chars().filter(|c| *c != '\r' && *c != '\n').collect();
                let id = id.trim();
                Msg {
                    mailbox: field(&row, "mailbox").to_string(),
                    uid: number(&row, "uid"),
                    flags: field(&row, "flags")
                        .split_whitespace()
                        .filter(|f| !f.eq_ignore_ascii_case("\\Recent"))
                        .map(str::to_string)
                        .collect(),
                    internal_date: number(&row, "date.received.unixtime"),
                    message_id: (!id.is_empty()).then(|| id.to_string()),
                    size: number(&row, "size.virtual"),
                }
            })
            .collect();
        out.sort_by(|a, b| (&a.mailbox, a.uid).cmp(&(&b.mailbox, b.uid)));
        out
    }

    /// The message `uid` of `mailbox` as stored: the bytes a client
    /// APPENDed (see the module's notes on CRLF).
    #[track_caller]
    pub fn raw(&self, user: &str, mailbox: &str, uid: u32) -> Vec<u8> {
        let uid = uid.to_string();
        let query = ["mailbox", mailbox, "uid", uid.as_str()];
        let mut size_args = vec!["fetch", "-u", user, "size.physical"];
        size_args.extend_from_slice(&query);
        let rows = self.doveadm_json(&size_args);
        assert_eq!(rows.len(), 1, "dovecot: {user} has no message {uid} in {mailbox:?}");
        let size: usize = number(&rows[0], "size.physical");
        // The pager formatter prints "text:" and the value's bytes as they
        // are (JSON would replace invalid UTF-8), after "\n" or " ".
        let mut text_args = vec!["-f", "pager", "fetch", "-u", user, "text"];
        text_args.extend_from_slice(&query);
        let out = self.doveadm_bytes(&text_args, None);
        let body = out.strip_prefix(b"text:\n".as_slice()).or_else(|| out.strip_prefix(b"text: ".as_slice()));
        let body = body.unwrap_or_else(|| {
            panic!("doveadm fetch text printed {:?}", String::from_utf8_lossy(&out[..out.len().min(80)]))
        });
        assert!(body.len() >= size, "doveadm fetch text gave {} bytes of a {size}-byte message", body.len());
        body[..size].to_vec()
    }

    /// Each of `user`'s mailboxes that has a special use, with it (`\Sent`).
    #[track_caller]
    pub fn special_use(&self, user: &str) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for name in self.mailboxes(user) {
            let name = name.as_str();
            let value = self.doveadm_json(&["mailbox", "metadata", "get", "-u", user, name, "/private/specialuse"]);
            if let Some(v) = value.first().map(|r| field(r, "value").trim().to_string()).filter(|v| !v.is_empty()) {
                out.insert(name.to_string(), v);
            }
        }
        out
    }

    /// The UIDVALIDITY of `user`'s `mailbox`.
    #[track_caller]
    pub fn uidvalidity(&self, user: &str, mailbox: &str) -> u32 {
        let rows = self.doveadm_json(&["mailbox", "status", "-u", user, "uidvalidity", mailbox]);
        assert_eq!(rows.len(), 1, "dovecot: {user} has no mailbox {mailbox:?}");
        number(&rows[0], "uidvalidity")
    }

    /// Sets the UIDVALIDITY of `user`'s `mailbox` (as a server does when it
    /// rebuilds a mailbox: a client must take its UIDs as new).
    #[track_caller]
    pub fn set_uidvalidity(&self, user: &str, mailbox: &str, uidvalidity: u32) {
        let v = uidvalidity.to_string();
        self.doveadm(&["mailbox", "update", "-u", user, "--uid-validity", &v, mailbox]);
    }

    /// Puts the message `raw` into `user`'s `mailbox` (created if missing)
    /// with `flags` (`\Seen`, `$label`), and INTERNALDATE `internal_date`
    /// (Unix time; `None`: now). Returns its UID. Line ends are stored as
    /// CRLF. (Through `doveadm import` from a one-message Maildir, the only
    /// doveadm way to set the date.)
    #[track_caller]
    pub fn append(&self, user: &str, mailbox: &str, raw: &[u8], flags: &[&str], internal_date: Option<i64>) -> u32 {
        let n = SEED.fetch_add(1, Ordering::Relaxed);
        let seed = self.dir.join("seed").join(n.to_string());
        let is_inbox = mailbox.eq_ignore_ascii_case("INBOX");
        let folder = if is_inbox { seed.join("inbox") } else { seed.join("root").join(mailbox) };
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(folder.join(sub))
                .unwrap_or_else(|e| panic!("dovecot: mkdir {}: {e}", folder.display()));
        }
        std::fs::create_dir_all(seed.join("root")).unwrap_or_else(|e| panic!("dovecot: mkdir {}: {e}", seed.display()));
        // The base name becomes the message's GUID, by which it is found
        // after the import.
        let guid = format!("mailshift-seed-{}-{n}", std::process::id());
        let file = folder.join("cur").join(format!("{guid}:2,"));
        write_file(&file, raw);
        if let Some(t) = internal_date {
            let when = if t >= 0 {
                std::time::UNIX_EPOCH + Duration::from_secs(t.unsigned_abs())
            } else {
                std::time::UNIX_EPOCH - Duration::from_secs(t.unsigned_abs())
            };
            let f = std::fs::File::options().write(true).open(&file).expect("the seed file was just written");
            f.set_modified(when).unwrap_or_else(|e| panic!("dovecot: set the time of {}: {e}", file.display()));
        }
        if is_root() {
            assert!(prepare_user(&seed), "dovecot: cannot give {} to {TEST_USER}", seed.display());
        }
        let location = format!(
            "maildir:{}:LAYOUT=fs:INBOX={}:INDEX=MEMORY",
            seed.join("root").display(),
            seed.join("inbox").display()
        );
        let source_name = if is_inbox { "INBOX" } else { mailbox };
        self.doveadm(&["import", "-u", user, &location, "", "mailbox", source_name, "ALL"]);
        let _ = std::fs::remove_dir_all(&seed);
        let dest = if is_inbox { "INBOX" } else { mailbox };
        let rows = self.doveadm_json(&["fetch", "-u", user, "uid guid", "mailbox", dest, "ALL"]);
        let uid: u32 = rows
            .iter()
            .find(|r| field(r, "guid") == guid)
            .map(|r| number(r, "uid"))
            .unwrap_or_else(|| panic!("dovecot: the imported message {guid} is not in {dest:?}: {rows:?}"));
        if !flags.is_empty() {
            let uid_s = uid.to_string();
            self.doveadm(&["flags", "add", "-u", user, &flags.join(" "), "mailbox", dest, "uid", &uid_s]);
        }
        uid
    }

    /// Kills (SIGKILL) the instance's `imap` processes, one per logged-in
    /// session, and waits until they are gone: each client sees its
    /// connection closed, without a BYE, on its next read. Connections not
    /// yet logged in are left alone; the server goes on taking new ones.
    /// Returns how many sessions were dropped.
    pub fn drop_connections(&self) -> usize {
        let Some(master) = &self.master else { return 0 };
        let imap: Vec<Proc> =
            children(master.id() as i32).into_iter().filter(|(_, comm)| comm == "imap").map(|(p, _)| p).collect();
        for p in &imap {
            if alive(*p) {
                signal(p.pid, rustix::process::Signal::KILL);
            }
        }
        wait_gone(&imap, Duration::from_secs(5));
        imap.len()
    }

    /// Waits (at most `timeout`) until the server has no IMAP session left:
    /// after a client was killed, what it had sent whole may still be
    /// being stored by its session. True if none is left.
    pub fn wait_sessions_gone(&self, timeout: Duration) -> bool {
        let Some(master) = &self.master else { return true };
        let end = Instant::now() + timeout;
        loop {
            let imap = children(master.id() as i32).into_iter().filter(|(_, comm)| comm == "imap").count();
            if imap == 0 {
                return true;
            }
            if Instant::now() > end {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the server: kills the master and its children, and waits until
    /// they are gone. Done by `Drop` too (also when a test panics); the
    /// doveadm helpers do not work after it.
    pub fn stop(&mut self) {
        if let Some((mut guard, stdin)) = self.guard.take() {
            let _ = guard.kill();
            let _ = guard.wait();
            drop(stdin);
        }
        let Some(mut master) = self.master.take() else { return };
        if matches!(master.try_wait(), Ok(Some(_)) | Err(_)) {
            return; // Gone already (and reaped: its pid must not be signalled).
        }
        let pid = master.id() as i32;
        // Freeze the master first, so that it forks no process after its
        // children are listed (a login process for a connection just made),
        // then kill it and them. Not SIGTERM: the master takes a second to
        // wind down, and the test is over.
        signal(pid, rustix::process::Signal::STOP);
        let end = Instant::now() + Duration::from_secs(2);
        while proc_stat(pid).is_some_and(|(_, state, _, _)| !matches!(state, 'T' | 't' | 'Z')) && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(1));
        }
        let kids: Vec<Proc> = children(pid).into_iter().map(|(p, _)| p).collect();
        let _ = master.kill();
        let _ = master.wait();
        for p in &kids {
            if alive(*p) {
                signal(p.pid, rustix::process::Signal::KILL);
            }
        }
        wait_gone(&kids, Duration::from_secs(5));
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A shell that waits for its standard input to close, then kills `pid`
/// (the master; its children end with it): the pipe's other end is ours, so
/// it closes when this process ends, however it ends.
fn watchdog(pid: u32) -> (Child, ChildStdin) {
    let mut child = Command::new("sh")
        .args(["-c", "read -r _ ; kill -KILL \"$1\" 2>/dev/null", "mailshift-dovecot-watchdog", &pid.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("dovecot: start the watchdog shell: {e}"));
    let stdin = child.stdin.take().expect("stdin was piped");
    (child, stdin)
}

#[track_caller]
fn field<'a>(row: &'a BTreeMap<String, String>, name: &str) -> &'a str {
    row.get(name).map(String::as_str).unwrap_or_else(|| panic!("doveadm row without {name}: {row:?}"))
}

#[track_caller]
fn number<T: std::str::FromStr>(row: &BTreeMap<String, String>, name: &str) -> T {
    let v = field(row, name);
    v.trim().parse().unwrap_or_else(|_| panic!("doveadm: {name} = {v:?} is not a number"))
}
