//! pypff (libpff's Python binding, PyPI `libpff-python`) as an oracle:
//! `py/pstview.py FILE` prints the [`RawView`] as JSON. It walks the folder
//! tree from the root with `sub_folders` / `sub_messages`, takes the IPM
//! subtree from the message store's PidTagIpmSubtreeEntryId, and hashes the
//! attachments whose PidTagAttachMethod is afByValue (`read_buffer`).

use std::path::Path;
use std::process::Command;

use super::{find_program, run_json_script, OracleError, RawView};

pub(super) fn raw(pst: &Path) -> Result<RawView, OracleError> {
    let python = find_program("python3", "Python 3, with pip install libpff-python")?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("py/pstview.py");
    run_json_script(Command::new(python).arg(script).arg(pst), "pypff")
}
