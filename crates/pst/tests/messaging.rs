//! The messaging layer and `PstReader` over every PST/OST fixture,
//! compared with what libpff (`pffexport`) and libpst (`readpst`) read.

#[path = "common/oracle.rs"]
mod oracle;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use mailshift_core::{Flags, FolderKind, FolderRole, Item, StoreReader};
use mailshift_pst::mapi::{AttachContent, Message, NamedId};
use mailshift_pst::tags;
use mailshift_pst::{PstOptions, PstReader, Store};
use sha2::{Digest, Sha256};

use oracle::{count_exempt, fixture, ipm_prefix, is_rejected};

fn sha(b: &[u8]) -> String {
    Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

/// pffexport's item directory for the `index`-th (0-based) item of `dir`.
fn item_dir(dir: &Path, index: usize, word: Option<&str>) -> Option<PathBuf> {
    let suffix = format!("{:05}", index + 1);
    std::fs::read_dir(dir).ok()?.flatten().map(|e| e.path()).find(|p| {
        p.is_dir()
            && p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.ends_with(&suffix)
                    && n.len() > 5
                    && n[..n.len() - 5].chars().all(|c| c.is_ascii_alphabetic() || c == ' ')
                    && word.is_none_or(|w| n.starts_with(w))
            })
    })
}

/// Compares the attachments of `msg` with what pffexport wrote in `dir`:
/// the sha256 multiset of the files directly in `Attachments/`, and
/// embedded messages (`AttachmentNNNNN/Message00001`) recursively.
/// Returns the number of attachment bytes compared.
fn compare_attachments(msg: &Message, dir: &Path, what: &str) -> usize {
    let att_dir = dir.join("Attachments");
    let mut theirs: Vec<String> = Vec::new();
    if let Ok(rd) = std::fs::read_dir(&att_dir) {
        for e in rd.flatten() {
            if e.path().is_file() {
                theirs.push(sha(&std::fs::read(e.path()).expect("read pffexport file")));
            }
        }
    }
    let mut ours = Vec::new();
    let mut compared = 0;
    for (i, a) in msg.attachments.iter().enumerate() {
        match &a.content {
            AttachContent::Bytes(b) | AttachContent::Ole(b) => {
                ours.push(sha(b));
                compared += 1;
            }
            AttachContent::Embedded(m) => {
                let sub = att_dir.join(format!("Attachment{:05}", i + 1));
                let Some(mdir) = item_dir(&sub, 0, None) else {
                    panic!("{what}: pffexport has no embedded message for attachment {}", i + 1);
                };
                compared += 1 + compare_attachments(m, &mdir, &format!("{what} > attachment {}", i + 1));
            }
            AttachContent::Reference(_) | AttachContent::Missing(_) => {}
        }
    }
    ours.sort();
    theirs.sort();
    assert_eq!(ours, theirs, "{what}: attachment bytes differ from pffexport's");
    compared
}

