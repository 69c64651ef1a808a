//! Recurrence blobs: `RecurrencePattern` ([MS-OXOCAL] 2.2.1.44.1) and
//! `AppointmentRecurrencePattern` with its `ExceptionInfo` and
//! `ExtendedException` records (2.2.1.44.2, 2.2.1.44.3), and their mapping
//! onto the parts of an RFC 5545 RRULE ([`RecurrencePattern::rule`]).
//!
//! Every date in these structures counts minutes since 1601-01-01 00:00 in
//! the appointment's own time zone (not UTC): [`LocalTime`] breaks them
//! into calendar parts without applying any offset.
//!
//! The blobs come from the file and are untrusted: every read is
//! bounds-checked, every count is checked against the bytes left before
//! anything is allocated for it, and errors name the structure and the
//! offset inside the blob.

use encoding_rs::{Encoding, WINDOWS_1252};

use crate::mapi::Malformed;

/// `RecurFrequency` (2.2.1.44.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecurFrequency {
    /// 0x200A.
    Daily,
    /// 0x200B.
    Weekly,
    /// 0x200C.
    Monthly,
    /// 0x200D.
    Yearly,
    /// Any other value, as stored.
    Other(u16),
}

impl RecurFrequency {
    fn from_u16(v: u16) -> Self {
        match v {
            0x200A => Self::Daily,
            0x200B => Self::Weekly,
            0x200C => Self::Monthly,
            0x200D => Self::Yearly,
            v => Self::Other(v),
        }
    }
}

/// `PatternType` (2.2.1.44.1): what `PatternTypeSpecific` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternType {
    /// 0x0000: every `Period` minutes (daily).
    Day,
    /// 0x0001: on the days of a week mask, every `Period` weeks.
    Week,
    /// 0x0002: on a day of the month, every `Period` months.
    Month,
    /// 0x0003: on the n-th (5 = last) of some weekdays of the month.
    MonthNth,
    /// 0x0004: on the last day of the month.
    MonthEnd,
    /// 0x000A: Hijri calendar, on a day of the month.
    HjMonth,
    /// 0x000B: Hijri calendar, n-th weekday of the month.
    HjMonthNth,
    /// 0x000C: Hijri calendar, last day of the month.
    HjMonthEnd,
}

impl PatternType {
    fn from_u16(v: u16) -> Option<Self> {
        Some(match v {
            0x0 => Self::Day,
            0x1 => Self::Week,
            0x2 => Self::Month,
            0x3 => Self::MonthNth,
            0x4 => Self::MonthEnd,
            0xA => Self::HjMonth,
            0xB => Self::HjMonthNth,
            0xC => Self::HjMonthEnd,
            _ => return None,
        })
    }
}

/// `PatternTypeSpecific` (2.2.1.44.1.2), by pattern type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternSpecific {
    /// Day pattern: no field.
    None,
    /// Week pattern: day mask, bit 0 Sunday ... bit 6 Saturday.
    Week {
        /// The weekday bitmask.
        days: u32,
    },
    /// Month / MonthEnd / Hijri variants: day of the month (MonthEnd: 31).
    Month {
        /// 1-31.
        day: u32,
    },
    /// MonthNth / HjMonthNth: weekday mask and which occurrence.
    MonthNth {
        /// The weekday bitmask, as in `Week`.
        days: u32,
        /// 1-4, or 5 for the last.
        nth: u32,
    },
}

/// `EndType` (2.2.1.44.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndType {
    /// 0x2021: ends on `EndDate`.
    AfterDate,
    /// 0x2022: ends after `OccurrenceCount` occurrences.
    AfterCount,
    /// 0x2023 or 0xFFFFFFFF: never ends.
    Never,
    /// Any other value, as stored (read as never ending).
    Other(u32),
}

impl EndType {
    fn from_u32(v: u32) -> Self {
        match v {
            0x2021 => Self::AfterDate,
            0x2022 => Self::AfterCount,
            0x2023 | 0xFFFF_FFFF => Self::Never,
            v => Self::Other(v),
        }
    }
}

/// A `RecurrencePattern` ([MS-OXOCAL] 2.2.1.44.1): the series of an
/// appointment or (alone, as PidLidTaskRecurrence) of a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecurrencePattern {
    /// `ReaderVersion` (0x3004).
    pub reader_version: u16,
    /// `WriterVersion` (0x3004).
    pub writer_version: u16,
    /// `RecurFrequency`.
    pub frequency: RecurFrequency,
    /// `PatternType`.
    pub pattern_type: PatternType,
    /// `CalendarType` (0 or 1 Gregorian, others per 2.2.1.44.1).
    pub calendar_type: u16,
    /// `FirstDateTime`: an offset Outlook computes from the start; kept as stored.
    pub first_date_time: u32,
    /// `Period`: minutes (daily), weeks (weekly) or months (monthly, yearly).
    pub period: u32,
    /// `SlidingFlag`: tasks that regenerate from completion.
    pub sliding_flag: u32,
    /// `PatternTypeSpecific`.
    pub specific: PatternSpecific,
    /// `EndType`.
    pub end_type: EndType,
    /// `OccurrenceCount`.
    pub occurrence_count: u32,
    /// `FirstDOW`: 0 Sunday ... 6 Saturday.
    pub first_dow: u32,
    /// `DeletedInstanceDates`: midnight of the original day of every
    /// deleted *or modified* instance, in minutes since 1601.
    pub deleted_instance_dates: Vec<u32>,
    /// `ModifiedInstanceDates`: midnight of the new day of every modified instance.
    pub modified_instance_dates: Vec<u32>,
    /// `StartDate`: midnight of the first day of the series.
    pub start_date: u32,
    /// `EndDate`: midnight of the last day (0x5AE980DF for no end).
    pub end_date: u32,
}

/// The ARO_* `OverrideFlags` of an `ExceptionInfo` (2.2.1.44.2).
pub mod aro {
    /// Subject changed.
    pub const SUBJECT: u16 = 0x0001;
    /// Meeting type changed.
    pub const MEETINGTYPE: u16 = 0x0002;
    /// Reminder delta changed.
    pub const REMINDERDELTA: u16 = 0x0004;
    /// Reminder set changed.
    pub const REMINDER: u16 = 0x0008;
    /// Location changed.
    pub const LOCATION: u16 = 0x0010;
    /// Busy status changed.
    pub const BUSYSTATUS: u16 = 0x0020;
    /// Attachments changed.
    pub const ATTACHMENT: u16 = 0x0040;
    /// All-day flag changed.
    pub const SUBTYPE: u16 = 0x0080;
    /// Reserved colour field.
    pub const APPTCOLOR: u16 = 0x0100;
    /// The exception's body differs (in the exception attachment).
    pub const EXCEPTIONAL_BODY: u16 = 0x0200;
}

/// One modified instance: an `ExceptionInfo` (2.2.1.44.2) with what its
/// `ExtendedException` (2.2.1.44.3) adds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExceptionInfo {
    /// `StartDateTime`: the instance's new start (local minutes since 1601).
    pub start: u32,
    /// `EndDateTime`: its new end.
    pub end: u32,
    /// `OriginalStartDate`: where the series had put it (date and time).
    pub original_start: u32,
    /// `OverrideFlags` ([`aro`]).
    pub override_flags: u16,
    /// The changed subject: the extended exception's Unicode text when
    /// present, else the ANSI one.
    pub subject: Option<String>,
    /// `MeetingType`.
    pub meeting_type: Option<u32>,
    /// `ReminderDelta` (minutes).
    pub reminder_delta: Option<u32>,
    /// `ReminderSet`.
    pub reminder_set: Option<bool>,
    /// The changed location, as `subject`.
    pub location: Option<String>,
    /// `BusyStatus`.
    pub busy_status: Option<u32>,
    /// `Attachment`.
    pub attachment: Option<u32>,
    /// `SubType` (all-day).
    pub sub_type: Option<u32>,
    /// `AppointmentColor`.
    pub appointment_color: Option<u32>,
    /// `ChangeHighlight` value of the extended exception, when written.
    pub change_highlight: Option<u32>,
}

/// An `AppointmentRecurrencePattern` (2.2.1.44.2): PidLidAppointmentRecur.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentRecurrencePattern {
    /// The series.
    pub pattern: RecurrencePattern,
    /// `ReaderVersion2` (0x3006).
    pub reader_version2: u32,
    /// `WriterVersion2` (0x3006 to 0x3009).
    pub writer_version2: u32,
    /// `StartTimeOffset`: minutes after midnight at which instances start.
    pub start_time_offset: u32,
    /// `EndTimeOffset`: minutes after midnight (of the start day) at which they end.
    pub end_time_offset: u32,
    /// The modified instances, in stored order.
    pub exceptions: Vec<ExceptionInfo>,
}

/// A date and time with no zone, from minutes since 1601-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTime {
    /// Year.
    pub year: i32,
    /// 1-12.
    pub month: u32,
    /// 1-31.
    pub day: u32,
    /// 0-23.
    pub hour: u32,
    /// 0-59.
    pub minute: u32,
}

/// Minutes from 1601-01-01 to 1970-01-01.
const MINUTES_1601_TO_1970: i64 = 11_644_473_600 / 60;

impl LocalTime {
    /// The calendar parts of `minutes` since 1601-01-01 00:00.
    pub fn from_minutes(minutes: u32) -> LocalTime {
        let m = i64::from(minutes) - MINUTES_1601_TO_1970;
        let days = m.div_euclid(1440);
        let rem = m.rem_euclid(1440);
        let (y, mo, d) = crate::time::civil_from_days(days);
        LocalTime {
            // u32 minutes reach no further than year 9767.
            year: y as i32,
            month: mo,
            day: d,
            hour: (rem / 60) as u32,
            minute: (rem % 60) as u32,
        }
    }

    /// (year, month, day).
    pub fn date(&self) -> (i32, u32, u32) {
        (self.year, self.month, self.day)
    }

    /// Seconds since 1970-01-01 were this time UTC (for time-zone conversion upstream).
    pub fn as_unix_if_utc(&self) -> i64 {
        let days = crate::time::days_from_civil(i64::from(self.year), self.month, self.day);
        days * 86_400 + i64::from(self.hour) * 3600 + i64::from(self.minute) * 60
    }
}

