//! The messaging layer (MS-PST 2.4): required nodes, folders, tables, counts.

use super::Ctx;
use crate::Pst;

/// Checks the folder tree and its tables.
pub(crate) fn check(_cx: &mut Ctx<'_>, _pst: &Pst) {}
