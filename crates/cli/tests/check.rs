//! `mailshift check`: the table and exit 0 on a sound store, exit 1 and the
//! rule named on a damaged copy, exit 2 on a file that is no store, and the
//! `--json` object.

mod common;

use common::*;

const GOOD: &str = "apache__tika/testPST.tika-test-resources.pst";

fn good() -> Option<std::path::PathBuf> {
    let dir = mailshift_testkit::fixtures_dir()?;
    Some(dir.join(GOOD))
}

#[test]
fn a_sound_store_prints_the_table_and_exits_0() {
    let Some(src) = good() else { return };
    let (code, out, err) = mailshift(&[&"check", &src]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with(&format!("{}: PST Unicode (wVer 23)", src.display())), "{out}");
    for area in ["HEADER", "BTPAGE", "BLOCK", "REFERENCE", "AMAP", "HN", "PC", "TC", "FOLDER", "MESSAGE"] {
        assert!(out.lines().any(|l| l.starts_with(area)), "no {area} row in\n{out}");
    }
    assert!(out.trim_end().ends_with("clean: no problem found"), "{out}");
}

#[test]
fn a_damaged_copy_exits_1_and_names_the_rule() {
    let Some(src) = good() else { return };
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.pst");
    let mut bytes = std::fs::read(&src).unwrap();
    // dwCRCPartial no longer matches the header.
    bytes[4] ^= 0x5A;
    std::fs::write(&bad, &bytes).unwrap();
    let (code, out, err) = mailshift(&[&"check", &bad]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("header.crc_partial (error, 1x)"), "{out}");
    assert!(out.contains("at 0x4: dwCRCPartial is"), "{out}");
    assert!(out.trim_end().ends_with("1 problem(s) in 1 rule(s)"), "{out}");

    let (code, json, _) = mailshift(&[&"check", &"--json", &bad]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&json).expect("one JSON object");
    let p = &v["problems"][0];
    assert_eq!(
        (p["rule"].as_str(), p["severity"].as_str(), p["structure"].as_str()),
        (Some("header.crc_partial"), Some("error"), Some("HEADER"))
    );
    assert_eq!(p["offset"].as_u64(), Some(4));
    assert_eq!(v["summary"]["rules"]["header.crc_partial"].as_u64(), Some(1));
    assert_eq!(v["summary"]["exit_code"].as_u64(), Some(1));
}

#[test]
fn json_of_a_sound_store() {
    let Some(src) = good() else { return };
    let (code, json, err) = mailshift(&[&"check", &"--json", &src]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).expect("one JSON object");
    assert_eq!(v["file"].as_str(), Some(src.to_str().unwrap()));
    assert_eq!(v["format"].as_str(), Some("PST Unicode (wVer 23)"));
    assert_eq!(v["problems"].as_array().map(Vec::len), Some(0));
    assert_eq!(v["summary"]["verdict"].as_str(), Some("clean"));
    let checks = v["checks"].as_array().expect("checks");
    let blocks = checks.iter().find(|c| c["structure"] == "BLOCK").expect("BLOCK");
    assert_eq!(blocks["checked"].as_u64(), Some(94), "{blocks}");
    assert_eq!(blocks["problems"].as_u64(), Some(0));
}

#[test]
fn a_file_that_is_no_store_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let not = dir.path().join("mail.pst");
    std::fs::write(&not, "From a@example.com Mon Jan  1 00:00:00 2024\nSubject: hi\n\nbody\n").unwrap();
    let (code, out, err) = mailshift(&[&"check", &not]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("not a PST or OST"), "{out}");
    assert!(out.contains("header.magic"), "{out}");
    let (code, json, _) = mailshift(&[&"check", &"--json", &not]);
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(v["summary"]["verdict"].as_str(), Some("not a store"));
    assert!(v["format"].is_null());
    let (code, _, _) = mailshift(&[&"check", &dir.path().join("missing.pst")]);
    assert_eq!(code, 2);
}

#[test]
fn names_from_the_file_are_escaped_for_the_terminal() {
    let Some(src) = good() else { return };
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("odd\x1b[31mname.pst");
    std::fs::copy(&src, &odd).unwrap();
    let (code, out, _) = mailshift(&[&"check", &odd]);
    assert_eq!(code, 0);
    assert!(!out.contains('\x1b'), "an escape reached the terminal: {out:?}");
    let (_, json, _) = mailshift(&[&"check", &"--json", &odd]);
    assert!(!json.contains("\\u001b"), "{json}");
}
