//! Compressed RTF ([MS-OXRTFCP]) and HTML / text encapsulated in RTF
//! ([MS-OXRTFEX]): they live in [`mailshift_core::mapi::rtf`] (a MAPI body
//! knows no file format) and are re-exported here for the crate's own paths.
//!
//! [MS-OXRTFCP]: https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxrtfcp/
//! [MS-OXRTFEX]: https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxrtfex/

pub use mailshift_core::mapi::rtf::*;
