//! Contacts and distribution lists (`mailshift_pst::pim::contact`) over the
//! fixtures: `pim/pim-rich.pst` field by field against what its generator
//! was given (`pim-rich.expected.json`), and the contacts of Aspose's
//! `PersonalStorageFile*.pst` through the vCard writer and Python's
//! `vobject` as an independent parser.

#[path = "common/pim.rs"]
mod pim_common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use mailshift_core::pim::vcard::{self, VCardVersion};
use mailshift_core::pim::{AddressKind, Contact, Date, DistList, Member, PhoneKind};
use mailshift_pst::pim::contact::{contact, dist_list_with};
use mailshift_pst::PstReader;
use pim_common::{body_matches, class_is, messages, EVAL_BANNER};
use serde_json::Value;

/// Contacts and lists of a store, with the UIDs the reader gives them
/// (`mailshift_pst::pim::uid`).
fn map_store(reader: &PstReader) -> (Vec<Contact>, Vec<DistList>) {
    let uids = reader.pim_uids();
    let (mut cs, mut ds) = (Vec::new(), Vec::new());
    for m in messages(reader.store()) {
        if class_is(&m, "IPM.Contact") {
            cs.push(contact(&m, uids.uid(m.nid)));
        } else if class_is(&m, "IPM.DistList") {
            ds.push(dist_list_with(&m, uids.uid(m.nid), &|s, n| uids.member_uid(s, n)));
        }
    }
    (cs, ds)
}

fn s<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut v = v;
    for k in path {
        v = v.get(k)?;
    }
    v.as_str()
}

fn date(v: Option<&str>) -> Option<Date> {
    let v = v?;
    let p = |r: std::ops::Range<usize>| v.get(r).and_then(|x| x.parse::<i64>().ok());
    Some(Date::new(p(0..4)? as i32, p(5..7)? as u8, p(8..10)? as u8))
}

/// The first pixel of a truecolour PNG, decoded with flate2.
fn png_first_pixel(png: &[u8]) -> Option<[u8; 3]> {
    use std::io::Read;
    if !png.starts_with(b"\x89PNG\r\n\x1a\n") {
        return None;
    }
    let (mut pos, mut idat, mut color_type) = (8usize, Vec::new(), 0u8);
    while pos + 8 <= png.len() {
        let len = u32::from_be_bytes(png[pos..pos + 4].try_into().ok()?) as usize;
        let ty = &png[pos + 4..pos + 8];
        let data = png.get(pos + 8..pos + 8 + len)?;
        if ty == b"IHDR" {
            color_type = *data.get(9)?;
        } else if ty == b"IDAT" {
            idat.extend_from_slice(data);
        }
        pos += 12 + len;
    }
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&idat[..]).read_to_end(&mut raw).ok()?;
    // Row 0: filter byte, then RGB(A); filter 0 (none) or 1 (sub) leave the
    // first pixel as stored.
    if !matches!(color_type, 2 | 6) || !matches!(raw.first(), Some(0 | 1)) {
        return None;
    }
    Some([*raw.get(1)?, *raw.get(2)?, *raw.get(3)?])
}

#[test]
fn pim_rich_contacts_and_list_match_expected() {
    let Some(dir) = mailshift_testkit::fixtures_dir() else {
        return;
    };
    let pst = dir.join("pim/pim-rich.pst");
    let json = dir.join("pim/pim-rich.expected.json");
    assert!(pst.is_file() && json.is_file(), "pim-rich fixture is missing");
    check_pim_rich_contacts(&pst, &json);
}

/// Issue 10: the same checks on pim-rich.pst's items read as neutral items
/// and written into a new PST (`to_mapi`, `PstWriter`).
#[test]
fn pim_rich_written_back_contacts_and_list_match_expected() {
    let Some(dir) = mailshift_testkit::fixtures_dir() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("temp dir");
    let written = tmp.path().join("written.pst");
    let report = pim_common::write_back(&dir.join("pim/pim-rich.pst"), &written);
    assert_eq!(report.total.failed, 0, "{:?}", report.folders);
    check_pim_rich_contacts(&written, &dir.join("pim/pim-rich.expected.json"));
}

