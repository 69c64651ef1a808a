//! iCalendar (RFC 5545) -> [`Event`], [`Task`], [`Journal`], [`TimeZone`].
//!
//! - `VTIMEZONE` -> [`TimeZone`]: the latest `STANDARD` and `DAYLIGHT`
//!   observances (what is in force now; older ones are history the model
//!   does not keep), their yearly rule as (month, nth weekday), also from
//!   the older `BYMONTHDAY=8,...,14;BYDAY=SU` form.
//! - Dates: `VALUE=DATE` or eight digits -> [`When::Date`]; `...Z` ->
//!   [`When::Utc`]; with `TZID` -> [`When::Local`] naming it (a TZID
//!   without a `VTIMEZONE` in the file is kept by name and reported);
//!   floating -> [`When::Local`] with an empty `tzid`. A task's or journal
//!   entry's zoned time becomes UTC (the model keeps zones on events only).
//! - `VEVENT` with `RECURRENCE-ID` -> an override, attached to its master's
//!   [`Event::overrides`] (by UID) wherever it stands in the file.
//! - `DURATION` instead of `DTEND` / `DUE` gives the end.
//! - The first `VALARM` with a trigger relative to the start -> the
//!   reminder; Outlook's `X-MICROSOFT-CDO-BUSYSTATUS`, else `TRANSP` -> the
//!   busy status.

use super::vcard::{categories, valid_date};
use super::{Component, ParseProblem, Parser, Prop};
use crate::pim::ical::Calendar;
use crate::pim::{
    Attendee, BusyStatus, Class, DateTime, Event, Frequency, Journal, PartStat, Person, RRule, Role, Task, TaskStatus,
    TimeZone, Transition, Weekday, When, ZoneRule,
};

/// Reads a whole iCalendar text (every `VCALENDAR` in it, as one
/// calendar), with the problems found (offsets into `text`).
pub fn read(text: &[u8]) -> (Calendar, Vec<ParseProblem>) {
    let mut p = Parser::new(text);
    let mut entries = Vec::new();
    while let Some(e) = p.next_entry() {
        entries.push(e);
    }
    let mut problems = std::mem::take(&mut p.problems);
    let prodid = p.calendar_props.iter().find(|(_, p)| p.name == "PRODID").map(|(_, p)| p.text()).unwrap_or_default();
    // Zones first: a TZID may name a VTIMEZONE written after its use.
    let mut zones: Vec<Vec<TimeZone>> = vec![Vec::new(); p.calendars.max(1)];
    for (cal, c) in &entries {
        if c.name == "VTIMEZONE" {
            if let Some(z) = timezone(c, &mut problems) {
                zones[*cal].push(z);
            }
        }
    }
    let mut cal = Calendar { prodid, ..Calendar::default() };
    let mut events: Vec<Event> = Vec::new();
    for (n, c) in &entries {
        let z = &zones[*n];
        let raw = &text[c.start..c.end];
        match c.name.as_str() {
            "VTIMEZONE" => {}
            "VEVENT" => events.push(event(c, raw, z, &mut problems)),
            "VTODO" => cal.tasks.push(task(c, raw, z, &mut problems)),
            "VJOURNAL" => cal.journals.push(journal(c, raw, z, &mut problems)),
            other => problems.push(ParseProblem::note(c.start, other, format!("{other} is not read; skipped"))),
        }
    }
    cal.events = group(events, &zones.concat());
    cal.timezones = Vec::new();
    problems.sort_by_key(|p| p.offset);
    (cal, problems)
}

/// Attaches each override (an event with a RECURRENCE-ID) to the master
/// of its UID, and gives every master the zones it and its overrides name.
pub(crate) fn group(events: Vec<Event>, zones: &[TimeZone]) -> Vec<Event> {
    let mut orphans: Vec<Event> = Vec::new();
    let (mut out, overrides): (Vec<Event>, Vec<Event>) = events.into_iter().partition(|e| e.recurrence_id.is_none());
    // The first master of each UID.
    let mut by_uid: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, m) in out.iter().enumerate() {
        by_uid.entry(m.uid.clone()).or_insert(i);
    }
    for o in overrides {
        match by_uid.get(&o.uid) {
            Some(&i) => out[i].overrides.push(o),
            None => orphans.push(o),
        }
    }
    out.extend(orphans);
    for e in &mut out {
        e.timezones = zones_of(e, zones);
    }
    out
}

