//! What the PIM tests share: every message of a store, the message-class
//! tests, pim-rich.pst with its expected values, JSON string lists.
#![allow(dead_code)]

use mailshift_pst::mapi::Message;
use mailshift_pst::Store;
use serde_json::Value;

/// Every message of every folder the walk reaches, with its folder's name.
pub fn folder_messages(store: &Store) -> Vec<(String, Message)> {
    let Ok(tree) = store.folders() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for f in &tree.all {
        let Ok(rows) = store.contents(f.nid) else {
            continue;
        };
        for row in rows {
            if let Ok(m) = store.message(row.nid) {
                out.push((f.name.clone(), m));
            }
        }
    }
    out
}

/// Every message of every folder the walk reaches.
pub fn messages(store: &Store) -> Vec<Message> {
    folder_messages(store).into_iter().map(|(_, m)| m).collect()
}

/// The message's class is `class` or a subclass of it ("IPM.Task.Custom");
/// classes are case-insensitive ([MS-OXCMSG] 2.2.1.3).
pub fn class_is(m: &Message, class: &str) -> bool {
    mailshift_pst::mapi::class_is(m.class(), class)
}

/// An appointment or a meeting object.
pub fn is_calendar_item(m: &Message) -> bool {
    class_is(m, "IPM.Appointment") || m.class().to_ascii_lowercase().starts_with("ipm.schedule.meeting")
}

/// pim/pim-rich.pst and its pim-rich.expected.json (`None` after a skip
/// when the fixtures are missing; a panic when these are).
pub fn pim_rich() -> Option<(Store, Value)> {
    let dir = mailshift_testkit::fixtures_dir()?;
    let pst = dir.join("pim/pim-rich.pst");
    let json = dir.join("pim/pim-rich.expected.json");
    assert!(pst.is_file() && json.is_file(), "pim-rich fixture is missing");
    let store = Store::open(&pst).expect("pim-rich.pst opens");
    let text = std::fs::read_to_string(&json).expect("expected.json reads");
    Some((store, serde_json::from_str(&text).expect("expected.json parses")))
}

/// The strings of a JSON array (empty for anything else).
pub fn strs(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

/// What pim-rich's generator appends to subjects in its evaluation mode.
pub const EVAL_SUFFIX: &str = "(Aspose.Email Evaluation)";
/// How the banner it puts before every body begins; it ends in a rule of
/// underscores (MANIFEST.md / the issue).
pub const EVAL_BANNER: &str = "Evaluation Only. Created with Aspose.Email";

/// `s` without the evaluation suffix.
pub fn without_eval_suffix(s: &str) -> &str {
    s.strip_suffix(EVAL_SUFFIX).map(str::trim_end).unwrap_or(s)
}

/// `got` is `want`, or `want` with the evaluation suffix.
pub fn same_subject(got: Option<&str>, want: &str) -> bool {
    got.is_some_and(|s| s == want || without_eval_suffix(s) == want)
}

/// `got` is `want`, or `want` after exactly the evaluation banner.
pub fn body_matches(got: &str, want: &str) -> bool {
    let norm = |x: &str| x.replace("\r\n", "\n").trim().to_string();
    let (got, want) = (norm(got), norm(want));
    if got == want {
        return true;
    }
    match got.strip_suffix(&want) {
        Some(head) => {
            let head = head.trim();
            head.starts_with(EVAL_BANNER) && head.ends_with("________________________________")
        }
        None => false,
    }
}

/// A PST offered as neutral items only (no MAPI messages, no store or
/// folder properties), as a vCard or iCalendar source is: a PST writer
/// gets its contacts, events ... through `mapi::inbound::to_mapi`.
pub struct Neutral(pub mailshift_pst::PstReader);

impl mailshift_core::StoreReader for Neutral {
    fn format_name(&self) -> &'static str {
        "pst (neutral items)"
    }
    fn path(&self) -> &std::path::Path {
        self.0.path()
    }
    fn folders(&self) -> mailshift_core::Result<Vec<mailshift_core::Folder>> {
        self.0.folders()
    }
    fn items(&self, f: mailshift_core::FolderId) -> mailshift_core::Result<Vec<mailshift_core::ItemMeta>> {
        self.0.items(f)
    }
    fn read(&self, id: mailshift_core::ItemId) -> mailshift_core::Result<mailshift_core::Item<'_>> {
        self.0.read(id)
    }
    fn describe(&self, id: mailshift_core::ItemId) -> String {
        self.0.describe(id)
    }
    fn problems(&self) -> Vec<mailshift_core::Problem> {
        self.0.problems()
    }
    fn item_kind(&self, id: mailshift_core::ItemId) -> Option<mailshift_core::FolderKind> {
        self.0.item_kind(id)
    }
}

/// The PIM kinds.
pub const PIM_KINDS: [mailshift_core::FolderKind; 5] = [
    mailshift_core::FolderKind::Contacts,
    mailshift_core::FolderKind::Calendar,
    mailshift_core::FolderKind::Tasks,
    mailshift_core::FolderKind::Notes,
    mailshift_core::FolderKind::Journal,
];

/// `src`'s PIM items read as neutral items and written into a new PST at
/// `dst` by `convert` (so through `to_mapi`, in its parallel stage).
pub fn write_back(src: &std::path::Path, dst: &std::path::Path) -> mailshift_core::Report {
    use mailshift_pst::ndb::write::WriteOptions;
    let reader = Neutral(mailshift_pst::PstReader::open(src).expect("source opens"));
    let opts = mailshift_pst::PstWriteOptions { ndb: WriteOptions { fsync: false, ..WriteOptions::default() } };
    let mut writer = mailshift_pst::PstWriter::create(dst, opts).expect("target");
    let o = mailshift_core::Options { kinds: PIM_KINDS.to_vec(), ..mailshift_core::Options::default() };
    mailshift_core::convert(&reader, &mut writer, None, &o, &mailshift_core::NoProgress).expect("convert runs")
}
