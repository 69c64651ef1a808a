//! HEADER parsing (MS-PST 2.2.2.6), then the root-page checks `Pst` makes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailshift_pst::ndb::header::Header;
use mailshift_pst::Pst;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = Header::parse(data) {
        let _ = format!("{h:?}");
    }
    let _ = Pst::from_bytes("fuzz.pst", data.to_vec());
});
