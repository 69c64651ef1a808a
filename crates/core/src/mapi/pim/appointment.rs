//! Appointments and meetings ([MS-OXOCAL], `IPM.Appointment` and the
//! `IPM.Schedule.Meeting.*` items kept in calendars) mapped onto core's
//! neutral [`Event`] (`VEVENT`), the way [MS-OXCICAL] exports them.
//!
//! The mapper never fails: a missing or odd property leaves its field
//! empty, a damaged time-zone blob leaves the times in UTC, and a damaged
//! recurrence blob leaves a single event (the item is still worth
//! exporting).

use crate::pim::{Attendee, BusyStatus, Date, DateTime, Event, PartStat, Person, Role, TimeZone, When};

use super::contact::parse_one_off;
use super::recur::{AppointmentRecurrencePattern, LocalTime};
use super::task::rrule_from;
use super::tz::{offset_name, parse_tzstruct, zone, TzDefinition, TzReg};
use super::{appointment_recurrence, body, categories, class, non_empty};
use crate::mapi::tags::{self, lid, Lid};
use crate::mapi::{filetime_to_unix, string8_lossy, Message, PropBag, PropValue};

/// `recipOrganizer` in PidTagRecipientFlags.
const RECIP_ORGANIZER: i64 = 0x0002;
/// `asfMeeting` in PidLidAppointmentStateFlags.
const ASF_MEETING: i64 = 0x0001;

/// The zone an item's times are shown in, with the tzid it is written as.
#[derive(Debug, Clone)]
struct Zone(TimeZone);

