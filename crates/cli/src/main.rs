//! `mailshift`: convert local mail stores. Thin: parse arguments, open the
//! source and target, call `mailshift_core::convert`, print the report.

mod batch;
mod check;
mod detect;
mod dry;
mod guard;
mod imap;
mod info;
mod interrupt;
mod manpage;
mod verify;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use mailshift_core::pim::files::{PimFileKind, PimFiles, PimOptions, WithPimFiles};
use mailshift_core::pim::vcard::VCardVersion;
use mailshift_core::{convert, FolderKind, Options, Progress, StoreReader, StoreWriter};

use crate::detect::Format;

const EXIT_CODES: &str = "\
Exit codes:
  0    convert: every selected item was copied (what the target format cannot
       hold by design, such as flags in EML, is listed as \"not kept by <format>\");
       info: the store is readable, no damage found (notes are only notes);
       verify: the target holds every source message unaltered (messages only
       in the target are listed, and do not fail)
  1    convert: an item failed or was unreadable, lost something the target
       could have held, or the source is damaged (all listed in the report);
       with --strict, also anything the target format did not keep;
       info: damaged or unreadable items or folders;
       verify: a source message is missing from the target, altered in it,
       or could not be read (each listed)
  2    could not run: bad arguments, a source that cannot be opened, a target
       that is the source, lies inside it, or is not of the target's format
       (an IMAP server that cannot be reached or refuses the login)
  3    convert: the target is full (an IMAP mailbox over its quota); the run
       stopped there: free space and run it again to go on
  130  interrupted (SIGINT/SIGTERM): the report so far is printed, marked
       interrupted; what was written is whole, temporary files are removed";

#[derive(Parser)]
#[command(
    name = "mailshift",
    version,
    about = "Convert local mail stores: PST/OST, mbox, Maildir, EML; contacts to vCard, calendars and tasks to iCalendar",
    after_help = EXIT_CODES
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once
enum Command {
    /// Copy every folder and message of SRC into DST.
    #[command(after_help = EXIT_CODES)]
    Convert(ConvertArgs),
    /// Check a store before converting: format, folders, counts, dates, problems.
    #[command(after_help = EXIT_CODES)]
    Info(InfoArgs),
    /// Check a PST or OST's structure, read-only (like scanpst): exit 0 clean,
    /// 1 problems found, 2 not a PST/OST.
    Check(CheckArgs),
    /// Run many conversions from a CSV, one shard of them per process
    /// (`--shard 2/4`, or Kubernetes' / Slurm's index), each job's state and
    /// report kept under --state so that a rerun finishes what is left.
    #[command(after_help = batch::EXIT_CODES)]
    Batch(batch::BatchArgs),
    /// Merge the reports every shard of a batch kept under --state into one
    /// table, CSV and JSON: exit 0 when every job is done, 1 when some is
    /// not, 2 when there is no batch state.
    BatchReport(batch::BatchReportArgs),
    /// Print a shell completion script to stdout: bash, zsh, fish, powershell, elvish.
    Completions(manpage::CompletionsArgs),
    /// Write the man pages (mailshift.1, mailshift-convert.1 ...) into
    /// --dir DIR, or print mailshift.1 to stdout.
    Man(manpage::ManArgs),
    /// Reconcile a finished migration, read-only on both sides: per folder,
    /// the counts of SRC and DST, the messages missing from DST, those only
    /// in DST, those altered, and those in another folder than expected.
    #[command(after_help = EXIT_CODES)]
    Verify(VerifyArgs),
}

#[derive(clap::Args)]
struct VerifyArgs {
    /// The source the migration read: a PST or OST file, an mbox file or
    /// directory, a Maildir, a directory of .eml files, or an IMAP mailbox
    /// (imaps://user@host[:port][/prefix]).
    src: PathBuf,
    /// The target it wrote: any store of the same kinds, or an IMAP mailbox.
    dst: PathBuf,
    /// Source format (default: detected from SRC's bytes and structure).
    #[arg(long, value_enum)]
    from: Option<Format>,
    /// Target format (default: detected from DST's bytes and structure).
    #[arg(long, value_enum)]
    to: Option<Format>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// List at most N messages of each kind per folder (the counts are
    /// always whole).
    #[arg(long, value_name = "N", default_value = "20")]
    limit: usize,
    /// Source folder SRC (a /-joined path; its subfolders follow) was
    /// written as DST (/-joined; INBOX for the inbox), as convert's
    /// --folder-map. Repeatable.
    #[arg(long, value_name = "SRC=DST")]
    folder_map: Vec<String>,
    #[command(flatten)]
    imap: imap::ImapArgs,
}

#[derive(clap::Args)]
struct ConvertArgs {
    /// The source: a PST or OST file, an mbox file or directory, a Maildir, a directory of .eml files,
    /// a .vcf or .ics file or a directory of them, or an IMAP mailbox (imaps://user@host[:port][/prefix]).
    src: PathBuf,
    /// The target (created if missing; added to if present). A path ending
    /// in .vcf or .ics writes just the contacts, or just the calendar items,
    /// tasks, notes and journal entries, into that one file. An IMAP
    /// address (imaps://user@host[:port][/prefix], or imap:// with
    /// STARTTLS) uploads into that mailbox; a rerun copies only what it
    /// does not hold.
    dst: PathBuf,
    /// Target format (default: that of an existing DST, mbox for a *.mbox
    /// name, PST for a *.pst name). Beside mbox, Maildir and EML, contacts
    /// and calendars go as one .vcf or .ics file per folder; a PST holds
    /// them itself.
    #[arg(long, value_enum)]
    to: Option<Target>,
    /// Source format (default: detected from SRC's bytes and structure).
    #[arg(long, value_enum)]
    from: Option<Format>,
    /// Only folders matching this glob (`/`-separated path, case-insensitive;
    /// subfolders included). Repeatable. A pattern that matches no folder is
    /// an error that lists the store's folders.
    #[arg(long = "folder", value_name = "GLOB")]
    folders: Vec<String>,
    /// Leave out folders matching this glob. Repeatable.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Only items dated on or after this (YYYY-MM-DD[THH:MM:SS], UTC).
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// Only items dated before this (YYYY-MM-DD[THH:MM:SS], UTC).
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
    /// Skip, and list in the report, messages larger than this (bytes, or with K, M, G).
    #[arg(long, value_name = "SIZE")]
    max_size: Option<String>,
    /// PST target: write it as several files of at most SIZE each (out.pst,
    /// out-2.pst ...), each a complete store with the same folders, no
    /// message split across files (bytes, or with K, M, G; `20G` is what
    /// Microsoft 365's PST import advises). A new target only.
    #[arg(long, value_name = "SIZE")]
    split: Option<String>,
    /// Prepare the target for a service's import: `m365` (PST target) skips
    /// and lists items over 150 MB, splits at 20 GB (unless --split says
    /// otherwise) and brings folders nested 300 levels deep or more up to
    /// the deepest level the import takes.
    #[arg(long = "target", value_name = "SERVICE", value_enum)]
    service: Option<Service>,
    /// Item kinds to take: mail,contacts,calendar,tasks,notes,journal (default:
    /// all; for a .vcf target contacts, for an .ics target the other four).
    #[arg(long, value_delimiter = ',', value_enum)]
    items: Vec<Kind>,
    /// vCard version of the contacts written: 4 (RFC 6350) or 3 (RFC 2426,
    /// for clients that still want it).
    #[arg(long, value_name = "3|4", default_value = "4", value_parser = ["3", "4"])]
    vcard_version: String,
    /// Skip messages already in the target folder or already written in this run
    /// (by Message-ID, else by a hash of the normalized header and body).
    #[arg(long)]
    dedup: bool,
    /// mbox flavour to write.
    #[arg(long, value_enum, default_value = "mboxrd")]
    mbox_format: MboxFlavour,
    /// Maildir layout to write: Maildir++ (`.A.B` folders) or Dovecot's fs (`A/B`).
    #[arg(long, value_enum, default_value = "maildir++")]
    maildir_layout: MaildirLayout,
    /// Do not fsync written files and directories (faster, less safe).
    #[arg(long)]
    no_fsync: bool,
    /// PST/OST: also export items that no folder reaches any more (deleted
    /// or orphaned), into a folder "Recovered".
    #[arg(long)]
    recover: bool,
    /// Also write the report as JSON to this file.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Read and plan everything, write nothing: the report says what would
    /// be copied and what skipped, and why. No file, directory, temporary
    /// file or journal is made (the --report file, if given, is written);
    /// an IMAP target is only listed and examined. Exit codes as for a
    /// real run.
    #[arg(long)]
    dry_run: bool,
    /// Exit 1 also when the target format cannot hold something by design
    /// (flags in EML ...), which is otherwise listed as "not kept" and exit 0.
    #[arg(long)]
    strict: bool,
    /// Print no report table.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    imap: imap::ImapArgs,
    /// IMAP target: write source folder SRC (a /-joined path; its
    /// subfolders follow) as mailbox DST (/-joined; INBOX for the inbox).
    /// Repeatable. Without it, the inbox goes to INBOX and Sent, Drafts,
    /// Trash, Junk and Archive to the server's special-use mailboxes.
    #[arg(long, value_name = "SRC=DST", help_heading = "IMAP")]
    folder_map: Vec<String>,
    /// IMAP target: the journal of what the mailbox holds, which spares a
    /// rerun most of its questions to the server (default: under
    /// $XDG_STATE_HOME or ~/.local/state, mailshift/imap/).
    #[arg(long, value_name = "FILE", help_heading = "IMAP")]
    journal: Option<PathBuf>,
    /// IMAP target: keep no journal (each run asks the server about every message).
    #[arg(long, conflicts_with = "journal", help_heading = "IMAP")]
    no_journal: bool,
    /// IMAP target: write contacts as .vcf and calendars, tasks, notes and
    /// journals as .ics files into this local directory (a mailbox holds
    /// mail only).
    #[arg(long, value_name = "DIR", help_heading = "IMAP")]
    pim_dir: Option<PathBuf>,
    /// IMAP target: at most this rate: a number of messages a second
    /// (`20`), or a size a second (`5M`). Repeatable, both apply.
    #[arg(long, value_name = "RATE", help_heading = "IMAP")]
    max_rate: Vec<String>,
    /// IMAP target: upload over this many connections at once (besides the
    /// one that creates and reads folders), each appending batches of
    /// messages in one MULTIAPPEND where the server offers it.
    #[arg(long, value_name = "N", default_value = "3", value_parser = clap::value_parser!(u16).range(1..=32), help_heading = "IMAP")]
    connections: u16,
    /// IMAP target: at most this many messages in one MULTIAPPEND (one
    /// transaction on the server; 1 appends them one by one).
    #[arg(long, value_name = "N", default_value = "64", value_parser = clap::value_parser!(u16).range(1..), help_heading = "IMAP")]
    append_batch: u16,
    /// No progress bar (a batch runs several conversions at once).
    #[arg(skip)]
    no_progress: bool,
}

#[derive(clap::Args)]
struct InfoArgs {
    /// The store to look at.
    src: PathBuf,
    /// Source format (default: detected).
    #[arg(long, value_enum)]
    from: Option<Format>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// PST/OST: also list items that no folder reaches any more.
    #[arg(long)]
    recover: bool,
    /// PST/OST: convert every message as `convert` would: sizes as
    /// converted, and the notes a conversion makes (RTF bodies, OLE
    /// attachments ...) and the messages it could not convert listed.
    /// Without it, each message's properties are read, not its bodies and
    /// attachments: sizes as the store counts them (PidTagMessageSize;
    /// measured as converted only near the 35 MB limit), dates as the
    /// converted header would give them. About twice as slow.
    #[arg(long)]
    exact: bool,
    /// What `info` does by default now (kept for scripts).
    #[arg(long, hide = true, conflicts_with = "exact")]
    quick: bool,
    #[command(flatten)]
    imap: imap::ImapArgs,
    /// IMAP: also check the upload of this local store into the mailbox:
    /// does it fit in the quota, which messages would be skipped as too large.
    #[arg(long, value_name = "SRC", help_heading = "IMAP")]
    upload: Option<PathBuf>,
    /// IMAP with --upload: the service's limit: m365 (Exchange Online's
    /// IMAP migration, 35 MB a message).
    #[arg(long = "target", value_name = "SERVICE", value_enum, help_heading = "IMAP")]
    service: Option<Service>,
    /// IMAP with --upload: messages larger than this would be skipped.
    #[arg(long, value_name = "SIZE", help_heading = "IMAP")]
    max_size: Option<String>,
}

#[derive(clap::Args)]
struct CheckArgs {
    /// The PST or OST file to check.
    file: PathBuf,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

/// The formats `--to` writes.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Target {
    Mbox,
    Maildir,
    Eml,
    /// A new Unicode PST (from PST or OST sources).
    Pst,
}

impl From<Target> for Format {
    fn from(t: Target) -> Format {
        match t {
            Target::Mbox => Format::Mbox,
            Target::Maildir => Format::Maildir,
            Target::Eml => Format::Eml,
            Target::Pst => Format::Pst,
        }
    }
}

/// The services `--target` prepares a target for.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Service {
    /// Microsoft 365 / Exchange Online: the PST Import Service for a PST
    /// target, the IMAP migration's 35 MB a message for an IMAP one.
    M365,
    /// Gmail (IMAP targets): 35 MB a message.
    Gmail,
}

