//! Contacts, distribution lists, events, tasks, notes and journal entries:
//! the neutral personal-information items, and their serializers to vCard
//! ([`vcard`], RFC 6350 / RFC 2426) and iCalendar ([`ical`], RFC 5545), and
//! the readers that are their inverse ([`read`]).
//!
//! The types here know nothing of PST or any other source: a reader maps its
//! properties onto them. Everything is plain owned data, so an item can be
//! built by hand (as the tests do) and written out deterministically: the
//! same item always gives the same bytes (no clock, no random UID; see
//! [`stable_uid`]).

use sha2::{Digest, Sha256};

pub mod files;
pub mod ical;
pub mod read;
pub mod vcard;

/// A calendar date (proleptic Gregorian).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Date {
    /// Year, e.g. 2024.
    pub year: i32,
    /// Month, 1-12.
    pub month: u8,
    /// Day of the month, 1-31.
    pub day: u8,
}

impl Date {
    /// A date from its parts.
    pub const fn new(year: i32, month: u8, day: u8) -> Date {
        Date { year, month, day }
    }
}

/// A wall-clock date and time, without a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct DateTime {
    /// The date.
    pub date: Date,
    /// Hour, 0-23.
    pub hour: u8,
    /// Minute, 0-59.
    pub minute: u8,
    /// Second, 0-60.
    pub second: u8,
}

impl DateTime {
    /// A date-time from its parts.
    pub const fn new(year: i32, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> DateTime {
        DateTime { date: Date::new(year, month, day), hour, minute, second }
    }

    /// Seconds since the Unix epoch were this wall-clock time UTC (the
    /// zone arithmetic's starting point).
    pub fn unix_if_utc(&self) -> i64 {
        let d = self.date;
        crate::time::days_from_civil(i64::from(d.year), u32::from(d.month), u32::from(d.day)) * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }
}

/// A point or day in time, as iCalendar can state it (RFC 5545 3.3.4, 3.3.5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum When {
    /// A whole day (`VALUE=DATE`), for all-day events and date-only dues.
    Date(Date),
    /// A UTC instant, seconds since the Unix epoch (written with `Z`).
    Utc(i64),
    /// A local wall-clock time in the zone `tzid` (written with `TZID=`);
    /// `tzid` should name a [`TimeZone`] of the same [`ical::Calendar`]. An
    /// empty `tzid` is a floating time (no zone at all).
    Local {
        /// The wall-clock time.
        time: DateTime,
        /// The zone's identifier.
        tzid: String,
    },
}

impl When {
    /// The day this falls on (UTC for [`When::Utc`], the wall-clock day for
    /// [`When::Local`]).
    pub fn date(&self) -> Date {
        match self {
            When::Date(d) => *d,
            When::Local { time, .. } => time.date,
            When::Utc(t) => {
                let c = crate::time::Civil::from_unix(*t);
                Date::new(c.year.clamp(i32::MIN as i64, i32::MAX as i64) as i32, c.month as u8, c.day as u8)
            }
        }
    }
}

/// Day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Weekday {
    /// Sunday.
    Sunday,
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
}

impl Weekday {
    /// The two-letter iCalendar form (`SU`, `MO` ...; RFC 5545 3.3.10).
    pub fn as_ical(self) -> &'static str {
        match self {
            Weekday::Sunday => "SU",
            Weekday::Monday => "MO",
            Weekday::Tuesday => "TU",
            Weekday::Wednesday => "WE",
            Weekday::Thursday => "TH",
            Weekday::Friday => "FR",
            Weekday::Saturday => "SA",
        }
    }
}

// ---------------------------------------------------------------- contacts

/// The structured name of a contact (vCard `N`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StructuredName {
    /// Family name (surname).
    pub family: String,
    /// Given name.
    pub given: String,
    /// Middle name(s).
    pub middle: String,
    /// Honorific prefix ("Dr.").
    pub prefix: String,
    /// Honorific suffix ("Jr.").
    pub suffix: String,
}

