//! A whole file: open, then the bounded folder / table / message walk.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailshift_pst::Pst;

fuzz_target!(|data: &[u8]| {
    let Ok(pst) = Pst::from_bytes("fuzz.pst", data.to_vec()) else {
        return;
    };
    mailshift_fuzz::walk(&pst);
    let _ = pst.all_nodes();
});