impl Service {
    /// The largest message an IMAP upload to the service takes, and the
    /// words the report says it with.
    fn imap_limit(self) -> (u64, &'static str) {
        match self {
            Service::M365 => (M365_RECEIVE_LIMIT, "the 35 MB Exchange Online's IMAP migration takes (--target m365)"),
            Service::Gmail => (GMAIL_LIMIT, "the 35 MB Gmail takes for a message (--target gmail)"),
        }
    }
}

/// Gmail's ceiling for a message put into a mailbox (its API's
/// messages.insert documents 35 MB; the IMAP upload is held to the same).
pub(crate) const GMAIL_LIMIT: u64 = 35 << 20;

/// Exchange Online's default receive limit of a mailbox (and of its IMAP
/// migration): 35 MB a message.
pub(crate) const M365_RECEIVE_LIMIT: u64 = 35 << 20;
/// Microsoft 365's PST Import Service: items over 150 MB are skipped.
pub(crate) const M365_MAX_ITEM: u64 = 150 << 20;
/// ... PST files of 20 GB or less are advised (decimal here: a split on
/// the safe side of either reading).
pub(crate) const M365_SPLIT: u64 = 20_000_000_000;
/// ... folder hierarchies of 300 levels or more are rejected; the store's
/// top folder and the IPM subtree above a PST's folders count too.
pub(crate) const M365_MAX_DEPTH: usize = 297;

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    Mail,
    Contacts,
    Calendar,
    Tasks,
    Notes,
    Journal,
}

