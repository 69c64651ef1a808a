//! `mailshift batch JOBS.csv`: many conversions from one file, one shard of
//! them per process, under whatever scheduler runs the processes
//! (Kubernetes Indexed Jobs, Slurm arrays, GNU parallel), with no
//! coordinator: a job belongs to the shard its key hashes to, and its state
//! and report live under `--state DIR`, written atomically, so a shard run
//! again skips what is done and finishes the rest.
//!
//! `mailshift batch-report --state DIR` merges what every shard wrote into
//! one table, one CSV and one JSON.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Condvar, Mutex};

use anyhow::{bail, Context};
use clap::{Parser, ValueEnum};
use mailshift_core::text::for_terminal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::imap::{is_imap, Hidden};
use crate::{error_text, write_atomically, ConvertArgs};

/// Exchange's admin center takes a migration CSV of at most 10 MB ...
const MAX_FILE: u64 = 10 << 20;
/// ... and of at most 50,000 rows.
const MAX_ROWS: usize = 50_000;

pub const EXIT_CODES: &str = "\
Exit codes:
  0    every job of this shard is done (now or by an earlier run)
  1    some job failed, lost items, stopped (target full), was left
       unverified or is running in another process: see the table
  2    the batch could not run: the jobs file is invalid (every error with
       its row), the shard is wrong, or the state directory cannot be used
  130  interrupted: the jobs in hand stopped cleanly; run it again to go on";

#[derive(clap::Args)]
pub struct BatchArgs {
    /// The jobs: a CSV of `source,target[,option...]` rows (an optional
    /// `source,target` header; each further column is one convert option,
    /// such as `--folder=Inbox`), Exchange's IMAP migration CSV
    /// (`EmailAddress,UserName,Password[,UserRoot]`, with --source and
    /// --target), or imapsync's `host1;user1;password1;host2;user2;password2`
    /// lines.
    pub jobs_file: PathBuf,
    /// Where each job's state and report are kept (shared by every shard:
    /// a shared directory or volume).
    #[arg(long, value_name = "DIR")]
    pub state: PathBuf,
    /// Run shard I of N (1-based, as `--shard 2/4`). Without it or
    /// --shard-index: Kubernetes' JOB_COMPLETION_INDEX (with --shard-count),
    /// Slurm's SLURM_ARRAY_TASK_ID / _MIN / _COUNT, else the whole file.
    #[arg(long, value_name = "I/N", conflicts_with = "shard_index")]
    pub shard: Option<String>,
    /// Run shard K (0-based) of --shard-count.
    #[arg(long, value_name = "K", requires = "shard_count")]
    pub shard_index: Option<u64>,
    /// The number of shards (with --shard-index, or with Kubernetes'
    /// JOB_COMPLETION_INDEX: the Job's `completions`).
    #[arg(long, value_name = "N", conflicts_with = "shard")]
    pub shard_count: Option<u64>,
    /// Run this many jobs at once in this process.
    #[arg(long, short = 'j', value_name = "N", default_value = "1", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
    /// At most this many jobs at once into one IMAP server.
    #[arg(long, value_name = "N", default_value = "2", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub per_host: u16,
    /// The jobs file's shape (default: told by its first line).
    #[arg(long, value_enum, default_value = "auto")]
    pub format: Shape,
    /// Exchange CSV: the IMAP server the accounts are read from
    /// (`imaps://host[:port]`; the user is the row's UserName, UserRoot
    /// the mailbox under which it is read).
    #[arg(long, value_name = "ADDRESS")]
    pub source: Option<String>,
    /// Exchange CSV: where each account goes, with {EmailAddress},
    /// {UserName}, {local} and {domain} replaced from the row: a directory
    /// (`backup/{EmailAddress}`), a file, or an IMAP address
    /// (`imaps://{EmailAddress}@outlook.office365.com`). Options after `--`
    /// take the same placeholders (`--authzid {EmailAddress}`).
    #[arg(long, value_name = "TEMPLATE")]
    pub target: Option<String>,
    /// Check each job done with `verify SRC DST`: a job whose target lacks
    /// a source message is not done.
    #[arg(long)]
    pub verify: bool,
    /// Read and plan every job of the shard, write nothing (no state, no
    /// target): the table says what would be copied.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the rows this shard takes, and run nothing.
    #[arg(long)]
    pub list: bool,
    /// Check the jobs file, and run nothing.
    #[arg(long, conflicts_with = "list")]
    pub check: bool,
    /// Print no table at the end (the per-job lines stay).
    #[arg(long, short)]
    pub quiet: bool,
    /// Options given to every job's convert, after `--` (such as
    /// `-- --tls-ca ca.pem --password-file admin.txt`).
    #[arg(last = true, value_name = "CONVERT OPTIONS")]
    pub options: Vec<String>,
}

#[derive(clap::Args)]
pub struct BatchReportArgs {
    /// The state directory the shards wrote.
    #[arg(long, value_name = "DIR")]
    pub state: PathBuf,
    /// Also write the table as CSV (Exchange's columns) to this file (`-`: standard output).
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Also write it as JSON to this file (`-`: standard output).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Print no table.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The shapes of a jobs file.
#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
pub enum Shape {
    /// Told by the first line: `;`-separated is imapsync's, an
    /// EmailAddress header Exchange's, else plain.
    Auto,
    /// `source,target[,option...]`.
    Plain,
    /// Exchange's IMAP migration CSV.
    Exchange,
    /// imapsync's `host1;user1;password1;host2;user2;password2`.
    Imapsync,
}

/// One row of the jobs file: one conversion.
#[derive(Clone, Debug)]
pub struct Job {
    /// Its line in the jobs file (1-based).
    pub row: u64,
    /// What the report calls it: the mailbox address (EmailAddress), else
    /// the source.
    pub label: String,
    /// What it is sharded by: the mailbox address, else the source path.
    pub key: String,
    pub source: String,
    pub target: String,
    /// The source's login name (Exchange's UserName), for {UserName}.
    pub user: String,
    /// The account's address (Exchange's EmailAddress), for
    /// {EmailAddress}, {local} and {domain}; empty in the other shapes.
    pub email: String,
    /// Options of its convert, the batch's (after `--`) then the row's.
    pub options: Vec<String>,
    /// The password of the target mailbox, or of the only IMAP side.
    pub password: Option<Hidden>,
    /// The source mailbox's, when both sides are IMAP.
    pub source_password: Option<Hidden>,
}

impl Job {
    /// Stable across edits of other rows and of this row's options: the
    /// source and the target.
    pub fn id(&self) -> String {
        hex(&Sha256::digest(format!("{}\0{}", self.source, self.target).as_bytes())[..8])
    }

    /// What the job does (passwords left out): a job done under another
    /// definition is run again.
    fn definition(&self) -> String {
        let mut h = Sha256::new();
        for part in [&self.source, &self.target].into_iter().chain(&self.options) {
            h.update(part.as_bytes());
            h.update([0]);
        }
        hex(&h.finalize()[..8])
    }

