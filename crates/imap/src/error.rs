//! What can go wrong talking to a server, sorted by what to do about it:
//! retry after a reconnect (a dropped connection, a timeout, a server that
//! says it is throttling or unavailable), stop the run (over quota), skip
//! the item (too big for the server), or report the item as failed.

use std::time::Duration;

/// An error of the IMAP store. Never holds a password or a token.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    /// The TCP connection could not be made.
    #[error("cannot connect to {host}: {source}")]
    Connect {
        /// `host:port`.
        host: String,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// The TLS handshake failed (an unknown certificate authority, a name
    /// that does not match ...).
    #[error("TLS with {host}: {reason}")]
    Tls {
        /// `host:port`.
        host: String,
        /// rustls's reason.
        reason: String,
    },
    /// An `imap://` server offers no STARTTLS.
    #[error("{0} offers no STARTTLS: use imaps://, or --insecure-plaintext on a network you trust")]
    NoStartTls(String),
    /// The server refused the login.
    #[error("the server refused the login of {user}: {reason}")]
    Auth {
        /// Who tried.
        user: String,
        /// The server's words.
        reason: String,
    },
    /// The server said goodbye at once.
    #[error("the server refused the connection: {0}")]
    Refused(String),
    /// A command took longer than the timeout.
    #[error("{0}: no answer within the timeout")]
    Timeout(String),
    /// The connection went away during a command.
    #[error("{0}: the connection was lost")]
    ConnectionLost(String),
    /// Reading or writing the connection failed.
    #[error("{0}: {1}")]
    Io(String, #[source] std::io::Error),
    /// The server answered NO or BAD.
    #[error("{verb}: the server said {}: {text}", if *.bad { "BAD" } else { "NO" })]
    Refusal {
        /// The command.
        verb: String,
        /// BAD rather than NO.
        bad: bool,
        /// The response code, upper-cased, where there was one
        /// (`OVERQUOTA`, `TOOBIG`, `THROTTLED` ...).
        code: Option<String>,
        /// The server's text.
        text: String,
    },
    /// The server's answer made no sense to us.
    #[error("protocol: {0}")]
    Protocol(String),
    /// Something on our side: an option, a certificate file.
    #[error("{0}")]
    Setup(String),
}

impl ImapError {
    pub(crate) fn from_async(verb: &str, e: async_imap::error::Error) -> ImapError {
        use async_imap::error::Error as E;
        match e {
            E::Io(io) => ImapError::Io(verb.to_string(), io),
            E::ConnectionLost => ImapError::ConnectionLost(verb.to_string()),
            E::No(t) => ImapError::refusal(verb, false, None, outcome_text(&t)),
            E::Bad(t) => ImapError::refusal(verb, true, None, outcome_text(&t)),
            other => ImapError::Protocol(format!("{verb}: {other}")),
        }
    }

    /// A NO or BAD, its response code found in `code` (as imap-proto
    /// prints a code it knows) or at the start of the text (a code it does
    /// not know stays in the text: `[OVERQUOTA] Quota exceeded`).
    pub(crate) fn refusal(verb: &str, bad: bool, code: Option<String>, text: String) -> ImapError {
        let (code, text) = match code {
            Some(c) => (Some(c.split(['(', ' ']).next().unwrap_or(&c).to_ascii_uppercase()), text),
            None => match text.strip_prefix('[').and_then(|t| t.split_once(']')) {
                Some((c, rest)) => {
                    (Some(c.split(' ').next().unwrap_or(c).to_ascii_uppercase()), rest.trim_start().to_string())
                }
                None => (None, text),
            },
        };
        ImapError::Refusal { verb: verb.to_string(), bad, code, text }
    }

    /// The response code of a refusal.
    pub fn code(&self) -> Option<&str> {
        match self {
            ImapError::Refusal { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// True when the mailbox is full: the run stops.
    pub fn is_over_quota(&self) -> bool {
        matches!(self.code(), Some("OVERQUOTA"))
            || matches!(self, ImapError::Refusal { text, .. } if text.to_ascii_lowercase().contains("quota exceeded"))
    }

    /// True when the message itself is what the server refuses for its
    /// size: it is skipped, not failed.
    pub fn is_too_big(&self) -> bool {
        matches!(self, ImapError::Refusal { verb, .. } if verb != "LOGIN")
            && matches!(self.code(), Some("TOOBIG" | "LIMIT"))
    }

    /// True for what a reconnect and a retry can cure, with the wait the
    /// server asked for, if it asked.
    pub fn retry_after(&self) -> Option<Option<Duration>> {
        match self {
            ImapError::ConnectionLost(_) | ImapError::Timeout(_) | ImapError::Io(..) | ImapError::Connect { .. } => {
                Some(None)
            }
            ImapError::Refused(t) => Some(suggested_backoff(t)),
            ImapError::Refusal { verb, code, text, .. } => {
                // A login refused for too many connections (LIMIT) waits
                // as a throttled one does.
                let throttled = matches!(code.as_deref(), Some("THROTTLED" | "UNAVAILABLE" | "INUSE" | "SERVERBUG"))
                    || (verb == "LOGIN" && code.as_deref() == Some("LIMIT"));
                let backoff = suggested_backoff(text);
                (throttled || backoff.is_some()).then_some(backoff)
            }
            _ => None,
        }
    }
}

/// async-imap prints a NO or BAD as `code: None, info: Some("text")`:
/// the text alone, unquoted.
pub(crate) fn outcome_text(t: &str) -> String {
    let info = t.split_once("info: ").map(|(_, i)| i).unwrap_or(t).trim();
    let info = info.strip_prefix("Some(").and_then(|i| i.strip_suffix(')')).unwrap_or(info);
    let info = info.strip_prefix('"').and_then(|i| i.strip_suffix('"')).unwrap_or(info);
    info.replace("\\\"", "\"").replace("\\\\", "\\")
}

/// Exchange's "Suggested Backoff Time: 1234 milliseconds" in a response.
fn suggested_backoff(text: &str) -> Option<Duration> {
    let lower = text.to_ascii_lowercase();
    let at = lower.find("backoff time")?;
    let rest = &lower[at..];
    let digits: String = rest.chars().skip_while(|c| !c.is_ascii_digit()).take_while(|c| c.is_ascii_digit()).collect();
    let n: u64 = digits.parse().ok()?;
    let ms = if rest.contains("millisecond") { n } else { n.saturating_mul(1000) };
    Some(Duration::from_millis(ms.min(15 * 60 * 1000)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_found() {
        let e =
            ImapError::refusal("APPEND", false, None, "[OVERQUOTA] Quota exceeded (mailbox for user is full)".into());
        assert!(e.is_over_quota());
        assert_eq!(e.code(), Some("OVERQUOTA"));
        let e = ImapError::refusal("APPEND", false, None, "[THROTTLED] slow down".into());
        assert_eq!(e.retry_after(), Some(None));
        let e = ImapError::refusal(
            "APPEND",
            false,
            None,
            "Request is throttled. Suggested Backoff Time: 2500 milliseconds".into(),
        );
        assert_eq!(e.retry_after(), Some(Some(Duration::from_millis(2500))));
        let e = ImapError::refusal("APPEND", false, None, "[TOOBIG] too large".into());
        assert!(e.is_too_big() && e.retry_after().is_none());
        // Too many connections at login: waited for, not "too big".
        let e = ImapError::refusal("LOGIN", false, None, "[LIMIT] Maximum number of connections".into());
        assert!(!e.is_too_big() && e.retry_after() == Some(None));
        let e = ImapError::refusal("APPEND", false, None, "[LIMIT] message too large".into());
        assert!(e.is_too_big() && e.retry_after().is_none());
        assert_eq!(outcome_text(r#"code: None, info: Some("[ALERT] a \"b\"")"#), r#"[ALERT] a "b""#);
    }
}
