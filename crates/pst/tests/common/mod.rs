//! The folder walk shared by the fixture and robustness tests: message
//! store name, then the hierarchy tables from the root folder down,
//! counting each folder's contents-table rows.
#![allow(dead_code)]

use mailshift_pst::{
    nid_with_type, tags, Pst, NID_MESSAGE_STORE, NID_ROOT_FOLDER, NID_TYPE_CONTENTS_TABLE, NID_TYPE_HIERARCHY_TABLE,
};

/// What a walk found.
#[derive(Debug, Default)]
pub struct Walk {
    /// tags::DISPLAY_NAME of the message store (NID 0x21).
    pub store_name: Option<String>,
    /// Every folder below the root: (path of display names joined by '/',
    /// contents-table row count or None if it could not be read).
    pub folders: Vec<(String, Option<usize>)>,
    /// Errors met on the way (one per folder or table that failed).
    pub errors: Vec<String>,
}

/// Walks `pst`: never panics on bad data; the first error that leaves
/// nothing to walk is returned, later ones are collected.
pub fn walk(pst: &Pst) -> mailshift_core::Result<Walk> {
    let mut w = Walk::default();
    let store = pst.node(NID_MESSAGE_STORE)?;
    match store {
        Some(n) => match pst.property_context(&n).and_then(|pc| pc.string(tags::DISPLAY_NAME)) {
            Ok(name) => w.store_name = name,
            Err(e) => w.errors.push(format!("store: {e}")),
        },
        None => w.errors.push("no message store node".into()),
    }
    let mut visited = vec![NID_ROOT_FOLDER];
    folder(pst, NID_ROOT_FOLDER, "", 0, &mut visited, &mut w);
    Ok(w)
}

fn folder(pst: &Pst, nid: u32, path: &str, depth: usize, visited: &mut Vec<u32>, w: &mut Walk) {
    if depth > 64 {
        w.errors.push(format!("{path}: folder tree deeper than 64"));
        return;
    }
    let ht = match pst.node(nid_with_type(nid, NID_TYPE_HIERARCHY_TABLE)) {
        Ok(Some(n)) => n,
        Ok(None) => return,
        Err(e) => {
            w.errors.push(format!("{path}: hierarchy table node: {e}"));
            return;
        }
    };
    let tc = match pst.table_context(&ht) {
        Ok(tc) => tc,
        Err(e) => {
            w.errors.push(format!("{path}: hierarchy table: {e}"));
            return;
        }
    };
    for i in 0..tc.row_count() {
        let Some(child) = tc.row_id(i) else { continue };
        // The hierarchy row may leave tags::DISPLAY_NAME out (its cell
        // existence bit clear); the folder's own property context has it.
        let from_row = match tc.get(i, tags::DISPLAY_NAME) {
            Ok(v) => v.and_then(|v| v.as_text()),
            Err(e) => {
                w.errors.push(format!("{path}: row {i} name: {e}"));
                None
            }
        };
        let name = match from_row {
            Some(n) => n,
            None => match pst.node(child).and_then(|n| match n {
                Some(n) => pst.property_context(&n).and_then(|pc| pc.string(tags::DISPLAY_NAME)),
                None => Ok(None),
            }) {
                Ok(n) => n.unwrap_or_default(),
                Err(e) => {
                    w.errors.push(format!("{path}: folder {child:#x} name: {e}"));
                    String::new()
                }
            },
        };
        let child_path = if path.is_empty() { name } else { format!("{path}/{name}") };
        let count = match pst.node(nid_with_type(child, NID_TYPE_CONTENTS_TABLE)) {
            Ok(Some(n)) => match pst.table_context(&n) {
                Ok(ct) => Some(ct.row_count()),
                Err(e) => {
                    w.errors.push(format!("{child_path}: contents table: {e}"));
                    None
                }
            },
            Ok(None) => Some(0),
            Err(e) => {
                w.errors.push(format!("{child_path}: contents table node: {e}"));
                None
            }
        };
        w.folders.push((child_path.clone(), count));
        if visited.contains(&child) {
            w.errors.push(format!("{child_path}: folder {child:#x} listed twice"));
            continue;
        }
        visited.push(child);
        folder(pst, child, &child_path, depth + 1, visited, w);
    }
}
