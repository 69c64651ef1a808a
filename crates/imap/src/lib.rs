//! mailshift-imap: an IMAP mailbox as a mailshift store.
//!
//! - [`ImapWriter`] uploads any store into a mailbox: folders by the
//!   server's delimiter, prefix and special-use mailboxes, APPEND with
//!   flags and INTERNALDATE, and runs that can be repeated or resumed
//!   after a kill without a duplicate (the mailbox's Message-IDs are read
//!   first, and a [`journal`] spares the rereading).
//! - [`ImapReader`] backs a mailbox up into any store, read-only (EXAMINE,
//!   `BODY.PEEK`), fetching batch by batch for the converter.
//! - [`ImapAddress`] parses `imaps://user@host[:port][/prefix]` and
//!   `imap://...` (STARTTLS); [`Endpoint`] adds the credentials and the
//!   TLS options (rustls, the system's roots plus a CA file).
//!
//! The protocol is async-imap's, on a tokio runtime each store keeps to
//! itself: the converter's `StoreReader` / `StoreWriter` calls stay
//! blocking, and no rayon thread waits on the network. Passwords and
//! tokens live in [`Secret`], which never prints.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod address;
mod conn;
mod error;
pub mod journal;
pub mod keys;
mod link;
pub mod names;
mod pool;
mod reader;
mod writer;

pub use address::{is_address, ImapAddress, Security};
pub use conn::{Capabilities, ConnectOptions, Credentials, Endpoint, Listed, Mechanism, Secret};
pub use error::ImapError;
pub use link::LinkStats;
pub use reader::ImapReader;
pub use writer::{ImapWriteOptions, ImapWriter};
