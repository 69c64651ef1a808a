//! The registry of rules: one stable id per rule, the structure it is
//! about, its severity and what it requires (with the spec section).

use super::Severity::{self, Error as E, Note as N, Warning as W};

/// A rule the check enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Stable id: `layer.what`. Tests and scripts match on it.
    pub id: &'static str,
    /// The structure it is about, named as in MS-PST.
    pub structure: &'static str,
    /// How bad a breach is.
    pub severity: Severity,
    /// What the rule requires.
    pub requires: &'static str,
}

const fn r(id: &'static str, structure: &'static str, severity: Severity, requires: &'static str) -> Rule {
    Rule { id, structure, severity, requires }
}

/// Every rule, grouped by layer.
pub const RULES: &[Rule] = &[
    // ----------------------------------------------------------- header
    r("header.unreadable", "FILE", E, "the file can be read"),
    r("header.magic", "HEADER", E, "dwMagic is \"!BDN\" (MS-PST 2.2.2.6)"),
    r("header.size", "HEADER", E, "the file holds a whole header"),
    r("header.version", "HEADER", E, "wVer is a known version: 14, 15 (ANSI), 23 (Unicode), 36, 37 (4K)"),
    r("header.client", "HEADER", W, "wMagicClient is \"SM\", \"SO\" or \"AB\""),
    r(
        "header.version_client",
        "HEADER",
        W,
        "wVerClient is a client version Outlook writes (19; 12 in older files and OSTs)",
    ),
    r("header.platform", "HEADER", W, "bPlatformCreate and bPlatformAccess are 0x01"),
    r("header.crc_partial", "HEADER", E, "dwCRCPartial is the CRC of the 471 bytes from wMagicClient"),
    r("header.crc_full", "HEADER", E, "dwCRCFull (Unicode) is the CRC of the 516 bytes from wMagicClient"),
    r("header.sentinel", "HEADER", E, "bSentinel is 0x80"),
    r("header.crypt", "HEADER", E, "bCryptMethod is 0 (none), 1 (permute) or 2 (cyclic)"),
    r("header.eof", "HEADER", E, "ROOT.ibFileEof is the file's length"),
    r("header.amap_last", "HEADER", E, "ROOT.ibAMapLast is the offset of the last AMap page"),
    r("header.amap_valid", "HEADER", W, "ROOT.fAMapValid is 0x00, 0x01 or 0x02"),
    r("header.amap_invalid", "HEADER", N, "ROOT.fAMapValid is not 0 (INVALID_AMAP: Outlook rebuilds the maps)"),
    r("header.root", "HEADER", E, "ROOT.BREFNBT and BREFBBT name pages inside the file, on page boundaries"),
    r("header.bid_next", "HEADER", E, "bidNextB is above every block BID, bidNextP above every page BID"),
    r("header.rgnid", "HEADER", E, "rgnid[t] is at least the nidIndex of every node of NID type t (MS-PST 2.2.2.6)"),
    // ------------------------------------------------------- B-tree pages
    r("page.outside", "BTPAGE", E, "a B-tree page is inside the file and on a page boundary"),
    r("page.ptype", "BTPAGE", E, "ptype and ptypeRepeat name the tree's page type (MS-PST 2.2.2.7.1)"),
    r("page.crc", "BTPAGE", E, "dwCRC is the CRC of the page before its trailer"),
    r("page.bid", "BTPAGE", E, "the trailer's bid is the BREF's"),
    r("page.sig", "BTPAGE", E, "wSig is ComputeSig(ib, bid) (MS-PST 5.5)"),
    r("bt.cbent", "BTPAGE", E, "cbEnt is the size of the level's entry (MS-PST 2.2.2.7.7.1)"),
    r("bt.cent", "BTPAGE", E, "cEnt is at most cEntMax, and cEntMax is what fits in rgentries"),
    r("bt.level", "BTPAGE", E, "cLevel decreases by one from the root down to 0 at the leaves"),
    r("bt.order", "BTPAGE", E, "keys ascend within a page and stay within the range the parent gives"),
    r("bt.duplicate", "BTPAGE", E, "no key appears twice in a tree"),
    r("bt.parent_key", "BTPAGE", E, "a BTENTRY's btkey is the first key of its child page"),
    r("bt.cycle", "BTPAGE", E, "no page is reached twice, and trees are at most 16 levels deep"),
    r("bt.empty", "BTPAGE", E, "no page below the root is empty"),
    // ------------------------------------------------------------- blocks
    r(
        "block.outside",
        "BLOCK",
        E,
        "a block is inside the file, past the first AMap and on a 64-byte boundary (4K: 512)",
    ),
    r("block.size", "BLOCK", E, "cb fits in a block (at most 8176 bytes of data; 4K: 65512)"),
    r("block.trailer", "BLOCK", E, "the trailer's cb is the BBT's (MS-PST 2.2.2.8.1)"),
    r("block.bid", "BLOCK", E, "the trailer's bid is the BBT's"),
    r("block.sig", "BLOCK", E, "wSig is ComputeSig(ib, bid)"),
    r("block.crc", "BLOCK", E, "dwCRC is the CRC of the block's data"),
    r("block.inflate", "BLOCK", E, "a compressed 4K block inflates to the size its trailer gives"),
    r("block.overlap", "BLOCK", E, "no two blocks or pages share bytes"),
    r("bbt.cref", "BBT", E, "cRef is at least 1 for a block in the BBT"),
    // --------------------------------------------------------- references
    r("ref.dangling", "REFERENCE", E, "every BID referenced (NBT, XBLOCK, SLBLOCK, SIBLOCK) is in the BBT"),
    r("ref.kind", "REFERENCE", E, "bidSub names an internal subnode block, bidData a data block or XBLOCK"),
    r(
        "ref.leak",
        "REFERENCE",
        N,
        "every block in the BBT is referenced (Outlook leaves a replaced block until it compacts)",
    ),
    r(
        "ref.count",
        "REFERENCE",
        W,
        "cRef is the number of references to the block plus one, the BBT's (MS-PST 2.2.2.7.7.3)",
    ),
    // -------------------------------------------------------- data trees
    r("xblock.btype", "XBLOCK", E, "an internal data block is an XBLOCK (btype 0x01, cLevel 1) or XXBLOCK (cLevel 2)"),
    r("xblock.size", "XBLOCK", E, "cb is the header plus cEnt BIDs"),
    r("xblock.level", "XBLOCK", E, "XXBLOCK children are XBLOCKs, XBLOCK children data blocks"),
    r("xblock.total", "XBLOCK", E, "lcbTotal is the sum of the sizes below (MS-PST 2.2.2.8.3.2)"),
    r("xblock.full", "XBLOCK", E, "every data block but the last is full (8176 bytes Unicode, 8180 ANSI)"),
    // ------------------------------------------------------ subnode trees
    r("sub.btype", "SLBLOCK", E, "a subnode block is an SLBLOCK (btype 0x02, cLevel 0) or SIBLOCK (cLevel 1)"),
    r("sub.size", "SLBLOCK", E, "cb is the header plus cEnt entries"),
    r("sub.level", "SLBLOCK", E, "SIBLOCK children are SLBLOCKs"),
    r("sub.order", "SLBLOCK", E, "subnode NIDs ascend and none repeats"),
    r("sub.key", "SLBLOCK", E, "an SIENTRY's nid is the first NID of its child SLBLOCK"),
    r("sub.cycle", "SLBLOCK", E, "no subnode tree reaches a block twice"),
    // ------------------------------------------------------------- nodes
    r("nbt.type", "NBT", W, "every NID has a known nidType (MS-PST 2.2.2.1)"),
    // -------------------------------------------------------------- maps
    r("amap.page", "AMAP", E, "an AMap page is at every 253,952 bytes from 0x4400 (4K: 0x22000) up to ibFileEof"),
    r("amap.crc", "AMAP", E, "the AMap page's dwCRC is the CRC of its bits"),
    r("amap.trailer", "AMAP", E, "a map page's trailer has its ptype, wSig 0 and bid = its offset (MS-PST 2.2.2.7.1)"),
    r("amap.maps", "AMAP", E, "an AMap marks the map pages it covers (itself, PMap, FMap, FPMap) as allocated"),
    r("amap.unmarked", "AMAP", E, "every block and page in use is marked allocated in its AMap"),
    r("amap.extra", "AMAP", N, "space marked allocated holds a block or page (else it is lost until a repair)"),
    r("amap.free", "AMAP", E, "ROOT.cbAMapFree is the free space the AMaps give (MS-PST 2.2.2.5)"),
    r("pmap.page", "PMAP", E, "a PMap page is at 0x4600 and every 2,031,616 bytes, with a valid trailer and CRC"),
    r("pmap.free", "PMAP", W, "ROOT.cbPMapFree is the free space the PMaps give"),
    r("fmap.page", "FMAP", E, "FMap pages (from AMap 128) and FPMap pages (from AMap 8192) are where MS-PST puts them"),
    r("dlist.page", "DLIST", E, "the DList page at 0x4200 (where present) has a valid trailer and CRC"),
    r("dlist.entry", "DLIST", W, "DList entries name existing AMaps, once each, with their free slots"),
    // ------------------------------------------------------------- heaps
    r("hn.header", "HN", E, "a heap's first block has bSig 0xEC and a known bClientSig (MS-PST 2.3.1.2)"),
    r("hn.pagemap", "HN", E, "HNPAGEMAP is inside the block, allocations ascend between the header and the map"),
    r(
        "hn.fill",
        "HN",
        N,
        "rgbFillLevel gives each block's free space (MS-PST 2.3.1.2; Outlook's OST leaves some stale)",
    ),
    r("hn.hid", "HN", E, "every HID names an allocation of the heap"),
    r("bth.header", "BTH", E, "BTHHEADER: bType 0xB5, cbKey 2, 4, 8 or 16, cbEnt 1 to 32 (MS-PST 2.3.2.1)"),
    r("bth.size", "BTH", E, "a BTH page holds whole records"),
    r("bth.order", "BTH", E, "BTH keys ascend, none repeats"),
    r("bth.key", "BTH", E, "an index record's key is the first key of the page below"),
    r("bth.cycle", "BTH", E, "no BTH page is reached twice, bIdxLevels levels deep"),
    r("pc.kind", "PC", E, "a node that holds properties is a property context (bClientSig 0xBC)"),
    r("pc.bth", "PC", E, "a PC's BTH has cbKey 2 and cbEnt 6 (MS-PST 2.3.3)"),
    r("pc.type", "PC", W, "every property has a known type"),
    r("pc.value", "PC", E, "every value behind an HNID exists, and fixed-size values have their size"),
    r("tc.kind", "TC", E, "a table node is a table context (bClientSig 0x7C)"),
    r("tc.info", "TC", E, "TCINFO: bType 0x7C, rgib ascending, hidRowIndex a BTH (MS-PST 2.3.4.1)"),
    r("tc.columns", "TC", E, "columns ascend by tag, each iBit once, dwRowID and dwRowVersion first"),
    r("tc.overlap", "TC", E, "column cells do not overlap and sit in their size group (MS-PST 2.3.4.2)"),
    r("tc.ceb", "TC", E, "the cell existence bitmap is ceil(cCols / 8) bytes at rgib[TCI_1b]"),
    r("tc.rowindex", "TC", E, "the row index maps each dwRowID once to a row that holds it"),
    r("tc.rows", "TC", E, "the row matrix holds as many rows as the row index"),
    r("tc.cell", "TC", E, "every variable-size cell's HNID exists"),
    r("ltp.unreadable", "LTP", E, "the reader can read every PC and TC the checks need"),
    // --------------------------------------------------------- messaging
    r("msg.skipped", "STORE", N, "the reader opened the file (else folders and messages are not checked)"),
    r(
        "salvage.found",
        "STORE",
        N,
        "where a B-tree is damaged, what the reader's salvage scan finds in its stead (issue 11)",
    ),
    r("msg.required", "STORE", E, "the nodes every store has are present (MS-PST 2.7.1)"),
    r("msg.store", "STORE", E, "the store's entry ids name folders of this store, whose uid is its PidTagRecordKey"),
    r("msg.parent", "FOLDER", E, "every folder and message has a parent folder that exists"),
    r("msg.tables", "FOLDER", E, "every folder has its hierarchy, contents and associated contents tables"),
    r("msg.hierarchy", "FOLDER", E, "a hierarchy table lists the folder's subfolders, each once"),
    r("msg.hierarchy_row", "FOLDER", E, "a hierarchy row's values equal the subfolder's own properties"),
    r("msg.subfolders", "FOLDER", W, "PidTagSubfolders is true exactly when the folder has subfolders"),
    r("msg.contents", "FOLDER", E, "a contents table lists the folder's messages, each once"),
    r("msg.contents_row", "FOLDER", W, "a contents row's values equal the message's own properties"),
    r("msg.count", "FOLDER", E, "PidTagContentCount equals the contents table's rows and the parent's hierarchy row"),
    r("msg.unread", "FOLDER", E, "PidTagContentUnreadCount equals the unread messages and the parent's row"),
    r("msg.assoc", "FOLDER", E, "the associated contents table lists the folder's associated messages"),
    r("msg.message_size", "MESSAGE", E, "every message has PidTagMessageSize"),
    r("msg.attachments", "MESSAGE", E, "the attachment table lists the message's attachment subnodes, each once"),
    r(
        "msg.attach_size",
        "MESSAGE",
        E,
        "every attachment has PidTagAttachSize, at least its data's size ([MS-OXCMSG] 2.2.2.5)",
    ),
    r("msg.nameid", "STORE", E, "the name-to-id map's streams are whole records (MS-PST 2.4.7)"),
];