/// The zones of `zones` that `e` and its overrides name, in `zones`' order.
pub(crate) fn zones_of(e: &Event, zones: &[TimeZone]) -> Vec<TimeZone> {
    let mut names: Vec<&str> = Vec::new();
    for x in std::iter::once(e).chain(e.overrides.iter()) {
        let whens = [&x.start, &x.end, &x.recurrence_id]
            .into_iter()
            .flatten()
            .chain(x.exdates.iter())
            .chain(x.rdates.iter())
            .chain(x.rrule.as_ref().and_then(|r| r.until.as_ref()));
        for w in whens {
            if let When::Local { tzid, .. } = w {
                if !tzid.is_empty() && !names.contains(&tzid.as_str()) {
                    names.push(tzid);
                }
            }
        }
    }
    zones.iter().filter(|z| names.contains(&z.tzid.as_str())).cloned().collect()
}

/// The UID, without control characters (which no writer can carry, ours
/// included: an override must find its master the same way before and
/// after a round trip), or one made from the component's bytes.
fn uid(c: &Component, raw: &[u8], ns: &str) -> String {
    c.text("UID")
        .map(|u| u.chars().filter(|c| !c.is_control()).collect::<String>().trim().to_string())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| super::derived_uid(ns, raw))
}

/// One `VEVENT` (without its overrides; see [`group`]).
pub(crate) fn event(c: &Component, raw: &[u8], zones: &[TimeZone], problems: &mut Vec<ParseProblem>) -> Event {
    let start = c.prop("DTSTART").and_then(|p| when(p, zones, problems));
    let end = match c.prop("DTEND") {
        Some(p) => when(p, zones, problems),
        None => c.prop("DURATION").and_then(|p| duration_prop(p, problems)).and_then(|d| add(start.as_ref()?, d)),
    };
    let all_day = matches!(start, Some(When::Date(_)));
    let busy = match c.prop("X-MICROSOFT-CDO-BUSYSTATUS").map(|p| p.value.trim().to_ascii_uppercase()) {
        Some(v) if v == "FREE" => Some(BusyStatus::Free),
        Some(v) if v == "TENTATIVE" => Some(BusyStatus::Tentative),
        Some(v) if v == "BUSY" => Some(BusyStatus::Busy),
        Some(v) if v == "OOF" => Some(BusyStatus::OutOfOffice),
        Some(v) if v == "WORKINGELSEWHERE" => Some(BusyStatus::WorkingElsewhere),
        _ => match c.prop("TRANSP").map(|p| p.value.trim().to_ascii_uppercase()) {
            Some(v) if v == "TRANSPARENT" => Some(BusyStatus::Free),
            Some(v) if v == "OPAQUE" => Some(BusyStatus::Busy),
            _ => None,
        },
    };
    Event {
        uid: uid(c, raw, "ics-event"),
        summary: c.text("SUMMARY"),
        location: c.text("LOCATION"),
        description: c.text("DESCRIPTION"),
        start,
        end,
        all_day,
        organizer: c.prop("ORGANIZER").map(|p| Person { name: cn(p), email: cal_address(p) }),
        attendees: c
            .all("ATTENDEE")
            .map(|p| Attendee {
                name: cn(p),
                email: cal_address(p),
                role: match p.param("ROLE").map(str::to_ascii_uppercase).as_deref() {
                    Some("OPT-PARTICIPANT") => Role::Optional,
                    Some("NON-PARTICIPANT") => Role::NonParticipant,
                    Some("CHAIR") => Role::Chair,
                    _ => Role::Required,
                },
                partstat: match p.param("PARTSTAT").map(str::to_ascii_uppercase).as_deref() {
                    Some("ACCEPTED") => PartStat::Accepted,
                    Some("DECLINED") => PartStat::Declined,
                    Some("TENTATIVE") => PartStat::Tentative,
                    _ => PartStat::NeedsAction,
                },
            })
            .collect(),
        busy,
        reminder_minutes: reminder(c, problems),
        categories: categories(c),
        class: class(c),
        rrule: c.prop("RRULE").and_then(|p| rrule(p, zones, problems)),
        exdates: c.all("EXDATE").flat_map(|p| whens(p, zones, problems)).collect(),
        rdates: c.all("RDATE").flat_map(|p| whens(p, zones, problems)).collect(),
        recurrence_id: c.prop("RECURRENCE-ID").and_then(|p| when(p, zones, problems)),
        sequence: c.prop("SEQUENCE").and_then(|p| p.value.trim().parse().ok()),
        created: c.prop("CREATED").and_then(|p| utc(p, problems)),
        last_modified: c.prop("LAST-MODIFIED").and_then(|p| utc(p, problems)),
        overrides: Vec::new(),
        timezones: Vec::new(),
    }
}

