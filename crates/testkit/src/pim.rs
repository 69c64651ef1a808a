//! Independent read-back oracles for the vCard and iCalendar files mailshift
//! writes: what two parsers that are not ours read in them.
//!
//! * [`rust_ics`] and [`rust_vcf`] parse with Stalwart's `calcard` (the
//!   parser behind a production CalDAV/CardDAV server) and, for structure,
//!   with `ical` (ical-rs), and give back the values tests compare.
//!   `calcard` follows Postel's law and quietly skips bad lines, and its
//!   strict mode rejects every nested `BEGIN` in iCalendar (0.3.14), so the
//!   strictness here comes from `ical`'s parser (a line without a name or a
//!   colon, an object without its `END`), an exact `BEGIN`/`END` nesting
//!   check on the unfolded lines, `calcard`'s strict mode for vCards, and
//!   the rule that a value `calcard` could not type (a date, a rule) is an
//!   error, not text.
//! * [`python_pim`] runs `py/pimcheck.py`: Python's `icalendar` and
//!   `vobject` read the same file, and `dateutil` expands each recurring
//!   series over five years, with every TZID resolved through the file's
//!   own VTIMEZONE. Its JSON has, per parser, the same shapes as
//!   [`IcsComponent`] and [`VcfSummary`] serialize to, so a test can
//!   compare the Rust and the Python readings as JSON.
//!
//! Dates are ISO 8601 strings (`2025-03-03`, `2025-03-03T09:00:00`), so the
//! expected values in tests read as they would in a calendar.

use std::path::Path;
use std::process::Command;

use calcard::common::PartialDateTime;
use calcard::icalendar::{
    ICalendar, ICalendarComponent, ICalendarComponentType, ICalendarEntry, ICalendarFrequency, ICalendarParameterName,
    ICalendarParameterValue, ICalendarProperty, ICalendarRecurrenceRule, ICalendarValue, ICalendarWeekday,
};
use calcard::vcard::{
    VCard, VCardEntry, VCardParameterName, VCardParameterValue, VCardProperty, VCardType, VCardValue,
};
use calcard::{Entry, Parser};
use serde::Serialize;

/// A DATE or DATE-TIME value as written (RFC 5545 3.3.4, 3.3.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IcsDate {
    /// `VALUE=DATE`: `2025-07-04`.
    Date(String),
    /// A UTC date-time (`...Z`): `2025-03-03T08:00:00`.
    Utc(String),
    /// A local date-time: with the `TZID` parameter, or floating (`None`).
    Local {
        /// `2025-03-03T09:00:00`.
        time: String,
        /// The `TZID` parameter.
        tzid: Option<String>,
    },
}

impl IcsDate {
    /// A `TZID`-qualified local time.
    pub fn local(time: &str, tzid: &str) -> IcsDate {
        IcsDate::Local { time: time.into(), tzid: Some(tzid.into()) }
    }
}

/// A recurrence rule as read (RFC 5545 3.3.10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IcsRule {
    /// `DAILY`, `WEEKLY` ...
    pub freq: String,
    /// `INTERVAL` (1 when absent).
    pub interval: u32,
    /// `COUNT`.
    pub count: Option<u32>,
    /// `UNTIL`.
    pub until: Option<IcsDate>,
    /// `BYDAY` items as written: `MO`, `-1FR`.
    pub by_day: Vec<String>,
    /// `BYMONTHDAY`.
    pub by_month_day: Vec<i32>,
    /// `BYMONTH`.
    pub by_month: Vec<u32>,
    /// `BYSETPOS`.
    pub by_set_pos: Vec<i32>,
    /// `WKST`.
    pub wkst: Option<String>,
}

/// A `VALARM` of a component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IcsAlarm {
    /// `ACTION`.
    pub action: Option<String>,
    /// A relative `TRIGGER`, in minutes (negative: before).
    pub trigger_minutes: Option<i64>,
}

/// A `STANDARD` or `DAYLIGHT` part of a `VTIMEZONE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IcsObservance {
    /// `STANDARD` or `DAYLIGHT`.
    pub kind: String,
    /// Its `DTSTART`, local.
    pub dtstart: String,
    /// `TZOFFSETFROM`, minutes east of UTC.
    pub offset_from: i32,
    /// `TZOFFSETTO`, minutes east of UTC.
    pub offset_to: i32,
    /// Its yearly `RRULE`.
    pub rrule: Option<IcsRule>,
}

