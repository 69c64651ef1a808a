//! UIDs of PIM items that survive a copy of the store
//! (`mailshift_pst::pim::uid`, issue 9).
//!
//! - Over every fixture: how many messages carry a PidTagSearchKey and how
//!   many share one within a store (the figures the collision rule rests
//!   on), and every PIM item's UID is distinct within its store's export
//!   (Global Object ID UIDs aside, which several items may share).
//! - A simulated copy: the items of each fixture placed in another store
//!   (another record key, other NIDs, folders walked in another order) get
//!   the UIDs the reader gives the originals when the copy keeps the search
//!   key, and all of them when the copy also carries
//!   `fallback_search_key` for items without one.
//! - Distribution lists: every contact member's vCard MEMBER is the UID of
//!   the contact it names, in the original and in a copy whose list
//!   members were retargeted; PidLidDistributionListChecksum as Outlook
//!   computes it.

#[path = "common/pim.rs"]
mod pim_common;

use std::collections::{HashMap, HashSet};

use mailshift_core::pim::vcard::{self, VCardVersion};
use mailshift_core::pim::Member;
use mailshift_core::{Item, StoreReader};
use mailshift_pst::mapi::{Message, NamedId, PropValue};
use mailshift_pst::pim::contact::{
    dist_list_with, member_target, members_checksum, retarget_dist_list, store_record_key,
};
use mailshift_pst::pim::uid::{fallback_search_key, search_key, Placed, StoreUids};
use mailshift_pst::{tags, PstReader};

/// A PIM item as the reader lists it: where, its message, and the UID the
/// reader gave it.
struct Listed {
    placed: Placed,
    msg: Message,
    item_uid: String,
    /// An event whose UID comes from its Global Object ID.
    goid: bool,
}

fn uid_of(item: &Item<'_>) -> Option<String> {
    Some(match item {
        Item::Contact(c) => c.uid.clone(),
        Item::DistList(d) => d.uid.clone(),
        Item::Event(e) => e.uid.clone(),
        Item::Task(t) => t.uid.clone(),
        Item::Note(n) | Item::Journal(n) => n.uid.clone(),
        _ => return None,
    })
}

fn has_goid(m: &Message) -> bool {
    [tags::lid::CLEAN_GLOBAL_OBJECT_ID, tags::lid::GLOBAL_OBJECT_ID]
        .iter()
        .any(|l| m.props.lid(*l).and_then(PropValue::as_bytes).is_some_and(|b| !b.is_empty()))
}

/// Every PIM item the reader's folders list, in the reader's order.
fn listed(reader: &PstReader) -> Vec<Listed> {
    let mut out = Vec::new();
    for f in reader.folders().unwrap_or_default() {
        for (position, m) in reader.items(f.id).unwrap_or_default().into_iter().enumerate() {
            let Ok(item) = reader.read(m.id) else { continue };
            let Some(item_uid) = uid_of(&item) else { continue };
            let Ok(msg) = reader.read_mapi(m.id) else { continue };
            let goid = matches!(item, Item::Event(_)) && has_goid(&msg);
            let placed = Placed {
                folder: f.path.clone(),
                position,
                nid: msg.nid,
                search_key: search_key(&msg.props).map(<[u8]>::to_vec),
            };
            out.push(Listed { placed, msg, item_uid, goid });
        }
    }
    out
}

fn fixture_name(path: &std::path::Path) -> String {
    let dir = mailshift_testkit::fixtures_dir().unwrap_or_default();
    path.strip_prefix(&dir).unwrap_or(path).display().to_string()
}

