//! Running programs (the `mailshift` binary, `doveadm`) as an unprivileged
//! user, so that file modes apply.
//!
//! Tests run as root here and in CI, and root ignores mode 000; doveadm
//! also refuses to run as root. So as root these run as the system user
//! [`TEST_USER`] (created if missing) through `runuser`, after it has been
//! given the test's directory; as any other user they run as that user.
//!
//! ```no_run
//! use mailshift_testkit::user::Unprivileged;
//! # fn demo(dir: &std::path::Path) {
//! // In a test of the CLI crate: env!("CARGO_BIN_EXE_mailshift").
//! let bin = "/path/to/mailshift";
//! let Some(user) = Unprivileged::new(bin, dir) else { return }; // after a skip
//! let (code, stdout, stderr) = user.run(&[&"info", &dir.join("src"), &"--json"]);
//! # }
//! ```

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The unprivileged user the tests run programs as when they run as root.
pub const TEST_USER: &str = "mailshift-test";

/// True when this process runs as root.
pub fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn user_exists() -> bool {
    Command::new("id").arg(TEST_USER).output().is_ok_and(|o| o.status.success())
}

/// Serializes the creation of the user within one test binary: two
/// `useradd` at once have been seen to leave the user with another uid
/// than the one a concurrent `chown` used.
static USERADD: Mutex<()> = Mutex::new(());

/// The lock file that keeps the `useradd` of different test binaries (run
/// at the same time by `cargo test`) apart.
const USERADD_LOCK: &str = "/tmp/.mailshift-test-useradd.lock";

/// As root: makes sure [`TEST_USER`] exists, and gives it `dir`
/// (recursively). False if that cannot be done.
pub fn prepare_user(dir: &Path) -> bool {
    {
        let _guard = USERADD.lock().unwrap_or_else(|e| e.into_inner());
        if !user_exists() {
            let useradd = ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", TEST_USER];
            // flock(1) also keeps other test binaries' useradd apart; where
            // it is missing, useradd alone (a concurrent one fails, and the
            // user exists all the same).
            let locked = Command::new("flock").arg(USERADD_LOCK).args(useradd).status();
            if locked.is_err() {
                let _ = Command::new(useradd[0]).args(&useradd[1..]).status();
            }
            if !user_exists() {
                return false;
            }
        }
    }
    Command::new("chown").args(["-R", TEST_USER]).arg(dir).status().is_ok_and(|s| s.success())
}

/// A command that runs `program` as [`TEST_USER`] when this process is root
/// (after [`prepare_user`]), else as this user, with an empty environment
/// but `HOME` (= `home`), `USER` and `PATH`.
pub fn as_user(program: impl AsRef<OsStr>, home: &Path) -> Command {
    let root = is_root();
    let mut cmd = if root {
        let mut c = Command::new("runuser");
        c.args(["-u", TEST_USER, "--", "env", "-i"]);
        c
    } else {
        let mut c = Command::new("env");
        c.arg("-i");
        c
    };
    let user = if root { TEST_USER.to_string() } else { std::env::var("USER").unwrap_or_else(|_| "nobody".into()) };
    cmd.arg(format!("HOME={}", home.display()))
        .arg(format!("USER={user}"))
        .arg("PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
        .arg(program);
    cmd
}

/// `bin` where the user of [`as_user`] can run it: `bin` itself if that
/// user may execute it (always when not root), else a copy in `dir`
/// (mode 0755). As root, call [`prepare_user`] first.
pub fn reachable_binary(bin: &Path, dir: &Path) -> PathBuf {
    if !is_root() {
        return bin.to_path_buf();
    }
    let reachable = as_user("test", dir).arg("-x").arg(bin).status().is_ok_and(|s| s.success());
    if reachable {
        return bin.to_path_buf();
    }
    let name = bin.file_name().unwrap_or_else(|| OsStr::new("program"));
    let copy = dir.join(name);
    std::fs::copy(bin, &copy).unwrap_or_else(|e| panic!("copy {} to {}: {e}", bin.display(), copy.display()));
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", copy.display()));
    copy
}

/// Runs `bin ARGS` through [`as_user`] in the working directory `cwd`
/// (also its `HOME`): (exit code, stdout, stderr).
pub fn run_as_user<S: AsRef<OsStr>>(bin: &Path, cwd: &Path, args: &[S]) -> (i32, String, String) {
    crate::run(as_user(bin, cwd).current_dir(cwd).args(args))
}

/// A program ready to run as a user that file modes stop: as root,
/// [`TEST_USER`] owns the directory given to [`Unprivileged::new`] and can
/// reach the program.
#[derive(Debug, Clone)]
pub struct Unprivileged {
    bin: PathBuf,
    dir: PathBuf,
}

impl Unprivileged {
    /// As root: makes sure [`TEST_USER`] exists, gives it `dir` (recursively:
    /// call this after making the test's files), and makes `bin` reachable
    /// ([`reachable_binary`]). `None` after [`crate::skip`] if that cannot be
    /// done. Not root: nothing to do.
    #[track_caller]
    pub fn new(bin: impl AsRef<Path>, dir: &Path) -> Option<Unprivileged> {
        if is_root() {
            crate::tool("runuser")?;
            if !prepare_user(dir) {
                crate::skip(&format!("running as root and cannot create or use the user {TEST_USER}"));
                return None;
            }
        }
        let bin = reachable_binary(bin.as_ref(), dir);
        Some(Unprivileged { bin, dir: dir.to_path_buf() })
    }

    /// The program as it is run (perhaps a copy in the directory).
    pub fn bin(&self) -> &Path {
        &self.bin
    }

    /// Runs the program with `args` in the directory (its `HOME` too):
    /// (exit code, stdout, stderr).
    pub fn run(&self, args: &[&dyn AsRef<OsStr>]) -> (i32, String, String) {
        run_as_user(&self.bin, &self.dir, args)
    }
}