impl std::fmt::Display for LocalTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}T{:02}:{:02}:00", self.year, self.month, self.day, self.hour, self.minute)
    }
}

/// The RRULE frequency: core's type, so the PIM mappers need no conversion.
pub use crate::pim::Frequency as Freq;
/// A day of the week: core's type; its variants run Sunday first, which is
/// MAPI's bit order (Sunday = bit 0).
pub use crate::pim::Weekday;

const WEEKDAYS: [Weekday; 7] = [
    Weekday::Sunday,
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
];

/// 0 Sunday ... 6 Saturday (FirstDOW); `None` beyond.
pub fn weekday_from_index(i: u32) -> Option<Weekday> {
    WEEKDAYS.get(i as usize).copied()
}

/// The days set in a MAPI weekday mask, Sunday first.
pub fn weekdays_from_mask(mask: u32) -> Vec<Weekday> {
    (0..7).filter(|bit| mask & (1 << bit) != 0).map(|bit| WEEKDAYS[bit as usize]).collect()
}

/// The parts of an RFC 5545 RRULE a [`RecurrencePattern`] maps to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleParts {
    /// FREQ.
    pub freq: Freq,
    /// INTERVAL (1 when the pattern says 0).
    pub interval: u32,
    /// BYDAY: an optional ordinal (-1 = last) and a weekday.
    pub by_day: Vec<(Option<i8>, Weekday)>,
    /// BYMONTHDAY (-1 = last day of the month).
    pub by_month_day: Option<i32>,
    /// BYMONTH, for yearly rules.
    pub by_month: Option<u32>,
    /// BYSETPOS, for "n-th of several weekdays" (-1 = last).
    pub by_set_pos: Option<i8>,
    /// COUNT.
    pub count: Option<u32>,
    /// UNTIL, as the local date of EndDate (a day later when
    /// OccurrenceCount proves EndDate a day short, see
    /// [`RecurrencePattern::rule`]): instances on that day belong
    /// to the series (Outlook's "End by"), so the caller should make UNTIL
    /// that day at the series' start time (or its end of day), converted
    /// to UTC when DTSTART has a TZID (RFC 5545 3.3.10).
    pub until_date: Option<(i32, u32, u32)>,
    /// WKST.
    pub wkst: Weekday,
    /// True when the pattern uses the Hijri calendar (CalendarType or a
    /// HjMonth pattern), which an RRULE without RSCALE cannot say: the
    /// parts are then the Gregorian reading.
    pub non_gregorian: bool,
}

/// One modified instance, in calendar terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// Where the series had put it: its RECURRENCE-ID (local).
    pub original_start: LocalTime,
    /// Its new start (local).
    pub start: LocalTime,
    /// Its new end (local).
    pub end: LocalTime,
    /// Its subject, when changed.
    pub subject: Option<String>,
    /// Its location, when changed.
    pub location: Option<String>,
    /// Its busy status, when changed.
    pub busy_status: Option<u32>,
    /// Reminder minutes, when changed.
    pub reminder_delta: Option<u32>,
    /// Whether the reminder is set, when changed.
    pub reminder_set: Option<bool>,
    /// All-day flag, when changed.
    pub all_day: Option<bool>,
}

/// A bounds-checked little-endian reader over a blob.
struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(data: &'a [u8]) -> Self {
        Cursor { data, pos: 0 }
    }

    fn left(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    fn err(&self, structure: &'static str, reason: impl Into<String>) -> Malformed {
        Malformed::new(structure, self.pos as u64, reason)
    }

    fn bytes(&mut self, n: usize, structure: &'static str, field: &str) -> Result<&'a [u8], Malformed> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.data.len()).ok_or_else(|| {
            self.err(structure, format!("{field}: needs {n} bytes, {} left in the blob", self.left()))
        })?;
        let b = &self.data[self.pos..end];
        self.pos = end;
        Ok(b)
    }

    fn u16(&mut self, structure: &'static str, field: &str) -> Result<u16, Malformed> {
        let b = self.bytes(2, structure, field)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self, structure: &'static str, field: &str) -> Result<u32, Malformed> {
        let b = self.bytes(4, structure, field)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// `count` u32 values, the count checked against the bytes left first.
    fn u32_array(&mut self, count: u32, structure: &'static str, field: &str) -> Result<Vec<u32>, Malformed> {
        let n = count as usize;
        if n.checked_mul(4).is_none_or(|b| b > self.left()) {
            return Err(
                self.err(structure, format!("{field}: count {count} needs more than the {} bytes left", self.left()))
            );
        }
        (0..n).map(|_| self.u32(structure, field)).collect()
    }

    /// A u32 size followed by that many bytes, skipped.
    fn reserved_block(&mut self, structure: &'static str, field: &str) -> Result<(), Malformed> {
        let size = self.u32(structure, field)?;
        self.bytes(size as usize, structure, field)?;
        Ok(())
    }
}

const RP: &str = "RecurrencePattern";
const ARP: &str = "AppointmentRecurrencePattern";
const EI: &str = "ExceptionInfo";
const EE: &str = "ExtendedException";

impl RecurrencePattern {
    /// Decodes a `RecurrencePattern` (PidLidTaskRecurrence, or the start of
    /// PidLidAppointmentRecur). Bytes after `EndDate` are ignored.
    pub fn parse(blob: &[u8]) -> Result<RecurrencePattern, Malformed> {
        let mut c = Cursor::new(blob);
        RecurrencePattern::read(&mut c)
    }

    fn read(c: &mut Cursor<'_>) -> Result<RecurrencePattern, Malformed> {
        let reader_version = c.u16(RP, "ReaderVersion")?;
        if reader_version != 0x3004 {
            return Err(Malformed::new(RP, 0, format!("ReaderVersion {reader_version:#06x}, expected 0x3004")));
        }
        let writer_version = c.u16(RP, "WriterVersion")?;
        let frequency = RecurFrequency::from_u16(c.u16(RP, "RecurFrequency")?);
        let at = c.pos;
        let pt = c.u16(RP, "PatternType")?;
        let pattern_type = PatternType::from_u16(pt)
            .ok_or_else(|| Malformed::new(RP, at as u64, format!("unknown PatternType {pt:#06x}")))?;
        let calendar_type = c.u16(RP, "CalendarType")?;
        let first_date_time = c.u32(RP, "FirstDateTime")?;
        let period = c.u32(RP, "Period")?;
        let sliding_flag = c.u32(RP, "SlidingFlag")?;
        // 2.2.1.44.1.2: the size of PatternTypeSpecific follows PatternType.
        let specific = match pattern_type {
            PatternType::Day => PatternSpecific::None,
            PatternType::Week => {
                PatternSpecific::Week { days: c.u32(RP, "PatternTypeSpecific.WeekRecurrencePattern")? }
            }
            PatternType::Month | PatternType::MonthEnd | PatternType::HjMonth | PatternType::HjMonthEnd => {
                PatternSpecific::Month { day: c.u32(RP, "PatternTypeSpecific.Day")? }
            }
            PatternType::MonthNth | PatternType::HjMonthNth => {
                let days = c.u32(RP, "PatternTypeSpecific.MonthNth.WeekRecurrencePattern")?;
                let nth = c.u32(RP, "PatternTypeSpecific.MonthNth.N")?;
                PatternSpecific::MonthNth { days, nth }
            }
        };
        let end_type = EndType::from_u32(c.u32(RP, "EndType")?);
        let occurrence_count = c.u32(RP, "OccurrenceCount")?;
        let first_dow = c.u32(RP, "FirstDOW")?;
        let n = c.u32(RP, "DeletedInstanceCount")?;
        let deleted_instance_dates = c.u32_array(n, RP, "DeletedInstanceDates")?;
        let n = c.u32(RP, "ModifiedInstanceCount")?;
        let modified_instance_dates = c.u32_array(n, RP, "ModifiedInstanceDates")?;
        let start_date = c.u32(RP, "StartDate")?;
        let end_date = c.u32(RP, "EndDate")?;
        Ok(RecurrencePattern {
            reader_version,
            writer_version,
            frequency,
            pattern_type,
            calendar_type,
            first_date_time,
            period,
            sliding_flag,
            specific,
            end_type,
            occurrence_count,
            first_dow,
            deleted_instance_dates,
            modified_instance_dates,
            start_date,
            end_date,
        })
    }

    /// The RRULE parts of this pattern, by the usual MAPI to RFC 5545
    /// mapping ([MS-OXCICAL] 2.1.3.2.2 goes the same way):
    ///
    /// - Day: DAILY, INTERVAL = Period / 1440 (Period is in minutes).
    /// - Week: WEEKLY with BYDAY, INTERVAL = Period (weeks); Outlook's
    ///   "every weekday" is stored with RecurFrequency daily and a Week
    ///   pattern, and comes out as WEEKLY;BYDAY=MO,TU,WE,TH,FR.
    /// - Month: MONTHLY;BYMONTHDAY (MonthEnd: BYMONTHDAY=-1), INTERVAL =
    ///   Period (months); with RecurFrequency yearly, YEARLY with BYMONTH
    ///   from StartDate and INTERVAL = Period / 12.
    /// - MonthNth: the n-th weekday, 5 meaning the last (-1): one weekday is
    ///   BYDAY=nXX; several ("last weekday of the month") are
    ///   BYDAY=MO,TU,...;BYSETPOS=n.
    /// - EndType: COUNT, UNTIL (the date of EndDate, or the day after it
    ///   when OccurrenceCount shows that the writer stored EndDate a day
    ///   early, as Aspose.Email does east of UTC: the OccurrenceCount-th
    ///   instance, by [`instance_dates`](Self::instance_dates), falls on
    ///   that next day) or nothing.
    pub fn rule(&self) -> RuleParts {
        let mut r = RuleParts {
            freq: Freq::Daily,
            interval: 1,
            by_day: Vec::new(),
            by_month_day: None,
            by_month: None,
            by_set_pos: None,
            count: None,
            until_date: None,
            wkst: weekday_from_index(self.first_dow).unwrap_or(Weekday::Sunday),
            non_gregorian: matches!(
                self.pattern_type,
                PatternType::HjMonth | PatternType::HjMonthNth | PatternType::HjMonthEnd
            ) || !matches!(self.calendar_type, 0 | 1),
        };
        let yearly = self.frequency == RecurFrequency::Yearly;
        let months = |r: &mut RuleParts| {
            if yearly {
                r.freq = Freq::Yearly;
                r.interval = (self.period / 12).max(1);
                r.by_month = Some(LocalTime::from_minutes(self.start_date).month);
            } else {
                r.freq = Freq::Monthly;
                r.interval = self.period.max(1);
            }
        };
        match self.specific {
            PatternSpecific::None => {
                r.freq = Freq::Daily;
                r.interval = (self.period / 1440).max(1);
            }
            PatternSpecific::Week { days } => {
                r.freq = Freq::Weekly;
                // "Every weekday" (daily frequency) has Period 1 as well.
                r.interval = self.period.max(1);
                r.by_day = weekdays_from_mask(days).into_iter().map(|d| (None, d)).collect();
            }
            PatternSpecific::Month { day } => {
                months(&mut r);
                r.by_month_day = Some(match self.pattern_type {
                    PatternType::MonthEnd | PatternType::HjMonthEnd => -1,
                    _ => day.min(31) as i32,
                });
            }
            PatternSpecific::MonthNth { days, nth } => {
                months(&mut r);
                let pos: i8 = if nth >= 5 { -1 } else { nth.max(1) as i8 };
                let list = weekdays_from_mask(days);
                if list.len() == 1 {
                    r.by_day = vec![(Some(pos), list[0])];
                } else {
                    r.by_day = list.into_iter().map(|d| (None, d)).collect();
                    r.by_set_pos = Some(pos);
                }
            }
        }
        match self.end_type {
            EndType::AfterCount => r.count = Some(self.occurrence_count),
            EndType::AfterDate => r.until_date = Some(self.last_day()),
            EndType::Never | EndType::Other(_) => {}
        }
        r
    }

