//! The binary blobs of calendar items: PidLidAppointmentRecur /
//! PidLidTaskRecurrence ([MS-OXOCAL] 2.2.1.44, decoded, mapped to RRULE
//! parts and expanded), TZDEFINITION and TZSTRUCT (2.2.1.41, 2.2.1.39,
//! turned into a zone and used both ways).
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailshift_core::pim::DateTime;
use mailshift_pst::pim::recur::{AppointmentRecurrencePattern, RecurrencePattern};
use mailshift_pst::pim::task::rrule_from;
use mailshift_pst::pim::tz::{parse_tzstruct, zone, TzDefinition};

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = AppointmentRecurrencePattern::parse(data) {
        let _ = rrule_from(&p.pattern.rule());
        let _ = p.pattern.instance_dates((2100, 12, 31), 500);
    }
    if let Ok(p) = RecurrencePattern::parse(data) {
        let _ = rrule_from(&p.rule());
    }
    let probe = |z: &mailshift_core::pim::TimeZone| {
        let t = data.iter().take(8).fold(0i64, |a, b| (a << 8) | i64::from(*b));
        let local = z.local_from_utc(t);
        let _ = z.utc_from_local(&local);
        let _ = z.utc_from_local(&DateTime::new(2025, 3, 30, 2, 30, 0));
    };
    if let Ok(d) = TzDefinition::parse(data) {
        if let Some(z) = d.to_zone() {
            probe(&z);
        }
    }
    if let Ok(r) = parse_tzstruct(data) {
        probe(&zone(&r, "fuzz".into()));
    }
});
