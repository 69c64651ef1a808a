//! EmlWriter and EmlReader against each other and against the file system.

use std::path::Path;

use mailshift_core::{
    convert, Flags, Folder, FolderId, FolderKind, FolderRole, Item, ItemId, ItemMeta, MailItem, NoProgress, Options,
    Prepared, StoreReader, StoreWriter,
};
use mailshift_eml::{EmlReader, EmlWriteOptions, EmlWriter};

fn folder(id: u64, path: &[&str]) -> Folder {
    Folder {
        id: FolderId(id),
        parent: None,
        path: path.iter().map(|s| s.to_string()).collect(),
        name: path.last().unwrap_or(&"").to_string(),
        kind: FolderKind::Mail,
        role: FolderRole::None,
    }
}

fn mail(raw: &[u8], received: Option<i64>) -> Prepared<'static> {
    let mut m = MailItem::new(raw.to_vec());
    m.received = received;
    Prepared::new(Item::Mail(m), ItemMeta { id: ItemId(0, 0), size: None })
}

/// Writes `item` and, when the writer takes it pending (fsync on: files
/// are made durable in batches), settles it at once.
fn write_now(w: &mut EmlWriter, item: &Prepared<'_>) -> mailshift_core::Written {
    let written = w.write(item).unwrap();
    if !written.pending {
        return written;
    }
    let mut settled = w.settled(true);
    assert_eq!(settled.len(), 1, "one message was pending");
    settled.pop().unwrap().1.unwrap()
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

const DATE: &str = "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n";

fn msg(subject: &str, body: &str) -> Vec<u8> {
    format!("From: a@example.org\r\nSubject: {subject}\r\n{DATE}\r\n{body}\r\n").into_bytes()
}

#[test]
fn hostile_names_stay_inside_and_collide_safely() {
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("out");
    let mut w = EmlWriter::create(&dst, EmlWriteOptions { fsync: true }).unwrap();
    let folders = [folder(0, &[]), folder(1, &["..", "..", "evil"]), folder(2, &["CON", "a/b\\c"])];
    w.begin(&folders).unwrap();

    w.open_folder(&folders[0]).unwrap();
    let long = "ü".repeat(300);
    let subjects = ["../../etc/passwd", "CON", &long, "", "nul\0byte", "\u{202e}fdp.exe", "same", "same", "same"];
    for s in subjects {
        let raw = msg(s, "x");
        let written = write_now(&mut w, &mail(&raw, Some(1_700_000_000)));
        assert!(!written.pending);
        assert_eq!(written.bytes, raw.len() as u64);
        assert!(written.lost.is_empty());
    }
    // Undated message without a subject header at all.
    w.write(&mail(b"From: b@example.org\n\nbody\n", None)).unwrap();
    w.close_folder().unwrap();

    w.open_folder(&folders[1]).unwrap();
    w.write(&mail(&msg("in evil", "1"), None)).unwrap();
    w.close_folder().unwrap();
    w.open_folder(&folders[2]).unwrap();
    w.write(&mail(&msg("in con", "2"), None)).unwrap();
    w.close_folder().unwrap();
    w.finish().unwrap();

    // Nothing was written outside the target.
    let outside: Vec<String> = files(tmp.path()).into_iter().filter(|f| !f.starts_with("out")).collect();
    assert!(outside.is_empty(), "{outside:?}");

    let got = files(&dst);
    let long_name = got.iter().find(|n| n.contains('ü')).expect("long subject file");
    assert!(long_name.len() < 120, "{long_name}");
    assert!(long_name.ends_with("ü.eml"), "cut on a character boundary: {long_name}");
    let want_prefix = "2023-11-14_221320_";
    let mut expected: Vec<String> = vec![
        "0000-00-00_000000_no_subject.eml".into(),
        format!("{want_prefix}_._.._etc_passwd.eml"),
        format!("{want_prefix}_CON.eml"),
        format!("{want_prefix}no_subject.eml"),
        format!("{want_prefix}nul_byte.eml"),
        format!("{want_prefix}_fdp.exe.eml"),
        format!("{want_prefix}same.eml"),
        format!("{want_prefix}same_2.eml"),
        format!("{want_prefix}same_3.eml"),
        long_name.clone(),
        format!("__/__/evil/{want_prefix}in evil.eml"),
        format!("_CON/a_b_c/{want_prefix}in con.eml"),
        // Each directory named otherwise than its folder records the name.
        "__/.mailshift-folder".into(),
        "__/__/.mailshift-folder".into(),
        "_CON/.mailshift-folder".into(),
        "_CON/a_b_c/.mailshift-folder".into(),
    ];
    expected.sort();
    assert_eq!(got, expected);
    assert_eq!(std::fs::read(dst.join("__/__/.mailshift-folder")).unwrap(), b"..");
    assert_eq!(std::fs::read(dst.join("_CON/a_b_c/.mailshift-folder")).unwrap(), b"a/b\\c");
    // The three "same" files hold the three messages, in write order.
    for n in ["same.eml", "same_2.eml", "same_3.eml"] {
        assert_eq!(std::fs::read(dst.join(format!("{want_prefix}{n}"))).unwrap(), msg("same", "x"));
    }
    // No temporary file is left.
    assert!(!got.iter().any(|f| f.contains(".tmp")), "{got:?}");
}

#[test]
fn existing_files_are_never_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let name = "2023-11-14_221320_hello.eml";
    std::fs::write(tmp.path().join(name), b"keep me").unwrap();
    let mut w = EmlWriter::create(tmp.path(), EmlWriteOptions::default()).unwrap();
    let root = folder(0, &[]);
    w.begin(std::slice::from_ref(&root)).unwrap();
    w.open_folder(&root).unwrap();
    w.write(&mail(&msg("hello", "new"), None)).unwrap();
    w.finish().unwrap();
    assert_eq!(std::fs::read(tmp.path().join(name)).unwrap(), b"keep me");
    assert_eq!(std::fs::read(tmp.path().join("2023-11-14_221320_hello_2.eml")).unwrap(), msg("hello", "new"));
}

