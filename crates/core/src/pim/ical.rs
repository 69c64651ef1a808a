//! iCalendar writer (RFC 5545): one `VCALENDAR` holding time zones, events,
//! tasks and journal entries.
//!
//! Output is UTF-8 with CRLF line endings, folded at 75 octets, and
//! deterministic: `DTSTAMP` comes from the item's last-modified or creation
//! time, else the Unix epoch, never from the clock.

use super::{
    clean_raw, escape_text, param_value, prop, Attendee, BusyStatus, Class, Event, Frequency, Journal, PartStat,
    Person, RRule, Role, Task, TaskStatus, TimeZone, When, ZoneRule,
};

/// A calendar to write.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Calendar {
    /// `PRODID` (RFC 5545 3.7.3), e.g. `-//mailshift//mailshift 0.1//EN`.
    pub prodid: String,
    /// The zones that [`When::Local`] values name.
    pub timezones: Vec<TimeZone>,
    /// Events; each master's [`Event::overrides`] follow it, and the zones
    /// in [`Event::timezones`] join [`Calendar::timezones`].
    pub events: Vec<Event>,
    /// Tasks.
    pub tasks: Vec<Task>,
    /// Journal entries and notes.
    pub journals: Vec<Journal>,
}

/// Writes the calendar.
pub fn write(cal: &Calendar) -> String {
    let mut out = begin(&cal.prodid);
    // Each zone once, the calendar's own first, then those the events bring.
    let mut written: Vec<&str> = Vec::new();
    for tz in cal.timezones.iter().chain(cal.events.iter().flat_map(|e| e.timezones.iter())) {
        if !written.contains(&tz.tzid.as_str()) {
            written.push(&tz.tzid);
            write_timezone(&mut out, tz);
        }
    }
    for e in &cal.events {
        out.push_str(&event(e));
    }
    for t in &cal.tasks {
        write_task(&mut out, t);
    }
    for j in &cal.journals {
        write_journal(&mut out, j);
    }
    out.push_str(END);
    out
}

/// The opening lines of a calendar (`BEGIN:VCALENDAR`, `VERSION`, `PRODID`),
/// for writers that stream components ([`timezone`], [`event`], [`task`],
/// [`journal`]) and close with [`END`].
pub fn begin(prodid: &str) -> String {
    let mut out = String::new();
    prop(&mut out, "BEGIN", &[], "VCALENDAR");
    prop(&mut out, "VERSION", &[], "2.0");
    let prodid = if prodid.is_empty() { "-//mailshift//mailshift//EN" } else { prodid };
    prop(&mut out, "PRODID", &[], &escape_text(prodid));
    out
}

/// The closing line of a calendar.
pub const END: &str = "END:VCALENDAR\r\n";

/// One `VTIMEZONE`.
pub fn timezone(tz: &TimeZone) -> String {
    let mut out = String::new();
    write_timezone(&mut out, tz);
    out
}

/// One `VEVENT`, followed by one for each of its [`Event::overrides`]. The
/// zones it names ([`Event::timezones`]) are not included: write them with
/// [`timezone`] first.
pub fn event(e: &Event) -> String {
    let mut out = String::new();
    write_event(&mut out, e);
    for o in &e.overrides {
        write_event(&mut out, o);
    }
    out
}

/// One `VTODO`.
pub fn task(t: &Task) -> String {
    let mut out = String::new();
    write_task(&mut out, t);
    out
}

/// One `VJOURNAL`.
pub fn journal(j: &Journal) -> String {
    let mut out = String::new();
    write_journal(&mut out, j);
    out
}

fn utc(t: i64) -> String {
    let c = crate::time::Civil::from_unix(t);
    format!("{:04}{:02}{:02}T{:02}{:02}{:02}Z", c.year, c.month, c.day, c.hour, c.minute, c.second)
}

fn date(d: super::Date) -> String {
    format!("{:04}{:02}{:02}", d.year, d.month, d.day)
}

fn local(t: &super::DateTime) -> String {
    format!("{}T{:02}{:02}{:02}", date(t.date), t.hour, t.minute, t.second)
}

