//! `Task` as IPM.Task ([MS-OXOTASK]), `Note` as IPM.StickyNote
//! ([MS-OXONOTE]) and `Journal` as IPM.Activity ([MS-OXOJRNL]): the inverse
//! of [`crate::mapi::pim::task`].

use super::{filetime, midnight, Out};
use crate::mapi::inbound::Converted;
use crate::mapi::pim::recur::RecurrencePattern;
use crate::mapi::tags::{self, lid};
use crate::mapi::PropValue;
use crate::pim::{Date, Journal, Note, Task, TaskStatus, When};

/// The day of a task's date, and whether a time of day was dropped.
fn day_of(w: &When) -> (Date, bool) {
    match w {
        When::Date(d) => (*d, false),
        When::Local { time, .. } => (time.date, (time.hour, time.minute, time.second) != (0, 0, 0)),
        When::Utc(t) => (w.date(), t.rem_euclid(86_400) != 0),
    }
}

/// A task as IPM.Task: PidLidTaskStartDate / PidLidTaskDueDate as the
/// day's midnight written as if UTC ([MS-OXOTASK] 2.2.2.2.4, the form the
/// reader takes as a date), with PidLidCommonStart / End;
/// PidLidTaskDateCompleted; PidLidTaskStatus and PidLidTaskComplete;
/// PidLidPercentComplete; PidTagImportance from the priority (1-4 high,
/// 5 normal, 6-9 low); PidLidTaskRecurrence from the RRULE, anchored on
/// the start (else due) day.
pub fn task(t: &Task) -> Result<Converted, String> {
    let mut o = Out::new("IPM.Task", &t.uid);
    o.subject(t.summary.as_deref());
    o.text(tags::BODY, t.description.as_deref());
    o.common(&t.categories, t.class, t.created, t.last_modified);
    let mut days = [None, None];
    for (i, (w, date_lid, common_lid, what)) in [
        (&t.start, lid::TASK_START_DATE, lid::COMMON_START, "start"),
        (&t.due, lid::TASK_DUE_DATE, lid::COMMON_END, "due"),
    ]
    .into_iter()
    .enumerate()
    {
        if let Some(w) = w {
            let (d, dropped) = day_of(w);
            if dropped || !matches!(w, When::Date(_)) {
                o.not_kept(format!("the time of day of the task's {what} (a task has dates)"));
            }
            o.lid(date_lid, filetime(midnight(d)));
            o.lid(common_lid, filetime(midnight(d)));
            days[i] = Some(d);
        }
    }
    if let Some(c) = t.completed {
        o.lid(lid::TASK_DATE_COMPLETED, filetime(c));
    }
    let status = match t.status {
        Some(TaskStatus::NeedsAction) => Some(0),
        Some(TaskStatus::InProcess) => Some(1),
        Some(TaskStatus::Completed) => Some(2),
        Some(TaskStatus::Cancelled) => {
            o.not_kept("the CANCELLED status (written as Outlook's deferred)");
            Some(4)
        }
        None => None,
    };
    if let Some(s) = status {
        o.lid(lid::TASK_STATUS, PropValue::I32(s));
    }
    o.lid(lid::TASK_COMPLETE, PropValue::Bool(t.status == Some(TaskStatus::Completed)));
    if let Some(p) = t.percent_complete {
        o.lid(lid::PERCENT_COMPLETE, PropValue::F64(f64::from(p.min(100)) / 100.0));
    }
    if let Some(p) = t.priority {
        let importance = match p {
            1..=4 => Some(2),
            5 => Some(1),
            6..=9 => Some(0),
            _ => None,
        };
        match importance {
            Some(i) => o.tag(tags::IMPORTANCE, PropValue::I32(i)),
            None => o.not_kept(format!("priority {p} (Outlook has high, normal and low)")),
        }
        if !matches!(p, 1 | 5 | 9) && importance.is_some() {
            o.not_kept(format!("priority {p} (Outlook has high, normal and low: read back as 1, 5 or 9)"));
        }
    }
    // A task of one's own, assigned to no one ([MS-OXOTASK] 2.2.2.2).
    o.lid(lid::TASK_STATE, PropValue::I32(1));
    o.lid(lid::TASK_OWNERSHIP, PropValue::I32(0));
    o.lid(lid::TASK_ACCEPTANCE_STATE, PropValue::I32(0));
    o.lid(lid::TASK_MODE, PropValue::I32(0));
    o.lid(lid::TASK_F_RECURRING, PropValue::Bool(false));
    if let Some(rule) = &t.rrule {
        match days[0].or(days[1]) {
            None => o.not_kept("the recurrence rule of a task without a start or due date"),
            Some(anchor) => {
                let until = rule.until.as_ref().map(|u| day_of(u).0);
                if matches!(rule.until, Some(When::Utc(_) | When::Local { .. })) {
                    o.not_kept("the time of day of the task rule's UNTIL (read back as a date)");
                }
                match RecurrencePattern::from_rule(rule, anchor, until) {
                    Ok(p) => {
                        o.lid(lid::TASK_RECURRENCE, PropValue::Binary(p.serialize().into()));
                        o.lid(lid::TASK_F_RECURRING, PropValue::Bool(true));
                    }
                    Err(why) => o.not_kept(format!("the task's recurrence rule ({why})")),
                }
            }
        }
    }
    Ok(o.done())
}

