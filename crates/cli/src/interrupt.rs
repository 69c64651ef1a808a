//! SIGINT and SIGTERM: the first asks the run to stop cleanly (the item in
//! hand is finished, the open folder closed, temporary files removed, the
//! report so far printed, exit 130); a second one while it does so ends
//! the process at once with 130, leaving temporary files of our naming that
//! the next run removes.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};

use anyhow::Context;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::flag;

/// The flag the signals set, for [`mailshift_core::Options::cancel`]: one
/// for the process, the handlers installed on the first call (a batch runs
/// many conversions, each asks for it).
pub fn flag() -> anyhow::Result<Arc<AtomicBool>> {
    static STOP: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    if let Some(stop) = STOP.get() {
        return Ok(Arc::clone(stop));
    }
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [SIGINT, SIGTERM] {
        // Registered first, so it runs before the flag is set: it ends the
        // process only if the flag was already set by an earlier signal.
        flag::register_conditional_shutdown(sig, 130, Arc::clone(&stop)).context("cannot install signal handlers")?;
        flag::register(sig, Arc::clone(&stop)).context("cannot install signal handlers")?;
    }
    // Two threads racing here would both install handlers on their own
    // flags; the first flag set wins and the loser's handlers stay harmless.
    Ok(Arc::clone(STOP.get_or_init(|| stop)))
}