/// A task's or journal entry's time: zoned times as UTC instants (the
/// model keeps no zone for them).
fn unzoned(w: Option<When>, zones: &[TimeZone]) -> Option<When> {
    match w {
        Some(When::Local { time, tzid }) if !tzid.is_empty() => match zones.iter().find(|z| z.tzid == tzid) {
            Some(z) => Some(When::Utc(z.utc_from_local(&time))),
            None => Some(When::Local { time, tzid }),
        },
        other => other,
    }
}

/// One `VTODO`.
pub(crate) fn task(c: &Component, raw: &[u8], zones: &[TimeZone], problems: &mut Vec<ParseProblem>) -> Task {
    let start = c.prop("DTSTART").and_then(|p| when(p, zones, problems));
    let due = match c.prop("DUE") {
        Some(p) => when(p, zones, problems),
        None => c.prop("DURATION").and_then(|p| duration_prop(p, problems)).and_then(|d| add(start.as_ref()?, d)),
    };
    Task {
        uid: uid(c, raw, "ics-task"),
        summary: c.text("SUMMARY"),
        description: c.text("DESCRIPTION"),
        start: unzoned(start, zones),
        due: unzoned(due, zones),
        completed: c.prop("COMPLETED").and_then(|p| utc(p, problems)),
        status: match c.prop("STATUS").map(|p| p.value.trim().to_ascii_uppercase()).as_deref() {
            Some("NEEDS-ACTION") => Some(TaskStatus::NeedsAction),
            Some("IN-PROCESS") => Some(TaskStatus::InProcess),
            Some("COMPLETED") => Some(TaskStatus::Completed),
            Some("CANCELLED") => Some(TaskStatus::Cancelled),
            _ => None,
        },
        percent_complete: c
            .prop("PERCENT-COMPLETE")
            .and_then(|p| p.value.trim().parse::<u8>().ok())
            .map(|p| p.min(100)),
        priority: c.prop("PRIORITY").and_then(|p| p.value.trim().parse::<u8>().ok()).map(|p| p.min(9)),
        categories: categories(c),
        class: class(c),
        rrule: c.prop("RRULE").and_then(|p| rrule(p, zones, problems)),
        created: c.prop("CREATED").and_then(|p| utc(p, problems)),
        last_modified: c.prop("LAST-MODIFIED").and_then(|p| utc(p, problems)),
    }
}

/// One `VJOURNAL` (a journal entry or a note: the reader decides which).
pub(crate) fn journal(c: &Component, raw: &[u8], zones: &[TimeZone], problems: &mut Vec<ParseProblem>) -> Journal {
    let dtstart = c.prop("DTSTART").and_then(|p| when(p, zones, problems));
    let descriptions: Vec<String> = c.all("DESCRIPTION").map(Prop::text).filter(|s| !s.is_empty()).collect();
    Journal {
        uid: uid(c, raw, "ics-journal"),
        summary: c.text("SUMMARY"),
        description: Some(descriptions.join("\n")).filter(|s| !s.is_empty()),
        dtstart: unzoned(dtstart, zones),
        categories: categories(c),
        created: c.prop("CREATED").and_then(|p| utc(p, problems)),
        last_modified: c.prop("LAST-MODIFIED").and_then(|p| utc(p, problems)),
    }
}

fn cn(p: &Prop) -> Option<String> {
    p.param("CN").map(str::to_string).filter(|s| !s.is_empty())
}

/// A CAL-ADDRESS without its `mailto:`.
fn cal_address(p: &Prop) -> String {
    let v = p.value.trim();
    match v.get(..7) {
        Some(s) if s.eq_ignore_ascii_case("mailto:") => v[7..].to_string(),
        _ => v.to_string(),
    }
}

fn class(c: &Component) -> Option<Class> {
    match c.prop("CLASS").map(|p| p.value.trim().to_ascii_uppercase()).as_deref() {
        Some("PUBLIC") => Some(Class::Public),
        Some("PRIVATE") => Some(Class::Private),
        Some("CONFIDENTIAL") => Some(Class::Confidential),
        _ => None,
    }
}