/// One `VEVENT`, `VTODO`, `VJOURNAL` or `VTIMEZONE` of a calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IcsComponent {
    /// `VEVENT`, `VTODO`, `VJOURNAL` or `VTIMEZONE`.
    pub kind: String,
    /// `UID`.
    pub uid: Option<String>,
    /// `TZID` of a `VTIMEZONE`.
    pub tzid: Option<String>,
    /// `SUMMARY`, unescaped.
    pub summary: Option<String>,
    /// `DESCRIPTION`, unescaped.
    pub description: Option<String>,
    /// `LOCATION`, unescaped.
    pub location: Option<String>,
    /// `DTSTART`.
    pub dtstart: Option<IcsDate>,
    /// `DTEND`.
    pub dtend: Option<IcsDate>,
    /// `DUE`.
    pub due: Option<IcsDate>,
    /// `RECURRENCE-ID`.
    pub recurrence_id: Option<IcsDate>,
    /// `RRULE`.
    pub rrule: Option<IcsRule>,
    /// Every `EXDATE` value, in order.
    pub exdates: Vec<IcsDate>,
    /// Every `RDATE` value, in order.
    pub rdates: Vec<IcsDate>,
    /// `CATEGORIES`, unescaped.
    pub categories: Vec<String>,
    /// `STATUS`.
    pub status: Option<String>,
    /// Its alarms.
    pub alarms: Vec<IcsAlarm>,
    /// A `VTIMEZONE`'s observances.
    pub observances: Vec<IcsObservance>,
}

/// What `calcard` read in a `.ics` file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IcsSummary {
    /// `PRODID`.
    pub prodid: Option<String>,
    /// `VERSION`.
    pub version: Option<String>,
    /// The calendar's components, in file order.
    pub components: Vec<IcsComponent>,
}

impl IcsSummary {
    /// The components of `kind` with `uid`, in file order (a master, then
    /// its overrides).
    pub fn by_uid<'a>(&'a self, kind: &'a str, uid: &'a str) -> impl Iterator<Item = &'a IcsComponent> + 'a {
        self.components.iter().filter(move |c| c.kind == kind && c.uid.as_deref() == Some(uid))
    }
}

/// An `EMAIL`, `TEL` or `MEMBER` value with the parameters tests check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VcfValue {
    /// The value, unescaped.
    pub value: String,
    /// `TYPE` tokens, lower-case, `pref` taken out.
    pub types: Vec<String>,
    /// Preferred: `PREF=1` (4.0) or a `PREF` type (3.0).
    pub pref: bool,
    /// The `X-CN` parameter (display name).
    pub cn: Option<String>,
}

/// An `ADR`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VcfAdr {
    /// `TYPE` tokens, lower-case, `pref` taken out.
    pub types: Vec<String>,
    /// Preferred.
    pub pref: bool,
    /// The seven parts: box, extended, street, city, region, code, country.
    pub parts: Vec<String>,
}

/// A `PHOTO`, decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VcfPhoto {
    /// Media type (`image/jpeg`; from the data: URI in 4.0, from `TYPE` in 3.0).
    pub media_type: Option<String>,
    /// The bytes.
    pub data: Vec<u8>,
}

/// What `calcard` read in one vCard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VcfSummary {
    /// `VERSION`.
    pub version: Option<String>,
    /// `UID`.
    pub uid: Option<String>,
    /// `KIND` (4.0) or `X-ADDRESSBOOKSERVER-KIND` (3.0), lower-case.
    pub kind: Option<String>,
    /// `FN`.
    pub full_name: Option<String>,
    /// `N`'s five parts.
    pub n: Option<Vec<String>>,
    /// `NICKNAME`s.
    pub nicknames: Vec<String>,
    /// `EMAIL`s.
    pub emails: Vec<VcfValue>,
    /// `TEL`s.
    pub tels: Vec<VcfValue>,
    /// `ADR`s.
    pub adrs: Vec<VcfAdr>,
    /// `ORG`'s parts.
    pub org: Vec<String>,
    /// `TITLE`.
    pub title: Option<String>,
    /// `BDAY`, `1980-03-15`.
    pub bday: Option<String>,
    /// `ANNIVERSARY` (4.0) or `X-ANNIVERSARY` (3.0), `2005-06-20`.
    pub anniversary: Option<String>,
    /// `CATEGORIES`.
    pub categories: Vec<String>,
    /// `NOTE`.
    pub note: Option<String>,
    /// `URL`s.
    pub urls: Vec<String>,
    /// `IMPP`s.
    pub impps: Vec<String>,
    /// `PHOTO`.
    pub photo: Option<VcfPhoto>,
    /// `MEMBER` (4.0) or `X-ADDRESSBOOKSERVER-MEMBER` (3.0).
    pub members: Vec<VcfValue>,
}