    /// The shard, of `count`, this job belongs to: by a hash of its key,
    /// so that adding or removing other rows moves no job.
    pub fn shard(&self, count: u64) -> u64 {
        let d = Sha256::digest(self.key.to_lowercase().as_bytes());
        let n = u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]);
        n % count.max(1)
    }

    /// The IMAP server the job writes to (for --per-host).
    fn host(&self) -> Option<String> {
        if !is_imap(Path::new(&self.target)) {
            return None;
        }
        mailshift_imap::ImapAddress::parse(&self.target)
            .ok()
            .map(|a| format!("{}:{}", a.host.to_ascii_lowercase(), a.port))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A shard: `index` of `count`, 0-based, and where it was told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index + 1, self.count)
    }
}

/// The shard from the options, else from the scheduler's environment
/// (`env` looks a variable up), and the words for where it came from.
pub fn shard(args: &BatchArgs, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<(Shard, String)> {
    let num = |what: &str, v: &str| -> anyhow::Result<u64> {
        v.trim().parse::<u64>().with_context(|| format!("{what} is {v:?}, not a whole number"))
    };
    let check = |s: Shard, from: String| -> anyhow::Result<(Shard, String)> {
        if s.count == 0 {
            bail!("{from}: the shard count must be at least 1");
        }
        if s.index >= s.count {
            let n = s.count;
            bail!(
                "{from}: shard {} of {n} does not exist: the shards are 1/{n} to {n}/{n} (index 0 to {})",
                s.index.saturating_add(1),
                n - 1
            );
        }
        Ok((s, from))
    };
    if let Some(s) = &args.shard {
        let (i, n) = s.split_once('/').with_context(|| format!("--shard {s:?}: write it as I/N, such as 2/4"))?;
        let (i, n) = (num("--shard's I", i)?, num("--shard's N", n)?);
        if i == 0 {
            bail!("--shard {s:?}: I counts from 1 (use --shard-index for 0-based)");
        }
        return check(Shard { index: i - 1, count: n }, format!("--shard {s}"));
    }
    if let (Some(k), Some(n)) = (args.shard_index, args.shard_count) {
        return check(Shard { index: k, count: n }, format!("--shard-index {k} --shard-count {n}"));
    }
    if let Some(v) = env("JOB_COMPLETION_INDEX").filter(|v| !v.is_empty()) {
        let k = num("JOB_COMPLETION_INDEX", &v)?;
        let Some(n) = args.shard_count else {
            bail!(
                "JOB_COMPLETION_INDEX is {v} (a Kubernetes Indexed Job): give --shard-count N, the Job's completions"
            );
        };
        return check(Shard { index: k, count: n }, format!("JOB_COMPLETION_INDEX={k} of --shard-count {n}"));
    }
    if let Some(v) = env("SLURM_ARRAY_TASK_ID").filter(|v| !v.is_empty()) {
        let id = num("SLURM_ARRAY_TASK_ID", &v)?;
        let min = env("SLURM_ARRAY_TASK_MIN").map(|m| num("SLURM_ARRAY_TASK_MIN", &m)).transpose()?.unwrap_or(0);
        let step = env("SLURM_ARRAY_TASK_STEP").map(|m| num("SLURM_ARRAY_TASK_STEP", &m)).transpose()?.unwrap_or(1);
        let count = match (args.shard_count, env("SLURM_ARRAY_TASK_COUNT")) {
            (Some(n), _) => n,
            (None, Some(c)) => num("SLURM_ARRAY_TASK_COUNT", &c)?,
            (None, None) => {
                bail!("SLURM_ARRAY_TASK_ID is {v} but SLURM_ARRAY_TASK_COUNT is not set: give --shard-count")
            }
        };
        if id < min || step == 0 || (id - min) % step != 0 {
            bail!("SLURM_ARRAY_TASK_ID {id} is not in the array from SLURM_ARRAY_TASK_MIN {min} by steps of {step}");
        }
        let index = (id - min) / step;
        return check(Shard { index, count }, format!("SLURM_ARRAY_TASK_ID={id} (task {} of {count})", index + 1));
    }
    if args.shard_count.is_some() {
        bail!("--shard-count needs --shard-index, or JOB_COMPLETION_INDEX in the environment");
    }
    Ok((Shard { index: 0, count: 1 }, "no shard given: the whole file".to_string()))
}

/// Errors of a jobs file, each with its row; all of them, not just the first.
struct Problems(Vec<String>, std::collections::HashSet<u64>);

impl Problems {
    fn row(&mut self, row: u64, what: impl std::fmt::Display) {
        self.0.push(format!("row {row}: {what}"));
        self.1.insert(row);
    }
}

/// The line (1-based) a record starts on. The reader's own count leaves
/// out blank and comment lines, and its position is where it began to
/// look: the blank and comment lines from there are stepped over.
fn line_of(text: &str, rec: &csv::StringRecord) -> u64 {
    let mut byte = (rec.position().map_or(0, |p| p.byte()) as usize).min(text.len());
    loop {
        let rest = &text[byte..];
        let line = rest.split('\n').next().unwrap_or("");
        if line.len() == rest.len() || !(line.trim().is_empty() || line.starts_with('#')) {
            break;
        }
        byte += line.len() + 1;
    }
    text.as_bytes()[..byte].iter().filter(|&&b| b == b'\n').count() as u64 + 1
}

/// Reads and checks the jobs file, the way Exchange's admin center checks a
/// migration CSV before it starts: size, UTF-8, header, column counts,
/// required values, duplicates; then every job's options. The error lists
/// every problem with its row.
pub fn read_jobs(args: &BatchArgs) -> anyhow::Result<Vec<Job>> {
    let path = &args.jobs_file;
    let name = path.display().to_string();
    let meta = std::fs::metadata(path).with_context(|| format!("cannot read the jobs file {name}"))?;
    if meta.len() > MAX_FILE {
        bail!("{name}: {} bytes; a jobs file holds at most 10 MB (Exchange's limit for a migration CSV)", meta.len());
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read the jobs file {name}"))?;
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) => {
            let row = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
            bail!("{name}: row {row}: not UTF-8 (byte {}); save the file as UTF-8", e.valid_up_to());
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#')).unwrap_or("");
    let shape = match args.format {
        Shape::Auto if first.contains(';') && !first.contains(',') => Shape::Imapsync,
        Shape::Auto if first.split(',').any(|h| h.trim().trim_matches('"').eq_ignore_ascii_case("EmailAddress")) => {
            Shape::Exchange
        }
        Shape::Auto => Shape::Plain,
        s => s,
    };
    let mut problems = Problems(Vec::new(), Default::default());
    let mut jobs = match shape {
        Shape::Exchange => exchange_rows(text, args, &mut problems)?,
        Shape::Imapsync => imapsync_rows(text, &mut problems),
        _ => plain_rows(text, &mut problems),
    };
    if jobs.is_empty() && problems.0.is_empty() {
        bail!("{name}: no jobs in it");
    }
    if jobs.len() > MAX_ROWS {
        bail!("{name}: {} rows; a jobs file holds at most {MAX_ROWS} (Exchange's limit for a migration)", jobs.len());
    }
    for job in &mut jobs {
        let mut all = args.options.iter().map(|o| fill(o, job)).collect::<Vec<_>>();
        all.append(&mut job.options);
        job.options = all;
    }
    // The same source into the same target twice would race with itself.
    let mut seen: HashMap<String, u64> = HashMap::new();
    for job in &jobs {
        if let Some(first) = seen.insert(job.id(), job.row) {
            problems.row(job.row, format_args!("the same source and target as row {first}"));
        }
        for o in &job.options {
            let flag = o.split('=').next().unwrap_or("");
            if ["--report", "--quiet", "-q", "--dry-run"].contains(&flag) {
                problems
                    .row(job.row, format_args!("{flag} is the batch's own (each job's report is kept under --state)"));
            }
        }
        if problems.1.contains(&job.row) {
            continue;
        }
        if let Err(e) = convert_args(job, Path::new("report.json"), false) {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("").trim_start_matches("error: ");
            problems.row(job.row, format_args!("invalid options: {}", for_terminal(first)));
        }
    }
    if !problems.0.is_empty() {
        let n = problems.0.len();
        let mut list = problems.0;
        list.truncate(50);
        let more = if n > 50 { format!("\n... and {} more", n - 50) } else { String::new() };
        bail!("{name} is not a valid jobs file ({n} problems, nothing was run):\n{}{more}", list.join("\n"));
    }
    Ok(jobs)
}

/// `text` with the row's placeholders filled in.
fn fill(text: &str, job: &Job) -> String {
    let email = job.email.as_str();
    let (local, domain) = email.split_once('@').unwrap_or((email, ""));
    text.replace("{EmailAddress}", email)
        .replace("{UserName}", &job.user)
        .replace("{local}", local)
        .replace("{domain}", domain)
}

fn csv_reader(text: &str, headers: bool) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(headers)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes())
}