    /// The last day of an end-by-date series: EndDate's day, or the day
    /// after it when OccurrenceCount says the series reaches that day.
    ///
    /// For a series ending by date, OccurrenceCount is the number of
    /// instances from StartDate through EndDate ([MS-OXOCAL] 2.2.1.44.1),
    /// and Outlook writes the two consistently. Some third-party writers
    /// (Aspose.Email, behind many PST converters; `pim/pim-rich.pst` is
    /// one of its files) store as EndDate the *UTC* date of the local
    /// midnight they were given: "until 30 April" in Berlin (UTC+2) becomes
    /// EndDate 29 April 00:00, while OccurrenceCount still counts the
    /// instance of 30 April, and the item's own PidLidRecurrencePattern text
    /// says "until 04/30/2025". Taking EndDate as stored would drop that
    /// last instance. So when fewer than OccurrenceCount instances fall
    /// through EndDate and the OccurrenceCount-th one falls exactly on the
    /// next day, that next day is the end. Only a shift by one day in this
    /// direction is repaired (the signature of a zone east of UTC); any
    /// other disagreement, a count of 0, or a pattern
    /// [`instance_dates`](Self::instance_dates) cannot expand (Hijri)
    /// keeps EndDate, which is what the blob says.
    fn last_day(&self) -> (i32, u32, u32) {
        let end = day_of(self.end_date);
        let stored = civil(end);
        let Ok(count) = usize::try_from(self.occurrence_count) else {
            return stored;
        };
        if count == 0 {
            return stored;
        }
        let Some(days) = self.instance_days(end + 1, count) else {
            return stored;
        };
        if days.len() == count && days.last() == Some(&(end + 1)) {
            civil(end + 1)
        } else {
            stored
        }
    }

    /// The local dates of the series' instances from StartDate through
    /// `through` (inclusive), at most `max` of them, as Outlook lays them
    /// out ([MS-OXOCAL] 2.2.1.44.1); deleted and modified instances are
    /// included (OccurrenceCount counts them) and EndType is not applied.
    /// `None` for a pattern on the Hijri calendar (CalendarType, or a
    /// HjMonth pattern type), which this does not expand.
    ///
    /// - Day: every `Period` minutes, rounded down to whole days (at
    ///   least one), as [`rule`](Self::rule) maps it.
    /// - Week: the days of the mask, in every `Period`-th week counted
    ///   from the week holding StartDate, weeks beginning on FirstDOW.
    /// - Month / MonthEnd: in every `Period`-th month from StartDate's,
    ///   the given day, or the month's last day when the month is shorter
    ///   (Outlook's rule for day 29-31) or for MonthEnd.
    /// - MonthNth: in those months, the n-th (5: last) of the days whose
    ///   weekday is in the mask.
    /// - Yearly frequency: the monthly patterns with `Period` read as
    ///   whole years, as [`rule`](Self::rule) does.
    ///
    /// The blob is untrusted: the scan never covers more than
    /// [`MAX_SCAN_DAYS`] days from StartDate, whatever `through` and `max`
    /// say, and nothing is allocated ahead of the instances found.
    pub fn instance_dates(&self, through: (i32, u32, u32), max: usize) -> Option<Vec<(i32, u32, u32)>> {
        let (y, m, d) = through;
        let last = crate::time::days_from_civil(i64::from(y), m.clamp(1, 12), d.clamp(1, 31));
        let days = self.instance_days(last, max)?;
        Some(days.into_iter().map(civil).collect())
    }

    /// [`instance_dates`](Self::instance_dates) on days since 1970-01-01.
    fn instance_days(&self, last: i64, max: usize) -> Option<Vec<i64>> {
        let hijri =
            matches!(self.pattern_type, PatternType::HjMonth | PatternType::HjMonthNth | PatternType::HjMonthEnd)
                || !matches!(self.calendar_type, 0 | 1);
        if hijri {
            return None;
        }
        let start = day_of(self.start_date);
        let last = last.min(start.saturating_add(MAX_SCAN_DAYS - 1));
        // Months between instances, for the monthly patterns.
        let months = if self.frequency == RecurFrequency::Yearly {
            i64::from((self.period / 12).max(1)) * 12
        } else {
            i64::from(self.period.max(1))
        };
        let (sy, sm, _) = crate::time::civil_from_days(start);
        let start_month = sy * 12 + i64::from(sm);
        // The weekday of a day, 0 Sunday ... 6 Saturday (1970-01-01 was a
        // Thursday), and the first day of its week.
        let weekday = |day: i64| (day + 4).rem_euclid(7);
        let first_dow = i64::from(self.first_dow.min(6));
        let week_start = |day: i64| day - (weekday(day) - first_dow).rem_euclid(7);
        let start_week = week_start(start);
        // The matching day of the month being scanned, computed once per month.
        let mut month_cache: Option<(i64, Option<u32>)> = None;
        let mut out = Vec::new();
        let mut day = start;
        while day <= last && out.len() < max {
            let hit = match self.specific {
                PatternSpecific::None => {
                    let step = i64::from((self.period / 1440).max(1));
                    (day - start) % step == 0
                }
                PatternSpecific::Week { days } => {
                    let weeks = (week_start(day) - start_week) / 7;
                    days & (1 << weekday(day)) != 0 && weeks % i64::from(self.period.max(1)) == 0
                }
                PatternSpecific::Month { .. } | PatternSpecific::MonthNth { .. } => {
                    let (y, m, d) = crate::time::civil_from_days(day);
                    let month = y * 12 + i64::from(m);
                    let target = match month_cache {
                        Some((cached, t)) if cached == month => t,
                        _ => {
                            let t = if (month - start_month) % months == 0 { self.month_target(y, m) } else { None };
                            month_cache = Some((month, t));
                            t
                        }
                    };
                    target == Some(d)
                }
            };
            if hit {
                out.push(day);
            }
            day += 1;
        }
        Some(out)
    }

    /// The day of month `m` of year `y` a monthly pattern falls on.
    fn month_target(&self, y: i64, m: u32) -> Option<u32> {
        let first = crate::time::days_from_civil(y, m, 1);
        let len = crate::time::days_in_month(y, m);
        match self.specific {
            PatternSpecific::Month { day } => match self.pattern_type {
                PatternType::MonthEnd => Some(len),
                _ if day == 0 => None,
                _ => Some(day.min(len)),
            },
            PatternSpecific::MonthNth { days, nth } => {
                let mut matching =
                    (1..=len).filter(|d| days & (1 << (first + i64::from(*d) - 1 + 4).rem_euclid(7)) != 0);
                if nth >= 5 {
                    matching.next_back()
                } else {
                    matching.nth(nth.max(1) as usize - 1)
                }
            }
            PatternSpecific::None | PatternSpecific::Week { .. } => None,
        }
    }
}

/// The most days [`RecurrencePattern::instance_dates`] scans from StartDate
/// (about 274 years).
pub const MAX_SCAN_DAYS: i64 = 100_000;

/// The local day (days since 1970-01-01) of minutes since 1601.
fn day_of(minutes: u32) -> i64 {
    (i64::from(minutes) - MINUTES_1601_TO_1970).div_euclid(1440)
}

/// (year, month, day) of days since 1970-01-01.
fn civil(day: i64) -> (i32, u32, u32) {
    let (y, m, d) = crate::time::civil_from_days(day);
    // Days within u32 minutes of 1601 (plus one) stay far inside i32 years.
    (y as i32, m, d)
}

impl AppointmentRecurrencePattern {
    /// Decodes PidLidAppointmentRecur, reading ANSI exception strings as
    /// Windows-1252.
    pub fn parse(blob: &[u8]) -> Result<AppointmentRecurrencePattern, Malformed> {
        AppointmentRecurrencePattern::parse_with_encoding(blob, WINDOWS_1252)
    }

