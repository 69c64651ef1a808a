//! Tasks ([MS-OXOTASK], `IPM.Task`), sticky notes ([MS-OXONOTE],
//! `IPM.StickyNote`) and journal entries ([MS-OXOJRNL], `IPM.Activity`)
//! mapped onto the neutral [`Task`], [`Note`] and [`Journal`] of
//! `mailshift-core`, for writing as `VTODO` and `VJOURNAL` (RFC 5545).
//!
//! The mappers never fail: a property that is missing or of an unexpected
//! type leaves its field empty, and an undecodable recurrence blob leaves
//! the task without an RRULE (the task itself is still worth exporting).

use crate::pim::{Date, Journal, Note, RRule, Task, TaskStatus, When};

use super::recur::{Freq, RuleParts, Weekday};
use super::{body, categories, class, non_empty, task_recurrence, text};
use crate::mapi::tags::{self, lid, Lid};
use crate::mapi::{Message, PropBag, PropValue};

/// Maps an `IPM.Task` onto a [`Task`] (`VTODO`).
///
/// - SUMMARY is PidTagSubject without its prefix marker, DESCRIPTION the
///   plain body (PidTagBody, else the text of PidTagRtfCompressed).
/// - DTSTART and DUE come from PidLidTaskStartDate and PidLidTaskDueDate.
///   [MS-OXOTASK] 2.2.2.2.4/2.2.2.2.5 store them as midnight *of the user's
///   local time zone* written as if it were UTC, i.e. they are dates, not
///   instants: they are written as `VALUE=DATE`, the FILETIME's calendar
///   day (rounded to the nearest midnight, see `local_midnight_date`).
///   (PidLidCommonStart/End hold the same instants in true UTC and are not
///   used: the day is what the user entered.)
/// - COMPLETED is PidLidTaskDateCompleted, a UTC DATE-TIME as RFC 5545
///   3.8.2.1 wants.
/// - STATUS from PidLidTaskStatus: 0 not started NEEDS-ACTION, 1 in
///   progress IN-PROCESS, 2 complete COMPLETED, 3 waiting on someone else
///   NEEDS-ACTION, 4 deferred NEEDS-ACTION. "Deferred" is *postponed*, not
///   abandoned; RFC 5545 3.8.1.11 CANCELLED would tell clients the to-do is
///   void, so it is not used. Without a status, PidLidTaskComplete true
///   gives COMPLETED.
/// - PERCENT-COMPLETE is PidLidPercentComplete (0.0-1.0) times 100, rounded.
/// - PRIORITY from PidTagImportance: low 9, normal 5, high 1 (RFC 5545
///   3.8.1.9: 1-4 high, 5 medium, 6-9 low).
/// - CLASS from PidTagSensitivity: normal PUBLIC, personal and private
///   PRIVATE, confidential CONFIDENTIAL.
/// - CATEGORIES from PS_PUBLIC_STRINGS "Keywords"; CREATED and
///   LAST-MODIFIED from PidTagCreationTime / PidTagLastModificationTime.
/// - RRULE from PidLidTaskRecurrence through [`rrule_from`], UNTIL as a
///   DATE since DTSTART and DUE are dates.
pub fn task(msg: &Message, uid: String) -> Task {
    let p = &msg.props;
    let start = lid_time(p, lid::TASK_START_DATE).map(local_midnight_date);
    let due = lid_time(p, lid::TASK_DUE_DATE).map(local_midnight_date);
    let status = match lid_int(p, lid::TASK_STATUS) {
        Some(0) | Some(3) | Some(4) => Some(TaskStatus::NeedsAction),
        Some(1) => Some(TaskStatus::InProcess),
        Some(2) => Some(TaskStatus::Completed),
        _ => match p.lid(lid::TASK_COMPLETE) {
            Some(PropValue::Bool(true)) => Some(TaskStatus::Completed),
            _ => None,
        },
    };
    let rrule = match task_recurrence(msg) {
        Some(Ok(pattern)) => Some(rrule_from(&pattern.rule())),
        // A damaged blob costs the rule, not the task.
        Some(Err(_)) | None => None,
    };
    Task {
        uid,
        summary: non_empty(msg.subject()),
        description: body(p),
        start,
        due,
        completed: lid_time(p, lid::TASK_DATE_COMPLETED),
        status,
        percent_complete: percent(p),
        priority: match p.int(tags::IMPORTANCE) {
            Some(0) => Some(9),
            Some(1) => Some(5),
            Some(2) => Some(1),
            _ => None,
        },
        categories: categories(p),
        class: class(p),
        rrule,
        created: p.time(tags::CREATION_TIME),
        last_modified: p.time(tags::LAST_MODIFICATION_TIME),
    }
}

