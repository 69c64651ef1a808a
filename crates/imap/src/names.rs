//! Folder names between our model and a server: the hierarchy delimiter,
//! the personal namespace's prefix, modified UTF-7, and the special-use
//! mailboxes (RFC 6154) the special folders of a source go to.

use std::collections::HashMap;

use mailshift_core::{mutf7, FolderRole};

use crate::conn::Listed;

/// How a server names its mailboxes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The hierarchy delimiter (`/`, `.`), `None` for a flat server.
    pub delimiter: Option<char>,
    /// The personal namespace's prefix with its delimiter (`INBOX.` on
    /// Courier and some Cyrus set-ups), or empty.
    pub prefix: String,
}

impl Layout {
    /// The layout a LIST shows: the delimiter most mailboxes give, and the
    /// prefix `INBOX<delim>` when every other mailbox sits below INBOX
    /// (a server that keeps its personal namespace there). async-imap
    /// cannot read a NAMESPACE response, so this is read off the list.
    pub fn from_list(listed: &[Listed]) -> Layout {
        let mut votes: HashMap<char, usize> = HashMap::new();
        for l in listed {
            if let Some(d) = l.delimiter {
                *votes.entry(d).or_default() += 1;
            }
        }
        let delimiter = votes.into_iter().max_by_key(|(d, n)| (*n, *d == '/')).map(|(d, _)| d);
        let prefix = match delimiter {
            Some(d) => {
                let p = format!("INBOX{d}");
                let others: Vec<&Listed> = listed.iter().filter(|l| !l.name.eq_ignore_ascii_case("INBOX")).collect();
                if !others.is_empty()
                    && others.iter().all(|l| {
                        l.name.len() > p.len() && l.name.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(&p))
                    })
                {
                    p
                } else {
                    String::new()
                }
            }
            None => String::new(),
        };
        Layout { delimiter, prefix }
    }

    /// The server's name for a folder path (`["Archive", "2024"]`), and a
    /// note for each name changed to fit (a delimiter inside a name).
    /// `["INBOX", ...]` (any case) is the inbox and its children.
    pub fn encode(&self, path: &[String]) -> (String, Vec<String>) {
        let mut notes = Vec::new();
        if path.is_empty() {
            return ("INBOX".to_string(), notes);
        }
        let sep = self.delimiter.map(String::from).unwrap_or_else(|| " - ".to_string());
        let mut parts = Vec::with_capacity(path.len());
        for (i, name) in path.iter().enumerate() {
            if i == 0 && name.eq_ignore_ascii_case("INBOX") {
                parts.push("INBOX".to_string());
                continue;
            }
            let mut clean: String = name.chars().map(|c| if c.is_control() { '_' } else { c }).collect();
            if let Some(d) = self.delimiter {
                if clean.contains(d) {
                    clean = clean.replace(d, "_");
                }
            }
            if clean.trim().is_empty() {
                clean = "_".to_string();
            }
            if &clean != name {
                notes.push(format!("folder name {name:?} written as {clean:?} (the server's delimiter is {sep:?})"));
            }
            parts.push(mutf7::encode(&clean));
        }
        let joined = parts.join(&sep);
        let inbox_rooted = parts[0] == "INBOX";
        (if inbox_rooted { joined } else { format!("{}{joined}", self.prefix) }, notes)
    }

    /// The folder path of a server's mailbox name: the prefix taken off,
    /// split at the delimiter, each part decoded from modified UTF-7 (kept
    /// as it is where it is not valid modified UTF-7).
    pub fn decode(&self, name: &str) -> Vec<String> {
        let rest = if !self.prefix.is_empty()
            && name.len() > self.prefix.len()
            && name.get(..self.prefix.len()).is_some_and(|h| h.eq_ignore_ascii_case(&self.prefix))
        {
            &name[self.prefix.len()..]
        } else {
            name
        };
        let parts: Vec<&str> = match self.delimiter {
            Some(d) => rest.split(d).collect(),
            None => vec![rest],
        };
        parts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                if i == 0 && p.eq_ignore_ascii_case("INBOX") {
                    "INBOX".to_string()
                } else {
                    mutf7::decode(p).unwrap_or_else(|| p.to_string())
                }
            })
            .collect()
    }
}

/// The usual names of the special folders, in several languages, for
/// servers without SPECIAL-USE (compared case-insensitively).
const USUAL: &[(FolderRole, &[&str])] = &[
    (
        FolderRole::Sent,
        &[
            "Sent",
            "Sent Items",
            "Sent Messages",
            "Sent Mail",
            "Gesendet",
            "Gesendete Elemente",
            "Gesendete Objekte",
            "Envoyés",
            "Éléments envoyés",
            "Messages envoyés",
            "Enviados",
            "Elementos enviados",
            "Posta inviata",
            "Inviati",
            "Verzonden",
            "Verzonden items",
            "Skickat",
            "Wysłane",
            "Отправленные",
        ],
    ),
    (
        FolderRole::Drafts,
        &[
            "Drafts",
            "Draft",
            "Entwürfe",
            "Brouillons",
            "Borradores",
            "Bozze",
            "Concepten",
            "Kopie robocze",
            "Черновики",
        ],
    ),
    (
        FolderRole::Trash,
        &[
            "Trash",
            "Deleted Items",
            "Deleted Messages",
            "Deleted",
            "Papierkorb",
            "Gelöschte Elemente",
            "Corbeille",
            "Éléments supprimés",
            "Papelera",
            "Elementos eliminados",
            "Cestino",
            "Posta eliminata",
            "Prullenbak",
            "Verwijderde items",
            "Kosz",
            "Корзина",
        ],
    ),
    (
        FolderRole::Junk,
        &[
            "Junk",
            "Spam",
            "Junk E-mail",
            "Junk Email",
            "Junk Mail",
            "Bulk Mail",
            "Junk-E-Mail",
            "Courrier indésirable",
            "Correo no deseado",
            "Posta indesiderata",
            "Ongewenste e-mail",
            "Спам",
        ],
    ),
    (FolderRole::Archive, &["Archive", "Archives", "Archiv", "Archivo", "Archivio", "Archief", "Архив"]),
];