impl From<Kind> for FolderKind {
    fn from(k: Kind) -> FolderKind {
        match k {
            Kind::Mail => FolderKind::Mail,
            Kind::Contacts => FolderKind::Contacts,
            Kind::Calendar => FolderKind::Calendar,
            Kind::Tasks => FolderKind::Tasks,
            Kind::Notes => FolderKind::Notes,
            Kind::Journal => FolderKind::Journal,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum MboxFlavour {
    Mboxrd,
    Mboxo,
}

#[derive(Clone, Copy, ValueEnum)]
enum MaildirLayout {
    #[value(name = "maildir++")]
    MaildirPlusPlus,
    Fs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Convert(args) => run_convert(args),
        Command::Info(args) => run_info(args),
        Command::Check(args) => check::run(&args.file, args.json),
        Command::Batch(args) => batch::run(args),
        Command::BatchReport(args) => batch::report(args),
        Command::Completions(args) => manpage::completions(args, Cli::command()),
        Command::Man(args) => manpage::man(args, Cli::command()),
        Command::Verify(args) => run_verify(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("mailshift: {}", error_text(&e));
            ExitCode::from(2)
        }
    }
}

fn run_info(args: InfoArgs) -> anyhow::Result<u8> {
    if !imap::is_imap(&args.src) {
        if args.upload.is_some() || args.service.is_some() || args.max_size.is_some() {
            bail!("--upload, --target and --max-size are for `info imaps://...`");
        }
        return info::run(&args.src, args.from, args.json, args.recover, !args.exact);
    }
    if args.quick || args.exact {
        bail!("--exact is for PST and OST files");
    }
    let mut max_size = args.max_size.as_deref().map(parse_size).transpose()?.map(|m| (m, format!("--max-size {m}")));
    if let Some((limit, label)) = args.service.map(Service::imap_limit) {
        if max_size.as_ref().is_none_or(|(m, _)| *m > limit) {
            max_size = Some((limit, label.to_string()));
        }
    }
    let plan = info::UploadPlan { source: args.upload.as_deref(), from: args.from, max_size };
    info::run_imap(&args.src, args.json, &args.imap, &plan)
}

fn run_verify(args: VerifyArgs) -> anyhow::Result<u8> {
    let opts = verify::VerifyOptions {
        from: args.from,
        to: args.to,
        folder_map: parse_folder_map(&args.folder_map)?,
        limit: args.limit,
        imap: args.imap.clone(),
        ..verify::VerifyOptions::default()
    };
    verify::run(&args.src, &args.dst, &opts, args.json)
}

/// `--folder-map SRC=DST` values, trimmed.
fn parse_folder_map(values: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for m in values {
        let (a, b) = m.split_once('=').with_context(|| format!("invalid --folder-map {m:?}: use SRC=DST"))?;
        if a.trim().is_empty() || b.trim().is_empty() {
            bail!("invalid --folder-map {m:?}: use SRC=DST");
        }
        out.push((a.trim().to_string(), b.trim().to_string()));
    }
    Ok(out)
}

/// An error and its causes on one line, each cause once (an I/O error
/// that already shows its cause is not followed by the cause again), escaped
/// for the terminal.
fn error_text(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if parts.iter().any(|p| p.contains(&text)) {
            continue;
        }
        parts.push(text);
    }
    // Line breaks are the message's own (a listing of folders); the rest of
    // each line is escaped.
    let text = parts.join(": ");
    text.lines().map(|l| mailshift_core::text::for_terminal(l).into_owned()).collect::<Vec<_>>().join("\n")
}

fn parse_size(s: &str) -> anyhow::Result<u64> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m: u64 = match c.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                'B' => 1,
                _ => bail!("invalid size {s:?}: use a number of bytes, or K, M, G"),
            };
            (&s[..i], m)
        }
        _ => (s, 1),
    };
    let n: u64 = num.trim().parse().with_context(|| format!("invalid size {s:?}"))?;
    n.checked_mul(mult).with_context(|| format!("size {s:?} is too large"))
}

