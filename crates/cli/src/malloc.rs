//! glibc malloc thresholds for a conversion's allocation pattern.
//!
//! A conversion allocates and frees buffers the size of a message's parts
//! (decoded attachment data, its base64 form, the built message) on every
//! prepare thread, message after message. glibc serves each allocation over
//! its mmap threshold (128 KiB at start, raised on the fly towards 32 MiB
//! as such blocks are freed) with a fresh mapping, and gives a heap's top
//! back to the kernel once 128 KiB lie free there; either way the next
//! message's buffer is new memory, faulted in page by page (on a VM, first
//! by the host). Fixed thresholds keep freed buffers for the next message:
//! bench.pst -> mbox takes 7,100 page faults instead of 12,800.
//!
//! The process is ours, so the binary sets this; the library does not.
//! A user's own `GLIBC_TUNABLES` or `MALLOC_*_` settings win.

/// Blocks up to this size come from the heap, not a mapping of their own.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: i32 = 16 << 20;
/// Free memory kept at a heap's top before it is given back.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_THRESHOLD: i32 = 32 << 20;

/// Sets the thresholds, unless the environment sets malloc's own.
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let user_set = std::env::var_os("GLIBC_TUNABLES").is_some_and(|v| v.to_string_lossy().contains("malloc"))
            || std::env::vars_os().any(|(k, _)| k.to_string_lossy().starts_with("MALLOC_"));
        if user_set {
            return;
        }
        // SAFETY: mallopt only sets allocator parameters; it is called
        // before any thread is started. A refused value leaves glibc's
        // default, which is correct too.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
            libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
        }
    }
}