/// Parameters and value of a date or date-time property (RFC 5545 3.3.4,
/// 3.3.5 forms 1-3); `as_date` forces the DATE form (all-day items).
fn when(w: &When, as_date: bool) -> (Vec<(&'static str, String)>, String) {
    if as_date {
        return (vec![("VALUE", "DATE".into())], date(w.date()));
    }
    match w {
        When::Date(d) => (vec![("VALUE", "DATE".into())], date(*d)),
        When::Utc(t) => (Vec::new(), utc(*t)),
        When::Local { time, tzid } if tzid.is_empty() => (Vec::new(), local(time)),
        When::Local { time, tzid } => (vec![("TZID", param_value(tzid))], local(time)),
    }
}

fn when_prop(out: &mut String, name: &str, w: &When, as_date: bool) {
    let (params, value) = when(w, as_date);
    prop(out, name, &params, &value);
}

fn text(out: &mut String, name: &str, v: Option<&str>) {
    if let Some(v) = v.filter(|s| !s.is_empty()) {
        prop(out, name, &[], &escape_text(v));
    }
}

fn categories(out: &mut String, cats: &[String]) {
    if !cats.is_empty() {
        let v = cats.iter().map(|c| escape_text(c)).collect::<Vec<_>>().join(",");
        prop(out, "CATEGORIES", &[], &v);
    }
}

fn class(out: &mut String, c: Option<Class>) {
    if let Some(c) = c {
        let v = match c {
            Class::Public => "PUBLIC",
            Class::Private => "PRIVATE",
            Class::Confidential => "CONFIDENTIAL",
        };
        prop(out, "CLASS", &[], v);
    }
}

/// DTSTAMP, CREATED and LAST-MODIFIED. RFC 5545 requires DTSTAMP; taking it
/// from the item keeps the output the same from one run to the next.
fn stamps(out: &mut String, created: Option<i64>, last_modified: Option<i64>) {
    prop(out, "DTSTAMP", &[], &utc(last_modified.or(created).unwrap_or(0)));
    if let Some(t) = created {
        prop(out, "CREATED", &[], &utc(t));
    }
    if let Some(t) = last_modified {
        prop(out, "LAST-MODIFIED", &[], &utc(t));
    }
}

/// The RRULE value (RFC 5545 3.3.10). `as_date` writes UNTIL as a DATE, as
/// the rule requires when DTSTART is one.
pub fn rrule_value(r: &RRule, as_date: bool) -> String {
    let mut parts = vec![format!(
        "FREQ={}",
        match r.freq {
            Frequency::Daily => "DAILY",
            Frequency::Weekly => "WEEKLY",
            Frequency::Monthly => "MONTHLY",
            Frequency::Yearly => "YEARLY",
        }
    )];
    if r.interval > 1 {
        parts.push(format!("INTERVAL={}", r.interval));
    }
    if let Some(c) = r.count {
        parts.push(format!("COUNT={c}"));
    } else if let Some(u) = &r.until {
        let (_, v) = when(u, as_date);
        parts.push(format!("UNTIL={v}"));
    }
    // A single position over a single weekday is the weekday's own position
    // (`-1FR`, "the last Friday"); BYSETPOS is kept for what needs it, such
    // as "the last weekday" (BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1).
    let mut by_day = r.by_day.clone();
    let mut set_pos = r.by_set_pos.clone();
    if let ([(None, wd)], [pos]) = (by_day.as_slice(), set_pos.as_slice()) {
        if matches!(r.freq, Frequency::Monthly | Frequency::Yearly) && (1..=5).contains(&pos.abs()) {
            by_day = vec![(Some(*pos as i8), *wd)];
            set_pos.clear();
        }
    }
    if !by_day.is_empty() {
        let days: Vec<String> = by_day
            .iter()
            .map(|(n, d)| match n {
                Some(n) => format!("{n}{}", d.as_ical()),
                None => d.as_ical().to_string(),
            })
            .collect();
        parts.push(format!("BYDAY={}", days.join(",")));
    }
    if !r.by_month_day.is_empty() {
        parts.push(format!("BYMONTHDAY={}", join(&r.by_month_day)));
    }
    if !r.by_month.is_empty() {
        parts.push(format!("BYMONTH={}", join(&r.by_month)));
    }
    if !set_pos.is_empty() {
        parts.push(format!("BYSETPOS={}", join(&set_pos)));
    }
    if let Some(w) = r.wkst {
        parts.push(format!("WKST={}", w.as_ical()));
    }
    parts.join(";")
}

fn join<T: ToString>(v: &[T]) -> String {
    v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(",")
}

fn offset(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.unsigned_abs();
    format!("{sign}{:02}{:02}", m / 60, m % 60)
}

fn write_zone_rule(out: &mut String, name: &str, r: &ZoneRule) {
    prop(out, "BEGIN", &[], name);
    prop(out, "DTSTART", &[], &local(&r.start));
    prop(out, "TZOFFSETFROM", &[], &offset(r.offset_from));
    prop(out, "TZOFFSETTO", &[], &offset(r.offset_to));
    if let Some(t) = r.transition {
        let v = format!("FREQ=YEARLY;BYMONTH={};BYDAY={}{}", t.month, t.nth, t.weekday.as_ical());
        prop(out, "RRULE", &[], &v);
    }
    prop(out, "END", &[], name);
}

fn write_timezone(out: &mut String, tz: &TimeZone) {
    prop(out, "BEGIN", &[], "VTIMEZONE");
    prop(out, "TZID", &[], &escape_text(&tz.tzid));
    write_zone_rule(out, "STANDARD", &tz.standard);
    if let Some(d) = &tz.daylight {
        write_zone_rule(out, "DAYLIGHT", d);
    }
    prop(out, "END", &[], "VTIMEZONE");
}

fn cal_address(email: &str) -> String {
    format!("mailto:{}", clean_raw(email))
}

fn organizer(out: &mut String, p: &Person) {
    let mut params = Vec::new();
    if let Some(n) = p.name.as_deref().filter(|s| !s.is_empty()) {
        params.push(("CN", param_value(n)));
    }
    prop(out, "ORGANIZER", &params, &cal_address(&p.email));
}

fn attendee(out: &mut String, a: &Attendee) {
    let mut params = Vec::new();
    if let Some(n) = a.name.as_deref().filter(|s| !s.is_empty()) {
        params.push(("CN", param_value(n)));
    }
    let role = match a.role {
        Role::Required => "REQ-PARTICIPANT",
        Role::Optional => "OPT-PARTICIPANT",
        Role::NonParticipant => "NON-PARTICIPANT",
        Role::Chair => "CHAIR",
    };
    params.push(("ROLE", role.into()));
    let ps = match a.partstat {
        PartStat::NeedsAction => "NEEDS-ACTION",
        PartStat::Accepted => "ACCEPTED",
        PartStat::Declined => "DECLINED",
        PartStat::Tentative => "TENTATIVE",
    };
    params.push(("PARTSTAT", ps.into()));
    prop(out, "ATTENDEE", &params, &cal_address(&a.email));
}

/// A TRIGGER duration before the start (RFC 5545 3.3.6).
fn before(minutes: i64) -> String {
    if minutes == 0 {
        return "PT0M".into();
    }
    let sign = if minutes > 0 { "-" } else { "" };
    let m = minutes.unsigned_abs();
    if m.is_multiple_of(7 * 1440) {
        format!("{sign}P{}W", m / (7 * 1440))
    } else if m.is_multiple_of(1440) {
        format!("{sign}P{}D", m / 1440)
    } else if m.is_multiple_of(60) {
        format!("{sign}PT{}H", m / 60)
    } else {
        format!("{sign}PT{m}M")
    }
}

fn write_event(out: &mut String, e: &Event) {
    let d = e.all_day;
    prop(out, "BEGIN", &[], "VEVENT");
    prop(out, "UID", &[], &escape_text(&e.uid));
    stamps(out, e.created, e.last_modified);
    if let Some(w) = &e.start {
        when_prop(out, "DTSTART", w, d);
    }
    if let Some(w) = &e.end {
        when_prop(out, "DTEND", w, d);
    }
    if let Some(w) = &e.recurrence_id {
        when_prop(out, "RECURRENCE-ID", w, d);
    }
    if let Some(r) = &e.rrule {
        prop(out, "RRULE", &[], &rrule_value(r, d));
    }
    for w in &e.exdates {
        when_prop(out, "EXDATE", w, d);
    }
    for w in &e.rdates {
        when_prop(out, "RDATE", w, d);
    }
    text(out, "SUMMARY", e.summary.as_deref());
    text(out, "LOCATION", e.location.as_deref());
    text(out, "DESCRIPTION", e.description.as_deref());
    if let Some(p) = &e.organizer {
        organizer(out, p);
    }
    for a in &e.attendees {
        attendee(out, a);
    }
    if let Some(b) = e.busy {
        prop(out, "TRANSP", &[], if b == BusyStatus::Free { "TRANSPARENT" } else { "OPAQUE" });
        // Outlook's own extension keeps the four-way status TRANSP cannot.
        let v = match b {
            BusyStatus::Free => "FREE",
            BusyStatus::Tentative => "TENTATIVE",
            BusyStatus::Busy => "BUSY",
            BusyStatus::OutOfOffice => "OOF",
            BusyStatus::WorkingElsewhere => "WORKINGELSEWHERE",
        };
        prop(out, "X-MICROSOFT-CDO-BUSYSTATUS", &[], v);
    }
    categories(out, &e.categories);
    class(out, e.class);
    if let Some(s) = e.sequence {
        prop(out, "SEQUENCE", &[], &s.to_string());
    }
    if let Some(m) = e.reminder_minutes {
        prop(out, "BEGIN", &[], "VALARM");
        prop(out, "ACTION", &[], "DISPLAY");
        prop(out, "TRIGGER", &[], &before(m));
        // DESCRIPTION is required for a DISPLAY alarm (RFC 5545 3.6.6).
        let desc = e.summary.as_deref().filter(|s| !s.is_empty()).unwrap_or("Reminder");
        prop(out, "DESCRIPTION", &[], &escape_text(desc));
        prop(out, "END", &[], "VALARM");
    }
    prop(out, "END", &[], "VEVENT");
}

fn write_task(out: &mut String, t: &Task) {
    prop(out, "BEGIN", &[], "VTODO");
    prop(out, "UID", &[], &escape_text(&t.uid));
    stamps(out, t.created, t.last_modified);
    if let Some(w) = &t.start {
        when_prop(out, "DTSTART", w, false);
    }
    if let Some(w) = &t.due {
        when_prop(out, "DUE", w, false);
    }
    if let Some(c) = t.completed {
        prop(out, "COMPLETED", &[], &utc(c));
    }
    if let Some(r) = &t.rrule {
        let as_date = matches!(t.start.as_ref().or(t.due.as_ref()), Some(When::Date(_)));
        prop(out, "RRULE", &[], &rrule_value(r, as_date));
    }
    text(out, "SUMMARY", t.summary.as_deref());
    text(out, "DESCRIPTION", t.description.as_deref());
    if let Some(s) = t.status {
        let v = match s {
            TaskStatus::NeedsAction => "NEEDS-ACTION",
            TaskStatus::InProcess => "IN-PROCESS",
            TaskStatus::Completed => "COMPLETED",
            TaskStatus::Cancelled => "CANCELLED",
        };
        prop(out, "STATUS", &[], v);
    }
    if let Some(p) = t.percent_complete {
        prop(out, "PERCENT-COMPLETE", &[], &p.min(100).to_string());
    }
    if let Some(p) = t.priority {
        prop(out, "PRIORITY", &[], &p.min(9).to_string());
    }
    categories(out, &t.categories);
    class(out, t.class);
    prop(out, "END", &[], "VTODO");
}

fn write_journal(out: &mut String, j: &Journal) {
    prop(out, "BEGIN", &[], "VJOURNAL");
    prop(out, "UID", &[], &escape_text(&j.uid));
    stamps(out, j.created, j.last_modified);
    if let Some(w) = &j.dtstart {
        when_prop(out, "DTSTART", w, false);
    }
    text(out, "SUMMARY", j.summary.as_deref());
    text(out, "DESCRIPTION", j.description.as_deref());
    categories(out, &j.categories);
    prop(out, "END", &[], "VJOURNAL");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pim::Weekday;

    #[test]
    fn last_friday_is_byday_not_bysetpos() {
        let mut r = RRule::new(Frequency::Monthly);
        r.by_day = vec![(None, Weekday::Friday)];
        r.by_set_pos = vec![-1];
        assert_eq!(rrule_value(&r, false), "FREQ=MONTHLY;BYDAY=-1FR");
        r.by_day = vec![(None, Weekday::Monday), (None, Weekday::Friday)];
        assert_eq!(rrule_value(&r, false), "FREQ=MONTHLY;BYDAY=MO,FR;BYSETPOS=-1");
    }

    #[test]
    fn trigger_durations() {
        assert_eq!(before(15), "-PT15M");
        assert_eq!(before(60), "-PT1H");
        assert_eq!(before(1440), "-P1D");
        assert_eq!(before(10080), "-P1W");
        assert_eq!(before(0), "PT0M");
        assert_eq!(before(-30), "PT30M");
    }
}
