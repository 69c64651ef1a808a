//! `mailshift completions SHELL` and `mailshift man [--dir DIR]`: the
//! shell completion scripts (clap_complete) and the man pages
//! (clap_mangen), both made from the same clap definitions as `--help`,
//! so they never drift from the arguments the binary takes.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap_complete::Shell;
use clap_mangen::roff::{roman, Roff};

#[derive(clap::Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: Shell,
}

#[derive(clap::Args)]
pub(crate) struct ManArgs {
    /// Write mailshift.1 and one page per subcommand (mailshift-convert.1
    /// ...) into this directory (created if missing) instead of printing
    /// mailshift.1 to stdout.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Prints the completion script of `args.shell` for `cmd` to stdout.
pub(crate) fn completions(args: CompletionsArgs, mut cmd: clap::Command) -> anyhow::Result<u8> {
    let name = cmd.get_name().to_string();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut cmd, name, &mut out);
    out.flush().context("cannot write the completion script")?;
    Ok(0)
}

/// Writes the man pages of `cmd` into `args.dir`, or the main page to stdout.
pub(crate) fn man(args: ManArgs, cmd: clap::Command) -> anyhow::Result<u8> {
    // Built once, so that each subcommand has its display name
    // (`mailshift-convert`) and the pages their `mailshift-...(1)` names.
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    match args.dir {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&page(&cmd)?).context("cannot write the man page")?;
            out.flush().context("cannot write the man page")?;
        }
        Some(dir) => {
            std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
            let mut written = Vec::new();
            write_pages(&cmd, &dir, &mut written)?;
            for p in written {
                println!("{}", p.display());
            }
        }
    }
    Ok(0)
}

fn write_pages(cmd: &clap::Command, dir: &Path, written: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let name = cmd.get_display_name().unwrap_or_else(|| cmd.get_name());
    let path = dir.join(format!("{name}.1"));
    std::fs::write(&path, page(cmd)?).with_context(|| format!("cannot write {}", path.display()))?;
    written.push(path);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir, written)?;
    }
    Ok(())
}

/// One page: clap_mangen's sections, with the exit codes (the
/// `after_help` of the main command and of `convert` and `info`) as an
/// EXIT STATUS section of tagged paragraphs rather than clap_mangen's
/// plain EXTRA text.
fn page(cmd: &clap::Command) -> anyhow::Result<Vec<u8>> {
    let version = cmd.get_version().unwrap_or(env!("CARGO_PKG_VERSION"));
    let man = clap_mangen::Man::new(cmd.clone()).source(format!("mailshift {version}")).manual("mailshift manual");
    // The title line by hand: clap_mangen leaves an empty date out, and
    // the source would then be read as the date.
    let name = cmd.get_display_name().unwrap_or_else(|| cmd.get_name());
    let mut out = format!(
        ".TH {} 1 \"\" \"mailshift {version}\" \"mailshift manual\"\n",
        name.to_uppercase().replace('-', "\\-")
    )
    .into_bytes();
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut out)?;
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(&mut out)?;
    }
    if let Some(codes) = cmd.get_after_help().map(|s| s.to_string()) {
        exit_status(&codes).to_writer(&mut out)?;
    }
    if cmd.get_version().is_some() {
        man.render_version_section(&mut out)?;
    }
    // Each section rendered on its own repeats roff's preamble (the `Aq`
    // string for apostrophes): kept once, after `.TH`, so that the page
    // starts with `.TH` as man pages do.
    let text = String::from_utf8(out).context("roff output is UTF-8")?;
    let is_preamble = |l: &&str| l.starts_with(".ie \\n(.g .ds Aq") || l.starts_with(".el .ds Aq");
    let preamble: Vec<&str> = text.lines().filter(is_preamble).take(2).collect();
    let mut lines = text.lines().filter(|l| !is_preamble(l));
    let mut page = String::with_capacity(text.len());
    for l in lines.next().into_iter().chain(preamble).chain(lines) {
        page.push_str(l);
        page.push('\n');
    }
    Ok(page.into_bytes())
}

/// `Exit codes:` followed by `  N    text` entries (continued on lines
/// indented further) as `.SH "EXIT STATUS"` with one `.TP` per code.
fn exit_status(text: &str) -> Roff {
    let mut roff = Roff::default();
    roff.control("SH", ["EXIT STATUS"]);
    let mut entry: Option<(String, String)> = None;
    let flush = |roff: &mut Roff, entry: &mut Option<(String, String)>| {
        if let Some((code, body)) = entry.take() {
            roff.control("TP", []);
            roff.text([clap_mangen::roff::bold(code)]);
            roff.text([roman(body)]);
        }
    };
    for line in text.lines().skip_while(|l| !l.trim_start().starts_with(|c: char| c.is_ascii_digit())) {
        let trimmed = line.trim_start();
        let code: String = trimmed.chars().take_while(char::is_ascii_digit).collect();
        if !code.is_empty() && line.len() - trimmed.len() <= 2 {
            flush(&mut roff, &mut entry);
            entry = Some((code.clone(), trimmed[code.len()..].trim().to_string()));
        } else if let Some((_, body)) = entry.as_mut() {
            body.push(' ');
            body.push_str(trimmed);
        }
    }
    flush(&mut roff, &mut entry);
    roff
}