/// The records of `reader` that hold something, each with its line; a
/// record the reader cannot make is a problem of its own.
fn records(text: &str, reader: &mut csv::Reader<&[u8]>, problems: &mut Problems) -> Vec<(u64, csv::StringRecord)> {
    let mut out = Vec::new();
    for rec in reader.records() {
        match rec {
            Ok(r) if r.iter().all(|f| f.is_empty()) => {}
            Ok(r) => out.push((line_of(text, &r), r)),
            Err(e) => problems.0.push(format!("{e}")),
        }
    }
    out
}

fn plain_rows(text: &str, problems: &mut Problems) -> Vec<Job> {
    let mut jobs = Vec::new();
    for (n, (row, rec)) in records(text, &mut csv_reader(text, false), problems).into_iter().enumerate() {
        let fields: Vec<&str> = rec.iter().collect();
        if n == 0
            && fields.len() >= 2
            && fields[0].eq_ignore_ascii_case("source")
            && fields[1].eq_ignore_ascii_case("target")
        {
            continue;
        }
        if fields.len() < 2 || fields[0].is_empty() || fields[1].is_empty() {
            problems.row(row, "a row is source,target[,option...]: the source or the target is missing");
            continue;
        }
        let options: Vec<String> = fields[2..].iter().filter(|f| !f.is_empty()).map(|f| f.to_string()).collect();
        if let Some(o) = options.iter().find(|o| !o.starts_with('-')) {
            problems.row(
                row,
                format_args!(
                    "{:?} is not an option (columns after the target are convert options, such as --folder=Inbox)",
                    for_terminal(o)
                ),
            );
        }
        let (source, target) = (fields[0].to_string(), fields[1].to_string());
        let key = if is_imap(Path::new(&target)) {
            mailbox_key(&target)
        } else if is_imap(Path::new(&source)) {
            mailbox_key(&source)
        } else {
            source.clone()
        };
        jobs.push(Job {
            row,
            label: source.clone(),
            key,
            source,
            target,
            user: String::new(),
            email: String::new(),
            options,
            password: None,
            source_password: None,
        });
    }
    jobs
}

/// A mailbox's key: user@host, as the server would tell them apart.
fn mailbox_key(addr: &str) -> String {
    match mailshift_imap::ImapAddress::parse(addr) {
        Ok(a) => format!("{}@{}", a.user, a.host.to_ascii_lowercase()),
        Err(_) => addr.to_string(),
    }
}

