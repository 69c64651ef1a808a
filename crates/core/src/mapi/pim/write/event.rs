//! `Event` as IPM.Appointment ([MS-OXOCAL]), the inverse of
//! [`crate::mapi::pim::appointment`]: times, time-zone blobs, people,
//! the recurrence blob and one exception attachment per modified
//! occurrence.

use super::{filetime, midnight, recipient, Out};
use crate::mapi::inbound::Converted;
use crate::mapi::pim::recur::{
    aro, minutes_of, minutes_of_day, AppointmentRecurrencePattern, ExceptionInfo, RecurrencePattern,
};
use crate::mapi::pim::tz::{serialize_tzstruct, TzDefinition, TzReg};
use crate::mapi::tags::{self, lid};
use crate::mapi::{AttachContent, Attachment, Message, PropBag, PropValue};
use crate::pim::{Attendee, BusyStatus, Date, DateTime, Event, PartStat, Role, TimeZone, When};

/// The class id Global Object IDs begin with ([MS-OXOCAL] 2.2.1.27).
const GOID_CLASS: [u8; 16] =
    [0x04, 0x00, 0x00, 0x00, 0x82, 0x00, 0xE0, 0x00, 0x74, 0xC5, 0xB7, 0x10, 0x1A, 0x82, 0xE0, 0x08];

/// The Global Object ID of `uid`: the id itself when the UID is the
/// upper-case hex of one (what the reader makes of Outlook's), else the
/// "vCal-Uid" form that carries the UID ([MS-OXCICAL] 2.1.3.1.1.20.26).
pub(crate) fn global_object_id(uid: &str) -> Vec<u8> {
    let is_hex = uid.len() >= 2 * 40
        && uid.len().is_multiple_of(2)
        && uid.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b));
    if is_hex {
        let b: Vec<u8> =
            (0..uid.len()).step_by(2).filter_map(|i| u8::from_str_radix(&uid[i..i + 2], 16).ok()).collect();
        if b.len() * 2 == uid.len() && b[..16] == GOID_CLASS && b[16..20] == [0, 0, 0, 0] {
            return b;
        }
    }
    let mut data = b"vCal-Uid\x01\x00\x00\x00".to_vec();
    data.extend_from_slice(uid.as_bytes());
    data.push(0);
    let mut b = GOID_CLASS.to_vec();
    b.extend_from_slice(&[0; 4]); // instance date: the series
    b.extend_from_slice(&[0; 8]); // creation time
    b.extend_from_slice(&[0; 8]); // reserved
    b.extend_from_slice(&(data.len() as u32).to_le_bytes());
    b.extend_from_slice(&data);
    b
}

/// The zones of an item: where its times are read.
struct Zones<'a> {
    start: Option<&'a TimeZone>,
    end: Option<&'a TimeZone>,
}

fn zone_named<'a>(ev: &'a Event, tzid: &str) -> Option<&'a TimeZone> {
    ev.timezones.iter().find(|z| z.tzid == tzid)
}

/// A time as a UTC instant (a date: its midnight in `zone`).
fn utc_of(w: &When, zone: Option<&TimeZone>, ev: &Event, o: &mut Out) -> i64 {
    match w {
        When::Utc(t) => *t,
        When::Date(d) => {
            let t = DateTime { date: *d, ..DateTime::default() };
            zone.map_or_else(|| t.unix_if_utc(), |z| z.utc_from_local(&t))
        }
        When::Local { time, tzid } => match zone_named(ev, tzid) {
            Some(z) => z.utc_from_local(time),
            None => {
                o.not_kept(if tzid.is_empty() {
                    "a floating time (no zone), written as UTC".to_string()
                } else {
                    format!("the time zone {tzid}, which the item does not define (its times written as UTC)")
                });
                time.unix_if_utc()
            }
        },
    }
}

/// A time as wall-clock time in `zone` (UTC without one).
fn local_of(w: &When, zone: Option<&TimeZone>) -> DateTime {
    match w {
        When::Local { time, .. } => *time,
        When::Date(d) => DateTime { date: *d, ..DateTime::default() },
        When::Utc(t) => match zone {
            Some(z) => z.local_from_utc(*t),
            None => {
                let c = crate::time::Civil::from_unix(*t);
                DateTime::new(c.year as i32, c.month as u8, c.day as u8, c.hour as u8, c.minute as u8, c.second as u8)
            }
        },
    }
}

fn busy_value(b: BusyStatus) -> i32 {
    match b {
        BusyStatus::Free => 0,
        BusyStatus::Tentative => 1,
        BusyStatus::Busy => 2,
        BusyStatus::OutOfOffice => 3,
        BusyStatus::WorkingElsewhere => 4,
    }
}

