//! B-tree pages (MS-PST 2.2.2.7): input is `[selector] [flags] pages...`.
//! The pages are placed from the second page of the file on; with flag bit
//! 0 set each page's trailer gets a matching signature and CRC, so that the
//! fuzzer explores the entries rather than the checksums. The first page is
//! the root: it is read alone, then NBT or BBT lookups and the full NBT walk
//! go from it (children may point at the other pages).
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailshift_pst::ndb::btree::{all_nbt_entries, lookup_bbt, lookup_nbt, parse_bbt_entry, parse_nbt_entry};
use mailshift_pst::ndb::header::Bref;
use mailshift_pst::ndb::page::{BtPage, PTYPE_BBT, PTYPE_NBT};
use mailshift_pst::raw::PageTrailer;

fuzz_target!(|data: &[u8]| {
    let [sel, flags, rest @ ..] = data else { return };
    let (format, _) = mailshift_fuzz::format_and_crypt(*sel);
    let ps = format.page_size();
    let mut file = vec![0u8; ps];
    file.extend_from_slice(rest);
    let t = ps - format.page_trailer_size();
    let mut root_bid = 0;
    let mut p = ps;
    while p + ps <= file.len() {
        let page = &mut file[p..p + ps];
        let bid = PageTrailer::parse(&page[t..], format).map_or(0, |tr| tr.bid);
        if p == ps {
            root_bid = bid;
        }
        if flags & 1 != 0 {
            // ptypeRepeat, wSig and dwCRC made to match (MS-PST 2.2.2.7.1).
            let ptype = page[t];
            PageTrailer::seal(page, format, ptype, p as u64, bid);
        }
        p += ps;
    }
    let root = Bref { bid: root_bid, ib: ps as u64 };
    let ptype = if flags & 2 != 0 { PTYPE_BBT } else { PTYPE_NBT };
    if let Ok(page) = BtPage::read(&file, format, root, ptype) {
        for i in 0..page.c_ent + 1 {
            if let Some(e) = page.entry(i) {
                let _ = parse_nbt_entry(e, format);
                let _ = parse_bbt_entry(e, format);
            }
        }
    }
    let key = u32::from(flags >> 2) * 0x21;
    if ptype == PTYPE_NBT {
        let _ = lookup_nbt(&file, format, root, key);
        let _ = all_nbt_entries(&file, format, root);
    } else {
        let _ = lookup_bbt(&file, format, root, u64::from(key));
    }
});
