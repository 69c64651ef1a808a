//! RFC 5322 / MIME -> MAPI message, the inbound direction of [MS-OXCMAIL].
//!
//! [MS-OXCMAIL]: https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxcmail/

use crate::mapi::inbound::Converted;
use crate::model::MailItem;

/// `mail` as a MAPI message (IPM.Note and its S/MIME classes).
pub fn message(_mail: &MailItem<'_>) -> Result<Converted, String> {
    Err("mail that is not a MAPI message cannot be written into a PST yet".to_string())
}
