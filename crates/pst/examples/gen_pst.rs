//! Writes a seeded synthetic PST with [`mailshift_pst::PstWriter`] (the
//! store of `tests/synth`), for benchmarks and by hand:
//!
//! ```text
//! cargo run --release -p mailshift-pst --example gen_pst -- OUT.pst [--messages 10000] [--seed 42] [--large|--small]
//! ```
//!
//! The default store is `Spec::bench` (about 50 KB a message: 10,000 make
//! about 500 MB); `--large` gives every message one 1 MiB attachment
//! (`Spec::large`), `--small` none and 1 KB of text (`Spec::small`). Prints what was written, as one JSON line.

#[path = "../tests/synth/mod.rs"]
mod synth;

use std::path::PathBuf;
use std::time::Instant;

use mailshift_pst::ndb::write::WriteOptions;
use mailshift_pst::{PstWriteOptions, PstWriter};

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut out, mut messages, mut seed, mut preset) = (None, 10_000usize, 42u64, "bench");
    while let Some(a) = args.next() {
        let mut num = |what: &str| -> u64 {
            args.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{what} takes a number"))
        };
        match a.as_str() {
            "--messages" => messages = num("--messages") as usize,
            "--seed" => seed = num("--seed"),
            "--large" => preset = "large",
            "--small" => preset = "small",
            _ if out.is_none() && !a.starts_with('-') => out = Some(PathBuf::from(a)),
            _ => panic!("usage: gen_pst OUT.pst [--messages N] [--seed S] [--large|--small]"),
        }
    }
    let out = out.expect("usage: gen_pst OUT.pst [--messages N] [--seed S] [--large|--small]");
    let spec = match preset {
        "large" => synth::Spec::large(messages, seed),
        "small" => synth::Spec::small(messages, seed),
        _ => synth::Spec::bench(messages, seed),
    };
    let started = Instant::now();
    let opts = PstWriteOptions { ndb: WriteOptions { fsync: false, ..WriteOptions::default() } };
    let mut w = PstWriter::create(&out, opts).expect("create the PST");
    let written = synth::write(&spec, &mut w).expect("write the PST");
    let size = std::fs::metadata(&out).expect("written").len();
    println!(
        "{{\"path\": {:?}, \"messages\": {}, \"attachments\": {}, \"attachment_bytes\": {}, \"bytes\": {size}, \"seconds\": {:.2}}}",
        out.display().to_string(),
        written.messages,
        written.attachments,
        written.attachment_bytes,
        started.elapsed().as_secs_f64()
    );
}