/// Folder trees, per-folder item counts and every attachment's bytes
/// agree with pffexport for every fixture it exports.
#[test]
fn folders_counts_and_attachments_agree_with_pffexport() {
    let Some(files) = mailshift_testkit::fixture_files(&["pst", "ost"]) else {
        return;
    };
    let Some(tool) = mailshift_testkit::tool("pffexport") else {
        return;
    };
    let scratch_root = std::env::temp_dir().join(format!("mailshift-pstmsg-{}", std::process::id()));
    let (mut stores, mut folders, mut counts, mut attachments) = (0, 0, 0, 0);
    for (i, f) in files.iter().enumerate() {
        if is_rejected(f) {
            continue;
        }
        let name = f.display().to_string();
        let scratch = scratch_root.join(i.to_string());
        std::fs::create_dir_all(&scratch).expect("scratch dir");
        let Some(theirs) = oracle::pffexport_tree(&tool, f, &scratch).filter(|t| !t.is_empty()) else {
            // aspose .NET Outlook.pst: pffexport exports nothing (MANIFEST).
            let _ = std::fs::remove_dir_all(&scratch);
            continue;
        };
        let reader = PstReader::open(f).unwrap_or_else(|e| panic!("{name}: {e}"));
        let tree = reader.tree().expect("folder walk");
        let prefix = ipm_prefix(tree);
        let theirs: BTreeMap<String, usize> = theirs
            .into_iter()
            .filter_map(|(k, v)| {
                if prefix.is_empty() {
                    Some((k, v))
                } else {
                    k.strip_prefix(&format!("{prefix}/")).map(|k| (k.to_string(), v))
                }
            })
            .collect();
        let ours = reader.folders().expect("folders");
        let ours_paths: Vec<String> =
            ours.iter().filter(|f| !f.is_root()).map(|f| f.display_path().replace('~', "_")).collect();
        // Sibling folders of the same name (Aspose writes them) are two
        // folders here; pffexport merges them into one directory.
        let mut ours_paths = ours_paths;
        ours_paths.sort();
        ours_paths.dedup();
        assert_eq!(ours_paths.iter().collect::<Vec<_>>(), theirs.keys().collect::<Vec<_>>(), "folder tree of {name}");
        stores += 1;
        for folder in ours.iter().filter(|f| !f.is_root()) {
            folders += 1;
            let key = folder.display_path().replace('~', "_");
            let items = reader.items(folder.id).expect("items");
            if ours.iter().filter(|f| f.display_path().replace('~', "_") == key).count() > 1 {
                continue;
            }
            if count_exempt(&name, &key) {
                continue;
            }
            assert_eq!(Some(&items.len()), theirs.get(&key), "{name}: items in {key}");
            counts += 1;
            let dir = scratch.join("out.export").join(if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}/{key}")
            });
            // pffexport numbers a folder's items in NID order (it builds its
            // item tree from the NBT), not in contents-table order.
            let mut items = items;
            items.sort_by_key(|m| m.id.0);
            for (j, it) in items.iter().enumerate() {
                let msg =
                    reader.store().message(it.id.0 as u32).unwrap_or_else(|e| panic!("{name}: {key} item {j}: {e}"));
                let Some(idir) = item_dir(&dir, j, None) else {
                    panic!("{name}: pffexport has no item {} in {key}", j + 1)
                };
                // pffexport writes no attachments for meeting requests
                // ("MeetingNNNNN" directories hold the body only).
                let is_meeting = idir.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("Meeting"));
                if is_meeting && !idir.join("Attachments").is_dir() {
                    continue;
                }
                attachments += compare_attachments(&msg, &idir, &format!("{name}: {key} item {}", j + 1));
            }
        }
        let _ = std::fs::remove_dir_all(&scratch);
    }
    let _ = std::fs::remove_dir_all(&scratch_root);
    eprintln!("pffexport agreement: {stores} stores, {folders} folders, {counts} counts, {attachments} attachments");
    assert!(stores >= 130, "compared only {stores} stores");
    assert!(counts >= 600, "compared only {counts} folder counts");
    assert!(attachments >= 50, "compared only {attachments} attachments");
}

/// One message as read back from readpst's mbox output.
#[derive(Debug, Default, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Seen {
    subject: String,
    message_id: Option<String>,
    /// The Date header, Unix seconds.
    date: Option<i64>,
    /// The From header's display name and address.
    from: (String, String),
}

/// Reads readpst's mbox files with Python's `mailbox` and `email` (which
/// decode RFC 2047 words in any charset): one line per message, "folder
/// TAB subject TAB message-id".
const READ_MBOXES: &str = r#"
import mailbox, os, sys, email.header, email.utils
top = sys.argv[1]
def dec(h):
    # GB2312 words often hold GBK characters (its superset); decode as GBK.
    h = str(h or '').replace('=?GB2312?', '=?GBK?').replace('=?gb2312?', '=?GBK?')
    try:
        return str(email.header.make_header(email.header.decode_header(h)))
    except Exception:
        return h
for d, _, files in os.walk(top):
    if 'mbox' not in files:
        continue
    rel = os.path.relpath(d, top)
    rel = '' if rel == '.' else rel
    for m in mailbox.mbox(os.path.join(d, 'mbox')):
        subj = dec(m.get('Subject'))
        mid = (m.get('Message-ID') or '').strip().strip('<>')
        try:
            date = str(int(email.utils.parsedate_to_datetime(m.get('Date')).timestamp()))
        except Exception:
            date = ''
        name, addr = email.utils.parseaddr(dec(m.get('From')))
        out = '\t'.join([rel, ' '.join(subj.split()), mid, date, ' '.join(name.split()), addr.lower()]) + '\n'
        sys.stdout.buffer.write(out.encode('utf-8', 'replace'))
"#;