impl StructuredName {
    /// True if every part is empty.
    pub fn is_empty(&self) -> bool {
        [&self.family, &self.given, &self.middle, &self.prefix, &self.suffix].iter().all(|s| s.is_empty())
    }
}

/// Whether an e-mail address or postal address is a home, work or other one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AddressKind {
    /// Home.
    Home,
    /// Work / business.
    Work,
    /// Neither (written without a `TYPE`).
    #[default]
    Other,
}

/// One e-mail address of a contact.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Email {
    /// The address (`user@example.org`).
    pub address: String,
    /// The display name Outlook keeps beside it (Email1DisplayName ...),
    /// written as the `X-CN` parameter.
    pub display_name: Option<String>,
    /// Home, work or other.
    pub kind: AddressKind,
    /// The preferred address (`PREF=1` / `TYPE=PREF`).
    pub pref: bool,
}

/// What a telephone number is for (vCard `TEL;TYPE=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhoneKind {
    /// Work / business.
    Work,
    /// Home.
    Home,
    /// Mobile.
    Cell,
    /// Voice (the default kind of a number).
    Voice,
    /// Fax.
    Fax,
    /// Pager.
    Pager,
    /// Car phone.
    Car,
    /// Main / company number (written `main`, an extension token).
    Main,
    /// ISDN.
    Isdn,
    /// Text messages.
    Text,
    /// Video.
    Video,
    /// Text telephone (TTY/TDD).
    Textphone,
    /// Assistant's number (`x-assistant`).
    Assistant,
    /// Callback number (`x-callback`).
    Callback,
    /// Radio (`x-radio`).
    Radio,
    /// Telex (`x-telex`).
    Telex,
    /// Other (adds no `TYPE` token).
    Other,
}

/// One telephone number of a contact.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Phone {
    /// The number as the source holds it.
    pub number: String,
    /// What it is for; may be empty.
    pub kinds: Vec<PhoneKind>,
    /// The preferred number (`PREF=1` / `TYPE=PREF`).
    pub pref: bool,
}

/// One postal address of a contact (vCard `ADR`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PostalAddress {
    /// Home, work or other.
    pub kind: AddressKind,
    /// Street (may hold several lines).
    pub street: String,
    /// City / locality.
    pub city: String,
    /// State / province / region.
    pub region: String,
    /// Postal code.
    pub postal_code: String,
    /// Country.
    pub country: String,
    /// The mailing address (Outlook's PidLidPostalAddressId); written as
    /// the preferred address.
    pub is_mailing: bool,
}

/// A picture: bytes and their media type.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Photo {
    /// The image file's bytes.
    pub data: Vec<u8>,
    /// Its media type (`image/jpeg`, `image/png` ...).
    pub media_type: String,
}

/// A contact (Outlook `IPM.Contact`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Contact {
    /// A stable identifier (see [`stable_uid`]); written as `UID`
    /// (`urn:uuid:` prefixed in vCard 4 when it has no scheme).
    pub uid: String,
    /// The formatted name (`FN`).
    pub full_name: String,
    /// The structured name (`N`).
    pub name: StructuredName,
    /// Nickname.
    pub nickname: Option<String>,
    /// E-mail addresses, in order.
    pub emails: Vec<Email>,
    /// Telephone numbers, in order.
    pub phones: Vec<Phone>,
    /// Postal addresses.
    pub addresses: Vec<PostalAddress>,
    /// Company.
    pub organization: Option<String>,
    /// Job title.
    pub title: Option<String>,
    /// Department (the second component of `ORG`).
    pub department: Option<String>,
    /// Birthday.
    pub birthday: Option<Date>,
    /// Wedding anniversary.
    pub anniversary: Option<Date>,
    /// Web pages.
    pub urls: Vec<String>,
    /// Instant-messaging addresses; a value without a URI scheme is written
    /// with `sip:` (what Outlook's IM address field holds, for Lync/Skype for
    /// Business).
    pub im: Vec<String>,
    /// Free text (the item's body).
    pub note: Option<String>,
    /// Categories.
    pub categories: Vec<String>,
    /// The contact picture.
    pub photo: Option<Photo>,
}

