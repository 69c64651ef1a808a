//! The command line's side of IMAP stores: the options, and where the
//! password comes from (a file, `MAILSHIFT_PASSWORD`, or a prompt on a
//! terminal; never an argument).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::ValueEnum;
use mailshift_imap::{ConnectOptions, Credentials, Endpoint, ImapAddress, Mechanism, Secret};

/// Options of an IMAP source or target.
#[derive(clap::Args, Clone, Default)]
pub struct ImapArgs {
    /// IMAP: read the password from this file (its first line). Else the
    /// MAILSHIFT_PASSWORD environment variable, else a prompt on a
    /// terminal. Never give a password as an argument.
    #[arg(long, value_name = "FILE", help_heading = "IMAP")]
    pub password_file: Option<PathBuf>,
    /// IMAP: log in with AUTHENTICATE XOAUTH2 and the OAuth 2.0 access
    /// token in this file.
    #[arg(long, value_name = "FILE", help_heading = "IMAP")]
    pub oauth2_token_file: Option<PathBuf>,
    /// IMAP: the mailbox to act on when the address's user is a master or
    /// admin user (AUTHENTICATE PLAIN's authorization identity).
    #[arg(long, value_name = "USER", help_heading = "IMAP")]
    pub authzid: Option<String>,
    /// IMAP: the login mechanism (default: XOAUTH2 with a token, else
    /// AUTHENTICATE PLAIN where offered, else LOGIN).
    #[arg(long, value_enum, value_name = "MECH", help_heading = "IMAP")]
    pub auth: Option<AuthMech>,
    /// IMAP: trust the CA certificates of this PEM file besides the
    /// system's.
    #[arg(long, value_name = "FILE", help_heading = "IMAP")]
    pub tls_ca: Option<PathBuf>,
    /// IMAP: let an imap:// connection stay plaintext when the server
    /// offers no STARTTLS (the password then crosses the network in clear:
    /// loopback and tests only).
    #[arg(long, help_heading = "IMAP")]
    pub insecure_plaintext: bool,
    /// IMAP: seconds any one command may take before the connection is
    /// dropped and the command retried.
    #[arg(long, value_name = "SECS", default_value = "120", help_heading = "IMAP")]
    pub timeout: u64,
    /// IMAP: how many times a command is retried after a lost connection
    /// or throttling (with waits of 1, 2, 4 ... s, or what the server
    /// suggests).
    #[arg(long, value_name = "N", default_value = "5", help_heading = "IMAP")]
    pub retries: u32,
    /// IMAP to IMAP: the source mailbox's password file (else
    /// MAILSHIFT_SOURCE_PASSWORD, else --password-file's, else a prompt).
    #[arg(long, value_name = "FILE", help_heading = "IMAP")]
    pub source_password_file: Option<PathBuf>,
    /// IMAP to IMAP: the source's OAuth 2.0 token file (XOAUTH2).
    #[arg(long, value_name = "FILE", help_heading = "IMAP")]
    pub source_oauth2_token_file: Option<PathBuf>,
    /// IMAP to IMAP: the source's authorization identity (see --authzid).
    #[arg(long, value_name = "USER", help_heading = "IMAP")]
    pub source_authzid: Option<String>,
    /// A password handed over in the process (a batch row's), before any
    /// of the options above; never an argument.
    #[arg(skip)]
    pub password: Option<Hidden>,
    /// ... the source mailbox's, of an IMAP to IMAP run.
    #[arg(skip)]
    pub source_password: Option<Hidden>,
    /// Never prompt on the terminal (a batch runs many jobs at once).
    #[arg(skip)]
    pub no_prompt: bool,
}

/// A secret that debug output does not show.
#[derive(Clone, Default)]
pub struct Hidden(pub String);

impl std::fmt::Debug for Hidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("(hidden)")
    }
}

/// `--auth`.
#[derive(Clone, Copy, ValueEnum)]
pub enum AuthMech {
    /// The LOGIN command.
    Login,
    /// AUTHENTICATE PLAIN.
    Plain,
    /// AUTHENTICATE XOAUTH2 (with --oauth2-token-file).
    Xoauth2,
}

/// True if `p` is written as an IMAP address.
pub fn is_imap(p: &std::path::Path) -> bool {
    p.to_str().is_some_and(mailshift_imap::is_address)
}

fn first_line(path: &std::path::Path, what: &str) -> anyhow::Result<String> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read the {what} file {}", path.display()))?;
    let line = text.lines().next().unwrap_or("").to_string();
    if line.is_empty() {
        bail!("the {what} file {} is empty", path.display());
    }
    Ok(line)
}