fn check_pim_rich_contacts(pst: &Path, json: &Path) {
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(json).expect("json")).expect("json");
    let reader = PstReader::open(pst).expect("open pim-rich.pst");
    let (contacts, lists) = map_store(&reader);
    let want = expected["contacts"].as_array().expect("contacts");
    assert_eq!(contacts.len(), want.len(), "contact count");

    let mut display_names = (0usize, 0usize);
    for w in want {
        let given = s(w, &["name", "given"]).unwrap_or("");
        let surname = s(w, &["name", "surname"]).unwrap_or("");
        let c = contacts
            .iter()
            .find(|c| c.name.given == given && c.name.family == surname)
            .unwrap_or_else(|| panic!("no contact {given} {surname}"));
        let who = format!("{given} {surname}");
        let opt = |v: Option<&str>| v.map(str::to_string);
        assert_eq!(c.name.middle, s(w, &["name", "middle"]).unwrap_or(""), "{who}: middle");
        assert_eq!(c.name.prefix, s(w, &["name", "display_name_prefix"]).unwrap_or(""), "{who}: prefix");
        assert_eq!(c.name.suffix, s(w, &["name", "generation"]).unwrap_or(""), "{who}: generation");
        assert_eq!(c.nickname, opt(s(w, &["name", "nickname"])), "{who}: nickname");
        match s(w, &["name", "display_name"]) {
            Some(d) => assert_eq!(c.full_name, d, "{who}: FN"),
            None => assert!(!c.full_name.is_empty(), "{who}: empty FN"),
        }
        assert_eq!(c.organization, opt(s(w, &["professional", "company_name"])), "{who}: org");
        assert_eq!(c.title, opt(s(w, &["professional", "title"])), "{who}: title");
        assert_eq!(c.department, opt(s(w, &["professional", "department_name"])), "{who}: department");

        // E-mail addresses, in order. The generator did not store
        // PidLidEmail1-3DisplayName (no trace of "(Büro)" in the file), so a
        // display name is either the expected one or absent.
        let we = w["emails"].as_array().cloned().unwrap_or_default();
        let got: Vec<&str> = c.emails.iter().map(|e| e.address.as_str()).collect();
        let exp: Vec<&str> = we.iter().filter_map(|e| e["address"].as_str()).collect();
        assert_eq!(got, exp, "{who}: e-mail addresses");
        for (e, x) in c.emails.iter().zip(&we) {
            display_names.1 += 1;
            if let Some(d) = &e.display_name {
                assert_eq!(Some(d.as_str()), x["display_name"].as_str(), "{who}: e-mail display name");
                display_names.0 += 1;
            }
        }

        // Phones: exactly the expected numbers, each with its kinds.
        let mut exp_phones: Vec<(String, Vec<PhoneKind>)> = Vec::new();
        for group in ["phones", "faxes"] {
            if let Some(o) = w.get(group).and_then(Value::as_object) {
                for (k, v) in o {
                    let kinds = match k.as_str() {
                        "business_telephone_number" => vec![PhoneKind::Work, PhoneKind::Voice],
                        "home_telephone_number" => vec![PhoneKind::Home, PhoneKind::Voice],
                        "mobile_telephone_number" => vec![PhoneKind::Cell],
                        "assistant_telephone_number" => vec![PhoneKind::Assistant],
                        "other_telephone_number" => vec![PhoneKind::Other],
                        "pager_telephone_number" => vec![PhoneKind::Pager],
                        "car_telephone_number" => vec![PhoneKind::Car],
                        "business_fax" => vec![PhoneKind::Work, PhoneKind::Fax],
                        "home_fax" => vec![PhoneKind::Home, PhoneKind::Fax],
                        other => panic!("{who}: unmapped expected phone {other}"),
                    };
                    exp_phones.push((v.as_str().unwrap_or("").to_string(), kinds));
                }
            }
        }
        let mut got_phones: Vec<(String, Vec<PhoneKind>)> =
            c.phones.iter().map(|p| (p.number.clone(), p.kinds.clone())).collect();
        let key = |x: &(String, Vec<PhoneKind>)| format!("{}{:?}", x.0, x.1);
        exp_phones.sort_by_key(key);
        got_phones.sort_by_key(key);
        assert_eq!(got_phones, exp_phones, "{who}: phones");

        // Postal addresses and the mailing one.
        let wa = w.get("addresses").and_then(Value::as_object).cloned().unwrap_or_default();
        assert_eq!(c.addresses.len(), wa.len(), "{who}: address count {:?}", c.addresses);
        for (k, v) in &wa {
            let kind = match k.as_str() {
                "home_address" => AddressKind::Home,
                "work_address" => AddressKind::Work,
                "other_address" => AddressKind::Other,
                other => panic!("{who}: unknown address {other}"),
            };
            let a = c.addresses.iter().find(|a| a.kind == kind).unwrap_or_else(|| panic!("{who}: no {k}"));
            let f = |n: &str| v[n].as_str().unwrap_or("").to_string();
            assert_eq!(
                (a.street.clone(), a.city.clone(), a.region.clone(), a.postal_code.clone(), a.country.clone()),
                (f("street"), f("city"), f("state_or_province"), f("postal_code"), f("country")),
                "{who}: {k}"
            );
            assert_eq!(a.is_mailing, v["is_mailing_address"].as_bool().unwrap_or(false), "{who}: {k} mailing");
        }

        assert_eq!(c.birthday, date(s(w, &["birthday"])), "{who}: birthday");
        assert_eq!(c.anniversary, date(s(w, &["anniversary"])), "{who}: anniversary");
        for (k, list) in
            [("personal_home_page", &c.urls), ("business_home_page", &c.urls), ("instant_messaging_address", &c.im)]
        {
            if let Some(u) = s(w, &["personal", k]) {
                assert!(list.iter().any(|x| x == u), "{who}: {k} {u} not in {list:?}");
            }
        }
        let n_urls =
            ["personal_home_page", "business_home_page"].iter().filter(|k| s(w, &["personal", k]).is_some()).count();
        assert_eq!(c.urls.len(), n_urls, "{who}: urls {:?}", c.urls);
        match s(w, &["body"]) {
            Some(b) => {
                let note = c.note.as_deref().unwrap_or_else(|| panic!("{who}: no note"));
                assert!(body_matches(note, b), "{who}: note {note:?} is not {b:?}");
            }
            None => {
                if let Some(n) = &c.note {
                    assert!(n.trim().starts_with(EVAL_BANNER), "{who}: unexpected note {n:?}");
                }
            }
        }
        let cats: Vec<String> = w["categories"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect())
            .unwrap_or_default();
        assert_eq!(c.categories, cats, "{who}: categories");
        match w.get("photo_png") {
            Some(p) => {
                let photo = c.photo.as_ref().unwrap_or_else(|| panic!("{who}: no photo"));
                assert_eq!(photo.media_type, "image/png", "{who}: photo type");
                let rgb: Vec<u8> =
                    p["rgb"].as_array().expect("rgb").iter().filter_map(|x| x.as_u64().map(|x| x as u8)).collect();
                assert_eq!(png_first_pixel(&photo.data).map(|p| p.to_vec()), Some(rgb), "{who}: photo pixel");
            }
            None => assert!(c.photo.is_none(), "{who}: unexpected photo"),
        }
    }
    println!("e-mail display names found in the file: {} of {}", display_names.0, display_names.1);

    let wl = expected["distribution_lists"].as_array().expect("lists");
    assert_eq!(lists.len(), wl.len(), "list count");
    for (d, w) in lists.iter().zip(wl) {
        let name = w["display_name"].as_str().unwrap_or("");
        assert!(d.name == name || d.name == format!("{name}(Aspose.Email Evaluation)"), "list name {:?}", d.name);
        assert!(
            body_matches(d.note.as_deref().unwrap_or(""), w["body"].as_str().unwrap_or("")),
            "list note {:?}",
            d.note
        );
        let cats: Vec<&str> =
            w["categories"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        assert_eq!(d.categories, cats);
        let members: Vec<Member> = w["members"]
            .as_array()
            .expect("members")
            .iter()
            .map(|m| Member::OneOff {
                name: m["display_name"].as_str().unwrap_or("").into(),
                email: m["address"].as_str().unwrap_or("").into(),
            })
            .collect();
        assert_eq!(d.members, members);
    }

    // The vCards of all of them read back in vobject.
    if mailshift_testkit::python_module("vobject") {
        check_with_vobject(&contacts, &lists, "pim-rich.pst");
    }
}