/// Minutes before the start of the first alarm whose trigger is a
/// duration relative to the start.
fn reminder(c: &Component, problems: &mut Vec<ParseProblem>) -> Option<i64> {
    for a in c.children.iter().filter(|a| a.name == "VALARM") {
        let Some(t) = a.prop("TRIGGER") else { continue };
        let related_end = t.param("RELATED").is_some_and(|r| r.eq_ignore_ascii_case("END"));
        if related_end || t.param("VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE-TIME")) {
            continue;
        }
        if let Some(secs) = duration_prop(t, problems) {
            return Some(-secs.div_euclid(60));
        }
    }
    None
}

/// A DURATION value (RFC 5545 3.3.6) in seconds.
fn duration_prop(p: &Prop, problems: &mut Vec<ParseProblem>) -> Option<i64> {
    let d = duration(p.value.trim());
    if d.is_none() {
        problems.push(ParseProblem::damaged(
            p.offset,
            &p.name,
            format!("{}: not a duration ({:?})", p.name, short(&p.value)),
        ));
    }
    d
}

pub(crate) fn duration(s: &str) -> Option<i64> {
    let (neg, rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let rest = rest.strip_prefix(['P', 'p'])?;
    let mut total: i64 = 0;
    let mut num: Option<i64> = None;
    let mut in_time = false;
    let mut any = false;
    for ch in rest.chars() {
        match ch {
            '0'..='9' => {
                let d = i64::from(ch as u8 - b'0');
                num = Some(num.unwrap_or(0).checked_mul(10)?.checked_add(d)?);
            }
            'T' | 't' => in_time = true,
            u => {
                let n = num.take()?;
                let mult = match (u.to_ascii_uppercase(), in_time) {
                    ('W', false) => 7 * 86_400,
                    ('D', false) => 86_400,
                    ('H', true) => 3600,
                    ('M', true) => 60,
                    ('S', true) => 1,
                    _ => return None,
                };
                total = total.checked_add(n.checked_mul(mult)?)?;
                any = true;
            }
        }
    }
    if num.is_some() || !any {
        return None;
    }
    Some(if neg { -total } else { total })
}

/// `w` moved by `secs` (a date by whole days; a local time on the wall clock).
fn add(w: &When, secs: i64) -> Option<When> {
    Some(match w {
        When::Utc(t) => When::Utc(t.checked_add(secs)?),
        When::Date(d) => {
            let days = crate::time::days_from_civil(i64::from(d.year), u32::from(d.month), u32::from(d.day));
            let (y, m, dd) = crate::time::civil_from_days(days.checked_add(secs.div_euclid(86_400))?);
            When::Date(valid_date(i32::try_from(y).ok()?, m as u8, dd as u8)?)
        }
        When::Local { time, tzid } => {
            When::Local { time: datetime_of(time.unix_if_utc().checked_add(secs)?)?, tzid: tzid.clone() }
        }
    })
}

fn datetime_of(t: i64) -> Option<DateTime> {
    let c = crate::time::Civil::from_unix(t);
    Some(DateTime::new(
        i32::try_from(c.year).ok()?,
        c.month as u8,
        c.day as u8,
        c.hour as u8,
        c.minute as u8,
        c.second as u8,
    ))
}

fn short(s: &str) -> String {
    s.chars().take(40).collect()
}

/// `YYYYMMDD`.
fn parse_date(s: &str) -> Option<crate::pim::Date> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    valid_date(s[0..4].parse().ok()?, s[4..6].parse().ok()?, s[6..8].parse().ok()?)
}

/// `YYYYMMDDTHHMMSS` (a trailing `Z` is the caller's), and the same
/// without seconds, which some writers emit.
fn parse_datetime(s: &str) -> Option<DateTime> {
    let (d, t) = s.split_once(['T', 't'])?;
    let date = parse_date(d)?;
    if !(t.len() == 6 || t.len() == 4) || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hour: u8 = t[0..2].parse().ok()?;
    let minute: u8 = t[2..4].parse().ok()?;
    let second: u8 = if t.len() == 6 { t[4..6].parse().ok()? } else { 0 };
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some(DateTime { date, hour, minute, second })
}

