//! The named property lookup map (MS-PST 2.4.7): which property set and
//! name or LID each store-specific property id 0x8000 + `wPropIdx` stands for.

use std::collections::HashMap;

use crate::error::{u16_at, u32_at};
use crate::ltp::prop::{utf16le, PropValue};
use crate::mapi::NamedId;
use crate::tags::{self, PS_MAPI, PS_PUBLIC_STRINGS};
use crate::Pst;

/// Property id -> named property, for one store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameMap {
    ids: HashMap<u16, NamedId>,
    /// What was wrong in the map (records pointing outside the streams ...).
    pub problems: Vec<String>,
}

impl NameMap {
    /// Reads the map from `NID_NAME_TO_ID_MAP`. A store without one (or
    /// with an unreadable one) gets an empty map and a problem.
    pub fn read(pst: &Pst) -> NameMap {
        let mut map = NameMap::default();
        let node = match pst.node(crate::NID_NAME_TO_ID_MAP) {
            Ok(Some(n)) => n,
            Ok(None) => {
                map.problems.push("the store has no named property map (NID 0x61)".into());
                return map;
            }
            Err(e) => {
                map.problems.push(format!("named property map: {e}"));
                return map;
            }
        };
        let pc = match pst.property_context(&node) {
            Ok(pc) => pc,
            Err(e) => {
                map.problems.push(format!("named property map: {e}"));
                return map;
            }
        };
        let mut stream = |id: u16| -> Vec<u8> {
            match pc.get(id) {
                Ok(Some(
                    PropValue::Binary(b)
                    | PropValue::ServerId(b)
                    | PropValue::Restriction(b)
                    | PropValue::RuleAction(b),
                )) => b.into_owned(),
                Ok(Some(_)) => {
                    map.problems.push(format!("named property map: stream {id:#06x} is not binary"));
                    Vec::new()
                }
                Ok(None) => Vec::new(),
                Err(e) => {
                    map.problems.push(format!("named property map: stream {id:#06x}: {e}"));
                    Vec::new()
                }
            }
        };
        let guids = stream(tags::NAMEID_STREAM_GUID);
        let entries = stream(tags::NAMEID_STREAM_ENTRY);
        let strings = stream(tags::NAMEID_STREAM_STRING);
        map.build(&guids, &entries, &strings);
        map
    }

    /// Builds the map from the three streams (MS-PST 2.4.7.1, 2.4.7.2).
    /// The number of records is bounded by the entry stream's length.
    pub fn from_streams(guids: &[u8], entries: &[u8], strings: &[u8]) -> NameMap {
        let mut map = NameMap::default();
        map.build(guids, entries, strings);
        map
    }

    fn build(&mut self, guids: &[u8], entries: &[u8], strings: &[u8]) {
        let mut bad = 0usize;
        for (i, rec) in entries.chunks_exact(8).enumerate() {
            // NAMEID: dwPropertyID, then N (bit 0) and wGuid (bits 1-15), then wPropIdx.
            let (Some(dw), Some(flags), Some(idx)) = (u32_at(rec, 0), u16_at(rec, 4), u16_at(rec, 6)) else {
                continue;
            };
            let is_string = flags & 1 == 1;
            let w_guid = flags >> 1;
            let set = match w_guid {
                // wGuid 0 means "no GUID"; only meaningful for string names.
                0 => [0u8; 16],
                1 => PS_MAPI,
                2 => PS_PUBLIC_STRINGS,
                n => {
                    let at = usize::from(n - 3) * 16;
                    match guids.get(at..at + 16) {
                        Some(g) => {
                            let mut a = [0u8; 16];
                            a.copy_from_slice(g);
                            a
                        }
                        None => {
                            bad += 1;
                            continue;
                        }
                    }
                }
            };
            let named = if is_string {
                // dwPropertyID is the offset of the name in the string stream.
                let at = dw as usize;
                let Some(len) = u32_at(strings, at) else {
                    bad += 1;
                    continue;
                };
                let Some(raw) = at
                    .checked_add(4)
                    .and_then(|s| Some((s, s.checked_add(len as usize)?)))
                    .and_then(|(s, e)| strings.get(s..e))
                else {
                    bad += 1;
                    continue;
                };
                NamedId::Name(set, utf16le(raw))
            } else {
                NamedId::Lid(set, dw)
            };
            let Some(prop_id) = 0x8000u16.checked_add(idx) else {
                bad += 1;
                continue;
            };
            if i > 0x7FFF {
                break;
            }
            self.ids.insert(prop_id, named);
        }
        if bad > 0 {
            self.problems.push(format!("named property map: {bad} records point outside the GUID or string streams"));
        }
    }

    /// The named property `prop_id` (0x8000 and up) stands for.
    pub fn get(&self, prop_id: u16) -> Option<&NamedId> {
        self.ids.get(&prop_id)
    }

    /// The store's property id for `named`, if the store uses it.
    pub fn id_of(&self, named: &NamedId) -> Option<u16> {
        self.ids.iter().find(|(_, v)| *v == named).map(|(k, _)| *k)
    }

    /// Number of mapped ids.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when no id is mapped.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tags::PSETID_COMMON;

    #[test]
    fn streams_decode() {
        let guids = PSETID_COMMON.to_vec();
        let mut strings = Vec::new();
        let name: Vec<u8> = "Keywords".encode_utf16().flat_map(u16::to_le_bytes).collect();
        strings.extend_from_slice(&(name.len() as u32).to_le_bytes());
        strings.extend_from_slice(&name);
        let mut entries = Vec::new();
        // 0x8000: PSETID_Common (wGuid 3), LID 0x8580, numeric.
        entries.extend_from_slice(&0x8580u32.to_le_bytes());
        entries.extend_from_slice(&(3u16 << 1).to_le_bytes());
        entries.extend_from_slice(&0u16.to_le_bytes());
        // 0x8001: PS_PUBLIC_STRINGS "Keywords".
        entries.extend_from_slice(&0u32.to_le_bytes());
        entries.extend_from_slice(&((2u16 << 1) | 1).to_le_bytes());
        entries.extend_from_slice(&1u16.to_le_bytes());
        // 0x8002: a GUID index past the stream, 0x8003: a string past the end.
        entries.extend_from_slice(&1u32.to_le_bytes());
        entries.extend_from_slice(&(9u16 << 1).to_le_bytes());
        entries.extend_from_slice(&2u16.to_le_bytes());
        entries.extend_from_slice(&1000u32.to_le_bytes());
        entries.extend_from_slice(&((2u16 << 1) | 1).to_le_bytes());
        entries.extend_from_slice(&3u16.to_le_bytes());
        let map = NameMap::from_streams(&guids, &entries, &strings);
        assert_eq!(map.get(0x8000), Some(&NamedId::Lid(PSETID_COMMON, 0x8580)));
        assert_eq!(map.get(0x8001), Some(&NamedId::Name(PS_PUBLIC_STRINGS, "Keywords".into())));
        assert_eq!(map.get(0x8002), None);
        assert_eq!(map.get(0x8003), None);
        assert_eq!(map.len(), 2);
        assert_eq!(map.problems.len(), 1);
        assert_eq!(map.id_of(&NamedId::Lid(PSETID_COMMON, 0x8580)), Some(0x8000));
    }
}
