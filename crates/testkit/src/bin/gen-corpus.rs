//! `gen-corpus`: writes a deterministic test corpus (see
//! `mailshift_testkit::corpus`) as one mbox file, a Thunderbird mbox tree
//! or a Maildir++.
//!
//! ```text
//! gen-corpus [--seed N] [--messages N] [--bytes N] [--max-attachment N]
//!            (--mbox FILE | --mbox-tree DIR | --maildir DIR)
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use mailshift_testkit::corpus::{generate, write_maildir, write_mboxrd, write_single_mbox, CorpusSpec};

const USAGE: &str = "usage: gen-corpus [--seed N] [--messages N] [--bytes N] [--max-attachment N] (--mbox FILE | --mbox-tree DIR | --maildir DIR)";

enum Out {
    Mbox(PathBuf),
    Tree(PathBuf),
    Maildir(PathBuf),
}

fn parse() -> Result<(CorpusSpec, Out), String> {
    let mut spec = CorpusSpec { seed: 1, messages: 60, target_bytes: 250_000, max_attachment: 40_000 };
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "-h" || a == "--help" {
            return Err(USAGE.to_string());
        }
        let v = args.next().ok_or_else(|| format!("{a} needs a value\n{USAGE}"))?;
        let num = |v: &str| v.parse::<u64>().map_err(|e| format!("{a} {v}: {e}"));
        match a.as_str() {
            "--seed" => spec.seed = num(&v)?,
            "--messages" => spec.messages = num(&v)? as usize,
            "--bytes" => spec.target_bytes = num(&v)?,
            "--max-attachment" => spec.max_attachment = num(&v)? as usize,
            "--mbox" => out = Some(Out::Mbox(v.into())),
            "--mbox-tree" => out = Some(Out::Tree(v.into())),
            "--maildir" => out = Some(Out::Maildir(v.into())),
            _ => return Err(format!("unknown argument {a}\n{USAGE}")),
        }
    }
    Ok((spec, out.ok_or_else(|| format!("no output given\n{USAGE}"))?))
}

fn main() -> ExitCode {
    let (spec, out) = match parse() {
        Ok(x) => x,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let msgs = generate(&spec);
    let (res, path) = match &out {
        Out::Mbox(p) => (write_single_mbox(&msgs, p), p),
        Out::Tree(p) => (write_mboxrd(&msgs, p), p),
        Out::Maildir(p) => (write_maildir(&msgs, p), p),
    };
    match res {
        Ok(()) => {
            let bytes: usize = msgs.iter().map(|m| m.raw.len()).sum();
            eprintln!("gen-corpus: {} messages, {bytes} bytes -> {}", msgs.len(), path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen-corpus: {}: {e}", path.display());
            ExitCode::from(2)
        }
    }
}