/// `user` written into an address (what the address parser decodes).
fn encode_user(user: &str) -> String {
    let mut out = String::with_capacity(user.len());
    for c in user.chars() {
        match c {
            '%' | '/' | ':' | '?' | '#' => out.push_str(&format!("%{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn exchange_rows(text: &str, args: &BatchArgs, problems: &mut Problems) -> anyhow::Result<Vec<Job>> {
    let Some(server) = &args.source else {
        bail!("an Exchange migration CSV (EmailAddress,UserName,Password) needs --source imaps://host[:port], the server the accounts are read from");
    };
    let Some(template) = &args.target else {
        bail!("an Exchange migration CSV needs --target TEMPLATE, where each account goes (such as backup/{{EmailAddress}})");
    };
    let (scheme, authority) = match server.split_once("://") {
        Some((s, a)) if s.eq_ignore_ascii_case("imaps") || s.eq_ignore_ascii_case("imap") => {
            (s.to_ascii_lowercase(), a.trim_end_matches('/'))
        }
        _ => bail!("--source {server:?}: give the server as imaps://host[:port] (or imap:// for STARTTLS)"),
    };
    if authority.is_empty() || authority.contains(['@', '/']) {
        bail!("--source {server:?}: give the server only (imaps://host[:port]); each row gives the user");
    }
    mailshift_imap::ImapAddress::parse(&format!("{scheme}://user@{authority}"))
        .map_err(|e| anyhow::anyhow!("--source {server:?}: {e}"))?;
    let mut reader = csv_reader(text, true);
    let headers = reader.headers().context("cannot read the header row")?.clone();
    let mut col: HashMap<&str, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let known =
            ["EmailAddress", "UserName", "Password", "UserRoot"].into_iter().find(|k| k.eq_ignore_ascii_case(h));
        match known {
            Some(k) if col.insert(k, i).is_some() => problems.row(1, format_args!("the column {k} appears twice")),
            Some(_) => {}
            None => problems.row(1, format_args!("unknown column {:?} (Exchange's IMAP migration CSV has EmailAddress, UserName, Password and optionally UserRoot)", for_terminal(h))),
        }
    }
    for k in ["EmailAddress", "UserName", "Password"] {
        if !col.contains_key(k) {
            problems.row(1, format_args!("the header lacks the column {k}"));
        }
    }
    if !problems.0.is_empty() {
        return Ok(Vec::new());
    }
    let placeholder = ["{EmailAddress}", "{UserName}", "{local}"].iter().any(|p| template.contains(p));
    let mut jobs = Vec::new();
    let mut emails: HashMap<String, u64> = HashMap::new();
    for (row, rec) in records(text, &mut reader, problems) {
        if rec.len() != headers.len() {
            problems.row(row, format_args!("{} columns where the header has {}", rec.len(), headers.len()));
            continue;
        }
        let get = |k: &str| col.get(k).and_then(|&i| rec.get(i)).unwrap_or("");
        let (email, user, password, root) = (get("EmailAddress"), get("UserName"), get("Password"), get("UserRoot"));
        let mut bad = false;
        for (k, v) in [("EmailAddress", email), ("UserName", user), ("Password", password)] {
            if v.is_empty() {
                problems.row(row, format_args!("{k} is empty"));
                bad = true;
            }
        }
        if !email.is_empty() {
            let ok = email.split('@').count() == 2
                && email.split('@').all(|p| !p.is_empty())
                && !email.chars().any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\".contains(c));
            if !ok {
                problems.row(row, format_args!("EmailAddress {:?} is not an email address", for_terminal(email)));
                bad = true;
            } else if let Some(first) = emails.insert(email.to_lowercase(), row) {
                problems.row(row, format_args!("EmailAddress {email} is also in row {first}"));
                bad = true;
            }
        }
        if bad {
            continue;
        }
        let mut source = format!("{scheme}://{}@{authority}", encode_user(user));
        for part in root.split('/').filter(|p| !p.is_empty()) {
            source.push('/');
            source.push_str(&part.replace('%', "%25"));
        }
        let mut job = Job {
            row,
            label: email.to_string(),
            key: email.to_lowercase(),
            source,
            target: String::new(),
            user: user.to_string(),
            email: email.to_string(),
            options: Vec::new(),
            password: None,
            source_password: None,
        };
        job.target = fill(template, &job);
        let secret = Some(Hidden(password.to_string()));
        if is_imap(Path::new(&job.target)) {
            job.source_password = secret;
        } else {
            job.password = secret;
        }
        jobs.push(job);
    }
    if jobs.len() > 1 && !placeholder {
        bail!("--target {template:?} holds no {{EmailAddress}}, {{UserName}} or {{local}}: every account would go into the same place");
    }
    Ok(jobs)
}

fn imapsync_rows(text: &str, problems: &mut Problems) -> Vec<Job> {
    let mut jobs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let row = i as u64 + 1;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split(';').collect();
        if f.len() < 6 {
            problems.row(
                row,
                format_args!("{} fields; imapsync's file has host1;user1;password1;host2;user2;password2", f.len()),
            );
            continue;
        }
        let mut bad = false;
        for (k, v) in [
            ("host1", f[0]),
            ("user1", f[1]),
            ("password1", f[2]),
            ("host2", f[3]),
            ("user2", f[4]),
            ("password2", f[5]),
        ] {
            if v.is_empty() {
                problems.row(row, format_args!("{k} is empty"));
                bad = true;
            }
        }
        if bad {
            continue;
        }
        let addr = |host: &str, user: &str| -> String {
            let host = host.trim();
            match host.split_once("://") {
                Some((scheme, h)) => format!("{scheme}://{}@{}", encode_user(user.trim()), h.trim_end_matches('/')),
                None => format!("imaps://{}@{host}", encode_user(user.trim())),
            }
        };
        let (source, target) = (addr(f[0], f[1]), addr(f[3], f[4]));
        for (k, a) in [("host1", &source), ("host2", &target)] {
            if let Err(e) = mailshift_imap::ImapAddress::parse(a) {
                problems.row(row, format_args!("{k}: {e}"));
                bad = true;
            }
        }
        if bad {
            continue;
        }
        let options: Vec<String> =
            f[6..].iter().map(|s| s.trim()).filter(|s| !s.is_empty()).map(String::from).collect();
        jobs.push(Job {
            row,
            label: mailbox_key(&target),
            key: mailbox_key(&target),
            source,
            target,
            user: f[1].trim().to_string(),
            email: String::new(),
            options,
            password: Some(Hidden(f[5].to_string())),
            source_password: Some(Hidden(f[2].to_string())),
        });
    }
    jobs
}

/// `convert`'s arguments for a job, parsed as `convert` parses them.
#[derive(Parser)]
#[command(name = "convert", no_binary_name = false)]
struct JobCommand {
    #[command(flatten)]
    args: ConvertArgs,
}

fn convert_args(job: &Job, report: &Path, dry_run: bool) -> anyhow::Result<ConvertArgs> {
    let mut argv: Vec<std::ffi::OsString> = vec!["convert".into(), "--quiet".into(), "--report".into(), report.into()];
    let local_target = !is_imap(Path::new(&job.target));
    // Every job is idempotent: what the target holds is not copied again.
    if local_target && !job.options.iter().any(|o| o == "--dedup") {
        argv.push("--dedup".into());
    }
    if dry_run {
        argv.push("--dry-run".into());
    }
    argv.extend(job.options.iter().map(Into::into));
    argv.push("--".into());
    argv.push(job.source.clone().into());
    argv.push(job.target.clone().into());
    let mut args = JobCommand::try_parse_from(argv).map_err(|e| anyhow::anyhow!("{}", e.render()))?.args;
    args.no_progress = true;
    args.imap.no_prompt = true;
    args.imap.password = job.password.clone();
    args.imap.source_password = job.source_password.clone();
    Ok(args)
}

/// Where a job stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    /// Every item copied or skipped for a reason that is no loss.
    Completed,
    /// It ran to the end, but items failed or were lost: see its report.
    CompletedWithErrors,
    /// It could not run (the source cannot be opened, the login refused ...).
    Failed,
    /// The target is full (an IMAP mailbox over its quota).
    Stopped,
    /// Interrupted, or its process was killed: a rerun goes on.
    Interrupted,
    /// Being run by a process now.
    Running,
    /// Done, but `verify` found source messages missing from the target.
    VerifyFailed,
    /// No shard has run it yet.
    NotStarted,
}

/// What the state directory keeps of a job (`jobs/<id>/state.json`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JobState {
    pub id: String,
    pub row: u64,
    pub label: String,
    pub source: String,
    pub target: String,
    pub definition: String,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub attempts: u32,
    pub shard: String,
    pub started_unix: u64,
    #[serde(default)]
    pub seconds: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<String>,
}

/// The plan every shard writes (`plan.json`): every job of the file, so the
/// merged report knows which no shard has run.
#[derive(Serialize, Deserialize)]
struct Plan {
    jobs_file: String,
    jobs: Vec<PlanJob>,
}

#[derive(Serialize, Deserialize)]
struct PlanJob {
    id: String,
    row: u64,
    label: String,
    source: String,
    target: String,
}

fn now_unix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    let json = serde_json::to_vec_pretty(value)?;
    write_atomically(path, &json).with_context(|| format!("cannot write {}", path.display()))
}

