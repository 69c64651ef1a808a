//! The folder tree (MS-PST 2.4.4): hierarchy tables from the root folder
//! down, cut to the IPM subtree.

use std::collections::{HashMap, HashSet};

use mailshift_core::{FolderKind, FolderRole, Result};

use super::{folder_entry_ids, Special, Store, NID_TYPE_SEARCH_FOLDER};
use crate::tags;
use crate::{nid_with_type, NID_ROOT_FOLDER, NID_TYPE_CONTENTS_TABLE, NID_TYPE_HIERARCHY_TABLE};

/// Folders nested deeper than this are not walked (a note says so).
pub const MAX_FOLDER_DEPTH: usize = 64;

/// The names Outlook gives the IPM subtree in PSTs, for stores whose
/// `PidTagIpmSubtreeEntryId` is missing or names no folder of the tree.
const IPM_SUBTREE_NAMES: [&str; 3] =
    ["Top of Personal Folders", "Top of Outlook data file", "Top of Information Store"];

/// The IPM subtree's name in OSTs, under "Root - Mailbox": their entry ids
/// are Exchange folder entry ids ([MS-OXCDATA] 2.2.4.1), which hold no NID.
const OST_IPM_SUBTREE: &str = "IPM_SUBTREE";

/// One folder as the walk found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderInfo {
    /// The folder's NID.
    pub nid: u32,
    /// The parent folder's NID (the IPM subtree's own for top-level folders).
    pub parent: Option<u32>,
    /// Display names from the IPM subtree down (empty for the subtree
    /// itself); for folders outside the subtree, from the root folder down.
    pub path: Vec<String>,
    /// `PidTagDisplayName`.
    pub name: String,
    /// `PidTagContainerClass`, if set.
    pub container_class: Option<String>,
    /// Kind from the container class.
    pub kind: FolderKind,
    /// Role from the special-folder entry ids, else from the name.
    pub role: FolderRole,
    /// Rows of the contents table (0 when the folder has none).
    pub content_count: usize,
    /// True for a folder under the IPM subtree (what is exported).
    pub in_ipm_subtree: bool,
}

/// What [`Store::folders`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FolderTree {
    /// The IPM subtree's NID (the root of what is exported).
    pub ipm_subtree: u32,
    /// Every folder reached from the root folder, parents before children:
    /// the IPM subtree's (`in_ipm_subtree`) and the others, for recovery.
    pub all: Vec<FolderInfo>,
    /// Search folders skipped, unreadable tables, cycles, depth cut-offs.
    pub notes: Vec<String>,
}

impl FolderTree {
    /// The folders under the IPM subtree, parents before children (the
    /// subtree itself is not among them).
    pub fn visible(&self) -> impl Iterator<Item = &FolderInfo> {
        self.all.iter().filter(|f| f.in_ipm_subtree && f.nid != self.ipm_subtree)
    }

    /// The folder `nid`, if the walk reached it.
    pub fn get(&self, nid: u32) -> Option<&FolderInfo> {
        self.all.iter().find(|f| f.nid == nid)
    }
}

/// Kind from `PidTagContainerClass` ([MS-OXOSFLD] 2.2.7): IPF.Note or none
/// is mail; subclasses (IPF.Contact.MOC.QuickContacts ...) follow their base.
pub fn kind_of(container_class: Option<&str>) -> FolderKind {
    let base = |p: &str| crate::mapi::class_is(container_class.unwrap_or(""), p);
    if base("ipf.contact") {
        FolderKind::Contacts
    } else if base("ipf.appointment") {
        FolderKind::Calendar
    } else if base("ipf.task") {
        FolderKind::Tasks
    } else if base("ipf.stickynote") {
        FolderKind::Notes
    } else if base("ipf.journal") {
        FolderKind::Journal
    } else {
        FolderKind::Mail
    }
}

struct Raw {
    nid: u32,
    parent: u32,
    name: String,
    class: Option<String>,
    count: usize,
}