/// A sticky note as IPM.StickyNote: the subject and body, its creation
/// time (the reader's DTSTART), a yellow 200 x 166 note as Outlook makes
/// it by default.
pub fn note(n: &Note) -> Result<Converted, String> {
    let mut o = Out::new("IPM.StickyNote", &n.uid);
    o.subject(n.summary.as_deref());
    o.text(tags::BODY, n.description.as_deref());
    let start = n.dtstart.as_ref().map(|w| match w {
        When::Utc(t) => *t,
        When::Date(d) => midnight(*d),
        When::Local { time, .. } => time.unix_if_utc(),
    });
    let created = n.created.or(start);
    if start.is_some() && start != created {
        o.not_kept("a note's DTSTART other than its creation time");
    }
    o.common(&n.categories, None, created, n.last_modified);
    o.lid(lid::NOTE_COLOR, PropValue::I32(3));
    o.lid(lid::NOTE_WIDTH, PropValue::I32(200));
    o.lid(lid::NOTE_HEIGHT, PropValue::I32(166));
    Ok(o.done())
}

/// The journal entry types of [MS-OXOJRNL] 2.2.1.1 (PidLidLogType).
const LOG_TYPES: &[&str] = &[
    "Conversation",
    "Document",
    "E-mail Message",
    "Fax",
    "Letter",
    "Meeting",
    "Meeting cancellation",
    "Meeting request",
    "Meeting response",
    "Microsoft Office Access",
    "Microsoft Office Excel",
    "Microsoft Office PowerPoint",
    "Microsoft Office Word",
    "Note",
    "Phone call",
    "Remote session",
    "Task",
    "Task request",
    "Task response",
];