/// One member of a distribution list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Member {
    /// A one-off address that is no contact.
    OneOff {
        /// Display name (written as the `X-CN` parameter of `MEMBER`).
        name: String,
        /// E-mail address.
        email: String,
    },
    /// A contact, by its [`Contact::uid`].
    Contact(String),
}

/// A distribution list (Outlook `IPM.DistList`), written as a vCard group.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DistList {
    /// A stable identifier.
    pub uid: String,
    /// The list's name (`FN`).
    pub name: String,
    /// Its members, in order.
    pub members: Vec<Member>,
    /// Free text.
    pub note: Option<String>,
    /// Categories.
    pub categories: Vec<String>,
}

// ---------------------------------------------------------------- calendar

/// A person on a calendar item (organizer).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Person {
    /// Display name (`CN`).
    pub name: Option<String>,
    /// E-mail address (written as `mailto:`).
    pub email: String,
}

/// An attendee's role (RFC 5545 3.2.16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Role {
    /// Required.
    #[default]
    Required,
    /// Optional.
    Optional,
    /// For information only (Outlook's resources are written so too).
    NonParticipant,
    /// The chair.
    Chair,
}

/// An attendee's answer (RFC 5545 3.2.12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PartStat {
    /// No answer yet.
    #[default]
    NeedsAction,
    /// Accepted.
    Accepted,
    /// Declined.
    Declined,
    /// Tentatively accepted.
    Tentative,
}

/// An attendee of a meeting.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Attendee {
    /// Display name (`CN`).
    pub name: Option<String>,
    /// E-mail address.
    pub email: String,
    /// Required, optional ...
    pub role: Role,
    /// Accepted, declined ...
    pub partstat: PartStat,
}

/// How an event shows on the owner's free/busy time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BusyStatus {
    /// Free (`TRANSP:TRANSPARENT`).
    Free,
    /// Tentative.
    Tentative,
    /// Busy.
    Busy,
    /// Out of office.
    OutOfOffice,
    /// Working elsewhere.
    WorkingElsewhere,
}

/// Access classification (`CLASS`, from Outlook's sensitivity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// Public.
    Public,
    /// Private.
    Private,
    /// Confidential.
    Confidential,
}

/// How often a rule repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Frequency {
    /// Every day.
    Daily,
    /// Every week.
    Weekly,
    /// Every month.
    Monthly,
    /// Every year.
    Yearly,
}

/// A recurrence rule (RFC 5545 3.3.10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RRule {
    /// Frequency.
    pub freq: Frequency,
    /// Every how many periods (1 is not written).
    pub interval: u32,
    /// Number of occurrences, if the rule ends so.
    pub count: Option<u32>,
    /// Last possible occurrence, if the rule ends so. RFC 5545 wants it a
    /// [`When::Date`] when DTSTART is a date, and [`When::Utc`] when DTSTART
    /// has a zone; it is written as given.
    pub until: Option<When>,
    /// Days of the week, each with an optional position (`Some(-1)` with
    /// Friday is the last Friday, `-1FR`).
    pub by_day: Vec<(Option<i8>, Weekday)>,
    /// Days of the month (negative counts from the end).
    pub by_month_day: Vec<i8>,
    /// Months, 1-12.
    pub by_month: Vec<u8>,
    /// Positions within the set. A single position over a single weekday is
    /// written as a positioned `BYDAY` instead (`BYDAY=-1FR`, not
    /// `BYDAY=FR;BYSETPOS=-1`); otherwise as given.
    pub by_set_pos: Vec<i16>,
    /// First day of the week, if not Monday.
    pub wkst: Option<Weekday>,
}

impl RRule {
    /// A rule of `freq` every period, with no end and no BY parts.
    pub fn new(freq: Frequency) -> RRule {
        RRule {
            freq,
            interval: 1,
            count: None,
            until: None,
            by_day: Vec::new(),
            by_month_day: Vec::new(),
            by_month: Vec::new(),
            by_set_pos: Vec::new(),
            wkst: None,
        }
    }
}