/// The server's mailbox for each special role: by SPECIAL-USE attribute,
/// else by the usual names of a top-level mailbox.
pub fn special_mailboxes(listed: &[Listed], layout: &Layout) -> HashMap<FolderRole, String> {
    let mut out = HashMap::new();
    for (role, attr) in [
        (FolderRole::Sent, "\\Sent"),
        (FolderRole::Drafts, "\\Drafts"),
        (FolderRole::Trash, "\\Trash"),
        (FolderRole::Junk, "\\Junk"),
        (FolderRole::Archive, "\\Archive"),
    ] {
        if let Some(l) = listed.iter().find(|l| l.has(attr)) {
            out.insert(role, l.name.clone());
        }
    }
    for (role, names) in USUAL {
        if out.contains_key(role) {
            continue;
        }
        let hit = names.iter().find_map(|want| {
            listed.iter().find(|l| {
                let path = layout.decode(&l.name);
                path.len() == 1 && path[0].to_lowercase() == want.to_lowercase()
            })
        });
        if let Some(l) = hit {
            out.insert(*role, l.name.clone());
        }
    }
    out
}

/// The role of a server's mailbox: INBOX, a special-use attribute, else
/// its name as [`FolderRole::guess`] reads it.
pub fn role_of(l: &Listed, layout: &Layout) -> FolderRole {
    if l.name.eq_ignore_ascii_case("INBOX") {
        return FolderRole::Inbox;
    }
    for (role, attr) in [
        (FolderRole::Sent, "\\Sent"),
        (FolderRole::Drafts, "\\Drafts"),
        (FolderRole::Trash, "\\Trash"),
        (FolderRole::Junk, "\\Junk"),
        (FolderRole::Archive, "\\Archive"),
    ] {
        if l.has(attr) {
            return role;
        }
    }
    // Without an attribute, only the names every store here reads the
    // same way (a German "Archiv" beside a \Archive stays a folder).
    let path = layout.decode(&l.name);
    if path.len() == 1 {
        return FolderRole::guess(&path[0]);
    }
    FolderRole::None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(name: &str, d: char, attrs: &[&str]) -> Listed {
        Listed { name: name.into(), delimiter: Some(d), attributes: attrs.iter().map(|s| s.to_string()).collect() }
    }

    #[test]
    fn layouts() {
        let dovecot = [l("INBOX", '/', &[]), l("Sent", '/', &["\\Sent"]), l("Archive/2024", '/', &[])];
        let lay = Layout::from_list(&dovecot);
        assert_eq!(lay, Layout { delimiter: Some('/'), prefix: String::new() });
        let courier = [l("INBOX", '.', &[]), l("INBOX.Sent", '.', &[]), l("INBOX.Trash", '.', &[])];
        let lay = Layout::from_list(&courier);
        assert_eq!(lay.prefix, "INBOX.");
        let p = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(lay.encode(&p(&["Entwürfe", "a.b"])).0, "INBOX.Entw&APw-rfe.a_b");
        assert_eq!(lay.decode("INBOX.Entw&APw-rfe.x"), p(&["Entwürfe", "x"]));
        // A server's UTF-8 name across the prefix's end is no panic.
        assert_eq!(lay.decode("INBOXé"), p(&["INBOXé"]));
        let odd = [l("INBOX", '.', &[]), l("INBOé.x", '.', &[])];
        assert_eq!(Layout::from_list(&odd).prefix, "");
        assert_eq!(lay.encode(&p(&["INBOX", "sub"])).0, "INBOX.sub");
        assert_eq!(lay.encode(&[]).0, "INBOX");
        let s = special_mailboxes(&courier, &lay);
        assert_eq!(s.get(&FolderRole::Sent).map(String::as_str), Some("INBOX.Sent"));
        assert_eq!(s.get(&FolderRole::Trash).map(String::as_str), Some("INBOX.Trash"));
        let s = special_mailboxes(&dovecot, &Layout::from_list(&dovecot));
        assert_eq!(s.get(&FolderRole::Sent).map(String::as_str), Some("Sent"));
        let german = [l("INBOX", '/', &[]), l("Gesendete Elemente", '/', &[])];
        let s = special_mailboxes(&german, &Layout::from_list(&german));
        assert_eq!(s.get(&FolderRole::Sent).map(String::as_str), Some("Gesendete Elemente"));
    }
}
