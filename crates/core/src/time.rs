//! Calendar arithmetic on Unix timestamps, without a time-zone database.

/// Days since 1970-01-01 for a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    // Howard Hinnant's algorithm ("chrono-Compatible Low-Level Date Algorithms").
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The number of days in `month` (1-12) of `year`.
pub fn days_in_month(year: i64, month: u32) -> u32 {
    let (ny, nm) = if month >= 12 { (year + 1, 1) } else { (year, month + 1) };
    (days_from_civil(ny, nm, 1) - days_from_civil(year, month, 1)) as u32
}

/// The (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A UTC timestamp broken into its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    /// Year.
    pub year: i64,
    /// Month, 1-12.
    pub month: u32,
    /// Day of the month, 1-31.
    pub day: u32,
    /// Hour, 0-23.
    pub hour: u32,
    /// Minute.
    pub minute: u32,
    /// Second.
    pub second: u32,
    /// Day of the week, 0 = Sunday.
    pub weekday: u32,
}

impl Civil {
    /// Splits a Unix timestamp (UTC).
    pub fn from_unix(t: i64) -> Civil {
        let days = t.div_euclid(86400);
        let secs = t.rem_euclid(86400) as u32;
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: secs / 3600,
            minute: secs / 60 % 60,
            second: secs % 60,
            weekday: (days + 4).rem_euclid(7) as u32,
        }
    }
}

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// `asctime` form, as mbox From_ lines carry it: `Thu Jan  1 00:00:00 1970`.
pub fn asctime(t: i64) -> String {
    let c = Civil::from_unix(t);
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} {}",
        WEEKDAYS[c.weekday as usize],
        MONTHS[(c.month - 1) as usize],
        c.day,
        c.hour,
        c.minute,
        c.second,
        c.year
    )
}

/// RFC 3339 form in UTC: `1970-01-01T00:00:00Z`.
pub fn rfc3339(t: i64) -> String {
    let c = Civil::from_unix(t);
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", c.year, c.month, c.day, c.hour, c.minute, c.second)
}

/// Parses an `asctime`-like date as found in From_ lines
/// (`Thu Jan  1 00:00:00 1970`, also with a zone or without seconds).
/// Returns a UTC timestamp, or `None` if it is not such a date.
pub fn parse_asctime(s: &str) -> Option<i64> {
    let mut parts = s.split_ascii_whitespace();
    let mut first = parts.next()?;
    if WEEKDAYS.iter().any(|w| first.eq_ignore_ascii_case(w)) {
        first = parts.next()?;
    }
    let month = MONTHS.iter().position(|m| first.eq_ignore_ascii_case(m))? as u32 + 1;
    let day: u32 = parts.next()?.parse().ok()?;
    let time = parts.next()?;
    let mut hms = time.split(':');
    let hour: u32 = hms.next()?.parse().ok()?;
    let minute: u32 = hms.next()?.parse().ok()?;
    let second: u32 = match hms.next() {
        Some(s) => s.parse().ok()?,
        None => 0,
    };
    // The year may come after an optional zone name ("... 12:00:00 PST 2001"),
    // or the zone after the year.
    let mut year: Option<i64> = None;
    let mut offset = 0i64;
    for p in parts {
        if let Ok(y) = p.parse::<i64>() {
            if (p.starts_with('+') || p.starts_with('-')) && p.len() == 5 {
                let sign = if p.starts_with('-') { -1 } else { 1 };
                let v: i64 = p[1..].parse().ok()?;
                offset = sign * ((v / 100) * 3600 + (v % 100) * 60);
            } else if year.is_none() {
                year = Some(y);
            }
        }
    }
    let year = year?;
    // Years outside 1..=9999 are no date a mail store holds, and would
    // overflow the day arithmetic.
    if !(1..=9999).contains(&year)
        || !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86400 + (hour * 3600 + minute * 60 + second) as i64 - offset)
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS]` or a bare Unix timestamp (UTC).
pub fn parse_user_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = s.parse::<i64>() {
        if s.len() > 8 && t.unsigned_abs() < 253_402_300_800 {
            return Some(t);
        }
    }
    let (date, time) = match s.find(['T', ' ']) {
        Some(i) => (&s[..i], Some(s[i + 1..].trim_end_matches('Z'))),
        None => (s, None),
    };
    let mut d = date.split('-');
    let y: i64 = d.next()?.parse().ok()?;
    let m: u32 = d.next()?.parse().ok()?;
    let day: u32 = d.next()?.parse().ok()?;
    if d.next().is_some() || !(1..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    let mut secs = 0i64;
    if let Some(t) = time {
        let mut p = t.split(':');
        let h: i64 = p.next()?.parse().ok()?;
        let mi: i64 = p.next().unwrap_or("0").parse().ok()?;
        let se: i64 = p.next().unwrap_or("0").parse().ok()?;
        if h > 23 || mi > 59 || se > 60 {
            return None;
        }
        secs = h * 3600 + mi * 60 + se;
    }
    Some(days_from_civil(y, m, day) * 86400 + secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-800_000i64, -1, 0, 1, 59, 365, 11_016, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn asctime_both_ways() {
        assert_eq!(asctime(0), "Thu Jan  1 00:00:00 1970");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(asctime(1_700_000_000), "Tue Nov 14 22:13:20 2023");
        assert_eq!(parse_asctime("Tue Nov 14 22:13:20 2023"), Some(1_700_000_000));
        assert_eq!(parse_asctime("Nov 14 22:13:20 2023"), Some(1_700_000_000));
        assert_eq!(parse_asctime("Tue Nov 14 23:13:20 +0100 2023"), Some(1_700_000_000));
        assert_eq!(parse_asctime("Tue Nov 14 22:13 2023"), Some(1_700_000_000 - 20));
        assert_eq!(parse_asctime("garbage"), None);
        assert_eq!(parse_asctime("Tue Foo 14 22:13:20 2023"), None);
    }

    /// Found by the `mbox_read` fuzz target: `From 1 Apr 4 4:5 563760249905`
    /// took the huge number as the year and overflowed the day arithmetic.
    #[test]
    fn asctime_year_overflow() {
        assert_eq!(parse_asctime("1 Apr 4 4:5 563760249905"), None);
        assert_eq!(parse_asctime("Apr 4 04:05:00 9223372036854775807"), None);
        assert_eq!(parse_asctime("Apr 4 04:05:00 0"), None);
        assert!(parse_asctime("Apr 4 04:05:00 9999").is_some());
        assert_eq!(parse_user_date("99999999999-01-01"), None);
        assert_eq!(parse_user_date("9223372036854775807"), None);
    }

    #[test]
    fn user_dates() {
        assert_eq!(parse_user_date("1970-01-02"), Some(86400));
        assert_eq!(parse_user_date("2023-11-14T22:13:20Z"), Some(1_700_000_000));
        assert_eq!(parse_user_date("2023-13-01"), None);
        assert_eq!(parse_user_date("1700000000"), Some(1_700_000_000));
    }
}