/// Maps an `IPM.StickyNote` onto a [`Note`] (written as `VJOURNAL`).
///
/// A sticky note has only its text; Outlook keeps PidTagSubject equal to
/// the text's first line ([MS-OXONOTE] 2.2.1). The summary is the subject,
/// else (a writer that left it empty) the body's first non-empty line; the
/// description is the whole body; DTSTART is the creation time (UTC), as
/// Outlook shows it on the note. The note's colour and window size
/// (PidLidNoteColor, PidLidNoteWidth ...) have no iCalendar property and
/// are dropped.
pub fn note(msg: &Message, uid: String) -> Note {
    let p = &msg.props;
    let description = body(p);
    let summary = non_empty(msg.subject()).or_else(|| {
        description.as_deref().and_then(|b| b.lines().map(str::trim).find(|l| !l.is_empty())).map(str::to_string)
    });
    let created = p.time(tags::CREATION_TIME);
    Note {
        uid,
        summary,
        description,
        dtstart: created.map(When::Utc),
        categories: categories(p),
        created,
        last_modified: p.time(tags::LAST_MODIFICATION_TIME),
    }
}

/// Maps an `IPM.Activity` onto a [`Journal`] (`VJOURNAL`).
///
/// SUMMARY is the subject, DESCRIPTION the body, DTSTART PidLidLogStart
/// (UTC), CATEGORIES the Keywords. The entry type is kept as one more
/// category: its display text PidLidLogTypeDesc ("Phone call", "Meeting"
/// ...), else PidLidLogType ("Phone Call", "E-mail Message" ...) when that
/// is no message class (one writer stores "IPM.Activity" there),
/// after the user's own and only if not among them already: a category is
/// how iCalendar clients group and filter entries, as Outlook's journal
/// groups by type, and the body stays the user's text unchanged.
/// VJOURNAL has no DTEND (RFC 5545 3.6.3), so PidLidLogEnd is not carried.
pub fn journal(msg: &Message, uid: String) -> Journal {
    let p = &msg.props;
    let mut cats = categories(p);
    let kind = [lid::LOG_TYPE_DESC, lid::LOG_TYPE]
        .into_iter()
        .filter_map(|id| p.lid(id).and_then(text))
        .map(|t| t.trim().to_string())
        .find(|t| !t.is_empty() && !t.starts_with("IPM."));
    if let Some(t) = kind {
        if !cats.contains(&t) {
            cats.push(t);
        }
    }
    Journal {
        uid,
        summary: non_empty(msg.subject()),
        description: body(p),
        dtstart: lid_time(p, lid::LOG_START).map(When::Utc),
        categories: cats,
        created: p.time(tags::CREATION_TIME),
        last_modified: p.time(tags::LAST_MODIFICATION_TIME),
    }
}

/// Maps the RRULE parts of a decoded recurrence pattern onto core's
/// [`RRule`]. UNTIL is the pattern's end date as a [`When::Date`] (right
/// for the date-valued tasks; an event mapper with a zoned DTSTART turns it
/// into UTC itself). WKST is kept only where RFC 5545 3.3.10 says it
/// matters (weekly rules with an interval above 1 and BYDAY), and then only
/// when it is not the default Monday. A Hijri pattern
/// (`RuleParts::non_gregorian`) gives its Gregorian reading: an RRULE
/// without RSCALE cannot say more.
pub fn rrule_from(parts: &RuleParts) -> RRule {
    let mut r = RRule::new(parts.freq);
    r.interval = parts.interval.max(1);
    r.count = parts.count;
    r.until = parts
        .until_date
        .and_then(|(y, m, d)| Some(When::Date(Date::new(y, u8::try_from(m).ok()?, u8::try_from(d).ok()?))));
    r.by_day = parts.by_day.clone();
    r.by_month_day = parts.by_month_day.and_then(|d| i8::try_from(d).ok()).into_iter().collect();
    r.by_month = parts.by_month.and_then(|m| u8::try_from(m).ok()).into_iter().collect();
    r.by_set_pos = parts.by_set_pos.map(i16::from).into_iter().collect();
    // Outlook's "day 29/30/31 of every month" falls on the last day of a
    // shorter month ([MS-OXOCAL] 2.2.1.44.1.2); RRULE's BYMONTHDAY=31 would
    // skip those months (RFC 5545 3.3.10). "The last of days 28..=31 that
    // exist" says what Outlook means.
    if let ([d @ 29..=31], true) = (r.by_month_day.as_slice(), r.by_day.is_empty() && r.by_set_pos.is_empty()) {
        r.by_month_day = (28..=*d).collect();
        r.by_set_pos = vec![-1];
    }
    let wkst_matters = parts.freq == Freq::Weekly && parts.interval > 1 && !parts.by_day.is_empty();
    r.wkst = (wkst_matters && parts.wkst != Weekday::Monday).then_some(parts.wkst);
    r
}