/// One DATE or DATE-TIME value with the property's parameters.
fn when_value(v: &str, p: &Prop, zones: &[TimeZone], problems: &mut Vec<ParseProblem>) -> Option<When> {
    let v = v.trim();
    // RDATE;VALUE=PERIOD: the period's start.
    let v = v.split('/').next().unwrap_or(v);
    let is_date = p.param("VALUE").is_some_and(|x| x.eq_ignore_ascii_case("DATE")) || v.len() == 8;
    let parsed = if is_date {
        parse_date(v).map(When::Date)
    } else if let Some(u) = v.strip_suffix(['Z', 'z']) {
        parse_datetime(u).map(|t| When::Utc(t.unix_if_utc()))
    } else {
        parse_datetime(v).map(|time| {
            let tzid = p.param("TZID").unwrap_or("").trim().to_string();
            if !tzid.is_empty() && !zones.iter().any(|z| z.tzid == tzid) {
                problems.push(ParseProblem::note(
                    p.offset,
                    &p.name,
                    format!("TZID {tzid:?} has no VTIMEZONE in the file; the time is kept with its name"),
                ));
            }
            When::Local { time, tzid }
        })
    };
    if parsed.is_none() {
        problems.push(ParseProblem::damaged(
            p.offset,
            &p.name,
            format!("{}: not a date or date-time ({:?}); left out", p.name, short(v)),
        ));
    }
    parsed
}

fn when(p: &Prop, zones: &[TimeZone], problems: &mut Vec<ParseProblem>) -> Option<When> {
    when_value(&p.value, p, zones, problems)
}

/// Every value of a list property (EXDATE, RDATE).
fn whens(p: &Prop, zones: &[TimeZone], problems: &mut Vec<ParseProblem>) -> Vec<When> {
    p.value.split(',').filter(|v| !v.trim().is_empty()).filter_map(|v| when_value(v, p, zones, problems)).collect()
}

/// A UTC time (CREATED, LAST-MODIFIED, COMPLETED); one without `Z` is
/// read as UTC too.
fn utc(p: &Prop, problems: &mut Vec<ParseProblem>) -> Option<i64> {
    let v = p.value.trim();
    let t = parse_datetime(v.strip_suffix(['Z', 'z']).unwrap_or(v))
        .map(|t| t.unix_if_utc())
        .or_else(|| parse_date(v).map(|d| DateTime { date: d, ..DateTime::default() }.unix_if_utc()));
    if t.is_none() {
        problems.push(ParseProblem::damaged(p.offset, &p.name, format!("{}: not a UTC time ({:?})", p.name, short(v))));
    }
    t
}

fn weekday(s: &str) -> Option<Weekday> {
    Some(match s.to_ascii_uppercase().as_str() {
        "SU" => Weekday::Sunday,
        "MO" => Weekday::Monday,
        "TU" => Weekday::Tuesday,
        "WE" => Weekday::Wednesday,
        "TH" => Weekday::Thursday,
        "FR" => Weekday::Friday,
        "SA" => Weekday::Saturday,
        _ => return None,
    })
}

/// `MO`, `-1FR`, `+2TU`.
fn by_day(s: &str) -> Option<(Option<i8>, Weekday)> {
    let s = s.trim();
    // Not `split_at` on bytes: a value decoded from another charset may
    // end in a character of several bytes.
    if s.len() < 2 || !s.is_char_boundary(s.len() - 2) {
        return None;
    }
    let (n, d) = s.split_at(s.len() - 2);
    let wd = weekday(d)?;
    if n.is_empty() {
        return Some((None, wd));
    }
    let n: i8 = n.strip_prefix('+').unwrap_or(n).parse().ok()?;
    if n == 0 || !(-53..=53).contains(&n) {
        return None;
    }
    Some((Some(n), wd))
}

fn nums<T: std::str::FromStr>(v: &str) -> Option<Vec<T>> {
    v.split(',').map(|x| x.trim().strip_prefix('+').unwrap_or(x.trim()).parse().ok()).collect()
}