/// Maps an appointment or meeting onto an [`Event`].
///
/// - UID: PidLidCleanGlobalObjectId, else PidLidGlobalObjectId with its
///   instance date (bytes 16-19) zeroed, as upper-case hex, the form
///   Outlook and Exchange export ([MS-OXCICAL] 2.1.3.1.1.20.26; a
///   "vCal-Uid" id gives back the UID it was imported with). Without one,
///   `uid_fallback`. Overrides share the master's UID.
/// - DTSTART/DTEND: PidLidAppointmentStartWhole/EndWhole (UTC), shown in
///   the item's zone: for a recurring item the zone of the series
///   (PidLidAppointmentTimeZoneDefinitionRecur, else PidLidTimeZoneStruct
///   named by PidLidTimeZoneDescription, when the two disagree the latter
///   as [MS-OXOCAL] 2.2.1.41 says), for a single item
///   PidLidAppointmentTimeZoneDefinitionStartDisplay / EndDisplay. The
///   TZID is the Windows key name ("W. Europe Standard Time"); a zone known
///   only from a TZSTRUCT is named by its description or offsets. Without
///   any zone the times are UTC.
/// - All-day (PidLidAppointmentSubType): DATE values, the local day of the
///   start and the (exclusive) local day of the end, each rounded to the
///   nearest midnight so a writer's stray hour does not move the day.
/// - LOCATION PidLidLocation, DESCRIPTION the plain body (else the RTF's
///   text), CATEGORIES the Keywords, CLASS from PidTagSensitivity (normal
///   PUBLIC, personal and private PRIVATE, confidential CONFIDENTIAL),
///   busy status PidLidBusyStatus, reminder PidLidReminderDelta when
///   PidLidReminderSet, SEQUENCE PidLidAppointmentSequence, CREATED and
///   LAST-MODIFIED PidTagCreationTime / PidTagLastModificationTime.
/// - ORGANIZER: the recipient row flagged recipOrganizer; for a meeting
///   (asfMeeting, or a meeting message class) without one, the
///   sent-representing (else sender) name and address, the SMTP address
///   preferred. A plain appointment gets none: RFC 5545 keeps ORGANIZER
///   for group-scheduled items.
/// - ATTENDEE: every other recipient row, role from PidTagRecipientType
///   (To required, Cc optional, Bcc, Outlook's resources, NON-PARTICIPANT)
///   and PARTSTAT from PidTagRecipientTrackStatus.
/// - Recurrence (PidLidAppointmentRecur): RRULE through [`rrule_from`],
///   UNTIL on the end date at the series' start time, converted to UTC
///   when DTSTART is zoned (a DATE for all-day items); EXDATE for each
///   deleted instance that was not moved; each modified instance an
///   override with the master's UID and the original start as
///   RECURRENCE-ID.
pub fn event(msg: &Message, uid_fallback: String) -> Event {
    let p = &msg.props;
    let recurrence = match appointment_recurrence(msg) {
        Some(Ok(a)) => Some(a),
        // A damaged blob costs the series, not the item.
        Some(Err(_)) | None => None,
    };
    let all_day = matches!(p.lid(lid::APPOINTMENT_SUB_TYPE), Some(v) if truthy(v));
    let (start_zone, end_zone) = if recurrence.is_some() {
        let z = series_zone(p).or_else(|| tzdef_zone(p, lid::APPOINTMENT_TIME_ZONE_DEFINITION_START_DISPLAY));
        (z.clone(), z)
    } else {
        let s = tzdef_zone(p, lid::APPOINTMENT_TIME_ZONE_DEFINITION_START_DISPLAY).or_else(|| tzstruct_zone(p));
        let e = tzdef_zone(p, lid::APPOINTMENT_TIME_ZONE_DEFINITION_END_DISPLAY).or_else(|| s.clone());
        (s, e)
    };
    // Different definitions must carry different tzids.
    let end_zone = match (&start_zone, end_zone) {
        (Some(Zone(s)), Some(Zone(mut e))) if s.tzid == e.tzid && *s != e => {
            e.tzid.push_str(" (end)");
            Some(Zone(e))
        }
        (_, e) => e,
    };
    let start_utc = lid_time(p, lid::APPOINTMENT_START_WHOLE);
    let end_utc = lid_time(p, lid::APPOINTMENT_END_WHOLE);
    let (start, end) = if all_day {
        let s = start_utc.map(|t| local_day(start_zone.as_ref(), t));
        let e = end_utc.map(|t| local_day(end_zone.as_ref(), t));
        let e = match (s, e) {
            (Some(s), Some(e)) if e <= s => Some(next_day(s)),
            (_, e) => e,
        };
        (s.map(When::Date), e.map(When::Date))
    } else {
        (start_utc.map(|t| shown(start_zone.as_ref(), t)), end_utc.map(|t| shown(end_zone.as_ref(), t)))
    };

    let reminder_set = matches!(p.lid(lid::REMINDER_SET), Some(v) if truthy(v));
    let reminder_delta = p.lid(lid::REMINDER_DELTA).and_then(|v| v.as_i64());
    let organizer_row =
        msg.recipients.iter().position(|r| r.int(tags::RECIPIENT_FLAGS).unwrap_or(0) & RECIP_ORGANIZER != 0);
    let is_meeting = p.lid(lid::APPOINTMENT_STATE_FLAGS).and_then(|v| v.as_i64()).unwrap_or(0) & ASF_MEETING != 0
        || msg.class().to_ascii_lowercase().starts_with("ipm.schedule.meeting");
    let organizer = match organizer_row {
        Some(i) => recipient_person(&msg.recipients[i]),
        None if is_meeting => sender_person(p),
        None => None,
    };
    let attendees = msg
        .recipients
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != organizer_row)
        .map(|(_, r)| attendee(r))
        .collect();

    let mut ev = Event {
        uid: global_uid(p).unwrap_or(uid_fallback),
        summary: non_empty(msg.subject()),
        location: lid_text(p, lid::LOCATION),
        description: body(p),
        start,
        end,
        all_day,
        organizer,
        attendees,
        busy: p.lid(lid::BUSY_STATUS).and_then(|v| v.as_i64()).and_then(busy),
        reminder_minutes: if reminder_set { Some(reminder_delta.unwrap_or(0)) } else { None },
        categories: categories(p),
        class: class(p),
        sequence: p.lid(lid::APPOINTMENT_SEQUENCE).and_then(|v| v.as_i64()).and_then(|v| u32::try_from(v).ok()),
        created: p.time(tags::CREATION_TIME),
        last_modified: p.time(tags::LAST_MODIFICATION_TIME),
        ..Event::default()
    };
    if let Some(a) = &recurrence {
        add_series(&mut ev, a, start_zone.as_ref(), reminder_delta, &exception_messages(msg));
    }
    for z in [&start_zone, &end_zone].into_iter().flatten() {
        if !ev.timezones.iter().any(|t| t.tzid == z.0.tzid) {
            ev.timezones.push(z.0.clone());
        }
    }
    ev
}