/// An appointment or meeting (`VEVENT`). A modified occurrence of a
/// recurring event is another `Event` with the master's `uid` and a
/// `recurrence_id`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Event {
    /// A stable identifier, shared by the master and its modified occurrences.
    pub uid: String,
    /// Subject.
    pub summary: Option<String>,
    /// Location.
    pub location: Option<String>,
    /// Body text.
    pub description: Option<String>,
    /// Start.
    pub start: Option<When>,
    /// End.
    pub end: Option<When>,
    /// All-day: start, end, EXDATE, RDATE and RECURRENCE-ID are written as
    /// dates (`VALUE=DATE`) whatever their form.
    pub all_day: bool,
    /// The organizer.
    pub organizer: Option<Person>,
    /// Attendees.
    pub attendees: Vec<Attendee>,
    /// Free/busy status.
    pub busy: Option<BusyStatus>,
    /// Reminder, minutes before the start (`VALARM`).
    pub reminder_minutes: Option<i64>,
    /// Categories.
    pub categories: Vec<String>,
    /// Classification.
    pub class: Option<Class>,
    /// Recurrence rule of a master event.
    pub rrule: Option<RRule>,
    /// Deleted occurrences, in DTSTART's form.
    pub exdates: Vec<When>,
    /// Extra occurrences, in DTSTART's form.
    pub rdates: Vec<When>,
    /// The original start of the occurrence this event replaces.
    pub recurrence_id: Option<When>,
    /// Revision number (`SEQUENCE`).
    pub sequence: Option<u32>,
    /// Creation time, Unix seconds.
    pub created: Option<i64>,
    /// Last modification time, Unix seconds.
    pub last_modified: Option<i64>,
    /// The modified occurrences of a recurring master: each has the
    /// master's `uid` and a `recurrence_id`, and is written as its own
    /// `VEVENT` right after the master (RFC 5545 3.8.4.4). Empty for a
    /// single event and for an override itself.
    pub overrides: Vec<Event>,
    /// The zones this event's (and its overrides') [`When::Local`] values
    /// name. The calendar writer puts each `tzid` once in the calendar; a
    /// mapper must give different definitions different `tzid`s.
    pub timezones: Vec<TimeZone>,
}

/// A task's status (RFC 5545 3.8.1.11, VTODO values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskStatus {
    /// Not started.
    NeedsAction,
    /// In progress.
    InProcess,
    /// Done.
    Completed,
    /// Cancelled (Outlook's "deferred" maps here or to NeedsAction, the
    /// mapper's choice).
    Cancelled,
}

/// A task (`VTODO`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Task {
    /// A stable identifier.
    pub uid: String,
    /// Subject.
    pub summary: Option<String>,
    /// Body text.
    pub description: Option<String>,
    /// Start.
    pub start: Option<When>,
    /// Due.
    pub due: Option<When>,
    /// When it was completed, Unix seconds (RFC 5545 wants UTC here).
    pub completed: Option<i64>,
    /// Status.
    pub status: Option<TaskStatus>,
    /// Percent complete, 0-100.
    pub percent_complete: Option<u8>,
    /// Priority, 0 (undefined) and 1 (highest) to 9 (lowest).
    pub priority: Option<u8>,
    /// Categories.
    pub categories: Vec<String>,
    /// Classification.
    pub class: Option<Class>,
    /// Recurrence rule.
    pub rrule: Option<RRule>,
    /// Creation time, Unix seconds.
    pub created: Option<i64>,
    /// Last modification time, Unix seconds.
    pub last_modified: Option<i64>,
}

/// A journal entry (`VJOURNAL`; Outlook `IPM.Activity`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Journal {
    /// A stable identifier.
    pub uid: String,
    /// Subject.
    pub summary: Option<String>,
    /// Body text.
    pub description: Option<String>,
    /// Start.
    pub dtstart: Option<When>,
    /// Categories.
    pub categories: Vec<String>,
    /// Creation time, Unix seconds.
    pub created: Option<i64>,
    /// Last modification time, Unix seconds.
    pub last_modified: Option<i64>,
}