impl Store {
    /// Walks the folder tree from the root folder (NID 0x122): every
    /// folder, with the IPM subtree's marked. Unreadable parts are notes,
    /// not errors; an error means not even the root could be read.
    pub fn folders(&self) -> Result<FolderTree> {
        let pst = self.pst();
        let mut notes = Vec::new();
        let mut raw: Vec<Raw> = Vec::new();
        let mut visited: HashSet<u32> = HashSet::from([NID_ROOT_FOLDER]);
        // Iterative depth-first walk: (folder, depth).
        let mut stack = vec![(NID_ROOT_FOLDER, 0usize)];
        let mut order: Vec<u32> = Vec::new();
        while let Some((nid, depth)) = stack.pop() {
            order.push(nid);
            if depth >= MAX_FOLDER_DEPTH {
                notes.push(format!(
                    "folder {nid:#x}: nested deeper than {MAX_FOLDER_DEPTH}; its subfolders are not read"
                ));
                continue;
            }
            // (child, name and container class from the row, if any).
            // (and whether it was found by its parent link instead).
            let mut rows: Vec<(u32, Option<String>, Option<String>, bool)> = Vec::new();
            let table = match pst.node(nid_with_type(nid, NID_TYPE_HIERARCHY_TABLE)) {
                Ok(Some(n)) => pst.table_context(&n).map(Some),
                Ok(None) => Ok(None),
                Err(e) => Err(e),
            };
            match table {
                Ok(Some(tc)) => {
                    for i in 0..tc.row_count() {
                        let Some(child) = tc.row_id(i) else { continue };
                        let text = |id: u16| tc.get(i, id).ok().flatten().and_then(|v| v.as_text());
                        rows.push((child, text(tags::DISPLAY_NAME), text(tags::CONTAINER_CLASS), false));
                    }
                }
                Ok(None) => {
                    // No table where the B-trees are damaged: perhaps its
                    // entry is lost; the subfolders by their parent links.
                    if pst.is_salvaged() {
                        let linked = pst.children(nid).into_iter().map(|n| n.nid).filter(|n| {
                            n & 0x1F == super::NID_TYPE_NORMAL_FOLDER || n & 0x1F == NID_TYPE_SEARCH_FOLDER
                        });
                        let linked: Vec<u32> = linked.collect();
                        if !linked.is_empty() {
                            notes.push(format!(
                                "folder {nid:#x}: no hierarchy table node; {} subfolders found by their parent links",
                                linked.len()
                            ));
                        }
                        rows.extend(linked.into_iter().map(|c| (c, None, None, true)));
                    }
                }
                Err(e) => {
                    // Read past: the subfolders by their NBT parent links.
                    let linked: Vec<u32> = pst
                        .children(nid)
                        .iter()
                        .map(|n| n.nid)
                        .filter(|n| matches!(n & 0x1F, super::NID_TYPE_NORMAL_FOLDER | NID_TYPE_SEARCH_FOLDER))
                        .collect();
                    if linked.is_empty() && nid == NID_ROOT_FOLDER {
                        return Err(e);
                    }
                    notes.push(format!(
                        "folder {nid:#x}: hierarchy table: {e}; {} subfolders found by their parent links",
                        linked.len()
                    ));
                    rows.extend(linked.into_iter().map(|c| (c, None, None, true)));
                }
            }
            let mut children = Vec::new();
            for (child, mut name, mut class, linked) in rows {
                // A subfolder found by its parent link has no row: a name
                // its own node cannot give is made from its NID.
                if name.is_none() || class.is_none() {
                    // The row may leave cells out; the folder's PC has them.
                    if let Ok(Some(n)) = pst.node(child) {
                        if let Ok(pc) = pst.property_context(&n) {
                            name = name.or_else(|| pc.string(tags::DISPLAY_NAME).ok().flatten());
                            class = class.or_else(|| pc.string(tags::CONTAINER_CLASS).ok().flatten());
                        }
                    }
                }
                let name = match name {
                    Some(n) => n,
                    None if linked => format!("folder {child:#x}"),
                    None => String::new(),
                };
                if !visited.insert(child) {
                    notes.push(format!("folder {child:#x} ({name}) is listed twice in the hierarchy; read once"));
                    continue;
                }
                let count = match pst.node(nid_with_type(child, NID_TYPE_CONTENTS_TABLE)) {
                    Ok(Some(n)) => match pst.table_context(&n) {
                        Ok(ct) => ct.row_count(),
                        Err(e) => {
                            let linked = self.linked_messages(child).len();
                            notes.push(format!(
                                "folder {name}: contents table: {e}; {linked} messages found by their parent links"
                            ));
                            linked
                        }
                    },
                    // A sound file's folder without a contents table holds
                    // nothing (the parent links are not looked at: that
                    // map costs a walk of the whole NBT).
                    Ok(None) if pst.is_salvaged() => self.linked_messages(child).len(),
                    Ok(None) => 0,
                    Err(e) => {
                        let linked = self.linked_messages(child).len();
                        notes.push(format!(
                            "folder {name}: contents table: {e}; {linked} messages found by their parent links"
                        ));
                        linked
                    }
                };
                raw.push(Raw { nid: child, parent: nid, name, class, count });
                children.push(child);
            }
            // Reverse so that the stack pops children in table order.
            for c in children.into_iter().rev() {
                stack.push((c, depth + 1));
            }
        }
        let by_nid: HashMap<u32, usize> = raw.iter().enumerate().map(|(i, r)| (r.nid, i)).collect();

        // The IPM subtree: by entry id, else by name among the root's
        // children, else the root itself.
        let ipm = self
            .ipm_subtree()
            .filter(|n| by_nid.contains_key(n))
            .or_else(|| {
                // "Root - Public" may hold an IPM_SUBTREE of its own (the
                // public folders): the mailbox's is the one wanted.
                let parent_name = |r: &Raw| by_nid.get(&r.parent).map(|&p| raw[p].name.as_str());
                let near_root = |r: &Raw| {
                    r.parent == NID_ROOT_FOLDER
                        || by_nid.get(&r.parent).is_some_and(|&p| raw[p].parent == NID_ROOT_FOLDER)
                };
                let ost = |r: &&Raw| r.name == OST_IPM_SUBTREE && near_root(r);
                raw.iter()
                    .filter(ost)
                    .find(|r| parent_name(r) == Some("Root - Mailbox"))
                    .or_else(|| raw.iter().filter(ost).find(|r| parent_name(r) != Some("Root - Public")))
                    .or_else(|| {
                        raw.iter().find(|r| {
                            r.parent == NID_ROOT_FOLDER
                                && IPM_SUBTREE_NAMES.iter().any(|n| n.eq_ignore_ascii_case(&r.name))
                        })
                    })
                    .map(|r| r.nid)
            })
            .unwrap_or(NID_ROOT_FOLDER);
        if self.ipm_subtree().is_some_and(|n| n != ipm) && self.pst().header().client != crate::ndb::header::Client::Ost
        {
            notes.push(format!("the store's IPM subtree entry id names no folder of the tree; using folder {ipm:#x}"));
        }

        // Paths relative to the IPM subtree, in walk order (parents first).
        let mut all: Vec<FolderInfo> = Vec::new();
        let mut paths: HashMap<u32, (Vec<String>, bool)> = HashMap::new();
        paths.insert(NID_ROOT_FOLDER, (Vec::new(), ipm == NID_ROOT_FOLDER));
        if ipm == NID_ROOT_FOLDER {
            all.push(FolderInfo {
                nid: NID_ROOT_FOLDER,
                parent: None,
                path: Vec::new(),
                name: String::new(),
                container_class: None,
                kind: FolderKind::Mail,
                role: FolderRole::None,
                content_count: root_count(self),
                in_ipm_subtree: true,
            });
        }
        let mut skipped_search: HashSet<u32> = HashSet::new();
        for nid in order.into_iter().skip(1) {
            let Some(&i) = by_nid.get(&nid) else { continue };
            let r = &raw[i];
            let Some((parent_path, parent_in)) = paths.get(&r.parent).cloned() else {
                continue;
            };
            if skipped_search.contains(&r.parent) {
                skipped_search.insert(nid);
                continue;
            }
            let (path, inside) = if nid == ipm {
                (Vec::new(), true)
            } else {
                let mut p = parent_path.clone();
                p.push(r.name.clone());
                (p, parent_in)
            };
            if inside && nid & 0x1F == NID_TYPE_SEARCH_FOLDER {
                notes.push(format!(
                    "search folder {} skipped: it holds references to messages kept in other folders",
                    path.join("/")
                ));
                skipped_search.insert(nid);
                continue;
            }
            paths.insert(nid, (path.clone(), inside));
            all.push(FolderInfo {
                nid,
                parent: Some(r.parent),
                path,
                name: r.name.clone(),
                container_class: r.class.clone(),
                kind: kind_of(r.class.as_deref()),
                role: FolderRole::None,
                content_count: r.count,
                in_ipm_subtree: inside,
            });
        }
        let mut tree = FolderTree { ipm_subtree: ipm, all, notes };
        self.assign_roles(&mut tree);
        Ok(tree)
    }