/// An RRULE value (RFC 5545 3.3.10). Parts the model has no place for
/// (BYHOUR, BYWEEKNO ...) are reported and left out; a frequency below a
/// day drops the rule (reported).
fn rrule(p: &Prop, _zones: &[TimeZone], problems: &mut Vec<ParseProblem>) -> Option<RRule> {
    let mut freq = None;
    let mut r = RRule::new(Frequency::Daily);
    let mut dropped: Vec<String> = Vec::new();
    let bad = |what: &str, problems: &mut Vec<ParseProblem>| {
        problems.push(ParseProblem::damaged(p.offset, "RRULE", format!("RRULE: bad {what}; rule left out")));
    };
    for part in p.value.trim().split(';').filter(|s| !s.is_empty()) {
        let Some((k, v)) = part.split_once('=') else {
            bad("part", problems);
            return None;
        };
        match k.trim().to_ascii_uppercase().as_str() {
            "FREQ" => {
                freq = Some(match v.trim().to_ascii_uppercase().as_str() {
                    "DAILY" => Frequency::Daily,
                    "WEEKLY" => Frequency::Weekly,
                    "MONTHLY" => Frequency::Monthly,
                    "YEARLY" => Frequency::Yearly,
                    other => {
                        problems.push(ParseProblem::damaged(
                            p.offset,
                            "RRULE",
                            format!("RRULE: FREQ={other} is not kept (daily and longer only); rule left out"),
                        ));
                        return None;
                    }
                })
            }
            "INTERVAL" => match v.trim().parse::<u32>() {
                Ok(n) => r.interval = n.max(1),
                Err(_) => {
                    bad("INTERVAL", problems);
                    return None;
                }
            },
            "COUNT" => match v.trim().parse::<u32>() {
                Ok(n) => r.count = Some(n),
                Err(_) => {
                    bad("COUNT", problems);
                    return None;
                }
            },
            "UNTIL" => {
                let v = v.trim();
                let u = if v.len() == 8 {
                    parse_date(v).map(When::Date)
                } else if let Some(t) = v.strip_suffix(['Z', 'z']) {
                    parse_datetime(t).map(|t| When::Utc(t.unix_if_utc()))
                } else {
                    parse_datetime(v).map(|time| When::Local { time, tzid: String::new() })
                };
                match u {
                    Some(u) => r.until = Some(u),
                    None => {
                        bad("UNTIL", problems);
                        return None;
                    }
                }
            }
            "BYDAY" => match v.split(',').map(by_day).collect::<Option<Vec<_>>>() {
                Some(d) => r.by_day = d,
                None => {
                    bad("BYDAY", problems);
                    return None;
                }
            },
            "BYMONTHDAY" => match nums::<i8>(v) {
                Some(d) if d.iter().all(|x| *x != 0 && (-31..=31).contains(x)) => r.by_month_day = d,
                _ => {
                    bad("BYMONTHDAY", problems);
                    return None;
                }
            },
            "BYMONTH" => match nums::<u8>(v) {
                Some(m) if m.iter().all(|x| (1..=12).contains(x)) => r.by_month = m,
                _ => {
                    bad("BYMONTH", problems);
                    return None;
                }
            },
            "BYSETPOS" => match nums::<i16>(v) {
                Some(s) if s.iter().all(|x| *x != 0 && (-366..=366).contains(x)) => r.by_set_pos = s,
                _ => {
                    bad("BYSETPOS", problems);
                    return None;
                }
            },
            "WKST" => r.wkst = weekday(v.trim()).filter(|w| *w != Weekday::Monday),
            other => dropped.push(other.to_string()),
        }
    }
    let Some(freq) = freq else {
        bad("rule (no FREQ)", problems);
        return None;
    };
    r.freq = freq;
    if !dropped.is_empty() {
        problems.push(ParseProblem::damaged(
            p.offset,
            "RRULE",
            format!("RRULE: {} not kept (the model has no place for it)", dropped.join(", ")),
        ));
    }
    Some(r)
}

/// `+0100`, `-0500`, `+053000` -> minutes east of UTC.
fn offset(s: &str) -> Option<i32> {
    let s = s.trim();
    let (sign, digits) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => (1, s),
    };
    if !(digits.len() == 4 || digits.len() == 6) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: i32 = digits[0..2].parse().ok()?;
    let m: i32 = digits[2..4].parse().ok()?;
    Some(sign * (h * 60 + m))
}