fn read_state(dir: &Path) -> Option<JobState> {
    serde_json::from_slice(&std::fs::read(dir.join("state.json")).ok()?).ok()
}

/// What the merged report takes from a job's report (`report.json`).
#[derive(Deserialize, Default)]
#[serde(default)]
struct ReportView {
    total: CountsView,
    stopped: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct CountsView {
    copied: u64,
    skipped_duplicate: u64,
    skipped_filtered: u64,
    skipped_too_large: u64,
    skipped_unsupported: u64,
    failed: u64,
    bytes: u64,
}

fn read_report(dir: &Path) -> Option<ReportView> {
    serde_json::from_slice(&std::fs::read(dir.join("report.json")).ok()?).ok()
}

/// What one job came to in this run.
struct Outcome {
    status: Status,
    note: String,
    already: bool,
}

/// `mailshift batch`.
pub fn run(args: BatchArgs) -> anyhow::Result<u8> {
    let jobs = read_jobs(&args)?;
    let (shard, from) = shard(&args, &|k| std::env::var(k).ok())?;
    let mine: Vec<&Job> = jobs.iter().filter(|j| j.shard(shard.count) == shard.index).collect();
    if args.check {
        println!("{}: {} jobs, valid", for_terminal(&args.jobs_file.display().to_string()), jobs.len());
        return Ok(0);
    }
    if args.list {
        println!("shard {shard} ({from}): {} of {} jobs", mine.len(), jobs.len());
        for j in &mine {
            println!("row {}\t{}\t{}", j.row, for_terminal(&j.label), j.id());
        }
        return Ok(0);
    }
    eprintln!("mailshift batch: shard {shard} ({from}): {} of {} jobs", mine.len(), jobs.len());
    let jobs_dir = args.state.join("jobs");
    let scratch; // the dry run's reports: nothing under --state
    let reports_dir = if args.dry_run {
        scratch = tempfile::tempdir().context("cannot make a temporary directory")?;
        scratch.path().to_path_buf()
    } else {
        std::fs::create_dir_all(&jobs_dir)
            .with_context(|| format!("cannot use the state directory {}", args.state.display()))?;
        let plan = Plan {
            jobs_file: args.jobs_file.display().to_string(),
            jobs: jobs
                .iter()
                .map(|j| PlanJob {
                    id: j.id(),
                    row: j.row,
                    label: j.label.clone(),
                    source: j.source.clone(),
                    target: j.target.clone(),
                })
                .collect(),
        };
        write_json(&args.state.join("plan.json"), &plan)?;
        jobs_dir.clone()
    };
    let stop = crate::interrupt::flag()?;
    let queue = Queue::new(&mine);
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new((0..mine.len()).map(|_| None).collect());
    let done = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..usize::from(args.jobs).min(mine.len().max(1)) {
            s.spawn(|| {
                while let Some(i) = queue.next(usize::from(args.per_host), &stop) {
                    let job = mine[i];
                    let dir = reports_dir.join(job.id());
                    let out = run_job(job, &dir, &args, shard);
                    queue.finish(i);
                    let n = done.fetch_add(1, Ordering::SeqCst) + 1;
                    let what = if out.already { "already done".to_string() } else { format!("{:?}", out.status) };
                    eprintln!(
                        "[{n}/{}] row {} {}: {what}{}",
                        mine.len(),
                        job.row,
                        for_terminal(&job.label),
                        if out.note.is_empty() { String::new() } else { format!(" ({})", for_terminal(&out.note)) }
                    );
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(out);
                }
            });
        }
    });
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    let rows: Vec<Row> = mine
        .iter()
        .zip(&results)
        .map(|(job, out)| {
            let dir = reports_dir.join(job.id());
            let state = read_state(&dir);
            let status = out.as_ref().map_or(Status::NotStarted, |o| o.status);
            let error = match out {
                Some(o) if !o.note.is_empty() && status != Status::Completed => o.note.clone(),
                _ => String::new(),
            };
            Row::new(
                job.row,
                &job.label,
                &job.target,
                status,
                read_report(&dir).as_ref(),
                error,
                state.map_or(0, |s| s.attempts),
            )
        })
        .collect();
    if !args.quiet {
        if args.dry_run {
            println!("dry run: nothing was written; Synced means would be copied");
        }
        print!("{}", table(&rows));
    }
    if stop.load(Ordering::SeqCst) {
        eprintln!("mailshift batch: interrupted; run it again to go on");
        return Ok(130);
    }
    let all_done = results.iter().all(|o| o.as_ref().is_some_and(|o| o.status == Status::Completed));
    Ok(if all_done { 0 } else { 1 })
}

/// Runs one job under its lock; the state says where it stands at every
/// point (Running while it runs: a process killed leaves that, with its
/// lock released, which the report reads as Interrupted).
fn run_job(job: &Job, dir: &Path, args: &BatchArgs, shard: Shard) -> Outcome {
    let fail = |note: String| Outcome { status: Status::Failed, note, already: false };
    if let Err(e) = std::fs::create_dir_all(dir) {
        return fail(format!("cannot make {}: {e}", dir.display()));
    }
    let lock = match File::options().create(true).truncate(false).write(true).open(dir.join("lock")) {
        Ok(f) => f,
        Err(e) => return fail(format!("cannot open {}: {e}", dir.join("lock").display())),
    };
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Outcome { status: Status::Running, note: "another process runs it".into(), already: false }
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return fail(format!("cannot lock {}: {e}", dir.join("lock").display()))
        }
    }
    let definition = job.definition();
    let old = read_state(dir);
    if let Some(old) = &old {
        if old.status == Status::Completed && old.definition == definition && (!args.verify || old.verify.is_some()) {
            return Outcome { status: Status::Completed, note: String::new(), already: true };
        }
    }
    let mut state = JobState {
        id: job.id(),
        row: job.row,
        label: job.label.clone(),
        source: job.source.clone(),
        target: job.target.clone(),
        definition,
        status: Status::Running,
        exit_code: None,
        error: None,
        attempts: old.as_ref().map_or(0, |o| o.attempts) + 1,
        shard: shard.to_string(),
        started_unix: now_unix(),
        seconds: 0.0,
        verify: None,
    };
    let report = dir.join("report.json");
    let _ = std::fs::remove_file(&report);
    if !args.dry_run {
        if let Err(e) = write_json(&dir.join("state.json"), &state) {
            return fail(error_text(&e));
        }
    }
    let t0 = std::time::Instant::now();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        convert_args(job, &report, args.dry_run).and_then(crate::run_convert)
    }));
    let (status, code, error) = match result {
        Ok(Ok(0)) => (Status::Completed, Some(0), None),
        Ok(Ok(1)) => {
            (Status::CompletedWithErrors, Some(1), Some("items failed or were lost: see its report".to_string()))
        }
        Ok(Ok(3)) => (
            Status::Stopped,
            Some(3),
            Some(read_report(dir).and_then(|r| r.stopped).unwrap_or_else(|| "the target is full".into())),
        ),
        Ok(Ok(130)) => (Status::Interrupted, Some(130), None),
        Ok(Ok(c)) => (Status::Failed, Some(i32::from(c)), None),
        Ok(Err(e)) => (Status::Failed, Some(2), Some(error_text(&e))),
        Err(_) => (Status::Failed, None, Some("internal error (a bug in mailshift): the job panicked".to_string())),
    };
    state.status = status;
    state.exit_code = code;
    state.error = error;
    if status == Status::Completed && args.verify && !args.dry_run {
        match verify_job(job) {
            Ok(None) => state.verify = Some("ok".into()),
            Ok(Some(problem)) => {
                state.status = Status::VerifyFailed;
                state.error = Some(problem.clone());
                state.verify = Some(problem);
            }
            Err(e) => {
                state.status = Status::VerifyFailed;
                state.error = Some(format!("cannot verify: {}", error_text(&e)));
            }
        }
    }
    state.seconds = t0.elapsed().as_secs_f64();
    if !args.dry_run {
        if let Err(e) = write_json(&dir.join("state.json"), &state) {
            return fail(error_text(&e));
        }
    }
    Outcome { status: state.status, note: state.error.unwrap_or_default(), already: false }
}