#[test]
fn search_key_collisions_and_distinct_uids_per_store() {
    let Some(files) = mailshift_testkit::fixture_files(&["pst", "ost"]) else {
        return;
    };
    // messages, with a search key, sharing one (each beyond the first),
    // PIM items, with a search key, sharing one, stores where messages share.
    let mut tot = [0usize; 7];
    let mut goid_shared = 0usize;
    for path in &files {
        let Ok(reader) = PstReader::open(path) else { continue };
        let name = fixture_name(path);
        let mut all: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut n = [0usize; 2];
        for (_, m) in pim_common::folder_messages(reader.store()) {
            n[0] += 1;
            if let Some(k) = search_key(&m.props) {
                n[1] += 1;
                *all.entry(k.to_vec()).or_default() += 1;
            }
        }
        let items = listed(&reader);
        let mut pim: HashMap<Vec<u8>, usize> = HashMap::new();
        for l in &items {
            if let Some(k) = &l.placed.search_key {
                *pim.entry(k.clone()).or_default() += 1;
            }
        }
        let dup = |h: &HashMap<Vec<u8>, usize>| h.values().map(|c| c - 1).sum::<usize>();
        let pim_sk = items.iter().filter(|l| l.placed.search_key.is_some()).count();
        let row = [n[0], n[1], dup(&all), items.len(), pim_sk, dup(&pim), usize::from(dup(&all) > 0)];
        if row[2] > 0 || row[3] > 0 {
            println!(
                "{name}: messages {} with search key {} sharing {} | PIM {} with search key {} sharing {}",
                row[0], row[1], row[2], row[3], row[4], row[5]
            );
        }
        for (t, r) in tot.iter_mut().zip(row) {
            *t += r;
        }

        // What the reader gives is StoreUids' UID, and distinct in the store.
        let uids = reader.pim_uids();
        let mut seen: HashMap<&str, u32> = HashMap::new();
        let mut goids: HashSet<&str> = HashSet::new();
        for l in &items {
            if l.goid {
                if !goids.insert(&l.item_uid) {
                    goid_shared += 1;
                }
                continue;
            }
            assert_eq!(l.item_uid, uids.uid(l.placed.nid), "{name}: NID {:#x}", l.placed.nid);
            if let Some(other) = seen.insert(&l.item_uid, l.placed.nid) {
                panic!("{name}: NIDs {other:#x} and {:#x} share UID {}", l.placed.nid, l.item_uid);
            }
        }
    }
    println!(
        "total: messages {} with search key {} sharing {} in {} stores | PIM items {} with search key {} sharing {} | events sharing a Global Object ID UID {goid_shared}",
        tot[0], tot[1], tot[2], tot[6], tot[3], tot[4], tot[5]
    );
    // The figures of the fixtures as they are (MANIFEST.md): Test_part1.pst
    // holds one contact and one appointment nine times each, search key
    // and creation time alike.
    assert!(tot[3] >= 240, "{} PIM items", tot[3]);
    assert!(tot[5] >= 16, "{} PIM items sharing a search key", tot[5]);
}

/// Test_part1.pst's nine copies of one contact: one search key, one
/// PidTagCreationTime, nine UIDs, the first the search key's own.
#[test]
fn copies_inside_one_store_get_numbered_uids() {
    let Some(dir) = mailshift_testkit::fixtures_dir() else {
        return;
    };
    let path = dir.join("aspose-email__Aspose.Email-for-.NET/Test_part1.pst");
    assert!(path.is_file(), "fixture Test_part1.pst is missing");
    let reader = PstReader::open(&path).expect("open");
    let items = listed(&reader);
    let saqib: Vec<&Listed> = items.iter().filter(|l| l.msg.subject() == Some("Saqib Razzaq")).collect();
    assert_eq!(saqib.len(), 9);
    let key = saqib[0].placed.search_key.clone().expect("search key");
    let created = saqib[0].msg.props.get(tags::CREATION_TIME).cloned();
    assert!(saqib.iter().all(|l| l.placed.search_key.as_ref() == Some(&key)));
    assert!(saqib.iter().all(|l| l.msg.props.get(tags::CREATION_TIME).cloned() == created));
    let got: Vec<&str> = saqib.iter().map(|l| l.item_uid.as_str()).collect();
    let want: Vec<String> = (0..9).map(|k| mailshift_pst::pim::uid::identity_uid(&key, k)).collect();
    assert_eq!(got, want, "numbered by row order");
}