#[test]
fn flags_and_keywords_are_not_kept_by_eml() {
    let tmp = tempfile::tempdir().unwrap();
    let mut w = EmlWriter::create(tmp.path(), EmlWriteOptions::default()).unwrap();
    let root = folder(0, &[]);
    w.begin(std::slice::from_ref(&root)).unwrap();
    w.open_folder(&root).unwrap();
    let mut m = MailItem::new(msg("f", "x"));
    m.flags = Flags::SEEN | Flags::FLAGGED;
    m.keywords = vec!["Work".into(), "$Label1".into()];
    let written = w.write(&Prepared::new(Item::Mail(m), ItemMeta { id: ItemId(0, 0), size: None })).unwrap();
    // What EML cannot hold by design is "not kept", not a loss (exit 0).
    assert!(written.lost.is_empty());
    assert_eq!(
        written.not_kept,
        vec![
            "flag \\Seen (EML has no flags)".to_string(),
            "flag \\Flagged (EML has no flags)".to_string(),
            "keywords (EML has no keywords)".to_string()
        ]
    );
}

#[test]
fn write_then_read_keeps_folders_bytes_and_times() {
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("eml");
    let folders = [folder(0, &[]), folder(1, &["Archiv"]), folder(2, &["Archiv", "2019"]), folder(3, &["Entwürfe"])];
    let contents: Vec<(usize, Vec<u8>, i64)> = vec![
        (0, msg("eins", "body one"), 1_000_000_000),
        (0, b"Subject: lf only\nMessage-ID: <x@y>\n\n\xff\xfe 8-bit body\nFrom me\n".to_vec(), 1_100_000_000),
        (1, msg("zwei", "two"), 1_200_000_000),
        (2, msg("drei", "three"), 1_300_000_000),
        (3, b"Subject: header only\r\n".to_vec(), 1_400_000_000),
    ];
    let mut w = EmlWriter::create(&dst, EmlWriteOptions::default()).unwrap();
    w.begin(&folders).unwrap();
    for (fi, f) in folders.iter().enumerate() {
        w.open_folder(f).unwrap();
        for (_, raw, t) in contents.iter().filter(|c| c.0 == fi) {
            w.write(&mail(raw, Some(*t))).unwrap();
        }
        w.close_folder().unwrap();
    }
    w.finish().unwrap();

    assert!(EmlReader::probe(&dst));
    let r = EmlReader::open(&dst).unwrap();
    let got_folders = r.folders().unwrap();
    let paths: Vec<String> = got_folders.iter().map(|f| f.display_path()).collect();
    assert_eq!(paths, ["", "Archiv", "Archiv/2019", "Entwürfe"]);
    assert_eq!(got_folders[2].parent, Some(got_folders[1].id));
    for (fi, f) in got_folders.iter().enumerate() {
        let items = r.items(f.id).unwrap();
        let want: Vec<&(usize, Vec<u8>, i64)> = contents.iter().filter(|c| c.0 == fi).collect();
        assert_eq!(items.len(), want.len(), "folder {}", f.display_path());
        // Files are sorted by name (date first), not by write order: match
        // each read message with the one written.
        for meta in &items {
            let Item::Mail(m) = r.read(meta.id).unwrap() else { panic!("not mail") };
            let (_, raw, t) =
                want.iter().find(|c| c.1.as_slice() == &*m.raw).expect("a written message, byte for byte");
            assert_eq!(meta.size, Some(raw.len() as u64));
            assert_eq!(m.received, Some(*t));
        }
    }
    assert!(r.problems().is_empty());

    // And convert() from the tree into a second tree gives the same files.
    let dst2 = tmp.path().join("eml2");
    let mut w2 = EmlWriter::create(&dst2, EmlWriteOptions::default()).unwrap();
    let report = convert(&r, &mut w2, None, &Options::default(), &NoProgress).unwrap();
    assert_eq!(report.total.copied, 5);
    assert_eq!(files(&dst), files(&dst2));
    for f in files(&dst) {
        assert_eq!(std::fs::read(dst.join(&f)).unwrap(), std::fs::read(dst2.join(&f)).unwrap());
    }
}