fn parse_date(what: &str, s: &Option<String>) -> anyhow::Result<Option<i64>> {
    match s {
        None => Ok(None),
        Some(s) => mailshift_core::time::parse_user_date(s)
            .map(Some)
            .with_context(|| format!("invalid {what} date {s:?}: use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (UTC)")),
    }
}

/// Opens a reader for `path` in format `fmt`; `recover` also offers the
/// items of a PST/OST that no folder reaches any more.
pub(crate) fn open_reader(path: &Path, fmt: Format, recover: bool) -> anyhow::Result<Box<dyn StoreReader>> {
    Ok(match fmt {
        Format::Pst => Box::new(mailshift_pst::PstReader::open_with(path, mailshift_pst::PstOptions { recover })?),
        Format::Mbox => Box::new(mailshift_mbox::MboxReader::open(path)?),
        Format::Maildir => Box::new(mailshift_maildir::MaildirReader::open(path)?),
        Format::Eml => Box::new(mailshift_eml::EmlReader::open(path)?),
        Format::Vcf | Format::Ics => {
            // A file named with --from is read as that kind; one detected
            // is read as what its first line says.
            let kind = if path.is_file() {
                Some(if fmt == Format::Vcf { PimFileKind::Vcf } else { PimFileKind::Ics })
            } else {
                None
            };
            Box::new(mailshift_core::pim::read::store::PimReader::open(path, kind)?)
        }
    })
}

