//! The property tags, property sets and named properties of [MS-OXPROPS]:
//! one registry, in [`mailshift_core::mapi::tags`] (a tag knows no file
//! format), re-exported here for the crate's own paths.
//!
//! [MS-OXPROPS]: https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxprops/

pub use mailshift_core::mapi::tags::*;