// ------------------------------------------------------------ structure

/// Unfolded content lines (RFC 5545 3.1, RFC 6350 3.2).
fn logical_lines(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for raw in text.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(cont) = line.strip_prefix([' ', '\t']) {
            match out.last_mut() {
                Some(last) => last.push_str(cont),
                None => out.push(line.to_string()),
            }
        } else if !line.is_empty() {
            out.push(line.to_string());
        }
    }
    out
}

/// Every `BEGIN:X` closed by its own `END:X`, nothing after the last `END`,
/// and only `outer` at the top level.
fn check_nesting(text: &str, outer: &str) -> Result<(), String> {
    let mut stack: Vec<String> = Vec::new();
    let mut tops = 0usize;
    for (i, line) in logical_lines(text).iter().enumerate() {
        let upper = line.to_ascii_uppercase();
        if let Some(name) = upper.strip_prefix("BEGIN:") {
            if stack.is_empty() {
                if name != outer {
                    return Err(format!("line {}: top-level BEGIN:{name}, expected {outer}", i + 1));
                }
                tops += 1;
            }
            stack.push(name.to_string());
        } else if let Some(name) = upper.strip_prefix("END:") {
            match stack.pop() {
                Some(open) if open == name => {}
                Some(open) => return Err(format!("line {}: END:{name} closes BEGIN:{open}", i + 1)),
                None => return Err(format!("line {}: END:{name} without BEGIN", i + 1)),
            }
        } else if stack.is_empty() {
            return Err(format!("line {}: content outside {outer}: {line:?}", i + 1));
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!("BEGIN:{open} is never closed"));
    }
    if tops == 0 {
        return Err(format!("no {outer}"));
    }
    Ok(())
}

// ------------------------------------------------------------ iCalendar

fn pdt_date(d: &PartialDateTime) -> Option<String> {
    Some(format!("{:04}-{:02}-{:02}", d.year?, d.month?, d.day?))
}

fn pdt_time(d: &PartialDateTime) -> Option<String> {
    Some(format!("{}T{:02}:{:02}:{:02}", pdt_date(d)?, d.hour?, d.minute?, d.second.unwrap_or(0)))
}

/// A typed date value; `tzid` from the property's parameters.
fn ics_date(d: &PartialDateTime, tzid: Option<&str>) -> Result<IcsDate, String> {
    if !d.has_date() {
        return Err(format!("date without year, month and day: {d:?}"));
    }
    if !d.has_time() {
        return pdt_date(d).map(IcsDate::Date).ok_or_else(|| "bad date".to_string());
    }
    let time = pdt_time(d).ok_or_else(|| "bad date-time".to_string())?;
    if d.has_zone() {
        if d.tz_hour != Some(0) || d.tz_minute.unwrap_or(0) != 0 {
            return Err(format!("date-time with a numeric offset, not allowed by RFC 5545 3.3.5: {d:?}"));
        }
        if tzid.is_some() {
            return Err(format!("UTC date-time {time} with a TZID (RFC 5545 3.2.19 forbids it)"));
        }
        return Ok(IcsDate::Utc(time));
    }
    Ok(IcsDate::Local { time, tzid: tzid.map(str::to_string) })
}

fn tzid_param(e: &ICalendarEntry) -> Option<&str> {
    e.params.iter().find(|p| p.name == ICalendarParameterName::Tzid).and_then(|p| match &p.value {
        ICalendarParameterValue::Text(t) => Some(t.as_str()),
        _ => None,
    })
}

fn entry_dates(e: &ICalendarEntry) -> Result<Vec<IcsDate>, String> {
    let tzid = tzid_param(e);
    e.values
        .iter()
        .map(|v| match v {
            ICalendarValue::PartialDateTime(d) => ics_date(d, tzid),
            other => Err(format!("{}: not a date: {other:?}", e.name.as_str())),
        })
        .collect()
}

fn single_date(e: &ICalendarEntry) -> Result<IcsDate, String> {
    let mut v = entry_dates(e)?;
    if v.len() != 1 {
        return Err(format!("{}: {} values, expected one", e.name.as_str(), v.len()));
    }
    Ok(v.remove(0))
}