/// readpst's folders (path relative to the IPM subtree) -> messages.
fn readpst_folders(tool: &Path, pst: &Path, scratch: &Path) -> Option<BTreeMap<String, Vec<Seen>>> {
    let out = scratch.join("readpst");
    std::fs::create_dir_all(&out).ok()?;
    let st = Command::new(tool).args(["-D", "-o"]).arg(&out).args(["-j", "2", "-8", "-r"]).arg(pst).output().ok()?;
    if !st.status.success() {
        return None;
    }
    // One directory named after the store, the IPM subtree's contents below.
    let top = std::fs::read_dir(&out).ok()?.flatten().find(|e| e.path().is_dir())?.path();
    let py = Command::new("python3").args(["-c", READ_MBOXES]).arg(&top).output().ok()?;
    assert!(py.status.success(), "python: {}", String::from_utf8_lossy(&py.stderr));
    let mut result: BTreeMap<String, Vec<Seen>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&py.stdout).lines() {
        let mut f = line.split('\t');
        let (Some(folder), Some(subject), Some(id), Some(date), Some(name), Some(addr)) =
            (f.next(), f.next(), f.next(), f.next(), f.next(), f.next())
        else {
            continue;
        };
        result.entry(folder.to_string()).or_default().push(Seen {
            subject: subject.to_string(),
            message_id: (!id.is_empty()).then(|| id.to_string()),
            date: date.parse().ok(),
            from: (name.to_string(), addr.to_string()),
        });
    }
    Some(result)
}