/// A sticky note (Outlook `IPM.StickyNote`): the same fields as a journal
/// entry, and written the same way (`VJOURNAL`); [`Item::Note`](crate::Item)
/// keeps the two kinds apart.
pub type Note = Journal;

/// The yearly date of a zone transition: the `nth` `weekday` of `month`
/// (`nth` -1 is the last one), as Windows time-zone rules state it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Transition {
    /// Month, 1-12.
    pub month: u8,
    /// Which one: 1-4, or -1 for the last.
    pub nth: i8,
    /// The weekday.
    pub weekday: Weekday,
}

/// One observance of a zone (`STANDARD` or `DAYLIGHT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneRule {
    /// UTC offset before the transition, minutes east of UTC.
    pub offset_from: i32,
    /// UTC offset after it, minutes east of UTC.
    pub offset_to: i32,
    /// The first transition, local time before it (`DTSTART`).
    pub start: DateTime,
    /// The yearly repetition, if any (`RRULE:FREQ=YEARLY;BYMONTH=..;BYDAY=..`).
    pub transition: Option<Transition>,
}

/// A time zone (`VTIMEZONE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZone {
    /// Its identifier, as [`When::Local`] names it.
    pub tzid: String,
    /// Standard time.
    pub standard: ZoneRule,
    /// Daylight saving time, for zones that have it.
    pub daylight: Option<ZoneRule>,
}

impl TimeZone {
    /// The UTC instant (Unix seconds) of the wall-clock time `t` in this
    /// zone. A time that does not exist (the hour skipped when clocks go
    /// forward) is read with the offset in force before the transition, and
    /// a time that occurs twice (the hour repeated when they go back) as its
    /// first occurrence, as RFC 5545 3.3.5 says for DATE-TIME with TZID.
    pub fn utc_from_local(&self, t: &DateTime) -> i64 {
        let local = t.unix_if_utc();
        let std_off = i64::from(self.standard.offset_to) * 60;
        let Some(dst) = &self.daylight else {
            return local - std_off;
        };
        let dst_off = i64::from(dst.offset_to) * 60;
        let as_dst = local - dst_off;
        let as_std = local - std_off;
        // Both readings valid: the earlier instant is the first occurrence.
        let (first, second) = if as_dst <= as_std { (as_dst, as_std) } else { (as_std, as_dst) };
        for u in [first, second] {
            if self.offset_at(u) * 60 == local - u {
                return u;
            }
        }
        // In the gap: the offset before the transition. The gap is entered
        // by the transition into daylight time, whose offset_from that is.
        local - i64::from(dst.offset_from) * 60
    }

    /// The wall-clock time in this zone at the UTC instant `unix`.
    pub fn local_from_utc(&self, unix: i64) -> DateTime {
        let t = unix.saturating_add(self.offset_at(unix) * 60);
        let c = crate::time::Civil::from_unix(t);
        DateTime {
            date: Date::new(c.year.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32, c.month as u8, c.day as u8),
            hour: c.hour as u8,
            minute: c.minute as u8,
            second: c.second as u8,
        }
    }

    /// The UTC offset (minutes east) in force at the UTC instant `unix`.
    fn offset_at(&self, unix: i64) -> i64 {
        let std_off = i64::from(self.standard.offset_to);
        let Some(dst) = &self.daylight else {
            return std_off;
        };
        // The year as standard time sees it; transitions are months away
        // from New Year in every zone that has them.
        let year = crate::time::Civil::from_unix(unix.saturating_add(std_off * 60)).year;
        let (Some(to_dst), Some(to_std)) = (dst.onset(year), self.standard.onset(year)) else {
            // A rule without a yearly repetition: the observance whose
            // single onset came last (before `unix`) is in force.
            let d = dst.onset(i64::from(dst.start.date.year));
            let s = self.standard.onset(i64::from(self.standard.start.date.year));
            return match (d, s) {
                (Some(d), Some(s)) if d <= unix && (s > unix || d > s) => i64::from(dst.offset_to),
                (Some(d), None) if d <= unix => i64::from(dst.offset_to),
                _ => std_off,
            };
        };
        let in_dst = if to_dst < to_std {
            // Northern hemisphere: daylight time inside the year.
            (to_dst..to_std).contains(&unix)
        } else {
            // Southern: daylight time across New Year.
            unix >= to_dst || unix < to_std
        };
        if in_dst {
            i64::from(dst.offset_to)
        } else {
            std_off
        }
    }
}