fn weekday(w: ICalendarWeekday) -> &'static str {
    match w {
        ICalendarWeekday::Sunday => "SU",
        ICalendarWeekday::Monday => "MO",
        ICalendarWeekday::Tuesday => "TU",
        ICalendarWeekday::Wednesday => "WE",
        ICalendarWeekday::Thursday => "TH",
        ICalendarWeekday::Friday => "FR",
        ICalendarWeekday::Saturday => "SA",
    }
}

fn rule(r: &ICalendarRecurrenceRule) -> Result<IcsRule, String> {
    let freq = match r.freq {
        ICalendarFrequency::Yearly => "YEARLY",
        ICalendarFrequency::Monthly => "MONTHLY",
        ICalendarFrequency::Weekly => "WEEKLY",
        ICalendarFrequency::Daily => "DAILY",
        ICalendarFrequency::Hourly => "HOURLY",
        ICalendarFrequency::Minutely => "MINUTELY",
        ICalendarFrequency::Secondly => "SECONDLY",
    };
    Ok(IcsRule {
        freq: freq.into(),
        interval: r.interval.map_or(1, u32::from),
        count: r.count,
        until: r.until.as_ref().map(|u| ics_date(u, None)).transpose()?,
        by_day: r
            .byday
            .iter()
            .map(|d| match d.ordwk {
                Some(n) => format!("{n}{}", weekday(d.weekday)),
                None => weekday(d.weekday).to_string(),
            })
            .collect(),
        by_month_day: r.bymonthday.iter().map(|&d| i32::from(d)).collect(),
        by_month: r.bymonth.iter().map(|m| u32::from(m.month())).collect(),
        by_set_pos: r.bysetpos.clone(),
        wkst: r.wkst.map(|w| weekday(w).to_string()),
    })
}

fn text_of(e: &ICalendarEntry) -> Result<String, String> {
    let parts: Vec<String> = e
        .values
        .iter()
        .map(|v| match v {
            ICalendarValue::Text(t) => Ok(t.clone()),
            ICalendarValue::Status(s) => Ok(format!("{s:?}")),
            ICalendarValue::Action(a) => Ok(format!("{a:?}")),
            other => Err(format!("{}: not text: {other:?}", e.name.as_str())),
        })
        .collect::<Result<_, _>>()?;
    Ok(parts.join(","))
}

fn entries<'a>(c: &'a ICalendarComponent, p: &'a ICalendarProperty) -> impl Iterator<Item = &'a ICalendarEntry> + 'a {
    c.entries.iter().filter(move |e| &e.name == p)
}

fn first_text(c: &ICalendarComponent, p: ICalendarProperty) -> Result<Option<String>, String> {
    entries(c, &p).next().map(text_of).transpose()
}

fn first_date(c: &ICalendarComponent, p: ICalendarProperty) -> Result<Option<IcsDate>, String> {
    entries(c, &p).next().map(single_date).transpose()
}

/// `STATUS` and `ACTION` come back as calcard's enum names
/// (`NeedsAction`); RFC 5545 spells them `NEEDS-ACTION`.
fn rfc_token(s: &str) -> String {
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if ch.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(ch.to_ascii_uppercase());
    }
    out
}

fn offset_minutes(c: &ICalendarComponent, p: ICalendarProperty) -> Result<i32, String> {
    let e = entries(c, &p).next().ok_or_else(|| format!("{} missing", p.as_str()))?;
    match e.values.first() {
        Some(ICalendarValue::PartialDateTime(d)) if d.has_zone() => {
            let m = i32::from(d.tz_hour.unwrap_or(0)) * 60 + i32::from(d.tz_minute.unwrap_or(0));
            Ok(if d.tz_minus { -m } else { m })
        }
        other => Err(format!("{}: not an offset: {other:?}", p.as_str())),
    }
}

