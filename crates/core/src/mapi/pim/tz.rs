//! Time-zone blobs of calendar items mapped onto core's [`TimeZone`]
//! (`VTIMEZONE`):
//!
//! - `TZDEFINITION` ([MS-OXOCAL] 2.2.1.41, the persisted form of
//!   PidLidAppointmentTimeZoneDefinitionStartDisplay 0x825E, EndDisplay
//!   0x825F and Recur 0x8260): a Windows zone key name ("W. Europe
//!   Standard Time") and one `TZRule` per year its rules changed;
//! - `TZSTRUCT` ([MS-OXOCAL] 2.2.1.39, PidLidTimeZoneStruct 0x8233): one
//!   rule and no name (PidLidTimeZoneDescription 0x8234 holds the display
//!   text).
//!
//! Both carry a `TZREG`: biases in minutes with UTC = local + bias, and the
//! two yearly transitions as `SYSTEMTIME`s whose `wDay` 1-5 says which
//! occurrence of `wDayOfWeek` in `wMonth` (5 = the last) and whose
//! `wHour:wMinute` is the local wall time of the change.

use crate::pim::{DateTime, TimeZone, Transition, Weekday, ZoneRule};

use super::recur::weekday_from_index;
use crate::mapi::Malformed;

/// `TZRULE_FLAG_RECUR_CURRENT_TZREG` ([MS-OXOCAL] 2.2.1.41.1): the rule
/// PidLidTimeZoneStruct copies.
pub const TZRULE_FLAG_RECUR_CURRENT_TZREG: u16 = 0x0001;
/// `TZRULE_FLAG_EFFECTIVE_TZREG` ([MS-OXOCAL] 2.2.1.41.1): the rule in
/// effect.
pub const TZRULE_FLAG_EFFECTIVE_TZREG: u16 = 0x0002;
/// `TZDEFINITION_FLAG_VALID_GUID`: a GUID follows the flags.
const TZDEFINITION_FLAG_VALID_GUID: u16 = 0x0001;
/// `TZDEFINITION_FLAG_VALID_KEYNAME`: the key name follows.
const TZDEFINITION_FLAG_VALID_KEYNAME: u16 = 0x0002;

/// A Windows `SYSTEMTIME` as a transition date ([MS-OXOCAL] 2.2.1.39).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SystemTime {
    /// `wYear`: 0 for a yearly rule, else the one year of an absolute date.
    pub year: u16,
    /// `wMonth`: 1-12, 0 when the zone has no daylight time.
    pub month: u16,
    /// `wDayOfWeek`: 0 Sunday ... 6 Saturday.
    pub day_of_week: u16,
    /// `wDay`: the occurrence 1-5 (5 = last) for a yearly rule, else the day.
    pub day: u16,
    /// `wHour`.
    pub hour: u16,
    /// `wMinute`.
    pub minute: u16,
    /// `wSecond`.
    pub second: u16,
}

/// A `TZREG`: one set of zone rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TzReg {
    /// `lBias`: minutes, UTC = local + bias.
    pub bias: i32,
    /// `lStandardBias`: added to `bias` in standard time.
    pub standard_bias: i32,
    /// `lDaylightBias`: added to `bias` in daylight time.
    pub daylight_bias: i32,
    /// `stStandardDate`: when standard time begins.
    pub standard_date: SystemTime,
    /// `stDaylightDate`: when daylight time begins (month 0: never).
    pub daylight_date: SystemTime,
}

/// A `TZRule` of a `TZDEFINITION`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TzRule {
    /// `TZRule flags` ([`TZRULE_FLAG_EFFECTIVE_TZREG`] ...).
    pub flags: u16,
    /// `wYear`: the first year the rule applies to.
    pub year: u16,
    /// The rule.
    pub reg: TzReg,
}