    /// Decodes PidLidAppointmentRecur, reading the ANSI `Subject` and
    /// `Location` of exceptions in `ansi` (the message's code page); the
    /// Unicode copies in the extended exceptions replace them when present.
    pub fn parse_with_encoding(
        blob: &[u8],
        ansi: &'static Encoding,
    ) -> Result<AppointmentRecurrencePattern, Malformed> {
        let mut c = Cursor::new(blob);
        let pattern = RecurrencePattern::read(&mut c)?;
        let reader_version2 = c.u32(ARP, "ReaderVersion2")?;
        let writer_version2 = c.u32(ARP, "WriterVersion2")?;
        let start_time_offset = c.u32(ARP, "StartTimeOffset")?;
        let end_time_offset = c.u32(ARP, "EndTimeOffset")?;
        let count = c.u16(ARP, "ExceptionCount")?;
        // An ExceptionInfo is at least 14 bytes (three dates and the flags).
        if usize::from(count) * 14 > c.left() {
            return Err(c.err(ARP, format!("ExceptionCount {count} needs more than the {} bytes left", c.left())));
        }
        let mut exceptions = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            exceptions.push(read_exception_info(&mut c, ansi)?);
        }
        c.reserved_block(ARP, "ReservedBlock1")?;
        // Writers before Outlook 2003 (WriterVersion2 < 0x3009 per
        // 2.2.1.44.3 drops only ChangeHighlight) still write the extended
        // exceptions; some third-party writers stop here, which loses only
        // the Unicode copies, so an end of blob is accepted.
        if c.left() > 0 {
            for e in &mut exceptions {
                read_extended_exception(&mut c, e, writer_version2)?;
            }
            // ReservedBlock2: tolerate its absence for the same writers.
            if c.left() > 0 {
                c.reserved_block(ARP, "ReservedBlock2")?;
            }
        }
        Ok(AppointmentRecurrencePattern {
            pattern,
            reader_version2,
            writer_version2,
            start_time_offset,
            end_time_offset,
            exceptions,
        })
    }

    /// The RRULE parts ([`RecurrencePattern::rule`]).
    pub fn rule(&self) -> RuleParts {
        self.pattern.rule()
    }

    /// The first instance's start (StartDate + StartTimeOffset), local.
    pub fn series_start(&self) -> LocalTime {
        LocalTime::from_minutes(self.pattern.start_date.saturating_add(self.start_time_offset))
    }

    /// The original start times (local) of the deleted instances, for
    /// EXDATE: `DeletedInstanceDates` lists modified instances too
    /// (2.2.1.44.1), so the days of the exceptions' original starts are
    /// left out; each remaining day gets the series' StartTimeOffset.
    pub fn deleted_occurrences(&self) -> Vec<LocalTime> {
        let modified_days: Vec<u32> =
            self.exceptions.iter().map(|e| e.original_start - e.original_start % 1440).collect();
        let mut out: Vec<LocalTime> = self
            .pattern
            .deleted_instance_dates
            .iter()
            .filter(|d| !modified_days.contains(&(*d - *d % 1440)))
            .map(|d| LocalTime::from_minutes((d - d % 1440).saturating_add(self.start_time_offset)))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The modified instances, with their changed fields.
    pub fn modified_occurrences(&self) -> Vec<Occurrence> {
        self.exceptions
            .iter()
            .map(|e| Occurrence {
                original_start: LocalTime::from_minutes(e.original_start),
                start: LocalTime::from_minutes(e.start),
                end: LocalTime::from_minutes(e.end),
                subject: e.subject.clone(),
                location: e.location.clone(),
                busy_status: e.busy_status,
                reminder_delta: e.reminder_delta,
                reminder_set: e.reminder_set,
                all_day: e.sub_type.map(|s| s != 0),
            })
            .collect()
    }
}

fn read_exception_info(c: &mut Cursor<'_>, ansi: &'static Encoding) -> Result<ExceptionInfo, Malformed> {
    let mut e = ExceptionInfo {
        start: c.u32(EI, "StartDateTime")?,
        end: c.u32(EI, "EndDateTime")?,
        original_start: c.u32(EI, "OriginalStartDate")?,
        override_flags: c.u16(EI, "OverrideFlags")?,
        ..ExceptionInfo::default()
    };
    let f = e.override_flags;
    // The optional fields follow in flag order (2.2.1.44.2).
    let ansi_text = |c: &mut Cursor<'_>, what: &str| -> Result<String, Malformed> {
        // SubjectLength is SubjectLength2 + 1; the text is SubjectLength2 bytes.
        let _len = c.u16(EI, what)?;
        let len2 = c.u16(EI, what)?;
        let b = c.bytes(usize::from(len2), EI, what)?;
        let end = b.iter().position(|x| *x == 0).unwrap_or(b.len());
        Ok(ansi.decode_without_bom_handling(&b[..end]).0.into_owned())
    };
    if f & aro::SUBJECT != 0 {
        e.subject = Some(ansi_text(c, "Subject")?);
    }
    if f & aro::MEETINGTYPE != 0 {
        e.meeting_type = Some(c.u32(EI, "MeetingType")?);
    }
    if f & aro::REMINDERDELTA != 0 {
        e.reminder_delta = Some(c.u32(EI, "ReminderDelta")?);
    }
    if f & aro::REMINDER != 0 {
        e.reminder_set = Some(c.u32(EI, "ReminderSet")? != 0);
    }
    if f & aro::LOCATION != 0 {
        e.location = Some(ansi_text(c, "Location")?);
    }
    if f & aro::BUSYSTATUS != 0 {
        e.busy_status = Some(c.u32(EI, "BusyStatus")?);
    }
    if f & aro::ATTACHMENT != 0 {
        e.attachment = Some(c.u32(EI, "Attachment")?);
    }
    if f & aro::SUBTYPE != 0 {
        e.sub_type = Some(c.u32(EI, "SubType")?);
    }
    if f & aro::APPTCOLOR != 0 {
        e.appointment_color = Some(c.u32(EI, "AppointmentColor")?);
    }
    Ok(e)
}

fn read_extended_exception(c: &mut Cursor<'_>, e: &mut ExceptionInfo, writer_version2: u32) -> Result<(), Malformed> {
    if writer_version2 >= 0x3009 {
        // ChangeHighlight: ChangeHighlightSize, then that many bytes, the
        // first four being ChangeHighlightValue.
        let at = c.pos;
        let size = c.u32(EE, "ChangeHighlightSize")?;
        let b = c.bytes(size as usize, EE, "ChangeHighlight")?;
        if b.len() >= 4 {
            e.change_highlight = Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        } else if size != 0 {
            return Err(Malformed::new(EE, at as u64, format!("ChangeHighlightSize {size} is below 4")));
        }
    }
    c.reserved_block(EE, "ReservedBlockEE1")?;
    if e.override_flags & (aro::SUBJECT | aro::LOCATION) != 0 {
        // The dates repeat the ExceptionInfo's; the Unicode strings count
        // characters, not bytes.
        c.u32(EE, "StartDateTime")?;
        c.u32(EE, "EndDateTime")?;
        c.u32(EE, "OriginalStartDate")?;
        let wide = |c: &mut Cursor<'_>, what: &str| -> Result<String, Malformed> {
            let n = c.u16(EE, what)?;
            let b = c.bytes(usize::from(n) * 2, EE, what)?;
            let units: Vec<u16> = b.chunks_exact(2).map(|p| u16::from_le_bytes([p[0], p[1]])).collect();
            let end = units.iter().position(|u| *u == 0).unwrap_or(units.len());
            Ok(String::from_utf16_lossy(&units[..end]))
        };
        if e.override_flags & aro::SUBJECT != 0 {
            e.subject = Some(wide(c, "WideCharSubject")?);
        }
        if e.override_flags & aro::LOCATION != 0 {
            e.location = Some(wide(c, "WideCharLocation")?);
        }
        c.reserved_block(EE, "ReservedBlockEE2")?;
    }
    Ok(())
}

// ------------------------------------------------------------- writing

/// `EndDate` of a series without an end ([MS-OXOCAL] 2.2.1.44.1).
pub const NO_END_DATE: u32 = 0x5AE9_80DF;

/// Minutes since 1601 of local midnight of `(y, m, d)`, saturated into u32.
pub fn minutes_of_day(y: i32, m: u32, d: u32) -> u32 {
    let days = crate::time::days_from_civil(i64::from(y), m.clamp(1, 12), d.clamp(1, 31));
    (days * 1440 + MINUTES_1601_TO_1970).clamp(0, i64::from(u32::MAX)) as u32
}

/// Minutes since 1601 of a local date and time, saturated into u32.
pub fn minutes_of(t: &crate::pim::DateTime) -> u32 {
    let m = t.unix_if_utc().div_euclid(60) + MINUTES_1601_TO_1970;
    m.clamp(0, i64::from(u32::MAX)) as u32
}

fn weekday_mask(days: impl IntoIterator<Item = Weekday>) -> u32 {
    days.into_iter().fold(0, |m, d| m | (1 << (d as u32)))
}

struct Writer(Vec<u8>);

impl Writer {
    fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
}

impl PatternType {
    fn as_u16(self) -> u16 {
        match self {
            Self::Day => 0x0,
            Self::Week => 0x1,
            Self::Month => 0x2,
            Self::MonthNth => 0x3,
            Self::MonthEnd => 0x4,
            Self::HjMonth => 0xA,
            Self::HjMonthNth => 0xB,
            Self::HjMonthEnd => 0xC,
        }
    }
}

impl RecurFrequency {
    fn as_u16(self) -> u16 {
        match self {
            Self::Daily => 0x200A,
            Self::Weekly => 0x200B,
            Self::Monthly => 0x200C,
            Self::Yearly => 0x200D,
            Self::Other(v) => v,
        }
    }
}

impl EndType {
    fn as_u32(self) -> u32 {
        match self {
            Self::AfterDate => 0x2021,
            Self::AfterCount => 0x2022,
            Self::Never => 0x2023,
            Self::Other(v) => v,
        }
    }
}

impl RecurrencePattern {
    /// The bytes [`RecurrencePattern::parse`] reads: PidLidTaskRecurrence,
    /// or the start of PidLidAppointmentRecur. The pattern-specific part
    /// is written as its pattern type wants it, whatever `specific` holds.
    pub fn serialize(&self) -> Vec<u8> {
        let mut w = Writer(Vec::with_capacity(64));
        self.write(&mut w);
        w.0
    }