fn component(cal: &ICalendar, c: &ICalendarComponent) -> Result<IcsComponent, String> {
    let kind = c.component_type.as_str().to_string();
    let children: Vec<&ICalendarComponent> =
        c.component_ids.iter().filter_map(|&id| cal.components.get(id as usize)).collect();
    let rrule = match entries(c, &ICalendarProperty::Rrule).next() {
        None => None,
        Some(e) => match e.values.as_slice() {
            [ICalendarValue::RecurrenceRule(r)] => Some(rule(r)?),
            other => return Err(format!("{kind}: RRULE not understood: {other:?}")),
        },
    };
    let mut exdates = Vec::new();
    for e in entries(c, &ICalendarProperty::Exdate) {
        exdates.extend(entry_dates(e)?);
    }
    let mut rdates = Vec::new();
    for e in entries(c, &ICalendarProperty::Rdate) {
        rdates.extend(entry_dates(e)?);
    }
    let mut categories = Vec::new();
    for e in entries(c, &ICalendarProperty::Categories) {
        for v in &e.values {
            match v {
                ICalendarValue::Text(t) => categories.push(t.clone()),
                other => return Err(format!("CATEGORIES: not text: {other:?}")),
            }
        }
    }
    let mut alarms = Vec::new();
    let mut observances = Vec::new();
    for child in &children {
        match &child.component_type {
            ICalendarComponentType::VAlarm => {
                let trigger = match entries(child, &ICalendarProperty::Trigger).next().map(|e| e.values.as_slice()) {
                    Some([ICalendarValue::Duration(d)]) => {
                        let m = i64::from(d.weeks) * 7 * 1440
                            + i64::from(d.days) * 1440
                            + i64::from(d.hours) * 60
                            + i64::from(d.minutes);
                        Some(if d.neg { -m } else { m })
                    }
                    _ => None,
                };
                let action = first_text(child, ICalendarProperty::Action)?.map(|a| rfc_token(&a));
                alarms.push(IcsAlarm { action, trigger_minutes: trigger });
            }
            ICalendarComponentType::Standard | ICalendarComponentType::Daylight => {
                let dtstart = match first_date(child, ICalendarProperty::Dtstart)? {
                    Some(IcsDate::Local { time, tzid: None }) => time,
                    other => return Err(format!("observance DTSTART must be local: {other:?}")),
                };
                let rrule = match entries(child, &ICalendarProperty::Rrule).next().map(|e| e.values.as_slice()) {
                    None => None,
                    Some([ICalendarValue::RecurrenceRule(r)]) => Some(rule(r)?),
                    Some(other) => return Err(format!("observance RRULE not understood: {other:?}")),
                };
                observances.push(IcsObservance {
                    kind: child.component_type.as_str().to_string(),
                    dtstart,
                    offset_from: offset_minutes(child, ICalendarProperty::Tzoffsetfrom)?,
                    offset_to: offset_minutes(child, ICalendarProperty::Tzoffsetto)?,
                    rrule,
                });
            }
            _ => {}
        }
    }
    Ok(IcsComponent {
        uid: first_text(c, ICalendarProperty::Uid)?,
        tzid: if kind == "VTIMEZONE" { first_text(c, ICalendarProperty::Tzid)? } else { None },
        summary: first_text(c, ICalendarProperty::Summary)?,
        description: first_text(c, ICalendarProperty::Description)?,
        location: first_text(c, ICalendarProperty::Location)?,
        dtstart: first_date(c, ICalendarProperty::Dtstart)?,
        dtend: first_date(c, ICalendarProperty::Dtend)?,
        due: first_date(c, ICalendarProperty::Due)?,
        recurrence_id: first_date(c, ICalendarProperty::RecurrenceId)?,
        rrule,
        exdates,
        rdates,
        categories,
        status: first_text(c, ICalendarProperty::Status)?.map(|s| rfc_token(&s)),
        alarms,
        observances,
        kind,
    })
}

/// Parses one iCalendar object (a `VCALENDAR`) and summarizes it. An error
/// names what was wrong: a malformed or unterminated structure, a bad line,
/// a date or rule that would not parse, a `TZID` with no `VTIMEZONE`
/// (RFC 5545 3.2.19), more or fewer than one calendar.
pub fn rust_ics(text: &str) -> Result<IcsSummary, String> {
    check_nesting(text, "VCALENDAR")?;
    // ical-rs: rejects lines without a name or colon and unterminated objects.
    let mut n = 0;
    for cal in ical::IcalParser::new(text.as_bytes()) {
        cal.map_err(|e| format!("ical: {e}"))?;
        n += 1;
    }
    if n != 1 {
        return Err(format!("ical: {n} calendars, expected one"));
    }
    let mut parser = Parser::new(text);
    let cal = match parser.entry() {
        Entry::ICalendar(c) => c,
        other => return Err(format!("calcard: {other:?}")),
    };
    match parser.entry() {
        Entry::Eof => {}
        other => return Err(format!("calcard: after the calendar: {other:?}")),
    }
    let root = cal.components.first().ok_or("calcard: empty calendar")?;
    if root.component_type != ICalendarComponentType::VCalendar {
        return Err(format!("calcard: top component {:?}", root.component_type));
    }
    let mut components = Vec::new();
    for &id in &root.component_ids {
        let c = cal.components.get(id as usize).ok_or("calcard: dangling component id")?;
        if matches!(
            c.component_type,
            ICalendarComponentType::VEvent
                | ICalendarComponentType::VTodo
                | ICalendarComponentType::VJournal
                | ICalendarComponentType::VTimezone
        ) {
            components.push(component(&cal, c)?);
        }
    }
    // RFC 5545 3.2.19: each TZID names a VTIMEZONE of the same object.
    let zones: Vec<&str> = components.iter().filter_map(|c| c.tzid.as_deref()).collect();
    for c in &components {
        let mut all: Vec<&IcsDate> = [&c.dtstart, &c.dtend, &c.due, &c.recurrence_id].into_iter().flatten().collect();
        all.extend(c.exdates.iter().chain(&c.rdates));
        for d in all {
            if let IcsDate::Local { tzid: Some(t), .. } = d {
                if !zones.contains(&t.as_str()) {
                    return Err(format!("{} {:?}: TZID {t:?} has no VTIMEZONE", c.kind, c.uid));
                }
            }
        }
    }
    Ok(IcsSummary {
        prodid: first_text(root, ICalendarProperty::Prodid)?,
        version: first_text(root, ICalendarProperty::Version)?,
        components,
    })
}