/// An attendee's row: PidTagRecipientType by role (required To, optional
/// Cc, non-participant Bcc as Outlook's resources), PidTagRecipientTrackStatus
/// by answer ([MS-OXOCAL] 2.2.4.10.2), recipSendable.
fn attendee_row(a: &Attendee, o: &mut Out) -> PropBag {
    let kind = match a.role {
        Role::Required => 1,
        Role::Optional => 2,
        Role::NonParticipant => 3,
        Role::Chair => {
            o.not_kept(format!("the CHAIR role of {} (written as required)", a.email));
            1
        }
    };
    let mut r = recipient(a.name.as_deref(), &a.email, kind);
    r.tagged.insert(tags::RECIPIENT_FLAGS, PropValue::I32(1));
    let track = match a.partstat {
        PartStat::NeedsAction => 0,
        PartStat::Tentative => 2,
        PartStat::Accepted => 3,
        PartStat::Declined => 4,
    };
    r.tagged.insert(tags::RECIPIENT_TRACK_STATUS, PropValue::I32(track));
    r
}

/// Reminder properties: PidLidReminderSet, PidLidReminderDelta, and the
/// times Outlook fires it at.
fn reminder(o: &mut Out, minutes: Option<i64>, start: Option<i64>) {
    o.lid(lid::REMINDER_SET, PropValue::Bool(minutes.is_some()));
    if let Some(m) = minutes {
        o.lid(lid::REMINDER_DELTA, PropValue::I32(m.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32));
        if let Some(s) = start {
            o.lid(lid::REMINDER_TIME, filetime(s));
            o.lid(lid::REMINDER_SIGNAL_TIME, filetime(s.saturating_sub(m.saturating_mul(60))));
        }
    }
}

