//! IMAP addresses: `imaps://user@host[:port][/prefix]` (TLS from the first
//! byte) and `imap://user@host[:port][/prefix]` (STARTTLS, or plaintext
//! only when asked for).
//!
//! The user name may hold `@` (most servers log in by mail address): the
//! last `@` before the host ends it, and `%40` works as well. A password in
//! the address is refused, so that it never sits in a shell's history, a
//! process list or a report.

use std::fmt;

/// How the connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `imaps://`: TLS from the first byte (port 993 by default).
    Tls,
    /// `imap://`: STARTTLS before logging in (port 143 by default); a
    /// server that does not offer it is refused unless the connection is
    /// allowed to stay plaintext.
    StartTls,
}

/// A parsed IMAP address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapAddress {
    /// TLS or STARTTLS.
    pub security: Security,
    /// The login name (percent-decoded).
    pub user: String,
    /// Host name or IP address (IPv6 without its brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// A mailbox under which the store is read or written
    /// (`imaps://u@h/Archive/2024`: everything goes under `Archive/2024`),
    /// `/`-separated, or empty.
    pub prefix: Vec<String>,
}

/// True if `s` is written as an IMAP address (`imap://` or `imaps://`).
pub fn is_address(s: &str) -> bool {
    let l = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    l.starts_with("imaps://") || l.starts_with("imap://")
}

impl ImapAddress {
    /// Parses an address. The error says what is wrong in words, without
    /// repeating any secret.
    pub fn parse(s: &str) -> Result<ImapAddress, String> {
        let (security, rest) = if s.get(..8).is_some_and(|p| p.eq_ignore_ascii_case("imaps://")) {
            (Security::Tls, &s[8..])
        } else if s.get(..7).is_some_and(|p| p.eq_ignore_ascii_case("imap://")) {
            (Security::StartTls, &s[7..])
        } else {
            return Err("an IMAP address starts with imaps:// or imap://".into());
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        if authority.contains('?') || authority.contains('#') || path.contains('?') || path.contains('#') {
            return Err("an IMAP address takes no ?query or #fragment".into());
        }
        let Some(at) = authority.rfind('@') else {
            return Err("the address names no user: imaps://USER@HOST".into());
        };
        let (userinfo, hostport) = (&authority[..at], &authority[at + 1..]);
        if userinfo.contains(':') {
            return Err("a password in the address is refused: give it with --password-file, the \
                        MAILSHIFT_PASSWORD environment variable or at the prompt"
                .into());
        }
        let user = percent_decode(userinfo).ok_or("the user name has a bad %-escape")?;
        if user.is_empty() {
            return Err("the address names no user: imaps://USER@HOST".into());
        }
        if user.chars().any(|c| c.is_control()) {
            return Err("the user name holds control characters".into());
        }
        let (host, port) = split_host_port(hostport)?;
        let port = match port {
            Some(p) => p,
            None if security == Security::Tls => 993,
            None => 143,
        };
        let mut prefix = Vec::new();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            let name = percent_decode(part).ok_or("the mailbox in the address has a bad %-escape")?;
            if name.chars().any(|c| c.is_control()) {
                return Err("the mailbox in the address holds control characters".into());
            }
            prefix.push(name);
        }
        Ok(ImapAddress { security, user, host, port, prefix })
    }

    /// The address as `host:port`, for connecting.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// The address as the user wrote it (never with a secret: it has none).
impl fmt::Display for ImapAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.security == Security::Tls { "imaps" } else { "imap" };
        let user = self.user.replace('%', "%25").replace('/', "%2F");
        write!(f, "{scheme}://{user}@{}", self.authority())?;
        for p in &self.prefix {
            write!(f, "/{}", p.replace('%', "%25").replace('/', "%2F"))?;
        }
        Ok(())
    }
}

fn split_host_port(s: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let end = rest.find(']').ok_or("an IPv6 host is written [addr]")?;
        let after = &rest[end + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err("junk after the IPv6 host".into()),
        };
        (rest[..end].to_string(), port)
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (s.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err("the address names no host".into());
    }
    if !host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':')) {
        return Err(format!("{host:?} is not a host name"));
    }
    let port = match port {
        None => None,
        Some(p) => Some(p.parse::<u16>().ok().filter(|p| *p != 0).ok_or(format!("{p:?} is not a port"))?),
    };
    Ok((host, port))
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        let a = ImapAddress::parse("imaps://alice@example.org@mail.example.org").unwrap();
        assert_eq!(
            (a.security, a.user.as_str(), a.host.as_str(), a.port),
            (Security::Tls, "alice@example.org", "mail.example.org", 993)
        );
        assert!(a.prefix.is_empty());
        let a = ImapAddress::parse("IMAP://bob%40x.org@127.0.0.1:1143/Archive/2024").unwrap();
        assert_eq!((a.security, a.user.as_str(), a.port), (Security::StartTls, "bob@x.org", 1143));
        assert_eq!(a.prefix, ["Archive", "2024"]);
        assert_eq!(a.to_string(), "imap://bob@x.org@127.0.0.1:1143/Archive/2024");
        let a = ImapAddress::parse("imaps://u@[::1]:994").unwrap();
        assert_eq!((a.host.as_str(), a.port, a.authority().as_str()), ("::1", 994, "[::1]:994"));
        assert!(is_address("imaps://u@h") && is_address("IMAP://u@h") && !is_address("/tmp/imap"));
    }

    #[test]
    fn bad_addresses_say_why_and_never_echo_a_password() {
        let e = ImapAddress::parse("imaps://u:hunter2@h").unwrap_err();
        assert!(e.contains("password") && !e.contains("hunter2"), "{e}");
        for bad in
            ["imaps://h", "imaps://@h", "imaps://u@", "imaps://u@h:0", "imaps://u@h:x", "imaps://u@h?x", "http://u@h"]
        {
            assert!(ImapAddress::parse(bad).is_err(), "{bad}");
        }
        assert!(ImapAddress::parse("imaps://u%ZZ@h").is_err());
        assert!(ImapAddress::parse("imaps://u%0a@h").is_err());
        // Never a panic on a character across the scheme's end.
        assert!(ImapAddress::parse("imaps:/é@h").is_err() && ImapAddress::parse("imap:/é").is_err());
        assert!(!is_address("imap:/é"));
    }
}