/// `verify SRC DST` of a job done: `None` when the target holds every
/// source message unaltered, else what is wrong.
fn verify_job(job: &Job) -> anyhow::Result<Option<String>> {
    let args = convert_args(job, Path::new("report.json"), false)?;
    let secret = |h: &Option<Hidden>| h.as_ref().map(|h| mailshift_imap::Secret::Password(h.0.clone()));
    let target_imap = is_imap(Path::new(&job.target));
    let opts = crate::verify::VerifyOptions {
        from: args.from,
        to: args.to.map(crate::detect::Format::from),
        folder_map: crate::parse_folder_map(&args.folder_map)?,
        limit: 5,
        imap: args.imap.clone(),
        // The row's passwords: the source's (its own, or the only IMAP
        // side's), and the target mailbox's.
        source_secret: if target_imap { secret(&job.source_password) } else { secret(&job.password) },
        target_secret: if target_imap { secret(&job.password) } else { None },
    };
    let report = crate::verify::verify(Path::new(&job.source), Path::new(&job.target), &opts)?;
    if report.exit_code() == 0 {
        return Ok(None);
    }
    Ok(Some(format!(
        "verify: {} source messages missing from the target, {} altered (see `mailshift verify`)",
        report.missing(),
        report.altered()
    )))
}

/// The jobs of a shard, handed out so that no IMAP server gets more than
/// its cap at once.
struct Queue {
    inner: Mutex<QueueState>,
    ready: Condvar,
}

/// The jobs not yet handed out (each with its server), the jobs running
/// per server, and each job's server.
type QueueState = (VecDeque<(usize, Option<String>)>, HashMap<String, usize>, Vec<Option<String>>);

impl Queue {
    fn new(jobs: &[&Job]) -> Queue {
        let hosts: Vec<Option<String>> = jobs.iter().map(|j| j.host()).collect();
        let pending = hosts.iter().cloned().enumerate().collect();
        Queue { inner: Mutex::new((pending, HashMap::new(), hosts)), ready: Condvar::new() }
    }

    /// The next job whose server has room, waiting for one; `None` when
    /// none is left or the run is interrupted.
    fn next(&self, cap: usize, stop: &std::sync::atomic::AtomicBool) -> Option<usize> {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if stop.load(Ordering::SeqCst) || g.0.is_empty() {
                return None;
            }
            let (pending, busy, _) = &mut *g;
            let pick =
                pending.iter().position(|(_, h)| h.as_ref().is_none_or(|h| busy.get(h).copied().unwrap_or(0) < cap));
            if let Some(p) = pick {
                let (i, host) = pending.remove(p)?;
                if let Some(h) = host {
                    *busy.entry(h).or_insert(0) += 1;
                }
                return Some(i);
            }
            g = self.ready.wait_timeout(g, std::time::Duration::from_millis(500)).unwrap_or_else(|e| e.into_inner()).0;
        }
    }

    fn finish(&self, i: usize) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (_, busy, hosts) = &mut *g;
        if let Some(Some(h)) = hosts.get(i) {
            if let Some(n) = busy.get_mut(h) {
                *n = n.saturating_sub(1);
            }
        }
        drop(g);
        self.ready.notify_all();
    }
}

/// One line of the merged report, in Exchange's columns.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    #[serde(rename = "Row")]
    pub row: u64,
    #[serde(rename = "EmailAddress")]
    pub label: String,
    #[serde(rename = "Target")]
    pub target: String,
    #[serde(rename = "Status")]
    pub status: Status,
    #[serde(rename = "ItemsSynced")]
    pub synced: u64,
    #[serde(rename = "ItemsSkipped")]
    pub skipped: u64,
    #[serde(rename = "ItemsFailed")]
    pub failed: u64,
    #[serde(rename = "Bytes")]
    pub bytes: u64,
    #[serde(rename = "Attempts")]
    pub attempts: u32,
    #[serde(rename = "Error")]
    pub error: String,
}

impl Row {
    fn new(
        row: u64,
        label: &str,
        target: &str,
        status: Status,
        report: Option<&ReportView>,
        error: String,
        attempts: u32,
    ) -> Row {
        let t = report.map(|r| r.total.clone()).unwrap_or_default();
        Row {
            row,
            label: label.to_string(),
            target: target.to_string(),
            status,
            synced: t.copied,
            skipped: t.skipped_duplicate + t.skipped_filtered + t.skipped_too_large + t.skipped_unsupported,
            failed: t.failed,
            bytes: t.bytes,
            attempts,
            error,
        }
    }
}

fn table(rows: &[Row]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let labels: Vec<String> =
        rows.iter().map(|r| mailshift_core::text::truncate(&for_terminal(&r.label), 48).into_owned()).collect();
    let w = labels.iter().map(|l| mailshift_core::text::width(l)).max().unwrap_or(0).max(5);
    let _ = writeln!(
        out,
        "{:>5}  {}  {:<19} {:>8} {:>8} {:>7} {:>12}  error",
        "row",
        mailshift_core::text::pad("job", w),
        "status",
        "synced",
        "skipped",
        "failed",
        "bytes"
    );
    let mut total = (0u64, 0u64, 0u64, 0u64);
    for (r, l) in rows.iter().zip(&labels) {
        total.0 += r.synced;
        total.1 += r.skipped;
        total.2 += r.failed;
        total.3 += r.bytes;
        let _ = writeln!(
            out,
            "{:>5}  {}  {:<19} {:>8} {:>8} {:>7} {:>12}  {}",
            r.row,
            mailshift_core::text::pad(l, w),
            format!("{:?}", r.status),
            r.synced,
            r.skipped,
            r.failed,
            r.bytes,
            mailshift_core::text::truncate(&for_terminal(&r.error), 80)
        );
    }
    let done = rows.iter().filter(|r| r.status == Status::Completed).count();
    let _ = writeln!(
        out,
        "{:>5}  {}  {:<19} {:>8} {:>8} {:>7} {:>12}",
        "",
        mailshift_core::text::pad("total", w),
        format!("{done}/{} done", rows.len()),
        total.0,
        total.1,
        total.2,
        total.3
    );
    out
}