// ----------------------------------------------------------------- vCard

fn vtext(e: &VCardEntry) -> Result<String, String> {
    let parts: Vec<String> = e
        .values
        .iter()
        .map(|v| match v {
            VCardValue::Text(t) => Ok(t.clone()),
            VCardValue::Kind(k) => Ok(format!("{k:?}").to_ascii_lowercase()),
            other => Err(format!("{}: not text: {other:?}", e.name.as_str())),
        })
        .collect::<Result<_, _>>()?;
    Ok(parts.join(","))
}

/// The parts of a structured value (N, ADR, ORG).
fn vparts(e: &VCardEntry) -> Result<Vec<String>, String> {
    e.values
        .iter()
        .map(|v| match v {
            VCardValue::Text(t) => Ok(t.clone()),
            VCardValue::Component(c) => Ok(c.join(",")),
            other => Err(format!("{}: not text: {other:?}", e.name.as_str())),
        })
        .collect()
}

fn vtype(t: &VCardType) -> String {
    match t {
        VCardType::MainNumber => "main-number".into(),
        VCardType::CoWorker => "co-worker".into(),
        VCardType::CoResident => "co-resident".into(),
        other => format!("{other:?}").to_ascii_lowercase(),
    }
}

fn vtypes(e: &VCardEntry) -> (Vec<String>, bool) {
    let mut types = Vec::new();
    let mut pref = false;
    for p in &e.params {
        match (&p.name, &p.value) {
            (VCardParameterName::Type, VCardParameterValue::Type(t)) => types.push(vtype(t)),
            (VCardParameterName::Type, VCardParameterValue::Text(t)) => {
                types.extend(t.split(',').map(|s| s.trim().to_ascii_lowercase()).filter(|s| !s.is_empty()))
            }
            (VCardParameterName::Pref, VCardParameterValue::Integer(1)) => pref = true,
            (VCardParameterName::Pref, VCardParameterValue::Text(t)) if t.trim() == "1" => pref = true,
            _ => {}
        }
    }
    if types.iter().any(|t| t == "pref") {
        pref = true;
        types.retain(|t| t != "pref");
    }
    (types, pref)
}

fn vparam<'a>(e: &'a VCardEntry, name: &str) -> Option<&'a str> {
    e.params.iter().find_map(|p| match (&p.name, &p.value) {
        (VCardParameterName::Other(n), VCardParameterValue::Text(t)) if n.eq_ignore_ascii_case(name) => {
            Some(t.as_str())
        }
        _ => None,
    })
}

fn vvalue(e: &VCardEntry) -> Result<VcfValue, String> {
    let (types, pref) = vtypes(e);
    Ok(VcfValue { value: vtext(e)?, types, pref, cn: vparam(e, "X-CN").map(str::to_string) })
}

fn vdate(e: &VCardEntry) -> Result<String, String> {
    match e.values.as_slice() {
        [VCardValue::PartialDateTime(d)] => match (d.year, d.month, d.day) {
            (Some(y), Some(m), Some(dd)) => Ok(format!("{y:04}-{m:02}-{dd:02}")),
            (None, Some(m), Some(dd)) => Ok(format!("--{m:02}-{dd:02}")),
            _ => Err(format!("{}: incomplete date {d:?}", e.name.as_str())),
        },
        other => Err(format!("{}: not a date: {other:?}", e.name.as_str())),
    }
}