/// The exception attachments' embedded messages ([MS-OXOCAL] 2.2.10.1:
/// Outlook keeps one per modified occurrence, with what the recurrence
/// blob has no room for: the body, attendees, location when the blob has
/// none), by the UTC start of the occurrence each replaces.
fn exception_messages(msg: &Message) -> Vec<(i64, &Message)> {
    msg.attachments
        .iter()
        .filter_map(|a| {
            let crate::mapi::AttachContent::Embedded(e) = &a.content else {
                return None;
            };
            let replaces = lid_time(&e.props, lid::EXCEPTION_REPLACE_TIME)
                .or_else(|| a.props.time(tags::EXCEPTION_REPLACE_TIME))?;
            Some((replaces, &**e))
        })
        .collect()
}

/// RRULE, EXDATE and overrides from the recurrence blob, whose times are
/// local to the series' zone (UTC when it has none); each override takes
/// its body, location and attendees from its exception message when there
/// is one (`exceptions`, by the UTC start it replaces).
fn add_series(
    ev: &mut Event,
    a: &AppointmentRecurrencePattern,
    zone: Option<&Zone>,
    master_delta: Option<i64>,
    exceptions: &[(i64, &Message)],
) {
    let parts = a.rule();
    let mut rule = rrule_from(&parts);
    if let Some((y, m, d)) = parts.until_date {
        let series = a.series_start();
        let last = DateTime::new(y, m.min(12) as u8, d.min(31) as u8, series.hour as u8, series.minute as u8, 0);
        // RFC 5545 3.3.10: UNTIL is a DATE when DTSTART is one, else UTC
        // when DTSTART is zoned.
        rule.until = Some(if ev.all_day { When::Date(last.date) } else { When::Utc(to_utc(zone, &last)) });
    }
    ev.rrule = Some(rule);
    if ev.start.is_none() {
        ev.start = Some(in_form(zone, ev.all_day, a.series_start()));
    }
    ev.exdates = a.deleted_occurrences().into_iter().map(|t| in_form(zone, ev.all_day, t)).collect();
    for o in a.modified_occurrences() {
        let all_day = o.all_day.unwrap_or(ev.all_day);
        let mut end = in_form(zone, all_day, o.end);
        let start = in_form(zone, all_day, o.start);
        if let (When::Date(s), When::Date(e)) = (&start, &end) {
            if e <= s {
                end = When::Date(next_day(*s));
            }
        }
        let reminder_minutes = match (o.reminder_set, o.reminder_delta) {
            (Some(false), _) => None,
            (Some(true), d) => Some(d.map(i64::from).or(master_delta).unwrap_or(0)),
            (None, Some(d)) if ev.reminder_minutes.is_some() => Some(i64::from(d)),
            (None, _) => ev.reminder_minutes,
        };
        let original = o.original_start;
        let replaced = to_utc(
            zone,
            &DateTime::new(
                original.year,
                original.month as u8,
                original.day as u8,
                original.hour as u8,
                original.minute as u8,
                0,
            ),
        );
        let exception = exceptions.iter().find(|(t, _)| *t == replaced).map(|(_, m)| *m);
        let attendees = match exception {
            Some(x) if !x.recipients.is_empty() => x
                .recipients
                .iter()
                .filter(|r| r.int(tags::RECIPIENT_FLAGS).unwrap_or(0) & RECIP_ORGANIZER == 0)
                .map(attendee)
                .collect(),
            _ => ev.attendees.clone(),
        };
        ev.overrides.push(Event {
            uid: ev.uid.clone(),
            summary: o
                .subject
                .clone()
                .filter(|s| !s.trim().is_empty())
                .or_else(|| exception.and_then(|x| non_empty(x.subject())))
                .or_else(|| ev.summary.clone()),
            location: o
                .location
                .clone()
                .or_else(|| exception.and_then(|x| lid_text(&x.props, lid::LOCATION)))
                .or_else(|| ev.location.clone()),
            description: exception.and_then(|x| body(&x.props)).or_else(|| ev.description.clone()),
            start: Some(start),
            end: Some(end),
            all_day,
            organizer: ev.organizer.clone(),
            attendees,
            busy: o.busy_status.and_then(|b| busy(i64::from(b))).or(ev.busy),
            reminder_minutes,
            categories: ev.categories.clone(),
            class: ev.class,
            recurrence_id: Some(in_form(zone, ev.all_day, o.original_start)),
            sequence: ev.sequence,
            created: ev.created,
            last_modified: ev.last_modified,
            ..Event::default()
        });
    }
}