    fn write(&self, w: &mut Writer) {
        w.u16(self.reader_version);
        w.u16(self.writer_version);
        w.u16(self.frequency.as_u16());
        w.u16(self.pattern_type.as_u16());
        w.u16(self.calendar_type);
        w.u32(self.first_date_time);
        w.u32(self.period);
        w.u32(self.sliding_flag);
        let (days, n) = match self.specific {
            PatternSpecific::None => (0, 0),
            PatternSpecific::Week { days } => (days, 0),
            PatternSpecific::Month { day } => (day, 0),
            PatternSpecific::MonthNth { days, nth } => (days, nth),
        };
        match self.pattern_type {
            PatternType::Day => {}
            PatternType::Week
            | PatternType::Month
            | PatternType::MonthEnd
            | PatternType::HjMonth
            | PatternType::HjMonthEnd => w.u32(days),
            PatternType::MonthNth | PatternType::HjMonthNth => {
                w.u32(days);
                w.u32(n);
            }
        }
        w.u32(self.end_type.as_u32());
        w.u32(self.occurrence_count);
        w.u32(self.first_dow);
        w.u32(self.deleted_instance_dates.len() as u32);
        for d in &self.deleted_instance_dates {
            w.u32(*d);
        }
        w.u32(self.modified_instance_dates.len() as u32);
        for d in &self.modified_instance_dates {
            w.u32(*d);
        }
        w.u32(self.start_date);
        w.u32(self.end_date);
    }

    /// The pattern of the RRULE `r` whose first instance falls on `start`
    /// (the local date of DTSTART), the inverse of [`RecurrencePattern::rule`]
    /// and `task::rrule_from`: what that pair reads back is `r` again, for
    /// every rule they give. `until` is UNTIL's local date (the caller
    /// converts a UTC UNTIL into the series' zone). A rule Outlook's
    /// patterns cannot state (BYMONTH on a monthly rule, several months or
    /// month days, positions on a weekly rule, both COUNT and UNTIL ...) is
    /// `Err` with the reason.
    pub fn from_rule(
        r: &crate::pim::RRule,
        start: crate::pim::Date,
        until: Option<crate::pim::Date>,
    ) -> Result<RecurrencePattern, String> {
        use crate::pim::Frequency as F;
        let interval = r.interval.max(1);
        let start_dow = {
            let d = crate::time::days_from_civil(i64::from(start.year), u32::from(start.month), u32::from(start.day));
            WEEKDAYS[(d + 4).rem_euclid(7) as usize]
        };
        let unpositioned = r.by_day.iter().all(|(n, _)| n.is_none());
        let mask = weekday_mask(r.by_day.iter().map(|(_, d)| *d));
        if r.count.is_some() && r.until.is_some() {
            return Err("a rule with both COUNT and UNTIL".into());
        }
        let no_parts = r.by_day.is_empty() && r.by_month_day.is_empty() && r.by_set_pos.is_empty();
        // The monthly part of a monthly or yearly rule.
        let monthly = || -> Result<(PatternType, PatternSpecific), String> {
            let md = &r.by_month_day;
            if r.by_day.is_empty() && r.by_set_pos.is_empty() {
                return match md.as_slice() {
                    [] => Ok((PatternType::Month, PatternSpecific::Month { day: u32::from(start.day) })),
                    [-1] => Ok((PatternType::MonthEnd, PatternSpecific::Month { day: 31 })),
                    [d @ 1..=31] => Ok((PatternType::Month, PatternSpecific::Month { day: *d as u32 })),
                    _ => Err(format!("BYMONTHDAY={md:?}")),
                };
            }
            // rrule_from's "day 29-31, or the month's last day".
            if r.by_day.is_empty() && r.by_set_pos == [-1] {
                if let Some(&last @ 29..=31) = md.last() {
                    if *md == (28..=last).collect::<Vec<i8>>() {
                        return Ok((PatternType::Month, PatternSpecific::Month { day: last as u32 }));
                    }
                }
                return Err(format!("BYMONTHDAY={md:?} with BYSETPOS=-1"));
            }
            if !md.is_empty() {
                return Err("BYMONTHDAY with BYDAY".into());
            }
            let nth = |n: i64| -> Result<u32, String> {
                match n {
                    -1 => Ok(5),
                    1..=4 => Ok(n as u32),
                    _ => Err(format!("the position {n} (Outlook knows 1-4 and the last)")),
                }
            };
            match (r.by_day.as_slice(), r.by_set_pos.as_slice()) {
                ([(Some(n), d)], []) => Ok((
                    PatternType::MonthNth,
                    PatternSpecific::MonthNth { days: weekday_mask([*d]), nth: nth(i64::from(*n))? },
                )),
                (_, [p]) if unpositioned => {
                    Ok((PatternType::MonthNth, PatternSpecific::MonthNth { days: mask, nth: nth(i64::from(*p))? }))
                }
                _ => Err("BYDAY with several positions".into()),
            }
        };
        if !r.by_month.is_empty() && r.freq != F::Yearly {
            return Err("BYMONTH on a rule that is not yearly".into());
        }
        let (frequency, pattern_type, specific, period) = match r.freq {
            F::Daily if no_parts => {
                (RecurFrequency::Daily, PatternType::Day, PatternSpecific::None, interval.saturating_mul(1440))
            }
            F::Daily => return Err("a daily rule with BY parts".into()),
            F::Weekly => {
                if !r.by_month_day.is_empty() || !r.by_set_pos.is_empty() || !unpositioned {
                    return Err("a weekly rule with positions or month days".into());
                }
                let days = if r.by_day.is_empty() { weekday_mask([start_dow]) } else { mask };
                (RecurFrequency::Weekly, PatternType::Week, PatternSpecific::Week { days }, interval)
            }
            F::Monthly => {
                let (t, s) = monthly()?;
                (RecurFrequency::Monthly, t, s, interval)
            }
            F::Yearly => {
                match r.by_month.as_slice() {
                    [] => {}
                    [m] if *m == start.month => {}
                    m => return Err(format!("BYMONTH={m:?} with DTSTART in month {}", start.month)),
                }
                let (t, s) = monthly()?;
                (RecurFrequency::Yearly, t, s, interval.saturating_mul(12))
            }
        };
        let first_dow = r.wkst.unwrap_or(Weekday::Monday) as u32;
        let start_date = minutes_of_day(start.year, u32::from(start.month), u32::from(start.day));
        let mut p = RecurrencePattern {
            reader_version: 0x3004,
            writer_version: 0x3004,
            frequency,
            pattern_type,
            calendar_type: 0,
            first_date_time: 0,
            period,
            sliding_flag: 0,
            specific,
            end_type: EndType::Never,
            occurrence_count: 10,
            first_dow,
            deleted_instance_dates: Vec::new(),
            modified_instance_dates: Vec::new(),
            start_date,
            end_date: NO_END_DATE,
        };
        p.first_date_time = p.compute_first_date_time();
        if let Some(count) = r.count {
            p.end_type = EndType::AfterCount;
            p.occurrence_count = count;
            let n = usize::try_from(count).unwrap_or(usize::MAX);
            if let Some(&last) = p.instance_days(i64::MAX / 2, n).and_then(|d| d.last().copied()).as_ref() {
                p.end_date = (last * 1440 + MINUTES_1601_TO_1970).clamp(0, i64::from(u32::MAX)) as u32;
            }
        } else if let Some(u) = until {
            p.end_type = EndType::AfterDate;
            p.end_date = minutes_of_day(u.year, u32::from(u.month), u32::from(u.day));
            let through = (u.year, u32::from(u.month), u32::from(u.day));
            p.occurrence_count = p.instance_dates(through, usize::MAX).map_or(0, |d| d.len() as u32);
        } else if r.until.is_some() {
            return Err("UNTIL without a date".into());
        }
        Ok(p)
    }

    /// `FirstDateTime` ([MS-OXOCAL] 2.2.1.44.1): for a daily pattern
    /// StartDate modulo Period; weekly, the first day of StartDate's week
    /// (by FirstDOW) modulo Period weeks; monthly and yearly, the first of
    /// the month that is StartDate's month modulo Period months, counted
    /// from January 1601.
    fn compute_first_date_time(&self) -> u32 {
        let period = self.period.max(1);
        match self.pattern_type {
            PatternType::Day => self.start_date % period,
            PatternType::Week => {
                // 1601-01-01 was a Monday.
                let day = self.start_date / 1440;
                let dow = (day + 1) % 7;
                let week_start = day.saturating_sub((dow + 7 - self.first_dow.min(6)) % 7);
                (week_start * 1440) % (period.saturating_mul(10_080).max(1))
            }
            _ => {
                let t = LocalTime::from_minutes(self.start_date);
                let months = (i64::from(t.year) - 1601) * 12 + i64::from(t.month) - 1;
                let m = months.rem_euclid(i64::from(period));
                minutes_of_day(1601 + (m / 12) as i32, (m % 12) as u32 + 1, 1)
            }
        }
    }
}

/// A string of an `ExceptionInfo` in Windows-1252, an unmappable character
/// as `?` (the extended exception carries the text in UTF-16 as well).
fn ansi(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut buf = [0u8; 4];
    for c in s.chars() {
        let (b, _, bad) = WINDOWS_1252.encode(c.encode_utf8(&mut buf));
        if bad || b.len() != 1 {
            out.push(b'?');
        } else {
            out.push(b[0]);
        }
    }
    out.truncate(usize::from(u16::MAX - 1));
    out
}

fn wide(s: &str) -> Vec<u16> {
    let mut v: Vec<u16> = s.encode_utf16().collect();
    v.truncate(usize::from(u16::MAX));
    v
}