impl ZoneRule {
    /// The UTC instant this observance begins in `year`: its yearly
    /// transition (or, without one, its single start when in that year),
    /// at the local time of `start`, read with `offset_from`.
    fn onset(&self, year: i64) -> Option<i64> {
        let day = match self.transition {
            Some(tr) => tr.day(year)?,
            None if i64::from(self.start.date.year) == year => {
                crate::time::days_from_civil(year, u32::from(self.start.date.month), u32::from(self.start.date.day))
            }
            None => return None,
        };
        let secs = i64::from(self.start.hour) * 3600 + i64::from(self.start.minute) * 60 + i64::from(self.start.second);
        // Saturating: `year` comes from any i64 instant a caller passes.
        Some(day.saturating_mul(86_400).saturating_add(secs - i64::from(self.offset_from) * 60))
    }
}

impl Transition {
    /// Days since 1970-01-01 of this transition's day in `year` (the
    /// `nth` `weekday` of `month`: 1-4, or -1 and 5 for the last, as
    /// Windows rules say 5); `None` for a month or position out of range.
    pub fn day(&self, year: i64) -> Option<i64> {
        if !(1..=12).contains(&self.month) {
            return None;
        }
        let wd = self.weekday as i64; // Sunday = 0
        let first = crate::time::days_from_civil(year, u32::from(self.month), 1);
        let last = first + i64::from(crate::time::days_in_month(year, u32::from(self.month))) - 1;
        // 1970-01-01 was a Thursday (4).
        let dow = |d: i64| (d + 4).rem_euclid(7);
        match self.nth {
            1..=4 => Some(first + (wd - dow(first)).rem_euclid(7) + 7 * (i64::from(self.nth) - 1)),
            -1 | 5 => Some(last - (dow(last) - wd).rem_euclid(7)),
            _ => None,
        }
    }
}