fn run_convert(args: ConvertArgs) -> anyhow::Result<u8> {
    let src_imap = imap::is_imap(&args.src);
    if imap::is_imap(&args.dst) {
        return run_upload(args);
    }
    let src_fmt = match (args.from, src_imap) {
        // An IMAP mailbox; the format only matters below for a .vcf/.ics target.
        (_, true) => Format::Maildir,
        (Some(f), false) => f,
        (None, false) => detect::source(&args.src)?,
    };
    // `x.vcf` / `x.ics` (and no --to): just those items, in that one file.
    let single = if args.to.is_none() && !args.dst.is_dir() { PimFileKind::of_path(&args.dst) } else { None };
    let dst_fmt = match (args.to.map(Format::from), single) {
        (Some(f), _) => f,
        (None, Some(_)) => src_fmt,
        (None, None) => detect::target(&args.dst)?,
    };
    // The source, and anything that is not ours, is never modified.
    if !src_imap {
        guard::distinct(&args.src, &args.dst, "target")?;
        if let Some(r) = &args.report {
            guard::distinct(&args.src, r, "report file")?;
        }
    }
    match single {
        Some(kind) => guard::pim_target(&args.dst, kind)?,
        None => guard::target_format(&args.dst, dst_fmt)?,
    }
    let pim_opts = PimOptions {
        vcard_version: if args.vcard_version == "3" { VCardVersion::V3 } else { VCardVersion::V4 },
        fsync: !args.no_fsync,
        dry_run: args.dry_run,
        ..PimOptions::default()
    };
    let mut kinds: Vec<FolderKind> = args.items.iter().copied().map(FolderKind::from).collect();
    if let (Some(k), true) = (single, kinds.is_empty()) {
        kinds = k.folder_kinds().to_vec();
    }
    let m365 = args.service == Some(Service::M365);
    if args.service == Some(Service::Gmail) {
        bail!("--target gmail is for an IMAP target (imaps://...)");
    }
    if args.split.is_some() && (dst_fmt != Format::Pst || single.is_some()) {
        bail!("--split is for a PST target");
    }
    if m365 && (dst_fmt != Format::Pst || single.is_some()) {
        bail!("--target m365 is for a PST or an IMAP target");
    }
    let mut max_size = args.max_size.as_deref().map(parse_size).transpose()?;
    let mut max_size_label = None;
    if m365 && max_size.is_none_or(|m| m > M365_MAX_ITEM) {
        max_size = Some(M365_MAX_ITEM);
        max_size_label = Some("the 150 MB Microsoft 365's PST import takes (--target m365)".to_string());
    }
    let split = match (args.split.as_deref().map(parse_size).transpose()?, m365) {
        (Some(s), _) => Some(s),
        (None, true) => Some(M365_SPLIT),
        (None, false) => None,
    };
    let opts = Options {
        folders: args.folders.clone(),
        exclude: args.exclude.clone(),
        since: parse_date("--since", &args.since)?,
        until: parse_date("--until", &args.until)?,
        max_size,
        max_size_label,
        max_depth: m365.then_some(M365_MAX_DEPTH),
        kinds,
        dedup: args.dedup,
        cancel: Some(interrupt::flag()?),
        ..Options::default()
    };
    let source: Box<dyn StoreReader> = if src_imap {
        let ep = imap::endpoint(&args.src, &args.imap)?;
        Box::new(mailshift_imap::ImapReader::open(ep, args.imap.retries).context("cannot open the source mailbox")?)
    } else {
        open_reader(&args.src, src_fmt, args.recover).context("cannot open the source")?
    };
    // With --dedup, what the target already holds is read with the target
    // format's own reader: incremental runs need no state file.
    // A target that exists is read whether or not it looks like a store to
    // the probe (an EML tree beside many .ics files, say): --dedup is never
    // dropped silently, and a target that cannot be read stops the run.
    let existing = if single.is_none() && opts.dedup && !guard::is_empty(&args.dst) {
        Some(
            open_reader(&args.dst, dst_fmt, false)
                .context("cannot read what the target already holds (for --dedup)")?,
        )
    } else {
        None
    };
    let fsync = !args.no_fsync;
    let mut target: Box<dyn StoreWriter> = match (single, dst_fmt) {
        _ if args.dry_run => dry::target(&args.dst, single, dst_fmt, split, pim_opts)?,
        (Some(kind), _) => Box::new(PimFiles::single(&args.dst, kind, pim_opts.clone())),
        // A PST holds contacts, calendars and the rest itself.
        (None, Format::Pst) => {
            let opts = mailshift_pst::PstWriteOptions {
                ndb: mailshift_pst::ndb::write::WriteOptions { fsync, ..Default::default() },
            };
            if let Some(limit) = split {
                Box::new(mailshift_pst::SplitWriter::create(&args.dst, opts, limit)?)
            } else if args.dst.exists() {
                let old = mailshift_pst::PstReader::open(&args.dst).context("cannot read the PST to add to")?;
                Box::new(mailshift_pst::PstWriter::create_adding(&args.dst, opts, Box::new(old))?)
            } else {
                Box::new(mailshift_pst::PstWriter::create(&args.dst, opts)?)
            }
        }
        // Contacts, calendars, tasks, notes and journals: one .vcf / .ics
        // per folder beside the mail folders.
        (None, dst_fmt) => Box::new(WithPimFiles::new(mail_writer(&args, dst_fmt, fsync)?, &args.dst, pim_opts)),
    };
    let progress = if args.no_progress { Bar(None) } else { Bar::new() };
    let mut report = convert(source.as_ref(), target.as_mut(), existing.as_deref(), &opts, &progress)?;
    report.target = args.dst.display().to_string();
    if report.interrupted {
        eprintln!("mailshift: interrupted; stopped after the item in hand");
    }
    if !args.quiet {
        eprint!("{}", report.to_table());
    }
    if let Some(path) = &args.report {
        let json = serde_json::to_string_pretty(&report)?;
        write_atomically(path, json.as_bytes()).with_context(|| format!("cannot write report {}", path.display()))?;
    }
    Ok(report.exit_code(args.strict) as u8)
}

