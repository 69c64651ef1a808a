//! The owned MAPI message model the messaging layer reads into: it lives in
//! [`mailshift_core::mapi`] (a MAPI message knows no file format) and is
//! re-exported here for the crate's own paths.

pub use mailshift_core::mapi::*;
