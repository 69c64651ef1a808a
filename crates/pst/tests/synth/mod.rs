//! A seeded synthetic mail store, written through any `StoreWriter` (here
//! [`mailshift_pst::PstWriter`]): mail messages built as MAPI messages
//! (`mailshift_core::mapi::Message`) with a plain-text body, recipients, a
//! named property and by-value attachments of pseudo-random bytes, spread
//! over a few folders, one of them nested.
//!
//! Everything follows from the [`Spec`]: message `i` is the same for the
//! same seed whatever else is generated, so a test can write a store of
//! gigabytes and still know, without keeping it, what every reader must
//! find in it: [`write`] returns each folder's count, subjects and
//! attachment sha256 in the oracles' view
//! ([`mailshift_testkit::oracle::StoreView`]).
//!
//! Shared by `tests/pst_write_large.rs`, `examples/gen_pst.rs` (the
//! benchmark's generated store) and the CLI's `tests/pst_crash.rs`.
#![allow(dead_code)]

use std::collections::BTreeMap;

use mailshift_core::mapi::{tags, AttachContent, Attachment, Message, NamedId, PropBag, PropValue};
use mailshift_core::{Folder, FolderId, FolderKind, FolderRole, Item, ItemId, ItemMeta, Prepared, Result, StoreWriter};
use mailshift_testkit::oracle::{sha256_hex, RawFolder, RawView, Reader, StoreView};

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// Seeds every value.
    pub seed: u64,
    /// Mail messages in all.
    pub messages: usize,
    /// About this many bytes of body text per message (0 to twice this).
    pub body: usize,
    /// By-value attachments per message: `min..=max`, seeded.
    pub attachments: (usize, usize),
    /// Bytes of each attachment: `min..=max`, seeded.
    pub attachment_size: (usize, usize),
}

impl Spec {
    /// The benchmark's store: `messages` mail messages of about 50 KB
    /// (4 KB of text, none to two attachments of 1-90 KB): 10,000 make
    /// about 500 MB.
    pub fn bench(messages: usize, seed: u64) -> Spec {
        Spec { seed, messages, body: 4_000, attachments: (0, 2), attachment_size: (1_000, 90_000) }
    }

    /// A store of small messages (about 1 KB of text, no attachment):
    /// what grows with the number of items shows, not with their bytes.
    pub fn small(messages: usize, seed: u64) -> Spec {
        Spec { seed, messages, body: 500, attachments: (0, 0), attachment_size: (0, 0) }
    }

    /// A store of `messages` messages with one 1 MiB attachment each.
    pub fn large(messages: usize, seed: u64) -> Spec {
        Spec { seed, messages, body: 2_000, attachments: (1, 1), attachment_size: (1 << 20, 1 << 20) }
    }
}

/// The folders: (name, parent index, role). Index 0 is the store's root.
const FOLDERS: [(&str, Option<usize>, FolderRole); 6] = [
    ("", None, FolderRole::None),
    ("Inbox", Some(0), FolderRole::Inbox),
    ("Projects Ünïcode", Some(1), FolderRole::None),
    ("Sent Items", Some(0), FolderRole::Sent),
    ("Archive", Some(0), FolderRole::Archive),
    ("2024", Some(4), FolderRole::None),
];

/// The folders as a reader announces them, parents first.
pub fn folders() -> Vec<Folder> {
    let mut out: Vec<Folder> = Vec::new();
    for (i, (name, parent, role)) in FOLDERS.iter().enumerate() {
        let mut path = match parent {
            Some(p) => out[*p].path.clone(),
            None => Vec::new(),
        };
        if i > 0 {
            path.push(name.to_string());
        }
        out.push(Folder {
            id: FolderId(i as u64),
            parent: parent.filter(|p| *p > 0).map(|p| FolderId(p as u64)),
            path,
            name: if i == 0 { "Synthetic store".into() } else { name.to_string() },
            kind: FolderKind::Mail,
            role: *role,
        });
    }
    out
}

/// splitmix64: the generator of each message's own stream, so that
/// message `i` does not depend on the others.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// The stream of message `i` of `seed`.
    pub fn new(seed: u64, i: u64) -> Rng {
        let mut r = Rng(seed ^ i.wrapping_mul(0xA076_1D64_78BD_642F));
        r.next();
        r
    }

    /// 64 pseudo-random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, (lo, hi): (usize, usize)) -> usize {
        lo + (self.next() % (hi.saturating_sub(lo) as u64 + 1)) as usize
    }

    /// `n` pseudo-random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n + 8);
        while out.len() < n {
            out.extend_from_slice(&self.next().to_le_bytes());
        }
        out.truncate(n);
        out
    }
}