/// A local time of the recurrence blob in DTSTART's form.
fn in_form(zone: Option<&Zone>, all_day: bool, t: LocalTime) -> When {
    let dt = DateTime::new(t.year, t.month as u8, t.day as u8, t.hour as u8, t.minute as u8, 0);
    if all_day {
        return When::Date(dt.date);
    }
    match zone {
        Some(Zone(z)) => When::Local { time: dt, tzid: z.tzid.clone() },
        None => When::Utc(t.as_unix_if_utc()),
    }
}

fn to_utc(zone: Option<&Zone>, t: &DateTime) -> i64 {
    match zone {
        Some(Zone(z)) => z.utc_from_local(t),
        None => t.unix_if_utc(),
    }
}

/// A UTC instant shown in the zone (or as UTC without one).
fn shown(zone: Option<&Zone>, t: i64) -> When {
    match zone {
        Some(Zone(z)) => When::Local { time: z.local_from_utc(t), tzid: z.tzid.clone() },
        None => When::Utc(t),
    }
}

/// The local day of an all-day boundary, rounded to the nearest midnight.
fn local_day(zone: Option<&Zone>, t: i64) -> Date {
    let local = match zone {
        Some(Zone(z)) => z.local_from_utc(t).unix_if_utc(),
        None => t,
    };
    When::Utc(local.saturating_add(43_200).div_euclid(86_400).saturating_mul(86_400)).date()
}

fn next_day(d: Date) -> Date {
    let days = crate::time::days_from_civil(i64::from(d.year), u32::from(d.month), u32::from(d.day));
    When::Utc(days.saturating_add(1).saturating_mul(86_400)).date()
}

/// The zone of a TZDEFINITION property, `None` when absent or damaged.
fn tzdef_zone(p: &PropBag, id: Lid) -> Option<Zone> {
    TzDefinition::parse(p.lid(id)?.as_bytes()?).ok()?.to_zone().map(Zone)
}

/// PidLidTimeZoneStruct as a zone, named by PidLidTimeZoneDescription.
fn tzstruct_reg(p: &PropBag) -> Option<TzReg> {
    parse_tzstruct(p.lid(lid::TIME_ZONE_STRUCT)?.as_bytes()?).ok()
}

fn tzstruct_zone(p: &PropBag) -> Option<Zone> {
    let reg = tzstruct_reg(p)?;
    let name = lid_text(p, lid::TIME_ZONE_DESCRIPTION).unwrap_or_else(|| offset_name(&reg));
    Some(Zone(zone(&reg, name)))
}

/// The zone of a series: PidLidAppointmentTimeZoneDefinitionRecur when it
/// agrees with PidLidTimeZoneStruct (or that is absent), else the latter
/// ([MS-OXOCAL] 2.2.1.41: an inconsistent definition is not used).
fn series_zone(p: &PropBag) -> Option<Zone> {
    let def = p
        .lid(lid::APPOINTMENT_TIME_ZONE_DEFINITION_RECUR)
        .and_then(PropValue::as_bytes)
        .and_then(|b| TzDefinition::parse(b).ok());
    let reg = tzstruct_reg(p);
    if let Some(def) = &def {
        if let Some(rule) = def.effective() {
            if reg.is_none_or(|r| same_rule(&r, &rule.reg)) {
                return def.to_zone().map(Zone);
            }
        }
    }
    tzstruct_zone(p)
}

/// The fields [MS-OXOCAL] 2.2.1.41 compares (the `wYear` of the
/// transition dates aside, which TZSTRUCT keeps elsewhere).
fn same_rule(a: &TzReg, b: &TzReg) -> bool {
    let st = |s: &super::tz::SystemTime| (s.month, s.day_of_week, s.day, s.hour, s.minute);
    a.bias == b.bias
        && a.standard_bias == b.standard_bias
        && a.daylight_bias == b.daylight_bias
        && st(&a.standard_date) == st(&b.standard_date)
        && st(&a.daylight_date) == st(&b.daylight_date)
}