/// Per folder, the subjects of the mail items and their Message-IDs agree
/// with readpst's mbox output.
#[test]
fn subjects_and_message_ids_agree_with_readpst() {
    let Some(tool) = mailshift_testkit::tool("readpst") else {
        return;
    };
    if !mailshift_testkit::python_module("mailbox") {
        return;
    }
    let scratch_root = std::env::temp_dir().join(format!("mailshift-pstmsg-rp-{}", std::process::id()));
    let (mut messages, mut ids, mut dates, mut senders) = (0, 0, 0, 0);
    let mut mismatches = Vec::new();
    for rel in [
        "aspose-email__Aspose.Email-for-.NET/SampleOstFile.ost",
        "hughbe__PstReader/simiden_pst2john_97_outlook_pass12345.pst",
        "hughbe__PstReader/simiden_pst2john_2003_high-encryption_quickquick.pst",
        "hughbe__PstReader/simiden_pst2john_2007_default_a1sellers.pst",
        "hughbe__PstReader/hughbe_backup_with_rules.pst",
        "apache__tika/testPST.pst",
        "aspose-email__Aspose.Email-for-.NET/passwordprotectedPST.3632c31c.pst",
        "aspose-email__Aspose.Email-for-.NET/Outlook_1.pst",
        "farnulfo__pst-exp/sample2.pst",
        "mooijtech__go-pst/32-bit.pst",
    ] {
        let Some(f) = fixture(rel) else { return };
        let scratch = scratch_root.join(rel.replace('/', "_"));
        let theirs = readpst_folders(&tool, &f, &scratch).unwrap_or_else(|| panic!("readpst failed on {rel}"));
        let _ = std::fs::remove_dir_all(&scratch);
        let reader = PstReader::open(&f).expect("opens");
        for folder in reader.folders().expect("folders") {
            let mut ours = Vec::new();
            let mut our_ids = Vec::new();
            let mut details = Vec::new();
            for it in reader.items(folder.id).expect("items") {
                if !matches!(reader.read(it.id), Ok(Item::Mail(_))) {
                    continue;
                }
                let msg = reader.store().message(it.id.0 as u32).expect("message");
                let subject = msg.subject().unwrap_or("").split_whitespace().collect::<Vec<_>>().join(" ");
                ours.push(subject.clone());
                let sender =
                    msg.props.str(tags::SENDER_NAME).map(|n| n.split_whitespace().collect::<Vec<_>>().join(" "));
                details.push((subject, msg.props.time(tags::CLIENT_SUBMIT_TIME), sender));
                if let Some(id) = msg.props.str(tags::INTERNET_MESSAGE_ID) {
                    our_ids.push(id.trim().trim_start_matches('<').trim_end_matches('>').to_string());
                }
            }
            let key = folder.display_path();
            let seen = theirs.get(&key).cloned().unwrap_or_default();
            let mut theirs_subjects: Vec<String> = seen.iter().map(|s| s.subject.clone()).collect();
            ours.sort();
            theirs_subjects.sort();
            assert_eq!(ours, theirs_subjects, "{rel}: subjects in {key:?}");
            messages += ours.len();
            // Dates and senders: a readpst message of the same subject has
            // our PidTagClientSubmitTime as its Date and our
            // PidTagSenderName as its From display name.
            for (subject, date, sender) in details {
                let same: Vec<&Seen> = seen.iter().filter(|s| s.subject == subject).collect();
                if let Some(t) = date {
                    // readpst keeps the transport headers' Date where the
                    // message has them: the sending server's clock, which
                    // may be some seconds off the client's.
                    if same.iter().any(|s| s.date.is_some_and(|d| (d - t).abs() <= 60)) {
                        dates += 1;
                    } else {
                        mismatches.push(format!(
                            "{rel}: {key}: {subject:?}: date {t} vs {:?}",
                            same.iter().map(|s| s.date).collect::<Vec<_>>()
                        ));
                    }
                }
                if let Some(n) = sender.filter(|n| !n.is_empty()) {
                    if same.iter().any(|s| s.from.0 == n || s.from.1 == n.to_lowercase()) {
                        senders += 1;
                    } else {
                        mismatches.push(format!(
                            "{rel}: {key}: {subject:?}: sender {n:?} vs {:?}",
                            same.iter().map(|s| &s.from).collect::<Vec<_>>()
                        ));
                    }
                }
            }
            for id in our_ids {
                assert!(
                    seen.iter().any(|s| s.message_id.as_deref() == Some(id.as_str())),
                    "{rel}: {key}: Message-ID {id} not in readpst's output"
                );
                ids += 1;
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch_root);
    eprintln!("readpst agreement: {messages} subjects, {ids} Message-IDs, {dates} dates, {senders} senders");
    assert!(mismatches.is_empty(), "{} disagreements:\n{}", mismatches.len(), mismatches.join("\n"));
    assert!(messages >= 400, "compared only {messages} subjects");
    assert!(ids >= 50, "compared only {ids} Message-IDs");
}

/// MANIFEST.md: SampleOstFile.ost holds 81 mails, 6 meeting requests and
/// 5 appointments (pffexport); the appointments are not mail.
#[test]
fn sample_ost_mails_meetings_and_appointments() {
    let Some(f) = fixture("aspose-email__Aspose.Email-for-.NET/SampleOstFile.ost") else {
        return;
    };
    let r = PstReader::open(&f).expect("opens");
    assert_eq!(r.format_name(), "ost");
    let folders = r.folders().expect("folders");
    let by_path: BTreeMap<String, _> = folders.iter().map(|f| (f.display_path(), f)).collect();
    assert_eq!(by_path["Inbox"].role, FolderRole::Inbox);
    assert_eq!(by_path["Sent Items"].role, FolderRole::Sent);
    assert_eq!(by_path["Deleted Items"].role, FolderRole::Trash);
    assert_eq!(by_path["Drafts"].role, FolderRole::Drafts);
    assert_eq!(by_path["Junk E-Mail"].role, FolderRole::Junk);
    assert_eq!(by_path["Outbox"].role, FolderRole::Outbox);
    assert_eq!(by_path["Calendar"].kind, FolderKind::Calendar);
    assert_eq!(by_path["Contacts"].kind, FolderKind::Contacts);
    assert_eq!(by_path["Inbox/sub1"].parent, Some(by_path["Inbox"].id));
    assert!(!by_path.keys().any(|p| p.contains("Finder") || p.contains("IPM_SUBTREE")));
    let (mut mails, mut meetings, mut appointments) = (0, 0, 0);
    for folder in &folders {
        for it in r.items(folder.id).expect("items") {
            let class = r.store().message(it.id.0 as u32).expect("message").class().to_string();
            match r.read(it.id) {
                Ok(Item::Mail(m)) => {
                    assert!(!m.raw.is_empty());
                    if class.starts_with("IPM.Schedule.Meeting") {
                        meetings += 1;
                    } else {
                        mails += 1;
                    }
                }
                Ok(Item::Event(e)) => {
                    assert!(class.starts_with("IPM.Appointment"), "{class}");
                    assert!(e.start.is_some() && e.summary.is_some(), "{e:?}");
                    appointments += 1;
                }
                other => panic!("{}: {other:?}", r.describe(it.id)),
            }
        }
    }
    assert_eq!((mails, meetings, appointments), (81, 6, 5));
}

/// An embedded message (afEmbeddedMessage) is read with its own
/// attachments: SampleOstFile's non-delivery report carries the original
/// meeting request, which carries a .docx and an .ics.
#[test]
fn embedded_message_read_recursively() {
    let Some(f) = fixture("aspose-email__Aspose.Email-for-.NET/SampleOstFile.ost") else {
        return;
    };
    let r = PstReader::open(&f).expect("opens");
    let inbox = r.folders().expect("folders").into_iter().find(|f| f.display_path() == "Inbox").expect("Inbox");
    let ndr = r
        .items(inbox.id)
        .expect("items")
        .into_iter()
        .map(|it| r.store().message(it.id.0 as u32).expect("message"))
        .find(|m| m.subject() == Some("Undeliverable: 05 - test email - single meeting request"))
        .expect("the NDR");
    assert_eq!(ndr.attachments.len(), 1);
    let AttachContent::Embedded(inner) = &ndr.attachments[0].content else {
        panic!("not embedded: {:?}", ndr.attachments[0].content)
    };
    assert_eq!(inner.nid, 0);
    assert_eq!(inner.subject(), Some("05 - test email - single meeting request"));
    assert_eq!(inner.class(), "IPM.Note.NotSupportedICal");
    assert!(!inner.recipients.is_empty());
    let names: Vec<&str> = inner.attachments.iter().filter_map(|a| a.props.str(tags::ATTACH_LONG_FILENAME)).collect();
    assert!(names.contains(&"Aspose.Netwrok for Java.docx"), "{names:?}");
    assert!(names.contains(&"not supported calendar message.ics"), "{names:?}");
    for a in &inner.attachments {
        let AttachContent::Bytes(b) = &a.content else { panic!("{:?}", a.content) };
        assert!(!b.is_empty());
    }
    let docx = inner
        .attachments
        .iter()
        .find(|a| a.props.str(tags::ATTACH_LONG_FILENAME) == Some("Aspose.Netwrok for Java.docx"))
        .expect("docx");
    let AttachContent::Bytes(b) = &docx.content else { unreachable!() };
    assert!(b.starts_with(b"PK\x03\x04"), "a .docx is a zip");
}

/// The named property map resolves PS_PUBLIC_STRINGS "Keywords"
/// (categories), in a Unicode and an ANSI store; the flags and dates of
/// the same messages come through.
#[test]
fn keywords_through_the_named_property_map() {
    for (rel, want, flagged) in [
        ("farnulfo__pst-exp/sample1.pst", ["Green Category", "Blue Category"], true),
        ("farnulfo__pst-exp/sample2.pst", ["Green Category", "Red Category"], false),
    ] {
        let Some(f) = fixture(rel) else { return };
        let r = PstReader::open(&f).expect("opens");
        let keyword_id = NamedId::from(tags::name::KEYWORDS);
        assert!(r.store().names().id_of(&keyword_id).is_some(), "{rel}: Keywords not in the map");
        let folder = r
            .folders()
            .expect("folders")
            .into_iter()
            .find(|f| f.path.len() == 1 && f.name.starts_with("Sample"))
            .expect("folder");
        let items = r.items(folder.id).expect("items");
        assert_eq!(items.len(), 1);
        let Item::Mail(m) = r.read(items[0].id).expect("read") else { panic!("not mail") };
        assert_eq!(m.keywords, want, "{rel}");
        assert!(m.flags.contains(Flags::SEEN), "{rel}");
        assert_eq!(m.flags.contains(Flags::FLAGGED), flagged, "{rel}");
        // 2010-03-16, as pstsdk's sample says.
        assert_eq!(m.received, Some(1_268_673_127), "{rel}");
        assert!(r.describe(items[0].id).contains("Here is a sample message"));
    }
}

/// Special folders come from the entry ids of the store and the root
/// folder (MS-PST 2.4.3), not only from names.
#[test]
fn special_folders_by_entry_id() {
    use mailshift_pst::messaging::Special;
    let Some(f) = fixture("hughbe__PstReader/hughbe_hughbe_Outlook.pst") else {
        return;
    };
    let r = PstReader::open(&f).expect("opens");
    let store = r.store();
    let folders = r.folders().expect("folders");
    let nid_of = |p: &str| folders.iter().find(|f| f.display_path() == p).map(|f| f.id.0 as u32);
    assert_eq!(store.special(Special::SentMail), nid_of("Sent Items"));
    assert_eq!(store.special(Special::Wastebasket), nid_of("Deleted Items"));
    assert_eq!(store.special(Special::Outbox), nid_of("Outbox"));
    assert_eq!(store.special(Special::Drafts), nid_of("Drafts"));
    assert_eq!(store.special(Special::Junk), nid_of("Junk E-mail"));
    assert_eq!(store.special(Special::Calendar), nid_of("Calendar"));
    assert_eq!(store.special(Special::Contacts), nid_of("Contacts"));
    assert!(store.special(Special::Finder).is_some());
    let tree = r.tree().expect("tree");
    assert_eq!(Some(tree.ipm_subtree), store.ipm_subtree());
    // Nothing outside the IPM subtree is exported.
    assert!(folders.iter().all(|f| !f.display_path().starts_with("Top of")));
    assert!(tree.all.iter().any(|f| !f.in_ipm_subtree));
}

/// Message nodes no contents table lists are offered under "Recovered"
/// only when asked for, and none of the listed ones are among them.
#[test]
fn recovery_lists_only_unlisted_messages() {
    let Some(files) = mailshift_testkit::fixture_files(&["pst", "ost"]) else {
        return;
    };
    let mut recovered = 0;
    for f in files.iter().filter(|f| !is_rejected(f)) {
        let plain = PstReader::open(f).expect("opens");
        assert!(plain.folders().expect("folders").iter().all(|x| x.id != mailshift_pst::RECOVERED_FOLDER));
        let r = PstReader::open_with(f, PstOptions { recover: true }).expect("opens");
        let folders = r.folders().expect("folders");
        let orphans = r.recovered_items().expect("recovery");
        let listed: Vec<u64> = folders
            .iter()
            .filter(|x| x.id != mailshift_pst::RECOVERED_FOLDER)
            .flat_map(|x| r.items(x.id).expect("items"))
            .map(|m| m.id.0)
            .collect();
        for o in &orphans {
            // `(nid, 0)`: an NBT node no contents table lists. `(nid, k)`:
            // a deleted node rebuilt from free space, which may be an older
            // copy of a listed message (tests/recover.rs).
            if o.1 == 0 {
                assert!(!listed.contains(&o.0), "{}: {:#x} is listed", f.display(), o.0);
            }
            assert_eq!(o.0 & 0x1F, 0x04);
        }
        let rec = folders.iter().find(|x| x.id == mailshift_pst::RECOVERED_FOLDER);
        assert_eq!(rec.is_some(), !orphans.is_empty(), "{}", f.display());
        if let Some(rec) = rec {
            assert_eq!(r.items(rec.id).expect("items").len(), orphans.len());
        }
        recovered += orphans.len();
    }
    eprintln!("recoverable message nodes across the fixtures: {recovered}");
}

/// Every message of every folder of every fixture under 1 MB is read, and
/// so is every message of bit-flipped copies of a few: errors are allowed,
/// panics are not.
#[test]
fn every_message_of_small_fixtures_reads_without_panic() {
    let Some(files) = mailshift_testkit::fixture_files(&["pst", "ost"]) else {
        return;
    };
    let (mut read, mut mails) = (0, 0);
    for f in files.iter().filter(|f| !is_rejected(f)) {
        if std::fs::metadata(f).map_or(true, |m| m.len() >= 1 << 20) {
            continue;
        }
        let r = PstReader::open_with(f, PstOptions { recover: true }).expect("opens");
        for folder in r.folders().expect("folders") {
            for it in r.items(folder.id).expect("items") {
                read += 1;
                if let Ok(Item::Mail(m)) = r.read(it.id) {
                    assert!(!m.raw.is_empty());
                    mails += 1;
                }
                let _ = r.describe(it.id);
            }
        }
        let _ = r.problems();
    }
    assert!(read > 500, "read only {read} items");
    assert!(mails > 300, "only {mails} mails");

    // Bit flips: every 997th byte after the header of two small stores.
    for rel in ["farnulfo__pst-exp/sample1.pst", "mooijtech__go-pst/32-bit.pst"] {
        let Some(f) = fixture(rel) else { return };
        let orig = std::fs::read(&f).expect("read");
        for start in [600usize, 1500, 4000] {
            let mut b = orig.clone();
            let mut at = start;
            while at < b.len() {
                b[at] ^= 0x5A;
                at += 997;
            }
            let Ok(pst) = mailshift_pst::Pst::from_bytes(format!("{rel} flipped {start}"), b) else {
                continue;
            };
            let store = Store::new(pst);
            let Ok(tree) = store.folders() else { continue };
            for folder in &tree.all {
                for row in store.contents(folder.nid).unwrap_or_default() {
                    let _ = store.message(row.nid);
                }
            }
        }
    }
}