const WORDS: [&str; 24] = [
    "quarterly",
    "report",
    "meeting",
    "budget",
    "review",
    "draft",
    "invoice",
    "schedule",
    "project",
    "update",
    "Grüße",
    "résumé",
    "naïve",
    "日本語",
    "文件夹",
    "Ωmega",
    "lunch",
    "travel",
    "contract",
    "minutes",
    "notes",
    "release",
    "plan",
    "follow-up",
];

fn words(r: &mut Rng, n: usize) -> String {
    (0..n).map(|_| WORDS[(r.next() % WORDS.len() as u64) as usize]).collect::<Vec<_>>().join(" ")
}

/// FILETIME of 2024-01-01T00:00:00Z plus `secs`.
fn filetime(secs: u64) -> i64 {
    ((1_704_067_200 + 11_644_473_600 + secs) * 10_000_000) as i64
}

fn bag(props: Vec<(u16, PropValue<'static>)>) -> PropBag {
    PropBag { tagged: props.into_iter().collect(), named: BTreeMap::new() }
}

/// The folder (index into [`folders`]) message `i` goes to.
pub fn folder_of(i: usize) -> usize {
    // Inbox gets half, the others share the rest.
    match i % 8 {
        0..=3 => 1,
        4 => 2,
        5 => 3,
        6 => 4,
        _ => 5,
    }
}

/// The subject of message `i` (unique: it holds the number). It starts
/// with ASCII: pffexport drops the first two bytes of a subject whose
/// UTF-8 starts with a byte of 0x80 or more (pfftools/export_handle.c
/// skips "subject control codes" when `value_string[0] < 0x20`, a signed
/// `char`), which is pffexport's fault, not the store's (pypff reads them).
pub fn subject(spec: &Spec, i: usize) -> String {
    let mut r = Rng::new(spec.seed, i as u64);
    let n = 2 + (r.next() % 5) as usize;
    format!("Message {i}: {}", words(&mut r, n))
}

/// Message `i` of `spec`.
pub fn message(spec: &Spec, i: usize) -> Message {
    let mut r = Rng::new(spec.seed ^ 0x5EED, i as u64);
    let sender = format!("sender{}", r.next() % 50);
    let sent = filetime(i as u64 * 3_600 + r.next() % 3_600);
    let mut body = String::new();
    let target = r.range((0, spec.body * 2));
    while body.len() < target {
        let n = 6 + (r.next() % 8) as usize;
        body.push_str(&words(&mut r, n));
        body.push_str(".\r\n");
    }
    let mut props = vec![
        (tags::MESSAGE_CLASS, PropValue::Unicode("IPM.Note".into())),
        (tags::SUBJECT, PropValue::Unicode(subject(spec, i))),
        (tags::SENDER_NAME, PropValue::Unicode(format!("Sender {sender}"))),
        (tags::SENDER_EMAIL_ADDRESS, PropValue::Unicode(format!("{sender}@example.com"))),
        (tags::SENDER_ADDRESS_TYPE, PropValue::Unicode("SMTP".into())),
        (tags::SENT_REPRESENTING_NAME, PropValue::Unicode(format!("Sender {sender}"))),
        (tags::SENT_REPRESENTING_EMAIL_ADDRESS, PropValue::Unicode(format!("{sender}@example.com"))),
        (tags::SENT_REPRESENTING_ADDRESS_TYPE, PropValue::Unicode("SMTP".into())),
        (tags::CLIENT_SUBMIT_TIME, PropValue::Time(sent)),
        (tags::MESSAGE_DELIVERY_TIME, PropValue::Time(sent + 20_000_000)),
        (tags::CREATION_TIME, PropValue::Time(sent + 20_000_000)),
        (tags::LAST_MODIFICATION_TIME, PropValue::Time(sent + 20_000_000)),
        (tags::INTERNET_MESSAGE_ID, PropValue::Unicode(format!("<synth-{}-{i}@mailshift.test>", spec.seed))),
        (tags::MESSAGE_FLAGS, PropValue::I32((r.next() % 3).min(1) as i32)),
        (tags::IMPORTANCE, PropValue::I32(1)),
        (tags::INTERNET_CODEPAGE, PropValue::I32(65001)),
        (tags::BODY, PropValue::Unicode(body)),
    ];
    let mut recipients = Vec::new();
    let mut to = Vec::new();
    for k in 0..1 + (r.next() % 3) as usize {
        let who = format!("user{}", r.next() % 200);
        to.push(format!("User {who}"));
        recipients.push(bag(vec![
            (tags::RECIPIENT_TYPE, PropValue::I32(if k == 0 { 1 } else { 2 })),
            (tags::DISPLAY_NAME, PropValue::Unicode(format!("User {who}"))),
            (tags::EMAIL_ADDRESS, PropValue::Unicode(format!("{who}@example.org"))),
            (tags::SMTP_ADDRESS, PropValue::Unicode(format!("{who}@example.org"))),
            (tags::ADDRESS_TYPE, PropValue::Unicode("SMTP".into())),
        ]));
    }
    props.push((tags::DISPLAY_TO, PropValue::Unicode(to.join("; "))));
    let mut attachments = Vec::new();
    for k in 0..r.range(spec.attachments) {
        let size = r.range(spec.attachment_size);
        let name = format!("file-{i}-{k}.bin");
        attachments.push(Attachment {
            props: bag(vec![
                (tags::ATTACH_METHOD, PropValue::I32(1)),
                (tags::ATTACH_LONG_FILENAME, PropValue::Unicode(name.clone())),
                (tags::ATTACH_FILENAME, PropValue::Unicode(format!("F{k}.BIN"))),
                (tags::ATTACH_EXTENSION, PropValue::Unicode(".bin".into())),
                (tags::ATTACH_MIME_TAG, PropValue::Unicode("application/octet-stream".into())),
                (tags::RENDERING_POSITION, PropValue::I32(-1)),
            ]),
            content: AttachContent::Bytes(r.bytes(size)),
        });
    }
    let mut m = Message { props: bag(props), recipients, attachments, ..Message::default() };
    if i & 3 == 0 {
        m.props.named.insert(NamedId::from(tags::name::KEYWORDS), PropValue::MvUnicode(vec!["Synthetic".into()]));
    }
    m
}

/// What [`write`] wrote.
#[derive(Debug)]
pub struct Written {
    /// Each folder's count, subjects and attachment sha256, as the
    /// oracles see a store ([`mailshift_testkit::oracle::compare`]).
    pub view: StoreView,
    /// Messages written.
    pub messages: usize,
    /// Attachments written, and their bytes.
    pub attachments: usize,
    /// Bytes of attachment data.
    pub attachment_bytes: u64,
}

/// Writes the store of `spec` through `w`, in the writer's call order
/// (begin, then each folder opened, written and closed, then finish).
pub fn write(spec: &Spec, w: &mut dyn StoreWriter) -> Result<Written> {
    let fs = folders();
    w.begin(&fs)?;
    let mut raw = RawView { ipm_subtree: Some(Vec::new()), ..RawView::default() };
    let (mut attachments, mut attachment_bytes) = (0, 0u64);
    for (k, f) in fs.iter().enumerate() {
        let mut rf = RawFolder { path: f.path.clone(), ..RawFolder::default() };
        if k > 0 {
            w.open_folder(f)?;
            for i in (0..spec.messages).filter(|i| folder_of(*i) == k) {
                let m = message(spec, i);
                rf.count += 1;
                rf.subjects.push(subject(spec, i));
                for a in &m.attachments {
                    if let AttachContent::Bytes(b) = &a.content {
                        rf.attachments.push(sha256_hex(b));
                        attachments += 1;
                        attachment_bytes += b.len() as u64;
                    }
                }
                let meta = ItemMeta { id: ItemId(k as u64, i as u64), size: None };
                let written = w.write(&Prepared::new(Item::Mapi(Box::new(m)), meta))?;
                assert!(written.lost.is_empty(), "message {i}: the writer lost {:?}", written.lost);
            }
            w.close_folder()?;
        }
        raw.folders.push(rf);
    }
    // Deleted Items: every PST has it (the writer makes it, empty here).
    raw.folders.push(RawFolder { path: vec!["Deleted Items".into()], ..RawFolder::default() });
    w.finish()?;
    Ok(Written { view: raw.normalize(Reader::Ours), messages: spec.messages, attachments, attachment_bytes })
}