/// An event as IPM.Appointment.
///
/// - Times: PidLidAppointmentStartWhole/EndWhole (UTC) and their copies
///   (PidLidCommonStart/End, PidLidClipStart/End, the duration); an
///   all-day event (PidLidAppointmentSubType) from local midnight to local
///   midnight.
/// - Zones: a single item's start and end zones as
///   PidLidAppointmentTimeZoneDefinitionStartDisplay / EndDisplay; a
///   series' zone as PidLidAppointmentTimeZoneDefinitionRecur,
///   PidLidTimeZoneStruct and PidLidTimeZoneDescription as well, all with
///   the TZID as key name, so the reader names the zone as it was.
/// - People: the organizer as the first recipient row (recipOrganizer), the
///   attendees after it; asfMeeting when there is anyone.
/// - Recurrence: PidLidAppointmentRecur from the RRULE
///   ([`RecurrencePattern::from_rule`]), EXDATEs and modified occurrences
///   in DeletedInstanceDates / ModifiedInstanceDates, each override an
///   ExceptionInfo with what differs from the master (subject, location,
///   busy status, reminder, all-day), and an exception attachment
///   ([MS-OXOCAL] 2.2.10.1) with its body and attendees.
/// - What MAPI has no place for is listed as not kept: RDATEs, a rule
///   Outlook's patterns cannot state (the item is then a single
///   appointment), a RECURRENCE-ID of an override passed alone, fields of
///   an override that only its master can hold (categories, class ...).
pub fn event(ev: &Event) -> Result<Converted, String> {
    let mut o = Out::new("IPM.Appointment", &ev.uid);
    let goid = global_object_id(&ev.uid);
    o.lid(lid::GLOBAL_OBJECT_ID, PropValue::Binary(goid.clone().into()));
    o.lid(lid::CLEAN_GLOBAL_OBJECT_ID, PropValue::Binary(goid.into()));
    o.subject(ev.summary.as_deref());
    o.lid_text(lid::LOCATION, ev.location.as_deref());
    o.text(tags::BODY, ev.description.as_deref());
    o.common(&ev.categories, ev.class, ev.created, ev.last_modified);
    if let Some(s) = ev.sequence {
        o.lid(lid::APPOINTMENT_SEQUENCE, PropValue::I32(s.min(i32::MAX as u32) as i32));
    }
    if let Some(b) = ev.busy {
        o.lid(lid::BUSY_STATUS, PropValue::I32(busy_value(b)));
    }

    let all_day = ev.all_day || matches!(ev.start, Some(When::Date(_)));
    if all_day != ev.all_day {
        o.not_kept("a date-valued start on an event not marked all-day (written as all-day)");
    }
    let tz_of = |w: &Option<When>| match w {
        Some(When::Local { tzid, .. }) => zone_named(ev, tzid),
        _ => None,
    };
    let start_zone = tz_of(&ev.start).or_else(|| if all_day { ev.timezones.first() } else { None });
    let end_zone = tz_of(&ev.end).or_else(|| if all_day { ev.timezones.get(1).or(start_zone) } else { None });
    let recurring = ev.rrule.is_some();
    let zones = Zones { start: start_zone, end: if recurring { start_zone } else { end_zone } };
    if recurring && end_zone.map(|z| &z.tzid) != start_zone.map(|z| &z.tzid) && end_zone.is_some() {
        o.not_kept("an end time zone of a recurring event other than its start's");
    }

    let start = ev.start.as_ref().map(|w| utc_of(w, zones.start, ev, &mut o));
    let end = ev.end.as_ref().map(|w| utc_of(w, zones.end, ev, &mut o)).or(start);
    if let Some(s) = start {
        o.lid(lid::APPOINTMENT_START_WHOLE, filetime(s));
        o.lid(lid::COMMON_START, filetime(s));
        o.lid(lid::CLIP_START, filetime(s));
    }
    if let Some(e) = end {
        o.lid(lid::APPOINTMENT_END_WHOLE, filetime(e));
        o.lid(lid::COMMON_END, filetime(e));
        if !recurring {
            o.lid(lid::CLIP_END, filetime(e));
        }
    }
    if let (Some(s), Some(e)) = (start, end) {
        o.lid(
            lid::APPOINTMENT_DURATION,
            PropValue::I32((e.saturating_sub(s) / 60).clamp(0, i64::from(i32::MAX)) as i32),
        );
    }
    o.lid(lid::APPOINTMENT_SUB_TYPE, PropValue::Bool(all_day));
    reminder(&mut o, ev.reminder_minutes, start);

    // Zones.
    if let Some(z) = zones.start {
        let def = TzDefinition::from_zone(z, 1601).serialize();
        o.lid(lid::APPOINTMENT_TIME_ZONE_DEFINITION_START_DISPLAY, PropValue::Binary(def.clone().into()));
        if recurring {
            o.lid(lid::APPOINTMENT_TIME_ZONE_DEFINITION_RECUR, PropValue::Binary(def.into()));
            o.lid(lid::TIME_ZONE_STRUCT, PropValue::Binary(serialize_tzstruct(&TzReg::from_zone(z)).into()));
            o.lid(lid::TIME_ZONE_DESCRIPTION, PropValue::Unicode(z.tzid.clone()));
        }
    }
    if let Some(z) = zones.end.or(zones.start) {
        let def = TzDefinition::from_zone(z, 1601).serialize();
        o.lid(lid::APPOINTMENT_TIME_ZONE_DEFINITION_END_DISPLAY, PropValue::Binary(def.into()));
    }

    // People.
    let meeting = ev.organizer.is_some() || !ev.attendees.is_empty();
    if let Some(org) = &ev.organizer {
        let mut r = recipient(org.name.as_deref(), &org.email, 1);
        r.tagged.insert(tags::RECIPIENT_FLAGS, PropValue::I32(3));
        r.tagged.insert(tags::RECIPIENT_TRACK_STATUS, PropValue::I32(0));
        o.msg.recipients.push(r);
        // The organizer sent the meeting: sender and sent-representing.
        for (name, addr_type, email, smtp) in [
            (
                tags::SENT_REPRESENTING_NAME,
                tags::SENT_REPRESENTING_ADDRESS_TYPE,
                tags::SENT_REPRESENTING_EMAIL_ADDRESS,
                tags::SENT_REPRESENTING_SMTP_ADDRESS,
            ),
            (tags::SENDER_NAME, tags::SENDER_ADDRESS_TYPE, tags::SENDER_EMAIL_ADDRESS, tags::SENDER_SMTP_ADDRESS),
        ] {
            o.text(name, org.name.as_deref());
            if !org.email.is_empty() {
                o.tag(addr_type, PropValue::Unicode("SMTP".into()));
                o.tag(email, PropValue::Unicode(org.email.clone()));
                o.tag(smtp, PropValue::Unicode(org.email.clone()));
            }
        }
    }
    for a in &ev.attendees {
        let r = attendee_row(a, &mut o);
        o.msg.recipients.push(r);
    }
    // The display lists Outlook shows: required To, optional Cc,
    // resources Bcc, as PidTagRecipientType files them.
    for (tag, role) in [
        (tags::DISPLAY_TO, Role::Required),
        (tags::DISPLAY_CC, Role::Optional),
        (tags::DISPLAY_BCC, Role::NonParticipant),
    ] {
        let names: Vec<&str> = ev
            .attendees
            .iter()
            .filter(|a| a.role == role || (role == Role::Required && a.role == Role::Chair))
            .map(|a| a.name.as_deref().unwrap_or(&a.email))
            .collect();
        o.tag(tag, PropValue::Unicode(names.join("; ")));
    }
    o.lid(lid::APPOINTMENT_STATE_FLAGS, PropValue::I32(i32::from(meeting)));

    if ev.recurrence_id.is_some() {
        o.not_kept("the RECURRENCE-ID of an occurrence written without its series (written as a single appointment)");
    }
    if !ev.rdates.is_empty() {
        o.not_kept(format!("{} RDATE extra occurrences (Outlook's recurrence has none)", ev.rdates.len()));
    }
    match (&ev.rrule, start, end) {
        (Some(rule), Some(s), Some(e)) => {
            if let Err(why) = series(&mut o, ev, rule, zones.start, all_day, s, e) {
                o.not_kept(format!("the recurrence rule ({why}): written as its first occurrence"));
                o.lid(lid::RECURRING, PropValue::Bool(false));
            }
        }
        (Some(_), ..) => o.not_kept("a recurrence rule without a start: written as a single appointment"),
        (None, ..) => {
            o.lid(lid::RECURRING, PropValue::Bool(false));
            if !ev.overrides.is_empty() {
                o.not_kept(format!(
                    "{} modified occurrences of an event without a recurrence rule",
                    ev.overrides.len()
                ));
            }
            if !ev.exdates.is_empty() {
                o.not_kept("EXDATEs of an event without a recurrence rule");
            }
        }
    }
    Ok(o.done())
}

