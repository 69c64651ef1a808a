//! pst-extractor (npm, the TypeScript port of java-libpst) as an oracle:
//! `node node/pstview.js FILE` prints the [`RawView`] as JSON. It walks
//! `getSubFolders()` (where PidTagSubfolders says there are some) and
//! `getNextChild()`, which stops at the folder's PidTagContentCount, takes
//! the IPM subtree from the store's PidTagIpmSubtreeEntryId, and hashes the
//! afByValue attachments' `fileInputStream`. Its package is installed by
//! `npm ci --prefix crates/testkit/node` (`.ci/run` does it).

use std::path::Path;
use std::process::Command;

use super::{find_program, run_json_script, OracleError, RawView};

pub(super) fn raw(pst: &Path) -> Result<RawView, OracleError> {
    let node = find_program("node", "Node.js")?;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("node");
    if !dir.join("node_modules/pst-extractor/package.json").is_file() {
        return Err(OracleError::Missing(format!(
            "pst-extractor is not installed in {}/node_modules (npm ci --prefix crates/testkit/node --no-audit --no-fund)",
            dir.display()
        )));
    }
    run_json_script(Command::new(node).arg(dir.join("pstview.js")).arg(pst), "pst-extractor")
}