/// The rule `id`, if it exists.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every rule id the checks report is in [`RULES`] (the sink panics on
    /// an unknown id, a bug caught here rather than on some user's file).
    #[test]
    fn every_reported_rule_is_registered() {
        let sources = [
            include_str!("mod.rs"),
            include_str!("header.rs"),
            include_str!("btree.rs"),
            include_str!("blocks.rs"),
            include_str!("amap.rs"),
            include_str!("ltp.rs"),
            include_str!("messaging.rs"),
        ];
        let mut found = 0;
        for src in sources {
            for (i, _) in src.match_indices('"') {
                let rest = &src[i + 1..];
                let Some(end) = rest.find('"') else { continue };
                let lit = &rest[..end];
                let looks_like_id = lit.split_once('.').is_some_and(|(a, b)| {
                    [
                        "header", "page", "bt", "block", "bbt", "ref", "xblock", "sub", "nbt", "amap", "pmap", "fmap",
                        "dlist", "hn", "bth", "pc", "tc", "ltp", "msg",
                    ]
                    .contains(&a)
                        && !b.is_empty()
                        && b.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                });
                if looks_like_id {
                    found += 1;
                    assert!(rule(lit).is_some(), "rule {lit:?} is reported but not in RULES");
                }
            }
        }
        assert!(found > 60, "only {found} rule ids found in the sources");
    }

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for r in RULES {
            assert!(seen.insert(r.id), "{} twice", r.id);
            assert!(r.id.contains('.') && r.id == r.id.to_ascii_lowercase(), "{}", r.id);
        }
    }
}
