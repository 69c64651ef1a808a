//! Personal-information items: the PST side of contacts, calendars, tasks,
//! notes and journals, mapped onto `mailshift-core`'s neutral PIM model.
//!
//! - [`contact`]: contacts and distribution lists onto `Contact` / `DistList`
//!   (vCard), and the stable UIDs of a store's items.
//! - [`recur`]: the recurrence blobs of appointments (PidLidAppointmentRecur,
//!   [MS-OXOCAL] 2.2.1.44) and tasks (PidLidTaskRecurrence, [MS-OXOTASK]
//!   2.2.2.2.15), and their mapping onto RFC 5545 RRULE parts.
//! - [`task`]: tasks, sticky notes and journal entries mapped onto core's
//!   `Task`, `Note` and `Journal` (VTODO / VJOURNAL).
//! - [`appointment`]: appointments and meetings mapped onto core's `Event`
//!   (VEVENT), with [`tz`] decoding their time-zone blobs.
//!
//! The mappers never fail: what is missing or undecodable leaves a field
//! empty, and the item is still exported.

pub mod appointment;
pub mod contact;
pub mod recur;
pub mod task;
pub mod tz;

pub use recur::{
    AppointmentRecurrencePattern, EndType, ExceptionInfo, Freq, LocalTime, Occurrence,
    PatternSpecific, PatternType, RecurFrequency, RecurrencePattern, RuleParts, Weekday,
};

use crate::ltp::prop::PropValue;
use crate::mapi::{Message, PSETID_APPOINTMENT, PSETID_TASK};
use crate::Corrupt;

/// `PidLidAppointmentRecur` ([MS-OXPROPS] 2.22): PSETID_Appointment LID 0x8216.
pub const LID_APPOINTMENT_RECUR: u32 = 0x8216;
/// `PidLidTaskRecurrence` ([MS-OXPROPS] 2.330): PSETID_Task LID 0x8116.
pub const LID_TASK_RECURRENCE: u32 = 0x8116;

/// The message's PidLidAppointmentRecur decoded, `None` when it has none
/// (a single appointment). String8 fields of exceptions are decoded as
/// Windows-1252; the Unicode copies of the extended exceptions win when
/// present.
pub fn appointment_recurrence(
    msg: &Message,
) -> Option<Result<AppointmentRecurrencePattern, Corrupt>> {
    match msg.props.lid(PSETID_APPOINTMENT, LID_APPOINTMENT_RECUR)? {
        PropValue::Binary(b) if !b.is_empty() => Some(AppointmentRecurrencePattern::parse(b)),
        _ => None,
    }
}

/// The message's PidLidTaskRecurrence decoded, `None` when it has none.
pub fn task_recurrence(msg: &Message) -> Option<Result<RecurrencePattern, Corrupt>> {
    match msg.props.lid(PSETID_TASK, LID_TASK_RECURRENCE)? {
        PropValue::Binary(b) if !b.is_empty() => Some(RecurrencePattern::parse(b)),
        _ => None,
    }
}