/// The UID Outlook and Exchange export ([MS-OXCICAL] 2.1.3.1.1.20.26).
fn global_uid(p: &PropBag) -> Option<String> {
    let b = [lid::CLEAN_GLOBAL_OBJECT_ID, lid::GLOBAL_OBJECT_ID]
        .into_iter()
        .find_map(|id| p.lid(id).and_then(PropValue::as_bytes).filter(|b| !b.is_empty()))?;
    // Header (40 bytes) then Data; "vCal-Uid", version 1 and the UTF-8 UID
    // of an item that came in through iCalendar.
    if b.len() > 52 && &b[40..48] == b"vCal-Uid" {
        let rest = &b[52..];
        let end = rest.iter().position(|x| *x == 0).unwrap_or(rest.len());
        let s = String::from_utf8_lossy(&rest[..end]).trim().to_string();
        if !s.is_empty() {
            return Some(s);
        }
    }
    let mut b = b.to_vec();
    // The instance date (YH, YL, M, D) marks one occurrence; the series
    // has it zero.
    if let Some(d) = b.get_mut(16..20) {
        d.fill(0);
    }
    Some(b.iter().map(|x| format!("{x:02X}")).collect())
}

fn busy(v: i64) -> Option<BusyStatus> {
    match v {
        0 => Some(BusyStatus::Free),
        1 => Some(BusyStatus::Tentative),
        2 => Some(BusyStatus::Busy),
        3 => Some(BusyStatus::OutOfOffice),
        4 => Some(BusyStatus::WorkingElsewhere),
        _ => None,
    }
}

fn attendee(r: &PropBag) -> Attendee {
    let role = match r.int(tags::RECIPIENT_TYPE).unwrap_or(1) & 0x0F {
        2 => Role::Optional,
        // Bcc rows are the resources (rooms, equipment) of a meeting.
        3 => Role::NonParticipant,
        _ => Role::Required,
    };
    // [MS-OXOCAL] 2.2.4.10.2: respNone 0, respOrganized 1, respTentative
    // 2, respAccepted 3, respDeclined 4, respNotResponded 5.
    let partstat = match r.int(tags::RECIPIENT_TRACK_STATUS) {
        Some(1) | Some(3) => PartStat::Accepted,
        Some(2) => PartStat::Tentative,
        Some(4) => PartStat::Declined,
        _ => PartStat::NeedsAction,
    };
    Attendee {
        name: r.str(tags::DISPLAY_NAME).and_then(|s| non_empty(Some(s))),
        email: recipient_address(r),
        role,
        partstat,
    }
}

fn recipient_person(r: &PropBag) -> Option<Person> {
    let email = recipient_address(r);
    let name = r.str(tags::DISPLAY_NAME).and_then(|s| non_empty(Some(s)));
    (!email.is_empty() || name.is_some()).then_some(Person { name, email })
}

/// A recipient's address, SMTP preferred: PidTagSmtpAddress, an SMTP
/// PidTagEmailAddress, the address of a one-off EntryID, else what
/// PidTagEmailAddress holds (an Exchange DN is better than nothing),
/// IMCEA-encapsulated as the MIME side does ([MS-OXCMAIL] 2.1.3.1.8), since
/// a DN with spaces is no `mailto:` URI.
fn recipient_address(r: &PropBag) -> String {
    if let Some(s) = r.str(tags::SMTP_ADDRESS).and_then(|s| non_empty(Some(s))) {
        return s;
    }
    let email = r.str(tags::EMAIL_ADDRESS).and_then(|s| non_empty(Some(s)));
    let smtp_type = r.str(tags::ADDRESS_TYPE).is_some_and(|t| t.eq_ignore_ascii_case("SMTP"));
    if let Some(e) = &email {
        if smtp_type || e.contains('@') {
            return e.clone();
        }
    }
    for tag in [tags::ENTRY_ID, tags::RECIPIENT_ENTRY_ID] {
        if let Some(o) = r.bin(tag).and_then(parse_one_off) {
            if o.address.contains('@') {
                return o.address;
            }
        }
    }
    let addrtype = r.str(tags::ADDRESS_TYPE).unwrap_or("EX");
    email.map(|e| crate::mapi::mime::imcea(addrtype, &e)).unwrap_or_default()
}