#[test]
fn uids_survive_a_simulated_copy() {
    let Some(files) = mailshift_testkit::fixture_files(&["pst", "ost"]) else {
        return;
    };
    let (mut n, mut with_key, mut kept, mut kept_with_fallback) = (0usize, 0usize, 0usize, 0usize);
    for path in &files {
        let Ok(reader) = PstReader::open(path) else { continue };
        let name = fixture_name(path);
        let items: Vec<Listed> = listed(&reader).into_iter().filter(|l| !l.goid).collect();
        if items.is_empty() {
            continue;
        }
        let orig_key = store_record_key(reader.store()).unwrap_or_default();
        let copy_key = vec![0xC0; 16];
        assert_ne!(orig_key, copy_key);
        // The copy: folders walked last to first, NIDs numbered afresh as
        // the writer does (nidIndex from 0x10000, type 0x04).
        let mut order: Vec<usize> = (0..items.len()).collect();
        order.sort_by(|a, b| items[*b].placed.folder.cmp(&items[*a].placed.folder));
        let new_nid: HashMap<usize, u32> =
            order.iter().enumerate().map(|(i, k)| (*k, ((0x10000 + i as u32) << 5) | 0x04)).collect();
        let copy = |carry_fallback: bool| {
            let placed = order
                .iter()
                .map(|k| {
                    let p = &items[*k].placed;
                    let search_key = p
                        .search_key
                        .clone()
                        .or_else(|| carry_fallback.then(|| fallback_search_key(&orig_key, p.nid).to_vec()));
                    Placed { folder: p.folder.clone(), position: p.position, nid: new_nid[k], search_key }
                })
                .collect();
            StoreUids::new(copy_key.clone(), placed)
        };
        let (plain, carried) = (copy(false), copy(true));
        for (k, l) in items.iter().enumerate() {
            n += 1;
            let nid = new_nid[&k];
            if l.placed.search_key.is_some() {
                with_key += 1;
                assert_eq!(plain.uid(nid), l.item_uid, "{name}: NID {:#x} with a search key", l.placed.nid);
            } else {
                // Store and NID decide, and the copy has others.
                assert_ne!(plain.uid(nid), l.item_uid, "{name}: NID {:#x}", l.placed.nid);
            }
            kept += usize::from(plain.uid(nid) == l.item_uid);
            assert_eq!(carried.uid(nid), l.item_uid, "{name}: NID {:#x} with the fallback carried", l.placed.nid);
            kept_with_fallback += 1;
        }
    }
    println!(
        "PIM items (Global Object ID events aside) {n}, with a search key {with_key}; UIDs kept by a copy: {kept}, \
         {kept_with_fallback} when the copy carries fallback_search_key"
    );
    assert!(n >= 200 && with_key >= 40, "{n} items, {with_key} with a search key");
}