#[test]
fn single_file_and_probe() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("one.eml");
    let raw = msg("single", "hello");
    std::fs::write(&p, &raw).unwrap();
    assert!(EmlReader::probe(&p));
    let r = EmlReader::open(&p).unwrap();
    let fs = r.folders().unwrap();
    assert_eq!(fs.len(), 1);
    assert!(fs[0].is_root());
    let items = r.items(fs[0].id).unwrap();
    assert_eq!(items.len(), 1);
    let Item::Mail(m) = r.read(items[0].id).unwrap() else { panic!() };
    assert_eq!(&*m.raw, raw.as_slice());
    assert!(r.read(ItemId(0, 5)).is_err());
    assert!(r.read(ItemId(9, 0)).is_err());

    let mbox = tmp.path().join("x.mbox");
    std::fs::write(&mbox, b"From a@b Thu Jan  1 00:00:00 1970\nSubject: x\n\nbody\n").unwrap();
    assert!(!EmlReader::probe(&mbox));
    let text = tmp.path().join("notes.txt");
    std::fs::write(&text, b"just some words\nnot a header\n").unwrap();
    assert!(!EmlReader::probe(&text));
    let empty = tmp.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    assert!(!EmlReader::probe(&empty));

    // A Maildir is not EML even if it holds .eml files.
    let md = tmp.path().join("md");
    for d in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(md.join(d)).unwrap();
    }
    std::fs::write(md.join("cur/a.eml"), &raw).unwrap();
    assert!(!EmlReader::probe(&md));
    // A directory of mostly other files is not EML.
    let other = tmp.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("a.eml"), &raw).unwrap();
    std::fs::write(other.join("b.txt"), b"x").unwrap();
    std::fs::write(other.join("c.txt"), b"x").unwrap();
    assert!(!EmlReader::probe(&other));
}