/// `convert SRC imaps://...`: upload into a mailbox.
fn run_upload(args: ConvertArgs) -> anyhow::Result<u8> {
    if args.to.is_some() {
        bail!("--to is for local targets: an imaps:// or imap:// target is a mailbox");
    }
    if args.split.is_some() {
        bail!("--split is for a PST target");
    }
    let src_imap = imap::is_imap(&args.src);
    let src_fmt = match (args.from, src_imap) {
        (_, true) => None,
        (Some(f), false) => Some(f),
        (None, false) => Some(detect::source(&args.src)?),
    };
    if !src_imap {
        if let Some(r) = &args.report {
            guard::distinct(&args.src, r, "report file")?;
        }
        if let Some(d) = &args.pim_dir {
            guard::distinct(&args.src, d, "--pim-dir")?;
        }
    }
    let mut max_size = args.max_size.as_deref().map(parse_size).transpose()?;
    let mut max_size_label = None;
    if let Some((limit, label)) = args.service.map(Service::imap_limit) {
        if max_size.is_none_or(|m| m > limit) {
            max_size = Some(limit);
            max_size_label = Some(label.to_string());
        }
    }
    let opts = Options {
        folders: args.folders.clone(),
        exclude: args.exclude.clone(),
        since: parse_date("--since", &args.since)?,
        until: parse_date("--until", &args.until)?,
        max_size,
        max_size_label,
        kinds: args.items.iter().copied().map(FolderKind::from).collect(),
        // The upload is idempotent by itself: what the mailbox holds is
        // read before each folder is written.
        dedup: false,
        cancel: Some(interrupt::flag()?),
        ..Options::default()
    };
    let folder_map = parse_folder_map(&args.folder_map)?;
    let (max_messages_per_sec, max_bytes_per_sec) = imap::parse_rates(&args.max_rate)?;
    let ep = imap::endpoint(&args.dst, &args.imap)?;
    let source: Box<dyn StoreReader> = match src_fmt {
        Some(fmt) => open_reader(&args.src, fmt, args.recover).context("cannot open the source")?,
        None => {
            let src_ep = imap::source_endpoint(&args.src, &args.imap)?;
            if imap::same_mailbox(&src_ep.address, &ep.address) {
                bail!("the target {} is the source mailbox, or lies inside it", ep.address);
            }
            Box::new(
                mailshift_imap::ImapReader::open(src_ep, args.imap.retries)
                    .context("cannot open the source mailbox")?,
            )
        }
    };
    let journal = if args.no_journal {
        None
    } else {
        args.journal.clone().or_else(|| {
            // A master user logged in for another mailbox keeps that
            // mailbox's journal, not the master's.
            let who = match &ep.credentials.authzid {
                Some(z) if !z.is_empty() => format!("{z}+{}", ep.address.user),
                _ => ep.address.user.clone(),
            };
            mailshift_imap::journal::default_path(&who, &ep.address.host, ep.address.port)
        })
    };
    let target_name = ep.address.to_string();
    let writer = mailshift_imap::ImapWriter::connect(
        ep,
        mailshift_imap::ImapWriteOptions {
            folder_map,
            journal,
            fsync: !args.no_fsync,
            retries: args.imap.retries,
            max_messages_per_sec,
            max_bytes_per_sec,
            connections: usize::from(args.connections),
            batch_messages: usize::from(args.append_batch),
            dry_run: args.dry_run,
            ..Default::default()
        },
    )
    .context("cannot open the target mailbox")?;
    let mut target: Box<dyn StoreWriter> = match &args.pim_dir {
        Some(dir) => {
            let pim_opts = PimOptions {
                vcard_version: if args.vcard_version == "3" { VCardVersion::V3 } else { VCardVersion::V4 },
                fsync: !args.no_fsync,
                dry_run: args.dry_run,
                ..PimOptions::default()
            };
            Box::new(WithPimFiles::new(Box::new(writer), dir, pim_opts))
        }
        None => Box::new(writer),
    };
    let progress = if args.no_progress { Bar(None) } else { Bar::new() };
    let mut report = convert(source.as_ref(), target.as_mut(), None, &opts, &progress)?;
    report.target = target_name;
    if report.total.skipped_unsupported > 0 && args.pim_dir.is_none() {
        report.notes.push(
            "an IMAP mailbox holds mail only: give --pim-dir DIR to write the contacts and calendars as .vcf/.ics files"
                .to_string(),
        );
    }
    if report.interrupted {
        eprintln!("mailshift: interrupted; stopped after the item in hand");
    }
    if !args.quiet {
        eprint!("{}", report.to_table());
    }
    if let Some(path) = &args.report {
        let json = serde_json::to_string_pretty(&report)?;
        write_atomically(path, json.as_bytes()).with_context(|| format!("cannot write report {}", path.display()))?;
    }
    Ok(report.exit_code(args.strict) as u8)
}