/// A UID in UUID form (`xxxxxxxx-xxxx-8xxx-yxxx-xxxxxxxxxxxx`, lower-case
/// hex), derived from SHA-256 of `namespace`, a NUL and `identity`, with the
/// RFC 9562 version 8 (custom) and variant bits set. The same input always
/// gives the same UID, so exporting twice gives the same file; different
/// namespaces ("pst-contact", "pst-event" ...) keep kinds apart.
pub fn stable_uid(namespace: &str, identity: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(namespace.as_bytes());
    h.update([0u8]);
    h.update(identity);
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

// ------------------------------------------------- shared content-line code

/// Escapes a TEXT value (RFC 5545 3.3.11, RFC 6350 3.4): backslash, comma,
/// semicolon, and every line break as `\n`.
pub(crate) fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            // Other controls are not allowed in content lines (RFC 5545 3.1).
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// A URI or other non-text value: no escaping, but no line breaks or other
/// controls either.
pub(crate) fn clean_raw(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

/// A parameter value (RFC 5545 3.2, RFC 6350 3.3): DQUOTE and controls
/// cannot be carried at all (RFC 6868 caret encoding is not widely read),
/// so `"` becomes `'` and controls are dropped; the value is quoted when it
/// holds `:`, `;` or `,`.
pub(crate) fn param_value(s: &str) -> String {
    let v: String = s.chars().filter(|c| !c.is_control()).map(|c| if c == '"' { '\'' } else { c }).collect();
    if v.contains([':', ';', ',']) {
        format!("\"{v}\"")
    } else {
        v
    }
}

/// Appends one content line, folded at 75 octets (RFC 5545 3.1, RFC 6350
/// 3.2) without splitting a UTF-8 character, each continuation starting with
/// one space, every line ending in CRLF.
pub(crate) fn push_line(out: &mut String, line: &str) {
    let mut rest = line;
    let mut limit = 75;
    loop {
        if rest.len() <= limit {
            out.push_str(rest);
            out.push_str("\r\n");
            return;
        }
        let mut cut = limit;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        // The leading space counts towards the 75 octets.
        limit = 74;
    }
}

/// Builds `NAME;P1=v1;P2=v2:value` (parameter values already formatted).
pub(crate) fn prop(out: &mut String, name: &str, params: &[(&str, String)], value: &str) {
    let mut line = String::with_capacity(name.len() + value.len() + 16);
    line.push_str(name);
    for (k, v) in params {
        line.push(';');
        line.push_str(k);
        line.push('=');
        line.push_str(v);
    }
    line.push(':');
    line.push_str(value);
    push_line(out, &line);
}

/// Base64 (RFC 4648, with padding), for vCard photos.
pub(crate) fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(A[(n >> 18) as usize & 63] as char);
        out.push(A[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 { A[(n >> 6) as usize & 63] as char } else { '=' });
        out.push(if chunk.len() > 2 { A[n as usize & 63] as char } else { '=' });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_keeps_utf8_whole_and_lines_short() {
        let mut out = String::new();
        let line = format!("SUMMARY:{}", "é".repeat(100));
        push_line(&mut out, &line);
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets", l.len());
        }
        let unfolded = out.trim_end_matches("\r\n").replace("\r\n ", "");
        assert_eq!(unfolded, line);
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    fn zone(std: i32, dst: i32, to_dst: (u8, i8), to_std: (u8, i8), dst_hour: u8, std_hour: u8) -> TimeZone {
        TimeZone {
            tzid: "Z".into(),
            standard: ZoneRule {
                offset_from: dst,
                offset_to: std,
                start: DateTime::new(1601, 1, 1, std_hour, 0, 0),
                transition: Some(Transition { month: to_std.0, nth: to_std.1, weekday: Weekday::Sunday }),
            },
            daylight: Some(ZoneRule {
                offset_from: std,
                offset_to: dst,
                start: DateTime::new(1601, 1, 1, dst_hour, 0, 0),
                transition: Some(Transition { month: to_dst.0, nth: to_dst.1, weekday: Weekday::Sunday }),
            }),
        }
    }

    /// Unix seconds of a UTC date-time.
    fn utc(y: i32, mo: u8, d: u8, h: u8, mi: u8) -> i64 {
        DateTime::new(y, mo, d, h, mi, 0).unix_if_utc()
    }

    #[test]
    fn berlin_2025_switches_on_mar_30_and_oct_26() {
        // W. Europe Standard Time: last Sunday of March 02:00 -> 03:00,
        // last Sunday of October 03:00 -> 02:00.
        let z = zone(60, 120, (3, 5), (10, -1), 2, 3);
        assert_eq!(z.utc_from_local(&DateTime::new(2025, 3, 12, 8, 30, 0)), utc(2025, 3, 12, 7, 30));
        assert_eq!(z.utc_from_local(&DateTime::new(2025, 3, 30, 1, 59, 0)), utc(2025, 3, 30, 0, 59));
        assert_eq!(z.utc_from_local(&DateTime::new(2025, 3, 30, 3, 0, 0)), utc(2025, 3, 30, 1, 0));
        // 02:30 does not exist: read with the offset before (UTC+1).
        assert_eq!(z.utc_from_local(&DateTime::new(2025, 3, 30, 2, 30, 0)), utc(2025, 3, 30, 1, 30));
        assert_eq!(z.utc_from_local(&DateTime::new(2025, 6, 1, 12, 0, 0)), utc(2025, 6, 1, 10, 0));
        // 02:30 on Oct 26 happens twice: the first (still CEST) wins.
        assert_eq!(z.utc_from_local(&DateTime::new(2025, 10, 26, 2, 30, 0)), utc(2025, 10, 26, 0, 30));
        assert_eq!(z.utc_from_local(&DateTime::new(2025, 10, 26, 3, 0, 0)), utc(2025, 10, 26, 2, 0));
        assert_eq!(z.local_from_utc(utc(2025, 3, 30, 0, 59)), DateTime::new(2025, 3, 30, 1, 59, 0));
        assert_eq!(z.local_from_utc(utc(2025, 3, 30, 1, 0)), DateTime::new(2025, 3, 30, 3, 0, 0));
        assert_eq!(z.local_from_utc(utc(2025, 10, 26, 0, 59)), DateTime::new(2025, 10, 26, 2, 59, 0));
        assert_eq!(z.local_from_utc(utc(2025, 10, 26, 1, 0)), DateTime::new(2025, 10, 26, 2, 0, 0));
        assert_eq!(z.local_from_utc(utc(2025, 12, 31, 23, 30)), DateTime::new(2026, 1, 1, 0, 30, 0));
    }

    #[test]
    fn los_angeles_2025_switches_on_mar_9_and_nov_2() {
        // Pacific Standard Time: second Sunday of March, first Sunday of
        // November, both at 02:00 local.
        let z = zone(-480, -420, (3, 2), (11, 1), 2, 2);
        assert_eq!(z.local_from_utc(utc(2025, 3, 9, 9, 59)), DateTime::new(2025, 3, 9, 1, 59, 0));
        assert_eq!(z.local_from_utc(utc(2025, 3, 9, 10, 0)), DateTime::new(2025, 3, 9, 3, 0, 0));
        assert_eq!(z.local_from_utc(utc(2025, 11, 2, 8, 59)), DateTime::new(2025, 11, 2, 1, 59, 0));
        assert_eq!(z.local_from_utc(utc(2025, 11, 2, 9, 0)), DateTime::new(2025, 11, 2, 1, 0, 0));
        assert_eq!(z.utc_from_local(&DateTime::new(2025, 6, 6, 17, 0, 0)), utc(2025, 6, 7, 0, 0));
        assert_eq!(z.utc_from_local(&DateTime::new(2025, 1, 31, 16, 0, 0)), utc(2025, 2, 1, 0, 0));
        assert_eq!(z.utc_from_local(&DateTime::new(2025, 11, 2, 1, 30, 0)), utc(2025, 11, 2, 8, 30));
    }

    #[test]
    fn southern_and_fixed_offset_zones() {
        // AUS Eastern: daylight from the first Sunday of October to the
        // first Sunday of April (03:00 local, back to 02:00).
        let z = zone(600, 660, (10, 1), (4, 1), 2, 3);
        assert_eq!(z.local_from_utc(utc(2025, 1, 15, 0, 0)), DateTime::new(2025, 1, 15, 11, 0, 0));
        assert_eq!(z.local_from_utc(utc(2025, 7, 15, 0, 0)), DateTime::new(2025, 7, 15, 10, 0, 0));
        assert_eq!(z.utc_from_local(&DateTime::new(2025, 12, 25, 9, 0, 0)), utc(2025, 12, 24, 22, 0));
        // Extreme instants saturate instead of overflowing.
        let _ = z.local_from_utc(i64::MAX);
        let _ = z.local_from_utc(i64::MIN);
        let fixed = TimeZone { daylight: None, ..zone(330, 330, (1, 1), (1, 1), 0, 0) };
        assert_eq!(fixed.local_from_utc(0), DateTime::new(1970, 1, 1, 5, 30, 0));
        assert_eq!(fixed.utc_from_local(&DateTime::new(1970, 1, 1, 5, 30, 0)), 0);
    }

    #[test]
    fn stable_uid_is_stable_and_uuid_shaped() {
        let a = stable_uid("pst-contact", b"\x01\x02");
        assert_eq!(a, stable_uid("pst-contact", b"\x01\x02"));
        assert_ne!(a, stable_uid("pst-event", b"\x01\x02"));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "8");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn escaping() {
        assert_eq!(escape_text("a,b;c\\d\r\ne\nf"), "a\\,b\\;c\\\\d\\ne\\nf");
        assert_eq!(param_value("Smith, John"), "\"Smith, John\"");
        assert_eq!(param_value("Jo \"J\""), "Jo 'J'");
    }
}