/// The fixtures whose lists have contact members (pim_contact.rs counts
/// them): each MEMBER of the written vCard is `urn:uuid:` and the UID of a
/// contact of the store, in the original and in a simulated copy whose
/// list was retargeted.
#[test]
fn dist_list_members_are_their_contacts_uids() {
    let Some(dir) = mailshift_testkit::fixtures_dir() else {
        return;
    };
    let mut members_checked = 0usize;
    for f in [
        "rjohnsondev__java-libpst/dist-list.pst",
        "rjohnsondev__java-libpst/passworded.pst",
        "hughbe__PstReader/hughbe_hughbe_Outlook.pst",
    ] {
        let path = dir.join(f);
        assert!(path.is_file(), "fixture {f} is missing");
        let reader = PstReader::open(&path).expect("open");
        let items = listed(&reader);
        let mut contact_uids: HashSet<String> = HashSet::new();
        let mut lists = Vec::new();
        for l in &items {
            if mailshift_pst::mapi::class_is(l.msg.class(), "IPM.Contact") {
                contact_uids.insert(l.item_uid.clone());
            } else if mailshift_pst::mapi::class_is(l.msg.class(), "IPM.DistList") {
                lists.push(l);
            }
        }
        assert!(!lists.is_empty(), "{f}: no list");
        let orig_key = store_record_key(reader.store()).expect("record key");
        for l in &lists {
            // The list as the reader exports it, through the vCard writer.
            let Ok(Item::DistList(d)) = reader.read(mailshift_core::ItemId(u64::from(l.placed.nid), 0)) else {
                panic!("{f}: list not read");
            };
            let card = vcard::write_group(&d, VCardVersion::V4).replace("\r\n ", "");
            let member_lines: Vec<&str> = card.lines().filter_map(|x| x.strip_prefix("MEMBER:urn:uuid:")).collect();
            assert!(!member_lines.is_empty(), "{f}: {} has no contact member:\n{card}", d.name);
            for m in &member_lines {
                assert!(contact_uids.contains(*m), "{f}: MEMBER {m} is no contact's UID ({contact_uids:?})");
                members_checked += 1;
            }

            // The stored checksum is the CRC of the members (as Outlook made it).
            let members = match l.msg.props.lid(tags::lid::DISTRIBUTION_LIST_MEMBERS) {
                Some(PropValue::MvBinary(v)) => v.clone(),
                _ => panic!("{f}: no members"),
            };
            if let Some(ck) = l.msg.props.lid(tags::lid::DISTRIBUTION_LIST_CHECKSUM).and_then(PropValue::as_i64) {
                assert_eq!(members_checksum(&members), ck as u32, "{f}: checksum");
            }

            // A copy: other record key, other NIDs; the contacts keep their
            // search keys, the list's members are retargeted.
            let copy_key = [0xC1u8; 16];
            let nid_map: HashMap<u32, u32> =
                items.iter().enumerate().map(|(i, x)| (x.placed.nid, ((0x10000 + i as u32) << 5) | 0x04)).collect();
            let copy_uids = StoreUids::new(
                copy_key.to_vec(),
                items.iter().map(|x| Placed { nid: nid_map[&x.placed.nid], ..x.placed.clone() }).collect(),
            );
            let mut copied = l.msg.clone();
            let not_retargeted = dist_list_with(&copied, String::new(), &|s, n| copy_uids.member_uid(s, n));
            let changed = retarget_dist_list(&mut copied.props, &orig_key, &copy_key, |n| nid_map.get(&n).copied());
            assert_eq!(changed, member_lines.len(), "{f}: members retargeted");
            let Some(PropValue::MvBinary(new_members)) = copied.props.lid(tags::lid::DISTRIBUTION_LIST_MEMBERS) else {
                panic!("{f}: members lost");
            };
            for m in new_members {
                if let Some((store, nid)) = member_target(m) {
                    assert_eq!(store, copy_key, "{f}: retargeted store");
                    assert!(nid_map.values().any(|n| *n == nid), "{f}: retargeted NID {nid:#x}");
                }
            }
            if copied.props.named.contains_key(&NamedId::from(tags::lid::DISTRIBUTION_LIST_CHECKSUM)) {
                assert_eq!(
                    copied
                        .props
                        .lid(tags::lid::DISTRIBUTION_LIST_CHECKSUM)
                        .and_then(PropValue::as_i64)
                        .map(|c| c as u32),
                    Some(members_checksum(new_members)),
                    "{f}: checksum recomputed"
                );
            }
            let in_copy = dist_list_with(&copied, d.uid.clone(), &|s, n| copy_uids.member_uid(s, n));
            assert_eq!(in_copy.members, d.members, "{f}: members in the copy");
            // Without retargeting the copy's members name the source store,
            // and their UIDs are not the contacts'.
            let stale: Vec<&Member> = not_retargeted
                .members
                .iter()
                .filter(|m| matches!(m, Member::Contact(u) if !contact_uids.contains(u)))
                .collect();
            assert_eq!(stale.len(), member_lines.len(), "{f}: members of a copy not retargeted");
        }
    }
    assert!(members_checked >= 3, "{members_checked} contact members");
}
