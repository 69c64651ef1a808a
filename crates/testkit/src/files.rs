//! Small file helpers the tests share: writing a file where its directory
//! may not exist yet, and reading and setting permission bits.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Writes `contents` to `root/rel`, making the directories above it;
/// returns the path.
pub fn put(root: &Path, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let p = root.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("mkdir {}: {e}", parent.display()));
    }
    std::fs::write(&p, contents).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
    p
}

/// The permission bits (`rwxrwxrwx`) of `p`, following a symbolic link.
pub fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())).permissions().mode() & 0o777
}

/// Sets the mode of `p` to `m`.
pub fn chmod(p: &Path, m: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(m))
        .unwrap_or_else(|e| panic!("chmod {m:o} {}: {e}", p.display()));
}
