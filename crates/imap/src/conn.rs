//! One IMAP connection: TCP, TLS (implicit or STARTTLS) with rustls, the
//! login, the capabilities, and the few commands async-imap leaves to its
//! caller (APPEND with LITERAL+ and APPENDUID, LIST with special-use
//! attributes), each under a timeout.
//!
//! Secrets live in [`Secret`], whose `Debug` prints `***`; nothing here
//! puts one into an error or a log line.

use std::collections::HashSet;
use std::fmt;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_imap::imap_proto::{self, Response, Status};
use async_imap::{Client, Session};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls;

use crate::address::{ImapAddress, Security};
use crate::error::ImapError;

/// A password or a token. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub enum Secret {
    /// A password, for LOGIN or AUTHENTICATE PLAIN.
    Password(String),
    /// An OAuth 2.0 access token, for AUTHENTICATE XOAUTH2.
    OAuth2Token(String),
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Secret::Password(_) => f.write_str("Password(***)"),
            Secret::OAuth2Token(_) => f.write_str("OAuth2Token(***)"),
        }
    }
}

/// How to log in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mechanism {
    /// XOAUTH2 with a token; with a password AUTHENTICATE PLAIN where the
    /// server offers it (needed with an authorization identity), else LOGIN.
    #[default]
    Auto,
    /// The LOGIN command.
    Login,
    /// AUTHENTICATE PLAIN (RFC 4616).
    Plain,
    /// AUTHENTICATE XOAUTH2 (Google's and Microsoft's OAuth 2.0 for IMAP).
    XOAuth2,
}

/// Who logs in.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The authentication identity (the address's user).
    pub user: String,
    /// The authorization identity: the mailbox to act on when `user` is a
    /// master or admin user (AUTHENTICATE PLAIN only).
    pub authzid: Option<String>,
    /// The password or token.
    pub secret: Secret,
    /// The mechanism.
    pub mechanism: Mechanism,
}

/// How to connect.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// A PEM file of CA certificates trusted besides the system's roots.
    pub tls_ca: Option<PathBuf>,
    /// Allow an `imap://` connection to stay plaintext when the server
    /// offers no STARTTLS (tests on loopback).
    pub insecure_plaintext: bool,
    /// The longest any one command (or the connection) may take.
    pub timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions { tls_ca: None, insecure_plaintext: false, timeout: Duration::from_secs(120) }
    }
}

/// Everything needed to open (and reopen) a connection.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Where.
    pub address: ImapAddress,
    /// Who.
    pub credentials: Credentials,
    /// How.
    pub options: ConnectOptions,
}

/// The byte stream under the IMAP session: plain TCP or TLS over it.
#[derive(Debug)]
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// The server's capabilities, upper-cased.
#[derive(Debug, Clone, Default)]
pub struct Capabilities(pub HashSet<String>);

impl Capabilities {
    /// True if the server has `name` (`UIDPLUS`, `AUTH=PLAIN` ...).
    pub fn has(&self, name: &str) -> bool {
        self.0.contains(&name.to_ascii_uppercase())
    }
    /// APPENDLIMIT=N (RFC 7889), the largest message APPEND takes.
    pub fn append_limit(&self) -> Option<u64> {
        self.0.iter().find_map(|c| c.strip_prefix("APPENDLIMIT=").and_then(|n| n.parse().ok()))
    }
    /// The names, sorted, for reports.
    pub fn sorted(&self) -> Vec<String> {
        let mut v: Vec<String> = self.0.iter().cloned().collect();
        v.sort();
        v
    }
    fn from_async(caps: &async_imap::types::Capabilities) -> Capabilities {
        use async_imap::types::Capability;
        Capabilities(
            caps.iter()
                .map(|c| match c {
                    Capability::Imap4rev1 => "IMAP4REV1".to_string(),
                    Capability::Auth(a) => format!("AUTH={}", a.to_ascii_uppercase()),
                    Capability::Atom(a) => a.to_ascii_uppercase(),
                })
                .collect(),
        )
    }
}