/// A journal entry as IPM.Activity: subject, body, PidLidLogStart (and
/// End, the same: VJOURNAL has no end). The reader adds the entry's type to
/// its categories; a last category that is a type Outlook knows is taken
/// back as PidLidLogType and PidLidLogTypeDesc.
pub fn journal(j: &Journal) -> Result<Converted, String> {
    let mut o = Out::new("IPM.Activity", &j.uid);
    o.subject(j.summary.as_deref());
    o.text(tags::BODY, j.description.as_deref());
    let mut cats = j.categories.clone();
    let kind = cats.last().and_then(|c| LOG_TYPES.iter().find(|t| t.eq_ignore_ascii_case(c)).map(|t| (t, c.clone())));
    if let Some((t, shown)) = kind {
        if cats.iter().filter(|c| **c == shown).count() == 1 {
            cats.pop();
            o.lid(lid::LOG_TYPE, PropValue::Unicode(t.to_string()));
            o.lid(lid::LOG_TYPE_DESC, PropValue::Unicode(shown));
        }
    }
    o.common(&cats, None, j.created, j.last_modified);
    if let Some(w) = &j.dtstart {
        let t = match w {
            When::Utc(t) => *t,
            When::Date(d) => {
                o.not_kept("a journal entry's date-valued DTSTART (written as 00:00 UTC)");
                midnight(*d)
            }
            When::Local { time, .. } => {
                o.not_kept("the zone of a journal entry's DTSTART (written as UTC)");
                time.unix_if_utc()
            }
        };
        o.lid(lid::LOG_START, filetime(t));
        o.lid(lid::LOG_END, filetime(t));
        o.lid(lid::LOG_DURATION, PropValue::I32(0));
        o.lid(lid::COMMON_START, filetime(t));
        o.lid(lid::COMMON_END, filetime(t));
    }
    Ok(o.done())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapi::pim::task as read;
    use crate::pim::{Class, Frequency, RRule, Weekday};

    #[test]
    fn tasks_notes_and_journal_entries_read_back() {
        let mut rule = RRule::new(Frequency::Monthly);
        rule.by_day = vec![(Some(-1), Weekday::Friday)];
        rule.until = Some(When::Date(Date::new(2025, 12, 26)));
        let t = Task {
            uid: "t-1".into(),
            summary: Some("Präsentation – 50%".into()),
            description: Some("Folien 1-10 fertig.".into()),
            start: Some(When::Date(Date::new(2025, 3, 1))),
            due: Some(When::Date(Date::new(2025, 3, 20))),
            completed: Some(1_742_428_800),
            status: Some(TaskStatus::InProcess),
            percent_complete: Some(50),
            priority: Some(1),
            categories: vec!["Projekt X".into()],
            class: Some(Class::Confidential),
            rrule: Some(rule),
            created: Some(1_740_000_000),
            last_modified: Some(1_740_000_060),
        };
        let conv = task(&t).unwrap();
        assert!(conv.not_kept.is_empty(), "{:?}", conv.not_kept);
        let m = &conv.message;
        assert_eq!(m.props.lid(lid::PERCENT_COMPLETE), Some(&PropValue::F64(0.5)));
        let blob = m.props.lid(lid::TASK_RECURRENCE).and_then(PropValue::as_bytes).unwrap();
        let p = RecurrencePattern::parse(blob).unwrap();
        assert_eq!(p.specific, crate::mapi::pim::recur::PatternSpecific::MonthNth { days: 0x20, nth: 5 });
        assert_eq!(read::task(m, "t-1".into()), t);
        let mut c = t.clone();
        c.status = Some(TaskStatus::Cancelled);
        c.priority = Some(3);
        assert_eq!(task(&c).unwrap().not_kept.len(), 2);

        let n = Note {
            uid: "n-1".into(),
            summary: Some("会议要点".into()),
            description: Some("会议要点\n1. 预算".into()),
            dtstart: Some(When::Utc(1_741_000_000)),
            categories: vec!["Projekt X".into()],
            created: Some(1_741_000_000),
            last_modified: Some(1_741_000_100),
        };
        let conv = note(&n).unwrap();
        assert_eq!(conv.message.props.lid(lid::NOTE_COLOR), Some(&PropValue::I32(3)));
        assert_eq!(read::note(&conv.message, "n-1".into()), n);

        let j = Journal {
            uid: "j-1".into(),
            summary: Some("Telefonat".into()),
            description: Some("Angebot besprochen.".into()),
            dtstart: Some(When::Utc(1_741_597_200)),
            categories: vec!["Geschäftlich".into(), "Phone call".into()],
            created: Some(1_741_597_000),
            last_modified: None,
        };
        let conv = journal(&j).unwrap();
        let m = &conv.message;
        assert_eq!(m.props.lid(lid::LOG_TYPE), Some(&PropValue::Unicode("Phone call".into())));
        assert_eq!(m.props.name(tags::name::KEYWORDS), Some(&PropValue::MvUnicode(vec!["Geschäftlich".into()])));
        assert_eq!(read::journal(m, "j-1".into()), j);
    }
}