/// What vobject reads back: per card, FN, e-mail addresses, member count.
const VOBJECT_SCRIPT: &str = r#"
import sys, json, vobject
out = []
for c in vobject.readComponents(sys.stdin.read()):
    fn = c.fn.value if hasattr(c, 'fn') else None
    emails = [e.value for e in c.contents.get('email', [])]
    members = [m.value for m in c.contents.get('member', [])]
    cns = [(e.params.get('X-CN') or [None])[0] for e in c.contents.get('email', [])]
    out.append({'fn': fn, 'emails': emails, 'cns': cns, 'members': members,
                'tels': [t.value for t in c.contents.get('tel', [])],
                'adrs': len(c.contents.get('adr', []))})
print(json.dumps(out))
"#;

fn vobject_read(text: &str) -> Vec<Value> {
    let mut child = Command::new("python3")
        .args(["-c", VOBJECT_SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = text.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("python3 output");
    writer.join().expect("writer").expect("write to python3");
    assert!(out.status.success(), "vobject failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice::<Value>(&out.stdout).expect("json").as_array().cloned().unwrap_or_default()
}

fn check_with_vobject(contacts: &[Contact], lists: &[DistList], what: &str) {
    for v in [VCardVersion::V4, VCardVersion::V3] {
        let mut text = String::new();
        for c in contacts {
            text.push_str(&vcard::write(c, v));
        }
        let read = vobject_read(&text);
        assert_eq!(read.len(), contacts.len(), "{what} {v:?}: card count");
        for (c, r) in contacts.iter().zip(&read) {
            assert_eq!(r["fn"].as_str(), Some(c.full_name.as_str()), "{what} {v:?}: FN");
            let emails: Vec<&str> =
                r["emails"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
            let want: Vec<&str> = c.emails.iter().map(|e| e.address.as_str()).collect();
            assert_eq!(emails, want, "{what} {v:?}: e-mails of {}", c.full_name);
            let cns: Vec<Option<&str>> =
                r["cns"].as_array().map(|a| a.iter().map(Value::as_str).collect()).unwrap_or_default();
            let want: Vec<Option<&str>> = c.emails.iter().map(|e| e.display_name.as_deref()).collect();
            assert_eq!(cns, want, "{what} {v:?}: e-mail display names of {}", c.full_name);
            let tels: Vec<&str> =
                r["tels"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
            let want: Vec<&str> = c.phones.iter().map(|p| p.number.as_str()).collect();
            assert_eq!(tels, want, "{what} {v:?}: phones of {}", c.full_name);
            assert_eq!(
                r["adrs"].as_u64(),
                Some(c.addresses.len() as u64),
                "{what} {v:?}: ADR count of {}",
                c.full_name
            );
        }
    }
    if !lists.is_empty() {
        let mut text = String::new();
        for d in lists {
            text.push_str(&vcard::write_group(d, VCardVersion::V4));
        }
        let read = vobject_read(&text);
        assert_eq!(read.len(), lists.len(), "{what}: list count");
        for (d, r) in lists.iter().zip(&read) {
            assert_eq!(r["fn"].as_str(), Some(d.name.as_str()), "{what}: list FN");
            let members: Vec<&str> =
                r["members"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
            assert_eq!(members.len(), d.members.len(), "{what}: members {members:?}");
            for (m, got) in d.members.iter().zip(&members) {
                match m {
                    Member::OneOff { email, .. } => {
                        assert_eq!(*got, format!("mailto:{email}"), "{what}: member")
                    }
                    Member::Contact(uid) => {
                        assert!(got.ends_with(uid.as_str()), "{what}: member {got}")
                    }
                }
            }
        }
    }
}

#[test]
fn aspose_personal_storage_contacts_map_and_parse() {
    let Some(dir) = mailshift_testkit::fixtures_dir() else {
        return;
    };
    let have_vobject = mailshift_testkit::python_module("vobject");
    // IPM.Contact count, and how many carry PidLidWorkAddress (0x801B) as
    // their only address property (a whole address in one text).
    for (name, count, with_address) in [
        ("PersonalStorageFile1.39f98417.pst", 66usize, 33usize),
        ("PersonalStorageFile.pst", 18, 9),
        ("PersonalStorageFile2.pst", 24, 12),
    ] {
        let path = dir.join("aspose-email__Aspose.Email-for-.NET").join(name);
        assert!(Path::new(&path).is_file(), "fixture {name} is missing");
        let reader = PstReader::open(&path).expect("open");
        let (contacts, lists) = map_store(&reader);
        println!(
            "{name}: {} contacts ({} with e-mail, {} with phones, {} with addresses, {} with photo), {} lists",
            contacts.len(),
            contacts.iter().filter(|c| !c.emails.is_empty()).count(),
            contacts.iter().filter(|c| !c.phones.is_empty()).count(),
            contacts.iter().filter(|c| !c.addresses.is_empty()).count(),
            contacts.iter().filter(|c| c.photo.is_some()).count(),
            lists.len()
        );
        assert_eq!(contacts.len(), count, "{name}: IPM.Contact count");
        let work: Vec<&str> = contacts
            .iter()
            .flat_map(|c| c.addresses.iter())
            .filter(|a| a.kind == AddressKind::Work && a.city.is_empty())
            .map(|a| a.street.as_str())
            .collect();
        assert_eq!(work.len(), with_address, "{name}: work addresses {work:?}");
        assert!(work.iter().all(|w| w.contains(char::is_numeric)), "{name}: {work:?}");
        for c in &contacts {
            assert!(!c.full_name.trim().is_empty(), "{name}: contact without FN: {c:?}");
            for e in &c.emails {
                assert!(
                    !e.address.is_empty() && !e.address.starts_with('/'),
                    "{name}: {}: bad address {:?}",
                    c.full_name,
                    e.address
                );
            }
        }
        if have_vobject {
            check_with_vobject(&contacts, &lists, name);
        }
    }
}

/// Every contact and distribution list of every PST/OST fixture maps, has
/// an FN, and its vCards read back in vobject; a list member that points
/// at a contact names the UID of a contact of the same store.
#[test]
fn every_fixture_contact_and_list_maps() {
    let Some(files) = mailshift_testkit::fixture_files(&["pst", "ost"]) else {
        return;
    };
    let have_vobject = mailshift_testkit::python_module("vobject");
    let (mut n_contacts, mut n_lists, mut n_contact_members, mut n_files) = (0usize, 0usize, 0usize, 0usize);
    for path in &files {
        let Ok(reader) = PstReader::open(path) else {
            continue;
        };
        let (contacts, lists) = map_store(&reader);
        if contacts.is_empty() && lists.is_empty() {
            continue;
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?").to_string();
        n_files += 1;
        n_contacts += contacts.len();
        n_lists += lists.len();
        for c in &contacts {
            assert!(!c.full_name.trim().is_empty(), "{name}: contact without FN: {c:?}");
        }
        for d in &lists {
            for m in &d.members {
                if let Member::Contact(uid) = m {
                    n_contact_members += 1;
                    let known = contacts.iter().any(|c| &c.uid == uid) || lists.iter().any(|l| &l.uid == uid);
                    assert!(known, "{name}: list {:?} names {uid}, which is no item of the store", d.name);
                }
            }
        }
        println!(
            "{name}: {} contacts, {} lists {:?}",
            contacts.len(),
            lists.len(),
            lists
                .iter()
                .map(|l| {
                    let c = l.members.iter().filter(|m| matches!(m, Member::Contact(_))).count();
                    (l.name.as_str(), l.members.len() - c, c)
                })
                .collect::<Vec<_>>()
        );
        if have_vobject {
            check_with_vobject(&contacts, &lists, &name);
        }
    }
    println!("total: {n_contacts} contacts, {n_lists} lists, {n_contact_members} members pointing at contacts, in {n_files} files");
    assert!(n_contacts >= 66 + 18 + 24 + 10, "{n_contacts} contacts");
    assert!(n_lists >= 4, "{n_lists} lists");
    // hughbe_hughbe_Outlook.pst, dist-list.pst and passworded.pst each hold
    // a list with a member that is a contact of the store.
    assert!(n_contact_members >= 3, "{n_contact_members} contact members");
}