fn is_other(e: &VCardEntry, name: &str) -> bool {
    matches!(&e.name, VCardProperty::Other(n) if n.eq_ignore_ascii_case(name))
}

fn card(c: &VCard) -> Result<VcfSummary, String> {
    let mut s = VcfSummary {
        version: None,
        uid: None,
        kind: None,
        full_name: None,
        n: None,
        nicknames: Vec::new(),
        emails: Vec::new(),
        tels: Vec::new(),
        adrs: Vec::new(),
        org: Vec::new(),
        title: None,
        bday: None,
        anniversary: None,
        categories: Vec::new(),
        note: None,
        urls: Vec::new(),
        impps: Vec::new(),
        photo: None,
        members: Vec::new(),
    };
    for e in &c.entries {
        match &e.name {
            VCardProperty::Version => s.version = Some(vtext(e)?),
            VCardProperty::Uid => s.uid = Some(vtext(e)?),
            VCardProperty::Kind => s.kind = Some(vtext(e)?.to_ascii_lowercase()),
            VCardProperty::Fn => s.full_name = Some(vtext(e)?),
            VCardProperty::N => {
                let mut p = vparts(e)?;
                p.resize(5, String::new());
                s.n = Some(p);
            }
            VCardProperty::Nickname => s.nicknames.push(vtext(e)?),
            VCardProperty::Email => s.emails.push(vvalue(e)?),
            VCardProperty::Tel => s.tels.push(vvalue(e)?),
            VCardProperty::Member => s.members.push(vvalue(e)?),
            VCardProperty::Adr => {
                let (types, pref) = vtypes(e);
                let mut parts = vparts(e)?;
                parts.resize(7, String::new());
                s.adrs.push(VcfAdr { types, pref, parts });
            }
            VCardProperty::Org => s.org = vparts(e)?,
            VCardProperty::Title => s.title = Some(vtext(e)?),
            VCardProperty::Bday => s.bday = Some(vdate(e)?),
            VCardProperty::Anniversary => s.anniversary = Some(vdate(e)?),
            VCardProperty::Categories => s.categories.extend(vparts(e)?),
            VCardProperty::Note => s.note = Some(vtext(e)?),
            VCardProperty::Url => s.urls.push(vtext(e)?),
            VCardProperty::Impp => s.impps.push(vtext(e)?),
            VCardProperty::Photo => {
                s.photo = Some(match e.values.as_slice() {
                    [VCardValue::Binary(d)] => {
                        // 3.0 names the subtype in TYPE (RFC 2426 3.1.4).
                        let v3_type = e.params.iter().find_map(|p| match (&p.name, &p.value) {
                            (VCardParameterName::Type, VCardParameterValue::Text(t)) => {
                                Some(format!("image/{}", t.to_ascii_lowercase()))
                            }
                            _ => None,
                        });
                        VcfPhoto { media_type: d.content_type.clone().or(v3_type), data: d.data.clone() }
                    }
                    other => return Err(format!("PHOTO: not decoded: {other:?}")),
                })
            }
            _ if is_other(e, "X-ADDRESSBOOKSERVER-KIND") => s.kind = Some(vtext(e)?.to_ascii_lowercase()),
            _ if is_other(e, "X-ADDRESSBOOKSERVER-MEMBER") => s.members.push(vvalue(e)?),
            _ if is_other(e, "X-ANNIVERSARY") => {
                // An X- property is text to calcard: the date is checked here.
                let t = vtext(e)?;
                let ok = t.len() == 10 && t.as_bytes()[4] == b'-' && t.as_bytes()[7] == b'-';
                s.anniversary = Some(if ok { t } else { return Err(format!("X-ANNIVERSARY: {t:?}")) });
            }
            _ => {}
        }
    }
    if s.full_name.is_none() {
        return Err("vCard without FN (RFC 6350 6.2.1)".into());
    }
    Ok(s)
}

/// Parses every vCard of a `.vcf` text (calcard in strict mode) and
/// summarizes each. An error names what was wrong: a bad or unterminated
/// card, a line outside any card, a value calcard could not type (BDAY,
/// PHOTO), a card without FN, no card at all.
pub fn rust_vcf(text: &str) -> Result<Vec<VcfSummary>, String> {
    check_nesting(text, "VCARD")?;
    for c in ical::VcardParser::new(text.as_bytes()) {
        c.map_err(|e| format!("ical: {e}"))?;
    }
    let mut parser = Parser::new(text).strict();
    let mut out = Vec::new();
    loop {
        match parser.entry() {
            Entry::VCard(c) => out.push(card(&c)?),
            Entry::Eof => break,
            other => return Err(format!("calcard: {other:?}")),
        }
    }
    if out.is_empty() {
        return Err("no vCard".into());
    }
    Ok(out)
}