#[test]
fn reader_skips_hidden_and_non_eml_files() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("Sub")).unwrap();
    std::fs::create_dir_all(tmp.path().join(".hidden")).unwrap();
    std::fs::write(tmp.path().join("b.EML"), msg("b", "b")).unwrap();
    std::fs::write(tmp.path().join("a.eml"), msg("a", "a")).unwrap();
    std::fs::write(tmp.path().join(".tmp-mailshift-1-1.eml"), b"partial").unwrap();
    std::fs::write(tmp.path().join(".mailshift-4999999-1.tmp"), b"partial").unwrap();
    std::fs::write(tmp.path().join(".mailshift-4999999-2.eml"), b"partial").unwrap();
    std::fs::write(tmp.path().join("readme.txt"), b"x").unwrap();
    std::fs::write(tmp.path().join(".hidden/c.eml"), msg("c", "c")).unwrap();
    std::fs::write(tmp.path().join("Sub/d.eml"), msg("d", "d")).unwrap();
    let r = EmlReader::open(tmp.path()).unwrap();
    let fs = r.folders().unwrap();
    assert_eq!(fs.iter().map(|f| f.display_path()).collect::<Vec<_>>(), ["", "Sub"]);
    let root: Vec<String> = r.items(fs[0].id).unwrap().iter().map(|m| r.describe(m.id)).collect();
    assert_eq!(root, ["a.eml", "b.EML"]);
    let sub: Vec<String> = r.items(fs[1].id).unwrap().iter().map(|m| r.describe(m.id)).collect();
    assert_eq!(sub, [Path::new("Sub").join("d.eml").display().to_string()]);
}

/// Writes one message per folder (its subject the folder's path) with a
/// fresh writer into `dst`, announcing `folders` in the order given.
fn write_folders(dst: &Path, folders: &[Folder]) -> Vec<String> {
    let mut w = EmlWriter::create(dst, EmlWriteOptions::default()).unwrap();
    w.begin(folders).unwrap();
    for f in folders {
        w.open_folder(f).unwrap();
        w.write(&mail(&msg(&f.display_path(), "x"), None)).unwrap();
        w.close_folder().unwrap();
    }
    w.finish().unwrap();
    w.notes()
}

/// Folder path -> the subjects of the messages the reader finds there.
fn read_back(dst: &Path) -> Vec<(String, Vec<String>)> {
    let r = EmlReader::open(dst).unwrap();
    r.folders()
        .unwrap()
        .iter()
        .map(|f| {
            let subjects = r
                .items(f.id)
                .unwrap()
                .iter()
                .map(|m| {
                    let Item::Mail(mail) = r.read(m.id).unwrap() else { panic!() };
                    let p = Prepared::new(Item::Mail(mail), *m);
                    p.info.subject.clone().unwrap_or_default()
                })
                .collect();
            (f.display_path(), subjects)
        })
        .collect()
}

#[test]
fn colliding_folder_names_get_numbered_directories_whatever_their_order() {
    let tmp = tempfile::tempdir().unwrap();
    let names = [&["a:b"][..], &["a?b"], &["a_b"], &["a?b", "c*d"], &["a?b", "c|d"]];
    let forward: Vec<Folder> = names.iter().enumerate().map(|(i, p)| folder(i as u64 + 1, p)).collect();
    let mut backward = forward.clone();
    backward.reverse();
    for (run, folders) in [("fwd", &forward), ("bwd", &backward)] {
        let dst = tmp.path().join(run);
        let notes = write_folders(&dst, folders);
        let mut dirs: Vec<String> = files(&dst).into_iter().filter(|f| f.ends_with(".eml")).collect();
        dirs.iter_mut().for_each(|f| *f = f.rsplit_once('/').unwrap().0.to_string());
        dirs.sort();
        assert_eq!(dirs, ["a_b", "a_b (2)", "a_b (3)", "a_b (3)/c_d", "a_b (3)/c_d (2)"], "{run}");
        assert_eq!(
            read_back(&dst),
            [
                ("".to_string(), vec![]),
                ("a:b".to_string(), vec!["a:b".to_string()]),
                ("a?b".to_string(), vec!["a?b".to_string()]),
                ("a?b/c*d".to_string(), vec!["a?b/c*d".to_string()]),
                ("a?b/c|d".to_string(), vec!["a?b/c|d".to_string()]),
                ("a_b".to_string(), vec!["a_b".to_string()]),
            ],
            "{run}"
        );
        let mut notes = notes;
        notes.sort();
        assert_eq!(
            notes,
            [
                "folder a:b written as a_b (2)",
                "folder a?b written as a_b (3)",
                "folder a?b/c*d written as a_b (3)/c_d",
                "folder a?b/c|d written as a_b (3)/c_d (2)",
            ],
            "{run}"
        );
    }
}