/// PidLidAppointmentRecur, the recurrence flags and the exception
/// attachments of a series starting at `start` (UTC) and ending, in its
/// first occurrence, at `end`.
fn series(
    o: &mut Out,
    ev: &Event,
    rule: &crate::pim::RRule,
    zone: Option<&TimeZone>,
    all_day: bool,
    start: i64,
    end: i64,
) -> Result<(), String> {
    let first = zone.map_or_else(|| local_of(&When::Utc(start), None), |z| z.local_from_utc(start));
    let first = if all_day {
        DateTime { date: local_of(ev.start.as_ref().expect("a start"), zone).date, ..DateTime::default() }
    } else {
        first
    };
    let start_offset = u32::from(first.hour) * 60 + u32::from(first.minute);
    // The last day an instance may fall on: UNTIL's local day, the day
    // before when UNTIL is earlier in the day than the series' start.
    let until = rule.until.as_ref().map(|u| {
        let l = match u {
            When::Date(d) => return *d,
            When::Local { time, .. } => *time,
            When::Utc(t) => local_of(&When::Utc(*t), zone),
        };
        if all_day || (u32::from(l.hour) * 60 + u32::from(l.minute)) >= start_offset {
            l.date
        } else {
            prev_day(l.date)
        }
    });
    let mut pattern = RecurrencePattern::from_rule(rule, first.date, until)?;
    let local_minutes = |w: &When| minutes_of(&local_of(w, zone));
    // EXDATEs: their days ([MS-OXOCAL] 2.2.1.44.1 DeletedInstanceDates).
    let mut deleted: Vec<u32> = ev.exdates.iter().map(|w| day_minutes(&local_of(w, zone).date)).collect();
    let mut modified = Vec::new();
    let mut exceptions = Vec::new();
    let mut attachments = Vec::new();
    for ov in &ev.overrides {
        let Some(rid) = &ov.recurrence_id else {
            o.not_kept("an override without a RECURRENCE-ID");
            continue;
        };
        let mut original = local_of(rid, zone);
        if matches!(rid, When::Date(_)) {
            original.hour = first.hour;
            original.minute = first.minute;
        }
        let ov_start = ov.start.clone().unwrap_or_else(|| rid.clone());
        let ov_end = ov.end.clone().unwrap_or_else(|| ov_start.clone());
        let (s_local, e_local) = (local_of(&ov_start, zone), local_of(&ov_end, zone));
        let mut e = ExceptionInfo {
            start: local_minutes(&ov_start),
            end: local_minutes(&ov_end).max(local_minutes(&ov_start)),
            original_start: minutes_of(&original),
            change_highlight: Some(0),
            ..ExceptionInfo::default()
        };
        if ov.summary != ev.summary {
            match &ov.summary {
                Some(s) => {
                    e.override_flags |= aro::SUBJECT;
                    e.subject = Some(s.clone());
                }
                None => o.not_kept("an occurrence without the subject its series has"),
            }
        }
        if ov.location != ev.location {
            match &ov.location {
                Some(l) => {
                    e.override_flags |= aro::LOCATION;
                    e.location = Some(l.clone());
                }
                None => o.not_kept("an occurrence without the location its series has"),
            }
        }
        if ov.busy != ev.busy {
            if let Some(b) = ov.busy {
                e.override_flags |= aro::BUSYSTATUS;
                e.busy_status = Some(busy_value(b) as u32);
            }
        }
        if ov.reminder_minutes != ev.reminder_minutes {
            e.override_flags |= aro::REMINDER;
            e.reminder_set = Some(ov.reminder_minutes.is_some());
            if let Some(m) = ov.reminder_minutes {
                e.override_flags |= aro::REMINDERDELTA;
                e.reminder_delta = Some(m.clamp(0, i64::from(u32::MAX)) as u32);
            }
        }
        if ov.all_day != ev.all_day {
            e.override_flags |= aro::SUBTYPE;
            e.sub_type = Some(u32::from(ov.all_day));
        }
        let body_differs = ov.description != ev.description;
        if body_differs {
            e.override_flags |= aro::EXCEPTIONAL_BODY;
            if ov.description.is_none() {
                o.not_kept("an occurrence without the description its series has");
            }
        }
        let people_differ = ov.attendees != ev.attendees;
        if people_differ && ov.attendees.is_empty() {
            o.not_kept("an occurrence without the attendees its series has");
        }
        for (what, differs) in [
            ("categories", ov.categories != ev.categories),
            ("class", ov.class != ev.class),
            ("organizer", ov.organizer != ev.organizer),
            ("sequence", ov.sequence != ev.sequence),
            ("creation time", ov.created != ev.created),
            ("modification time", ov.last_modified != ev.last_modified),
            ("RRULE, EXDATE, RDATE", ov.rrule.is_some() || !ov.exdates.is_empty() || !ov.rdates.is_empty()),
        ] {
            if differs {
                o.not_kept(format!("the {what} of a modified occurrence (an occurrence has its series')"));
            }
        }
        if ov.uid != ev.uid {
            o.not_kept("an occurrence's UID other than its series'");
        }
        deleted.push(day_minutes(&original.date));
        modified.push(day_minutes(&s_local.date));

        // The exception attachment (2.2.10.1.1) and its embedded message
        // (2.2.10.2): the occurrence as an appointment of its own.
        let replaced = zone.map_or_else(|| original.unix_if_utc(), |z| z.utc_from_local(&original));
        let (ov_s, ov_e) = (
            zone.map_or_else(|| s_local.unix_if_utc(), |z| z.utc_from_local(&s_local)),
            zone.map_or_else(|| e_local.unix_if_utc(), |z| z.utc_from_local(&e_local)),
        );
        let mut x = Out { msg: Message::default(), not_kept: Vec::new(), lost: Vec::new() };
        x.tag(tags::MESSAGE_CLASS, PropValue::Unicode("IPM.OLE.CLASS.{00061055-0000-0000-C000-000000000046}".into()));
        x.subject(ov.summary.as_deref());
        x.lid_text(lid::LOCATION, ov.location.as_deref());
        if body_differs {
            x.text(tags::BODY, ov.description.as_deref());
        }
        x.lid(lid::FEXCEPTIONAL_BODY, PropValue::Bool(body_differs));
        x.lid(lid::APPOINTMENT_START_WHOLE, filetime(ov_s));
        x.lid(lid::APPOINTMENT_END_WHOLE, filetime(ov_e));
        x.lid(lid::EXCEPTION_REPLACE_TIME, filetime(replaced));
        x.lid(lid::APPOINTMENT_SUB_TYPE, PropValue::Bool(ov.all_day));
        if let Some(b) = ov.busy {
            x.lid(lid::BUSY_STATUS, PropValue::I32(busy_value(b)));
        }
        reminder(&mut x, ov.reminder_minutes, Some(ov_s));
        if people_differ {
            for a in &ov.attendees {
                let r = attendee_row(a, o);
                x.msg.recipients.push(r);
            }
        }
        let mut p = PropBag::default();
        let fmt_local = |t: &DateTime| filetime(t.unix_if_utc());
        p.tagged.insert(tags::ATTACH_METHOD, PropValue::I32(5));
        p.tagged
            .insert(tags::DISPLAY_NAME, PropValue::Unicode(ov.summary.clone().unwrap_or_else(|| "Untitled".into())));
        p.tagged.insert(tags::RENDERING_POSITION, PropValue::I32(-1));
        p.tagged.insert(tags::ATTACHMENT_HIDDEN, PropValue::Bool(true));
        // PidTagAttachmentFlags: afException.
        p.tagged.insert(0x7FFD, PropValue::I32(2));
        p.tagged.insert(tags::EXCEPTION_REPLACE_TIME, filetime(replaced));
        p.tagged.insert(tags::EXCEPTION_START_TIME, fmt_local(&s_local));
        p.tagged.insert(tags::EXCEPTION_END_TIME, fmt_local(&e_local));
        attachments.push((e.start, Attachment { props: p, content: AttachContent::Embedded(Box::new(x.msg)) }));
        exceptions.push(e);
    }
    // Outlook keeps the exceptions in the order of their new starts, as
    // ModifiedInstanceDates is.
    let mut pairs: Vec<(ExceptionInfo, (u32, Attachment))> = exceptions.into_iter().zip(attachments).collect();
    pairs.sort_by_key(|(e, _)| (e.start, e.original_start));
    let (exceptions, attachments): (Vec<ExceptionInfo>, Vec<(u32, Attachment)>) = pairs.into_iter().unzip();
    deleted.sort_unstable();
    deleted.dedup();
    modified.sort_unstable();
    pattern.deleted_instance_dates = deleted;
    pattern.modified_instance_dates = modified;
    let duration = (end.saturating_sub(start) / 60).clamp(0, i64::from(u32::MAX / 2)) as u32;
    let arp = AppointmentRecurrencePattern {
        pattern,
        reader_version2: 0x3006,
        writer_version2: 0x3009,
        start_time_offset: start_offset,
        end_time_offset: start_offset.saturating_add(duration),
        exceptions,
    };
    o.lid(lid::APPOINTMENT_RECUR, PropValue::Binary(arp.serialize().into()));
    o.lid(lid::RECURRENCE_PATTERN, PropValue::Unicode(recurrence_text(&arp, all_day)));
    o.lid(lid::RECURRING, PropValue::Bool(true));
    // The series' end, for PidLidClipEnd: its last day, or none.
    let clip_end = match arp.pattern.end_type {
        crate::mapi::pim::recur::EndType::Never => None,
        _ => Some(minutes_to_unix(arp.pattern.end_date)),
    };
    let clip_end = clip_end.unwrap_or_else(|| midnight(Date::new(4500, 8, 31)) + 23 * 3600 + 59 * 60);
    o.lid(lid::CLIP_END, filetime(clip_end));
    for (_, a) in attachments {
        o.msg.attachments.push(a);
    }
    Ok(())
}