/// The meeting's organizer from the message's sender fields.
fn sender_person(p: &PropBag) -> Option<Person> {
    let pick = |name: u16, smtp: u16, email: u16, addrtype: u16| -> Option<Person> {
        let address = p.str(smtp).and_then(|s| non_empty(Some(s))).or_else(|| {
            let e = p.str(email).and_then(|s| non_empty(Some(s)))?;
            (e.contains('@') || p.str(addrtype).is_some_and(|t| t.eq_ignore_ascii_case("SMTP"))).then_some(e)
        })?;
        Some(Person { name: p.str(name).and_then(|s| non_empty(Some(s))), email: address })
    };
    pick(
        tags::SENT_REPRESENTING_NAME,
        tags::SENT_REPRESENTING_SMTP_ADDRESS,
        tags::SENT_REPRESENTING_EMAIL_ADDRESS,
        tags::SENT_REPRESENTING_ADDRESS_TYPE,
    )
    .or_else(|| {
        pick(tags::SENDER_NAME, tags::SENDER_SMTP_ADDRESS, tags::SENDER_EMAIL_ADDRESS, tags::SENDER_ADDRESS_TYPE)
    })
}

fn truthy(v: &PropValue<'_>) -> bool {
    match v {
        PropValue::Bool(b) => *b,
        v => v.as_i64().unwrap_or(0) != 0,
    }
}

fn lid_time(p: &PropBag, id: Lid) -> Option<i64> {
    match p.lid(id)? {
        PropValue::Time(ft) => filetime_to_unix(*ft),
        _ => None,
    }
}

