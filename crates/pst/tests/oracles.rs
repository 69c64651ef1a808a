//! Our reader against five independent ones (mailshift_testkit::oracle:
//! readpst, pffexport, pypff, Microsoft's outlook-pst, pst-extractor) on
//! varied fixtures: the same folders of the IPM subtree, the same item
//! counts, subjects and by-value attachment bytes, and no complaint from
//! the other reader, except the differences written out per fixture and
//! per oracle in [`CASES`], each with why. Any other difference fails, and
//! so does a listed one that no longer shows (the list stays true).
//!
//! One test per oracle; a missing oracle is a printed SKIP (a failure
//! under MAILSHIFT_REQUIRE_ALL=1). The PSTs our writer makes are checked
//! the same way, in one line: [`assert_every_oracle_agrees`] (or, for one
//! oracle, `oracle::assert_same(&our_view(&p), &oracle::view(o, &p)?, &[])`).

use std::path::Path;

#[path = "common/views.rs"]
mod views;
use views::our_view;

use mailshift_testkit::oracle::{self, Known, Oracle, OracleError};

/// What a fixture's view from one oracle is expected to be, when it is
/// not the same as ours.
enum Expect {
    /// The oracle reads the file; these differences (and no others) show.
    Differs(&'static [Known]),
    /// The oracle refuses the file with an error containing `error`.
    Fails { error: &'static str, why: &'static str },
}

/// One fixture: its path under the fixtures directory, what it is, and
/// the oracles whose view is not ours (the others must be the same).
struct Case {
    file: &'static str,
    what: &'static str,
    expect: &'static [(Oracle, Expect)],
}

use Expect::{Differs, Fails};
use Oracle::{OutlookPst, Pffexport, PstExtractor, Pypff, Readpst};

const fn k(pattern: &'static str, why: &'static str) -> Known {
    Known::new(pattern, why)
}

// Why the readers differ, where the same reason shows in several fixtures.
const READPST_CONTACT_FN: &str = "readpst writes no PidTagSubject for contacts: its vCard FN (PidTagDisplayName, \
     \"Last, First\", \"(null)\" when unset) stands in for it";
const READPST_NO_DISTLIST: &str = "readpst does not export distribution lists (IPM.DistList)";
const READPST_NO_NOTES: &str = "readpst does not export sticky notes (IPM.StickyNote)";
const READPST_NO_POST: &str = "readpst skips IPM.Post items (\"1 items skipped\")";
const PFFEXPORT_NO_POST: &str = "pffexport skips IPM.Post items (\"Skipped item 1 out of 1 of type: IPM.Post\")";
const OLE_AS_FILES: &str = "readpst and pffexport write afStorage (OLE) attachments as files (here the 6 of \
     \"RTF newsletter copy\" and of \"attach1..6\"); the view compares by-value bytes only, as pypff does";
const LIBPFF_UNSPECIFIED: &str = "libpff drops the items whose tables hold a PtypUnspecified (0x0000) value \
     (\"unsupported value type: 0x00000000\"; MANIFEST.md, Tool disagreements); readpst and we read them";
const LIBPFF_NBT_PARENT: &str = "libpff places two items typed \"Folder\" by their NBT parent, not by contents table";
const OUTLOOK_PST_NO_SUBNODES: &str = "outlook-pst refuses messages without a subnode tree (\"Missing Sub-Node Tree \
     on message\"); MS-PST 2.4.5 does not require one, and the other readers read them";
const OUTLOOK_PST_TCOLDESC: &str = "outlook-pst refuses messages whose subnode tables have a TCOLDESC with cbData 8 \
     for a type MS-PST 2.3.4.2 sizes otherwise (\"Invalid TCOLDESC cbData\"); the other readers read them";
const OUTLOOK_PST_NO_OST: &str = "outlook-pst opens PSTs only (wMagicClient 0x4D53 \"SM\"), not OSTs (\"SO\")";
const PST_EXTRACTOR_NO_ANSI: &str = "pst-extractor 1.12 cannot read ANSI (wVer 14) PSTs: it does not find their \
     name-to-id map (NID 0x61, \"Unable to find 97\")";
const PST_EXTRACTOR_NO_CYCLIC: &str = "pst-extractor refuses cyclic-encoded PSTs (bCryptMethod 2)";
const PST_EXTRACTOR_CLASS: &str = "pst-extractor logs the message classes it has no object type for (it still \
     returns the item, counted and with its subject)";

/// The fixtures, chosen to cover what differs between PST writers:
/// Outlook's Unicode and ANSI stores, an OST, Aspose's output, Microsoft's
/// pstsdk test files, java-libpst's, both encodings, and an empty store.
const CASES: &[Case] = &[
    Case {
        file: "aspose-email__Aspose.Email-for-.NET/Outlook.d3621be9.pst",
        what: "Outlook 2007 Unicode: mail with attachments and an embedded message, calendar, contact, subfolders",
        expect: &[(Readpst, Differs(&[k("\"Contacts\": subject only in *", READPST_CONTACT_FN)]))],
    },
    Case {
        file: "aspose-email__Aspose.Email-for-.NET/SampleOstFile.ost",
        what: "an OST (Exchange cache, 512-byte pages): Root - Mailbox/IPM_SUBTREE, meeting requests, OLE attachments",
        expect: &[
            (
                Readpst,
                Differs(&[
                    k(
                        "\"Calendar\": attachment only in ours: 6821f4ed901cc717",
                        "readpst writes appointments as iCalendar, without their attachments (Invitation.pdf)",
                    ),
                    k(
                        "\"Deleted Items\": attachment only in ours: 6821f4ed901cc717",
                        "readpst writes appointments as iCalendar, without their attachments (Invitation.pdf)",
                    ),
                    k("\"Inbox\": attachment only in theirs: *", OLE_AS_FILES),
                    k("\"Sent Items\": attachment only in theirs: *", OLE_AS_FILES),
                ]),
            ),
            (
                Pffexport,
                Differs(&[
                    k(
                        "\"Inbox\": attachment only in ours: 6821f4ed901cc717",
                        "pffexport exports no attachments of meeting requests (its Meeting items)",
                    ),
                    k(
                        "\"Deleted Items\": attachment only in ours: 6821f4ed901cc717",
                        "pffexport exports no attachments of meeting requests (its Meeting items)",
                    ),
                    k("\"Inbox\": attachment only in theirs: *", OLE_AS_FILES),
                    k("\"Sent Items\": attachment only in theirs: *", OLE_AS_FILES),
                ]),
            ),
            (OutlookPst, Fails { error: "Invalid HEADER wMagicClient: 0x4F53", why: OUTLOOK_PST_NO_OST }),
            (
                PstExtractor,
                Differs(&[k(
                    "error in theirs: \"Inbox\": PSTUtil::createAppropriatePSTMessageObject unknown message type: \
                     REPORT.IPM.Note.NotSupportedICal.NDR",
                    PST_EXTRACTOR_CLASS,
                )]),
            ),
        ],
    },
    Case {
        file: "aspose-email__Aspose.Email-for-.NET/Test_part1.pst",
        what: "an Aspose split chunk: PtypUnspecified values, messages without subnodes, odd TCOLDESCs",
        expect: &[
            (
                Readpst,
                Differs(&[
                    k(
                        "\"Contacts\": count ours 21, theirs 19",
                        "readpst skips 2 of the 21 IPM.Contact items (\"19 items done, 2 items skipped\") without saying why; \
                         pst-extractor returns all 21, as we do",
                    ),
                    k("\"Contacts\": subject only in *", READPST_CONTACT_FN),
                ]),
            ),
            (
                Pffexport,
                Differs(&[
                    k("\"Contacts\": count ours 21, theirs 9", LIBPFF_UNSPECIFIED),
                    k("\"Contacts\": subject only in ours: *", LIBPFF_UNSPECIFIED),
                    k("error in theirs: libpff_*", LIBPFF_UNSPECIFIED),
                    k("error in theirs: export_handle_export_item: unable to retrieve item type.", LIBPFF_UNSPECIFIED),
                    k("\"\": count ours 0, theirs 1", LIBPFF_NBT_PARENT),
                    k("\"\": subject only in theirs: \"\"", LIBPFF_NBT_PARENT),
                    k("\"Deleted Items\": count ours 0, theirs 1", LIBPFF_NBT_PARENT),
                    k("\"Deleted Items\": subject only in theirs: \"\"", LIBPFF_NBT_PARENT),
                ]),
            ),
            (
                Pypff,
                Differs(&[
                    k("\"Contacts\": count ours 21, theirs 9", LIBPFF_UNSPECIFIED),
                    k("\"Contacts\": subject only in ours: *", LIBPFF_UNSPECIFIED),
                    k(
                        "error in theirs: \"Contacts\": message *: pypff_folder_get_sub_message_by_index: unable to \
                         retrieve sub message: * unsupported value type: 0x00000000 *",
                        LIBPFF_UNSPECIFIED,
                    ),
                ]),
            ),
            (
                OutlookPst,
                Differs(&[
                    k("\"Contacts\": count ours 21, theirs 9", OUTLOOK_PST_NO_SUBNODES),
                    k("\"Contacts\": subject only in ours: *", OUTLOOK_PST_NO_SUBNODES),
                    k(
                        "error in theirs: \"Contacts\": message *: Missing Sub-Node Tree on message",
                        OUTLOOK_PST_NO_SUBNODES,
                    ),
                    k("\"Sent Items\": count ours 31, theirs 0", OUTLOOK_PST_TCOLDESC),
                    k("\"Sent Items\": subject only in ours: *", OUTLOOK_PST_TCOLDESC),
                    k("\"Sent Items\": attachment only in ours: *", OUTLOOK_PST_TCOLDESC),
                    k(
                        "error in theirs: \"Sent Items\": message *: Invalid TCOLDESC cbData: 0x0008",
                        OUTLOOK_PST_TCOLDESC,
                    ),
                ]),
            ),
            (
                PstExtractor,
                Differs(&[k(
                    "folder only in ours: \"Deleted Items/SubInbox\" (0 items)",
                    "pst-extractor lists subfolders only where PidTagSubfolders is set, and Aspose left it false on \
                     Deleted Items, whose hierarchy table has rows",
                )]),
            ),
        ],
    },
    Case {
        file: "aspose-email__Aspose.Email-for-Java/Personal_folders_part10.pst",
        what: "an Aspose (Java) split chunk: three messages with attachments, tables with PtypUnspecified",
        expect: &[
            (
                Pffexport,
                Differs(&[
                    k("\"My Messages\": count ours 3, theirs 0", LIBPFF_UNSPECIFIED),
                    k("\"My Messages\": subject only in ours: \"About Aspose 3*\"", LIBPFF_UNSPECIFIED),
                    k("\"My Messages\": attachment only in ours: *", LIBPFF_UNSPECIFIED),
                    k("error in theirs: libpff_*", LIBPFF_UNSPECIFIED),
                    k("error in theirs: export_handle_export_item: unable to retrieve item type.", LIBPFF_UNSPECIFIED),
                ]),
            ),
            (
                Pypff,
                Differs(&[
                    k("\"My Messages\": count ours 3, theirs 0", LIBPFF_UNSPECIFIED),
                    k("\"My Messages\": subject only in ours: \"About Aspose 3*\"", LIBPFF_UNSPECIFIED),
                    k("\"My Messages\": attachment only in ours: *", LIBPFF_UNSPECIFIED),
                    k(
                        "error in theirs: \"My Messages\": message *: * unsupported value type: 0x00000000 *",
                        LIBPFF_UNSPECIFIED,
                    ),
                ]),
            ),
        ],
    },
    Case {
        file: "aspose-email__Aspose.Email-for-Java/MapiNoteToPST_out.pst",
        what: "three sticky notes written by Aspose",
        expect: &[
            (
                Readpst,
                Differs(&[
                    k("\"Notes\": count ours 3, theirs 0", READPST_NO_NOTES),
                    k("\"Notes\": subject only in ours: \"Blue color note\"", READPST_NO_NOTES),
                ]),
            ),
            (
                OutlookPst,
                Differs(&[
                    k("\"Notes\": count ours 3, theirs 0", OUTLOOK_PST_NO_SUBNODES),
                    k("\"Notes\": subject only in ours: \"Blue color note\"", OUTLOOK_PST_NO_SUBNODES),
                    k(
                        "error in theirs: \"Notes\": message *: Missing Sub-Node Tree on message",
                        OUTLOOK_PST_NO_SUBNODES,
                    ),
                ]),
            ),
        ],
    },
    Case { file: "farnulfo__pst-exp/sample1.pst", what: "Microsoft pstsdk's Unicode sample: one message", expect: &[] },
    Case {
        file: "farnulfo__pst-exp/sample2.pst",
        what: "Microsoft pstsdk's ANSI sample: one message",
        expect: &[(PstExtractor, Fails { error: "Unable to find 97", why: PST_EXTRACTOR_NO_ANSI })],
    },
    Case {
        file: "farnulfo__pst-exp/test_ansi.pst",
        what: "Microsoft pstsdk's ANSI test file: a password, an IPM.Post in a subfolder",
        expect: &[
            (
                Readpst,
                Differs(&[
                    k("\"Folder\": count ours 1, theirs 0", READPST_NO_POST),
                    k("\"Folder\": subject only in ours: \"Post\"", READPST_NO_POST),
                ]),
            ),
            (
                Pffexport,
                Differs(&[
                    k("\"Folder\": count ours 1, theirs 0", PFFEXPORT_NO_POST),
                    k("\"Folder\": subject only in ours: \"Post\"", PFFEXPORT_NO_POST),
                ]),
            ),
            (PstExtractor, Fails { error: "Unable to find 97", why: PST_EXTRACTOR_NO_ANSI }),
        ],
    },
    Case {
        file: "farnulfo__pst-exp/test_unicode.pst",
        what: "Microsoft pstsdk's Unicode test file: a password, IPM.Post items in the subtree and a subfolder",
        expect: &[
            (
                Readpst,
                Differs(&[
                    k("\"\": count ours 1, theirs 0", READPST_NO_POST),
                    k("\"\": subject only in ours: \"Test\"", READPST_NO_POST),
                    k("\"Folder\": count ours 1, theirs 0", READPST_NO_POST),
                    k("\"Folder\": subject only in ours: \"Post\"", READPST_NO_POST),
                ]),
            ),
            (
                Pffexport,
                Differs(&[
                    k("\"\": count ours 1, theirs 0", PFFEXPORT_NO_POST),
                    k("\"\": subject only in ours: \"Test\"", PFFEXPORT_NO_POST),
                    k("\"Folder\": count ours 1, theirs 0", PFFEXPORT_NO_POST),
                    k("\"Folder\": subject only in ours: \"Post\"", PFFEXPORT_NO_POST),
                ]),
            ),
            (
                PstExtractor,
                Differs(&[k(
                    "error in theirs: *: PSTUtil::createAppropriatePSTMessageObject unknown message type: IPM.Post",
                    PST_EXTRACTOR_CLASS,
                )]),
            ),
        ],
    },
    Case {
        file: "mooijtech__go-pst/32-bit.pst",
        what: "an ANSI (32-bit) Outlook store from the Enron set",
        expect: &[(PstExtractor, Fails { error: "Unable to find 97", why: PST_EXTRACTOR_NO_ANSI })],
    },
    Case {
        file: "hughbe__PstReader/simiden_pst2john_97_outlook_pass12345.pst",
        what: "an ANSI Outlook 97 store, 294 messages in 10 folders",
        expect: &[(PstExtractor, Fails { error: "Unable to find 97", why: PST_EXTRACTOR_NO_ANSI })],
    },
    Case {
        file: "hughbe__PstReader/simiden_pst2john_2003_high-encryption_quickquick.pst",
        what: "an Outlook 2003 store with cyclic encoding (bCryptMethod 2)",
        expect: &[(PstExtractor, Fails { error: "PST is encrypted", why: PST_EXTRACTOR_NO_CYCLIC })],
    },
    Case {
        file: "rjohnsondev__java-libpst/dist-list.pst",
        what: "java-libpst's test store: a contact and a distribution list",
        expect: &[
            (
                Readpst,
                Differs(&[
                    k("\"Contacts\": count ours 2, theirs 1", READPST_NO_DISTLIST),
                    k("\"Contacts\": subject only in ours: \"test dist list\"", READPST_NO_DISTLIST),
                    k("\"Contacts\": subject only in *", READPST_CONTACT_FN),
                ]),
            ),
            (
                OutlookPst,
                Differs(&[
                    k("\"Contacts\": count ours 2, theirs 1", OUTLOOK_PST_NO_SUBNODES),
                    k("\"Contacts\": subject only in ours: \"test dist list\"", OUTLOOK_PST_NO_SUBNODES),
                    k(
                        "error in theirs: \"Contacts\": message *: Missing Sub-Node Tree on message",
                        OUTLOOK_PST_NO_SUBNODES,
                    ),
                ]),
            ),
        ],
    },
    Case {
        file: "hughbe__PstReader/aranetic_process-pst_flags_jane_doe.pst",
        what: "aranetic process-pst's store: flagged mail in nested folders",
        expect: &[(
            Readpst,
            Differs(&[
                k(
                    "\"\": count ours 0, theirs 1",
                    "readpst makes up an empty message in the store's top folder for an item of the root folder \
                     with almost no properties (MANIFEST.md, Tool disagreements)",
                ),
                k("\"\": subject only in theirs: \"\"", "readpst's made-up message (above) has no subject"),
            ]),
        )],
    },
    Case { file: "apache__tika/testPST.pst", what: "Apache Tika's test store: mail with attachments", expect: &[] },
    Case { file: "microsoft__outlook-pst-rs/Empty.pst", what: "outlook-pst's empty store", expect: &[] },
];

/// Every oracle reads `path` (a missing one is skipped, see
/// [`oracle::view_or_skip`]; one that refuses the file fails) and sees what
/// our reader sees, but for the differences `known` lists for it.
#[track_caller]
fn assert_every_oracle_agrees(path: &Path, known: &[(Oracle, &[Known])]) {
    let ours = our_view(path);
    assert!(ours.errors.is_empty(), "{}: our reader: {:?}", path.display(), ours.errors);
    for o in Oracle::ALL {
        if let Some(theirs) = oracle::view_or_skip(o, path) {
            let k = known.iter().find(|(x, _)| *x == o).map_or(&[][..], |(_, k)| *k);
            oracle::assert_same(&ours, &theirs, k);
        }
    }
}

/// Every case against `oracle`: the differences are exactly the known ones.
/// Returns (fixtures read, folders compared).
fn agree(oracle: Oracle) -> Option<(usize, usize)> {
    let dir = mailshift_testkit::fixtures_dir()?;
    let mut failures = Vec::new();
    let (mut read, mut folders) = (0, 0);
    for case in CASES {
        let path = dir.join(case.file);
        assert!(path.is_file(), "fixture {} is missing", path.display());
        let expect = case.expect.iter().find(|(o, _)| *o == oracle).map(|(_, e)| e);
        let ours = our_view(&path);
        assert!(ours.errors.is_empty(), "{}: our reader: {:?}", case.file, ours.errors);
        match (oracle::view(oracle, &path), expect) {
            (Err(OracleError::Missing(why)), _) => {
                mailshift_testkit::skip(&format!("oracle {oracle} is missing: {why}"));
                return None;
            }
            (Err(OracleError::Failed(msg)), Some(Fails { error, why })) => {
                if !msg.contains(error) {
                    failures.push(format!("{} ({}): fails as expected ({why}), but with: {msg}", case.file, case.what));
                }
            }
            (Err(OracleError::Failed(msg)), _) => {
                failures.push(format!("{} ({}): {oracle} cannot read it: {msg}", case.file, case.what))
            }
            (Ok(_), Some(Fails { why, .. })) => failures.push(format!(
                "{} ({}): {oracle} now reads it; the entry \"{why}\" must become the differences it shows",
                case.file, case.what
            )),
            (Ok(theirs), expect) => {
                let known: &[Known] = match expect {
                    Some(Differs(k)) => k,
                    _ => &[],
                };
                let report = oracle::check(&ours, &theirs, known);
                read += 1;
                folders += report.folders_compared;
                if !report.unexpected.is_empty() || !report.unused.is_empty() {
                    failures.push(format!("{} ({}):\n{report}", case.file, case.what));
                }
            }
        }
    }
    eprintln!("{oracle}: {read} of {} fixtures read, {folders} folders compared", CASES.len());
    assert!(failures.is_empty(), "{oracle} and our reader disagree:\n{}", failures.join("\n"));
    Some((read, folders))
}

#[test]
fn readpst_sees_what_we_see() {
    if let Some((read, folders)) = agree(Readpst) {
        // Floors measured (15 fixtures, 38 folders: readpst shows no
        // empty folder), so that the comparison cannot shrink unseen.
        assert!(read >= 15 && folders >= 35, "readpst compared only {read} fixtures, {folders} folders");
    }
}

#[test]
fn pffexport_sees_what_we_see() {
    if let Some((read, folders)) = agree(Pffexport) {
        assert!(read >= 15 && folders >= 95, "pffexport compared only {read} fixtures, {folders} folders");
    }
}

#[test]
fn pypff_sees_what_we_see() {
    if let Some((read, folders)) = agree(Pypff) {
        assert!(read >= 15 && folders >= 95, "pypff compared only {read} fixtures, {folders} folders");
    }
}

#[test]
fn outlook_pst_sees_what_we_see() {
    if let Some((read, folders)) = agree(OutlookPst) {
        assert!(read >= 14 && folders >= 70, "outlook-pst compared only {read} fixtures, {folders} folders");
    }
}

#[test]
fn pst_extractor_sees_what_we_see() {
    if let Some((read, folders)) = agree(PstExtractor) {
        assert!(read >= 10 && folders >= 75, "pst-extractor compared only {read} fixtures, {folders} folders");
    }
}

/// The one-line check the writer's round trips use, on a store all five
/// read as we do.
#[test]
fn every_oracle_agrees_on_pstsdk_sample1() {
    let Some(dir) = mailshift_testkit::fixtures_dir() else { return };
    let path = dir.join("farnulfo__pst-exp/sample1.pst");
    assert_every_oracle_agrees(&path, &[]);
    // And a store that is not the same is caught: one subject changed.
    let mut ours = our_view(&path);
    let theirs = oracle::view(Pypff, &path);
    if let Ok(theirs) = theirs {
        ours.folders.values_mut().flat_map(|f| f.subjects.iter_mut()).for_each(|s| s.push('!'));
        let r = oracle::check(&ours, &theirs, &[]);
        assert!(!r.unexpected.is_empty(), "{r}");
    }
}

/// Our view holds what the store holds, not merely what the others agree
/// on: Outlook.d3621be9.pst's Inbox, as Outlook shows it.
#[test]
fn our_view_has_the_real_content() {
    let Some(dir) = mailshift_testkit::fixtures_dir() else { return };
    let v = our_view(&dir.join("aspose-email__Aspose.Email-for-.NET/Outlook.d3621be9.pst"));
    let inbox = &v.folders["Inbox"];
    assert_eq!(inbox.count, 8);
    assert!(inbox.subjects.iter().any(|s| s == "Multiple attachments"), "{:?}", inbox.subjects);
    assert!(inbox.attachments.len() >= 10, "{:?}", inbox.attachments);
    assert!(v.folders.contains_key("Inbox/SubInbox") && v.folders.contains_key(""), "{:?}", v.folders.keys());
    assert_eq!(v.folders["Contacts"].subjects, ["Saqib Razzaq"]);
}