#[test]
fn a_later_run_finds_each_folder_its_own_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("out");
    // First only a?b (a filtered run, say): it gets the plain name.
    assert_eq!(write_folders(&dst, &[folder(1, &["a?b"])]), ["folder a?b written as a_b"]);
    // Then all three, in a writer that announces only two of them: a?b goes
    // back to its directory, a_b does not move in with it.
    let mut w = EmlWriter::create(&dst, EmlWriteOptions::default()).unwrap();
    let (ab, colon, under) = (folder(1, &["a?b"]), folder(2, &["a:b"]), folder(3, &["a_b"]));
    w.begin(&[under.clone(), colon.clone()]).unwrap();
    for f in [&colon, &ab, &under] {
        w.open_folder(f).unwrap();
        w.write(&mail(&msg(&format!("{} again", f.display_path()), "x"), None)).unwrap();
        w.close_folder().unwrap();
    }
    w.finish().unwrap();
    assert_eq!(w.folder_dir(&ab), Some(dst.join("a_b")));
    assert_eq!(w.folder_dir(&colon), Some(dst.join("a_b (2)")));
    assert_eq!(w.folder_dir(&under), Some(dst.join("a_b (3)")));
    assert_eq!(
        w.notes(),
        ["folder a:b written as a_b (2)", "folder a?b written as a_b", "folder a_b written as a_b (3)"]
    );
    let got = read_back(&dst);
    let find = |p: &str| {
        let mut s = got.iter().find(|(f, _)| f == p).unwrap().1.clone();
        s.sort();
        s
    };
    assert_eq!(find("a?b"), ["a?b", "a?b again"]);
    assert_eq!(find("a_b"), ["a_b again"]);
    assert_eq!(find("a:b"), ["a:b again"]);

    // A directory renamed by hand is known by its new name; its old record
    // no longer applies.
    std::fs::rename(dst.join("a_b (2)"), dst.join("Work")).unwrap();
    let got = read_back(&dst);
    assert!(got.iter().any(|(f, s)| f == "Work" && s == &["a:b again"]), "{got:?}");
}

#[test]
fn stale_temporary_files_are_swept_and_noted() {
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("out");
    std::fs::create_dir_all(dst.join("Sub")).unwrap();
    let dead = ".mailshift-4999999-x.tmp";
    let live = format!(".mailshift-{}-x.tmp", std::process::id());
    for d in [dst.clone(), dst.join("Sub")] {
        std::fs::write(d.join(dead), b"half").unwrap();
        std::fs::write(d.join(&live), b"ours, running").unwrap();
    }
    let folders = [folder(0, &[]), folder(1, &["Sub"])];
    let mut w = EmlWriter::create(&dst, EmlWriteOptions::default()).unwrap();
    w.begin(&folders).unwrap();
    for f in &folders {
        w.open_folder(f).unwrap();
        w.write(&mail(&msg(&f.display_path(), "x"), None)).unwrap();
        w.close_folder().unwrap();
    }
    w.finish().unwrap();
    assert!(w.notes().is_empty(), "{:?}", w.notes());
    // The converter turns these into one note of the report.
    assert_eq!(w.swept(), [dst.join(dead), dst.join("Sub").join(dead)]);
    for d in [dst.clone(), dst.join("Sub")] {
        assert!(!d.join(dead).exists() && d.join(&live).exists());
    }
    // Only the messages are left besides: no temporary file of this run.
    let left: Vec<String> = files(&dst).into_iter().filter(|f| !f.ends_with(&live)).collect();
    assert_eq!(left, ["2023-11-14_221320_no_subject.eml", "Sub/2023-11-14_221320_Sub.eml"]);
}