/// The merged report of every shard.
#[derive(Serialize)]
struct Merged {
    jobs: Vec<Row>,
    total: Totals,
}

#[derive(Serialize, Default)]
struct Totals {
    jobs: usize,
    completed: usize,
    items_synced: u64,
    items_skipped: u64,
    items_failed: u64,
    bytes: u64,
}

/// Every job the state directory knows, each with its status and report.
pub fn collect(state_dir: &Path) -> anyhow::Result<Vec<Row>> {
    let jobs_dir = state_dir.join("jobs");
    if !jobs_dir.is_dir() && !state_dir.join("plan.json").is_file() {
        bail!("{} holds no batch state (no jobs/ and no plan.json)", state_dir.display());
    }
    let plan: Option<Plan> =
        std::fs::read(state_dir.join("plan.json")).ok().and_then(|b| serde_json::from_slice(&b).ok());
    let mut rows = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let from_state = |dir: &Path| -> Option<Row> {
        let st = read_state(dir)?;
        let mut status = st.status;
        if status == Status::Running {
            // Its process holds the lock while it runs; a free lock means
            // the process is gone.
            let held = File::options()
                .write(true)
                .open(dir.join("lock"))
                .map(|f| matches!(f.try_lock(), Err(std::fs::TryLockError::WouldBlock)))
                .unwrap_or(false);
            if !held {
                status = Status::Interrupted;
            }
        }
        let error = match (status, st.error) {
            (Status::Interrupted, None) => "its process ended before it did: run the shard again".to_string(),
            (_, e) => e.unwrap_or_default(),
        };
        Some(Row::new(st.row, &st.label, &st.target, status, read_report(dir).as_ref(), error, st.attempts))
    };
    if let Some(plan) = &plan {
        for p in &plan.jobs {
            let dir = jobs_dir.join(&p.id);
            seen.insert(p.id.clone());
            rows.push(
                from_state(&dir).unwrap_or_else(|| {
                    Row::new(p.row, &p.label, &p.target, Status::NotStarted, None, String::new(), 0)
                }),
            );
        }
    }
    if let Ok(entries) = std::fs::read_dir(&jobs_dir) {
        let mut extra: Vec<Row> = entries
            .flatten()
            .filter(|e| !seen.contains(&e.file_name().to_string_lossy().into_owned()))
            .filter_map(|e| from_state(&e.path()))
            .collect();
        rows.append(&mut extra);
    }
    rows.sort_by_key(|r| r.row);
    Ok(rows)
}

/// `mailshift batch-report`.
pub fn report(args: BatchReportArgs) -> anyhow::Result<u8> {
    let rows = collect(&args.state)?;
    let mut total = Totals { jobs: rows.len(), ..Totals::default() };
    for r in &rows {
        total.completed += usize::from(r.status == Status::Completed);
        total.items_synced += r.synced;
        total.items_skipped += r.skipped;
        total.items_failed += r.failed;
        total.bytes += r.bytes;
    }
    if !args.quiet {
        eprint!("{}", table(&rows));
    }
    if let Some(path) = &args.csv {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "EmailAddress",
            "Status",
            "ItemsSynced",
            "ItemsSkipped",
            "ItemsFailed",
            "Bytes",
            "Error",
            "Row",
            "Target",
        ])?;
        for r in &rows {
            w.write_record([
                r.label.clone(),
                format!("{:?}", r.status),
                r.synced.to_string(),
                r.skipped.to_string(),
                r.failed.to_string(),
                r.bytes.to_string(),
                r.error.clone(),
                r.row.to_string(),
                r.target.clone(),
            ])?;
        }
        let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
        put(path, &bytes)?;
    }
    let ok = total.completed == total.jobs;
    if let Some(path) = &args.json {
        let mut bytes = serde_json::to_vec_pretty(&Merged { jobs: rows, total })?;
        bytes.push(b'\n');
        put(path, &bytes)?;
    }
    Ok(if ok { 0 } else { 1 })
}

