//! MAPI message -> RFC 5322 / MIME ([MS-OXCMAIL]): it lives in
//! [`mailshift_core::mapi::mime`] (a MAPI message knows no file format) and
//! is re-exported here for the crate's own paths.
//!
//! [MS-OXCMAIL]: https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxcmail/

pub use mailshift_core::mapi::mime::*;