impl AppointmentRecurrencePattern {
    /// The bytes [`AppointmentRecurrencePattern::parse`] reads
    /// (PidLidAppointmentRecur, [MS-OXOCAL] 2.2.1.44.2): the pattern, the
    /// versions and offsets, every `ExceptionInfo` with the fields its
    /// `OverrideFlags` name, an empty ReservedBlock1, every
    /// `ExtendedException` (ChangeHighlight when WriterVersion2 is 0x3009
    /// or later, the Unicode subject and location when changed), and an
    /// empty ReservedBlock2.
    pub fn serialize(&self) -> Vec<u8> {
        let mut w = Writer(Vec::with_capacity(128));
        self.pattern.write(&mut w);
        w.u32(self.reader_version2);
        w.u32(self.writer_version2);
        w.u32(self.start_time_offset);
        w.u32(self.end_time_offset);
        let exceptions = &self.exceptions[..self.exceptions.len().min(usize::from(u16::MAX))];
        w.u16(exceptions.len() as u16);
        let text = |w: &mut Writer, s: &Option<String>| {
            let b = ansi(s.as_deref().unwrap_or(""));
            w.u16(b.len() as u16 + 1);
            w.u16(b.len() as u16);
            w.0.extend_from_slice(&b);
        };
        for e in exceptions {
            w.u32(e.start);
            w.u32(e.end);
            w.u32(e.original_start);
            let f = e.override_flags;
            w.u16(f);
            if f & aro::SUBJECT != 0 {
                text(&mut w, &e.subject);
            }
            for (flag, v) in [(aro::MEETINGTYPE, e.meeting_type), (aro::REMINDERDELTA, e.reminder_delta)] {
                if f & flag != 0 {
                    w.u32(v.unwrap_or(0));
                }
            }
            if f & aro::REMINDER != 0 {
                w.u32(u32::from(e.reminder_set.unwrap_or(false)));
            }
            if f & aro::LOCATION != 0 {
                text(&mut w, &e.location);
            }
            for (flag, v) in [
                (aro::BUSYSTATUS, e.busy_status),
                (aro::ATTACHMENT, e.attachment),
                (aro::SUBTYPE, e.sub_type),
                (aro::APPTCOLOR, e.appointment_color),
            ] {
                if f & flag != 0 {
                    w.u32(v.unwrap_or(0));
                }
            }
        }
        w.u32(0); // ReservedBlock1Size
        for e in exceptions {
            if self.writer_version2 >= 0x3009 {
                match e.change_highlight {
                    Some(v) => {
                        w.u32(4);
                        w.u32(v);
                    }
                    None => w.u32(0),
                }
            }
            w.u32(0); // ReservedBlockEE1Size
            if e.override_flags & (aro::SUBJECT | aro::LOCATION) != 0 {
                w.u32(e.start);
                w.u32(e.end);
                w.u32(e.original_start);
                for (flag, s) in [(aro::SUBJECT, &e.subject), (aro::LOCATION, &e.location)] {
                    if e.override_flags & flag != 0 {
                        let u = wide(s.as_deref().unwrap_or(""));
                        w.u16(u.len() as u16);
                        for c in u {
                            w.u16(c);
                        }
                    }
                }
                w.u32(0); // ReservedBlockEE2Size
            }
        }
        w.u32(0); // ReservedBlock2Size
        w.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    fn lt(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> LocalTime {
        LocalTime { year: y, month: mo, day: d, hour: h, minute: mi }
    }

    /// [MS-OXOCAL] 4.1.1.2 "Recurrence BLOB with Exceptions": every Monday,
    /// Thursday and Friday 10:00-10:30, 12 occurrences, the 4/16/2007
    /// instance moved to 11:00-11:30 with a new subject and location.
    const SPEC_4_1_1_2: &str = "043004300B2001000000C0210000010000000000000032000000222000000C0000000000000001000000A096BC0C01000000A096BC0C8020BC0C20ADBC0C0630000009300000580200007602000001003499BC0C5299BC0CF898BC0C11002200210053696D706C6520526563757272656E6365207769746820657863657074696F6E730800070033342F34313431000000000400000000000000000000003499BC0C5299BC0CF898BC0C2100530069006D0070006C006500200052006500630075007200720065006E006300650020007700690074006800200065007800630065007000740069006F006E0073000700330034002F0034003100340031000000000000000000";

    /// [MS-OXOCAL] 4.1.1.3 "Daily Recurrence BLOB with Exceptions": every
    /// three days from 4/7/2011 until 5/4/2011, 8:00-8:30, the instances
    /// of 4/19 and 4/22 deleted.
    const SPEC_4_1_1_3: &str = "043004300A2000000000A0050000E010000000000000212000000A0000000000000002000000A0C1DC0C80D2DC0C00000000207EDC0C0016DD0C0630000009300000E0010000FE01000000000000000000000000";

    #[test]
    fn spec_4_1_1_2_weekly_with_exception() {
        let blob = hex(SPEC_4_1_1_2);
        assert_eq!(blob.len(), 0x106);
        let a = AppointmentRecurrencePattern::parse(&blob).unwrap();
        let p = &a.pattern;
        assert_eq!((p.reader_version, p.writer_version), (0x3004, 0x3004));
        assert_eq!(p.frequency, RecurFrequency::Weekly);
        assert_eq!(p.pattern_type, PatternType::Week);
        assert_eq!(p.calendar_type, 0);
        assert_eq!(p.first_date_time, 0x21C0);
        assert_eq!(p.period, 1);
        assert_eq!(p.sliding_flag, 0);
        assert_eq!(p.specific, PatternSpecific::Week { days: 0x32 });
        assert_eq!(p.end_type, EndType::AfterCount);
        assert_eq!(p.occurrence_count, 12);
        assert_eq!(p.first_dow, 0);
        assert_eq!(p.deleted_instance_dates, vec![0x0CBC96A0]);
        assert_eq!(p.modified_instance_dates, vec![0x0CBC96A0]);
        assert_eq!(LocalTime::from_minutes(p.start_date), lt(2007, 3, 26, 0, 0));
        assert_eq!(LocalTime::from_minutes(p.end_date), lt(2007, 4, 20, 0, 0));
        assert_eq!((a.reader_version2, a.writer_version2), (0x3006, 0x3009));
        assert_eq!((a.start_time_offset, a.end_time_offset), (600, 630));
        assert_eq!(a.series_start(), lt(2007, 3, 26, 10, 0));
        assert_eq!(a.exceptions.len(), 1);
        let e = &a.exceptions[0];
        assert_eq!(e.override_flags, aro::SUBJECT | aro::LOCATION);
        assert_eq!(e.change_highlight, Some(0));
        assert_eq!(e.subject.as_deref(), Some("Simple Recurrence with exceptions"));
        assert_eq!(e.location.as_deref(), Some("34/4141"));

        let r = a.rule();
        assert_eq!(r.freq, Freq::Weekly);
        assert_eq!(r.interval, 1);
        assert_eq!(r.by_day, vec![(None, Weekday::Monday), (None, Weekday::Thursday), (None, Weekday::Friday)]);
        assert_eq!((r.count, r.until_date), (Some(12), None));
        assert_eq!(r.wkst, Weekday::Sunday);
        // The only deleted date is the modified one: no EXDATE.
        assert!(a.deleted_occurrences().is_empty());
        let m = a.modified_occurrences();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].original_start, lt(2007, 4, 16, 10, 0));
        assert_eq!(m[0].start, lt(2007, 4, 16, 11, 0));
        assert_eq!(m[0].end, lt(2007, 4, 16, 11, 30));
        assert_eq!(m[0].subject.as_deref(), Some("Simple Recurrence with exceptions"));
        assert_eq!(m[0].location.as_deref(), Some("34/4141"));
    }

    #[test]
    fn spec_4_1_1_3_daily_with_deletions() {
        let blob = hex(SPEC_4_1_1_3);
        assert_eq!(blob.len(), 0x54);
        let a = AppointmentRecurrencePattern::parse(&blob).unwrap();
        let p = &a.pattern;
        assert_eq!(p.frequency, RecurFrequency::Daily);
        assert_eq!(p.pattern_type, PatternType::Day);
        assert_eq!(p.specific, PatternSpecific::None);
        assert_eq!(p.first_date_time, 1440);
        assert_eq!(p.period, 4320);
        assert_eq!(p.end_type, EndType::AfterDate);
        assert_eq!(p.occurrence_count, 10);
        assert_eq!(LocalTime::from_minutes(p.start_date), lt(2011, 4, 7, 0, 0));
        assert_eq!(LocalTime::from_minutes(p.end_date), lt(2011, 5, 4, 0, 0));
        assert_eq!((a.start_time_offset, a.end_time_offset), (480, 510));
        assert!(a.exceptions.is_empty());
        let r = a.rule();
        assert_eq!((r.freq, r.interval), (Freq::Daily, 3));
        assert_eq!((r.count, r.until_date), (None, Some((2011, 5, 4))));
        assert_eq!(a.deleted_occurrences(), vec![lt(2011, 4, 19, 8, 0), lt(2011, 4, 22, 8, 0)]);
        // The task form is the RecurrencePattern alone.
        assert_eq!(&RecurrencePattern::parse(&blob).unwrap(), p);
    }