// ---------------------------------------------------------------- Python

/// The Python read-back of the `.ics` or `.vcf` at `path` (see
/// `py/pimcheck.py` for the JSON), or `None` after [`crate::skip`] when
/// `vobject`, `icalendar` or `dateutil` cannot be imported. Panics if the
/// script itself cannot run or prints no JSON: that is a broken oracle,
/// not a finding about the file (findings are in its `"errors"`).
#[track_caller]
pub fn python_pim(path: &Path) -> Option<serde_json::Value> {
    for m in ["vobject", "icalendar", "dateutil"] {
        if !crate::python_module(m) {
            return None;
        }
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("py/pimcheck.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
    assert!(out.status.success(), "pimcheck.py failed on {}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    match serde_json::from_slice(&out.stdout) {
        Ok(v) => Some(v),
        Err(e) => {
            panic!("pimcheck.py printed no JSON for {}: {e}: {}", path.display(), String::from_utf8_lossy(&out.stdout))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD_ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:u1\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240105T090000Z\r\nSUMMARY:a\\, b\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    const GOOD_VCF: &str =
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:A\\, B\r\nEMAIL;TYPE=work;PREF=1:a@example.org\r\nEND:VCARD\r\n";

    #[test]
    fn reads_a_minimal_calendar() {
        let s = rust_ics(GOOD_ICS).expect("parses");
        assert_eq!(s.version.as_deref(), Some("2.0"));
        assert_eq!(s.components.len(), 1);
        let e = &s.components[0];
        assert_eq!(e.kind, "VEVENT");
        assert_eq!(e.uid.as_deref(), Some("u1"));
        assert_eq!(e.summary.as_deref(), Some("a, b"));
        assert_eq!(e.dtstart, Some(IcsDate::Utc("2024-01-05T09:00:00".into())));
    }

    #[test]
    fn rejects_malformed_calendars() {
        let unterminated = GOOD_ICS.replace("END:VEVENT\r\nEND:VCALENDAR\r\n", "");
        assert!(rust_ics(&unterminated).is_err());
        let no_end = GOOD_ICS.replace("END:VCALENDAR\r\n", "");
        assert!(rust_ics(&no_end).is_err());
        let bad_line = GOOD_ICS.replace("SUMMARY:a\\, b", "SUMMARY a b");
        assert!(rust_ics(&bad_line).is_err(), "a line without a colon");
        let crossed = GOOD_ICS.replace("END:VEVENT", "END:VTODO");
        assert!(rust_ics(&crossed).is_err(), "END:VTODO closing a VEVENT");
        let bad_date = GOOD_ICS.replace("20240105T090000Z", "2024-01-05 09h");
        assert!(rust_ics(&bad_date).is_err(), "DTSTART that is no date");
        let bad_rule = GOOD_ICS.replace("SUMMARY", "RRULE:FREQ=SOMETIMES\r\nSUMMARY");
        assert!(rust_ics(&bad_rule).is_err(), "RRULE that is no rule");
        let no_zone = GOOD_ICS.replace("DTSTART:20240105T090000Z", "DTSTART;TZID=Nowhere:20240105T090000");
        let err = rust_ics(&no_zone).expect_err("TZID without VTIMEZONE");
        assert!(err.contains("Nowhere"), "{err}");
        assert!(rust_ics("").is_err());
    }

    #[test]
    fn reads_and_rejects_vcards() {
        let s = rust_vcf(GOOD_VCF).expect("parses");
        assert_eq!(s[0].full_name.as_deref(), Some("A, B"));
        assert_eq!(s[0].emails[0].types, ["work"]);
        assert!(s[0].emails[0].pref);
        assert!(rust_vcf(&GOOD_VCF.replace("END:VCARD\r\n", "")).is_err(), "unterminated");
        assert!(rust_vcf(&GOOD_VCF.replace("FN:A\\, B", "FN A")).is_err(), "a line without a colon");
        assert!(rust_vcf(&GOOD_VCF.replace("FN:A\\, B\r\n", "")).is_err(), "no FN");
        assert!(rust_vcf(&GOOD_VCF.replace("FN:", "BDAY:not a date\r\nFN:")).is_err(), "bad BDAY");
        assert!(rust_vcf("").is_err());
    }
}
