//! Every PidTagRtfCompressed (0x1009) value in the PST/OST fixtures,
//! decompressed ([MS-OXRTFCP]) and de-encapsulated ([MS-OXRTFEX]), checked
//! against the message's own PidTagHtml (0x1013) or PidTagBody (0x1000):
//! the first 40 non-whitespace characters of the latter must appear in
//! what was recovered (HTML compared by its text when only a body exists).

use std::collections::BTreeMap;

use mailshift_pst::rtf::{decapsulate, decompress, to_text, Encapsulated};
use mailshift_pst::{nid_with_type, tags, PropValue, Pst, NID_ROOT_FOLDER, NID_TYPE_CONTENTS_TABLE};

/// One message's bodies.
struct Bodies {
    at: String,
    rtf: Vec<u8>,
    html: Option<String>,
    body: Option<String>,
}

/// The first `n` non-whitespace characters of `s`.
fn head(s: &str, n: usize) -> String {
    s.chars().filter(|c| !c.is_whitespace()).take(n).collect()
}

/// `s` without whitespace (the comparison ignores how lines were broken).
fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The text of `html`: tags and comments dropped, `<style>` blocks too, a
/// few entities decoded. Crude, but enough to find the body's first words.
fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let lower = rest.get(..7).unwrap_or("").to_ascii_lowercase();
        let end = if rest.starts_with("<!--") {
            rest.find("-->").map(|e| e + 3)
        } else if lower.starts_with("<style") || lower.starts_with("<script") {
            let close = if lower.starts_with("<style") { "</style>" } else { "</script>" };
            rest.to_ascii_lowercase().find(close).map(|e| e + close.len())
        } else {
            rest.find('>').map(|e| e + 1)
        };
        match end {
            Some(e) => rest = &rest[e..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn decode_html(bytes: &[u8], cpid: Option<i64>) -> String {
    let enc = match cpid {
        Some(65001) | None => encoding_rs::UTF_8,
        Some(cp) => encoding_rs::Encoding::for_label(format!("windows-{cp}").as_bytes())
            .or_else(|| encoding_rs::Encoding::for_label(format!("cp{cp}").as_bytes()))
            .unwrap_or(encoding_rs::WINDOWS_1252),
    };
    let bytes = bytes.strip_suffix(&[0]).unwrap_or(bytes);
    enc.decode_without_bom_handling(bytes).0.into_owned()
}

/// Every message with an RTF body in `pst`, found through the contents
/// tables of every folder below the root.
fn messages(pst: &Pst, name: &str, out: &mut Vec<Bodies>) {
    let mut stack = vec![NID_ROOT_FOLDER];
    let mut seen = Vec::new();
    while let Some(folder) = stack.pop() {
        if seen.contains(&folder) || seen.len() > 2000 {
            continue;
        }
        seen.push(folder);
        if let Ok(Some(ht)) = pst.node(nid_with_type(folder, 0x0D)) {
            if let Ok(tc) = pst.table_context(&ht) {
                stack.extend((0..tc.row_count()).filter_map(|i| tc.row_id(i)));
            }
        }
        let Ok(Some(ct)) = pst.node(nid_with_type(folder, NID_TYPE_CONTENTS_TABLE)) else {
            continue;
        };
        let Ok(tc) = pst.table_context(&ct) else {
            continue;
        };
        for i in 0..tc.row_count() {
            let Some(nid) = tc.row_id(i) else { continue };
            let Ok(Some(msg)) = pst.node(nid) else {
                continue;
            };
            let pc = pst.property_context(&msg).unwrap_or_else(|e| panic!("{name}: message {nid:#x}: {e}"));
            let Some(rtf) = pc.get(tags::RTF_COMPRESSED).expect("0x1009 reads").and_then(PropValue::into_bytes) else {
                continue;
            };
            let cpid = pc.get(tags::INTERNET_CODEPAGE).ok().flatten().and_then(|v| v.as_i64());
            let html = match pc.get(tags::HTML).expect("0x1013 reads") {
                Some(v) => match v.as_bytes() {
                    Some(b) => Some(decode_html(b, cpid)),
                    None => v.as_text(),
                },
                None => None,
            };
            out.push(Bodies {
                at: format!("{name} message {nid:#x}"),
                rtf: rtf.into_owned(),
                html,
                body: pc.string(tags::BODY).expect("0x1000 reads"),
            });
        }
    }
}

#[test]
fn every_fixture_rtf_body() {
    let Some(files) = mailshift_testkit::fixture_files(&["pst", "ost"]) else {
        return;
    };
    let mut all = Vec::new();
    for f in &files {
        // Files every tool rejects (see tests/fixtures.rs) do not open.
        let Ok(pst) = Pst::open(f) else { continue };
        messages(&pst, &f.display().to_string(), &mut all);
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for m in &all {
        *counts.entry("rtf values").or_default() += 1;
        if m.rtf.get(8..12) == Some(b"MELA") {
            *counts.entry("stored (MELA)").or_default() += 1;
        }
        let rtf = match decompress(&m.rtf) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{}: {e}", m.at));
                continue;
            }
        };
        *counts.entry("decompressed").or_default() += 1;
        assert!(
            rtf.starts_with(b"{\\rtf"),
            "{}: decompressed RTF starts {:?}",
            m.at,
            String::from_utf8_lossy(&rtf[..rtf.len().min(20)])
        );
        match decapsulate(&rtf) {
            Some(Encapsulated::Html(h)) => {
                *counts.entry("html encapsulated").or_default() += 1;
                if let Some(orig) = m.html.as_deref().filter(|s| !squeeze(s).is_empty()) {
                    let want = head(orig, 40);
                    assert!(
                        squeeze(&h).contains(&want),
                        "{}: HTML does not contain {want:?}; got {:?}",
                        m.at,
                        head(&h, 200)
                    );
                    *counts.entry("html matched PidTagHtml").or_default() += 1;
                } else if let Some(orig) = m.body.as_deref().filter(|s| !squeeze(s).is_empty()) {
                    // Outlook's text rendering of HTML writes link targets
                    // as "<URL>"; drop those as the tags are dropped.
                    let want = head(&strip_tags(orig), 40);
                    let got = squeeze(&strip_tags(&h));
                    if orig.starts_with("This is an evaluation copy of Aspose") {
                        // Aspose's evaluation build put a banner in the
                        // body only.
                        *counts.entry("html vs body with Aspose banner").or_default() += 1;
                        continue;
                    }
                    assert!(
                        got.contains(&want),
                        "{}: HTML text {:?} does not contain the body's {want:?}",
                        m.at,
                        head(&got, 200)
                    );
                    *counts.entry("html text matched PidTagBody").or_default() += 1;
                } else {
                    *counts.entry("html without PidTagHtml or PidTagBody").or_default() += 1;
                }
            }
            Some(Encapsulated::Text(t)) => {
                *counts.entry("text encapsulated").or_default() += 1;
                if let Some(orig) = m.body.as_deref().filter(|s| !squeeze(s).is_empty()) {
                    let want = head(orig, 40);
                    assert!(
                        squeeze(&t).contains(&want),
                        "{}: text does not contain {want:?}; got {:?}",
                        m.at,
                        head(&t, 200)
                    );
                    *counts.entry("text matched PidTagBody").or_default() += 1;
                } else {
                    *counts.entry("text without PidTagBody").or_default() += 1;
                }
            }
            None => {
                *counts.entry("native rtf").or_default() += 1;
                let t = to_text(&rtf);
                if let Some(orig) = m.body.as_deref().filter(|s| !squeeze(s).is_empty()) {
                    let want = head(orig, 40);
                    assert!(
                        squeeze(&t).contains(&want),
                        "{}: to_text {:?} does not contain the body's {want:?}",
                        m.at,
                        head(&t, 200)
                    );
                    *counts.entry("native to_text matched PidTagBody").or_default() += 1;
                }
            }
        }
    }
    eprintln!("{counts:#?}");
    eprintln!("failures: {failures:#?}");
    assert!(failures.is_empty(), "{failures:#?}");
    // What the fixtures held when this was written (PidTagHtml never
    // accompanies an RTF body in them): guards against a silent regression
    // to "not encapsulated" or empty output.
    let n = |k: &str| counts.get(k).copied().unwrap_or(0);
    assert!(n("rtf values") >= 639, "{counts:?}");
    assert!(n("stored (MELA)") >= 55, "{counts:?}");
    assert!(n("html text matched PidTagBody") >= 161, "{counts:?}");
    assert!(n("text matched PidTagBody") >= 52, "{counts:?}");
    assert!(n("native to_text matched PidTagBody") >= 322, "{counts:?}");
}