fn lid_text(p: &PropBag, id: Lid) -> Option<String> {
    match p.lid(id)? {
        PropValue::Unicode(s) => non_empty(Some(s)),
        PropValue::String8(b) => non_empty(Some(&string8_lossy(b))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pim::Class;

    fn set_lid(m: &mut Message, id: Lid, v: PropValue<'static>) {
        m.props.named.insert(id.into(), v);
    }

    fn ft(unix: i64) -> PropValue<'static> {
        PropValue::Time((unix + 11_644_473_600) * 10_000_000)
    }

    fn row(kind: i32, flags: i32, track: i32, name: &str, email: &str) -> PropBag {
        let mut r = PropBag::default();
        r.tagged.insert(tags::RECIPIENT_TYPE, PropValue::I32(kind));
        r.tagged.insert(tags::RECIPIENT_FLAGS, PropValue::I32(flags));
        r.tagged.insert(tags::RECIPIENT_TRACK_STATUS, PropValue::I32(track));
        r.tagged.insert(tags::DISPLAY_NAME, PropValue::Unicode(name.into()));
        r.tagged.insert(tags::EMAIL_ADDRESS, PropValue::Unicode(email.into()));
        r.tagged.insert(tags::ADDRESS_TYPE, PropValue::Unicode("SMTP".into()));
        r
    }

    #[test]
    fn meeting_people_uid_and_zone() {
        let mut m = Message::default();
        m.props.tagged.insert(tags::MESSAGE_CLASS, PropValue::Unicode("IPM.Appointment".into()));
        m.props.tagged.insert(tags::SENSITIVITY, PropValue::I32(3));
        // 2025-03-12 07:30Z - 08:15Z, shown in Berlin.
        set_lid(&mut m, lid::APPOINTMENT_START_WHOLE, ft(1_741_764_600));
        set_lid(&mut m, lid::APPOINTMENT_END_WHOLE, ft(1_741_767_300));
        set_lid(
            &mut m,
            lid::APPOINTMENT_TIME_ZONE_DEFINITION_START_DISPLAY,
            PropValue::Binary(crate::mapi::pim::tz::tests::berlin_tzdef().into()),
        );
        set_lid(&mut m, lid::BUSY_STATUS, PropValue::I32(4));
        set_lid(&mut m, lid::REMINDER_SET, PropValue::Bool(true));
        set_lid(&mut m, lid::REMINDER_DELTA, PropValue::I32(10));
        let mut goid = vec![0x04, 0, 0, 0, 0x82, 0, 0xE0, 0, 0x74, 0xC5, 0xB7, 0x10, 0x1A, 0x82, 0xE0, 0x08];
        goid.extend([0x07, 0xE9, 3, 12]); // an instance date, zeroed in the UID
        goid.extend([0u8; 20]);
        goid.extend([1, 0, 0, 0, 0xAB]);
        set_lid(&mut m, lid::GLOBAL_OBJECT_ID, PropValue::Binary(goid.into()));
        m.recipients = vec![
            row(1, 3, 1, "Org", "org@example.com"),
            row(1, 1, 3, "Req", "req@example.com"),
            row(2, 1, 4, "Opt", "opt@example.com"),
            row(3, 1, 2, "Room", "room@example.com"),
            row(1, 1, 0, "Ex", "/o=Org/cn=x"),
        ];
        let e = event(&m, "fallback".into());
        assert_eq!(e.uid, "040000008200E00074C5B7101A82E00800000000000000000000000000000000000000000000000001000000AB");
        assert_eq!(e.class, Some(Class::Confidential));
        assert_eq!(e.busy, Some(BusyStatus::WorkingElsewhere));
        assert_eq!(e.reminder_minutes, Some(10));
        let tzid = "W. Europe Standard Time".to_string();
        assert_eq!(e.start, Some(When::Local { time: DateTime::new(2025, 3, 12, 8, 30, 0), tzid: tzid.clone() }));
        assert_eq!(e.end, Some(When::Local { time: DateTime::new(2025, 3, 12, 9, 15, 0), tzid: tzid.clone() }));
        assert_eq!(e.timezones.len(), 1);
        assert_eq!(e.timezones[0].tzid, tzid);
        assert_eq!(e.organizer, Some(Person { name: Some("Org".into()), email: "org@example.com".into() }));
        let got: Vec<(&str, Role, PartStat)> =
            e.attendees.iter().map(|a| (a.email.as_str(), a.role, a.partstat)).collect();
        assert_eq!(
            got,
            vec![
                ("req@example.com", Role::Required, PartStat::Accepted),
                ("opt@example.com", Role::Optional, PartStat::Declined),
                ("room@example.com", Role::NonParticipant, PartStat::Tentative),
                ("/o=Org/cn=x", Role::Required, PartStat::NeedsAction),
            ]
        );
    }

    #[test]
    fn vcal_uid_sender_organizer_and_corrupt_recurrence() {
        let mut m = Message::default();
        m.props.tagged.insert(tags::MESSAGE_CLASS, PropValue::Unicode("IPM.Schedule.Meeting.Request".into()));
        m.props.tagged.insert(tags::SENT_REPRESENTING_NAME, PropValue::Unicode("Boss".into()));
        m.props.tagged.insert(tags::SENT_REPRESENTING_EMAIL_ADDRESS, PropValue::Unicode("/o=X/cn=boss".into()));
        m.props.tagged.insert(tags::SENDER_NAME, PropValue::Unicode("Boss".into()));
        m.props.tagged.insert(tags::SENDER_SMTP_ADDRESS, PropValue::Unicode("boss@example.com".into()));
        let mut goid = vec![0u8; 40];
        goid.extend(b"vCal-Uid\x01\x00\x00\x00abc-123\x00");
        set_lid(&mut m, lid::CLEAN_GLOBAL_OBJECT_ID, PropValue::Binary(goid.into()));
        set_lid(&mut m, lid::APPOINTMENT_START_WHOLE, ft(1_743_465_600));
        set_lid(&mut m, lid::APPOINTMENT_END_WHOLE, ft(1_743_465_600));
        set_lid(&mut m, lid::APPOINTMENT_SUB_TYPE, PropValue::I32(1));
        // A recurrence blob that stops after its versions.
        set_lid(&mut m, lid::APPOINTMENT_RECUR, PropValue::Binary(vec![4, 0x30, 4, 0x30, 0x0A].into()));
        let e = event(&m, "fallback".into());
        assert_eq!(e.uid, "abc-123");
        assert_eq!(e.organizer, Some(Person { name: Some("Boss".into()), email: "boss@example.com".into() }));
        assert!(e.all_day);
        assert_eq!(e.start, Some(When::Date(Date::new(2025, 4, 1))));
        // An end not after the start becomes the next day (exclusive).
        assert_eq!(e.end, Some(When::Date(Date::new(2025, 4, 2))));
        assert_eq!((e.rrule.as_ref(), e.overrides.len()), (None, 0));
        // A plain appointment has no organizer from its sender fields.
        m.props.tagged.insert(tags::MESSAGE_CLASS, PropValue::Unicode("IPM.Appointment".into()));
        assert_eq!(event(&m, String::new()).organizer, None);
        // Nothing at all: an empty event with the fallback UID.
        let e = event(&Message::default(), "fb".into());
        assert_eq!((e.uid.as_str(), e.start, e.timezones.len()), ("fb", None, 0));
    }
}