    /// Roles from entry ids (store PC, root folder, IPM subtree, Inbox),
    /// then from the names of top-level folders for roles still unassigned.
    fn assign_roles(&self, tree: &mut FolderTree) {
        let mut special: Vec<(Special, u32)> = self.special_folders().to_vec();
        // The Inbox is not named by any entry id in a PST (the receive
        // folder table is Exchange's); Outlook finds it by name too.
        let inbox = tree
            .visible()
            .find(|f| f.path.len() == 1 && FolderRole::guess(&f.path[0]) == FolderRole::Inbox)
            .map(|f| f.nid);
        if let Some(inbox) = inbox {
            for (w, n) in folder_entry_ids(self.pst(), inbox) {
                if !special.iter().any(|(x, _)| *x == w) {
                    special.push((w, n));
                }
            }
        }
        let role_of = |s: Special| match s {
            Special::Outbox => FolderRole::Outbox,
            Special::Wastebasket => FolderRole::Trash,
            Special::SentMail => FolderRole::Sent,
            Special::Drafts => FolderRole::Drafts,
            Special::Junk => FolderRole::Junk,
            _ => FolderRole::None,
        };
        let mut taken: HashSet<FolderRole> = HashSet::new();
        for f in tree.all.iter_mut().filter(|f| f.in_ipm_subtree) {
            for (s, n) in &special {
                let r = role_of(*s);
                if *n == f.nid && r != FolderRole::None && f.role == FolderRole::None {
                    f.role = r;
                    taken.insert(r);
                }
            }
        }
        if let Some(inbox) = inbox {
            if let Some(f) = tree.all.iter_mut().find(|f| f.nid == inbox) {
                if f.role == FolderRole::None {
                    f.role = FolderRole::Inbox;
                    taken.insert(FolderRole::Inbox);
                }
            }
        }
        let ipm = tree.ipm_subtree;
        for f in tree.all.iter_mut().filter(|f| f.in_ipm_subtree && f.nid != ipm && f.path.len() == 1) {
            if f.role == FolderRole::None && f.kind == FolderKind::Mail {
                let g = FolderRole::guess(&f.path[0]);
                if g != FolderRole::None && taken.insert(g) {
                    f.role = g;
                }
            }
        }
    }
}

/// Rows in the root folder's own contents table.
fn root_count(store: &Store) -> usize {
    let pst = store.pst();
    pst.node(nid_with_type(NID_ROOT_FOLDER, NID_TYPE_CONTENTS_TABLE))
        .ok()
        .flatten()
        .and_then(|n| pst.table_context(&n).ok())
        .map_or(0, |t| t.row_count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_from_container_class() {
        assert_eq!(kind_of(None), FolderKind::Mail);
        assert_eq!(kind_of(Some("IPF.Note")), FolderKind::Mail);
        assert_eq!(kind_of(Some("IPF.Contact")), FolderKind::Contacts);
        assert_eq!(kind_of(Some("IPF.Contact.MOC.QuickContacts")), FolderKind::Contacts);
        assert_eq!(kind_of(Some("IPF.Appointment")), FolderKind::Calendar);
        assert_eq!(kind_of(Some("IPF.Task")), FolderKind::Tasks);
        assert_eq!(kind_of(Some("IPF.StickyNote")), FolderKind::Notes);
        assert_eq!(kind_of(Some("IPF.Journal")), FolderKind::Journal);
        assert_eq!(kind_of(Some("IPF.Contacts")), FolderKind::Mail);
    }
}