/// A mailbox as LIST gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Its name on the server (modified UTF-7 unless UTF8=ACCEPT).
    pub name: String,
    /// The hierarchy delimiter, if the server has one.
    pub delimiter: Option<char>,
    /// Its attributes, as the server spells them (`\Noselect`, `\Sent` ...).
    pub attributes: Vec<String>,
}

impl Listed {
    /// True if the mailbox has attribute `a` (case-insensitive).
    pub fn has(&self, a: &str) -> bool {
        self.attributes.iter().any(|x| x.eq_ignore_ascii_case(a))
    }
}

/// One message of an APPEND.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outgoing<'a> {
    pub flags: &'a [String],
    pub date: Option<&'a str>,
    pub body: &'a [u8],
}

/// A logged-in connection.
pub(crate) struct Conn {
    pub session: Session<Stream>,
    pub caps: Capabilities,
    timeout: Duration,
    host: String,
}

impl fmt::Debug for Conn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Conn({})", self.host)
    }
}

fn tls_config(opts: &ConnectOptions) -> Result<Arc<rustls::ClientConfig>, ImapError> {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        let _ = roots.add(cert);
    }
    if let Some(path) = &opts.tls_ca {
        use rustls_pki_types::pem::PemObject;
        let certs = rustls_pki_types::CertificateDer::pem_file_iter(path)
            .map_err(|e| ImapError::Setup(format!("--tls-ca {}: {e}", path.display())))?;
        let mut n = 0;
        for cert in certs {
            let cert = cert.map_err(|e| ImapError::Setup(format!("--tls-ca {}: {e}", path.display())))?;
            roots.add(cert).map_err(|e| ImapError::Setup(format!("--tls-ca {}: {e}", path.display())))?;
            n += 1;
        }
        if n == 0 {
            return Err(ImapError::Setup(format!("--tls-ca {}: no certificate in it", path.display())));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ImapError::Setup(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

async fn start_tls(tcp: TcpStream, ep: &Endpoint) -> Result<Stream, ImapError> {
    let config = tls_config(&ep.options)?;
    let name = rustls_pki_types::ServerName::try_from(ep.address.host.clone())
        .map_err(|e| ImapError::Setup(format!("{}: {e}", ep.address.host)))?;
    let tls = tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(|e| ImapError::Tls { host: ep.address.authority(), reason: e.to_string() })?;
    Ok(Stream::Tls(Box::new(tls)))
}

pub(crate) async fn within<T>(
    limit: Duration,
    what: &str,
    f: impl std::future::Future<Output = Result<T, ImapError>>,
) -> Result<T, ImapError> {
    match tokio::time::timeout(limit, f).await {
        Ok(r) => r,
        Err(_) => Err(ImapError::Timeout(what.to_string())),
    }
}

struct Plain<'a> {
    authzid: &'a str,
    user: &'a str,
    password: &'a str,
}

impl async_imap::Authenticator for Plain<'_> {
    type Response = Vec<u8>;
    fn process(&mut self, _challenge: &[u8]) -> Vec<u8> {
        format!("{}\0{}\0{}", self.authzid, self.user, self.password).into_bytes()
    }
}

/// XOAUTH2: the first answer carries the token; a failure comes as a
/// challenge (a JSON error) that is answered with an empty line.
struct XOAuth2<'a> {
    user: &'a str,
    token: &'a str,
    sent: bool,
}

impl async_imap::Authenticator for XOAuth2<'_> {
    type Response = Vec<u8>;
    fn process(&mut self, _challenge: &[u8]) -> Vec<u8> {
        if self.sent {
            return Vec::new();
        }
        self.sent = true;
        format!("user={}\x01auth=Bearer {}\x01\x01", self.user, self.token).into_bytes()
    }
}