/// PidLidRecurrencePattern ([MS-OXOCAL] 2.2.1.46): the series in words,
/// as Outlook's English forms put it ("every Monday and Thursday effective
/// 3/3/2025 until 4/30/2025 from 9:00 AM to 9:15 AM"), for the clients
/// that show the text rather than decode the blob.
fn recurrence_text(a: &AppointmentRecurrencePattern, all_day: bool) -> String {
    use crate::mapi::pim::recur::{weekdays_from_mask, EndType, LocalTime, PatternSpecific, RecurFrequency};
    const DAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let p = &a.pattern;
    let days = |mask: u32| {
        let names: Vec<&str> = weekdays_from_mask(mask).into_iter().map(|d| DAYS[d as usize]).collect();
        match names.split_last() {
            None => String::new(),
            Some((last, [])) => (*last).to_string(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        }
    };
    let nth =
        |n: u32| ["first", "second", "third", "fourth"].get(n.wrapping_sub(1) as usize).copied().unwrap_or("last");
    let start = LocalTime::from_minutes(p.start_date);
    let month = MONTHS[(start.month.clamp(1, 12) - 1) as usize];
    let yearly = p.frequency == RecurFrequency::Yearly;
    let years = (p.period / 12).max(1);
    let months = p.period.max(1);
    let mut s = match p.specific {
        PatternSpecific::None => match (p.period / 1440).max(1) {
            1 => "every day".to_string(),
            n => format!("every {n} days"),
        },
        PatternSpecific::Week { days: m } if p.period <= 1 => format!("every {}", days(m)),
        PatternSpecific::Week { days: m } => format!("every {} weeks on {}", p.period, days(m)),
        PatternSpecific::Month { day } if yearly => {
            let day = if p.pattern_type == crate::mapi::pim::recur::PatternType::MonthEnd { 31 } else { day };
            if years == 1 {
                format!("every {month} {day}")
            } else {
                format!("every {years} years on {month} {day}")
            }
        }
        PatternSpecific::MonthNth { days: m, nth: n } if yearly => {
            let every = if years == 1 { String::new() } else { format!(" every {years} years") };
            format!("the {} {} of {month}{every}", nth(n), days(m))
        }
        PatternSpecific::Month { .. } if p.pattern_type == crate::mapi::pim::recur::PatternType::MonthEnd => {
            format!("the last day of every {months} month(s)")
        }
        PatternSpecific::Month { day } => format!("day {day} of every {months} month(s)"),
        PatternSpecific::MonthNth { days: m, nth: n } => {
            format!("the {} {} of every {months} month(s)", nth(n), days(m))
        }
    };
    let date = |t: LocalTime| format!("{}/{}/{}", t.month, t.day, t.year);
    s.push_str(&format!(" effective {}", date(start)));
    match p.end_type {
        EndType::AfterDate => s.push_str(&format!(" until {}", date(LocalTime::from_minutes(p.end_date)))),
        EndType::AfterCount => s.push_str(&format!(" for {} occurrences", p.occurrence_count)),
        _ => {}
    }
    if !all_day {
        let clock = |m: u32| {
            let (h, mi) = ((m / 60) % 24, m % 60);
            let h12 = if h % 12 == 0 { 12 } else { h % 12 };
            format!("{h12}:{mi:02} {}", if h < 12 { "AM" } else { "PM" })
        };
        s.push_str(&format!(" from {} to {}", clock(a.start_time_offset), clock(a.end_time_offset)));
    }
    s
}

fn day_minutes(d: &Date) -> u32 {
    minutes_of_day(d.year, u32::from(d.month), u32::from(d.day))
}

fn minutes_to_unix(m: u32) -> i64 {
    (i64::from(m) - 11_644_473_600 / 60) * 60
}

fn prev_day(d: Date) -> Date {
    let days = crate::time::days_from_civil(i64::from(d.year), u32::from(d.month), u32::from(d.day)) - 1;
    When::Utc(days * 86_400).date()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapi::pim::appointment as read;
    use crate::pim::{Frequency, Person, RRule, Transition, Weekday, ZoneRule};

    fn berlin() -> TimeZone {
        TimeZone {
            tzid: "W. Europe Standard Time".into(),
            standard: ZoneRule {
                offset_from: 120,
                offset_to: 60,
                start: DateTime::new(1601, 10, 28, 3, 0, 0),
                transition: Some(Transition { month: 10, nth: -1, weekday: Weekday::Sunday }),
            },
            daylight: Some(ZoneRule {
                offset_from: 60,
                offset_to: 120,
                start: DateTime::new(1601, 3, 25, 2, 0, 0),
                transition: Some(Transition { month: 3, nth: -1, weekday: Weekday::Sunday }),
            }),
        }
    }

    fn at(y: i32, mo: u8, d: u8, h: u8, mi: u8) -> When {
        When::Local { time: DateTime::new(y, mo, d, h, mi, 0), tzid: "W. Europe Standard Time".into() }
    }

    fn weekly() -> Event {
        let mut rule = RRule::new(Frequency::Weekly);
        rule.by_day = vec![(None, Weekday::Monday), (None, Weekday::Wednesday), (None, Weekday::Friday)];
        rule.until = Some(When::Utc(DateTime::new(2025, 4, 30, 7, 0, 0).unix_if_utc()));
        let master = Event {
            uid: "weekly-1@example.org".into(),
            summary: Some("Stand-up".into()),
            location: Some("Raum 1".into()),
            description: Some("Täglich kurz.".into()),
            start: Some(at(2025, 3, 3, 9, 0)),
            end: Some(at(2025, 3, 3, 9, 15)),
            organizer: Some(Person { name: Some("Anna".into()), email: "anna@example.org".into() }),
            attendees: vec![
                Attendee {
                    name: Some("Bob".into()),
                    email: "bob@example.org".into(),
                    role: Role::Required,
                    partstat: PartStat::Accepted,
                },
                Attendee {
                    name: None,
                    email: "room@example.org".into(),
                    role: Role::NonParticipant,
                    partstat: PartStat::NeedsAction,
                },
            ],
            busy: Some(BusyStatus::Busy),
            reminder_minutes: Some(10),
            categories: vec!["Team".into()],
            class: Some(crate::pim::Class::Private),
            rrule: Some(rule),
            exdates: vec![at(2025, 3, 7, 9, 0), at(2025, 4, 2, 9, 0)],
            sequence: Some(2),
            created: Some(1_740_000_000),
            last_modified: Some(1_740_100_000),
            timezones: vec![berlin()],
            ..Event::default()
        };
        let mut moved = master.clone();
        moved.rrule = None;
        moved.exdates = Vec::new();
        moved.timezones = Vec::new();
        moved.recurrence_id = Some(at(2025, 3, 12, 9, 0));
        moved.start = Some(at(2025, 3, 12, 10, 30));
        moved.end = Some(at(2025, 3, 12, 11, 0));
        moved.summary = Some("Stand-up (verschoben) – 会议".into());
        moved.description = Some("Anderer Text".into());
        moved.attendees.truncate(1);
        moved.reminder_minutes = None;
        let mut other = master.clone();
        other.rrule = None;
        other.exdates = Vec::new();
        other.timezones = Vec::new();
        other.recurrence_id = Some(at(2025, 3, 31, 9, 0));
        other.start = Some(at(2025, 3, 31, 9, 0));
        other.end = Some(at(2025, 3, 31, 9, 45));
        other.location = Some("Raum 2".into());
        other.busy = Some(BusyStatus::Tentative);
        other.reminder_minutes = Some(30);
        Event { overrides: vec![moved, other], ..master }
    }

    #[test]
    fn recurring_meetings_read_back_as_written() {
        let ev = weekly();
        let conv = event(&ev).unwrap();
        assert!(conv.not_kept.is_empty(), "{:?}", conv.not_kept);
        let m = &conv.message;
        // The blob: weekly Mo/We/Fr, 09:00-09:15 local, until 30 April.
        let blob = m.props.lid(lid::APPOINTMENT_RECUR).and_then(PropValue::as_bytes).unwrap();
        let a = AppointmentRecurrencePattern::parse(blob).unwrap();
        assert_eq!((a.start_time_offset, a.end_time_offset), (540, 555));
        assert_eq!(a.pattern.specific, crate::mapi::pim::recur::PatternSpecific::Week { days: 0x2A });
        assert_eq!(a.pattern.occurrence_count, 26);
        assert_eq!(a.exceptions.len(), 2);
        assert_eq!(a.exceptions[0].override_flags, aro::SUBJECT | aro::REMINDER | aro::EXCEPTIONAL_BODY);
        assert_eq!(
            a.exceptions[1].override_flags,
            aro::LOCATION | aro::BUSYSTATUS | aro::REMINDER | aro::REMINDERDELTA
        );
        assert_eq!(a.pattern.deleted_instance_dates.len(), 4);
        assert_eq!(m.attachments.len(), 2);
        assert_eq!(
            m.props.lid(lid::RECURRENCE_PATTERN),
            Some(&PropValue::Unicode(
                "every Monday, Wednesday and Friday effective 3/3/2025 until 4/30/2025 from 9:00 AM to 9:15 AM".into()
            ))
        );
        assert_eq!(read::event(m, "fallback".into()), ev);
    }

    #[test]
    fn until_is_the_last_day_an_instance_starts_by() {
        // UNTIL as another writer puts it: the end of the last day in UTC
        // (01:59 on 1 May in Berlin) or a time before the series' 09:00.
        let last_day = |until: i64| {
            let mut ev = weekly();
            ev.overrides.clear();
            ev.rrule.as_mut().unwrap().until = Some(When::Utc(until));
            let m = event(&ev).unwrap().message;
            let blob = m.props.lid(lid::APPOINTMENT_RECUR).and_then(PropValue::as_bytes).unwrap();
            let p = AppointmentRecurrencePattern::parse(blob).unwrap().pattern;
            (crate::mapi::pim::recur::LocalTime::from_minutes(p.end_date).date(), p.occurrence_count)
        };
        assert_eq!(last_day(DateTime::new(2025, 4, 30, 23, 59, 59).unix_if_utc()), ((2025, 4, 30), 26));
        // (EndDate is the bound, 29 April; its last instance is on the 28th.)
        assert_eq!(last_day(DateTime::new(2025, 4, 30, 6, 0, 0).unix_if_utc()), ((2025, 4, 29), 25));
        assert_eq!(last_day(DateTime::new(2025, 4, 30, 7, 0, 0).unix_if_utc()), ((2025, 4, 30), 26));
    }

    #[test]
    fn extreme_values_are_written_without_panicking() {
        let mut rule = RRule::new(Frequency::Daily);
        rule.interval = u32::MAX;
        rule.count = Some(u32::MAX);
        for (s, e) in [(i64::MIN, i64::MAX), (i64::MAX, i64::MIN), (0, 0), (-50_000_000_000, 300_000_000_000)] {
            let mut ev = Event {
                uid: String::new(),
                start: Some(When::Utc(s)),
                end: Some(When::Utc(e)),
                reminder_minutes: Some(i64::MIN),
                rrule: Some(rule.clone()),
                exdates: vec![When::Utc(e), When::Date(Date::new(0, 0, 0))],
                ..Event::default()
            };
            ev.overrides.push(Event {
                recurrence_id: Some(When::Date(Date::new(i32::MAX, 13, 32))),
                start: Some(When::Utc(e)),
                reminder_minutes: Some(i64::MAX),
                ..Event::default()
            });
            let c = event(&ev).unwrap();
            let _ = read::event(&c.message, String::new());
            ev.all_day = true;
            ev.start = Some(When::Date(Date::new(i32::MIN, 0, 0)));
            ev.timezones = vec![berlin()];
            let c = event(&ev).unwrap();
            let _ = read::event(&c.message, String::new());
        }
        for freq in [Frequency::Weekly, Frequency::Monthly, Frequency::Yearly] {
            let mut r = RRule::new(freq);
            r.until = Some(When::Utc(i64::MAX));
            r.by_day = vec![(Some(-1), Weekday::Friday)];
            let ev = Event { start: Some(When::Utc(-11_644_473_600)), rrule: Some(r), ..Event::default() };
            let _ = read::event(&event(&ev).unwrap().message, String::new());
        }
    }

    #[test]
    fn single_all_day_and_zoneless_events_read_back() {
        // A single event in Berlin ending in another zone's time.
        let mut ny = berlin();
        ny.tzid = "Eastern Standard Time".into();
        ny.standard.offset_from = -240;
        ny.standard.offset_to = -300;
        let d = ny.daylight.as_mut().unwrap();
        d.offset_from = -300;
        d.offset_to = -240;
        let ev = Event {
            uid: "040000008200E00074C5B7101A82E00800000000000000000000000000000000000000000000000001000000AB".into(),
            summary: Some("Flug".into()),
            start: Some(at(2025, 6, 1, 10, 0)),
            end: Some(When::Local { time: DateTime::new(2025, 6, 1, 13, 0, 0), tzid: "Eastern Standard Time".into() }),
            timezones: vec![berlin(), ny],
            ..Event::default()
        };
        let conv = event(&ev).unwrap();
        let goid = conv.message.props.lid(lid::GLOBAL_OBJECT_ID).and_then(PropValue::as_bytes).unwrap();
        assert_eq!(goid.len(), 45);
        assert_eq!(read::event(&conv.message, "x".into()), ev);
        // All day, in UTC, with a yearly rule counted 5 times.
        let mut rule = RRule::new(Frequency::Yearly);
        rule.by_month = vec![4];
        rule.by_month_day = vec![1];
        rule.count = Some(5);
        let ev = Event {
            uid: "jubilaeum".into(),
            summary: Some("Firmenjubiläum".into()),
            start: Some(When::Date(Date::new(2025, 4, 1))),
            end: Some(When::Date(Date::new(2025, 4, 2))),
            all_day: true,
            busy: Some(BusyStatus::Free),
            rrule: Some(rule),
            ..Event::default()
        };
        let conv = event(&ev).unwrap();
        assert!(conv.not_kept.is_empty(), "{:?}", conv.not_kept);
        assert_eq!(read::event(&conv.message, "x".into()), ev);
        // What MAPI cannot hold is said.
        let mut odd = ev.clone();
        odd.rdates = vec![When::Date(Date::new(2025, 5, 5))];
        odd.rrule.as_mut().unwrap().by_month = vec![4, 5];
        let conv = event(&odd).unwrap();
        assert_eq!(conv.not_kept.len(), 2, "{:?}", conv.not_kept);
        assert_eq!(read::event(&conv.message, "x".into()).rrule, None);
    }
}
