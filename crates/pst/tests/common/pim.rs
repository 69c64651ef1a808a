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