impl Conn {
    /// Connects, secures and logs in.
    pub async fn open(ep: &Endpoint) -> Result<Conn, ImapError> {
        let limit = ep.options.timeout;
        let authority = ep.address.authority();
        let tcp = within(limit, "connect", async {
            TcpStream::connect((ep.address.host.as_str(), ep.address.port))
                .await
                .map_err(|e| ImapError::Connect { host: authority.clone(), source: e })
        })
        .await?;
        let _ = tcp.set_nodelay(true);
        let client = match ep.address.security {
            Security::Tls => {
                let stream = within(limit, "TLS handshake", start_tls(tcp, ep)).await?;
                let mut client = Client::new(stream);
                within(limit, "greeting", greeting(&mut client)).await?;
                client
            }
            Security::StartTls => {
                let mut client = Client::new(Stream::Plain(tcp));
                within(limit, "greeting", greeting(&mut client)).await?;
                let caps = within(limit, "CAPABILITY", client_capabilities(&mut client)).await?;
                if caps.has("STARTTLS") {
                    within(limit, "STARTTLS", async {
                        client
                            .run_command_and_check_ok("STARTTLS", None)
                            .await
                            .map_err(|e| ImapError::from_async("STARTTLS", e))
                    })
                    .await?;
                    let Stream::Plain(tcp) = client.into_inner() else {
                        return Err(ImapError::Protocol("STARTTLS on a TLS stream".into()));
                    };
                    Client::new(within(limit, "TLS handshake", start_tls(tcp, ep)).await?)
                } else if ep.options.insecure_plaintext {
                    client
                } else {
                    return Err(ImapError::NoStartTls(authority));
                }
            }
        };
        let session = within(limit, "login", login(client, ep)).await?;
        let mut conn = Conn { session, caps: Capabilities::default(), timeout: limit, host: authority };
        conn.caps = conn.capabilities().await?;
        Ok(conn)
    }

    /// CAPABILITY, asked again (they change after login).
    pub async fn capabilities(&mut self) -> Result<Capabilities, ImapError> {
        let s = &mut self.session;
        within(self.timeout, "CAPABILITY", async {
            s.capabilities()
                .await
                .map(|c| Capabilities::from_async(&c))
                .map_err(|e| ImapError::from_async("CAPABILITY", e))
        })
        .await
    }