/// One STANDARD or DAYLIGHT observance.
fn observance(c: &Component, problems: &mut Vec<ParseProblem>) -> Option<ZoneRule> {
    let start = c.prop("DTSTART").and_then(|p| {
        let v = p.value.trim();
        parse_datetime(v.strip_suffix(['Z', 'z']).unwrap_or(v))
    });
    let from = c.prop("TZOFFSETFROM").and_then(|p| offset(&p.value));
    let to = c.prop("TZOFFSETTO").and_then(|p| offset(&p.value));
    let (Some(start), Some(offset_to)) = (start, to) else {
        problems.push(ParseProblem::damaged(
            c.start,
            &c.name,
            format!("{} without a DTSTART or TZOFFSETTO; left out", c.name),
        ));
        return None;
    };
    let mut transition = None;
    if let Some(r) = c.prop("RRULE") {
        let mut month = None;
        let mut days: Vec<(Option<i8>, Weekday)> = Vec::new();
        let mut month_days: Vec<i8> = Vec::new();
        for part in r.value.split(';') {
            if let Some((k, v)) = part.split_once('=') {
                match k.trim().to_ascii_uppercase().as_str() {
                    "BYMONTH" => month = v.trim().parse::<u8>().ok().filter(|m| (1..=12).contains(m)),
                    "BYDAY" => days = v.split(',').filter_map(by_day).collect(),
                    "BYMONTHDAY" => month_days = nums(v).unwrap_or_default(),
                    _ => {}
                }
            }
        }
        transition = match (month, days.as_slice()) {
            (Some(month), [(Some(n), wd)]) if (-1..=5).contains(n) && *n != 0 => {
                Some(Transition { month, nth: *n, weekday: *wd })
            }
            // The older form: BYMONTHDAY=8,9,...,14;BYDAY=SU is the second Sunday.
            (Some(month), [(None, wd)]) if month_days.len() == 7 => {
                let first = *month_days.iter().min().expect("seven values");
                match first {
                    1 | 8 | 15 | 22 => Some(Transition { month, nth: (first - 1) / 7 + 1, weekday: *wd }),
                    -7 | 25 => Some(Transition { month, nth: -1, weekday: *wd }),
                    _ => None,
                }
            }
            _ => None,
        };
        if transition.is_none() {
            problems.push(ParseProblem::damaged(
                r.offset,
                &c.name,
                format!("{}: a yearly rule other than the nth weekday of a month; read as a single transition", c.name),
            ));
        }
    }
    Some(ZoneRule { offset_from: from.unwrap_or(offset_to), offset_to, start, transition })
}