fn put(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if path == Path::new("-") {
        use std::io::Write as _;
        std::io::stdout().write_all(bytes)?;
        Ok(())
    } else {
        write_atomically(path, bytes).with_context(|| format!("cannot write {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(file: &Path) -> BatchArgs {
        BatchArgs {
            jobs_file: file.to_path_buf(),
            state: PathBuf::from("state"),
            shard: None,
            shard_index: None,
            shard_count: None,
            jobs: 1,
            per_host: 2,
            format: Shape::Auto,
            source: None,
            target: None,
            verify: false,
            dry_run: false,
            list: false,
            check: false,
            quiet: false,
            options: Vec::new(),
        }
    }

    fn jobs_of(text: &str, f: impl FnOnce(&mut BatchArgs)) -> anyhow::Result<Vec<Job>> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("jobs.csv");
        std::fs::write(&p, text).unwrap();
        let mut a = args(&p);
        f(&mut a);
        read_jobs(&a)
    }

    #[test]
    fn plain_rows_with_header_and_options() {
        let jobs =
            jobs_of("source,target\na.mbox,out/a,--folder=Inbox\n\n# note\n\"b,c.mbox\",out/b\n", |_| {}).unwrap();
        assert_eq!(jobs.len(), 2);
        assert_eq!((jobs[0].row, jobs[0].source.as_str(), jobs[0].target.as_str()), (2, "a.mbox", "out/a"));
        assert_eq!(jobs[0].options, ["--folder=Inbox"]);
        assert_eq!((jobs[1].row, jobs[1].source.as_str()), (5, "b,c.mbox"));
    }

    #[test]
    fn every_problem_is_named_with_its_row() {
        let e =
            jobs_of("a.mbox,out/a\nb.mbox\nc.mbox,out/c,folder\na.mbox,out/a\nd.mbox,out/d,--no-such-option\n", |_| {})
                .unwrap_err()
                .to_string();
        assert!(e.contains("row 2: a row is source,target"), "{e}");
        assert!(e.contains("row 3: \"folder\" is not an option"), "{e}");
        assert!(e.contains("row 4: the same source and target as row 1"), "{e}");
        assert!(e.contains("row 5: invalid options"), "{e}");
        assert!(e.contains("4 problems"), "{e}");
    }

    #[test]
    fn exchange_csv() {
        let text = "EmailAddress,UserName,Password,UserRoot\nTerry@Contoso.com,terry,p@ss;w,\nann@contoso.com,ann%x,pw2,/users/ann\n";
        let jobs = jobs_of(text, |a| {
            a.source = Some("imaps://imap.contoso.com:993".into());
            a.target = Some("backup/{EmailAddress}".into());
            a.options = vec!["--authzid".into(), "{local}".into()];
        })
        .unwrap();
        assert_eq!(jobs.len(), 2);
        assert_eq!(jobs[0].source, "imaps://terry@imap.contoso.com:993");
        assert_eq!(jobs[0].target, "backup/Terry@Contoso.com");
        assert_eq!(jobs[0].key, "terry@contoso.com");
        assert_eq!(jobs[0].password.as_ref().unwrap().0, "p@ss;w");
        assert!(jobs[0].source_password.is_none());
        assert_eq!(jobs[0].options, ["--authzid", "Terry"]);
        assert_eq!(jobs[1].source, "imaps://ann%25x@imap.contoso.com:993/users/ann");
        // The password is nowhere in what is printed of a job.
        assert!(!format!("{:?}", jobs[0]).contains("p@ss"));
    }

    #[test]
    fn exchange_csv_problems() {
        let set = |a: &mut BatchArgs| {
            a.source = Some("imaps://imap.contoso.com".into());
            a.target = Some("backup/{EmailAddress}".into());
        };
        let e = jobs_of("EmailAddress,UserName,Passwort\na@b.c,a,p\n", set).unwrap_err().to_string();
        assert!(e.contains("row 1: unknown column \"Passwort\""), "{e}");
        assert!(e.contains("row 1: the header lacks the column Password"), "{e}");
        let e = jobs_of(
            "EmailAddress,UserName,Password\na@b.c,a,p\nnot-an-address,b,p\nA@b.c,c,p\nd@b.c,d\ne@b.c,,p\n",
            set,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("row 3: EmailAddress \"not-an-address\" is not an email address"), "{e}");
        assert!(e.contains("row 4: EmailAddress A@b.c is also in row 2"), "{e}");
        assert!(e.contains("row 5: 2 columns where the header has 3"), "{e}");
        assert!(e.contains("row 6: UserName is empty"), "{e}");
        let e = jobs_of("EmailAddress,UserName,Password\na@b.c,a,p\nd@b.c,d,p\n", |a| {
            a.source = Some("imaps://imap.contoso.com".into());
            a.target = Some("backup".into());
        })
        .unwrap_err()
        .to_string();
        assert!(e.contains("every account would go into the same place"), "{e}");
        let e = jobs_of("EmailAddress,UserName,Password\na@b.c,a,p\n", |_| {}).unwrap_err().to_string();
        assert!(e.contains("needs --source"), "{e}");
    }

    #[test]
    fn imapsync_file() {
        let jobs = jobs_of(
            "# host1;user1;password1;host2;user2;password2\nimap.a.org;tom;secret1;imap://mx.b.org:143;tom@b.org;secret2;\nh;u;p;h2\n",
            |_| {},
        )
        .unwrap_err()
        .to_string();
        assert!(jobs.contains("row 3: 4 fields"), "{jobs}");
        let jobs = jobs_of("imap.a.org;tom;secret1;imap://mx.b.org:143;tom@b.org;secret2;\n", |_| {}).unwrap();
        assert_eq!(jobs[0].source, "imaps://tom@imap.a.org");
        assert_eq!(jobs[0].target, "imap://tom@b.org@mx.b.org:143");
        assert_eq!(jobs[0].source_password.as_ref().unwrap().0, "secret1");
        assert_eq!(jobs[0].password.as_ref().unwrap().0, "secret2");
        assert_eq!(jobs[0].key, "tom@b.org@mx.b.org");
    }

    #[test]
    fn shards_from_flags_and_schedulers() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = args(&dir.path().join("x"));
        let none = |_: &str| None;
        assert_eq!(shard(&a, &none).unwrap().0, Shard { index: 0, count: 1 });
        a.shard = Some("2/4".into());
        assert_eq!(shard(&a, &none).unwrap().0, Shard { index: 1, count: 4 });
        a.shard = Some("0/4".into());
        assert!(shard(&a, &none).is_err());
        a.shard = Some("5/4".into());
        assert!(shard(&a, &none).is_err());
        a.shard = None;
        a.shard_count = Some(4);
        let k8s = |k: &str| (k == "JOB_COMPLETION_INDEX").then(|| "3".to_string());
        assert_eq!(shard(&a, &k8s).unwrap().0, Shard { index: 3, count: 4 });
        a.shard_count = None;
        assert!(shard(&a, &k8s).unwrap_err().to_string().contains("--shard-count"));
        let slurm = |k: &str| match k {
            "SLURM_ARRAY_TASK_ID" => Some("7".to_string()),
            "SLURM_ARRAY_TASK_MIN" => Some("5".to_string()),
            "SLURM_ARRAY_TASK_COUNT" => Some("4".to_string()),
            _ => None,
        };
        assert_eq!(shard(&a, &slurm).unwrap().0, Shard { index: 2, count: 4 });
    }

    #[test]
    fn a_job_keeps_its_shard_when_other_rows_change() {
        let job = |key: &str| Job {
            row: 1,
            label: key.into(),
            key: key.into(),
            source: key.into(),
            target: "t".into(),
            user: String::new(),
            email: String::new(),
            options: vec![],
            password: None,
            source_password: None,
        };
        // Fixed values: the hash must not change between releases, or a
        // rerun with a newer mailshift would take other rows.
        assert_eq!(job("alice@example.com").shard(4), job("ALICE@example.com").shard(4));
        let counts = (0..400).fold([0u32; 4], |mut c, i| {
            c[job(&format!("user{i}@example.com")).shard(4) as usize] += 1;
            c
        });
        assert!(counts.iter().all(|&c| c > 60), "{counts:?}");
    }

    #[test]
    fn no_server_gets_more_than_its_cap() {
        let job = |target: &str| Job {
            row: 1,
            label: target.into(),
            key: target.into(),
            source: "s.mbox".into(),
            target: target.into(),
            user: String::new(),
            email: String::new(),
            options: vec![],
            password: None,
            source_password: None,
        };
        let jobs = [
            job("imaps://a@one.example:993"),
            job("imaps://b@one.example:993"),
            job("out/local"),
            job("imaps://c@two.example:993"),
            job("imaps://d@ONE.example:993"),
        ];
        let refs: Vec<&Job> = jobs.iter().collect();
        let q = Queue::new(&refs);
        let stop = std::sync::atomic::AtomicBool::new(false);
        // One at a time into one.example: its second and third job wait.
        assert_eq!(q.next(1, &stop), Some(0));
        assert_eq!(q.next(1, &stop), Some(2));
        assert_eq!(q.next(1, &stop), Some(3));
        q.finish(0);
        assert_eq!(q.next(1, &stop), Some(1));
        q.finish(1);
        assert_eq!(q.next(1, &stop), Some(4));
        assert_eq!(q.next(1, &stop), None);
        // Interrupted: nothing more is handed out.
        let q = Queue::new(&refs);
        stop.store(true, Ordering::SeqCst);
        assert_eq!(q.next(2, &stop), None);
    }
}