    /// Runs a command without literals; returns the untagged responses'
    /// raw data it wants through `each`, and fails unless the tagged
    /// answer is OK.
    pub async fn command(&mut self, cmd: &str, mut each: impl FnMut(&Response<'_>) + Send) -> Result<(), ImapError> {
        let verb = cmd.split(' ').next().unwrap_or(cmd).to_string();
        let s = &mut self.session;
        within(self.timeout, &verb, async {
            let id = s.run_command(cmd).await.map_err(|e| ImapError::from_async(&verb, e))?;
            loop {
                let Some(r) = s.read_response().await.map_err(|e| ImapError::Io(verb.clone(), e))? else {
                    return Err(ImapError::ConnectionLost(verb.clone()));
                };
                match r.parsed() {
                    Response::Done { tag, status, outcome } if *tag == id => {
                        return done(&verb, status, outcome.code.as_ref(), outcome.information.as_deref());
                    }
                    other => each(other),
                }
            }
        })
        .await
    }

    /// LIST "" "*" with the special-use attributes (RETURN (SPECIAL-USE)
    /// where the server has LIST-EXTENDED and SPECIAL-USE).
    pub async fn list(&mut self) -> Result<Vec<Listed>, ImapError> {
        let cmd = if self.caps.has("SPECIAL-USE") && self.caps.has("LIST-EXTENDED") {
            "LIST \"\" \"*\" RETURN (SPECIAL-USE)"
        } else {
            "LIST \"\" \"*\""
        };
        let mut out = Vec::new();
        self.command(cmd, |r| {
            if let Response::MailboxData(imap_proto::MailboxDatum::List(l)) = r {
                out.push(Listed {
                    name: l.name.to_string(),
                    delimiter: l.delimiter.as_ref().and_then(|d| d.chars().next()),
                    attributes: l.name_attributes.iter().map(attribute_name).collect(),
                });
            }
        })
        .await?;
        Ok(out)
    }

    /// APPEND of one message, or of several in one MULTIAPPEND (RFC 3502:
    /// all or none land), with LITERAL+ (or LITERAL- for small messages)
    /// where offered, else synchronizing literals. Gives each message's
    /// UID where the server says (UIDPLUS), in order.
    pub async fn append(&mut self, mailbox: &str, msgs: &[Outgoing<'_>]) -> Result<Vec<Option<u32>>, ImapError> {
        let plus_all = self.caps.has("LITERAL+");
        // APPENDUID is read only from a server that says UIDPLUS (Dovecot
        // sends it whatever its capability list says).
        let uidplus = self.caps.has("UIDPLUS");
        let minus = self.caps.has("LITERAL-");
        let s = &mut self.session;
        within(self.timeout, "APPEND", async {
            let io = |e| ImapError::Io("APPEND".into(), e);
            let mut id = None;
            for (i, m) in msgs.iter().enumerate() {
                let plus = plus_all || (minus && m.body.len() <= 4096);
                let mut head = String::new();
                if !m.flags.is_empty() {
                    head.push_str(&format!(" ({})", m.flags.join(" ")));
                }
                if let Some(d) = m.date {
                    head.push_str(&format!(" \"{d}\""));
                }
                head.push_str(&format!(" {{{}{}}}", m.body.len(), if plus { "+" } else { "" }));
                if i == 0 {
                    let tag = s.run_command(&format!("APPEND {}{head}", quote(mailbox))).await;
                    id = Some(tag.map_err(|e| ImapError::from_async("APPEND", e))?);
                } else {
                    let w = s.get_mut();
                    w.write_all(head.as_bytes()).await.map_err(io)?;
                    w.write_all(b"\r\n").await.map_err(io)?;
                    w.flush().await.map_err(io)?;
                }
                let id = id.as_ref().expect("tagged");
                if !plus {
                    loop {
                        let Some(r) = s.read_response().await.map_err(io)? else {
                            return Err(ImapError::ConnectionLost("APPEND".into()));
                        };
                        match r.parsed() {
                            Response::Continue { .. } => break,
                            Response::Done { tag, status, outcome } if tag == id => {
                                done("APPEND", status, outcome.code.as_ref(), outcome.information.as_deref())?;
                                return Err(ImapError::Protocol("APPEND ended before its literal was sent".into()));
                            }
                            _ => {}
                        }
                    }
                }
                s.get_mut().write_all(m.body).await.map_err(io)?;
            }
            let Some(id) = id else { return Ok(Vec::new()) };
            let w = s.get_mut();
            w.write_all(b"\r\n").await.map_err(io)?;
            w.flush().await.map_err(io)?;
            loop {
                let Some(r) = s.read_response().await.map_err(io)? else {
                    return Err(ImapError::ConnectionLost("APPEND".into()));
                };
                if let Response::Done { tag, status, outcome } = r.parsed() {
                    if *tag == id {
                        done("APPEND", status, outcome.code.as_ref(), outcome.information.as_deref())?;
                        let mut uids: Vec<Option<u32>> = vec![None; msgs.len()];
                        if let (true, Some(imap_proto::ResponseCode::AppendUid(_, set))) = (uidplus, &outcome.code) {
                            let mut all = Vec::new();
                            for m in set {
                                match m {
                                    imap_proto::rfc4315::UidSetMember::Uid(u) => all.push(*u),
                                    imap_proto::rfc4315::UidSetMember::UidRange(r) => {
                                        if r.end().saturating_sub(*r.start()) as usize >= msgs.len() {
                                            break;
                                        }
                                        all.extend(r.clone());
                                    }
                                }
                            }
                            if all.len() == msgs.len() {
                                uids = all.into_iter().map(Some).collect();
                            }
                        }
                        return Ok(uids);
                    }
                }
            }
        })
        .await
    }

    /// Logs out, politely; errors are of no interest at that point.
    pub async fn logout(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.session.logout()).await;
    }

    /// The timeout commands run under.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

/// CAPABILITY before login (async-imap asks only a session).
async fn client_capabilities(client: &mut Client<Stream>) -> Result<Capabilities, ImapError> {
    // Tagged by hand: async-imap's tags are its own before login.
    let id = imap_proto::RequestId("MS0".to_string());
    let w = client.get_mut();
    w.write_all(b"MS0 CAPABILITY\r\n").await.map_err(|e| ImapError::Io("CAPABILITY".into(), e))?;
    w.flush().await.map_err(|e| ImapError::Io("CAPABILITY".into(), e))?;
    let mut caps = Capabilities::default();
    loop {
        let Some(r) = client.read_response().await.map_err(|e| ImapError::Io("CAPABILITY".into(), e))? else {
            return Err(ImapError::ConnectionLost("CAPABILITY".into()));
        };
        match r.parsed() {
            Response::Capabilities(list) => {
                for c in list {
                    caps.0.insert(match c {
                        imap_proto::Capability::Imap4rev1 => "IMAP4REV1".to_string(),
                        imap_proto::Capability::Auth(a) => format!("AUTH={}", a.to_ascii_uppercase()),
                        imap_proto::Capability::Atom(a) => a.to_ascii_uppercase(),
                    });
                }
            }
            Response::Done { tag, status, outcome } if *tag == id => {
                done("CAPABILITY", status, outcome.code.as_ref(), outcome.information.as_deref())?;
                return Ok(caps);
            }
            _ => {}
        }
    }
}

/// A LIST attribute as the server spells it.
fn attribute_name(a: &imap_proto::NameAttribute<'_>) -> String {
    use imap_proto::NameAttribute as A;
    match a {
        A::NoInferiors => "\\Noinferiors".into(),
        A::NoSelect => "\\Noselect".into(),
        A::Marked => "\\Marked".into(),
        A::Unmarked => "\\Unmarked".into(),
        A::All => "\\All".into(),
        A::Archive => "\\Archive".into(),
        A::Drafts => "\\Drafts".into(),
        A::Flagged => "\\Flagged".into(),
        A::Junk => "\\Junk".into(),
        A::Sent => "\\Sent".into(),
        A::Trash => "\\Trash".into(),
        A::Extension(e) => e.to_string(),
        other => format!("{other:?}"),
    }
}

async fn greeting(client: &mut Client<Stream>) -> Result<(), ImapError> {
    match client.read_response().await {
        Ok(Some(r)) => match r.parsed() {
            Response::Data { status: Status::Ok | Status::PreAuth, .. } => Ok(()),
            Response::Data { status: Status::Bye, outcome, .. } => {
                Err(ImapError::Refused(outcome.information.as_deref().unwrap_or("").to_string()))
            }
            _ => Err(ImapError::Protocol("the server's greeting is not OK".into())),
        },
        Ok(None) => Err(ImapError::ConnectionLost("greeting".into())),
        Err(e) => Err(ImapError::Io("greeting".into(), e)),
    }
}

async fn login(client: Client<Stream>, ep: &Endpoint) -> Result<Session<Stream>, ImapError> {
    let c = &ep.credentials;
    let mut client = client;
    let caps = client_capabilities(&mut client).await?;
    let mech = match (c.mechanism, &c.secret) {
        (Mechanism::Auto, Secret::OAuth2Token(_)) => Mechanism::XOAuth2,
        (Mechanism::Auto, Secret::Password(_)) => {
            if c.authzid.is_some() || caps.has("AUTH=PLAIN") || caps.has("LOGINDISABLED") {
                Mechanism::Plain
            } else {
                Mechanism::Login
            }
        }
        (m, _) => m,
    };
    // A NO or BAD is the server's answer to the credentials, unless its
    // code says the server is busy or down for now, or the account has
    // too many connections (sessions just lost still count a while): a
    // retry can cure that, as it can a connection lost during the login.
    let denied = |e: async_imap::error::Error| {
        use async_imap::error::Error as E;
        match e {
            E::No(t) | E::Bad(t) => {
                let reason = crate::error::outcome_text(&t);
                let transient = ["[UNAVAILABLE]", "[THROTTLED]", "[INUSE]", "[LIMIT]"]
                    .iter()
                    .any(|code| reason.get(..code.len()).is_some_and(|r| r.eq_ignore_ascii_case(code)));
                if transient {
                    ImapError::refusal("LOGIN", false, None, reason)
                } else {
                    ImapError::Auth { user: c.user.clone(), reason }
                }
            }
            E::Io(io) => ImapError::Io("LOGIN".into(), io),
            E::ConnectionLost => ImapError::ConnectionLost("LOGIN".into()),
            other => ImapError::Auth { user: c.user.clone(), reason: other.to_string() },
        }
    };
    let result = match (mech, &c.secret) {
        (Mechanism::XOAuth2, Secret::OAuth2Token(token)) => client
            .authenticate("XOAUTH2", XOAuth2 { user: &c.user, token, sent: false })
            .await
            .map_err(|(e, _)| denied(e)),
        (Mechanism::Plain, Secret::Password(p)) => client
            .authenticate("PLAIN", Plain { authzid: c.authzid.as_deref().unwrap_or(""), user: &c.user, password: p })
            .await
            .map_err(|(e, _)| denied(e)),
        (Mechanism::Login, Secret::Password(p)) => {
            if c.authzid.is_some() {
                return Err(ImapError::Setup("an authorization identity needs AUTHENTICATE PLAIN".into()));
            }
            client.login(&c.user, p).await.map_err(|(e, _)| denied(e))
        }
        (Mechanism::XOAuth2, Secret::Password(_)) => {
            return Err(ImapError::Setup("XOAUTH2 takes a token (--oauth2-token-file), not a password".into()))
        }
        (_, Secret::OAuth2Token(_)) => {
            return Err(ImapError::Setup("an OAuth 2.0 token is for XOAUTH2 only".into()));
        }
        (Mechanism::Auto, _) => unreachable!("resolved above"),
    };
    result
}

/// The tagged answer as a result: OK is fine, NO and BAD are errors with
/// the response code and the server's text.
fn done(
    verb: &str,
    status: &Status,
    code: Option<&imap_proto::ResponseCode<'_>>,
    info: Option<&str>,
) -> Result<(), ImapError> {
    match status {
        Status::Ok => Ok(()),
        Status::No | Status::Bad => {
            let text = info.unwrap_or("").to_string();
            Err(ImapError::refusal(verb, *status == Status::Bad, code.map(|c| format!("{c:?}")), text))
        }
        other => Err(ImapError::Protocol(format!("{verb}: tagged {other:?}"))),
    }
}

/// A mailbox name as an IMAP quoted string (or a literal would be needed:
/// names with CR or LF are refused before they get here).
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// An INTERNALDATE for APPEND: `dd-Mon-yyyy hh:mm:ss +0000` (UTC).
pub(crate) fn internal_date(unix: i64) -> Option<String> {
    let t = chrono::DateTime::from_timestamp(unix, 0)?;
    // IMAP's date-year is four digits.
    if !(0..=9999).contains(&chrono::Datelike::year(&t)) {
        return None;
    }
    Some(t.format("%d-%b-%Y %H:%M:%S +0000").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_quotes() {
        assert_eq!(internal_date(0).unwrap(), "01-Jan-1970 00:00:00 +0000");
        assert_eq!(internal_date(1_700_000_000).unwrap(), "14-Nov-2023 22:13:20 +0000");
        assert!(internal_date(i64::MAX).is_none());
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
    }

    #[test]
    fn sasl_answers() {
        use async_imap::Authenticator;
        let mut p = Plain { authzid: "alice", user: "admin", password: "pw" };
        assert_eq!(p.process(b""), b"alice\0admin\0pw");
        let mut x = XOAuth2 { user: "u@x.org", token: "ya29.t", sent: false };
        assert_eq!(x.process(b""), b"user=u@x.org\x01auth=Bearer ya29.t\x01\x01");
        // The error challenge is answered with an empty line.
        assert_eq!(x.process(br#"{"status":"401"}"#), b"");
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::Password("hunter2".into());
        assert!(!format!("{s:?}").contains("hunter2"));
        let c = Credentials { user: "u".into(), authzid: None, secret: s, mechanism: Mechanism::Auto };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