    /// A RecurrencePattern built field by field (one argument per field).
    #[allow(clippy::too_many_arguments)]
    fn pattern(
        freq: u16,
        ptype: u16,
        period: u32,
        specific: &[u32],
        end: u32,
        count: u32,
        start: u32,
        endd: u32,
    ) -> Vec<u8> {
        let mut b = Vec::new();
        for v in [0x3004u16, 0x3004, freq, ptype, 0] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        for v in [0u32, period, 0].iter().chain(specific).chain(&[end, count, 1, 0, 0, start, endd]) {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b
    }

    fn minutes(y: i32, m: u32, d: u32) -> u32 {
        let days = crate::time::days_from_civil(i64::from(y), m, d);
        (days * 1440 + MINUTES_1601_TO_1970) as u32
    }

    #[test]
    fn monthly_nth_last_and_set_pos() {
        // Last Friday, 12 times.
        let b = pattern(0x200C, 3, 1, &[0x20, 5], 0x2022, 12, minutes(2025, 1, 31), minutes(2025, 12, 26));
        let r = RecurrencePattern::parse(&b).unwrap().rule();
        assert_eq!((r.freq, r.interval), (Freq::Monthly, 1));
        assert_eq!(r.by_day, vec![(Some(-1), Weekday::Friday)]);
        assert_eq!((r.by_set_pos, r.count), (None, Some(12)));
        assert_eq!(r.wkst, Weekday::Monday);
        // Last weekday of the month: a BYDAY list with BYSETPOS=-1.
        let b = pattern(0x200C, 3, 2, &[0x3E, 5], 0x2023, 0, minutes(2025, 1, 31), 0x5AE980DF);
        let r = RecurrencePattern::parse(&b).unwrap().rule();
        assert_eq!(r.interval, 2);
        assert_eq!(r.by_day.len(), 5);
        assert!(r.by_day.iter().all(|(n, _)| n.is_none()));
        assert_eq!(r.by_set_pos, Some(-1));
        assert_eq!((r.count, r.until_date), (None, None));
        // Second Tuesday.
        let b = pattern(0x200C, 3, 1, &[0x04, 2], 0xFFFF_FFFF, 0, minutes(2025, 1, 14), 0);
        assert_eq!(RecurrencePattern::parse(&b).unwrap().rule().by_day, vec![(Some(2), Weekday::Tuesday)]);
    }

    #[test]
    fn yearly_monthly_monthend_weekday() {
        let b = pattern(0x200D, 2, 12, &[3], 0x2023, 0, minutes(2025, 3, 3), 0x5AE980DF);
        let r = RecurrencePattern::parse(&b).unwrap().rule();
        assert_eq!((r.freq, r.interval), (Freq::Yearly, 1));
        assert_eq!((r.by_month, r.by_month_day), (Some(3), Some(3)));
        let b = pattern(0x200C, 2, 3, &[15], 0x2021, 0, minutes(2025, 1, 15), minutes(2025, 12, 15));
        let r = RecurrencePattern::parse(&b).unwrap().rule();
        assert_eq!((r.freq, r.interval, r.by_month_day, r.by_month), (Freq::Monthly, 3, Some(15), None));
        assert_eq!(r.until_date, Some((2025, 12, 15)));
        let b = pattern(0x200C, 4, 1, &[31], 0x2023, 0, minutes(2025, 1, 31), 0);
        assert_eq!(RecurrencePattern::parse(&b).unwrap().rule().by_month_day, Some(-1));
        // Every weekday: daily frequency, Week pattern Mon-Fri.
        let b = pattern(0x200A, 1, 1, &[0x3E], 0x2023, 0, minutes(2025, 1, 6), 0);
        let r = RecurrencePattern::parse(&b).unwrap().rule();
        assert_eq!((r.freq, r.interval), (Freq::Weekly, 1));
        assert_eq!(r.by_day.iter().map(|(_, d)| d.as_ical()).collect::<Vec<_>>(), ["MO", "TU", "WE", "TH", "FR"]);
    }

    #[test]
    fn bad_blobs_are_errors_not_panics() {
        let blob = hex(SPEC_4_1_1_2);
        // Every truncation fails cleanly (or, past ReservedBlock1, parses).
        for n in 0..blob.len() {
            let _ = AppointmentRecurrencePattern::parse(&blob[..n]);
            let _ = RecurrencePattern::parse(&blob[..n]);
        }
        let e = RecurrencePattern::parse(&blob[..20]).unwrap_err();
        assert_eq!(e.structure, "RecurrencePattern");
        // A huge DeletedInstanceCount is refused before allocating.
        let mut b = blob.clone();
        b[38..42].copy_from_slice(&u32::MAX.to_le_bytes());
        let e = AppointmentRecurrencePattern::parse(&b).unwrap_err();
        assert_eq!((e.structure, e.offset), ("RecurrencePattern", 42));
        assert!(e.reason.contains("DeletedInstanceDates"), "{}", e.reason);
        // An unknown pattern type.
        let mut b = blob.clone();
        b[6] = 9;
        assert!(RecurrencePattern::parse(&b).unwrap_err().reason.contains("PatternType"));
        // A huge ExceptionCount.
        let mut b = blob.clone();
        b[78..80].copy_from_slice(&0xFFFFu16.to_le_bytes());
        assert_eq!(AppointmentRecurrencePattern::parse(&b).unwrap_err().structure, "AppointmentRecurrencePattern");
        // Every single-byte change still parses or errs.
        for i in 0..blob.len() {
            for v in [0u8, 0xFF, 0x7F] {
                let mut b = blob.clone();
                b[i] = v;
                if let Ok(a) = AppointmentRecurrencePattern::parse(&b) {
                    let _ = (a.rule(), a.deleted_occurrences(), a.modified_occurrences());
                }
            }
        }
    }

    /// Weekly Mo/We/Fr from Monday 2025-03-03, FirstDOW Monday, ending by
    /// `end` with `count` occurrences.
    fn mo_we_fr(count: u32, end: (i32, u32, u32)) -> RecurrencePattern {
        let b = pattern(0x200B, 1, 1, &[0x2A], 0x2021, count, minutes(2025, 3, 3), minutes(end.0, end.1, end.2));
        RecurrencePattern::parse(&b).unwrap()
    }

    #[test]
    fn spec_examples_expand_to_their_counts() {
        // 4.1.1.2: Mo/Th/Fr from 2007-03-26, 12 occurrences, EndDate 4/20.
        let a = AppointmentRecurrencePattern::parse(&hex(SPEC_4_1_1_2)).unwrap();
        let d = a.pattern.instance_dates((2007, 4, 20), 100).unwrap();
        assert_eq!(d.len(), 12);
        assert_eq!(d[..4], [(2007, 3, 26), (2007, 3, 29), (2007, 3, 30), (2007, 4, 2)]);
        assert_eq!(d.last(), Some(&(2007, 4, 20)));
        // 4.1.1.3: every 3 days from 4/7/2011 until 5/4/2011, 10 of them:
        // consistent, so UNTIL stays on EndDate (checked above too).
        let a = AppointmentRecurrencePattern::parse(&hex(SPEC_4_1_1_3)).unwrap();
        let d = a.pattern.instance_dates((2011, 5, 4), 100).unwrap();
        assert_eq!(d.len(), 10);
        assert_eq!(d[1], (2011, 4, 10));
        assert_eq!(d.last(), Some(&(2011, 5, 4)));
        assert_eq!(a.rule().until_date, Some((2011, 5, 4)));
    }

    #[test]
    fn end_date_a_day_short_is_repaired() {
        // Aspose.Email's "until 30 April" in Berlin: EndDate 29 April (the
        // UTC date of local midnight), OccurrenceCount 26, the 26th
        // instance being Wednesday 30 April.
        let p = mo_we_fr(26, (2025, 4, 29));
        let d = p.instance_dates((2025, 4, 30), 100).unwrap();
        assert_eq!(d.len(), 26);
        assert_eq!(d[24..], [(2025, 4, 28), (2025, 4, 30)]);
        assert_eq!(p.rule().until_date, Some((2025, 4, 30)));
        // Consistent blobs are left alone: 25 through 29 April, 26 through 30.
        assert_eq!(mo_we_fr(25, (2025, 4, 29)).rule().until_date, Some((2025, 4, 29)));
        assert_eq!(mo_we_fr(26, (2025, 4, 30)).rule().until_date, Some((2025, 4, 30)));
        // No count: EndDate as stored.
        assert_eq!(mo_we_fr(0, (2025, 4, 29)).rule().until_date, Some((2025, 4, 29)));
        // Counts beyond the next day's instance do not move it at all.
        for count in [27, 30, 1000, u32::MAX] {
            assert_eq!(mo_we_fr(count, (2025, 4, 29)).rule().until_date, Some((2025, 4, 29)), "count {count}");
        }
    }

    #[test]
    fn a_bogus_count_moves_until_by_one_day_at_most() {
        let day = |(y, m, d): (i32, u32, u32)| crate::time::days_from_civil(i64::from(y), m, d);
        for end_day in 0..40 {
            let end = civil(day((2025, 3, 3)) + end_day);
            for count in (0..40).chain([500, u32::MAX]) {
                let u = mo_we_fr(count, end).rule().until_date.unwrap();
                let moved = day(u) - day(end);
                assert!(moved == 0 || moved == 1, "end {end:?} count {count}: UNTIL {u:?}");
                if moved == 1 {
                    // Only when the next day is the count-th instance.
                    let d = mo_we_fr(count, end).instance_dates(u, 1000).unwrap();
                    assert_eq!((d.len(), d.last()), (count as usize, Some(&u)));
                }
            }
        }
    }

    #[test]
    fn instance_dates_by_pattern() {
        // Every second week on Tuesday and Thursday, weeks from Sunday
        // (FirstDOW 0), starting on Thursday 2025-01-02.
        let mut b = pattern(0x200B, 1, 2, &[0x14], 0x2023, 0, minutes(2025, 1, 2), 0);
        b[34..38].copy_from_slice(&0u32.to_le_bytes()); // FirstDOW
        let p = RecurrencePattern::parse(&b).unwrap();
        assert_eq!(p.first_dow, 0);
        assert_eq!(
            p.instance_dates((2025, 2, 1), 100).unwrap(),
            [(2025, 1, 2), (2025, 1, 14), (2025, 1, 16), (2025, 1, 28), (2025, 1, 30)]
        );
        // Day 31 falls on the last day of shorter months.
        let b = pattern(0x200C, 2, 1, &[31], 0x2023, 0, minutes(2025, 1, 31), 0);
        let p = RecurrencePattern::parse(&b).unwrap();
        assert_eq!(
            p.instance_dates((2025, 5, 1), 100).unwrap(),
            [(2025, 1, 31), (2025, 2, 28), (2025, 3, 31), (2025, 4, 30)]
        );
        // Last Friday, 12 times from 2025-01-31.
        let b = pattern(0x200C, 3, 1, &[0x20, 5], 0x2022, 12, minutes(2025, 1, 31), 0);
        let d = RecurrencePattern::parse(&b).unwrap().instance_dates((2026, 1, 1), 100).unwrap();
        assert_eq!(d.len(), 12);
        assert_eq!((d[1], d[11]), ((2025, 2, 28), (2025, 12, 26)));
        // Last weekday of every second month.
        let b = pattern(0x200C, 3, 2, &[0x3E, 5], 0x2023, 0, minutes(2025, 1, 31), 0);
        let d = RecurrencePattern::parse(&b).unwrap().instance_dates((2025, 12, 31), 100).unwrap();
        assert_eq!(d, [(2025, 1, 31), (2025, 3, 31), (2025, 5, 30), (2025, 7, 31), (2025, 9, 30), (2025, 11, 28)]);
        // Second Tuesday.
        let b = pattern(0x200C, 3, 1, &[0x04, 2], 0x2023, 0, minutes(2025, 1, 14), 0);
        let d = RecurrencePattern::parse(&b).unwrap().instance_dates((2025, 3, 31), 100).unwrap();
        assert_eq!(d, [(2025, 1, 14), (2025, 2, 11), (2025, 3, 11)]);
        // Yearly on 29 February: the last day of February otherwise.
        let b = pattern(0x200D, 2, 12, &[29], 0x2023, 0, minutes(2024, 2, 29), 0);
        let d = RecurrencePattern::parse(&b).unwrap().instance_dates((2028, 3, 1), 100).unwrap();
        assert_eq!(d, [(2024, 2, 29), (2025, 2, 28), (2026, 2, 28), (2027, 2, 28), (2028, 2, 29)]);
        // Hijri is not expanded.
        let b = pattern(0x200C, 0xA, 1, &[1], 0x2023, 0, minutes(2025, 1, 1), 0);
        assert_eq!(RecurrencePattern::parse(&b).unwrap().instance_dates((2026, 1, 1), 100), None);
    }

    #[test]
    fn instance_scan_is_bounded() {
        // Daily, asked for everything until year 9999: the scan stops after
        // MAX_SCAN_DAYS days.
        let b = pattern(0x200A, 0, 1440, &[], 0x2021, u32::MAX, minutes(2025, 1, 1), u32::MAX);
        let p = RecurrencePattern::parse(&b).unwrap();
        let d = p.instance_dates((9999, 12, 31), usize::MAX).unwrap();
        assert_eq!(d.len() as i64, MAX_SCAN_DAYS);
        assert_eq!(p.rule().until_date, Some(LocalTime::from_minutes(u32::MAX).date()));
        // An empty week mask, a zero Period and absurd dates find nothing
        // or something, without panicking.
        for (ptype, spec) in [(1u16, vec![0u32]), (2, vec![0]), (3, vec![0, 0]), (3, vec![0x7F, 99]), (0, vec![])] {
            for (start, end) in [(0, u32::MAX), (u32::MAX, 0), (u32::MAX, u32::MAX)] {
                let b = pattern(0x200C, ptype, 0, &spec, 0x2021, 7, start, end);
                let p = RecurrencePattern::parse(&b).unwrap();
                let _ = (p.rule(), p.instance_dates((9999, 12, 31), 10));
            }
        }
    }

    #[test]
    fn local_time_from_minutes() {
        assert_eq!(LocalTime::from_minutes(0), lt(1601, 1, 1, 0, 0));
        assert_eq!(LocalTime::from_minutes(1440 + 61), lt(1601, 1, 2, 1, 1));
        assert_eq!(LocalTime::from_minutes(minutes(2025, 3, 3) + 450).to_string(), "2025-03-03T07:30:00");
        assert_eq!(lt(1970, 1, 2, 0, 1).as_unix_if_utc(), 86_460);
    }

    #[test]
    fn spec_blobs_serialize_to_their_bytes() {
        // [MS-OXOCAL] 4.1.1.2 and 4.1.1.3, parsed and written again.
        for spec in [SPEC_4_1_1_2, SPEC_4_1_1_3] {
            let blob = hex(spec);
            let a = AppointmentRecurrencePattern::parse(&blob).unwrap();
            assert_eq!(a.serialize(), blob);
            assert_eq!(AppointmentRecurrencePattern::parse(&a.serialize()).unwrap(), a);
            let p = RecurrencePattern::parse(&blob).unwrap();
            assert_eq!(RecurrencePattern::parse(&p.serialize()).unwrap(), p);
            assert_eq!(p.serialize(), blob[..p.serialize().len()]);
        }
        // Every field of an exception, and text Windows-1252 has no room for.
        let mut a = AppointmentRecurrencePattern::parse(&hex(SPEC_4_1_1_2)).unwrap();
        a.exceptions.push(ExceptionInfo {
            start: a.exceptions[0].start + 4320,
            end: a.exceptions[0].end + 4320,
            original_start: a.exceptions[0].original_start + 4320,
            override_flags: 0x3FF,
            subject: Some("会议 – Zoë".into()),
            meeting_type: Some(1),
            reminder_delta: Some(15),
            reminder_set: Some(true),
            location: Some("Raum 3.14".into()),
            busy_status: Some(3),
            attachment: Some(0),
            sub_type: Some(1),
            appointment_color: Some(0),
            change_highlight: Some(0x40),
        });
        let b = a.serialize();
        assert_eq!(AppointmentRecurrencePattern::parse(&b).unwrap(), a);
        // Without ChangeHighlight (WriterVersion2 0x3008).
        a.writer_version2 = 0x3008;
        for e in &mut a.exceptions {
            e.change_highlight = None;
        }
        assert_eq!(AppointmentRecurrencePattern::parse(&a.serialize()).unwrap(), a);
    }

    #[test]
    fn first_date_time_matches_the_spec_examples() {
        for spec in [SPEC_4_1_1_2, SPEC_4_1_1_3] {
            let p = RecurrencePattern::parse(&hex(spec)).unwrap();
            assert_eq!(p.compute_first_date_time(), p.first_date_time, "{spec}");
        }
        // Monthly, every 2 months from March 2025: (2025-1601)*12+2 = 5090
        // months, 0 modulo 2: January 1601.
        let b = pattern(0x200C, 2, 2, &[15], 0x2023, 0, minutes(2025, 3, 15), NO_END_DATE);
        assert_eq!(RecurrencePattern::parse(&b).unwrap().compute_first_date_time(), 0);
        let b = pattern(0x200C, 2, 5, &[15], 0x2023, 0, minutes(2025, 3, 15), NO_END_DATE);
        // 5090 % 5 = 0 as well; with 3: 5090 % 3 = 2, March 1601.
        assert_eq!(RecurrencePattern::parse(&b).unwrap().compute_first_date_time(), 0);
        let b = pattern(0x200C, 2, 3, &[15], 0x2023, 0, minutes(2025, 3, 15), NO_END_DATE);
        assert_eq!(RecurrencePattern::parse(&b).unwrap().compute_first_date_time(), (31 + 28) * 1440);
    }

    #[test]
    fn rules_become_patterns_that_read_back_as_the_rule() {
        use crate::mapi::pim::task::rrule_from;
        use crate::pim::{Date, RRule, When};
        let d = |y, m, d| Date::new(y, m, d);
        let mut cases: Vec<(RRule, Date, Option<Date>)> = Vec::new();
        let mut r = RRule::new(Freq::Daily);
        r.interval = 3;
        r.count = Some(10);
        cases.push((r, d(2011, 4, 7), None));
        let mut r = RRule::new(Freq::Weekly);
        r.by_day = vec![(None, Weekday::Monday), (None, Weekday::Thursday), (None, Weekday::Friday)];
        r.count = Some(12);
        cases.push((r.clone(), d(2007, 3, 26), None));
        r.interval = 2;
        r.wkst = Some(Weekday::Sunday);
        r.count = None;
        r.until = Some(When::Date(d(2025, 12, 31)));
        cases.push((r, d(2025, 3, 3), Some(d(2025, 12, 31))));
        let mut r = RRule::new(Freq::Monthly);
        r.by_day = vec![(Some(-1), Weekday::Friday)];
        r.count = Some(12);
        cases.push((r, d(2025, 1, 31), None));
        let mut r = RRule::new(Freq::Monthly);
        r.interval = 2;
        r.by_day = [Weekday::Monday, Weekday::Tuesday, Weekday::Wednesday, Weekday::Thursday, Weekday::Friday]
            .into_iter()
            .map(|w| (None, w))
            .collect();
        r.by_set_pos = vec![-1];
        cases.push((r, d(2025, 1, 31), None));
        let mut r = RRule::new(Freq::Monthly);
        r.by_month_day = vec![28, 29, 30, 31];
        r.by_set_pos = vec![-1];
        cases.push((r, d(2025, 1, 31), None));
        let mut r = RRule::new(Freq::Monthly);
        r.by_month_day = vec![-1];
        cases.push((r, d(2025, 1, 31), None));
        let mut r = RRule::new(Freq::Yearly);
        r.by_month = vec![3];
        r.by_month_day = vec![3];
        r.until = Some(When::Date(d(2030, 3, 3)));
        cases.push((r, d(2025, 3, 3), Some(d(2030, 3, 3))));
        let mut r = RRule::new(Freq::Yearly);
        r.by_month = vec![11];
        r.by_day = vec![(Some(4), Weekday::Thursday)];
        cases.push((r, d(2025, 11, 27), None));
        for (rule, start, until) in cases {
            let p = RecurrencePattern::from_rule(&rule, start, until).unwrap_or_else(|e| panic!("{rule:?}: {e}"));
            let back = RecurrencePattern::parse(&p.serialize()).unwrap();
            assert_eq!(back, p);
            assert_eq!(rrule_from(&back.rule()), rule, "{rule:?}");
            assert_eq!(
                LocalTime::from_minutes(p.start_date).date(),
                (start.year, u32::from(start.month), u32::from(start.day))
            );
            if let Some(c) = rule.count {
                // EndDate is the last instance's day.
                let days = back.instance_dates((9999, 1, 1), c as usize).unwrap();
                assert_eq!(Some(&LocalTime::from_minutes(back.end_date).date()), days.last());
            }
        }
        // Counted from the spec example: 12 instances end on 2007-04-20.
        let mut r = RRule::new(Freq::Weekly);
        r.by_day = vec![(None, Weekday::Monday), (None, Weekday::Thursday), (None, Weekday::Friday)];
        r.count = Some(12);
        let p = RecurrencePattern::from_rule(&r, Date::new(2007, 3, 26), None).unwrap();
        assert_eq!(LocalTime::from_minutes(p.end_date), lt(2007, 4, 20, 0, 0));
        // What Outlook cannot say.
        let mut bad = RRule::new(Freq::Monthly);
        bad.by_month = vec![1, 7];
        assert!(RecurrencePattern::from_rule(&bad, Date::new(2025, 1, 1), None).is_err());
        let mut bad = RRule::new(Freq::Weekly);
        bad.by_day = vec![(Some(1), Weekday::Monday)];
        assert!(RecurrencePattern::from_rule(&bad, Date::new(2025, 1, 1), None).is_err());
        let mut bad = RRule::new(Freq::Monthly);
        bad.by_day = vec![(Some(2), Weekday::Monday), (Some(-1), Weekday::Friday)];
        assert!(RecurrencePattern::from_rule(&bad, Date::new(2025, 1, 1), None).is_err());
    }
}