/// The calendar day of a "local midnight as FILETIME" value, rounded to
/// the nearest midnight: [MS-OXOTASK] wants exactly 00:00, but a writer
/// that converted local midnight to true UTC leaves it up to 12 hours off
/// (23:00 the day before for UTC+1, 05:00 for UTC-5), and rounding gives
/// the day the user entered in both cases.
fn local_midnight_date(unix: i64) -> When {
    let day = unix.saturating_add(43_200).div_euclid(86_400);
    When::Date(When::Utc(day.saturating_mul(86_400)).date())
}

fn lid_time(p: &PropBag, id: Lid) -> Option<i64> {
    match p.lid(id)? {
        PropValue::Time(ft) => crate::mapi::filetime_to_unix(*ft),
        _ => None,
    }
}

fn lid_int(p: &PropBag, id: Lid) -> Option<i64> {
    p.lid(id)?.as_i64()
}

/// PidLidPercentComplete as 0-100: a double 0.0-1.0 ([MS-OXOTASK]
/// 2.2.2.2.3); out-of-range and NaN values are no value.
fn percent(p: &PropBag) -> Option<u8> {
    let f = match p.lid(lid::PERCENT_COMPLETE)? {
        PropValue::F64(f) => *f,
        PropValue::F32(f) => f64::from(*f),
        _ => return None,
    };
    (0.0..=1.0).contains(&f).then(|| (f * 100.0).round() as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pim::Class;

    fn bag() -> Message {
        Message::default()
    }

    fn set_lid(m: &mut Message, id: Lid, v: PropValue<'static>) {
        m.props.named.insert(id.into(), v);
    }

    /// 2025-03-20T00:00:00 as a FILETIME.
    const FT_2025_03_20: i64 = (1_742_428_800 + 11_644_473_600) * 10_000_000;

    #[test]
    fn task_fields_map_per_ms_oxotask() {
        let mut m = bag();
        m.props.tagged.insert(tags::SUBJECT, PropValue::Unicode("\u{1}\u{0}Report".into()));
        m.props.tagged.insert(tags::IMPORTANCE, PropValue::I32(2));
        m.props.tagged.insert(tags::SENSITIVITY, PropValue::I32(3));
        set_lid(&mut m, lid::TASK_STATUS, PropValue::I32(1));
        set_lid(&mut m, lid::PERCENT_COMPLETE, PropValue::F64(0.5));
        set_lid(&mut m, lid::TASK_DUE_DATE, PropValue::Time(FT_2025_03_20));
        let t = task(&m, "u".into());
        assert_eq!(t.summary.as_deref(), Some("Report"));
        assert_eq!(t.status, Some(TaskStatus::InProcess));
        assert_eq!(t.percent_complete, Some(50));
        assert_eq!(t.priority, Some(1));
        assert_eq!(t.class, Some(Class::Confidential));
        assert_eq!(t.due, Some(When::Date(Date::new(2025, 3, 20))));
        assert_eq!(t.start, None);
        assert_eq!(t.rrule, None);
        // Local midnight of UTC+1 stored as true UTC: the day before, 23:00.
        let ft_2300 = FT_2025_03_20 - 3600 * 10_000_000;
        set_lid(&mut m, lid::TASK_START_DATE, PropValue::Time(ft_2300));
        assert_eq!(task(&m, "u".into()).start, Some(When::Date(Date::new(2025, 3, 20))));
    }

    #[test]
    fn deferred_and_waiting_are_needs_action_and_bad_percent_is_none() {
        for s in [0, 3, 4] {
            let mut m = bag();
            set_lid(&mut m, lid::TASK_STATUS, PropValue::I32(s));
            set_lid(&mut m, lid::PERCENT_COMPLETE, PropValue::F64(f64::NAN));
            let t = task(&m, String::new());
            assert_eq!(t.status, Some(TaskStatus::NeedsAction));
            assert_eq!(t.percent_complete, None);
        }
        let mut m = bag();
        set_lid(&mut m, lid::TASK_COMPLETE, PropValue::Bool(true));
        assert_eq!(task(&m, String::new()).status, Some(TaskStatus::Completed));
    }

    #[test]
    fn rrule_parts_map_and_wkst_only_when_it_matters() {
        let parts = RuleParts {
            freq: Freq::Monthly,
            interval: 2,
            by_day: vec![(Some(-1), Weekday::Friday)],
            by_month_day: None,
            by_month: None,
            by_set_pos: None,
            count: None,
            until_date: Some((2025, 12, 31)),
            wkst: Weekday::Sunday,
            non_gregorian: false,
        };
        let r = rrule_from(&parts);
        assert_eq!(r.freq, Freq::Monthly);
        assert_eq!(r.interval, 2);
        assert_eq!(r.by_day, vec![(Some(-1), Weekday::Friday)]);
        assert_eq!(r.until, Some(When::Date(Date::new(2025, 12, 31))));
        assert_eq!(r.wkst, None);
        let weekly = RuleParts { freq: Freq::Weekly, by_day: vec![(None, Weekday::Monday)], ..parts.clone() };
        assert_eq!(rrule_from(&weekly).wkst, Some(Weekday::Sunday));
        assert_eq!(
            crate::pim::ical::rrule_value(&rrule_from(&weekly), true),
            "FREQ=WEEKLY;INTERVAL=2;UNTIL=20251231;BYDAY=MO;WKST=SU"
        );
        // Day 31 of every month: the last day of the shorter ones too.
        let day31 =
            RuleParts { freq: Freq::Monthly, interval: 1, by_day: vec![], by_month_day: Some(31), ..parts.clone() };
        assert_eq!(
            crate::pim::ical::rrule_value(&rrule_from(&day31), true),
            "FREQ=MONTHLY;UNTIL=20251231;BYMONTHDAY=28,29,30,31;BYSETPOS=-1"
        );
        let day15 = RuleParts { by_month_day: Some(15), ..day31.clone() };
        assert_eq!(rrule_from(&day15).by_month_day, vec![15]);
        let last = RuleParts { by_month_day: Some(-1), ..day31 };
        assert_eq!(rrule_from(&last).by_month_day, vec![-1]);
        assert!(rrule_from(&last).by_set_pos.is_empty());
    }

    #[test]
    fn note_summary_and_journal_type_category() {
        let mut m = bag();
        m.props.tagged.insert(tags::BODY, PropValue::Unicode("\r\nShopping\r\nMilk".into()));
        let n = note(&m, String::new());
        assert_eq!(n.summary.as_deref(), Some("Shopping"));
        assert_eq!(n.description.as_deref(), Some("\r\nShopping\r\nMilk"));
        m.props.tagged.insert(tags::SUBJECT, PropValue::Unicode("\u{1}\u{1}List".into()));
        assert_eq!(note(&m, String::new()).summary.as_deref(), Some("List"));

        let mut j = bag();
        j.props.named.insert(tags::name::KEYWORDS.into(), PropValue::MvUnicode(vec!["Work".into(), String::new()]));
        set_lid(&mut j, lid::LOG_TYPE, PropValue::Unicode("IPM.Activity".into()));
        set_lid(&mut j, lid::LOG_TYPE_DESC, PropValue::Unicode("Phone call".into()));
        set_lid(&mut j, lid::LOG_START, PropValue::Time(FT_2025_03_20));
        let e = journal(&j, String::new());
        assert_eq!(e.categories, vec!["Work".to_string(), "Phone call".to_string()]);
        assert_eq!(e.dtstart, Some(When::Utc(1_742_428_800)));
    }
}