/// A decoded `TZDEFINITION`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TzDefinition {
    /// The Windows zone key name, when the blob has one.
    pub key_name: Option<String>,
    /// The rules, in stored order.
    pub rules: Vec<TzRule>,
}

const TZDEF: &str = "TZDEFINITION";
const TZRULE: &str = "TZRULE";
const TZSTRUCT: &str = "TZSTRUCT";

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    structure: &'static str,
}

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize, field: &str) -> Result<&'a [u8], Malformed> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.data.len()).ok_or_else(|| {
            Malformed::new(
                self.structure,
                self.pos as u64,
                format!("{field}: needs {n} bytes, {} left", self.data.len().saturating_sub(self.pos)),
            )
        })?;
        let b = &self.data[self.pos..end];
        self.pos = end;
        Ok(b)
    }

    fn u8(&mut self, field: &str) -> Result<u8, Malformed> {
        Ok(self.bytes(1, field)?[0])
    }

    fn u16(&mut self, field: &str) -> Result<u16, Malformed> {
        let b = self.bytes(2, field)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn i32(&mut self, field: &str) -> Result<i32, Malformed> {
        let b = self.bytes(4, field)?;
        Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn system_time(&mut self, field: &str) -> Result<SystemTime, Malformed> {
        let t = SystemTime {
            year: self.u16(field)?,
            month: self.u16(field)?,
            day_of_week: self.u16(field)?,
            day: self.u16(field)?,
            hour: self.u16(field)?,
            minute: self.u16(field)?,
            second: self.u16(field)?,
        };
        self.u16(field)?; // wMilliseconds
        Ok(t)
    }

    fn tzreg(&mut self) -> Result<TzReg, Malformed> {
        Ok(TzReg {
            bias: self.i32("lBias")?,
            standard_bias: self.i32("lStandardBias")?,
            daylight_bias: self.i32("lDaylightBias")?,
            standard_date: self.system_time("stStandardDate")?,
            daylight_date: self.system_time("stDaylightDate")?,
        })
    }
}

impl TzDefinition {
    /// Decodes a `TZDEFINITION` blob ([MS-OXOCAL] 2.2.1.41): version 2,
    /// `cbHeader` bytes of header (flags, optional GUID, key name, rule
    /// count), then each `TZRule` prefixed by its own size, so that newer
    /// minor versions with longer parts still read.
    pub fn parse(blob: &[u8]) -> Result<TzDefinition, Malformed> {
        let mut r = Reader { data: blob, pos: 0, structure: TZDEF };
        let major = r.u8("bMajorVersion")?;
        if major != 2 {
            return Err(Malformed::new(TZDEF, 0, format!("bMajorVersion {major}, expected 2")));
        }
        r.u8("bMinorVersion")?;
        let cb_header = usize::from(r.u16("cbHeader")?);
        let header_start = r.pos;
        let flags = r.u16("wFlags")?;
        if flags & TZDEFINITION_FLAG_VALID_GUID != 0 {
            r.bytes(16, "guidTZID")?;
        }
        let key_name = if flags & TZDEFINITION_FLAG_VALID_KEYNAME != 0 {
            let cch = usize::from(r.u16("cchKeyName")?);
            let b = r.bytes(cch * 2, "KeyName")?;
            let units: Vec<u16> = b.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
            let s = String::from_utf16_lossy(&units).trim_end_matches('\0').trim().to_string();
            (!s.is_empty()).then_some(s)
        } else {
            None
        };
        let count = r.u16("cRules")?;
        // Skip whatever a later minor version adds to the header.
        let rules_at = header_start.checked_add(cb_header).filter(|e| *e >= r.pos && *e <= blob.len());
        match rules_at {
            Some(at) => r.pos = at,
            None => {
                return Err(Malformed::new(
                    TZDEF,
                    2,
                    format!("cbHeader {cb_header} disagrees with the {} header bytes read", r.pos - header_start),
                ))
            }
        }
        // A rule is at least 66 bytes; the count cannot outrun the blob.
        let mut rules = Vec::with_capacity(usize::from(count).min(blob.len() / 66));
        for _ in 0..count {
            r.structure = TZRULE;
            let at = r.pos;
            let major = r.u8("bMajorVersion")?;
            if major != 2 {
                return Err(Malformed::new(TZRULE, at as u64, format!("bMajorVersion {major}, expected 2")));
            }
            r.u8("bMinorVersion")?;
            let cb_rule = usize::from(r.u16("cbRule")?);
            let body = r.pos;
            let flags = r.u16("wFlags")?;
            let start = r.system_time("stStart")?;
            let reg = r.tzreg()?;
            let next = body.checked_add(cb_rule).filter(|e| *e >= r.pos && *e <= blob.len()).ok_or_else(|| {
                Malformed::new(
                    TZRULE,
                    at as u64,
                    format!("cbRule {cb_rule} disagrees with the rule's {} bytes", r.pos - body),
                )
            })?;
            r.pos = next;
            rules.push(TzRule { flags, year: start.year, reg });
        }
        Ok(TzDefinition { key_name, rules })
    }

    /// The rule in effect: the one flagged [`TZRULE_FLAG_EFFECTIVE_TZREG`],
    /// else the one of the latest year.
    pub fn effective(&self) -> Option<&TzRule> {
        self.rules
            .iter()
            .find(|r| r.flags & TZRULE_FLAG_EFFECTIVE_TZREG != 0)
            .or_else(|| self.rules.iter().max_by_key(|r| r.year))
    }

    /// The zone of the effective rule, named by the key name (else by its
    /// offsets, see [`offset_name`]). `None` without rules.
    pub fn to_zone(&self) -> Option<TimeZone> {
        let rule = self.effective()?;
        let tzid = self.key_name.clone().unwrap_or_else(|| offset_name(&rule.reg));
        Some(zone(&rule.reg, tzid))
    }
}

/// Decodes a `TZSTRUCT` (PidLidTimeZoneStruct, [MS-OXOCAL] 2.2.1.39):
/// `lBias`, `lStandardBias`, `lDaylightBias`, `wStandardYear`,
/// `stStandardDate`, `wDaylightYear`, `stDaylightDate` (48 bytes).
pub fn parse_tzstruct(blob: &[u8]) -> Result<TzReg, Malformed> {
    let mut r = Reader { data: blob, pos: 0, structure: TZSTRUCT };
    let bias = r.i32("lBias")?;
    let standard_bias = r.i32("lStandardBias")?;
    let daylight_bias = r.i32("lDaylightBias")?;
    r.u16("wStandardYear")?;
    let standard_date = r.system_time("stStandardDate")?;
    r.u16("wDaylightYear")?;
    let daylight_date = r.system_time("stDaylightDate")?;
    Ok(TzReg { bias, standard_bias, daylight_bias, standard_date, daylight_date })
}

/// A name for a zone known only by its rule: `UTC+01:00`, or
/// `UTC+01:00/+02:00` when it has daylight time.
pub fn offset_name(reg: &TzReg) -> String {
    let fmt = |m: i64| {
        let sign = if m < 0 { '-' } else { '+' };
        format!("{sign}{:02}:{:02}", m.abs() / 60, m.abs() % 60)
    };
    let std = -(i64::from(reg.bias) + i64::from(reg.standard_bias));
    if has_daylight(reg) {
        let dst = -(i64::from(reg.bias) + i64::from(reg.daylight_bias));
        format!("UTC{}/{}", fmt(std), fmt(dst))
    } else {
        format!("UTC{}", fmt(std))
    }
}

fn has_daylight(reg: &TzReg) -> bool {
    reg.daylight_date.month != 0 && reg.standard_date.month != 0 && reg.daylight_bias != reg.standard_bias
}

/// Offsets beyond ±18 hours are no zone's; clamped so a damaged blob gives
/// a strange zone, never an overflow.
fn offset(bias: i32, extra: i32) -> i32 {
    (-(i64::from(bias) + i64::from(extra))).clamp(-18 * 60, 18 * 60) as i32
}

/// The zone `tzid` of a `TZREG`. Each observance starts in 1601 (the
/// Windows epoch, as Outlook's own iCalendar export does), on its first
/// transition that year, and repeats yearly: the rule is applied to every
/// year, which is what Outlook does with the effective rule too.
pub fn zone(reg: &TzReg, tzid: String) -> TimeZone {
    let std = offset(reg.bias, reg.standard_bias);
    if !has_daylight(reg) {
        return TimeZone {
            tzid,
            standard: ZoneRule {
                offset_from: std,
                offset_to: std,
                start: DateTime::new(1601, 1, 1, 0, 0, 0),
                transition: None,
            },
            daylight: None,
        };
    }
    let dst = offset(reg.bias, reg.daylight_bias);
    TimeZone {
        tzid,
        standard: observance(&reg.standard_date, dst, std),
        daylight: Some(observance(&reg.daylight_date, std, dst)),
    }
}

fn observance(st: &SystemTime, from: i32, to: i32) -> ZoneRule {
    let hour = st.hour.min(23) as u8;
    let minute = st.minute.min(59) as u8;
    let second = st.second.min(59) as u8;
    let month = st.month.clamp(1, 12) as u8;
    if st.year != 0 {
        // An absolute date: one transition, no repetition.
        let day = st.day.clamp(1, 31) as u8;
        return ZoneRule {
            offset_from: from,
            offset_to: to,
            start: DateTime::new(i32::from(st.year), month, day, hour, minute, second),
            transition: None,
        };
    }
    let weekday = weekday_from_index(u32::from(st.day_of_week.min(6))).unwrap_or(Weekday::Sunday);
    let nth: i8 = if st.day >= 5 { -1 } else { st.day.max(1) as i8 };
    let transition = Transition { month, nth, weekday };
    // DTSTART in 1601 on one of the observance's own occurrences.
    let day = transition.day(1601).map_or(1, |d| crate::time::civil_from_days(d).2 as u8);
    ZoneRule {
        offset_from: from,
        offset_to: to,
        start: DateTime::new(1601, month, day, hour, minute, second),
        transition: Some(transition),
    }
}

// ------------------------------------------------------------- writing

impl SystemTime {
    fn put(&self, out: &mut Vec<u8>) {
        for v in [self.year, self.month, self.day_of_week, self.day, self.hour, self.minute, self.second, 0] {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
}

impl TzReg {
    /// The rule of `z`, the inverse of [`zone`]: `lBias` the negated
    /// standard offset, `lStandardBias` 0, `lDaylightBias` the difference
    /// of the two offsets, each observance's yearly transition as a
    /// `SYSTEMTIME` of year 0 (`wDay` 5 for the last), a one-off one with
    /// its year.
    pub fn from_zone(z: &TimeZone) -> TzReg {
        let std = z.standard.offset_to;
        let Some(dst) = &z.daylight else {
            return TzReg { bias: -std, ..TzReg::default() };
        };
        TzReg {
            bias: -std,
            standard_bias: 0,
            daylight_bias: std - dst.offset_to,
            standard_date: transition_time(&z.standard),
            daylight_date: transition_time(dst),
        }
    }

    fn put(&self, out: &mut Vec<u8>) {
        for v in [self.bias, self.standard_bias, self.daylight_bias] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        self.standard_date.put(out);
        self.daylight_date.put(out);
    }
}

/// The `SYSTEMTIME` of an observance's onset.
fn transition_time(r: &ZoneRule) -> SystemTime {
    let (h, m, s) = (u16::from(r.start.hour), u16::from(r.start.minute), u16::from(r.start.second));
    match r.transition {
        Some(t) => SystemTime {
            year: 0,
            month: u16::from(t.month),
            day_of_week: t.weekday as u16,
            day: if t.nth < 0 || t.nth > 4 { 5 } else { t.nth.max(1) as u16 },
            hour: h,
            minute: m,
            second: s,
        },
        None => {
            let d = r.start.date;
            let days = crate::time::days_from_civil(i64::from(d.year), u32::from(d.month), u32::from(d.day));
            SystemTime {
                year: u16::try_from(d.year).unwrap_or(0),
                month: u16::from(d.month),
                day_of_week: (days + 4).rem_euclid(7) as u16,
                day: u16::from(d.day),
                hour: h,
                minute: m,
                second: s,
            }
        }
    }
}

impl TzDefinition {
    /// The definition of `z`: its tzid as the key name, and one rule from
    /// `year` on, flagged effective and the one PidLidTimeZoneStruct copies.
    pub fn from_zone(z: &TimeZone, year: u16) -> TzDefinition {
        TzDefinition {
            key_name: Some(z.tzid.clone()),
            rules: vec![TzRule {
                flags: TZRULE_FLAG_EFFECTIVE_TZREG | TZRULE_FLAG_RECUR_CURRENT_TZREG,
                year,
                reg: TzReg::from_zone(z),
            }],
        }
    }

    /// The blob [`TzDefinition::parse`] reads ([MS-OXOCAL] 2.2.1.41):
    /// version 2.1, no GUID, the key name (cut at 260 characters, the
    /// registry's limit), each rule version 2.1 of 62 bytes.
    pub fn serialize(&self) -> Vec<u8> {
        let key: Vec<u16> = self.key_name.as_deref().unwrap_or("").encode_utf16().take(260).collect();
        let has_key = !key.is_empty();
        let header = 2 + if has_key { 2 + key.len() * 2 } else { 0 } + 2;
        let mut b = Vec::with_capacity(4 + header + self.rules.len() * 66);
        b.extend_from_slice(&[2, 1]);
        b.extend_from_slice(&(header as u16).to_le_bytes());
        let flags = if has_key { TZDEFINITION_FLAG_VALID_KEYNAME } else { 0 };
        b.extend_from_slice(&flags.to_le_bytes());
        if has_key {
            b.extend_from_slice(&(key.len() as u16).to_le_bytes());
            for u in &key {
                b.extend_from_slice(&u.to_le_bytes());
            }
        }
        let rules = &self.rules[..self.rules.len().min(usize::from(u16::MAX))];
        b.extend_from_slice(&(rules.len() as u16).to_le_bytes());
        for r in rules {
            b.extend_from_slice(&[2, 1]);
            b.extend_from_slice(&62u16.to_le_bytes());
            b.extend_from_slice(&r.flags.to_le_bytes());
            SystemTime { year: r.year, month: 1, day: 1, ..SystemTime::default() }.put(&mut b);
            r.reg.put(&mut b);
        }
        b
    }
}

/// The 48-byte `TZSTRUCT` of `reg` (PidLidTimeZoneStruct, [MS-OXOCAL]
/// 2.2.1.39), the years of the transitions those of the dates.
pub fn serialize_tzstruct(reg: &TzReg) -> Vec<u8> {
    let mut b = Vec::with_capacity(48);
    for v in [reg.bias, reg.standard_bias, reg.daylight_bias] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&reg.standard_date.year.to_le_bytes());
    reg.standard_date.put(&mut b);
    b.extend_from_slice(&reg.daylight_date.year.to_le_bytes());
    reg.daylight_date.put(&mut b);
    b
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// W. Europe Standard Time as Outlook writes it: one effective rule
    /// from 2025, bias -60, daylight -60, last Sunday of October 03:00 and
    /// of March 02:00.
    pub(crate) fn berlin_tzdef() -> Vec<u8> {
        let mut b = vec![2u8, 1];
        let key: Vec<u16> = "W. Europe Standard Time".encode_utf16().collect();
        let header = 2 + 2 + key.len() * 2 + 2;
        b.extend((header as u16).to_le_bytes());
        b.extend(2u16.to_le_bytes());
        b.extend((key.len() as u16).to_le_bytes());
        for u in key {
            b.extend(u.to_le_bytes());
        }
        b.extend(1u16.to_le_bytes());
        b.extend([2u8, 1, 62, 0]);
        b.extend(TZRULE_FLAG_EFFECTIVE_TZREG.to_le_bytes());
        b.extend(st(2025, 1, 0, 1, 0));
        b.extend((-60i32).to_le_bytes());
        b.extend(0i32.to_le_bytes());
        b.extend((-60i32).to_le_bytes());
        b.extend(st(0, 10, 0, 5, 3));
        b.extend(st(0, 3, 0, 5, 2));
        b
    }

    fn st(year: u16, month: u16, dow: u16, day: u16, hour: u16) -> Vec<u8> {
        [year, month, dow, day, hour, 0, 0, 0].iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    #[test]
    fn tzdefinition_gives_the_effective_rule_and_key_name() {
        let d = TzDefinition::parse(&berlin_tzdef()).expect("parses");
        assert_eq!(d.key_name.as_deref(), Some("W. Europe Standard Time"));
        assert_eq!(d.rules.len(), 1);
        let z = d.to_zone().expect("zone");
        assert_eq!(z.tzid, "W. Europe Standard Time");
        assert_eq!((z.standard.offset_from, z.standard.offset_to), (120, 60));
        let dst = z.daylight.as_ref().expect("daylight");
        assert_eq!((dst.offset_from, dst.offset_to), (60, 120));
        assert_eq!(dst.transition, Some(Transition { month: 3, nth: -1, weekday: Weekday::Sunday }));
        // The last Sunday of March 1601 was the 25th.
        assert_eq!(dst.start, DateTime::new(1601, 3, 25, 2, 0, 0));
        assert_eq!(z.standard.start, DateTime::new(1601, 10, 28, 3, 0, 0));
        // Core applies it: 2025-03-12 08:30 Berlin is 07:30 UTC.
        assert_eq!(z.utc_from_local(&DateTime::new(2025, 3, 12, 8, 30, 0)), 1_741_764_600);
    }

    #[test]
    fn tzstruct_and_offset_names() {
        // Pacific: bias 480, daylight -60, first Sunday of November 02:00,
        // second Sunday of March 02:00.
        let mut b = Vec::new();
        b.extend(480i32.to_le_bytes());
        b.extend(0i32.to_le_bytes());
        b.extend((-60i32).to_le_bytes());
        b.extend(0u16.to_le_bytes());
        b.extend(st(0, 11, 0, 1, 2));
        b.extend(0u16.to_le_bytes());
        b.extend(st(0, 3, 0, 2, 2));
        let reg = parse_tzstruct(&b).expect("parses");
        assert_eq!(offset_name(&reg), "UTC-08:00/-07:00");
        let z = zone(&reg, offset_name(&reg));
        assert_eq!(z.daylight.as_ref().and_then(|d| d.transition).map(|t| t.nth), Some(2));
        assert_eq!(z.standard.offset_to, -480);
        let ist = TzReg { bias: -330, ..TzReg::default() };
        assert_eq!(offset_name(&ist), "UTC+05:30");
        assert!(zone(&ist, "x".into()).daylight.is_none());
    }

    #[test]
    fn damaged_blobs_are_errors_with_offsets_never_panics() {
        let good = berlin_tzdef();
        for n in 0..good.len() {
            assert!(TzDefinition::parse(&good[..n]).is_err(), "truncated at {n}");
        }
        let mut bad = good.clone();
        bad[2] = 0xFF; // cbHeader beyond the blob
        let e = TzDefinition::parse(&bad).unwrap_err();
        assert_eq!((e.structure, e.offset), ("TZDEFINITION", 2));
        let mut bad = good.clone();
        let rule_at = 4 + usize::from(u16::from_le_bytes([good[2], good[3]]));
        bad[rule_at] = 9;
        let e = TzDefinition::parse(&bad).unwrap_err();
        assert_eq!((e.structure, e.offset), ("TZRULE", rule_at as u64));
        // Every single-byte change parses or fails, never panics.
        for i in 0..good.len() {
            for v in [0u8, 0x7F, 0xFF] {
                let mut b = good.clone();
                b[i] = v;
                if let Ok(d) = TzDefinition::parse(&b) {
                    if let Some(z) = d.to_zone() {
                        let _ = z.local_from_utc(z.utc_from_local(&DateTime::new(2025, 7, 1, 12, 0, 0)));
                    }
                }
            }
        }
        assert!(parse_tzstruct(&[0; 47]).is_err());
    }

    #[test]
    fn serialized_definitions_and_structs_parse_back() {
        // Outlook's own blob, decoded, serialized and decoded again.
        let d = TzDefinition::parse(&berlin_tzdef()).expect("parses");
        let again = TzDefinition::parse(&d.serialize()).expect("serialized parses");
        assert_eq!(again.key_name, d.key_name);
        assert_eq!(again.rules[0].reg, d.rules[0].reg);
        // Byte for byte what Outlook wrote, but its rule's flags and year.
        let mine = TzDefinition {
            rules: vec![TzRule { flags: TZRULE_FLAG_EFFECTIVE_TZREG, year: 2025, ..d.rules[0] }],
            ..d.clone()
        };
        assert_eq!(mine.serialize(), berlin_tzdef());
        // Zone -> rule -> zone is the identity for the zones `zone` makes.
        let z = d.to_zone().expect("zone");
        assert_eq!(TzReg::from_zone(&z), d.rules[0].reg);
        let back = TzDefinition::parse(&TzDefinition::from_zone(&z, 1601).serialize()).unwrap().to_zone().unwrap();
        assert_eq!(back, z);
        let reg = TzReg::from_zone(&z);
        assert_eq!(parse_tzstruct(&serialize_tzstruct(&reg)).unwrap(), reg);
        assert_eq!(serialize_tzstruct(&reg).len(), 48);
        // Pacific (second Sunday of March, first of November), India (no
        // daylight time), a zone by its offsets, and one-off transitions.
        let pac = TzReg {
            bias: 480,
            standard_bias: 0,
            daylight_bias: -60,
            standard_date: SystemTime { month: 11, day: 1, hour: 2, ..SystemTime::default() },
            daylight_date: SystemTime { month: 3, day: 2, hour: 2, ..SystemTime::default() },
        };
        let ist = TzReg { bias: -330, ..TzReg::default() };
        let once = TzReg {
            bias: -60,
            standard_bias: 0,
            daylight_bias: -60,
            standard_date: SystemTime { year: 2030, month: 10, day_of_week: 0, day: 27, hour: 3, ..Default::default() },
            daylight_date: SystemTime { year: 2030, month: 3, day_of_week: 0, day: 31, hour: 2, ..Default::default() },
        };
        for (reg, name) in [(pac, "Pacific Standard Time"), (ist, "India Standard Time"), (once, "UTC+01:00/+02:00")] {
            let z = zone(&reg, name.into());
            assert_eq!(TzReg::from_zone(&z), reg, "{name}");
            let d = TzDefinition::from_zone(&z, 2025);
            let p = TzDefinition::parse(&d.serialize()).unwrap();
            assert_eq!(p, d, "{name}");
            assert_eq!(p.to_zone().unwrap(), z, "{name}");
        }
        // No key name: the zone is named by its offsets.
        let anon = TzDefinition { key_name: None, rules: d.rules.clone() };
        assert_eq!(TzDefinition::parse(&anon.serialize()).unwrap(), anon);
    }
}