/// With fsync, messages are taken pending and made durable in batches:
/// each is settled once, with its own size, and the names are given in
/// the order written (the same subject: `same`, `same_2`, `same_3`).
#[test]
fn fsync_batches_settle_each_message_named_in_write_order() {
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("out");
    let mut w = EmlWriter::create(&dst, EmlWriteOptions { fsync: true }).unwrap();
    let folders = [folder(0, &[])];
    w.begin(&folders).unwrap();
    w.open_folder(&folders[0]).unwrap();
    let n = mailshift_core::fsio::SYNC_BATCH_FILES + 3;
    let mut sizes = Vec::new();
    let mut settled = Vec::new();
    for i in 0..n {
        let raw = msg("same", &"b".repeat(i));
        sizes.push(raw.len() as u64);
        let mut item = mail(&raw, Some(1_700_000_000));
        item.meta.id = ItemId(0, i as u64);
        assert!(w.write(&item).unwrap().pending);
        settled.extend(w.settled(false));
    }
    // One full batch was made durable and named while writing.
    assert_eq!(settled.len(), mailshift_core::fsio::SYNC_BATCH_FILES);
    settled.extend(w.settled(true));
    w.close_folder().unwrap();
    w.finish().unwrap();
    assert_eq!(settled.len(), n);
    for (i, (id, result)) in settled.into_iter().enumerate() {
        assert_eq!(id, ItemId(0, i as u64));
        assert_eq!(result.unwrap().bytes, sizes[i]);
    }
    let got = files(&dst);
    assert_eq!(got.len(), n, "no temporary file left");
    for i in [0usize, 1, 2, n - 1] {
        let name = if i == 0 { "same.eml".to_string() } else { format!("same_{}.eml", i + 1) };
        let body = std::fs::read(dst.join(format!("2023-11-14_221320_{name}"))).unwrap();
        assert_eq!(body, msg("same", &"b".repeat(i)), "{name}");
    }
}

/// With --dedup and fsync (files taken pending until their batch is
/// durable), a message's second copy in the same batch is skipped as a
/// duplicate, not written beside the first.
#[test]
fn dedup_with_fsync_writes_each_message_once() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let mut w = EmlWriter::create(&src, EmlWriteOptions { fsync: false }).unwrap();
    let folders = [folder(0, &[])];
    w.begin(&folders).unwrap();
    w.open_folder(&folders[0]).unwrap();
    // m0..m5, each twice (the same Message-ID and bytes).
    for i in (0..6).chain(0..6) {
        let raw = format!("Message-ID: <m{i}@example.org>\r\n").into_bytes();
        let raw = [raw, msg(&format!("m{i}"), "body")].concat();
        w.write(&mail(&raw, Some(1_700_000_000))).unwrap();
    }
    w.close_folder().unwrap();
    w.finish().unwrap();

    let r = EmlReader::open(&src).unwrap();
    let dst = tmp.path().join("dst");
    let mut w2 = EmlWriter::create(&dst, EmlWriteOptions { fsync: true }).unwrap();
    let opts = Options { dedup: true, ..Options::default() };
    let report = convert(&r, &mut w2, None, &opts, &NoProgress).unwrap();
    assert_eq!((report.total.copied, report.total.skipped_duplicate), (6, 6));
    let mut subjects: Vec<String> = files(&dst)
        .iter()
        .map(|f| {
            let body = String::from_utf8(std::fs::read(dst.join(f)).unwrap()).unwrap();
            body.lines().find(|l| l.starts_with("Subject: ")).unwrap().to_string()
        })
        .collect();
    subjects.sort();
    assert_eq!(subjects, (0..6).map(|i| format!("Subject: m{i}")).collect::<Vec<_>>());
}