/// The writer for the mail, in `dst_fmt`.
fn mail_writer(args: &ConvertArgs, dst_fmt: Format, fsync: bool) -> anyhow::Result<Box<dyn StoreWriter>> {
    Ok(match dst_fmt {
        Format::Mbox => Box::new(mailshift_mbox::MboxWriter::create(
            &args.dst,
            mailshift_mbox::MboxWriteOptions {
                format: match args.mbox_format {
                    MboxFlavour::Mboxrd => mailshift_mbox::MboxFormat::Mboxrd,
                    MboxFlavour::Mboxo => mailshift_mbox::MboxFormat::Mboxo,
                },
                fsync,
            },
        )?),
        Format::Maildir => Box::new(mailshift_maildir::MaildirWriter::create(
            &args.dst,
            mailshift_maildir::MaildirWriteOptions {
                fsync,
                layout: match args.maildir_layout {
                    MaildirLayout::MaildirPlusPlus => mailshift_maildir::Layout::MaildirPlusPlus,
                    MaildirLayout::Fs => mailshift_maildir::Layout::Fs,
                },
            },
        )?),
        Format::Eml => Box::new(mailshift_eml::EmlWriter::create(&args.dst, mailshift_eml::EmlWriteOptions { fsync })?),
        Format::Pst => bail!("{}: a PST target is written by the PST writer", args.dst.display()),
        Format::Vcf | Format::Ics => {
            bail!("{}: a .vcf / .ics target takes a path ending in .vcf or .ics", args.dst.display())
        }
    })
}