/// The endpoint of the source mailbox of an IMAP to IMAP run: its own
/// secret where given (`--source-password-file`, `--source-oauth2-token-file`,
/// `MAILSHIFT_SOURCE_PASSWORD`), else the common one.
pub fn source_endpoint(addr: &std::path::Path, args: &ImapArgs) -> anyhow::Result<Endpoint> {
    let mut own = args.clone();
    own.authzid = args.source_authzid.clone().or_else(|| args.authzid.clone());
    if let Some(pw) = &args.source_password {
        return endpoint_with(addr, &own, Some(Secret::Password(pw.0.clone())));
    }
    if let Some(p) = &args.source_oauth2_token_file {
        own.oauth2_token_file = Some(p.clone());
        own.password_file = None;
    } else if let Some(p) = &args.source_password_file {
        own.password_file = Some(p.clone());
        own.oauth2_token_file = None;
    } else if let Some(pw) = std::env::var_os("MAILSHIFT_SOURCE_PASSWORD").filter(|v| !v.is_empty()) {
        let pw = pw.into_string().map_err(|_| anyhow::anyhow!("MAILSHIFT_SOURCE_PASSWORD is not UTF-8"))?;
        return endpoint_with(addr, &own, Some(Secret::Password(pw)));
    }
    endpoint_with(addr, &own, None)
}

/// True if `b` is `a`'s mailbox or lies inside it (the same account on the
/// same server, and `b`'s prefix at or under `a`'s), or the other way round.
pub fn same_mailbox(a: &ImapAddress, b: &ImapAddress) -> bool {
    let host = |x: &ImapAddress| (x.host.to_ascii_lowercase(), x.port, x.user.clone());
    if host(a) != host(b) {
        return false;
    }
    let n = a.prefix.len().min(b.prefix.len());
    a.prefix[..n] == b.prefix[..n]
}

/// The endpoint for `addr`, with its secret found.
pub fn endpoint(addr: &std::path::Path, args: &ImapArgs) -> anyhow::Result<Endpoint> {
    endpoint_with(addr, args, None)
}

/// The endpoint for `addr` with `secret`, or the secret the options say.
pub fn endpoint_with(addr: &std::path::Path, args: &ImapArgs, secret: Option<Secret>) -> anyhow::Result<Endpoint> {
    let text = addr.to_str().context("the IMAP address is not UTF-8")?;
    let address = ImapAddress::parse(text).map_err(|e| anyhow::anyhow!("invalid IMAP address: {e}"))?;
    let secret = if let Some(s) = secret {
        s
    } else if let Some(pw) = &args.password {
        Secret::Password(pw.0.clone())
    } else if let Some(p) = &args.oauth2_token_file {
        Secret::OAuth2Token(first_line(p, "token")?)
    } else if let Some(p) = &args.password_file {
        Secret::Password(first_line(p, "password")?)
    } else if let Some(pw) = std::env::var_os("MAILSHIFT_PASSWORD").filter(|v| !v.is_empty()) {
        Secret::Password(pw.into_string().map_err(|_| anyhow::anyhow!("MAILSHIFT_PASSWORD is not UTF-8"))?)
    } else if !args.no_prompt && std::io::stdin().is_terminal() {
        let pw = rpassword::prompt_password(format!("password for {address}: "))
            .context("cannot read the password from the terminal")?;
        Secret::Password(pw)
    } else {
        bail!("no password for {address}: give --password-file FILE or MAILSHIFT_PASSWORD, or run on a terminal");
    };
    let mechanism = match args.auth {
        None => Mechanism::Auto,
        Some(AuthMech::Login) => Mechanism::Login,
        Some(AuthMech::Plain) => Mechanism::Plain,
        Some(AuthMech::Xoauth2) => Mechanism::XOAuth2,
    };
    Ok(Endpoint {
        credentials: Credentials { user: address.user.clone(), authzid: args.authzid.clone(), secret, mechanism },
        address,
        options: ConnectOptions {
            tls_ca: args.tls_ca.clone(),
            insecure_plaintext: args.insecure_plaintext,
            timeout: Duration::from_secs(args.timeout.max(1)),
        },
    })
}

/// `--max-rate` values: a plain number is messages a second, a size (with
/// K, M, G or B) bytes a second.
pub fn parse_rates(values: &[String]) -> anyhow::Result<(Option<f64>, Option<u64>)> {
    let (mut msgs, mut bytes) = (None, None);
    for v in values {
        let v = v.trim().trim_end_matches("/s");
        if v.ends_with(|c: char| c.is_ascii_alphabetic()) {
            bytes = Some(crate::parse_size(v)?);
        } else {
            let n: f64 = v
                .parse()
                .with_context(|| format!("invalid --max-rate {v:?}: messages a second, or a size a second"))?;
            if !(n > 0.0 && n.is_finite()) {
                bail!("invalid --max-rate {v:?}: must be above 0");
            }
            msgs = Some(n);
        }
    }
    Ok((msgs, bytes))
}