/// One `VTIMEZONE`: the latest STANDARD and DAYLIGHT observances.
pub(crate) fn timezone(c: &Component, problems: &mut Vec<ParseProblem>) -> Option<TimeZone> {
    let tzid = c.text("TZID").map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
    let Some(tzid) = tzid else {
        problems.push(ParseProblem::damaged(c.start, "VTIMEZONE", "VTIMEZONE without a TZID; left out"));
        return None;
    };
    let latest = |name: &str, problems: &mut Vec<ParseProblem>| {
        c.children.iter().filter(|o| o.name == name).filter_map(|o| observance(o, problems)).max_by_key(|r| r.start)
    };
    let standard = latest("STANDARD", problems);
    let mut daylight = latest("DAYLIGHT", problems);
    let standard = match (standard, daylight.take()) {
        (Some(s), d) => {
            // A daylight rule that ended (no yearly repetition, older than
            // the standard time that followed) is history.
            daylight = d.filter(|d| d.transition.is_some() || d.start > s.start);
            s
        }
        (None, Some(d)) => d,
        (None, None) => {
            problems.push(ParseProblem::damaged(
                c.start,
                "VTIMEZONE",
                format!("VTIMEZONE {tzid:?} has no observance; left out"),
            ));
            return None;
        }
    };
    Some(TimeZone { tzid, standard, daylight })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pim::ical::write;
    use crate::pim::Date;

    fn berlin() -> TimeZone {
        TimeZone {
            tzid: "W. Europe Standard Time".into(),
            standard: ZoneRule {
                offset_from: 120,
                offset_to: 60,
                start: DateTime::new(1601, 1, 1, 3, 0, 0),
                transition: Some(Transition { month: 10, nth: -1, weekday: Weekday::Sunday }),
            },
            daylight: Some(ZoneRule {
                offset_from: 60,
                offset_to: 120,
                start: DateTime::new(1601, 1, 1, 2, 0, 0),
                transition: Some(Transition { month: 3, nth: -1, weekday: Weekday::Sunday }),
            }),
        }
    }

    #[test]
    fn our_own_calendar_reads_back() {
        let tz = berlin();
        let local = |d: u8, h: u8| When::Local { time: DateTime::new(2025, 3, d, h, 0, 0), tzid: tz.tzid.clone() };
        let mut rule = RRule::new(Frequency::Weekly);
        rule.by_day = vec![(None, Weekday::Monday), (None, Weekday::Wednesday)];
        rule.until = Some(When::Utc(DateTime::new(2025, 4, 30, 7, 0, 0).unix_if_utc()));
        rule.wkst = Some(Weekday::Sunday);
        let ov = Event {
            uid: "u1".into(),
            summary: Some("moved".into()),
            start: Some(local(5, 15)),
            end: Some(local(5, 16)),
            recurrence_id: Some(local(5, 9)),
            ..Event::default()
        };
        let master = Event {
            uid: "u1".into(),
            summary: Some("Standup, daily; really\nsecond line".into()),
            location: Some("Room 1".into()),
            description: Some("d".into()),
            start: Some(local(3, 9)),
            end: Some(local(3, 10)),
            organizer: Some(Person { name: Some("Jo, Boss".into()), email: "jo@example.org".into() }),
            attendees: vec![Attendee {
                name: Some("Ann".into()),
                email: "ann@example.org".into(),
                role: Role::Optional,
                partstat: PartStat::Tentative,
            }],
            busy: Some(BusyStatus::OutOfOffice),
            reminder_minutes: Some(15),
            categories: vec!["A".into(), "B,C".into()],
            class: Some(Class::Private),
            rrule: Some(rule),
            exdates: vec![local(10, 9), local(12, 9)],
            rdates: vec![local(29, 9)],
            sequence: Some(3),
            created: Some(1_700_000_000),
            last_modified: Some(1_700_000_100),
            overrides: vec![ov],
            timezones: vec![tz.clone()],
            ..Event::default()
        };
        let all_day = Event {
            uid: "u2".into(),
            start: Some(When::Date(Date::new(2025, 4, 1))),
            end: Some(When::Date(Date::new(2025, 4, 2))),
            all_day: true,
            ..Event::default()
        };
        let task = Task {
            uid: "t1".into(),
            summary: Some("Task".into()),
            due: Some(When::Date(Date::new(2025, 5, 1))),
            completed: Some(1_700_000_000),
            status: Some(TaskStatus::InProcess),
            percent_complete: Some(40),
            priority: Some(1),
            class: Some(Class::Confidential),
            ..Task::default()
        };
        let j =
            Journal { uid: "j1".into(), summary: Some("J".into()), dtstart: Some(When::Utc(0)), ..Journal::default() };
        let cal = Calendar {
            prodid: "-//x//y//EN".into(),
            timezones: Vec::new(),
            events: vec![master, all_day],
            tasks: vec![task],
            journals: vec![j],
        };
        let text = write(&cal);
        let (back, probs) = read(text.as_bytes());
        assert!(probs.is_empty(), "{probs:?}");
        assert_eq!(back, cal, "{text}");
    }

    #[test]
    fn byday_ending_in_a_multibyte_character_is_no_weekday() {
        // Found by fuzz/pim_read: `-1\xff5` read as Windows-1252 ends in "ÿ5".
        assert_eq!(by_day("-1ÿ5"), None);
        assert_eq!(by_day("ÿ"), None);
        let (cal, probs) = read(b"BEGIN:VEVENT\r\nUID:x\r\nRRULE:FREQ=WEEKLY;BYDAY=-1\xff5\r\nEND:VEVENT\r\n");
        assert!(cal.events[0].rrule.is_none());
        assert_eq!(probs.len(), 1, "{probs:?}");
    }

    #[test]
    fn durations_and_old_style_zone_rules() {
        assert_eq!(duration("-PT15M"), Some(-900));
        assert_eq!(duration("P1W"), Some(604_800));
        assert_eq!(duration("P1DT2H"), Some(93_600));
        assert_eq!(duration("PT"), None);
        assert_eq!(duration("P99999999999999999999D"), None);
        let text = "BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:US/Eastern\r\nBEGIN:STANDARD\r\nDTSTART:19671029T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nEND:STANDARD\r\nBEGIN:STANDARD\r\nDTSTART:20071104T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=1,2,3,4,5,6,7;BYDAY=SU\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:20070311T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART;TZID=US/Eastern:20250601T100000\r\nDURATION:PT90M\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let (cal, probs) = read(text.as_bytes());
        assert!(probs.is_empty(), "{probs:?}");
        let e = &cal.events[0];
        let tz = &e.timezones[0];
        assert_eq!(tz.standard.transition, Some(Transition { month: 11, nth: 1, weekday: Weekday::Sunday }));
        assert_eq!(tz.daylight.as_ref().unwrap().transition.unwrap().nth, 2);
        assert_eq!(e.end, Some(When::Local { time: DateTime::new(2025, 6, 1, 11, 30, 0), tzid: "US/Eastern".into() }));
        assert_eq!(
            tz.utc_from_local(&DateTime::new(2025, 6, 1, 10, 0, 0)),
            DateTime::new(2025, 6, 1, 14, 0, 0).unix_if_utc()
        );
    }
}