/// Writes `bytes` to `path` through a temporary file of ours beside it
/// (mode 0600, or the mode of the file it replaces).
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = mailshift_core::fsio::parent_dir(path);
    let mut tmp = mailshift_core::fsio::temp_file_in(dir)?;
    tmp.write_all(bytes)?;
    if let Ok(meta) = std::fs::metadata(path) {
        std::fs::set_permissions(tmp.path(), meta.permissions())?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// A progress bar on a terminal, nothing otherwise.
struct Bar(Option<indicatif::ProgressBar>);

impl Bar {
    fn new() -> Bar {
        if std::io::stderr().is_terminal() {
            let bar = indicatif::ProgressBar::new(0);
            // The rate as a whole number of items a second.
            if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} items {rate} eta {eta}") {
                bar.set_style(style.with_key("rate", |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0}/s", s.per_sec());
                }));
            }
            Bar(Some(bar))
        } else {
            Bar(None)
        }
    }
}

impl Progress for Bar {
    fn start(&self, total: u64) {
        if let Some(b) = &self.0 {
            b.set_length(total);
        }
    }
    fn advance(&self, n: u64) {
        if let Some(b) = &self.0 {
            b.inc(n);
        }
    }
    fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10").unwrap(), 10);
        assert_eq!(parse_size("2K").unwrap(), 2048);
        assert_eq!(parse_size("3m").unwrap(), 3 << 20);
        assert!(parse_size("x").is_err());
        assert!(parse_size("99999999999999G").is_err());
    }
}
