//! Compressed RTF ([MS-OXRTFCP]) and RTF de-encapsulation ([MS-OXRTFEX]):
//! the input as a compressed stream, and as RTF.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailshift_pst::rtf::{decapsulate, decompress, to_text};

fuzz_target!(|data: &[u8]| {
    if let Ok(rtf) = decompress(data) {
        let _ = decapsulate(&rtf);
        let _ = to_text(&rtf);
    }
    let _ = decapsulate(data);
    let _ = to_text(data);
});
